// plan, apply, verify, status, rollback, feature: parse, call the engine, render, set the exit code.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Argv } from 'yargs';
import { BatchInputError, readBatchCsv, userFromFlags } from '../../batch/read.js';
import type { BatchUser } from '../../batch/types.js';
import { BridgeError } from '../../bridge/errors.js';
import { SessionRunner } from '../../bridge/session-runner.js';
import { rules } from '../../checks/registry.js';
import { ConfigError } from '../../config.js';
import { createLogger, type Logger } from '../../log.js';
import { renderReport, reportCsv, reportJsonPieces } from '../../report/render.js';
import { summarize, type RunReport } from '../../report/types.js';
import { steps } from '../../steps/registry.js';
import { graphSignIn, type FeatureRecord } from '../../workflow/collector.js';
import { apply, isEnvironmentFailure, outcomeOf, planReport, systemClock, verifyUsers, type EngineDeps } from '../../workflow/engine.js';
import { BridgeStepIO } from '../../workflow/io.js';
import { FileJournalStore } from '../../workflow/journal.js';
import { acquireRunLock, LockHeldError } from '../../workflow/lock.js';
import { createContext, newProcessRunner, type CommandContext, type GlobalOptions } from '../context.js';
import { EXIT } from '../exit-codes.js';

interface UserOptions extends GlobalOptions {
  csv?: string;
  'cloud-upn'?: string;
  sam?: string;
  dn?: string;
  create?: boolean;
  'given-name'?: string;
  surname?: string;
  ou?: string;
  report?: string;
  'enable-feature'?: boolean;
}

function userOptions<T>(y: Argv<T>) {
  return y
    .option('csv', { type: 'string', describe: 'batch file (columns: cloudUpn, samAccountName, distinguishedName, create, givenName, surname, ou)' })
    .option('cloud-upn', { type: 'string', describe: 'one user: the cloud UPN (the key; never changed)' })
    .option('sam', { type: 'string', describe: 'the AD account to update (sAMAccountName), or the new account with --create' })
    .option('dn', { type: 'string', describe: 'the AD account to update, by distinguished name' })
    .option('create', { type: 'boolean', describe: 'create a new AD account (with --given-name, --surname, --ou)' })
    .option('given-name', { type: 'string' })
    .option('surname', { type: 'string' })
    .option('ou', { type: 'string', describe: 'OU (DN) for a new account' })
    .option('report', { type: 'string', describe: 'also write the report as CSV to this file' })
    .option('enable-feature', { type: 'boolean', default: false, describe: 'allow enabling UPN soft match in the tenant (cannot be undone)' })
    .epilogue(
      `Preconditions (block = nothing written for that user; warn = reported):\n${rules
        .map((r) => `  ${r.code.padEnd(28)} ${r.severity.padEnd(5)} ${r.title}`)
        .join('\n')}\nRemedies: docs/reference.md`,
    );
}

function readUsers(argv: UserOptions): BatchUser[] {
  if (argv.csv && argv['cloud-upn']) throw new BatchInputError([{ row: 0, message: 'give either --csv or --cloud-upn, not both' }]);
  if (argv.csv) return readBatchCsv(argv.csv);
  if (!argv['cloud-upn']) throw new BatchInputError([{ row: 0, message: 'name the users: --csv FILE, or --cloud-upn with --sam/--dn (or --create)' }]);
  return userFromFlags({
    cloudUpn: argv['cloud-upn'],
    sam: argv.sam,
    dn: argv.dn,
    create: argv.create,
    givenName: argv['given-name'],
    surname: argv.surname,
    ou: argv.ou,
  });
}

interface Session {
  context: CommandContext;
  logger: Logger;
  deps: EngineDeps;
  close(): Promise<void>;
}

async function openSession(argv: GlobalOptions): Promise<Session> {
  const context = createContext(argv);
  const logger = createLogger({ logDir: context.logDir, quiet: Boolean(argv.json) });
  const options = context.runnerOptions();
  const local = new SessionRunner(options);
  const syncHost = context.config.syncServer?.powershell;
  const sync = syncHost ? await newProcessRunner({ ...options, host: { path: syncHost, source: 'config' } }) : local;
  const io = new BridgeStepIO(local, sync, (call) => logger.debug(`step ${call.step}`, { step: call.step }));
  const deps: EngineDeps = {
    io,
    journal: new FileJournalStore(context.workDir),
    clock: systemClock,
    log: (level, message, meta) => logger.log(level, message, meta ?? {}),
  };
  return { context, logger, deps, close: () => io.close() };
}

function featureRecordFile(context: CommandContext): string {
  return path.join(context.workDir, 'feature-record.json');
}

function readFeatureRecord(context: CommandContext): FeatureRecord | null {
  const file = featureRecordFile(context);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as FeatureRecord) : null;
}

export function exitCodeFor(report: RunReport): number {
  const codes = report.users.flatMap((u) => (u.outcome === 'failed' ? u.findings.map((f) => f.code) : []));
  const failed = report.users.filter((u) => u.outcome === 'failed');
  if (failed.some((u) => !u.findings.some((f) => f.code === 'VerifyTimeout'))) return EXIT.partialFailure;
  if (codes.includes('VerifyTimeout')) return EXIT.verifyTimeout;
  if (report.summary.blocked > 0) return EXIT.blocked;
  return EXIT.ok;
}

/**
 * Writes text to stdout in blocks of about 64 KB, waiting while the pipe is full, with a final line
 * break. Like console.log, a stdout that is gone (a closed pipe) is not an error: the rest is dropped.
 */
async function writeStdout(pieces: Iterable<string>): Promise<void> {
  const out = process.stdout;
  let gone = false;
  const written = (error?: Error | null) => {
    if (!error) return;
    gone = true;
    if (out.listenerCount('error') === 0) out.once('error', () => undefined);
  };
  const write = async (block: string) => {
    if (gone || out.write(block, written)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        out.off('drain', done).off('error', done).off('close', done);
        resolve();
      };
      out.on('drain', done).on('error', done).on('close', done);
    });
  };
  let block = '';
  for (const piece of pieces) {
    block += piece;
    if (block.length >= 65_536) {
      await write(block);
      block = '';
    }
  }
  await write(`${block}\n`);
}

async function output(argv: UserOptions, report: RunReport): Promise<void> {
  // --json prints the report a user at a time: at ten thousand users its text is megabytes.
  if (argv.json) await writeStdout(reportJsonPieces(report));
  else console.log(renderReport(report));
  if (argv.report) writeFileSync(argv.report, reportCsv(report), 'utf8');
  process.exitCode = exitCodeFor(report);
}

/** Turns what went wrong into one line and the documented exit code. */
function fail(error: unknown, logger?: Logger): void {
  const say = (message: string, code: number) => {
    if (logger) logger.error(message);
    else console.error(`upn-match: ${message}`);
    process.exitCode = code;
  };
  if (error instanceof BatchInputError) return say(`bad input:\n${error.message}`, EXIT.badInput);
  if (error instanceof ConfigError) return say(error.message, EXIT.badInput);
  if (error instanceof LockHeldError) return say(error.message, EXIT.lockHeld);
  if (error instanceof UsageError) return say(error.message, EXIT.badInput);
  if (error instanceof BridgeError) {
    const last = error.stderrTail.split('\n').at(-1) ?? '';
    // stderr's last line often repeats the message: add it only when it says something more.
    const detail = last && !last.includes(error.message) ? ` (${last})` : '';
    if (isEnvironmentFailure(error) || error.reason !== 'input-invalid') return say(`${error.code}: ${error.message}${detail}`, EXIT.environment);
    return say(`${error.code}: ${error.message}`, EXIT.badInput);
  }
  if (error instanceof Error && /no simulator|already holds/.test(error.message)) return say(error.message, EXIT.badInput);
  say(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, EXIT.internal);
}

class UsageError extends Error {}

async function confirmFor(argv: { yes?: boolean; json?: boolean }, report: RunReport): Promise<boolean> {
  const eligible = report.users.filter((u) => u.outcome === 'planned').length;
  if (eligible === 0) return true;
  if (argv.yes) return true;
  if (!process.stdin.isTTY) {
    throw new UsageError('refusing to write without --yes when not run from a terminal (a scheduled task must pass --yes)');
  }
  process.stderr.write(`${renderReport(report)}\n`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`Write to AD and sync for ${eligible} user(s)? [y/N] `);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

async function withSession(argv: GlobalOptions, work: (session: Session) => Promise<void>): Promise<void> {
  let session: Session | undefined;
  try {
    session = await openSession(argv);
    await work(session);
  } catch (error) {
    fail(error, session?.logger);
  } finally {
    await session?.close();
  }
}

async function withLock(session: Session, work: () => Promise<void>): Promise<void> {
  const release = await acquireRunLock(session.context.workDir, Number(process.env.UPN_MATCH_LOCK_STALE_MS) || undefined);
  try {
    await work();
  } finally {
    await release().catch(() => undefined);
  }
}

export function matchCommands(yargs: Argv<GlobalOptions>) {
  return yargs
    .option('work-dir', { type: 'string', describe: 'folder for the journal, lock and logs' })
    .command(
      'plan',
      'Read-only: gather the facts and tell, per user, whether and how it will match',
      (y) => userOptions(y),
      (argv) =>
        withSession(argv, async (session) => {
          const users = readUsers(argv);
          const report = await planReport(session.deps, users, {
            config: session.context.config,
            enableFeature: Boolean(argv['enable-feature'] || session.context.config.enableFeature),
            featureRecord: readFeatureRecord(session.context),
          });
          await output(argv, report);
        }),
    )
    .command(
      'apply',
      'Plan, then write to AD for the users with no blocking finding, run one delta sync and verify',
      (y) =>
        userOptions(y)
          .option('yes', { type: 'boolean', default: false, describe: 'do not ask (required when not run from a terminal)' })
          .option('what-if', { type: 'boolean', default: false, describe: 'run every step with -WhatIf: write nothing' })
          .option('relock', { type: 'boolean', default: false, describe: 'afterwards set blockSoftMatchEnabled back on (delegated sign-in)' })
          .option('verify-timeout', { type: 'number', default: 600, describe: 'seconds to wait for the cloud users to show the match' })
          .option('sync-wait', { type: 'number', default: 900, describe: 'seconds to wait for a running sync cycle' }),
      (argv) =>
        withSession(argv, async (session) => {
          const users = readUsers(argv);
          await withLock(session, async () => {
            // A progress bar only for a person watching a long run: not with --json, not without a terminal.
            const cliProgress = !argv.json && process.stderr.isTTY && users.length >= 20 ? (await import('cli-progress')).default : null;
            const bar = cliProgress ? new cliProgress.SingleBar({ format: 'AD writes [{bar}] {value}/{total}', stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
            const deps = bar
              ? {
                  ...session.deps,
                  progress: (done: number, total: number) => {
                    if (done === 0) bar.start(total, 0);
                    bar.update(done);
                    if (done === total) bar.stop();
                  },
                }
              : session.deps;
            const report = await apply(deps, users, {
              config: session.context.config,
              enableFeature: Boolean(argv['enable-feature'] || session.context.config.enableFeature),
              featureRecord: readFeatureRecord(session.context),
              whatIf: argv['what-if'],
              relock: argv.relock,
              confirm: (plan) => confirmFor(argv, plan),
              verifyTimeoutMs: argv['verify-timeout'] * 1000,
              verifyPollMs: 2000,
              syncWaitSeconds: argv['sync-wait'],
              syncPollMs: 1000,
            });
            await output(argv, report);
          });
        }),
    )
    .command(
      'verify',
      'Re-check the users of a run against the cloud until matched or the time limit',
      (y) =>
        y
          .option('run', { type: 'string', demandOption: true, describe: 'run id (see `upn-match status`)' })
          .option('verify-timeout', { type: 'number', default: 300, describe: 'seconds' })
          .option('report', { type: 'string', describe: 'also write the report as CSV' }),
      (argv) =>
        withSession(argv, async (session) => {
          await withLock(session, async () => {
            const run = session.deps.journal.load(argv.run);
            if (!run) throw new UsageError(`no run ${argv.run} in ${session.context.workDir}`);
            const waiting = run.users.filter((u) => u.ad && (u.state === 'sync-started' || u.state === 'ad-written' || u.state === 'failed'));
            for (const u of waiting) u.state = 'sync-started';
            await verifyUsers(session.deps, waiting, { verifyTimeoutMs: argv['verify-timeout'] * 1000, verifyPollMs: 2000 }, graphSignIn(session.context.config));
            if (run.users.every((u) => u.state === 'verified' || u.state === 'blocked')) run.status = 'done';
            session.deps.journal.save(run);
            const users = run.users.map((ju) => ({
              cloudUpn: ju.cloudUpn,
              samAccountName: ju.ad?.samAccountName ?? ju.user.samAccountName,
              predictedMatch: ju.predictedMatch,
              outcome: outcomeOf(ju),
              findings: ju.error ? [...ju.findings, { code: ju.error.code, severity: 'block' as const, message: ju.error.message, hint: '' }] : ju.findings,
              steps: ju.steps,
              overwrites: [],
            }));
            await output(argv, { runId: run.runId, mode: 'verify', summary: summarize(users), tenantFindings: [], features: null, tenantLeftOpen: run.tenantLeftOpen ?? null, resumed: false, users });
          });
        }),
    )
    .command(
      'status',
      'Show the journal of the last runs, per user and step',
      (y) => y.option('run', { type: 'string', describe: 'one run in full' }).option('last', { type: 'number', default: 5 }),
      (argv) => {
        try {
          const context = createContext(argv);
          const store = new FileJournalStore(context.workDir);
          const runs = argv.run ? [store.load(argv.run)].filter((r) => r !== null) : store.list().slice(-argv.last);
          if (argv.run && runs.length === 0) throw new UsageError(`no run ${argv.run} in ${context.workDir}`);
          if (argv.json) {
            console.log(JSON.stringify(runs, null, 2));
            return;
          }
          if (runs.length === 0) console.log(`No runs in ${context.workDir}.`);
          for (const run of runs) {
            console.log(`${run.runId}  ${run.status.padEnd(7)} started ${run.startedAt}, sync ${run.sync.state}`);
            for (const u of run.users) console.log(`    ${u.state.padEnd(12)} ${u.cloudUpn}  ${u.steps.map((s) => `${s.id}:${s.outcome}`).join(' ')}`);
          }
        } catch (error) {
          fail(error);
        }
      },
    )
    .command(
      'rollback',
      'Undo the AD changes of a run for users not yet matched (restore the UPN, remove created accounts)',
      (y) =>
        y
          .option('run', { type: 'string', demandOption: true, describe: 'run id' })
          .option('what-if', { type: 'boolean', default: false })
          .option('yes', { type: 'boolean', default: false }),
      (argv) =>
        withSession(argv, async (session) => {
          await withLock(session, async () => {
            const run = session.deps.journal.load(argv.run);
            if (!run) throw new UsageError(`no run ${argv.run} in ${session.context.workDir}`);
            const candidates = run.users.filter((u) => u.ad && (u.ad.changed || u.ad.created) && !u.rolledBack);
            if (candidates.length > 0 && !argv.yes && !argv['what-if'] && !process.stdin.isTTY) {
              throw new UsageError('refusing to roll back without --yes when not run from a terminal');
            }
            const signIn = graphSignIn(session.context.config);
            const status = candidates.length
              ? await session.deps.io.run(steps.matchStatus, { UserPrincipalName: candidates.map((u) => u.cloudUpn), ...signIn })
              : { users: [] };
            const at = () => new Date().toISOString();
            const users = [];
            for (const ju of run.users) {
              const cloud = status.users.find((s) => s.userPrincipalName.toLowerCase() === ju.cloudUpn.toLowerCase());
              let outcome: 'skipped' | 'planned' | 'failed' = 'skipped';
              let detail = 'nothing to undo';
              if (candidates.includes(ju) && ju.ad) {
                if (cloud?.onPremisesImmutableId) {
                  detail = 'already matched: a match cannot be undone by rollback';
                } else {
                  try {
                    await session.deps.io.run(steps.adUndo, {
                      ObjectGuid: ju.ad.objectGuid,
                      Action: ju.ad.created ? 'remove' : 'restore-upn',
                      ExpectedUserPrincipalName: ju.cloudUpn,
                      ...(ju.ad.previousUserPrincipalName ? { PreviousUserPrincipalName: ju.ad.previousUserPrincipalName } : {}),
                      ...(session.context.config.ad?.server ? { Server: session.context.config.ad.server } : {}),
                      WhatIf: argv['what-if'],
                    });
                    outcome = argv['what-if'] ? 'planned' : 'skipped';
                    detail = argv['what-if'] ? 'what-if: would undo' : ju.ad.created ? 'created account removed' : 'previous UPN restored';
                    if (!argv['what-if']) {
                      ju.rolledBack = true;
                      ju.state = 'failed';
                      ju.error = { code: 'RolledBack', message: detail };
                    }
                  } catch (error) {
                    if (isEnvironmentFailure(error)) throw error;
                    outcome = 'failed';
                    detail = error instanceof Error ? error.message : String(error);
                  }
                }
              }
              users.push({
                cloudUpn: ju.cloudUpn,
                samAccountName: ju.ad?.samAccountName ?? ju.user.samAccountName,
                predictedMatch: ju.predictedMatch,
                outcome,
                findings: outcome === 'failed' ? [{ code: 'RollbackFailed', severity: 'block' as const, message: detail, hint: 'undo this account by hand' }] : [],
                steps: [{ id: 'ad-written' as const, outcome: outcome === 'failed' ? ('error' as const) : ('skipped' as const), at: at(), detail }],
                overwrites: [],
              });
            }
            if (!argv['what-if']) session.deps.journal.save(run);
            await output(argv, { runId: run.runId, mode: 'rollback', summary: summarize(users), tenantFindings: [], features: null, tenantLeftOpen: null, resumed: false, users });
          });
        }),
    )
    .command(
      'feature [action]',
      'Show the tenant directory-sync features; enable-upn-soft-match or block-soft-match change them (delegated sign-in)',
      (y) => y.positional('action', { type: 'string', choices: ['show', 'enable-upn-soft-match', 'block-soft-match'], default: 'show' }),
      (argv) =>
        withSession(argv, async (session) => {
          const { config } = session.context;
          const signIn = graphSignIn(config);
          if (argv.action !== 'show') {
            const feature = argv.action === 'block-soft-match' ? 'blockSoftMatchEnabled' : 'softMatchOnUpnEnabled';
            const out = await session.deps.io.run(steps.enableFeature, { Feature: feature, Enable: true, Cloud: config.cloud, ...signIn });
            session.logger.info(`${feature}: ${out.changed ? 'turned on' : 'was already on'}`);
          }
          const tenant = await session.deps.io.run(steps.tenantFacts, { Cloud: config.cloud, ...signIn });
          if (tenant.features && tenant.featuresReadAt) {
            const record: FeatureRecord = { tenantId: tenant.tenantId, readAt: tenant.featuresReadAt, features: tenant.features };
            writeFileSync(featureRecordFile(session.context), `${JSON.stringify(record, null, 2)}\n`, 'utf8');
          }
          if (argv.json) console.log(JSON.stringify(tenant, null, 2));
          else if (tenant.features) {
            console.log(`Directory sync: ${tenant.directorySyncEnabled ? 'on' : 'off'}`);
            for (const [k, v] of Object.entries(tenant.features)) console.log(`  ${k.padEnd(50)} ${v}`);
            console.log(`Recorded in ${featureRecordFile(session.context)} for later app-only runs.`);
          } else {
            console.log(`Could not read the features: ${tenant.featuresError}`);
            process.exitCode = EXIT.environment;
          }
        }),
    );
}
