// The Entra Connect server's scheduler, end to end: suspended (wizard open, upgrade running) blocks every user
// before any AD write, with the cmdlet that really resumes it.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { initSim, readState, runCli, stateText } from './cli.js';

describe('end to end: the Entra Connect scheduler', function () {
  this.timeout(180_000);

  it('suspended: SchedulerSuspended blocks every user, exit 3, nothing written and no cycle started', async () => {
    const dir = await initSim('happy-path');
    const state = readState(dir);
    state.sync.schedulerSuspended = true;
    writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state));
    const before = stateText(dir);
    const result = await runCli(['apply', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--yes', '--json']);
    expect(result.exitCode, result.stderr).to.equal(3);
    expect(result.json.tenantFindings.map((f: { code: string }) => f.code)).to.include('SchedulerSuspended');
    const hint = result.json.tenantFindings.find((f: { code: string }) => f.code === 'SchedulerSuspended').hint as string;
    expect(hint).to.include('Set-ADSyncScheduler -SchedulerSuspended $false').and.not.to.include('Resume-ADSyncScheduler');
    for (const u of result.json.users) expect(u.outcome, u.cloudUpn).to.equal('blocked');
    expect(stateText(dir)).to.equal(before);
  });
});
