// The work folder: created readable by the run account only, a run file of another account refused with its
// code, settled runs pruned after the retention and unsettled ones never; the Windows ACL's arguments.
import { chownSync, existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { codeInfo } from '../../../lib/codes.js';
import { EXIT } from '../../../lib/exit-codes.js';
import { featureRecordFile, readFeatureRecord } from '../../../lib/workflow/feature.js';
import { FileJournalStore, type RunJournal } from '../../../lib/workflow/journal.js';
import { acquireRunLock } from '../../../lib/workflow/lock.js';
import { ensurePrivateDir, windowsAclArguments, WorkFileError } from '../../../lib/workflow/work-dir.js';

const posix = process.platform !== 'win32';

function journal(runId: string, status: RunJournal['status'], updatedAt: string): RunJournal {
  return { runId, batchKey: 'k', mode: 'apply', startedAt: updatedAt, updatedAt, status, featureEnabled: false, sync: { state: 'not-run' }, users: [] };
}

const mode = (file: string) => statSync(file).mode & 0o777;

describe('workflow: the work folder', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'upn-match-workdir-'));
  });

  it('creates its folders 0700 and its files 0600, and tightens a folder that others could read', async function () {
    if (!posix) this.skip(); // reason: POSIX modes; Windows uses the ACL (windowsAclArguments)
    const workDir = path.join(root, 'work');
    const release = await acquireRunLock(workDir);
    await release();
    const store = new FileJournalStore(workDir);
    store.save(journal('20260101T000000Z-aaaaaa', 'running', '2026-01-01T00:00:00.000Z'));
    expect(mode(workDir)).to.equal(0o700);
    expect(mode(path.join(workDir, 'runs'))).to.equal(0o700);
    expect(mode(path.join(workDir, 'runs', '20260101T000000Z-aaaaaa.json'))).to.equal(0o600);
    const open = path.join(root, 'open');
    ensurePrivateDir(open);
    (await import('node:fs')).chmodSync(open, 0o755);
    ensurePrivateDir(open);
    expect(mode(open)).to.equal(0o700);
  });

  it('refuses a run file that another account owns, with the code WorkFileNotOwned', function () {
    if (!posix || process.getuid?.() !== 0) this.skip(); // reason: giving a file to another uid needs root
    const store = new FileJournalStore(path.join(root, 'work'));
    store.save(journal('20260101T000000Z-bbbbbb', 'running', '2026-01-01T00:00:00.000Z'));
    const file = path.join(root, 'work', 'runs', '20260101T000000Z-bbbbbb.json');
    chownSync(file, 4242, 4242);
    let error: unknown;
    try {
      store.load('20260101T000000Z-bbbbbb');
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(WorkFileError);
    expect((error as WorkFileError).code).to.equal('WorkFileNotOwned');
    expect(() => store.list()).to.throw(WorkFileError, /uid 4242/);
    expect(codeInfo('WorkFileNotOwned')).to.include({ kind: 'environment', exit: EXIT.environment, stopsRun: true });
    // The feature record too: a planted one could make an app-only run believe soft match is on.
    mkdtempSync(path.join(root, 'x'));
    writeFileSync(featureRecordFile(root), '{}');
    chownSync(featureRecordFile(root), 4242, 4242);
    expect(() => readFeatureRecord(root)).to.throw(WorkFileError);
  });

  it('prunes settled runs older than the retention and keeps the newer and the unsettled ones', () => {
    const store = new FileJournalStore(path.join(root, 'work'));
    store.save(journal('20250101T000000Z-000001', 'done', '2025-01-01T00:00:00.000Z'));
    store.save(journal('20250101T000000Z-000002', 'rolled-back', '2025-01-02T00:00:00.000Z'));
    store.save(journal('20250101T000000Z-000003', 'incomplete', '2025-01-01T00:00:00.000Z'));
    store.save(journal('20250101T000000Z-000004', 'running', '2025-01-01T00:00:00.000Z'));
    store.save(journal('20250101T000000Z-000005', 'done', '2026-06-01T00:00:00.000Z'));
    const pruned = store.prune(new Date('2026-01-01T00:00:00.000Z'));
    expect(pruned).to.deep.equal(['20250101T000000Z-000001', '20250101T000000Z-000002']);
    expect(store.list().map((r) => r.runId)).to.deep.equal(['20250101T000000Z-000003', '20250101T000000Z-000004', '20250101T000000Z-000005']);
    expect(existsSync(path.join(root, 'work', 'runs', '20250101T000000Z-000001.json'))).to.equal(false);
  });

  it('gives the Windows folder to Administrators and the run account only, without inherited entries', () => {
    expect(windowsAclArguments('C:\\ProgramData\\upn-match', 'S-1-5-21-1-2-3-1104')).to.deep.equal([
      'C:\\ProgramData\\upn-match',
      '/inheritance:r',
      '/grant:r',
      '*S-1-5-32-544:(OI)(CI)F',
      '/grant:r',
      '*S-1-5-21-1-2-3-1104:(OI)(CI)F',
      '/q',
    ]);
  });
});
