// What the run commands share: the batch options, a PowerShell session with the journal and a logger,
// the lock, the report on stdout (and CSV), questions on a terminal, and failures turned into exit codes.
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { Argv } from 'yargs';
import { readBatchCsv, userFromFlags, BatchInputError } from '../batch/read.js';
import type { BatchUser } from '../batch/types.js';
import { BridgeError } from '../bridge/errors.js';
import { SessionRunner } from '../bridge/session-runner.js';
import { rules } from '../checks/registry.js';
import { exitOfRunFailure } from '../codes.js';
import { EXIT } from '../exit-codes.js';
import { InputError } from '../input-error.js';
import { createLogger, type Logger } from '../log.js';
import { exitCodeFor } from '../report/exit-code.js';
import { renderReport, reportCsv, reportJsonPieces } from '../report/render.js';
import type { RunReport } from '../report/types.js';
import { systemClock, type EngineDeps } from '../workflow/deps.js';
import { BridgeStepIO } from '../workflow/io.js';
import { FileJournalStore, type RunJournal } from '../workflow/journal.js';
import { acquireRunLock, LockHeldError } from '../workflow/lock.js';
import { createContext, newProcessRunner, type CommandContext, type GlobalOptions } from './context.js';

export interface UserOptions extends GlobalOptions {
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

/** The options that name the batch (plan and apply), with the precondition table in --help. */
export function userOptions<T>(y: Argv<T>) {
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

export function readUsers(argv: UserOptions): BatchUser[] {
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

export interface Session {
  context: CommandContext;
  logger: Logger;
  deps: EngineDeps;
}

async function openSession(argv: GlobalOptions): Promise<Session & { close(): Promise<void> }> {
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

/** Runs a command's work in a PowerShell session, closed afterwards; a failure becomes its exit code. */
export async function withSession(argv: GlobalOptions, work: (session: Session) => Promise<void>): Promise<void> {
  let session: Awaited<ReturnType<typeof openSession>> | undefined;
  try {
    session = await openSession(argv);
    await work(session);
  } catch (error) {
    fail(error, session?.logger);
  } finally {
    await session?.close();
  }
}

/** One run at a time per work folder. */
export async function withLock(session: Session, work: () => Promise<void>): Promise<void> {
  const release = await acquireRunLock(session.context.workDir, Number(process.env.UPN_MATCH_LOCK_STALE_MS) || undefined);
  try {
    await work();
  } finally {
    await release().catch(() => undefined);
  }
}

export function loadRun(session: Session, runId: string): RunJournal {
  const run = session.deps.journal.load(runId);
  if (!run) throw new InputError(`no run ${runId} in ${session.context.workDir}`);
  return run;
}

/**
 * Writes text to stdout in blocks of about 64 KB, waiting while the pipe is full, with a final line
 * break. Like console.log, a stdout that is gone (a closed pipe) is not an error: the rest is dropped.
 */
export async function writeStdout(pieces: Iterable<string>): Promise<void> {
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

/** Prints the report (JSON or text), writes the CSV when asked, and sets the exit code from it. */
export async function output(argv: { json?: boolean; report?: string }, report: RunReport): Promise<void> {
  // --json prints the report a user at a time: at ten thousand users its text is megabytes.
  if (argv.json) await writeStdout(reportJsonPieces(report));
  else console.log(renderReport(report));
  if (argv.report) writeFileSync(argv.report, reportCsv(report), 'utf8');
  process.exitCode = exitCodeFor(report);
}

/** Turns what went wrong into one line and the documented exit code. */
export function fail(error: unknown, logger?: Logger): void {
  const say = (message: string, code: number) => {
    if (logger) logger.error(message);
    else console.error(`upn-match: ${message}`);
    process.exitCode = code;
  };
  if (error instanceof BatchInputError) return say(`bad input:\n${error.message}`, EXIT.badInput);
  if (error instanceof InputError) return say(error.message, EXIT.badInput);
  if (error instanceof LockHeldError) return say(error.message, EXIT.lockHeld);
  if (error instanceof BridgeError) {
    const last = error.stderrTail.split('\n').at(-1) ?? '';
    // stderr's last line often repeats the message: add it only when it says something more.
    const detail = last && !last.includes(error.message) ? ` (${last})` : '';
    // PowerShell's own refusal of a parameter (a PS.* code of the input category) is bad input too.
    const exit = error.reason === 'input-invalid' ? EXIT.badInput : exitOfRunFailure(error.code);
    return say(`${error.code}: ${error.message}${exit === EXIT.badInput ? '' : detail}`, exit);
  }
  say(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, EXIT.internal);
}

/**
 * Asks on a terminal before a command writes; `--yes` answers for a task. Without a terminal and without
 * `--yes` it refuses: an unattended run never waits for an answer.
 */
export async function confirmOnTerminal(argv: { yes?: boolean }, question: string, shown?: () => string): Promise<boolean> {
  if (argv.yes) return true;
  if (!process.stdin.isTTY) throw new InputError(`refusing to write without --yes when not run from a terminal (a scheduled task must pass --yes)`);
  if (shown) process.stderr.write(`${shown()}\n`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${question} [y/N] `);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

/** The command line as typed, for the journal (the CLI takes no secret on its command line). */
export function commandLine(): string {
  const quote = (arg: string) => (/^[\w@%+=:,./\\-]+$/.test(arg) ? arg : `"${arg.replace(/"/g, '\\"')}"`);
  return ['upn-match', ...process.argv.slice(2).map(quote)].join(' ');
}
