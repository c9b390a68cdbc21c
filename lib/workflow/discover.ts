// discover: read the cloud-only users and the AD accounts in the sync scope, propose the pairs, and run
// each proposal through plan's precondition checks. Read-only: it writes nothing but the files it is asked for.
import { customAnchorAttribute } from '../anchor.js';
import { collectGarbage } from '../gc.js';
import type { BatchUser } from '../batch/types.js';
import type { Finding } from '../checks/types.js';
import { isUnderDn, normalizeDn } from '../checks/names.js';
import { outOfSyncScope } from '../checks/sync-scope.js';
import type { Config } from '../config.js';
import type { AdUser } from '../facts.js';
import { InputError } from '../input-error.js';
import { NO_MATCH, pairUsers, type Pair, type PairStatus } from '../discover/pair.js';
import { looksLikeFormula } from '../spreadsheet.js';
import { steps, type DiscoverCloudUser } from '../steps/registry.js';
import { graphSignIn, syncServerName } from './collector.js';
import type { EngineDeps } from './deps.js';
import { plan } from './plan.js';

export interface DiscoverOptions {
  config: Config;
  /** Keep only cloud users of this UPN domain. */
  domain?: string;
  /** Keep only the (transitive) members of this cloud group. */
  groupId?: string;
  /** Pair only the AD accounts under this DN (of those in the sync scope). */
  searchBase?: string;
  /** Suggest a new AD account in this OU for each cloud user with no candidate. */
  ou?: string;
  enableFeature: boolean;
}

export type RowStatus = PairStatus;

/** One cloud user of the report: what discover proposes, and what plan's checks say about it. */
export interface DiscoverRow {
  status: RowStatus;
  cloudUpn: string;
  cloudId: string;
  samAccountName: string | null;
  distinguishedName: string | null;
  rule: string | null;
  confidence: number;
  evidence: string[];
  reason: string | null;
  candidates: string[];
  /** The batch row proposed (ready, review, create), or null. */
  proposal: BatchUser | null;
  /** plan's verdict on the proposal: blocked, and its findings. */
  blocked: boolean;
  findings: Finding[];
}

export interface DiscoverReport {
  mode: 'discover';
  searchBases: string[];
  counts: {
    cloudRead: number;
    guests: number;
    cloudSynced: number;
    cloudAnchored: number;
    cloudFilteredOut: number;
    cloudOnly: number;
    adRead: number;
    adInScope: number;
    /** Under the search base (if any) but outside the sync scope: left out of pairing. */
    adOutOfSyncScope: number;
    adRepresented: number;
    adCandidates: number;
  };
  summary: Record<RowStatus, number> & { blocked: number };
  /** Left out, by reason. */
  leftOut: Record<string, number>;
  tenantFindings: Finding[];
  rows: DiscoverRow[];
}

/** sAMAccountName: at most 20 characters, none of " / \ [ ] : ; | = , + * ? < > @ (AD's naming rules). */
export function suggestSam(upn: string, taken: Set<string>): string {
  const at = upn.lastIndexOf('@');
  const base =
    (at >= 0 ? upn.slice(0, at) : upn)
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      .replace(/[^A-Za-z0-9._-]/g, '')
      .slice(0, 20)
      // After the cut: a name may not end with a period (plan refuses it), nor start with a hyphen (a formula to Excel).
      .replace(/^[.-]+|\.+$/g, '') || 'user';
  let sam = base;
  for (let n = 2; taken.has(sam.toLowerCase()); n += 1) sam = `${base.slice(0, 20 - String(n).length)}${n}`;
  taken.add(sam.toLowerCase());
  return sam;
}

/** Why a cloud user nothing matches gets no new account suggested, or null when it gets one. */
function noCreateReason(cloud: DiscoverCloudUser, ou: string | undefined): string | null {
  if (!ou) return 'give --ou to suggest a new account';
  if (!cloud.givenName || !cloud.surname) return 'no given name and surname to create one';
  // plan refuses such a name for a new account (lib/batch/read.ts), and the batch is opened in Excel.
  if ([cloud.givenName, cloud.surname].some((name) => looksLikeFormula(name.trim()))) return 'its given name or surname starts with a character Excel reads as a formula';
  return null;
}

// Each proposal is one object literal with its fields in the batch reader's order: built by spreading a common part
// and overriding fields, tens of thousands of them took one hidden class each in V8 (see docs/performance.md).
function proposalOf(pair: Pair, row: number, ou: string | undefined, taken: Set<string>): BatchUser | null {
  const cloudUpn = pair.cloud.userPrincipalName;
  if ((pair.status === 'ready' || pair.status === 'review') && pair.ad) {
    const distinguishedName = pair.ad.DistinguishedName;
    return pair.status === 'review'
      ? { row, cloudUpn, samAccountName: null, distinguishedName, create: false, givenName: null, surname: null, ou: null, review: true }
      : { row, cloudUpn, samAccountName: null, distinguishedName, create: false, givenName: null, surname: null, ou: null };
  }
  // Only a cloud user nothing matches: one whose candidates went to other cloud users may be the same person twice.
  if (pair.status === 'left-out' && pair.reason === NO_MATCH && noCreateReason(pair.cloud, ou) === null) {
    const samAccountName = suggestSam(cloudUpn, taken);
    return { row, cloudUpn, samAccountName, distinguishedName: null, create: true, givenName: pair.cloud.givenName, surname: pair.cloud.surname, ou: ou! };
  }
  return null;
}

export async function discover(deps: EngineDeps, options: DiscoverOptions): Promise<DiscoverReport> {
  const { config } = options;
  const signIn = graphSignIn(config);
  const sync = await deps.io.run(steps.syncFacts, { ComputerName: syncServerName(config) });
  // A custom source anchor is read on every account, so that the accounts it represents are known as such.
  const anchorAttribute = customAnchorAttribute(sync.anchorAttribute);
  const forest = await deps.io.run(steps.discoverAd, {
    ...(config.ad?.server ? { Server: config.ad.server } : {}),
    ...(anchorAttribute ? { AnchorAttribute: anchorAttribute } : {}),
    ...(sync.groupFilterDn ? { MemberOf: true } : {}),
  });
  const searchBases = options.searchBase ? [options.searchBase] : (sync.scopeOUs ?? []);
  const bases = searchBases.map(normalizeDn);
  for (const [i, base] of bases.entries()) {
    if (!forest.forest.domains.some((d) => isUnderDn(base, normalizeDn(d.distinguishedName)))) throw new InputError(`the search base is in no domain of the forest: ${searchBases[i]}`);
  }
  const cloud = await deps.io.run(steps.discoverCloud, {
    ...(options.domain ? { Domain: options.domain } : {}),
    ...(options.groupId ? { GroupId: options.groupId } : {}),
    ...signIn,
  });
  // Pairing looks at the accounts under the search base (if given) that the sync synchronises, by plan's own rule
  // (partitions, OU inclusions and exclusions, group filter: memberOf is read when the server filters by group): an
  // account the sync never sees can never match, and as a second candidate it would make a real pair ambiguous.
  // An unknown scope is every account.
  const searched = options.searchBase ? forest.users.filter((u) => bases.some((base) => isUnderDn(normalizeDn(u.DistinguishedName), base))) : forest.users;
  const adUsers = searched.filter((u) => outOfSyncScope({ dn: u.DistinguishedName, create: false, memberOf: u.memberOf }, sync) === null);
  const adOutOfSyncScope = searched.length - adUsers.length;
  const cloudAnchors = cloud.others.flatMap((o) => (o.onPremisesImmutableId ? [o.onPremisesImmutableId] : []));
  const paired = pairUsers({ cloudUsers: cloud.users, adUsers, cloudAnchors, anchorAttribute: sync.anchorAttribute });
  // Pairing's indexes and plan's checks are garbage once done (tens of MB at 50,000 users): collected before the next
  // phase allocates, rather than when V8's heap has grown past them (lib/gc.ts).
  collectGarbage();

  const taken = new Set(forest.users.map((u) => u.SamAccountName.toLowerCase()));
  // Rows are numbered as the CSV will number them (header is row 1).
  let next = 2;
  const proposals = paired.pairs.map((pair) => {
    const proposal = proposalOf(pair, next, options.ou, taken);
    if (proposal) next += 1;
    return proposal;
  });
  const batch = proposals.filter((p): p is BatchUser => p !== null);
  const evaluation = batch.length > 0 ? (await plan(deps, batch, { config, enableFeature: options.enableFeature, adFacts: forest, tenantUsers: cloud })).evaluation : null;
  collectGarbage();
  const verdicts = new Map(evaluation?.users.map((ev) => [ev.user.cloudUpn.toLowerCase(), ev]) ?? []);

  const tenantCodes = new Set(evaluation?.tenantFindings.map((f) => f.code) ?? []);
  const rows: DiscoverRow[] = paired.pairs.map((pair, i) => {
    const proposal = proposals[i] ?? null;
    const ev = proposal ? verdicts.get(proposal.cloudUpn.toLowerCase()) : undefined;
    const status: RowStatus = proposal?.create ? 'create' : pair.status;
    return {
      status,
      cloudUpn: pair.cloud.userPrincipalName,
      cloudId: pair.cloud.id,
      samAccountName: proposal?.create ? proposal.samAccountName : (pair.ad?.SamAccountName ?? null),
      distinguishedName: pair.ad?.DistinguishedName ?? null,
      rule: status === 'create' ? 'create' : pair.rule,
      confidence: pair.confidence,
      evidence: pair.evidence.map((e) => `${e.kind}: ${e.detail}`),
      reason: status === 'left-out' && pair.reason === NO_MATCH ? `${NO_MATCH} (${noCreateReason(pair.cloud, options.ou)})` : pair.reason,
      candidates: pair.candidates,
      proposal,
      blocked: ev?.blocked ?? false,
      findings: ev ? ev.findings.filter((f) => !tenantCodes.has(f.code)) : [],
    };
  });
  const summary = { ready: 0, review: 0, ambiguous: 0, create: 0, 'left-out': 0, blocked: 0 };
  const leftOut: Record<string, number> = {};
  for (const row of rows) {
    summary[row.status] += 1;
    if (row.blocked) summary.blocked += 1;
    if (row.status === 'left-out' && row.reason) leftOut[row.reason] = (leftOut[row.reason] ?? 0) + 1;
  }
  return {
    mode: 'discover',
    searchBases,
    counts: {
      cloudRead: cloud.counts.read,
      guests: cloud.counts.guests,
      cloudSynced: cloud.counts.synced,
      cloudAnchored: cloud.counts.anchored,
      cloudFilteredOut: cloud.counts.filteredOut,
      cloudOnly: cloud.users.length,
      adRead: forest.users.length,
      adInScope: adUsers.length,
      adOutOfSyncScope,
      adRepresented: paired.adRepresented,
      adCandidates: paired.adCandidates,
    },
    summary,
    leftOut,
    tenantFindings: evaluation?.tenantFindings ?? [],
    rows,
  };
}
