// discover, end to end: the built CLI on the demo world and on a messy large world; its batch goes to plan
// as it is, no wrong pair is ready, every UPN and SMTP pair is found, and nothing in the directories changes.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parseBatchCsv } from '../../lib/batch/read.js';
import { scoreDiscover, type TruthPair } from '../../lib/sim/score.js';
import { initSim, runCli, stateText, tempDir } from './cli.js';

const OU = 'OU=Users,OU=Corp,DC=contoso,DC=local';

describe('end to end: discover', function () {
  this.timeout(300_000);

  it('demo world: proposes the batch, writes nothing else, and plan takes the file as it is', async () => {
    const dir = await initSim('happy-path');
    const before = stateText(dir);
    const out = path.join(dir, 'b.csv');
    const html = path.join(dir, 'd.html');
    const found = await runCli(['discover', '--sim', dir, '--out', out, '--ou', OU, '--json', '--html', html]);
    expect(found.exitCode, found.stderr).to.equal(0);
    expect(stateText(dir)).to.equal(before);
    expect(readFileSync(html, 'utf8').match(/<tr data-outcome=/g)).to.have.length(found.json.rows.length);
    expect(found.json.summary).to.include({ ready: 0, review: 2, ambiguous: 0, create: 2, 'left-out': 0 });
    // The two synced background users are represented already: never proposed.
    expect(found.json.counts).to.include({ cloudSynced: 2, adRepresented: 2 });
    const batch = parseBatchCsv(readFileSync(out, 'utf8'));
    expect(batch.map((u) => [u.cloudUpn, u.create, Boolean(u.review)])).to.deep.equal([
      ['anna.mueller@contoso.com', false, true],
      ['soren.ostergard@contoso.com', false, true],
      ['wei.zhang@contoso.com', true, false],
      ['jose.garcia@contoso.com', true, false],
    ]);
    const planned = await runCli(['plan', '--sim', dir, '--csv', out, '--json']);
    expect(planned.exitCode, planned.stderr).to.equal(3);
    const outcome = Object.fromEntries(planned.json.users.map((u: any) => [u.cloudUpn, u.findings.filter((f: any) => f.severity === 'block').map((f: any) => f.code)]));
    expect(outcome).to.deep.equal({
      'anna.mueller@contoso.com': ['ReviewPending'],
      'soren.ostergard@contoso.com': ['ReviewPending'],
      'wei.zhang@contoso.com': [],
      'jose.garcia@contoso.com': [],
    });
    expect(stateText(dir)).to.equal(before);
  });

  it('messy world: precision 1 on ready, recall 1 on UPN and SMTP pairs, and plan takes the batch', async () => {
    const dir = path.join(tempDir(), 'sim');
    const init = await runCli(['sim', 'init', dir, '--users', '200', '--tenant-users', '400', '--seed', '7']);
    expect(init.exitCode, init.stderr).to.equal(0);
    const truth = (JSON.parse(readFileSync(path.join(dir, 'truth.json'), 'utf8')) as { pairs: TruthPair[] }).pairs;
    const out = path.join(dir, 'b.csv');
    const found = await runCli(['discover', '--sim', dir, '--out', out, '--json']);
    expect(found.exitCode, found.stderr).to.equal(0);
    expect(found.json.counts.guests).to.be.greaterThan(0);
    const score = scoreDiscover(truth, found.json.rows);
    expect(score.ready.proposed).to.be.greaterThan(0);
    expect(score.ready.precision).to.equal(1);
    expect(score.recall.upn!.recall).to.equal(1);
    expect(score.recall.smtp!.recall).to.equal(1);
    // Without --ou, cloud users with no candidate are left out with the reason.
    expect(found.json.summary.create).to.equal(0);
    expect(Object.keys(found.json.leftOut).join()).to.match(/give --ou/);
    const batch = parseBatchCsv(readFileSync(out, 'utf8'));
    const planned = await runCli(['plan', '--sim', dir, '--csv', out, '--json']);
    expect(planned.exitCode, planned.stderr).to.be.oneOf([0, 3]);
    expect(planned.json.users).to.have.length(batch.length);
    // What discover says plan will block is what plan blocks.
    const blockedByDiscover = found.json.rows.filter((r: any) => r.proposal && r.blocked).map((r: any) => r.cloudUpn).sort();
    const blockedByPlan = planned.json.users.filter((u: any) => u.findings.some((f: any) => f.severity === 'block')).map((u: any) => u.cloudUpn).sort();
    expect(blockedByPlan).to.deep.equal(blockedByDiscover);
  });

  it('custom source anchor (employeeID): accounts it represents are left out, and a proposal without one says why', async () => {
    const dir = await initSim('happy-path');
    const state = JSON.parse(stateText(dir));
    state.sync.anchorAttribute = 'employeeID';
    // The synced users carry their AD account's employeeID as anchor; Anna's account has one, Søren's none.
    for (const sam of ['kfischer', 'lnguyen']) {
      const ad = state.forest.users.find((u: any) => u.SamAccountName === sam);
      ad.employeeID = `E-${sam}`;
      state.tenant.users.find((u: any) => u.userPrincipalName === ad.UserPrincipalName).onPremisesImmutableId = `E-${sam}`;
    }
    state.forest.users.find((u: any) => u.SamAccountName === 'amueller').employeeID = 'E-amueller';
    writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state));
    const out = path.join(dir, 'b.csv');
    const found = await runCli(['discover', '--sim', dir, '--out', out, '--json']);
    expect(found.exitCode, found.stderr).to.equal(0);
    expect(found.json.counts).to.include({ cloudSynced: 2, adRepresented: 2 });
    const codes = Object.fromEntries(found.json.rows.map((r: any) => [r.cloudUpn, r.findings.map((f: any) => f.code)]));
    expect(codes['anna.mueller@contoso.com']).to.not.include('SourceAnchorMissing');
    expect(codes['soren.ostergard@contoso.com']).to.include('SourceAnchorMissing');
    // plan's own AD read (Get-AdFacts -AnchorAttribute) says the same.
    const planned = await runCli(['plan', '--sim', dir, '--csv', out, '--json']);
    const planCodes = Object.fromEntries(planned.json.users.map((u: any) => [u.cloudUpn, u.findings.map((f: any) => f.code)]));
    expect(planCodes['anna.mueller@contoso.com']).to.not.include('SourceAnchorMissing');
    expect(planCodes['soren.ostergard@contoso.com']).to.include('SourceAnchorMissing');
  });

  it('filters: another UPN domain keeps nobody; a group keeps its transitive members; a search base outside the forest is bad input', async () => {
    const dir = await initSim('happy-path');
    const none = await runCli(['discover', '--sim', dir, '--domain', 'fabrikam.com', '--json']);
    expect(none.exitCode, none.stderr).to.equal(0);
    expect(none.json.counts).to.include({ cloudOnly: 0, cloudFilteredOut: 4 });
    // A group (with a nested group) keeps its transitive user members only.
    const state = JSON.parse(stateText(dir));
    const anna = state.tenant.users.find((u: any) => u.userPrincipalName === 'anna.mueller@contoso.com');
    const wei = state.tenant.users.find((u: any) => u.userPrincipalName === 'wei.zhang@contoso.com');
    const inner = { id: '5c0d1e2f-0000-4000-8000-000000000002', displayName: 'Inner', mail: null, proxyAddresses: [], members: [wei.id] };
    const outer = { id: '5c0d1e2f-0000-4000-8000-000000000001', displayName: 'Pilot', mail: null, proxyAddresses: [], members: [anna.id, inner.id] };
    state.tenant.groups.push(outer, inner);
    writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state));
    const grouped = await runCli(['discover', '--sim', dir, '--group', outer.id, '--json']);
    expect(grouped.exitCode, grouped.stderr).to.equal(0);
    expect(grouped.json.rows.map((r: any) => r.cloudUpn).sort()).to.deep.equal(['anna.mueller@contoso.com', 'wei.zhang@contoso.com']);
    const bad = await runCli(['discover', '--sim', dir, '--search-base', 'OU=X,DC=elsewhere,DC=example']);
    expect(bad.exitCode).to.equal(2);
    expect(bad.stderr).to.contain('the search base is in no domain of the forest');
    // The output files' folders are checked before anything is read.
    const unwritable = await runCli(['discover', '--sim', dir, '--html', path.join(dir, 'no-such-folder', 'd.html'), '--out', path.join(dir, 'no-such-folder', 'b.csv')]);
    expect(unwritable.exitCode).to.equal(2);
    expect(unwritable.stderr).to.contain('--html').and.contain('--out').and.contain('does not exist');
  });
});
