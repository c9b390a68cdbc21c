<#
.SYNOPSIS
    Fake ADSync (Microsoft Entra Connect) module of the upn-match simulator.
.DESCRIPTION
    Cmdlets with the real names and parameters ("Microsoft Entra Connect: ADSync PowerShell Reference",
    https://learn.microsoft.com/entra/identity/hybrid/connect/reference-connect-adsync): Get-ADSyncScheduler,
    Set-ADSyncScheduler, Start-ADSyncSyncCycle, Get-ADSyncConnector, Get-ADSyncConnectorRunStatus,
    Get-ADSyncRunProfileResult, Get-ADSyncCSObject, Get-ADSyncGlobalSettings. A cycle takes simulated wall time (sync.cycleDurationMs,
    sim.json syncCycleMs or UPN_MATCH_SIM_SYNC_MS); its effects are applied by the settle step of whichever fake
    runs first after it ends (UpnMatch.Sim.Sync.ps1 holds the engine and the documented matching rules).
#>
Set-StrictMode -Version Latest

# UpnMatch.Sim (state, lock, call log, latency, faults, sync engine) is a nested module: see the manifest.

$script:ModuleName = 'ADSync'

function Get-ADSyncStableGuid {
    param([string] $Text)
    $md5 = [System.Security.Cryptography.MD5]::Create()
    $bytes = $md5.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($Text.ToLowerInvariant()))
    return (New-Object System.Guid (, $bytes))
}

function Get-ADSyncConnectorData {
    param($State)
    $ad = Get-SimAdConnectorName $State
    $aad = Get-SimAadConnectorName $State
    return @(
        [ordered]@{ Name = $ad; Identifier = (Get-ADSyncStableGuid ('ad:' + $ad)); Type = 'AD'; Subtype = $null; Kind = 'AD' },
        [ordered]@{ Name = $aad; Identifier = (Get-ADSyncStableGuid ('aad:' + $aad)); Type = 'Extensible2'; Subtype = 'Windows Azure Active Directory (Microsoft)'; Kind = 'AAD' }
    )
}

function Get-ADSyncPartitions {
    <#
    .SYNOPSIS
        The connector's partitions. For the AD connector: one per domain (Selected false when its DN is in
        sync.unselectedPartitions), whose ConnectorPartitionScope holds the OU filtering in that domain:
        ContainerInclusionList (sync.syncScopeOUs; the domain itself when the list is missing, i.e. every OU) and
        ContainerExclusionList (sync.scopeExclusions). The scope's property names follow Microsoft's password
        hash sync troubleshooting script (rule sheet 7.6).
        Parameters lists the partition's settings as Name/Value pairs; the sim gives 'last-dc', the domain
        controller the connector imports from (Get-SimConnectorDomainController). The name 'last-dc' is seen in
        community scripts ((Get-ADSyncConnector).Partitions.Parameters | ? Name -eq 'last-dc') and in exported
        server configurations (adma-partition-data/last-dc, beside preferred-dcs/preferred-dc); how preferred
        DCs appear in Parameters is unverified, so the sim does not show them there.
    #>
    param($State, $Connector)
    $partitions = [System.Collections.Generic.List[object]]::new()
    if ($Connector.Kind -eq 'AD') {
        $scope = $null
        if ($State.sync.Contains('syncScopeOUs') -and $null -ne $State.sync['syncScopeOUs']) { $scope = @($State.sync['syncScopeOUs']) }
        # A container belongs to the partition of the deepest domain that holds it (a child domain's OUs are not the parent's).
        $inDomain = {
            param($List, [string] $Dn)
            $mine = [System.Collections.Generic.List[string]]::new()
            foreach ($item in @($List)) {
                $text = [string]$item
                if (-not $text) { continue }
                $owner = Get-SimDomainOf $State $text
                if ($null -ne $owner -and ([string]$owner.DistinguishedName).Equals($Dn, [StringComparison]::OrdinalIgnoreCase)) { $mine.Add($text) }
            }
            return , $mine.ToArray()
        }
        foreach ($domain in @(Get-SimValue $State.forest 'domains' @())) {
            $dn = [string](Get-SimValue $domain 'DistinguishedName' '')
            $included = @($dn)
            if ($null -ne $scope) { $included = & $inDomain $scope $dn }
            $excluded = & $inDomain @(Get-SimValue $State.sync 'scopeExclusions' @()) $dn
            $unselected = & $inDomain @(Get-SimValue $State.sync 'unselectedPartitions' @()) $dn
            $selected = ($unselected.Count -eq 0)
            $partitionScope = [pscustomobject]@{ ContainerInclusionList = [string[]]$included; ContainerExclusionList = [string[]]$excluded; ObjectClassInclusionList = [string[]]@('user', 'group', 'contact', 'inetOrgPerson') }
            $parameters = @([pscustomobject]@{ Name = 'last-dc'; Value = (Get-SimConnectorDomainController $State $domain) })
            $partitions.Add([pscustomobject]@{
                    Name = [string](Get-SimValue $domain 'DNSRoot' ''); DN = $dn; Identifier = (Get-ADSyncStableGuid ('partition:' + $dn)); Selected = $selected
                    ConnectorPartitionScope = $partitionScope; Parameters = $parameters
                })
        }
    } else {
        $partitions.Add([pscustomobject]@{ Name = 'default'; DN = 'default'; Identifier = (Get-ADSyncStableGuid ('partition:' + $Connector.Name)); Selected = $true
                ConnectorPartitionScope = [pscustomobject]@{ ContainerInclusionList = [string[]]@(); ContainerExclusionList = [string[]]@(); ObjectClassInclusionList = [string[]]@() }; Parameters = @() })
    }
    return $partitions.ToArray()
}

function Test-ADSyncCycleRunning {
    param($Context)
    $cycle = Get-SimValue $Context.State.sync 'cycle'
    if ($null -eq $cycle) { return $false }
    $ends = ConvertFrom-SimTime (Get-SimValue $cycle 'endsAt')
    return ($null -eq $ends -or $Context.Now -lt $ends)
}

function Invoke-ADSyncCommand {
    param([string] $Command, $BoundParameters, [scriptblock] $Body)
    return (Invoke-SimCommand -Module $script:ModuleName -Command $Command -BoundParameters $BoundParameters -Body $Body)
}

function Get-ADSyncScheduler {
    <#
    .SYNOPSIS
        Gets the current synchronization cycle settings for the sync scheduler (simulated).
    #>
    [CmdletBinding()]
    param()
    try {
        $bound = $PSBoundParameters  # the body scriptblock has its own $PSBoundParameters
        $result = Invoke-ADSyncCommand 'Get-ADSyncScheduler' $PSBoundParameters {
            param($ctx)
            $sync = $ctx.State.sync
            $interval = [TimeSpan]::FromMinutes([int](Get-SimValue $sync 'syncIntervalMinutes' 30))
            $custom = $null
            $customText = [string](Get-SimValue $sync 'customizedSyncCycleInterval' '')
            if ($customText) { $custom = [TimeSpan]::Parse($customText, [System.Globalization.CultureInfo]::InvariantCulture) }
            $effective = $interval
            if ($null -ne $custom -and $custom -gt $interval) { $effective = $custom }
            $next = ConvertFrom-SimTime (Get-SimValue $sync 'nextCycleAt')
            if ($null -eq $next) { $next = $ctx.Now.AddMinutes($effective.TotalMinutes) }
            $settings = [pscustomobject]@{
                AllowedSyncCycleInterval            = $interval
                CurrentlyEffectiveSyncCycleInterval = $effective
                CustomizedSyncCycleInterval         = $custom
                NextSyncCyclePolicyType             = [string](Get-SimValue $sync 'nextSyncCyclePolicyType' 'Delta')
                NextSyncCycleStartTimeInUTC         = [datetime]::SpecifyKind($next, [DateTimeKind]::Utc)
                PurgeRunHistoryInterval             = [TimeSpan]::FromDays(7)
                SyncCycleEnabled                    = [bool](Get-SimValue $sync 'syncCycleEnabled' $true)
                MaintenanceEnabled                  = [bool](Get-SimValue $sync 'maintenanceEnabled' $true)
                StagingModeEnabled                  = [bool](Get-SimValue $sync 'stagingModeEnabled' $false)
                SchedulerSuspended                  = [bool](Get-SimValue $sync 'schedulerSuspended' $false)
                SyncCycleInProgress                 = (Test-ADSyncCycleRunning $ctx)
            }
            $settings.PSObject.TypeNames.Insert(0, 'Microsoft.IdentityManagement.PowerShell.ObjectModel.SchedulerSettings')
            return $settings
        }
    } catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
    $PSCmdlet.WriteObject($result)
}

function Set-ADSyncScheduler {
    <#
    .SYNOPSIS
        Sets the scheduler settings (simulated). Staging mode is not a scheduler setting (set it in state).
    #>
    [CmdletBinding(SupportsShouldProcess = $true)]
    param(
        [Parameter(Position = 0)] [System.Nullable[TimeSpan]] $CustomizedSyncCycleInterval,
        [Parameter(Position = 1)] [System.Nullable[bool]] $SyncCycleEnabled,
        [Parameter(Position = 2)] [ValidateSet('Unspecified', 'Delta', 'Initial')] [string] $NextSyncCyclePolicyType,
        [Parameter(Position = 3)] [System.Nullable[datetime]] $NextSyncCycleStartTimeInUTC,
        [Parameter(Position = 4)] [System.Nullable[TimeSpan]] $PurgeRunHistoryInterval,
        [Parameter(Position = 5)] [System.Nullable[bool]] $MaintenanceEnabled,
        [Parameter(Position = 6)] [System.Nullable[bool]] $SchedulerSuspended,
        [switch] $Force
    )
    try {
        $bound = $PSBoundParameters  # the body scriptblock has its own $PSBoundParameters
        $null = Invoke-ADSyncCommand 'Set-ADSyncScheduler' $PSBoundParameters {
            param($ctx)
            if (-not $PSCmdlet.ShouldProcess('ADSync scheduler', 'Set')) { return $null }
            $sync = $ctx.State.sync
            if ($bound.ContainsKey('SyncCycleEnabled')) { $sync['syncCycleEnabled'] = [bool]$SyncCycleEnabled }
            if ($bound.ContainsKey('MaintenanceEnabled')) { $sync['maintenanceEnabled'] = [bool]$MaintenanceEnabled }
            if ($bound.ContainsKey('SchedulerSuspended')) { $sync['schedulerSuspended'] = [bool]$SchedulerSuspended }
            if ($bound.ContainsKey('NextSyncCyclePolicyType')) { $sync['nextSyncCyclePolicyType'] = $NextSyncCyclePolicyType }
            if ($bound.ContainsKey('CustomizedSyncCycleInterval')) {
                if ($null -eq $CustomizedSyncCycleInterval) { $sync['customizedSyncCycleInterval'] = $null }
                else { $sync['customizedSyncCycleInterval'] = ([TimeSpan]$CustomizedSyncCycleInterval).ToString('c') }
            }
            if ($bound.ContainsKey('NextSyncCycleStartTimeInUTC') -and $null -ne $NextSyncCycleStartTimeInUTC) {
                $sync['nextCycleAt'] = Format-SimTime ([datetime]::SpecifyKind([datetime]$NextSyncCycleStartTimeInUTC, [DateTimeKind]::Utc))
            }
            $ctx.Dirty = $true
            return $null
        }
    } catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
}

function Start-ADSyncSyncCycle {
    <#
    .SYNOPSIS
        Starts a sync cycle (simulated). Returns an object whose Result is 'Success'. While the scheduler is suspended
        (sync.schedulerSuspended) it fails with "Scheduler is already suspended via global parameters.". While a cycle runs the
        real error text is raised: "System.InvalidOperationException: Connector: <tenant>.onmicrosoft.com - AAD
        is busy." In staging mode the cycle runs (imports, synchronizes) but exports nothing.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Position = 0)] [ValidateSet('Delta', 'Initial')] [string] $PolicyType = 'Delta',
        [Parameter(Position = 1)] [System.Nullable[bool]] $InteractiveMode
    )
    try {
        $bound = $PSBoundParameters  # the body scriptblock has its own $PSBoundParameters
        $result = Invoke-ADSyncCommand 'Start-ADSyncSyncCycle' $PSBoundParameters {
            param($ctx)
            if ([bool](Get-SimValue $ctx.State.sync 'schedulerSuspended' $false)) {
                # The text a cycle started while the wizard is open or an upgrade runs fails with (rule sheet 7.3, a
                # community script quoting it; unverified against Microsoft's own documentation).
                $exception = New-Object System.InvalidOperationException 'System.InvalidOperationException: Scheduler is already suspended via global parameters.'
                throw (New-SimErrorRecord -Exception $exception -ErrorId 'System.InvalidOperationException: Scheduler is already suspended via global parameters.' -Category WriteError -Target 'StartADSyncSyncCycle')
            }
            if (-not (Start-SimSyncCycle -Context $ctx -PolicyType $PolicyType)) {
                $connector = Get-SimAadConnectorName $ctx.State
                $message = "System.InvalidOperationException: Connector: $connector is busy.`r`n   at Microsoft.MetadirectoryServices.Scheduler.Scheduler.StartSyncCycle(String overridePolicy, Boolean interactiveMode)`r`n   at SchedulerUtils.StartSyncCycle(SchedulerUtils* , Char* policyType, Int32 interactiveMode, Char** errorString)"
                $exception = New-Object System.InvalidOperationException $message
                throw (New-SimErrorRecord -Exception $exception -ErrorId ("System.InvalidOperationException: Connector: $connector is busy.") -Category WriteError -Target 'StartADSyncSyncCycle')
            }
            $status = [pscustomobject]@{ Result = 'Success' }
            $status.PSObject.TypeNames.Insert(0, 'Microsoft.IdentityManagement.PowerShell.ObjectModel.SchedulerOperationStatus')
            return $status
        }
    } catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
    $PSCmdlet.WriteObject($result)
}

function Get-ADSyncConnector {
    <#
    .SYNOPSIS
        Gets the connectors (simulated: the AD forest connector and the "<tenant>.onmicrosoft.com - AAD" connector).
    #>
    [CmdletBinding(DefaultParameterSetName = 'SearchByName')]
    param(
        [Parameter(ParameterSetName = 'SearchByName', Position = 0)] [string] $Name,
        [Parameter(ParameterSetName = 'SearchByIdentifier', Mandatory = $true)] [guid] $Identifier
    )
    try {
        $bound = $PSBoundParameters  # the body scriptblock has its own $PSBoundParameters
        $result = Invoke-ADSyncCommand 'Get-ADSyncConnector' $PSBoundParameters {
            param($ctx)
            $list = [System.Collections.Generic.List[object]]::new()
            foreach ($connector in (Get-ADSyncConnectorData $ctx.State)) {
                if ($Name -and -not ([string]$connector.Name).Equals($Name, [StringComparison]::OrdinalIgnoreCase)) { continue }
                if ($bound.ContainsKey('Identifier') -and $connector.Identifier -ne $Identifier) { continue }
                # GlobalParameters: the AD connector's group-based filtering group, as Microsoft's provisioning
                # troubleshooting script reads it ($Connector.GlobalParameters["Connector.GroupFilteringGroupDn"]).
                $global = @()
                if ($connector.Kind -eq 'AD') { $global = @([pscustomobject]@{ Name = 'Connector.GroupFilteringGroupDn'; Value = [string](Get-SimValue $ctx.State.sync 'groupFilter' '') }) }
                $object = [pscustomobject]@{ Name = $connector.Name; Identifier = $connector.Identifier; Type = $connector.Type; Subtype = $connector.Subtype; ConnectorTypeName = $connector.Type; Partitions = @(Get-ADSyncPartitions $ctx.State $connector); GlobalParameters = $global }
                $object.PSObject.TypeNames.Insert(0, 'Microsoft.IdentityManagement.PowerShell.ObjectModel.Connector')
                $list.Add($object)
            }
            return , $list.ToArray()
        }
    } catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
    foreach ($item in @($result)) { $PSCmdlet.WriteObject($item) }
}

function Get-ADSyncGlobalSettings {
    <#
    .SYNOPSIS
        Gets the sync engine's global settings (simulated): Version, SqlSchemaVersion, InstanceId, Schema and
        Parameters, a collection of named string parameters.
    .DESCRIPTION
        Shape and names as dumps of the real cmdlet show them ("Azure AD Connect Global Settings", integrationtrench.com,
        2020; Microsoft's own troubleshooting script reads .Parameters["Microsoft.SynchronizationOption.UPNAttribute"].Value;
        Cloud Sync migration checks read Microsoft.SynchronizationOption.AnchorAttribute with the values
        mS-DS-ConsistencyGuid and objectGUID). The sim serves the parameters upn-match and the engine use:
        - Microsoft.SynchronizationOption.AnchorAttribute: sync.anchorAttribute (default mS-DS-ConsistencyGuid). For a
          custom source anchor the sim puts the attribute's LDAP name there (guessed: no source shows a custom value);
        - Microsoft.SynchronizationOption.UPNAttribute: sync.upnAttribute (default userPrincipalName; e.g. mail for an
          alternate login ID);
        - Microsoft.Synchronize.StagingMode, Microsoft.Synchronize.SchedulerSuspended, Microsoft.Synchronize.TimeInterval,
          Microsoft.SynchronizationOption.JoinCriteria, Microsoft.SynchronizationOption.CustomAttribute.
    #>
    [CmdletBinding(SupportsShouldProcess = $true)]
    param()
    try {
        $result = Invoke-ADSyncCommand 'Get-ADSyncGlobalSettings' $PSBoundParameters {
            param($ctx)
            $sync = $ctx.State.sync
            $anchor = Get-SimAnchorAttribute $ctx.State
            $custom = ''
            if ($anchor -ne 'mS-DS-ConsistencyGuid' -and $anchor -ne 'objectGUID') { $custom = $anchor }
            $values = [ordered]@{
                'Microsoft.Synchronize.SynchronizationPolicy'     = 'Delta'
                'Microsoft.SynchronizationOption.JoinCriteria'    = 'AlwaysProvision'
                'Microsoft.SynchronizationOption.AnchorAttribute' = $anchor
                'Microsoft.SynchronizationOption.UPNAttribute'    = (Get-SimUpnAttribute $ctx.State)
                'Microsoft.SynchronizationOption.CustomAttribute' = $custom
                'Microsoft.Synchronize.SchedulerSuspended'        = ([string][bool](Get-SimValue $sync 'schedulerSuspended' $false))
                'Microsoft.Synchronize.StagingMode'               = ([string][bool](Get-SimValue $sync 'stagingModeEnabled' $false))
                'Microsoft.Synchronize.TimeInterval'              = ([TimeSpan]::FromMinutes([int](Get-SimValue $sync 'syncIntervalMinutes' 30))).ToString()
                'Microsoft.Synchronize.ServerConfigurationVersion' = '2.4.27.0'
            }
            $parameters = New-Object Microsoft.IdentityManagement.PowerShell.ObjectModel.ConfigurationParameterCollection
            foreach ($name in @($values.Keys)) {
                $parameter = New-Object Microsoft.IdentityManagement.PowerShell.ObjectModel.ConfigurationParameter
                $parameter.Name = $name; $parameter.InputType = 'String'; $parameter.Scope = 'SynchronizationGlobal'; $parameter.Description = ''
                $parameter.RegexValidationPattern = ''; $parameter.DefaultValue = ''; $parameter.Value = [string]$values[$name]; $parameter.DataType = 'String'
                $parameters.Add($parameter)
            }
            $settings = [pscustomobject]@{
                Version          = [int](Get-SimValue $sync 'runNumber' 0) + 400
                SqlSchemaVersion = 615
                InstanceId       = (Get-ADSyncStableGuid ('instance:' + [string](Get-SimValue $sync 'serverName' 'AADC01')))
                Schema           = 'Microsoft.IdentityManagement.PowerShell.ObjectModel.Schema'
                Parameters       = $parameters
            }
            $settings.PSObject.TypeNames.Insert(0, 'Microsoft.IdentityManagement.PowerShell.ObjectModel.GlobalSettings')
            return $settings
        }
    } catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
    $PSCmdlet.WriteObject($result)
}

function Get-ADSyncConnectorRunStatus {
    <#
    .SYNOPSIS
        The connectors that are running now (RunState Busy) - nothing when the engine is idle.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Position = 0)] [string] $ConnectorName,
        [guid] $ConnectorIdentifier
    )
    try {
        $bound = $PSBoundParameters  # the body scriptblock has its own $PSBoundParameters
        $result = Invoke-ADSyncCommand 'Get-ADSyncConnectorRunStatus' $PSBoundParameters {
            param($ctx)
            if (-not (Test-ADSyncCycleRunning $ctx)) { return , @() }
            $aad = Get-SimAadConnectorName $ctx.State
            if ($ConnectorName -and -not $ConnectorName.Equals($aad, [StringComparison]::OrdinalIgnoreCase)) { return , @() }
            return , @([pscustomobject]@{ RunState = 'Busy'; ConnectorName = $aad })
        }
    } catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
    foreach ($item in @($result)) { $PSCmdlet.WriteObject($item) }
}

function ConvertTo-ADSyncExportError {
    param($Failure, $Connector)
    $object = [pscustomobject]@{
        ErrorName         = [string]$Failure.errorType
        ErrorCode         = '0x8023134a'
        DateOccurred      = (ConvertFrom-SimTime $Failure.occurredAt)
        FirstOccurred     = (ConvertFrom-SimTime $Failure.occurredAt)
        RetryCount        = 0
        DistinguishedName = [string]$Failure.dn
        ObjectGuid        = [string]$Failure.objectGuid
        AttributeName     = $Failure.attribute
        AttributeValue    = $Failure.value
        ConflictingObjectId = $Failure.conflictingObjectId
        ErrorLiteral      = [string]$Failure.message
        ServerErrorDetail = [string]$Failure.message
        ConnectorName     = $Connector
    }
    $object.PSObject.TypeNames.Insert(0, 'Microsoft.IdentityManagement.PowerShell.ObjectModel.ExportError')
    return $object
}

function Get-ADSyncRunProfileResult {
    <#
    .SYNOPSIS
        Run profile results of past cycles, newest first: per cycle the AD and AAD connectors' Delta/Full
        Import, Synchronization and Export. With -RunStepDetails each result has RunStepResults; the AAD Export
        step lists the per-object export errors (ExportErrors: DistinguishedName, ErrorName such as
        AttributeValueMustBeUnique, AttributeName, AttributeValue).
    #>
    [CmdletBinding(SupportsShouldProcess = $true)]
    param(
        [guid] $RunHistoryId,
        [guid] $ConnectorId,
        [guid] $RunProfileId,
        [int] $RunNumber,
        [int] $NumberRequested,
        [switch] $RunStepDetails,
        [int] $StepNumber
    )
    try {
        $bound = $PSBoundParameters  # the body scriptblock has its own $PSBoundParameters
        $result = Invoke-ADSyncCommand 'Get-ADSyncRunProfileResult' $PSBoundParameters {
            param($ctx)
            $state = $ctx.State
            $sync = $state.sync
            $connectors = Get-ADSyncConnectorData $state
            $runs = [System.Collections.Generic.List[object]]::new()
            $cycle = Get-SimValue $sync 'cycle'
            if ($null -ne $cycle) { $runs.Add(@{ Run = $cycle; InProgress = $true }) }
            $lastRun = Get-SimValue $sync 'lastRun'
            foreach ($summary in @(Get-SimValue $sync 'runHistory' @())) {
                $full = $summary
                if ($null -ne $lastRun -and [string]$lastRun.runHistoryId -eq [string]$summary.runHistoryId) { $full = $lastRun }
                $runs.Add(@{ Run = $full; InProgress = $false })
            }
            $out = [System.Collections.Generic.List[object]]::new()
            $index = 0
            foreach ($entry in $runs) {
                $run = $entry.Run
                $index++
                $policy = [string](Get-SimValue $run 'policyType' 'Delta')
                $prefix = 'Delta'
                if ($policy -eq 'Initial') { $prefix = 'Full' }
                $profiles = @(
                    @($connectors[0], "$prefix Import"), @($connectors[1], "$prefix Import"),
                    @($connectors[0], "$prefix Synchronization"), @($connectors[1], "$prefix Synchronization"),
                    @($connectors[1], 'Export'), @($connectors[0], 'Export'))
                $errors = @(Get-SimValue $run 'errors' @())
                foreach ($runProfile in $profiles) {
                    $connector = $runProfile[0]
                    $profileName = $runProfile[1]
                    $runHistory = Get-ADSyncStableGuid ([string](Get-SimValue $run 'runHistoryId' '') + '|' + $connector.Name + '|' + $profileName)
                    if ($bound.ContainsKey('RunHistoryId') -and $runHistory -ne $RunHistoryId -and ([string](Get-SimValue $run 'runHistoryId' '')) -ne $RunHistoryId.ToString()) { continue }
                    if ($bound.ContainsKey('ConnectorId') -and $connector.Identifier -ne $ConnectorId) { continue }
                    $isExportAad = ($connector.Kind -eq 'AAD' -and $profileName -eq 'Export')
                    $resultText = 'success'
                    if ($entry.InProgress) { $resultText = 'in-progress' }
                    elseif ($isExportAad -and $errors.Count -gt 0) { $resultText = 'completed-export-errors' }
                    $start = ConvertFrom-SimTime (Get-SimValue $run 'startedAt')
                    $end = ConvertFrom-SimTime (Get-SimValue $run 'endedAt')
                    $item = [ordered]@{
                        RunHistoryId      = $runHistory
                        ConnectorId       = $connector.Identifier
                        ConnectorName     = $connector.Name
                        RunProfileId      = (Get-ADSyncStableGuid ($connector.Name + '|' + $profileName))
                        RunProfileName    = $profileName
                        RunNumber         = [int](Get-SimValue $run 'runNumber' 0)
                        Username          = ('{0}\ADSyncAdmin' -f ([string](Get-SimValue $sync 'serverName' 'AADC01')))
                        IsRunComplete     = (-not $entry.InProgress)
                        Result            = $resultText
                        CurrentStepNumber = 1
                        TotalSteps        = 1
                        StartDate         = $start
                        EndDate           = $end
                    }
                    if ($RunStepDetails) {
                        $exportErrors = @()
                        if ($isExportAad) { $exportErrors = @($errors | ForEach-Object { ConvertTo-ADSyncExportError $_ $connector.Name }) }
                        $exports = Get-SimValue $run 'exports'
                        $step = [pscustomobject]@{
                            RunHistoryId  = $runHistory
                            StepHistoryId = (Get-ADSyncStableGuid ([string]$runHistory + '|1'))
                            StepNumber    = 1
                            StepResult    = $resultText
                            StartDate     = $start
                            EndDate       = $end
                            StagingMode   = [bool](Get-SimValue $run 'stagingMode' $false)
                            ExportAdd     = $(if ($isExportAad) { [int](Get-SimValue $exports 'adds' 0) } else { 0 })
                            ExportUpdate  = $(if ($isExportAad) { [int](Get-SimValue $exports 'updates' 0) } else { 0 })
                            ExportDelete  = $(if ($isExportAad) { [int](Get-SimValue $exports 'deletes' 0) } else { 0 })
                            ExportErrors  = $exportErrors
                        }
                        $item['RunStepResults'] = @($step)
                    }
                    $object = [pscustomobject]$item
                    $object.PSObject.TypeNames.Insert(0, 'Microsoft.IdentityManagement.PowerShell.ObjectModel.RunHistory')
                    $out.Add($object)
                }
                if ($bound.ContainsKey('NumberRequested') -and $out.Count -ge $NumberRequested) { break }
            }
            $final = $out.ToArray()
            if ($bound.ContainsKey('NumberRequested') -and $final.Count -gt $NumberRequested) { $final = $final[0..($NumberRequested - 1)] }
            return , $final
        }
    } catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
    foreach ($item in @($result)) { $PSCmdlet.WriteObject($item) }
}

function Get-ADSyncCSObject {
    <#
    .SYNOPSIS
        Connector space objects (simulated): for the AD connector, the AD user at -DistinguishedName; for the
        AAD connector, the Entra object exported for that AD user (address it by the AD user's DN), with
        HasExportError and ExportError from the last run.
    #>
    [CmdletBinding(DefaultParameterSetName = 'SearchByConnectorNameDistinguishedName')]
    param(
        [Parameter(ParameterSetName = 'SearchByIdentifier', Mandatory = $true, Position = 0)] [guid] $Identifier,
        [Parameter(ParameterSetName = 'SearchByConnectorIdentifierDistinguishedName', Mandatory = $true, Position = 0)]
        [Parameter(ParameterSetName = 'SearchByConnectorIdentifier', Mandatory = $true, Position = 0)] [guid] $ConnectorIdentifier,
        [Parameter(ParameterSetName = 'SearchByConnectorNameDistinguishedName', Mandatory = $true, Position = 0)]
        [Parameter(ParameterSetName = 'SearchByConnectorName', Mandatory = $true, Position = 0)] [string] $ConnectorName,
        [Parameter(ParameterSetName = 'SearchByConnectorIdentifierDistinguishedName', Mandatory = $true, Position = 1)]
        [Parameter(ParameterSetName = 'SearchByConnectorNameDistinguishedName', Mandatory = $true, Position = 1)] [string] $DistinguishedName,
        [Parameter(ParameterSetName = 'SearchByConnectorIdentifierDistinguishedName')]
        [Parameter(ParameterSetName = 'SearchByConnectorNameDistinguishedName')] [switch] $SkipDNValidation,
        [Parameter(ParameterSetName = 'SearchByConnectorIdentifierDistinguishedName')]
        [Parameter(ParameterSetName = 'SearchByConnectorNameDistinguishedName')]
        [Parameter(ParameterSetName = 'SearchByConnectorIdentifier')]
        [Parameter(ParameterSetName = 'SearchByConnectorName')] [switch] $Transient,
        [Parameter(ParameterSetName = 'SearchByConnectorIdentifier')]
        [Parameter(ParameterSetName = 'SearchByConnectorName')] [int] $StartIndex = 0,
        [Parameter(ParameterSetName = 'SearchByConnectorIdentifier')]
        [Parameter(ParameterSetName = 'SearchByConnectorName')] [int] $MaxResultCount = 100
    )
    try {
        $bound = $PSBoundParameters  # the body scriptblock has its own $PSBoundParameters
        $result = Invoke-ADSyncCommand 'Get-ADSyncCSObject' $PSBoundParameters {
            param($ctx)
            $state = $ctx.State
            $connectors = Get-ADSyncConnectorData $state
            $connector = $null
            foreach ($candidate in $connectors) {
                if ($ConnectorName -and ([string]$candidate.Name).Equals($ConnectorName, [StringComparison]::OrdinalIgnoreCase)) { $connector = $candidate }
                if ($bound.ContainsKey('ConnectorIdentifier') -and $candidate.Identifier -eq $ConnectorIdentifier) { $connector = $candidate }
            }
            $lastRun = Get-SimValue $state.sync 'lastRun'
            $errors = @(Get-SimValue $lastRun 'errors' @())
            $joins = Get-SimValue $state.sync 'joins'
            $build = {
                param($Connector, $AdUser)
                $guid = [string]$AdUser.ObjectGUID
                $failure = $null
                if ($Connector.Kind -eq 'AAD') { foreach ($candidate in $errors) { if (([string]$candidate.objectGuid) -ieq $guid) { $failure = $candidate } } }
                $cloudId = $null
                if ($null -ne $joins) { foreach ($key in @($joins.Keys)) { if (([string]$key) -ieq $guid) { $cloudId = [string]$joins[$key] } } }
                $object = [pscustomobject]@{
                    Identifier           = (Get-ADSyncStableGuid ($Connector.Name + '|' + $guid))
                    ConnectorId          = $Connector.Identifier
                    ConnectorName        = $Connector.Name
                    ConnectorType        = $Connector.Type
                    DistinguishedName    = [string]$AdUser.DistinguishedName
                    AnchorValue          = (Get-SimSourceAnchor $AdUser $state)
                    ObjectType           = 'user'
                    IsTransient          = $false
                    IsPlaceHolder        = $false
                    IsConnector          = ($Connector.Kind -eq 'AD' -or $null -ne $cloudId)
                    HasSyncError         = $false
                    HasExportError       = ($null -ne $failure)
                    ExportError          = $(if ($null -ne $failure) { ConvertTo-ADSyncExportError $failure $Connector.Name } else { $null })
                    SynchronizationError = $null
                    ConnectedMVObjectId  = (Get-ADSyncStableGuid ('mv|' + $guid))
                    CloudObjectId        = $cloudId
                }
                $object.PSObject.TypeNames.Insert(0, 'Microsoft.IdentityManagement.PowerShell.ObjectModel.CsObject')
                return $object
            }
            $users = @(Get-SimValue $state.forest 'users' @())
            if ($PSCmdlet.ParameterSetName -eq 'SearchByIdentifier') {
                foreach ($candidateConnector in $connectors) {
                    foreach ($user in $users) {
                        if ((Get-ADSyncStableGuid ($candidateConnector.Name + '|' + [string]$user.ObjectGUID)) -eq $Identifier) { return , @(& $build $candidateConnector $user) }
                    }
                }
                return , @()
            }
            if ($null -eq $connector) {
                $exception = New-Object System.ArgumentException ("The specified connector could not be found: '{0}'." -f ($(if ($ConnectorName) { $ConnectorName } else { [string]$ConnectorIdentifier })))
                throw (New-SimErrorRecord -Exception $exception -ErrorId 'System.ArgumentException,Microsoft.IdentityManagement.PowerShell.Cmdlet.GetADSyncCSObjectCmdlet' -Category InvalidArgument)
            }
            if ($bound.ContainsKey('DistinguishedName')) {
                foreach ($user in $users) {
                    if (([string]$user.DistinguishedName).Equals($DistinguishedName, [StringComparison]::OrdinalIgnoreCase)) { return , @(& $build $connector $user) }
                }
                return , @()
            }
            $list = [System.Collections.Generic.List[object]]::new()
            foreach ($user in $users) { if (Test-SimInSyncScope $state $user) { $list.Add((& $build $connector $user)) } }
            $page = @($list.ToArray() | Select-Object -Skip $StartIndex -First $MaxResultCount)
            return , $page
        }
    } catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
    foreach ($item in @($result)) { $PSCmdlet.WriteObject($item) }
}

$exported = @('Get-ADSyncScheduler', 'Set-ADSyncScheduler', 'Start-ADSyncSyncCycle', 'Get-ADSyncConnector', 'Get-ADSyncConnectorRunStatus', 'Get-ADSyncRunProfileResult', 'Get-ADSyncCSObject', 'Get-ADSyncGlobalSettings')
# With a simulator server (UPN_MATCH_SIM_SERVER), each cmdlet forwards its calls there: see UpnMatch.Sim.Remote.ps1.
foreach ($proxy in @(Get-SimRemoteProxies -Module $script:ModuleName -Functions @($exported | ForEach-Object { Get-Item -Path ('function:' + $_) }))) {
    Set-Item -Path ('function:script:' + $proxy.Name) -Value $proxy.Body
}
Export-ModuleMember -Function $exported
