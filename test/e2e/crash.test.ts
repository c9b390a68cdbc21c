// Crash anywhere, then run again: the CLI is killed (SIGKILL, from the simulator's fault points)
// before and after the AD write, after an account is created and after the sync starts. The re-run
// resumes from the journal: every user ends matched exactly once, and no account is duplicated.
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { projectRoot } from '../../lib/paths.js';
import { resolveTestHost } from '../helpers/host.js';
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
    // It names the holder: pid, host, start time and command.
    expect(second.stderr).to.match(/held by pid \d+ on \S+ since \d{4}-\d\d-\d\dT[\d:.]+Z \(upn-match apply --sim /);
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

/** PowerShell processes still running for this simulator folder (Linux: read from /proc). */
function powershellFor(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (environ.includes(`UPN_MATCH_SIM_DIR=${dir}`)) found.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

describe('end to end: Ctrl-C and SIGTERM', function () {
  this.timeout(300_000);

  /** Starts apply with a long sync cycle, waits for the run's first call of `command`, sends `signal` and returns what the CLI did. */
  async function interruptAt(dir: string, command: string, signal: 'SIGINT' | 'SIGTERM') {
    const csv = path.join(dir, 'users.csv');
    const calls = path.join(dir, 'calls.jsonl');
    const seenBefore = readFileSync(calls, { encoding: 'utf8', flag: 'a+' }).split(command).length;
    const child = execa(process.execPath, [path.join(projectRoot, 'bin', 'upn-match.js'), 'apply', '--sim', dir, '--csv', csv, '--yes', '--json'], {
      env: { UPN_MATCH_POWERSHELL: await resolveTestHost(), UPN_MATCH_SIM_SYNC_MS: '20000' },
      reject: false,
    });
    const deadline = Date.now() + 120_000;
    while (readFileSync(calls, { encoding: 'utf8', flag: 'a+' }).split(command).length === seenBefore) {
      if (Date.now() > deadline) throw new Error(`the run never called ${command}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(powershellFor(path.resolve(dir)).length).to.be.greaterThan(0);
    child.kill(signal);
    const result = await child;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const leftover = powershellFor(path.resolve(dir));
    const log = readFileSync(path.join(dir, 'work', 'logs', 'upn-match.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event?: number; exitCode?: number; signal?: string; runId?: string });
    return { result, leftover, log, csv };
  }

  it('stop every PowerShell, say what was done and how to resume, end with 130 / 143, and the run resumes', async function () {
    if (process.platform !== 'linux') this.skip(); // reason: reads /proc to find leftover processes
    const dir = await initSim('happy-path');
    const cases = [
      // Inside the long sync cycle, every AD write done.
      { signal: 'SIGTERM' as const, at: 'Start-ADSyncSyncCycle', exit: 143, said: /^upn-match: terminated \(SIGTERM\): PowerShell was stopped; 4 of 4 users were written to AD \(0 seen matched\), 0 not yet, and the journal of run \S+ is kept\. To resume, run the same command: upn-match apply --sim \S+ --csv \S+ --yes --json$/m },
      // The resumed run, interrupted as soon as it reads the Entra Connect server: the same command again.
      { signal: 'SIGINT' as const, at: 'Get-ADSyncScheduler', exit: 130, said: /^upn-match: interrupted \(Ctrl-C\): PowerShell was stopped; 4 of 4 users were written to AD .* To resume, run the same command: upn-match apply /m },
    ];
    for (const c of cases) {
      const { result, leftover, log, csv } = await interruptAt(dir, c.at, c.signal);
      expect(result.exitCode, String(result.stderr)).to.equal(c.exit);
      expect(leftover, 'PowerShell processes of the run').to.deep.equal([]);
      const stderr = String(result.stderr);
      expect(stderr).to.match(c.said);
      expect(stderr, 'no stack trace').to.not.match(/\n\s+at /);
      // --json: the last line on stdout is the error envelope.
      const last = String(result.stdout).trim().split('\n').at(-1) ?? '';
      const envelope = JSON.parse(last);
      expect(envelope.error).to.include({ code: 'Cancelled', exitCode: c.exit });
      expect(envelope.error.message).to.contain(`upn-match apply --sim ${dir} --csv ${csv} --yes --json`);
      // The run-ended event is the log file's last line, with the exit code.
      expect(log.at(-1)).to.include({ event: 110, exitCode: c.exit, signal: c.signal });
      expect(log.at(-1)?.runId).to.be.a('string');
    }
    const rerun = await runCli(['apply', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--yes', '--json', '--verify-timeout', '60'], { env: { UPN_MATCH_SIM_SYNC_MS: '300' } });
    expect(rerun.exitCode, rerun.stderr).to.equal(0);
    expect(rerun.json.resumed).to.equal(true);
    expect(rerun.json.summary.matched).to.equal(4);
  });

  it('discover, Ctrl-C while it reads: stops PowerShell, writes no batch, says so and how to run it again, ends with 130', async function () {
    if (process.platform !== 'linux') this.skip(); // reason: reads /proc to find leftover processes
    const dir = await initSim('happy-path');
    const out = path.join(dir, 'b.csv');
    const calls = path.join(dir, 'calls.jsonl');
    // Each AD call takes 2 s: the run is still reading the forest when the first call is logged.
    const child = execa(process.execPath, [path.join(projectRoot, 'bin', 'upn-match.js'), 'discover', '--sim', dir, '--out', out], {
      env: { UPN_MATCH_POWERSHELL: await resolveTestHost(), UPN_MATCH_SIM_AD_LATENCY_MS: '2000' },
      reject: false,
    });
    const deadline = Date.now() + 120_000;
    while (!readFileSync(calls, { encoding: 'utf8', flag: 'a+' }).includes('"Get-ADForest"')) {
      if (Date.now() > deadline) throw new Error('discover never read the forest');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill('SIGINT');
    const result = await child;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(result.exitCode, String(result.stderr)).to.equal(130);
    expect(String(result.stderr)).to.match(/^upn-match: interrupted \(Ctrl-C\): PowerShell was stopped before a run was recorded; nothing was written\. Run the same command again: upn-match discover --sim \S+ --out \S+$/m);
    expect(existsSync(out), 'the batch file').to.equal(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp')), 'half-written files').to.deep.equal([]);
    expect(powershellFor(path.resolve(dir)), 'PowerShell processes of the run').to.deep.equal([]);
  });
});
