// The run lock against a killed run: taken over at once when its process and its PowerShell are gone, refused
// (after a short wait) while a PowerShell of that run still lives, and it records the holder's PowerShell pids.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { track, untrack } from '../../../lib/bridge/reaper.js';
import { acquireRunLock, LockHeldError } from '../../../lib/workflow/lock.js';

/** A pid that is certainly dead: a child that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid as number;
}

/** Leaves a lock as a run killed with SIGKILL does: the lock directory and its owner file. */
function leaveLock(workDir: string, owner: object): void {
  mkdirSync(path.join(workDir, 'upn-match.lock'), { recursive: true });
  writeFileSync(path.join(workDir, 'upn-match.lock.owner.json'), JSON.stringify(owner));
}

describe('workflow: run lock', function () {
  // Each test starts node processes (a dead pid, an orphan): slow on a loaded machine.
  this.timeout(30_000);
  let workDir: string;
  const children: ChildProcess[] = [];
  beforeEach(() => {
    workDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'upn-match-lock-')), 'work');
  });
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  it('records the PowerShell pids of its holder as they start and end, and removes the record on release', async () => {
    const release = await acquireRunLock(workDir);
    const ownerFile = path.join(workDir, 'upn-match.lock.owner.json');
    track(999_999_01);
    expect(JSON.parse(readFileSync(ownerFile, 'utf8'))).to.include({ pid: process.pid }).and.to.have.deep.property('powershell', [999_999_01]);
    untrack(999_999_01);
    expect(JSON.parse(readFileSync(ownerFile, 'utf8')).powershell).to.deep.equal([]);
    await release();
    expect(existsSync(ownerFile)).to.equal(false);
  });

  it('takes over at once the lock of a killed run whose PowerShell is gone', async () => {
    leaveLock(workDir, { pid: await deadPid(), host: os.hostname(), since: new Date().toISOString(), powershell: [await deadPid()] });
    const release = await acquireRunLock(workDir, { orphanWaitMs: 0 });
    await release();
  });

  it('refuses while a PowerShell of the killed run still lives, even once the lock is stale', async () => {
    const orphan = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    children.push(orphan);
    leaveLock(workDir, { pid: await deadPid(), host: os.hostname(), since: new Date().toISOString(), powershell: [orphan.pid] });
    let error: unknown;
    try {
      await acquireRunLock(workDir, { orphanWaitMs: 300, staleMs: 1 });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(LockHeldError);
    expect((error as Error).message).to.include(`PowerShell (pid ${orphan.pid}) still runs`);
  });

  it('waits for the PowerShell of the killed run to end, then takes the lock', async () => {
    const orphan = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    children.push(orphan);
    leaveLock(workDir, { pid: await deadPid(), host: os.hostname(), since: new Date().toISOString(), powershell: [orphan.pid] });
    setTimeout(() => orphan.kill('SIGKILL'), 300);
    const release = await acquireRunLock(workDir, { orphanWaitMs: 5000 });
    await release();
  });

  it('refuses a lock whose holder lives, naming it: pid, host, start time and command', async () => {
    const release = await acquireRunLock(workDir, { command: 'upn-match apply --csv users.csv --yes' });
    try {
      let error: unknown;
      await acquireRunLock(workDir, { command: 'upn-match verify --run x' }).catch((caught) => (error = caught));
      expect(error).to.be.instanceOf(LockHeldError);
      expect((error as Error).message).to.match(/another upn-match run/);
      expect((error as Error).message).to.match(new RegExp(`held by pid ${process.pid} on ${os.hostname()} since \\d{4}-\\d\\d-\\d\\dT\\S+Z \\(upn-match apply --csv users\\.csv --yes\\)`));
    } finally {
      await release();
    }
  });
});
