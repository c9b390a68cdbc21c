<#
.SYNOPSIS
    Moves every user of a CSV to AD by UPN soft match, one new PowerShell process per user.
.DESCRIPTION
    The "naive" side of the benchmark (scripts/bench.mjs), written the way admins write it: for each
    row of the CSV (columns cloudUpn, samAccountName) it starts a new PowerShell process that runs
    naive-one-user.ps1 (import modules, Connect-MgGraph, Get-ADUser, Invoke-MgGraphRequest, Set-ADUser,
    Start-ADSyncSyncCycle). Prints one line of JSON at the end:
    { started, ok, failed, busyRetries, wallMs, host, errors }.
.PARAMETER CsvPath
    The batch file (upn-match's format; only cloudUpn and samAccountName are used).
.PARAMETER PowerShellPath
    The PowerShell host to start for each user; the one running this script when not given.
.PARAMETER ModulePath
    Passed on to each user's process: folders to put first on PSModulePath, separated like PSModulePath.
.PARAMETER RetrySeconds
    Passed on: wait between attempts while a sync cycle is running.
.EXAMPLE
    pwsh -NoProfile -File naive-per-user.ps1 -CsvPath users.csv
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string] $CsvPath,
    [string] $PowerShellPath,
    [string] $ModulePath,
    [int] $RetrySeconds = 1
)

$ErrorActionPreference = 'Stop'
if (-not $PowerShellPath) {
    if ($PSVersionTable.PSEdition -eq 'Core') { $PowerShellPath = 'pwsh' } else { $PowerShellPath = Join-Path $PSHOME 'powershell.exe' }
}
$oneUser = Join-Path $PSScriptRoot 'naive-one-user.ps1'
$clock = [System.Diagnostics.Stopwatch]::StartNew()
$started = 0
$ok = 0
$failed = 0
$busyRetries = 0
$errors = New-Object System.Collections.Generic.List[string]

foreach ($row in (Import-Csv -Path $CsvPath)) {
    $arguments = @('-NoProfile', '-File', $oneUser, '-Sam', $row.samAccountName, '-Upn', $row.cloudUpn, '-RetrySeconds', $RetrySeconds)
    if ($ModulePath) { $arguments += @('-ModulePath', $ModulePath) }
    $started++
    # Windows PowerShell 5.1 turns a native program's stderr into a terminating error under 'Stop'.
    $ErrorActionPreference = 'Continue'
    $output = & $PowerShellPath @arguments 2>&1
    $ErrorActionPreference = 'Stop'
    $line = @($output | Where-Object { ([string]$_).StartsWith('{') }) | Select-Object -Last 1
    $answer = $null
    if ($line) { try { $answer = ConvertFrom-Json -InputObject ([string]$line) } catch { $answer = $null } }
    if ($LASTEXITCODE -eq 0 -and $null -ne $answer -and $answer.ok) {
        $ok++
    } else {
        $failed++
        $why = 'exit code ' + $LASTEXITCODE
        if ($null -ne $answer -and $answer.error) { $why = [string]$answer.error }
        if ($errors.Count -lt 5) { $errors.Add($row.cloudUpn + ': ' + $why) }
    }
    if ($null -ne $answer) { $busyRetries += [int]$answer.busyRetries }
}

$summary = [ordered]@{
    started     = $started
    ok          = $ok
    failed      = $failed
    busyRetries = $busyRetries
    wallMs      = [int]$clock.ElapsedMilliseconds
    host        = $PowerShellPath
    errors      = $errors.ToArray()
}
ConvertTo-Json -InputObject $summary -Compress
