// The one place that gathers facts: the Entra Connect server first (its source anchor attribute), then AD
// (its SMTP addresses and anchors are keys for the cloud lookup), the cloud and the tenant. The checks then read
// these facts and do no I/O of their own.
import { anchorOf, customAnchorAttribute } from '../anchor.js';
import type { BatchUser } from '../batch/types.js';
import { DEFAULT_FEATURE_RECORD_MAX_AGE_HOURS, type Config } from '../config.js';
import type { AdUser, CloudObject, CloudUser, Facts, TenantFacts } from '../facts.js';
import { normalizeDn, isUnderDn } from '../checks/names.js';
import { steps, type AdFactsOutput, type TenantUsersRead } from '../steps/registry.js';
import { chunkBySize, jsonBytes } from './chunks.js';
import type { StepIO } from './io.js';

/** What an earlier interactive `feature` run recorded, for app-only runs that cannot read it. */
export interface FeatureRecord {
  tenantId: string;
  readAt: string;
  features: NonNullable<TenantFacts['features']>;
}

export interface CollectOptions {
  config: Config;
  enableFeatureAllowed: boolean;
  featureRecord?: FeatureRecord | null;
  /** Users per AD facts call (default AD_FACTS_CHUNK). */
  adFactsChunkSize?: number;
  /** Now, to tell how old the feature record is. */
  now?: Date;
  /** Every AD account of the forest, read already (discover): no AD facts call then. */
  adFacts?: AdFactsOutput;
  /** Every user of the tenant, read already (discover): the cloud facts read no /users then. */
  tenantUsers?: TenantUsersRead;
}

/** How the Graph-using scripts sign in, from the config (no graph section: a person signs in interactively). */
export interface GraphSignIn {
  Auth: 'certificate' | 'managed-identity' | 'interactive' | 'device-code';
  Environment: 'Global' | 'USGov' | 'USGovDoD' | 'China';
  TenantId?: string;
  ClientId?: string;
  CertificateThumbprint?: string;
  CertificateSubject?: string;
}

export function graphSignIn(config: Config): GraphSignIn {
  const graph = config.graph;
  if (!graph) return { Auth: 'interactive', Environment: 'Global' };
  const signIn: GraphSignIn = { Auth: graph.auth, Environment: graph.environment };
  if (graph.tenantId) signIn.TenantId = graph.tenantId;
  if (graph.clientId) signIn.ClientId = graph.clientId;
  if (graph.certificateThumbprint) signIn.CertificateThumbprint = graph.certificateThumbprint;
  if (graph.certificateSubject) signIn.CertificateSubject = graph.certificateSubject;
  return signIn;
}

export function syncServerName(config: Config): string {
  return config.syncServer?.computerName ?? 'local';
}

function smtpAddresses(user: { mail: string | null; proxyAddresses: string[] }): string[] {
  const found = user.proxyAddresses.filter((p) => /^smtp:/i.test(p)).map((p) => p.slice(5));
  if (user.mail) found.push(user.mail);
  return found;
}

/**
 * Users per AD facts call: PowerShell holds one call's accounts at a time (a batch of ten thousand would
 * otherwise sit in the host, and be converted to JSON, all at once). Each call reads the forest again: two
 * cheap queries per thousand users.
 */
const AD_FACTS_CHUNK = 1000;

async function collectAdFacts(io: StepIO, users: BatchUser[], config: Config, chunkSize: number, customAnchor: string | null) {
  const parts = [];
  const chunks = users.length === 0 ? [[]] : chunkBySize(users, (u) => jsonBytes([u.cloudUpn, u.samAccountName, u.distinguishedName]), chunkSize);
  for (const chunk of chunks) {
    parts.push(
      await io.run(steps.adFacts, {
        UserPrincipalName: chunk.map((u) => u.cloudUpn),
        SamAccountName: chunk.flatMap((u) => (u.samAccountName ? [u.samAccountName] : [])),
        DistinguishedName: chunk.flatMap((u) => (u.distinguishedName ? [u.distinguishedName] : [])),
        ...(config.ad?.server ? { Server: config.ad.server } : {}),
        ...(customAnchor ? { AnchorAttribute: customAnchor } : {}),
      }),
    );
  }
  // An account can answer two chunks (a UPN of one, an account name of another): keep it once.
  const byGuid = new Map(parts.flatMap((part) => part.users).map((user) => [user.ObjectGUID.toLowerCase(), user]));
  return { ...parts[0]!, users: [...byGuid.values()] };
}

/**
 * The accounts of a forest read whole (discover) that the batch concerns, as Get-AdFacts would have found them:
 * every account holding a batch UPN (forest-wide), and those the batch names by DN or, in the write domain, by
 * account name. The checks, and the cloud keys, then see what they see for plan.
 */
export function batchAdUsers(ad: AdFactsOutput, users: BatchUser[]): AdUser[] {
  const upns = new Set(users.map((u) => u.cloudUpn.toLowerCase()));
  const dns = new Set(users.flatMap((u) => (u.distinguishedName ? [normalizeDn(u.distinguishedName)] : [])));
  const sams = new Set(users.flatMap((u) => (u.samAccountName ? [u.samAccountName.toLowerCase()] : [])));
  const writeDomain = ad.forest.domains.find((d) => d.dnsRoot.toLowerCase() === ad.writeDomain.toLowerCase());
  const inWriteDomain = (dn: string) => (writeDomain ? isUnderDn(normalizeDn(dn), normalizeDn(writeDomain.distinguishedName)) : true);
  return ad.users.filter(
    (a) =>
      (a.UserPrincipalName !== null && upns.has(a.UserPrincipalName.toLowerCase())) ||
      dns.has(normalizeDn(a.DistinguishedName)) ||
      (sams.has(a.SamAccountName.toLowerCase()) && inWriteDomain(a.DistinguishedName)),
  );
}

/** A tenant user as a cloud object (Get-CloudFacts' short form). */
function asCloudObject(user: CloudUser | CloudObject): CloudObject {
  return { kind: 'user', id: user.id, displayName: user.displayName, userPrincipalName: user.userPrincipalName, mail: user.mail, proxyAddresses: user.proxyAddresses, onPremisesImmutableId: user.onPremisesImmutableId };
}

/**
 * The cloud facts from objects read whole (discover's read of every user; the groups, contacts and deleted users
 * of Get-CloudFacts -SkipUsers): what Get-CloudFacts' Test-HoldsKey keeps. An object holds a key when its UPN,
 * mail or an smtp: proxy is a batch UPN or an AD address (case-insensitive), or its onPremisesImmutableId is an
 * anchor (exact). The batch's own users go to cloudUsers only.
 */
function objectsHoldingKeys(users: CloudUser[], others: CloudObject[], upns: string[], addresses: string[], anchors: string[]) {
  const batch = new Set(upns.map((u) => u.toLowerCase()));
  const keys = new Set([...addresses, ...upns].map((a) => a.toLowerCase()));
  const anchorSet = new Set(anchors);
  const holds = (u: CloudUser | CloudObject) =>
    (u.userPrincipalName !== null && keys.has(u.userPrincipalName.toLowerCase())) ||
    (u.mail !== null && keys.has(u.mail.toLowerCase())) ||
    u.proxyAddresses.some((p) => /^smtp:/i.test(p) && keys.has(p.slice(5).toLowerCase())) ||
    (u.onPremisesImmutableId !== null && anchorSet.has(u.onPremisesImmutableId));
  const cloudUsers: CloudUser[] = [];
  const cloudObjects: CloudObject[] = [];
  for (const user of users) {
    if (batch.has(user.userPrincipalName.toLowerCase())) cloudUsers.push(user);
    else if (holds(user)) cloudObjects.push(asCloudObject(user));
  }
  for (const other of others) if (holds(other)) cloudObjects.push(other);
  return { cloudUsers, cloudObjects };
}

type CloudKey = { list: 'UserPrincipalName' | 'Address' | 'Anchor'; value: string };

/**
 * The cloud facts, in calls whose lists stay under the request limit (one call for any ordinary batch). Each
 * call reports as "other objects" whatever holds one of its keys; a batch user found by another call is the
 * batch's own, not another object.
 */
async function collectCloudFacts(io: StepIO, upns: string[], addresses: string[], anchors: string[], signIn: GraphSignIn, tenantUsers?: TenantUsersRead) {
  if (tenantUsers) {
    // Every user read already: one call for the groups, contacts and deleted users, no key list sent.
    const rest = await io.run(steps.cloudFacts, { UserPrincipalName: [], Address: [], Anchor: [], SkipUsers: true, ...signIn });
    const found = objectsHoldingKeys(tenantUsers.users, [...tenantUsers.others, ...rest.cloudObjects], upns, addresses, anchors);
    return { ...found, scanned: { ...rest.scanned, users: tenantUsers.users.length + tenantUsers.others.length } };
  }
  const keys: CloudKey[] = [
    ...upns.map((value) => ({ list: 'UserPrincipalName' as const, value })),
    ...addresses.map((value) => ({ list: 'Address' as const, value })),
    ...anchors.map((value) => ({ list: 'Anchor' as const, value })),
  ];
  const chunks = keys.length === 0 ? [[]] : chunkBySize(keys, (k) => jsonBytes(k.value));
  const parts = [];
  for (const chunk of chunks) {
    const of = (list: CloudKey['list']) => chunk.filter((k) => k.list === list).map((k) => k.value);
    parts.push(await io.run(steps.cloudFacts, { UserPrincipalName: of('UserPrincipalName'), Address: of('Address'), Anchor: of('Anchor'), ...signIn }));
  }
  if (parts.length === 1) return parts[0]!;
  const cloudUsers = [...new Map(parts.flatMap((p) => p.cloudUsers).map((u) => [u.id, u])).values()];
  const own = new Set(cloudUsers.map((u) => u.id));
  const cloudObjects = [...new Map(parts.flatMap((p) => p.cloudObjects).map((o) => [`${o.kind}:${o.id}`, o])).values()].filter((o) => !(o.kind === 'user' && own.has(o.id)));
  const scanned: Record<string, number> = {};
  for (const part of parts) for (const [key, count] of Object.entries(part.scanned)) scanned[key] = (scanned[key] ?? 0) + count;
  return { cloudUsers, cloudObjects, scanned };
}

export async function collectFacts(io: StepIO, users: BatchUser[], options: CollectOptions): Promise<Facts> {
  const { config } = options;
  const upns = users.map((u) => u.cloudUpn);
  // The Entra Connect server first: its source anchor attribute says which anchor each AD account syncs with
  // (and, when custom, which attribute the AD facts must read).
  const syncServer = await io.run(steps.syncFacts, { ComputerName: syncServerName(config) });
  const anchorAttribute = syncServer.anchorAttribute;
  const ad = options.adFacts
    ? { ...options.adFacts, users: batchAdUsers(options.adFacts, users) }
    : await collectAdFacts(io, users, config, Math.max(1, options.adFactsChunkSize ?? AD_FACTS_CHUNK), customAnchorAttribute(anchorAttribute));
  const addresses = new Set<string>();
  const anchors = new Set<string>();
  for (const user of ad.users) {
    for (const a of smtpAddresses(user)) addresses.add(a);
    const anchor = anchorOf(user, anchorAttribute);
    if (anchor) anchors.add(anchor);
  }
  const signIn = graphSignIn(config);
  const cloud = await collectCloudFacts(io, upns, [...addresses], [...anchors], signIn, options.tenantUsers);
  const tenant = await io.run(steps.tenantFacts, signIn);
  const record = options.featureRecord;
  // The record stands in only for a read Graph refused this sign-in (rule sheet 10.5: app-only may or may not be served);
  // features that came back incomplete are unknown, and an older record must not hide that.
  const useRecord = tenant.features === null && tenant.featuresDenied && record && record.tenantId === tenant.tenantId;
  return {
    tenant: useRecord ? { ...tenant, features: record.features, featuresSource: 'record', featuresReadAt: record.readAt } : tenant,
    forest: { ...ad.forest, writeDomain: ad.writeDomain, ...(ad.writeDomainControllers ? { writeDomainControllers: ad.writeDomainControllers } : {}) },
    cloudUsers: cloud.cloudUsers,
    cloudObjects: cloud.cloudObjects,
    adUsers: ad.users,
    syncServer,
    enableFeatureAllowed: options.enableFeatureAllowed,
    featureRecordAge: useRecord
      ? {
          ageHours: ((options.now ?? new Date()).getTime() - Date.parse(record.readAt)) / 3_600_000,
          maxAgeHours: config.featureRecordMaxAgeHours ?? DEFAULT_FEATURE_RECORD_MAX_AGE_HOURS,
        }
      : null,
  };
}
