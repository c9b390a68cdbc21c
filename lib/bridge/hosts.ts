// Which PowerShell to run. Order: an explicit setting (config, then UPN_MATCH_POWERSHELL),
// pwsh on PATH, the project-local .NET tool in .tools/, and on Windows powershell.exe (5.1).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BridgeError } from './errors.js';
import { projectRoot } from '../paths.js';

export type HostSource = 'config' | 'env' | 'path' | 'project' | 'windows';

export interface HostCandidate {
  path: string;
  source: HostSource;
}

/** What host resolution looks at; passed in so tests can describe any machine. */
export interface HostEnvironment {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  exists: (file: string) => boolean;
  projectRoot: string;
}

export const currentEnvironment = (): HostEnvironment => ({
  platform: process.platform,
  env: process.env,
  exists: existsSync,
  projectRoot,
});

/** Where the project installs PowerShell as a .NET tool when a machine has none. */
export function projectToolPath(env: Pick<HostEnvironment, 'platform' | 'projectRoot'>): string {
  const p = env.platform === 'win32' ? path.win32 : path.posix;
  return p.join(env.projectRoot, '.tools', env.platform === 'win32' ? 'pwsh.exe' : 'pwsh');
}

/**
 * Outside Windows, `npm run setup` writes this beside the .NET tool: a script that execs
 * `dotnet pwsh.dll` itself. The tool's own launcher (.tools/pwsh) starts that as a child and waits,
 * a second .NET process of about 30 MB for every PowerShell the tool starts.
 */
export function projectDirectLauncherPath(env: Pick<HostEnvironment, 'platform' | 'projectRoot'>): string | undefined {
  return env.platform === 'win32' ? undefined : path.posix.join(env.projectRoot, '.tools', 'pwsh-direct');
}

function onPath(name: string, env: HostEnvironment): string | undefined {
  const p = env.platform === 'win32' ? path.win32 : path.posix;
  const pathVar = env.env.PATH ?? env.env.Path ?? '';
  const dirs = pathVar.split(env.platform === 'win32' ? ';' : ':').filter(Boolean);
  const names = env.platform === 'win32' ? [`${name}.exe`] : [name];
  for (const dir of dirs) {
    for (const file of names) {
      const full = p.join(dir, file);
      if (env.exists(full)) return full;
    }
  }
  return undefined;
}

/**
 * Every host this machine offers, best first. An explicit setting comes first even when the
 * file is missing, so that a wrong setting is reported instead of silently passed over.
 */
export function hostCandidates(env: HostEnvironment, configured?: string): HostCandidate[] {
  const found: HostCandidate[] = [];
  if (configured) found.push({ path: configured, source: 'config' });
  const fromEnv = env.env.UPN_MATCH_POWERSHELL;
  if (fromEnv) found.push({ path: fromEnv, source: 'env' });
  const pwsh = onPath('pwsh', env);
  if (pwsh) found.push({ path: pwsh, source: 'path' });
  const local = [projectDirectLauncherPath(env), projectToolPath(env)].find((file) => file !== undefined && env.exists(file));
  if (local) found.push({ path: local, source: 'project' });
  if (env.platform === 'win32') {
    const windows = windowsPowerShellPath(env);
    if (env.exists(windows)) found.push({ path: windows, source: 'windows' });
  }
  const seen = new Set<string>();
  return found.filter((c) => (seen.has(c.path) ? false : (seen.add(c.path), true)));
}

export const INSTALL_HINT =
  'install PowerShell 7 (https://aka.ms/powershell), or with the .NET SDK run `npm run setup` ' +
  '(dotnet tool install --tool-path .tools PowerShell --version 7.6.9), or set UPN_MATCH_POWERSHELL to a pwsh or powershell.exe';

/** The host to use: the first candidate, which must exist. */
export function resolveHostSync(env: HostEnvironment = currentEnvironment(), configured?: string): HostCandidate {
  const [first] = hostCandidates(env, configured);
  if (!first) {
    throw new BridgeError({ reason: 'host-missing', script: '-', message: `no PowerShell host found: ${INSTALL_HINT}` });
  }
  if ((first.source === 'config' || first.source === 'env') && !env.exists(first.path)) {
    const where = first.source === 'config' ? 'the config file' : 'UPN_MATCH_POWERSHELL';
    throw new BridgeError({ reason: 'host-missing', script: '-', message: `the PowerShell host set in ${where} does not exist: ${first.path}` });
  }
  return first;
}

export async function resolveHost(env?: HostEnvironment, configured?: string): Promise<HostCandidate> {
  return resolveHostSync(env, configured);
}

/** Arguments every call starts with: no logo, no profile, never a prompt. */
export function hostArguments(host: HostCandidate | string): string[] {
  const file = typeof host === 'string' ? host : host.path;
  const args = ['-NoLogo', '-NoProfile', '-NonInteractive'];
  // Windows PowerShell 5.1 and pwsh on Windows honour the execution policy for -File.
  if (/\.exe$/i.test(file)) args.push('-ExecutionPolicy', 'Bypass');
  return args;
}

/** PowerShell's edition ($PSVersionTable.PSEdition) of a host, from its file name: Windows PowerShell 5.1 is Desktop. */
export function editionOf(host: HostCandidate | string): 'Desktop' | 'Core' {
  const file = typeof host === 'string' ? host : host.path;
  return /(^|[\\/])powershell(\.exe)?$/i.test(file) ? 'Desktop' : 'Core';
}

/** Windows PowerShell 5.1's own path (it is not on PATH under that name on every server). */
export function windowsPowerShellPath(env: Pick<HostEnvironment, 'env'>): string {
  const root = env.env.SystemRoot ?? env.env.windir ?? 'C:\\Windows';
  return path.win32.join(root, 'System32', 'WindowsPowerShell', 'v1.0', 'powershell.exe');
}

/** The config value of syncServer.powershell that keeps the ADSync steps on the tool's own host (e.g. always pwsh). */
export const SAME_HOST = 'same';

export interface StepHostChoice {
  host: HostCandidate;
  /** A host other than the tool's own: the steps get a PowerShell process of their own. */
  separate: boolean;
  /** One line for doctor and the log. */
  why: string;
}

/**
 * The host for steps that need an edition (the ADSync steps: Desktop). Pure, so that any machine can be described:
 * - a remote sync server: the tool's own host, which only runs Invoke-Command (ADSync loads there, in the server's
 *   default endpoint, Windows PowerShell);
 * - syncServer.powershell: "same" keeps the tool's own host; a path is used as it is;
 * - on Windows, when the tool's own host is PowerShell 7: Windows PowerShell 5.1 (powershell.exe). Microsoft documents
 *   the ADSync module for Windows PowerShell only ("Open Windows PowerShell ... Import-module ADSync", Entra Connect V2
 *   known issues, learn.microsoft.com/entra/identity/hybrid/connect/whatis-azure-ad-connect-v2; it is absent from
 *   "PowerShell 7 module compatibility"); how it behaves under 7 is unverified (rule sheet 7.7): the safer side;
 * - elsewhere (no powershell.exe; the simulator here) or already on 5.1: the tool's own host.
 */
export function chooseStepHost(input: {
  edition: 'Desktop' | undefined;
  platform: NodeJS.Platform;
  local: HostCandidate;
  configured?: string;
  remote?: string;
  env?: Pick<HostEnvironment, 'env'>;
}): StepHostChoice {
  const own = (why: string): StepHostChoice => ({ host: input.local, separate: false, why });
  if (input.edition === undefined) return own('any edition: the tool\'s own host');
  if (input.remote) return own(`ADSync runs on ${input.remote} (Invoke-Command: Windows PowerShell there); this host only calls it`);
  if (input.configured === SAME_HOST) return own('syncServer.powershell is "same": the tool\'s own host');
  if (input.configured) {
    const separate = input.configured !== input.local.path;
    return { host: { path: input.configured, source: 'config' }, separate, why: 'set in the config (syncServer.powershell)' };
  }
  if (input.platform === 'win32' && editionOf(input.local) === 'Core') {
    return { host: { path: windowsPowerShellPath(input.env ?? { env: {} }), source: 'windows' }, separate: true, why: 'ADSync is documented for Windows PowerShell 5.1 only; the tool runs on PowerShell 7' };
  }
  return own(editionOf(input.local) === 'Desktop' ? 'the tool\'s own host is Windows PowerShell 5.1' : 'no Windows PowerShell on this system: the tool\'s own host');
}
