// Logs: human lines on the console (stderr, so that --json stdout stays clean) and JSON lines in a
// size-rotated file. Values under secret-looking keys are masked before any transport sees them.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import winston from 'winston';

export const SECRET_KEY = /secret|password|passwd|token|credential|apikey|api_key|authorization/i;

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)]));
}

const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (SECRET_KEY.test(key)) info[key] = '[redacted]';
    else if (typeof info[key] === 'object') info[key] = redact(info[key]);
  }
  return info;
});

export type Logger = winston.Logger;

/** The log file in a log folder. */
export function logFileIn(logDir: string): string {
  return path.join(logDir, 'upn-match.log');
}

/** Whether a log line goes to the console too: not a run event (started, failed user, ended), not a fileOnly line. */
export function shownOnConsole(meta: Record<string, unknown>): boolean {
  return meta.event === undefined && meta.fileOnly === undefined;
}

export function createLogger(options: { logDir: string | null; quiet: boolean; verbose?: boolean }): Logger {
  const transports: winston.transport[] = [
    new winston.transports.Console({
      level: options.quiet ? 'error' : options.verbose ? 'debug' : 'info',
      stderrLevels: ['error', 'warn', 'info', 'debug'],
      // Run events (started, failed user, ended) and each user's outcome are for the log file and the Event Log:
      // the console already shows the report or the error, and says nothing twice.
      format: winston.format.combine(
        winston.format((info) => (shownOnConsole(info) ? info : false))(),
        winston.format.printf((info) => `upn-match: ${info.level === 'info' ? '' : `${info.level}: `}${String(info.message)}`),
      ),
    }),
  ];
  if (options.logDir) {
    mkdirSync(options.logDir, { recursive: true });
    transports.push(
      new winston.transports.File({
        filename: logFileIn(options.logDir),
        level: 'debug',
        maxsize: 10 * 1024 * 1024,
        maxFiles: 10,
        tailable: true,
        format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
      }),
    );
  }
  return winston.createLogger({ format: redactFormat(), transports });
}
