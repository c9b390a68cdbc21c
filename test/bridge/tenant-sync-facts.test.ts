// ps/steps/Get-TenantFacts.ps1 and Get-SyncServerFacts.ps1 under real pwsh against the fakes: every kind of role
// holder Graph serves (active, PIM-eligible, through a role-assignable group, scoped to an administrative unit),
// and the Entra Connect server's anchor and UPN attributes from Get-ADSyncGlobalSettings.
import path from 'node:path';
import { expect } from 'chai';
import { psDir } from '../../lib/paths.js';
import { baseState, cloudUser, GA_TEMPLATE, makeSimDir, psq, removeSimDir, runSimJson, type Json } from '../sim/fixtures.js';

const ADMIN = 'c0000000-0000-4000-8000-0000000000a1';
const ELIGIBLE = 'c0000000-0000-4000-8000-0000000000a2';
const MEMBER = 'c0000000-0000-4000-8000-0000000000a3';
const GROUP = 'g0000000-0000-4000-8000-0000000000a4';
const HELPDESK = '729827e3-9c14-49f7-bb1b-9608f156bbb8';

describe('ps/steps/Get-TenantFacts.ps1 and Get-SyncServerFacts.ps1: role holders of every kind, the server settings', function () {
  this.timeout(90_000);
  let dir = '';
  afterEach(() => removeSimDir(dir));

  it('reads active, PIM-eligible, group-held and AU-scoped role holders with their role names', async () => {
    const state = baseState();
    state.tenant.users.push(cloudUser({ upn: 'admin@contoso.com', id: ADMIN }), cloudUser({ upn: 'eli@contoso.com', id: ELIGIBLE }), cloudUser({ upn: 'gil@contoso.com', id: MEMBER }));
    state.tenant.directoryRoles.push({ id: 'r0000000-0000-4000-8000-000000000001', displayName: 'Global Administrator', roleTemplateId: GA_TEMPLATE, members: [ADMIN] });
    state.tenant.groups.push({ id: GROUP, displayName: 'Helpdesk Admins', mail: null, proxyAddresses: [], members: [MEMBER], isAssignableToRole: true });
    state.tenant.roleAssignments = [{ principalId: GROUP, roleDefinitionId: HELPDESK, directoryScopeId: '/administrativeUnits/au-1' }];
    state.tenant.roleEligibilities = [{ principalId: ELIGIBLE, roleDefinitionId: GA_TEMPLATE, directoryScopeId: '/' }];
    dir = makeSimDir(state);
    const r = await runSimJson(dir, `
Import-Module ${psq(path.join(psDir, 'UpnMatch.Common'))}
$out = & ${psq(path.join(psDir, 'steps', 'Get-TenantFacts.ps1'))} -Auth interactive
ConvertTo-UpnMatchWireValue $out`);
    const holders = (r.roleHolders as Json[]).map((h) => [h.userId, h.kind, h.roleName, h.directoryScopeId, h.viaGroup]);
    expect(holders).to.have.deep.members([
      [ADMIN, 'active', 'Global Administrator', '/', null],
      [MEMBER, 'active', 'Helpdesk Administrator', '/administrativeUnits/au-1', 'Helpdesk Admins'],
      [ELIGIBLE, 'eligible', 'Global Administrator', '/', null],
    ]);
    expect(r.roleEligibilityError).to.equal(null);
  });

  it('reads the source anchor attribute and the UPN attribute from Get-ADSyncGlobalSettings', async () => {
    const state = baseState();
    Object.assign(state.sync, { anchorAttribute: 'objectGUID', upnAttribute: 'mail' });
    dir = makeSimDir(state);
    const r = await runSimJson(dir, `
Import-Module ${psq(path.join(psDir, 'UpnMatch.Common'))}
$out = & ${psq(path.join(psDir, 'steps', 'Get-SyncServerFacts.ps1'))} -ComputerName local
ConvertTo-UpnMatchWireValue $out`);
    expect(r).to.include({ anchorAttribute: 'objectGUID', upnAttribute: 'mail' });
  });
});

// Rule sheet 8.3 / 10.5: whether Graph serves the features to an app is disputed; the step tries, and says when it was refused.
describe('ps/steps/Get-TenantFacts.ps1: the features read by an app (managed identity), served or refused', function () {
  this.timeout(90_000);
  let dir = '';
  afterEach(() => removeSimDir(dir));

  const readAppOnly = async (served: boolean) => {
    const state = baseState();
    state.tenant.apps = [{ appId: 'mi-1', managedIdentity: true, roles: ['Organization.Read.All', 'Domain.Read.All', 'RoleManagement.Read.Directory', 'OnPremDirectorySynchronization.Read.All'] }];
    if (served) state.tenant.appOnlyFeatureRead = true;
    dir = makeSimDir(state);
    return runSimJson(dir, `
Import-Module ${psq(path.join(psDir, 'UpnMatch.Common'))}
$out = & ${psq(path.join(psDir, 'steps', 'Get-TenantFacts.ps1'))} -Auth managed-identity
ConvertTo-UpnMatchWireValue $out`);
  };

  it('reads them itself where Graph serves an app with OnPremDirectorySynchronization.Read.All', async () => {
    const r = await readAppOnly(true);
    expect(r).to.include({ featuresSource: 'graph', featuresDenied: false, featuresError: null });
    expect(r.features).to.include({ softMatchOnUpnEnabled: true });
  });

  it('says the read was refused (403) where Graph serves delegated sign-ins only: no features, featuresDenied', async () => {
    const r = await readAppOnly(false);
    expect(r).to.include({ featuresSource: 'unavailable', featuresDenied: true, features: null });
    expect(r.featuresError).to.match(/HTTP 403.*OnPremDirectorySynchronization\.Read\.All/);
  });
});
