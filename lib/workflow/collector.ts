// The one place that gathers facts: AD first (its SMTP addresses and anchors are keys for the
// cloud lookup), then the cloud, the tenant and the Entra Connect server. The checks then read
// these facts and do no I/O of their own.
import { anchorOf } from '../anchor.js';
import type { BatchUser } from '../batch/types.js';
import type { Config } from '../config.js';
import type { Facts, TenantFacts } from '../facts.js';
import { steps, type AdFactsOutput } from '../steps/registry.js';
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
  /** Every AD account of the forest, read already (discover): no AD facts call then. */
  adFacts?: AdFactsOutput;
}

/** How the Graph-using scripts sign in, from the config. */
export function graphSignIn(config: Config): { TenantId?: string; ClientId?: string; CertificateThumbprint?: string; Interactive?: boolean } {
  const graph = config.graph;
  if (!graph || graph.auth === 'interactive') return { Interactive: true, ...(graph?.tenantId ? { TenantId: graph.tenantId } : {}) };
  return { TenantId: graph.tenantId, ClientId: graph.clientId, CertificateThumbprint: graph.certificateThumbprint };
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

async function collectAdFacts(io: StepIO, users: BatchUser[], config: Config, chunkSize: number) {
  const parts = [];
  for (let start = 0; start === 0 || start < users.length; start += chunkSize) {
    const chunk = users.slice(start, start + chunkSize);
    parts.push(
      await io.run(steps.adFacts, {
        UserPrincipalName: chunk.map((u) => u.cloudUpn),
        SamAccountName: chunk.flatMap((u) => (u.samAccountName ? [u.samAccountName] : [])),
        DistinguishedName: chunk.flatMap((u) => (u.distinguishedName ? [u.distinguishedName] : [])),
        ...(config.ad?.server ? { Server: config.ad.server } : {}),
      }),
    );
  }
  // An account can answer two chunks (a UPN of one, an account name of another): keep it once.
  const byGuid = new Map(parts.flatMap((part) => part.users).map((user) => [user.ObjectGUID.toLowerCase(), user]));
  return { ...parts[0]!, users: [...byGuid.values()] };
}

export async function collectFacts(io: StepIO, users: BatchUser[], options: CollectOptions): Promise<Facts> {
  const { config } = options;
  const upns = users.map((u) => u.cloudUpn);
  const ad = options.adFacts ?? (await collectAdFacts(io, users, config, Math.max(1, options.adFactsChunkSize ?? AD_FACTS_CHUNK)));
  const addresses = new Set<string>();
  const anchors = new Set<string>();
  for (const user of ad.users) {
    for (const a of smtpAddresses(user)) addresses.add(a);
    anchors.add(anchorOf(user));
  }
  const signIn = graphSignIn(config);
  const cloud = await io.run(steps.cloudFacts, { UserPrincipalName: upns, Address: [...addresses], Anchor: [...anchors], ...signIn });
  const tenant = await io.run(steps.tenantFacts, { Cloud: config.cloud, ...signIn });
  const record = options.featureRecord;
  const useRecord = tenant.features === null && record && record.tenantId === tenant.tenantId;
  const syncServer = await io.run(steps.syncFacts, { ComputerName: syncServerName(config) });
  return {
    tenant: useRecord ? { ...tenant, features: record.features, featuresSource: 'record', featuresReadAt: record.readAt } : tenant,
    forest: ad.forest,
    cloudUsers: cloud.cloudUsers,
    cloudObjects: cloud.cloudObjects,
    adUsers: ad.users,
    syncServer,
    enableFeatureAllowed: options.enableFeatureAllowed,
  };
}
