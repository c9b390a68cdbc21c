// The run lifecycle as an admin meets it: a rolled-back run stays rolled back (verify leaves its users
// alone, status says so, and the same batch can be applied again from scratch), rollback says what it
// undid, and a run killed half-way shows as interrupted with the command that resumes it.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { cloudByUpn, initSim, readState, runCli } from './cli.js';

describe('end to end: the run lifecycle', function () {
  this.timeout(240_000);

  it('after rollback, verify leaves the rolled-back users alone, status says rolled back, and the batch applies anew', async () => {
    const dir = await initSim('happy-path');
    const csv = path.join(dir, 'users.csv');
    const faults = path.join(dir, 'faults.json');
    // Every export fails: the accounts are written, no cloud user is matched.
    writeFileSync(faults, JSON.stringify({ syncExportError: true }));
    const applied = await runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json', '--verify-timeout', '3']);
    // Each user fails with the service's export error (SyncExportError): exit 1.
    expect(applied.exitCode, applied.stderr).to.equal(1);
    const runId = applied.json.runId as string;

    const rolled = await runCli(['rollback', '--sim', dir, '--run', runId, '--yes', '--json']);
    expect(rolled.exitCode, rolled.stderr).to.equal(0);
    // Every account was written by the run (two updated, two created): each is reported undone.
    expect(rolled.json.users.map((u: { outcome: string }) => u.outcome)).to.deep.equal(['rolled-back', 'rolled-back', 'rolled-back', 'rolled-back']);
    expect(rolled.json.summary['rolled-back']).to.equal(4);

    const verified = await runCli(['verify', '--sim', dir, '--run', runId, '--json', '--verify-timeout', '1']);
    expect(verified.exitCode, verified.stderr).to.equal(0);
    expect(verified.json.users.map((u: { outcome: string }) => u.outcome)).to.deep.equal(['rolled-back', 'rolled-back', 'rolled-back', 'rolled-back']);

    const status = await runCli(['status', '--sim', dir, '--json']);
    expect(status.json).to.have.length(1);
    expect(status.json[0].status).to.equal('rolled-back');

    // The cause is fixed: the same batch runs again, as a new run, and matches everyone.
    rmSync(faults);
    const again = await runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json', '--verify-timeout', '20', '--relock']);
    expect(again.exitCode, again.stderr).to.equal(0);
    // Everyone matched: --relock sets both blocks in the tenant.
    expect(again.json.relock).to.deep.equal({ done: true, features: ['blockSoftMatchEnabled', 'blockCloudObjectTakeoverThroughHardMatchEnabled'], reason: null });
    expect(readState(dir).tenant.features).to.include({ blockSoftMatchEnabled: true, blockCloudObjectTakeoverThroughHardMatchEnabled: true });
    expect(again.json.resumed).to.equal(false);
    expect(again.json.runId).to.not.equal(runId);
    expect(again.json.summary.matched).to.equal(4);
    const after = readState(dir);
    for (const u of again.json.users) expect(cloudByUpn(after, u.cloudUpn)?.onPremisesImmutableId, u.cloudUpn).to.be.a('string');
  });

  it('a run killed half-way shows as interrupted, with the command that resumes it', async () => {
    const dir = await initSim('happy-path');
    const csv = path.join(dir, 'users.csv');
    writeFileSync(path.join(dir, 'faults.json'), JSON.stringify({ kill: [{ command: 'Set-ADUser', nth: 1, when: 'after', target: 'parent' }] }));
    const crashed = await runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json']);
    expect(crashed.exitCode, crashed.stderr).to.not.equal(0);

    const status = await runCli(['status', '--sim', dir, '--json']);
    expect(status.json).to.have.length(1);
    expect(status.json[0].status).to.equal('interrupted');
    expect(status.json[0].resume).to.be.a('string').and.to.match(/^upn-match apply /);
    expect(status.json[0].resume).to.include('--csv');
    const text = await runCli(['status', '--sim', dir]);
    expect(text.stdout).to.match(/interrupted/);
    expect(text.stdout).to.include(status.json[0].resume);

    const resumed = await runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json', '--verify-timeout', '20']);
    expect(resumed.exitCode, resumed.stderr).to.equal(0);
    expect(resumed.json.resumed).to.equal(true);
    const done = await runCli(['status', '--sim', dir, '--json']);
    expect(done.json[0].status).to.equal('done');
  });
});
