// --what-if as PowerShell users expect it: never asks, needs no --yes (also without a terminal), changes
// nothing, and lists each operation per object. Changing a tenant feature asks, and needs --yes without a terminal.
import path from 'node:path';
import { expect } from 'chai';
import { initSim, runCli, stateText } from './cli.js';

describe('end to end: what-if and confirmation', function () {
  this.timeout(240_000);

  it('apply --what-if without --yes and without a terminal lists each operation and changes nothing', async () => {
    const dir = await initSim('happy-path');
    const before = stateText(dir);
    const result = await runCli(['apply', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--what-if']);
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^What-if \(nothing written\)/);
    expect(result.stdout).to.match(/would set the UPN of CN=Anna Müller,OU=Users,OU=Corp,DC=contoso,DC=local from \S+ to anna\.mueller@contoso\.com/);
    expect(result.stdout).to.contain('would create account jgarcia (José García) in OU=Users,OU=Corp,DC=contoso,DC=local with UPN jose.garcia@contoso.com');
    expect(result.stdout).to.contain('would start one delta sync cycle on this server for the batch');
    expect(result.stdout).to.not.contain('lastStep');
    expect(stateText(dir)).to.equal(before);
  });

  it('feature enable-upn-soft-match refuses without --yes when not on a terminal; --what-if says what would change', async () => {
    const dir = await initSim('happy-path');
    const before = stateText(dir);
    const refused = await runCli(['feature', 'enable-upn-soft-match', '--sim', dir]);
    expect(refused.exitCode).to.equal(2);
    expect(refused.stderr).to.contain('--yes');
    const blocked = await runCli(['feature', 'block-soft-match', '--sim', dir]);
    expect(blocked.exitCode).to.equal(2);
    const whatIf = await runCli(['feature', 'block-soft-match', '--sim', dir, '--what-if']);
    expect(whatIf.exitCode, whatIf.stderr).to.equal(0);
    expect(whatIf.stdout).to.match(/^What-if: (would turn on blockSoftMatchEnabled in tenant \S+\.|blockSoftMatchEnabled is already on: nothing to do\.)/);
    expect(stateText(dir)).to.equal(before);
    const done = await runCli(['feature', 'block-soft-match', '--sim', dir, '--yes', '--json']);
    expect(done.exitCode, done.stderr).to.equal(0);
    expect(done.json.features.blockSoftMatchEnabled).to.equal(true);
  });
});
