// What every workflow function is handed: PowerShell through StepIO, the journal, the clock, a log.
import { isBridgeError } from '../bridge/errors.js';
import { codeInfo } from '../codes.js';
import type { StepIO } from './io.js';
import type { JournalStore } from './journal.js';
import type { Failure } from './lifecycle.js';

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface EngineDeps {
  io: StepIO;
  journal: JournalStore;
  clock: Clock;
  log?: (level: LogLevel, message: string, meta?: Record<string, unknown>) => void;
  /** Told when a phase of a run starts ("Delta sync running"): the console names a phase that lasts. */
  phase?: (label: string) => void;
  /** Told the id of the run a command works on, once known (the log puts it on every line). */
  onRunId?: (runId: string) => void;
}

/** A step's failure as the journal keeps it: the code (the catalogue's) and one line. */
export function failureOf(error: unknown): Failure {
  if (isBridgeError(error)) return { code: error.code, message: error.message };
  return { code: 'UnexpectedError', message: error instanceof Error ? error.message : String(error) };
}

/** A failure no user can get past (no host, no sign-in): it ends the whole command. */
export function stopsRun(error: unknown): boolean {
  return isBridgeError(error) && codeInfo(error.code).stopsRun;
}
