// The most expensive real failure, end to end: the plan sees nothing wrong, the service refuses the soft match
// when the sync runs (another admin turned blockSoftMatchEnabled on), and duplicate attribute resiliency
// provisions a second cloud user with no export error. upn-match must say so, name the duplicate and exit 7.
import path from 'node:path';
import { expect } from 'chai';
import { cloudByUpn, initSim, readState, runCli } from './cli.js';

describe('end to end: a duplicate created instead of the match', function () {
  this.timeout(240_000);

  it('plan says ready; apply reports the duplicate by UPN and object id with the remedy, exit 7; rollback says it stays', async () => {
    const dir = await initSim('duplicate-created');
    const csv = path.join(dir, 'users.csv');
    const planned = await runCli(['plan', '--sim', dir, '--csv', csv, '--json']);
    expect(planned.exitCode, planned.stderr).to.equal(0);
    expect(planned.json.users.map((u: { outcome: string }) => u.outcome)).to.deep.equal(['planned']);

    const applied = await runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json', '--verify-timeout', '20', '--relock']);
    expect(applied.exitCode, applied.stderr).to.equal(7);
    // --relock leaves the tenant as it is while a user of the run is duplicated, and says why.
    expect(applied.json.relock).to.include({ done: false });
    expect(applied.json.relock.reason).to.match(/1 duplicated/);
    expect(readState(dir).tenant.features.blockCloudObjectTakeoverThroughHardMatchEnabled).to.not.equal(true);
    const user = applied.json.users[0];
    expect(user.outcome).to.equal('duplicate');
    const state = readState(dir);
    const duplicate = state.tenant.users.find((u) => /^paula\.jones\+\d{4}@contoso\.onmicrosoft\.com$/.test(u.userPrincipalName));
    expect(duplicate, 'the simulator provisioned the duplicate').to.not.equal(undefined);
    const finding = user.findings.find((f: { code: string }) => f.code === 'DuplicateCreated');
    expect(finding.message).to.include(duplicate!.userPrincipalName).and.to.include(duplicate!.id);
    expect(finding.hint).to.match(/delete it permanently/);
    // The cloud user the batch named is untouched: no anchor, not synced.
    expect(cloudByUpn(state, 'paula.jones@contoso.com')?.onPremisesImmutableId ?? null).to.equal(null);

    const rolled = await runCli(['rollback', '--sim', dir, '--run', applied.json.runId, '--yes', '--json']);
    expect(rolled.exitCode, rolled.stderr).to.equal(0);
    expect(rolled.json.users[0].outcome).to.equal('rolled-back');
    expect(rolled.json.users[0].findings.map((f: { message: string }) => f.message).join(' ')).to.include(duplicate!.userPrincipalName).and.to.match(/stays/);
  });
});
