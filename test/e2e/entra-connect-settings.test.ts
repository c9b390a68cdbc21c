// End to end, issue 12: what the plan must see that a first reading of Entra Connect missed - role holders of
// every kind (PIM-eligible, through a role-assignable group, scoped to an administrative unit), the server's
// source anchor attribute and its UPN attribute (alternate login ID). Each scenario's expectation is in
// lib/sim/scenarios.ts (and docs/reference.md).
import path from 'node:path';
import { expect } from 'chai';
import { guidToImmutableId } from '../../lib/anchor.js';
import { adBySam, cloudByUpn, initSim, readState, runCli } from './cli.js';

interface UserLine {
  cloudUpn: string;
  outcome: string;
  findings: { code: string; message: string }[];
}

function byUpn(json: { users: UserLine[] }, upn: string): UserLine {
  const user = json.users.find((u) => u.cloudUpn === upn);
  if (!user) throw new Error(`${upn} is not in the report`);
  return user;
}

describe('end to end: Entra Connect settings and role holders (issue 12)', function () {
  this.timeout(240_000);

  for (const [scenario, admin, sam, kind] of [
    ['eligible-admin', 'adele.vance@contoso.com', 'avance', 'Global Administrator (PIM-eligible)'],
    ['group-admin', 'alex.wilber@contoso.com', 'awilber', 'Helpdesk Administrator (active, through role-assignable group Helpdesk Admins, scoped to administrative unit'],
  ] as const) {
    it(`${scenario}: plan blocks the role holder naming the kind; apply writes nothing to AD for him and matches the other user`, async () => {
      const dir = await initSim(scenario);
      const csv = path.join(dir, 'users.csv');
      const before = adBySam(readState(dir), sam)[0];
      const planned = await runCli(['plan', '--sim', dir, '--csv', csv, '--json']);
      expect(planned.exitCode, planned.stderr).to.equal(3);
      const blocked = byUpn(planned.json, admin);
      expect(blocked.outcome).to.equal('blocked');
      expect(blocked.findings.map((f) => f.code)).to.deep.equal(['CloudUserHoldsRole']);
      expect(blocked.findings[0]?.message).to.include(kind);

      const applied = await runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json', '--verify-timeout', '20']);
      expect(applied.exitCode, applied.stderr).to.equal(3);
      expect(byUpn(applied.json, admin).outcome).to.equal('blocked');
      expect(byUpn(applied.json, 'paula.jones@contoso.com').outcome).to.equal('matched');
      const state = readState(dir);
      expect(adBySam(state, sam)[0], 'the blocked user’s AD account is unchanged').to.deep.equal(before);
      expect(cloudByUpn(state, admin)?.onPremisesImmutableId ?? null).to.equal(null);
      expect(state.tenant.users.filter((u) => u.userPrincipalName.includes('+'))).to.deep.equal([]);
    });
  }

  it('objectguid-anchor: the stale mS-DS-ConsistencyGuid is ignored; plan ready, apply ends matched and verified in one run with the objectGUID anchor', async () => {
    const dir = await initSim('objectguid-anchor');
    const csv = path.join(dir, 'users.csv');
    const planned = await runCli(['plan', '--sim', dir, '--csv', csv, '--json']);
    expect(planned.exitCode, planned.stderr).to.equal(0);
    expect(planned.json.users.map((u: UserLine) => u.outcome)).to.deep.equal(['planned']);

    const applied = await runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json', '--verify-timeout', '20']);
    expect(applied.exitCode, applied.stderr).to.equal(0);
    expect(applied.json.users.map((u: UserLine) => u.outcome)).to.deep.equal(['matched']);
    const state = readState(dir);
    const ad = adBySam(state, 'pjones')[0]!;
    const cloud = cloudByUpn(state, 'paula.jones@contoso.com')!;
    expect(cloud.onPremisesImmutableId).to.equal(guidToImmutableId(ad.ObjectGUID));
    expect(cloud.onPremisesImmutableId).to.not.equal(ad['mS-DS-ConsistencyGuid']);
    expect(cloud.onPremisesSyncEnabled).to.equal(true);
  });

  it('alternate-login-id: plan blocks every user (the cloud UPN comes from mail); apply writes nothing to AD', async () => {
    const dir = await initSim('alternate-login-id');
    const csv = path.join(dir, 'users.csv');
    const before = readState(dir).forest.users;
    const planned = await runCli(['plan', '--sim', dir, '--csv', csv, '--json']);
    expect(planned.exitCode, planned.stderr).to.equal(3);
    expect(planned.json.tenantFindings.map((f: { code: string }) => f.code)).to.deep.equal(['AlternateLoginId']);
    expect(planned.json.tenantFindings[0].message).to.include('mail');
    expect(planned.json.users.map((u: UserLine) => u.outcome)).to.deep.equal(['blocked']);

    const applied = await runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json', '--verify-timeout', '20']);
    expect(applied.exitCode, applied.stderr).to.equal(3);
    const after = readState(dir);
    expect(after.forest.users).to.deep.equal(before);
    expect(after.sync.lastRun ?? null, 'no sync cycle was started').to.equal(null);
  });
});
