<#
.SYNOPSIS
    Registers a Windows scheduled task that runs upn-match apply on a batch file, unattended.
.DESCRIPTION
    The task runs `npm run upn-match -- apply --csv FILE --yes --json --report REPORT` in the
    project folder under the given account (a gMSA or a service account with the AD and Graph
    rights described in README.md). It never prompts: apply refuses to write without --yes when
    no terminal is attached, and the task passes --yes.
.PARAMETER TaskName
    Name of the scheduled task.
.PARAMETER ProjectPath
    The upn-match folder (where package.json is).
.PARAMETER CsvPath
    The batch file.
.PARAMETER ConfigPath
    The upn-match config file (app-only Graph sign-in with a certificate).
.PARAMETER At
    When to run (daily at this time).
.PARAMETER User
    The account that runs the task (e.g. CONTOSO\svc-upnmatch$ for a gMSA).
.EXAMPLE
    .\scripts\Register-UpnMatchTask.ps1 -ProjectPath C:\upn-match -CsvPath C:\upn-match\batch.csv -ConfigPath C:\upn-match\config.json -At 02:00 -User 'CONTOSO\svc-upnmatch$'
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [string] $TaskName = 'upn-match apply',
    [Parameter(Mandatory = $true)] [string] $ProjectPath,
    [Parameter(Mandatory = $true)] [string] $CsvPath,
    [Parameter(Mandatory = $true)] [string] $ConfigPath,
    [datetime] $At = '02:00',
    [Parameter(Mandatory = $true)] [string] $User
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

foreach ($p in @($ProjectPath, $CsvPath, $ConfigPath)) {
    if (-not (Test-Path -LiteralPath $p)) { throw "not found: $p" }
}
$npm = (Get-Command npm.cmd -ErrorAction Stop).Source
$report = Join-Path $ProjectPath ('reports\upn-match-report.csv')
# Arguments are passed to cmd.exe as one line: each path is quoted, and a path holding a quote is refused.
foreach ($p in @($CsvPath, $ConfigPath, $report)) { if ($p.Contains('"')) { throw "a path may not contain a double quote: $p" } }
$arguments = '/c ""{0}" run upn-match -- apply --csv "{1}" --config "{2}" --yes --json --report "{3}" > "{4}" 2>&1"' -f $npm, $CsvPath, $ConfigPath, $report, (Join-Path $ProjectPath 'reports\last-run.json')
$action = New-ScheduledTaskAction -Execute 'cmd.exe' -Argument $arguments -WorkingDirectory $ProjectPath
$trigger = New-ScheduledTaskTrigger -Daily -At $At
$principal = New-ScheduledTaskPrincipal -UserId $User -LogonType Password -RunLevel Highest
if ($User.EndsWith('$')) { $principal = New-ScheduledTaskPrincipal -UserId $User -LogonType ServiceAccount -RunLevel Highest }
$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit (New-TimeSpan -Hours 4) -MultipleInstances IgnoreNew -StartWhenAvailable
if ($PSCmdlet.ShouldProcess($TaskName, 'Register scheduled task')) {
    $null = New-Item -ItemType Directory -Force -Path (Join-Path $ProjectPath 'reports')
    Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger -Principal $principal -Settings $settings -Force |
        Select-Object TaskName, State
}
