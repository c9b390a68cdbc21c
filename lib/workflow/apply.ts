// apply: a short sequence of phases over one run — prepare (plan, resume, confirm), enable the feature,
// write AD, one delta sync, verify, relock — each deciding once what --what-if changes for it. Users move
// only through lifecycle.ts; the journal is saved before and after every write (never with --what-if).
import os from 'node:os';
import { anchorOf } from '../anchor.js';
import type { BatchUser } from '../batch/types.js';
import { codeInfo } from '../codes.js';
import type { UserEvaluation } from '../checks/types.js';
import type { RunReport } from '../report/types.js';
import { AD_WRITE_CHUNK_MAX, steps, type AdWriteItem, type AdWriteOutput, type DeltaSyncOutput } from '../steps/registry.js';
import { adTarget, type AdTarget } from './ad-target.js';
import { chunkBySize, jsonBytes } from './chunks.js';
import { graphSignIn, syncServerName } from './collector.js';
import { failureOf, stopsRun, type EngineDeps, type LogLevel } from './deps.js';
import type { CallPart } from './io.js';
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
  /** Accounts per read-back call (default 1,000; each call also stays under the request size limit). */
  adConfirmChunkSize?: number;
  /** The command line, kept in the journal so that `status` can say how to resume the run. */
  command?: string;
}

const AD_WRITE_CHUNK = 50;
/** Accounts per read-back call: as the AD facts, a thousand (10,000 in one call were a 1.9 MB request, refused). */
const AD_CONFIRM_CHUNK = 1000;

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
  /** The DC the AD writes go to, and the DCs that must serve them before the sync. */
  adTarget: AdTarget;
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
  // A run never starts a sync that would miss its own writes.
  if (await confirmOnSyncDc(ctx)) {
    await sync(ctx);
    await verify(ctx);
  }
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
  const runId = resumedRun?.runId ?? newRunId(deps.clock.now());
  // Known before the plan, so that every log line of the run carries it.
  if (!whatIf) deps.onRunId?.(runId);
  const planned = await plan(deps, batch, options, resumedRun);
  const run: RunJournal = resumedRun ?? {
    runId,
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
    adTarget: adTarget(planned.facts, options.config.ad?.server),
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
    await ctx.deps.io.run(steps.enableFeature, { Feature: 'softMatchOnUpnEnabled', Enable: true, WhatIf: ctx.whatIf, ...ctx.signIn });
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

async function callWrite(ctx: ApplyRun, chunk: WriteItem[], part: CallPart): Promise<ChunkAnswer> {
  try {
    const out = await ctx.deps.io.run(
      steps.adWrite,
      {
        Users: chunk.map(({ ev }) => adWriteItem(ev)),
        ...(ctx.adTarget.server ? { Server: ctx.adTarget.server } : {}),
        WhatIf: ctx.whatIf,
      },
      part,
    );
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
  if (writes.length > 0) ctx.deps.phase?.(`Writing ${writes.length} AD account(s)`);
  let start = 0;
  for (const chunk of chunkBySize(writes, ({ ev }) => jsonBytes(adWriteItem(ev)), chunkSize)) {
    // The script tells its progress in the chunk; the console shows it as the whole batch's.
    const part = { before: start, of: writes.length };
    start += chunk.length;
    if (ctx.whatIf) {
      const answer = await callWrite(ctx, chunk, part);
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
    const answer = await callWrite(ctx, chunk, part);
    chunk.forEach((item, k) => recordWrite(ctx, item, answer, k, resumed.has(item.ju)));
    ctx.save();
  }
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
    // The plan's anchor (under the server's anchor attribute) for the account it found; a created account's
    // mS-DS-ConsistencyGuid is empty, so it syncs with objectGUID's (a custom attribute is empty too: no anchor).
    anchor:
      adUser && adUser.ObjectGUID.toLowerCase() === out.objectGuid.toLowerCase()
        ? (ev.anchor ?? '')
        : (anchorOf({ ObjectGUID: out.objectGuid, consistencyGuid: null }, ctx.plan.facts.syncServer?.anchorAttribute ?? null) ?? ''),
  };
  transition(ju, 'written', ctx.at(), { detail: out.created ? 'account created' : out.changed ? `UPN changed from ${out.previousUserPrincipalName ?? '(none)'}` : 'account already carried the UPN' });
  ctx.log('debug', `AD account for ${ju.cloudUpn}: ${out.created ? 'created' : out.changed ? 'updated' : 'unchanged'}`, { objectGuid: out.objectGuid });
}

/**
 * 3. The accounts written (in this run or the one it resumes) are read back, in one query per DC, on the DCs
 * Entra Connect imports from, replicated there first with Sync-ADObject when the write went elsewhere. Any
 * account not confirmed stops the run before the sync: its user stays written, and the same command resumes.
 */
async function confirmOnSyncDc(ctx: ApplyRun): Promise<boolean> {
  if (ctx.whatIf) return true;
  const users = ctx.run.users.filter((u) => u.state === 'ad-written' && u.ad);
  if (users.length === 0) return true;
  const { server, confirmOn } = ctx.adTarget;
  const where = confirmOn.length > 0 ? confirmOn.join(', ') : 'the default domain controller';
  const items = users.map((ju) => ({ ObjectGuid: ju.ad!.objectGuid, UserPrincipalName: ju.cloudUpn, DistinguishedName: ju.ad!.distinguishedName ?? ju.ad!.objectGuid }));
  let missing = new Map<string, string[]>();
  try {
    const answered = new Set<string>();
    let replicated = 0;
    for (const chunk of chunkBySize(items, jsonBytes, Math.max(1, ctx.options.adConfirmChunkSize ?? AD_CONFIRM_CHUNK))) {
      const out = await ctx.deps.io.run(steps.adConfirm, {
        Users: chunk,
        ...(confirmOn.length > 0 ? { DomainControllers: confirmOn } : {}),
        ...(server ? { Source: server } : {}),
      });
      for (const u of out.users) {
        answered.add(u.objectGuid.toLowerCase());
        if (u.missingOn.length > 0) missing.set(u.objectGuid.toLowerCase(), u.missingOn);
      }
      replicated += out.replicated;
    }
    if (replicated > 0) ctx.log('info', `replicated ${replicated} account(s) to ${where} with Sync-ADObject`);
    // An account the script did not answer for is not confirmed.
    for (const ju of users) if (!answered.has(ju.ad!.objectGuid.toLowerCase())) missing.set(ju.ad!.objectGuid.toLowerCase(), confirmOn);
  } catch (error) {
    if (stopsRun(error)) throw error;
    const failure = failureOf(error);
    ctx.log('error', `could not read the AD changes back on ${where}: ${failure.message}`, { code: failure.code });
    missing = new Map(users.map((ju) => [ju.ad!.objectGuid.toLowerCase(), confirmOn]));
  }
  if (missing.size === 0) return true;
  // The one sync is the whole batch's: a user whose change is there waits for the others as well.
  for (const ju of users) {
    const dcs = missing.get(ju.ad!.objectGuid.toLowerCase());
    const message = dcs
      ? `${ju.cloudUpn}: the AD change is not yet on ${dcs.length > 0 ? dcs.join(', ') : where}, where Entra Connect imports from; the delta sync was not started`
      : `${ju.cloudUpn}: the AD change is on ${where}, but the delta sync was not started: ${missing.size} other change(s) of the run are not there yet`;
    transition(ju, 'replication-unconfirmed', ctx.at(), { failure: { code: 'AdChangeNotOnSyncDc', message } });
  }
  ctx.log('error', `${missing.size} AD change(s) not confirmed on ${where}: the run stops before the delta sync`, { code: 'AdChangeNotOnSyncDc' });
  ctx.save();
  return false;
}

/** 4. One delta sync for the whole batch. */
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
    const refused = exportErrorsByUser(users, out.exportErrors);
    for (const [ju, failure] of refused) transition(ju, 'sync-failed', ctx.at(), { failure });
    ctx.log(
      refused.size > 0 ? 'warn' : 'info',
      `delta sync ${out.completed ? 'completed' : 'still running after the wait'}${refused.size > 0 ? `; the export refused ${refused.size} user(s)` : ''}`,
      { exportErrors: out.exportErrors.length },
    );
  } catch (error) {
    if (stopsRun(error)) throw error;
    const failure = failureOf(error);
    if (!ctx.whatIf) run.sync = { ...run.sync, state: 'failed', error: failure.message };
    for (const ju of users) transition(ju, 'sync-failed', ctx.at(), { failure });
    ctx.log('error', `delta sync failed: ${failure.message}`, { code: failure.code });
  }
  ctx.save();
}

/**
 * The users whose AD account the cycle's export refused (matched by the account's DN), each with the service's
 * error: they fail now, with the reason, instead of waiting for a match that cannot come.
 */
function exportErrorsByUser(users: JournalUser[], errors: AdWriteExportError[]): Map<JournalUser, Failure> {
  const byDn = new Map<string, AdWriteExportError[]>();
  for (const error of errors) byDn.set(error.distinguishedName.toLowerCase(), [...(byDn.get(error.distinguishedName.toLowerCase()) ?? []), error]);
  const refused = new Map<JournalUser, Failure>();
  for (const ju of users) {
    const found = ju.ad?.distinguishedName ? byDn.get(ju.ad.distinguishedName.toLowerCase()) : undefined;
    if (!found?.length) continue;
    const message = found
      .map((e) => `${e.errorName}${e.attributeName ? ` on ${e.attributeName}${e.attributeValue ? ` (${e.attributeValue})` : ''}` : ''}: ${e.detail}`)
      .join('; ');
    refused.set(ju, { code: 'SyncExportError', message: `the export to Entra ID refused ${ju.cloudUpn}: ${message}` });
  }
  return refused;
}

type AdWriteExportError = DeltaSyncOutput['exportErrors'][number];

/** 5. Verify, in bulk, with backoff. */
async function verify(ctx: ApplyRun): Promise<void> {
  if (ctx.whatIf) return;
  const count = ctx.run.users.filter((u) => u.state === 'sync-started').length;
  if (count > 0) ctx.deps.phase?.(`Verifying ${count} user(s) in the cloud (up to ${Math.round(ctx.options.verifyTimeoutMs / 1000)} s)`);
  await verifyUsers(ctx.deps, ctx.run.users.filter((u) => u.state === 'sync-started'), { ...ctx.options, cycleStartedAt: ctx.run.sync.startedAt }, ctx.signIn);
  ctx.save();
}

/**
 * The blocks Microsoft advises once matching is done: soft match (rule sheet 3.1) and the takeover of cloud
 * objects through hard match (3.2). Set in this order, so that a failure half-way leaves the first one set.
 */
export const RELOCK_FEATURES = ['blockSoftMatchEnabled', 'blockCloudObjectTakeoverThroughHardMatchEnabled'] as const;

/** Users whose account this run wrote and who are not matched (yet): a block set now would stop their match. */
function notSettled(ctx: ApplyRun): JournalUser[] {
  return ctx.run.users.filter((u) => u.ad && u.state !== 'verified' && u.state !== 'rolled-back');
}

/** 6. Close the door again when asked (Microsoft's advice once matching is done), never before every written user matched. */
async function relock(ctx: ApplyRun): Promise<boolean> {
  if (!ctx.options.relock || ctx.whatIf) return false;
  const open = notSettled(ctx);
  if (open.length > 0) {
    const duplicated = open.filter((u) => u.state === 'duplicated').length;
    const reason =
      `not relocked: ${open.length} user(s) of this run written to AD are not matched${duplicated ? ` (${duplicated} duplicated)` : ''}; ` +
      'a block set now would stop their match on the next sync. Resolve them (verify --run, or the duplicate\'s remedy), then run `upn-match feature block-soft-match`.';
    ctx.run.relock = { done: false, features: [...RELOCK_FEATURES], reason };
    ctx.log('warn', reason);
    return false;
  }
  const set: string[] = [];
  try {
    for (const feature of RELOCK_FEATURES) {
      await ctx.deps.io.run(steps.enableFeature, { Feature: feature, Enable: true, ...ctx.signIn });
      set.push(feature);
    }
    ctx.run.relock = { done: true, features: set, reason: null };
    ctx.log('info', `relocked: ${set.join(' and ')} set on`);
  } catch (error) {
    const reason = `relock failed after setting ${set.length ? set.join(', ') : 'nothing'}: ${failureOf(error).message}`;
    ctx.run.relock = { done: false, features: set, reason };
    ctx.log('warn', reason);
  }
  return set.includes('blockSoftMatchEnabled');
}

function finish(ctx: ApplyRun, relocked: boolean): void {
  const features = ctx.plan.facts.tenant.features;
  ctx.run.tenantLeftOpen = relocked ? false : features ? !features.blockSoftMatchEnabled : undefined;
  ctx.run.status = settledStatus(ctx.run);
  delete ctx.run.owner;
  ctx.save();
}
