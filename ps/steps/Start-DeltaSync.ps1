<#
.SYNOPSIS
    Runs one Entra Connect delta sync cycle and waits for it to end.
.DESCRIPTION
    Refuses in staging mode (nothing would be exported). A cycle already running is waited for,
    never interrupted; the wait is bounded.
.PARAMETER ComputerName
    'local', or the Entra Connect server (reached with Invoke-Command).
.PARAMETER WaitForRunningSeconds
    How long to wait for a running cycle before starting ours.
.PARAMETER WaitForCompletionSeconds
    How long to wait for our cycle to end.
.OUTPUTS
    { started, waitedForRunningMs, startedAt, completedAt, completed }
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [ValidatePattern('^[A-Za-z0-9._-]+$')] [string] $ComputerName = 'local',
    [ValidateRange(0, 7200)] [int] $WaitForRunningSeconds = 900,
    [ValidateRange(1, 14400)] [int] $WaitForCompletionSeconds = 3600,
    [ValidateRange(100, 60000)] [int] $PollMilliseconds = 2000
)

Import-Module -Name (Join-Path (Split-Path -Parent $PSScriptRoot) 'UpnMatch.Directory') -Verbose:$false

function Get-Scheduler { Invoke-UpnMatchOnSyncServer -ComputerName $ComputerName -ScriptBlock { Get-ADSyncScheduler | Select-Object StagingModeEnabled, SyncCycleInProgress } }

$clock = [System.Diagnostics.Stopwatch]::StartNew()
$scheduler = Get-Scheduler
if ($scheduler.StagingModeEnabled) {
    Stop-UpnMatch -Code 'StagingMode' -Category precondition -Target $ComputerName -Message ('the Entra Connect server ({0}) is in staging mode: it exports nothing' -f $ComputerName)
}
$started = $false
$startedAt = $null
while (-not $started) {
    while ($scheduler.SyncCycleInProgress) {
        if ($clock.Elapsed.TotalSeconds -ge $WaitForRunningSeconds) {
            Stop-UpnMatch -Code 'SyncCycleBusy' -Category script -Message ('a sync cycle was still running after {0} s' -f $WaitForRunningSeconds)
        }
        Start-Sleep -Milliseconds $PollMilliseconds
        $scheduler = Get-Scheduler
    }
    $waited = [int]$clock.ElapsedMilliseconds
    if (-not $PSCmdlet.ShouldProcess($ComputerName, 'Start-ADSyncSyncCycle -PolicyType Delta')) {
        return [pscustomobject]@{ started = $false; waitedForRunningMs = $waited; startedAt = $null; completedAt = $null; completed = $false }
    }
    try {
        $null = Invoke-UpnMatchOnSyncServer -ComputerName $ComputerName -ScriptBlock { Start-ADSyncSyncCycle -PolicyType Delta }
        $started = $true
        $startedAt = [datetime]::UtcNow
    } catch {
        # Another cycle began between our look and our start: wait for it, then try again.
        if ($_.Exception.Message -notmatch '(?i)busy|already running|in progress') { throw }
        $scheduler = Get-Scheduler
        if (-not $scheduler.SyncCycleInProgress) { throw }
    }
}
$run = [System.Diagnostics.Stopwatch]::StartNew()
$completed = $false
do {
    Start-Sleep -Milliseconds $PollMilliseconds
    $scheduler = Get-Scheduler
    if (-not $scheduler.SyncCycleInProgress) { $completed = $true }
} while (-not $completed -and $run.Elapsed.TotalSeconds -lt $WaitForCompletionSeconds)
$completedAt = $null
if ($completed) { $completedAt = [datetime]::UtcNow }
[pscustomobject]@{ started = $true; waitedForRunningMs = $waited; startedAt = $startedAt; completedAt = $completedAt; completed = $completed }
