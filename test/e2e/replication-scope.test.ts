// End to end on the scenarios of several domain controllers and of the sync scope: apply writes where Entra
// Connect imports from and confirms it there before the one delta sync; a change it cannot confirm stops the
// run before the sync and the same command resumes; an account in an excluded OU is blocked with nothing written.
import { writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { adBySam, cloudByUpn, initSim, readState, runCli } from './cli.js';
import { readCalls } from '../sim/fixtures.js';

const UPN = 'paula.jones@contoso.com';

describe('end to end: replication delay and sync scope', function () {
  this.timeout(300_000);

  it('replication-delay: apply writes on the connector’s DC, confirms it there and ends matched in one run with one sync', async () => {
    const dir = await initSim('replication-delay');
    const csv = path.join(dir, 'users.csv');
    const applied = await runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json', '--verify-timeout', '60']);
    expect(applied.exitCode, applied.stderr).to.equal(0);
    expect(applied.json.users.map((u: { outcome: string }) => u.outcome)).to.deep.equal(['matched']);
    const state = readState(dir);
    const [ad] = adBySam(state, 'pjones');
    expect(cloudByUpn(state, UPN)).to.include({ onPremisesSyncEnabled: true });
    expect(state.sync.runNumber).to.equal(1);
    const calls = readCalls(dir);
    expect(calls.filter((c) => c.command === 'Set-ADUser').map((c) => c.params.Server)).to.deep.equal(['dc02.contoso.local']);
    // The default DC (dc01) has not received the write yet: a write there would have been missed by the delta.
    expect(state.forest.replication?.pending?.map((p) => [p.objectGuid, p.dc])).to.deep.equal([[ad!.ObjectGUID, 'dc02.contoso.local']]);
  });

  it('replication-delay: a change it cannot read back stops the run before the sync; the same command resumes, writes nothing again and matches', async () => {
    const dir = await initSim('replication-delay');
    const csv = path.join(dir, 'users.csv');
    // The plan's query is the first Get-ADUser, the read-back on dc02 the second: that DC does not answer.
    writeFileSync(path.join(dir, 'faults.json'), JSON.stringify({ fail: [{ command: 'Get-ADUser', nth: 2, exceptionType: 'Microsoft.ActiveDirectory.Management.ADServerDownException', message: 'Unable to contact the server.', category: 'ResourceUnavailable' }] }));
    const stopped = await runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json', '--verify-timeout', '60']);
    expect(stopped.exitCode, stopped.stderr).to.equal(6);
    const finding = stopped.json.users[0].findings.find((f: { code: string }) => f.code === 'AdChangeNotOnSyncDc');
    expect(finding.message).to.include('dc02.contoso.local');
    expect(readCalls(dir).filter((c) => c.command === 'Start-ADSyncSyncCycle')).to.have.length(0);

    rmSync(path.join(dir, 'faults.json'));
    const resumed = await runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json', '--verify-timeout', '60']);
    expect(resumed.exitCode, resumed.stderr).to.equal(0);
    expect(resumed.json.resumed).to.equal(true);
    expect(resumed.json.users.map((u: { outcome: string }) => u.outcome)).to.deep.equal(['matched']);
    const calls = readCalls(dir);
    expect(calls.filter((c) => c.command === 'Set-ADUser')).to.have.length(1);
    expect(calls.filter((c) => c.command === 'Start-ADSyncSyncCycle')).to.have.length(1);
  });

  it('excluded-ou: plan blocks the account in the excluded OU; apply writes nothing for it and matches the other', async () => {
    const dir = await initSim('excluded-ou');
    const csv = path.join(dir, 'users.csv');
    const planned = await runCli(['plan', '--sim', dir, '--csv', csv, '--json']);
    expect(planned.json.users.map((u: { outcome: string }) => u.outcome)).to.deep.equal(['blocked', 'planned']);
    const finding = planned.json.users[0].findings.find((f: { code: string }) => f.code === 'NotInSyncScope');
    expect(finding.message).to.include('OU=Contractors,OU=Corp,DC=contoso,DC=local').and.to.include('excluded');

    const before = adBySam(readState(dir), 'pjones');
    const applied = await runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json', '--verify-timeout', '60']);
    expect(applied.json.users.map((u: { outcome: string }) => u.outcome)).to.deep.equal(['blocked', 'matched']);
    const state = readState(dir);
    expect(adBySam(state, 'pjones')).to.deep.equal(before);
    expect(readCalls(dir).filter((c) => c.command === 'Set-ADUser').map((c) => String(c.params.UserPrincipalName))).to.deep.equal(['omar.haddad@contoso.com']);
    expect(cloudByUpn(state, UPN)?.onPremisesImmutableId ?? null).to.equal(null);
  });
});
