// Several domain controllers with a replication delay, Sync-ADObject, the AD connector importing from its DC,
// and the connector's filtering (OU exclusions, unselected partitions, group-based filtering): the fakes and
// the sync engine against small worlds, one pwsh process per world.
import { expect } from 'chai';
import { adUser, baseState, cloudUser, guid, makeSimDir, readState, removeSimDir, runSimJson, SCOPE_OU, type Json } from './fixtures.js';
import type { SimState } from '../../lib/sim/state.js';

const DC1 = 'dc01.contoso.local';
const DC2 = 'dc02.contoso.local';

/** Two DCs in contoso.local, calls without -Server reach dc01, the last delta half an hour ago. */
function twoDcState(delaySeconds: number): SimState {
  const s = baseState();
  s.forest.domains[0]!.domainControllers = [DC1, DC2];
  s.forest.replication = { delaySeconds, currentDC: DC1 };
  s.sync.deltaWatermark = new Date(Date.now() - 30 * 60_000).toISOString();
  return s;
}

describe('sim: domain controllers and replication delay', function () {
  this.timeout(180_000);
  const dirs: string[] = [];
  after(() => dirs.forEach(removeSimDir));
  function dir(state: SimState): string {
    const made = makeSimDir(state);
    dirs.push(made);
    return made;
  }

  it('a write lands on the DC it was sent to; the others serve the old copy until replication or Sync-ADObject', async () => {
    const s = twoDcState(900);
    s.forest.users.push(adUser({ sam: 'pjones', upn: 'pjones@contoso.local' }));
    const d = dir(s);
    const r = await runSimJson(d, `
Import-Module ActiveDirectory
$u = Get-ADUser pjones
Set-ADUser -Identity $u.ObjectGUID -UserPrincipalName 'paula.jones@contoso.com'
$new = New-ADUser -Name 'New One' -SamAccountName newone -Path 'OU=Users,${SCOPE_OU}' -Server ${DC2} -PassThru
$r = [ordered]@{}
$r.onDc1 = (Get-ADUser pjones -Server ${DC1}).UserPrincipalName
$r.onDc2 = (Get-ADUser pjones -Server '${DC2}:389').UserPrincipalName
$r.byFilterOnDc2 = @(Get-ADUser -LDAPFilter '(userPrincipalName=paula.jones@contoso.com)' -Server ${DC2}).Count
$r.byFilterOnDc1 = @(Get-ADUser -LDAPFilter '(userPrincipalName=paula.jones@contoso.com)').Count
$r.newOnDc1 = Catch-Sim { Get-ADUser newone -Server ${DC1} }
$r.setNewOnDc1 = Catch-Sim { Set-ADUser -Identity newone -Title x -Server ${DC1} }
Sync-ADObject -Object $u.DistinguishedName -Source ${DC1} -Destination ${DC2}
$r.onDc2AfterSync = (Get-ADUser pjones -Server ${DC2}).UserPrincipalName
$r.passThru = (Sync-ADObject -Object $new.ObjectGUID -Source ${DC2} -Destination ${DC1} -PassThru).SamAccountName
$r.newOnDc1After = (Get-ADUser newone -Server ${DC1}).SamAccountName
$r.unknownDc = Catch-Sim { Sync-ADObject -Object $u.DistinguishedName -Destination dc09.contoso.local }
$r`);
    expect(r.onDc1).to.equal('paula.jones@contoso.com');
    expect(r.onDc2).to.equal('pjones@contoso.local');
    expect(r.byFilterOnDc2).to.equal(0);
    expect(r.byFilterOnDc1).to.equal(1);
    expect(r.newOnDc1.type).to.equal('Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException');
    expect(r.setNewOnDc1.type).to.equal('Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException');
    expect(r.onDc2AfterSync).to.equal('paula.jones@contoso.com');
    expect(r.passThru).to.equal('newone');
    expect(r.newOnDc1After).to.equal('newone');
    expect(r.unknownDc.type).to.equal('Microsoft.ActiveDirectory.Management.ADServerDownException');
  });

  it('once its delay has passed, a write is on every DC; a pending one only where it was made', async () => {
    const s = twoDcState(900);
    const done = adUser({ sam: 'done', upn: 'done.new@contoso.com' });
    const pending = adUser({ sam: 'pending', upn: 'pending.new@contoso.com' });
    s.forest.users.push(done, pending);
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    s.forest.replication!.pending = [
      { objectGuid: done.ObjectGUID, dc: DC1, at: hourAgo, replicatesAt: new Date(Date.now() - 1_800_000).toISOString(), before: { ...done, UserPrincipalName: 'done.old@contoso.com' }, receivedBy: [] },
      { objectGuid: pending.ObjectGUID, dc: DC1, at: hourAgo, replicatesAt: new Date(Date.now() + 1_800_000).toISOString(), before: { ...pending, UserPrincipalName: 'pending.old@contoso.com' }, receivedBy: [] },
    ];
    const d = dir(s);
    const r = await runSimJson(d, `
Import-Module ActiveDirectory
@{ done = (Get-ADUser done -Server ${DC2}).UserPrincipalName; pending = (Get-ADUser pending -Server ${DC2}).UserPrincipalName; pendingOnDc1 = (Get-ADUser pending -Server ${DC1}).UserPrincipalName }`);
    expect(r).to.deep.equal({ done: 'done.new@contoso.com', pending: 'pending.old@contoso.com', pendingOnDc1: 'pending.new@contoso.com' });
  });

  it('a delta cycle imports from the connector’s DC: a write not there yet is not imported, one replicated there is', async () => {
    const s = twoDcState(900);
    s.sync.preferredDCs = [DC2];
    const cloudId = guid('c0de');
    s.forest.users.push(adUser({ sam: 'pjones', upn: 'pjones@contoso.local' }));
    s.tenant.users.push(cloudUser({ upn: 'paula.jones@contoso.com', id: cloudId }));
    const d = dir(s);
    const r = await runSimJson(d, `
Import-Module ActiveDirectory; Import-Module ADSync
$u = Get-ADUser pjones
Set-ADUser -Identity $u.ObjectGUID -UserPrincipalName 'paula.jones@contoso.com'
$lastDc = @((Get-ADSyncConnector | Where-Object ConnectorTypeName -eq 'AD').Partitions[0].Parameters | Where-Object Name -eq 'last-dc')[0].Value
$null = Start-ADSyncSyncCycle -PolicyType Delta
$null = Get-ADSyncScheduler
$joinsAfterFirst = @($((Get-Content -Raw (Join-Path $env:UPN_MATCH_SIM_DIR 'state.json') | ConvertFrom-Json).sync.joins.PSObject.Properties)).Count
Sync-ADObject -Object $u.DistinguishedName -Source ${DC1} -Destination ${DC2}
$null = Start-ADSyncSyncCycle -PolicyType Delta
$null = Get-ADSyncScheduler
@{ lastDc = $lastDc; joinsAfterFirst = $joinsAfterFirst }`, { UPN_MATCH_SIM_SYNC_MS: '0' });
    expect(r.lastDc).to.equal(DC2);
    expect(r.joinsAfterFirst).to.equal(0);
    const state = readState(d);
    const ad = state.forest.users[0];
    expect(state.sync.joins[ad.ObjectGUID]).to.equal(cloudId);
    expect(state.tenant.users.find((u: Json) => u.id === cloudId).onPremisesSyncEnabled).to.equal(true);
    // no second cloud user was provisioned from the old copy
    expect(state.tenant.users).to.have.length(1);
  });
});

describe('sim: sync scope as configured (exclusions, partitions, group filtering)', function () {
  this.timeout(180_000);
  const dirs: string[] = [];
  after(() => dirs.forEach(removeSimDir));

  it('the connector shows its filtering, and a full cycle synchronises only who it selects', async () => {
    const s = baseState();
    const group = 'CN=Entra Sync,OU=Groups,DC=contoso,DC=local';
    s.forest.domains.push({ DNSRoot: 'emea.contoso.local', NetBIOSName: 'EMEA', DistinguishedName: 'DC=emea,DC=contoso,DC=local', PDCEmulator: 'dc01.emea.contoso.local' });
    s.sync.syncScopeOUs = [SCOPE_OU, 'OU=Staff,DC=emea,DC=contoso,DC=local'];
    s.sync.scopeExclusions = [`OU=Contractors,${SCOPE_OU}`];
    s.sync.unselectedPartitions = ['DC=emea,DC=contoso,DC=local'];
    s.sync.groupFilter = group;
    const users: Array<[string, string, string[]]> = [
      ['direct', `OU=Users,${SCOPE_OU}`, [group]],
      ['nested', `OU=Users,${SCOPE_OU}`, ['CN=Pilot,OU=Groups,DC=contoso,DC=local']],
      ['excluded', `OU=Contractors,${SCOPE_OU}`, [group]],
      ['emea', 'OU=Staff,DC=emea,DC=contoso,DC=local', [group]],
    ];
    for (const [sam, ou, memberOf] of users) {
      s.forest.users.push(adUser({ sam, upn: `${sam}@contoso.com`, ou, extra: { memberOf } }));
      s.tenant.users.push(cloudUser({ upn: `${sam}@contoso.com`, id: guid(`c${sam.length}`) }));
    }
    const d = makeSimDir(s);
    dirs.push(d);
    const r = await runSimJson(d, `
Import-Module ADSync
$c = Get-ADSyncConnector | Where-Object ConnectorTypeName -eq 'AD'
$p = @($c.Partitions)
$null = Start-ADSyncSyncCycle -PolicyType Initial
$null = Get-ADSyncScheduler
@{
  partitions = @($p | ForEach-Object { @{ name = $_.Name; selected = $_.Selected; inc = @($_.ConnectorPartitionScope.ContainerInclusionList); exc = @($_.ConnectorPartitionScope.ContainerExclusionList) } })
  group = @($c.GlobalParameters | Where-Object Name -eq 'Connector.GroupFilteringGroupDn')[0].Value
}`, { UPN_MATCH_SIM_SYNC_MS: '0' });
    expect(r.partitions).to.deep.equal([
      { name: 'contoso.local', selected: true, inc: [SCOPE_OU], exc: [`OU=Contractors,${SCOPE_OU}`] },
      { name: 'emea.contoso.local', selected: false, inc: ['OU=Staff,DC=emea,DC=contoso,DC=local'], exc: [] },
    ]);
    expect(r.group).to.equal(group);
    const state = readState(d);
    const joined = state.forest.users.filter((u: Json) => state.sync.joins[u.ObjectGUID]).map((u: Json) => u.SamAccountName);
    expect(joined).to.deep.equal(['direct']);
  });
});
