<#
.SYNOPSIS
    The routes of the fake Microsoft Graph (dot-sourced by Microsoft.Graph.Authentication.psm1): a table of
    method + path pattern -> one small function, and the router that serves a request (or each request of a
    $batch) through it.
.DESCRIPTION
    A pattern is the path's segments after the version: a literal (compared ignoring case), {name} for any one
    segment, or a last ** for any number of further segments (Graph ignores them there too). Method * takes
    any method. The first route that matches serves the request; none gives Graph's "Resource not found for
    the segment" error. Each handler gets one hashtable: Context, Request, Connection, State, Segments, Method,
    AppOnly and Route (Args: what the table passes).
#>

$script:GraphRoutes = @(
    @{ Method = '*'; Pattern = 'me'; Handler = 'Invoke-GraphGetMe' }
    @{ Method = 'GET'; Pattern = 'users'; Handler = 'Invoke-GraphListUsers' }
    @{ Method = '*'; Pattern = 'users'; Handler = 'Invoke-GraphMethodNotAllowed' }
    @{ Method = '*'; Pattern = 'users/$count'; Handler = 'Invoke-GraphCountUsers' }
    @{ Method = 'GET'; Pattern = 'users/{id}'; Handler = 'Invoke-GraphGetUser' }
    @{ Method = 'PATCH'; Pattern = 'users/{id}'; Handler = 'Invoke-GraphPatchUser' }
    @{ Method = 'DELETE'; Pattern = 'users/{id}'; Handler = 'Invoke-GraphDeleteUser' }
    @{ Method = '*'; Pattern = 'users/{id}'; Handler = 'Invoke-GraphMethodNotAllowed' }
    @{ Method = '*'; Pattern = 'users/{id}/memberOf'; Handler = 'Invoke-GraphListMemberOf' }
    @{ Method = '*'; Pattern = 'users/{id}/transitiveMemberOf'; Handler = 'Invoke-GraphListMemberOf' }
    @{ Method = '*'; Pattern = 'organization'; Handler = 'Invoke-GraphGetOrganization' }
    @{ Method = '*'; Pattern = 'domains'; Handler = 'Invoke-GraphListDomains' }
    @{ Method = '*'; Pattern = 'domains/{id}/**'; Handler = 'Invoke-GraphGetDomain' }
    @{ Method = '*'; Pattern = 'directoryRoles'; Handler = 'Invoke-GraphListRoles' }
    @{ Method = '*'; Pattern = 'directoryRoles/{id}/members'; Handler = 'Invoke-GraphListRoleMembers' }
    @{ Method = '*'; Pattern = 'directoryRoles/{id}/**'; Handler = 'Invoke-GraphGetRole' }
    @{ Method = '*'; Pattern = 'groups'; Handler = 'Invoke-GraphListObjects'; Args = @{ EntitySet = 'groups'; Type = 'group'; ResourceName = 'Group'; Permission = 'Groups' } }
    @{ Method = 'GET'; Pattern = 'groups/{id}/members'; Handler = 'Invoke-GraphListGroupMembers' }
    @{ Method = 'GET'; Pattern = 'groups/{id}/transitiveMembers'; Handler = 'Invoke-GraphListGroupMembers' }
    @{ Method = 'GET'; Pattern = 'groups/{id}/transitiveMembers/microsoft.graph.user'; Handler = 'Invoke-GraphListGroupUsers' }
    @{ Method = '*'; Pattern = 'groups/{id}/**'; Handler = 'Invoke-GraphGetObject'; Args = @{ EntitySet = 'groups'; Permission = 'Groups' } }
    @{ Method = '*'; Pattern = 'contacts'; Handler = 'Invoke-GraphListObjects'; Args = @{ EntitySet = 'contacts'; Type = 'orgContact'; ResourceName = 'OrgContact'; Permission = 'Contacts' } }
    @{ Method = '*'; Pattern = 'contacts/{id}/**'; Handler = 'Invoke-GraphGetObject'; Args = @{ EntitySet = 'contacts'; Permission = 'Contacts' } }
    @{ Method = '*'; Pattern = 'directory/deletedItems/microsoft.graph.user'; Handler = 'Invoke-GraphListDeletedUsers' }
    @{ Method = 'GET'; Pattern = 'directory/deletedItems/{id}'; Handler = 'Invoke-GraphGetDeletedUser' }
    @{ Method = 'DELETE'; Pattern = 'directory/deletedItems/{id}'; Handler = 'Invoke-GraphDeleteDeletedUser' }
    @{ Method = 'POST'; Pattern = 'directory/deletedItems/{id}/restore'; Handler = 'Invoke-GraphRestoreDeletedUser' }
    @{ Method = 'GET'; Pattern = 'roleManagement/directory/roleDefinitions'; Handler = 'Invoke-GraphListRoleDefinitions' }
    @{ Method = 'GET'; Pattern = 'roleManagement/directory/roleAssignments'; Handler = 'Invoke-GraphListUnifiedRoles'; Args = @{ Kind = 'active'; EntitySet = 'roleManagement/directory/roleAssignments'; Type = 'unifiedRoleAssignment' } }
    @{ Method = 'GET'; Pattern = 'roleManagement/directory/roleEligibilityScheduleInstances'; Handler = 'Invoke-GraphListUnifiedRoles'; Args = @{ Kind = 'eligible'; EntitySet = 'roleManagement/directory/roleEligibilityScheduleInstances'; Type = 'unifiedRoleEligibilityScheduleInstance' } }
    @{ Method = 'GET'; Pattern = 'roleManagement/directory/roleEligibilitySchedules'; Handler = 'Invoke-GraphListUnifiedRoles'; Args = @{ Kind = 'eligible'; EntitySet = 'roleManagement/directory/roleEligibilitySchedules'; Type = 'unifiedRoleEligibilitySchedule' } }
    @{ Method = '*'; Pattern = 'directory/onPremisesSynchronization'; Handler = 'Invoke-GraphListOnPremSync' }
    @{ Method = '*'; Pattern = 'directory/onPremisesSynchronization/{id}/**'; Handler = 'Invoke-GraphOnPremSyncItem' }
)
foreach ($graphRoute in $script:GraphRoutes) { $graphRoute['Segments'] = [string[]]$graphRoute.Pattern.Split('/') }

function ConvertFrom-GraphUrl {
    <# Splits a Graph URL (absolute, /v1.0/..., or batch-relative) into Version, Path, RawQuery and Query. #>
    param([string] $Url, [string] $DefaultVersion)
    $text = $Url
    if ($text -match '^(?i)https?://[^/]+(/.*)?$') { $text = $Matches[1]; if (-not $text) { $text = '/' } }
    $rawQuery = ''
    $q = $text.IndexOf('?')
    if ($q -ge 0) { $rawQuery = $text.Substring($q + 1); $text = $text.Substring(0, $q) }
    if (-not $text.StartsWith('/')) { $text = '/' + $text }
    $version = $DefaultVersion
    $path = $text
    if ($text -match '^/(v1\.0|beta)(/.*)?$') { $version = $Matches[1]; $path = $Matches[2]; if (-not $path) { $path = '/' } }
    elseif (-not $DefaultVersion) { $version = $null }
    $query = [ordered]@{}
    foreach ($pair in $rawQuery.Split('&')) {
        if (-not $pair) { continue }
        $eq = $pair.IndexOf('=')
        $key = $pair; $value = ''
        if ($eq -ge 0) { $key = $pair.Substring(0, $eq); $value = $pair.Substring($eq + 1) }
        $key = [Uri]::UnescapeDataString($key.Replace('+', ' '))
        $value = [Uri]::UnescapeDataString($value.Replace('+', ' '))
        $query[$key] = $value
    }
    return @{ Version = $version; Path = $path; RawQuery = $rawQuery; Query = $query }
}

function Test-GraphRoutePattern {
    <# Whether a route's pattern segments match a request's path segments. #>
    param([string[]] $Pattern, [string[]] $Segments)
    for ($i = 0; $i -lt $Pattern.Count; $i++) {
        if ($Pattern[$i] -eq '**' -and $i -eq $Pattern.Count - 1) { return $true }
        if ($i -ge $Segments.Count) { return $false }
        if ($Pattern[$i].StartsWith('{')) { continue }
        if ($Pattern[$i] -ine $Segments[$i]) { return $false }
    }
    return ($Segments.Count -eq $Pattern.Count)
}

function Invoke-GraphRoute {
    <# Serves one request against the state through the route table. Returns @{ Status; Headers; Body }. #>
    param([Parameter(Mandatory = $true)] $Context, [Parameter(Mandatory = $true)] $Request, [Parameter(Mandatory = $true)] $Connection)
    if (-not $Request.Version) {
        $first = $Request.Path.Trim('/').Split('/')[0]
        return (New-GraphError 400 'BadRequest' ("Invalid version: {0}" -f $first))
    }
    $method = $Request.Method.ToUpperInvariant()
    $segments = [string[]]@($Request.Path.TrimEnd('/').Trim('/').Split('/') | ForEach-Object { [Uri]::UnescapeDataString($_) })
    foreach ($route in $script:GraphRoutes) {
        if ($route.Method -ne '*' -and $route.Method -ne $method) { continue }
        if (-not (Test-GraphRoutePattern $route.Segments $segments)) { continue }
        # App-only: a certificate or secret (AuthType AppOnly) or a managed identity (the SDK's AuthType ManagedIdentity): no user.
        $call = @{
            Context = $Context; Request = $Request; Connection = $Connection; State = $Context.State
            Segments = $segments; Method = $method; AppOnly = (@('AppOnly', 'ManagedIdentity') -contains [string]$Connection.AuthType); Route = $route
        }
        return (& $route.Handler $call)
    }
    return (New-GraphError 400 'BadRequest' ("Resource not found for the segment '{0}'." -f $segments[0]))
}

function Invoke-GraphBatch {
    <#
    .SYNOPSIS
        POST /$batch: up to 20 requests (JSON batching), each served through the route table; each sub-request
        counts toward throttling and gets its own status; the batch itself answers 200.
    #>
    param($Context, $Request, $Connection)
    $body = $Request.Body
    $requests = @(Get-SimValue $body 'requests' @())
    if ($null -eq $body -or $requests.Count -eq 0) { return (New-GraphError 400 'BadRequest' 'Invalid batch payload format.') }
    if ($requests.Count -gt 20) { return (New-GraphError 400 'BadRequest' 'Too many requests in batch. The maximum number of requests in a batch is 20.') }
    $responses = [System.Collections.Generic.List[object]]::new()
    $retryAfter = [int](Get-SimValue $Context.Faults 'retryAfterSeconds' 1)
    foreach ($sub in $requests) {
        $id = [string](Get-SimValue $sub 'id' '')
        $subMethod = ([string](Get-SimValue $sub 'method' 'GET')).ToUpperInvariant()
        $parsed = ConvertFrom-GraphUrl ([string](Get-SimValue $sub 'url' '')) $Request.Version
        $headers = Get-SimValue $sub 'headers'
        if ($null -eq $headers) { $headers = @{} }
        $subRequest = @{ Method = $subMethod; Version = $parsed.Version; Path = $parsed.Path; RawQuery = $parsed.RawQuery; Query = $parsed.Query; Headers = $headers; Body = (Get-SimValue $sub 'body') }
        if (Step-SimGraphRequest -Context $Context) {
            $result = New-GraphError 429 'TooManyRequests' 'Please retry again later.' ([ordered]@{ 'Retry-After' = [string]$retryAfter })
        } else {
            $result = Invoke-GraphRoute -Context $Context -Request $subRequest -Connection $Connection
        }
        $entry = [ordered]@{ id = $id; status = [int]$result.Status; headers = [ordered]@{} }
        foreach ($key in @($result.Headers.Keys)) { if ($key -eq 'Content-Type' -or $key -eq 'Retry-After') { $entry.headers[$key] = $result.Headers[$key] } }
        if ($null -ne $result.Body) { $entry['body'] = $result.Body }
        $responses.Add($entry)
    }
    return (New-GraphResponse -Body ([ordered]@{ responses = $responses.ToArray() }))
}

function Invoke-GraphMethodNotAllowed {
    param($Call)
    return (New-GraphError 405 'Request_BadRequest' ("The requested resource does not support http method '{0}'." -f $Call.Method))
}

#region users

function Invoke-GraphGetMe {
    <# /me: delegated only. #>
    param($Call)
    $Connection = $Call.Connection
    if ($Call.AppOnly) { return (New-GraphError 400 'BadRequest' '/me request is only valid with delegated authentication flow.') }
    $me = $null
    if ($Connection.AccountId) { $me = Find-GraphById $Call.State 'users' $Connection.AccountId }
    if ($null -eq $me) { return (New-GraphNotFound 'me') }
    $select = Get-GraphSelect $Call.Request.Query
    $body = ConvertTo-GraphEntity $me 'user' $select
    $body.Insert(0, '@odata.context', (Get-GraphContextUrl $Call.Request.Version 'users' $select -Entity))
    return (New-GraphResponse -Body $body)
}

function Invoke-GraphListUsers {
    param($Call)
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.UsersRead)) { return (New-GraphDenied) }
    return (Invoke-GraphList -Request $Call.Request -Items (Get-GraphCollection $Call.State 'users') -Type 'user' -EntitySet 'users' -ResourceName 'User')
}

function Invoke-GraphCountUsers {
    param($Call)
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.UsersRead)) { return (New-GraphDenied) }
    if (-not (Test-GraphAdvanced $Call.Request)) { return (New-GraphError 400 'Request_BadRequest' '$count is not currently supported.') }
    return (New-GraphResponse -Body (@(Get-GraphCollection $Call.State 'users').Count))
}

function Invoke-GraphGetUser {
    param($Call)
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.UsersRead)) { return (New-GraphDenied) }
    $user = Find-GraphUser $Call.State $Call.Segments[1]
    if ($null -eq $user) { return (New-GraphNotFound $Call.Segments[1]) }
    $select = Get-GraphSelect $Call.Request.Query
    $allowed = Get-GraphAllowedProperties 'user' @($user)
    foreach ($name in @($select)) { if ($null -ne $name -and -not $allowed.Contains($name)) { return (New-GraphError 400 'Request_BadRequest' ("Could not find a property named '{0}' on type 'microsoft.graph.user'." -f $name)) } }
    $body = ConvertTo-GraphEntity $user 'user' $select
    $body.Insert(0, '@odata.context', (Get-GraphContextUrl $Call.Request.Version 'users' $select -Entity))
    return (New-GraphResponse -Body $body)
}

function Invoke-GraphPatchUser {
    param($Call)
    $state = $Call.State
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.UsersWrite)) { return (New-GraphDenied) }
    $user = Find-GraphUser $state $Call.Segments[1]
    if ($null -eq $user) { return (New-GraphNotFound $Call.Segments[1]) }
    $patch = $Call.Request.Body
    if ($null -eq $patch -or $patch -isnot [System.Collections.IDictionary]) { return (New-GraphError 400 'Request_BadRequest' 'Empty Payload. JSON content expected.') }
    if ([bool](Get-SimValue $user 'onPremisesSyncEnabled' $false)) {
        foreach ($key in @($patch.Keys)) {
            if ($script:ReadOnlySyncedUserProperties -contains [string]$key) {
                return (New-GraphError 400 'Request_BadRequest' 'Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.')
            }
        }
    }
    foreach ($key in @($patch.Keys)) {
        if (-not ($script:UserProperties -contains [string]$key)) {
            return (New-GraphError 400 'Request_BadRequest' ("Property '{0}' does not exist as a declared property or extension property." -f $key))
        }
        if ([string]$key -eq 'id') { return (New-GraphError 400 'Request_BadRequest' "Property 'id' is read-only and cannot be set.") }
    }
    if ($patch.Contains('userPrincipalName')) {
        $upn = [string]$patch['userPrincipalName']
        foreach ($other in (Get-GraphCollection $state 'users')) {
            if (-not ([string]$other.id).Equals([string]$user.id, [StringComparison]::OrdinalIgnoreCase) -and ([string](Get-SimValue $other 'userPrincipalName' '')).Equals($upn, [StringComparison]::OrdinalIgnoreCase)) {
                return (New-GraphError 400 'Request_BadRequest' 'Another object with the same value for property userPrincipalName already exists.')
            }
        }
        $suffix = ''
        if ($upn.IndexOf('@') -gt 0) { $suffix = $upn.Substring($upn.IndexOf('@') + 1) }
        $verified = $false
        foreach ($domain in (Get-GraphCollection $state 'domains')) { if (([string]$domain.id) -ieq $suffix -and [bool](Get-SimValue $domain 'isVerified' $true)) { $verified = $true } }
        if (-not $verified) { return (New-GraphError 400 'Request_BadRequest' ("The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.")) }
    }
    if ($patch.Contains('onPremisesImmutableId')) {
        $immutable = [string]$patch['onPremisesImmutableId']
        foreach ($other in (Get-GraphCollection $state 'users')) {
            if ($immutable -and -not ([string]$other.id).Equals([string]$user.id, [StringComparison]::OrdinalIgnoreCase) -and [string](Get-SimValue $other 'onPremisesImmutableId' '') -ceq $immutable) {
                return (New-GraphError 400 'Request_BadRequest' 'Another object with the same value for property immutableId already exists.')
            }
        }
    }
    foreach ($key in @($patch.Keys)) { $user[[string]$key] = $patch[$key] }
    $Call.Context.Dirty = $true
    return (New-GraphResponse -Status 204)
}

function Invoke-GraphDeleteUser {
    param($Call)
    $state = $Call.State
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.UsersDelete)) { return (New-GraphDenied) }
    $user = Find-GraphUser $state $Call.Segments[1]
    if ($null -eq $user) { return (New-GraphNotFound $Call.Segments[1]) }
    if ([bool](Get-SimValue $user 'onPremisesSyncEnabled' $false)) {
        return (New-GraphError 400 'Request_BadRequest' 'Unable to delete the specified on-premises mastered Directory Sync object.')
    }
    $state.tenant['users'] = @((Get-GraphCollection $state 'users') | Where-Object { -not ([string]$_.id).Equals([string]$user.id, [StringComparison]::OrdinalIgnoreCase) })
    $user['deletedDateTime'] = Format-SimTime $Call.Context.Now
    $state.tenant['deletedUsers'] = @(Get-GraphCollection $state 'deletedUsers') + @($user)
    $Call.Context.Dirty = $true
    return (New-GraphResponse -Status 204)
}

function Invoke-GraphListMemberOf {
    <# /users/{id}/memberOf and /users/{id}/transitiveMemberOf. #>
    param($Call)
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.MemberOf)) { return (New-GraphDenied) }
    $user = Find-GraphUser $Call.State $Call.Segments[1]
    if ($null -eq $user) { return (New-GraphNotFound $Call.Segments[1]) }
    $items = @(Get-GraphMemberOf $Call.State $user)
    return (Invoke-GraphList -Request $Call.Request -Items $items -Type 'directoryObject' -EntitySet 'directoryObjects' -ResourceName 'DirectoryObject')
}

#endregion

#region organization, domains, roles, groups, contacts

function Invoke-GraphGetOrganization {
    param($Call)
    $state = $Call.State
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.Organization)) { return (New-GraphDenied) }
    $tenant = $state.tenant
    $verified = @((Get-GraphCollection $state 'domains') | ForEach-Object { [ordered]@{ capabilities = 'Email, OfficeCommunicationsOnline'; isDefault = [bool](Get-SimValue $_ 'isDefault' $false); isInitial = [bool](Get-SimValue $_ 'isInitial' $false); name = [string]$_.id; type = 'Managed' } })
    $org = [ordered]@{
        id = [string](Get-SimValue $tenant 'tenantId' ''); displayName = Get-SimValue $tenant 'displayName'
        onPremisesSyncEnabled = Get-SimValue $tenant 'onPremisesSyncEnabled'; onPremisesLastSyncDateTime = Get-SimValue $tenant 'onPremisesLastSyncDateTime'
        verifiedDomains = $verified; tenantType = 'AAD'; countryLetterCode = [string](Get-SimValue $tenant 'countryLetterCode' 'US')
    }
    return (New-GraphResponse -Body ([ordered]@{ '@odata.context' = (Get-GraphContextUrl $Call.Request.Version 'organization' $null); value = @($org) }))
}

function Get-GraphDomainEntries {
    <# The tenant's domains as Graph shows them. #>
    param($State)
    return @((Get-GraphCollection $State 'domains') | ForEach-Object {
            $entry = [ordered]@{ authenticationType = [string](Get-SimValue $_ 'authenticationType' 'Managed'); id = [string]$_.id; isDefault = [bool](Get-SimValue $_ 'isDefault' $false); isInitial = [bool](Get-SimValue $_ 'isInitial' $false); isRoot = $true; isVerified = [bool](Get-SimValue $_ 'isVerified' $true); supportedServices = @('Email', 'OfficeCommunicationsOnline') }
            $entry })
}

function Invoke-GraphListDomains {
    param($Call)
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.Domains)) { return (New-GraphDenied) }
    $domains = @(Get-GraphDomainEntries $Call.State)
    return (Invoke-GraphList -Request $Call.Request -Items $domains -Type 'domain' -EntitySet 'domains' -ResourceName 'Domain')
}

function Invoke-GraphGetDomain {
    param($Call)
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.Domains)) { return (New-GraphDenied) }
    foreach ($domain in @(Get-GraphDomainEntries $Call.State)) {
        if (([string]$domain.id) -ieq $Call.Segments[1]) {
            $body = [ordered]@{ '@odata.context' = (Get-GraphContextUrl $Call.Request.Version 'domains' $null -Entity) }
            foreach ($key in @($domain.Keys)) { $body[$key] = $domain[$key] }
            return (New-GraphResponse -Body $body)
        }
    }
    return (New-GraphNotFound $Call.Segments[1])
}

function Get-GraphRoleEntries {
    <# The directory roles as Graph shows them (members when $expand=members), each with its members in _members. #>
    param($Call)
    $state = $Call.State
    $expand = [string](Get-GraphQueryValue $Call.Request.Query 'expand')
    $roles = [System.Collections.Generic.List[object]]::new()
    foreach ($role in (Get-GraphCollection $state 'directoryRoles')) {
        $entry = [ordered]@{ id = [string]$role.id; deletedDateTime = $null; description = Get-SimValue $role 'description'; displayName = Get-SimValue $role 'displayName'; roleTemplateId = Get-SimValue $role 'roleTemplateId' }
        $memberObjects = @(@(Get-SimValue $role 'members' @()) | ForEach-Object {
                $member = Find-GraphById $state 'users' ([string]$_)
                if ($null -ne $member) { [ordered]@{ '@odata.type' = '#microsoft.graph.user'; id = [string]$member.id; displayName = Get-SimValue $member 'displayName'; userPrincipalName = Get-SimValue $member 'userPrincipalName' } }
            })
        if ($expand -match '(?i)^members') { $entry['members'] = $memberObjects }
        $entry['_members'] = $memberObjects
        $roles.Add($entry)
    }
    return , $roles
}

function Find-GraphRole {
    <# A directory role by id or role template id (the last one that matches), or $null. #>
    param($Call)
    $found = $null
    foreach ($role in (Get-GraphRoleEntries $Call)) { if (([string]$role.id) -ieq $Call.Segments[1] -or ([string]$role.roleTemplateId) -ieq $Call.Segments[1]) { $found = $role } }
    return $found
}

function Invoke-GraphListRoles {
    param($Call)
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.Roles)) { return (New-GraphDenied) }
    $list = @((Get-GraphRoleEntries $Call) | ForEach-Object { $copy = [ordered]@{}; foreach ($key in @($_.Keys)) { if ($key -ne '_members') { $copy[$key] = $_[$key] } }; $copy })
    $body = [ordered]@{ '@odata.context' = (Get-GraphContextUrl $Call.Request.Version 'directoryRoles' $null) }
    $filterText = [string](Get-GraphQueryValue $Call.Request.Query 'filter')
    if ($filterText) {
        try { $parsed = ConvertFrom-ODataFilter $filterText } catch [System.FormatException] { return (New-GraphError 400 'BadRequest' $_.Exception.Message) }
        $list = @($list | Where-Object { Test-ODataNode $parsed.Tree $_ @{} })
    }
    $body['value'] = $list
    return (New-GraphResponse -Body $body)
}

function Invoke-GraphListRoleMembers {
    param($Call)
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.Roles)) { return (New-GraphDenied) }
    $found = Find-GraphRole $Call
    if ($null -eq $found) { return (New-GraphNotFound $Call.Segments[1]) }
    return (New-GraphResponse -Body ([ordered]@{ '@odata.context' = (Get-GraphContextUrl $Call.Request.Version 'directoryObjects' $null); value = @($found['_members']) }))
}

function Invoke-GraphGetRole {
    param($Call)
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.Roles)) { return (New-GraphDenied) }
    $found = Find-GraphRole $Call
    if ($null -eq $found) { return (New-GraphNotFound $Call.Segments[1]) }
    $body = [ordered]@{ '@odata.context' = (Get-GraphContextUrl $Call.Request.Version 'directoryRoles' $null -Entity) }
    foreach ($key in @($found.Keys)) { if ($key -ne '_members') { $body[$key] = $found[$key] } }
    return (New-GraphResponse -Body $body)
}

function Get-GraphObjectEntries {
    <# Groups or contacts as Graph shows them (without members). #>
    param($State, [string] $EntitySet)
    return @((Get-GraphCollection $State $EntitySet) | ForEach-Object { $copy = [ordered]@{}; foreach ($key in @($_.Keys)) { if ($key -ne 'members') { $copy[$key] = $_[$key] } }; $copy })
}

function Invoke-GraphListObjects {
    <# /groups and /contacts (Route.Args: EntitySet, Type, ResourceName, Permission). #>
    param($Call)
    $kind = $Call.Route.Args
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions[$kind.Permission])) { return (New-GraphDenied) }
    $items = @(Get-GraphObjectEntries $Call.State $kind.EntitySet)
    return (Invoke-GraphList -Request $Call.Request -Items $items -Type $kind.Type -EntitySet $kind.EntitySet -ResourceName $kind.ResourceName)
}

function Invoke-GraphListGroupUsers {
    <#
        GET /groups/{id}/transitiveMembers/microsoft.graph.user: the users among the group's members, nested
        groups flattened (Learn: "List group transitive members"; the OData cast keeps users only; pages of up
        to 999 with $top, as /users).
    #>
    param($Call)
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.Groups)) { return (New-GraphDenied) }
    $groups = @{}
    foreach ($g in @(Get-GraphCollection $Call.State 'groups')) { $groups[([string]$g.id).ToLowerInvariant()] = $g }
    $root = $groups[([string]$Call.Segments[1]).ToLowerInvariant()]
    if ($null -eq $root) { return (New-GraphNotFound $Call.Segments[1]) }
    $memberIds = New-Object 'System.Collections.Generic.HashSet[string]' -ArgumentList ([System.StringComparer]::OrdinalIgnoreCase)
    $seen = New-Object 'System.Collections.Generic.HashSet[string]' -ArgumentList ([System.StringComparer]::OrdinalIgnoreCase)
    $queue = New-Object System.Collections.Generic.Queue[object]
    $queue.Enqueue($root)
    while ($queue.Count -gt 0) {
        $group = $queue.Dequeue()
        if (-not $seen.Add([string]$group.id)) { continue }
        foreach ($id in @(Get-SimValue $group 'members' @())) {
            $nested = $groups[([string]$id).ToLowerInvariant()]
            if ($null -ne $nested) { $queue.Enqueue($nested) } else { $null = $memberIds.Add([string]$id) }
        }
    }
    $users = @(@(Get-GraphCollection $Call.State 'users') | Where-Object { $memberIds.Contains([string]$_.id) })
    return (Invoke-GraphList -Request $Call.Request -Items $users -Type 'user' -EntitySet 'users' -ResourceName 'User')
}

function Invoke-GraphGetObject {
    <# /groups/{id} and /contacts/{id} (Route.Args: EntitySet, Permission). #>
    param($Call)
    $kind = $Call.Route.Args
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions[$kind.Permission])) { return (New-GraphDenied) }
    foreach ($item in @(Get-GraphObjectEntries $Call.State $kind.EntitySet)) {
        if (([string]$item.id) -ieq $Call.Segments[1]) {
            $body = [ordered]@{ '@odata.context' = (Get-GraphContextUrl $Call.Request.Version $kind.EntitySet $null -Entity) }
            foreach ($key in @($item.Keys)) { $body[$key] = $item[$key] }
            return (New-GraphResponse -Body $body)
        }
    }
    return (New-GraphNotFound $Call.Segments[1])
}

#endregion

#region deleted users

function Find-GraphDeletedUser {
    <# A soft-deleted user by id (the last one that matches), or $null. #>
    param($Call)
    $item = $null
    foreach ($candidate in @(Get-GraphCollection $Call.State 'deletedUsers')) { if (([string]$candidate.id) -ieq $Call.Segments[2]) { $item = $candidate } }
    return $item
}

function Remove-GraphDeletedUserEntry {
    <# Takes a user out of tenant.deletedUsers (deleted for good, or restored). #>
    param($State, $Item)
    $State.tenant['deletedUsers'] = @(@(Get-GraphCollection $State 'deletedUsers') | Where-Object { -not ([string]$_.id).Equals([string]$Item.id, [StringComparison]::OrdinalIgnoreCase) })
}

function Invoke-GraphListDeletedUsers {
    param($Call)
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.UsersRead)) { return (New-GraphDenied) }
    $deleted = @(Get-GraphCollection $Call.State 'deletedUsers')
    return (Invoke-GraphList -Request $Call.Request -Items $deleted -Type 'user' -EntitySet 'directory/deletedItems/microsoft.graph.user' -ResourceName 'User')
}

function Invoke-GraphGetDeletedUser {
    param($Call)
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.UsersRead)) { return (New-GraphDenied) }
    $item = Find-GraphDeletedUser $Call
    if ($null -eq $item) { return (New-GraphNotFound $Call.Segments[2]) }
    $body = ConvertTo-GraphEntity $item 'user' (Get-GraphSelect $Call.Request.Query)
    $body.Insert(0, '@odata.type', '#microsoft.graph.user')
    return (New-GraphResponse -Body $body)
}

function Invoke-GraphDeleteDeletedUser {
    param($Call)
    $state = $Call.State
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.UsersDelete)) { return (New-GraphDenied) }
    $item = Find-GraphDeletedUser $Call
    if ($null -eq $item) { return (New-GraphNotFound $Call.Segments[2]) }
    Remove-GraphDeletedUserEntry $state $item
    $Call.Context.Dirty = $true
    return (New-GraphResponse -Status 204)
}

function Invoke-GraphRestoreDeletedUser {
    param($Call)
    $state = $Call.State
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.UsersDelete)) { return (New-GraphDenied) }
    $item = Find-GraphDeletedUser $Call
    if ($null -eq $item) { return (New-GraphNotFound $Call.Segments[2]) }
    if ($null -ne (Find-GraphUser $state ([string](Get-SimValue $item 'userPrincipalName' '')))) {
        return (New-GraphError 400 'Request_BadRequest' 'Another object with the same value for property userPrincipalName already exists.')
    }
    Remove-GraphDeletedUserEntry $state $item
    if ($item.Contains('deletedDateTime')) { $item.Remove('deletedDateTime') }
    $state.tenant['users'] = @(Get-GraphCollection $state 'users') + @($item)
    $Call.Context.Dirty = $true
    $body = ConvertTo-GraphEntity $item 'user' $null
    return (New-GraphResponse -Status 200 -Body $body)
}

#endregion

#region role management (unified RBAC)

# Built-in role definitions the sim knows by template id (Microsoft Entra built-in roles); any other id a world
# uses is served with its directoryRoles displayName, or "Custom role".
$script:BuiltInRoles = [ordered]@{
    '62e90394-69f5-4237-9190-012177145e10' = 'Global Administrator'
    'e8611ab8-c189-46e8-94e1-60213ab1f814' = 'Privileged Role Administrator'
    'fe930be7-5e62-47db-91af-98c3a49a38b1' = 'User Administrator'
    '729827e3-9c14-49f7-bb1b-9608f156bbb8' = 'Helpdesk Administrator'
    '8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2' = 'Hybrid Identity Administrator'
}

function Get-GraphRoleDefinitionEntries {
    param($State)
    $names = [ordered]@{}
    foreach ($key in @($script:BuiltInRoles.Keys)) { $names[$key] = $script:BuiltInRoles[$key] }
    foreach ($role in @(Get-GraphCollection $State 'directoryRoles')) { $names[[string](Get-SimValue $role 'roleTemplateId' '')] = [string](Get-SimValue $role 'displayName' '') }
    foreach ($assignment in (Get-SimRoleAssignments $State)) { if (-not $names.Contains($assignment.RoleDefinitionId)) { $names[$assignment.RoleDefinitionId] = 'Custom role' } }
    return @($names.Keys | ForEach-Object { [ordered]@{ id = [string]$_; displayName = $names[$_]; isBuiltIn = ($script:BuiltInRoles.Contains([string]$_)); isEnabled = $true; templateId = [string]$_ } })
}

function Invoke-GraphListRoleDefinitions {
    <# GET /roleManagement/directory/roleDefinitions ("List roleDefinitions": RoleManagement.Read.Directory). #>
    param($Call)
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.Roles)) { return (New-GraphDenied) }
    return (Invoke-GraphList -Request $Call.Request -Items @(Get-GraphRoleDefinitionEntries $Call.State) -Type 'unifiedRoleDefinition' -EntitySet 'roleManagement/directory/roleDefinitions' -ResourceName 'UnifiedRoleDefinition')
}

function Invoke-GraphListUnifiedRoles {
    <#
    .SYNOPSIS
        GET /roleManagement/directory/roleAssignments (active: the activated roles' members and tenant.roleAssignments)
        and /roleManagement/directory/roleEligibilityScheduleInstances | roleEligibilitySchedules (PIM eligible:
        tenant.roleEligibilities), with $filter, $select, $top and $expand=principal.
    .DESCRIPTION
        Shapes as "List unifiedRoleAssignments" and "List roleEligibilityScheduleInstances" show them: id, principalId,
        roleDefinitionId, directoryScopeId ("/" tenant-wide, "/administrativeUnits/{id}" for an administrative unit),
        appScopeId; eligibilities add memberType, startDateTime and endDateTime. A group principal is the
        role-assignable group itself: its members are not expanded (rule sheet 3.5). $expand=principal adds the
        principal as a directoryObject with its @odata.type (the sim's copy is shortened to @odata.type, id,
        displayName and, for users, userPrincipalName).
    #>
    param($Call)
    $kind = $Call.Route.Args.Kind
    $needed = $script:Permissions.Roles
    if ($kind -eq 'eligible') { $needed = $script:Permissions.RoleEligibility }
    if (-not (Test-GraphPermission $Call.Connection $needed)) { return (New-GraphDenied) }
    $state = $Call.State
    $expand = [string](Get-GraphQueryValue $Call.Request.Query 'expand')
    if ($expand -and $expand -notmatch '^(?i)(principal|roleDefinition)(,(principal|roleDefinition))*$') {
        return (New-GraphError 400 'BadRequest' ("Could not find a property named '{0}' on type 'microsoft.graph.{1}'." -f $expand, $Call.Route.Args.Type))
    }
    $items = [System.Collections.Generic.List[object]]::new()
    $index = 0
    foreach ($assignment in (Get-SimRoleAssignments $state)) {
        if ($assignment.Kind -ne $kind) { continue }
        $index++
        $entry = [ordered]@{
            id = ('{0}-{1}-{2}' -f $assignment.RoleDefinitionId, $assignment.PrincipalId, $index)
            principalId = $assignment.PrincipalId; roleDefinitionId = $assignment.RoleDefinitionId
            directoryScopeId = $assignment.DirectoryScopeId; appScopeId = $null
        }
        if ($kind -eq 'active') { $entry['resourceScope'] = $assignment.DirectoryScopeId }
        else { $entry['memberType'] = 'Direct'; $entry['startDateTime'] = '2026-01-01T00:00:00Z'; $entry['endDateTime'] = $null }
        if ($expand -match '(?i)principal') {
            $principal = $null
            $user = Find-GraphById $state 'users' $assignment.PrincipalId
            $group = Find-GraphById $state 'groups' $assignment.PrincipalId
            if ($null -ne $user) { $principal = [ordered]@{ '@odata.type' = '#microsoft.graph.user'; id = [string]$user.id; displayName = Get-SimValue $user 'displayName'; userPrincipalName = Get-SimValue $user 'userPrincipalName' } }
            elseif ($null -ne $group) { $principal = [ordered]@{ '@odata.type' = '#microsoft.graph.group'; id = [string]$group.id; displayName = Get-SimValue $group 'displayName'; isAssignableToRole = [bool](Get-SimValue $group 'isAssignableToRole' $true) } }
            $entry['principal'] = $principal
        }
        $items.Add($entry)
    }
    return (Invoke-GraphList -Request $Call.Request -Items $items.ToArray() -Type $Call.Route.Args.Type -EntitySet $Call.Route.Args.EntitySet -ResourceName $Call.Route.Args.Type)
}

function Invoke-GraphListGroupMembers {
    <# GET /groups/{id}/members and /transitiveMembers: the member users as directoryObjects (GroupMember.Read.All). #>
    param($Call)
    if (-not (Test-GraphPermission $Call.Connection $script:Permissions.Groups)) { return (New-GraphDenied) }
    $group = Find-GraphById $Call.State 'groups' $Call.Segments[1]
    if ($null -eq $group) { return (New-GraphNotFound $Call.Segments[1]) }
    $members = @(@(Get-SimValue $group 'members' @()) | ForEach-Object {
            $user = Find-GraphById $Call.State 'users' ([string]$_)
            if ($null -ne $user) { [ordered]@{ '@odata.type' = '#microsoft.graph.user'; id = [string]$user.id; displayName = Get-SimValue $user 'displayName'; userPrincipalName = Get-SimValue $user 'userPrincipalName' } }
        })
    return (Invoke-GraphList -Request $Call.Request -Items $members -Type 'directoryObject' -EntitySet 'directoryObjects' -ResourceName 'DirectoryObject')
}

#endregion

#region directory synchronization

function Test-GraphOnPremSyncAllowed {
    <#
    .SYNOPSIS
        /directory/onPremisesSynchronization: delegated, Global Administrator ("Global Administrator is the only
        role supported for this operation"). App-only: Microsoft's pages disagree (rule sheet 8.3, open question
        10.5: the GET permission include says application "Not supported"; graph-docs PR 22337 added application
        permissions; a Maester contributor reports an app-only GET works). tenant.appOnlyFeatureRead picks a side:
        false (default, the documented one) refuses every app-only call; true serves an app-only GET to an app
        granted OnPremDirectorySynchronization.Read.All (or ReadWrite.All). An app-only PATCH is refused either way.
    #>
    param($Call)
    $needed = $script:Permissions.OnPremRead
    if ($Call.Method -ne 'GET') { $needed = $script:Permissions.OnPremWrite }
    if ($Call.AppOnly) {
        $served = ($Call.Method -eq 'GET') -and [bool](Get-SimValue $Call.State.tenant 'appOnlyFeatureRead' $false)
        return ($served -and (Test-GraphPermission $Call.Connection $needed))
    }
    return ((Test-GraphPermission $Call.Connection $needed) -and (Test-GraphGlobalAdmin $Call.State $Call.Connection))
}

function Invoke-GraphListOnPremSync {
    param($Call)
    if (-not (Test-GraphOnPremSyncAllowed $Call)) { return (New-GraphDenied) }
    $sync = Get-GraphOnPremSync $Call.State
    if ($Call.Method -ne 'GET') { return (Invoke-GraphMethodNotAllowed $Call) }
    return (New-GraphResponse -Body ([ordered]@{ '@odata.context' = (Get-GraphContextUrl $Call.Request.Version 'directory/onPremisesSynchronization' $null); value = @($sync) }))
}

function Invoke-GraphOnPremSyncItem {
    <# GET or PATCH /directory/onPremisesSynchronization/{id}: the features (some cannot be turned off) and configuration. #>
    param($Call)
    $state = $Call.State
    if (-not (Test-GraphOnPremSyncAllowed $Call)) { return (New-GraphDenied) }
    $sync = Get-GraphOnPremSync $state
    if ($Call.Segments[2] -ine [string]$sync.id) { return (New-GraphNotFound $Call.Segments[2]) }
    if ($Call.Method -eq 'GET') {
        $body = [ordered]@{ '@odata.context' = (Get-GraphContextUrl $Call.Request.Version 'directory/onPremisesSynchronization' $null -Entity) }
        foreach ($key in @($sync.Keys)) { $body[$key] = $sync[$key] }
        return (New-GraphResponse -Body $body)
    }
    if ($Call.Method -ne 'PATCH') { return (Invoke-GraphMethodNotAllowed $Call) }
    $patch = $Call.Request.Body
    if ($null -eq $patch -or $patch -isnot [System.Collections.IDictionary]) { return (New-GraphError 400 'Request_BadRequest' 'Empty Payload. JSON content expected.') }
    $features = Get-SimValue $patch 'features'
    if ($null -ne $features) {
        if ($null -eq (Get-SimValue $state.tenant 'features')) { $state.tenant['features'] = [ordered]@{} }
        foreach ($key in @($features.Keys)) {
            $name = $null
            foreach ($known in $script:FeatureNames) { if ($known -ieq [string]$key) { $name = $known } }
            if ($null -eq $name) { return (New-GraphError 400 'Request_BadRequest' ("Property '{0}' does not exist as a declared property or extension property." -f $key)) }
            $value = [bool]$features[$key]
            if (-not $value -and ($script:OneWayFeatures -contains $name) -and [bool]$sync.features[$name]) {
                return (New-GraphError 400 'Request_BadRequest' ("The feature '{0}' cannot be disabled once it has been enabled." -f $name))
            }
        }
        foreach ($key in @($features.Keys)) {
            $name = $null
            foreach ($known in $script:FeatureNames) { if ($known -ieq [string]$key) { $name = $known } }
            $state.tenant.features[$name] = [bool]$features[$key]
        }
    }
    $configuration = Get-SimValue $patch 'configuration'
    if ($null -ne $configuration) { $state.tenant['onPremisesSynchronizationConfiguration'] = $configuration }
    $Call.Context.Dirty = $true
    return (New-GraphResponse -Status 204)
}

#endregion
