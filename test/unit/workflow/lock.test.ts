// The run lock's refusal names who holds it.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { acquireRunLock, LockHeldError } from '../../../lib/workflow/lock.js';

describe('workflow: run lock', () => {
  it('refuses a second holder, naming the first: pid, host, start time and command', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'upn-match-lock-'));
    const release = await acquireRunLock(dir, 30_000, 'upn-match apply --csv users.csv --yes');
    try {
      const error = await acquireRunLock(dir, 30_000, 'upn-match verify --run x').then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(LockHeldError);
      expect((error as Error).message).to.match(new RegExp(`held by pid ${process.pid} on ${os.hostname()} since \\d{4}-\\d\\d-\\d\\dT\\S+Z \\(upn-match apply --csv users\\.csv --yes\\)`));
    } finally {
      await release();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
