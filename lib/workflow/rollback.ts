// rollback --run ID: undo what a run wrote in AD for users the sync did not match (restore the previous
// UPN, remove an account the run created). A match cannot be undone this way; an account changed since
// the run is left alone. Users undone are `rolled-back`, and the run with them: `apply` of the same batch
// then starts a new run.
import type { Finding } from '../checks/types.js';
import type { Config } from '../config.js';
import type { RunReport, UserOutcome } from '../report/types.js';
import { steps, type MatchStatus } from '../steps/registry.js';
import { graphSignIn } from './collector.js';
import { failureOf, stopsRun, type EngineDeps } from './deps.js';
import type { JournalUser, RunJournal } from './journal.js';
import { findingOf, outcomeOfFailure, settledStatus, transition, undoable, type Failure } from './lifecycle.js';
import { runReport } from './run-report.js';
import { readStatus } from './verify.js';

export interface RollbackOptions {
  config: Config;
  whatIf: boolean;
  /** Told how many accounts would be undone; answers whether to go on (a prompt, or --yes). */
  confirm: (count: number) => Promise<boolean>;
}

export async function rollbackRun(deps: EngineDeps, run: RunJournal, options: RollbackOptions): Promise<RunReport> {
  const at = () => deps.clock.now().toISOString();
  const candidates = run.users.filter(undoable);
  const outcomes = new Map<JournalUser, { outcome: UserOutcome; failure?: Failure }>();
  const report = () =>
    runReport(run, {
      mode: 'rollback',
      outcome: (ju) => outcomes.get(ju)?.outcome ?? (ju.state === 'rolled-back' ? 'rolled-back' : 'skipped'),
      findings: (ju): Finding[] => {
        const failure = outcomes.get(ju)?.failure;
        const found = failure ? [findingOf(failure.code, failure.message)] : [];
        // Undoing the AD change leaves the cloud duplicate in place: say so, with what to do about it.
        if (ju.duplicate) found.push(findingOf('DuplicateCreated', `the duplicate cloud user ${ju.duplicate.userPrincipalName} (object id ${ju.duplicate.id}) stays: rollback cannot remove it`));
        return found;
      },
    });
  if (candidates.length > 0 && !(await options.confirm(candidates.length))) return report();

  const signIn = graphSignIn(options.config);
  const status = candidates.length > 0 ? await readStatus(deps, candidates, false, signIn) : new Map<string, MatchStatus>();
  const matched = new Set([...status].filter(([, s]) => s.onPremisesImmutableId).map(([upn]) => upn));
  for (const ju of candidates) {
    const ad = ju.ad!;
    if (matched.has(ju.cloudUpn.toLowerCase())) {
      transition(ju, 'rollback-skipped', at(), { detail: 'already matched: a match cannot be undone by rollback' });
      continue;
    }
    try {
      await deps.io.run(steps.adUndo, {
        ObjectGuid: ad.objectGuid,
        Action: ad.created ? 'remove' : 'restore-upn',
        ExpectedUserPrincipalName: ju.cloudUpn,
        ...(ad.previousUserPrincipalName ? { PreviousUserPrincipalName: ad.previousUserPrincipalName } : {}),
        ...(options.config.ad?.server ? { Server: options.config.ad.server } : {}),
        WhatIf: options.whatIf,
      });
    } catch (error) {
      if (stopsRun(error)) throw error;
      const failure = failureOf(error);
      transition(ju, 'rollback-refused', at(), { failure });
      // A refused undo changed nothing in AD.
      outcomes.set(ju, { outcome: outcomeOfFailure(failure.code, true), failure });
      continue;
    }
    const what = ad.created ? 'remove the created account' : `restore the UPN ${ad.previousUserPrincipalName ?? '(none)'}`;
    if (options.whatIf) {
      transition(ju, 'would', at(), { step: 'ad-undone', detail: `what-if: would ${what}` });
      outcomes.set(ju, { outcome: 'planned' });
    } else {
      transition(ju, 'rolled-back', at(), { detail: ad.created ? 'created account removed' : 'previous UPN restored' });
    }
  }
  if (!options.whatIf) {
    run.status = settledStatus(run);
    run.updatedAt = at();
    deps.journal.save(run);
  }
  return report();
}
