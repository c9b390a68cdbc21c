<#
.SYNOPSIS
    The simulated Microsoft Entra Connect sync engine (dot-sourced by UpnMatch.Sim.psm1).
.DESCRIPTION
    Start-ADSyncSyncCycle records sync.cycle = { startedAt, endsAt, policyType, runHistoryId }. Every fake runs
    Update-SimSettle when it loads the state: once now >= endsAt the cycle's effects are applied here, so any
    later cmdlet (in any process) sees them. Each rule below carries the Microsoft statement it follows.

    Sources (titles as published on learn.microsoft.com / MicrosoftDocs/entra-docs):
    [EXISTING]   "Microsoft Entra Connect: When you have an existing tenant"
                 https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-install-existing-tenant
    [FEATURES]   "Microsoft Entra Connect Sync service features"
                 https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-syncservice-features
    [SETMSOL]    "Set-MsolDirSyncFeature" https://learn.microsoft.com/powershell/module/msonline/set-msoldirsyncfeature
    [ERRORS]     "Understanding errors during Microsoft Entra synchronization"
                 https://learn.microsoft.com/entra/identity/hybrid/connect/tshoot-connect-sync-errors
    [RESILIENCY] "Identity synchronization and duplicate attribute resiliency"
                 https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-syncservice-duplicate-attribute-resiliency
    [MC1262584]  Message center MC1262584 "Upcoming change - Microsoft Entra Connect security update to block hard
                 match for users with Microsoft Entra roles" (March 2026; enforced from early June 2026)
    [GRAPHFEAT]  "onPremisesDirectorySynchronizationFeature resource type"
                 https://learn.microsoft.com/graph/api/resources/onpremisesdirectorysynchronizationfeature
#>

$script:GlobalAdminTemplateId = '62e90394-69f5-4237-9190-012177145e10'

function Get-SimFeature {
    <# A tenant feature flag (Graph onPremisesDirectorySynchronizationFeature name), with its documented default. #>
    param([Parameter(Mandatory = $true)] $State, [Parameter(Mandatory = $true)] [string] $Name, [bool] $Default = $false)
    $features = Get-SimValue (Get-SimValue $State 'tenant') 'features'
    $value = Get-SimValue $features $Name
    if ($null -ne $value) { return [bool]$value }
    if ($Name -eq 'softMatchOnUpnEnabled') {
        # [FEATURES] UPN soft match "is on by default for newly created Microsoft Entra directories"; the
        # state format dates that at 2016-03-30 (tenant.dirSyncStartedAt before it => off unless set).
        $started = ConvertFrom-SimTime (Get-SimValue $State.tenant 'dirSyncStartedAt')
        if ($null -ne $started -and $started -lt [datetime]::SpecifyKind([datetime]'2016-03-30', [DateTimeKind]::Utc)) { return $false }
        return $true
    }
    return $Default
}

function Get-SimSyncCycleMs {
    <# Cycle length: UPN_MATCH_SIM_SYNC_MS, then sim.json syncCycleMs, then state sync.cycleDurationMs, then 1500. #>
    param([Parameter(Mandatory = $true)] $Context)
    if ($null -ne $Context.Config.SyncCycleMs) { return [int]$Context.Config.SyncCycleMs }
    return [int](Get-SimValue $Context.State.sync 'cycleDurationMs' 1500)
}

function Get-SimInitialDomain {
    param([Parameter(Mandatory = $true)] $State)
    $domains = @(Get-SimValue $State.tenant 'domains' @())
    foreach ($domain in $domains) { if ([bool](Get-SimValue $domain 'isInitial' $false)) { return [string]$domain.id } }
    foreach ($domain in $domains) { if (([string]$domain.id).EndsWith('.onmicrosoft.com', [StringComparison]::OrdinalIgnoreCase)) { return [string]$domain.id } }
    $name = ([string](Get-SimValue $State.tenant 'displayName' 'contoso')) -replace '[^A-Za-z0-9]', ''
    if (-not $name) { $name = 'contoso' }
    return ($name.ToLowerInvariant() + '.onmicrosoft.com')
}

function Get-SimAadConnectorName {
    param([Parameter(Mandatory = $true)] $State)
    return ((Get-SimInitialDomain $State) + ' - AAD')
}

function Get-SimAdConnectorName {
    param([Parameter(Mandatory = $true)] $State)
    return [string](Get-SimValue $State.forest 'name' 'contoso.local')
}

function Get-SimPrimarySmtp {
    <#
    .SYNOPSIS
        The primary SMTP address: the proxyAddresses entry with the upper-case "SMTP:" prefix, else mail.
        [EXISTING] "For the proxyAddresses attribute only the value with SMTP:, that is the primary email
        address, is used for the evaluation."
    #>
    param([AllowNull()] $ProxyAddresses, [AllowNull()] $Mail)
    foreach ($proxy in @($ProxyAddresses)) {
        if ($proxy -is [string] -and $proxy.StartsWith('SMTP:', [StringComparison]::Ordinal)) { return $proxy.Substring(5) }
    }
    if ($Mail -is [string] -and $Mail.Length -gt 0) { return $Mail }
    return $null
}

function Get-SimAnchorAttribute {
    <#
    .SYNOPSIS
        The source anchor attribute the server was installed with: sync.anchorAttribute, default mS-DS-ConsistencyGuid
        (the express-settings choice since 1.1.524). "Microsoft Entra Connect: Design concepts": objectGUID, mS-DS-ConsistencyGuid
        or another attribute chosen at install, which cannot be changed later.
    #>
    param([Parameter(Mandatory = $true)] $State)
    $name = [string](Get-SimValue $State.sync 'anchorAttribute' '')
    if (-not $name) { return 'mS-DS-ConsistencyGuid' }
    if ($name -ieq 'objectGUID') { return 'objectGUID' }
    if ($name -ieq 'mS-DS-ConsistencyGuid') { return 'mS-DS-ConsistencyGuid' }
    return $name
}

function Get-SimUpnAttribute {
    <#
    .SYNOPSIS
        The AD attribute the cloud UPN comes from: sync.upnAttribute, default userPrincipalName ("Microsoft Entra
        UserPrincipalName population", Alternate login ID: e.g. mail).
    #>
    param([Parameter(Mandatory = $true)] $State)
    $name = [string](Get-SimValue $State.sync 'upnAttribute' '')
    if (-not $name) { return 'userPrincipalName' }
    return $name
}

function Get-SimUpnSource {
    <# The value the cloud UPN comes from for this AD user (its configured UPN attribute), or ''. #>
    param([Parameter(Mandatory = $true)] $State, [Parameter(Mandatory = $true)] $AdUser)
    $attribute = Get-SimUpnAttribute $State
    if ($attribute -ieq 'userPrincipalName') { return [string](Get-SimValue $AdUser 'UserPrincipalName' '') }
    return [string](Get-SimValue $AdUser $attribute '')
}

function Get-SimSourceAnchor {
    <#
    .SYNOPSIS
        The source anchor of an AD user under the server's anchor attribute (Get-SimAnchorAttribute):
        - mS-DS-ConsistencyGuid: base64 of mS-DS-ConsistencyGuid when set, else of the ObjectGUID bytes
          ([guid]::ToByteArray()) - Entra Connect writes objectGUID into the empty attribute;
        - objectGUID: base64 of the ObjectGUID bytes, whatever mS-DS-ConsistencyGuid holds (a populated
          mS-DS-ConsistencyGuid is ignored: the server does not read it);
        - another attribute: its value, as is for a string ("Design concepts": non-string attributes are
          base64-encoded; the sim's state holds strings). Empty when the attribute is empty.
        [EXISTING] "By default, the SourceAnchor value ... is calculated by Microsoft Entra Connect by using
        MsDs-ConsistencyGUID attribute (or ObjectGUID depending on the configuration) from on-premises Active
        Directory. This attribute value is the corresponding ImmutableId."
    #>
    param([Parameter(Mandatory = $true)] $AdUser, $State)
    $attribute = 'mS-DS-ConsistencyGuid'
    if ($null -ne $State) { $attribute = Get-SimAnchorAttribute $State }
    if ($attribute -eq 'mS-DS-ConsistencyGuid') {
        $consistency = [string](Get-SimValue $AdUser 'mS-DS-ConsistencyGuid' '')
        if ($consistency) { return [Convert]::ToBase64String([Convert]::FromBase64String($consistency)) }
    } elseif ($attribute -ne 'objectGUID') {
        return [string](Get-SimValue $AdUser $attribute '')
    }
    $guid = [guid][string]$AdUser.ObjectGUID
    return [Convert]::ToBase64String($guid.ToByteArray())
}

function Test-SimInScope {
    <# A user is in scope when its DN ends with one of sync.syncScopeOUs (all users when the list is missing). #>
    param([string] $DistinguishedName, [AllowNull()] $ScopeOUs)
    if ($null -eq $ScopeOUs) { return $true }
    foreach ($ou in @($ScopeOUs)) {
        $text = ([string]$ou).Trim()
        if (-not $text) { continue }
        if ($DistinguishedName.Equals($text, [StringComparison]::OrdinalIgnoreCase)) { return $true }
        if ($DistinguishedName.EndsWith(',' + $text, [StringComparison]::OrdinalIgnoreCase)) { return $true }
    }
    return $false
}

function Get-SimRoleAssignments {
    <#
    .SYNOPSIS
        Every directory role assignment of the tenant as @{ Kind ('active' | 'eligible'); PrincipalId; RoleDefinitionId;
        DirectoryScopeId }: the members of the activated roles (tenant.directoryRoles[].members, scope "/"), the active
        unified assignments (tenant.roleAssignments: a user or a role-assignable group, at "/" or an administrative unit
        "/administrativeUnits/{id}") and the PIM eligibilities (tenant.roleEligibilities).
    #>
    param([Parameter(Mandatory = $true)] $State)
    $list = [System.Collections.Generic.List[object]]::new()
    foreach ($role in @(Get-SimValue $State.tenant 'directoryRoles' @())) {
        foreach ($member in @(Get-SimValue $role 'members' @())) {
            $list.Add(@{ Kind = 'active'; PrincipalId = [string]$member; RoleDefinitionId = [string](Get-SimValue $role 'roleTemplateId' ''); DirectoryScopeId = '/' })
        }
    }
    foreach ($pair in @(@('roleAssignments', 'active'), @('roleEligibilities', 'eligible'))) {
        foreach ($entry in @(Get-SimValue $State.tenant $pair[0] @())) {
            $list.Add(@{ Kind = $pair[1]; PrincipalId = [string](Get-SimValue $entry 'principalId' ''); RoleDefinitionId = [string](Get-SimValue $entry 'roleDefinitionId' ''); DirectoryScopeId = [string](Get-SimValue $entry 'directoryScopeId' '/') })
        }
    }
    return , $list.ToArray()
}

function Test-SimUnder {
    <# The length of the longest container of Containers that holds DistinguishedName (0: none). #>
    param([string] $DistinguishedName, [AllowNull()] $Containers)
    $best = 0
    foreach ($container in @($Containers)) {
        $text = ([string]$container).Trim()
        if (-not $text) { continue }
        if ($DistinguishedName.Equals($text, [StringComparison]::OrdinalIgnoreCase) -or $DistinguishedName.EndsWith(',' + $text, [StringComparison]::OrdinalIgnoreCase)) {
            if ($text.Length -gt $best) { $best = $text.Length }
        }
    }
    return $best
}

function Test-SimInSyncScope {
    <#
    .SYNOPSIS
        Whether the AD connector synchronises this AD user, as Entra Connect's filtering is configured
        ("Microsoft Entra Connect Sync: Configure filtering",
        https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-sync-configure-filtering):
        - its domain partition is selected (sync.unselectedPartitions lists the DNs of unselected domains);
        - OU filtering: under a container of the inclusion list (sync.syncScopeOUs; missing: every container)
          and not under a deeper container of the exclusion list (sync.scopeExclusions) - the most specific
          container wins, as in the wizard's tree (guess: the page shows the tree, not the rule);
        - group-based filtering (sync.groupFilter, a group DN): only DIRECT members are synchronised
          ("Nested group membership is not resolved", community write-up of the same page; [3P]). The sim reads
          direct membership from the user's memberOf.
    #>
    param([Parameter(Mandatory = $true)] $State, [Parameter(Mandatory = $true)] $AdUser)
    $sync = $State.sync
    $dn = [string]$AdUser.DistinguishedName
    if ((Test-SimUnder $dn (Get-SimValue $sync 'unselectedPartitions' @())) -gt 0) { return $false }
    $included = [int]::MaxValue
    if ($sync.Contains('syncScopeOUs') -and $null -ne $sync['syncScopeOUs']) { $included = Test-SimUnder $dn @($sync['syncScopeOUs']) }
    if ($included -eq 0) { return $false }
    $excluded = Test-SimUnder $dn (Get-SimValue $sync 'scopeExclusions' @())
    if ($excluded -gt 0 -and $excluded -ge $included) { return $false }
    $group = [string](Get-SimValue $sync 'groupFilter' '')
    if ($group) {
        $member = $false
        foreach ($of in @(Get-SimValue $AdUser 'memberOf' @())) { if (([string]$of).Equals($group, [StringComparison]::OrdinalIgnoreCase)) { $member = $true } }
        if (-not $member) { return $false }
    }
    return $true
}

function Get-SimRoleHolderIds {
    <#
    .SYNOPSIS
        Ids of users that hold any directory role, of any kind: active or PIM-eligible, tenant-wide or scoped to an
        administrative unit, directly or as a member of a role-assignable group that holds it.
    .DESCRIPTION
        [EXISTING] "Microsoft Entra ID won't match on-premises users with cloud users that have an admin role." Which
        roles and which kinds of assignment count is not documented (rule sheet 3.3, open question 10.1). The sim takes
        the side a tool must be ready for: every kind blocks the soft match (and the hard match, MC1262584 - whose
        support wiki copy names "assigned or eligible").
    #>
    param([Parameter(Mandatory = $true)] $State)
    $ids = [System.Collections.Generic.HashSet[string]]::new([StringComparer]::OrdinalIgnoreCase)
    $groups = @{}
    foreach ($group in @(Get-SimValue $State.tenant 'groups' @())) { $groups[([string]$group.id).ToLowerInvariant()] = $group }
    foreach ($assignment in (Get-SimRoleAssignments $State)) {
        $principal = $assignment.PrincipalId
        if (-not $principal) { continue }
        $group = $groups[$principal.ToLowerInvariant()]
        if ($null -ne $group) {
            # A role-assignable group holds the role for its members (groups cannot be nested in one).
            foreach ($member in @(Get-SimValue $group 'members' @())) { $null = $ids.Add([string]$member) }
        } else {
            $null = $ids.Add($principal)
        }
    }
    return , $ids
}

function Find-SimAddressOwner {
    <# The first Entra user, group or contact (other than ExceptId) that holds the SMTP address. #>
    param([Parameter(Mandatory = $true)] $Engine, [string] $Address, [string] $ExceptId)
    $needle = $Address.ToLowerInvariant()
    foreach ($kind in @('users', 'groups', 'contacts')) {
        $object = $Engine.Index[$kind].FirstByAddress($needle, $ExceptId)
        if ($null -ne $object) { return @{ Kind = $kind; Object = $object } }
    }
    return $null
}

function Get-SimVerifiedUpn {
    <#
    .SYNOPSIS
        The UPN Entra ID stores for an on-premises UPN: unchanged when its suffix is a verified tenant domain,
        else prefix@<initial onmicrosoft.com domain> ("Microsoft Entra UserPrincipalName population": a UPN with
        an unverified suffix is replaced by the initial domain).
    #>
    param($State, [string] $Upn)
    if (-not $Upn -or $Upn.IndexOf('@') -lt 1) { return $Upn }
    $suffix = $Upn.Substring($Upn.IndexOf('@') + 1)
    foreach ($domain in @(Get-SimValue $State.tenant 'domains' @())) {
        if (([string]$domain.id).Equals($suffix, [StringComparison]::OrdinalIgnoreCase) -and [bool](Get-SimValue $domain 'isVerified' $true)) { return $Upn }
    }
    return ($Upn.Substring(0, $Upn.IndexOf('@')) + '@' + (Get-SimInitialDomain $State))
}

function Get-SimDomainOf {
    <# The domain that holds a DN: the deepest one (a child domain's objects are not the parent's). #>
    param($State, [string] $DistinguishedName)
    $best = $null
    $bestLength = 0
    foreach ($domain in @(Get-SimValue $State.forest 'domains' @())) {
        $dn = [string](Get-SimValue $domain 'DistinguishedName' '')
        if (-not $dn -or $dn.Length -le $bestLength) { continue }
        if ($DistinguishedName.Equals($dn, [StringComparison]::OrdinalIgnoreCase) -or $DistinguishedName.EndsWith(',' + $dn, [StringComparison]::OrdinalIgnoreCase)) { $best = $domain; $bestLength = $dn.Length }
    }
    return $best
}

function Set-SimFlowedAttributes {
    <#
    .SYNOPSIS
        Writes the on-premises values onto the Entra user. [EXISTING] "All attributes in Microsoft Entra ID with
        a value in on-premises AD are overwritten with the respective on-premises value." (null values do not
        overwrite). Returns $true when anything changed.
    #>
    param($State, $CloudUser, $AdUser, [string] $Anchor, [bool] $IncludeUpn, [string] $Now, [string[]] $Exclude = @())
    $changed = $false
    $display = Get-SimValue $AdUser 'DisplayName'
    if ($null -eq $display) { $display = Get-SimValue $AdUser 'Name' }
    $pairs = @(
        @('displayName', $display),
        @('givenName', (Get-SimValue $AdUser 'GivenName')),
        @('surname', (Get-SimValue $AdUser 'Surname')),
        @('mail', (Get-SimValue $AdUser 'mail')),
        @('jobTitle', (Get-SimValue $AdUser 'title')),
        @('department', (Get-SimValue $AdUser 'department')),
        @('mobilePhone', (Get-SimValue $AdUser 'mobile')),
        @('officeLocation', (Get-SimValue $AdUser 'physicalDeliveryOfficeName'))
    )
    foreach ($pair in $pairs) {
        $name = $pair[0]; $value = $pair[1]
        if ($Exclude -contains $name) { continue }
        if ($null -eq $value -or ([string]$value) -eq '') { continue }
        if ([string](Get-SimValue $CloudUser $name '') -cne [string]$value) { $CloudUser[$name] = [string]$value; $changed = $true }
    }
    $proxies = @(Get-SimValue $AdUser 'proxyAddresses' @())
    if ($proxies.Count -gt 0 -and $Exclude -notcontains 'proxyAddresses') {
        $current = @(Get-SimValue $CloudUser 'proxyAddresses' @())
        if (($current -join "`n") -cne ($proxies -join "`n")) { $CloudUser['proxyAddresses'] = [object[]]$proxies; $changed = $true }
    }
    $enabled = Get-SimValue $AdUser 'Enabled'
    if ($null -ne $enabled -and [bool](Get-SimValue $CloudUser 'accountEnabled' $true) -ne [bool]$enabled) { $CloudUser['accountEnabled'] = [bool]$enabled; $changed = $true }
    if ($IncludeUpn -and $Exclude -notcontains 'userPrincipalName') {
        $upn = Get-SimVerifiedUpn $State (Get-SimUpnSource $State $AdUser)
        if ($upn -and [string](Get-SimValue $CloudUser 'userPrincipalName' '') -cne $upn) { $CloudUser['userPrincipalName'] = $upn; $changed = $true }
    }
    $domain = Get-SimDomainOf $State ([string]$AdUser.DistinguishedName)
    $onPrem = [ordered]@{
        onPremisesImmutableId          = $Anchor
        onPremisesSyncEnabled          = $true
        onPremisesSamAccountName       = Get-SimValue $AdUser 'SamAccountName'
        onPremisesUserPrincipalName    = Get-SimValue $AdUser 'UserPrincipalName'
        onPremisesDistinguishedName    = Get-SimValue $AdUser 'DistinguishedName'
        onPremisesDomainName           = Get-SimValue $domain 'DNSRoot'
        onPremisesSecurityIdentifier   = Get-SimValue $AdUser 'SID'
    }
    foreach ($key in @($onPrem.Keys)) {
        $value = $onPrem[$key]
        if ($null -eq $value) { continue }
        $before = Get-SimValue $CloudUser $key
        if ($null -eq $before -or [string]$before -cne [string]$value) { $CloudUser[$key] = $value; $changed = $true }
    }
    if ($changed) { $CloudUser['onPremisesLastSyncDateTime'] = $Now }
    return $changed
}

function New-SimSyncError {
    param($State, $AdUser, [string] $ErrorType, [string] $Attribute, [string] $Value, [string] $CloudObjectId, [string] $Message, [string] $Now)
    return [ordered]@{
        dn                  = [string]$AdUser.DistinguishedName
        objectGuid          = [string]$AdUser.ObjectGUID
        samAccountName      = Get-SimValue $AdUser 'SamAccountName'
        userPrincipalName   = Get-SimValue $AdUser 'UserPrincipalName'
        errorType           = $ErrorType
        attribute           = $Attribute
        value               = $Value
        conflictingObjectId = $CloudObjectId
        message             = $Message
        connector           = Get-SimAadConnectorName $State
        occurredAt          = $Now
    }
}

function Get-SimDuplicateMessage {
    param([string] $Attribute, [string] $Value)
    return ("Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [{0} {1};]. Correct or remove the duplicate values in your local directory. Please refer to http://support.microsoft.com/kb/2647098 for more information on identifying objects with duplicate attribute values." -f $Attribute, $Value)
}

function Find-SimProvisionConflict {
    <#
    .SYNOPSIS
        Uniqueness conflicts for exporting this AD user as (or onto) cloud object ExceptId: its UPN on another
        user, or an SMTP address (proxyAddresses, mail) on another user, group or contact. Returns every conflict
        as @{ Attribute; Value; OwnerId; Excludes } (Excludes: the Entra attributes that must not be written).
        [ERRORS] AttributeValueMustBeUnique: "Microsoft Entra schema doesn't allow two or more objects to have
        the same value of the following attributes ... mail, proxyAddresses, signInName, userPrincipalName.
        If Microsoft Entra Connect attempts to add a new object or update an existing object with a value for
        the preceding attributes that's already assigned to another object in Microsoft Entra ID, the operation
        results in the AttributeValueMustBeUnique sync error."
        A new object is created with the conflicting values quarantined (Add-SimProvisionedUser, duplicate
        attribute resiliency), except when an address is on a group; an existing (joined) object is updated
        without the conflicting attribute, which keeps its cloud value - the attribute is "quarantined" as
        [RESILIENCY] describes ("Microsoft Entra ID quarantines the duplicate attribute ... and proceeds with the
        object creation or update"); for such an update the sim still reports the conflict as an export error.
    #>
    param([Parameter(Mandatory = $true)] $Engine, $AdUser, [string] $ExceptId, [bool] $CheckUpn = $true)
    $conflicts = [System.Collections.Generic.List[object]]::new()
    if ($CheckUpn) {
        $upn = Get-SimVerifiedUpn $Engine.State (Get-SimUpnSource $Engine.State $AdUser)
        if ($upn) {
            $owner = $Engine.Index.users.FirstByUpn($upn, $ExceptId)
            if ($null -ne $owner) { $conflicts.Add(@{ Attribute = 'UserPrincipalName'; Value = $upn; OwnerId = [string]$owner.id; OwnerKind = 'users'; Excludes = @('userPrincipalName') }) }
        }
    }
    $addresses = [System.Collections.Generic.List[object]]::new()
    foreach ($proxy in @(Get-SimValue $AdUser 'proxyAddresses' @())) {
        $text = [string]$proxy
        if ($text -match '^(?i)smtp:(.+)$') { $addresses.Add(@('ProxyAddresses', $text, $Matches[1])) }
    }
    $mail = [string](Get-SimValue $AdUser 'mail' '')
    if ($mail) { $addresses.Add(@('Mail', $mail, $mail)) }
    foreach ($entry in $addresses) {
        $owner = Find-SimAddressOwner $Engine ([string]$entry[2]) $ExceptId
        if ($null -ne $owner) { $conflicts.Add(@{ Attribute = [string]$entry[0]; Value = [string]$entry[1]; Address = [string]$entry[2]; OwnerId = [string]$owner.Object.id; OwnerKind = [string]$owner.Kind; Excludes = @('proxyAddresses', 'mail') }) }
    }
    return $conflicts.ToArray()
}

function Add-SimConflictErrors {
    param($State, $AdUser, $Conflicts, $ErrorList, [string] $Now)
    foreach ($conflict in @($Conflicts)) {
        $ErrorList.Add((New-SimSyncError -State $State -AdUser $AdUser -ErrorType 'AttributeValueMustBeUnique' -Attribute $conflict.Attribute -Value $conflict.Value -CloudObjectId $conflict.OwnerId -Now $Now -Message (Get-SimDuplicateMessage $conflict.Attribute $conflict.Value)))
    }
}

function Get-SimConflictExcludes {
    param($Conflicts)
    $names = [System.Collections.Generic.List[string]]::new()
    foreach ($conflict in @($Conflicts)) { foreach ($name in @($conflict.Excludes)) { if (-not $names.Contains($name)) { $names.Add($name) } } }
    return $names.ToArray()
}

function New-SimSyncEngine {
    <#
    .SYNOPSIS
        What one run of the engine works with: the state's collections (missing ones created), the tenant's
        features, the sync scope, the role holders, the injected export fault, and the run's report and lists.
    #>
    param([Parameter(Mandatory = $true)] $State, [Parameter(Mandatory = $true)] [string] $Now, $Faults)
    $tenant = $State.tenant
    $sync = $State.sync
    foreach ($key in @('users', 'deletedUsers', 'groups', 'contacts', 'directoryRoles')) {
        if ($null -eq (Get-SimValue $tenant $key)) { $tenant[$key] = @() }
    }
    if ($null -eq (Get-SimValue $State.forest 'users')) { $State.forest['users'] = @() }
    if ($null -eq (Get-SimValue $sync 'joins')) { $sync['joins'] = [ordered]@{} }
    # A missing (null) syncScopeOUs puts every user in scope; an empty list puts none.
    $scope = $null
    if ($sync.Contains('syncScopeOUs') -and $null -ne $sync['syncScopeOUs']) { $scope = @($sync['syncScopeOUs']) }

    # faults.json "syncExportError": true | "<ErrorType>" makes every export of the cycle fail (sim-specific).
    $exportFault = Get-SimValue $Faults 'syncExportError'
    $exportFaultType = $null
    if ($null -ne $exportFault -and $exportFault -isnot [bool]) { $exportFaultType = [string]$exportFault }
    elseif ($exportFault -is [bool] -and $exportFault) { $exportFaultType = 'ServerError' }

    $adById = @{}
    foreach ($adUser in @($State.forest.users)) { $adById[([string]$adUser.ObjectGUID).ToLowerInvariant()] = $adUser }
    # The cloud objects by id, UPN, anchor and addresses, kept up to date by every change the run makes.
    $index = @{}
    foreach ($kind in @('users', 'deletedUsers', 'groups', 'contacts')) { $index[$kind] = [UpnMatchSim.CloudIndex]::new($tenant[$kind]) }

    return @{
        State           = $State
        Now             = $Now
        Tenant          = $tenant
        Joins           = $sync.joins
        Scope           = $scope
        RoleHolders     = (Get-SimRoleHolderIds $State)
        ExportFaultType = $exportFaultType
        BlockHard       = (Get-SimFeature $State 'blockCloudObjectTakeoverThroughHardMatchEnabled' $false)
        BlockSoft       = (Get-SimFeature $State 'blockSoftMatchEnabled' $false)
        SoftUpn         = (Get-SimFeature $State 'softMatchOnUpnEnabled' $true)
        SyncUpn         = (Get-SimFeature $State 'synchronizeUpnForManagedUsersEnabled' $true)
        AdById          = $adById
        Index           = $index
        Report          = [ordered]@{ adds = 0; updates = 0; deletes = 0; joins = @(); errors = @(); actions = @() }
        JoinList        = [System.Collections.Generic.List[object]]::new()
        ErrorList       = [System.Collections.Generic.List[object]]::new()
        ActionList      = [System.Collections.Generic.List[object]]::new()
    }
}

function Add-SimSyncError {
    <# Records a per-object export error of the run (New-SimSyncError). #>
    param([Parameter(Mandatory = $true)] $Engine, $AdUser, [string] $ErrorType, [string] $Attribute, [string] $Value, [string] $CloudObjectId, [string] $Message)
    $Engine.ErrorList.Add((New-SimSyncError -State $Engine.State -AdUser $AdUser -ErrorType $ErrorType -Attribute $Attribute -Value $Value -CloudObjectId $CloudObjectId -Now $Engine.Now -Message $Message))
}

function Add-SimExportFault {
    <# An export of an AD user that failed because of the injected fault (faults.json syncExportError). #>
    param([Parameter(Mandatory = $true)] $Engine, $AdUser, [string] $Action)
    Add-SimSyncError -Engine $Engine -AdUser $AdUser -ErrorType $Engine.ExportFaultType -Attribute $null -Value $null -CloudObjectId $null -Message ("The {0} export failed: the server encountered an unexpected error (injected by the simulator). Tracking Id: {1}" -f $Action, [guid]::NewGuid())
}

function Remove-SimDepartedUsers {
    <# Deletions: a joined AD user that is gone or left the sync scope is deleted in Entra ID (soft delete). #>
    param([Parameter(Mandatory = $true)] $Engine)
    $tenant = $Engine.Tenant
    $joins = $Engine.Joins
    foreach ($guid in @($joins.Keys)) {
        $adUser = $Engine.AdById[([string]$guid).ToLowerInvariant()]
        if ($null -ne $adUser -and (Test-SimInSyncScope $Engine.State $adUser)) { continue }
        $cloudId = [string]$joins[$guid]
        $cloud = $Engine.Index.users.LastById($cloudId)
        $Engine.ActionList.Add([ordered]@{ action = 'delete'; objectGuid = [string]$guid; cloudId = $cloudId })
        if ($null -ne $Engine.ExportFaultType -and $null -ne $adUser) { Add-SimExportFault $Engine $adUser 'delete'; continue }
        if ($null -ne $cloud) {
            $tenant.users = @($tenant.users | Where-Object { -not ([string]$_.id).Equals($cloudId, [StringComparison]::OrdinalIgnoreCase) })
            $cloud['deletedDateTime'] = $Engine.Now
            $cloud['onPremisesSyncEnabled'] = $false
            $tenant.deletedUsers = @($tenant.deletedUsers) + @($cloud)
            $Engine.Index.users.Drop($cloud)
            $Engine.Index.deletedUsers.Touch($cloud)
            $Engine.Report.deletes++
        }
        $joins.Remove($guid)
    }
}

function Get-SimJoin {
    <# The join of an AD user: @{ Id (as sync.joins holds it); Cloud }, or $null. A join to a cloud user that is gone is dropped. #>
    param([Parameter(Mandatory = $true)] $Engine, [string] $Guid)
    # The state's dictionaries compare keys ignoring case (OrdinalIgnoreCase), as PowerShell's do.
    $joins = $Engine.Joins
    $joinedId = [string]$joins[$Guid]
    if (-not $joinedId) { return $null }
    $joinedCloud = $Engine.Index.users.LastById($joinedId)
    if ($null -eq $joinedCloud) {
        $joins.Remove($Guid)
        return $null
    }
    return @{ Id = $joinedId; Cloud = $joinedCloud }
}

function Update-SimJoinedUser {
    <#
    .SYNOPSIS
        Joined users: a delta export of changed attributes. The UPN flows only while
        SynchronizeUpnForManagedUsers is on ([FEATURES] "Synchronize userPrincipalName updates").
    #>
    param([Parameter(Mandatory = $true)] $Engine, $AdUser, [Parameter(Mandatory = $true)] $Join, [string] $Anchor)
    $State = $Engine.State
    $joinedId = $Join.Id
    $cloud = $Join.Cloud
    $conflicts = @(Find-SimProvisionConflict -Engine $Engine -AdUser $AdUser -ExceptId $joinedId -CheckUpn $Engine.SyncUpn)
    $copy = Copy-SimData $cloud
    $changed = Set-SimFlowedAttributes -State $State -CloudUser $copy -AdUser $AdUser -Anchor ([string](Get-SimValue $cloud 'onPremisesImmutableId' $Anchor)) -IncludeUpn $Engine.SyncUpn -Now $Engine.Now -Exclude (Get-SimConflictExcludes $conflicts)
    if (-not $changed -and $conflicts.Count -eq 0) { return }
    $Engine.ActionList.Add([ordered]@{ action = 'update'; objectGuid = [string]$AdUser.ObjectGUID; cloudId = $joinedId })
    if ($null -ne $Engine.ExportFaultType) { Add-SimExportFault $Engine $AdUser 'update'; return }
    Add-SimConflictErrors $State $AdUser $conflicts $Engine.ErrorList $Engine.Now
    if ($changed) {
        foreach ($key in @($copy.Keys)) { $cloud[$key] = $copy[$key] }
        $Engine.Index.users.Touch($cloud)
        $Engine.Report.updates++
    }
}

function Find-SimHardMatch {
    <#
    .SYNOPSIS
        Hard match: the cloud user whose ImmutableId is the AD user's source anchor, or a soft-deleted one to
        restore. Returns @{ Match; Rule; Blocked } (Blocked: an error was recorded, the AD user is left alone).
    .DESCRIPTION
        [EXISTING] "Microsoft Entra ID matches the incoming object by using the sourceAnchor value corresponding
        to the ImmutableId attribute of the existent object in Microsoft Entra ID. If there's a match, Microsoft
        Entra Connect take over that object ... what is known as hard-match."
    #>
    param([Parameter(Mandatory = $true)] $Engine, $AdUser, [string] $Anchor)
    $hardCandidate = $Engine.Index.users.FirstByAnchor($Anchor)
    if ($null -ne $hardCandidate) {
        $cloudManaged = -not [bool](Get-SimValue $hardCandidate 'onPremisesSyncEnabled' $false)
        if ($cloudManaged -and $Engine.BlockHard) {
            # [GRAPHFEAT] blockCloudObjectTakeoverThroughHardMatchEnabled: "Used to block cloud object
            # takeover via source anchor hard match if enabled." [ERRORS] InvalidHardMatch: "An InvalidHardMatch
            # error occurs when there's an attempt to hard match ... but BlockCloudObjectTakeoverThroughHardMatchEnabled
            # feature is enabled on the tenant."
            Add-SimSyncError -Engine $Engine -AdUser $AdUser -ErrorType 'InvalidHardMatch' -Attribute 'sourceAnchor' -Value $Anchor -CloudObjectId ([string]$hardCandidate.id) -Message 'Hard match blocked: BlockCloudObjectTakeoverThroughHardMatchEnabled is set for this tenant, so the cloud-managed object with this ImmutableId cannot be taken over.'
            return @{ Match = $null; Rule = $null; Blocked = $true }
        }
        if ($cloudManaged -and $Engine.RoleHolders.Contains([string]$hardCandidate.id)) {
            # [MC1262584] "Beginning in early June 2026, Microsoft Entra ID will block hard-match attempts that
            # target cloud-managed users who hold Microsoft Entra roles ... you may encounter an InvalidHardMatch error."
            Add-SimSyncError -Engine $Engine -AdUser $AdUser -ErrorType 'InvalidHardMatch' -Attribute 'sourceAnchor' -Value $Anchor -CloudObjectId ([string]$hardCandidate.id) -Message 'Hard match blocked: the cloud-managed user with this ImmutableId holds a Microsoft Entra role (security hardening, MC1262584).'
            return @{ Match = $null; Rule = $null; Blocked = $true }
        }
        $joins = $Engine.Joins
        $otherJoin = $null
        foreach ($key in @($joins.Keys)) { if (([string]$joins[$key]).Equals([string]$hardCandidate.id, [StringComparison]::OrdinalIgnoreCase)) { $otherJoin = $key } }
        if ($null -ne $otherJoin) {
            Add-SimSyncError -Engine $Engine -AdUser $AdUser -ErrorType 'AttributeValueMustBeUnique' -Attribute 'SourceAnchor' -Value $Anchor -CloudObjectId ([string]$hardCandidate.id) -Message (Get-SimDuplicateMessage 'SourceAnchor' $Anchor)
            return @{ Match = $null; Rule = $null; Blocked = $true }
        }
        return @{ Match = $hardCandidate; Rule = 'HardMatch'; Blocked = $false }
    }
    # A soft-deleted user with this ImmutableId is restored by the hard match ([ERRORS] InvalidHardMatch
    # example: "User was excluded from sync scope and restored ... needs to take over the object already
    # present in Microsoft Entra ID based on a hard match with the same source anchor").
    $deleted = $Engine.Index.deletedUsers.FirstByAnchor($Anchor)
    if ($null -ne $deleted) { return @{ Match = $deleted; Rule = 'HardMatchRestore'; Blocked = $false } }
    return @{ Match = $null; Rule = $null; Blocked = $false }
}

function Find-SimSoftMatch {
    <#
    .SYNOPSIS
        Soft match by primary SMTP address, then by UPN. Returns @{ Match; Rule; Blocked } (Blocked: an error was
        recorded, the AD user is left alone).
    .DESCRIPTION
        [SETMSOL] EnableSoftMatchOnUpn: "soft match will first be attempted using the standard logic, based on the
        primary SMTP address. If a match isn't found based on primary SMTP, then a match will be attempted based on
        UserPrincipalName."
        [GRAPHFEAT] blockSoftMatchEnabled: "Use to block soft match for all objects if enabled for the tenant."
        [ERRORS] InvalidSoftMatch: "for the soft match to work, the object to be soft-matched with shouldn't have
        any value for the immutableId attribute" - a candidate with an ImmutableId is never soft-matched.
        [EXISTING] Admin role considerations: "Microsoft Entra ID won't match on-premises users with cloud users
        that have an admin role." [ERRORS] "Existing Admin Role Conflict ... Microsoft Entra Connect isn't
        allowed to soft match a user object from on-premises AD with a user object in Microsoft Entra ID that
        has an administrative role assigned to it."
        A candidate that cannot be soft-matched (ImmutableId, admin role) is skipped without an error: with
        duplicate attribute resiliency "you won't see the InvalidSoftMatch synchronization errors seen during
        provisioning of new objects" ([ERRORS] NOTE) - the AD user is provisioned as a new, quarantined object.
    #>
    param([Parameter(Mandatory = $true)] $Engine, $AdUser)
    $none = @{ Match = $null; Rule = $null; Blocked = $false }
    if ($Engine.BlockSoft) { return $none }
    $steps = [System.Collections.Generic.List[object]]::new()
    $smtp = Get-SimPrimarySmtp (Get-SimValue $AdUser 'proxyAddresses' @()) (Get-SimValue $AdUser 'mail')
    if ($smtp) { $steps.Add(@('SmtpSoftMatch', $smtp)) }
    # [FEATURES] SoftMatchOnUpn: "Allows objects to join on userPrincipalName in addition to primary SMTP address."
    if ($Engine.SoftUpn) {
        # The incoming object's userPrincipalName is the one the server computed from its UPN attribute
        # (alternate login ID: e.g. mail), not necessarily the AD userPrincipalName.
        $upn = Get-SimUpnSource $Engine.State $AdUser
        if ($upn) { $steps.Add(@('UpnSoftMatch', $upn)) }
    }
    foreach ($step in $steps) {
        $candidate = $null
        if ($step[0] -eq 'SmtpSoftMatch') { $candidate = $Engine.Index.users.FirstByPrimarySmtp([string]$step[1]) }
        elseif ([string]$step[1]) { $candidate = $Engine.Index.users.FirstByUpn([string]$step[1], $null) }
        if ($null -eq $candidate -and $step[0] -eq 'SmtpSoftMatch') {
            # [ERRORS] ObjectTypeMismatch: "two objects of different 'object type,' like user, group, or
            # contact, have the same values for the attributes used to perform the soft match".
            $other = $null
            foreach ($kind in @('groups', 'contacts')) {
                $last = $Engine.Index[$kind].LastByPrimarySmtp([string]$step[1])
                if ($null -ne $last) { $other = $last }
            }
            if ($null -ne $other) {
                Add-SimSyncError -Engine $Engine -AdUser $AdUser -ErrorType 'ObjectTypeMismatch' -Attribute 'ProxyAddresses' -Value ('SMTP:' + $step[1]) -CloudObjectId ([string]$other.id) -Message ('Unable to update this object because the primary SMTP address {0} is already used by an object of another type in Microsoft Entra ID.' -f $step[1])
                return @{ Match = $null; Rule = $null; Blocked = $true }
            }
        }
        if ($null -eq $candidate) { continue }
        if ($null -ne (Get-SimValue $candidate 'onPremisesImmutableId')) { continue }
        $wasSynced = Get-SimValue $candidate 'onPremisesSyncEnabled'
        if ($wasSynced -is [bool] -and -not $wasSynced -and [string](Get-SimValue $candidate 'onPremisesSecurityIdentifier' '')) {
            # A previously synced user (onPremisesSyncEnabled false) still mapped to an on-premises object: since the
            # July 2026 hardening Entra ID refuses to remap OnPremisesObjectIdentifier ("Hard match operation blocked
            # due to security hardening"). Whether a soft match onto it is refused too is unverified (open question
            # 10.8); the sim takes the harder side: refused, so the AD user is provisioned as a duplicate.
            continue
        }
        if ($Engine.RoleHolders.Contains([string]$candidate.id)) {
            # [EXISTING] Admin role considerations: the work-around is to "hard-delete the new quarantined
            # object created in the cloud" - the service provisions a second object, as for the other missed
            # matches (duplicate attribute resiliency, Add-SimProvisionedUser). No source says whether Entra
            # Connect ALSO logs an ExistingAdminRoleConflict export error for it; the sim takes the side that is
            # harder for a tool: no error, only the quarantined duplicate with its provisioning error.
            continue
        }
        return @{ Match = $candidate; Rule = [string]$step[0]; Blocked = $false }
    }
    return $none
}

function Join-SimCloudUser {
    <#
    .SYNOPSIS
        Joins an AD user to the cloud user it matched (restoring a soft-deleted one); $false when the export
        failed (injected fault).
    .DESCRIPTION
        [EXISTING] "If you matched your objects with a soft-match, then the sourceAnchor is added to the object in
        Microsoft Entra ID so a hard match can be used later." The object becomes on-premises managed.
    #>
    param([Parameter(Mandatory = $true)] $Engine, $AdUser, $Match, [string] $Rule, [string] $Anchor)
    $State = $Engine.State
    $tenant = $Engine.Tenant
    $guid = [string]$AdUser.ObjectGUID
    $Engine.ActionList.Add([ordered]@{ action = 'join'; rule = $Rule; objectGuid = $guid; cloudId = [string]$Match.id })
    if ($null -ne $Engine.ExportFaultType) { Add-SimExportFault $Engine $AdUser 'join'; return $false }
    $conflicts = @(Find-SimProvisionConflict -Engine $Engine -AdUser $AdUser -ExceptId ([string]$Match.id) -CheckUpn $true)
    Add-SimConflictErrors $State $AdUser $conflicts $Engine.ErrorList $Engine.Now
    if ($Rule -eq 'HardMatchRestore') {
        $tenant.deletedUsers = @($tenant.deletedUsers | Where-Object { -not ([string]$_.id).Equals([string]$Match.id, [StringComparison]::OrdinalIgnoreCase) })
        if ($Match.Contains('deletedDateTime')) { $Match.Remove('deletedDateTime') }
        $tenant.users = @($tenant.users) + @($Match)
        $Engine.Index.deletedUsers.Drop($Match)
    }
    $null = Set-SimFlowedAttributes -State $State -CloudUser $Match -AdUser $AdUser -Anchor $Anchor -IncludeUpn $true -Now $Engine.Now -Exclude (Get-SimConflictExcludes $conflicts)
    $Engine.Index.users.Touch($Match)
    $Match['onPremisesLastSyncDateTime'] = $Engine.Now
    $Engine.Joins[$guid] = [string]$Match.id
    $Engine.JoinList.Add([ordered]@{ objectGuid = $guid; dn = [string]$AdUser.DistinguishedName; cloudId = [string]$Match.id; rule = $Rule })
    $Engine.Report.updates++
    return $true
}

function Get-SimPlaceholderUpn {
    <#
    .SYNOPSIS
        The UPN duplicate attribute resiliency gives a new object whose UPN is taken:
        <OriginalPrefix>+<4 digits>@<initial onmicrosoft.com domain>. [RESILIENCY] "If the attribute is required,
        like a UserPrincipalName, the service assigns a placeholder value. The format of these temporary values is
        '<OriginalPrefix>+<4DigitNumber>@<InitialTenantDomain>.onmicrosoft.com'."
        The real digits are random; the sim derives them from the source anchor (SHA-256, mod 10000) so a test
        can predict them, and steps on while the result is taken.
    #>
    param([Parameter(Mandatory = $true)] $Engine, [string] $Upn, [string] $Anchor)
    $prefix = $Upn
    if ($Upn.IndexOf('@') -ge 0) { $prefix = $Upn.Substring(0, $Upn.IndexOf('@')) }
    $domain = Get-SimInitialDomain $Engine.State
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try { $hash = $sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($Anchor)) } finally { $sha.Dispose() }
    $number = [int](([BitConverter]::ToUInt32($hash, 0)) % 10000)
    for ($i = 0; $i -lt 10000; $i++) {
        $candidate = '{0}+{1}@{2}' -f $prefix, (($number + $i) % 10000).ToString('D4'), $domain
        if ($null -eq $Engine.Index.users.FirstByUpn($candidate, $null)) { return $candidate }
    }
    throw 'upn-match simulator: no free placeholder UPN'
}

function New-SimProvisioningError {
    <# One entry of a user's onPremisesProvisioningErrors (Graph onPremisesProvisioningError resource). #>
    param([string] $Property, [string] $Value, [string] $Now)
    # Graph: category "Possible value: PropertyConflict"; propertyCausingError "Current possible values:
    # UserPrincipalName or ProxyAddress".
    return [ordered]@{ category = 'PropertyConflict'; occurredDateTime = $Now; propertyCausingError = $Property; value = $Value }
}

function Add-SimProvisionedUser {
    <#
    .SYNOPSIS
        Provisions a new cloud user for an AD user nothing matched; $false when the export failed (injected
        fault) or an address is taken by a group.
    .DESCRIPTION
        [EXISTING] "If Microsoft Entra ID isn't able to find a hard-match or soft-match for the incoming object, it
        provisions a new object in Microsoft Entra ID directory."
        Duplicate attribute resiliency ([RESILIENCY], on in every tenant, cannot be turned off): a new object whose
        UPN or SMTP proxy address is already taken "is still created": a taken UPN is replaced by a placeholder
        (Get-SimPlaceholderUpn), a taken address is quarantined (left off the object), and each conflict is listed
        in the user's onPremisesProvisioningErrors. "Since the export for this object has succeeded, the sync
        client doesn't log an error" - the run has no error for it. This is what every missed match
        (blockSoftMatchEnabled, UPN soft match off, a candidate with an ImmutableId or an admin role) turns into
        when the cloud user holds the same UPN: a second, synced cloud user.
        Known exception ([RESILIENCY] Known issues): an address held by a group still fails the export with
        AttributeValueMustBeUnique, and no object is created.
    #>
    param([Parameter(Mandatory = $true)] $Engine, $AdUser, [string] $Anchor)
    $State = $Engine.State
    $Now = $Engine.Now
    $guid = [string]$AdUser.ObjectGUID
    $Engine.ActionList.Add([ordered]@{ action = 'provision'; objectGuid = $guid })
    if ($null -ne $Engine.ExportFaultType) { Add-SimExportFault $Engine $AdUser 'add'; return $false }
    $conflicts = @(Find-SimProvisionConflict -Engine $Engine -AdUser $AdUser -ExceptId $null -CheckUpn $true)
    if (@($conflicts | Where-Object { $_.OwnerKind -eq 'groups' }).Count -gt 0) {
        Add-SimConflictErrors $State $AdUser $conflicts $Engine.ErrorList $Now
        return $false
    }
    $new = [ordered]@{
        id = [guid]::NewGuid().ToString(); userPrincipalName = $null; displayName = $null; givenName = $null; surname = $null
        mail = $null; proxyAddresses = @(); userType = 'Member'; accountEnabled = $true; createdDateTime = $Now
        jobTitle = $null; department = $null; mobilePhone = $null; officeLocation = $null
        onPremisesImmutableId = $null; onPremisesSyncEnabled = $true; onPremisesLastSyncDateTime = $Now
        onPremisesProvisioningErrors = @()
    }
    $null = Set-SimFlowedAttributes -State $State -CloudUser $new -AdUser $AdUser -Anchor $Anchor -IncludeUpn $true -Now $Now -Exclude (Get-SimConflictExcludes $conflicts)
    $errors = [System.Collections.Generic.List[object]]::new()
    $takenAddresses = [System.Collections.Generic.HashSet[string]]::new([StringComparer]::OrdinalIgnoreCase)
    foreach ($conflict in $conflicts) {
        if ($conflict.Attribute -eq 'UserPrincipalName') {
            $new['userPrincipalName'] = Get-SimPlaceholderUpn -Engine $Engine -Upn ([string]$conflict.Value) -Anchor $Anchor
            $errors.Add((New-SimProvisioningError 'UserPrincipalName' ([string]$conflict.Value) $Now))
        } elseif ($takenAddresses.Add([string]$conflict.Address)) {
            $value = [string]$conflict.Value
            if ($conflict.Attribute -eq 'Mail') { $value = 'SMTP:' + $value }
            $errors.Add((New-SimProvisioningError 'ProxyAddress' $value $Now))
        }
    }
    if ($takenAddresses.Count -gt 0) {
        # The addresses that are free still flow; the taken ones are quarantined (left off the object).
        $kept = @(@(Get-SimValue $AdUser 'proxyAddresses' @()) | Where-Object {
                $text = [string]$_
                -not ($text -match '^(?i)smtp:(.+)$' -and $takenAddresses.Contains($Matches[1]))
            })
        $new['proxyAddresses'] = [object[]]$kept
        $mail = [string](Get-SimValue $AdUser 'mail' '')
        if ($mail -and -not $takenAddresses.Contains($mail)) { $new['mail'] = $mail }
    }
    $new['onPremisesProvisioningErrors'] = [object[]]$errors.ToArray()
    $new['onPremisesLastSyncDateTime'] = $Now
    $Engine.Tenant.users = @($Engine.Tenant.users) + @($new)
    $Engine.Index.users.Touch($new)
    $Engine.Joins[$guid] = [string]$new.id
    $Engine.JoinList.Add([ordered]@{ objectGuid = $guid; dn = [string]$AdUser.DistinguishedName; cloudId = [string]$new.id; rule = 'Provisioned' })
    $Engine.Report.adds++
    return $true
}

function Invoke-SimSyncEngine {
    <#
    .SYNOPSIS
        Applies one sync cycle's exports to the state and returns the run report: deletions, then every AD user
        in scope (in state order) that the import reads - joined ones updated, the others matched (hard, then
        soft) and joined, or provisioned.
    #>
    param([Parameter(Mandatory = $true)] $State, [Parameter(Mandatory = $true)] [string] $Now, $Faults, [string] $Since, [string[]] $Retry = @(), [string] $ImportAt)

    $engine = New-SimSyncEngine -State $State -Now $Now -Faults $Faults
    Remove-SimDepartedUsers $engine

    # A delta cycle imports only what changed since the previous cycle's watermark ("Delta import:
    # imports only the changes since the last import", Microsoft Entra Connect Sync: Scheduler); an
    # Initial cycle (or a server that never ran) imports everything. Objects whose export failed in
    # the last run are retried whatever their change time (their export is still pending).
    $sinceTime = $null
    if ($Since) { $sinceTime = ConvertFrom-SimTime $Since }
    $retrySet = [System.Collections.Generic.HashSet[string]]::new([StringComparer]::OrdinalIgnoreCase)
    foreach ($id in $Retry) { if ($id) { $null = $retrySet.Add($id) } }

    # The AD connector imports each domain from one domain controller (Get-SimConnectorDomainController), as
    # that DC served it when the cycle started: a write not yet replicated there is not imported by this cycle.
    $importAt = ConvertFrom-SimTime $ImportAt
    if ($null -eq $importAt) { $importAt = ConvertFrom-SimTime $Now }
    $pending = Get-SimReplicationPending $State
    $importDcs = @{}
    foreach ($domain in @(Get-SimValue $State.forest 'domains' @())) { $importDcs[[string]$domain.DistinguishedName] = Get-SimConnectorDomainController $State $domain }
    foreach ($stored in @($State.forest.users)) {
        $dc = $null
        $domain = Get-SimDomainOf $State ([string]$stored.DistinguishedName)
        if ($null -ne $domain) { $dc = $importDcs[[string]$domain.DistinguishedName] }
        $view = Get-SimAdUserOnDc -State $State -User $stored -Dc $dc -At $importAt -Pending $pending
        $adUser = $view.User
        if ($null -eq $adUser) { continue }
        # Only objects in the configured scope take part (domain, OU and group filtering).
        if (-not (Test-SimInSyncScope $State $adUser)) { continue }
        if ($null -ne $sinceTime -and -not $retrySet.Contains([string]$adUser.ObjectGUID) -and -not $view.Arrived) {
            # whenChanged is the originating write's time; a write that reached the DC by replication since the
            # last import is read too (the DC's own change counter moved).
            $changedAt = ConvertFrom-SimTime ([string](Get-SimValue $adUser 'whenChanged' ''))
            if ($null -ne $changedAt -and $changedAt -lt $sinceTime) { continue }
        }
        $anchor = Get-SimSourceAnchor $adUser $State
        $join = Get-SimJoin $engine ([string]$adUser.ObjectGUID)
        if ($null -ne $join) {
            Update-SimJoinedUser -Engine $engine -AdUser $adUser -Join $join -Anchor $anchor
            continue
        }
        $found = Find-SimHardMatch -Engine $engine -AdUser $adUser -Anchor $anchor
        if ($found.Blocked) { continue }
        if ($null -eq $found.Match) {
            $found = Find-SimSoftMatch -Engine $engine -AdUser $adUser
            if ($found.Blocked) { continue }
        }
        if ($null -ne $found.Match) { $exported = Join-SimCloudUser -Engine $engine -AdUser $adUser -Match $found.Match -Rule $found.Rule -Anchor $anchor }
        else { $exported = Add-SimProvisionedUser -Engine $engine -AdUser $adUser -Anchor $anchor }
        if (-not $exported) { continue }
        # Entra Connect writes the source anchor back to mS-DS-ConsistencyGuid when it is empty
        # ("Microsoft Entra Connect: Design concepts", Using ms-DS-ConsistencyGuid as sourceAnchor).
        if ((Get-SimAnchorAttribute $State) -eq 'mS-DS-ConsistencyGuid' -and -not [string](Get-SimValue $stored 'mS-DS-ConsistencyGuid' '')) {
            $stored['mS-DS-ConsistencyGuid'] = $anchor
            $stored['whenChanged'] = $Now
        }
    }
    $report = $engine.Report
    $report.joins = $engine.JoinList.ToArray()
    $report.errors = $engine.ErrorList.ToArray()
    $report.actions = $engine.ActionList.ToArray()
    return $report
}

function Complete-SimSyncCycle {
    <# Applies the cycle that ended (or reports pending exports in staging mode) and records sync.lastRun. #>
    param([Parameter(Mandatory = $true)] $Context)
    $state = $Context.State
    $sync = $state.sync
    $cycle = $sync.cycle
    $endedAt = [string](Get-SimValue $cycle 'endsAt' (Format-SimTime $Context.Now))
    $staging = [bool](Get-SimValue $sync 'stagingModeEnabled' $false)
    $since = $null
    if ([string](Get-SimValue $cycle 'policyType' 'Delta') -ne 'Initial') {
        $since = [string](Get-SimValue (Get-SimValue $sync 'lastRun') 'startedAt' (Get-SimValue $sync 'deltaWatermark' ''))
    }
    $retry = @(@(Get-SimValue (Get-SimValue $sync 'lastRun') 'errors' @()) | ForEach-Object { [string](Get-SimValue $_ 'objectGuid' '') })
    $run = [ordered]@{
        runHistoryId = [string](Get-SimValue $cycle 'runHistoryId' ([guid]::NewGuid().ToString()))
        runNumber    = [int](Get-SimValue $sync 'runNumber' 0)
        startedAt    = [string](Get-SimValue $cycle 'startedAt' $endedAt)
        endedAt      = $endedAt
        policyType   = [string](Get-SimValue $cycle 'policyType' 'Delta')
        stagingMode  = $staging
        result       = 'success'
        exports      = [ordered]@{ adds = 0; updates = 0; deletes = 0 }
        joins        = @()
        errors       = @()
        pendingExports = @()
    }
    if ($staging) {
        # Staging mode: "the sync engine imports and synchronizes but exports nothing" - computed on a copy,
        # reported as pending exports.
        $copy = Copy-SimData $state
        $report = Invoke-SimSyncEngine -State $copy -Now $endedAt -Faults $null -Since $since -Retry $retry -ImportAt $run.startedAt
        $run.pendingExports = $report.actions
    } else {
        $report = Invoke-SimSyncEngine -State $state -Now $endedAt -Faults $Context.Faults -Since $since -Retry $retry -ImportAt $run.startedAt
        # Writes every DC had when this cycle imported no longer matter to the next delta import.
        $importedAt = ConvertFrom-SimTime $run.startedAt
        if ($null -ne $importedAt) { Remove-SimReplicatedWrites -State $state -Since $importedAt }
        $run.exports = [ordered]@{ adds = $report.adds; updates = $report.updates; deletes = $report.deletes }
        $run.joins = $report.joins
        $run.errors = $report.errors
        if (@($report.errors).Count -gt 0) { $run.result = 'completed-export-errors' }
        $state.tenant['onPremisesLastSyncDateTime'] = $endedAt
        $state.tenant['onPremisesSyncEnabled'] = $true
    }
    $sync['lastRun'] = $run
    $history = @(Get-SimValue $sync 'runHistory' @())
    $summary = [ordered]@{}
    foreach ($key in @('runHistoryId', 'runNumber', 'startedAt', 'endedAt', 'policyType', 'stagingMode', 'result', 'exports')) { $summary[$key] = $run[$key] }
    $summary['errorCount'] = @($run.errors).Count
    $history = @($summary) + $history
    if ($history.Count -gt 20) { $history = $history[0..19] }
    $sync['runHistory'] = $history
    $sync['cycle'] = $null
    $interval = [int](Get-SimValue $sync 'syncIntervalMinutes' 30)
    $sync['nextCycleAt'] = Format-SimTime ((ConvertFrom-SimTime $endedAt).AddMinutes($interval))
}

function Update-SimSettle {
    <# The settle step every fake runs on load: applies a cycle whose endsAt has passed. $true when it did. #>
    param([Parameter(Mandatory = $true)] $Context)
    $sync = Get-SimValue $Context.State 'sync'
    $cycle = Get-SimValue $sync 'cycle'
    if ($null -eq $cycle) { return $false }
    $endsAt = ConvertFrom-SimTime (Get-SimValue $cycle 'endsAt')
    if ($null -ne $endsAt -and $Context.Now -lt $endsAt) { return $false }
    Complete-SimSyncCycle -Context $Context
    return $true
}

function Start-SimSyncCycle {
    <# Records a new cycle (sync.cycle); $false when one is still running. #>
    param([Parameter(Mandatory = $true)] $Context, [string] $PolicyType = 'Delta')
    $sync = $Context.State.sync
    if ($null -ne (Get-SimValue $sync 'cycle')) { return $false }
    $duration = Get-SimSyncCycleMs $Context
    $sync['runNumber'] = [int](Get-SimValue $sync 'runNumber' 0) + 1
    $sync['cycle'] = [ordered]@{
        startedAt    = Format-SimTime $Context.Now
        endsAt       = Format-SimTime ($Context.Now.AddMilliseconds($duration))
        policyType   = $PolicyType
        runHistoryId = [guid]::NewGuid().ToString()
    }
    $Context.Dirty = $true
    return $true
}
