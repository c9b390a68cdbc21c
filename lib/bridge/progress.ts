// Progress while a script runs. A session call hands back its output only when it ends (stdout carries the one
// envelope, and node-powershell reads it whole), so a script's progress takes a side channel: a file the bridge
// names in the request, to which Write-UpnMatchProgress (ps/UpnMatch.Common) appends one JSON line per event,
// and which the bridge reads while the call runs. A plain file works the same for the session and the one-shot
// process, on Windows PowerShell 5.1 and PowerShell 7, without a pipe or a port to set up.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ProgressEvent {
  /** What is being done, e.g. "Reading cloud users". */
  activity: string;
  done: number;
  /** Null when the whole is not known. */
  total: number | null;
  /** count: items; seconds: time waited (done of total seconds). */
  unit: 'count' | 'seconds';
}

export type ProgressSink = (event: ProgressEvent) => void;

/** How often the file is read while a call runs. */
const POLL_MS = 250;

let folder: string | undefined;

/** One private folder per process for the progress files (removed at exit). */
function progressFolder(): string {
  if (folder) return folder;
  folder = mkdtempSync(path.join(os.tmpdir(), 'upn-match-progress-'));
  const made = folder;
  process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  return folder;
}

let sequence = 0;

/** A line of the file as an event, or undefined for anything else (a line cut short, a stray write). */
export function parseProgressLine(line: string): ProgressEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { activity, done, total, unit } = value as Record<string, unknown>;
  if (typeof activity !== 'string' || activity === '' || typeof done !== 'number' || !Number.isFinite(done)) return undefined;
  return {
    activity,
    done,
    total: typeof total === 'number' && Number.isFinite(total) && total >= 0 ? total : null,
    unit: unit === 'seconds' ? 'seconds' : 'count',
  };
}

export interface ProgressWatch {
  /** The file to name in the request; undefined when no file could be made (the call then runs without progress). */
  file: string | undefined;
  /** Reads what is left, stops, removes the file. */
  stop(): void;
}

/** Starts reading a new progress file for one call; each complete line goes to `sink`. */
export function watchProgress(sink: ProgressSink): ProgressWatch {
  let folderPath: string;
  try {
    folderPath = progressFolder();
  } catch {
    // No temporary folder to write in: progress is not worth failing the call for.
    return { file: undefined, stop: () => undefined };
  }
  const file = path.join(folderPath, `${process.pid}-${(sequence += 1)}.jsonl`);
  let offset = 0;
  let partial = '';
  const read = () => {
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      return; // not written yet
    }
    if (size <= offset) return;
    const buffer = Buffer.alloc(size - offset);
    const fd = openSync(file, 'r');
    try {
      offset += readSync(fd, buffer, 0, buffer.length, offset);
    } finally {
      closeSync(fd);
    }
    const lines = (partial + buffer.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const event = line.trim() === '' ? undefined : parseProgressLine(line);
      // The renderer's failure must never fail the call.
      if (event) {
        try {
          sink(event);
        } catch {
          // ignored
        }
      }
    }
  };
  const timer = setInterval(() => {
    try {
      read();
    } catch {
      // ignored: progress is best effort
    }
  }, POLL_MS);
  timer.unref();
  return {
    file,
    stop() {
      clearInterval(timer);
      try {
        read();
        rmSync(file, { force: true });
      } catch {
        // ignored: progress is best effort (a file left behind goes with the folder at exit)
      }
    },
  };
}
