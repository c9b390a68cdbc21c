#!/usr/bin/env node
// Makes sure a PowerShell host is available before tests and the demo run.
// Uses the same resolution as the tool (config/UPN_MATCH_POWERSHELL, pwsh on PATH, .tools/pwsh,
// powershell.exe on Windows). With none but the .NET SDK, installs PowerShell 7.6.9 as a .NET
// tool into .tools/ (once), and outside Windows writes .tools/pwsh-direct, which starts that
// PowerShell without the tool's launcher process. With neither, stops and says what to install.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { currentEnvironment, hostCandidates, projectDirectLauncherPath, projectToolPath, resolveHostSync, INSTALL_HINT } from '../dist/lib/bridge/hosts.js';

const POWERSHELL_VERSION = '7.6.9';
const env = currentEnvironment();

function report(host) {
  console.error(`upn-match: PowerShell host: ${host.path} (${host.source})`);
  process.exit(0);
}

/** The dotnet that runs the tool: $DOTNET_ROOT's, else the one on PATH. */
function findDotnet() {
  const fromRoot = env.env.DOTNET_ROOT ? path.join(env.env.DOTNET_ROOT, 'dotnet') : null;
  if (fromRoot && existsSync(fromRoot)) return fromRoot;
  const found = spawnSync('sh', ['-c', 'command -v dotnet'], { encoding: 'utf8' });
  const file = found.status === 0 ? found.stdout.trim() : '';
  return file ? realpathSync(file) : null;
}

/** pwsh.dll of the installed .NET tool (tools/<framework>/any/unix/pwsh.dll in the tool's store). */
function findPwshDll() {
  const store = path.join(env.projectRoot, '.tools', '.store', 'powershell', POWERSHELL_VERSION, 'powershell', POWERSHELL_VERSION, 'tools');
  if (!existsSync(store)) return null;
  for (const framework of readdirSync(store).sort().reverse()) {
    const dll = path.join(store, framework, 'any', 'unix', 'pwsh.dll');
    if (existsSync(dll)) return dll;
  }
  return null;
}

const shellQuote = (text) => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * Outside Windows: .tools/pwsh-direct execs `dotnet pwsh.dll` (one process), where the tool's launcher
 * .tools/pwsh would start it as a child and wait (two). Rewritten when the checkout or dotnet moved;
 * removed, so that .tools/pwsh is used again, when it cannot start PowerShell.
 */
function ensureDirectLauncher() {
  const launcher = projectDirectLauncherPath(env);
  if (!launcher || !existsSync(projectToolPath(env))) return;
  const dotnet = findDotnet();
  const dll = findPwshDll();
  if (!dotnet || !dll) {
    rmSync(launcher, { force: true });
    return;
  }
  const text = [
    '#!/bin/sh',
    '# Written by scripts/ensure-powershell.mjs: the PowerShell .NET tool of this folder, started without the',
    "# tool's launcher process (.tools/pwsh, which starts the same command as a child). Delete it to use .tools/pwsh.",
    `exec ${shellQuote(dotnet)} ${shellQuote(dll)} "$@"`,
    '',
  ].join('\n');
  if (!existsSync(launcher) || readFileSync(launcher, 'utf8') !== text) writeFileSync(launcher, text);
  chmodSync(launcher, 0o755);
  const check = spawnSync(launcher, ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', '$PSVersionTable.PSVersion.ToString()'], { encoding: 'utf8' });
  if (check.status !== 0 || check.stdout.trim() !== POWERSHELL_VERSION) {
    console.error(`upn-match: ${launcher} could not start PowerShell ${POWERSHELL_VERSION} (${(check.stderr || check.stdout || String(check.error)).trim().split('\n')[0]}); using ${projectToolPath(env)}`);
    rmSync(launcher, { force: true });
  }
}

if (hostCandidates(env).length > 0) {
  ensureDirectLauncher();
  try {
    report(resolveHostSync(env));
  } catch (error) {
    console.error(`upn-match: ${error.message}`);
    process.exit(1);
  }
}

const dotnet = spawnSync('dotnet', ['--version'], { encoding: 'utf8' });
if (dotnet.status !== 0) {
  console.error(`upn-match: no PowerShell host and no .NET SDK to install one: ${INSTALL_HINT}`);
  process.exit(1);
}

console.error(`upn-match: no PowerShell host found; installing PowerShell ${POWERSHELL_VERSION} as a .NET tool into .tools/`);
const install = spawnSync(
  'dotnet',
  ['tool', 'install', '--tool-path', '.tools', 'PowerShell', '--version', POWERSHELL_VERSION],
  { cwd: env.projectRoot, stdio: ['ignore', process.stderr, process.stderr] },
);
if (install.status !== 0 || !env.exists(projectToolPath(env))) {
  console.error(`upn-match: installing PowerShell failed (dotnet exit code ${install.status}); ${INSTALL_HINT}`);
  process.exit(1);
}
ensureDirectLauncher();
report(resolveHostSync(env));
