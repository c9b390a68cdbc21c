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
    const root = env.env.SystemRoot ?? env.env.windir ?? 'C:\\Windows';
    const windows = path.win32.join(root, 'System32', 'WindowsPowerShell', 'v1.0', 'powershell.exe');
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
