// Nothing left running: the CLI is killed with SIGKILL (no handler runs, no reaper) while its PowerShell
// session writes to AD. PowerShell's watchdog must end that session within 2 s, and a run started at once must
// wait for it (the lock records the PowerShell pids) and never write beside it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { projectRoot } from '../../lib/paths.js';
import { resolveTestHost } from '../helpers/host.js';
import { initSim, readState, runCli } from './cli.js';

/** Processes (not zombies) whose environment names this simulator folder: the PowerShell of the runs on it. */
function powershellFor(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!running(Number(entry))) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').includes(`UPN_MATCH_SIM_DIR=${dir}\u0000`)) found.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

/** Alive and not a zombie (a killed process whose parent has not reaped it yet is gone for our purpose). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

interface Call {
  pid: number;
  command: string;
}

function calls(dir: string): Call[] {
  const file = path.join(dir, 'calls.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Call);
}

const AD_WRITES = new Set(['Set-ADUser', 'New-ADUser']);

describe('end to end: kill -9 during the AD writes', function () {
  this.timeout(180_000);

  it('leaves no PowerShell of that run alive after 2 s, and a run started at once waits for it and never writes beside it', async function () {
    if (process.platform !== 'linux') this.skip(); // reason: reads /proc to find the processes of a run
    const dir = path.resolve(await initSim('happy-path'));
    const csv = path.join(dir, 'users.csv');
    const cli = path.join(projectRoot, 'bin', 'upn-match.js');
    // Every AD call takes 1.5 s: the batch's writes span several seconds after the first one.
    const first = execa(process.execPath, [cli, 'apply', '--sim', dir, '--csv', csv, '--yes', '--json'], {
      env: { UPN_MATCH_POWERSHELL: await resolveTestHost(), UPN_MATCH_SIM_AD_LATENCY_MS: '1500', UPN_MATCH_SIM_SYNC_MS: '300' },
      reject: false,
    });
    const deadline = Date.now() + 90_000;
    while (!calls(dir).some((c) => AD_WRITES.has(c.command))) {
      if (Date.now() > deadline) throw new Error('the run never reached the AD writes');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const firstPowershell = powershellFor(dir);
    expect(firstPowershell, 'the first run works in a PowerShell session').to.not.be.empty;
    first.kill('SIGKILL');
    const killedAt = Date.now();
    // Started at once, without the latency: it must not write while the first run's PowerShell lives.
    const second = runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json', '--verify-timeout', '60']);
    let alive = firstPowershell.filter(running);
    while (alive.length > 0 && Date.now() - killedAt < 2000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      alive = firstPowershell.filter(running);
    }
    expect(alive, `PowerShell of the killed run still alive ${Date.now() - killedAt} ms after the kill`).to.deep.equal([]);
    expect((await first).signal).to.equal('SIGKILL');

    const rerun = await second;
    expect([0, 5], rerun.stderr).to.include(rerun.exitCode);
    const log = calls(dir);
    const lastOfFirst = log.map((c) => firstPowershell.includes(c.pid)).lastIndexOf(true);
    const firstOfSecond = log.findIndex((c) => !firstPowershell.includes(c.pid));
    expect(firstOfSecond === -1 || firstOfSecond > lastOfFirst, 'a call of the second run came before the last call of the killed one').to.equal(true);
    // The killed run's session stopped mid-batch: at most the write in flight at the kill, never the rest.
    const writesOfFirst = log.filter((c) => firstPowershell.includes(c.pid) && AD_WRITES.has(c.command)).length;
    expect(writesOfFirst, 'AD writes by the killed run').to.be.at.most(2);
    if (rerun.exitCode === 0) {
      expect(rerun.json.summary.matched).to.equal(4);
      const sams = readState(dir).forest.users.map((u) => u.SamAccountName.toLowerCase());
      expect(new Set(sams).size, 'no account created twice').to.equal(sams.length);
    }
  });
});
