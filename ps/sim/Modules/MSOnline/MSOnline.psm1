<#
.SYNOPSIS
    Fake MSOnline module of the upn-match simulator: Connect-MsolService, Get-MsolDirSyncFeatures,
    Set-MsolDirSyncFeature, Get-MsolUser, Get-MsolCompanyInformation over the simulated tenant.
.DESCRIPTION
    Feature rows map onto the Graph onPremisesDirectorySynchronizationFeature flags in state (tenant.features),
    so a change made here is seen through Graph and by the sync engine, and the other way round.
    Reference: "Set-MsolDirSyncFeature" https://learn.microsoft.com/powershell/module/msonline/set-msoldirsyncfeature
#>
Set-StrictMode -Version Latest

# UpnMatch.Sim (state, lock, call log, latency, faults, sync engine) is a nested module: see the manifest.

$script:ModuleName = 'MSOnline'
$script:Connected = $false

# MSOnline feature name => Graph feature flag (and its default when the state does not say).
$script:FeatureMap = [ordered]@{
    BlockCloudObjectTakeoverThroughHardMatch           = @('blockCloudObjectTakeoverThroughHardMatchEnabled', $false)
    BlockSoftMatch                                     = @('blockSoftMatchEnabled', $false)
    DeviceWriteback                                    = @('deviceWritebackEnabled', $false)
    DirectoryExtensions                                = @('directoryExtensionsEnabled', $false)
    DuplicateProxyAddressResiliency                    = @('quarantineUponProxyAddressesConflictEnabled', $true)
    DuplicateUPNResiliency                             = @('quarantineUponUpnConflictEnabled', $true)
    EnableSoftMatchOnUpn                               = @('softMatchOnUpnEnabled', $true)
    EnforceCloudPasswordPolicyForPasswordSyncedUsers   = @('cloudPasswordPolicyForPasswordSyncedUsersEnabled', $false)
    PassThroughAuthentication                          = @('passThroughAuthenticationEnabled', $false)
    PasswordSync                                       = @('passwordSyncEnabled', $false)
    SynchronizeUpnForManagedUsers                      = @('synchronizeUpnForManagedUsersEnabled', $true)
    UnifiedGroupWriteback                              = @('unifiedGroupWritebackEnabled', $false)
    UserWriteback                                      = @('userWritebackEnabled', $false)
}
# Set-MsolDirSyncFeature accepts these (documented list); the first two cannot be turned off once on.
$script:SettableFeatures = @('EnableSoftMatchOnUpn', 'SynchronizeUpnForManagedUsers', 'PasswordSync', 'BlockSoftMatch', 'BlockCloudObjectTakeoverThroughHardMatch')
$script:OneWayFeatures = @('EnableSoftMatchOnUpn', 'SynchronizeUpnForManagedUsers')

function New-MsolError {
    param([string] $Message, [string] $Command, [System.Management.Automation.ErrorCategory] $Category = 'OperationStopped')
    $exception = New-SimException -TypeName 'Microsoft.Online.Administration.Automation.MicrosoftOnlineException' -Message $Message
    return (New-SimErrorRecord -Exception $exception -ErrorId ('Microsoft.Online.Administration.Automation.MicrosoftOnlineException,Microsoft.Online.Administration.Automation.' + $Command) -Category $Category)
}

function Assert-MsolConnected {
    param([string] $Command)
    if (-not $script:Connected) {
        throw (New-MsolError 'You must call the Connect-MsolService cmdlet before calling any other cmdlets.' $Command)
    }
}

function Get-MsolFeatureValue {
    param($State, [string] $Feature)
    $pair = $script:FeatureMap[$Feature]
    return (Get-SimFeature -State $State -Name $pair[0] -Default ([bool]$pair[1]))
}

function Invoke-MsolCommand {
    param([string] $Command, $BoundParameters, [scriptblock] $Body)
    return (Invoke-SimCommand -Module $script:ModuleName -Command $Command -BoundParameters $BoundParameters -Latency graph -Body $Body)
}

function Connect-MsolService {
    <#
    .SYNOPSIS
        Connects to the simulated tenant (no sign-in prompt).
    #>
    [CmdletBinding()]
    param(
        [System.Management.Automation.PSCredential] $Credential,
        [string] $AdGraphAccessToken,
        [string] $MsGraphAccessToken,
        [ValidateSet('AzureCloud', 'AzureChinaCloud', 'AzureGermanyCloud', 'USGovernment')] [string] $AzureEnvironment
    )
    try {
        $null = Invoke-MsolCommand 'Connect-MsolService' $PSBoundParameters {
            param($ctx)
            if ([bool](Get-SimValue $ctx.State.tenant 'msolRetired' $false)) {
                throw (New-MsolError 'Authentication Error: Unexpected authentication failure. The MSOnline PowerShell module is retired for this tenant.' 'ConnectMsolService')
            }
            return $null
        }
    } catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
    $script:Connected = $true
}

function Get-MsolDirSyncFeatures {
    <#
    .SYNOPSIS
        Rows of DirSyncFeature / Enabled for the simulated tenant.
    #>
    [CmdletBinding()]
    param(
        [string] $Feature,
        [guid] $TenantId
    )
    try {
        $result = Invoke-MsolCommand 'Get-MsolDirSyncFeatures' $PSBoundParameters {
            param($ctx)
            Assert-MsolConnected 'GetDirSyncFeatures'
            $rows = [System.Collections.Generic.List[object]]::new()
            foreach ($name in @($script:FeatureMap.Keys)) {
                if ($Feature -and -not $name.Equals($Feature, [StringComparison]::OrdinalIgnoreCase)) { continue }
                $row = [pscustomobject]@{ DirSyncFeature = $name; Enabled = (Get-MsolFeatureValue $ctx.State $name) }
                $row.PSObject.TypeNames.Insert(0, 'Microsoft.Online.Administration.DirSyncFeature')
                $rows.Add($row)
            }
            if ($Feature -and $rows.Count -eq 0) {
                throw (New-MsolError ("Invalid value for parameter. Parameter Name: Feature. Value: {0}." -f $Feature) 'GetDirSyncFeatures' InvalidArgument)
            }
            return , $rows.ToArray()
        }
    } catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
    foreach ($item in @($result)) { $PSCmdlet.WriteObject($item) }
}

function Set-MsolDirSyncFeature {
    <#
    .SYNOPSIS
        Turns a sync feature on or off (simulated). Asks for confirmation unless -Force, like the real cmdlet.
        EnableSoftMatchOnUpn and SynchronizeUpnForManagedUsers cannot be turned off once on.
    #>
    [CmdletBinding(SupportsShouldProcess = $true)]
    param(
        [Parameter(Mandatory = $true)] [string] $Feature,
        [Parameter(Mandatory = $true)] [bool] $Enable,
        [switch] $Force,
        [guid] $TenantId
    )
    if (-not $Force -and -not $WhatIfPreference) {
        if (-not $PSCmdlet.ShouldContinue(("Set the directory synchronization feature '{0}' to {1}? Some features cannot be disabled once they are enabled." -f $Feature, $Enable), 'Continue with this operation?')) { return }
    }
    try {
        $null = Invoke-MsolCommand 'Set-MsolDirSyncFeature' $PSBoundParameters {
            param($ctx)
            Assert-MsolConnected 'SetDirSyncFeature'
            $name = $null
            foreach ($known in $script:SettableFeatures) { if ($known.Equals($Feature, [StringComparison]::OrdinalIgnoreCase)) { $name = $known } }
            if ($null -eq $name) {
                throw (New-MsolError ("Invalid value for parameter. Parameter Name: Feature. Value: {0}." -f $Feature) 'SetDirSyncFeature' InvalidArgument)
            }
            $current = Get-MsolFeatureValue $ctx.State $name
            if (-not $Enable -and $current -and ($script:OneWayFeatures -contains $name)) {
                throw (New-MsolError ("The feature {0} cannot be disabled once it has been enabled." -f $name) 'SetDirSyncFeature' InvalidOperation)
            }
            if (-not $PSCmdlet.ShouldProcess($name, 'Set-MsolDirSyncFeature')) { return $null }
            if ($null -eq (Get-SimValue $ctx.State.tenant 'features')) { $ctx.State.tenant['features'] = [ordered]@{} }
            $ctx.State.tenant.features[$script:FeatureMap[$name][0]] = [bool]$Enable
            $ctx.Dirty = $true
            return $null
        }
    } catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
}

function ConvertTo-MsolUser {
    param($User)
    $errors = @(Get-SimValue $User 'onPremisesProvisioningErrors' @())
    $object = [pscustomobject]@{
        UserPrincipalName         = [string](Get-SimValue $User 'userPrincipalName' '')
        DisplayName               = Get-SimValue $User 'displayName'
        FirstName                 = Get-SimValue $User 'givenName'
        LastName                  = Get-SimValue $User 'surname'
        ObjectId                  = [guid][string]$User.id
        ImmutableId               = Get-SimValue $User 'onPremisesImmutableId'
        LastDirSyncTime           = $(if ($null -ne (Get-SimValue $User 'onPremisesLastSyncDateTime')) { ConvertFrom-SimTime (Get-SimValue $User 'onPremisesLastSyncDateTime') } else { $null })
        ProxyAddresses            = [string[]]@(Get-SimValue $User 'proxyAddresses' @())
        IsLicensed                = (@(Get-SimValue $User 'assignedLicenses' @()).Count -gt 0)
        BlockCredential           = (-not [bool](Get-SimValue $User 'accountEnabled' $true))
        UserType                  = [string](Get-SimValue $User 'userType' 'Member')
        WhenCreated               = $(if ($null -ne (Get-SimValue $User 'createdDateTime')) { ConvertFrom-SimTime (Get-SimValue $User 'createdDateTime') } else { $null })
        ValidationStatus          = 'Healthy'
        DirSyncProvisioningErrors = $errors
        Errors                    = $null
        SoftDeletionTimestamp     = $(if ($null -ne (Get-SimValue $User 'deletedDateTime')) { ConvertFrom-SimTime (Get-SimValue $User 'deletedDateTime') } else { $null })
    }
    $object.PSObject.TypeNames.Insert(0, 'Microsoft.Online.Administration.User')
    return $object
}

function Get-MsolUser {
    <#
    .SYNOPSIS
        Gets users of the simulated tenant. Not found: "User Not Found.  User: <upn>."
    #>
    [CmdletBinding(DefaultParameterSetName = 'All__0')]
    param(
        [Parameter(ParameterSetName = 'GetUserByUpn', Mandatory = $true)] [string] $UserPrincipalName,
        [Parameter(ParameterSetName = 'GetUser', Mandatory = $true)] [guid] $ObjectId,
        [Parameter(ParameterSetName = 'All__0')] [string] $SearchString,
        [Parameter(ParameterSetName = 'All__0')] [switch] $All,
        [Parameter(ParameterSetName = 'All__0')] [System.Nullable[int]] $MaxResults,
        [Parameter(ParameterSetName = 'All__0')] [switch] $Synchronized,
        [Parameter(ParameterSetName = 'All__0')] [Parameter(ParameterSetName = 'GetUserByUpn')] [Parameter(ParameterSetName = 'GetUser')] [switch] $ReturnDeletedUsers,
        [guid] $TenantId
    )
    try {
        $result = Invoke-MsolCommand 'Get-MsolUser' $PSBoundParameters {
            param($ctx)
            Assert-MsolConnected 'GetUser'
            $source = @(Get-SimValue $ctx.State.tenant 'users' @())
            if ($ReturnDeletedUsers) { $source = @(Get-SimValue $ctx.State.tenant 'deletedUsers' @()) }
            if ($PSCmdlet.ParameterSetName -eq 'GetUserByUpn') {
                foreach ($user in $source) { if (([string](Get-SimValue $user 'userPrincipalName' '')).Equals($UserPrincipalName, [StringComparison]::OrdinalIgnoreCase)) { return , @(ConvertTo-MsolUser $user) } }
                throw (New-MsolError ("User Not Found.  User: {0}." -f $UserPrincipalName) 'GetUser')
            }
            if ($PSCmdlet.ParameterSetName -eq 'GetUser') {
                foreach ($user in $source) { if (([string]$user.id).Equals($ObjectId.ToString(), [StringComparison]::OrdinalIgnoreCase)) { return , @(ConvertTo-MsolUser $user) } }
                throw (New-MsolError ("User Not Found.  User: {0}." -f $ObjectId) 'GetUser')
            }
            $list = [System.Collections.Generic.List[object]]::new()
            foreach ($user in $source) {
                if ($SearchString) {
                    $hay = @([string](Get-SimValue $user 'userPrincipalName' ''), [string](Get-SimValue $user 'displayName' ''), [string](Get-SimValue $user 'mail' ''))
                    if (-not (@($hay | Where-Object { $_.StartsWith($SearchString, [StringComparison]::OrdinalIgnoreCase) }).Count -gt 0)) { continue }
                }
                if ($Synchronized -and -not [bool](Get-SimValue $user 'onPremisesSyncEnabled' $false)) { continue }
                $list.Add((ConvertTo-MsolUser $user))
            }
            $limit = 500
            if ($null -ne $MaxResults) { $limit = [int]$MaxResults }
            if ($All) { $limit = [int]::MaxValue }
            $items = $list.ToArray()
            if ($items.Count -gt $limit) { $items = $items[0..($limit - 1)] }
            return , $items
        }
    } catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
    foreach ($item in @($result)) { $PSCmdlet.WriteObject($item) }
}

function Get-MsolCompanyInformation {
    <#
    .SYNOPSIS
        Company-level information of the simulated tenant (DirectorySynchronizationEnabled, LastDirSyncTime...).
    #>
    [CmdletBinding()]
    param([guid] $TenantId)
    try {
        $result = Invoke-MsolCommand 'Get-MsolCompanyInformation' $PSBoundParameters {
            param($ctx)
            Assert-MsolConnected 'GetCompanyInformation'
            $tenant = $ctx.State.tenant
            $last = Get-SimValue $tenant 'onPremisesLastSyncDateTime'
            $info = [pscustomobject]@{
                DisplayName                     = Get-SimValue $tenant 'displayName'
                ObjectId                        = [guid][string](Get-SimValue $tenant 'tenantId' ([guid]::Empty.ToString()))
                InitialDomain                   = Get-SimInitialDomain $ctx.State
                DirectorySynchronizationEnabled = [bool](Get-SimValue $tenant 'onPremisesSyncEnabled' $false)
                DirectorySynchronizationStatus  = $(if ([bool](Get-SimValue $tenant 'onPremisesSyncEnabled' $false)) { 'Enabled' } else { 'Disabled' })
                LastDirSyncTime                 = $(if ($null -ne $last) { ConvertFrom-SimTime $last } else { $null })
                PasswordSynchronizationEnabled  = (Get-MsolFeatureValue $ctx.State 'PasswordSync')
                DirSyncServiceAccount           = ('Sync_{0}@{1}' -f ([string](Get-SimValue $ctx.State.sync 'serverName' 'AADC01')), (Get-SimInitialDomain $ctx.State))
            }
            $info.PSObject.TypeNames.Insert(0, 'Microsoft.Online.Administration.Company')
            return $info
        }
    } catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
    $PSCmdlet.WriteObject($result)
}

$exported = @('Connect-MsolService', 'Get-MsolDirSyncFeatures', 'Set-MsolDirSyncFeature', 'Get-MsolUser', 'Get-MsolCompanyInformation')
# With a simulator server (UPN_MATCH_SIM_SERVER), each cmdlet forwards its calls there: see UpnMatch.Sim.Remote.ps1.
foreach ($proxy in @(Get-SimRemoteProxies -Module $script:ModuleName -Functions @($exported | ForEach-Object { Get-Item -Path ('function:' + $_) }))) {
    Set-Item -Path ('function:script:' + $proxy.Name) -Value $proxy.Body
}
Export-ModuleMember -Function $exported
