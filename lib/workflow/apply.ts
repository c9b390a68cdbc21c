// apply: a short sequence of phases over one run — prepare (plan, resume, confirm), enable the feature,
// write AD, one delta sync, verify, relock — each deciding once what --what-if changes for it. Users move
// only through lifecycle.ts; the journal is saved before and after every write (never with --what-if).
import os from 'node:os';
import { anchorOf, guidToImmutableId } from '../anchor.js';
import type { BatchUser } from '../batch/types.js';
import { codeInfo } from '../codes.js';
import type { UserEvaluation } from '../checks/types.js';
import type { RunReport } from '../report/types.js';
import { AD_WRITE_CHUNK_MAX, steps, type AdWriteItem, type AdWriteOutput } from '../steps/registry.js';
import { graphSignIn, syncServerName } from './collector.js';
import { failureOf, stopsRun, type EngineDeps, type LogLevel } from './deps.js';
import { batchKey, newRunId, type JournalUser, type RunJournal } from './journal.js';
import { outcomeOf, settledStatus, transition, type Failure } from './lifecycle.js';
import { plan, plannedUser, type PlanOptions, type PlanResult } from './plan.js';
import { runReport } from './run-report.js';
import { verifyUsers } from './verify.js';

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
  /** The command line, kept in the journal so that `status` can say how to resume the run. */
  command?: string;
}

const AD_WRITE_CHUNK = 50;

/** What the phases share. */
interface ApplyRun {
  deps: EngineDeps;
  options: ApplyOptions;
  whatIf: boolean;
  run: RunJournal;
  resumed: boolean;
  plan: PlanResult;
  evByUpn: Map<string, UserEvaluation>;
  signIn: ReturnType<typeof graphSignIn>;
  at(): string;
  /** Saves the journal; nothing with --what-if, which writes nothing, the journal included. */
  save(): void;
  log(level: LogLevel, message: string, meta?: Record<string, unknown>): void;
}

export async function apply(deps: EngineDeps, batch: BatchUser[], options: ApplyOptions): Promise<RunReport> {
  const ctx = await prepare(deps, batch, options);
  if (!(await options.confirm(report(ctx)))) return report(ctx, (ju) => (outcomeOf(ju) === 'planned' ? 'skipped' : outcomeOf(ju)));
  takeUp(ctx);
  await enableFeature(ctx);
  await writeAd(ctx);
  await sync(ctx);
  await verify(ctx);
  deps.phase?.('Finishing');
  finish(ctx, await relock(ctx));
  return report(ctx);
}

function report(ctx: ApplyRun, outcome?: Parameters<typeof runReport>[1]['outcome']): RunReport {
  return runReport(ctx.run, { mode: ctx.whatIf ? 'what-if' : 'apply', resumed: ctx.resumed, plan: ctx.plan, outcome });
}

/** Plans the batch, within the unfinished run of the same batch when there is one (a what-if run starts none). */
async function prepare(deps: EngineDeps, batch: BatchUser[], options: ApplyOptions): Promise<ApplyRun> {
  const whatIf = options.whatIf;
  const at = () => deps.clock.now().toISOString();
  const key = batchKey(batch);
  const resumedRun = whatIf ? null : deps.journal.resumable(key);
  const planned = await plan(deps, batch, options, resumedRun);
  const run: RunJournal = resumedRun ?? {
    runId: newRunId(deps.clock.now()),
    batchKey: key,
    mode: 'apply',
    startedAt: at(),
    updatedAt: at(),
    status: 'running',
    featureEnabled: false,
    sync: { state: 'not-run' },
    users: [],
  };
  run.tenantId = planned.facts.tenant.tenantId;
  for (const ev of planned.evaluation.users) {
    const existing = run.users.find((u) => u.cloudUpn.toLowerCase() === ev.user.cloudUpn.toLowerCase());
    if (existing) plannedUser(ev, at(), existing);
    else run.users.push(plannedUser(ev, at()));
  }
  const log = deps.log ?? (() => undefined);
  return {
    deps,
    options,
    whatIf,
    run,
    resumed: Boolean(resumedRun),
    plan: planned,
    evByUpn: new Map(planned.evaluation.users.map((ev) => [ev.user.cloudUpn.toLowerCase(), ev])),
    signIn: graphSignIn(options.config),
    at,
    save: whatIf
      ? () => undefined
      : () => {
          run.updatedAt = at();
          deps.journal.save(run);
        },
    log,
  };
}

/** The run is this process's from now on: `status` tells it from an interrupted one by the owner. */
function takeUp(ctx: ApplyRun): void {
  ctx.run.status = 'running';
  ctx.run.owner = { pid: process.pid, host: os.hostname() };
  ctx.run.command ??= ctx.options.command;
  ctx.save();
}

/** Users whose AD write is still to do (or to finish: `ad-writing` may have written). */
function toWrite(ctx: ApplyRun): JournalUser[] {
  return ctx.run.users.filter((u) => u.state === 'planned' || u.state === 'ad-writing');
}

/** 1. UPN soft match in the tenant, only when the plan says the run will enable it (allowed and off). */
async function enableFeature(ctx: ApplyRun): Promise<void> {
  const users = toWrite(ctx);
  const needed = ctx.plan.evaluation.tenantFindings.some((f) => f.code === 'UpnSoftMatchWillBeEnabled');
  if (users.length === 0 || !needed || ctx.run.featureEnabled) return;
  ctx.deps.phase?.('Enabling UPN soft match in the tenant');
  try {
    await ctx.deps.io.run(steps.enableFeature, { Feature: 'softMatchOnUpnEnabled', Enable: true, Cloud: ctx.options.config.cloud, WhatIf: ctx.whatIf, ...ctx.signIn });
  } catch (error) {
    if (stopsRun(error)) throw error;
    const failure = failureOf(error);
    for (const ju of users) transition(ju, 'feature-failed', ctx.at(), { failure });
    ctx.save();
    return;
  }
  if (ctx.whatIf) {
    for (const ju of users) transition(ju, 'would', ctx.at(), { step: 'feature-enabled', detail: 'would enable the tenant feature softMatchOnUpnEnabled (UPN soft match; cannot be undone)' });
    ctx.log('info', 'what-if: would enable UPN soft match');
    return;
  }
  ctx.run.featureEnabled = true;
  for (const ju of users) transition(ju, 'feature-enabled', ctx.at(), { detail: 'UPN soft match enabled' });
  ctx.log('info', 'UPN soft match enabled in the tenant');
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

interface WriteItem {
  ju: JournalUser;
  ev: UserEvaluation;
}

/** Each user's answer to one write call; `answered` is false when the call itself failed (it may have written). */
interface ChunkAnswer {
  answered: boolean;
  results: { result: AdWriteOutput | null; error: Failure | null }[];
}

async function callWrite(ctx: ApplyRun, chunk: WriteItem[]): Promise<ChunkAnswer> {
  try {
    const out = await ctx.deps.io.run(steps.adWrite, {
      Users: chunk.map(({ ev }) => adWriteItem(ev)),
      ...(ctx.options.config.ad?.server ? { Server: ctx.options.config.ad.server } : {}),
      WhatIf: ctx.whatIf,
    });
    // One result per user, in order: anything else is a broken script, and no result is trusted.
    const inOrder = out.results.length === chunk.length && out.results.every((r, k) => r.userPrincipalName === chunk[k]?.ev.user.cloudUpn);
    if (!inOrder) throw new Error(`the AD write returned ${out.results.length} results for ${chunk.length} users, or not in order`);
    return { answered: true, results: out.results.map((r) => ({ result: r.result, error: r.error ? { code: r.error.code, message: r.error.message } : null })) };
  } catch (error) {
    if (stopsRun(error)) throw error;
    const failure = failureOf(error);
    return { answered: false, results: chunk.map(() => ({ result: null, error: failure })) };
  }
}

/**
 * 2. AD writes, a chunk of users per call (one journal save before it and one after); one user's failure
 * does not stop the others. A resumed chunk repeats no write: the script leaves an account that already
 * carries its UPN alone.
 */
async function writeAd(ctx: ApplyRun): Promise<void> {
  const writes = toWrite(ctx).flatMap((ju) => {
    const ev = ctx.evByUpn.get(ju.cloudUpn.toLowerCase());
    return ev ? [{ ju, ev }] : [];
  });
  const chunkSize = Math.min(Math.max(1, ctx.options.adWriteChunkSize ?? AD_WRITE_CHUNK), AD_WRITE_CHUNK_MAX);
  // A progress bar, when there is one, shows the writes itself.
  if (writes.length > 0) ctx.deps.phase?.(ctx.deps.progress ? '' : `Writing ${writes.length} AD account(s)`);
  for (let start = 0; start < writes.length; start += chunkSize) {
    ctx.deps.progress?.(start, writes.length);
    const chunk = writes.slice(start, start + chunkSize);
    if (ctx.whatIf) {
      const answer = await callWrite(ctx, chunk);
      chunk.forEach((item, k) => wouldWrite(ctx, item, answer, k));
      continue;
    }
    const resumed = new Set<JournalUser>();
    for (const { ju, ev } of chunk) {
      if (ju.adBefore) resumed.add(ju);
      else ju.adBefore = { objectGuid: ev.adUser?.ObjectGUID ?? null, userPrincipalName: ev.adUser?.UserPrincipalName ?? null, create: Boolean(ev.user.create) };
      transition(ju, 'write-started', ctx.at());
      if (ev.cloudUser) ju.snapshot = ev.cloudUser;
    }
    ctx.save();
    const answer = await callWrite(ctx, chunk);
    chunk.forEach((item, k) => recordWrite(ctx, item, answer, k, resumed.has(item.ju)));
    ctx.save();
  }
  if (writes.length > 0) ctx.deps.progress?.(writes.length, writes.length);
}

/** A user the script refused: blocked when it answered with a precondition (nothing written), else failed. */
function refuseWrite(ctx: ApplyRun, ju: JournalUser, failure: Failure, answered: boolean): void {
  const refused = answered && codeInfo(failure.code).kind === 'precondition';
  transition(ju, refused ? 'write-refused' : 'write-failed', ctx.at(), { failure });
  ctx.log('error', `AD write ${refused ? 'refused' : 'failed'} for ${ju.cloudUpn}: ${failure.message}`, { code: failure.code });
}

function wouldWrite(ctx: ApplyRun, { ju, ev }: WriteItem, answer: ChunkAnswer, k: number): void {
  const { result, error } = answer.results[k] ?? { result: null, error: null };
  if (error || !result) return refuseWrite(ctx, ju, error ?? { code: 'UnexpectedError', message: 'no result' }, answer.answered);
  transition(ju, 'would', ctx.at(), { step: 'ad-written', detail: wouldDo(ev, result) });
}

/** The AD operation a what-if run would perform for a user, naming the object. */
function wouldDo(ev: UserEvaluation, result: AdWriteOutput): string {
  const user = ev.user;
  if (user.create) return `would create account ${user.samAccountName ?? ''} (${user.givenName ?? ''} ${user.surname ?? ''}) in ${user.ou ?? ''} with UPN ${user.cloudUpn}`;
  const dn = result.distinguishedName ?? ev.adUser?.DistinguishedName ?? user.distinguishedName ?? user.samAccountName ?? '';
  const before = result.previousUserPrincipalName ?? ev.adUser?.UserPrincipalName ?? null;
  if (before === user.cloudUpn) return `would leave ${dn} alone: it already carries the UPN ${user.cloudUpn}`;
  return `would set the UPN of ${dn} from ${before ?? '(none)'} to ${user.cloudUpn}`;
}

function recordWrite(ctx: ApplyRun, { ju, ev }: WriteItem, answer: ChunkAnswer, k: number, resumed: boolean): void {
  const { result: out, error } = answer.results[k] ?? { result: null, error: null };
  if (error || !out) {
    // A user's error reported by the script means its write did not happen; a failed call may have written.
    if (answer.answered) delete ju.adBefore;
    return refuseWrite(ctx, ju, error ?? { code: 'UnexpectedError', message: 'no result' }, answer.answered);
  }
  if (!out.objectGuid) return refuseWrite(ctx, ju, { code: 'UnexpectedError', message: 'the AD write returned no objectGUID' }, false);
  const user = ev.user;
  const adUser = ev.adUser;
  // A resumed write that found its work done (the run stopped between the write and the journal): the
  // change is still this run's, with the UPN the first attempt saw, so that rollback can undo it.
  const before = resumed && !out.changed && !out.created ? ju.adBefore : undefined;
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
  transition(ju, 'written', ctx.at(), { detail: out.created ? 'account created' : out.changed ? `UPN changed from ${out.previousUserPrincipalName ?? '(none)'}` : 'account already carried the UPN' });
  ctx.log('debug', `AD account for ${ju.cloudUpn}: ${out.created ? 'created' : out.changed ? 'updated' : 'unchanged'}`, { objectGuid: out.objectGuid });
}

/** 3. One delta sync for the whole batch. */
async function sync(ctx: ApplyRun): Promise<void> {
  const { run } = ctx;
  const users = ctx.whatIf ? run.users.filter((u) => u.state === 'planned') : run.users.filter((u) => u.state === 'ad-written' || (u.state === 'sync-started' && run.sync.state !== 'completed'));
  if (users.length === 0) return;
  ctx.deps.phase?.(`Delta sync on ${syncServerName(ctx.options.config)} (waiting first for a running cycle, up to ${ctx.options.syncWaitSeconds ?? 900} s)`);
  if (!ctx.whatIf) {
    run.sync = { state: 'started', startedAt: ctx.at() };
    for (const ju of users) transition(ju, 'sync-started', ctx.at());
    ctx.save();
  }
  try {
    const out = await ctx.deps.io.run(steps.deltaSync, {
      ComputerName: syncServerName(ctx.options.config),
      WhatIf: ctx.whatIf,
      ...(ctx.options.syncWaitSeconds !== undefined ? { WaitForRunningSeconds: ctx.options.syncWaitSeconds } : {}),
      ...(ctx.options.syncPollMs !== undefined ? { PollMilliseconds: ctx.options.syncPollMs } : {}),
    });
    if (ctx.whatIf) {
      for (const ju of users) transition(ju, 'would', ctx.at(), { step: 'sync-started', detail: `would start one delta sync cycle on ${syncServerName(ctx.options.config) === 'local' ? 'this server' : syncServerName(ctx.options.config)} for the batch` });
      return;
    }
    run.sync = { ...run.sync, state: out.completed ? 'completed' : 'started', completedAt: out.completedAt ?? undefined };
    ctx.log('info', `delta sync ${out.completed ? 'completed' : 'still running after the wait'}`);
  } catch (error) {
    if (stopsRun(error)) throw error;
    const failure = failureOf(error);
    if (!ctx.whatIf) run.sync = { ...run.sync, state: 'failed', error: failure.message };
    for (const ju of users) transition(ju, 'sync-failed', ctx.at(), { failure });
    ctx.log('error', `delta sync failed: ${failure.message}`, { code: failure.code });
  }
  ctx.save();
}

/** 4. Verify, in bulk, with backoff. */
async function verify(ctx: ApplyRun): Promise<void> {
  if (ctx.whatIf) return;
  const count = ctx.run.users.filter((u) => u.state === 'sync-started').length;
  if (count > 0) ctx.deps.phase?.(`Verifying ${count} user(s) in the cloud (up to ${Math.round(ctx.options.verifyTimeoutMs / 1000)} s)`);
  await verifyUsers(ctx.deps, ctx.run.users.filter((u) => u.state === 'sync-started'), ctx.options, ctx.signIn);
  ctx.save();
}

/** 5. Close the door again when asked (Microsoft's advice once matching is done). */
async function relock(ctx: ApplyRun): Promise<boolean> {
  if (!ctx.options.relock || ctx.whatIf) return false;
  try {
    await ctx.deps.io.run(steps.enableFeature, { Feature: 'blockSoftMatchEnabled', Enable: true, Cloud: ctx.options.config.cloud, ...ctx.signIn });
    return true;
  } catch (error) {
    ctx.log('warn', `could not set blockSoftMatchEnabled back on: ${failureOf(error).message}`);
    return false;
  }
}

function finish(ctx: ApplyRun, relocked: boolean): void {
  const features = ctx.plan.facts.tenant.features;
  ctx.run.tenantLeftOpen = relocked ? false : features ? !features.blockSoftMatchEnabled : undefined;
  ctx.run.status = settledStatus(ctx.run);
  delete ctx.run.owner;
  ctx.save();
}
