<#
.SYNOPSIS
    Fake ActiveDirectory module of the upn-match simulator: the real cmdlet names, parameters, output property
    names and error texts, over the simulated world in $env:UPN_MATCH_SIM_DIR/state.json (forest.*).
.DESCRIPTION
    Cmdlets: Get-ADUser, New-ADUser, Set-ADUser, Remove-ADUser, Move-ADObject, Sync-ADObject, Get-ADForest, Get-ADDomain.
    A domain may have several domain controllers (forest.domains[].domainControllers): a write lands on the DC
    -Server names (else the sim's current DC) and reaches the others after forest.replication.delaySeconds
    (UpnMatch.Sim.Replication.ps1).
    Reference: "ActiveDirectory module" https://learn.microsoft.com/powershell/module/activedirectory/
    As in real AD, userPrincipalName uniqueness is NOT enforced (New-ADUser / Set-ADUser accept a duplicate UPN);
    sAMAccountName is unique per domain ("The specified account already exists").
#>
Set-StrictMode -Version Latest

# UpnMatch.Sim (state, lock, call log, latency, faults, sync engine) is a nested module: see the manifest.
. (Join-Path $PSScriptRoot 'ActiveDirectory.Filters.ps1')

$script:ModuleName = 'ActiveDirectory'
$script:SidTypeUnsupported = $false
$script:DefaultProperties = @('DistinguishedName', 'Enabled', 'GivenName', 'Name', 'ObjectClass', 'ObjectGUID', 'SamAccountName', 'SID', 'Surname', 'UserPrincipalName')

#region attribute catalog

# Out = output property name, Key = state key of the user object, Ldap = LDAP display name, Kind = value type.
$script:Catalog = @{}
function Add-AdCatalogEntry {
    param([string[]] $Names, [string] $Key, [string] $Ldap, [string] $Kind = 'string', [switch] $ReadOnly, [switch] $Multi)
    $entry = @{ Out = $Names[0]; Key = $Key; Ldap = $Ldap; Kind = $Kind; ReadOnly = [bool]$ReadOnly; Multi = [bool]$Multi }
    foreach ($name in $Names) {
        $lower = $name.ToLowerInvariant()
        if (-not $script:Catalog.ContainsKey($lower)) { $script:Catalog[$lower] = $entry }
    }
}
Add-AdCatalogEntry @('DistinguishedName', 'distinguishedName', 'dn') 'DistinguishedName' 'distinguishedName' -ReadOnly
Add-AdCatalogEntry @('Enabled') 'Enabled' 'userAccountControl' 'bool'
Add-AdCatalogEntry @('GivenName', 'givenName') 'GivenName' 'givenName'
Add-AdCatalogEntry @('Name', 'cn') 'Name' 'name' -ReadOnly
Add-AdCatalogEntry @('ObjectClass', 'objectClass') '*objectClass' 'objectClass' -ReadOnly
Add-AdCatalogEntry @('ObjectGUID', 'objectGUID') 'ObjectGUID' 'objectGUID' 'guid' -ReadOnly
Add-AdCatalogEntry @('SamAccountName', 'sAMAccountName') 'SamAccountName' 'sAMAccountName'
Add-AdCatalogEntry @('SID', 'objectSid') 'SID' 'objectSid' 'sid' -ReadOnly
Add-AdCatalogEntry @('Surname', 'sn') 'Surname' 'sn'
Add-AdCatalogEntry @('UserPrincipalName', 'userPrincipalName') 'UserPrincipalName' 'userPrincipalName'
Add-AdCatalogEntry @('mail') 'mail' 'mail'
Add-AdCatalogEntry @('EmailAddress') 'mail' 'mail'
Add-AdCatalogEntry @('proxyAddresses') 'proxyAddresses' 'proxyAddresses' 'string' -Multi
Add-AdCatalogEntry @('mS-DS-ConsistencyGuid') 'mS-DS-ConsistencyGuid' 'mS-DS-ConsistencyGuid' 'bytes'
Add-AdCatalogEntry @('DisplayName', 'displayName') 'DisplayName' 'displayName'
Add-AdCatalogEntry @('whenCreated', 'createTimeStamp') 'whenCreated' 'whenCreated' 'date' -ReadOnly
Add-AdCatalogEntry @('Created') 'whenCreated' 'whenCreated' 'date' -ReadOnly
Add-AdCatalogEntry @('whenChanged', 'modifyTimeStamp') 'whenChanged' 'whenChanged' 'date' -ReadOnly
Add-AdCatalogEntry @('Modified') 'whenChanged' 'whenChanged' 'date' -ReadOnly
Add-AdCatalogEntry @('Description', 'description') 'description' 'description'
Add-AdCatalogEntry @('Title', 'title') 'title' 'title'
Add-AdCatalogEntry @('Department', 'department') 'department' 'department'
Add-AdCatalogEntry @('Company', 'company') 'company' 'company'
Add-AdCatalogEntry @('Office', 'physicalDeliveryOfficeName') 'physicalDeliveryOfficeName' 'physicalDeliveryOfficeName'
Add-AdCatalogEntry @('EmployeeID', 'employeeID') 'employeeID' 'employeeID'
Add-AdCatalogEntry @('EmployeeNumber', 'employeeNumber') 'employeeNumber' 'employeeNumber'
Add-AdCatalogEntry @('Initials', 'initials') 'initials' 'initials'
Add-AdCatalogEntry @('MobilePhone', 'mobile') 'mobile' 'mobile'
Add-AdCatalogEntry @('OfficePhone', 'telephoneNumber') 'telephoneNumber' 'telephoneNumber'
Add-AdCatalogEntry @('City', 'l') 'l' 'l'
Add-AdCatalogEntry @('State', 'st') 'st' 'st'
Add-AdCatalogEntry @('Country', 'c') 'c' 'c'
Add-AdCatalogEntry @('StreetAddress', 'streetAddress') 'streetAddress' 'streetAddress'
Add-AdCatalogEntry @('PostalCode', 'postalCode') 'postalCode' 'postalCode'
Add-AdCatalogEntry @('Manager', 'manager') 'manager' 'manager'
Add-AdCatalogEntry @('mailNickname') 'mailNickname' 'mailNickname'
Add-AdCatalogEntry @('targetAddress') 'targetAddress' 'targetAddress'
Add-AdCatalogEntry @('info') 'info' 'info'
Add-AdCatalogEntry @('MemberOf', 'memberOf') 'memberOf' 'memberOf' 'string' -Multi -ReadOnly
Add-AdCatalogEntry @('userAccountControl') '*userAccountControl' 'userAccountControl' 'int'
Add-AdCatalogEntry @('ObjectCategory', 'objectCategory') '*objectCategory' 'objectCategory' -ReadOnly
Add-AdCatalogEntry @('CanonicalName', 'canonicalName') '*canonicalName' 'canonicalName' -ReadOnly
Add-AdCatalogEntry @('ProtectedFromAccidentalDeletion') '*protected' 'nTSecurityDescriptor' 'bool' -ReadOnly
for ($n = 1; $n -le 15; $n++) { Add-AdCatalogEntry @("extensionAttribute$n") "extensionAttribute$n" "extensionAttribute$n" }

# LDAP display name (lower case) to its catalog entry: filters name attributes this way.
$script:CatalogByLdap = @{}
foreach ($entry in $script:Catalog.Values) {
    $ldapLower = $entry.Ldap.ToLowerInvariant()
    if ($entry.Key -ne 'Enabled' -and -not $script:CatalogByLdap.ContainsKey($ldapLower)) { $script:CatalogByLdap[$ldapLower] = $entry }
}

function Get-AdAttributeEntry {
    param([string] $Name)
    $lower = $Name.ToLowerInvariant()
    if ($script:Catalog.ContainsKey($lower)) { return $script:Catalog[$lower] }
    return $null
}

function Get-AdForestRootDn {
    param($State)
    $root = [string](Get-SimValue $State.forest 'rootDomain' (Get-SimValue $State.forest 'name' 'contoso.local'))
    return (($root.Split('.') | ForEach-Object { 'DC=' + $_ }) -join ',')
}

function Get-AdAttributeValues {
    <# The values (array) of a catalog attribute on a user; empty when unset. #>
    param($State, $User, $Entry)
    switch ($Entry.Key) {
        '*objectClass' { return @('top', 'person', 'organizationalPerson', 'user') }
        '*objectCategory' { return @('CN=Person,CN=Schema,CN=Configuration,' + (Get-AdForestRootDn $State)) }
        '*userAccountControl' {
            $uac = Get-SimValue $User 'userAccountControl'
            if ($null -eq $uac) { $uac = 512; if (-not [bool](Get-SimValue $User 'Enabled' $true)) { $uac = 514 } }
            return @([int]$uac)
        }
        '*canonicalName' { return @(ConvertTo-AdCanonicalName ([string]$User.DistinguishedName)) }
        '*protected' { return @($false) }
    }
    $value = Get-SimValue $User $Entry.Key
    if ($null -eq $value -and $Entry.Key -eq 'SID') { return @(Get-AdSyntheticSid $State $User) }
    if ($null -eq $value) { return @() }
    if ($Entry.Kind -eq 'bytes') {
        if (([string]$value).Length -eq 0) { return @() }
        return @(, [Convert]::FromBase64String([string]$value))
    }
    if ($value -is [System.Array]) { return @($value) }
    if (([string]$value).Length -eq 0 -and $Entry.Kind -eq 'string') { return @() }
    return @($value)
}

function Get-AdSyntheticSid {
    <# A stable SID for a user the state gives none: the domain SID plus a RID derived from the ObjectGUID. #>
    param($State, $User)
    $domainSid = 'S-1-5-21-1004336348-1177238915-682003330'
    foreach ($domain in @(Get-SimValue $State.forest 'domains' @())) {
        $dn = [string](Get-SimValue $domain 'DistinguishedName' '')
        if ($dn -and ([string]$User.DistinguishedName).EndsWith($dn, [StringComparison]::OrdinalIgnoreCase)) { $domainSid = [string](Get-SimValue $domain 'DomainSID' $domainSid) }
    }
    $bytes = ([guid][string]$User.ObjectGUID).ToByteArray()
    $rid = 1100 + [int]$bytes[0] + 256 * [int]$bytes[1] + 65536 * ([int]$bytes[2] % 16)
    return ('{0}-{1}' -f $domainSid, $rid)
}

function Test-AdLdapBinary {
    param([string] $Attribute)
    return ($Attribute -ieq 'objectGUID' -or $Attribute -ieq 'mS-DS-ConsistencyGuid')
}

function Get-AdLdapValues {
    <# Values of an LDAP attribute for an LDAP filter: byte[] for binary attributes, else strings/ints. #>
    param($State, $User, [string] $Attribute)
    $lower = $Attribute.ToLowerInvariant()
    if ($lower -eq 'objectguid') { return @(, ([guid][string]$User.ObjectGUID).ToByteArray()) }
    if ($lower -eq 'whencreated' -or $lower -eq 'whenchanged') {
        $time = ConvertFrom-SimTime (Get-SimValue $User $Attribute)
        if ($null -eq $time) { return @() }
        return @($time.ToString('yyyyMMddHHmmss.0Z', [System.Globalization.CultureInfo]::InvariantCulture))
    }
    $entry = $script:CatalogByLdap[$lower]
    if ($null -ne $entry) { return @(Get-AdAttributeValues $State $User $entry) }
    foreach ($key in @($User.Keys)) {
        if (([string]$key).Equals($Attribute, [StringComparison]::OrdinalIgnoreCase)) {
            $value = $User[$key]
            if ($null -eq $value) { return @() }
            return @($value)
        }
    }
    return @()
}

function ConvertTo-AdCanonicalName {
    param([string] $DistinguishedName)
    $parts = [regex]::Split($DistinguishedName, '(?<!\\),')
    $dc = [System.Collections.Generic.List[string]]::new()
    $rest = [System.Collections.Generic.List[string]]::new()
    foreach ($part in $parts) {
        $kv = $part.Split('=', 2)
        if ($kv.Count -lt 2) { continue }
        if ($kv[0].Trim() -ieq 'DC') { $dc.Add($kv[1]) } else { $rest.Insert(0, ($kv[1] -replace '\\,', ',')) }
    }
    return (($dc -join '.') + '/' + ($rest -join '/'))
}

#endregion

#region objects, domains, errors

function Get-AdDomainData {
    <# The domain a call works on: the one named by -Server (DNS root, NetBIOS name, a DC), else the first. #>
    param($State, [string] $Server)
    $domains = @(Get-SimValue $State.forest 'domains' @())
    if ($domains.Count -eq 0) {
        $name = [string](Get-SimValue $State.forest 'name' 'contoso.local')
        $domains = @([ordered]@{ DNSRoot = $name; NetBIOSName = ($name.Split('.')[0]).ToUpperInvariant(); DistinguishedName = (($name.Split('.') | ForEach-Object { 'DC=' + $_ }) -join ','); PDCEmulator = ('dc01.' + $name) })
    }
    if (-not $Server) { return $domains[0] }
    $serverHost = $Server
    if ($serverHost.IndexOf(':') -gt 0) { $serverHost = $serverHost.Substring(0, $serverHost.IndexOf(':')) }
    foreach ($domain in $domains) {
        $names = @([string](Get-SimValue $domain 'DNSRoot' ''), [string](Get-SimValue $domain 'NetBIOSName' ''), [string](Get-SimValue $domain 'PDCEmulator' ''))
        $names += @(Get-SimValue $domain 'domainControllers' @())
        foreach ($known in $names) { if ($known -and ([string]$known).Equals($serverHost, [StringComparison]::OrdinalIgnoreCase)) { return $domain } }
    }
    foreach ($gc in @(Get-SimValue $State.forest 'globalCatalogs' @())) {
        if (([string]$gc).Equals($serverHost, [StringComparison]::OrdinalIgnoreCase)) { return $domains[0] }
    }
    $exception = New-SimException -TypeName 'Microsoft.ActiveDirectory.Management.ADServerDownException' -Message 'Unable to contact the server. This may be because this server does not exist, it is currently down, or it does not have the Active Directory Web Services running.'
    throw (New-SimErrorRecord -Exception $exception -ErrorId 'ActiveDirectoryServer:0' -Category ResourceUnavailable -Target $Server)
}

function New-AdNotFoundError {
    param([string] $Identity, [string] $Under)
    $message = "Cannot find an object with identity: '{0}' under: '{1}'." -f $Identity, $Under
    $exception = New-SimException -TypeName 'Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException' -Message $message
    return (New-SimErrorRecord -Exception $exception -ErrorId 'ActiveDirectoryCmdlet:Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException' -Category ObjectNotFound -Target $Identity)
}

function New-AdError {
    param([string] $Message, [string] $ErrorId, [System.Management.Automation.ErrorCategory] $Category = 'NotSpecified', $Target, [string] $TypeName = 'Microsoft.ActiveDirectory.Management.ADException')
    $exception = New-SimException -TypeName $TypeName -Message $Message
    # ADException.ErrorCode: the directory's error code, the number of the error id (ActiveDirectoryServer:8648
    # is ERROR_DS_UPN_VALUE_NOT_UNIQUE_IN_FOREST, 1316 ERROR_USER_EXISTS).
    if ($ErrorId -match '^ActiveDirectoryServer:(\d+)$' -and $null -ne $exception.PSObject.Properties['ErrorCode']) { $exception.ErrorCode = [int]$Matches[1] }
    return (New-SimErrorRecord -Exception $exception -ErrorId $ErrorId -Category $Category -Target $Target)
}

# Domain modes below Windows Server 2012 R2: the simulator takes the domain mode as its DCs' level.
$script:ModesBeforeUpnUniqueness = @('Windows2000Domain', 'Windows2003InterimDomain', 'Windows2003Domain', 'Windows2008Domain', 'Windows2008R2Domain', 'Windows2012Domain')

function Assert-AdUpnUnique {
    <#
    .SYNOPSIS
        Refuses a userPrincipalName another object of the forest has, as a DC at functional level Windows Server
        2012 R2 or later does on an originating add or modify (MS-ADTS 3.1.1.5.1.3 "Uniqueness Constraints";
        "SPN and UPN uniqueness": error 8648 ERROR_DS_UPN_VALUE_NOT_UNIQUE_IN_FOREST, "The operation failed because
        UPN value provided for addition/modification is not unique forest-wide"). The cmdlet raises it as an
        ADException with category NotSpecified and error id ActiveDirectoryServer:8648 (as Set-ADComputer does for
        the SPN twin, 8647). Older DCs accept the duplicate.
    .NOTES
        Not simulated: dsHeuristics DoNotVerifyUPNAndOrSPNUniqueness. A domain in a mode below 2012 R2 may have 2012 R2
        DCs that check; the simulator lets such a domain accept duplicates (the product must not rely on the check).
    #>
    param($State, $Domain, [string] $UserPrincipalName, $ExceptUser, $Target)
    if (-not $UserPrincipalName) { return }
    if ($script:ModesBeforeUpnUniqueness -contains [string](Get-SimValue $Domain 'DomainMode' 'Windows2016Domain')) { return }
    # The index names the holders (each checked below): reading a forest of 50,000 on each write took a second.
    foreach ($user in (Get-AdSearchCandidates $State @('userprincipalname' + [char]0 + $UserPrincipalName))) {
        if ($null -ne $ExceptUser -and [object]::ReferenceEquals($user, $ExceptUser)) { continue }
        if (([string](Get-SimValue $user 'UserPrincipalName' '')).Equals($UserPrincipalName, [StringComparison]::OrdinalIgnoreCase)) {
            throw (New-AdError -Message 'The operation failed because UPN value provided for addition/modification is not unique forest-wide' -ErrorId 'ActiveDirectoryServer:8648' -Target $Target)
        }
    }
}

function Get-AdIdentityText {
    param($Identity)
    if ($null -eq $Identity) { return '' }
    if ($Identity -is [System.Management.Automation.PSObject] -and $Identity -isnot [System.Management.Automation.PSCustomObject]) { $Identity = $Identity.PSObject.BaseObject }
    if ($Identity -is [string] -or $Identity -is [guid]) { return [string]$Identity }
    if ($Identity -is [System.Management.Automation.PSCustomObject]) {
        foreach ($name in @('ObjectGUID', 'DistinguishedName', 'SamAccountName', 'SID')) {
            $property = $Identity.PSObject.Properties[$name]
            if ($null -ne $property -and $null -ne $property.Value) { return [string]$property.Value }
        }
    }
    return [string]$Identity
}

function Get-AdUserIndex {
    <#
    .SYNOPSIS
        Positions in state.forest.users by ObjectGUID, SamAccountName, UserPrincipalName and DistinguishedName
        (New-SimIndex keys), so that a lookup or a filter of equalities on these reads a few users instead of the
        whole forest, as a domain controller's indexes do.
    #>
    param($State)
    return (Get-SimIndex -Name 'ad.users' -State $State -Items { param($World) , (Get-SimList $World.forest 'users') } -Fields @('ObjectGUID', 'SamAccountName', 'UserPrincipalName', 'DistinguishedName'))
}
$script:IndexedAttributes = @('objectguid', 'samaccountname', 'userprincipalname', 'distinguishedname')

function Get-AdLdapIndexKeys {
    <#
    .SYNOPSIS
        Index keys of which every user an LDAP filter matches carries one; $null when the filter can match a
        user without one (then the whole forest is read).
    #>
    param($Node)
    switch ($Node.K) {
        'eq' {
            $name = ([string]$Node.A).ToLowerInvariant()
            if ($name -eq 'objectguid' -or $script:IndexedAttributes -notcontains $name) { return $null }
            return , @($name + [char]0 + [System.Text.Encoding]::UTF8.GetString([byte[]]$Node.V))
        }
        'or' {
            $keys = [System.Collections.Generic.List[string]]::new()
            foreach ($child in $Node.C) {
                $childKeys = Get-AdLdapIndexKeys $child
                if ($null -eq $childKeys) { return $null }
                $keys.AddRange([string[]]$childKeys)
            }
            return , $keys.ToArray()
        }
        'and' {
            foreach ($child in $Node.C) {
                $childKeys = Get-AdLdapIndexKeys $child
                if ($null -ne $childKeys) { return , $childKeys }
            }
        }
    }
    return $null
}

function Test-AdLdapIndexExact {
    <# True when a filter is only equalities on indexed attributes joined by OR: the index's hits are its matches. #>
    param($Node)
    if ($Node.K -eq 'or') {
        foreach ($child in $Node.C) { if (-not (Test-AdLdapIndexExact $child)) { return $false } }
        return $true
    }
    return ($Node.K -eq 'eq' -and $null -ne (Get-AdLdapIndexKeys $Node))
}

function Get-AdSearchCandidates {
    <# The users a search must test, in forest order: the index's hits when the filter allows, else every user. #>
    param($State, [string[]] $Keys)
    $users = Get-SimList $State.forest 'users'
    if ($null -eq $Keys) { return , $users }
    $index = Get-AdUserIndex $State
    $positions = [System.Collections.Generic.SortedSet[int]]::new()
    foreach ($key in $Keys) {
        $hits = $null
        if ($index.TryGetValue($key, [ref]$hits)) { foreach ($position in $hits) { $null = $positions.Add($position) } }
    }
    $candidates = [System.Collections.Generic.List[object]]::new()
    foreach ($position in $positions) { $candidates.Add($users[$position]) }
    return , $candidates.ToArray()
}

function Find-AdUser {
    <# Resolves -Identity (GUID, DN, SID, sAMAccountName, or an ADUser object) within a domain. #>
    param($State, $Domain, $Identity)
    $text = (Get-AdIdentityText $Identity).Trim()
    $domainDn = [string]$Domain.DistinguishedName
    $guid = [guid]::Empty
    $byGuid = [guid]::TryParse($text, [ref]$guid)
    # The index names the likely user and the loop checks it; a miss reads the whole forest.
    $keys = $null
    if ($byGuid) { $keys = @('objectguid' + [char]0 + $guid.ToString()) }
    elseif ($text.IndexOf('=') -gt 0) { $keys = @('distinguishedname' + [char]0 + $text) }
    elseif (-not $text.StartsWith('S-1-', [StringComparison]::OrdinalIgnoreCase)) { $keys = @('samaccountname' + [char]0 + $text) }
    $passes = @(, (Get-SimList $State.forest 'users'))
    if ($null -ne $keys) { $passes = @((Get-AdSearchCandidates $State $keys), $passes[0]) }
    foreach ($users in $passes) {
        foreach ($user in $users) {
            $dn = [string]$user.DistinguishedName
            if (-not $dn.EndsWith($domainDn, [StringComparison]::OrdinalIgnoreCase)) { continue }
            if ($byGuid) {
                if (([string]$user.ObjectGUID).Equals($guid.ToString(), [StringComparison]::OrdinalIgnoreCase)) { return $user }
                continue
            }
            if ($text.StartsWith('S-1-', [StringComparison]::OrdinalIgnoreCase)) {
                $sid = @(Get-AdAttributeValues $State $user (Get-AdAttributeEntry 'SID'))
                if ($sid.Count -gt 0 -and ([string]$sid[0]).Equals($text, [StringComparison]::OrdinalIgnoreCase)) { return $user }
                continue
            }
            if ($text.IndexOf('=') -gt 0) {
                if ($dn.Equals($text, [StringComparison]::OrdinalIgnoreCase)) { return $user }
                continue
            }
            if (([string](Get-SimValue $user 'SamAccountName' '')).Equals($text, [StringComparison]::OrdinalIgnoreCase)) { return $user }
        }
    }
    return $null
}

function Resolve-AdUserOnDc {
    <# Resolves -Identity as domain controller Dc serves the user now (not found when a write has not reached it). #>
    param($State, $Domain, $Identity, [string] $Dc, [datetime] $Now)
    $user = Resolve-AdUserOrThrow $State $Domain $Identity
    $view = (Get-SimAdUserOnDc -State $State -User $user -Dc $Dc -At $Now).User
    if ($null -eq $view) { throw (New-AdNotFoundError (Get-AdIdentityText $Identity) ([string]$Domain.DistinguishedName)) }
    return $view
}

function Resolve-AdUserOrThrow {
    param($State, $Domain, $Identity)
    $user = Find-AdUser $State $Domain $Identity
    if ($null -eq $user) { throw (New-AdNotFoundError (Get-AdIdentityText $Identity) ([string]$Domain.DistinguishedName)) }
    return $user
}

function ConvertTo-AdOutputValue {
    param([object[]] $Values, $Entry)
    $list = @($Values)
    switch ($Entry.Kind) {
        'guid' { if ($list.Count -eq 0) { return $null }; return [guid][string]$list[0] }
        'bool' { if ($list.Count -eq 0) { return $null }; return [bool]$list[0] }
        'int' { if ($list.Count -eq 0) { return $null }; return [int]$list[0] }
        'date' { if ($list.Count -eq 0) { return $null }; return (ConvertFrom-SimTime $list[0]).ToLocalTime() }
        'bytes' { if ($list.Count -eq 0) { return $null }; return , ([byte[]]$list[0]) }
        'sid' {
            if ($list.Count -eq 0) { return $null }
            # Off Windows the type exists but cannot be built: the text then, without paying an exception each time.
            if ($script:SidTypeUnsupported) { return [string]$list[0] }
            try { return (New-Object System.Security.Principal.SecurityIdentifier ([string]$list[0])) } catch {
                for ($inner = $_.Exception; $null -ne $inner; $inner = $inner.InnerException) {
                    if ($inner -is [System.PlatformNotSupportedException]) { $script:SidTypeUnsupported = $true }
                }
                return [string]$list[0]
            }
        }
    }
    if ($Entry.Multi) { return , ([string[]]@($list | ForEach-Object { [string]$_ })) }
    if ($list.Count -eq 0) { return $null }
    return [string]$list[0]
}

function Get-AdUserObjectPlan {
    <#
    .SYNOPSIS
        The output properties of ConvertTo-AdUserObject for a -Properties list: @{ Names; Slots (Name, Entry);
        PerUser }. PerUser: the list depends on the user ('*', or a name outside the catalog), so a search builds
        it again for each user; otherwise one plan serves every user of the search.
    #>
    param($State, $User, [string[]] $Properties)
    $names = [System.Collections.Generic.List[string]]::new()
    foreach ($name in $script:DefaultProperties) { $names.Add($name) }
    $wanted = @($Properties | Where-Object { $_ })
    $perUser = $false
    if ($wanted -contains '*') {
        $perUser = $true
        $seen = @{}
        foreach ($entry in $script:Catalog.Values) {
            if ($seen.ContainsKey($entry.Out)) { continue }
            $seen[$entry.Out] = $true
            if ($entry.Out -like 'extensionAttribute*' -and $null -eq (Get-SimValue $User $entry.Key)) { continue }
            if ($names -notcontains $entry.Out) { $names.Add($entry.Out) }
        }
        foreach ($key in @($User.Keys)) { if ($null -eq (Get-AdAttributeEntry $key) -and $names -notcontains $key) { $names.Add([string]$key) } }
    } else {
        foreach ($name in $wanted) {
            $entry = Get-AdAttributeEntry $name
            $out = $name
            if ($null -ne $entry) { $out = $entry.Out }
            else {
                $perUser = $true
                if (-not (Test-AdKnownAttribute $State $User $name)) {
                    $exception = New-Object System.ArgumentException ("One or more properties are invalid.`r`nParameter name: {0}" -f $name)
                    throw (New-SimErrorRecord -Exception $exception -ErrorId 'ActiveDirectoryCmdlet:System.ArgumentException' -Category InvalidArgument -Target $name)
                }
            }
            $already = $false
            foreach ($existing in $names) { if ($existing -ieq $out) { $already = $true } }
            if (-not $already) { $names.Add($out) }
        }
    }
    $slots = [System.Collections.Generic.List[object]]::new()
    foreach ($name in $names) { $slots.Add(@{ Name = $name; Entry = (Get-AdAttributeEntry $name) }) }
    # Get-AdSyntheticSid's domains, read once.
    $domains = [System.Collections.Generic.List[object]]::new()
    foreach ($domain in @(Get-SimValue $State.forest 'domains' @())) {
        $domains.Add(@{ Dn = [string](Get-SimValue $domain 'DistinguishedName' ''); Sid = (Get-SimValue $domain 'DomainSID') })
    }
    return @{ Names = $names.ToArray(); Slots = $slots.ToArray(); PerUser = $perUser; Domains = $domains.ToArray() }
}

function ConvertTo-AdUserObject {
    <#
    .SYNOPSIS
        An ADUser-like PSCustomObject: the default property set plus the requested -Properties.
    .PARAMETER Plan
        From Get-AdUserObjectPlan for the same -Properties (a search passes one for all its users); built here
        when missing or when it depends on the user.
    .NOTES
        Plain stored attributes (string, guid, bool, int, bytes) are read here directly: a search of a thousand
        users reads them thousands of times. Others go through Get-AdAttributeValues / ConvertTo-AdOutputValue.
    #>
    param($State, $User, [string[]] $Properties, $Plan)
    if ($null -eq $Plan -or $Plan.PerUser) { $Plan = Get-AdUserObjectPlan $State $User $Properties }
    $object = [ordered]@{}
    foreach ($slot in $Plan.Slots) {
        $name = $slot.Name
        $entry = $slot.Entry
        if ($null -eq $entry) {
            $object[$name] = Get-SimValue $User $name
            continue
        }
        $key = $entry.Key
        $kind = $entry.Kind
        if ($key -eq '*objectClass') {
            # Replaced by 'user' below.
            $object[$name] = $null
            continue
        }
        if ($key -eq 'SID' -and $kind -eq 'sid') {
            $value = $null
            if ($User.Contains('SID')) { $value = $User['SID'] }
            if ($null -eq $value) {
                # Get-AdSyntheticSid
                $domainSid = 'S-1-5-21-1004336348-1177238915-682003330'
                $userDn = [string]$User.DistinguishedName
                foreach ($domain in $Plan.Domains) {
                    if ($domain.Dn -and $userDn.EndsWith($domain.Dn, [StringComparison]::OrdinalIgnoreCase) -and $null -ne $domain.Sid) { $domainSid = [string]$domain.Sid }
                }
                $bytes = ([guid][string]$User.ObjectGUID).ToByteArray()
                $value = '{0}-{1}' -f $domainSid, (1100 + [int]$bytes[0] + 256 * [int]$bytes[1] + 65536 * ([int]$bytes[2] % 16))
            }
            $object[$name] = ConvertTo-AdOutputValue @($value) $entry
            continue
        }
        if ($key.StartsWith('*') -or $key -eq 'SID' -or $kind -eq 'date' -or $kind -eq 'sid') {
            $object[$name] = ConvertTo-AdOutputValue @(Get-AdAttributeValues $State $User $entry) $entry
            continue
        }
        # Get-AdAttributeValues, then ConvertTo-AdOutputValue, for a stored attribute.
        $value = $null
        if ($User.Contains($key)) { $value = $User[$key] }
        $list = $null
        if ($null -eq $value) { $list = @() }
        elseif ($kind -eq 'bytes') {
            if (([string]$value).Length -eq 0) { $list = @() } else { $list = @(, [Convert]::FromBase64String([string]$value)) }
        }
        elseif ($value -is [System.Array]) { $list = @($value) }
        elseif (([string]$value).Length -eq 0 -and $kind -eq 'string') { $list = @() }
        else { $list = @($value) }
        if ($kind -eq 'string') {
            if ($entry.Multi) {
                $texts = [string[]]::new($list.Count)
                for ($i = 0; $i -lt $list.Count; $i++) { $texts[$i] = [string]$list[$i] }
                $object[$name] = $texts
            } elseif ($list.Count -eq 0) { $object[$name] = $null }
            else { $object[$name] = [string]$list[0] }
            continue
        }
        if ($list.Count -eq 0) { $object[$name] = $null; continue }
        switch ($kind) {
            'guid' { $object[$name] = [guid][string]$list[0] }
            'bool' { $object[$name] = [bool]$list[0] }
            'int' { $object[$name] = [int]$list[0] }
            'bytes' { $object[$name] = [byte[]]$list[0] }
            default { $object[$name] = ConvertTo-AdOutputValue $list $entry }
        }
    }
    if ($object.Contains('ObjectClass')) { $object['ObjectClass'] = 'user' }
    $object['PropertyNames'] = [string[]]@($Plan.Names)  # an array of its own per object
    $result = New-Object -TypeName PSObject -Property $object
    $result.PSObject.TypeNames.Insert(0, 'Microsoft.ActiveDirectory.Management.ADUser')
    return $result
}

function Test-AdKnownAttribute {
    <# An attribute name the simulated schema knows: the catalog, schemaAttributes in state, or one the object has. #>
    param($State, $User, [string] $Name)
    if ($null -ne (Get-AdAttributeEntry $Name)) { return $true }
    foreach ($extra in @(Get-SimValue $State.forest 'schemaAttributes' @())) { if (([string]$extra) -ieq $Name) { return $true } }
    if ($null -ne $User) { foreach ($key in @($User.Keys)) { if (([string]$key) -ieq $Name) { return $true } } }
    return $false
}

function Get-AdStateKey {
    <# State key for an attribute name given to -Replace/-Add/-Remove/-Clear/-OtherAttributes (LDAP names). #>
    param($State, $User, [string] $Name, [string] $Cmdlet)
    $entry = Get-AdAttributeEntry $Name
    if ($null -ne $entry) {
        if ($entry.ReadOnly -or $entry.Key.StartsWith('*')) {
            throw (New-AdError -Message 'The attribute cannot be modified because it is owned by the system' -ErrorId 'ActiveDirectoryServer:8369' -Target $Name)
        }
        return $entry
    }
    if (-not (Test-AdKnownAttribute $State $User $Name)) {
        $exception = New-Object System.ArgumentException ("The specified directory service attribute or value does not exist`r`nParameter name: {0}" -f $Name)
        throw (New-SimErrorRecord -Exception $exception -ErrorId 'ActiveDirectoryCmdlet:System.ArgumentException' -Category InvalidArgument -Target $Name)
    }
    return @{ Out = $Name; Key = $Name; Ldap = $Name; Kind = 'string'; ReadOnly = $false; Multi = $true }
}

function ConvertTo-AdStoredValue {
    <# A value given to a write parameter, as stored in state (bytes as base64, GUIDs as text). #>
    param($Value, $Entry)
    if ($null -eq $Value) { return $null }
    if ($Value -is [System.Management.Automation.PSObject]) { $Value = $Value.PSObject.BaseObject }
    if ($Entry.Kind -eq 'bytes') {
        if ($Value -is [byte[]]) { return [Convert]::ToBase64String($Value) }
        if ($Value -is [guid]) { return [Convert]::ToBase64String($Value.ToByteArray()) }
        if ($Value -is [System.Array]) { return [Convert]::ToBase64String([byte[]]@($Value)) }
        return [string]$Value
    }
    if ($Entry.Kind -eq 'bool') { return [bool]$Value }
    if ($Value -is [System.Array] -and -not $Entry.Multi) { return [string]@($Value)[0] }
    if ($Value -is [System.Array]) { return , ([object[]]@($Value | ForEach-Object { [string]$_ })) }
    if ($Entry.Multi) { return , ([object[]]@([string]$Value)) }
    return [string]$Value
}

function Test-AdSamAccountNameTaken {
    param($State, $Domain, [string] $SamAccountName, $ExceptUser)
    foreach ($user in (Get-AdSearchCandidates $State @('samaccountname' + [char]0 + $SamAccountName))) {
        if ($null -ne $ExceptUser -and [object]::ReferenceEquals($user, $ExceptUser)) { continue }
        if (-not ([string]$user.DistinguishedName).EndsWith([string]$Domain.DistinguishedName, [StringComparison]::OrdinalIgnoreCase)) { continue }
        if (([string](Get-SimValue $user 'SamAccountName' '')).Equals($SamAccountName, [StringComparison]::OrdinalIgnoreCase)) { return $true }
    }
    return $false
}

function ConvertTo-AdRdnValue {
    param([string] $Value)
    $escaped = $Value -replace '([,\\#+<>;"=])', '\$1'
    if ($escaped.StartsWith(' ')) { $escaped = '\' + $escaped }
    return $escaped
}

function Test-AdContainerExists {
    <# A container DN exists: a domain, CN=Users, an OU listed in forest.organizationalUnits, or a parent of a user. #>
    param($State, [string] $Dn)
    foreach ($domain in @(Get-SimValue $State.forest 'domains' @())) {
        $domainDn = [string]$domain.DistinguishedName
        if ($Dn.Equals($domainDn, [StringComparison]::OrdinalIgnoreCase)) { return $true }
        if ($Dn.Equals('CN=Users,' + $domainDn, [StringComparison]::OrdinalIgnoreCase)) { return $true }
    }
    if ($State.forest.Contains('organizationalUnits') -and $null -ne $State.forest['organizationalUnits']) {
        $ous = @($State.forest['organizationalUnits'])
        foreach ($ou in @($ous)) { if (([string]$ou).Equals($Dn, [StringComparison]::OrdinalIgnoreCase)) { return $true } }
        return $false
    }
    foreach ($user in @(Get-SimValue $State.forest 'users' @())) {
        if (([string]$user.DistinguishedName).EndsWith(',' + $Dn, [StringComparison]::OrdinalIgnoreCase)) { return $true }
    }
    foreach ($scope in @(Get-SimValue $State.sync 'syncScopeOUs' @())) {
        if (([string]$scope).Equals($Dn, [StringComparison]::OrdinalIgnoreCase) -or ([string]$scope).EndsWith(',' + $Dn, [StringComparison]::OrdinalIgnoreCase)) { return $true }
    }
    return $false
}

function Get-AdPasswordText {
    param([System.Security.SecureString] $Secure)
    return (New-Object System.Net.NetworkCredential ('', $Secure)).Password
}

function Test-AdPasswordComplexity {
    <# Default domain policy: at least 7 characters and 3 of 4 character classes. #>
    param([string] $Password)
    if ($Password.Length -lt 7) { return $false }
    $classes = 0
    if ($Password -cmatch '[A-Z]') { $classes++ }
    if ($Password -cmatch '[a-z]') { $classes++ }
    if ($Password -match '[0-9]') { $classes++ }
    if ($Password -match '[^A-Za-z0-9]') { $classes++ }
    return ($classes -ge 3)
}

function Invoke-AdCommand {
    param([string] $Command, $BoundParameters, [scriptblock] $Body)
    return (Invoke-SimCommand -Module $script:ModuleName -Command $Command -BoundParameters $BoundParameters -Latency ad -Body $Body)
}

#endregion

#region cmdlets

function Get-ADUser {
    <#
    .SYNOPSIS
        Gets one or more Active Directory users (simulated).
    #>
    [CmdletBinding(DefaultParameterSetName = 'Filter')]
    param(
        [Parameter(Mandatory = $true, ParameterSetName = 'Filter')] [string] $Filter,
        [Parameter(Mandatory = $true, Position = 0, ParameterSetName = 'Identity', ValueFromPipeline = $true)] [object] $Identity,
        [Parameter(Mandatory = $true, ParameterSetName = 'LdapFilter')] [string] $LDAPFilter,
        [Alias('Property')] [string[]] $Properties,
        [Parameter(ParameterSetName = 'Filter')] [Parameter(ParameterSetName = 'LdapFilter')] [int] $ResultPageSize = 256,
        [Parameter(ParameterSetName = 'Filter')] [Parameter(ParameterSetName = 'LdapFilter')] [System.Nullable[int]] $ResultSetSize,
        [Parameter(ParameterSetName = 'Filter')] [Parameter(ParameterSetName = 'LdapFilter')] [string] $SearchBase,
        [Parameter(ParameterSetName = 'Filter')] [Parameter(ParameterSetName = 'LdapFilter')] [ValidateSet('Base', 'OneLevel', 'Subtree', '0', '1', '2')] [string] $SearchScope = 'Subtree',
        [string] $Server,
        [System.Management.Automation.PSCredential] $Credential,
        [ValidateSet('Negotiate', 'Basic', '0', '1')] [string] $AuthType,
        [string] $Partition
    )
    begin {
        # $PSCmdlet.SessionState is the caller's: $variables in -Filter resolve there.
        $callerVariables = $PSCmdlet.SessionState
    }
    process {
        try {
            $bound = $PSBoundParameters  # the body scriptblock has its own $PSBoundParameters
            $result = Invoke-AdCommand 'Get-ADUser' $PSBoundParameters {
                param($ctx)
                $state = $ctx.State
                $domain = Get-AdDomainData $state $Server
                # The DC the call reaches serves its own copy: a write made on another DC shows after the delay.
                $dc = Resolve-SimDomainController $state $domain $Server
                $pending = Get-SimReplicationPending $state
                if ($PSCmdlet.ParameterSetName -eq 'Identity') {
                    $user = Resolve-AdUserOnDc $state $domain $Identity $dc $ctx.Now
                    return @(ConvertTo-AdUserObject $state $user $Properties)
                }
                $tree = $null
                $ldapTree = $null
                if ($PSCmdlet.ParameterSetName -eq 'Filter') { $tree = ConvertFrom-AdFilter $Filter }
                else { $ldapTree = ConvertFrom-AdLdapFilter $LDAPFilter }
                $base = [string]$domain.DistinguishedName
                if ($SearchBase) {
                    if (-not (Test-AdContainerExists $state $SearchBase)) {
                        throw (New-AdError -Message 'Directory object not found' -ErrorId 'ActiveDirectoryCmdlet:Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException' -Category ObjectNotFound -Target $SearchBase -TypeName 'Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException')
                    }
                    $base = $SearchBase
                }
                $scope = $SearchScope
                if ($scope -eq '0') { $scope = 'Base' } elseif ($scope -eq '1') { $scope = 'OneLevel' } elseif ($scope -eq '2') { $scope = 'Subtree' }
                $found = [System.Collections.Generic.List[object]]::new()
                $plan = $null
                $candidates = @(Get-SimValue $state.forest 'users' @())
                $exact = $false
                # The index holds the newest values: while writes are replicating, every user is read on the DC.
                if ($null -ne $ldapTree -and $pending.Count -eq 0) {
                    $candidates = Get-AdSearchCandidates $state (Get-AdLdapIndexKeys $ldapTree)
                    $exact = Test-AdLdapIndexExact $ldapTree
                }
                foreach ($stored in $candidates) {
                    $user = $stored
                    if ($pending.Count -gt 0) {
                        $user = (Get-SimAdUserOnDc -State $state -User $stored -Dc $dc -At $ctx.Now -Pending $pending).User
                        if ($null -eq $user) { continue }
                    }
                    $dn = [string]$user.DistinguishedName
                    if ($scope -eq 'Base') { if (-not $dn.Equals($base, [StringComparison]::OrdinalIgnoreCase)) { continue } }
                    else {
                        if (-not $dn.EndsWith(',' + $base, [StringComparison]::OrdinalIgnoreCase)) { continue }
                        if ($scope -eq 'OneLevel') {
                            $rdnLength = $dn.Length - $base.Length - 1
                            if ([regex]::IsMatch($dn.Substring(0, $rdnLength), '(?<!\\),')) { continue }
                        }
                    }
                    $match = $false
                    if ($null -ne $tree) { $match = Test-AdFilterNode $tree $user $state $callerVariables $Filter }
                    elseif ($exact) { $match = $true }
                    else { $match = Test-AdLdapNode $ldapTree $user $state }
                    if ($match) {
                        if ($null -eq $plan) { $plan = Get-AdUserObjectPlan $state $user $Properties }
                        $found.Add((ConvertTo-AdUserObject $state $user $Properties $plan))
                    }
                    if ($null -ne $ResultSetSize -and $found.Count -ge [int]$ResultSetSize) { break }
                }
                return , $found.ToArray()
            }
        } catch {
            $PSCmdlet.ThrowTerminatingError($_)
        }
        foreach ($item in @($result)) { $PSCmdlet.WriteObject($item) }
    }
}

function New-ADUser {
    <#
    .SYNOPSIS
        Creates an Active Directory user (simulated). UPN uniqueness is not enforced, as in real AD.
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    param(
        [Parameter(Mandatory = $true, Position = 0)] [string] $Name,
        [string] $SamAccountName,
        [string] $UserPrincipalName,
        [string] $GivenName,
        [string] $Surname,
        [string] $DisplayName,
        [string] $Path,
        [string] $EmailAddress,
        [System.Nullable[bool]] $Enabled,
        [System.Security.SecureString] $AccountPassword,
        [hashtable] $OtherAttributes,
        [string] $Description,
        [string] $Title,
        [string] $Department,
        [string] $Company,
        [string] $Office,
        [string] $EmployeeID,
        [string] $Initials,
        [string] $MobilePhone,
        [string] $OfficePhone,
        [System.Nullable[bool]] $ChangePasswordAtLogon,
        [System.Nullable[bool]] $PasswordNeverExpires,
        [System.Nullable[bool]] $CannotChangePassword,
        [switch] $PassThru,
        [string] $Server,
        [System.Management.Automation.PSCredential] $Credential,
        [ValidateSet('Negotiate', 'Basic', '0', '1')] [string] $AuthType
    )
    try {
        $bound = $PSBoundParameters  # the body scriptblock has its own $PSBoundParameters
        $result = Invoke-AdCommand 'New-ADUser' $PSBoundParameters {
            param($ctx)
            $state = $ctx.State
            $domain = Get-AdDomainData $state $Server
            $container = $Path
            if (-not $container) { $container = 'CN=Users,' + [string]$domain.DistinguishedName }
            if (-not (Test-AdContainerExists $state $container)) {
                throw (New-AdError -Message 'Directory object not found' -ErrorId 'ActiveDirectoryServer:8333' -Category ObjectNotFound -Target $container -TypeName 'Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException')
            }
            $dn = 'CN=' + (ConvertTo-AdRdnValue $Name) + ',' + $container
            foreach ($user in @(Get-SimValue $state.forest 'users' @())) {
                if (([string]$user.DistinguishedName).Equals($dn, [StringComparison]::OrdinalIgnoreCase)) {
                    throw (New-AdError -Message 'An attempt was made to add an object to the directory with a name that is already in use' -ErrorId 'ActiveDirectoryServer:8305' -Category ResourceExists -Target $dn -TypeName 'Microsoft.ActiveDirectory.Management.ADIdentityAlreadyExistsException')
                }
            }
            $sam = $SamAccountName
            if (-not $sam) { $sam = '$' + ([guid]::NewGuid().ToString('N').Substring(0, 4).ToUpperInvariant()) + '-' + ([guid]::NewGuid().ToString('N').Substring(0, 12).ToUpperInvariant()) }
            if (Test-AdSamAccountNameTaken $state $domain $sam $null) {
                throw (New-AdError -Message 'The specified account already exists' -ErrorId 'ActiveDirectoryServer:1316' -Category ResourceExists -Target $dn -TypeName 'Microsoft.ActiveDirectory.Management.ADIdentityAlreadyExistsException')
            }
            $newUpn = [string]$UserPrincipalName
            if ($null -ne $OtherAttributes) { foreach ($key in @($OtherAttributes.Keys)) { if ([string]$key -eq 'userPrincipalName') { $newUpn = [string]$OtherAttributes[$key] } } }
            Assert-AdUpnUnique -State $state -Domain $domain -UserPrincipalName $newUpn -ExceptUser $null -Target $dn
            if (-not $PSCmdlet.ShouldProcess($dn, 'New')) { return $null }
            $now = Format-SimTime $ctx.Now
            $rid = [int](Get-SimValue $state.forest 'nextRid' 1104)
            $state.forest['nextRid'] = $rid + 1
            $domainSid = [string](Get-SimValue $domain 'DomainSID' 'S-1-5-21-1004336348-1177238915-682003330')
            $user = [ordered]@{
                ObjectGUID = [guid]::NewGuid().ToString(); SamAccountName = $sam; UserPrincipalName = $null; DistinguishedName = $dn
                Name = $Name; GivenName = $null; Surname = $null; DisplayName = $null; mail = $null; proxyAddresses = @()
                'mS-DS-ConsistencyGuid' = $null; Enabled = $false; SID = ('{0}-{1}' -f $domainSid, $rid); whenCreated = $now; whenChanged = $now
            }
            $simple = @{ UserPrincipalName = 'UserPrincipalName'; GivenName = 'GivenName'; Surname = 'Surname'; DisplayName = 'DisplayName'; EmailAddress = 'mail'
                Description = 'description'; Title = 'title'; Department = 'department'; Company = 'company'; Office = 'physicalDeliveryOfficeName'
                EmployeeID = 'employeeID'; Initials = 'initials'; MobilePhone = 'mobile'; OfficePhone = 'telephoneNumber' }
            foreach ($parameter in @($simple.Keys)) {
                if ($bound.ContainsKey($parameter)) { $user[$simple[$parameter]] = [string]$bound[$parameter] }
            }
            if ($null -ne $OtherAttributes) {
                foreach ($key in @($OtherAttributes.Keys)) {
                    $entry = Get-AdStateKey $state $null ([string]$key) 'New-ADUser'
                    $user[$entry.Key] = ConvertTo-AdStoredValue $OtherAttributes[$key] $entry
                }
            }
            $state.forest['users'] = @(Get-SimValue $state.forest 'users' @()) + @($user)
            Add-SimReplicationWrite -State $state -Domain $domain -Dc (Resolve-SimDomainController $state $domain $Server) -ObjectGuid ([string]$user.ObjectGUID) -Before $null -Now $ctx.Now
            $ctx.Dirty = $true
            # Appended, and changed below before the call ends: touched.
            $ctx.Touched = @($user)
            # "Accounts created with the New-ADUser cmdlet are disabled if no password is provided." (Set-ADUser /
            # New-ADUser docs). A password that fails the domain policy leaves the account created but disabled,
            # and the cmdlet reports the error, as the real one does.
            if ($null -ne $AccountPassword) {
                if (-not (Test-AdPasswordComplexity (Get-AdPasswordText $AccountPassword))) {
                    return @{ Error = (New-AdError -Message 'The password does not meet the length, complexity, or history requirement of the domain.' -ErrorId 'ActiveDirectoryServer:1325' -Category InvalidData -Target $dn -TypeName 'Microsoft.ActiveDirectory.Management.ADPasswordComplexityException') }
                }
                if ($null -ne $Enabled) { $user['Enabled'] = [bool]$Enabled }
            }
            if ($PassThru) { return @{ Object = (ConvertTo-AdUserObject $state $user @()) } }
            return $null
        }
    } catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
    if ($null -ne $result -and $result.ContainsKey('Error')) { $PSCmdlet.ThrowTerminatingError($result.Error) }
    if ($null -ne $result -and $result.ContainsKey('Object')) { $PSCmdlet.WriteObject($result.Object) }
}

function Set-ADUser {
    <#
    .SYNOPSIS
        Modifies an Active Directory user (simulated). Remove, Add, Replace, Clear are applied in that order
        (Set-ADUser docs: "When you use the Add, Remove, Replace, and Clear parameters together, the operations
        will be performed in the following order: Remove, Add, Replace, Clear").
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true)] [object] $Identity,
        [string] $UserPrincipalName,
        [string] $EmailAddress,
        [string] $GivenName,
        [string] $Surname,
        [string] $DisplayName,
        [string] $Description,
        [string] $Title,
        [string] $Department,
        [string] $Company,
        [string] $Office,
        [string] $EmployeeID,
        [string] $Initials,
        [string] $MobilePhone,
        [string] $OfficePhone,
        [string] $SamAccountName,
        [System.Nullable[bool]] $Enabled,
        [hashtable] $Replace,
        [hashtable] $Add,
        [hashtable] $Remove,
        [string[]] $Clear,
        [switch] $PassThru,
        [string] $Server,
        [System.Management.Automation.PSCredential] $Credential,
        [ValidateSet('Negotiate', 'Basic', '0', '1')] [string] $AuthType,
        [string] $Partition
    )
    process {
        try {
            $bound = $PSBoundParameters  # the body scriptblock has its own $PSBoundParameters
            $result = Invoke-AdCommand 'Set-ADUser' $PSBoundParameters {
                param($ctx)
                $state = $ctx.State
                $domain = Get-AdDomainData $state $Server
                $dc = Resolve-SimDomainController $state $domain $Server
                $null = Resolve-AdUserOnDc $state $domain $Identity $dc $ctx.Now
                $user = Resolve-AdUserOrThrow $state $domain $Identity
                $work = Copy-SimData $user
                $simple = @{ UserPrincipalName = 'UserPrincipalName'; EmailAddress = 'mail'; GivenName = 'GivenName'; Surname = 'Surname'; DisplayName = 'DisplayName'
                    Description = 'description'; Title = 'title'; Department = 'department'; Company = 'company'; Office = 'physicalDeliveryOfficeName'
                    EmployeeID = 'employeeID'; Initials = 'initials'; MobilePhone = 'mobile'; OfficePhone = 'telephoneNumber'; SamAccountName = 'SamAccountName' }
                foreach ($parameter in @($simple.Keys)) {
                    if ($bound.ContainsKey($parameter)) {
                        $value = $bound[$parameter]
                        if ([string]::IsNullOrEmpty([string]$value)) { $work[$simple[$parameter]] = $null } else { $work[$simple[$parameter]] = [string]$value }
                    }
                }
                if ($bound.ContainsKey('Enabled') -and $null -ne $Enabled) { $work['Enabled'] = [bool]$Enabled }
                if ($null -ne $Remove) {
                    foreach ($key in @($Remove.Keys)) {
                        $entry = Get-AdStateKey $state $user ([string]$key) 'Set-ADUser'
                        $current = @(Get-SimValue $work $entry.Key @())
                        foreach ($value in @($Remove[$key])) {
                            $text = [string](ConvertTo-AdStoredValue $value @{ Kind = $entry.Kind; Multi = $false })
                            $kept = @($current | Where-Object { -not ([string]$_).Equals($text, [StringComparison]::OrdinalIgnoreCase) })
                            if ($kept.Count -eq $current.Count) {
                                throw (New-AdError -Message 'The specified directory service attribute or value does not exist' -ErrorId 'ActiveDirectoryServer:8214' -Target $key)
                            }
                            $current = $kept
                        }
                        if ($entry.Multi) { $work[$entry.Key] = [object[]]$current } elseif ($current.Count -eq 0) { $work[$entry.Key] = $null } else { $work[$entry.Key] = $current[0] }
                    }
                }
                if ($null -ne $Add) {
                    foreach ($key in @($Add.Keys)) {
                        $entry = Get-AdStateKey $state $user ([string]$key) 'Set-ADUser'
                        $current = @(Get-SimValue $work $entry.Key @())
                        foreach ($value in @($Add[$key])) {
                            $text = [string](ConvertTo-AdStoredValue $value @{ Kind = $entry.Kind; Multi = $false })
                            foreach ($existing in $current) {
                                if (([string]$existing).Equals($text, [StringComparison]::OrdinalIgnoreCase)) {
                                    throw (New-AdError -Message 'The specified value already exists' -ErrorId 'ActiveDirectoryServer:8323' -Target $key)
                                }
                            }
                            if (-not $entry.Multi -and $current.Count -gt 0) {
                                throw (New-AdError -Message 'Multiple values were specified for an attribute that can have only one value' -ErrorId 'ActiveDirectoryServer:8321' -Target $key)
                            }
                            $current = @($current) + @($text)
                        }
                        if ($entry.Multi) { $work[$entry.Key] = [object[]]$current } else { $work[$entry.Key] = $current[0] }
                    }
                }
                if ($null -ne $Replace) {
                    foreach ($key in @($Replace.Keys)) {
                        $entry = Get-AdStateKey $state $user ([string]$key) 'Set-ADUser'
                        $work[$entry.Key] = ConvertTo-AdStoredValue $Replace[$key] $entry
                    }
                }
                foreach ($key in @($Clear)) {
                    if (-not $key) { continue }
                    $entry = Get-AdStateKey $state $user ([string]$key) 'Set-ADUser'
                    if ($entry.Multi) { $work[$entry.Key] = @() } else { $work[$entry.Key] = $null }
                }
                $newSam = [string](Get-SimValue $work 'SamAccountName' '')
                if ($newSam -and -not $newSam.Equals([string](Get-SimValue $user 'SamAccountName' ''), [StringComparison]::OrdinalIgnoreCase)) {
                    if (Test-AdSamAccountNameTaken $state $domain $newSam $user) {
                        throw (New-AdError -Message 'The specified account already exists' -ErrorId 'ActiveDirectoryServer:1316' -Category ResourceExists -Target ([string]$user.DistinguishedName) -TypeName 'Microsoft.ActiveDirectory.Management.ADIdentityAlreadyExistsException')
                    }
                }
                $newUpn = [string](Get-SimValue $work 'UserPrincipalName' '')
                if (-not $newUpn.Equals([string](Get-SimValue $user 'UserPrincipalName' ''), [StringComparison]::OrdinalIgnoreCase)) {
                    Assert-AdUpnUnique -State $state -Domain $domain -UserPrincipalName $newUpn -ExceptUser $user -Target ([string]$user.DistinguishedName)
                }
                if (-not $PSCmdlet.ShouldProcess([string]$user.DistinguishedName, 'Set')) { return $null }
                $work['whenChanged'] = Format-SimTime $ctx.Now
                Add-SimReplicationWrite -State $state -Domain $domain -Dc $dc -ObjectGuid ([string]$user.ObjectGUID) -Before $user -Now $ctx.Now
                foreach ($key in @($work.Keys)) { $user[$key] = $work[$key] }
                $ctx.Dirty = $true
                $ctx.Touched = @($user)
                if ($PassThru) { return (ConvertTo-AdUserObject $state $user @()) }
                return $null
            }
        } catch {
            $PSCmdlet.ThrowTerminatingError($_)
        }
        if ($null -ne $result) { $PSCmdlet.WriteObject($result) }
    }
}

function Remove-ADUser {
    <#
    .SYNOPSIS
        Removes an Active Directory user (simulated). Prompts for confirmation by default (ConfirmImpact High).
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true)] [object] $Identity,
        [string] $Server,
        [System.Management.Automation.PSCredential] $Credential,
        [ValidateSet('Negotiate', 'Basic', '0', '1')] [string] $AuthType,
        [string] $Partition
    )
    process {
        try {
            $bound = $PSBoundParameters  # the body scriptblock has its own $PSBoundParameters
            $null = Invoke-AdCommand 'Remove-ADUser' $PSBoundParameters {
                param($ctx)
                $state = $ctx.State
                $domain = Get-AdDomainData $state $Server
                $user = Resolve-AdUserOrThrow $state $domain $Identity
                if (-not $PSCmdlet.ShouldProcess([string]$user.DistinguishedName, 'Remove')) { return $null }
                $state.forest['users'] = @(@(Get-SimValue $state.forest 'users' @()) | Where-Object { -not [object]::ReferenceEquals($_, $user) -and -not ([string]$_.ObjectGUID).Equals([string]$user.ObjectGUID, [StringComparison]::OrdinalIgnoreCase) })
                $ctx.Dirty = $true
                return $null
            }
        } catch {
            $PSCmdlet.ThrowTerminatingError($_)
        }
    }
}

function Move-ADObject {
    <#
    .SYNOPSIS
        Moves an Active Directory object (simulated: users) to another container.
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true)] [object] $Identity,
        [Parameter(Mandatory = $true, Position = 1)] [string] $TargetPath,
        [switch] $PassThru,
        [string] $Server,
        [System.Management.Automation.PSCredential] $Credential,
        [ValidateSet('Negotiate', 'Basic', '0', '1')] [string] $AuthType,
        [string] $Partition,
        [string] $TargetServer
    )
    process {
        try {
            $bound = $PSBoundParameters  # the body scriptblock has its own $PSBoundParameters
            $result = Invoke-AdCommand 'Move-ADObject' $PSBoundParameters {
                param($ctx)
                $state = $ctx.State
                $domain = Get-AdDomainData $state $Server
                $user = Resolve-AdUserOrThrow $state $domain $Identity
                if (-not (Test-AdContainerExists $state $TargetPath)) {
                    throw (New-AdError -Message 'Directory object not found' -ErrorId 'ActiveDirectoryServer:8333' -Category ObjectNotFound -Target $TargetPath -TypeName 'Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException')
                }
                $dn = 'CN=' + (ConvertTo-AdRdnValue ([string]$user.Name)) + ',' + $TargetPath
                foreach ($other in @(Get-SimValue $state.forest 'users' @())) {
                    if (-not [object]::ReferenceEquals($other, $user) -and ([string]$other.DistinguishedName).Equals($dn, [StringComparison]::OrdinalIgnoreCase)) {
                        throw (New-AdError -Message 'An attempt was made to add an object to the directory with a name that is already in use' -ErrorId 'ActiveDirectoryServer:8305' -Category ResourceExists -Target $dn -TypeName 'Microsoft.ActiveDirectory.Management.ADIdentityAlreadyExistsException')
                    }
                }
                if (-not $PSCmdlet.ShouldProcess([string]$user.DistinguishedName, 'Move')) { return $null }
                Add-SimReplicationWrite -State $state -Domain $domain -Dc (Resolve-SimDomainController $state $domain $Server) -ObjectGuid ([string]$user.ObjectGUID) -Before $user -Now $ctx.Now
                $user['DistinguishedName'] = $dn
                $user['whenChanged'] = Format-SimTime $ctx.Now
                $ctx.Dirty = $true
                if ($PassThru) { return (ConvertTo-AdUserObject $state $user @()) }
                return $null
            }
        } catch {
            $PSCmdlet.ThrowTerminatingError($_)
        }
        if ($null -ne $result) { $PSCmdlet.WriteObject($result) }
    }
}

function Sync-ADObject {
    <#
    .SYNOPSIS
        Replicates a single object between two domain controllers (simulated: users).
    .DESCRIPTION
        "Sync-ADObject [-Object] <ADObject> [[-Source] <String>] [-Destination] <String> [-AuthType] [-Credential]
        [-PassThru] [-PasswordOnly]" (https://learn.microsoft.com/powershell/module/activedirectory/sync-adobject;
        the cmdlet has no -Server). Every write Source has of the object reaches Destination now. An unknown DC
        fails as an unreachable server does (ADServerDownException). Not documented, guessed: without -Source the
        module's default DC is the source; -PassThru returns the object as Destination serves it; -PasswordOnly
        replicates nothing else (the sim keeps no passwords).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true)] [object] $Object,
        [Parameter(Position = 1)] [string] $Source,
        [Parameter(Mandatory = $true, Position = 2)] [string] $Destination,
        [ValidateSet('Negotiate', 'Basic', '0', '1')] [string] $AuthType,
        [System.Management.Automation.PSCredential] $Credential,
        [switch] $PassThru,
        [switch] $PasswordOnly
    )
    process {
        try {
            $bound = $PSBoundParameters  # the body scriptblock has its own $PSBoundParameters
            $result = Invoke-AdCommand 'Sync-ADObject' $PSBoundParameters {
                param($ctx)
                $state = $ctx.State
                $domain = Get-AdDomainData $state $Destination
                $to = Resolve-SimDomainController $state $domain $Destination
                $from = Resolve-SimDomainController $state $domain $null
                if ($Source) {
                    $null = Get-AdDomainData $state $Source
                    $from = Resolve-SimDomainController $state $domain $Source
                }
                $user = Resolve-AdUserOnDc $state $domain $Object $from $ctx.Now
                if (-not $PasswordOnly) {
                    if ((Sync-SimAdObject -State $state -ObjectGuid ([string]$user.ObjectGUID) -Source $from -Destination $to -Now $ctx.Now) -gt 0) { $ctx.Dirty = $true }
                }
                if ($PassThru) { return (ConvertTo-AdUserObject $state (Resolve-AdUserOnDc $state $domain $Object $to $ctx.Now) @()) }
                return $null
            }
        } catch {
            $PSCmdlet.ThrowTerminatingError($_)
        }
        if ($null -ne $result) { $PSCmdlet.WriteObject($result) }
    }
}

function Get-ADForest {
    <#
    .SYNOPSIS
        Gets the Active Directory forest (simulated).
    #>
    [CmdletBinding(DefaultParameterSetName = 'Current')]
    param(
        [Parameter(Position = 0, ParameterSetName = 'Identity', ValueFromPipeline = $true)] [object] $Identity,
        [Parameter(ParameterSetName = 'Current')] [ValidateSet('LocalComputer', 'LoggedOnUser', '0', '1')] [string] $Current,
        [string] $Server,
        [System.Management.Automation.PSCredential] $Credential,
        [ValidateSet('Negotiate', 'Basic', '0', '1')] [string] $AuthType
    )
    try {
        $bound = $PSBoundParameters  # the body scriptblock has its own $PSBoundParameters
        $result = Invoke-AdCommand 'Get-ADForest' $PSBoundParameters {
            param($ctx)
            $state = $ctx.State
            $null = Get-AdDomainData $state $Server
            $forest = $state.forest
            $name = [string](Get-SimValue $forest 'name' 'contoso.local')
            if ($null -ne $Identity -and -not ([string]$Identity).Equals($name, [StringComparison]::OrdinalIgnoreCase)) {
                throw (New-AdNotFoundError ([string]$Identity) (Get-AdForestRootDn $state))
            }
            $domains = @(Get-SimValue $forest 'domains' @())
            $first = Get-AdDomainData $state $null
            $pdc = [string](Get-SimValue $first 'PDCEmulator' ('dc01.' + $name))
            return [pscustomobject]@{
                ApplicationPartitions = [string[]]@()
                CrossForestReferences = [string[]]@()
                DomainNamingMaster    = $pdc
                Domains               = [string[]]@($domains | ForEach-Object { [string]$_.DNSRoot })
                ForestMode            = [string](Get-SimValue $forest 'forestMode' 'Windows2016Forest')
                GlobalCatalogs        = [string[]]@(Get-SimValue $forest 'globalCatalogs' @($pdc))
                Name                  = $name
                PartitionsContainer   = 'CN=Partitions,CN=Configuration,' + (Get-AdForestRootDn $state)
                RootDomain            = [string](Get-SimValue $forest 'rootDomain' $name)
                SchemaMaster          = $pdc
                Sites                 = [string[]]@(Get-SimValue $forest 'sites' @('Default-First-Site-Name'))
                SPNSuffixes           = [string[]]@()
                UPNSuffixes           = [string[]]@(Get-SimValue $forest 'upnSuffixes' @())
            }
        }
    } catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
    $PSCmdlet.WriteObject($result)
}

function Get-ADDomain {
    <#
    .SYNOPSIS
        Gets an Active Directory domain (simulated).
    #>
    [CmdletBinding(DefaultParameterSetName = 'Current')]
    param(
        [Parameter(Position = 0, ParameterSetName = 'Identity', ValueFromPipeline = $true)] [object] $Identity,
        [Parameter(ParameterSetName = 'Current')] [ValidateSet('LocalComputer', 'LoggedOnUser', '0', '1')] [string] $Current,
        [string] $Server,
        [System.Management.Automation.PSCredential] $Credential,
        [ValidateSet('Negotiate', 'Basic', '0', '1')] [string] $AuthType
    )
    try {
        $bound = $PSBoundParameters  # the body scriptblock has its own $PSBoundParameters
        $result = Invoke-AdCommand 'Get-ADDomain' $PSBoundParameters {
            param($ctx)
            $state = $ctx.State
            $domain = Get-AdDomainData $state $Server
            if ($null -ne $Identity) {
                $wanted = [string]$Identity
                $domain = $null
                foreach ($candidate in @(Get-SimValue $state.forest 'domains' @())) {
                    foreach ($name in @('DNSRoot', 'NetBIOSName', 'DistinguishedName')) {
                        if (([string](Get-SimValue $candidate $name '')).Equals($wanted, [StringComparison]::OrdinalIgnoreCase)) { $domain = $candidate }
                    }
                }
                if ($null -eq $domain) { throw (New-AdNotFoundError $wanted (Get-AdForestRootDn $state)) }
            }
            $dn = [string]$domain.DistinguishedName
            $pdc = [string](Get-SimValue $domain 'PDCEmulator' ('dc01.' + [string]$domain.DNSRoot))
            $sid = [string](Get-SimValue $domain 'DomainSID' 'S-1-5-21-1004336348-1177238915-682003330')
            $domainSid = $sid
            try { $domainSid = New-Object System.Security.Principal.SecurityIdentifier $sid } catch { $null = $_ }
            return [pscustomobject]@{
                AllowedDNSSuffixes                 = [string[]]@()
                ChildDomains                       = [string[]]@()
                ComputersContainer                 = 'CN=Computers,' + $dn
                DeletedObjectsContainer            = 'CN=Deleted Objects,' + $dn
                DistinguishedName                  = $dn
                DNSRoot                            = [string]$domain.DNSRoot
                DomainControllersContainer         = 'OU=Domain Controllers,' + $dn
                DomainMode                         = [string](Get-SimValue $domain 'DomainMode' 'Windows2016Domain')
                DomainSID                          = $domainSid
                Forest                             = [string](Get-SimValue $state.forest 'name' ([string]$domain.DNSRoot))
                InfrastructureMaster               = $pdc
                LinkedGroupPolicyObjects           = [string[]]@()
                Name                               = [string](Get-SimValue $domain 'Name' (([string]$domain.DNSRoot).Split('.')[0]))
                NetBIOSName                        = [string](Get-SimValue $domain 'NetBIOSName' '')
                ObjectClass                        = 'domainDNS'
                ObjectGUID                         = [guid][string](Get-SimValue $domain 'ObjectGUID' '5c3b9b7e-6b6a-4c3f-9d4a-3f2a1b0c9d8e')
                ParentDomain                       = $null
                PDCEmulator                        = $pdc
                ReplicaDirectoryServers            = [string[]]@(Get-SimValue $domain 'domainControllers' @($pdc))
                RIDMaster                          = $pdc
                UsersContainer                     = 'CN=Users,' + $dn
            }
        }
    } catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
    $PSCmdlet.WriteObject($result)
}

#endregion

$exported = @('Get-ADUser', 'New-ADUser', 'Set-ADUser', 'Remove-ADUser', 'Move-ADObject', 'Sync-ADObject', 'Get-ADForest', 'Get-ADDomain')
# With a simulator server (UPN_MATCH_SIM_SERVER), each cmdlet forwards its calls there: see UpnMatch.Sim.Remote.ps1.
foreach ($proxy in @(Get-SimRemoteProxies -Module $script:ModuleName -Functions @($exported | ForEach-Object { Get-Item -Path ('function:' + $_) }))) {
    Set-Item -Path ('function:script:' + $proxy.Name) -Value $proxy.Body
}
Export-ModuleMember -Function $exported
