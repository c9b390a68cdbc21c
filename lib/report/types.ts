// The report every command prints (--json) and renders (console, CSV).
import type { Finding, Overwrite, PredictedMatch } from '../checks/types.js';

/** The steps of a user's run, in the order `apply` takes them; `ad-undone` is rollback's. */
export type StepId = 'planned' | 'feature-enabled' | 'ad-written' | 'sync-started' | 'verified' | 'ad-undone';
export type StepOutcome = 'passed' | 'failed' | 'skipped' | 'error' | 'not-run';

export interface StepRecord {
  id: StepId;
  outcome: StepOutcome;
  at: string;
  code?: string;
  detail?: string;
}

/**
 * A user's outcome: `matched`; `blocked` (a precondition stopped it, nothing written for it); `duplicate` (the
 * service created a second cloud user for the AD account instead of matching); `failed` (the
 * service refused, or the match was not seen); `error` (the tool or the environment failed, not the user's
 * data); `planned` (what-if, or plan); `skipped` (not asked, or nothing to do); `rolled-back`.
 */
export const USER_OUTCOMES = ['matched', 'blocked', 'duplicate', 'failed', 'error', 'planned', 'skipped', 'rolled-back'] as const;
export type UserOutcome = (typeof USER_OUTCOMES)[number];

export interface UserReport {
  /** Exactly as Graph returns it when the cloud user was found. */
  cloudUpn: string;
  cloudObjectId: string | null;
  samAccountName: string | null;
  adDistinguishedName: string | null;
  adObjectGuid: string | null;
  predictedMatch: PredictedMatch;
  outcome: UserOutcome;
  findings: Finding[];
  steps: StepRecord[];
  overwrites: Overwrite[];
  /** For a user the run will write: what the service does if it refuses the match (rule sheet 5). */
  ifMatchFails: string | null;
  /** What was done to the user's objects, or with --what-if what would be, one operation a line. */
  actions: string[];
  /** The batch file's columns upn-match does not know, as given. */
  extra?: Record<string, string>;
}

/**
 * What happens when the service refuses a match it was expected to make (an admin turned the soft-match block
 * on, a role was assigned, a conflict appeared after the plan): duplicate attribute resiliency, rule sheet 5.
 */
export const IF_MATCH_FAILS =
  'Entra creates a duplicate: the AD account becomes a second cloud user (name+NNNN@<tenant>.onmicrosoft.com) and no sync error is logged; verify reports it with the remedy.';

export interface RunReport {
  /** Stamped by the command line when it writes the report. */
  toolVersion?: string;
  generatedAt?: string;
  command?: string;
  runId: string | null;
  tenantId: string | null;
  mode: 'plan' | 'apply' | 'what-if' | 'verify' | 'rollback';
  summary: { total: number } & Record<UserOutcome, number>;
  tenantFindings: Finding[];
  /** Where the directory-sync features came from, and when they were read. */
  features: { source: string; readAt: string | null; error: string | null } | null;
  /** blockSoftMatchEnabled is off after the run: Microsoft advises turning it back on. */
  tenantLeftOpen: boolean | null;
  /** What `apply --relock` did: the blocks it set, or why it left the tenant open. */
  relock: Relock | null;
  resumed: boolean;
  users: UserReport[];
}

export interface Relock {
  done: boolean;
  /** The features set on (done), or that would have been. */
  features: string[];
  /** Why the tenant was left open (not done). */
  reason: string | null;
}

export function summarize(users: UserReport[]): RunReport['summary'] {
  const summary = { total: users.length } as RunReport['summary'];
  for (const outcome of USER_OUTCOMES) summary[outcome] = 0;
  for (const user of users) summary[user.outcome] += 1;
  return summary;
}
