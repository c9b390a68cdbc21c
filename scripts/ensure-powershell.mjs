#!/usr/bin/env node
// Makes sure a PowerShell host is available before tests and the demo run.
// Uses the same resolution as the tool (config/UPN_MATCH_POWERSHELL, pwsh on PATH, .tools/pwsh,
// powershell.exe on Windows). With none but the .NET SDK, installs PowerShell 7.6.9 as a .NET
// tool into .tools/ (once). With neither, stops and says what to install.
import { spawnSync } from 'node:child_process';
import { currentEnvironment, hostCandidates, projectToolPath, resolveHostSync, INSTALL_HINT } from '../dist/lib/bridge/hosts.js';

const POWERSHELL_VERSION = '7.6.9';
const env = currentEnvironment();

function report(host) {
  console.error(`upn-match: PowerShell host: ${host.path} (${host.source})`);
  process.exit(0);
}

if (hostCandidates(env).length > 0) {
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
report(resolveHostSync(env));
