// A long-lived PowerShell session (node-powershell) for a whole run: modules are imported and
// connections made once. A call that times out kills the session; the next call starts a new one.
import { PowerShell } from 'node-powershell';
import { readBetweenDelimiters, releaseAnswer } from './bulk-reader.js';
import { collectGarbage, LARGE_ANSWER } from '../gc.js';
import { BridgeError, tail } from './errors.js';
import { interpretOutput, type ScriptOutput } from './envelope.js';
import { hostArguments } from './hosts.js';
import { watchProgress } from './progress.js';
import { killTree, track, untrack } from './reaper.js';
import {
  DEFAULT_TIMEOUT_MS,
  cancelledError,
  checkInput,
  hostEnvironment,
  requestJson,
  scriptPath,
  timeoutError,
  type PowerShellRunner,
  type RunnerOptions,
  type ScriptCall,
} from './runner.js';

const toBase64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** The PowerShell expression that decodes base64 text: data never appears in the command itself. */
const decoded = (text: string) => `([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${toBase64(text)}')))`;

/**
 * Gives the shell the reader of bulk-reader.ts in place of node-powershell's own (a private method of
 * child-shell 5's Shell, same arguments and result); a version without it keeps its own reader.
 */
function readOutputInChunks(shell: PowerShell): void {
  const internals = shell as unknown as { readBulkFromOutput?: unknown };
  if (typeof internals.readBulkFromOutput === 'function') internals.readBulkFromOutput = readBetweenDelimiters;
}

/** Removes an invocation from node-powershell's history and drops what it holds (the caller has taken the texts). */
function forget(shell: PowerShell, record: Awaited<ReturnType<PowerShell['invoke']>>): void {
  const at = shell.history.indexOf(record);
  if (at >= 0) (shell.history as unknown[]).splice(at, 1);
  record.stdout = undefined;
  record.stderr = undefined;
  record.raw = '';
  record.command = '';
}

interface Session {
  shell: PowerShell;
  pid: number | undefined;
  ready: Promise<void>;
}

export class SessionRunner implements PowerShellRunner {
  readonly kind = 'session' as const;
  private session: Session | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** How many PowerShell processes this runner has started (for tests and benchmarks). */
  started = 0;

  constructor(private readonly options: RunnerOptions) {}

  run<T>(call: ScriptCall<T>): Promise<ScriptOutput<T>> {
    const next = this.queue.then(() => this.runNow(call));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private start(): Session {
    const args = hostArguments(this.options.host);
    const executableOptions: Record<string, string | boolean> = { '-NoProfile': true, '-NonInteractive': true };
    const policy = args.indexOf('-ExecutionPolicy');
    if (policy >= 0) executableOptions['-ExecutionPolicy'] = args[policy + 1] ?? 'Bypass';
    const shell = new PowerShell({
      executable: this.options.host.path,
      executableOptions,
      spawnOptions: { env: { ...process.env, ...hostEnvironment(this.options) }, windowsHide: true },
      throwOnInvocationError: false,
    });
    readOutputInChunks(shell);
    const pid = (shell as unknown as { process: { pid?: number } }).process.pid;
    track(pid);
    this.started += 1;
    const init = [
      `$ErrorActionPreference = 'Stop'`,
      `Import-Module -Name ${decoded(scriptPath('UpnMatch.Common'))} -Global -Verbose:$false`,
      `Initialize-UpnMatchHost -ModulePath @(${decoded(JSON.stringify(this.options.modulePath ?? []))} | ConvertFrom-Json)`,
    ].join('; ');
    const ready = shell.invoke(init).then((result) => {
      const stderr = result.stderr?.toString('utf8') ?? '';
      if (stderr.trim() !== '') {
        throw new BridgeError({ reason: 'host-missing', script: 'UpnMatch.Common', message: `the PowerShell session could not start: ${tail(stderr, 1)}`, stderrTail: tail(stderr) });
      }
    }, (error: unknown) => {
      // The host could not be started at all (missing, not executable) or ended while starting.
      const why = error instanceof Error ? error.message.split('\n', 1)[0] : String(error);
      throw new BridgeError({ reason: 'host-missing', script: 'UpnMatch.Common', message: `could not start PowerShell (${this.options.host.path}): ${why}`, cause: error });
    });
    const session = { shell, pid, ready };
    // A session that ends on its own is forgotten, so that the next call starts a new one.
    void (shell as unknown as { exitPromise: Promise<void> }).exitPromise
      .catch(() => undefined)
      .finally(() => {
        untrack(pid);
        if (this.session === session) this.session = undefined;
      });
    return session;
  }

  private kill(session: Session): void {
    if (this.session === session) this.session = undefined;
    if (session.pid !== undefined) killTree(session.pid);
    untrack(session.pid);
  }

  private async runNow<T>(call: ScriptCall<T>): Promise<ScriptOutput<T>> {
    checkInput(call);
    if (call.signal?.aborted) throw cancelledError(call.script);
    const timeoutMs = call.timeoutMs ?? this.options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const session = (this.session ??= this.start());
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const interrupted = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.kill(session);
        reject(timeoutError(call.script, timeoutMs));
      }, timeoutMs);
      onAbort = () => {
        this.kill(session);
        reject(cancelledError(call.script));
      };
      call.signal?.addEventListener('abort', onAbort, { once: true });
    });
    const progress = call.onProgress ? watchProgress(call.onProgress) : undefined;
    const work = (async () => {
      await session.ready;
      const command = `Invoke-UpnMatchRequest -RequestBase64 '${toBase64(requestJson(call, [], progress?.file))}'`;
      return session.shell.invoke(command);
    })();
    work.catch(() => undefined);
    try {
      const result = await Promise.race([work, interrupted]);
      // node-powershell keeps every invocation (the command, stdout as bytes and as text) in the shell's
      // history for the session's life: megabytes per facts call. Take the texts and let it forget them.
      let stdout = result.hadErrors ? (result.stdout?.toString('utf8') ?? '') : result.raw;
      const stderr = result.stderr?.toString('utf8') ?? '';
      releaseAnswer(result.stdout);
      releaseAnswer(result.stderr);
      forget(session.shell, result);
      const output = interpretOutput({ script: call.script, stdout, stderr, exitCode: null }, call.output);
      if (stdout.length >= LARGE_ANSWER) {
        stdout = '';
        collectGarbage();
      }
      return output;
    } catch (error) {
      if (error instanceof BridgeError) throw error;
      this.kill(session);
      throw new BridgeError({
        reason: 'protocol-error',
        script: call.script,
        code: 'SessionEnded',
        message: `the PowerShell session ended while running ${call.script}: ${error instanceof Error ? error.message.split('\n', 1)[0] : String(error)}`,
        cause: error,
      });
    } finally {
      clearTimeout(timer);
      progress?.stop();
      if (onAbort) call.signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.session = undefined;
    try {
      let timer: NodeJS.Timeout | undefined;
      // dispose() can hang on a wedged host: give it three seconds, then kill the tree anyway.
      await Promise.race([session.shell.dispose(), new Promise((resolve) => (timer = setTimeout(resolve, 3000)))]).finally(() => clearTimeout(timer));
    } catch {
      // It was ending anyway.
    }
    if (session.pid !== undefined) killTree(session.pid);
    untrack(session.pid);
  }
}
