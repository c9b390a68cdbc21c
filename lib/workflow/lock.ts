// One run at a time per work folder (proper-lockfile: a lock directory whose mtime the holder
// refreshes; a lock nobody refreshes goes stale and is taken over). The holder also writes beside the lock
// (not inside: proper-lockfile watches the lock directory's mtime) its pid, its host and the pids of the
// PowerShell processes it runs, kept current. A lock left by a killed run on this machine is taken over at
// once, but never while a PowerShell of that run still lives: it may still be writing to AD.
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { livePids, onLiveChange } from '../bridge/reaper.js';
import { ensurePrivateDir, writePrivateFile } from './work-dir.js';

export class LockHeldError extends Error {
  override readonly name = 'LockHeldError';
}

export const LOCK_STALE_MS = 30_000;
/** How long a new run waits for the PowerShell of a killed run to end (its watchdog ends it within a second). */
export const ORPHAN_WAIT_MS = 5_000;

export interface LockOwner {
  pid: number;
  host: string;
  since: string;
  /** The PowerShell processes the holder runs. */
  powershell?: number[];
  /** The holder's command line (the CLI takes no secret on it), for the refusal message. */
  command?: string;
}

/** Who holds the lock, for the refusal: pid, host, start time and command, as far as its owner file says. */
function holderOf(ownerFile: string): string {
  const o = readOwner(ownerFile);
  return o ? `held by pid ${o.pid} on ${o.host} since ${o.since}${o.command ? ` (${o.command})` : ''}` : 'holder unknown';
}

/**
 * Whether a process of this machine lives (EPERM: it does, and is another user's). A Linux zombie does not: it
 * has ended, and waits for a parent (a container's init may never reap it) to collect its exit code.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return true;
  }
}

function readOwner(ownerFile: string): LockOwner | null {
  try {
    return JSON.parse(readFileSync(ownerFile, 'utf8')) as LockOwner;
  } catch {
    return null;
  }
}

/** A holder of this machine that ended without releasing the lock (null: none, or it lives, or another machine's). */
function deadOwner(ownerFile: string): LockOwner | null {
  const owner = readOwner(ownerFile);
  if (!owner || owner.host !== os.hostname() || owner.pid === process.pid || isAlive(owner.pid)) return null;
  return owner;
}

/** The PowerShell processes of a dead holder still running, after waiting up to `waitMs` for them to end. */
async function orphansAfterWait(owner: LockOwner, waitMs: number): Promise<number[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const alive = (owner.powershell ?? []).filter(isAlive);
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface LockOptions {
  staleMs?: number;
  orphanWaitMs?: number;
  /** The command line of this run, for another run's refusal. */
  command?: string;
}

export async function acquireRunLock(workDir: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const staleMs = options.staleMs ?? LOCK_STALE_MS;
  ensurePrivateDir(workDir);
  const lockPath = path.join(workDir, 'upn-match.lock');
  const ownerFile = `${lockPath}.owner.json`;
  const lockOptions = {
    lockfilePath: lockPath,
    stale: staleMs,
    update: Math.max(1000, Math.floor(staleMs / 3)),
    retries: 0,
    realpath: false,
  };
  // Before proper-lockfile may call the lock stale: a killed run's PowerShell that still lives keeps it.
  const dead = deadOwner(ownerFile);
  if (dead) {
    const orphans = await orphansAfterWait(dead, options.orphanWaitMs ?? ORPHAN_WAIT_MS);
    if (orphans.length > 0) {
      throw new LockHeldError(
        `the run of process ${dead.pid} ended, but its PowerShell (pid ${orphans.join(', ')}) still runs in ${workDir} and may still write to AD; ` +
          'wait for it to end (or end it), then run again',
      );
    }
  }
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(workDir, lockOptions);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    if (!deadOwner(ownerFile)) {
      throw new LockHeldError(`another upn-match run is working in ${workDir}, ${holderOf(ownerFile)} (lock ${lockPath}); try again when it ends`);
    }
    rmSync(lockPath, { recursive: true, force: true });
    release = await lockfile.lock(workDir, lockOptions);
  }
  const since = new Date().toISOString();
  const record = (pids: number[]) => writePrivateFile(ownerFile, JSON.stringify({ pid: process.pid, host: os.hostname(), since, powershell: pids, ...(options.command ? { command: options.command } : {}) } satisfies LockOwner));
  record(livePids());
  const stopRecording = onLiveChange(record);
  return async () => {
    stopRecording();
    // The owner file goes before the lock: once released, the next holder writes its own.
    rmSync(ownerFile, { force: true });
    await release();
  };
}
