// What lets the simulator stand in at scale: the parsed state kept between calls (and dropped when
// another writer changes the file), indexes for lookups and equality filters, and the simulator
// server that runs the fakes in a process of their own. Each must give the same answers as before.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { killTree } from '../../lib/bridge/reaper.js';
import { projectRoot } from '../../lib/paths.js';
import { resolveTestHost } from '../helpers/host.js';
import type { SimState } from '../../lib/sim/state.js';
import { adUser, baseState, cloudUser, makeSimDir, readCalls, readState, removeSimDir, runSimJson, type Json } from './fixtures.js';

const ANN = 'a0000000-0000-4000-8000-00000000a001';

function world(): SimState {
  const s = baseState();
  s.forest.users.push(adUser({ sam: 'ann', upn: 'ann@contoso.com', name: 'Ann Lee', objectGuid: ANN, mail: 'ann@contoso.com', proxyAddresses: ['SMTP:ann@contoso.com'] }));
  s.forest.users.push(adUser({ sam: 'bob', upn: 'bob@contoso.com', name: 'Bob Ray', extra: { title: 'Ops' } }));
  s.forest.users.push(adUser({ sam: 'cid', upn: 'cid@contoso.com', name: 'Cid Moe', ou: 'OU=Staff,DC=contoso,DC=local' }));
  s.tenant.users.push(cloudUser({ upn: 'ann@contoso.com' }));
  return s;
}

/** The same questions, asked in one process: equality filters the index answers, and ones it must not. */
const QUESTIONS = `
Import-Module ActiveDirectory
function sams($f) { , @(Get-ADUser -LDAPFilter $f | ForEach-Object { $_.SamAccountName } | Sort-Object) }
@{
  orOfIndexed = sams '(|(userPrincipalName=ANN@CONTOSO.COM)(sAMAccountName=bob)(sAMAccountName=nobody))'
  dn = sams '(distinguishedName=CN=Cid Moe,OU=Staff,DC=contoso,DC=local)'
  andNarrowed = sams '(&(sAMAccountName=bob)(title=Ops))'
  andExcludes = sams '(&(sAMAccountName=bob)(title=Dev))'
  orWithOther = sams '(|(sAMAccountName=ann)(title=Ops))'
  notIndexed = sams '(!(sAMAccountName=ann))'
  byGuid = (Get-ADUser -Identity '${ANN}').SamAccountName
  bySam = (Get-ADUser -Identity 'CID').SamAccountName
  missing = (Catch-Sim { Get-ADUser -Identity 'nobody' }).type
  pid = $PID
}`;

function expectAnswers(r: Json): void {
  expect(r.orOfIndexed).to.deep.equal(['ann', 'bob']);
  expect(r.dn).to.deep.equal(['cid']);
  expect(r.andNarrowed).to.deep.equal(['bob']);
  expect(r.andExcludes).to.deep.equal([]);
  expect(r.orWithOther).to.deep.equal(['ann', 'bob']);
  expect(r.notIndexed).to.deep.equal(['bob', 'cid']);
  expect(r.byGuid).to.equal('ann');
  expect(r.bySam).to.equal('cid');
  expect(r.missing).to.equal('Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException');
}

interface Server {
  pipe: string;
  child: ChildProcess;
  stderr: () => string;
}

async function startServer(dir: string, pipe: string, env: Record<string, string> = {}): Promise<Server> {
  const host = await resolveTestHost();
  const child = spawn(host, ['-NoLogo', '-NoProfile', '-NonInteractive', '-File', path.join(projectRoot, 'ps', 'sim', 'tools', 'Start-SimServer.ps1'), '-PipeName', pipe], {
    env: { ...process.env, TERM: 'dumb', UPN_MATCH_SIM_DIR: dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d) => (err += String(d)));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += String(d);
      if (out.includes(`ready ${pipe}`)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the simulator server ended (exit ${code}): ${err}`)));
  });
  return { pipe, child, stderr: () => err };
}

describe('sim: state cache, indexes and the simulator server', function () {
  this.timeout(120_000);
  let dir = '';
  beforeEach(() => {
    dir = makeSimDir(world());
  });
  afterEach(() => removeSimDir(dir));

  it('answers equality filters through the index exactly as a full read would', async () => {
    expectAnswers(await runSimJson(dir, QUESTIONS));
  });

  it('sees its own writes and another writer\'s change to state.json on the next call', async () => {
    const r = await runSimJson(dir, `
Import-Module ActiveDirectory
function sams($f) { , @(Get-ADUser -LDAPFilter $f | ForEach-Object { $_.SamAccountName } | Sort-Object) }
$before = sams '(userPrincipalName=ann@contoso.com)'
Set-ADUser -Identity ann -UserPrincipalName 'ann@fabrikam.com'
$afterOwnWrite = @{ old = (sams '(userPrincipalName=ann@contoso.com)'); new = (sams '(userPrincipalName=ann@fabrikam.com)') }
# Another writer (the CLI, a test) rewrites the file outside the fakes: same size, later write time.
$path = Join-Path $env:UPN_MATCH_SIM_DIR 'state.json'
$text = [IO.File]::ReadAllText($path).Replace('"SamAccountName": "bob"', '"SamAccountName": "bee"')
Start-Sleep -Milliseconds 20
[IO.File]::WriteAllText($path, $text)
@{
  before = $before; afterOwnWrite = $afterOwnWrite
  renamed = (sams '(sAMAccountName=bee)'); oldName = (sams '(sAMAccountName=bob)')
  identity = (Get-ADUser -Identity bee).SamAccountName
}`);
    expect(r.before).to.deep.equal(['ann']);
    expect(r.afterOwnWrite).to.deep.equal({ old: [], new: ['ann'] });
    expect(r.renamed).to.deep.equal(['bee']);
    expect(r.oldName).to.deep.equal([]);
    expect(r.identity).to.equal('bee');
  });

  describe('the server', () => {
    let server: Server | null = null;
    afterEach(() => {
      // The whole tree: a .NET-tool pwsh is a launcher whose child runs PowerShell.
      if (server?.child.pid) killTree(server.child.pid);
      server = null;
    });

    it('gives a client the same answers and errors as the fakes in its own process, and logs the client\'s pid', async () => {
      server = await startServer(dir, `upn-match-test-${process.pid}-a`);
      const env = { UPN_MATCH_SIM_SERVER: server.pipe };
      const q = await runSimJson(dir, QUESTIONS, env);
      expectAnswers(q);
      const r = await runSimJson(dir, `
Import-Module ActiveDirectory, Microsoft.Graph.Authentication
$user = Get-ADUser -Identity ann -Properties proxyAddresses, 'mS-DS-ConsistencyGuid'
Set-ADUser -Identity $user.ObjectGUID -UserPrincipalName 'ann@fabrikam.com'
New-ADUser -Name 'Dee Fox' -SamAccountName dee -UserPrincipalName 'dee@contoso.com' -Path 'OU=Staff,DC=contoso,DC=local'
# The server keeps these writes in memory and updates its index: the searches it answers from the index alone
# see the new values and no longer the old one, and a taken UPN is still refused.
function sams($f) { , @(Get-ADUser -LDAPFilter $f | ForEach-Object { $_.SamAccountName } | Sort-Object) }
$indexed = @{ old = (sams '(userPrincipalName=ann@contoso.com)'); new = (sams '(|(userPrincipalName=ann@fabrikam.com)(sAMAccountName=dee))'); created = (Get-ADUser -Identity dee).UserPrincipalName
  taken = (Catch-Sim { Set-ADUser -Identity bob -UserPrincipalName 'ANN@fabrikam.com' }).fqid }
Connect-MgGraph -Scopes 'User.Read.All' -NoWelcome
$page = Invoke-MgGraphRequest -Method GET -Uri '/v1.0/users?$select=id,userPrincipalName'
$notFound = Catch-Sim { Invoke-MgGraphRequest -Method GET -Uri '/v1.0/users/nobody@contoso.com' }
$status = $null
try { Invoke-MgGraphRequest -Method GET -Uri '/v1.0/users/nobody@contoso.com' } catch { $status = [int]$_.Exception.Response.StatusCode }
@{
  pid = $PID; guidType = $user.ObjectGUID.GetType().FullName; proxies = @($user.proxyAddresses); indexed = $indexed
  upns = @($page.value | ForEach-Object { $_.userPrincipalName }); notFound = $notFound; status = $status
  adMissing = (Catch-Sim { Get-ADUser -Identity nobody })
}`, env);
      expect(r.guidType).to.equal('System.Guid');
      expect(r.proxies).to.deep.equal(['SMTP:ann@contoso.com']);
      expect(r.upns).to.deep.equal(['ann@contoso.com']);
      expect(r.status).to.equal(404);
      expect(r.notFound.type).to.equal('Microsoft.Graph.PowerShell.Authentication.Helpers.HttpResponseException');
      expect(r.notFound.details).to.contain('Request_ResourceNotFound');
      expect(r.adMissing.type).to.equal('Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException');
      expect(r.adMissing.category).to.equal('ObjectNotFound');
      expect(r.adMissing.fqid).to.match(/^ActiveDirectoryCmdlet:Microsoft\.ActiveDirectory\.Management\.ADIdentityNotFoundException,Get-ADUser$/);
      expect(r.indexed).to.deep.equal({ old: [], new: ['ann', 'dee'], created: 'dee@contoso.com', taken: 'ActiveDirectoryServer:8648,Set-ADUser' });
      // The writes landed in the world the server holds and are in state.json once the client has ended (it asks
      // the server to save as it exits), and the log names the client, not the server.
      expect(readState(dir).forest.users.find((u: Json) => u.SamAccountName === 'ann').UserPrincipalName).to.equal('ann@fabrikam.com');
      expect(readState(dir).forest.users.map((u: Json) => u.SamAccountName)).to.include('dee');
      expect([...new Set(readCalls(dir).map((c) => c.pid))].sort()).to.deep.equal([q.pid, r.pid].sort());
      expect(server.stderr()).to.equal('');
    });

    it('warms up before it is ready without touching the world: no call log, no counters, the same state.json, no Graph sign-in', async () => {
      const before = readFileSync(path.join(dir, 'state.json'));
      server = await startServer(dir, `upn-match-test-${process.pid}-w`);
      expect(readFileSync(path.join(dir, 'state.json')).equals(before)).to.equal(true);
      expect(existsSync(path.join(dir, 'calls.jsonl'))).to.equal(false);
      expect(existsSync(path.join(dir, 'counters.json'))).to.equal(false);
      const r = await runSimJson(dir, `
Import-Module Microsoft.Graph.Authentication, ADSync
@{ context = $null -eq (Get-MgContext); request = (Catch-Sim { Invoke-MgGraphRequest -Method GET -Uri '/v1.0/users' }).error; busy = (Get-ADSyncScheduler).SyncCycleInProgress }`, { UPN_MATCH_SIM_SERVER: server.pipe });
      expect(r.context).to.equal(true);
      expect(r.request).to.contain('Connect-MgGraph');
      expect(r.busy).to.equal(false);
      expect(readCalls(dir).map((c) => c.command)).to.deep.equal(['Invoke-MgGraphRequest', 'Get-ADSyncScheduler']);
      expect(server.stderr()).to.equal('');
    });

    it('sends a large output a part at a time, whole and in order, and serves calls made between the parts', async () => {
      // Parts of 2 objects: the 3 accounts come in 2 parts; each account is looked up again while the search is read.
      server = await startServer(dir, `upn-match-test-${process.pid}-p`, { UPN_MATCH_SIM_SERVER_PART: '2' });
      const r = await runSimJson(dir, `
Import-Module ActiveDirectory
$seen = @(Get-ADUser -Filter * | ForEach-Object { (Get-ADUser -Identity $_.ObjectGUID).SamAccountName })
@{ seen = $seen; first = @(Get-ADUser -Filter * | Select-Object -First 1).Count }`, { UPN_MATCH_SIM_SERVER: server.pipe });
      expect(r.seen).to.deep.equal(['ann', 'bob', 'cid']);
      expect(r.first).to.equal(1);
      expect(server.stderr()).to.equal('');
    });

    it('serves clients that call at the same time, one call after another', async () => {
      server = await startServer(dir, `upn-match-test-${process.pid}-b`);
      const env = { UPN_MATCH_SIM_SERVER: server.pipe };
      const code = `
Import-Module ActiveDirectory
$n = 0
foreach ($i in 1..15) { if ((Get-ADUser -Identity ann).SamAccountName -eq 'ann') { $n++ } }
@{ n = $n }`;
      const results = await Promise.all([runSimJson(dir, code, env), runSimJson(dir, code, env), runSimJson(dir, code, env)]);
      expect(results.map((x) => x.n)).to.deep.equal([15, 15, 15]);
      expect(readCalls(dir).filter((c) => c.command === 'Get-ADUser')).to.have.length(45);
    });

    it('sends back the variables a fake sets, the errors it writes (with the caller\'s ErrorAction), AD error codes and the SDK\'s retry failure', async () => {
      removeSimDir(dir);
      // The cloud user search is always throttled; everything else answers.
      dir = makeSimDir(world(), { faults: { fail: [{ command: 'Invoke-MgGraphRequest', route: 'GET /v1.0/users', status: 429, code: 'TooManyRequests', message: 'Please retry again later.', retryAfterSeconds: 0 }] } });
      server = await startServer(dir, `upn-match-test-${process.pid}-v`);
      const r = await runSimJson(dir, `
Import-Module ActiveDirectory, Microsoft.Graph.Authentication
Connect-MgGraph -Scopes 'User.Read.All', 'Organization.Read.All' -NoWelcome
$request = 'a local of the server'
$null = Invoke-MgGraphRequest -Uri '/v1.0/organization' -StatusCodeVariable request -ResponseHeadersVariable headers
$status = 'unset'
$out = Invoke-MgGraphRequest -Uri '/v1.0/users' -StatusCodeVariable status -ErrorAction SilentlyContinue -ErrorVariable failed
$stopped = Catch-Sim { Invoke-MgGraphRequest -Uri '/v1.0/users' }
$upn = $null
try { Set-ADUser -Identity bob -UserPrincipalName 'ann@contoso.com' } catch { $upn = @{ type = $_.Exception.GetType().FullName; code = $_.Exception.ErrorCode; fqid = $_.FullyQualifiedErrorId } }
@{
  request = $request; headerType = $headers.GetType().Name; requestId = @($headers['request-id']).Count
  out = ($null -eq $out); status = $status; failed = $failed.Count; type = $failed[0].Exception.GetType().FullName
  inner = @($failed[0].Exception.InnerExceptions | ForEach-Object { $_.ResponseStatusCode })
  message = $failed[0].Exception.InnerExceptions[0].Message
  stopped = $stopped.type; upn = $upn
}`, { UPN_MATCH_SIM_SERVER: server.pipe });
      expect(r.request).to.equal(200);
      expect(r.headerType).to.equal('Hashtable');
      expect(r.requestId).to.equal(1);
      expect(r.out).to.equal(true);
      expect(r.status).to.equal('unset');
      expect(r.failed).to.equal(1);
      expect(r.type).to.equal('System.AggregateException');
      expect(r.inner).to.deep.equal([429, 429, 429, 429]);
      expect(r.message).to.match(/^HTTP request failed with status code: TooManyRequests\./);
      expect(r.stopped).to.equal('System.AggregateException');
      expect(r.upn).to.deep.equal({ type: 'Microsoft.ActiveDirectory.Management.ADException', code: 8648, fqid: 'ActiveDirectoryServer:8648,Set-ADUser' });
      expect(readCalls(dir).filter((c) => c.route === 'GET /v1.0/users')).to.have.length(8);
      expect(server.stderr()).to.equal('');
    });

    it('refuses a kill fault instead of killing itself', async () => {
      removeSimDir(dir);
      dir = makeSimDir(world(), { faults: { kill: [{ command: 'Get-ADUser', when: 'before', target: 'host' }] } });
      server = await startServer(dir, `upn-match-test-${process.pid}-c`);
      const r = await runSimJson(dir, `Import-Module ActiveDirectory; @{ e = (Catch-Sim { Get-ADUser -Identity ann }).error }`, { UPN_MATCH_SIM_SERVER: server.pipe });
      expect(r.e).to.contain('kill faults cannot be injected through the simulator server');
      // Still serving: the next call is answered.
      const again = await runSimJson(dir, `Import-Module ActiveDirectory; @{ e = (Catch-Sim { Get-ADUser -Identity ann }).error }`, { UPN_MATCH_SIM_SERVER: server.pipe });
      expect(again.e).to.contain('kill faults cannot be injected');
    });
  });
});
