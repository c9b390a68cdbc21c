// Instrumentation of the fakes: call log, latency, injected faults (counted across processes), kills,
// and the locked read-modify-write under concurrent processes.
import { expect } from 'chai';
import { execa } from 'execa';
import path from 'node:path';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolveTestHost } from '../helpers/host.js';
import { runPowerShell, simModulesDir } from '../helpers/powershell.js';
import type { SimState } from '../../lib/sim/state.js';
import { adUser, baseState, cloudUser, makeSimDir, readCalls, readState, removeSimDir, runSim, runSimJson, TENANT_ID, type Json, CERTIFICATE_HELPER } from './fixtures.js';

const APP = `${CERTIFICATE_HELPER}$appThumbprint = New-SimTestCertificate CurrentUser 'CN=app-1'
Connect-MgGraph -ClientId 'app-1' -TenantId '${TENANT_ID}' -CertificateThumbprint $appThumbprint -NoWelcome`;

function world(): SimState {
  const s = baseState();
  s.forest.users.push(adUser({ sam: 'ann', upn: 'ann@contoso.com' }));
  s.tenant.users.push(cloudUser({ upn: 'ann@contoso.com' }));
  s.tenant.users.push(cloudUser({ upn: 'bob@contoso.com' }));
  return s;
}

describe('sim: instrumentation (call log, latency, faults, concurrency)', function () {
  this.timeout(120_000);
  let dir = '';
  afterEach(() => { if (dir) removeSimDir(dir); dir = ''; });

  it('appends one JSON line per call with time, pid, module, command, Graph route and bound parameters', async () => {
    dir = makeSimDir(world());
    const pid = await runSimJson(dir, `
Import-Module ActiveDirectory, Microsoft.Graph.Authentication
$null = Get-ADUser -Identity ann -Properties mail
$null = New-ADUser -Name 'Pat' -SamAccountName pat -AccountPassword (ConvertTo-SecureString 'Str0ng!Passw0rd' -AsPlainText -Force)
${APP}
$null = Invoke-MgGraphRequest -Uri "/v1.0/users?\`$filter=userPrincipalName eq 'ann@contoso.com'" -Headers @{ ConsistencyLevel = 'eventual' }
$PID`);
    const calls = readCalls(dir);
    expect(calls.map((c) => c.command)).to.deep.equal(['Get-ADUser', 'New-ADUser', 'Connect-MgGraph', 'Invoke-MgGraphRequest']);
    for (const c of calls) {
      expect(c.pid).to.equal(pid);
      expect(Date.parse(c.at)).to.be.greaterThan(0);
    }
    expect(calls[0]).to.deep.include({ module: 'ActiveDirectory', params: { Identity: 'ann', Properties: ['mail'] } });
    expect(calls[1].params.AccountPassword).to.equal('***');
    expect(calls[3].module).to.equal('Microsoft.Graph.Authentication');
    expect(calls[3].route).to.equal('GET /v1.0/users');
    expect(calls[3].params.Headers).to.deep.equal({ ConsistencyLevel: 'eventual' });
    expect(calls[0]).to.not.have.property('route');
  });

  it('applies latency per AD cmdlet and per Graph request: env wins over sim.json', async () => {
    dir = makeSimDir(world(), { sim: { latency: { graphMs: 1000, adMs: 5000 } } });
    const r = await runSimJson(dir, `
Import-Module ActiveDirectory, Microsoft.Graph.Authentication
${APP}
$sw = [Diagnostics.Stopwatch]::StartNew()
1..3 | ForEach-Object { $null = Get-ADUser ann }
$ad = $sw.ElapsedMilliseconds; $sw.Restart()
1..2 | ForEach-Object { $null = Invoke-MgGraphRequest -Uri '/v1.0/organization' }
$graph = $sw.ElapsedMilliseconds; $sw.Restart()
$null = Invoke-MgGraphRequest -Method POST -Uri '/v1.0/$batch' -Body @{ requests = @(1..4 | ForEach-Object { @{ id = [string]$_; method = 'GET'; url = '/organization' } }) }
$batch = $sw.ElapsedMilliseconds
@{ ad = $ad; graph = $graph; batch = $batch }`, { UPN_MATCH_SIM_AD_LATENCY_MS: '300' });
    expect(r.ad).to.be.at.least(900).and.below(4000);
    expect(r.graph).to.be.at.least(2000);
    // One round-trip for the whole batch (four would take 4,000 ms or more): a second long, so that a loaded
    // machine's slowness (once 1,100 ms for a 250 ms latency) cannot pass for a second round-trip.
    expect(r.batch).to.be.at.least(1000).and.below(4000);
  });

  it('fails the Nth call of a cmdlet, counted across processes; Graph faults are HTTP answers the SDK retries when it would', async () => {
    dir = makeSimDir(world(), {
      faults: {
        fail: [
          { command: 'Set-ADUser', nth: 2, message: 'The server is not operational', category: 'ResourceUnavailable' },
          { command: 'Invoke-MgGraphRequest', route: 'GET /v1.0/users', nth: 1, status: 403, code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' },
          { command: 'Invoke-MgGraphRequest', route: 'GET /v1.0/organization', nth: 1, status: 503, code: 'serviceNotAvailable', message: 'Service unavailable', retryAfterSeconds: 0 },
        ],
      },
    });
    const code = `Import-Module ActiveDirectory; Catch-Sim { Set-ADUser ann -Title "t$PID" }`;
    const first = await runSimJson(dir, code);
    const second = await runSimJson(dir, code);
    const third = await runSimJson(dir, code);
    expect(first.error).to.equal(null);
    expect(second.error).to.equal('The server is not operational');
    expect(second.category).to.equal('ResourceUnavailable');
    expect(third.error).to.equal(null);
    const graph = await runSimJson(dir, `
Import-Module Microsoft.Graph.Authentication
${APP}
$users = Catch-Sim { Invoke-MgGraphRequest -Uri '/v1.0/users' }
$org = Catch-Sim { Invoke-MgGraphRequest -Uri '/v1.0/organization' }
@{ users = $users.details; org = $org.error }`);
    // A 403 is not retried; the 503 is, and the second request gets the answer.
    expect(graph.users).to.match(/HTTP\/1\.1 403 Forbidden[\s\S]*"code":"Authorization_RequestDenied"/);
    expect(graph.org).to.equal(null);
    const graphCalls = readCalls(dir).filter((c) => c.command === 'Invoke-MgGraphRequest');
    expect(graphCalls.map((c) => `${c.route} ${c.retryAttempt ?? 0}`)).to.deep.equal(['GET /v1.0/users 0', 'GET /v1.0/organization 0', 'GET /v1.0/organization 1']);
    const counters = JSON.parse(readFileSync(path.join(dir, 'counters.json'), 'utf8'));
    expect(counters.commands['Set-ADUser']).to.equal(3);
  });

  it('answers 429 with Retry-After on every Kth Graph request; the SDK waits and sends it again; $batch items are not retried', async () => {
    dir = makeSimDir(world(), { faults: { graph429Every: 3, retryAfterSeconds: 1 } });
    const r = await runSimJson(dir, `
Import-Module Microsoft.Graph.Authentication
${APP}
$a = Catch-Sim { Invoke-MgGraphRequest -Uri '/v1.0/organization' }
$b = Catch-Sim { Invoke-MgGraphRequest -Uri '/v1.0/organization' }
$sw = [Diagnostics.Stopwatch]::StartNew()
$c = Invoke-MgGraphRequest -Uri '/v1.0/organization' -StatusCodeVariable status
$waited = $sw.ElapsedMilliseconds
$batch = Invoke-MgGraphRequest -Method POST -Uri '/v1.0/$batch' -Body @{ requests = @(1..3 | ForEach-Object { @{ id = [string]$_; method = 'GET'; url = '/organization' } }) } -StatusCodeVariable batchStatus
@{ a = $a.error; b = $b.error; c = @($c.value).Count; status = $status; waited = $waited; batchStatus = $batchStatus
   batch = @($batch.responses | Sort-Object { [int]$_.id } | ForEach-Object { $_.status }); batchRetry = @($batch.responses | Where-Object { $_.status -eq 429 } | ForEach-Object { $_.headers['Retry-After'] }) }`);
    expect(r.a).to.equal(null);
    expect(r.b).to.equal(null);
    expect(r.c).to.equal(1);
    expect(r.status).to.equal(200);
    expect(r.waited).to.be.at.least(1000); // Retry-After: 1
    // Requests 1-3 and the retry of the third (4); the batch's items are requests 5-7 and the 6th is throttled
    // inside a 200 answer, which the SDK hands back as it is.
    expect(r.batchStatus).to.equal(200);
    expect(r.batch).to.deep.equal([200, 429, 200]);
    expect(r.batchRetry).to.deep.equal(['1']);
    const calls = readCalls(dir).filter((c) => c.command === 'Invoke-MgGraphRequest');
    expect(calls.map((c) => c.retryAttempt ?? 0)).to.deep.equal([0, 0, 0, 1, 0]);
    const counters = JSON.parse(readFileSync(path.join(dir, 'counters.json'), 'utf8'));
    expect(counters.graphRequests).to.equal(7);
  });

  it('after 3 retries the SDK gives up: a non-terminating AggregateException over one ApiException per answer, no output, no status variable', async () => {
    dir = makeSimDir(world(), { faults: { graph429Every: 1, retryAfterSeconds: 0 } });
    const r = await runSimJson(dir, `
Import-Module Microsoft.Graph.Authentication
${APP}
$status = 'unset'
$out = Invoke-MgGraphRequest -Uri '/v1.0/organization' -StatusCodeVariable status -ErrorAction SilentlyContinue -ErrorVariable failed
$e = $failed[0]
$stopped = Catch-Sim { Invoke-MgGraphRequest -Uri '/v1.0/organization' }
@{ out = $null -eq $out; status = $status; count = $failed.Count; type = $e.Exception.GetType().FullName; message = $e.Exception.Message
   category = [string]$e.CategoryInfo.Category
   inner = @($e.Exception.InnerExceptions | ForEach-Object { @{ type = $_.GetType().FullName; status = $_.ResponseStatusCode; retryAfter = @($_.ResponseHeaders['Retry-After']) -join ','; message = $_.Message } })
   stopped = $stopped.type }`);
    expect(r.out).to.equal(true);
    expect(r.status).to.equal('unset');
    expect(r.count).to.equal(1);
    expect(r.type).to.equal('System.AggregateException');
    expect(r.message).to.match(/^Too many retries performed\. More than 3 retries encountered while sending the request\./);
    expect(r.category).to.equal('NotSpecified');
    expect(r.inner).to.have.length(4);
    for (const i of r.inner) {
      expect(i.type).to.equal('Microsoft.Kiota.Abstractions.ApiException');
      expect(i.status).to.equal(429);
      expect(i.retryAfter).to.equal('0');
      expect(i.message).to.match(/^HTTP request failed with status code: (TooManyRequests|429)\.\{"error":\{"code":"TooManyRequests"/);
    }
    // With the caller's $ErrorActionPreference = 'Stop' the written error stops the caller, as a cmdlet's does.
    expect(r.stopped).to.equal('System.AggregateException');
    const calls = readCalls(dir).filter((c) => c.command === 'Invoke-MgGraphRequest');
    expect(calls.map((c) => c.retryAttempt ?? 0)).to.deep.equal([0, 1, 2, 3, 0, 1, 2, 3]);
  });

  it('kills the host before or after a named call; the lock is released for the next process', async () => {
    dir = makeSimDir(world(), { faults: { kill: [{ command: 'Set-ADUser', nth: 1, when: 'before', target: 'host' }, { command: 'Set-ADUser', nth: 2, when: 'after', target: 'host' }] } });
    const code = `Import-Module ActiveDirectory; Set-ADUser ann -Title "t$PID"; 'survived'`;
    const before = await runSim(dir, code);
    expect(before.exitCode).to.not.equal(0);
    expect(before.stdout).to.not.contain('survived');
    expect(readState(dir).forest.users[0].title ?? null).to.equal(null);
    const after = await runSim(dir, code);
    expect(after.exitCode).to.not.equal(0);
    expect(after.stdout).to.not.contain('survived');
    expect(readState(dir).forest.users[0].title).to.match(/^t\d+$/);
    const third = await runSim(dir, code);
    expect(third.exitCode, third.stderr).to.equal(0);
    expect(third.stdout).to.contain('survived');
    expect(readCalls(dir).filter((c) => c.command === 'Set-ADUser')).to.have.length(3);
  });

  it('kills the parent process (the CLI) and then the host', async () => {
    dir = makeSimDir(world(), { faults: { kill: [{ command: 'Get-ADUser', nth: 1, when: 'before', target: 'parent' }] } });
    const host = await resolveTestHost();
    const script = `'${host.replace(/'/g, "'\\''")}' -NoLogo -NoProfile -NonInteractive -Command "Import-Module ActiveDirectory; Get-ADUser ann; 'host-survived'"; echo parent-survived`;
    const result = await execa('sh', ['-c', script], {
      env: { PSModulePath: simModulesDir, UPN_MATCH_SIM_DIR: dir, TERM: 'dumb' },
      extendEnv: true,
      reject: false,
      timeout: 60_000,
    });
    expect(result.stdout).to.not.contain('parent-survived');
    expect(result.stdout).to.not.contain('host-survived');
    expect(result.signal ?? result.exitCode).to.not.equal(0);
  });

  it('keeps every write when several processes change the world at once (exclusive lock, atomic replace)', async function () {
    // Six PowerShell starts at once: on a loaded 2-core machine one took longer than the helper's 60 s and was
    // killed (exit -1), which is the machine's speed, not the lock's fault.
    this.timeout(360_000);
    dir = makeSimDir(world());
    const workers = 6;
    const each = 3;
    const runs = Array.from({ length: workers }, (_, w) => runSim(dir, `
$ErrorActionPreference = 'Stop'
Import-Module ActiveDirectory
foreach ($i in 1..${each}) { Set-ADUser ann -Add @{ proxyAddresses = "smtp:w${w}n$i@contoso.com" } }
'ok'`, {}, 300_000));
    const results = await Promise.all(runs);
    for (const r of results) expect(r.exitCode, r.stderr).to.equal(0);
    const proxies: string[] = readState(dir).forest.users[0].proxyAddresses;
    expect(proxies).to.have.length(workers * each);
    expect(new Set(proxies).size).to.equal(workers * each);
    expect(readCalls(dir)).to.have.length(workers * each);
    expect(JSON.parse(readFileSync(path.join(dir, 'counters.json'), 'utf8')).commands['Set-ADUser']).to.equal(workers * each);
  });

  it('fails loudly, with the compiler\'s messages, when the compiled helper does not compile', async () => {
    const modules = mkdtempSync(path.join(os.tmpdir(), 'upn-sim-broken-'));
    try {
      cpSync(simModulesDir, modules, { recursive: true });
      const source = path.join(modules, 'UpnMatch.Sim', 'UpnMatch.Sim.Helpers.cs');
      writeFileSync(source, readFileSync(source, 'utf8').replace('public static class Data {', 'public static class Data { int broken = ;'));
      const r = await runPowerShell(`try { Import-Module ActiveDirectory -ErrorAction Stop; 'imported' } catch { 'failed: ' + $_.Exception.Message }`, {
        modulePath: [modules],
        timeoutMs: 120_000,
      });
      expect(r.stdout).to.contain(`failed: upn-match simulator: cannot compile ${source}`);
      expect(r.stdout).to.match(/error CS\d+/);
      expect(r.stdout).not.to.contain('imported');
    } finally {
      rmSync(modules, { recursive: true, force: true });
    }
  });
});
