// Graph sign-in against the fake Microsoft.Graph.Authentication: certificates seeded into the simulator's
// Cert: drive (DIR/certificates/<Location>/My), the fake's Connect-MgGraph -CertificateThumbprint searching the
// current user's store only (as documented), and upn-match's own lookup: LocalMachine\My first, then
// CurrentUser\My, by thumbprint or subject, valid certificates only, passed with -Certificate.
import { expect } from 'chai';
import { CERTIFICATE_HELPER, TENANT_ID, baseState, makeSimDir, removeSimDir, runSimJson } from './fixtures.js';

const CLIENT = '11111111-2222-3333-4444-555555555555';

/** Makes self-signed certificates in the simulator's stores; $t holds their thumbprints by name. */
const seed = `
${CERTIFICATE_HELPER}
$t = @{
  machine = New-SimTestCertificate 'LocalMachine' 'CN=upn-match' -10 300
  machineRenewed = New-SimTestCertificate 'LocalMachine' 'CN=upn-match' -2 300
  user = New-SimTestCertificate 'CurrentUser' 'CN=upn-match' -1 300
  expired = New-SimTestCertificate 'LocalMachine' 'CN=upn-match-old' -400 -1
}
Import-Module Microsoft.Graph.Authentication
Import-Module UpnMatch.Common
Import-Module UpnMatch.Directory
function Sign-In([hashtable] $With) {
  if (Get-MgContext) { $null = Disconnect-MgGraph }
  try { $c = Connect-UpnMatchGraph @With; return @{ thumbprint = $c.CertificateThumbprint; authType = $c.AuthType; environment = $c.Environment; scopes = @($c.Scopes) } }
  catch { return @{ error = $_.Exception.Message } }
}
`;

describe('Graph sign-in: certificate store, managed identity, clouds, scopes', function () {
  this.timeout(180_000);
  let dir = '';
  before(() => {
    const state = baseState();
    dir = makeSimDir(state);
  });
  after(() => removeSimDir(dir));

  it('finds the certificate in LocalMachine\\My (where the fake Connect-MgGraph -CertificateThumbprint does not look), then CurrentUser\\My, by thumbprint or subject', async () => {
    const out = await runSimJson(
      dir,
      `${seed}
$state = Get-Content -Raw (Join-Path $env:UPN_MATCH_SIM_DIR 'state.json') | ConvertFrom-Json
$state.tenant | Add-Member -NotePropertyName apps -NotePropertyValue @(@{ appId = '${CLIENT}'; displayName = 'upn-match'; certificateThumbprints = @($t.machine, $t.machineRenewed, $t.user); roles = @('User.Read.All') }) -Force
[System.IO.File]::WriteAllText((Join-Path $env:UPN_MATCH_SIM_DIR 'state.json'), ($state | ConvertTo-Json -Depth 30))
$cert = @{ Auth = 'certificate'; TenantId = '${TENANT_ID}'; ClientId = '${CLIENT}' }
$direct = Catch-Sim { Connect-MgGraph -TenantId '${TENANT_ID}' -ClientId '${CLIENT}' -CertificateThumbprint $t.machine -NoWelcome }
if (Get-MgContext) { $null = Disconnect-MgGraph }
$directUser = Catch-Sim { Connect-MgGraph -TenantId '${TENANT_ID}' -ClientId '${CLIENT}' -CertificateThumbprint $t.user -NoWelcome }
@{
  t = $t
  direct = $direct
  directUser = $directUser
  machine = Sign-In ($cert + @{ CertificateThumbprint = $t.machine })
  subject = Sign-In ($cert + @{ CertificateSubject = 'CN=upn-match' })
  user = Sign-In ($cert + @{ CertificateThumbprint = $t.user })
  expired = Sign-In ($cert + @{ CertificateThumbprint = $t.expired })
  missing = Sign-In ($cert + @{ CertificateSubject = 'CN=nobody' })
}`,
    );
    // The bug the lookup fixes: the real cmdlet's -CertificateThumbprint never sees the machine's store.
    expect(out.direct.error).to.equal(`${out.t.machine} certificate was not found or has expired.`);
    expect(out.directUser.error).to.equal(null);
    expect(out.machine).to.deep.include({ thumbprint: out.t.machine, authType: 'AppOnly' });
    // A renewed certificate keeps its subject: the valid one issued last, LocalMachine before CurrentUser.
    expect(out.subject.thumbprint).to.equal(out.t.machineRenewed);
    expect(out.user.thumbprint).to.equal(out.t.user);
    expect(out.expired.error).to.match(/no valid certificate with thumbprint \w+ in Cert:\\LocalMachine\\My or Cert:\\CurrentUser\\My/);
    expect(out.missing.error).to.contain('no valid certificate with subject CN=nobody');
  });

  it('signs in with a managed identity, in the configured national cloud, and asks delegated read scopes unless it writes', async () => {
    const out = await runSimJson(
      dir,
      `${seed}
@{
  identity = Sign-In @{ Auth = 'managed-identity'; Environment = 'USGov' }
  read = Sign-In @{ Auth = 'interactive' }
  write = (& { $null = Connect-UpnMatchGraph -Auth interactive -Access Write; @((Get-MgContext).Scopes) })
  deviceCode = (& { $null = Disconnect-MgGraph; $null = Connect-UpnMatchGraph -Auth device-code -Environment China; (Get-MgContext).TokenCredentialType + ' ' + (Get-MgContext).Environment })
  cloudCall = (& { $null = Disconnect-MgGraph; $null = Connect-UpnMatchGraph -Auth interactive -Environment USGovDoD; $page = Invoke-UpnMatchGraph -Uri '/organization?$select=id'; @($page['value']).Count })
}`,
    );
    expect(out.identity).to.deep.include({ authType: 'ManagedIdentity', environment: 'USGov' });
    expect(out.read.scopes).to.deep.equal(['User.Read.All', 'Directory.Read.All', 'RoleManagement.Read.Directory', 'OnPremDirectorySynchronization.Read.All']);
    expect(out.write).to.include('OnPremDirectorySynchronization.ReadWrite.All');
    expect(out.deviceCode).to.equal('DeviceCode China');
    expect(out.cloudCall).to.equal(1);
  });
});
