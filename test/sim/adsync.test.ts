// The fake ADSync (scheduler, cycle timing, busy error, run results with export errors).
import { expect } from 'chai';
import type { SimState } from '../../lib/sim/state.js';
import { adUser, baseState, cloudUser, makeSimDir, readState, removeSimDir, runSimJson, SCOPE_OU, type Json } from './fixtures.js';

/**
 * ann cannot be soft-matched (the cloud ann is anchored) and one of her addresses is on a group: duplicate attribute
 * resiliency does not cover a group's address, so her export fails (AttributeValueMustBeUnique); zed matches by UPN.
 */
function conflictWorld(): SimState {
  const s = baseState();
  s.forest.users.push(adUser({ sam: 'ann', upn: 'ann@contoso.com', proxyAddresses: ['SMTP:ann@contoso.com', 'smtp:sales@contoso.com'] }));
  s.tenant.groups.push({ id: '00000000-0000-4000-8000-00000000005a', displayName: 'Sales', mail: 'sales@contoso.com', proxyAddresses: ['SMTP:sales@contoso.com'] });
  s.forest.users.push(adUser({ sam: 'zed', upn: 'zed@contoso.com' }));
  s.tenant.users.push(cloudUser({ upn: 'ann@contoso.com', immutableId: 'c29tZW9uZSBlbHNl', synced: true }));
  s.tenant.users.push(cloudUser({ upn: 'zed@contoso.com' }));
  return s;
}

describe('sim: ADSync fake', function () {
  this.timeout(60_000);
  let dir = '';
  beforeEach(() => { dir = makeSimDir(conflictWorld()); });
  afterEach(() => removeSimDir(dir));

  it('a cycle takes simulated time: SyncCycleInProgress, the real busy error, connector run status, then settles', async () => {
    const r = await runSimJson(dir, `
Import-Module ADSync
$idle = Get-ADSyncScheduler
$start = Start-ADSyncSyncCycle -PolicyType Delta
$during = Get-ADSyncScheduler
$busy = Catch-Sim { Start-ADSyncSyncCycle -PolicyType Initial }
$running = @(Get-ADSyncConnectorRunStatus)
Start-Sleep -Milliseconds 900
$after = Get-ADSyncScheduler
@{ names = @($idle.PSObject.Properties.Name); idle = $idle.SyncCycleInProgress; interval = $idle.AllowedSyncCycleInterval.TotalMinutes
   result = $start.Result; during = $during.SyncCycleInProgress; busy = $busy
   running = @($running | ForEach-Object { $_.RunState + ':' + $_.ConnectorName }); after = $after.SyncCycleInProgress; idleRuns = @(Get-ADSyncConnectorRunStatus).Count }`,
    { UPN_MATCH_SIM_SYNC_MS: '600' });
    expect(r.names).to.deep.equal(['AllowedSyncCycleInterval', 'CurrentlyEffectiveSyncCycleInterval', 'CustomizedSyncCycleInterval', 'NextSyncCyclePolicyType',
      'NextSyncCycleStartTimeInUTC', 'PurgeRunHistoryInterval', 'SyncCycleEnabled', 'MaintenanceEnabled', 'StagingModeEnabled', 'SchedulerSuspended', 'SyncCycleInProgress']);
    expect(r.idle).to.equal(false);
    expect(r.interval).to.equal(30);
    expect(r.result).to.equal('Success');
    expect(r.during).to.equal(true);
    expect(r.busy.error).to.match(/^System\.InvalidOperationException: Connector: contoso\.onmicrosoft\.com - AAD is busy\./);
    expect(r.busy.type).to.equal('System.InvalidOperationException');
    expect(r.running).to.deep.equal(['Busy:contoso.onmicrosoft.com - AAD']);
    expect(r.after).to.equal(false);
    expect(r.idleRuns).to.equal(0);
    const state = readState(dir);
    expect(state.sync.cycle).to.equal(null);
    expect(state.sync.lastRun.policyType).to.equal('Delta');
  });

  it('another process settles a finished cycle on its first call (any fake module)', async () => {
    await runSimJson(dir, `Import-Module ADSync; (Start-ADSyncSyncCycle).Result`, { UPN_MATCH_SIM_SYNC_MS: '300' });
    expect(readState(dir).sync.cycle).to.not.equal(null);
    const r = await runSimJson(dir, `Start-Sleep -Milliseconds 400; Import-Module ActiveDirectory; [Convert]::ToBase64String((Get-ADUser zed -Properties 'mS-DS-ConsistencyGuid').'mS-DS-ConsistencyGuid')`);
    expect(r).to.be.a('string').with.length(24);
    const state = readState(dir);
    expect(state.sync.cycle).to.equal(null);
    expect(state.sync.lastRun.joins.map((j: Json) => j.rule)).to.deep.equal(['UpnSoftMatch']);
  });

  it('admins read the last run\'s export errors: Get-ADSyncRunProfileResult -RunStepDetails and Get-ADSyncCSObject', async () => {
    const r = await runSimJson(dir, `
Import-Module ADSync
$null = Start-ADSyncSyncCycle
$connectors = @(Get-ADSyncConnector | ForEach-Object { $_.Name + '|' + $_.Type })
$adConnector = Get-ADSyncConnector -Name 'contoso.local'
$inclusion = @($adConnector.Partitions | ForEach-Object { $_.ConnectorPartitionScope.ContainerInclusionList })
$results = @(Get-ADSyncRunProfileResult -RunStepDetails)
$export = $results | Where-Object { $_.ConnectorName -like '* - AAD' -and $_.RunProfileName -eq 'Export' } | Select-Object -First 1
$err = $export.RunStepResults[0].ExportErrors[0]
$cs = Get-ADSyncCSObject -ConnectorName 'contoso.onmicrosoft.com - AAD' -DistinguishedName 'CN=ann,OU=Users,${SCOPE_OU}'
$csAd = Get-ADSyncCSObject -ConnectorName 'contoso.local' -DistinguishedName 'CN=ann,OU=Users,${SCOPE_OU}'
$latest = @(Get-ADSyncRunProfileResult -NumberRequested 1)
@{ connectors = $connectors; inclusion = $inclusion; adType = $adConnector.ConnectorTypeName; count = $results.Count; exportResult = $export.Result; complete = $export.IsRunComplete
   error = @{ ErrorName = $err.ErrorName; DistinguishedName = $err.DistinguishedName; AttributeName = $err.AttributeName; AttributeValue = $err.AttributeValue }
   csHasError = $cs.HasExportError; csErrorName = $cs.ExportError.ErrorName; csAdHasError = $csAd.HasExportError; latest = $latest.Count }`,
    { UPN_MATCH_SIM_SYNC_MS: '0' });
    expect(r.connectors).to.deep.equal(['contoso.local|AD', 'contoso.onmicrosoft.com - AAD|Extensible2']);
    expect(r.adType).to.equal('AD');
    expect(r.inclusion).to.deep.equal([SCOPE_OU]);
    expect(r.count).to.equal(6);
    expect(r.exportResult).to.equal('completed-export-errors');
    expect(r.complete).to.equal(true);
    expect(r.error).to.deep.equal({ ErrorName: 'AttributeValueMustBeUnique', DistinguishedName: `CN=ann,OU=Users,${SCOPE_OU}`, AttributeName: 'UserPrincipalName', AttributeValue: 'ann@contoso.com' });
    expect(r.csHasError).to.equal(true);
    expect(r.csErrorName).to.equal('AttributeValueMustBeUnique');
    expect(r.csAdHasError).to.equal(false);
    expect(r.latest).to.equal(1);
  });

  it('staging mode still runs a cycle (Result Success) and Set-ADSyncScheduler changes the scheduler', async () => {
    const s = conflictWorld();
    s.sync.stagingModeEnabled = true;
    removeSimDir(dir);
    dir = makeSimDir(s);
    const r = await runSimJson(dir, `
Import-Module ADSync
$result = (Start-ADSyncSyncCycle).Result
Set-ADSyncScheduler -SyncCycleEnabled $false -CustomizedSyncCycleInterval ([TimeSpan]::FromHours(1))
$s = Get-ADSyncScheduler
@{ result = $result; staging = $s.StagingModeEnabled; enabled = $s.SyncCycleEnabled; effective = $s.CurrentlyEffectiveSyncCycleInterval.TotalMinutes }`,
    { UPN_MATCH_SIM_SYNC_MS: '0' });
    expect(r).to.deep.equal({ result: 'Success', staging: true, enabled: false, effective: 60 });
    const state = readState(dir);
    expect(state.sync.lastRun.stagingMode).to.equal(true);
    expect(state.sync.joins).to.deep.equal({});
  });

  it('a suspended scheduler (wizard open, upgrade running): Start-ADSyncSyncCycle fails with the real text and starts nothing', async () => {
    const s = conflictWorld();
    s.sync.schedulerSuspended = true;
    removeSimDir(dir);
    dir = makeSimDir(s);
    const r = await runSimJson(dir, `
Import-Module ADSync
$message = try { $null = Start-ADSyncSyncCycle -PolicyType Delta; 'started' } catch { $_.Exception.Message }
@{ message = $message; suspended = (Get-ADSyncScheduler).SchedulerSuspended; running = (Get-ADSyncScheduler).SyncCycleInProgress }`,
    { UPN_MATCH_SIM_SYNC_MS: '0' });
    expect(r).to.deep.equal({ message: 'System.InvalidOperationException: Scheduler is already suspended via global parameters.', suspended: true, running: false });
    expect(readState(dir).sync.cycle ?? null).to.equal(null);
  });
});

describe('sim: ADSync fake, Get-ADSyncGlobalSettings', function () {
  this.timeout(60_000);
  let dir = '';
  afterEach(() => removeSimDir(dir));

  async function settings(change: (s: SimState) => void): Promise<Json> {
    const s = baseState();
    change(s);
    dir = makeSimDir(s);
    return runSimJson(dir, `
Import-Module ADSync
$g = Get-ADSyncGlobalSettings
@{ names = @($g.PSObject.Properties.Name)
   byIndex = $g.Parameters['Microsoft.SynchronizationOption.UPNAttribute'].Value
   byName = ($g.Parameters | Where-Object { $_.Name -eq 'Microsoft.SynchronizationOption.AnchorAttribute' }).Value
   custom = $g.Parameters['Microsoft.SynchronizationOption.CustomAttribute'].Value
   staging = $g.Parameters['Microsoft.Synchronize.StagingMode'].Value
   parameter = @($g.Parameters)[0].PSObject.Properties.Name
   types = @(@($g.Parameters) | ForEach-Object { $_.DataType } | Select-Object -Unique) }`);
  }

  it('serves Version, SqlSchemaVersion, InstanceId, Schema and Parameters; a parameter by index or by enumeration, string values', async () => {
    const r = await settings(() => {});
    expect(r.names).to.deep.equal(['Version', 'SqlSchemaVersion', 'InstanceId', 'Schema', 'Parameters']);
    expect(r.byIndex).to.equal('userPrincipalName');
    expect(r.byName).to.equal('mS-DS-ConsistencyGuid');
    expect(r.custom).to.equal('');
    expect(r.staging).to.equal('False');
    expect(r.parameter).to.deep.equal(['Name', 'InputType', 'Scope', 'Description', 'RegexValidationPattern', 'DefaultValue', 'Value', 'Extensible', 'PageNumber', 'Intrinsic', 'DataType']);
    expect(r.types).to.deep.equal(['String']);
  });

  it('the configured anchor attribute (objectGUID, or a custom one) and UPN attribute (alternate login ID)', async () => {
    const objectGuid = await settings((s) => Object.assign(s.sync, { anchorAttribute: 'objectguid', upnAttribute: 'mail' }));
    expect([objectGuid.byName, objectGuid.byIndex, objectGuid.custom]).to.deep.equal(['objectGUID', 'mail', '']);
    removeSimDir(dir);
    const custom = await settings((s) => Object.assign(s.sync, { anchorAttribute: 'employeeID' }));
    expect([custom.byName, custom.custom]).to.deep.equal(['employeeID', 'employeeID']);
  });
});

describe('sim: UPN soft match in an old tenant', function () {
  this.timeout(60_000);
  let dir = '';
  afterEach(() => removeSimDir(dir));

  it('a tenant that started sync before 2016-03-30 has UPN soft match off unless set', async () => {
    const s = conflictWorld();
    s.tenant.dirSyncStartedAt = '2015-01-01T00:00:00Z';
    delete s.tenant.features.softMatchOnUpnEnabled;
    dir = makeSimDir(s);
    const r = await runSimJson(dir, `
Import-Module ADSync
$null = Start-ADSyncSyncCycle; $null = Get-ADSyncScheduler
@{ rules = @((Get-Content -Raw (Join-Path $env:UPN_MATCH_SIM_DIR 'state.json') | ConvertFrom-Json).sync.lastRun.joins | ForEach-Object { $_.rule }) }`,
    { UPN_MATCH_SIM_SYNC_MS: '0' });
    // No UPN soft match while the feature is off: zed is provisioned as a second, quarantined cloud user.
    expect(r).to.deep.equal({ rules: ['Provisioned'] });
    const state = readState(dir);
    expect(state.tenant.users.find((u: Json) => u.userPrincipalName === 'zed@contoso.com').onPremisesImmutableId).to.equal(null);
    expect(state.tenant.users.filter((u: Json) => /^zed\+\d{4}@contoso\.onmicrosoft\.com$/.test(u.userPrincipalName))).to.have.length(1);
  });
});
