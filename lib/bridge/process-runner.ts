// One PowerShell process per call (execa): for isolated calls and for a step that needs another
// host (Entra Connect's ADSync module usually wants Windows PowerShell 5.1).
import { execa } from 'execa';
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

const ENTRY = 'Invoke-UpnMatchScript.ps1';

export class ProcessRunner implements PowerShellRunner {
  readonly kind = 'process' as const;

  constructor(private readonly options: RunnerOptions) {}

  async run<T>(call: ScriptCall<T>): Promise<ScriptOutput<T>> {
    checkInput(call);
    if (call.signal?.aborted) throw cancelledError(call.script);
    const timeoutMs = call.timeoutMs ?? this.options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const progress = call.onProgress ? watchProgress(call.onProgress) : undefined;
    const child = execa(this.options.host.path, [...hostArguments(this.options.host), '-File', scriptPath(ENTRY)], {
      input: requestJson(call, this.options.modulePath, progress?.file),
      env: hostEnvironment(this.options),
      extendEnv: true,
      reject: false,
      stripFinalNewline: false,
      maxBuffer: 256 * 1024 * 1024,
      // Its own process group, so that a timeout or Ctrl-C kills the whole tree.
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    track(child.pid);
    let timedOut = false;
    let cancelled = false;
    const stop = () => {
      if (child.pid !== undefined) killTree(child.pid);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    const onAbort = () => {
      cancelled = true;
      stop();
    };
    call.signal?.addEventListener('abort', onAbort, { once: true });
    let result;
    try {
      result = await child;
    } finally {
      clearTimeout(timer);
      progress?.stop();
      call.signal?.removeEventListener('abort', onAbort);
      untrack(child.pid);
    }
    const stdout = String(result.stdout ?? '');
    const stderr = String(result.stderr ?? '');
    if (timedOut) throw timeoutError(call.script, timeoutMs, tail(stderr));
    if (cancelled) throw cancelledError(call.script, tail(stderr));
    if (result.failed && result.exitCode === undefined) {
      throw new BridgeError({
        reason: 'host-missing',
        script: call.script,
        message: `could not start PowerShell (${this.options.host.path}): ${result.shortMessage ?? result.message}`,
        cause: result.cause,
      });
    }
    return interpretOutput({ script: call.script, stdout, stderr, exitCode: result.exitCode ?? null }, call.output);
  }

  async close(): Promise<void> {
    // Nothing outlives a call.
  }
}
