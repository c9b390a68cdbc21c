// scripts/Register-UpnMatchTask.ps1 under the real pwsh: -WhatIf prints the task definition without the
// ScheduledTasks module (it does not exist here), and the registering path is run against stand-ins for
// the ScheduledTasks cmdlets declared with the real cmdlets' parameter names (learn.microsoft.com,
// ScheduledTasks module), so that a parameter the real cmdlet does not have fails to bind.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { projectRoot } from '../../lib/paths.js';
import { tempDir } from '../e2e/cli.js';
import { runPowerShell } from '../helpers/powershell.js';

const script = path.join(projectRoot, 'scripts', 'Register-UpnMatchTask.ps1');
const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;

interface Folder {
  install: string;
  csv: string;
  config: string;
  reports: string;
  node: string;
}

function release(): Folder {
  const install = tempDir('upn-match-task-');
  mkdirSync(path.join(install, 'bin'));
  writeFileSync(path.join(install, 'bin', 'upn-match.js'), '');
  writeFileSync(path.join(install, 'batch.csv'), 'cloudUpn\n');
  writeFileSync(path.join(install, 'config.json'), '{}');
  return {
    install,
    csv: path.join(install, 'batch.csv'),
    config: path.join(install, 'config.json'),
    reports: path.join(install, 'reports'),
    node: process.execPath,
  };
}

const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10) + ' 02:00';

function call(folder: Folder, extra: string): string {
  return `& ${quote(script)} -InstallPath ${quote(folder.install)} -CsvPath ${quote(folder.csv)} -ConfigPath ${quote(folder.config)} -ReportDir ${quote(folder.reports)} -NodePath ${quote(folder.node)} ${extra}`;
}

async function definition(code: string) {
  const result = await runPowerShell(code);
  expect(result.exitCode, result.stderr + result.stdout).to.equal(0);
  return JSON.parse(result.stdout);
}

/** What the script throws, on one line (pwsh wraps error views to the console width). */
async function refusal(code: string): Promise<string> {
  const result = await runPowerShell(`try { ${code}; 'NOT REFUSED' } catch { 'REFUSED: ' + $_.Exception.Message }`);
  return result.stdout;
}

/** Splits a Windows command line as CommandLineToArgvW does for quoted arguments without backslash-quote pairs. */
function splitArguments(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

const credential = (user: string, password: string) =>
  `$cred = New-Object System.Management.Automation.PSCredential(${quote(user)}, (ConvertTo-SecureString ${quote(password)} -AsPlainText -Force));`;

/** Stand-ins that record each call's bound parameters in $global:calls. */
const scheduledTaskCmdlets = `
$global:calls = New-Object System.Collections.Generic.List[object]
function Add-Call($name, $bound) { $global:calls.Add([ordered]@{ cmdlet = $name; parameters = @($bound.Keys | Sort-Object) ; values = $bound }) }
function New-ScheduledTaskAction { [CmdletBinding()] param([Parameter(Mandatory = $true)] [string] $Execute, [string] $Argument, [string] $WorkingDirectory, [string] $Id) Add-Call 'New-ScheduledTaskAction' $PSBoundParameters; 'action' }
function New-ScheduledTaskPrincipal { [CmdletBinding()] param([Parameter(Mandatory = $true, ParameterSetName = 'User')] [string] $UserId, [Parameter(ParameterSetName = 'User')] [ValidateSet('None', 'Password', 'S4U', 'Interactive', 'Group', 'ServiceAccount', 'InteractiveOrPassword')] [string] $LogonType, [Parameter(Mandatory = $true, ParameterSetName = 'Group')] [string] $GroupId, [ValidateSet('Limited', 'Highest')] [string] $RunLevel, [string] $ProcessTokenSidType, [string[]] $RequiredPrivilege, [string] $Id) Add-Call 'New-ScheduledTaskPrincipal' $PSBoundParameters; 'principal' }
function New-ScheduledTaskSettingsSet { [CmdletBinding()] param([timespan] $ExecutionTimeLimit, [ValidateSet('Parallel', 'Queue', 'IgnoreNew')] [string] $MultipleInstances, [switch] $StartWhenAvailable) Add-Call 'New-ScheduledTaskSettingsSet' $PSBoundParameters; 'settings' }
function New-ScheduledTaskTrigger { [CmdletBinding()] param([Parameter(ParameterSetName = 'Once', Mandatory = $true)] [switch] $Once, [Parameter(ParameterSetName = 'Daily', Mandatory = $true)] [switch] $Daily, [Parameter(Mandatory = $true)] [datetime] $At) Add-Call 'New-ScheduledTaskTrigger' $PSBoundParameters; 'trigger' }
function New-ScheduledTask { [CmdletBinding()] param($Action, [string] $Description, $Principal, $Settings, $Trigger) Add-Call 'New-ScheduledTask' $PSBoundParameters; 'task' }
function Register-ScheduledTask {
  [CmdletBinding(DefaultParameterSetName = 'User')]
  param(
    [Parameter(Mandatory = $true, ParameterSetName = 'User')] [Parameter(Mandatory = $true, ParameterSetName = 'Principal')] [Parameter(ParameterSetName = 'Object')] [string] $TaskName,
    [string] $TaskPath,
    [Parameter(Mandatory = $true, ParameterSetName = 'User')] [Parameter(Mandatory = $true, ParameterSetName = 'Principal')] $Action,
    [Parameter(ParameterSetName = 'User')] [Parameter(ParameterSetName = 'Principal')] $Trigger,
    [Parameter(ParameterSetName = 'User')] [Parameter(ParameterSetName = 'Principal')] $Settings,
    [Parameter(ParameterSetName = 'User')] [Parameter(ParameterSetName = 'Object')] [string] $User,
    [Parameter(ParameterSetName = 'User')] [Parameter(ParameterSetName = 'Object')] [string] $Password,
    [Parameter(ParameterSetName = 'Principal')] $Principal,
    [Parameter(Mandatory = $true, ParameterSetName = 'Object')] $InputObject,
    [switch] $Force)
  Add-Call 'Register-ScheduledTask' $PSBoundParameters; 'registered'
}
`;

describe('Register-UpnMatchTask.ps1', function () {
  this.timeout(120_000);

  it('-WhatIf with a gMSA: logon type Password without a password, node.exe run directly, per-run reports, once', async () => {
    const folder = release();
    const at = tomorrow();
    const task = await definition(call(folder, `-Gmsa 'CONTOSO\\svc-upnmatch$' -At ${quote(at)} -WhatIf`));
    expect(task.registered).to.equal(false);
    expect(task.principal).to.deep.equal({ kind: 'gmsa', userId: 'CONTOSO\\svc-upnmatch$', logonType: 'Password', runLevel: 'Highest', storesPassword: false });
    expect(task.gmsaCheck).to.match(/^not checked: the ActiveDirectory module/);
    expect(task.action.execute).to.equal(process.execPath);
    expect(task.action.workingDirectory).to.equal(folder.install);
    const argv = splitArguments(task.action.arguments);
    expect(argv).to.deep.equal([
      path.join(folder.install, 'bin', 'upn-match.js'),
      'apply', '--csv', folder.csv, '--config', folder.config, '--yes', '--json', '--report-dir', folder.reports,
    ]);
    expect(task.action.arguments).not.to.match(/npm|cmd(\.exe)?\b/i);
    expect(task.trigger.schedule).to.equal('Once');
    expect(task.trigger.at.slice(0, 16)).to.equal(at.replace(' ', 'T'));
    expect(task.settings.multipleInstances).to.equal('IgnoreNew');
  });

  it('checks the gMSA with Test-ADServiceAccount when the ActiveDirectory module is there, and refuses one this computer may not use', async () => {
    const folder = release();
    const fake = (answer: string) => `function Test-ADServiceAccount { param([Parameter(Mandatory = $true)] $Identity) $global:asked = $Identity; ${answer} }; `;
    const ok = await definition(`${fake('$true')}${call(folder, `-Gmsa 'CONTOSO\\svc-upnmatch$' -At ${quote(tomorrow())} -WhatIf`)}`);
    expect(ok.gmsaCheck).to.equal('Test-ADServiceAccount -Identity svc-upnmatch: True');
    const refused = await refusal(`${fake('$false')}${call(folder, `-Gmsa 'CONTOSO\\svc-upnmatch$' -At ${quote(tomorrow())} -WhatIf`)}`);
    expect(refused).to.contain('REFUSED: Test-ADServiceAccount -Identity svc-upnmatch is False: this computer may not use the gMSA');
  });

  it('refuses a gMSA name without the trailing $, a Once time in the past, and a run without an account (SYSTEM only when asked)', async () => {
    const folder = release();
    expect(await refusal(call(folder, `-Gmsa 'CONTOSO\\svc-upnmatch' -At ${quote(tomorrow())} -WhatIf`))).to.contain('REFUSED: -Gmsa takes DOMAIN\\name$');
    expect(await refusal(call(folder, `-Gmsa 'CONTOSO\\svc-upnmatch$' -At '2020-01-01 02:00' -WhatIf`))).to.match(/REFUSED: .*is in the past/);
    expect(await refusal(call(folder, `-At ${quote(tomorrow())} -WhatIf`))).to.match(/REFUSED: .*missing mandatory parameters: Gmsa/);
    const system = await definition(call(folder, '-System -Schedule OnDemand -WhatIf'));
    expect(system.principal).to.deep.include({ kind: 'system', userId: 'NT AUTHORITY\\SYSTEM', logonType: 'ServiceAccount' });
    expect(system.trigger).to.equal(null);
  });

  it('-WhatIf with an ordinary account says the password is stored, and never prints it', async () => {
    const folder = release();
    const result = await runPowerShell(`${credential('CONTOSO\\svc-upn', 'S3cret-Pa55!')}${call(folder, `-Credential $cred -Schedule Daily -At '02:00' -WhatIf`)}`);
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(result.stdout).not.to.contain('S3cret');
    const task = JSON.parse(result.stdout);
    expect(task.principal).to.deep.equal({ kind: 'account', userId: 'CONTOSO\\svc-upn', logonType: 'Password', runLevel: 'Highest', storesPassword: true });
    expect(task.trigger.schedule).to.equal('Daily');
  });

  it('registers a gMSA task with the principal in the task object and no password; an account with -User and -Password', async () => {
    const folder = release();
    const gmsa = await runPowerShell(
      `${scheduledTaskCmdlets}function Test-ADServiceAccount { param($Identity) $true }; $null = ${call(folder, `-Gmsa 'CONTOSO\\svc-upnmatch$' -At ${quote(tomorrow())}`)}; ConvertTo-Json -Depth 4 -InputObject @($global:calls | ForEach-Object { [ordered]@{ cmdlet = $_.cmdlet; parameters = $_.parameters } })`,
    );
    expect(gmsa.exitCode, gmsa.stderr + gmsa.stdout).to.equal(0);
    const calls = JSON.parse(gmsa.stdout) as { cmdlet: string; parameters: string[] }[];
    const by = (name: string) => calls.find((c) => c.cmdlet === name)!;
    expect(by('New-ScheduledTaskPrincipal').parameters).to.deep.equal(['LogonType', 'RunLevel', 'UserId']);
    expect(by('New-ScheduledTaskTrigger').parameters).to.deep.equal(['At', 'Once']);
    expect(by('Register-ScheduledTask').parameters).to.deep.equal(['Force', 'InputObject', 'TaskName']);

    const account = await runPowerShell(
      `${scheduledTaskCmdlets}${credential('CONTOSO\\svc-upn', 'S3cret-Pa55!')}${call(folder, `-Credential $cred -Schedule OnDemand -PassThru`)}; $r = $global:calls | Where-Object { $_.cmdlet -eq 'Register-ScheduledTask' }; 'REGISTER ' + (($r.parameters) -join ',') + ' ' + $r.values['User'] + ' ' + $r.values['Password']`,
    );
    expect(account.exitCode, account.stderr + account.stdout).to.equal(0);
    expect(account.stdout).to.contain('REGISTER Force,InputObject,Password,TaskName,User CONTOSO\\svc-upn S3cret-Pa55!');
    expect(account.stdout).to.contain('"registered": true');
  });
});
