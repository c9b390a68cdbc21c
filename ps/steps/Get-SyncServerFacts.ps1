<#
.SYNOPSIS
    Reads the Entra Connect server's scheduler state, the AD connector's sync scope, and from the global settings
    the source anchor attribute and the attribute the cloud UPN comes from.
.PARAMETER ComputerName
    'local', or the Entra Connect server (reached with Invoke-Command).
.OUTPUTS
    { serverName, syncCycleEnabled, stagingModeEnabled, syncCycleInProgress, schedulerSuspended, nextSyncCycleStartTimeInUTC, scopeOUs,
      anchorAttribute, upnAttribute }
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
    # Get-ADSyncGlobalSettings' Parameters: Microsoft.SynchronizationOption.AnchorAttribute (mS-DS-ConsistencyGuid,
    # objectGUID or a custom attribute) and Microsoft.SynchronizationOption.UPNAttribute (userPrincipalName, or e.g.
    # mail for an alternate login ID). Read by name from the enumerated parameters: a missing one is unknown (null).
    $anchorAttribute = $null
    $upnAttribute = $null
    if ($null -ne (Get-Command -Name Get-ADSyncGlobalSettings -ErrorAction SilentlyContinue)) {
        $settings = Get-ADSyncGlobalSettings
        foreach ($parameter in @($settings.Parameters)) {
            $value = [string]$parameter.Value
            if (-not $value) { continue }
            if ([string]$parameter.Name -eq 'Microsoft.SynchronizationOption.AnchorAttribute') { $anchorAttribute = $value }
            if ([string]$parameter.Name -eq 'Microsoft.SynchronizationOption.UPNAttribute') { $upnAttribute = $value }
        }
    }
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
        anchorAttribute             = $anchorAttribute
        upnAttribute                = $upnAttribute
    }
}
