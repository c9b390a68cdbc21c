// What the run commands share: the batch options, a PowerShell session with the journal and a logger,
// the lock, the report on stdout (and CSV), questions on a terminal, and failures turned into exit codes.
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Argv } from 'yargs';
import { CSV_ENCODINGS, type CsvEncoding } from '../batch/decode.js';
import { parseDelimiter, readBatchFile, userFromFlags, BatchInputError, type Delimiter } from '../batch/read.js';
import type { BatchUser } from '../batch/types.js';
import { BridgeError } from '../bridge/errors.js';
import { SessionRunner } from '../bridge/session-runner.js';
import { rules } from '../checks/registry.js';
import { exitOfRunFailure } from '../codes.js';
import { DEFAULT_RETENTION_DAYS } from '../config.js';
import { EXIT } from '../exit-codes.js';
import { InputError } from '../input-error.js';
import { EVENT_ID, writeEvent, writeEventNow } from '../event-log.js';
import { commandLine } from '../command-line.js';
import { createLogger, logFileIn, type Logger } from '../log.js';
import { exitCodeFor } from '../report/exit-code.js';
import { reportHtml } from '../report/html.js';
import { renderReport, reportCsv, reportJsonPieces } from '../report/render.js';
import type { RunReport } from '../report/types.js';
import { toolVersion } from '../version.js';
import { systemClock, type EngineDeps } from '../workflow/deps.js';
import { BridgeStepIO } from '../workflow/io.js';
import { FileJournalStore, type RunJournal } from '../workflow/journal.js';
import { progressOf } from '../workflow/lifecycle.js';
import { acquireRunLock, LockHeldError } from '../workflow/lock.js';
import { ensurePrivateDir, WorkFileError } from '../workflow/work-dir.js';
import { phaseLines } from './phases.js';
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
  'report-dir'?: string;
  delimiter?: string;
  encoding?: string;
  'enable-feature'?: boolean;
}

/** The options that name the batch (plan and apply), with the precondition table in --help. */
export function userOptions<T>(y: Argv<T>) {
  return outputOptions(y)
    .option('csv', { type: 'string', describe: 'batch file (columns: cloudUpn, samAccountName, distinguishedName, create, givenName, surname, ou)' })
    .option('cloud-upn', { type: 'string', describe: 'one user: the cloud UPN (the key; never changed)' })
    .option('sam', { type: 'string', describe: 'the AD account to update (sAMAccountName), or the new account with --create' })
    .option('dn', { type: 'string', describe: 'the AD account to update, by distinguished name' })
    .option('create', { type: 'boolean', describe: 'create a new AD account (with --given-name, --surname, --ou)' })
    .option('given-name', { type: 'string' })
    .option('surname', { type: 'string' })
    .option('ou', { type: 'string', describe: 'OU (DN) for a new account' })
    .option('report-dir', { type: 'string', describe: 'also write the report as JSON and CSV to new files in this folder, named for the run (for scheduled runs)' })
    .option('encoding', { type: 'string', choices: [...CSV_ENCODINGS], describe: 'batch file encoding (default: from its byte order mark; else UTF-8 if valid, else Windows-1252)' })
    .option('enable-feature', { type: 'boolean', default: false, describe: 'allow enabling UPN soft match in the tenant (cannot be undone)' })
    .epilogue(preconditionTable());
}

/** Help is laid out for this width (a console window's 100 columns): no line of the table is longer. */
export const HELP_WIDTH = 100;

/** Words of `text` in lines of at most `width` characters (a word longer than that stands alone). */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** The precondition table in --help: code, severity, and the rule's title wrapped under its own column. */
export function preconditionTable(width = HELP_WIDTH): string {
  const codeWidth = Math.max(...rules.map((r) => r.code.length));
  const indent = 2 + codeWidth + 1 + 5 + 1;
  const rows = rules.flatMap((r) => {
    const [first = '', ...rest] = wrapWords(r.title, width - indent);
    return [`  ${r.code.padEnd(codeWidth)} ${r.severity.padEnd(5)} ${first}`, ...rest.map((line) => `${' '.repeat(indent)}${line}`)];
  });
  return ['Preconditions (block = nothing written for that user; warn = reported):', ...rows, 'Remedies: docs/reference.md'].join('\n');
}

/** The batch and how its file was written: the report follows its delimiter. */
export interface BatchInput {
  users: BatchUser[];
  /** The file's (or --delimiter); undefined for a user given by flags. */
  delimiter?: Delimiter;
  extraColumns: string[];
}

export function readUsers(argv: UserOptions): BatchInput {
  if (argv.csv && argv['cloud-upn']) throw new BatchInputError([{ row: 0, message: 'give either --csv or --cloud-upn, not both' }]);
  const delimiter = argv.delimiter === undefined ? undefined : parseDelimiter(argv.delimiter);
  if (argv.csv) {
    const batch = readBatchFile(argv.csv, { delimiter, encoding: argv.encoding as CsvEncoding | undefined });
    for (const warning of batch.warnings) process.stderr.write(`upn-match: warning: ${warning}\n`);
    return { users: batch.users, delimiter: batch.delimiter, extraColumns: batch.extraColumns };
  }
  if (!argv['cloud-upn']) throw new BatchInputError([{ row: 0, message: 'name the users: --csv FILE, or --cloud-upn with --sam/--dn (or --create)' }]);
  const users = userFromFlags({
    cloudUpn: argv['cloud-upn'],
    sam: argv.sam,
    dn: argv.dn,
    create: argv.create,
    givenName: argv['given-name'],
    surname: argv.surname,
    ou: argv.ou,
  });
  return { users, delimiter, extraColumns: [] };
}

export interface Session {
  context: CommandContext;
  logger: Logger;
  deps: EngineDeps;
}

/** The console's phase and progress lines: one per process, ended before a prompt and before the report. */
const phases = phaseLines();

/**
 * Ends the status line being drawn on stderr (a progress bar, a phase line), so that a message can be written on
 * a line of its own (the message on Ctrl-C, for example). Drawing resumes with the next event.
 */
export function endStatusLine(): void {
  phases.endLine();
}

async function openSession(argv: GlobalOptions): Promise<Session & { close(): Promise<void> }> {
  const context = createContext(argv);
  ensurePrivateDir(context.workDir);
  ensurePrivateDir(context.logDir);
  const logger = createLogger({ logDir: context.logDir, quiet: Boolean(argv.json) });
  // Every line says which invocation wrote it, and which run once the command knows it (onRunId).
  logger.defaultMeta = { invocation: `${process.pid}-${randomBytes(3).toString('hex')}`, runId: null };
  const options = context.runnerOptions();
  const local = new SessionRunner(options);
  const desktop = context.desktopHost();
  const io = new BridgeStepIO(
    local,
    desktop.separate ? await newProcessRunner({ ...options, host: desktop.host }) : local,
    (call) => logger.debug(`step ${call.step}`, { step: call.step }),
    (step, warning) => logger.warn(`PowerShell warning (${step}): ${warning}`, { step }),
    phases.progress,
  );
  const deps: EngineDeps = {
    io,
    journal: new FileJournalStore(context.workDir),
    clock: systemClock,
    log: (level, message, meta) => logger.log(level, message, meta ?? {}),
    onRunId: (runId) => {
      logger.defaultMeta = { ...logger.defaultMeta, runId };
    },
    phase: phases.phase,
  };
  return {
    context,
    logger,
    deps,
    close: () => {
      phases.close();
      return io.close();
    },
  };
}

/** The report the command printed (output), for the events at its end. */
let printed: RunReport | undefined;

/** Set when output() starts writing the report: stdout then belongs to the report, and an interruption adds no envelope. */
let reporting = false;

/** Whether an interruption may print the error envelope: with --json, and only before the report started on stdout. */
export function envelopeOnInterrupt(state: { json: boolean; reporting: boolean }): boolean {
  return state.json && !state.reporting;
}

/** The command running now, for an interruption (a signal) to say where it stopped. */
let running: { session: Session; argv: GlobalOptions & OutputOptions } | undefined;

/**
 * Ctrl-C or SIGTERM (installExitHooks calls this after killing every PowerShell, then exits with `exitCode`):
 * ends the console line in progress, says in two sentences what was done and the command that resumes the
 * run, prints the JSON error envelope with --json, and writes the run-ended event. All synchronous: the
 * process ends when this returns. The journal needs nothing: each state change was saved whole as it
 * happened, and the same command resumes from it (a write in progress is read back first, never repeated).
 */
export function interrupted(signal: NodeJS.Signals, exitCode: number): void {
  phases.close();
  const session = running?.session;
  const runId = (session?.logger.defaultMeta as { runId?: string | null } | undefined)?.runId ?? null;
  let done = '';
  try {
    const run = runId ? session?.deps.journal.load(runId) : null;
    if (run) {
      const p = progressOf(run);
      done = `${p.written} of ${p.users} users were written to AD (${p.matched} seen matched), ${p.notYet} not yet, and the journal of run ${runId} is kept`;
    }
  } catch {
    // An unreadable journal: say what we can.
  }
  const what = signal === 'SIGINT' ? 'interrupted (Ctrl-C)' : `terminated (${signal})`;
  const message = reporting
    ? `${what} while the report was being written: the run's work was done before; stdout holds its report, perhaps cut off${runId ? `, and the journal of run ${runId} is kept` : ''}`
    : done
    ? `${what}: PowerShell was stopped; ${done}. To resume, run the same command: ${commandLine()}`
    : `${what}: PowerShell was stopped before a run was recorded; nothing was written. Run the same command again: ${commandLine()}`;
  process.stderr.write(`upn-match: ${message}\n`);
  if (envelopeOnInterrupt({ json: Boolean(running?.argv.json), reporting })) process.stdout.write(`${JSON.stringify(errorEnvelope(new BridgeError({ reason: 'cancelled', script: '-', message }), message, exitCode))}\n`);
  if (session) {
    try {
      writeEventNow(session.logger, logFileIn(session.context.logDir), { id: EVENT_ID.runEnded, type: 'warning', message: `ended with exit code ${exitCode} (${signal}): ${message}`, data: { exitCode, signal, summary: null } });
    } catch {
      // The log folder is gone: the console has said it.
    }
  }
}

/** Runs a command's work in a PowerShell session, closed afterwards; a failure becomes its exit code. */
export async function withSession(argv: GlobalOptions & OutputOptions, work: (session: Session) => Promise<void>): Promise<void> {
  let session: Awaited<ReturnType<typeof openSession>> | undefined;
  printed = undefined;
  reporting = false;
  try {
    checkOutputPaths(argv);
    session = await openSession(argv);
    running = { session, argv };
    writeEvent(session.logger, { id: EVENT_ID.runStarted, type: 'information', message: `started: ${commandLine()}`, data: { command: commandLine() } });
    await work(session);
  } catch (error) {
    fail(error, session?.logger, argv);
  } finally {
    running = undefined;
    await session?.close();
    if (session) logEnd(session.logger, printed);
  }
}

/** The run's last lines: each user that did not end well (one event each), then the summary and the exit code. */
function logEnd(logger: Logger, report: RunReport | undefined): void {
  const exitCode = Number(process.exitCode ?? 0);
  if (report?.runId) logger.defaultMeta = { ...logger.defaultMeta, runId: report.runId };
  for (const user of report?.users ?? []) {
    const code = user.findings.find((f) => f.severity === 'block')?.code ?? null;
    // The report on stdout shows each user already: the log file only.
    logger.info(`user ${user.cloudUpn}: ${user.outcome}${code ? ` (${code})` : ''}`, { user: user.cloudUpn, outcome: user.outcome, code, fileOnly: true });
    if (user.outcome === 'failed' || user.outcome === 'error' || user.outcome === 'duplicate') {
      const finding = user.findings.find((f) => f.code === code);
      writeEvent(logger, { id: EVENT_ID.userFailed, type: 'error', message: `${user.cloudUpn}: ${user.outcome} (${code ?? 'no code'}): ${finding?.message ?? ''}`, data: { user: user.cloudUpn, outcome: user.outcome, code } });
    }
  }
  const summary = report ? Object.entries(report.summary).map(([k, v]) => `${v} ${k}`).join(', ') : 'no report';
  writeEvent(logger, { id: EVENT_ID.runEnded, type: exitCode === 0 ? 'information' : exitCode === EXIT.internal ? 'error' : 'warning', message: `ended with exit code ${exitCode}: ${summary}`, data: { exitCode, summary: report?.summary ?? null } });
}

/** One run at a time per work folder. */
export async function withLock(session: Session, work: () => Promise<void>): Promise<void> {
  const release = await acquireRunLock(session.context.workDir, { staleMs: Number(process.env.UPN_MATCH_LOCK_STALE_MS) || undefined, command: commandLine() });
  try {
    pruneOldRuns(session);
    await work();
  } finally {
    await release().catch(() => undefined);
  }
}

/** Deletes the journals of settled runs older than the retention (config retentionDays). */
function pruneOldRuns(session: Session): void {
  const days = session.context.config.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const pruned = session.deps.journal.prune(new Date(session.deps.clock.now().getTime() - days * 86_400_000));
  if (pruned.length > 0) session.logger.info(`removed ${pruned.length} settled run(s) older than ${days} days: ${pruned.join(', ')}`, { pruned });
}

export function loadRun(session: Session, runId: string): RunJournal {
  const run = session.deps.journal.load(runId);
  if (!run) throw new InputError(`no run ${runId} in ${session.context.workDir}`);
  session.deps.onRunId?.(run.runId);
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

/**
 * Writes a file from pieces, all or nothing: into a new file beside it, readable by its owner only, renamed over
 * the target once whole. A failure or a kill midway leaves the target as it was (an admin's earlier batch file) and
 * no half-written file; the target ends with the new file's permissions, not the old one's. With 'wx' the target
 * must not exist (EEXIST). Written in blocks of about 64 KB: at tens of thousands of users a report joined into one
 * string first is tens of megabytes held twice. (A kill leaves at most the hidden .NAME.xxxx.tmp beside it.)
 */
export function writeFilePieces(file: string, pieces: Iterable<string>, flag: 'w' | 'wx' = 'w'): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  let open = true;
  try {
    let block = '';
    for (const piece of pieces) {
      block += piece;
      if (block.length >= 65_536) {
        writeSync(fd, block, null, 'utf8');
        block = '';
      }
    }
    writeSync(fd, block, null, 'utf8');
    closeSync(fd);
    open = false;
    if (flag === 'wx') {
      // A hard link fails if the target exists, where a rename would replace it.
      linkSync(temp, file);
      unlinkSync(temp);
    } else {
      renameSync(temp, file);
    }
  } catch (error) {
    if (open) closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * --report-dir: the JSON and CSV reports under names of their own, so that the runs of a scheduled task
 * never overwrite each other (a resumed run keeps its run id: the time of writing comes first).
 * They hold directory data: readable by their owner only, and never written over.
 */
export function writeReportFiles(dir: string, report: RunReport, now: Date): { json: string; csv: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const base = path.join(dir, `upn-match-${report.mode}-${stamp}-${report.runId ?? randomBytes(3).toString('hex')}`);
  const files = { json: `${base}.json`, csv: `${base}.csv` };
  writeFilePieces(files.json, [...reportJsonPieces(report), '\n'], 'wx');
  writeFileSync(files.csv, reportCsv(report), { encoding: 'utf8', mode: 0o600, flag: 'wx' });
  return files;
}

/** The files a command writes besides stdout. */
export interface OutputOptions {
  json?: boolean;
  report?: string;
  html?: string;
  delimiter?: string;
  'report-dir'?: string;
}

// out: discover's batch file.
const OUTPUT_FLAGS = ['report', 'html', 'out'] as const;

/** The output options every run command takes (plan, apply, verify, rollback). */
export function outputOptions<T>(y: Argv<T>) {
  return y
    .option('report', { type: 'string', describe: 'also write the report as CSV (UTF-8 with BOM, for Excel) to this file' })
    .option('html', { type: 'string', describe: 'also write the report as one self-contained HTML page to this file' })
    .option('delimiter', { type: 'string', describe: 'CSV delimiter: comma, semicolon or tab (default: the batch file\'s, sniffed from its header line)' });
}

/**
 * Every output file's folder must exist and take a new file before anything is done: a report that cannot
 * be written is found out now, not after the users were matched. The folder is tried with a file of our
 * own, removed at once (access() says yes to root and knows nothing of Windows ACLs).
 */
export function checkOutputPaths(argv: Partial<Record<(typeof OUTPUT_FLAGS)[number], string>>): void {
  const problems: string[] = [];
  for (const flag of OUTPUT_FLAGS) {
    const given = argv[flag];
    if (given === undefined) continue;
    const file = path.resolve(given);
    const folder = path.dirname(file);
    const kind = (p: string) => {
      try {
        return statSync(p).isDirectory() ? 'folder' : 'file';
      } catch {
        return 'none';
      }
    };
    if (given.trim() === '') problems.push(`--${flag}: give a file name`);
    else if (kind(file) === 'folder') problems.push(`--${flag} ${file}: is a folder; give a file name`);
    else if (kind(folder) !== 'folder') problems.push(`--${flag} ${file}: the folder ${folder} does not exist`);
    else {
      const probe = path.join(folder, `.upn-match-write-test-${process.pid}`);
      try {
        closeSync(openSync(probe, 'wx', 0o600));
        unlinkSync(probe);
      } catch (error) {
        problems.push(`--${flag} ${file}: cannot write in ${folder} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      }
    }
  }
  if (problems.length > 0) throw new InputError(`cannot write the output, nothing done:\n  ${problems.join('\n  ')}`);
}

/** The report with the facts of this run of the tool: version, time, command line. */
export function stamped(report: RunReport): RunReport {
  return { toolVersion, generatedAt: new Date().toISOString(), command: commandLine(), ...report };
}

/** A file holding directory data: readable by its owner (the admin) only. */
function writeOutput(file: string, text: string): void {
  writeFileSync(file, text, { encoding: 'utf8', mode: 0o600 });
}

/** Prints the report (JSON or text), writes the CSV when asked, and sets the exit code from it. */
export async function output(argv: OutputOptions, unstamped: RunReport, batch?: Partial<BatchInput>): Promise<void> {
  const report = stamped(unstamped);
  phases.close();
  reporting = true;
  // --json prints the report a user at a time: at ten thousand users its text is megabytes.
  if (argv.json) await writeStdout(reportJsonPieces(report));
  else console.log(renderReport(report));
  const delimiter = batch?.delimiter ?? (argv.delimiter === undefined ? ',' : parseDelimiter(argv.delimiter));
  if (argv.report) writeOutput(argv.report, reportCsv(report, { delimiter, extraColumns: batch?.extraColumns ?? [] }));
  if (argv.html) writeOutput(argv.html, reportHtml(report));
  if (argv['report-dir']) writeReportFiles(argv['report-dir'], report, new Date());
  process.exitCode = exitCodeFor(report);
  printed = report;
}

/** What --json prints on stdout when a command fails before it has a report. */
export function errorEnvelope(error: unknown, message: string, exitCode: number) {
  const code = error instanceof BridgeError ? error.code : error instanceof LockHeldError ? 'LockHeld' : error instanceof InputError ? 'BadInput' : 'InternalError';
  // An internal error's message carries its stack: the envelope keeps the first line only.
  return { toolVersion, generatedAt: new Date().toISOString(), error: { code, exitCode, message: exitCode === EXIT.internal ? message.split('\n')[0] : message } };
}

/** Turns what went wrong into one line and the documented exit code. */
export function fail(error: unknown, logger?: Logger, argv: { json?: boolean } = {}): void {
  const say = (message: string, code: number) => {
    if (logger) logger.error(message);
    else console.error(`upn-match: ${message}`);
    process.exitCode = code;
    // --json promises JSON on stdout: a failure gives an error envelope rather than nothing.
    if (argv.json) console.log(JSON.stringify(errorEnvelope(error, message, code), null, 2));
  };
  if (error instanceof BatchInputError) return say(`bad input:\n${error.message}`, EXIT.badInput);
  if (error instanceof InputError) return say(error.message, EXIT.badInput);
  if (error instanceof LockHeldError) return say(error.message, EXIT.lockHeld);
  if (error instanceof WorkFileError) return say(`${error.code}: ${error.message}`, exitOfRunFailure(error.code));
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
  phases.close();
  if (!process.stdin.isTTY) throw new InputError(`refusing to write without --yes when not run from a terminal (a scheduled task must pass --yes)`);
  if (shown) process.stderr.write(`${shown()}\n`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${question} [y/N] `);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}
