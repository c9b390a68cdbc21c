<#
.SYNOPSIS
    Reads the Entra Connect server's scheduler state and the AD connector's sync scope.
.PARAMETER ComputerName
    'local', or the Entra Connect server (reached with Invoke-Command).
.OUTPUTS
    { serverName, syncCycleEnabled, stagingModeEnabled, syncCycleInProgress, schedulerSuspended, nextSyncCycleStartTimeInUTC, scopeOUs }
#>
[CmdletBinding()]
param([ValidatePattern('^[A-Za-z0-9._-]+$')] [string] $ComputerName = 'local')

Import-Module -Name (Join-Path (Split-Path -Parent $PSScriptRoot) 'UpnMatch.Directory') -Verbose:$false

Invoke-UpnMatchOnSyncServer -ComputerName $ComputerName -ScriptBlock {
    $scheduler = Get-ADSyncScheduler
    $scope = $null
    if ($null -ne (Get-Command -Name Get-ADSyncConnector -ErrorAction SilentlyContinue)) {
        $scope = @()
        foreach ($connector in @(Get-ADSyncConnector | Where-Object { $_.ConnectorTypeName -eq 'AD' })) {
            if ($null -eq $connector.PSObject.Properties['Partitions']) { continue }
            foreach ($partition in @($connector.Partitions)) {
                $scope += @($partition.ConnectorPartitionScope.ContainerInclusionList | ForEach-Object { [string]$_ })
            }
        }
    }
    # No inclusion list read means the scope is unknown, not empty.
    if ($null -ne $scope -and @($scope).Count -eq 0) { $scope = $null }
    $next = $null
    if ($null -ne $scheduler.NextSyncCycleStartTimeInUTC) { $next = [datetime]$scheduler.NextSyncCycleStartTimeInUTC }
    [pscustomobject]@{
        serverName                  = [System.Environment]::MachineName
        syncCycleEnabled            = [bool]$scheduler.SyncCycleEnabled
        stagingModeEnabled          = [bool]$scheduler.StagingModeEnabled
        syncCycleInProgress         = [bool]$scheduler.SyncCycleInProgress
        schedulerSuspended          = [bool]$scheduler.SchedulerSuspended
        nextSyncCycleStartTimeInUTC = $next
        scopeOUs                    = $scope
    }
}
