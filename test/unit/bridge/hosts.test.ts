// Host resolution without touching the machine: platform, environment and file existence are
// passed in, so every machine the tool may meet can be described here.
import { expect } from 'chai';
import { BridgeError } from '../../../lib/bridge/errors.js';
import { hostEnvironment } from '../../../lib/bridge/runner.js';
import { INSTALL_HINT, chooseStepHost, editionOf, hostArguments, hostCandidates, projectDirectLauncherPath, projectToolPath, resolveHostSync, type HostCandidate, type HostEnvironment } from '../../../lib/bridge/hosts.js';
import { remoteSyncServer, steps } from '../../../lib/steps/registry.js';

const POSIX_ROOT = '/opt/upn-match';
const WIN_ROOT = 'C:\\upn-match';

function machine(platform: NodeJS.Platform, env: Record<string, string | undefined>, files: string[]): HostEnvironment & { probed: string[] } {
  const existing = new Set(files);
  const probed: string[] = [];
  return {
    platform,
    env,
    projectRoot: platform === 'win32' ? WIN_ROOT : POSIX_ROOT,
    exists: (file) => {
      probed.push(file);
      return existing.has(file);
    },
    probed,
  };
}

function hostError(fn: () => unknown): BridgeError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(BridgeError);
    return error as BridgeError;
  }
  expect.fail('expected a host-missing BridgeError');
}

describe('hosts: candidates on Linux/macOS', () => {
  const all = ['/cfg/pwsh', '/env/pwsh', '/usr/bin/pwsh', `${POSIX_ROOT}/.tools/pwsh`];
  const env = { UPN_MATCH_POWERSHELL: '/env/pwsh', PATH: '/usr/local/bin:/usr/bin' };

  it('orders config > UPN_MATCH_POWERSHELL > PATH > .tools/pwsh', () => {
    const candidates = hostCandidates(machine('linux', env, all), '/cfg/pwsh');
    expect(candidates).to.deep.equal([
      { path: '/cfg/pwsh', source: 'config' },
      { path: '/env/pwsh', source: 'env' },
      { path: '/usr/bin/pwsh', source: 'path' },
      { path: `${POSIX_ROOT}/.tools/pwsh`, source: 'project' },
    ]);
  });

  it('resolves to the configured host when it exists', () => {
    expect(resolveHostSync(machine('linux', env, all), '/cfg/pwsh')).to.deep.equal({ path: '/cfg/pwsh', source: 'config' });
  });

  it('resolves to UPN_MATCH_POWERSHELL without a config setting', () => {
    expect(resolveHostSync(machine('linux', env, all))).to.deep.equal({ path: '/env/pwsh', source: 'env' });
  });

  it('resolves to pwsh on PATH, the first PATH folder that has one', () => {
    const m = machine('darwin', { PATH: '/a::/b:/c' }, ['/b/pwsh', '/c/pwsh', `${POSIX_ROOT}/.tools/pwsh`]);
    expect(resolveHostSync(m)).to.deep.equal({ path: '/b/pwsh', source: 'path' });
    expect(m.probed).to.include('/a/pwsh');
    expect(m.probed).not.to.include('/pwsh'); // the empty PATH entry is skipped
  });

  it('splits PATH on ":" only, and looks for "pwsh" without .exe', () => {
    const m = machine('linux', { PATH: '/x;/y:/z' }, ['/x;/y/pwsh', '/z/pwsh.exe']);
    expect(hostCandidates(m)).to.deep.equal([{ path: '/x;/y/pwsh', source: 'path' }]);
  });

  it('falls back to the project-local .tools/pwsh', () => {
    const tool = `${POSIX_ROOT}/.tools/pwsh`;
    expect(projectToolPath({ platform: 'linux', projectRoot: POSIX_ROOT })).to.equal(tool);
    expect(resolveHostSync(machine('linux', { PATH: '/usr/bin' }, [tool]))).to.deep.equal({ path: tool, source: 'project' });
  });

  it('prefers the direct launcher setup writes beside the .NET tool, and offers the project host once', () => {
    const tool = `${POSIX_ROOT}/.tools/pwsh`;
    const direct = `${POSIX_ROOT}/.tools/pwsh-direct`;
    expect(projectDirectLauncherPath({ platform: 'linux', projectRoot: POSIX_ROOT })).to.equal(direct);
    expect(hostCandidates(machine('linux', { PATH: '/usr/bin' }, [tool, direct]))).to.deep.equal([{ path: direct, source: 'project' }]);
    // Without the .NET tool's own launcher the direct one is still used (it names pwsh.dll itself).
    expect(resolveHostSync(machine('linux', { PATH: '/usr/bin' }, [direct]))).to.deep.equal({ path: direct, source: 'project' });
  });

  it('never offers powershell.exe outside Windows, even if such a file exists', () => {
    const m = machine('linux', { PATH: '/usr/bin', SystemRoot: 'C:\\Windows' }, ['C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe']);
    expect(hostCandidates(m)).to.deep.equal([]);
  });

  it('lists a host found twice only once (UPN_MATCH_POWERSHELL pointing at the one on PATH)', () => {
    const m = machine('linux', { UPN_MATCH_POWERSHELL: '/usr/bin/pwsh', PATH: '/usr/bin' }, ['/usr/bin/pwsh']);
    expect(hostCandidates(m)).to.deep.equal([{ path: '/usr/bin/pwsh', source: 'env' }]);
  });

  it('ignores an empty UPN_MATCH_POWERSHELL and an empty config setting', () => {
    const m = machine('linux', { UPN_MATCH_POWERSHELL: '', PATH: '/usr/bin' }, ['/usr/bin/pwsh']);
    expect(resolveHostSync(m, '')).to.deep.equal({ path: '/usr/bin/pwsh', source: 'path' });
  });
});

describe('hosts: candidates on Windows', () => {
  const sys = 'D:\\Win';
  const windowsPs = `${sys}\\System32\\WindowsPowerShell\\v1.0\\powershell.exe`;
  const tool = `${WIN_ROOT}\\.tools\\pwsh.exe`;

  it('orders config > env > PATH (pwsh.exe) > .tools\\pwsh.exe > powershell.exe from SystemRoot', () => {
    const m = machine(
      'win32',
      { UPN_MATCH_POWERSHELL: 'E:\\ps\\pwsh.exe', PATH: 'C:\\Tools;C:\\Program Files\\PowerShell\\7', SystemRoot: sys },
      ['F:\\cfg\\pwsh.exe', 'E:\\ps\\pwsh.exe', 'C:\\Program Files\\PowerShell\\7\\pwsh.exe', tool, windowsPs],
    );
    expect(hostCandidates(m, 'F:\\cfg\\pwsh.exe')).to.deep.equal([
      { path: 'F:\\cfg\\pwsh.exe', source: 'config' },
      { path: 'E:\\ps\\pwsh.exe', source: 'env' },
      { path: 'C:\\Program Files\\PowerShell\\7\\pwsh.exe', source: 'path' },
      { path: tool, source: 'project' },
      { path: windowsPs, source: 'windows' },
    ]);
  });

  it('splits PATH on ";" and looks for pwsh.exe (not pwsh)', () => {
    const m = machine('win32', { PATH: 'C:\\a;;C:\\b', SystemRoot: sys }, ['C:\\a\\pwsh', 'C:\\b\\pwsh.exe']);
    expect(hostCandidates(m)).to.deep.equal([{ path: 'C:\\b\\pwsh.exe', source: 'path' }]);
    expect(m.probed).to.include('C:\\a\\pwsh.exe');
  });

  it('reads the PATH variable spelt "Path"', () => {
    const m = machine('win32', { Path: 'C:\\p7', SystemRoot: sys }, ['C:\\p7\\pwsh.exe']);
    expect(resolveHostSync(m)).to.deep.equal({ path: 'C:\\p7\\pwsh.exe', source: 'path' });
  });

  it('uses .tools\\pwsh.exe under the project root', () => {
    expect(projectToolPath({ platform: 'win32', projectRoot: WIN_ROOT })).to.equal(tool);
    expect(projectDirectLauncherPath({ platform: 'win32', projectRoot: WIN_ROOT })).to.equal(undefined);
    expect(resolveHostSync(machine('win32', { PATH: 'C:\\x', SystemRoot: sys }, [tool, windowsPs]))).to.deep.equal({ path: tool, source: 'project' });
  });

  it('falls back to Windows PowerShell 5.1 under SystemRoot', () => {
    expect(resolveHostSync(machine('win32', { PATH: 'C:\\x', SystemRoot: sys }, [windowsPs]))).to.deep.equal({ path: windowsPs, source: 'windows' });
  });

  it('uses windir, then C:\\Windows, when SystemRoot is not set', () => {
    const fromWindir = 'E:\\W\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
    expect(resolveHostSync(machine('win32', { windir: 'E:\\W' }, [fromWindir])).path).to.equal(fromWindir);
    const fallback = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
    expect(resolveHostSync(machine('win32', {}, [fallback])).path).to.equal(fallback);
  });

  it('adds -ExecutionPolicy Bypass for an .exe host only', () => {
    expect(hostArguments({ path: windowsPs, source: 'windows' })).to.deep.equal(['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass']);
    expect(hostArguments('C:\\x\\PWSH.EXE')).to.include('Bypass');
    expect(hostArguments('/usr/bin/pwsh')).to.deep.equal(['-NoLogo', '-NoProfile', '-NonInteractive']);
  });
});

describe('hosts: errors', () => {
  it('reports a configured host that does not exist, instead of passing over it', () => {
    const m = machine('linux', { PATH: '/usr/bin' }, ['/usr/bin/pwsh']);
    const error = hostError(() => resolveHostSync(m, '/nowhere/pwsh'));
    expect(error.reason).to.equal('host-missing');
    expect(error.code).to.equal('HostMissing');
    expect(error.message).to.contain('/nowhere/pwsh');
    expect(error.message).to.contain('config');
  });

  it('reports a UPN_MATCH_POWERSHELL that does not exist, instead of passing over it', () => {
    const m = machine('win32', { UPN_MATCH_POWERSHELL: 'Z:\\gone\\pwsh.exe', PATH: 'C:\\p7', SystemRoot: 'C:\\Windows' }, [
      'C:\\p7\\pwsh.exe',
      'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    ]);
    const error = hostError(() => resolveHostSync(m));
    expect(error.reason).to.equal('host-missing');
    expect(error.message).to.contain('UPN_MATCH_POWERSHELL');
    expect(error.message).to.contain('Z:\\gone\\pwsh.exe');
  });

  it('reports no host at all with the install hint', () => {
    for (const m of [machine('linux', { PATH: '/usr/bin:/bin' }, []), machine('win32', { PATH: 'C:\\x', SystemRoot: 'C:\\Windows' }, []), machine('darwin', {}, [])]) {
      expect(hostCandidates(m)).to.deep.equal([]);
      const error = hostError(() => resolveHostSync(m));
      expect(error.reason).to.equal('host-missing');
      expect(error.message).to.contain(INSTALL_HINT);
    }
    expect(INSTALL_HINT).to.match(/aka\.ms\/powershell/);
    expect(INSTALL_HINT).to.contain('npm run setup');
  });
});

describe('hosts: the environment PowerShell starts with', () => {
  const options = { host: { path: '/usr/bin/pwsh', source: 'path' as const }, env: { UPN_MATCH_SIM_DIR: '/sim' } };

  it('asks .NET to give memory back, with the runner options and no terminal codes', () => {
    expect(hostEnvironment(options, {})).to.include({ DOTNET_GCConserveMemory: '9', UPN_MATCH_SIM_DIR: '/sim', TERM: 'dumb', NO_COLOR: '1' });
  });

  it("leaves an admin's own DOTNET_GCConserveMemory alone (it is inherited as it is)", () => {
    expect(hostEnvironment(options, { DOTNET_GCConserveMemory: '0' })).not.to.have.property('DOTNET_GCConserveMemory');
  });
});

describe('bridge: the host of the ADSync steps (chooseStepHost)', () => {
  const pwshWin: HostCandidate = { path: 'C:\\Program Files\\PowerShell\\7\\pwsh.exe', source: 'path' };
  const winPs: HostCandidate = { path: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', source: 'windows' };
  const pwshLinux: HostCandidate = { path: '/opt/upn-match/.tools/pwsh-direct', source: 'project' };
  const env = { env: { SystemRoot: 'D:\\Win' } };
  const choose = (local: HostCandidate, platform: NodeJS.Platform, more: { configured?: string; remote?: string } = {}) =>
    chooseStepHost({ edition: 'Desktop', platform, local, env, ...more });

  it('the registry marks exactly the ADSync steps as needing Windows PowerShell (Desktop)', () => {
    const desktop = Object.values(steps).filter((s) => s.edition === 'Desktop');
    expect(desktop.map((s) => s.id).sort()).to.deep.equal(['sync-facts', 'sync-started']);
    for (const step of desktop) expect(step.modules).to.deep.equal(['ADSync']);
  });

  it('on Windows under PowerShell 7: Windows PowerShell 5.1 from SystemRoot, a process of its own', () => {
    const choice = choose(pwshWin, 'win32');
    expect(choice.host).to.deep.equal({ path: 'D:\\Win\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', source: 'windows' });
    expect(choice.separate).to.equal(true);
    expect(choice.why).to.match(/Windows PowerShell 5\.1/);
  });

  it('on Windows already under Windows PowerShell 5.1: the same host, no second process', () => {
    expect(choose(winPs, 'win32')).to.include({ host: winPs, separate: false });
  });

  it('outside Windows (no powershell.exe; the simulator): the tool\'s own pwsh', () => {
    expect(choose(pwshLinux, 'linux')).to.include({ host: pwshLinux, separate: false });
    expect(choose(pwshLinux, 'darwin')).to.include({ host: pwshLinux, separate: false });
  });

  it('the config overrides: "same" keeps pwsh on Windows, a path is used as it is', () => {
    expect(choose(pwshWin, 'win32', { configured: 'same' })).to.include({ host: pwshWin, separate: false });
    const explicit = choose(pwshWin, 'win32', { configured: 'E:\\ps\\powershell.exe' });
    expect(explicit.host).to.deep.equal({ path: 'E:\\ps\\powershell.exe', source: 'config' });
    expect(explicit.separate).to.equal(true);
    expect(choose(pwshLinux, 'linux', { configured: pwshLinux.path }).separate).to.equal(false);
  });

  it('a remote sync server: the tool\'s own host calls Invoke-Command, whatever the config says of local hosts', () => {
    const choice = choose(pwshWin, 'win32', { remote: 'aadc01', configured: 'E:\\ps\\powershell.exe' });
    expect(choice).to.include({ host: pwshWin, separate: false });
    expect(choice.why).to.match(/aadc01/);
    expect(remoteSyncServer('aadc01.contoso.com')).to.equal('aadc01.contoso.com');
    expect([remoteSyncServer(undefined), remoteSyncServer('local'), remoteSyncServer('LocalHost')]).to.deep.equal([undefined, undefined, undefined]);
  });

  it('steps with no edition stay on the tool\'s own host', () => {
    expect(chooseStepHost({ edition: undefined, platform: 'win32', local: pwshWin })).to.include({ host: pwshWin, separate: false });
  });

  it('tells the edition from the file name', () => {
    expect([editionOf(winPs), editionOf('powershell'), editionOf(pwshWin), editionOf(pwshLinux)]).to.deep.equal(['Desktop', 'Desktop', 'Core', 'Core']);
  });
});
