// Indexes over the facts, built once per evaluation so that every row is checked in constant time.
import type { AdUser, CloudObject, CloudUser, Facts, RoleHolding } from '../facts.js';
import { normalizeDn, normalizeGuid, parseSmtpProxy } from './names.js';
import type { Holder } from './types.js';

export interface FactsIndex {
  /** The batch's cloud users, by lowercased UPN. */
  cloudUsersByUpn: Map<string, CloudUser>;
  /** Every cloud object (the cloud users included, as kind user), by lowercased UPN. */
  cloudByUpn: Map<string, CloudObject[]>;
  /** Every cloud object by lowercased SMTP address (from proxyAddresses and mail), with the way it holds it. */
  cloudBySmtp: Map<string, Holder[]>;
  /** Every cloud object by onPremisesImmutableId (exact: base64 is case-sensitive). */
  cloudByImmutableId: Map<string, CloudObject[]>;
  adByUpn: Map<string, AdUser[]>;
  /** By lowercased sAMAccountName: a list, as the name is unique per domain only. */
  adBySam: Map<string, AdUser[]>;
  adByDn: Map<string, AdUser>;
  adByGuid: Map<string, AdUser>;
  /** Tenant domains by lowercased name. */
  domains: Map<string, { isVerified: boolean; authenticationType: string }>;
  /** UPN suffixes and domain DNS names of the forest, lowercased. */
  forestSuffixes: Set<string>;
  /** The directory roles each cloud user holds (every kind), by lowercased user id. */
  roleHoldings: Map<string, RoleHolding[]>;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function cloudUserAsObject(user: CloudUser): CloudObject {
  return {
    kind: 'user',
    id: user.id,
    displayName: user.displayName,
    userPrincipalName: user.userPrincipalName,
    mail: user.mail,
    proxyAddresses: user.proxyAddresses,
    onPremisesImmutableId: user.onPremisesImmutableId,
  };
}

export function buildIndex(facts: Facts): FactsIndex {
  const index: FactsIndex = {
    cloudUsersByUpn: new Map(),
    cloudByUpn: new Map(),
    cloudBySmtp: new Map(),
    cloudByImmutableId: new Map(),
    adByUpn: new Map(),
    adBySam: new Map(),
    adByDn: new Map(),
    adByGuid: new Map(),
    domains: new Map(),
    forestSuffixes: new Set(),
    roleHoldings: new Map(),
  };

  for (const holding of facts.tenant.roleHolders) push(index.roleHoldings, holding.userId.toLowerCase(), holding);

  for (const user of facts.cloudUsers) {
    const key = user.userPrincipalName.trim().toLowerCase();
    if (!index.cloudUsersByUpn.has(key)) index.cloudUsersByUpn.set(key, user);
  }

  // The cloud users and the other cloud objects, once each (an object may be in both lists).
  // (A live object and a deleted one may share an id.)
  const seen = { live: new Set<string>(), deleted: new Set<string>() };
  // One map of addresses, emptied for each object: a map per object was 100,000 maps of garbage at 50,000 users.
  const addresses = new Map<string, Holder['via']>();
  for (const object of [...facts.cloudUsers.map(cloudUserAsObject), ...facts.cloudObjects]) {
    const id = object.id.toLowerCase();
    const seenOfKind = object.kind === 'deletedUser' ? seen.deleted : seen.live;
    if (seenOfKind.has(id)) continue;
    seenOfKind.add(id);
    if (object.userPrincipalName) push(index.cloudByUpn, object.userPrincipalName.trim().toLowerCase(), object);
    if (object.onPremisesImmutableId) push(index.cloudByImmutableId, object.onPremisesImmutableId.trim(), object);
    // One entry per address and object, with the strongest way it is held (primary over secondary).
    addresses.clear();
    const mail = object.mail?.trim().toLowerCase();
    if (mail) addresses.set(mail, 'primary');
    for (const proxy of object.proxyAddresses) {
      const parsed = parseSmtpProxy(proxy);
      if (!parsed) continue;
      if (parsed.primary) addresses.set(parsed.address, 'primary');
      else if (!addresses.has(parsed.address)) addresses.set(parsed.address, 'secondary');
    }
    for (const [address, via] of addresses) push(index.cloudBySmtp, address, { object, via });
  }

  for (const user of facts.adUsers) {
    const guid = normalizeGuid(user.ObjectGUID);
    if (index.adByGuid.has(guid)) continue; // the same account gathered twice
    index.adByGuid.set(guid, user);
    if (user.UserPrincipalName) push(index.adByUpn, user.UserPrincipalName.trim().toLowerCase(), user);
    push(index.adBySam, user.SamAccountName.trim().toLowerCase(), user);
    index.adByDn.set(normalizeDn(user.DistinguishedName), user);
  }

  for (const domain of facts.tenant.domains) {
    index.domains.set(domain.id.trim().toLowerCase(), { isVerified: domain.isVerified, authenticationType: domain.authenticationType });
  }
  for (const suffix of facts.forest.upnSuffixes) index.forestSuffixes.add(suffix.trim().toLowerCase());
  for (const domain of facts.forest.domains) index.forestSuffixes.add(domain.dnsRoot.trim().toLowerCase());
  return index;
}

/** Whether a cloud object is the target cloud user (deleted users never are). */
export function isTarget(object: CloudObject, target: CloudUser | null): boolean {
  return target !== null && object.kind !== 'deletedUser' && object.id.toLowerCase() === target.id.toLowerCase();
}
