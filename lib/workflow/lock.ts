// One run at a time per work folder (proper-lockfile: a lock directory whose mtime the holder
// refreshes; a killed run stops refreshing, and its lock becomes stale and can be taken over).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';

export class LockHeldError extends Error {
  override readonly name = 'LockHeldError';
}

export const LOCK_STALE_MS = 30_000;

export async function acquireRunLock(workDir: string, staleMs = LOCK_STALE_MS): Promise<() => Promise<void>> {
  mkdirSync(workDir, { recursive: true });
  try {
    return await lockfile.lock(workDir, {
      lockfilePath: path.join(workDir, 'upn-match.lock'),
      stale: staleMs,
      update: Math.max(1000, Math.floor(staleMs / 3)),
      retries: 0,
      realpath: false,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new LockHeldError(`another upn-match run is working in ${workDir} (lock ${path.join(workDir, 'upn-match.lock')}); try again when it ends`);
    }
    throw error;
  }
}
