<#
.SYNOPSIS
    Runs one Entra Connect delta sync cycle and waits for it to end.
.DESCRIPTION
    Refuses in staging mode (nothing would be exported) and while the scheduler is suspended (the
    installation wizard is open or an upgrade runs). A cycle already running is waited for, never
    interrupted; the wait is bounded. Start-ADSyncSyncCycle's Result must be Success. The cycle waited
    for is one that started after our request: a run history entry that was not there before it (the
    scheduler's SyncCycleInProgress may turn true only some time after the start). Then the export
    errors of that cycle's runs are read (Get-ADSyncRunProfileResult -RunStepDetails) and returned.
.PARAMETER ComputerName
    'local', or the Entra Connect server (reached with Invoke-Command).
.PARAMETER WaitForRunningSeconds
    How long to wait for a running cycle before starting ours.
.PARAMETER WaitForCompletionSeconds
    How long to wait for our cycle to end.
.OUTPUTS
    { started, waitedForRunningMs, startedAt, completedAt, completed, startResult, exportErrors[] }
    exportErrors: { distinguishedName, errorName, attributeName, attributeValue, detail, connectorName }
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [ValidatePattern('^[A-Za-z0-9._-]+$')] [string] $ComputerName = 'local',
    [ValidateRange(0, 7200)] [int] $WaitForRunningSeconds = 900,
    [ValidateRange(1, 14400)] [int] $WaitForCompletionSeconds = 3600,
    [ValidateRange(100, 60000)] [int] $PollMilliseconds = 2000
)

Import-Module -Name (Join-Path (Split-Path -Parent $PSScriptRoot) 'UpnMatch.Directory') -Verbose:$false

function Get-Scheduler { Invoke-UpnMatchOnSyncServer -ComputerName $ComputerName -ScriptBlock { Get-ADSyncScheduler | Select-Object StagingModeEnabled, SyncCycleInProgress, SchedulerSuspended } }

function Get-RunHistory {
    # Newest first; a cycle is six run profile results (import, sync, export of two connectors).
    param([switch] $Details)
    Invoke-UpnMatchOnSyncServer -ComputerName $ComputerName -ArgumentList @([bool]$Details) -ScriptBlock {
        param($details)
        if ($details) { Get-ADSyncRunProfileResult -NumberRequested 60 -RunStepDetails } else { Get-ADSyncRunProfileResult -NumberRequested 60 }
    }
}

function Assert-NotSuspended {
    param($Scheduler)
    if ($Scheduler.SchedulerSuspended) {
        # Rule sheet 7.3: set while the wizard is open or an upgrade runs; a cycle started then fails.
        Stop-UpnMatch -Code 'SchedulerSuspended' -Category precondition -Target $ComputerName -Message ('the sync scheduler on the Entra Connect server ({0}) is suspended (the installation wizard is open or an upgrade runs): no sync cycle can run' -f $ComputerName)
    }
}

$clock = [System.Diagnostics.Stopwatch]::StartNew()
$scheduler = Get-Scheduler
if ($scheduler.StagingModeEnabled) {
    Stop-UpnMatch -Code 'StagingMode' -Category precondition -Target $ComputerName -Message ('the Entra Connect server ({0}) is in staging mode: it exports nothing' -f $ComputerName)
}
Assert-NotSuspended $scheduler
$started = $false
$startedAt = $null
$startResult = $null
$known = @{}
while (-not $started) {
    while ($scheduler.SyncCycleInProgress) {
        if ($clock.Elapsed.TotalSeconds -ge $WaitForRunningSeconds) {
            Stop-UpnMatch -Code 'SyncCycleBusy' -Category script -Message ('a sync cycle was still running after {0} s' -f $WaitForRunningSeconds)
        }
        Write-UpnMatchProgress -Activity 'Waiting for the running sync cycle' -Done ([long]$clock.Elapsed.TotalSeconds) -Total $WaitForRunningSeconds -Unit seconds
        Start-Sleep -Milliseconds $PollMilliseconds
        $scheduler = Get-Scheduler
        Assert-NotSuspended $scheduler
    }
    $waited = [int]$clock.ElapsedMilliseconds
    if (-not $PSCmdlet.ShouldProcess($ComputerName, 'Start-ADSyncSyncCycle -PolicyType Delta')) {
        return [pscustomobject]@{ started = $false; waitedForRunningMs = $waited; startedAt = $null; completedAt = $null; completed = $false; startResult = $null; exportErrors = @() }
    }
    # The runs there before our request: the cycle we wait for is the one whose runs are new.
    $known = @{}
    foreach ($entry in @(Get-RunHistory)) { $known[[string]$entry.RunHistoryId] = $true }
    try {
        $status = Invoke-UpnMatchOnSyncServer -ComputerName $ComputerName -ScriptBlock { Start-ADSyncSyncCycle -PolicyType Delta }
        $startResult = [string](@($status)[0].Result)
        # Since 1.1.281.0 the cmdlet says whether it could start a cycle (rule sheet 7.4): only Success started one.
        if ($startResult -ne 'Success') {
            Stop-UpnMatch -Code 'SyncStartRefused' -Category script -Target $ComputerName -Message ('Start-ADSyncSyncCycle on {0} did not start a cycle (Result: {1})' -f $ComputerName, $startResult)
        }
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
$ours = @()
do {
    Write-UpnMatchProgress -Activity 'Delta sync running' -Done ([long]$run.Elapsed.TotalSeconds) -Unit seconds
    Start-Sleep -Milliseconds $PollMilliseconds
    $scheduler = Get-Scheduler
    $ours = @(Get-RunHistory | Where-Object { -not $known.ContainsKey([string]$_.RunHistoryId) })
    $unfinished = @($ours | Where-Object { -not $_.IsRunComplete })
    if ($ours.Count -gt 0 -and $unfinished.Count -eq 0 -and -not $scheduler.SyncCycleInProgress) { $completed = $true }
} while (-not $completed -and $run.Elapsed.TotalSeconds -lt $WaitForCompletionSeconds)
$completedAt = $null
$exportErrors = New-Object System.Collections.Generic.List[object]
if ($completed) {
    $completedAt = [datetime]::UtcNow
    foreach ($entry in @(Get-RunHistory -Details | Where-Object { -not $known.ContainsKey([string]$_.RunHistoryId) })) {
        if ([string]$entry.RunProfileName -ne 'Export') { continue }
        foreach ($step in @($entry.RunStepResults)) {
            if ($null -eq $step -or $null -eq $step.PSObject.Properties['ExportErrors']) { continue }
            foreach ($exportError in @($step.ExportErrors)) {
                if ($null -eq $exportError) { continue }
                $detail = [string]$exportError.ServerErrorDetail
                if (-not $detail) { $detail = [string]$exportError.ErrorLiteral }
                $exportErrors.Add([pscustomobject]@{
                        distinguishedName = [string]$exportError.DistinguishedName
                        errorName         = [string]$exportError.ErrorName
                        attributeName     = $(if ($null -ne $exportError.AttributeName) { [string]$exportError.AttributeName } else { $null })
                        attributeValue    = $(if ($null -ne $exportError.AttributeValue) { [string]$exportError.AttributeValue } else { $null })
                        detail            = $detail
                        connectorName     = [string]$entry.ConnectorName
                    })
            }
        }
    }
}
[pscustomobject]@{ started = $true; waitedForRunningMs = $waited; startedAt = $startedAt; completedAt = $completedAt; completed = $completed; startResult = $startResult; exportErrors = $exportErrors.ToArray() }
