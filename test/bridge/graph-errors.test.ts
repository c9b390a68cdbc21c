// ps/UpnMatch.Directory's Graph helpers under real pwsh against the fake SDK: the status of a failed request is
// read from the error's structure, and no retry of ours is stacked on the SDK's own (each attempt is a request
// in the simulator's call log).
import path from 'node:path';
import { expect } from 'chai';
import { psDir } from '../../lib/paths.js';
import type { SimState } from '../../lib/sim/state.js';
import { baseState, CERTIFICATE_HELPER, cloudUser, makeSimDir, psq, readCalls, removeSimDir, runSimJson, TENANT_ID, type Json } from '../sim/fixtures.js';

// App-only sign-in with a certificate of the current user's store (where the fake -CertificateThumbprint looks).
const HELPERS = `
${CERTIFICATE_HELPER}
$thumbprint = New-SimTestCertificate 'CurrentUser' 'CN=upn-match-test' -1 300
Import-Module ${psq(path.join(psDir, 'UpnMatch.Common'))}
Import-Module ${psq(path.join(psDir, 'UpnMatch.Directory'))}
Import-Module Microsoft.Graph.Authentication
Connect-MgGraph -ClientId 'app-1' -TenantId '${TENANT_ID}' -CertificateThumbprint $thumbprint -NoWelcome
function Fail([scriptblock] $Block) {
  try { $null = & $Block; return $null }
  catch { $e = Get-UpnMatchErrorInfo $_; $g = Get-UpnMatchGraphErrorInfo $_; return @{ code = $e.code; message = $e.message; status = $g.Status; graphCode = $g.Code } }
}`;

function world(): SimState {
  const s = baseState();
  for (const n of ['ann', 'bob', 'cid']) s.tenant.users.push(cloudUser({ upn: `${n}@contoso.com` }));
  return s;
}

function graphCalls(dir: string): Json[] {
  return readCalls(dir).filter((c) => c.command === 'Invoke-MgGraphRequest');
}

describe('ps/UpnMatch.Directory: Graph errors and retries', function () {
  this.timeout(120_000);
  let dir = '';
  afterEach(() => removeSimDir(dir));

  it('a 429 is retried by the SDK alone: one call of ours, two requests, and the answer', async () => {
    dir = makeSimDir(world(), { faults: { fail: [{ command: 'Invoke-MgGraphRequest', route: 'GET /v1.0/organization', nth: 1, status: 429, code: 'TooManyRequests', message: 'Please retry again later.', retryAfterSeconds: 0 }] } });
    const r = await runSimJson(dir, `${HELPERS}
$org = Invoke-UpnMatchGraph -Uri '/organization'
@{ count = @($org['value']).Count }`);
    expect(r.count).to.equal(1);
    expect(graphCalls(dir).map((c) => c.retryAttempt ?? 0)).to.deep.equal([0, 1]);
  });

  it('when the SDK gives up, one call of ours sent 4 requests (not 4 per retry of ours) and stops GraphRequestFailed with the status', async () => {
    dir = makeSimDir(world(), { faults: { graph429Every: 1, retryAfterSeconds: 0 } });
    const r = await runSimJson(dir, `${HELPERS}
@{ failed = (Fail { Invoke-UpnMatchGraph -Uri '/organization' }) }`);
    expect(r.failed).to.include({ code: 'GraphRequestFailed', status: 429 });
    expect(r.failed.message).to.equal("Graph kept answering HTTP 429 to GET /organization after the Graph SDK's retries");
    expect(graphCalls(dir)).to.have.length(4);
  });

  it('a 403 is GraphAccessDenied with the Graph error code, read from the response (not retried); a 404 keeps the SDK error and its status', async () => {
    dir = makeSimDir(world(), { faults: { fail: [{ command: 'Invoke-MgGraphRequest', route: 'GET /v1.0/organization', status: 403, code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' }] } });
    const r = await runSimJson(dir, `${HELPERS}
@{ denied = (Fail { Invoke-UpnMatchGraph -Uri '/organization' }); missing = (Fail { Invoke-UpnMatchGraph -Uri '/users/nobody@contoso.com' }) }`);
    expect(r.denied).to.include({ code: 'GraphAccessDenied', status: 403, graphCode: 'Authorization_RequestDenied' });
    expect(r.denied.message).to.equal('Graph refused GET /organization (HTTP 403, Authorization_RequestDenied)');
    expect(r.missing).to.include({ code: 'PS.InvalidOperation', status: 404, graphCode: 'Request_ResourceNotFound' });
    expect(graphCalls(dir)).to.have.length(2);
  });

  it('$batch: items answered 429 inside the 200 answer are sent again by us (the SDK does not see them)', async () => {
    dir = makeSimDir(world(), { faults: { graph429Every: 2, retryAfterSeconds: 0 } });
    const r = await runSimJson(dir, `${HELPERS}
$answers = Invoke-UpnMatchGraphBatch -Requests @(@{ id = 'a'; url = '/users/ann@contoso.com' }, @{ id = 'b'; url = '/users/bob@contoso.com' }, @{ id = 'c'; url = '/users/cid@contoso.com' })
@{ statuses = @('a', 'b', 'c' | ForEach-Object { $answers[$_].status }); upns = @('a', 'b', 'c' | ForEach-Object { $answers[$_].body['userPrincipalName'] }) }`);
    expect(r.statuses).to.deep.equal([200, 200, 200]);
    expect(r.upns).to.deep.equal(['ann@contoso.com', 'bob@contoso.com', 'cid@contoso.com']);
    // Round 1: items 1-3 (the 2nd throttled); round 2: the throttled item alone (request 4, throttled again); round 3.
    const batches = graphCalls(dir).map((c) => (c.batch as string[]).length);
    expect(batches).to.deep.equal([3, 1, 1]);
  });

  it('Set-DirSyncFeature reads the 403 of an app-only sign-in from the status, not the text: DelegatedSignInRequired', async () => {
    dir = makeSimDir(world());
    const r = await runSimJson(dir, `
${CERTIFICATE_HELPER}
$thumbprint = New-SimTestCertificate 'LocalMachine' 'CN=upn-match-test' -1 300
Import-Module ${psq(path.join(psDir, 'UpnMatch.Common'))}
try {
  $null = & ${psq(path.join(psDir, 'steps', 'Set-DirSyncFeature.ps1'))} -Feature blockSoftMatchEnabled -Enable $true -Auth certificate -TenantId '${TENANT_ID}' -ClientId app-1 -CertificateThumbprint $thumbprint
  @{ code = $null }
} catch { @{ code = (Get-UpnMatchErrorInfo $_).code } }`);
    expect(r.code).to.equal('DelegatedSignInRequired');
  });
});

