// Crash anywhere, then run again: the CLI is killed (SIGKILL, from the simulator's fault points)
// before and after the AD write, after an account is created and after the sync starts. The re-run
// resumes from the journal: every user ends matched exactly once, and no account is duplicated.
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parseBatchCsv } from '../../lib/batch/read.js';
import { readFileSync } from 'node:fs';
import { adBySam, cloudByUpn, initSim, readState, runCli } from './cli.js';

const killPoints = [
  { name: 'before the first AD update', fault: { command: 'Set-ADUser', nth: 1, when: 'before', target: 'parent' } },
  { name: 'after the first AD update', fault: { command: 'Set-ADUser', nth: 1, when: 'after', target: 'parent' } },
  { name: 'after the second AD update', fault: { command: 'Set-ADUser', nth: 2, when: 'after', target: 'parent' } },
  { name: 'after an account is created', fault: { command: 'New-ADUser', nth: 1, when: 'after', target: 'parent' } },
  { name: 'after the sync cycle starts', fault: { command: 'Start-ADSyncSyncCycle', nth: 1, when: 'after', target: 'parent' } },
];

describe('end to end: crash anywhere, then re-run', function () {
  this.timeout(240_000);

  for (const point of killPoints) {
    it(`killed ${point.name}: the re-run matches every user exactly once`, async () => {
      const dir = await initSim('happy-path');
      const before = readState(dir);
      const csv = path.join(dir, 'users.csv');
      writeFileSync(path.join(dir, 'faults.json'), JSON.stringify({ kill: [point.fault] }));
      const crashed = await runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json', '--verify-timeout', '20']);
      expect(crashed.exitCode, `the first run must die: ${crashed.stderr}`).to.not.equal(0);
      // The fault fired once (its count is kept across processes), so the re-run goes through.
      const rerun = await runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json', '--verify-timeout', '20']);
      expect(rerun.exitCode, rerun.stderr).to.equal(0);
      expect(rerun.json.summary.matched).to.equal(4);
      const after = readState(dir);
      const batch = parseBatchCsv(readFileSync(csv, 'utf8'));
      for (const row of batch) {
        expect(adBySam(after, row.samAccountName ?? ''), `accounts named ${row.samAccountName}`).to.have.length(1);
        expect(after.forest.users.filter((u) => u.UserPrincipalName === row.cloudUpn), `accounts with ${row.cloudUpn}`).to.have.length(1);
        expect(cloudByUpn(after, row.cloudUpn)?.onPremisesImmutableId, row.cloudUpn).to.be.a('string');
      }
      // No duplicate cloud user was provisioned, and only the two new accounts were created.
      expect(after.tenant.users.length).to.equal(before.tenant.users.length);
      expect(after.forest.users.length).to.equal(before.forest.users.length + 2);
      const status = await runCli(['status', '--sim', dir, '--json']);
      expect(status.json.filter((r: { status: string }) => r.status === 'done')).to.have.length(1);
    });
  }
});

describe('end to end: one run at a time', function () {
  this.timeout(120_000);

  it('a second apply while one runs refuses with the lock exit code', async () => {
    const dir = await initSim('happy-path');
    const csv = path.join(dir, 'users.csv');
    const first = runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json'], { env: { UPN_MATCH_SIM_SYNC_MS: '4000' } });
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const second = await runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json']);
    expect(second.exitCode, second.stderr).to.equal(5);
    expect(second.stderr).to.match(/another upn-match run/);
    expect((await first).exitCode).to.equal(0);
  });

  it('a stale lock left by a killed run is taken over', async () => {
    const dir = await initSim('happy-path');
    const lock = path.join(dir, 'work', 'upn-match.lock');
    mkdirSync(lock, { recursive: true });
    const old = new Date(Date.now() - 120_000);
    utimesSync(lock, old, old);
    const result = await runCli(['apply', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--yes', '--json'], { env: { UPN_MATCH_LOCK_STALE_MS: '10000' } });
    expect(result.exitCode, result.stderr).to.equal(0);
  });
});
