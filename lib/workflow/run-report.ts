// The report of a run, built from its journal: the same type for plan, apply, verify and rollback.
import type { Evaluation, Finding, UserEvaluation } from '../checks/types.js';
import { RUN_ID } from '../codes.js';
import type { Facts } from '../facts.js';
import { IF_MATCH_FAILS, summarize, type RunReport, type UserOutcome, type UserReport } from '../report/types.js';
import type { JournalUser, RunJournal } from './journal.js';
import { findingsOf, outcomeOf } from './lifecycle.js';

export function featuresInfo(facts: Facts): RunReport['features'] {
  return { source: facts.tenant.featuresSource, readAt: facts.tenant.featuresReadAt, error: facts.tenant.featuresError };
}

export function userReport(ju: JournalUser, ev: UserEvaluation | undefined, outcome: UserOutcome = outcomeOf(ju)): UserReport {
  return {
    cloudUpn: ju.cloudUpn,
    cloudObjectId: ju.snapshot?.id ?? ev?.cloudUser?.id ?? null,
    samAccountName: ju.ad?.samAccountName ?? ju.user.samAccountName ?? ev?.adUser?.SamAccountName ?? null,
    adDistinguishedName: ju.ad?.distinguishedName ?? ev?.adUser?.DistinguishedName ?? ju.user.distinguishedName ?? null,
    adObjectGuid: ju.ad?.objectGuid ?? ev?.adUser?.ObjectGUID ?? null,
    predictedMatch: ju.predictedMatch,
    outcome,
    findings: findingsOf(ju),
    steps: ju.steps,
    overwrites: ev?.overwrites ?? [],
    ifMatchFails: ju.state === 'planned' || ju.state === 'ad-writing' || ju.state === 'ad-written' ? IF_MATCH_FAILS : null,
    actions: ju.steps.flatMap((s) => (s.detail ? [s.detail] : [])),
    ...(ju.user.extra ? { extra: ju.user.extra } : {}),
  };
}

export interface RunReportParts {
  mode: RunReport['mode'];
  resumed?: boolean;
  /** The plan behind the run (apply), for the tenant findings, the features and the overwrites. */
  plan?: { evaluation: Evaluation; facts: Facts };
  /** A user's outcome other than its state's (what-if: `planned`; rollback: what the command did to it). */
  outcome?: (ju: JournalUser) => UserOutcome;
  /** A user's findings other than its plan's and its failure's (rollback: only what the undo met). */
  findings?: (ju: JournalUser) => Finding[];
}

export function runReport(run: RunJournal, parts: RunReportParts): RunReport {
  const evByUpn = new Map(parts.plan?.evaluation.users.map((ev) => [ev.user.cloudUpn.toLowerCase(), ev]) ?? []);
  const users = run.users.map((ju) => {
    const user = userReport(ju, evByUpn.get(ju.cloudUpn.toLowerCase()), parts.outcome?.(ju) ?? outcomeOf(ju));
    const findings = parts.findings ? parts.findings(ju) : user.findings;
    // A remedy names the command to run next: with this run's id, not a placeholder.
    return { ...user, findings: parts.mode === 'what-if' ? findings : findings.map((f) => ({ ...f, hint: f.hint.split(RUN_ID).join(run.runId) })) };
  });
  return {
    runId: parts.mode === 'what-if' ? null : run.runId,
    tenantId: parts.plan?.facts.tenant.tenantId ?? run.tenantId ?? null,
    mode: parts.mode,
    summary: summarize(users),
    tenantFindings: parts.plan?.evaluation.tenantFindings ?? [],
    features: parts.plan ? featuresInfo(parts.plan.facts) : null,
    tenantLeftOpen: run.tenantLeftOpen ?? null,
    relock: run.relock ?? null,
    resumed: parts.resumed ?? false,
    users,
  };
}
