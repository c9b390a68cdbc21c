// One interface for running a bundled script, with two implementations: a long-lived session
// (node-powershell) and a one-shot process (execa). lib/bridge is the only code that starts PowerShell.
import path from 'node:path';
import type { z } from 'zod';
import { BridgeError } from './errors.js';
import type { ScriptOutput } from './envelope.js';
import type { HostCandidate } from './hosts.js';
import { psDir } from '../paths.js';
import type { ProgressSink } from './progress.js';

export interface ScriptCall<T> {
  /** Bundled script, relative to ps/ (e.g. 'steps/Get-HostInfo.ps1'); tests may give an absolute path. */
  script: string;
  /** Splatted onto the script's param() block. */
  input: Record<string, unknown>;
  /** Checks `data`; its failure is an output-invalid error. */
  output: z.ZodType<T>;
  /** Checks `input` before anything is started; its failure is an input-invalid error. */
  inputSchema?: z.ZodType<unknown>;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Told the script's progress while it runs (Write-UpnMatchProgress); without it the script reports none. */
  onProgress?: ProgressSink;
}

export interface RunnerOptions {
  host: HostCandidate;
  /** Folders put first on PSModulePath (the simulator's fake modules, for example). */
  modulePath?: string[];
  /** Extra environment for PowerShell. */
  env?: Record<string, string>;
  /** Per-call limit when a call sets none. */
  defaultTimeoutMs?: number;
}

export interface PowerShellRunner {
  readonly kind: 'session' | 'process';
  run<T>(call: ScriptCall<T>): Promise<ScriptOutput<T>>;
  /** Ends the PowerShell process(es); the runner can still be used afterwards (it starts anew). */
  close(): Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 120_000;

/**
 * The largest request a call may send (UTF-8 JSON): Windows PowerShell 5.1's ConvertFrom-Json fails above about
 * 2 MB, so callers chunk their lists below this (lib/workflow/chunks.ts) and the bridge refuses anything larger.
 */
export const MAX_REQUEST_BYTES = 1_000_000;

export function scriptPath(script: string): string {
  return path.resolve(psDir, script);
}

/** The single JSON request a script receives (with the file its progress goes to, when progress is wanted). */
export function requestJson(call: ScriptCall<unknown>, modulePath: string[] = [], progressFile?: string): string {
  return JSON.stringify({ script: scriptPath(call.script), input: call.input, modulePath, ...(progressFile ? { progressFile } : {}) });
}

/** Refuses bad input before any process is started: a request over MAX_REQUEST_BYTES, or input its schema refuses. */
export function checkInput(call: ScriptCall<unknown>): void {
  const bytes = Buffer.byteLength(requestJson(call), 'utf8');
  if (bytes > MAX_REQUEST_BYTES) {
    throw new BridgeError({
      // A caller that did not split its lists broke the protocol's limit: a bug, not the admin's input.
      reason: 'protocol-error',
      code: 'RequestTooLarge',
      script: call.script,
      message: `the request to ${call.script} is ${bytes} bytes, over the ${MAX_REQUEST_BYTES} a call may send (Windows PowerShell 5.1 cannot read it): its caller must split it`,
    });
  }
  if (!call.inputSchema) return;
  const result = call.inputSchema.safeParse(call.input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new BridgeError({
      reason: 'input-invalid',
      script: call.script,
      message: `invalid input for ${call.script}: ${issue ? `${issue.path.join('.') || '(input)'}: ${issue.message}` : 'rejected'}`,
      cause: result.error,
    });
  }
}

/**
 * .NET's GC (PowerShell 7) otherwise keeps the memory of large transient objects, such as a page of
 * 999 Graph users, committed: at 10,000 users the host peaked about 45 MB higher. Compacting costs a
 * little CPU on a host that mostly waits for the directory. Windows PowerShell 5.1 ignores it.
 */
const GC_CONSERVE_MEMORY = '9';

/**
 * The environment PowerShell starts with, over the inherited one: no terminal control codes, our
 * module folders, a GC that gives memory back (unless the admin set DOTNET_GCConserveMemory), our pid.
 */
export function hostEnvironment(options: RunnerOptions, inherited: Record<string, string | undefined> = process.env): Record<string, string> {
  const gc: Record<string, string> = inherited.DOTNET_GCConserveMemory === undefined ? { DOTNET_GCConserveMemory: GC_CONSERVE_MEMORY } : {};
  // UPN_MATCH_PARENT_PID: PowerShell's watchdog (Start-UpnMatchWatchdog) ends it when this process ends, even by kill -9.
  return { ...gc, ...options.env, TERM: 'dumb', NO_COLOR: '1', POWERSHELL_TELEMETRY_OPTOUT: '1', POWERSHELL_UPDATECHECK: 'Off', UPN_MATCH_PARENT_PID: String(process.pid) };
}

export function cancelledError(script: string, stderr = ''): BridgeError {
  return new BridgeError({ reason: 'cancelled', script, message: `${script} was cancelled`, stderrTail: stderr });
}

export function timeoutError(script: string, timeoutMs: number, stderr = ''): BridgeError {
  return new BridgeError({
    reason: 'timeout',
    script,
    message: `${script} did not finish within ${timeoutMs} ms; its PowerShell process was stopped`,
    stderrTail: stderr,
  });
}
