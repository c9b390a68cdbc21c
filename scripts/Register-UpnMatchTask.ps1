<#
.SYNOPSIS
    Registers a Windows scheduled task that runs upn-match apply on a batch file, unattended.
.DESCRIPTION
    The task runs node.exe directly on bin\upn-match.js of the release folder (no cmd.exe, no npm):
    `apply --csv FILE --config FILE --yes --json --report-dir DIR`, which writes the run's JSON and CSV
    reports to new file names in DIR on every run. It never prompts: apply refuses to write without
    --yes when no terminal is attached, and the task passes --yes.

    The account, one of:
      -Gmsa DOMAIN\name$   a group managed service account, registered the documented way: a principal
                           with logon type Password and no password (Windows fetches it from AD). The
                           script checks with Test-ADServiceAccount that this computer may use it.
      -Credential          an ordinary account; its password is stored by Task Scheduler.
      -System              the computer account (NT AUTHORITY\SYSTEM), only when asked for.

    The trigger is a choice: Once (the default: a batch is applied once), Daily (for a batch file that
    is replaced between runs), or OnDemand (no trigger: Start-ScheduledTask).

    -WhatIf prints the task definition as JSON and registers nothing (no ScheduledTasks cmdlet is
    called, so it runs anywhere). -PassThru prints the same JSON after registering.
.PARAMETER TaskName
    Name of the scheduled task.
.PARAMETER InstallPath
    The unpacked upn-match release folder (where bin\upn-match.js is).
.PARAMETER CsvPath
    The batch file.
.PARAMETER ConfigPath
    The upn-match config file (app-only Graph sign-in with a certificate or a managed identity).
.PARAMETER ReportDir
    Folder for the per-run reports (default: InstallPath\reports).
.PARAMETER NodePath
    node.exe to run (default: the one on PATH now, stored as a full path).
.PARAMETER Schedule
    Once (default), Daily or OnDemand.
.PARAMETER At
    When the trigger fires (local time); needed for Once and Daily. A Once time in the past is refused.
.PARAMETER Gmsa
    The group managed service account, DOMAIN\name$.
.PARAMETER Credential
    An ordinary account and its password.
.PARAMETER System
    Run as NT AUTHORITY\SYSTEM.
.PARAMETER PassThru
    Print the task definition (JSON) after registering it.
.EXAMPLE
    .\scripts\Register-UpnMatchTask.ps1 -InstallPath C:\upn-match -CsvPath C:\upn-match\batch.csv -ConfigPath C:\upn-match\config.json -Gmsa 'CONTOSO\svc-upnmatch$' -At '2026-06-01 02:00'
.EXAMPLE
    .\scripts\Register-UpnMatchTask.ps1 -InstallPath C:\upn-match -CsvPath C:\upn-match\batch.csv -ConfigPath C:\upn-match\config.json -Credential (Get-Credential) -Schedule OnDemand -WhatIf
#>
[CmdletBinding(SupportsShouldProcess = $true, DefaultParameterSetName = 'Gmsa')]
param(
    [string] $TaskName = 'upn-match apply',
    [Parameter(Mandatory = $true)] [string] $InstallPath,
    [Parameter(Mandatory = $true)] [string] $CsvPath,
    [Parameter(Mandatory = $true)] [string] $ConfigPath,
    [string] $ReportDir,
    [string] $NodePath,
    [ValidateSet('Once', 'Daily', 'OnDemand')] [string] $Schedule = 'Once',
    [Nullable[datetime]] $At,
    [Parameter(Mandatory = $true, ParameterSetName = 'Gmsa')] [string] $Gmsa,
    [Parameter(Mandatory = $true, ParameterSetName = 'Account')] [pscredential] $Credential,
    [Parameter(Mandatory = $true, ParameterSetName = 'System')] [switch] $System,
    [switch] $PassThru
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# Paths are stored full: the task's account has its own working folder and PATH.
function Resolve-FullPath([string] $Path, [string] $What) {
    if (-not (Test-Path -LiteralPath $Path)) { throw "$What not found: $Path" }
    return (Resolve-Path -LiteralPath $Path).ProviderPath
}
$InstallPath = Resolve-FullPath $InstallPath 'the release folder'
$cli = Join-Path (Join-Path $InstallPath 'bin') 'upn-match.js'
$null = Resolve-FullPath $cli 'bin\upn-match.js in the release folder'
$CsvPath = Resolve-FullPath $CsvPath 'the batch file'
$ConfigPath = Resolve-FullPath $ConfigPath 'the config file'
if (-not $ReportDir) { $ReportDir = Join-Path $InstallPath 'reports' }
$ReportDir = [System.IO.Path]::GetFullPath($ReportDir).TrimEnd('\', '/')
if (-not $NodePath) {
    $node = Get-Command node.exe, node -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($null -eq $node) { throw 'node.exe is not on PATH: give -NodePath' }
    $NodePath = $node.Source
}
$NodePath = Resolve-FullPath $NodePath 'node'

# The task passes its arguments as one command line: each path is quoted, so a path may hold no
# double quote, and none ends with a backslash (it would escape the closing quote).
foreach ($p in @($cli, $CsvPath, $ConfigPath, $ReportDir)) {
    if ($p.Contains('"')) { throw "a path may not contain a double quote: $p" }
}
$arguments = '"{0}" apply --csv "{1}" --config "{2}" --yes --json --report-dir "{3}"' -f $cli, $CsvPath, $ConfigPath, $ReportDir

if ($Schedule -ne 'OnDemand') {
    if ($null -eq $At) { throw "-At is needed for -Schedule $Schedule" }
    if ($Schedule -eq 'Once' -and $At -le (Get-Date)) { throw "-At $($At.ToString('s')) is in the past: a Once task would never run" }
}

$check = $null
switch ($PSCmdlet.ParameterSetName) {
    'Gmsa' {
        if ($Gmsa -notmatch '^[^\\]+\\[^\\]+\$$') { throw "-Gmsa takes DOMAIN\name$ (a gMSA's account name ends with `$): $Gmsa" }
        $principal = [ordered]@{ kind = 'gmsa'; userId = $Gmsa; logonType = 'Password'; runLevel = 'Highest'; storesPassword = $false }
        # Test-ADServiceAccount says whether this computer may retrieve the gMSA's password.
        $name = $Gmsa.Split('\')[1].TrimEnd('$')
        if (Get-Command Test-ADServiceAccount -ErrorAction SilentlyContinue) {
            if (-not (Test-ADServiceAccount -Identity $name)) {
                throw "Test-ADServiceAccount -Identity $name is False: this computer may not use the gMSA (add it to PrincipalsAllowedToRetrieveManagedPassword, then Install-ADServiceAccount $name)"
            }
            $check = "Test-ADServiceAccount -Identity ${name}: True"
        } elseif ($WhatIfPreference) {
            $check = 'not checked: the ActiveDirectory module (Test-ADServiceAccount) is not available here'
        } else {
            throw 'Test-ADServiceAccount is needed to check the gMSA: install the ActiveDirectory module (RSAT-AD-PowerShell)'
        }
    }
    'Account' {
        $principal = [ordered]@{ kind = 'account'; userId = $Credential.UserName; logonType = 'Password'; runLevel = 'Highest'; storesPassword = $true }
    }
    'System' {
        $principal = [ordered]@{ kind = 'system'; userId = 'NT AUTHORITY\SYSTEM'; logonType = 'ServiceAccount'; runLevel = 'Highest'; storesPassword = $false }
    }
}

$trigger = $null
if ($Schedule -ne 'OnDemand') { $trigger = [ordered]@{ schedule = $Schedule; at = ([datetimeoffset]$At).ToString('yyyy-MM-ddTHH:mm:sszzz') } }
$definition = [ordered]@{
    taskName    = $TaskName
    description = 'upn-match apply of one batch (reports in ' + $ReportDir + ')'
    principal   = $principal
    action      = [ordered]@{ execute = $NodePath; arguments = $arguments; workingDirectory = $InstallPath }
    trigger     = $trigger
    settings    = [ordered]@{ executionTimeLimit = 'PT4H'; multipleInstances = 'IgnoreNew'; startWhenAvailable = $true }
    reportDir   = $ReportDir
    gmsaCheck   = $check
    registered  = $false
}

# -WhatIf: the definition only, built without the ScheduledTasks module.
if ($WhatIfPreference) {
    ConvertTo-Json -InputObject $definition -Depth 5
    return
}

if (-not $PSCmdlet.ShouldProcess($TaskName, 'Register scheduled task')) { return }
$action = New-ScheduledTaskAction -Execute $NodePath -Argument $arguments -WorkingDirectory $InstallPath
$taskPrincipal = New-ScheduledTaskPrincipal -UserId $principal.userId -LogonType $principal.logonType -RunLevel $principal.runLevel
$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit (New-TimeSpan -Hours 4) -MultipleInstances IgnoreNew -StartWhenAvailable
$task = @{ Action = $action; Principal = $taskPrincipal; Settings = $settings; Description = $definition.description }
if ($Schedule -eq 'Once') { $task['Trigger'] = New-ScheduledTaskTrigger -Once -At $At }
if ($Schedule -eq 'Daily') { $task['Trigger'] = New-ScheduledTaskTrigger -Daily -At $At }
$taskObject = New-ScheduledTask @task
$register = @{ TaskName = $TaskName; InputObject = $taskObject; Force = $true }
if ($principal.kind -eq 'account') {
    # The password is stored by Task Scheduler with the task, never written anywhere else.
    $register['User'] = $Credential.UserName
    $register['Password'] = $Credential.GetNetworkCredential().Password
}
$null = New-Item -ItemType Directory -Force -Path $ReportDir
$null = Register-ScheduledTask @register
$definition.registered = $true
if ($PassThru) { ConvertTo-Json -InputObject $definition -Depth 5 }
