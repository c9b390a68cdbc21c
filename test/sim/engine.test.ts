// The simulated Entra Connect sync engine: one case per join rule and block, and the rules' order.
// All scenarios are built first and run in ONE pwsh process (it switches UPN_MATCH_SIM_DIR between
// worlds), then each `it` reads its world's state.json.
import { expect } from 'chai';
import {
  adUser, baseState, cloudUser, GA_TEMPLATE, guid, immutableIdOf, makeSimDir, psq, readState, removeSimDir,
  runSim, SCOPE_OU, type Json,
} from './fixtures.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initSimulator } from '../../lib/sim/init.js';
import type { SimState } from '../../lib/sim/state.js';

interface Scenario {
  name: string;
  build: (s: SimState) => void;
  faults?: Json;
  dir?: string;
  state?: Json;
}

const G = (p: string) => guid(p);

function joinsOf(state: Json): Record<string, string> {
  return state.sync.joins as Record<string, string>;
}
function cloud(state: Json, upnOrId: string): Json {
  return state.tenant.users.find((u: Json) => u.id === upnOrId || String(u.userPrincipalName).toLowerCase() === upnOrId.toLowerCase());
}
function errorsOf(state: Json): Json[] {
  return state.sync.lastRun?.errors ?? [];
}

/**
 * The duplicate that duplicate attribute resiliency provisions for an AD user that was not joined: a placeholder
 * UPN prefix+NNNN@<initial domain>, the anchor, synced, the listed conflicts, and no run error.
 */
function expectDuplicate(state: Json, sam: string, originalId: string, conflicts: Array<[string, string]>, prefix = sam): Json {
  const ad = state.forest.users.find((u: Json) => u.SamAccountName === sam);
  const anchor = immutableIdOf(ad.ObjectGUID);
  const dup = state.tenant.users.find((u: Json) => u.onPremisesImmutableId === anchor);
  expect(dup, `duplicate of ${sam}`).to.not.equal(undefined);
  expect(dup.id).to.not.equal(originalId);
  expect(dup.userPrincipalName).to.match(new RegExp(`^${prefix.replace('.', '\\.')}\\+\\d{4}@contoso\\.onmicrosoft\\.com$`));
  expect(dup.onPremisesSyncEnabled).to.equal(true);
  expect(dup.onPremisesProvisioningErrors.map((e: Json) => [e.propertyCausingError, e.value])).to.deep.equal(conflicts);
  for (const e of dup.onPremisesProvisioningErrors) {
    expect(e.category).to.equal('PropertyConflict');
    expect(e.occurredDateTime).to.be.a('string');
  }
  expect(joinsOf(state)[ad.ObjectGUID]).to.equal(dup.id);
  expect(state.sync.lastRun.joins.map((j: Json) => j.rule)).to.deep.equal(['Provisioned']);
  expect(errorsOf(state)).to.deep.equal([]);
  expect(state.sync.lastRun.result).to.equal('success');
  expect(state.sync.lastRun.exports.adds).to.equal(1);
  const original = cloud(state, originalId);
  expect(original.userPrincipalName).to.equal(`${prefix}@contoso.com`);
  return dup;
}

const scenarios: Record<string, Scenario> = {};
function scenario(name: string, build: (s: SimState) => void, faults?: Json): void {
  scenarios[name] = { name, build, faults };
}

// ids used by the assertions
const ids: Record<string, string> = {};

scenario('upn', (s) => {
  ids.upnAd = G('a1');
  ids.upnCloud = G('c1');
  s.forest.users.push(adUser({ sam: 'ann', upn: 'ann@contoso.com', objectGuid: ids.upnAd }));
  s.tenant.users.push(cloudUser({ upn: 'ann@contoso.com', id: ids.upnCloud, displayName: 'Cloud Ann' }));
});
scenario('smtp-and-upn-same-user', (s) => {
  ids.bothCloud = G('c2');
  s.forest.users.push(adUser({ sam: 'bob', upn: 'bob@contoso.com', proxyAddresses: ['SMTP:bob@contoso.com'] }));
  s.tenant.users.push(cloudUser({ upn: 'bob@contoso.com', id: ids.bothCloud, proxyAddresses: ['SMTP:bob@contoso.com'] }));
});
scenario('smtp-before-upn', (s) => {
  ids.orderSmtp = G('c3');
  ids.orderUpn = G('c4');
  s.forest.users.push(adUser({ sam: 'cat', upn: 'cat@contoso.com', proxyAddresses: ['SMTP:catherine@contoso.com'] }));
  s.tenant.users.push(cloudUser({ upn: 'cat@contoso.com', id: ids.orderUpn }));
  s.tenant.users.push(cloudUser({ upn: 'catherine.x@contoso.com', id: ids.orderSmtp, mail: 'catherine@contoso.com', proxyAddresses: ['SMTP:catherine@contoso.com'] }));
});
scenario('hard-beats-soft', (s) => {
  ids.hardAd = G('a5');
  ids.hardCloud = G('c5');
  ids.hardSoftCandidate = G('c6');
  s.forest.users.push(adUser({ sam: 'dan', upn: 'dan@contoso.com', proxyAddresses: ['SMTP:dan@contoso.com'], objectGuid: ids.hardAd }));
  s.tenant.users.push(cloudUser({ upn: 'dan@contoso.com', id: ids.hardSoftCandidate, proxyAddresses: ['SMTP:dan@contoso.com'] }));
  s.tenant.users.push(cloudUser({ upn: 'daniel.old@contoso.com', id: ids.hardCloud, immutableId: immutableIdOf(ids.hardAd) }));
});
scenario('hard-by-consistency-guid', (s) => {
  ids.cgAnchorGuid = G('ee');
  ids.cgCloud = G('c7');
  const cg = immutableIdOf(ids.cgAnchorGuid);
  s.forest.users.push(adUser({ sam: 'eve', upn: 'eve@contoso.com', consistencyGuid: cg }));
  s.tenant.users.push(cloudUser({ upn: 'eve.cloud@contoso.com', id: ids.cgCloud, immutableId: cg }));
});
scenario('soft-disabled', (s) => {
  ids.softOffCloud = G('ci');
  s.tenant.features.softMatchOnUpnEnabled = false;
  s.forest.users.push(adUser({ sam: 'fay', upn: 'fay@contoso.com' }));
  s.tenant.users.push(cloudUser({ upn: 'fay@contoso.com', id: ids.softOffCloud }));
});
scenario('block-soft', (s) => {
  ids.blockSoftCloud = G('cj');
  s.tenant.features.blockSoftMatchEnabled = true;
  s.forest.users.push(adUser({ sam: 'gus', upn: 'gus@contoso.com', proxyAddresses: ['SMTP:gus@contoso.com', 'smtp:gus.free@contoso.com'] }));
  s.tenant.users.push(cloudUser({ upn: 'gus@contoso.com', id: ids.blockSoftCloud, proxyAddresses: ['SMTP:gus@contoso.com'] }));
});
scenario('feature-turned-on-at-cycle-start', (s) => {
  // Nothing blocks at plan time; another admin turns blockSoftMatchEnabled on as the cycle starts (faults.json setFeatures).
  ids.lateBlockCloud = G('ck');
  s.forest.users.push(adUser({ sam: 'zed', upn: 'zed@contoso.com' }));
  s.tenant.users.push(cloudUser({ upn: 'zed@contoso.com', id: ids.lateBlockCloud }));
}, { setFeatures: [{ command: 'Start-ADSyncSyncCycle', nth: 1, features: { blockSoftMatchEnabled: true } }] });
scenario('privileged-soft', (s) => {
  ids.adminCloud = G('c8');
  s.forest.users.push(adUser({ sam: 'hal', upn: 'hal@contoso.com' }));
  s.tenant.users.push(cloudUser({ upn: 'hal@contoso.com', id: ids.adminCloud }));
  s.tenant.directoryRoles.push({ id: G('d1'), displayName: 'Global Administrator', roleTemplateId: GA_TEMPLATE, members: [ids.adminCloud] });
});
scenario('privileged-eligible', (s) => {
  ids.eligibleCloud = G('ca');
  s.forest.users.push(adUser({ sam: 'eli', upn: 'eli@contoso.com' }));
  s.tenant.users.push(cloudUser({ upn: 'eli@contoso.com', id: ids.eligibleCloud }));
  s.tenant.roleEligibilities = [{ principalId: ids.eligibleCloud, roleDefinitionId: GA_TEMPLATE, directoryScopeId: '/' }];
});
scenario('privileged-group-au', (s) => {
  ids.groupAdminCloud = G('cb');
  const group = G('9a');
  s.forest.users.push(adUser({ sam: 'gil', upn: 'gil@contoso.com' }));
  s.tenant.users.push(cloudUser({ upn: 'gil@contoso.com', id: ids.groupAdminCloud }));
  s.tenant.groups.push({ id: group, displayName: 'Helpdesk Admins', mail: null, proxyAddresses: [], members: [ids.groupAdminCloud], isAssignableToRole: true });
  s.tenant.roleAssignments = [{ principalId: group, roleDefinitionId: '729827e3-9c14-49f7-bb1b-9608f156bbb8', directoryScopeId: '/administrativeUnits/au-1' }];
});
scenario('objectguid-anchor', (s) => {
  ids.oguidAd = G('ab');
  ids.oguidCloud = G('cc');
  ids.oguidStale = immutableIdOf(G('ee'));
  s.sync.anchorAttribute = 'objectGUID';
  s.forest.users.push(adUser({ sam: 'ola', upn: 'ola@contoso.com', objectGuid: ids.oguidAd, consistencyGuid: ids.oguidStale }));
  s.tenant.users.push(cloudUser({ upn: 'ola@contoso.com', id: ids.oguidCloud }));
});
scenario('alternate-login-id', (s) => {
  ids.altUpnOwner = G('cd');
  ids.altMailOwner = G('ce');
  s.sync.upnAttribute = 'mail';
  s.forest.users.push(adUser({ sam: 'ivy', upn: 'ivy@contoso.com', mail: 'ivy.m@contoso.com' }));
  s.tenant.users.push(cloudUser({ upn: 'ivy@contoso.com', id: ids.altUpnOwner }));
  s.tenant.users.push(cloudUser({ upn: 'ivy.m@contoso.com', id: ids.altMailOwner }));
});
scenario('previously-synced', (s) => {
  ids.prevCloud = G('cf');
  s.forest.users.push(adUser({ sam: 'pat', upn: 'pat@contoso.com' }));
  s.tenant.users.push({ ...cloudUser({ upn: 'pat@contoso.com', id: ids.prevCloud, synced: false }), onPremisesSecurityIdentifier: 'S-1-5-21-1004336348-1177238915-682003330-4242' });
});
scenario('privileged-hard', (s) => {
  ids.adminHardAd = G('a9');
  ids.adminHardCloud = G('c9');
  s.forest.users.push(adUser({ sam: 'ian', upn: 'ian@contoso.com', objectGuid: ids.adminHardAd }));
  s.tenant.users.push(cloudUser({ upn: 'ian.admin@contoso.com', id: ids.adminHardCloud, immutableId: immutableIdOf(ids.adminHardAd) }));
  s.tenant.directoryRoles.push({ id: G('d2'), displayName: 'User Administrator', roleTemplateId: 'fe930be7-5e62-47db-91af-98c3a49a38b1', members: [ids.adminHardCloud] });
});
scenario('block-hard', (s) => {
  ids.blockHardAd = G('aa');
  s.tenant.features.blockCloudObjectTakeoverThroughHardMatchEnabled = true;
  s.forest.users.push(adUser({ sam: 'jay', upn: 'jay@contoso.com', objectGuid: ids.blockHardAd }));
  s.tenant.users.push(cloudUser({ upn: 'jay.cloud@contoso.com', immutableId: immutableIdOf(ids.blockHardAd) }));
});
scenario('candidate-has-immutable-id', (s) => {
  ids.kimCloud = G('cl');
  s.forest.users.push(adUser({ sam: 'kim', upn: 'kim@contoso.com' }));
  s.tenant.users.push(cloudUser({ upn: 'kim@contoso.com', id: ids.kimCloud, immutableId: 'c29tZW9uZSBlbHNlIQ==', synced: true }));
});
scenario('out-of-scope', (s) => {
  ids.scopeCloud = G('cb');
  s.forest.users.push(adUser({ sam: 'lea', upn: 'lea@contoso.com', ou: 'OU=Elsewhere,DC=contoso,DC=local' }));
  s.tenant.users.push(cloudUser({ upn: 'lea@contoso.com', id: ids.scopeCloud }));
});
scenario('delta-watermark', (s) => {
  // The last delta ran after vic's last change: a delta cycle does not re-read vic; wes changed since.
  ids.deltaStale = G('cg');
  ids.deltaFresh = G('ch');
  s.sync.deltaWatermark = '2025-01-01T00:00:00.000Z';
  s.forest.users.push(adUser({ sam: 'vic', upn: 'vic@contoso.com' }));
  s.forest.users.push({ ...adUser({ sam: 'wes', upn: 'wes@contoso.com' }), whenChanged: '2025-06-01T00:00:00.000Z' });
  s.tenant.users.push(cloudUser({ upn: 'vic@contoso.com', id: ids.deltaStale }));
  s.tenant.users.push(cloudUser({ upn: 'wes@contoso.com', id: ids.deltaFresh }));
});
scenario('staging', (s) => {
  s.sync.stagingModeEnabled = true;
  s.forest.users.push(adUser({ sam: 'max', upn: 'max@contoso.com' }));
  s.forest.users.push(adUser({ sam: 'ned', upn: 'ned@contoso.com' }));
  s.tenant.users.push(cloudUser({ upn: 'max@contoso.com' }));
});
scenario('provision', (s) => {
  ids.provAd = G('ac');
  s.forest.users.push(adUser({ sam: 'oli', upn: 'oli@contoso.com', mail: 'oli@contoso.com', proxyAddresses: ['SMTP:oli@contoso.com'], objectGuid: ids.provAd }));
  s.forest.users.push(adUser({ sam: 'pam', upn: 'pam@contoso.local' }));
});
scenario('duplicate-upn', (s) => {
  // The cloud UPN owner already has an ImmutableId, so it cannot be soft-matched: provisioning conflicts.
  ids.dupOwner = G('cd');
  s.forest.users.push(adUser({ sam: 'quinn', upn: 'quinn@contoso.com' }));
  s.tenant.users.push(cloudUser({ upn: 'quinn@contoso.com', id: ids.dupOwner, immutableId: 'b3RoZXIgYW5jaG9yISE=', synced: true }));
});
scenario('changes-seen-in-cycle', (s) => {
  // One cycle, in state order: kim joins the cloud user by SMTP, which takes kim's UPN and alias; lee's mail is
  // that alias now (quarantined on lee's new object), and max's UPN is the one the cloud user gave up (free).
  ids.seenCloud = G('c9');
  s.forest.users.push(adUser({ sam: 'kim', upn: 'kim.new@contoso.com', objectGuid: G('a91'), proxyAddresses: ['SMTP:kim@contoso.com', 'smtp:kim.alias@contoso.com'] }));
  s.forest.users.push(adUser({ sam: 'lee', upn: 'lee@contoso.com', objectGuid: G('a92'), mail: 'kim.alias@contoso.com' }));
  s.forest.users.push(adUser({ sam: 'max', upn: 'kim@contoso.com', objectGuid: G('a93') }));
  s.tenant.users.push(cloudUser({ upn: 'kim@contoso.com', id: ids.seenCloud, proxyAddresses: ['SMTP:kim@contoso.com'] }));
});
scenario('group-conflicts', (s) => {
  s.forest.users.push(adUser({ sam: 'ray', upn: 'ray@contoso.com', proxyAddresses: ['SMTP:ray@contoso.com', 'smtp:sales@contoso.com'] }));
  s.forest.users.push(adUser({ sam: 'sue', upn: 'sue@contoso.com', proxyAddresses: ['SMTP:team@contoso.com'] }));
  s.tenant.groups.push({ id: G('ce'), displayName: 'Sales', mail: 'sales@contoso.com', proxyAddresses: ['SMTP:sales@contoso.com'] });
  s.tenant.groups.push({ id: G('cf'), displayName: 'Team', mail: 'team@contoso.com', proxyAddresses: ['SMTP:team@contoso.com'] });
});
scenario('delete-out-of-scope', (s) => {
  ids.delAd = G('ad');
  ids.delCloud = G('c0');
  s.forest.users.push(adUser({ sam: 'tom', upn: 'tom@contoso.com', ou: 'OU=Disabled,DC=contoso,DC=local', objectGuid: ids.delAd }));
  s.tenant.users.push(cloudUser({ upn: 'tom@contoso.com', id: ids.delCloud, immutableId: immutableIdOf(ids.delAd), synced: true }));
  s.sync.joins[ids.delAd] = ids.delCloud;
});
scenario('export-fault', (s) => {
  s.forest.users.push(adUser({ sam: 'uma', upn: 'uma@contoso.com' }));
  s.tenant.users.push(cloudUser({ upn: 'uma@contoso.com' }));
}, { syncExportError: true });

describe('sim: sync engine (Entra Connect join rules)', function () {
  this.timeout(120_000);

  before(async function () {
    for (const sc of Object.values(scenarios)) {
      const state = baseState();
      sc.build(state);
      sc.dir = makeSimDir(state, sc.faults ? { faults: sc.faults } : {});
    }
    const dirs = Object.values(scenarios).map((sc) => psq(sc.dir!)).join(',');
    const code = `
$ErrorActionPreference = 'Stop'
Import-Module ADSync
foreach ($dir in @(${dirs})) {
  $env:UPN_MATCH_SIM_DIR = $dir
  $null = Start-ADSyncSyncCycle -PolicyType Delta
  $null = Get-ADSyncScheduler   # settles the finished cycle (UPN_MATCH_SIM_SYNC_MS=0)
}
'done'`;
    const first = Object.values(scenarios)[0]!.dir!;
    const result = await runSim(first, code, { UPN_MATCH_SIM_SYNC_MS: '0' });
    expect(result.exitCode, result.stderr).to.equal(0);
    for (const sc of Object.values(scenarios)) sc.state = readState(sc.dir!);
  });

  after(function () {
    for (const sc of Object.values(scenarios)) if (sc.dir) removeSimDir(sc.dir);
  });

  it('UPN soft match joins the cloud user, sets its ImmutableId and overwrites attributes with on-prem values', function () {
    const s = scenarios.upn!.state;
    const c = cloud(s, ids.upnCloud!);
    expect(joinsOf(s)[ids.upnAd!]).to.equal(ids.upnCloud);
    expect(c.onPremisesImmutableId).to.equal(immutableIdOf(ids.upnAd!));
    expect(c.onPremisesSyncEnabled).to.equal(true);
    expect(c.onPremisesLastSyncDateTime).to.be.a('string');
    expect(c.displayName).to.equal('ann Test');
    expect(s.sync.lastRun.joins[0].rule).to.equal('UpnSoftMatch');
    expect(s.sync.lastRun.result).to.equal('success');
    // Entra Connect writes the anchor back to mS-DS-ConsistencyGuid
    expect(s.forest.users[0]['mS-DS-ConsistencyGuid']).to.equal(immutableIdOf(ids.upnAd!));
  });

  it('a cloud user that matches by primary SMTP and by UPN joins by SMTP (SMTP is tried first)', function () {
    const s = scenarios['smtp-and-upn-same-user']!.state;
    expect(s.sync.lastRun.joins).to.have.length(1);
    expect(s.sync.lastRun.joins[0].rule).to.equal('SmtpSoftMatch');
    expect(s.sync.lastRun.joins[0].cloudId).to.equal(ids.bothCloud);
  });

  it('with an SMTP candidate and a different UPN candidate, the SMTP one wins; the UPN stays on its owner', function () {
    const s = scenarios['smtp-before-upn']!.state;
    expect(s.sync.lastRun.joins[0].rule).to.equal('SmtpSoftMatch');
    expect(s.sync.lastRun.joins[0].cloudId).to.equal(ids.orderSmtp);
    expect(cloud(s, ids.orderUpn!).onPremisesImmutableId).to.equal(null);
    expect(cloud(s, ids.orderSmtp!).userPrincipalName).to.equal('catherine.x@contoso.com');
    const e = errorsOf(s);
    expect(e).to.have.length(1);
    expect(e[0]).to.include({ errorType: 'AttributeValueMustBeUnique', attribute: 'UserPrincipalName', value: 'cat@contoso.com' });
  });

  it('a hard match wins over SMTP and UPN soft matches', function () {
    const s = scenarios['hard-beats-soft']!.state;
    expect(joinsOf(s)[ids.hardAd!]).to.equal(ids.hardCloud);
    expect(s.sync.lastRun.joins[0].rule).to.equal('HardMatch');
    expect(cloud(s, ids.hardSoftCandidate!).onPremisesImmutableId).to.equal(null);
  });

  it('the source anchor is mS-DS-ConsistencyGuid when set', function () {
    const s = scenarios['hard-by-consistency-guid']!.state;
    expect(s.sync.lastRun.joins[0]).to.include({ rule: 'HardMatch', cloudId: ids.cgCloud });
  });

  it('UPN soft match does not happen when softMatchOnUpnEnabled is off: a duplicate with a placeholder UPN is provisioned, no run error', function () {
    const s = scenarios['soft-disabled']!.state;
    expectDuplicate(s, 'fay', ids.softOffCloud!, [['UserPrincipalName', 'fay@contoso.com']]);
    expect(cloud(s, ids.softOffCloud!).onPremisesImmutableId).to.equal(null);
    expect(s.tenant.users).to.have.length(2);
  });

  it('blockSoftMatchEnabled blocks both soft matches: a duplicate with a placeholder UPN and the taken proxy address quarantined', function () {
    const s = scenarios['block-soft']!.state;
    const dup = expectDuplicate(s, 'gus', ids.blockSoftCloud!, [['UserPrincipalName', 'gus@contoso.com'], ['ProxyAddress', 'SMTP:gus@contoso.com']]);
    expect(dup.proxyAddresses).to.deep.equal(['smtp:gus.free@contoso.com']);
    const original = cloud(s, ids.blockSoftCloud!);
    expect(original.onPremisesImmutableId).to.equal(null);
    expect(original.proxyAddresses).to.deep.equal(['SMTP:gus@contoso.com']);
  });

  it('blockSoftMatchEnabled turned on when the cycle starts (faults.json setFeatures): a duplicate instead of the match', function () {
    const s = scenarios['feature-turned-on-at-cycle-start']!.state;
    expect(s.tenant.features.blockSoftMatchEnabled).to.equal(true);
    expectDuplicate(s, 'zed', ids.lateBlockCloud!, [['UserPrincipalName', 'zed@contoso.com']]);
    expect(cloud(s, ids.lateBlockCloud!).onPremisesImmutableId).to.equal(null);
  });

  it('soft match never takes over a cloud user that holds a directory role: the quarantined duplicate, no ExistingAdminRoleConflict error', function () {
    const s = scenarios['privileged-soft']!.state;
    expectDuplicate(s, 'hal', ids.adminCloud!, [['UserPrincipalName', 'hal@contoso.com']]);
    expect(cloud(s, ids.adminCloud!).onPremisesImmutableId).to.equal(null);
    expect(s.tenant.users).to.have.length(2);
  });

  it('a PIM-eligible role holder is not soft-matched either: the quarantined duplicate (open question 10.1, harder side)', function () {
    const s = scenarios['privileged-eligible']!.state;
    expectDuplicate(s, 'eli', ids.eligibleCloud!, [['UserPrincipalName', 'eli@contoso.com']]);
    expect(cloud(s, ids.eligibleCloud!).onPremisesImmutableId).to.equal(null);
  });

  it('a member of a role-assignable group holding an AU-scoped role is not soft-matched: the quarantined duplicate', function () {
    const s = scenarios['privileged-group-au']!.state;
    expectDuplicate(s, 'gil', ids.groupAdminCloud!, [['UserPrincipalName', 'gil@contoso.com']]);
  });

  it('with an objectGUID source anchor a populated mS-DS-ConsistencyGuid is ignored and left as it is', function () {
    const s = scenarios['objectguid-anchor']!.state;
    expect(s.sync.lastRun.joins[0]).to.include({ rule: 'UpnSoftMatch', cloudId: ids.oguidCloud });
    expect(cloud(s, ids.oguidCloud!).onPremisesImmutableId).to.equal(immutableIdOf(ids.oguidAd!));
    expect(s.forest.users[0]['mS-DS-ConsistencyGuid']).to.equal(ids.oguidStale);
  });

  it('with an alternate login ID (UPN attribute mail) the cloud UPN and the UPN soft match come from mail, not userPrincipalName', function () {
    const s = scenarios['alternate-login-id']!.state;
    expect(s.sync.lastRun.joins[0]).to.include({ rule: 'UpnSoftMatch', cloudId: ids.altMailOwner });
    expect(cloud(s, ids.altMailOwner!).userPrincipalName).to.equal('ivy.m@contoso.com');
    expect(cloud(s, ids.altUpnOwner!).onPremisesImmutableId).to.equal(null);
  });

  it('a previously synced cloud user (onPremisesSyncEnabled false, on-premises SID kept) is not soft-matched: a duplicate (open question 10.8, harder side)', function () {
    const s = scenarios['previously-synced']!.state;
    expectDuplicate(s, 'pat', ids.prevCloud!, [['UserPrincipalName', 'pat@contoso.com']]);
    expect(cloud(s, ids.prevCloud!).onPremisesSyncEnabled).to.equal(false);
  });

  it('hard match of a cloud-managed role holder is blocked (InvalidHardMatch, MC1262584)', function () {
    const s = scenarios['privileged-hard']!.state;
    expect(joinsOf(s)).to.deep.equal({});
    expect(errorsOf(s)[0]).to.include({ errorType: 'InvalidHardMatch', conflictingObjectId: ids.adminHardCloud });
  });

  it('blockCloudObjectTakeoverThroughHardMatchEnabled blocks the hard match of a cloud-managed user', function () {
    const s = scenarios['block-hard']!.state;
    expect(joinsOf(s)).to.deep.equal({});
    expect(errorsOf(s)[0].errorType).to.equal('InvalidHardMatch');
  });

  it('a candidate that already has an ImmutableId is not soft-matched: a duplicate, no InvalidSoftMatch error', function () {
    const s = scenarios['candidate-has-immutable-id']!.state;
    expectDuplicate(s, 'kim', ids.kimCloud!, [['UserPrincipalName', 'kim@contoso.com']]);
    expect(cloud(s, ids.kimCloud!).onPremisesImmutableId).to.equal('c29tZW9uZSBlbHNlIQ==');
  });

  it('a delta cycle reads only AD users changed since the last delta watermark', function () {
    const s = scenarios['delta-watermark']!.state;
    expect(cloud(s, ids.deltaStale!).onPremisesImmutableId).to.equal(null);
    expect(cloud(s, ids.deltaFresh!).onPremisesImmutableId).to.be.a('string');
    expect(Object.values(joinsOf(s))).to.deep.equal([ids.deltaFresh]);
  });

  it('users outside sync.syncScopeOUs are ignored', function () {
    const s = scenarios['out-of-scope']!.state;
    expect(joinsOf(s)).to.deep.equal({});
    expect(errorsOf(s)).to.deep.equal([]);
    expect(cloud(s, ids.scopeCloud!).onPremisesImmutableId).to.equal(null);
    expect(s.forest.users[0]['mS-DS-ConsistencyGuid']).to.equal(null);
  });

  it('staging mode exports nothing and reports what it would export', function () {
    const s = scenarios.staging!.state;
    expect(joinsOf(s)).to.deep.equal({});
    expect(s.tenant.users).to.have.length(1);
    expect(s.tenant.users[0].onPremisesImmutableId).to.equal(null);
    expect(s.forest.users[0]['mS-DS-ConsistencyGuid']).to.equal(null);
    expect(s.sync.lastRun.stagingMode).to.equal(true);
    expect(s.sync.lastRun.exports).to.deep.equal({ adds: 0, updates: 0, deletes: 0 });
    expect(s.sync.lastRun.pendingExports.map((p: Json) => p.action).sort()).to.deep.equal(['join', 'provision']);
  });

  it('provisions a new synced cloud user when nothing matches; an unverified UPN suffix becomes onmicrosoft.com', function () {
    const s = scenarios.provision!.state;
    const oli = cloud(s, 'oli@contoso.com');
    expect(oli.onPremisesImmutableId).to.equal(immutableIdOf(ids.provAd!));
    expect(oli.onPremisesSyncEnabled).to.equal(true);
    expect(oli.proxyAddresses).to.deep.equal(['SMTP:oli@contoso.com']);
    expect(joinsOf(s)[ids.provAd!]).to.equal(oli.id);
    expect(cloud(s, 'pam@contoso.onmicrosoft.com')).to.not.equal(undefined);
    expect(s.sync.lastRun.exports.adds).to.equal(2);
  });

  it('a UPN already on another cloud object: the new object gets a placeholder UPN and a provisioning error, the export no error', function () {
    const s = scenarios['duplicate-upn']!.state;
    const dup = expectDuplicate(s, 'quinn', ids.dupOwner!, [['UserPrincipalName', 'quinn@contoso.com']]);
    expect(dup.onPremisesUserPrincipalName).to.equal('quinn@contoso.com');
    expect(cloud(s, ids.dupOwner!).onPremisesImmutableId).to.equal('b3RoZXIgYW5jaG9yISE=');
  });

  it('a cycle sees its own changes: an address a join gave a cloud user is taken, the UPN it gave up is free', function () {
    const s = scenarios['changes-seen-in-cycle']!.state;
    const byUpn = (upn: string) => s.tenant.users.filter((u: Json) => u.userPrincipalName === upn);
    expect(s.sync.lastRun.joins.map((j: Json) => j.rule)).to.deep.equal(['SmtpSoftMatch', 'Provisioned', 'Provisioned']);
    expect(cloud(s, ids.seenCloud!).userPrincipalName).to.equal('kim.new@contoso.com');
    const lee = byUpn('lee@contoso.com');
    expect(lee).to.have.length(1);
    expect(lee[0].mail).to.equal(null);
    expect(lee[0].onPremisesProvisioningErrors.map((e: Json) => [e.propertyCausingError, e.value])).to.deep.equal([['ProxyAddress', 'SMTP:kim.alias@contoso.com']]);
    const max = byUpn('kim@contoso.com');
    expect(max).to.have.length(1);
    expect(max[0].id).to.not.equal(ids.seenCloud);
    expect(max[0].onPremisesProvisioningErrors).to.deep.equal([]);
  });

  it('a proxy address on a group still fails the export (resiliency known issue); a primary SMTP on a group is an ObjectTypeMismatch', function () {
    const s = scenarios['group-conflicts']!.state;
    const byDn = Object.fromEntries(errorsOf(s).map((e: Json) => [e.samAccountName, e]));
    expect(byDn.ray).to.include({ errorType: 'AttributeValueMustBeUnique', attribute: 'ProxyAddresses', value: 'smtp:sales@contoso.com' });
    expect(byDn.ray.dn).to.equal(`CN=ray,OU=Users,${SCOPE_OU}`);
    expect(byDn.ray.message).to.match(/may already be associated with another object/);
    expect(byDn.sue).to.include({ errorType: 'ObjectTypeMismatch' });
    expect(joinsOf(s)).to.deep.equal({});
    expect(s.tenant.users).to.have.length(0);
    expect(s.sync.lastRun.result).to.equal('completed-export-errors');
  });

  it('a joined user that leaves the scope is soft-deleted in Entra ID', function () {
    const s = scenarios['delete-out-of-scope']!.state;
    expect(joinsOf(s)).to.deep.equal({});
    expect(s.tenant.users).to.have.length(0);
    expect(s.tenant.deletedUsers[0].id).to.equal(ids.delCloud);
    expect(s.tenant.deletedUsers[0].deletedDateTime).to.be.a('string');
    expect(s.sync.lastRun.exports.deletes).to.equal(1);
  });

  it('faults.json syncExportError makes every export fail', function () {
    const s = scenarios['export-fault']!.state;
    expect(joinsOf(s)).to.deep.equal({});
    expect(errorsOf(s)[0].errorType).to.equal('ServerError');
    expect(s.sync.lastRun.result).to.equal('completed-export-errors');
  });
});

describe('sim: scenario duplicate-created (a soft match refused between plan and sync)', function () {
  this.timeout(120_000);

  it('sim init writes its faults.json; the first cycle turns blockSoftMatchEnabled on and provisions the duplicate', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'upn-sim-dup-'));
    try {
      initSimulator({ dir, force: true, scenario: 'duplicate-created' });
      expect(JSON.parse(readFileSync(path.join(dir, 'faults.json'), 'utf8')).setFeatures[0]).to.include({ command: 'Start-ADSyncSyncCycle', nth: 1 });
      // What apply writes: the AD account gets the cloud UPN (nothing in the state blocks the match yet).
      const state = readState(dir);
      expect(state.tenant.features.blockSoftMatchEnabled).to.equal(false);
      const ad = state.forest.users.find((u: Json) => u.SamAccountName === 'pjones');
      ad.UserPrincipalName = 'paula.jones@contoso.com';
      ad.whenChanged = new Date().toISOString();
      writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state, null, 2));
      const original = cloud(state, 'paula.jones@contoso.com');
      const result = await runSim(dir, `$ErrorActionPreference = 'Stop'; Import-Module ADSync; $null = Start-ADSyncSyncCycle; $null = Get-ADSyncScheduler; 'done'`, { UPN_MATCH_SIM_SYNC_MS: '0' });
      expect(result.exitCode, result.stderr).to.equal(0);
      const after = readState(dir);
      expect(after.tenant.features.blockSoftMatchEnabled).to.equal(true);
      expectDuplicate(after, 'pjones', original.id, [['UserPrincipalName', 'paula.jones@contoso.com']], 'paula.jones');
      expect(cloud(after, original.id)).to.deep.equal(original);
    } finally {
      removeSimDir(dir);
    }
  });
});
