// apply, end to end: the built CLI against every bundled scenario, asserting the report, the exit
// code and the simulator state afterwards (what changed, and that nothing changed for blocked users).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { guidToImmutableId } from '../../lib/anchor.js';
import { parseBatchCsv } from '../../lib/batch/read.js';
import { adBySam, cloudByUpn, initSim, readState, runCli, stateText } from './cli.js';
import { runPowerShell } from '../helpers/powershell.js';
import { CERTIFICATE_HELPER } from '../sim/fixtures.js';

interface Expectation {
  scenario: string;
  exitCode: number;
  /** Blocked users (cloud UPN) and the code that must block each. */
  blocked: Record<string, string>;
  extraArgs?: string[];
}

const blocking: Expectation[] = [
  { scenario: 'smtp-conflict', exitCode: 3, blocked: { 'paula.jones@contoso.com': 'SmtpMatchesOtherUser' } },
  { scenario: 'already-synced', exitCode: 3, blocked: { 'lnguyen2@contoso.com': 'CloudUserAlreadySynced' } },
  { scenario: 'soft-match-blocked', exitCode: 3, blocked: { 'paula.jones@contoso.com': 'SoftMatchBlocked' } },
  { scenario: 'feature-disabled', exitCode: 3, blocked: { 'paula.jones@contoso.com': 'UpnSoftMatchDisabled' } },
  { scenario: 'duplicate-upn', exitCode: 3, blocked: { 'paula.jones@contoso.com': 'UpnNotUniqueInForest' } },
  { scenario: 'staging-mode', exitCode: 3, blocked: { 'paula.jones@contoso.com': 'StagingMode' } },
  { scenario: 'privileged-user', exitCode: 3, blocked: { 'adele.vance@contoso.com': 'CloudUserHoldsRole' } },
  { scenario: 'unverified-domain', exitCode: 3, blocked: { 'megan.bowen@fabrikam.com': 'UpnDomainUnverified' } },
  { scenario: 'anchor-taken', exitCode: 3, blocked: { 'paula.jones@contoso.com': 'AnchorTaken' } },
  { scenario: 'excluded-ou', exitCode: 3, blocked: { 'paula.jones@contoso.com': 'NotInSyncScope' } },
];

function batchOf(dir: string) {
  return parseBatchCsv(readFileSync(path.join(dir, 'users.csv'), 'utf8'));
}

describe('end to end: apply on each scenario', function () {
  this.timeout(180_000);

  it('happy-path: every user matched by UPN, accounts updated and created, exit 0', async () => {
    const dir = await initSim('happy-path');
    const before = readState(dir);
    const result = await runCli(['apply', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--yes', '--json']);
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(result.json.summary).to.include({ total: 4, matched: 4, blocked: 0, failed: 0 });
    const after = readState(dir);
    for (const row of batchOf(dir)) {
      const accounts = adBySam(after, row.samAccountName ?? '');
      expect(accounts, row.cloudUpn).to.have.length(1);
      const account = accounts[0]!;
      expect(account.UserPrincipalName).to.equal(row.cloudUpn);
      const cloud = cloudByUpn(after, row.cloudUpn)!;
      expect(cloud.onPremisesImmutableId).to.equal(account['mS-DS-ConsistencyGuid'] ?? guidToImmutableId(account.ObjectGUID));
      expect(cloud.onPremisesSyncEnabled).to.equal(true);
      // The key is never changed: the cloud UPN is the same as before.
      expect(cloudByUpn(before, row.cloudUpn)?.id).to.equal(cloud.id);
    }
    expect(after.forest.users.length).to.equal(before.forest.users.length + 2);
    expect(after.tenant.users.length).to.equal(before.tenant.users.length);
  });

  for (const expectation of blocking) {
    it(`${expectation.scenario}: blocks the right users with the right codes and leaves them unchanged`, async () => {
      const dir = await initSim(expectation.scenario);
      const before = readState(dir);
      const result = await runCli(['apply', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--yes', '--json', ...(expectation.extraArgs ?? [])]);
      expect(result.exitCode, result.stderr).to.equal(expectation.exitCode);
      const after = readState(dir);
      for (const [upn, code] of Object.entries(expectation.blocked)) {
        const user = result.json.users.find((u: { cloudUpn: string }) => u.cloudUpn === upn);
        expect(user, upn).to.not.equal(undefined);
        expect(user.outcome).to.equal('blocked');
        expect(user.findings.map((f: { code: string }) => f.code)).to.include(code);
        const row = batchOf(dir).find((r) => r.cloudUpn === upn)!;
        expect(adBySam(after, row.samAccountName ?? ''), `AD account of ${upn}`).to.deep.equal(adBySam(before, row.samAccountName ?? ''));
        expect(cloudByUpn(after, upn), `cloud user ${upn}`).to.deep.equal(cloudByUpn(before, upn));
      }
      for (const user of result.json.users.filter((u: { cloudUpn: string }) => !(u.cloudUpn in expectation.blocked))) {
        expect(user.outcome, user.cloudUpn).to.equal('matched');
      }
    });
  }

  it('feature-disabled with --enable-feature: enables UPN soft match, then matches', async () => {
    const dir = await initSim('feature-disabled');
    const result = await runCli(['apply', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--yes', '--json', '--enable-feature']);
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(readState(dir).tenant.features.softMatchOnUpnEnabled).to.equal(true);
    expect(result.json.summary.matched).to.equal(1);
  });

  it('cycle-running: waits for the running cycle instead of interrupting it, then matches', async () => {
    const dir = await initSim('cycle-running');
    const state = readState(dir);
    // Shorten the running cycle so that the test does not wait ten seconds.
    state.sync.cycle!.endsAt = new Date(Date.now() + 3000).toISOString();
    writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state));
    const result = await runCli(['apply', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--yes', '--json']);
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(result.json.summary.matched).to.equal(1);
  });

  it('plan changes nothing and predicts the match rule', async () => {
    const dir = await initSim('smtp-conflict');
    const before = stateText(dir);
    const result = await runCli(['plan', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--json']);
    expect(result.exitCode, result.stderr).to.equal(3);
    expect(stateText(dir)).to.equal(before);
    const omar = result.json.users.find((u: { cloudUpn: string }) => u.cloudUpn === 'omar.haddad@contoso.com');
    expect(omar.predictedMatch).to.equal('upn');
    expect(omar.outcome).to.equal('planned');
  });

  it('--what-if writes nothing', async () => {
    const dir = await initSim('happy-path');
    const before = stateText(dir);
    const result = await runCli(['apply', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--what-if', '--yes', '--json']);
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(stateText(dir)).to.equal(before);
    expect(result.json.mode).to.equal('what-if');
  });

  it('refuses to write without --yes when no terminal is attached', async () => {
    const dir = await initSim('happy-path');
    const before = stateText(dir);
    const result = await runCli(['apply', '--sim', dir, '--csv', path.join(dir, 'users.csv')]);
    expect(result.exitCode).to.equal(2);
    expect(result.stderr).to.match(/--yes/);
    expect(stateText(dir)).to.equal(before);
  });

  it('a bad CSV is refused with row numbers, and nothing is written', async () => {
    const dir = await initSim('happy-path');
    const before = stateText(dir);
    const csv = path.join(dir, 'bad.csv');
    writeFileSync(csv, 'cloudUpn,samAccountName,create\nanna.mueller@contoso.com,amueller,no\n,nobody,no\nanna.mueller@contoso.com,other,no\n');
    const result = await runCli(['apply', '--sim', dir, '--csv', csv, '--yes']);
    expect(result.exitCode).to.equal(2);
    expect(result.stderr).to.match(/row 3/);
    expect(result.stderr).to.match(/row 4/);
    expect(stateText(dir)).to.equal(before);
  });

  it('rollback undoes the AD changes of users the sync did not match: UPNs restored, created accounts removed', async () => {
    const dir = await initSim('happy-path');
    const before = readState(dir);
    // Every export fails: the accounts are written but no cloud user gets matched.
    writeFileSync(path.join(dir, 'faults.json'), JSON.stringify({ syncExportError: true }));
    const applied = await runCli(['apply', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--yes', '--json', '--verify-timeout', '3']);
    // Each user fails with the service's export error (SyncExportError): exit 1.
    expect(applied.exitCode, applied.stderr).to.equal(1);
    expect(readState(dir).forest.users.length).to.equal(before.forest.users.length + 2);
    const whatIf = await runCli(['rollback', '--sim', dir, '--run', applied.json.runId, '--what-if', '--json']);
    expect(whatIf.exitCode, whatIf.stderr).to.equal(0);
    expect(readState(dir).forest.users.length).to.equal(before.forest.users.length + 2);
    const rolled = await runCli(['rollback', '--sim', dir, '--run', applied.json.runId, '--yes', '--json']);
    expect(rolled.exitCode, rolled.stderr).to.equal(0);
    const after = readState(dir);
    const upns = (state: typeof before) => state.forest.users.map((u) => [u.SamAccountName, u.UserPrincipalName]);
    expect(upns(after)).to.deep.equal(upns(before));
  });

  it('status and rollback: a run is journaled, and rollback of matched users refuses to undo them', async () => {
    const dir = await initSim('happy-path');
    const applied = await runCli(['apply', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--yes', '--json']);
    expect(applied.exitCode, applied.stderr).to.equal(0);
    const status = await runCli(['status', '--sim', dir, '--json']);
    expect(status.json[0].runId).to.equal(applied.json.runId);
    expect(status.json[0].users.every((u: { state: string }) => u.state === 'verified')).to.equal(true);
    const before = stateText(dir);
    const rollback = await runCli(['rollback', '--sim', dir, '--run', applied.json.runId, '--yes', '--json']);
    expect(rollback.exitCode, rollback.stderr).to.equal(0);
    expect(stateText(dir)).to.equal(before);
  });
});

describe('end to end: app-only runs and the feature record', function () {
  this.timeout(180_000);

  it('an app-only run says it could not read the features; after `feature` (delegated) it uses the record', async () => {
    const dir = await initSim('soft-match-blocked');
    // The app's certificate in the machine's store, named by subject (the thumbprint changes on renewal).
    const seeded = await runPowerShell(`${CERTIFICATE_HELPER}New-SimTestCertificate LocalMachine 'CN=upn-match'`, { env: { UPN_MATCH_SIM_DIR: dir } });
    expect(seeded.stdout.trim(), seeded.stderr).to.match(/^[0-9A-F]{40}$/);
    const appOnly = path.join(dir, 'app-only.json');
    writeFileSync(
      appOnly,
      JSON.stringify({
        cloud: 'graph',
        graph: { auth: 'certificate', tenantId: readState(dir).tenant.tenantId, clientId: '00000000-0000-0000-0000-0000000000bb', certificateSubject: 'CN=upn-match' },
        workDir: path.join(dir, 'work'),
      }),
    );
    const csv = path.join(dir, 'users.csv');
    const blind = await runCli(['plan', '--sim', dir, '--config', appOnly, '--csv', csv, '--json']);
    expect(blind.json.features.source).to.equal('unavailable');
    expect(blind.json.features.error).to.match(/delegated/);
    expect(blind.json.tenantFindings.map((f: { code: string }) => f.code)).to.include('FeaturesUnknown');

    const feature = await runCli(['feature', '--sim', dir, '--json']);
    expect(feature.exitCode, feature.stderr).to.equal(0);
    expect(feature.json.features.blockSoftMatchEnabled).to.equal(true);

    const informed = await runCli(['plan', '--sim', dir, '--config', appOnly, '--csv', csv, '--json']);
    expect(informed.exitCode, informed.stderr).to.equal(3);
    expect(informed.json.features.source).to.equal('record');
    expect(informed.json.users[0].findings.map((f: { code: string }) => f.code)).to.include('SoftMatchBlocked');
  });
});
