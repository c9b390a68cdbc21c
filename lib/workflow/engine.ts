// The step engine: plan, apply, verify, rollback. Pure orchestration: PowerShell is reached
// only through StepIO, the journal through JournalStore, time through the clock passed in.
import { guidToImmutableId } from '../anchor.js';
import type { BatchUser } from '../batch/types.js';
import { isBridgeError } from '../bridge/errors.js';
import { evaluate } from '../checks/evaluate.js';
import type { Evaluation, Finding, UserEvaluation } from '../checks/types.js';
import type { Config } from '../config.js';
import type { Facts } from '../facts.js';
import { summarize, type RunReport, type UserReport } from '../report/types.js';
import { AD_WRITE_CHUNK_MAX, steps, type AdWriteItem, type AdWriteOutput } from '../steps/registry.js';
import { collectFacts, graphSignIn, syncServerName, type FeatureRecord } from './collector.js';
import type { StepIO } from './io.js';
import { batchKey, newRunId, type JournalStore, type JournalUser, type RunJournal, type StepId, type StepOutcome } from './journal.js';

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface EngineDeps {
  io: StepIO;
  journal: JournalStore;
  clock: Clock;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string, meta?: Record<string, unknown>) => void;
  /** Told how far the AD writes are (for a progress bar). */
  progress?: (done: number, total: number) => void;
}

export interface PlanOptions {
  config: Config;
  enableFeature: boolean;
  featureRecord?: FeatureRecord | null;
  /** Users per AD facts call (default 1000). */
  adFactsChunkSize?: number;
}

export interface ApplyOptions extends PlanOptions {
  whatIf: boolean;
  relock: boolean;
  /** Shown the plan; answers whether to go on (a prompt, or --yes). */
  confirm: (plan: RunReport) => Promise<boolean>;
  verifyTimeoutMs: number;
  verifyPollMs: number;
  syncWaitSeconds?: number;
  syncPollMs?: number;
  /** Users per AD write call (default 50, at most AD_WRITE_CHUNK_MAX). */
  adWriteChunkSize?: number;
}

const AD_WRITE_CHUNK = 50;

export interface PlanResult {
  facts: Facts;
  evaluation: Evaluation;
  users: BatchUser[];
}

/** The anchor Entra Connect will give the cloud user once it joins this AD account. */
function anchorOf(ad: { ObjectGUID: string; consistencyGuid: string | null }): string {
  return ad.consistencyGuid ?? guidToImmutableId(ad.ObjectGUID);
}

/**
 * A create row whose account already exists with exactly the cloud UPN (made by an earlier,
 * interrupted run, or by hand) becomes an update of that account: writing is then a no-op.
 */
function adoptExisting(users: BatchUser[], facts: Facts, run: RunJournal | null): BatchUser[] {
  return users.map((user) => {
    const recorded = run?.users.find((u) => u.cloudUpn.toLowerCase() === user.cloudUpn.toLowerCase())?.ad;
    if (recorded?.distinguishedName) return { ...user, create: false, distinguishedName: recorded.distinguishedName, samAccountName: null };
    if (!user.create || !user.samAccountName) return user;
    const sam = user.samAccountName.toLowerCase();
    const existing = facts.adUsers.find((a) => a.SamAccountName.toLowerCase() === sam && a.UserPrincipalName === user.cloudUpn);
    return existing ? { ...user, create: false, distinguishedName: existing.DistinguishedName, samAccountName: null } : user;
  });
}

/** The cloud user already carries the anchor of the very account we would give its UPN. */
function alreadyMatched(ev: UserEvaluation): boolean {
  return Boolean(ev.cloudUser?.onPremisesImmutableId && ev.adUser && ev.cloudUser.onPremisesImmutableId === anchorOf(ev.adUser));
}

export async function plan(deps: EngineDeps, users: BatchUser[], options: PlanOptions, run: RunJournal | null = null): Promise<PlanResult> {
  const facts = await collectFacts(deps.io, users, {
    config: options.config,
    enableFeatureAllowed: options.enableFeature,
    featureRecord: options.featureRecord,
    adFactsChunkSize: options.adFactsChunkSize,
  });
  const adopted = adoptExisting(users, facts, run);
  return { facts, evaluation: evaluate(facts, adopted), users: adopted };
}

function featuresInfo(facts: Facts): RunReport['features'] {
  return { source: facts.tenant.featuresSource, readAt: facts.tenant.featuresReadAt, error: facts.tenant.featuresError };
}

function userReport(ju: JournalUser, ev: UserEvaluation | undefined, outcome: UserReport['outcome']): UserReport {
  return {
    cloudUpn: ju.cloudUpn,
    samAccountName: ju.user.samAccountName ?? ev?.adUser?.SamAccountName ?? null,
    predictedMatch: ju.predictedMatch,
    outcome,
    findings: ju.error ? [...ju.findings, { code: ju.error.code, severity: 'block', message: ju.error.message, hint: hintFor(ju.error.code) }] : ju.findings,
    steps: ju.steps,
    overwrites: ev?.overwrites ?? [],
  };
}

const HINTS: Record<string, string> = {
  VerifyTimeout: 'the sync ran but the cloud user does not carry the anchor yet: run `upn-match verify --run RUN` later, and check the Entra Connect export errors',
  AnchorMismatch: 'the cloud user was joined to another on-premises object: check the Entra Connect connector space and the cloud user',
  StagingMode: 'run upn-match against the active Entra Connect server, not the one in staging mode',
  SyncCycleBusy: 'a sync cycle kept running: try again later',
  DelegatedSignInRequired: 'run `upn-match feature enable-upn-soft-match` interactively as a Global Administrator',
};

function hintFor(code: string): string {
  return HINTS[code] ?? 'see the log file for details, fix the cause, and run the same command again (it resumes)';
}

/** plan: read-only. */
export async function planReport(deps: EngineDeps, users: BatchUser[], options: PlanOptions): Promise<RunReport> {
  const result = await plan(deps, users, options);
  const now = deps.clock.now().toISOString();
  const reports = result.evaluation.users.map((ev) => {
    const matched = alreadyMatched(ev);
    const ju: JournalUser = newJournalUser(ev, now);
    return userReport(ju, ev, matched ? 'matched' : ev.blocked ? 'blocked' : 'planned');
  });
  return {
    runId: null,
    mode: 'plan',
    summary: summarize(reports),
    tenantFindings: result.evaluation.tenantFindings,
    features: featuresInfo(result.facts),
    tenantLeftOpen: result.facts.tenant.features ? !result.facts.tenant.features.blockSoftMatchEnabled : null,
    resumed: false,
    users: reports,
  };
}

function newJournalUser(ev: UserEvaluation, at: string): JournalUser {
  return {
    cloudUpn: ev.user.cloudUpn,
    user: ev.user,
    state: ev.blocked ? 'blocked' : 'planned',
    predictedMatch: ev.predictedMatch,
    findings: ev.findings,
    steps: [{ id: 'planned', outcome: ev.blocked ? 'failed' : 'passed', at, ...(ev.blocked ? { code: ev.findings.find((f) => f.severity === 'block')?.code } : {}) }],
  };
}

function record(ju: JournalUser, id: StepId, outcome: StepOutcome, at: string, extra: { code?: string; detail?: string } = {}): void {
  ju.steps.push({ id, outcome, at, ...extra });
}

function failureOf(error: unknown): { code: string; message: string } {
  if (isBridgeError(error)) return { code: error.code, message: error.message };
  return { code: 'UnexpectedError', message: error instanceof Error ? error.message : String(error) };
}

/** Environment failures stop the whole run (nothing can work); others fail one user. */
export function isEnvironmentFailure(error: unknown): boolean {
  return isBridgeError(error) && (error.reason === 'host-missing' || ['GraphLoginFailed', 'GraphConfigMissing', 'GraphAccessDenied'].includes(error.code));
}

/** What the AD write needs for one user: the account the plan found (written without another read), or a name, or a create. */
function adWriteItem(ev: UserEvaluation): AdWriteItem {
  const user = ev.user;
  if (user.create) {
    return { UserPrincipalName: user.cloudUpn, Create: true, SamAccountName: user.samAccountName ?? undefined, GivenName: user.givenName ?? undefined, Surname: user.surname ?? undefined, Path: user.ou ?? undefined };
  }
  if (ev.adUser) {
    return {
      UserPrincipalName: user.cloudUpn,
      ObjectGuid: ev.adUser.ObjectGUID,
      DistinguishedName: ev.adUser.DistinguishedName,
      SamAccountName: ev.adUser.SamAccountName,
      PreviousUserPrincipalName: ev.adUser.UserPrincipalName ?? '',
    };
  }
  return user.distinguishedName ? { UserPrincipalName: user.cloudUpn, DistinguishedName: user.distinguishedName } : { UserPrincipalName: user.cloudUpn, SamAccountName: user.samAccountName ?? undefined };
}

export async function apply(deps: EngineDeps, batch: BatchUser[], options: ApplyOptions): Promise<RunReport> {
  const { io, journal, clock } = deps;
  const log = deps.log ?? (() => undefined);
  const at = () => clock.now().toISOString();
  const key = batchKey(batch);
  const resumedRun = options.whatIf ? null : journal.resumable(key);
  const result = await plan(deps, batch, options, resumedRun);
  const { facts, evaluation } = result;
  const evByUpn = new Map(evaluation.users.map((ev) => [ev.user.cloudUpn.toLowerCase(), ev]));
  const run: RunJournal = resumedRun ?? {
    runId: newRunId(clock.now()),
    batchKey: key,
    mode: 'apply',
    startedAt: at(),
    updatedAt: at(),
    status: 'running',
    featureEnabled: false,
    sync: { state: 'not-run' },
    users: [],
  };
  // Persisting is skipped with --what-if: it writes nothing, the journal included.
  const save = () => {
    if (options.whatIf) return;
    run.updatedAt = at();
    journal.save(run);
  };

  for (const ev of evaluation.users) {
    const existing = run.users.find((u) => u.cloudUpn.toLowerCase() === ev.user.cloudUpn.toLowerCase());
    if (existing) {
      existing.findings = ev.findings;
      existing.predictedMatch = ev.predictedMatch;
      existing.user = ev.user;
      if (existing.state === 'blocked' || existing.state === 'planned' || existing.state === 'failed') {
        existing.state = ev.blocked ? 'blocked' : 'planned';
        delete existing.error;
      }
    } else {
      run.users.push(newJournalUser(ev, at()));
    }
  }
  for (const ju of run.users) {
    const ev = evByUpn.get(ju.cloudUpn.toLowerCase());
    if (ju.state !== 'verified' && ev && alreadyMatched(ev)) {
      ju.state = 'verified';
      record(ju, 'verified', 'passed', at(), { detail: 'the cloud user already carries this account\'s anchor' });
    }
  }

  const preview = buildReport(run, evByUpn, evaluation, facts, options.whatIf ? 'what-if' : 'apply', Boolean(resumedRun), null);
  if (!(await options.confirm(preview))) {
    for (const u of preview.users) if (u.outcome === 'planned') u.outcome = 'skipped';
    preview.summary = summarize(preview.users);
    return preview;
  }
  save();

  const pending = () => run.users.filter((u) => u.state === 'planned' || u.state === 'ad-writing' || u.state === 'ad-written' || u.state === 'sync-started');
  const signIn = graphSignIn(options.config);

  // 1. The tenant feature, only when allowed and needed.
  const toWrite = run.users.filter((u) => u.state === 'planned' || u.state === 'ad-writing');
  if (toWrite.length > 0 && evaluation.tenantFindings.some((f) => f.code === 'UpnSoftMatchWillBeEnabled') && !run.featureEnabled) {
    try {
      const out = await io.run(steps.enableFeature, { Feature: 'softMatchOnUpnEnabled', Enable: true, Cloud: options.config.cloud, WhatIf: options.whatIf, ...signIn });
      run.featureEnabled = !options.whatIf;
      for (const ju of toWrite) record(ju, 'feature-enabled', options.whatIf ? 'skipped' : 'passed', at(), { detail: out.changed ? 'UPN soft match enabled' : 'what-if: would enable UPN soft match' });
      log('info', options.whatIf ? 'what-if: would enable UPN soft match' : 'UPN soft match enabled in the tenant');
    } catch (error) {
      if (isEnvironmentFailure(error)) throw error;
      const failure = failureOf(error);
      for (const ju of toWrite) {
        ju.state = 'failed';
        ju.error = failure;
        record(ju, 'feature-enabled', 'error', at(), { code: failure.code, detail: failure.message });
      }
      save();
    }
  }

  // 2. AD writes, a chunk of users per call (one journal save before it and one after); one user's
  //    failure does not stop the others. A resumed chunk repeats no write: the script leaves an account
  //    that already carries its UPN alone.
  const writes = run.users
    .filter((u) => u.state === 'planned' || u.state === 'ad-writing')
    .flatMap((ju) => {
      const ev = evByUpn.get(ju.cloudUpn.toLowerCase());
      return ev ? [{ ju, ev }] : [];
    });
  const chunkSize = Math.min(Math.max(1, options.adWriteChunkSize ?? AD_WRITE_CHUNK), AD_WRITE_CHUNK_MAX);
  const failWrite = (ju: JournalUser, failure: { code: string; message: string }) => {
    ju.state = 'failed';
    ju.error = failure;
    record(ju, 'ad-written', 'error', at(), { code: failure.code, detail: failure.message });
    log('error', `AD write failed for ${ju.cloudUpn}: ${failure.message}`, { code: failure.code });
  };
  for (let start = 0; start < writes.length; start += chunkSize) {
    deps.progress?.(start, writes.length);
    const chunk = writes.slice(start, start + chunkSize);
    const resumed = new Set<JournalUser>();
    for (const { ju, ev } of chunk) {
      if (ju.adBefore) resumed.add(ju);
      else ju.adBefore = { objectGuid: ev.adUser?.ObjectGUID ?? null, userPrincipalName: ev.adUser?.UserPrincipalName ?? null, create: Boolean(ev.user.create) };
      ju.state = 'ad-writing';
      if (ev.cloudUser) ju.snapshot = ev.cloudUser;
    }
    save();
    let results: { result: AdWriteOutput | null; error: { code: string; message: string } | null }[];
    // A user's error reported by the script means its write did not happen; a failed call may have written.
    let answered = false;
    try {
      const out = await io.run(steps.adWrite, {
        Users: chunk.map(({ ev }) => adWriteItem(ev)),
        ...(options.config.ad?.server ? { Server: options.config.ad.server } : {}),
        WhatIf: options.whatIf,
      });
      // One result per user, in order: anything else is a broken script, and no result is trusted.
      const inOrder = out.results.length === chunk.length && out.results.every((r, k) => r.userPrincipalName === chunk[k]?.ev.user.cloudUpn);
      if (!inOrder) throw new Error(`the AD write returned ${out.results.length} results for ${chunk.length} users, or not in order`);
      results = out.results;
      answered = true;
    } catch (error) {
      if (isEnvironmentFailure(error)) throw error;
      const failure = failureOf(error);
      results = chunk.map(() => ({ result: null, error: failure }));
    }
    chunk.forEach(({ ju, ev }, k) => {
      const { result: out, error } = results[k] ?? { result: null, error: { code: 'UnexpectedError', message: 'no result' } };
      const user = ev.user;
      if (error || !out) {
        if (answered) delete ju.adBefore;
        return failWrite(ju, error ?? { code: 'UnexpectedError', message: 'no result' });
      }
      if (options.whatIf) {
        ju.state = 'planned';
        record(ju, 'ad-written', 'skipped', at(), { detail: `what-if: would ${user.create ? 'create' : 'update'} the account with UPN ${user.cloudUpn}` });
        return;
      }
      if (!out.objectGuid) return failWrite(ju, { code: 'UnexpectedError', message: 'the AD write returned no objectGUID' });
      const adUser = ev.adUser;
      // A resumed write that found its work done (the run stopped between the write and the journal): the
      // change is still this run's, with the UPN the first attempt saw, so that rollback can undo it.
      const before = resumed.has(ju) && !out.changed && !out.created ? ju.adBefore : undefined;
      const createdEarlier = Boolean(before?.create);
      const changedEarlier = Boolean(before && !before.create && before.objectGuid?.toLowerCase() === out.objectGuid.toLowerCase() && before.userPrincipalName !== user.cloudUpn);
      ju.ad = {
        objectGuid: out.objectGuid,
        distinguishedName: out.distinguishedName,
        samAccountName: out.samAccountName,
        previousUserPrincipalName: changedEarlier ? (before?.userPrincipalName ?? null) : out.previousUserPrincipalName,
        created: out.created || createdEarlier,
        changed: out.changed || changedEarlier,
        anchor: adUser && adUser.ObjectGUID.toLowerCase() === out.objectGuid.toLowerCase() ? anchorOf(adUser) : guidToImmutableId(out.objectGuid),
      };
      ju.state = 'ad-written';
      record(ju, 'ad-written', 'passed', at(), { detail: out.created ? 'account created' : out.changed ? `UPN changed from ${out.previousUserPrincipalName ?? '(none)'}` : 'account already carried the UPN' });
      log('debug', `AD account for ${ju.cloudUpn}: ${out.created ? 'created' : out.changed ? 'updated' : 'unchanged'}`, { objectGuid: out.objectGuid });
    });
    save();
  }

  if (writes.length > 0) deps.progress?.(writes.length, writes.length);

  // 3. One delta sync for the whole batch.
  const toSync = run.users.filter((u) => u.state === 'ad-written' || (u.state === 'sync-started' && run.sync.state !== 'completed'));
  if (toSync.length > 0 || options.whatIf) {
    const syncUsers = options.whatIf ? run.users.filter((u) => u.state === 'planned') : toSync;
    if (!options.whatIf) {
      run.sync = { state: 'started', startedAt: at() };
      for (const ju of toSync) {
        ju.state = 'sync-started';
        record(ju, 'sync-started', 'passed', at());
      }
      save();
    }
    try {
      const out = await io.run(steps.deltaSync, {
        ComputerName: syncServerName(options.config),
        WhatIf: options.whatIf,
        ...(options.syncWaitSeconds !== undefined ? { WaitForRunningSeconds: options.syncWaitSeconds } : {}),
        ...(options.syncPollMs !== undefined ? { PollMilliseconds: options.syncPollMs } : {}),
      });
      if (options.whatIf) {
        for (const ju of syncUsers) record(ju, 'sync-started', 'skipped', at(), { detail: 'what-if: would run one delta sync' });
      } else {
        run.sync = { ...run.sync, state: out.completed ? 'completed' : 'started', completedAt: out.completedAt ?? undefined };
        log('info', `delta sync ${out.completed ? 'completed' : 'still running after the wait'}`);
      }
    } catch (error) {
      if (isEnvironmentFailure(error)) throw error;
      const failure = failureOf(error);
      run.sync = { ...run.sync, state: 'failed', error: failure.message };
      for (const ju of syncUsers) {
        ju.state = 'failed';
        ju.error = failure;
        record(ju, 'sync-started', 'error', at(), { code: failure.code, detail: failure.message });
      }
      log('error', `delta sync failed: ${failure.message}`, { code: failure.code });
    }
    save();
  }

  // 4. Verify, in bulk, with backoff.
  if (!options.whatIf) {
    const waiting = run.users.filter((u) => u.state === 'sync-started');
    await verifyUsers(deps, waiting, options, signIn);
    save();
  }

  // 5. Close the door again when asked (Microsoft's advice once matching is done).
  let relocked = false;
  if (options.relock && !options.whatIf) {
    try {
      await io.run(steps.enableFeature, { Feature: 'blockSoftMatchEnabled', Enable: true, Cloud: options.config.cloud, ...signIn });
      relocked = true;
    } catch (error) {
      log('warn', `could not set blockSoftMatchEnabled back on: ${failureOf(error).message}`);
    }
  }
  if (!pending().some((u) => u.state !== 'planned')) run.status = 'done';
  const features = facts.tenant.features;
  run.tenantLeftOpen = relocked ? false : features ? !features.blockSoftMatchEnabled : undefined;
  save();
  return buildReport(run, evByUpn, evaluation, facts, options.whatIf ? 'what-if' : 'apply', Boolean(resumedRun), run.tenantLeftOpen ?? null);
}

/** Polls the cloud until every user carries its anchor, or the time is up. */
export async function verifyUsers(
  deps: EngineDeps,
  users: JournalUser[],
  options: { verifyTimeoutMs: number; verifyPollMs: number },
  signIn: ReturnType<typeof graphSignIn>,
): Promise<void> {
  const at = () => deps.clock.now().toISOString();
  const deadline = deps.clock.now().getTime() + options.verifyTimeoutMs;
  let wait = options.verifyPollMs;
  let open = users.filter((u) => u.ad);
  while (open.length > 0) {
    const status = await deps.io.run(steps.matchStatus, { UserPrincipalName: open.map((u) => u.cloudUpn), ...signIn });
    const byUpn = new Map(status.users.map((s) => [s.userPrincipalName.toLowerCase(), s]));
    for (const ju of open) {
      const s = byUpn.get(ju.cloudUpn.toLowerCase());
      if (!s?.onPremisesImmutableId) continue;
      if (s.onPremisesImmutableId === ju.ad?.anchor) {
        ju.state = 'verified';
        record(ju, 'verified', 'passed', at(), { detail: 'the cloud user carries the on-premises anchor' });
      } else {
        ju.state = 'failed';
        ju.error = { code: 'AnchorMismatch', message: `${ju.cloudUpn} was joined to another on-premises object (anchor ${s.onPremisesImmutableId})` };
        record(ju, 'verified', 'failed', at(), { code: 'AnchorMismatch' });
      }
    }
    open = open.filter((u) => u.state === 'sync-started' || u.state === 'ad-written');
    if (open.length === 0) break;
    if (deps.clock.now().getTime() + wait > deadline) {
      for (const ju of open) record(ju, 'verified', 'failed', at(), { code: 'VerifyTimeout', detail: 'not matched before the time limit' });
      break;
    }
    await deps.clock.sleep(wait);
    wait = Math.min(wait * 2, 60_000);
  }
}

export function outcomeOf(ju: JournalUser): UserReport['outcome'] {
  switch (ju.state) {
    case 'verified':
      return 'matched';
    case 'blocked':
      return 'blocked';
    case 'planned':
      return 'planned';
    default:
      return 'failed';
  }
}

function buildReport(
  run: RunJournal,
  evByUpn: Map<string, UserEvaluation>,
  evaluation: Evaluation,
  facts: Facts,
  mode: RunReport['mode'],
  resumed: boolean,
  tenantLeftOpen: boolean | null,
): RunReport {
  const users = run.users.map((ju) => {
    const report = userReport(ju, evByUpn.get(ju.cloudUpn.toLowerCase()), outcomeOf(ju));
    const timedOut = ju.steps.at(-1)?.code === 'VerifyTimeout';
    if (timedOut && !ju.error) report.findings = [...report.findings, timeoutFinding(ju)];
    return report;
  });
  return {
    runId: mode === 'what-if' ? null : run.runId,
    mode,
    summary: summarize(users),
    tenantFindings: evaluation.tenantFindings,
    features: featuresInfo(facts),
    tenantLeftOpen,
    resumed,
    users,
  };
}

function timeoutFinding(ju: JournalUser): Finding {
  return { code: 'VerifyTimeout', severity: 'block', message: `${ju.cloudUpn} was not seen matched before the time limit`, hint: hintFor('VerifyTimeout') };
}
