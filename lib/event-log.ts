// The events an admin or a SIEM watches for: one when a run starts, one when it ends (summary and exit code),
// one per user that failed. On Windows each goes to the Application event log under its own source (upn-match);
// everywhere each also goes to the log file as a JSON line with its event id, so that where there is no event
// log (here) the same events are there.
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import type { Logger } from './log.js';

export const EVENT_SOURCE = 'upn-match';

/** Event ids (eventcreate accepts 1 to 1000). */
export const EVENT_ID = { runStarted: 100, runEnded: 110, userFailed: 200 } as const;

export interface RunEvent {
  id: (typeof EVENT_ID)[keyof typeof EVENT_ID];
  type: 'information' | 'warning' | 'error';
  message: string;
  /** Fields for the log file's line (the event log gets the message only). */
  data?: Record<string, unknown>;
}

/**
 * eventcreate.exe's arguments (Windows Server's own tool: it registers the source on first use, so no installer
 * step is needed; it needs local Administrators, which a run that writes to AD and drives Entra Connect has).
 * Reviewed, not run: there is no Windows here.
 */
export function eventcreateArguments(event: RunEvent): string[] {
  // eventcreate takes one line of at most 32 KB; a longer message is cut.
  const description = event.message.replace(/\s*[\r\n]+\s*/g, ' ').slice(0, 30_000);
  return ['/L', 'APPLICATION', '/SO', EVENT_SOURCE, '/ID', String(event.id), '/T', event.type.toUpperCase(), '/D', description];
}

const LEVEL = { information: 'info', warning: 'warn', error: 'error' } as const;

export function writeEvent(logger: Logger, event: RunEvent, platform: NodeJS.Platform = process.platform): void {
  logger.log(LEVEL[event.type], event.message, { ...event.data, event: event.id, eventSource: EVENT_SOURCE });
  toEventLog(logger, event, platform);
}

/**
 * The same, written before this call returns: for a process about to exit on a signal, which would not wait for the
 * logger's file stream. One JSON line in the log file's format (level, message, the logger's fields, timestamp).
 */
export function writeEventNow(logger: Logger, logFile: string | null, event: RunEvent, platform: NodeJS.Platform = process.platform): void {
  const line = { level: LEVEL[event.type], message: event.message, ...logger.defaultMeta, ...event.data, event: event.id, eventSource: EVENT_SOURCE, timestamp: new Date().toISOString() };
  if (logFile) appendFileSync(logFile, `${JSON.stringify(line)}\n`, { encoding: 'utf8', mode: 0o600 });
  toEventLog(logger, event, platform);
}

function toEventLog(logger: Logger, event: RunEvent, platform: NodeJS.Platform): void {
  if (platform !== 'win32') return;
  const result = spawnSync('eventcreate', eventcreateArguments(event), { encoding: 'utf8', windowsHide: true, timeout: 10_000 });
  if (result.status !== 0) logger.warn(`could not write event ${event.id} to the Application event log: ${(result.stderr || result.stdout || String(result.error ?? '')).trim()}`);
}
