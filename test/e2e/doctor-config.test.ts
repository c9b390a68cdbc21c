// doctor --config: signs in to Graph as the config says and reads the tenant, as a scheduled run's first call
// does; a missing application permission is named, a missing certificate is reported before any request.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { runPowerShell } from '../helpers/powershell.js';
import { CERTIFICATE_HELPER } from '../sim/fixtures.js';
import { initSim, readState, runCli } from './cli.js';

const CLIENT = '00000000-0000-0000-0000-0000000000cc';

describe('end to end: doctor --config tries the sign-in and the first read', function () {
  this.timeout(300_000);

  it('names the missing permission, then reads the tenant once it is granted; a certificate not in any store fails the sign-in', async () => {
    const dir = await initSim('happy-path');
    const seeded = await runPowerShell(`${CERTIFICATE_HELPER}New-SimTestCertificate LocalMachine 'CN=upn-match'`, { env: { UPN_MATCH_SIM_DIR: dir } });
    const thumbprint = seeded.stdout.trim();
    expect(thumbprint, seeded.stderr).to.match(/^[0-9A-F]{40}$/);
    const grant = (roles: string[]) => {
      const state = readState(dir);
      state.tenant.apps = [{ appId: CLIENT, displayName: 'upn-match', certificateThumbprints: [thumbprint], roles }];
      writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state, null, 2));
    };
    const config = (graph: Record<string, string>) => {
      const file = path.join(dir, `doctor-${Object.values(graph).join('-').replace(/[^A-Za-z0-9]/g, '')}.json`);
      writeFileSync(file, JSON.stringify({ graph: { auth: 'certificate', tenantId: readState(dir).tenant.tenantId, clientId: CLIENT, ...graph }, workDir: path.join(dir, 'work') }));
      return file;
    };

    grant(['User.Read.All', 'Domain.Read.All', 'RoleManagement.Read.Directory']);
    const denied = await runCli(['doctor', '--sim', dir, '--config', config({ certificateThumbprint: thumbprint }), '--json']);
    expect(denied.exitCode, denied.stderr).to.equal(6);
    expect(denied.json.graph).to.include({ signedIn: true, missingPermission: 'Organization.Read.All' });
    expect(denied.json.problems.join('\n')).to.contain('the app lacks the permission Organization.Read.All');

    grant(['User.Read.All', 'Domain.Read.All', 'RoleManagement.Read.Directory', 'Organization.Read.All']);
    const ready = await runCli(['doctor', '--sim', dir, '--config', config({ certificateSubject: 'CN=upn-match' }), '--json']);
    expect(ready.json.graph).to.deep.equal({ signedIn: true, tenantId: readState(dir).tenant.tenantId, error: null, missingPermission: null });
    expect(ready.exitCode, JSON.stringify(ready.json.problems)).to.equal(0);
    // The ADSync steps' host: on this machine (no powershell.exe) the tool's own pwsh, where ADSync was checked.
    const [others, adsync] = ready.json.stepHosts;
    expect(others.host).to.equal(ready.json.host);
    expect(adsync).to.include({ group: 'ADSync steps', host: ready.json.host });
    expect(adsync.why).to.match(/no Windows PowerShell/);
    expect(adsync.modules.map((m: { name: string; importable: boolean }) => [m.name, m.importable])).to.deep.equal([['ADSync', true]]);

    // A remote server: the check goes there through Invoke-Command (no WSMan client on Linux: it says so).
    const remoteConfig = config({ certificateSubject: 'CN=upn-match' });
    writeFileSync(remoteConfig, JSON.stringify({ ...JSON.parse(readFileSync(remoteConfig, 'utf8')), syncServer: { computerName: 'aadc01' } }));
    const remote = await runCli(['doctor', '--sim', dir, '--config', remoteConfig, '--json']);
    expect(remote.json.stepHosts[1]).to.include({ host: 'aadc01 (Invoke-Command)' });
    expect(remote.json.modules.find((m: { name: string }) => m.name === 'ADSync').required).to.equal(false);
    expect(remote.json.problems.join('\n')).to.match(/the module check on aadc01 failed: .*WSMan/);

    const noCertificate = await runCli(['doctor', '--sim', dir, '--config', config({ certificateSubject: 'CN=nobody' }), '--json']);
    expect(noCertificate.exitCode).to.equal(6);
    expect(noCertificate.json.graph.signedIn).to.equal(false);
    expect(noCertificate.json.graph.error).to.match(/^GraphCertificateNotFound: no valid certificate with subject CN=nobody/);
  });
});
