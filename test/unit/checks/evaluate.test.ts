import { expect } from 'chai';
import { rules } from '../../../lib/checks/registry.js';
import { guidToImmutableId } from '../../../lib/anchor.js';
import type { Facts, RoleHolding } from '../../../lib/facts.js';
import { evaluate, type UserEvaluation } from '../../../lib/checks/index.js';
import type { BatchUser } from '../../../lib/batch/types.js';
import {
  addReadyPair,
  anchorOf,
  codes,
  CORP_OU,
  createRow,
  first,
  makeAdUser,
  makeCloudObject,
  makeCloudUser,
  makeFacts,
  roleHolding,
  updateRow,
} from './fixtures.js';

const UPN = 'paula.jones@contoso.com';

/** Evaluates one row and returns its evaluation. */
function one(facts: Facts, row: BatchUser): UserEvaluation {
  return first(evaluate(facts, [row]).users);
}

/** A healthy world with one ready pair; `change` edits it before the evaluation. */
function readyCase(change: (facts: Facts, pair: ReturnType<typeof addReadyPair>) => BatchUser | void = () => {}): UserEvaluation {
  const facts = makeFacts();
  const pair = addReadyPair(facts, UPN, 'pjones');
  const row = change(facts, pair) ?? pair.row;
  return one(facts, row);
}

function tenantCodes(facts: Facts): string[] {
  return evaluate(facts, []).tenantFindings.map((f) => f.code);
}

describe('checks: baseline', () => {
  it('pauses once indexed, before the first row and after every N rows for the engine (a collection of garbage), with the same findings', () => {
    const facts = makeFacts();
    const rows = ['a', 'b', 'c', 'd', 'e'].map((name) => addReadyPair(facts, `${name}@contoso.com`, name).row);
    const at: number[] = [];
    const paused = evaluate(facts, rows, { pause: { every: 2, run: () => at.push(at.length) } });
    expect(at).to.have.length(4);
    expect(paused.users.map((u) => u.findings)).to.deep.equal(evaluate(facts, rows).users.map((u) => u.findings));
  });

  it('finds nothing for a cloud-only user and an AD account in scope, and predicts a UPN match', () => {
    const facts = makeFacts();
    const pair = addReadyPair(facts, UPN, 'pjones');
    const result = evaluate(facts, [pair.row]);
    expect(result.tenantFindings).to.deep.equal([]);
    const user = first(result.users);
    expect(user.findings).to.deep.equal([]);
    expect(user.blocked).to.equal(false);
    expect(user.predictedMatch).to.equal('upn');
    expect(user.cloudUser).to.equal(pair.cloud);
    expect(user.adUser).to.equal(pair.ad);
    expect(user.user).to.equal(pair.row);
  });

  it('finds nothing for a complete create row', () => {
    const facts = makeFacts();
    facts.cloudUsers.push(makeCloudUser(UPN));
    const user = one(facts, createRow(UPN, 'pjones'));
    expect(user.findings).to.deep.equal([]);
    expect(user.adUser).to.equal(null);
    expect(user.predictedMatch).to.equal('upn');
  });

  it('looks cloud users and AD accounts up case-insensitively, by sAMAccountName or DN', () => {
    const facts = makeFacts();
    const pair = addReadyPair(facts, UPN, 'pjones');
    expect(one(facts, updateRow(' Paula.Jones@CONTOSO.com ', 'PJONES')).findings).to.deep.equal([]);
    const byDn = one(facts, updateRow(UPN, null, { distinguishedName: pair.ad.DistinguishedName.toUpperCase().replace(/,/g, ', ') }));
    expect(byDn.findings).to.deep.equal([]);
    expect(byDn.adUser).to.equal(pair.ad);
  });

  it('gives every finding a code, a one-line message naming the user and a hint', () => {
    const facts = makeFacts();
    facts.tenant.directorySyncEnabled = false;
    const user = one(facts, updateRow('nobody@nowhere.example', 'ghost'));
    expect(user.findings.length).to.be.greaterThan(2);
    for (const finding of user.findings) {
      expect(finding.code).to.match(/^[A-Z][A-Za-z]+$/);
      expect(finding.message).to.not.match(/\n/);
      expect(finding.hint.length).to.be.greaterThan(10);
    }
    const own = user.findings.filter((f) => f.code !== 'DirSyncDisabled');
    for (const finding of own) expect(finding.message).to.contain('nobody@nowhere.example');
  });
});

describe('checks: tenant rules', () => {
  it('DirSyncDisabled blocks everyone when directory sync is off', () => {
    const facts = makeFacts();
    facts.tenant.directorySyncEnabled = false;
    const pair = addReadyPair(facts, UPN, 'pjones');
    const result = evaluate(facts, [pair.row]);
    expect(result.tenantFindings.map((f) => f.code)).to.deep.equal(['DirSyncDisabled']);
    expect(result.tenantFindings[0]?.severity).to.equal('block');
    expect(codes(result.users[0])).to.deep.equal(['DirSyncDisabled']);
    expect(result.users[0]?.blocked).to.equal(true);
  });

  it('DirSyncDisabled does not fire when directory sync is on', () => {
    expect(tenantCodes(makeFacts())).to.deep.equal([]);
  });

  it('SoftMatchBlocked blocks when blockSoftMatchEnabled is on, and not when off', () => {
    const facts = makeFacts();
    facts.tenant.features!.blockSoftMatchEnabled = true;
    expect(tenantCodes(facts)).to.deep.equal(['SoftMatchBlocked']);
    facts.tenant.features!.blockSoftMatchEnabled = false;
    expect(tenantCodes(facts)).to.deep.equal([]);
  });

  it('UpnSoftMatchDisabled blocks when UPN soft match is off and enabling is not allowed', () => {
    const facts = makeFacts();
    facts.tenant.features!.softMatchOnUpnEnabled = false;
    const result = evaluate(facts, [addReadyPair(facts, UPN, 'pjones').row]);
    expect(result.tenantFindings.map((f) => [f.code, f.severity])).to.deep.equal([['UpnSoftMatchDisabled', 'block']]);
    expect(first(result.users).blocked).to.equal(true);
  });

  it('UpnSoftMatchWillBeEnabled warns instead when the run may enable it, and the user is not blocked', () => {
    const facts = makeFacts();
    facts.tenant.features!.softMatchOnUpnEnabled = false;
    facts.enableFeatureAllowed = true;
    const result = evaluate(facts, [addReadyPair(facts, UPN, 'pjones').row]);
    expect(result.tenantFindings.map((f) => [f.code, f.severity])).to.deep.equal([['UpnSoftMatchWillBeEnabled', 'warn']]);
    const user = first(result.users);
    expect(user.blocked).to.equal(false);
    expect(user.findings).to.deep.equal([]); // tenant warnings stay in tenantFindings
    expect(user.predictedMatch).to.equal('upn');
  });

  it('neither UPN soft match rule fires when it is enabled, even if enabling is allowed', () => {
    const facts = makeFacts();
    facts.enableFeatureAllowed = true;
    expect(tenantCodes(facts)).to.deep.equal([]);
  });

  it('FeaturesUnknown warns when the features could not be read, quoting the error', () => {
    const facts = makeFacts();
    facts.tenant.features = null;
    facts.tenant.featuresSource = 'unavailable';
    facts.tenant.featuresError = 'Forbidden: app-only token\nsecond line';
    const result = evaluate(facts, [addReadyPair(facts, UPN, 'pjones').row]);
    expect(result.tenantFindings.map((f) => [f.code, f.severity])).to.deep.equal([['FeaturesUnknown', 'warn']]);
    expect(result.tenantFindings[0]?.message).to.contain('Forbidden: app-only token').and.not.contain('second line');
    expect(result.tenantFindings[0]?.hint).to.contain('upn-match feature');
    expect(first(result.users).blocked).to.equal(false);
    expect(first(result.users).predictedMatch).to.equal('upn');
  });

  it('FeaturesUnknown does not fire for features from a saved record', () => {
    const facts = makeFacts();
    facts.tenant.featuresSource = 'record';
    expect(tenantCodes(facts)).to.deep.equal([]);
  });
});

describe('checks: sync server rules', () => {
  it('SyncServerUnknown warns when the server could not be inspected, and scope is then not checked', () => {
    const facts = makeFacts();
    facts.syncServer = null;
    const pair = addReadyPair(facts, UPN, 'pjones', { ad: { DistinguishedName: 'CN=pjones,OU=Elsewhere,DC=contoso,DC=local' } });
    const result = evaluate(facts, [pair.row]);
    expect(result.tenantFindings.map((f) => [f.code, f.severity])).to.deep.equal([['SyncServerUnknown', 'warn']]);
    expect(codes(result.users[0])).to.deep.equal([]);
  });

  it('StagingMode blocks everyone; not when the server is active', () => {
    const facts = makeFacts();
    facts.syncServer!.stagingModeEnabled = true;
    const result = evaluate(facts, [addReadyPair(facts, UPN, 'pjones').row]);
    expect(result.tenantFindings.map((f) => [f.code, f.severity])).to.deep.equal([['StagingMode', 'block']]);
    expect(codes(result.users[0])).to.deep.equal(['StagingMode']);
    facts.syncServer!.stagingModeEnabled = false;
    expect(tenantCodes(facts)).to.deep.equal([]);
  });

  it('SyncCycleRunning warns while a cycle runs; not otherwise', () => {
    const facts = makeFacts();
    facts.syncServer!.syncCycleInProgress = true;
    const result = evaluate(facts, [addReadyPair(facts, UPN, 'pjones').row]);
    expect(result.tenantFindings.map((f) => [f.code, f.severity])).to.deep.equal([['SyncCycleRunning', 'warn']]);
    expect(first(result.users).blocked).to.equal(false);
    facts.syncServer!.syncCycleInProgress = false;
    expect(tenantCodes(facts)).to.deep.equal([]);
  });

  it('SchedulerOff warns when scheduled cycles are disabled; SchedulerSuspended blocks, with the real cmdlet that resumes it', () => {
    const disabled = makeFacts();
    disabled.syncServer!.syncCycleEnabled = false;
    expect(evaluate(disabled, []).tenantFindings.map((f) => [f.code, f.severity])).to.deep.equal([['SchedulerOff', 'warn']]);
    const suspended = makeFacts();
    suspended.syncServer!.schedulerSuspended = true;
    const findings = evaluate(suspended, []).tenantFindings;
    expect(findings.map((f) => [f.code, f.severity])).to.deep.equal([['SchedulerSuspended', 'block']]);
    expect(findings[0]?.message).to.contain('suspended');
    // Resume-ADSyncScheduler does not exist (rule sheet 7.3): the remedy names the real cmdlet.
    expect(findings[0]?.hint).to.contain('Set-ADSyncScheduler -SchedulerSuspended $false').and.not.to.contain('Resume-ADSyncScheduler');
    for (const rule of rules) expect(rule.hint, rule.code).to.not.contain('Resume-ADSyncScheduler');
    expect(tenantCodes(makeFacts())).to.deep.equal([]);
  });
});

describe('checks: the feature record', () => {
  it('FeatureRecordStale blocks a run relying on a record older than the age allowed, and only then', () => {
    const recorded = (ageHours: number) => {
      const facts = makeFacts();
      facts.tenant.featuresSource = 'record';
      facts.tenant.featuresReadAt = '2026-11-20T10:00:00.000Z';
      facts.featureRecordAge = { ageHours, maxAgeHours: 24 };
      return facts;
    };
    const stale = evaluate(recorded(30.5), []).tenantFindings;
    expect(stale.map((f) => [f.code, f.severity])).to.deep.equal([['FeatureRecordStale', 'block']]);
    expect(stale[0]?.message).to.include('30 h ago').and.to.include('at most 24 h');
    expect(stale[0]?.hint).to.include('upn-match feature');
    expect(tenantCodes(recorded(23))).to.deep.equal([]);
    expect(tenantCodes(recorded(Number.NaN))).to.deep.equal(['FeatureRecordStale']);
    expect(tenantCodes(makeFacts())).to.deep.equal([]);
  });
});

describe('checks: cloud user rules', () => {
  it('CloudUserNotFound blocks when no cloud user has the UPN; the prediction is none', () => {
    const facts = makeFacts();
    facts.adUsers.push(makeAdUser('pjones'));
    const user = one(facts, updateRow(UPN, 'pjones'));
    expect(codes(user)).to.deep.equal(['CloudUserNotFound']);
    expect(user.cloudUser).to.equal(null);
    expect(user.predictedMatch).to.equal('none');
    expect(user.overwrites).to.deep.equal([]);
  });

  it('CloudUserNotFound does not fire for a cloud user whose UPN differs only in case', () => {
    expect(codes(readyCase((facts, pair) => updateRow(UPN.toUpperCase(), pair.ad.SamAccountName)))).to.deep.equal([]);
  });

  it('CloudUserIsGuest blocks guests; members pass', () => {
    expect(codes(readyCase((_, pair) => void (pair.cloud.userType = 'Guest')))).to.deep.equal(['CloudUserIsGuest']);
    expect(codes(readyCase((_, pair) => void (pair.cloud.userType = null)))).to.deep.equal([]);
  });

  it('CloudUserAlreadySynced blocks a user with an onPremisesImmutableId', () => {
    const user = readyCase((_, pair) => void (pair.cloud.onPremisesImmutableId = 'c29tZWFuY2hvcg=='));
    expect(codes(user)).to.deep.equal(['CloudUserAlreadySynced']);
    expect(user.findings[0]?.message).to.contain('c29tZWFuY2hvcg==');
  });

  it('CloudUserAlreadySynced blocks a user with onPremisesSyncEnabled true; not when false (CloudUserPreviouslySynced) or null', () => {
    expect(codes(readyCase((_, pair) => void (pair.cloud.onPremisesSyncEnabled = true)))).to.deep.equal(['CloudUserAlreadySynced']);
    expect(codes(readyCase((_, pair) => void (pair.cloud.onPremisesSyncEnabled = false)))).to.deep.equal(['CloudUserPreviouslySynced']);
  });

  it('UpnDomainUnverified blocks a suffix that is unverified or not a tenant domain', () => {
    const facts = makeFacts();
    const unverified = addReadyPair(facts, 'megan@pending.com', 'mbowen');
    const unknown = addReadyPair(facts, 'megan@unknown.com', 'mbowen2');
    const [a, b] = evaluate(facts, [unverified.row, unknown.row]).users;
    expect(codes(a)).to.deep.equal(['UpnDomainUnverified']);
    expect(a?.findings[0]?.message).to.contain('not verified');
    expect(codes(b)).to.include('UpnDomainUnverified');
    expect(b?.findings.find((f) => f.code === 'UpnDomainUnverified')?.message).to.contain('not a domain of the tenant');
  });

  it('UpnDomainUnverified does not fire for a verified domain, whatever its case', () => {
    const facts = makeFacts();
    facts.tenant.domains[0]!.id = 'Contoso.COM';
    expect(codes(one(facts, addReadyPair(facts, UPN, 'pjones').row))).to.deep.equal([]);
  });

  it('UpnDomainFederated blocks a federated suffix; a managed one passes', () => {
    const facts = makeFacts();
    const user = one(facts, addReadyPair(facts, 'adam@fabrikam.com', 'abarr').row);
    expect(codes(user)).to.deep.equal(['UpnDomainFederated']);
    facts.tenant.domains.find((d) => d.id === 'fabrikam.com')!.authenticationType = 'Managed';
    expect(codes(one(facts, updateRow('adam@fabrikam.com', 'abarr')))).to.deep.equal([]);
  });

  it('CloudUserHoldsRole blocks a role holder; other users pass', () => {
    const facts = makeFacts();
    const admin = addReadyPair(facts, 'adele@contoso.com', 'avance');
    const plain = addReadyPair(facts, UPN, 'pjones');
    facts.tenant.roleHolders = [roleHolding(admin.cloud.id.toUpperCase())];
    const [a, b] = evaluate(facts, [admin.row, plain.row]).users;
    expect(codes(a)).to.deep.equal(['CloudUserHoldsRole']);
    expect(a?.findings[0]?.message).to.contain('Global Administrator (active)');
    expect(codes(b)).to.deep.equal([]);
  });

  it('CloudUserHoldsRole blocks every kind of role holder and names the kind (open question 10.1: any role, any kind)', () => {
    const kinds: [Partial<RoleHolding>, string][] = [
      [{ kind: 'eligible' }, 'Global Administrator (PIM-eligible)'],
      [{ viaGroup: 'Helpdesk Admins', roleName: 'Helpdesk Administrator' }, 'Helpdesk Administrator (active, through role-assignable group Helpdesk Admins)'],
      [{ directoryScopeId: '/administrativeUnits/au-1', roleName: 'User Administrator' }, 'User Administrator (active, scoped to administrative unit au-1)'],
      [{ kind: 'eligible', viaGroup: 'Tier0', directoryScopeId: '/administrativeUnits/au-2' }, 'Global Administrator (PIM-eligible, through role-assignable group Tier0, scoped to administrative unit au-2)'],
    ];
    for (const [extra, named] of kinds) {
      const user = readyCase((facts, pair) => void facts.tenant.roleHolders.push(roleHolding(pair.cloud.id, extra)));
      expect(codes(user), named).to.deep.equal(['CloudUserHoldsRole']);
      expect(user.findings[0]?.message).to.contain(named);
      expect(user.blocked).to.equal(true);
    }
  });

  it('EligibleRolesUnknown warns when the PIM-eligible assignments could not be read', () => {
    const facts = makeFacts();
    facts.tenant.roleEligibilityError = 'Graph answered 400, AadPremiumLicenseRequired when reading the PIM-eligible role assignments';
    const result = evaluate(facts, []);
    expect(result.tenantFindings.map((f) => f.code)).to.deep.equal(['EligibleRolesUnknown']);
    expect(result.tenantFindings[0]?.severity).to.equal('warn');
    expect(result.tenantFindings[0]?.message).to.contain('AadPremiumLicenseRequired');
  });

  it('CloudUserPreviouslySynced blocks a user synced before (onPremisesSyncEnabled false, or an on-premises SID kept), with the rule-sheet 2.5 remedy', () => {
    const wasSynced = readyCase((_, pair) => void (pair.cloud.onPremisesSyncEnabled = false));
    expect(codes(wasSynced)).to.deep.equal(['CloudUserPreviouslySynced']);
    expect(wasSynced.findings[0]?.hint).to.contain('"onPremisesObjectIdentifier": null');
    const sid = readyCase((_, pair) => void (pair.cloud.onPremisesSecurityIdentifier = 'S-1-5-21-1-2-3-1105'));
    expect(codes(sid)).to.deep.equal(['CloudUserPreviouslySynced']);
    expect(sid.findings[0]?.message).to.contain('S-1-5-21-1-2-3-1105');
    // a never-synced user (null) and a synced one (true: CloudUserAlreadySynced) are not "previously synced"
    expect(codes(readyCase(() => {}))).to.deep.equal([]);
    expect(codes(readyCase((_, pair) => void (pair.cloud.onPremisesSyncEnabled = true)))).to.deep.equal(['CloudUserAlreadySynced']);
  });

  it('AlternateLoginId blocks everyone when the server takes the cloud UPN from another attribute; userPrincipalName in any case passes', () => {
    const blocked = readyCase((facts) => void (facts.syncServer!.upnAttribute = 'mail'));
    expect(codes(blocked)).to.deep.equal(['AlternateLoginId']);
    expect(blocked.findings[0]?.message).to.contain('mail');
    expect(codes(readyCase((facts) => void (facts.syncServer!.upnAttribute = 'UserPrincipalName')))).to.deep.equal([]);
    const unknown = readyCase((facts) => void (facts.syncServer!.upnAttribute = null));
    expect(codes(unknown)).to.deep.equal([]);
  });

  it('SourceAnchorUnknown warns when the anchor attribute could not be read (mS-DS-ConsistencyGuid is assumed)', () => {
    const facts = makeFacts();
    facts.syncServer!.anchorAttribute = null;
    expect(evaluate(facts, []).tenantFindings.map((f) => f.code)).to.deep.equal(['SourceAnchorUnknown']);
  });

  it('CloudUserProvisioningError blocks a user with provisioning errors; an empty list passes', () => {
    expect(codes(readyCase((_, pair) => void pair.cloud.onPremisesProvisioningErrors.push({ category: 'PropertyConflict' })))).to.deep.equal([
      'CloudUserProvisioningError',
    ]);
    expect(codes(readyCase((_, pair) => void (pair.cloud.onPremisesProvisioningErrors = [])))).to.deep.equal([]);
  });
});

describe('checks: UPN and AD account rules', () => {
  it('UpnInvalid blocks a UPN that breaks Entra ID rules, saying why', () => {
    const facts = makeFacts();
    const bad = 'paula.@contoso.com';
    const user = one(facts, addReadyPair(facts, bad, 'pjones').row);
    expect(codes(user)).to.deep.equal(['UpnInvalid']);
    expect(user.findings[0]?.message).to.contain('period just before the "@"');
  });

  it('UpnInvalid allows the special characters Entra ID allows', () => {
    const facts = makeFacts();
    const user = one(facts, addReadyPair(facts, "o'brien_j-x!#^~@contoso.com", 'obrien').row);
    expect(codes(user)).to.deep.equal([]);
  });

  it('UpnNotUniqueInForest blocks when another AD account already has the UPN (any case)', () => {
    const user = readyCase((facts) => {
      facts.adUsers.push(makeAdUser('pjones.emea', { UserPrincipalName: UPN.toUpperCase(), DistinguishedName: 'CN=pjones,OU=Staff,DC=emea,DC=contoso,DC=local' }));
    });
    expect(codes(user)).to.deep.equal(['UpnNotUniqueInForest']);
    expect(user.findings[0]?.message).to.contain('pjones.emea');
  });

  it('UpnNotUniqueInForest does not fire when the account to update already has the UPN', () => {
    expect(codes(readyCase((_, pair) => void (pair.ad.UserPrincipalName = UPN)))).to.deep.equal([]);
  });

  it('UpnNotUniqueInForest fires for a create row when any AD account has the UPN', () => {
    const facts = makeFacts();
    facts.cloudUsers.push(makeCloudUser(UPN));
    facts.adUsers.push(makeAdUser('other', { UserPrincipalName: UPN }));
    expect(codes(one(facts, createRow(UPN, 'pjones')))).to.deep.equal(['UpnNotUniqueInForest']);
  });

  it('UpnSuffixNotInForest warns when the suffix is no UPN suffix or domain of the forest', () => {
    const user = readyCase((facts) => void (facts.forest.upnSuffixes = []));
    expect(user.findings.map((f) => [f.code, f.severity])).to.deep.equal([['UpnSuffixNotInForest', 'warn']]);
    expect(user.blocked).to.equal(false);
  });

  it('UpnSuffixNotInForest accepts a forest domain name as well as a UPN suffix', () => {
    const facts = makeFacts();
    facts.tenant.domains.push({ id: 'emea.contoso.local', isVerified: true, authenticationType: 'Managed' });
    facts.forest.upnSuffixes = [];
    expect(codes(one(facts, addReadyPair(facts, 'p@EMEA.contoso.local', 'pjones').row))).to.deep.equal([]);
  });

  it('AdAccountNotFound blocks an update row whose account does not exist (by sAMAccountName)', () => {
    const facts = makeFacts();
    facts.cloudUsers.push(makeCloudUser(UPN));
    const user = one(facts, updateRow(UPN, 'ghost'));
    expect(codes(user)).to.deep.equal(['AdAccountNotFound']);
    expect(user.findings[0]?.message).to.contain('ghost');
    expect(user.adUser).to.equal(null);
  });

  it('AdAccountNotFound blocks an update row whose DN does not exist', () => {
    const facts = makeFacts();
    addReadyPair(facts, UPN, 'pjones');
    expect(codes(one(facts, updateRow(UPN, null, { distinguishedName: 'CN=nobody,DC=contoso,DC=local' })))).to.deep.equal(['AdAccountNotFound']);
  });

  it('AdAccountNotFound blocks a row that names no account, a sAMAccountName in two domains, or a DN of another account', () => {
    const facts = makeFacts();
    const pair = addReadyPair(facts, UPN, 'pjones');
    facts.adUsers.push(makeAdUser('pjones', { DistinguishedName: 'CN=pjones,OU=Staff,DC=emea,DC=contoso,DC=local' }));
    const [unnamed, ambiguous, mismatch, byDn] = evaluate(facts, [
      updateRow(UPN, null),
      updateRow(UPN, 'pjones'),
      updateRow(UPN, 'someoneelse', { distinguishedName: pair.ad.DistinguishedName }),
      updateRow(UPN, 'pjones', { distinguishedName: pair.ad.DistinguishedName }),
    ].map((row, i) => ({ ...row, row: i + 2 }))).users;
    expect(unnamed?.findings.find((f) => f.code === 'AdAccountNotFound')?.message).to.contain('names no AD account');
    expect(ambiguous?.findings.find((f) => f.code === 'AdAccountNotFound')?.message).to.contain('2 AD accounts');
    expect(ambiguous?.findings.find((f) => f.code === 'AdAccountNotFound')?.hint).to.contain('distinguishedName');
    expect(mismatch?.findings.find((f) => f.code === 'AdAccountNotFound')?.message).to.contain('not someoneelse');
    expect(codes(byDn)).to.not.include('AdAccountNotFound'); // the DN settles the ambiguity
    expect(byDn?.adUser).to.equal(pair.ad);
  });

  it('AdAccountNotFound does not apply to create rows', () => {
    const facts = makeFacts();
    facts.cloudUsers.push(makeCloudUser(UPN));
    expect(codes(one(facts, createRow(UPN, 'newbie')))).to.deep.equal([]);
  });

  it('SamAccountNameInvalid blocks a create row with a bad sAMAccountName', () => {
    const facts = makeFacts();
    facts.cloudUsers.push(makeCloudUser(UPN));
    for (const sam of ['way.too.long.for.sam.x', 'p/jones', 'p*jones', '...', ' . ', 'tab\there', 'pjones.']) {
      expect(codes(one(facts, createRow(UPN, sam))), sam).to.deep.equal(['SamAccountNameInvalid']);
    }
  });

  it('SamAccountNameInvalid accepts a 20-character name with periods, hyphens and spaces', () => {
    const facts = makeFacts();
    facts.cloudUsers.push(makeCloudUser(UPN));
    expect(codes(one(facts, createRow(UPN, 'p.jones-x_y z@123456')))).to.deep.equal([]);
    // and is not applied to update rows, whose account exists already
    addReadyPair(facts, 'x@contoso.com', 'way.too.long.for.sam.x');
    expect(codes(one(facts, updateRow('x@contoso.com', 'way.too.long.for.sam.x')))).to.deep.equal([]);
  });

  it('SamAccountNameTaken blocks a create row whose sAMAccountName exists in the OU’s domain', () => {
    const facts = makeFacts();
    facts.cloudUsers.push(makeCloudUser(UPN));
    facts.adUsers.push(makeAdUser('PJones'));
    const user = one(facts, createRow(UPN, 'pjones'));
    expect(codes(user)).to.deep.equal(['SamAccountNameTaken']);
    expect(user.findings[0]?.message).to.contain(`CN=PJones,${CORP_OU}`);
  });

  it('SamAccountNameTaken does not fire when the name exists only in another domain of the forest', () => {
    const facts = makeFacts();
    facts.cloudUsers.push(makeCloudUser(UPN));
    facts.adUsers.push(makeAdUser('pjones', { DistinguishedName: 'CN=pjones,OU=Staff,DC=emea,DC=contoso,DC=local' }));
    expect(codes(one(facts, createRow(UPN, 'pjones')))).to.deep.equal([]);
  });

  it('CreateDetailsMissing blocks a create row without givenName, surname, ou or sAMAccountName', () => {
    const facts = makeFacts();
    facts.cloudUsers.push(makeCloudUser(UPN));
    const user = one(facts, createRow(UPN, null, { givenName: ' ', surname: null, ou: null }));
    expect(codes(user)).to.deep.equal(['CreateDetailsMissing']);
    expect(user.findings[0]?.message).to.contain('samAccountName, givenName, surname, ou');
    // update rows need none of them
    expect(codes(readyCase())).to.deep.equal([]);
  });

  it('NotInSyncScope blocks an account outside the scope OUs (DN suffix, case-insensitive)', () => {
    const outside = readyCase((_, pair) => void (pair.ad.DistinguishedName = 'CN=pjones,OU=Disabled,DC=contoso,DC=local'));
    expect(codes(outside)).to.deep.equal(['NotInSyncScope']);
    // an OU whose name merely ends like the scope OU is not inside it
    const lookalike = readyCase((_, pair) => void (pair.ad.DistinguishedName = 'CN=pjones,OU=NotCorp,DC=contoso,DC=local'));
    expect(codes(lookalike)).to.deep.equal(['NotInSyncScope']);
    const inside = readyCase((_, pair) => void (pair.ad.DistinguishedName = 'cn=pjones, ou=users , OU=CORP,dc=Contoso,DC=local'));
    expect(codes(inside)).to.deep.equal([]);
  });

  it('NotInSyncScope checks the OU of a create row, and is skipped when the scope is unknown', () => {
    const facts = makeFacts();
    facts.cloudUsers.push(makeCloudUser(UPN));
    expect(codes(one(facts, createRow(UPN, 'pjones', { ou: 'OU=Elsewhere,DC=contoso,DC=local' })))).to.deep.equal(['NotInSyncScope']);
    expect(codes(one(facts, createRow(UPN, 'pjones', { ou: 'OU=Corp,DC=contoso,DC=local' })))).to.deep.equal([]);
    facts.syncServer!.scopeOUs = null;
    expect(codes(one(facts, createRow(UPN, 'pjones', { ou: 'OU=Elsewhere,DC=contoso,DC=local' })))).to.deep.equal([]);
  });

  /** The sync server facts of a connector with one partition for contoso.local. */
  function partition(extra: Partial<{ selected: boolean; inclusions: string[]; exclusions: string[] }> = {}) {
    return { name: 'contoso.local', distinguishedName: 'DC=contoso,DC=local', selected: true, inclusions: ['OU=Corp,DC=contoso,DC=local'], exclusions: [], domainControllers: ['dc01.contoso.local'], ...extra };
  }

  it('NotInSyncScope blocks an account under an excluded OU of an included one, the most specific container winning', () => {
    const excluded = readyCase((facts, pair) => {
      facts.syncServer!.partitions = [partition({ exclusions: ['OU=Contractors,OU=Corp,DC=contoso,DC=local'] })];
      pair.ad.DistinguishedName = 'CN=pjones,OU=Contractors,OU=Corp,DC=contoso,DC=local';
    });
    expect(codes(excluded)).to.deep.equal(['NotInSyncScope']);
    expect(excluded.findings[0]?.message).to.contain('OU=Contractors,OU=Corp,DC=contoso,DC=local, excluded');
    // a sibling OU is still in scope
    expect(codes(readyCase((facts) => void (facts.syncServer!.partitions = [partition({ exclusions: ['OU=Contractors,OU=Corp,DC=contoso,DC=local'] })])))).to.deep.equal([]);
    // an OU included again under an excluded one is in scope
    const reincluded = readyCase((facts, pair) => {
      facts.syncServer!.partitions = [partition({ inclusions: ['OU=Corp,DC=contoso,DC=local', 'OU=Keep,OU=Contractors,OU=Corp,DC=contoso,DC=local'], exclusions: ['OU=Contractors,OU=Corp,DC=contoso,DC=local'] })];
      pair.ad.DistinguishedName = 'CN=pjones,OU=Keep,OU=Contractors,OU=Corp,DC=contoso,DC=local';
    });
    expect(codes(reincluded)).to.deep.equal([]);
    // a create row into the excluded OU is blocked too
    const facts = makeFacts();
    facts.cloudUsers.push(makeCloudUser(UPN));
    facts.syncServer!.partitions = [partition({ exclusions: ['OU=Contractors,OU=Corp,DC=contoso,DC=local'] })];
    expect(codes(one(facts, createRow(UPN, 'pjones', { ou: 'OU=Contractors,OU=Corp,DC=contoso,DC=local' })))).to.deep.equal(['NotInSyncScope']);
  });

  it('NotInSyncScope blocks an account of a domain whose partition is not selected', () => {
    const user = readyCase((facts) => void (facts.syncServer!.partitions = [partition({ selected: false })]));
    expect(codes(user)).to.deep.equal(['NotInSyncScope']);
    expect(user.findings[0]?.message).to.contain('not selected');
  });

  it('NotInSyncScope with group-based filtering: only direct members pass, and a created account never does', () => {
    const group = 'CN=Entra Sync,OU=Groups,DC=contoso,DC=local';
    const member = readyCase((facts, pair) => {
      facts.syncServer!.groupFilterDn = group;
      pair.ad.memberOf = ['cn=entra sync,ou=groups,dc=contoso,dc=local'];
    });
    expect(codes(member)).to.deep.equal([]);
    const nested = readyCase((facts, pair) => {
      facts.syncServer!.groupFilterDn = group;
      pair.ad.memberOf = ['CN=Pilot Users,OU=Groups,DC=contoso,DC=local'];
    });
    expect(codes(nested)).to.deep.equal(['NotInSyncScope']);
    expect(nested.findings[0]?.message).to.contain('not a direct member');
    // memberOf not read: taken as no group (the safe side)
    expect(codes(readyCase((facts) => void (facts.syncServer!.groupFilterDn = group)))).to.deep.equal(['NotInSyncScope']);
    const facts = makeFacts();
    facts.cloudUsers.push(makeCloudUser(UPN));
    facts.syncServer!.groupFilterDn = group;
    expect(codes(one(facts, createRow(UPN, 'pjones', { ou: 'OU=Corp,DC=contoso,DC=local' })))).to.deep.equal(['NotInSyncScope']);
  });
});

describe('checks: earlier match rules must not win', () => {
  it('SmtpMatchesOtherUser blocks when the AD primary SMTP address is another cloud user’s', () => {
    const user = readyCase((facts, pair) => {
      facts.cloudObjects.push(makeCloudObject('user', { userPrincipalName: 'p.jones@contoso.com', mail: 'p.jones@contoso.com', proxyAddresses: ['SMTP:p.jones@contoso.com'] }));
      pair.ad.proxyAddresses = ['SMTP:P.Jones@contoso.com'];
    });
    expect(codes(user)).to.deep.equal(['SmtpMatchesOtherUser']);
    expect(user.findings[0]?.message).to.contain('p.jones@contoso.com');
    expect(user.predictedMatch).to.equal('none');
  });

  it('SmtpMatchesOtherUser compares with the other user’s mail too, and uses the AD mail when there is no SMTP: proxy', () => {
    const user = readyCase((facts, pair) => {
      facts.cloudObjects.push(makeCloudObject('user', { userPrincipalName: 'peter@contoso.com', mail: 'p.jones@contoso.com' }));
      pair.ad.mail = 'p.jones@contoso.com';
      pair.ad.proxyAddresses = ['smtp:alias@contoso.com', 'X500:/o=whatever'];
    });
    expect(codes(user)).to.deep.equal(['SmtpMatchesOtherUser']);
  });

  it('SmtpMatchesOtherUser fires against another user of the same batch', () => {
    const facts = makeFacts();
    const a = addReadyPair(facts, 'a@contoso.com', 'a', { ad: { mail: 'b@contoso.com' } });
    const b = addReadyPair(facts, 'b@contoso.com', 'b');
    const [ea, eb] = evaluate(facts, [a.row, b.row]).users;
    expect(codes(ea)).to.deep.equal(['SmtpMatchesOtherUser']);
    expect(codes(eb)).to.deep.equal([]);
  });

  it('SmtpMatchesTarget only warns when the AD primary SMTP address is the target’s own, and predicts smtp', () => {
    const user = readyCase((_, pair) => void (pair.ad.proxyAddresses = [`SMTP:${UPN.toUpperCase()}`, 'smtp:pj@contoso.com']));
    expect(user.findings.map((f) => [f.code, f.severity])).to.deep.equal([['SmtpMatchesTarget', 'warn']]);
    expect(user.blocked).to.equal(false);
    expect(user.predictedMatch).to.equal('smtp');
  });

  it('a secondary SMTP address of the target on the AD account is no SMTP match', () => {
    const user = readyCase((_, pair) => {
      pair.cloud.proxyAddresses.push('smtp:paula@contoso.com');
      pair.ad.mail = 'paula@contoso.com';
    });
    expect(codes(user)).to.deep.equal([]);
    expect(user.predictedMatch).to.equal('upn');
  });

  it('AnchorTaken blocks when the AD account’s anchor is another cloud object’s onPremisesImmutableId', () => {
    const user = readyCase((facts, pair) => {
      facts.cloudObjects.push(makeCloudObject('user', { userPrincipalName: 'old@contoso.com', onPremisesImmutableId: anchorOf(pair.ad) }));
    });
    expect(codes(user)).to.deep.equal(['AnchorTaken']);
    expect(user.findings[0]?.message).to.contain('old@contoso.com');
    expect(user.predictedMatch).to.equal('none');
  });

  it('AnchorTaken uses mS-DS-ConsistencyGuid before the ObjectGUID', () => {
    const consistency = guidToImmutableId('11111111-2222-3333-4444-555555555555');
    const byConsistency = readyCase((facts, pair) => {
      pair.ad.consistencyGuid = consistency;
      facts.cloudObjects.push(makeCloudObject('deletedUser', { userPrincipalName: 'gone@contoso.com', onPremisesImmutableId: consistency }));
    });
    expect(codes(byConsistency)).to.deep.equal(['AnchorTaken']);
    // with a consistency GUID set, the ObjectGUID-derived value is no longer the anchor
    const byGuid = readyCase((facts, pair) => {
      facts.cloudObjects.push(makeCloudObject('user', { onPremisesImmutableId: guidToImmutableId(pair.ad.ObjectGUID) }));
      pair.ad.consistencyGuid = consistency;
    });
    expect(codes(byGuid)).to.deep.equal([]);
  });

  it('with an objectGUID anchor, a stale mS-DS-ConsistencyGuid is ignored: the anchor is objectGUID’s everywhere it is computed', () => {
    const stale = guidToImmutableId('11111111-2222-3333-4444-555555555555');
    const ignored = readyCase((facts, pair) => {
      facts.syncServer!.anchorAttribute = 'objectGUID';
      pair.ad.consistencyGuid = stale;
      facts.cloudObjects.push(makeCloudObject('user', { userPrincipalName: 'old@contoso.com', onPremisesImmutableId: stale }));
    });
    expect(codes(ignored)).to.deep.equal([]);
    expect(ignored.anchor).to.not.equal(stale);
    expect(ignored.anchor).to.equal(guidToImmutableId(ignored.adUser!.ObjectGUID));
    const taken = readyCase((facts, pair) => {
      facts.syncServer!.anchorAttribute = 'objectGUID';
      pair.ad.consistencyGuid = stale;
      facts.cloudObjects.push(makeCloudObject('user', { userPrincipalName: 'old@contoso.com', onPremisesImmutableId: guidToImmutableId(pair.ad.ObjectGUID) }));
    });
    expect(codes(taken)).to.deep.equal(['AnchorTaken']);
  });

  it('with a custom anchor attribute the anchor is its value; an account without one is SourceAnchorMissing', () => {
    const custom = readyCase((facts, pair) => {
      facts.syncServer!.anchorAttribute = 'employeeID';
      pair.ad.customAnchor = 'E-1001';
      facts.cloudObjects.push(makeCloudObject('user', { userPrincipalName: 'old@contoso.com', onPremisesImmutableId: 'E-1001' }));
    });
    expect(custom.anchor).to.equal('E-1001');
    expect(codes(custom)).to.deep.equal(['AnchorTaken']);
    const missing = readyCase((facts) => void (facts.syncServer!.anchorAttribute = 'employeeID'));
    expect(codes(missing)).to.deep.equal(['SourceAnchorMissing']);
    expect(missing.findings[0]?.message).to.contain('employeeID');
  });

  it('the target’s own onPremisesImmutableId equal to the anchor is no AnchorTaken: it predicts hard', () => {
    const user = readyCase((facts, pair) => {
      pair.cloud.onPremisesImmutableId = anchorOf(pair.ad);
      facts.cloudObjects.push(makeCloudObject('user', { id: pair.cloud.id, userPrincipalName: UPN, onPremisesImmutableId: anchorOf(pair.ad) }));
    });
    expect(codes(user)).to.deep.equal(['CloudUserAlreadySynced']);
    expect(user.predictedMatch).to.equal('hard');
  });

  it('UpnHeldByOtherObject blocks when a group, contact or deleted user holds the UPN', () => {
    const cases: [string, Parameters<typeof makeCloudObject>[1] & object, 'group' | 'contact' | 'deletedUser'][] = [
      ['group', { mail: UPN, proxyAddresses: [`SMTP:${UPN}`] }, 'group'],
      ['contact', { proxyAddresses: [`smtp:${UPN}`] }, 'contact'],
      ['deleted user', { userPrincipalName: UPN }, 'deletedUser'],
    ];
    for (const [label, extra, kind] of cases) {
      const user = readyCase((facts) => void facts.cloudObjects.push(makeCloudObject(kind, extra)));
      expect(codes(user), label).to.deep.equal(['UpnHeldByOtherObject']);
      expect(user.findings[0]?.message, label).to.contain(label);
    }
  });

  it('UpnHeldByOtherObject blocks when a contact holds the AD primary SMTP address', () => {
    const user = readyCase((facts, pair) => {
      pair.ad.mail = 'desk@contoso.com';
      facts.cloudObjects.push(makeCloudObject('contact', { mail: 'desk@contoso.com', proxyAddresses: ['SMTP:desk@contoso.com'] }));
    });
    expect(codes(user)).to.deep.equal(['UpnHeldByOtherObject']);
    expect(user.findings[0]?.message).to.contain('primary SMTP address desk@contoso.com');
  });

  it('UpnHeldByOtherObject ignores the target itself listed among the cloud objects', () => {
    const user = readyCase((facts, pair) => {
      facts.cloudObjects.push(makeCloudObject('user', { id: pair.cloud.id, userPrincipalName: UPN, mail: UPN, proxyAddresses: [`SMTP:${UPN}`] }));
    });
    expect(codes(user)).to.deep.equal([]);
  });

  it('ProxyAddressConflict warns when another proxy address of the AD account is held elsewhere', () => {
    const user = readyCase((facts, pair) => {
      pair.ad.proxyAddresses = ['SMTP:pjones@contoso.com', 'smtp:sales@contoso.com', 'smtp:free@contoso.com'];
      facts.cloudObjects.push(makeCloudObject('group', { mail: 'sales@contoso.com', proxyAddresses: ['SMTP:sales@contoso.com'] }));
    });
    expect(user.findings.map((f) => [f.code, f.severity])).to.deep.equal([['ProxyAddressConflict', 'warn']]);
    expect(user.findings[0]?.message).to.contain('sales@contoso.com').and.not.contain('free@');
    expect(user.blocked).to.equal(false);
  });

  it('ProxyAddressConflict does not fire for addresses held only by the target', () => {
    const user = readyCase((_, pair) => {
      pair.cloud.proxyAddresses.push('smtp:pj@contoso.com');
      pair.ad.proxyAddresses = ['smtp:pj@contoso.com'];
    });
    expect(codes(user)).to.deep.equal([]);
  });

  it('an AD primary SMTP address that is only another user’s alias blocks as SmtpMatchesOtherUser (open question 10.2: any address, safe side)', () => {
    const user = readyCase((facts, pair) => {
      pair.ad.mail = 'team@contoso.com';
      facts.cloudObjects.push(makeCloudObject('user', { userPrincipalName: 'lead@contoso.com', mail: 'lead@contoso.com', proxyAddresses: ['SMTP:lead@contoso.com', 'smtp:team@contoso.com'] }));
    });
    expect(user.findings.map((f) => [f.code, f.severity])).to.deep.equal([['SmtpMatchesOtherUser', 'block']]);
    expect(user.findings[0]?.message).to.contain('lead@contoso.com');
    expect(user.predictedMatch).to.equal('none');
  });

  it('another user’s UPN equal to the AD primary SMTP address is not an address of that user: a ProxyAddressConflict warning', () => {
    const user = readyCase((facts, pair) => {
      pair.ad.mail = 'team@contoso.com';
      facts.cloudObjects.push(makeCloudObject('user', { userPrincipalName: 'team@contoso.com', mail: null, proxyAddresses: [] }));
    });
    expect(user.findings.map((f) => [f.code, f.severity])).to.deep.equal([['ProxyAddressConflict', 'warn']]);
  });
});

describe('checks: prediction order (hard > smtp > upn > none)', () => {
  function predicted(change: (facts: Facts, pair: ReturnType<typeof addReadyPair>) => void): string {
    return readyCase(change).predictedMatch;
  }

  it('hard wins over smtp and upn', () => {
    expect(
      predicted((_, pair) => {
        pair.cloud.onPremisesImmutableId = anchorOf(pair.ad);
        pair.ad.mail = UPN;
      }),
    ).to.equal('hard');
  });

  it('smtp wins over upn', () => {
    expect(predicted((_, pair) => void (pair.ad.mail = UPN))).to.equal('smtp');
  });

  it('upn when neither anchor nor SMTP matches and UPN soft match is on', () => {
    expect(predicted(() => {})).to.equal('upn');
  });

  it('upn when UPN soft match is off but the run will enable it', () => {
    expect(
      predicted((facts) => {
        facts.tenant.features!.softMatchOnUpnEnabled = false;
        facts.enableFeatureAllowed = true;
      }),
    ).to.equal('upn');
  });

  it('none when UPN soft match is off and will not be enabled, though the user still gets a prediction', () => {
    const user = readyCase((facts) => void (facts.tenant.features!.softMatchOnUpnEnabled = false));
    expect(user.blocked).to.equal(true);
    expect(user.predictedMatch).to.equal('none');
  });

  it('none for smtp and upn when soft match is blocked; hard still predicted', () => {
    expect(predicted((facts) => void (facts.tenant.features!.blockSoftMatchEnabled = true))).to.equal('none');
    expect(
      predicted((facts, pair) => {
        facts.tenant.features!.blockSoftMatchEnabled = true;
        pair.ad.mail = UPN;
      }),
    ).to.equal('none');
    expect(
      predicted((facts, pair) => {
        facts.tenant.features!.blockSoftMatchEnabled = true;
        pair.cloud.onPremisesImmutableId = anchorOf(pair.ad);
      }),
    ).to.equal('hard');
  });

  it('none for a hard match on a cloud-managed user when hard-match takeover is blocked', () => {
    expect(
      predicted((facts, pair) => {
        facts.tenant.features!.blockCloudObjectTakeoverThroughHardMatchEnabled = true;
        pair.cloud.onPremisesImmutableId = anchorOf(pair.ad);
      }),
    ).to.equal('none');
  });

  it('blocked users keep their prediction', () => {
    const user = readyCase((_, pair) => {
      pair.cloud.userType = 'Guest';
      pair.ad.mail = UPN;
    });
    expect(user.blocked).to.equal(true);
    expect(user.predictedMatch).to.equal('smtp');
  });
});

describe('checks: duplicates in the batch', () => {
  it('DuplicateInBatch blocks both rows naming the same cloud UPN (any case)', () => {
    const facts = makeFacts();
    const a = addReadyPair(facts, UPN, 'pjones');
    facts.adUsers.push(makeAdUser('pjones2'));
    const rows = [{ ...a.row, row: 2 }, updateRow(UPN.toUpperCase(), 'pjones2', { row: 3 })];
    const [ea, eb] = evaluate(facts, rows).users;
    expect(codes(ea)).to.deep.equal(['DuplicateInBatch']);
    expect(codes(eb)).to.deep.equal(['DuplicateInBatch']);
    expect(ea?.findings[0]?.message).to.contain('row 3');
    expect(eb?.findings[0]?.message).to.contain('row 2');
  });

  it('DuplicateInBatch blocks both rows naming the same AD account, by sAMAccountName and by DN', () => {
    const facts = makeFacts();
    const a = addReadyPair(facts, 'a@contoso.com', 'shared');
    facts.cloudUsers.push(makeCloudUser('b@contoso.com'));
    const rows = [{ ...a.row, row: 2 }, updateRow('b@contoso.com', null, { row: 3, distinguishedName: a.ad.DistinguishedName })];
    const [ea, eb] = evaluate(facts, rows).users;
    expect(codes(ea)).to.include('DuplicateInBatch');
    expect(codes(eb)).to.include('DuplicateInBatch');
    expect(ea?.findings.find((f) => f.code === 'DuplicateInBatch')?.message).to.contain('AD account shared');
  });

  it('DuplicateInBatch blocks two create rows with the same sAMAccountName', () => {
    const facts = makeFacts();
    facts.cloudUsers.push(makeCloudUser('a@contoso.com'), makeCloudUser('b@contoso.com'));
    const [ea, eb] = evaluate(facts, [createRow('a@contoso.com', 'new', { row: 2 }), createRow('b@contoso.com', 'NEW', { row: 3 })]).users;
    expect(codes(ea)).to.deep.equal(['DuplicateInBatch']);
    expect(codes(eb)).to.deep.equal(['DuplicateInBatch']);
  });

  it('DuplicateInBatch does not fire for distinct users and accounts', () => {
    const facts = makeFacts();
    const a = addReadyPair(facts, 'a@contoso.com', 'a');
    const b = addReadyPair(facts, 'b@contoso.com', 'b');
    for (const user of evaluate(facts, [a.row, b.row]).users) expect(codes(user)).to.deep.equal([]);
  });

  it('names at most five other rows, with the total count', () => {
    const facts = makeFacts();
    facts.cloudUsers.push(makeCloudUser(UPN));
    const rows = Array.from({ length: 9 }, (_, i) => createRow(UPN, `n${i}`, { row: i + 2 }));
    const message = evaluate(facts, rows).users[0]?.findings.find((f) => f.code === 'DuplicateInBatch')?.message ?? '';
    expect(message).to.contain('8 other rows (row 3, 4, 5, 6, 7, …)');
  });
});

describe('checks: overwrites', () => {
  it('lists the cloud values the AD account will overwrite where the AD value is set and differs', () => {
    const user = readyCase((_, pair) => {
      Object.assign(pair.cloud, { displayName: 'Paula J.', givenName: 'Paula', surname: 'Jones', mail: UPN, jobTitle: 'CFO', department: 'Finance' });
      Object.assign(pair.ad, { DisplayName: 'Paula Jones', GivenName: 'Paula', Surname: null, mail: UPN.toUpperCase(), Title: 'Controller' });
    });
    expect(user.overwrites).to.deep.equal([
      { attribute: 'displayName', cloudValue: 'Paula J.', onPremisesValue: 'Paula Jones' },
      { attribute: 'jobTitle', cloudValue: 'CFO', onPremisesValue: 'Controller' },
    ]);
  });

  it('uses the AD name (cn) for displayName when displayName is empty, and lists cloud nulls', () => {
    const user = readyCase((_, pair) => {
      pair.cloud.displayName = null;
      pair.ad.DisplayName = '';
      pair.ad.Name = 'Paula Jones';
      pair.ad.mail = UPN;
    });
    expect(user.overwrites).to.deep.equal([{ attribute: 'displayName', cloudValue: null, onPremisesValue: 'Paula Jones' }]);
  });

  it('notes the password when password hash sync is enabled', () => {
    const user = readyCase((facts, pair) => {
      facts.tenant.features!.passwordSyncEnabled = true;
      pair.ad.mail = UPN;
    });
    expect(user.overwrites.map((o) => o.attribute)).to.deep.equal(['displayName', 'password']);
    const unknown = readyCase((facts) => void (facts.tenant.features = null));
    expect(unknown.overwrites.map((o) => o.attribute)).to.not.include('password');
  });

  it('for a create row, lists the given name and surname from the row, the addresses AD will lack, and the unknown password', () => {
    const facts = makeFacts();
    facts.tenant.features!.passwordSyncEnabled = false;
    facts.cloudUsers.push(makeCloudUser(UPN, { givenName: 'Paula', surname: 'Jones', accountEnabled: false }));
    const user = one(facts, createRow(UPN, 'pjones', { givenName: 'Paula', surname: 'Jones-Smith' }));
    expect(user.overwrites.map((o) => [o.attribute, o.cloudValue])).to.deep.equal([
      ['surname', 'Jones'],
      ['accountEnabled', 'false'],
      ['proxyAddresses', UPN.toLowerCase()],
      ['password', '(the cloud password)'],
    ]);
    expect(user.overwrites.at(-1)?.onPremisesValue).to.match(/random password set at creation: set the AD password/);
  });

  it('lists the cloud email addresses AD lacks as lost, and a change of accountEnabled', () => {
    const user = readyCase((_, pair) => {
      Object.assign(pair.cloud, { displayName: 'Paula Jones', mail: UPN, proxyAddresses: [`SMTP:${UPN}`, 'smtp:paula@contoso.mail.onmicrosoft.com', 'smtp:pj@contoso.com', 'SIP:paula@contoso.com'], accountEnabled: true });
      Object.assign(pair.ad, { DisplayName: 'Paula Jones', mail: UPN, proxyAddresses: [`SMTP:${UPN}`, 'smtp:PJ@contoso.com'], Enabled: false });
    });
    expect(user.overwrites).to.deep.equal([
      { attribute: 'accountEnabled', cloudValue: 'true', onPremisesValue: 'false' },
      {
        attribute: 'proxyAddresses',
        cloudValue: 'paula@contoso.mail.onmicrosoft.com',
        onPremisesValue: `SMTP:${UPN}; smtp:PJ@contoso.com (the cloud-only addresses are lost: add them in AD first to keep them)`,
      },
    ]);
  });
});

describe('checks: scale', () => {
  it('evaluates 20,000 users with one index: a few spot checks are right', function () {
    this.timeout(60_000);
    const facts = makeFacts();
    const rows: BatchUser[] = [];
    for (let i = 0; i < 20_000; i += 1) {
      const pair = addReadyPair(facts, `u${i}@contoso.com`, `u${i}`, { row: { row: i + 2 } });
      rows.push(pair.row);
    }
    // a few broken rows among them
    facts.cloudUsers[123]!.userType = 'Guest';
    facts.adUsers[4567]!.mail = 'u4568@contoso.com'; // another user's primary SMTP
    facts.cloudObjects.push(makeCloudObject('group', { mail: 'u19999@contoso.com' }));
    rows.push(updateRow('u77@contoso.com', 'u77b', { row: 20_002 }));
    facts.adUsers.push(makeAdUser('u77b'));

    const result = evaluate(facts, rows);
    expect(result.users).to.have.length(20_001);
    expect(codes(result.users[0])).to.deep.equal([]);
    expect(result.users[0]?.predictedMatch).to.equal('upn');
    expect(codes(result.users[123])).to.deep.equal(['CloudUserIsGuest']);
    expect(codes(result.users[4567])).to.deep.equal(['SmtpMatchesOtherUser']);
    expect(codes(result.users[4568])).to.deep.equal([]);
    expect(codes(result.users[19_999])).to.deep.equal(['UpnHeldByOtherObject']);
    expect(codes(result.users[77])).to.deep.equal(['DuplicateInBatch']);
    expect(codes(result.users[20_000])).to.deep.equal(['DuplicateInBatch']);
    expect(result.users.filter((u) => u.blocked)).to.have.length(5);
  });
});

describe('checks: rows that discover proposed', () => {
  it('ReviewPending blocks a row proposed on weak evidence until review is no; nothing else changes', () => {
    const pending = readyCase((_facts, pair) => ({ ...pair.row, review: true }));
    expect(pending.findings.map((f) => f.code)).to.deep.equal(['ReviewPending']);
    expect(pending.blocked).to.equal(true);
    const reviewed = readyCase((_facts, pair) => ({ ...pair.row, review: false }));
    expect(reviewed.findings).to.deep.equal([]);
    expect(reviewed.blocked).to.equal(false);
  });
});
