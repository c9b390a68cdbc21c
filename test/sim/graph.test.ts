// The fake Microsoft.Graph.Authentication module: connection, routes, $filter, paging, $batch, errors.
import { expect } from 'chai';
import type { SimState } from '../../lib/sim/state.js';
import { baseState, cloudUser, GA_TEMPLATE, makeSimDir, readCalls, readState, removeSimDir, runSimJson, TENANT_ID, type Json, CERTIFICATE_HELPER } from './fixtures.js';

const ADMIN = 'c0000000-0000-4000-8000-0000000000ad';
const APP = `${CERTIFICATE_HELPER}$appThumbprint = New-SimTestCertificate CurrentUser 'CN=app-1'
Connect-MgGraph -ClientId 'app-1' -TenantId '${TENANT_ID}' -CertificateThumbprint $appThumbprint -NoWelcome`;

function world(): SimState {
  const s = baseState();
  s.tenant.users.push(cloudUser({ upn: 'admin@contoso.com', id: ADMIN, mail: 'admin@contoso.com', proxyAddresses: ['SMTP:admin@contoso.com'] }));
  for (const n of ['amy', 'ben', "o'neil", 'cal', 'dee']) {
    const synced = n === 'amy' ? { immutableId: 'aW1tdXRhYmxl', synced: true } : {}; // amy is synced
    s.tenant.users.push(cloudUser({ upn: `${n}@contoso.com`, mail: `${n}@contoso.com`, proxyAddresses: [`SMTP:${n}@contoso.com`, `smtp:${n}.alias@contoso.com`], ...synced }));
  }
  s.tenant.directoryRoles.push({ id: 'r0000000-0000-4000-8000-000000000001', displayName: 'Global Administrator', roleTemplateId: GA_TEMPLATE, members: [ADMIN] });
  s.tenant.groups.push({ id: 'g0000000-0000-4000-8000-000000000001', displayName: 'Sales', mail: 'sales@contoso.com', proxyAddresses: ['SMTP:sales@contoso.com'], members: [ADMIN] });
  s.tenant.contacts.push({ id: 'k0000000-0000-4000-8000-000000000001', displayName: 'Partner', mail: 'partner@fabrikam.com', proxyAddresses: ['SMTP:partner@fabrikam.com'] });
  s.tenant.deletedUsers.push({ ...cloudUser({ upn: 'gone@contoso.com', id: 'd0000000-0000-4000-8000-000000000001' }), deletedDateTime: '2025-01-01T00:00:00Z' });
  return s;
}

describe('sim: Microsoft.Graph.Authentication fake', function () {
  this.timeout(60_000);
  let dir = '';
  beforeEach(() => { dir = makeSimDir(world()); });
  afterEach(() => removeSimDir(dir));

  it('requires Connect-MgGraph; app-only and delegated contexts look like Get-MgContext', async () => {
    const r = await runSimJson(dir, `
Import-Module Microsoft.Graph.Authentication
$before = Catch-Sim { Invoke-MgGraphRequest -Uri '/v1.0/users' }
$noContext = ($null -eq (Get-MgContext))
${APP}
$app = Get-MgContext
$null = Disconnect-MgGraph
Connect-MgGraph -Scopes 'User.Read.All','OnPremDirectorySynchronization.ReadWrite.All' -NoWelcome
$delegated = Get-MgContext
$wrongTenant = Catch-Sim { Connect-MgGraph -ClientId 'x' -TenantId 'fabrikam.com' -CertificateThumbprint $appThumbprint }
@{ before = $before; noContext = $noContext
   app = @{ AuthType = $app.AuthType; TenantId = $app.TenantId; ClientId = $app.ClientId; CertificateThumbprint = ($app.CertificateThumbprint -eq $appThumbprint); Account = $app.Account }
   delegated = @{ AuthType = $delegated.AuthType; Scopes = @($delegated.Scopes); Account = $delegated.Account }
   wrongTenant = $wrongTenant.error }`);
    expect(r.before.error).to.equal('Authentication needed. Please call Connect-MgGraph.');
    expect(r.noContext).to.equal(true);
    expect(r.app).to.deep.equal({ AuthType: 'AppOnly', TenantId: TENANT_ID, ClientId: 'app-1', CertificateThumbprint: true, Account: null });
    expect(r.delegated.AuthType).to.equal('Delegated');
    expect(r.delegated.Scopes).to.deep.equal(['User.Read.All', 'OnPremDirectorySynchronization.ReadWrite.All']);
    expect(r.delegated.Account).to.equal('admin@contoso.com');
    expect(r.wrongTenant).to.match(/AADSTS90002/);
  });

  it('GET /users/{id|upn}: default and $select properties; 404 and 400 shaped like Graph', async () => {
    const r = await runSimJson(dir, `
Import-Module Microsoft.Graph.Authentication
${APP}
$byUpn = Invoke-MgGraphRequest -Uri 'https://graph.microsoft.com/v1.0/users/AMY@contoso.com'
$byId = Invoke-MgGraphRequest -Method GET -Uri "/v1.0/users/$($byUpn.id)?\`$select=id,onPremisesImmutableId,proxyAddresses"
$quoted = Invoke-MgGraphRequest -Uri "/v1.0/users/o'neil@contoso.com" -OutputType PSObject
$json = Invoke-MgGraphRequest -Uri '/v1.0/users/ben@contoso.com?$select=userPrincipalName' -OutputType Json
$missing = Catch-Sim { Invoke-MgGraphRequest -Uri '/v1.0/users/nobody@contoso.com' }
$badSelect = Catch-Sim { Invoke-MgGraphRequest -Uri '/v1.0/users/amy@contoso.com?$select=nope' }
$noVersion = Catch-Sim { Invoke-MgGraphRequest -Uri '/users' }
$status = $null
try { Invoke-MgGraphRequest -Uri '/v1.0/users/nobody@contoso.com' } catch { $status = [int]$_.Exception.Response.StatusCode }
@{ type = $byUpn.GetType().Name; keys = @($byUpn.Keys | Where-Object { $_ -notlike '@*' } | Sort-Object); upn = $byUpn.userPrincipalName
   selected = @($byId.Keys | Where-Object { $_ -notlike '@*' } | Sort-Object); immutable = $byId.onPremisesImmutableId
   quotedType = $quoted.GetType().Name; quotedUpn = $quoted.userPrincipalName; json = $json
   missing = $missing; badSelect = $badSelect.details; noVersion = $noVersion.details; status = $status }`);
    expect(r.type).to.equal('Hashtable');
    expect(r.keys).to.deep.equal(['businessPhones', 'displayName', 'givenName', 'id', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName']);
    expect(r.upn).to.equal('amy@contoso.com');
    expect(r.selected).to.deep.equal(['id', 'onPremisesImmutableId', 'proxyAddresses']);
    expect(r.immutable).to.equal('aW1tdXRhYmxl');
    expect(r.quotedType).to.equal('PSCustomObject');
    expect(r.quotedUpn).to.equal("o'neil@contoso.com");
    expect(JSON.parse(r.json)).to.deep.include({ userPrincipalName: 'ben@contoso.com' });
    expect(r.missing.error).to.equal('Response status code does not indicate success: NotFound (Not Found).');
    expect(r.missing.type).to.equal('Microsoft.Graph.PowerShell.Authentication.Helpers.HttpResponseException');
    expect(r.missing.fqid).to.match(/^InvokeGraphHttpResponseException,/);
    expect(r.missing.details).to.match(/^GET https:\/\/graph\.microsoft\.com\/v1\.0\/users\/nobody@contoso\.com\r?\nHTTP\/1\.1 404 Not Found/);
    const body = JSON.parse(r.missing.details.split(/\r?\n/).pop());
    expect(body.error.code).to.equal('Request_ResourceNotFound');
    expect(body.error.message).to.equal("Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not present.");
    expect(r.badSelect).to.match(/"code":"Request_BadRequest".*Could not find a property named 'nope' on type 'microsoft\.graph\.user'/);
    expect(r.noVersion).to.match(/Invalid version/);
    expect(r.status).to.equal(404);
  });

  it('$filter: eq, in, startswith, any(), and/or, quote escaping; advanced queries need ConsistencyLevel + $count', async () => {
    const r = await runSimJson(dir, `
Import-Module Microsoft.Graph.Authentication
${APP}
function upns([string] $query, $headers) {
  $p = @{ Uri = "/v1.0/users?$query" }
  if ($headers) { $p.Headers = $headers }
  , @((Invoke-MgGraphRequest @p).value | ForEach-Object { $_.userPrincipalName } | Sort-Object)
}
$ev = @{ ConsistencyLevel = 'eventual' }
@{
  eq = upns "\`$filter=userPrincipalName eq 'BEN@contoso.com'"
  escaped = upns "\`$filter=userPrincipalName eq 'o''neil@contoso.com'"
  encoded = upns ("\`$filter=" + [Uri]::EscapeDataString("mail eq 'cal@contoso.com'"))
  inList = upns "\`$filter=userPrincipalName in ('amy@contoso.com','dee@contoso.com','x@y.z')"
  starts = upns "\`$filter=startswith(userPrincipalName,'a')"
  any = upns "\`$filter=proxyAddresses/any(p:p eq 'smtp:ben.alias@contoso.com')"
  anyStarts = upns "\`$filter=proxyAddresses/any(x:startswith(x,'smtp:dee'))"
  andOr = upns "\`$filter=(userPrincipalName eq 'amy@contoso.com' or userPrincipalName eq 'ben@contoso.com') and mail eq 'ben@contoso.com'"
  immutable = upns "\`$filter=onPremisesImmutableId eq 'aW1tdXRhYmxl'"
  neRefused = (Catch-Sim { Invoke-MgGraphRequest -Uri "/v1.0/users?\`$filter=userPrincipalName ne 'amy@contoso.com'" }).details
  neAdvanced = upns "\`$filter=onPremisesImmutableId ne null&\`$count=true" $ev
  notAdvanced = upns "\`$filter=not(startswith(userPrincipalName,'a'))&\`$count=true" $ev
  endsRefused = (Catch-Sim { Invoke-MgGraphRequest -Uri "/v1.0/users?\`$filter=endswith(mail,'@contoso.com')" }).details
  countRefused = (Catch-Sim { Invoke-MgGraphRequest -Uri '/v1.0/users?$count=true' }).details
  count = (Invoke-MgGraphRequest -Uri '/v1.0/users?$count=true&$top=1' -Headers $ev).'@odata.count'
  dollarCount = Invoke-MgGraphRequest -Uri '/v1.0/users/$count' -Headers $ev
  syntax = (Catch-Sim { Invoke-MgGraphRequest -Uri "/v1.0/users?\`$filter=userPrincipalName eq" }).details
  unknownProperty = (Catch-Sim { Invoke-MgGraphRequest -Uri "/v1.0/users?\`$filter=shoeSize eq 'x'" }).details
}`);
    expect(r.eq).to.deep.equal(['ben@contoso.com']);
    expect(r.escaped).to.deep.equal(["o'neil@contoso.com"]);
    expect(r.encoded).to.deep.equal(['cal@contoso.com']);
    expect(r.inList).to.deep.equal(['amy@contoso.com', 'dee@contoso.com']);
    expect(r.starts).to.deep.equal(['admin@contoso.com', 'amy@contoso.com']);
    expect(r.any).to.deep.equal(['ben@contoso.com']);
    expect(r.anyStarts).to.deep.equal(['dee@contoso.com']);
    expect(r.andOr).to.deep.equal(['ben@contoso.com']);
    expect(r.immutable).to.deep.equal(['amy@contoso.com']);
    expect(r.neRefused).to.match(/"code":"Request_UnsupportedQuery"/);
    expect(r.neAdvanced).to.deep.equal(['amy@contoso.com']);
    expect(r.notAdvanced).to.have.length(4);
    expect(r.endsRefused).to.match(/Request_UnsupportedQuery/);
    expect(r.countRefused).to.match(/HTTP\/1\.1 400 Bad Request/);
    expect(r.count).to.equal(6);
    expect(r.dollarCount).to.equal(6);
    expect(r.syntax).to.match(/Invalid filter clause: Syntax error/);
    expect(r.unknownProperty).to.match(/Could not find a property named 'shoeSize'/);
  });

  it('pages by @odata.nextLink (default 100, $top 1..999) and $batch answers per request (max 20)', async () => {
    const s = world();
    for (let i = 0; i < 120; i++) s.tenant.users.push(cloudUser({ upn: `bulk${i}@contoso.com` }));
    removeSimDir(dir);
    dir = makeSimDir(s);
    const r = await runSimJson(dir, `
Import-Module Microsoft.Graph.Authentication
${APP}
$pages = @(); $seen = @()
$page = Invoke-MgGraphRequest -Uri '/v1.0/users?$select=id,userPrincipalName&$top=50'
while ($true) { $pages += @($page.value).Count; $seen += @($page.value | ForEach-Object { $_.id }); if (-not $page['@odata.nextLink']) { break }; $page = Invoke-MgGraphRequest -Uri $page['@odata.nextLink'] }
$default = Invoke-MgGraphRequest -Uri '/v1.0/users'
$tooBig = (Catch-Sim { Invoke-MgGraphRequest -Uri '/v1.0/users?$top=1000' }).details
$batch = Invoke-MgGraphRequest -Method POST -Uri '/v1.0/$batch' -Body @{ requests = @(
  @{ id = '1'; method = 'GET'; url = '/users/amy@contoso.com?$select=id,userPrincipalName' },
  @{ id = '2'; method = 'GET'; url = 'users/nobody@contoso.com' },
  @{ id = '3'; method = 'GET'; url = "/users?\`$filter=userPrincipalName eq 'ben@contoso.com'" }
) }
$many = @(1..21 | ForEach-Object { @{ id = [string]$_; method = 'GET'; url = '/organization' } })
$tooMany = (Catch-Sim { Invoke-MgGraphRequest -Method POST -Uri '/v1.0/$batch' -Body (@{ requests = $many } | ConvertTo-Json -Depth 5) }).details
$byId = @{}; foreach ($x in $batch.responses) { $byId[$x.id] = $x }
@{ pages = $pages; distinct = @($seen | Sort-Object -Unique).Count; defaultCount = @($default.value).Count; defaultNext = [bool]$default['@odata.nextLink']
   tooBig = $tooBig
   b1 = @{ status = $byId['1'].status; upn = $byId['1'].body.userPrincipalName }
   b2 = @{ status = $byId['2'].status; code = $byId['2'].body.error.code }
   b3 = @{ status = $byId['3'].status; n = @($byId['3'].body.value).Count }
   tooMany = $tooMany }`);
    expect(r.pages).to.deep.equal([50, 50, 26]);
    expect(r.distinct).to.equal(126);
    expect(r.defaultCount).to.equal(100);
    expect(r.defaultNext).to.equal(true);
    expect(r.tooBig).to.match(/Invalid page size specified: '1000'/);
    expect(r.b1).to.deep.equal({ status: 200, upn: 'amy@contoso.com' });
    expect(r.b2).to.deep.equal({ status: 404, code: 'Request_ResourceNotFound' });
    expect(r.b3).to.deep.equal({ status: 200, n: 1 });
    expect(r.tooMany).to.match(/HTTP\/1\.1 400 Bad Request[\s\S]*maximum number of requests in a batch is 20/);
    const batchCall = readCalls(dir).find((c) => c.route === 'POST /v1.0/$batch');
    expect(batchCall.batch).to.deep.equal(['GET /users/amy@contoso.com', 'GET users/nobody@contoso.com', 'GET /users']);
  });

  it('onPremisesSynchronization: app-only gets 403; delegated Global Administrator reads and PATCHes features', async () => {
    const r = await runSimJson(dir, `
Import-Module Microsoft.Graph.Authentication
${APP}
$appOnly = Catch-Sim { Invoke-MgGraphRequest -Uri '/v1.0/directory/onPremisesSynchronization' }
$null = Disconnect-MgGraph
Connect-MgGraph -Scopes 'OnPremDirectorySynchronization.Read.All' -NoWelcome
$read = Invoke-MgGraphRequest -Uri '/v1.0/directory/onPremisesSynchronization'
$readOnlyPatch = Catch-Sim { Invoke-MgGraphRequest -Method PATCH -Uri "/v1.0/directory/onPremisesSynchronization/${TENANT_ID}" -Body @{ features = @{ blockSoftMatchEnabled = $true } } }
$null = Disconnect-MgGraph
Connect-MgGraph -Scopes 'OnPremDirectorySynchronization.ReadWrite.All' -NoWelcome
Invoke-MgGraphRequest -Method PATCH -Uri "/v1.0/directory/onPremisesSynchronization/${TENANT_ID}" -Body '{"features":{"blockSoftMatchEnabled":true}}'
$after = Invoke-MgGraphRequest -Uri "/v1.0/directory/onPremisesSynchronization/${TENANT_ID}"
$oneWay = Catch-Sim { Invoke-MgGraphRequest -Method PATCH -Uri "/v1.0/directory/onPremisesSynchronization/${TENANT_ID}" -Body @{ features = @{ softMatchOnUpnEnabled = $false } } }
@{ appOnly = $appOnly.details; id = $read.value[0].id; features = $read.value[0].features; config = $read.value[0].configuration.accidentalDeletionPrevention.alertThreshold
   readOnlyPatch = $readOnlyPatch.details; block = $after.features.blockSoftMatchEnabled; oneWay = $oneWay.details }`);
    expect(r.appOnly).to.match(/HTTP\/1\.1 403 Forbidden[\s\S]*"code":"Authorization_RequestDenied"/);
    expect(r.id).to.equal(TENANT_ID);
    expect(r.features).to.include({ softMatchOnUpnEnabled: true, blockSoftMatchEnabled: false, blockCloudObjectTakeoverThroughHardMatchEnabled: false, passwordSyncEnabled: true });
    expect(r.config).to.equal(500);
    expect(r.readOnlyPatch).to.match(/403 Forbidden/);
    expect(r.block).to.equal(true);
    expect(r.oneWay).to.match(/400 Bad Request[\s\S]*cannot be disabled/);
    expect(readState(dir).tenant.features.blockSoftMatchEnabled).to.equal(true);
  });

  it('organization, domains, directoryRoles?$expand=members, memberOf, groups/contacts $filter, deletedItems', async () => {
    const r = await runSimJson(dir, `
Import-Module Microsoft.Graph.Authentication
${APP}
$org = Invoke-MgGraphRequest -Uri '/v1.0/organization'
$domains = Invoke-MgGraphRequest -Uri '/v1.0/domains'
$roles = Invoke-MgGraphRequest -Uri '/v1.0/directoryRoles?$expand=members'
$memberOf = Invoke-MgGraphRequest -Uri '/v1.0/users/admin@contoso.com/memberOf'
$groups = Invoke-MgGraphRequest -Uri "/v1.0/groups?\`$filter=proxyAddresses/any(p:p eq 'smtp:sales@contoso.com')"
$contacts = Invoke-MgGraphRequest -Uri "/v1.0/contacts?\`$filter=mail eq 'partner@fabrikam.com'"
$deleted = Invoke-MgGraphRequest -Uri '/v1.0/directory/deletedItems/microsoft.graph.user?$select=id,userPrincipalName,deletedDateTime'
@{ org = @{ id = $org.value[0].id; sync = $org.value[0].onPremisesSyncEnabled }
   domains = @($domains.value | ForEach-Object { $_.id }); verified = @($domains.value | ForEach-Object { $_.isVerified })
   roleMembers = @($roles.value[0].members | ForEach-Object { $_.userPrincipalName }); roleTemplate = $roles.value[0].roleTemplateId
   memberOf = @($memberOf.value | ForEach-Object { $_['@odata.type'] })
   groups = @($groups.value | ForEach-Object { $_.displayName }); contacts = @($contacts.value | ForEach-Object { $_.displayName })
   deleted = @($deleted.value | ForEach-Object { $_.userPrincipalName }) }`);
    expect(r.org).to.deep.equal({ id: TENANT_ID, sync: true });
    expect(r.domains).to.deep.equal(['contoso.com', 'contoso.onmicrosoft.com']);
    expect(r.verified).to.deep.equal([true, true]);
    expect(r.roleMembers).to.deep.equal(['admin@contoso.com']);
    expect(r.roleTemplate).to.equal(GA_TEMPLATE);
    expect(r.memberOf).to.deep.equal(['#microsoft.graph.directoryRole', '#microsoft.graph.group']);
    expect(r.groups).to.deep.equal(['Sales']);
    expect(r.contacts).to.deep.equal(['Partner']);
    expect(r.deleted).to.deep.equal(['gone@contoso.com']);
  });

  it('PATCH /users: cloud-managed users change (UPN unique, verified domain); synced users refuse; permissions enforced', async () => {
    const s = world();
    s.tenant.apps = [{ appId: 'reader', displayName: 'Reader', certificateThumbprints: ['AA'], roles: ['User.Read.All'] }, { appId: 'app-1', roles: ['User.ReadWrite.All', 'Directory.Read.All'] }];
    removeSimDir(dir);
    dir = makeSimDir(s);
    const r = await runSimJson(dir, `
Import-Module Microsoft.Graph.Authentication
${APP}
Invoke-MgGraphRequest -Method PATCH -Uri '/v1.0/users/ben@contoso.com' -Body @{ userPrincipalName = 'benjamin@contoso.com' } -StatusCodeVariable code
$dup = (Catch-Sim { Invoke-MgGraphRequest -Method PATCH -Uri '/v1.0/users/cal@contoso.com' -Body @{ userPrincipalName = 'AMY@contoso.com' } }).details
$unverified = (Catch-Sim { Invoke-MgGraphRequest -Method PATCH -Uri '/v1.0/users/cal@contoso.com' -Body @{ userPrincipalName = 'cal@fabrikam.com' } }).details
$synced = (Catch-Sim { Invoke-MgGraphRequest -Method PATCH -Uri '/v1.0/users/amy@contoso.com' -Body @{ displayName = 'x' } }).details
$noBody = (Catch-Sim { Invoke-MgGraphRequest -Method PATCH -Uri '/v1.0/users/cal@contoso.com' }).error
$null = Disconnect-MgGraph
# The reader app's registered certificate ('AA' in the state) becomes one in the current user's store.
$reader = New-SimTestCertificate CurrentUser 'CN=reader'
$other = New-SimTestCertificate CurrentUser 'CN=other'
$statePath = Join-Path $env:UPN_MATCH_SIM_DIR 'state.json'
[System.IO.File]::WriteAllText($statePath, ([System.IO.File]::ReadAllText($statePath) -replace '"AA"', ('"' + $reader + '"')))
Connect-MgGraph -ClientId reader -TenantId contoso.com -CertificateThumbprint $reader -NoWelcome
$denied = (Catch-Sim { Invoke-MgGraphRequest -Method PATCH -Uri '/v1.0/users/cal@contoso.com' -Body @{ displayName = 'x' } }).details
$read = (Invoke-MgGraphRequest -Uri '/v1.0/users/benjamin@contoso.com').userPrincipalName
$unknownApp = (Catch-Sim { Connect-MgGraph -ClientId nope -TenantId contoso.com -CertificateThumbprint $reader }).error
$badCert = (Catch-Sim { Connect-MgGraph -ClientId reader -TenantId contoso.com -CertificateThumbprint $other }).error
@{ code = $code; dup = $dup; unverified = $unverified; synced = $synced; noBody = $noBody; denied = $denied; read = $read; unknownApp = $unknownApp; badCert = $badCert }`);
    expect(r.code).to.equal(204);
    expect(r.dup).to.match(/Another object with the same value for property userPrincipalName already exists/);
    expect(r.unverified).to.match(/verified domain/);
    expect(r.synced).to.match(/on-premises mastered Directory Sync objects/);
    expect(r.noBody).to.equal('Body cannot be null when Method is PATCH.');
    expect(r.denied).to.match(/403 Forbidden[\s\S]*Authorization_RequestDenied/);
    expect(r.read).to.equal('benjamin@contoso.com');
    expect(r.unknownApp).to.match(/AADSTS700016/);
    expect(r.badCert).to.match(/AADSTS700027/);
  });
});

describe('sim: Graph role management (every kind of role holder)', function () {
  this.timeout(60_000);
  let dir = '';
  const USER = 'c0000000-0000-4000-8000-0000000000e1';
  const MEMBER = 'c0000000-0000-4000-8000-0000000000e2';
  const GROUP = 'g0000000-0000-4000-8000-0000000000e3';
  beforeEach(() => {
    const s = world();
    s.tenant.users.push(cloudUser({ upn: 'eli@contoso.com', id: USER }), cloudUser({ upn: 'gil@contoso.com', id: MEMBER }));
    s.tenant.groups.push({ id: GROUP, displayName: 'Helpdesk Admins', mail: null, proxyAddresses: [], members: [MEMBER], isAssignableToRole: true });
    s.tenant.roleAssignments = [{ principalId: GROUP, roleDefinitionId: '729827e3-9c14-49f7-bb1b-9608f156bbb8', directoryScopeId: '/administrativeUnits/au-1' }];
    s.tenant.roleEligibilities = [{ principalId: USER, roleDefinitionId: GA_TEMPLATE, directoryScopeId: '/' }];
    dir = makeSimDir(s);
  });
  afterEach(() => removeSimDir(dir));

  it('roleAssignments (activated roles and unified ones, $expand=principal), roleEligibilityScheduleInstances, roleDefinitions, group members', async () => {
    const r = await runSimJson(dir, `
Import-Module Microsoft.Graph.Authentication
${APP}
$assignments = Invoke-MgGraphRequest -Uri '/v1.0/roleManagement/directory/roleAssignments?$expand=principal'
$eligible = Invoke-MgGraphRequest -Uri '/v1.0/roleManagement/directory/roleEligibilityScheduleInstances'
$filtered = Invoke-MgGraphRequest -Uri '/v1.0/roleManagement/directory/roleAssignments?$filter=principalId eq ''${GROUP}'''
$names = Invoke-MgGraphRequest -Uri '/v1.0/roleManagement/directory/roleDefinitions?$select=id,displayName'
$members = Invoke-MgGraphRequest -Uri '/v1.0/groups/${GROUP}/members?$select=id'
$badExpand = Catch-Sim { Invoke-MgGraphRequest -Uri '/v1.0/roleManagement/directory/roleAssignments?$expand=nothing' }
@{ assignments = @($assignments.value | ForEach-Object { @{ principalId = $_.principalId; roleDefinitionId = $_.roleDefinitionId; directoryScopeId = $_.directoryScopeId; type = $_.principal['@odata.type'] } })
   eligible = @($eligible.value | ForEach-Object { @{ principalId = $_.principalId; directoryScopeId = $_.directoryScopeId; memberType = $_.memberType } })
   filtered = @($filtered.value).Count
   names = @($names.value | Where-Object { $_.id -eq '729827e3-9c14-49f7-bb1b-9608f156bbb8' } | ForEach-Object { $_.displayName })
   members = @($members.value | ForEach-Object { $_.id }); badExpand = $badExpand.error }`);
    expect(r.assignments).to.deep.equal([
      { principalId: ADMIN, roleDefinitionId: GA_TEMPLATE, directoryScopeId: '/', type: '#microsoft.graph.user' },
      { principalId: GROUP, roleDefinitionId: '729827e3-9c14-49f7-bb1b-9608f156bbb8', directoryScopeId: '/administrativeUnits/au-1', type: '#microsoft.graph.group' },
    ]);
    expect(r.eligible).to.deep.equal([{ principalId: USER, directoryScopeId: '/', memberType: 'Direct' }]);
    expect(r.filtered).to.equal(1);
    expect(r.names).to.deep.equal(['Helpdesk Administrator']);
    expect(r.members).to.deep.equal([MEMBER]);
    expect(r.badExpand).to.be.a('string');
  });

});
