// One run at a time per work folder (proper-lockfile: a lock directory whose mtime the holder
// refreshes; a lock nobody refreshes goes stale and is taken over). The holder also writes its pid
// and host beside the lock (not inside: proper-lockfile watches the lock directory's mtime), so that a
// lock left by a killed run on this machine is taken over at once.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';

export class LockHeldError extends Error {
  override readonly name = 'LockHeldError';
}

export const LOCK_STALE_MS = 30_000;

interface Owner {
  pid: number;
  host: string;
  since: string;
  /** The holder's command line (the CLI takes no secret on it), for the refusal message. */
  command?: string;
}

/** Who holds the lock, for the refusal: pid, host, start time and command, as far as its owner file says. */
function holderOf(ownerFile: string): string {
  try {
    const o = JSON.parse(readFileSync(ownerFile, 'utf8')) as Owner;
    return `held by pid ${o.pid} on ${o.host} since ${o.since}${o.command ? ` (${o.command})` : ''}`;
  } catch {
    return 'holder unknown';
  }
}

/** Whether a process of this machine lives (EPERM: it does, and is another user's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's holder ended without releasing it (it ran on this machine and its process is gone). */
function heldByDeadProcess(ownerFile: string): boolean {
  try {
    const owner = JSON.parse(readFileSync(ownerFile, 'utf8')) as Owner;
    return owner.host === os.hostname() && owner.pid !== process.pid && !isAlive(owner.pid);
  } catch {
    return false;
  }
}

export async function acquireRunLock(workDir: string, staleMs = LOCK_STALE_MS, command?: string): Promise<() => Promise<void>> {
  mkdirSync(workDir, { recursive: true });
  const lockPath = path.join(workDir, 'upn-match.lock');
  const ownerFile = `${lockPath}.owner.json`;
  const options = {
    lockfilePath: lockPath,
    stale: staleMs,
    update: Math.max(1000, Math.floor(staleMs / 3)),
    retries: 0,
    realpath: false,
  };
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(workDir, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    if (!heldByDeadProcess(ownerFile)) {
      throw new LockHeldError(`another upn-match run is working in ${workDir}, ${holderOf(ownerFile)} (lock ${lockPath}); try again when it ends`);
    }
    rmSync(lockPath, { recursive: true, force: true });
    release = await lockfile.lock(workDir, options);
  }
  const owner: Owner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), ...(command ? { command } : {}) };
  writeFileSync(ownerFile, JSON.stringify(owner), 'utf8');
  return release;
}
