<#
.SYNOPSIS
    Fake Microsoft.Graph.Authentication module of the upn-match simulator: Connect-MgGraph, Get-MgContext,
    Disconnect-MgGraph and Invoke-MgGraphRequest serving Microsoft Graph v1.0 routes from the simulated tenant
    in $env:UPN_MATCH_SIM_DIR/state.json (tenant.*).
.DESCRIPTION
    HTTP errors are raised like the real cmdlet (msgraph-sdk-powershell, InvokeMgGraphRequest.cs): a terminating
    error whose exception is Microsoft.Graph.PowerShell.Authentication.Helpers.HttpResponseException with the
    message "Response status code does not indicate success: <StatusCode> (<Reason>)." and a Response
    (HttpResponseMessage, with Retry-After on 429), and whose ErrorDetails.Message holds the request line, the
    status line, headers and the JSON body { "error": { "code", "message", "innerError" } }.
    Routes: the table in Graph.Routes.ps1 (and docs/simulator.md).
#>
Set-StrictMode -Version Latest

# UpnMatch.Sim (state, lock, call log, latency, faults, sync engine) is a nested module: see the manifest.
. (Join-Path $PSScriptRoot 'Graph.OData.ps1')
# The routes: a table of method + path pattern -> handler, and the router ($batch included).
. (Join-Path $PSScriptRoot 'Graph.Routes.ps1')

if ($PSVersionTable.PSEdition -ne 'Core') { Add-Type -AssemblyName System.Net.Http }

$script:ModuleName = 'Microsoft.Graph.Authentication'
$script:Connection = $null
$script:GraphBase = 'https://graph.microsoft.com'
# Get-MgEnvironment's built-in environments and their Graph endpoints.
$script:GraphEndpoints = @{ Global = 'https://graph.microsoft.com'; USGov = 'https://graph.microsoft.us'; USGovDoD = 'https://dod-graph.microsoft.us'; China = 'https://microsoftgraph.chinacloudapi.cn' }
$script:DelegatedClientId = '14d82eec-204b-4c2f-b7e8-296a70dab67e'
$script:GlobalAdminTemplateId = '62e90394-69f5-4237-9190-012177145e10'

$script:UserProperties = @('id', 'accountEnabled', 'ageGroup', 'assignedLicenses', 'assignedPlans', 'businessPhones', 'city', 'companyName',
    'consentProvidedForMinor', 'country', 'createdDateTime', 'creationType', 'deletedDateTime', 'department', 'displayName', 'employeeHireDate',
    'employeeId', 'employeeType', 'externalUserState', 'faxNumber', 'givenName', 'identities', 'imAddresses', 'isResourceAccount', 'jobTitle',
    'lastPasswordChangeDateTime', 'legalAgeGroupClassification', 'licenseAssignmentStates', 'mail', 'mailNickname', 'mobilePhone', 'officeLocation',
    'onPremisesDistinguishedName', 'onPremisesDomainName', 'onPremisesExtensionAttributes', 'onPremisesImmutableId', 'onPremisesLastSyncDateTime',
    'onPremisesProvisioningErrors', 'onPremisesSamAccountName', 'onPremisesSecurityIdentifier', 'onPremisesSyncEnabled', 'onPremisesUserPrincipalName',
    'otherMails', 'passwordPolicies', 'passwordProfile', 'postalCode', 'preferredDataLocation', 'preferredLanguage', 'provisionedPlans', 'proxyAddresses',
    'securityIdentifier', 'showInAddressList', 'signInSessionsValidFromDateTime', 'state', 'streetAddress', 'surname', 'usageLocation',
    'userPrincipalName', 'userType')
$script:UserDefaultProperties = @('businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName', 'id')
$script:FeatureNames = @('blockCloudObjectTakeoverThroughHardMatchEnabled', 'blockSoftMatchEnabled', 'bypassDirSyncOverridesEnabled',
    'cloudPasswordPolicyForPasswordSyncedUsersEnabled', 'concurrentCredentialUpdateEnabled', 'concurrentOrgIdProvisioningEnabled',
    'deviceWritebackEnabled', 'directoryExtensionsEnabled', 'fopeConflictResolutionEnabled', 'groupWriteBackEnabled', 'passwordSyncEnabled',
    'passwordWritebackEnabled', 'quarantineUponProxyAddressesConflictEnabled', 'quarantineUponUpnConflictEnabled', 'softMatchOnUpnEnabled',
    'synchronizeUpnForManagedUsersEnabled', 'unifiedGroupWritebackEnabled', 'userForcePasswordChangeOnLogonEnabled', 'userWritebackEnabled')
# "Once this feature is enabled, it can't be disabled." (Set-MsolDirSyncFeature; Entra Connect Sync service features)
$script:OneWayFeatures = @('softMatchOnUpnEnabled', 'synchronizeUpnForManagedUsersEnabled')
$script:ReadOnlySyncedUserProperties = @('userPrincipalName', 'displayName', 'givenName', 'surname', 'mail', 'proxyAddresses', 'onPremisesImmutableId',
    'accountEnabled', 'jobTitle', 'department', 'mobilePhone', 'officeLocation', 'mailNickname')

$script:Permissions = @{
    UsersRead      = @('User.Read.All', 'User.ReadWrite.All', 'User.ReadBasic.All', 'Directory.Read.All', 'Directory.ReadWrite.All')
    UsersWrite     = @('User.ReadWrite.All', 'Directory.ReadWrite.All')
    UsersDelete    = @('User.ReadWrite.All', 'User.DeleteRestore.All', 'Directory.ReadWrite.All')
    MemberOf       = @('User.Read.All', 'User.ReadWrite.All', 'GroupMember.Read.All', 'Group.Read.All', 'Directory.Read.All', 'Directory.ReadWrite.All')
    Organization   = @('Organization.Read.All', 'Organization.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All', 'User.Read')
    Domains        = @('Domain.Read.All', 'Domain.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All')
    Roles          = @('RoleManagement.Read.Directory', 'RoleManagement.ReadWrite.Directory', 'Directory.Read.All', 'Directory.ReadWrite.All')
    # "List roleEligibilityScheduleInstances": Directory.Read.All is not among them.
    RoleEligibility = @('RoleEligibilitySchedule.Read.Directory', 'RoleEligibilitySchedule.ReadWrite.Directory', 'RoleManagement.Read.All', 'RoleManagement.Read.Directory', 'RoleManagement.ReadWrite.Directory')
    Groups         = @('Group.Read.All', 'Group.ReadWrite.All', 'GroupMember.Read.All', 'Directory.Read.All', 'Directory.ReadWrite.All')
    Contacts       = @('OrgContact.Read.All', 'Directory.Read.All', 'Directory.ReadWrite.All')
    OnPremRead     = @('OnPremDirectorySynchronization.Read.All', 'OnPremDirectorySynchronization.ReadWrite.All')
    OnPremWrite    = @('OnPremDirectorySynchronization.ReadWrite.All')
}

#region responses and HTTP errors

function Get-GraphReason {
    param([int] $Status)
    switch ($Status) {
        200 { return 'OK' } 201 { return 'Created' } 204 { return 'No Content' } 400 { return 'Bad Request' } 401 { return 'Unauthorized' }
        403 { return 'Forbidden' } 404 { return 'Not Found' } 405 { return 'Method Not Allowed' } 409 { return 'Conflict' }
        429 { return 'Too Many Requests' } 500 { return 'Internal Server Error' } 503 { return 'Service Unavailable' } 504 { return 'Gateway Timeout' }
    }
    return 'Error'
}

function New-GraphResponse {
    param([int] $Status = 200, $Body, [System.Collections.IDictionary] $Headers)
    $allHeaders = [ordered]@{ 'request-id' = [guid]::NewGuid().ToString(); 'client-request-id' = [guid]::NewGuid().ToString() }
    if ($null -ne $Body) { $allHeaders['Content-Type'] = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8' }
    if ($null -ne $Headers) { foreach ($key in @($Headers.Keys)) { $allHeaders[$key] = $Headers[$key] } }
    return @{ Status = $Status; Headers = $allHeaders; Body = $Body }
}

function New-GraphError {
    param([int] $Status, [string] $Code, [string] $Message, [System.Collections.IDictionary] $Headers)
    $now = Format-SimTime (Get-SimNow)
    $body = [ordered]@{ error = [ordered]@{ code = $Code; message = $Message; innerError = [ordered]@{ date = $now.Substring(0, 19); 'request-id' = [guid]::NewGuid().ToString(); 'client-request-id' = [guid]::NewGuid().ToString() } } }
    return (New-GraphResponse -Status $Status -Body $body -Headers $Headers)
}

function New-GraphHttpErrorRecord {
    <# The ErrorRecord the real Invoke-MgGraphRequest throws for a non-success status. #>
    param([Parameter(Mandatory = $true)] $Response, [string] $Method, [string] $Url)
    $status = [int]$Response.Status
    $reason = Get-GraphReason $status
    $json = ''
    if ($null -ne $Response.Body) { $json = ConvertTo-SimJson $Response.Body -Compress }
    $httpResponse = $null
    try {
        $httpResponse = New-Object System.Net.Http.HttpResponseMessage ([System.Net.HttpStatusCode]$status)
        $httpResponse.ReasonPhrase = $reason
        $httpResponse.Content = New-Object System.Net.Http.StringContent ($json, [System.Text.Encoding]::UTF8, 'application/json')
        foreach ($key in @($Response.Headers.Keys)) {
            if ($key -eq 'Content-Type') { continue }
            if ($key -eq 'Retry-After') {
                $httpResponse.Headers.RetryAfter = New-Object System.Net.Http.Headers.RetryConditionHeaderValue ([TimeSpan]::FromSeconds([double]$Response.Headers[$key]))
                continue
            }
            $null = $httpResponse.Headers.TryAddWithoutValidation([string]$key, [string]$Response.Headers[$key])
        }
    } catch {
        $httpResponse = $null
    }
    $statusName = ([System.Net.HttpStatusCode]$status).ToString()
    $message = 'Response status code does not indicate success: {0} ({1}).' -f $statusName, $reason
    $exception = New-SimException -TypeName 'Microsoft.Graph.PowerShell.Authentication.Helpers.HttpResponseException' -Message $message -ExtraArguments @(, $httpResponse)
    if ($null -eq $exception.PSObject.Properties['Response']) { $exception | Add-Member -NotePropertyName Response -NotePropertyValue $httpResponse }
    $lines = [System.Collections.Generic.List[string]]::new()
    $lines.Add(('{0} {1}' -f $Method, $Url))
    $lines.Add(('HTTP/1.1 {0} {1}' -f $status, $reason))
    foreach ($key in @($Response.Headers.Keys)) { $lines.Add(('{0}: {1}' -f $key, $Response.Headers[$key])) }
    $lines.Add('')
    $lines.Add($json)
    $record = New-SimErrorRecord -Exception $exception -ErrorId 'InvokeGraphHttpResponseException' -Category InvalidOperation -Target ('{0} {1}' -f $Method, $Url) -Details ($lines -join "`r`n")
    return $record
}

# The SDK's own retry (msgraph-sdk-powershell HttpHelpers.GetGraphHttpClient puts Kiota's RetryHandler into the
# HttpClient that Invoke-MgGraphRequest sends with; RequestContext defaults: MaxRetry 3, RetryDelay 3 s).
# kiota-dotnet RetryHandler: retries 429, 503 and 504 answers; waits Retry-After (seconds) when the answer has
# it, else RetryDelay * 2^retry; at most 180 s a wait; adds a Retry-Attempt request header; after MaxRetry
# retries throws AggregateException('Too many retries performed. More than N retries encountered while
# sending the request.') over one ApiException per answer. A 200 $batch answer is never retried, whatever
# its items say (the handler looks at the HTTP status only).
$script:SdkMaxRetry = 3
$script:SdkRetryDelaySeconds = 3
$script:SdkMaxDelaySeconds = 180

function Test-GraphSdkRetryable {
    param([int] $Status)
    return ($Status -eq 429 -or $Status -eq 503 -or $Status -eq 504)
}

function Get-GraphSdkRetryDelay {
    <# Seconds the SDK waits before retry number RetryCount + 1 (kiota-dotnet RetryHandler.DelayAsync). #>
    param([Parameter(Mandatory = $true)] $Response, [int] $RetryCount)
    $delay = $script:SdkRetryDelaySeconds * [Math]::Pow(2, $RetryCount)
    $parsed = 0
    if ($null -ne $Response.Headers -and $Response.Headers.Contains('Retry-After') -and [int]::TryParse([string]$Response.Headers['Retry-After'], [ref]$parsed)) { $delay = $parsed }
    return [Math]::Min([double]$delay, [double]$script:SdkMaxDelaySeconds)
}

function New-GraphSdkApiException {
    <# What the retry handler keeps of one retryable answer: "HTTP request failed with status code: <name>.<body>". #>
    param([Parameter(Mandatory = $true)] $Response)
    $json = ''
    if ($null -ne $Response.Body) { $json = ConvertTo-SimJson $Response.Body -Compress }
    # The enum's name, as .NET prints it: "TooManyRequests" on PowerShell 7, "429" on Windows PowerShell
    # (.NET Framework's HttpStatusCode has no member for 429).
    $statusName = ([System.Net.HttpStatusCode][int]$Response.Status).ToString()
    $exception = New-Object Microsoft.Kiota.Abstractions.ApiException ('HTTP request failed with status code: {0}.{1}' -f $statusName, $json)
    $exception.ResponseStatusCode = [int]$Response.Status
    foreach ($key in @($Response.Headers.Keys)) {
        if ($key -eq 'Content-Type') { continue }
        $exception.ResponseHeaders[[string]$key] = [string[]]@([string]$Response.Headers[$key])
    }
    return $exception
}

function New-GraphRetriesExhaustedRecord {
    <#
    .SYNOPSIS
        The error Invoke-MgGraphRequest writes when the SDK's retries ran out.
    .DESCRIPTION
        The cmdlet's ProcessRecord catches what the HTTP pipeline threw and WRITES it (WriteError, a
        non-terminating error: InvokeMgGraphRequest.cs), with an empty error id and category NotSpecified; users
        report it as "Invoke-MgGraphRequest : Too many retries performed. More than 3 retries encountered while
        sending the request." (msgraph-sdk-powershell#2534, Microsoft-Extractor-Suite#90). Whether the record
        holds the AggregateException or, after AggregateException.Flatten(), one of its ApiExceptions, the sources
        do not settle: the AggregateException is what the reported messages show, and it holds the ApiExceptions.
    #>
    param([Parameter(Mandatory = $true)] [System.Collections.Generic.List[System.Exception]] $Failures, [int] $RetryCount)
    $message = 'Too many retries performed. More than {0} retries encountered while sending the request.' -f $RetryCount
    $exception = New-Object System.AggregateException ($message, [System.Exception[]]$Failures.ToArray())
    return (New-Object System.Management.Automation.ErrorRecord ($exception, '', [System.Management.Automation.ErrorCategory]::NotSpecified, $null))
}

#endregion

#region connection and permissions

function Get-GraphConnectionOrThrow {
    param($Cmdlet)
    if ($null -eq $script:Connection) {
        $exception = New-Object System.Management.Automation.ValidationMetadataException 'Authentication needed. Please call Connect-MgGraph.'
        throw (New-SimErrorRecord -Exception $exception -ErrorId 'InvokeGraphRequestAuthenticationTokenConflictException' -Category InvalidArgument)
    }
    return $script:Connection
}

function Test-GraphPermission {
    param($Connection, [string[]] $AnyOf)
    foreach ($granted in @($Connection.Scopes)) {
        foreach ($needed in $AnyOf) { if (([string]$granted).Equals($needed, [StringComparison]::OrdinalIgnoreCase)) { return $true } }
    }
    return $false
}

function Get-GraphSignedInUser {
    <# The delegated account (tenant.delegatedAccount UPN, else the first Global Administrator) or $null. #>
    param($State)
    $wanted = [string](Get-SimValue $State.tenant 'delegatedAccount' '')
    if ($wanted) {
        foreach ($user in @(Get-SimValue $State.tenant 'users' @())) { if (([string]$user.userPrincipalName) -ieq $wanted) { return $user } }
        return $null
    }
    foreach ($role in @(Get-SimValue $State.tenant 'directoryRoles' @())) {
        if ([string](Get-SimValue $role 'roleTemplateId' '') -ne $script:GlobalAdminTemplateId) { continue }
        foreach ($member in @(Get-SimValue $role 'members' @())) {
            foreach ($user in @(Get-SimValue $State.tenant 'users' @())) { if (([string]$user.id) -ieq [string]$member) { return $user } }
        }
    }
    return $null
}

function Test-GraphGlobalAdmin {
    param($State, $Connection)
    if ($null -eq $Connection.AccountId) { return $true }
    foreach ($role in @(Get-SimValue $State.tenant 'directoryRoles' @())) {
        if ([string](Get-SimValue $role 'roleTemplateId' '') -ne $script:GlobalAdminTemplateId) { continue }
        if (@(Get-SimValue $role 'members' @()) -contains [string]$Connection.AccountId) { return $true }
    }
    return $false
}

function New-GraphDenied {
    return (New-GraphError 403 'Authorization_RequestDenied' 'Insufficient privileges to complete the operation.')
}

#endregion

#region entities and queries

function Get-GraphCollection {
    param($State, [string] $Name)
    $items = Get-SimValue $State.tenant $Name
    if ($null -eq $items) { return @() }
    return @($items)
}

function Find-GraphUser {
    <# A user by id or userPrincipalName: the index names it, the loop checks it; a miss reads every user. #>
    param($State, [string] $Key)
    $users = @(Get-GraphCollection $State 'users')
    $index = Get-SimIndex -Name 'graph.users' -State $State -Items { param($World) , (Get-SimList $World.tenant 'users') } -Fields @('id', 'userPrincipalName')
    foreach ($lookup in @(('id' + [char]0 + $Key), ('userprincipalname' + [char]0 + $Key))) {
        $hits = $null
        if (-not $index.TryGetValue($lookup, [ref]$hits)) { continue }
        foreach ($position in $hits) {
            $hit = $users[$position]
            if (([string]$hit.id).Equals($Key, [StringComparison]::OrdinalIgnoreCase)) { return $hit }
            if (([string](Get-SimValue $hit 'userPrincipalName' '')).Equals($Key, [StringComparison]::OrdinalIgnoreCase)) { return $hit }
        }
    }
    foreach ($user in $users) {
        if (([string]$user.id).Equals($Key, [StringComparison]::OrdinalIgnoreCase)) { return $user }
        if (([string](Get-SimValue $user 'userPrincipalName' '')).Equals($Key, [StringComparison]::OrdinalIgnoreCase)) { return $user }
    }
    return $null
}

function Find-GraphById {
    param($State, [string] $Collection, [string] $Id)
    foreach ($item in (Get-GraphCollection $State $Collection)) { if (([string]$item.id).Equals($Id, [StringComparison]::OrdinalIgnoreCase)) { return $item } }
    return $null
}

function New-GraphNotFound {
    param([string] $Key)
    return (New-GraphError 404 'Request_ResourceNotFound' ("Resource '{0}' does not exist or one of its queried reference-property objects are not present." -f $Key))
}

function Get-GraphSelect {
    param($Query)
    $raw = [string](Get-GraphQueryValue $Query 'select')
    if (-not $raw) { return $null }
    return @($raw.Split(',') | ForEach-Object { $_.Trim() } | Where-Object { $_ })
}

function Get-GraphQueryValue {
    param($Query, [string] $Name)
    foreach ($key in @($Query.Keys)) {
        $bare = ([string]$key).TrimStart('$')
        if ($bare.Equals($Name, [StringComparison]::OrdinalIgnoreCase)) { return $Query[$key] }
    }
    return $null
}

function Get-GraphAllowedProperties {
    param([string] $Type, $Items)
    $allowed = [System.Collections.Generic.HashSet[string]]::new([StringComparer]::OrdinalIgnoreCase)
    if ($Type -eq 'user') { foreach ($name in $script:UserProperties) { $null = $allowed.Add($name) } }
    else { foreach ($name in @('id', 'displayName', 'mail', 'mailNickname', 'proxyAddresses', 'description', 'createdDateTime', 'deletedDateTime', 'onPremisesSyncEnabled', 'givenName', 'surname', 'companyName', 'mailEnabled', 'securityEnabled', 'groupTypes', 'roleTemplateId', 'members', 'visibility')) { $null = $allowed.Add($name) } }
    foreach ($item in @($Items)) { foreach ($key in @($item.Keys)) { $null = $allowed.Add([string]$key) } }
    return , $allowed
}

function Test-GraphPropertyAllowed {
    <# A property the type knows, or one an item carries (the items are read only for a name the type lacks). #>
    param($Allowed, [object[]] $Items, [string] $Name)
    if ($Allowed.Contains($Name)) { return $true }
    foreach ($item in $Items) {
        if ($item -is [System.Collections.IDictionary] -and $item.Contains($Name)) { $null = $Allowed.Add($Name); return $true }
    }
    return $false
}

function ConvertTo-GraphEntity {
    <# Projects an entity for output: $select, or the type's default property set. #>
    param($Item, [string] $Type, [string[]] $Select)
    $names = $Select
    if ($null -eq $names) {
        if ($Type -eq 'user') { $names = $script:UserDefaultProperties } else { $names = @($Item.Keys) }
    }
    # State dictionaries compare keys case-insensitively, as Graph does property names.
    return [UpnMatchSim.Graph]::ProjectEntity($Item, [string[]]@($names))
}

function Get-GraphContextUrl {
    param([string] $Version, [string] $EntitySet, [string[]] $Select, [switch] $Entity)
    $url = '{0}/{1}/$metadata#{2}' -f $script:GraphBase, $Version, $EntitySet
    if ($null -ne $Select) { $url += '(' + ($Select -join ',') + ')' }
    if ($Entity) { $url += '/$entity' }
    return $url
}

function Test-GraphAdvanced {
    param($Request)
    $level = $null
    foreach ($key in @($Request.Headers.Keys)) { if (([string]$key) -ieq 'ConsistencyLevel') { $level = [string]$Request.Headers[$key] } }
    return ($level -ieq 'eventual')
}

function Invoke-GraphList {
    <#
    .SYNOPSIS
        A collection GET: $filter, $select, $top, $count, $skiptoken paging (default page 100, $top 1..999),
        with advanced queries refused unless ConsistencyLevel: eventual (and $count=true) are given.
    #>
    param($Request, [object[]] $Items, [string] $Type, [string] $EntitySet, [string] $ResourceName)
    $query = $Request.Query
    $advancedHeader = Test-GraphAdvanced $Request
    $count = [string](Get-GraphQueryValue $query 'count')
    $countWanted = ($count -ieq 'true')
    if ($countWanted -and -not $advancedHeader) {
        return (New-GraphError 400 'Request_BadRequest' '$count is not currently supported.')
    }
    foreach ($unsupported in @('search', 'orderby')) {
        if ($null -ne (Get-GraphQueryValue $query $unsupported) -and -not ($advancedHeader -and $countWanted)) {
            return (New-GraphError 400 'Request_UnsupportedQuery' ('${0} is supported only with advanced query parameters (ConsistencyLevel: eventual and $count=true).' -f $unsupported))
        }
    }
    $select = Get-GraphSelect $query
    $allowed = Get-GraphAllowedProperties $Type @()
    foreach ($name in @($select)) {
        if ($null -ne $name -and -not (Test-GraphPropertyAllowed $allowed $Items $name)) {
            return (New-GraphError 400 'Request_BadRequest' ("Could not find a property named '{0}' on type 'microsoft.graph.{1}'." -f $name, $Type))
        }
    }
    $top = 100
    $topText = Get-GraphQueryValue $query 'top'
    if ($null -ne $topText) {
        $parsed = 0
        if (-not [int]::TryParse([string]$topText, [ref]$parsed) -or $parsed -lt 1 -or $parsed -gt 999) {
            return (New-GraphError 400 'Request_BadRequest' ("Invalid page size specified: '{0}'. Must be between 1 and 999 inclusive." -f $topText))
        }
        $top = $parsed
    }
    $filtered = @($Items)
    $filterText = [string](Get-GraphQueryValue $query 'filter')
    if ($filterText) {
        try {
            $parsedFilter = ConvertFrom-ODataFilter $filterText
        } catch [System.FormatException] {
            return (New-GraphError 400 'BadRequest' $_.Exception.Message)
        }
        foreach ($name in @(Get-ODataFilterProperties $parsedFilter.Tree)) {
            if (-not (Test-GraphPropertyAllowed $allowed $Items $name)) {
                return (New-GraphError 400 'Request_BadRequest' ("Could not find a property named '{0}' on type 'microsoft.graph.{1}'." -f $name, $Type))
            }
        }
        if ($parsedFilter.Advanced -and -not ($advancedHeader -and $countWanted)) {
            $property = $parsedFilter.AdvancedProperty
            if (-not $property) { $property = @(Get-ODataFilterProperties $parsedFilter.Tree)[0] }
            return (New-GraphError 400 'Request_UnsupportedQuery' ("Unsupported or invalid query filter clause specified for property '{0}' of resource '{1}'." -f $property, $ResourceName))
        }
        $list = [System.Collections.Generic.List[object]]::new()
        foreach ($item in $filtered) { if (Test-ODataNode $parsedFilter.Tree $item @{}) { $list.Add($item) } }
        $filtered = $list.ToArray()
    }
    $offset = 0
    $skip = [string](Get-GraphQueryValue $query 'skiptoken')
    if ($skip) {
        try {
            $b64 = $skip.Replace('-', '+').Replace('_', '/')
            while ($b64.Length % 4 -ne 0) { $b64 += '=' }
            $decoded = [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($b64))
            if ($decoded -notmatch '^upnsim:(\d+)$') { throw 'bad token' }
            $offset = [int]$Matches[1]
        } catch {
            return (New-GraphError 400 'Request_BadRequest' 'The specified page token value has expired or is invalid.')
        }
    }
    $page = [System.Collections.Generic.List[object]]::new()
    for ($k = $offset; $k -lt $filtered.Count -and $page.Count -lt $top; $k++) {
        $page.Add((ConvertTo-GraphEntity $filtered[$k] $Type $select))
    }
    $body = [ordered]@{ '@odata.context' = (Get-GraphContextUrl $Request.Version $EntitySet $select) }
    if ($countWanted) { $body['@odata.count'] = $filtered.Count }
    if ($offset + $page.Count -lt $filtered.Count) {
        $token = [Convert]::ToBase64String([System.Text.Encoding]::UTF8.GetBytes('upnsim:' + ($offset + $page.Count))).TrimEnd('=').Replace('+', '-').Replace('/', '_')
        $kept = @($Request.RawQuery.Split('&') | Where-Object { $_ -and ($_ -notmatch '^(?i)\$?skiptoken=') })
        $kept += ('$skiptoken=' + $token)
        $body['@odata.nextLink'] = '{0}/{1}{2}?{3}' -f $script:GraphBase, $Request.Version, $Request.Path, ($kept -join '&')
    }
    $body['value'] = $page.ToArray()
    return (New-GraphResponse -Body $body)
}

function Get-GraphOnPremSync {
    param($State)
    $features = [ordered]@{}
    foreach ($name in $script:FeatureNames) {
        $default = $false
        if ($name -eq 'softMatchOnUpnEnabled' -or $name -eq 'synchronizeUpnForManagedUsersEnabled' -or $name -like 'quarantineUpon*') { $default = $true }
        $features[$name] = Get-SimFeature -State $State -Name $name -Default $default
    }
    $configuration = Get-SimValue $State.tenant 'onPremisesSynchronizationConfiguration'
    if ($null -eq $configuration) {
        $configuration = [ordered]@{
            accidentalDeletionPrevention = [ordered]@{ synchronizationPreventionType = 'enabledForCount'; alertThreshold = 500 }
            synchronizationInterval = 'PT30M'; customerRequestedSynchronizationInterval = $null
        }
    }
    return [ordered]@{ id = [string](Get-SimValue $State.tenant 'tenantId' ''); configuration = $configuration; features = $features }
}

function Get-GraphMemberOf {
    param($State, $User)
    $list = [System.Collections.Generic.List[object]]::new()
    foreach ($role in (Get-GraphCollection $State 'directoryRoles')) {
        if (@(Get-SimValue $role 'members' @()) -contains [string]$User.id) {
            $list.Add([ordered]@{ '@odata.type' = '#microsoft.graph.directoryRole'; id = [string]$role.id; displayName = Get-SimValue $role 'displayName'; description = Get-SimValue $role 'description'; roleTemplateId = Get-SimValue $role 'roleTemplateId' })
        }
    }
    foreach ($group in (Get-GraphCollection $State 'groups')) {
        if (@(Get-SimValue $group 'members' @()) -contains [string]$User.id) {
            $entry = [ordered]@{ '@odata.type' = '#microsoft.graph.group' }
            foreach ($key in @($group.Keys)) { if ($key -ne 'members') { $entry[$key] = $group[$key] } }
            $list.Add($entry)
        }
    }
    return $list.ToArray()
}

#endregion

#region response bodies

function ConvertTo-GraphHashtable {
    param($Value)
    if ($null -eq $Value) { return $null }
    return , ([UpnMatchSim.Graph]::ToHashtable($Value))
}

#endregion

#region certificates

function Initialize-SimCertificateDrive {
    <#
    .SYNOPSIS
        Gives a host without a Cert: drive (Linux, macOS) the simulator's: DIR/certificates/<Location>/My/*.cer
        (Graph.Certificates.cs), so that code reading Cert:\LocalMachine\My runs unchanged. Windows keeps its own.
    #>
    if (Get-PSDrive -Name Cert -ErrorAction SilentlyContinue) { return }
    if ([string]::IsNullOrWhiteSpace($env:UPN_MATCH_SIM_DIR)) { return }
    if ($null -eq ('UpnMatchSim.CertificateProvider' -as [type])) {
        $source = [System.IO.File]::ReadAllText((Join-Path $PSScriptRoot 'Graph.Certificates.cs'), [System.Text.Encoding]::UTF8)
        $hash = ([System.BitConverter]::ToString([System.Security.Cryptography.SHA256]::Create().ComputeHash([System.Text.Encoding]::UTF8.GetBytes($source))) -replace '-', '').Substring(0, 16)
        $cacheDir = Join-Path ([System.IO.Path]::GetTempPath()) 'upn-match-sim-types'
        $null = [System.IO.Directory]::CreateDirectory($cacheDir)
        $dll = Join-Path $cacheDir ('UpnMatchSimCertificates-{0}-{1}.dll' -f $PSVersionTable.PSVersion, $hash)
        if (-not [System.IO.File]::Exists($dll)) {
            $temp = Join-Path $cacheDir ('build-{0}-{1}.dll' -f $PID, [guid]::NewGuid().ToString('N'))
            Add-Type -TypeDefinition $source -OutputAssembly $temp -OutputType Library -ReferencedAssemblies @('System.Management.Automation', 'System.Security.Cryptography', 'System.Runtime', 'System.IO.FileSystem')
            try { [System.IO.File]::Move($temp, $dll) } catch { $dll = $temp }
        }
        Import-Module -Name $dll -Global -Verbose:$false
    }
    $null = New-PSDrive -Name Cert -PSProvider UpnMatchSimCertificate -Root (Join-Path $env:UPN_MATCH_SIM_DIR 'certificates') -Scope Global
}

function Find-SimUserCertificate {
    <#
    .SYNOPSIS
        What the real Connect-MgGraph does with -CertificateThumbprint or -CertificateSubjectName: the current
        user's store only (its help: "The Certificate will be retrieved from the current user's certificate
        store"; msgraph-sdk-powershell issues 675 and 969). Newer SDK sources also try LocalMachine\My after
        it; installed versions differ, so the simulator keeps the stricter, documented behaviour. Unexpired
        certificates only, the one issued last first (AuthenticationHelpers.TryFindCertificateBy*).
    #>
    param([string] $Thumbprint, [string] $SubjectName)
    if (-not (Test-Path -LiteralPath 'Cert:\CurrentUser\My')) { return $null }
    $now = Get-Date
    return (@(Get-ChildItem -LiteralPath 'Cert:\CurrentUser\My' | Where-Object {
                $_ -is [System.Security.Cryptography.X509Certificates.X509Certificate2] -and $_.NotBefore -le $now -and $_.NotAfter -gt $now -and
                (($SubjectName -and $_.Subject -ieq $SubjectName) -or (-not $SubjectName -and $_.Thumbprint -ieq $Thumbprint))
            } | Sort-Object -Property NotBefore -Descending) | Select-Object -First 1)
}

#endregion

#region cmdlets

function Connect-MgGraph {
    <#
    .SYNOPSIS
        Signs in to the simulated tenant: app-only with -ClientId -TenantId and -Certificate, -CertificateThumbprint
        or -CertificateSubjectName (these two search the current user's store only) or a client secret credential;
        a managed identity with -Identity; delegated with -Scopes (-UseDeviceCode). -Environment picks the cloud.
    #>
    [CmdletBinding(DefaultParameterSetName = 'UserParameterSet')]
    param(
        [Parameter(ParameterSetName = 'UserParameterSet', Position = 1)] [string[]] $Scopes,
        [Parameter(ParameterSetName = 'UserParameterSet')]
        [Parameter(ParameterSetName = 'AppCertificateParameterSet', Mandatory = $true, Position = 1)]
        [Parameter(ParameterSetName = 'IdentityParameterSet')]
        [Alias('AppId', 'ApplicationId')] [string] $ClientId,
        [Parameter(ParameterSetName = 'AppCertificateParameterSet')] [Alias('CertificateSubject', 'CertificateName')] [string] $CertificateSubjectName,
        [Parameter(ParameterSetName = 'AppCertificateParameterSet')] [string] $CertificateThumbprint,
        [Parameter(ParameterSetName = 'AppCertificateParameterSet')] [switch] $SendCertificateChain,
        [Parameter(ParameterSetName = 'AppCertificateParameterSet')] [System.Security.Cryptography.X509Certificates.X509Certificate2] $Certificate,
        [Parameter(ParameterSetName = 'AppSecretCredentialParameterSet')] [System.Management.Automation.PSCredential] $ClientSecretCredential,
        [Parameter(ParameterSetName = 'UserParameterSet')]
        [Parameter(ParameterSetName = 'AppCertificateParameterSet')]
        [Parameter(ParameterSetName = 'AppSecretCredentialParameterSet')]
        [Parameter(ParameterSetName = 'EnvironmentVariableParameterSet')]
        [Alias('Audience', 'Tenant')] [string] $TenantId,
        [Parameter(ParameterSetName = 'AccessTokenParameterSet', Mandatory = $true, Position = 1)] [System.Security.SecureString] $AccessToken,
        [Parameter(ParameterSetName = 'IdentityParameterSet')] [Alias('ManagedIdentity', 'ManagedServiceIdentity', 'MSI')] [switch] $Identity,
        [Parameter(ParameterSetName = 'EnvironmentVariableParameterSet')] [switch] $EnvironmentVariable,
        [Parameter(ParameterSetName = 'UserParameterSet')] [Alias('UseDeviceAuthentication', 'DeviceCode', 'DeviceAuth', 'Device')] [switch] $UseDeviceCode,
        [ValidateSet('Process', 'CurrentUser')] [string] $ContextScope,
        [Alias('EnvironmentName', 'NationalCloud')] [string] $Environment,
        [double] $ClientTimeout,
        [switch] $NoWelcome
    )
    $setName = $PSCmdlet.ParameterSetName
    if (-not $Environment) { $Environment = 'Global' }
    # The call log keeps the certificate's thumbprint, not the object.
    $logged = @{}
    foreach ($key in $PSBoundParameters.Keys) { $logged[$key] = $PSBoundParameters[$key] }
    if ($Certificate) { $logged['Certificate'] = $Certificate.Thumbprint }
    try {
        if (-not $script:GraphEndpoints.ContainsKey($Environment)) {
            throw ("Unable to find environment with name '{0}'. Use Get-MgEnvironment to list the available environments." -f $Environment)
        }
        $usedCertificate = $Certificate
        if ($setName -eq 'AppCertificateParameterSet' -and -not $usedCertificate) {
            $usedCertificate = Find-SimUserCertificate -Thumbprint $CertificateThumbprint -SubjectName $CertificateSubjectName
            if ($null -eq $usedCertificate) {
                $name = $CertificateThumbprint
                if ($CertificateSubjectName) { $name = $CertificateSubjectName }
                # The wording users report (msgraph-sdk-powershell issue 675).
                throw ('{0} certificate was not found or has expired.' -f $name)
            }
        }
        $connection = Invoke-SimCommand -Module $script:ModuleName -Command 'Connect-MgGraph' -BoundParameters $logged -Body {
            param($ctx)
            $tenant = $ctx.State.tenant
            $stateTenantId = [string](Get-SimValue $tenant 'tenantId' '')
            if ($TenantId) {
                $knows = ($TenantId -ieq $stateTenantId)
                foreach ($domain in @(Get-SimValue $tenant 'domains' @())) { if (([string]$domain.id) -ieq $TenantId) { $knows = $true } }
                if (-not $knows) {
                    throw ("AADSTS90002: Tenant '{0}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud." -f $TenantId)
                }
            }
            if ($setName -eq 'AppCertificateParameterSet' -or $setName -eq 'AppSecretCredentialParameterSet') {
                $appId = $ClientId
                if ($setName -eq 'AppSecretCredentialParameterSet') { $appId = $ClientSecretCredential.UserName }
                # A world without tenant.apps: the app has what README.md, "Graph permissions", asks for (and more).
                $roles = @('Directory.ReadWrite.All', 'User.ReadWrite.All', 'RoleManagement.Read.Directory')
                $appName = 'upn-match'
                $apps = Get-SimValue $tenant 'apps'
                if ($null -ne $apps) {
                    $app = $null
                    foreach ($candidate in @($apps)) { if (([string](Get-SimValue $candidate 'appId' (Get-SimValue $candidate 'clientId' ''))) -ieq $appId) { $app = $candidate } }
                    if ($null -eq $app) {
                        throw ("ClientCertificateCredential authentication failed: AADSTS700016: Application with identifier '{0}' was not found in the directory '{1}'." -f $appId, (Get-SimValue $tenant 'displayName' $stateTenantId))
                    }
                    $thumbprints = @(Get-SimValue $app 'certificateThumbprints' @())
                    $usedThumbprint = $null
                    if ($usedCertificate) { $usedThumbprint = $usedCertificate.Thumbprint }
                    if ($usedThumbprint -and $thumbprints.Count -gt 0 -and -not (@($thumbprints | Where-Object { ([string]$_) -ieq $usedThumbprint }).Count -gt 0)) {
                        throw ("ClientCertificateCredential authentication failed: AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '{0}']" -f $usedThumbprint)
                    }
                    $roles = @(Get-SimValue $app 'roles' @())
                    $appName = [string](Get-SimValue $app 'displayName' $appName)
                }
                $credentialType = 'ClientCertificate'
                if ($setName -eq 'AppSecretCredentialParameterSet') { $credentialType = 'ClientSecret' }
                $thumbprint = $CertificateThumbprint
                if ($usedCertificate) { $thumbprint = $usedCertificate.Thumbprint }
                return @{ AuthType = 'AppOnly'; TenantId = $stateTenantId; ClientId = $appId; Scopes = [string[]]$roles; Account = $null; AccountId = $null
                    CertificateThumbprint = $thumbprint; CertificateSubjectName = $CertificateSubjectName; TokenCredentialType = $credentialType; AppName = $appName }
            }
            if ($setName -eq 'IdentityParameterSet') {
                # A managed identity (Azure VM, Arc-enabled server): its app roles are granted like an app's.
                $identityId = $ClientId
                if (-not $identityId) { $identityId = 'system-assigned' }
                $roles = @('Directory.ReadWrite.All', 'User.ReadWrite.All')
                foreach ($candidate in @(Get-SimValue $tenant 'apps' @())) { if ([bool](Get-SimValue $candidate 'managedIdentity' $false)) { $roles = @(Get-SimValue $candidate 'roles' @()) } }
                return @{ AuthType = 'ManagedIdentity'; TenantId = $stateTenantId; ClientId = $identityId; Scopes = [string[]]$roles; Account = $null; AccountId = $null
                    CertificateThumbprint = $null; CertificateSubjectName = $null; TokenCredentialType = 'ManagedIdentity'; AppName = 'managed identity' }
            }
            if ($setName -eq 'UserParameterSet') {
                $account = Get-GraphSignedInUser $ctx.State
                $accountName = [string](Get-SimValue $tenant 'delegatedAccount' '')
                $accountId = $null
                if ($null -ne $account) { $accountName = [string]$account.userPrincipalName; $accountId = [string]$account.id }
                if (-not $accountName) { $accountName = 'admin@' + (Get-SimInitialDomain $ctx.State) }
                $granted = @($Scopes | ForEach-Object { ([string]$_).Split(',') } | ForEach-Object { $_.Trim() } | Where-Object { $_ })
                $credential = 'InteractiveBrowser'
                if ($UseDeviceCode) { $credential = 'DeviceCode' }
                $delegatedClient = $ClientId
                if (-not $delegatedClient) { $delegatedClient = $script:DelegatedClientId }
                return @{ AuthType = 'Delegated'; TenantId = $stateTenantId; ClientId = $delegatedClient; Scopes = [string[]]$granted; Account = $accountName; AccountId = $accountId
                    CertificateThumbprint = $null; CertificateSubjectName = $null; TokenCredentialType = $credential; AppName = 'Microsoft Graph Command Line Tools' }
            }
            throw ("upn-match simulator: Connect-MgGraph parameter set '{0}' is not simulated (use -ClientId -TenantId -CertificateThumbprint, -ClientSecretCredential, or -Scopes)" -f $setName)
        }
    } catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
    $connection['ContextScope'] = 'Process'
    if ($ContextScope) { $connection['ContextScope'] = $ContextScope }
    $connection['Environment'] = $Environment
    $script:GraphBase = $script:GraphEndpoints[$Environment]
    $script:Connection = $connection
    if (-not $NoWelcome) {
        Write-Information -MessageData 'Welcome to Microsoft Graph!' -Tags 'Welcome'
    }
}

function Get-MgContext {
    <#
    .SYNOPSIS
        The current connection (AuthContext), or nothing when not connected.
    #>
    [CmdletBinding()]
    param()
    if ($null -eq $script:Connection) { return }
    $c = $script:Connection
    $context = [pscustomobject]@{
        ClientId               = $c.ClientId
        TenantId               = $c.TenantId
        Scopes                 = [string[]]@($c.Scopes)
        AuthType               = $c.AuthType
        TokenCredentialType    = $c.TokenCredentialType
        CertificateThumbprint  = $c.CertificateThumbprint
        CertificateSubjectName = $c.CertificateSubjectName
        SendCertificateChain   = $false
        Account                = $c.Account
        AppName                = $c.AppName
        ContextScope           = $c.ContextScope
        Certificate            = $null
        PSHostVersion          = $PSVersionTable.PSVersion
        ManagedIdentityId      = $null
        ClientSecret           = $null
        Environment            = $c.Environment
    }
    $context.PSObject.TypeNames.Insert(0, 'Microsoft.Graph.PowerShell.Authentication.AuthContext')
    return $context
}

function Disconnect-MgGraph {
    <#
    .SYNOPSIS
        Signs out; returns the context that was signed out, like the real module (v2).
    #>
    [CmdletBinding()]
    param()
    if ($null -eq $script:Connection) {
        $exception = New-Object System.InvalidOperationException 'No application to sign out from.'
        $PSCmdlet.ThrowTerminatingError((New-SimErrorRecord -Exception $exception -ErrorId 'Microsoft.Graph.PowerShell.Authentication.Cmdlets.DisconnectMgGraph' -Category InvalidOperation))
    }
    $context = Get-MgContext
    $script:Connection = $null
    return $context
}

function Invoke-MgGraphRequest {
    <#
    .SYNOPSIS
        Sends a request to the simulated Microsoft Graph. OutputType HashTable (default), PSObject, Json or
        HttpResponseMessage.
    #>
    [CmdletBinding(DefaultParameterSetName = 'UserParameterSet')]
    param(
        [Parameter(Position = 1, ParameterSetName = 'UserParameterSet')] [ValidateSet('GET', 'POST', 'PUT', 'PATCH', 'DELETE')] [string] $Method = 'GET',
        [Parameter(Position = 2, Mandatory = $true, ParameterSetName = 'UserParameterSet')] [Uri] $Uri,
        [Parameter(Position = 3, ParameterSetName = 'UserParameterSet', ValueFromPipeline = $true)] [object] $Body,
        [Parameter(Position = 4, ParameterSetName = 'UserParameterSet')] [System.Collections.IDictionary] $Headers,
        [Parameter(Position = 5, ParameterSetName = 'UserParameterSet')] [string] $OutputFilePath,
        [Parameter(ParameterSetName = 'UserParameterSet')] [switch] $InferOutputFileName,
        [Parameter(ParameterSetName = 'UserParameterSet')] [string] $InputFilePath,
        [Parameter(ParameterSetName = 'UserParameterSet')] [switch] $PassThru,
        [Parameter(ParameterSetName = 'UserParameterSet')] [System.Security.SecureString] $Token,
        [Parameter(ParameterSetName = 'UserParameterSet')] [switch] $SkipHeaderValidation,
        [Parameter(ParameterSetName = 'UserParameterSet')] [string] $ContentType,
        [Parameter(ParameterSetName = 'UserParameterSet')] [ValidateSet('Default', 'UserProvidedToken')] [string] $Authentication = 'Default',
        [Parameter(ParameterSetName = 'UserParameterSet')] [Alias('SV')] [string] $SessionVariable,
        [Parameter(ParameterSetName = 'UserParameterSet')] [Alias('RHV')] [string] $ResponseHeadersVariable,
        [Parameter(ParameterSetName = 'UserParameterSet')] [string] $StatusCodeVariable,
        [Parameter(ParameterSetName = 'UserParameterSet')] [switch] $SkipHttpErrorCheck,
        [Parameter(ParameterSetName = 'UserParameterSet')] [object] $GraphRequestSession,
        [Parameter(ParameterSetName = 'UserParameterSet')] [string] $UserAgent,
        [Parameter(ParameterSetName = 'UserParameterSet')] [ValidateSet('HashTable', 'PSObject', 'HttpResponseMessage', 'Json')] [string] $OutputType = 'HashTable'
    )
    process {
        $methodName = $Method.ToUpperInvariant()
        $parsed = ConvertFrom-GraphUrl $Uri.OriginalString $null
        $fullUrl = '{0}{1}' -f $script:GraphBase, $Uri.OriginalString
        if ($Uri.IsAbsoluteUri) { $fullUrl = $Uri.OriginalString }
        elseif (-not $Uri.OriginalString.StartsWith('/')) { $fullUrl = '{0}/{1}' -f $script:GraphBase, $Uri.OriginalString }
        $route = '{0} {1}' -f $methodName, $parsed.Path
        if ($parsed.Version) { $route = '{0} /{1}{2}' -f $methodName, $parsed.Version, $parsed.Path }
        $requestBody = $null
        try {
            if ($null -ne $Body) {
                $raw = $Body
                if ($raw -is [System.Management.Automation.PSObject]) { $raw = $raw.PSObject.BaseObject }
                if ($raw -is [string]) { if ($raw.Trim()) { $requestBody = ConvertFrom-SimJson $raw } }
                else { $requestBody = ConvertFrom-SimJson (ConvertTo-Json -InputObject $raw -Depth 20) }
            }
        } catch {
            $requestBody = $null
        }
        $headerMap = @{}
        if ($null -ne $Headers) { foreach ($key in @($Headers.Keys)) { $headerMap[[string]$key] = [string]$Headers[$key] } }
        $request = @{ Method = $methodName; Version = $parsed.Version; Path = $parsed.Path; RawQuery = $parsed.RawQuery; Query = $parsed.Query; Headers = $headerMap; Body = $requestBody }
        $extra = $null
        if ($parsed.Path -eq '/$batch' -and $null -ne $requestBody) {
            $extra = [ordered]@{ batch = @(@(Get-SimValue $requestBody 'requests' @()) | ForEach-Object { ('{0} {1}' -f ([string](Get-SimValue $_ 'method' 'GET')).ToUpperInvariant(), ([string](Get-SimValue $_ 'url' '')).Split('?')[0]) }) }
        }
        # An injected 'fail' fault is an HTTP answer: it goes through the SDK's retry like the service's own.
        $onFault = {
            param($fault)
            $status = [int](Get-SimValue $fault 'status' 503)
            $code = [string](Get-SimValue $fault 'code' 'serviceNotAvailable')
            $message = [string](Get-SimValue $fault 'message' 'Service unavailable (injected by the simulator).')
            $faultHeaders = $null
            $retryAfter = Get-SimValue $fault 'retryAfterSeconds'
            if ($null -eq $retryAfter -and $status -eq 429) { $retryAfter = 1 }
            if ($null -ne $retryAfter) { $faultHeaders = [ordered]@{ 'Retry-After' = [string]$retryAfter } }
            $answer = New-GraphError $status $code $message $faultHeaders
            throw (New-Object System.Management.Automation.ErrorRecord ((New-Object System.Exception 'injected HTTP answer'), 'UpnMatchSimHttpFault', [System.Management.Automation.ErrorCategory]::NotSpecified, $answer))
        }
        $send = {
            param($ctx)
            # As the real cmdlet's parameter validation: not connected, or no body for PATCH/POST.
            $connection = Get-GraphConnectionOrThrow
            if (($methodName -eq 'PATCH' -or $methodName -eq 'POST') -and $null -eq $Body -and -not $InputFilePath) {
                $exception = New-Object System.Management.Automation.ValidationMetadataException ('Body cannot be null when Method is {0}.' -f $methodName)
                throw (New-SimErrorRecord -Exception $exception -ErrorId 'InvokeGraphRequestBodyMissingWhenMethodIsSpecified' -Category InvalidArgument)
            }
            if ($request.Path -eq '/$batch' -and $request.Method -eq 'POST') {
                if (-not $request.Version) { return (New-GraphError 400 'BadRequest' 'Invalid version: $batch') }
                return (Invoke-GraphBatch -Context $ctx -Request $request -Connection $connection)
            }
            if (Step-SimGraphRequest -Context $ctx) {
                return (New-GraphError 429 'TooManyRequests' 'Please retry again later.' ([ordered]@{ 'Retry-After' = [string](Get-SimValue $ctx.Faults 'retryAfterSeconds' 1) }))
            }
            return (Invoke-GraphRoute -Context $ctx -Request $request -Connection $connection)
        }
        # Each attempt is one HTTP request: latency, counters, call log (retryAttempt) and faults each time.
        $failures = New-Object 'System.Collections.Generic.List[System.Exception]'
        $retryCount = 0
        while ($true) {
            $log = $extra
            if ($retryCount -gt 0) {
                $log = [ordered]@{ retryAttempt = $retryCount }
                if ($null -ne $extra) { foreach ($key in @($extra.Keys)) { $log[$key] = $extra[$key] } }
            }
            try {
                $response = Invoke-SimCommand -Module $script:ModuleName -Command 'Invoke-MgGraphRequest' -Route $route -BoundParameters $PSBoundParameters -Latency graph -OnFault $onFault -LogExtra $log -Body $send
            } catch {
                if ($_.FullyQualifiedErrorId -ne 'UpnMatchSimHttpFault') { $PSCmdlet.ThrowTerminatingError($_) }
                $response = $_.TargetObject
            }
            if (-not (Test-GraphSdkRetryable ([int]$response.Status))) { break }
            $failures.Add((New-GraphSdkApiException $response))
            if ($retryCount -ge $script:SdkMaxRetry) {
                # Not terminating, as the real cmdlet writes it: nothing is returned and no variable is set.
                $ErrorActionPreference = Get-SimCallerErrorAction -Cmdlet $PSCmdlet -BoundParameters $PSBoundParameters
                $PSCmdlet.WriteError((New-GraphRetriesExhaustedRecord -Failures $failures -RetryCount $retryCount))
                return
            }
            $delay = Get-GraphSdkRetryDelay -Response $response -RetryCount $retryCount
            if ($delay -gt 0) { Start-Sleep -Milliseconds ([int]($delay * 1000)) }
            $retryCount++
            $request.Headers['Retry-Attempt'] = [string]$retryCount
        }
        if ([int]$response.Status -ge 400 -and -not $SkipHttpErrorCheck) {
            # The real cmdlet throws before it sets -StatusCodeVariable / -ResponseHeadersVariable (they keep what
            # they held: InvokeMgGraphRequest.cs ProcessResponse; msgraph-sdk-powershell#1452).
            $PSCmdlet.ThrowTerminatingError((New-GraphHttpErrorRecord -Response $response -Method $methodName -Url $fullUrl))
        }
        if ($StatusCodeVariable) { $PSCmdlet.SessionState.PSVariable.Set($StatusCodeVariable, [int]$response.Status) }
        if ($ResponseHeadersVariable) {
            $responseHeaders = @{}
            foreach ($key in @($response.Headers.Keys)) { $responseHeaders[$key] = [string[]]@([string]$response.Headers[$key]) }
            $PSCmdlet.SessionState.PSVariable.Set($ResponseHeadersVariable, $responseHeaders)
        }
        if ($null -eq $response.Body) { return }
        $json = ConvertTo-SimJson $response.Body -Compress
        switch ($OutputType) {
            'Json' { $PSCmdlet.WriteObject($json) }
            'PSObject' {
                $options = @{}
                if ((Get-Command ConvertFrom-Json).Parameters.ContainsKey('DateKind')) { $options['DateKind'] = 'String' }
                $PSCmdlet.WriteObject((ConvertFrom-Json -InputObject $json @options))
            }
            'HttpResponseMessage' {
                $message = New-Object System.Net.Http.HttpResponseMessage ([System.Net.HttpStatusCode][int]$response.Status)
                $message.Content = New-Object System.Net.Http.StringContent ($json, [System.Text.Encoding]::UTF8, 'application/json')
                $PSCmdlet.WriteObject($message)
            }
            default {
                if ($response.Body -is [System.Collections.IDictionary]) { $PSCmdlet.WriteObject((ConvertTo-GraphHashtable $response.Body)) }
                else { $PSCmdlet.WriteObject($response.Body) }
            }
        }
    }
}

#endregion

$exported = @('Connect-MgGraph', 'Disconnect-MgGraph', 'Get-MgContext', 'Invoke-MgGraphRequest')
# With a simulator server (UPN_MATCH_SIM_SERVER), each cmdlet forwards its calls there: see UpnMatch.Sim.Remote.ps1.
Initialize-SimCertificateDrive
foreach ($proxy in @(Get-SimRemoteProxies -Module $script:ModuleName -Functions @($exported | ForEach-Object { Get-Item -Path ('function:' + $_) }))) {
    Set-Item -Path ('function:script:' + $proxy.Name) -Value $proxy.Body
}
Export-ModuleMember -Function $exported
