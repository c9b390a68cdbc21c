// Runs the rule registry over a batch: indexes the facts once, looks each row up in constant time,
// and returns the findings, the predicted match and the values the match will overwrite.
import { anchorOf, type AnchorAttribute } from '../anchor.js';
import type { BatchUser } from '../batch/types.js';
import type { AdUser, CloudUser, Facts } from '../facts.js';
import { buildIndex, isTarget, type FactsIndex } from './facts-index.js';
import { normalizeDn, normalizeGuid, parseSmtpProxy, primarySmtpOf, suffixOf } from './names.js';
import { rules as defaultRules } from './registry.js';
import type {
  AdLookup,
  Evaluation,
  Finding,
  GlobalContext,
  Holder,
  KeyAnalysis,
  Overwrite,
  PredictedMatch,
  Rule,
  UserContext,
  UserEvaluation,
} from './types.js';

/** How many other rows a DuplicateInBatch message names at most. */
const DUPLICATE_ROWS_SHOWN = 5;

export interface EvaluateOptions {
  rules?: readonly Rule[];
  /** Called once the facts are indexed, once the rows are looked up, and after every `every` rows: the engine
   * collects garbage there (lib/gc.ts). */
  pause?: { every: number; run: () => void };
}

export function evaluate(facts: Facts, users: BatchUser[], options: EvaluateOptions = {}): Evaluation {
  const { rules = defaultRules, pause } = options;
  const index = buildIndex(facts);
  pause?.run();
  const global: GlobalContext = { facts, index };

  const tenantFindings: Finding[] = [];
  for (const rule of rules) {
    if (rule.scope === 'user') continue;
    const result = rule.evaluate(global);
    if (result) tenantFindings.push({ code: rule.code, severity: rule.severity, message: result.message, hint: result.hint ?? rule.hint });
  }
  const blockingEveryone = tenantFindings.filter((f) => f.severity === 'block');
  const userRules = rules.filter((rule): rule is Extract<Rule, { scope: 'user' }> => rule.scope === 'user');

  // Look every row up once, then count the rows per cloud UPN and per AD account.
  const rows = users.map((user) => lookUp(user, index));
  const byCloudUpn = new Map<string, number[]>();
  const byAdAccount = new Map<string, number[]>();
  rows.forEach((row, i) => {
    if (row.upnKey !== '') append(byCloudUpn, row.upnKey, i);
    for (const key of row.adKeys) append(byAdAccount, key, i);
  });

  const evaluations = rows.map((row, i): UserEvaluation => {
    if (pause && i % pause.every === 0) pause.run();
    const { user, cloudUser, adUser } = row;
    const keys = analyseKeys(index, row.upnKey, cloudUser, adUser, facts.syncServer?.anchorAttribute ?? null);
    // Named, not spread from `global`: a spread context per row made V8 allocate every one of them
    // in the old generation (22 MB at ten thousand rows, held until the next full collection).
    const ctx: UserContext = {
      facts: global.facts,
      index: global.index,
      user,
      upn: row.upn,
      upnKey: row.upnKey,
      upnSuffix: suffixOf(row.upn),
      cloudUser,
      adUser,
      adLookup: row.adLookup,
      keys,
      duplicateRows: {
        cloudUpn: others(users, byCloudUpn.get(row.upnKey), i),
        adAccount: othersOfKeys(users, byAdAccount, row.adKeys, i),
      },
    };
    const findings = [...blockingEveryone];
    for (const rule of userRules) {
      const result = rule.evaluate(ctx);
      if (result) findings.push({ code: rule.code, severity: rule.severity, message: result.message, hint: result.hint ?? rule.hint });
    }
    return {
      user,
      cloudUser,
      adUser,
      anchor: keys.anchor,
      predictedMatch: predictMatch(facts, cloudUser, keys),
      findings,
      blocked: findings.some((f) => f.severity === 'block'),
      overwrites: overwritesOf(facts, user, cloudUser, adUser),
    };
  });

  return { tenantFindings, users: evaluations };
}

interface RowLookup {
  user: BatchUser;
  upn: string;
  upnKey: string;
  cloudUser: CloudUser | null;
  adUser: AdUser | null;
  adLookup: AdLookup;
  /** Keys naming the row's AD account, for finding duplicates in the batch. */
  adKeys: string[];
}

function lookUp(user: BatchUser, index: FactsIndex): RowLookup {
  const upn = user.cloudUpn.trim();
  const upnKey = upn.toLowerCase();
  const cloudUser = index.cloudUsersByUpn.get(upnKey) ?? null;
  const sam = user.samAccountName?.trim() || null;
  const dn = user.distinguishedName?.trim() || null;

  if (user.create) {
    return { user, upn, upnKey, cloudUser, adUser: null, adLookup: { status: 'create' }, adKeys: sam ? [`sam:${sam.toLowerCase()}`] : [] };
  }
  const unresolvedKeys = [...(sam ? [`sam:${sam.toLowerCase()}`] : []), ...(dn ? [`dn:${normalizeDn(dn)}`] : [])];
  const unresolved = (adLookup: AdLookup): RowLookup => ({ user, upn, upnKey, cloudUser, adUser: null, adLookup, adKeys: unresolvedKeys });

  if (!sam && !dn) return unresolved({ status: 'unnamed' });
  let adUser: AdUser | null = null;
  if (dn) {
    adUser = index.adByDn.get(normalizeDn(dn)) ?? null;
    if (!adUser) return unresolved({ status: 'notFound', by: `with distinguishedName ${dn}` });
    if (sam && adUser.SamAccountName.toLowerCase() !== sam.toLowerCase()) {
      return unresolved({ status: 'mismatch', dn, sam, actualSam: adUser.SamAccountName });
    }
  } else if (sam) {
    const found = index.adBySam.get(sam.toLowerCase()) ?? [];
    if (found.length === 0) return unresolved({ status: 'notFound', by: `with sAMAccountName ${sam}` });
    if (found.length > 1) return unresolved({ status: 'ambiguous', by: `sAMAccountName ${sam}`, count: found.length });
    adUser = found[0] ?? null;
  }
  if (!adUser) return unresolved({ status: 'unnamed' });
  return { user, upn, upnKey, cloudUser, adUser, adLookup: { status: 'found' }, adKeys: [`guid:${normalizeGuid(adUser.ObjectGUID)}`] };
}

function append(map: Map<string, number[]>, key: string, i: number): void {
  const list = map.get(key);
  if (list) list.push(i);
  else map.set(key, [i]);
}

/** The other rows in a group (their count, and the row numbers of the first few): O(1) per row. */
function others(users: BatchUser[], group: number[] | undefined, self: number): { count: number; rows: number[] } {
  if (!group || group.length < 2) return { count: 0, rows: [] };
  const shown = group
    .slice(0, DUPLICATE_ROWS_SHOWN + 1)
    .filter((i) => i !== self)
    .slice(0, DUPLICATE_ROWS_SHOWN);
  return { count: group.length - 1, rows: shown.map((i) => users[i]?.row ?? 0) };
}

function othersOfKeys(users: BatchUser[], map: Map<string, number[]>, keys: string[], self: number): { count: number; rows: number[] } {
  let best = { count: 0, rows: [] as number[] };
  for (const key of keys) {
    const found = others(users, map.get(key), self);
    if (found.count > best.count) best = found;
  }
  return best;
}

/** The anchor Entra Connect will use for the account; null when it has none or its ObjectGUID is unreadable. */
function readableAnchorOf(adUser: AdUser, attribute: AnchorAttribute): string | null {
  try {
    return anchorOf(adUser, attribute);
  } catch {
    return null;
  }
}

/** Who holds the row's keys (anchor, UPN, SMTP addresses) in the cloud, the target apart. */
export function analyseKeys(
  index: FactsIndex,
  upnKey: string,
  cloudUser: CloudUser | null,
  adUser: AdUser | null,
  anchorAttribute: AnchorAttribute = null,
): KeyAnalysis {
  const notTarget = (h: Holder): boolean => !isTarget(h.object, cloudUser);
  const holdersOf = (address: string): Holder[] => [
    ...(index.cloudByUpn.get(address) ?? []).map((object): Holder => ({ object, via: 'upn' })),
    ...(index.cloudBySmtp.get(address) ?? []),
  ];
  const anchor = adUser ? readableAnchorOf(adUser, anchorAttribute) : null;
  const primarySmtp = adUser ? primarySmtpOf(adUser) : null;
  const otherSmtp: string[] = [];
  if (adUser) {
    for (const proxy of adUser.proxyAddresses) {
      const parsed = parseSmtpProxy(proxy);
      if (parsed && parsed.address !== primarySmtp && !otherSmtp.includes(parsed.address)) otherSmtp.push(parsed.address);
    }
  }

  const targetImmutableId = cloudUser?.onPremisesImmutableId?.trim() || null;
  const anchorOnTarget = anchor !== null && targetImmutableId === anchor;
  const anchorHolders = anchor ? (index.cloudByImmutableId.get(anchor) ?? []).filter((o) => !isTarget(o, cloudUser)) : [];

  let smtpOnTarget = false;
  const smtpOtherUsers: Holder['object'][] = [];
  const smtpHolders: Holder[] = [];
  const proxyConflicts: KeyAnalysis['proxyConflicts'] = [];
  if (primarySmtp) {
    if (cloudUser) {
      const targetAddresses = [primarySmtpOf(cloudUser), cloudUser.mail?.trim().toLowerCase() ?? null];
      smtpOnTarget = targetAddresses.includes(primarySmtp);
    }
    const userConflicts: Holder[] = [];
    // When the primary SMTP address is the UPN, its holders other than by primary address are the UPN's.
    const sameAsUpn = primarySmtp === upnKey;
    const holders = holdersOf(primarySmtp).filter(notTarget);
    // Any address of another cloud user, primary or secondary (open question 10.2, safe side: see SmtpMatchesOtherUser).
    for (const holder of holders) if (holder.object.kind === 'user' && holder.via !== 'upn') smtpOtherUsers.push(holder.object);
    for (const holder of holders) {
      if (smtpOtherUsers.includes(holder.object) || sameAsUpn) continue;
      else if (holder.object.kind !== 'user') smtpHolders.push(holder);
      else userConflicts.push(holder); // another user's alias or UPN: a duplicate, not a match
    }
    if (userConflicts.length > 0) proxyConflicts.push({ address: primarySmtp, holders: userConflicts });
  }
  for (const address of otherSmtp) {
    if (address === upnKey) continue; // reported as the UPN, if held
    const holders = holdersOf(address).filter(notTarget);
    if (holders.length > 0) proxyConflicts.push({ address, holders });
  }

  const upnHolders = upnKey !== '' ? holdersOf(upnKey).filter(notTarget) : [];
  return {
    anchor,
    primarySmtp,
    otherSmtp,
    anchorOnTarget,
    anchorHolders,
    smtpOnTarget,
    smtpOtherUsers: [...new Set(smtpOtherUsers)],
    upnHolders,
    smtpHolders,
    proxyConflicts,
  };
}

/**
 * The rule Entra Connect will use to join the AD account to the target cloud user after the write,
 * in its own order: hard match (source anchor = onPremisesImmutableId), then soft match by primary SMTP
 * address, then soft match by UPN. Refinements over that order, as Entra Connect behaves:
 * - a hard match on a cloud-managed user is refused when blockCloudObjectTakeoverThroughHardMatchEnabled is on;
 * - no soft match (SMTP or UPN) happens when blockSoftMatchEnabled is on;
 * - when the anchor or the primary SMTP address leads to another object, the account joins that object
 *   (AnchorTaken, SmtpMatchesOtherUser), not the target: 'none';
 * - UPN soft match counts when enabled, to be enabled by the run, or unknown (features unreadable: the run
 *   verifies the join after the sync).
 */
export function predictMatch(facts: Facts, cloudUser: CloudUser | null, keys: KeyAnalysis): PredictedMatch {
  if (!cloudUser) return 'none';
  const features = facts.tenant.features;
  if (keys.anchorOnTarget) {
    const takeoverBlocked = features?.blockCloudObjectTakeoverThroughHardMatchEnabled === true && cloudUser.onPremisesSyncEnabled !== true;
    return takeoverBlocked ? 'none' : 'hard';
  }
  if (keys.anchorHolders.length > 0) return 'none';
  const softMatchBlocked = features?.blockSoftMatchEnabled === true;
  if (keys.smtpOnTarget) return softMatchBlocked ? 'none' : 'smtp';
  if (keys.smtpOtherUsers.length > 0) return 'none';
  const upnSoftMatch = features === null || features.softMatchOnUpnEnabled || facts.enableFeatureAllowed;
  return upnSoftMatch && !softMatchBlocked ? 'upn' : 'none';
}

/** AD attributes that Entra Connect flows to the cloud user at the match, and the AD property that carries each. */
const OVERWRITTEN: readonly { attribute: string; cloud: (u: CloudUser) => string | null | undefined; ad: (u: AdUser) => string | null; caseInsensitive?: boolean }[] = [
  // The default rule "In from AD – User Common" flows cn when displayName is empty.
  { attribute: 'displayName', cloud: (u) => u.displayName, ad: (u) => (u.DisplayName?.trim() ? u.DisplayName : u.Name) },
  { attribute: 'givenName', cloud: (u) => u.givenName, ad: (u) => u.GivenName },
  { attribute: 'surname', cloud: (u) => u.surname, ad: (u) => u.Surname },
  { attribute: 'mail', cloud: (u) => u.mail, ad: (u) => u.mail, caseInsensitive: true },
  // Not in AdUser yet: read when the collector adds them (Get-ADUser -Properties Title, Department).
  { attribute: 'jobTitle', cloud: (u) => u.jobTitle, ad: (u) => optionalAdString(u, 'Title') },
  { attribute: 'department', cloud: (u) => u.department, ad: (u) => optionalAdString(u, 'Department') },
];

function optionalAdString(user: AdUser, property: string): string | null {
  const value = (user as unknown as Record<string, unknown>)[property];
  return typeof value === 'string' ? value : null;
}

export const PASSWORD_OVERWRITE: Overwrite = {
  attribute: 'password',
  cloudValue: '(the cloud password)',
  onPremisesValue: '(the AD account’s password, by password hash sync)',
};

/**
 * A created account gets a random password no one knows (Set-AdUserForMatch): after the match the user signs
 * in with the AD password wherever AD is the source of sign-in (password hash sync, pass-through or federation).
 */
export const CREATED_PASSWORD_OVERWRITE: Overwrite = {
  attribute: 'password',
  cloudValue: '(the cloud password)',
  onPremisesValue: '(a random password set at creation: set the AD password and give it to the user before the match, or they cannot sign in)',
};

/** The SMTP addresses of a proxyAddresses list and mail, lower-cased (the primary and the aliases alike). */
function smtpAddresses(proxies: readonly string[], mail: string | null | undefined): Set<string> {
  const out = new Set<string>();
  for (const p of proxies) if (/^smtp:/i.test(p)) out.add(p.slice(5).toLowerCase());
  if (mail?.trim()) out.add(mail.trim().toLowerCase());
  return out;
}

/**
 * The cloud values the match will change: every attribute the AD account has a value for and that differs
 * (rule sheet 4.1), the account's enabled state (4.3), the cloud's email addresses that AD lacks (lost, per
 * Microsoft's warning in 4.1), and the password.
 */
export function overwritesOf(facts: Facts, user: BatchUser, cloudUser: CloudUser | null, adUser: AdUser | null): Overwrite[] {
  if (!cloudUser) return [];
  const result: Overwrite[] = [];
  const add = (attribute: string, cloudValue: string | null | undefined, adValue: string | null, caseInsensitive = false): void => {
    if (adValue === null || adValue.trim() === '') return;
    const cloud = cloudValue ?? null;
    const same = cloud !== null && (caseInsensitive ? cloud.toLowerCase() === adValue.toLowerCase() : cloud === adValue);
    if (!same) result.push({ attribute, cloudValue: cloud, onPremisesValue: adValue });
  };
  if (adUser) {
    for (const entry of OVERWRITTEN) add(entry.attribute, entry.cloud(cloudUser), entry.ad(adUser), entry.caseInsensitive);
    if (adUser.Enabled !== null) add('accountEnabled', cloudUser.accountEnabled === null ? null : String(cloudUser.accountEnabled), String(adUser.Enabled));
  } else if (user.create) {
    add('givenName', cloudUser.givenName, user.givenName);
    add('surname', cloudUser.surname, user.surname);
    // The script creates the account enabled.
    add('accountEnabled', cloudUser.accountEnabled === null ? null : String(cloudUser.accountEnabled), 'true');
  }
  if (adUser || user.create) {
    // Which cloud addresses survive when AD has none at all is not documented: we take the safe side and
    // list every cloud address AD lacks as lost (rule sheet 4.1 warning).
    const onPremises = adUser ? smtpAddresses(adUser.proxyAddresses, adUser.mail) : new Set<string>();
    const lost = [...smtpAddresses(cloudUser.proxyAddresses, cloudUser.mail)].filter((a) => !onPremises.has(a));
    if (lost.length > 0) {
      result.push({
        attribute: 'proxyAddresses',
        cloudValue: lost.sort().join('; '),
        onPremisesValue: adUser?.proxyAddresses.length ? `${adUser.proxyAddresses.join('; ')} (the cloud-only addresses are lost: add them in AD first to keep them)` : '(none in AD: the cloud-only addresses are lost; add them in AD first to keep them)',
      });
    }
  }
  if (user.create && !adUser) result.push({ ...CREATED_PASSWORD_OVERWRITE });
  else if (adUser && facts.tenant.features?.passwordSyncEnabled) result.push({ ...PASSWORD_OVERWRITE });
  return result;
}
