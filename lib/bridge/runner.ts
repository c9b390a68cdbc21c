// One interface for running a bundled script, with two implementations: a long-lived session
// (node-powershell) and a one-shot process (execa). lib/bridge is the only code that starts PowerShell.
import path from 'node:path';
import type { z } from 'zod';
import { BridgeError } from './errors.js';
import type { ScriptOutput } from './envelope.js';
import type { HostCandidate } from './hosts.js';
import { psDir } from '../paths.js';

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

export function scriptPath(script: string): string {
  return path.resolve(psDir, script);
}

/** The single JSON request a script receives. */
export function requestJson(call: ScriptCall<unknown>, modulePath: string[] = []): string {
  return JSON.stringify({ script: scriptPath(call.script), input: call.input, modulePath });
}

/** Refuses bad input before any process is started. */
export function checkInput(call: ScriptCall<unknown>): void {
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

/** The environment PowerShell starts with: no terminal control codes, our module folders. */
export function hostEnvironment(options: RunnerOptions): Record<string, string> {
  return { ...options.env, TERM: 'dumb', NO_COLOR: '1', POWERSHELL_TELEMETRY_OPTOUT: '1', POWERSHELL_UPDATECHECK: 'Off' };
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
