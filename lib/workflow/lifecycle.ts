// The run lifecycle: where a user of a run stands, and the one function that moves it. Every state
// change goes through `transition` with an event from the table below, which also writes the step record
// that goes with it; nothing else assigns a state. The run's own status follows from its users.
import { codeInfo } from '../codes.js';
import type { Finding } from '../checks/types.js';
import type { StepId, StepOutcome, UserOutcome } from '../report/types.js';
import type { JournalUser, RunJournal, RunStatus, UserState } from './journal.js';

export interface Failure {
  code: string;
  message: string;
}

/**
 * The events of a user's life in a run. `from` lists the states it may happen in (anything else is a bug in
 * the workflow); `to` is the state after it ('same' for an event that only records a step); `step` is the
 * step record it writes, with `outcome` ('by-code': from the failure's code, see stepOutcomeOf).
 */
const EVENTS = {
  /** The plan (again, when a run resumes): ready, or blocked by a finding. */
  'planned': { from: ['planned', 'blocked', 'failed', 'rolled-back'], to: 'planned', step: 'planned', outcome: 'passed' },
  'plan-blocked': { from: ['planned', 'blocked', 'failed', 'rolled-back'], to: 'blocked', step: 'planned', outcome: 'skipped' },
  /** The cloud user already carries this account's anchor: nothing to do. */
  'found-matched': { from: ['planned', 'blocked', 'failed', 'ad-writing', 'ad-written', 'sync-started', 'rolled-back'], to: 'verified', step: 'verified', outcome: 'passed' },
  'feature-enabled': { from: ['planned', 'ad-writing'], to: 'same', step: 'feature-enabled', outcome: 'passed' },
  'feature-failed': { from: ['planned', 'ad-writing'], to: 'failed', step: 'feature-enabled', outcome: 'by-code' },
  /** Recorded before the write: from here on the account may have been written. */
  'write-started': { from: ['planned', 'ad-writing'], to: 'ad-writing', step: null, outcome: null },
  'written': { from: ['ad-writing'], to: 'ad-written', step: 'ad-written', outcome: 'passed' },
  /** The script refused on a precondition: nothing was written for this user. (From planned: a what-if step.) */
  'write-refused': { from: ['ad-writing', 'planned'], to: 'blocked', step: 'ad-written', outcome: 'skipped' },
  'write-failed': { from: ['ad-writing', 'planned'], to: 'failed', step: 'ad-written', outcome: 'by-code' },
  /** The write is not yet on the DC Entra Connect imports from: the run stops before the sync, the user stays written (resumable). */
  'replication-unconfirmed': { from: ['ad-written'], to: 'same', step: 'ad-written', outcome: 'by-code' },
  'sync-started': { from: ['ad-written', 'sync-started'], to: 'sync-started', step: 'sync-started', outcome: 'passed' },
  'sync-failed': { from: ['sync-started', 'planned'], to: 'failed', step: 'sync-started', outcome: 'by-code' },
  /** `verify --run`: a user whose account was written waits for the match again. */
  'verify-again': { from: ['ad-written', 'sync-started', 'failed', 'duplicated'], to: 'sync-started', step: null, outcome: null },
  'verified': { from: ['sync-started'], to: 'verified', step: 'verified', outcome: 'passed' },
  'anchor-mismatch': { from: ['sync-started'], to: 'failed', step: 'verified', outcome: 'failed' },
  /** Another cloud user carries the account's anchor: the service provisioned it instead of matching. */
  'duplicate-found': { from: ['sync-started'], to: 'duplicated', step: 'verified', outcome: 'failed' },
  'verify-timeout': { from: ['sync-started'], to: 'same', step: 'verified', outcome: 'failed' },
  /** (From planned or blocked: a written user planned again in a resumed run; its change is still in AD.) */
  'rolled-back': { from: ['ad-written', 'sync-started', 'failed', 'duplicated', 'planned', 'blocked'], to: 'rolled-back', step: 'ad-undone', outcome: 'passed' },
  /** Rollback left the account alone: the undo was refused or failed (with its code), or there was nothing to undo. */
  'rollback-refused': { from: 'any', to: 'same', step: 'ad-undone', outcome: 'by-code' },
  'rollback-skipped': { from: 'any', to: 'same', step: 'ad-undone', outcome: 'skipped' },
  /** --what-if: the step that would run, recorded as skipped; the state does not move. */
  'would': { from: 'any', to: 'same', step: 'by-caller', outcome: 'skipped' },
} as const satisfies Record<string, { from: readonly UserState[] | 'any'; to: UserState | 'same'; step: StepId | 'by-caller' | null; outcome: StepOutcome | 'by-code' | null }>;

export type UserEvent = keyof typeof EVENTS;

export class LifecycleError extends Error {
  override readonly name = 'LifecycleError';
}

/** A failed step's outcome: `error` when the tool or the environment failed, `skipped` when a precondition stopped it, else `failed`. */
export function stepOutcomeOf(code: string): StepOutcome {
  const { kind } = codeInfo(code);
  if (kind === 'environment' || kind === 'bug') return 'error';
  if (kind === 'precondition') return 'skipped';
  return 'failed';
}

export interface TransitionDetails {
  /** Why the user failed or was refused: recorded on the user (`error`) and on the step. */
  failure?: Failure;
  /** A code for the step without failing the user (a block's code, VerifyTimeout). */
  code?: string;
  detail?: string;
  /** For `would`: which step would run. */
  step?: StepId;
}

/** Whether the event may happen to the user in its present state. */
export function canHappen(ju: JournalUser, event: UserEvent): boolean {
  const from = EVENTS[event].from;
  return from === 'any' || (from as readonly UserState[]).includes(ju.state);
}

/** Moves a user by an event and writes its step record. Throws LifecycleError on an event its state does not allow. */
export function transition(ju: JournalUser, event: UserEvent, at: string, details: TransitionDetails = {}): void {
  const rule = EVENTS[event];
  if (!canHappen(ju, event)) {
    throw new LifecycleError(`${ju.cloudUpn}: '${event}' cannot happen to a user in state '${ju.state}'`);
  }
  const code = details.failure?.code ?? details.code;
  const stepId = rule.step === 'by-caller' ? details.step : rule.step;
  if (stepId) {
    const outcome = rule.outcome === 'by-code' ? (code ? stepOutcomeOf(code) : 'failed') : (rule.outcome as StepOutcome);
    const detail = details.detail ?? details.failure?.message;
    ju.steps.push({ id: stepId, outcome, at, ...(code ? { code } : {}), ...(detail ? { detail } : {}) });
  }
  if (rule.to === 'same') return;
  ju.state = rule.to;
  if (details.failure) ju.error = details.failure;
  else delete ju.error;
  if (rule.to === 'planned' || rule.to === 'blocked') {
    // Planned anew (a resumed run, or a batch applied again after rollback): what an earlier attempt wrote is
    // no longer this run's to claim, unless a write is still open (`ad-writing` never reaches here).
    if (ju.rolledBack) {
      delete ju.ad;
      delete ju.adBefore;
      delete ju.rolledBack;
    }
  }
  if (rule.to === 'rolled-back') ju.rolledBack = true;
}

/** States the plan may put a user in again when its run resumes; the others are in the middle of a step, or done. */
export function isReplannable(ju: JournalUser): boolean {
  return (EVENTS.planned.from as readonly UserState[]).includes(ju.state);
}

/** Where a run stands, for the sentence an interrupted run ends with: AD writes done, matched, still to do. */
export function progressOf(run: RunJournal): { users: number; written: number; matched: number; notYet: number } {
  const written = run.users.filter((ju) => ['ad-written', 'sync-started', 'verified', 'duplicated'].includes(ju.state)).length;
  const matched = run.users.filter((ju) => ju.state === 'verified').length;
  // A write in progress counts as not yet: the resumed run reads the account first and repeats nothing done.
  const notYet = run.users.filter((ju) => ju.state === 'planned' || ju.state === 'ad-writing').length;
  return { users: run.users.length, written, matched, notYet };
}

/** States in which the run still owes the user something: a write to finish, a sync or a verification. */
const OPEN: readonly UserState[] = ['ad-writing', 'ad-written', 'sync-started'];

export function isOpen(ju: JournalUser): boolean {
  return OPEN.includes(ju.state);
}

/** Users whose account the run wrote and who are not matched: what `verify --run` looks at again. */
export function awaitingMatch(ju: JournalUser): boolean {
  return Boolean(ju.ad) && canHappen(ju, 'verify-again');
}

/** Users whose AD change by the run is still in place and may be undone. */
export function undoable(ju: JournalUser): boolean {
  return Boolean(ju.ad && (ju.ad.changed || ju.ad.created)) && canHappen(ju, 'rolled-back');
}

/** The run's status once a command is done with it: open while any user is; rolled back when any was. */
export function settledStatus(run: RunJournal): RunStatus {
  if (run.users.some(isOpen)) return 'incomplete';
  if (run.users.some((u) => u.state === 'rolled-back')) return 'rolled-back';
  return 'done';
}

/** Whether `apply` of the same batch goes on with this run rather than starting a new one. */
export function isResumable(run: RunJournal): boolean {
  return run.status === 'running' || run.status === 'incomplete';
}

/** The user's outcome in a report. */
export function outcomeOf(ju: JournalUser): UserOutcome {
  switch (ju.state) {
    case 'verified':
      return 'matched';
    case 'blocked':
      return 'blocked';
    case 'planned':
      return 'planned';
    case 'rolled-back':
      return 'rolled-back';
    case 'duplicated':
      return 'duplicate';
    case 'failed':
      return outcomeOfFailure(ju.error?.code ?? 'UnexpectedError', false);
    case 'ad-written': {
      // Written and stopped before the sync by a step's code (the change not yet on the sync's DC): that code's outcome.
      const code = ju.steps.at(-1)?.code;
      return code ? outcomeOfFailure(code, false) : 'failed';
    }
    default:
      // Written, maybe synced, not seen matched: the run has not done what it was asked.
      return 'failed';
  }
}

/**
 * The outcome a failure's code gives a user: `error` when the tool or the environment failed; `blocked` when a
 * precondition stopped a step that had done nothing yet for the user; else `failed`.
 */
export function outcomeOfFailure(code: string, nothingDone: boolean): UserOutcome {
  const { kind } = codeInfo(code);
  if (kind === 'environment' || kind === 'bug') return 'error';
  return kind === 'precondition' && nothingDone ? 'blocked' : 'failed';
}

/** A finding for a code the workflow met (not a precondition rule), with the catalogue's remedy. */
export function findingOf(code: string, message: string): Finding {
  return { code, severity: codeInfo(code).kind === 'warning' ? 'warn' : 'block', message, hint: codeInfo(code).remedy };
}

/** The user's findings in a report: the plan's, then the failure that stopped it or the wait that timed out. */
export function findingsOf(ju: JournalUser): Finding[] {
  if (ju.error && ju.state !== 'rolled-back') return [...ju.findings, findingOf(ju.error.code, ju.error.message)];
  const last = ju.steps.at(-1);
  if (ju.state === 'sync-started' && last?.code === 'VerifyTimeout') {
    return [...ju.findings, findingOf('VerifyTimeout', `${ju.cloudUpn} was not seen matched before the time limit`)];
  }
  if (ju.state === 'ad-written' && last?.code === 'AdChangeNotOnSyncDc') {
    return [...ju.findings, findingOf('AdChangeNotOnSyncDc', last.detail ?? `${ju.cloudUpn}: the AD change is not yet on the DC Entra Connect imports from`)];
  }
  return ju.findings;
}
