<#
.SYNOPSIS
    Reads the Entra Connect server's scheduler state, the AD connector's sync scope (OU inclusions and
    exclusions per partition, unselected partitions, the group-based filtering group) and its domain controllers,
    and from the global settings the source anchor attribute and the attribute the cloud UPN comes from.
.PARAMETER ComputerName
    'local', or the Entra Connect server (reached with Invoke-Command).
.OUTPUTS
    { serverName, syncCycleEnabled, stagingModeEnabled, syncCycleInProgress, schedulerSuspended, nextSyncCycleStartTimeInUTC, scopeOUs,
      partitions: [ { name, distinguishedName, selected, inclusions, exclusions, domainControllers } ] or null, groupFilterDn,
      anchorAttribute, upnAttribute }
#>
[CmdletBinding()]
param([ValidatePattern('^[A-Za-z0-9._-]+$')] [string] $ComputerName = 'local')

Import-Module -Name (Join-Path (Split-Path -Parent $PSScriptRoot) 'UpnMatch.Directory') -Verbose:$false

Invoke-UpnMatchOnSyncServer -ComputerName $ComputerName -ScriptBlock {
    $scheduler = Get-ADSyncScheduler
    $scope = $null
    $partitions = $null
    $groupFilterDn = $null
    if ($null -ne (Get-Command -Name Get-ADSyncConnector -ErrorAction SilentlyContinue)) {
        $scope = @()
        $partitions = @()
        # AD connectors as Microsoft's own scripts select them (rule sheet 7.6).
        foreach ($connector in @(Get-ADSyncConnector | Where-Object { $_.ConnectorTypeName -eq 'AD' })) {
            if ($null -ne $connector.PSObject.Properties['GlobalParameters']) {
                # Group-based filtering: the group Microsoft's provisioning troubleshooter reads as
                # GlobalParameters["Connector.GroupFilteringGroupDn"] (empty: no group filter).
                foreach ($parameter in @($connector.GlobalParameters)) {
                    if ($null -ne $parameter -and [string]$parameter.Name -eq 'Connector.GroupFilteringGroupDn' -and [string]$parameter.Value) { $groupFilterDn = [string]$parameter.Value }
                }
            }
            if ($null -eq $connector.PSObject.Properties['Partitions']) { continue }
            foreach ($partition in @($connector.Partitions)) {
                $inclusions = @($partition.ConnectorPartitionScope.ContainerInclusionList | ForEach-Object { [string]$_ })
                $exclusions = @()
                if ($null -ne $partition.ConnectorPartitionScope.PSObject.Properties['ContainerExclusionList']) {
                    $exclusions = @($partition.ConnectorPartitionScope.ContainerExclusionList | Where-Object { $_ } | ForEach-Object { [string]$_ })
                }
                # The DC the connector imports from. 'last-dc' (the DC it used last) is the one name seen in
                # community scripts; how preferred DCs show in Parameters is unverified (rule sheet 6.6), so
                # none found means unknown, and the caller then makes its writes visible on every DC.
                $dcs = @()
                if ($null -ne $partition.PSObject.Properties['Parameters']) {
                    foreach ($parameter in @($partition.Parameters)) {
                        if ($null -ne $parameter -and [string]$parameter.Name -eq 'last-dc' -and [string]$parameter.Value) { $dcs += [string]$parameter.Value }
                    }
                }
                $selected = $true
                if ($null -ne $partition.PSObject.Properties['Selected']) { $selected = [bool]$partition.Selected }
                if ($selected) { $scope += $inclusions }
                $partitions += [pscustomobject]@{
                    name              = [string]$partition.Name
                    distinguishedName = [string]$partition.DN
                    selected          = $selected
                    inclusions        = $inclusions
                    exclusions        = $exclusions
                    domainControllers = $dcs
                }
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
        partitions                  = $partitions
        groupFilterDn               = $groupFilterDn
    }
}
