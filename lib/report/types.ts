// The report every command prints (--json) and renders (console, CSV).
import type { Finding, Overwrite, PredictedMatch } from '../checks/types.js';
import type { StepRecord } from '../workflow/journal.js';

export type UserOutcome = 'matched' | 'blocked' | 'failed' | 'planned' | 'skipped';

export interface UserReport {
  cloudUpn: string;
  samAccountName: string | null;
  predictedMatch: PredictedMatch;
  outcome: UserOutcome;
  findings: Finding[];
  steps: StepRecord[];
  overwrites: Overwrite[];
}

export interface RunReport {
  runId: string | null;
  mode: 'plan' | 'apply' | 'what-if' | 'verify' | 'rollback';
  summary: { total: number; matched: number; blocked: number; failed: number; planned: number; skipped: number };
  tenantFindings: Finding[];
  /** Where the directory-sync features came from, and when they were read. */
  features: { source: string; readAt: string | null; error: string | null } | null;
  /** blockSoftMatchEnabled is off after the run: Microsoft advises turning it back on. */
  tenantLeftOpen: boolean | null;
  resumed: boolean;
  users: UserReport[];
}

export function summarize(users: UserReport[]): RunReport['summary'] {
  const count = (o: UserOutcome) => users.filter((u) => u.outcome === o).length;
  return { total: users.length, matched: count('matched'), blocked: count('blocked'), failed: count('failed'), planned: count('planned'), skipped: count('skipped') };
}
