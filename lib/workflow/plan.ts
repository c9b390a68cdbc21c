// plan: gather the facts once, adopt what an earlier run already did, evaluate every precondition.
// Read-only; `apply` starts with it.
import type { BatchUser } from '../batch/types.js';
import { evaluate } from '../checks/evaluate.js';
import { collectGarbage } from '../gc.js';
import type { Evaluation, UserEvaluation } from '../checks/types.js';
import type { Config } from '../config.js';
import type { AdUser, Facts } from '../facts.js';
import { summarize, type RunReport } from '../report/types.js';
import type { AdFactsOutput, TenantUsersRead } from '../steps/registry.js';
import { collectFacts, type FeatureRecord } from './collector.js';
import type { EngineDeps } from './deps.js';
import type { JournalUser, RunJournal } from './journal.js';
import { isReplannable, outcomeOf, transition } from './lifecycle.js';
import { featuresInfo, userReport } from './run-report.js';

export interface PlanOptions {
  config: Config;
  enableFeature: boolean;
  featureRecord?: FeatureRecord | null;
  /** Users per AD facts call (default 1000). */
  adFactsChunkSize?: number;
  /** Every AD account of the forest, read already (discover). */
  adFacts?: AdFactsOutput;
  /** Every user of the tenant, read already (discover). */
  tenantUsers?: TenantUsersRead;
}

export interface PlanResult {
  facts: Facts;
  evaluation: Evaluation;
  users: BatchUser[];
}

/**
 * A create row whose account already exists with exactly the cloud UPN (made by an earlier,
 * interrupted run, or by hand) becomes an update of that account: writing is then a no-op.
 */
function adoptExisting(users: BatchUser[], facts: Facts, run: RunJournal | null): BatchUser[] {
  // Looked up by key, not searched per row: discover checks tens of thousands of rows against the whole forest.
  const recordedBy = new Map<string, JournalUser['ad']>();
  for (const u of run?.users ?? []) if (!u.rolledBack && !recordedBy.has(u.cloudUpn.toLowerCase())) recordedBy.set(u.cloudUpn.toLowerCase(), u.ad);
  const creates = users.some((u) => u.create && u.samAccountName);
  const bySam = new Map<string, AdUser[]>();
  for (const a of creates ? facts.adUsers : []) {
    const sam = a.SamAccountName.toLowerCase();
    const list = bySam.get(sam);
    if (list) list.push(a);
    else bySam.set(sam, [a]);
  }
  return users.map((user) => {
    const recorded = recordedBy.get(user.cloudUpn.toLowerCase());
    if (recorded?.distinguishedName) return { ...user, create: false, distinguishedName: recorded.distinguishedName, samAccountName: null };
    if (!user.create || !user.samAccountName) return user;
    const existing = bySam.get(user.samAccountName.toLowerCase())?.find((a) => a.UserPrincipalName === user.cloudUpn);
    return existing ? { ...user, create: false, distinguishedName: existing.DistinguishedName, samAccountName: null } : user;
  });
}

/**
 * Each user keyed by its cloud user's UPN exactly as Graph returns it, whatever the batch's case: that is
 * the UPN the AD write gives the account, and the journal and the report show.
 */
function withCloudUpns(users: BatchUser[], facts: Facts): BatchUser[] {
  const exact = new Map(facts.cloudUsers.map((c) => [c.userPrincipalName.toLowerCase(), c.userPrincipalName]));
  return users.map((user) => {
    const upn = exact.get(user.cloudUpn.toLowerCase());
    return upn && upn !== user.cloudUpn ? { ...user, cloudUpn: upn } : user;
  });
}

/**
 * The cloud user already carries the anchor of the very account we would give its UPN, and Entra Connect
 * manages it: an ImmutableId stamped by hand on a cloud-only user is not a match (verify.ts matchedSince).
 */
export function alreadyMatched(ev: UserEvaluation): boolean {
  return Boolean(ev.cloudUser?.onPremisesImmutableId && ev.cloudUser.onPremisesSyncEnabled === true && ev.anchor && ev.cloudUser.onPremisesImmutableId === ev.anchor);
}

export async function plan(deps: EngineDeps, users: BatchUser[], options: PlanOptions, run: RunJournal | null = null): Promise<PlanResult> {
  deps.phase?.(`Reading the facts of ${users.length} user(s): AD, cloud, tenant, sync server`);
  const facts = await collectFacts(deps.io, users, {
    config: options.config,
    enableFeatureAllowed: options.enableFeature,
    featureRecord: options.featureRecord,
    adFactsChunkSize: options.adFactsChunkSize,
    now: deps.clock.now(),
    adFacts: options.adFacts,
    tenantUsers: options.tenantUsers,
  });
  const adopted = adoptExisting(withCloudUpns(users, facts), facts, run);
  // A full collection once the facts are indexed and every 10,000 rows: the garbage of the index and of the rows
  // otherwise piles up in V8's old generation until the end. A few tenths of a second at 45,000 rows.
  return { facts, evaluation: evaluate(facts, adopted, { pause: { every: 10_000, run: collectGarbage } }), users: adopted };
}

/**
 * A user of a run, as the plan sees it: ready, or blocked (with the first blocking code on its step), or
 * matched already. A user of a resumed run in the middle of a step keeps its state and takes the new findings.
 */
export function plannedUser(ev: UserEvaluation, at: string, existing?: JournalUser): JournalUser {
  const ju: JournalUser = existing ?? { cloudUpn: ev.user.cloudUpn, user: ev.user, state: 'planned', predictedMatch: ev.predictedMatch, findings: [], steps: [] };
  ju.findings = ev.findings;
  ju.predictedMatch = ev.predictedMatch;
  ju.user = ev.user;
  if (!existing || isReplannable(ju)) {
    if (ev.blocked) transition(ju, 'plan-blocked', at, { code: ev.findings.find((f) => f.severity === 'block')?.code });
    else transition(ju, 'planned', at);
  }
  if (ju.state !== 'verified' && alreadyMatched(ev)) transition(ju, 'found-matched', at, { detail: "the cloud user already carries this account's anchor" });
  return ju;
}

/** plan: read-only. */
export async function planReport(deps: EngineDeps, users: BatchUser[], options: PlanOptions): Promise<RunReport> {
  const result = await plan(deps, users, options);
  const now = deps.clock.now().toISOString();
  const reports = result.evaluation.users.map((ev) => {
    const ju = plannedUser(ev, now);
    return userReport(ju, ev, outcomeOf(ju));
  });
  return {
    runId: null,
    tenantId: result.facts.tenant.tenantId,
    mode: 'plan',
    summary: summarize(reports),
    tenantFindings: result.evaluation.tenantFindings,
    features: featuresInfo(result.facts),
    tenantLeftOpen: result.facts.tenant.features ? !result.facts.tenant.features.blockSoftMatchEnabled : null,
    relock: null,
    resumed: false,
    users: reports,
  };
}
