<#
.SYNOPSIS
    Helpers the upn-match step scripts share.
.DESCRIPTION
    Graph sign-in (once per session), Graph requests (429/503/504 are retried by the Graph SDK itself),
    $batch in chunks of 20 with its throttled items sent again, paging by @odata.nextLink, the status of a
    failed Graph request and the kind of a failed AD cmdlet read from the error's structure (never from its
    text), escaping of untrusted values for LDAP filters (RFC 4515) and OData string literals, and AD users
    shaped field by field.
#>
Set-StrictMode -Version Latest

# Relative to the signed-in environment's Graph endpoint (Connect-MgGraph -Environment): national clouds differ.
$script:GraphBase = '/v1.0'
# Rounds of $batch items answered 429/503 inside a 200 batch answer, which the SDK's retry never sees.
$script:BatchItemRounds = 6

function ConvertTo-UpnMatchLdapValue {
    <#
    .SYNOPSIS
        Escapes a value for an LDAP filter assertion (RFC 4515): * ( ) \ NUL and non-ASCII bytes as \xx.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [AllowEmptyString()] [string] $Value)
    $builder = New-Object System.Text.StringBuilder
    foreach ($byte in [System.Text.Encoding]::UTF8.GetBytes($Value)) {
        $c = [char]$byte
        if ($byte -ge 0x80 -or $byte -lt 0x20 -or $c -eq '*' -or $c -eq '(' -or $c -eq ')' -or $c -eq '\' -or $byte -eq 0x7f) {
            $null = $builder.Append('\').Append($byte.ToString('x2'))
        } else {
            $null = $builder.Append($c)
        }
    }
    return $builder.ToString()
}

function ConvertTo-UpnMatchODataLiteral {
    <#
    .SYNOPSIS
        Makes an OData string literal: single quotes doubled, wrapped in quotes. The result is then
        URL-encoded by the caller as part of the query string.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [AllowEmptyString()] [string] $Value)
    return "'" + $Value.Replace("'", "''") + "'"
}

function Get-UpnMatchGraphErrorInfo {
    <#
    .SYNOPSIS
        The HTTP status, Graph error code and Retry-After (seconds) of a failed Graph request.
    .DESCRIPTION
        Read where each error keeps them, never from its message (which differs by PowerShell edition):
        - Invoke-UpnMatchGraph's own stop (access denied, retries exhausted): the exception's Data;
        - Invoke-MgGraphRequest's HTTP error: HttpResponseException.Response, the HttpResponseMessage (StatusCode,
          Headers.RetryAfter, and Content, the JSON body { error: { code, message } });
        - the SDK gave up retrying (429/503/504): an AggregateException over Kiota ApiExceptions, one per answer,
          each with ResponseStatusCode and ResponseHeaders; the last one is read.
        Status 0: no HTTP answer (a network or sign-in failure).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [System.Management.Automation.ErrorRecord] $Record)
    $status = 0
    $retryAfter = $null
    $code = $null
    $exception = $Record.Exception
    if ($null -ne $exception.Data -and $exception.Data.Contains('UpnMatchHttpStatus')) {
        $status = [int]$exception.Data['UpnMatchHttpStatus']
        $code = $exception.Data['UpnMatchGraphCode']
    }
    if ($exception -is [System.AggregateException] -and $exception.InnerExceptions.Count -gt 0) { $exception = $exception.InnerExceptions[$exception.InnerExceptions.Count - 1] }
    if ($null -ne $exception.PSObject.Properties['ResponseStatusCode']) {
        $status = [int]$exception.ResponseStatusCode
        $headers = $exception.ResponseHeaders
        $seconds = 0
        if ($null -ne $headers -and $headers.ContainsKey('Retry-After') -and [int]::TryParse([string](@($headers['Retry-After'])[0]), [ref]$seconds)) { $retryAfter = $seconds }
    }
    $response = $null
    if ($null -ne $exception.PSObject.Properties['Response']) { $response = $exception.Response }
    if ($response -is [System.Net.Http.HttpResponseMessage]) {
        $status = [int]$response.StatusCode
        if ($null -ne $response.Headers.RetryAfter -and $null -ne $response.Headers.RetryAfter.Delta) { $retryAfter = [int]$response.Headers.RetryAfter.Delta.TotalSeconds }
        try {
            $body = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult() | ConvertFrom-Json
            if ($null -ne $body -and $null -ne $body.PSObject.Properties['error']) { $code = [string]$body.error.code }
        } catch {
            $null = $_ # no JSON body: the status says it all
        }
    }
    $message = ($Record.Exception.Message -replace '\s*[\r\n]+\s*', ' ').Trim()
    return [pscustomobject]@{ Status = $status; Code = $code; RetryAfter = $retryAfter; Message = $message }
}

function Get-UpnMatchAdErrorKind {
    <#
    .SYNOPSIS
        What an ActiveDirectory cmdlet's error means, by exception type and the directory's error code, never by
        its message (localized: "La cuenta especificada ya existe").
    .OUTPUTS
        IdentityNotFound (ADIdentityNotFoundException), UpnNotUnique (ADException 8648,
        ERROR_DS_UPN_VALUE_NOT_UNIQUE_IN_FOREST: a 2012 R2 or later DC refuses a UPN another object of the forest
        has), AccountExists (ADIdentityAlreadyExistsException 1316, ERROR_USER_EXISTS: the sAMAccountName is taken),
        NameInUse (8305: the object's name is taken in its OU), ServerDown (ADServerDownException), or Other.
    .NOTES
        ADException.ErrorCode holds the code; the error id "ActiveDirectoryServer:<code>" carries the same number
        and is read when ErrorCode is 0.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [System.Management.Automation.ErrorRecord] $Record)
    $exception = $Record.Exception
    $types = New-Object System.Collections.Generic.List[string]
    for ($type = $exception.GetType(); $null -ne $type; $type = $type.BaseType) { $types.Add($type.FullName) }
    if ($types.Contains('Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException')) { return 'IdentityNotFound' }
    if ($types.Contains('Microsoft.ActiveDirectory.Management.ADServerDownException')) { return 'ServerDown' }
    if (-not $types.Contains('Microsoft.ActiveDirectory.Management.ADException')) { return 'Other' }
    $errorCode = 0
    if ($null -ne $exception.PSObject.Properties['ErrorCode']) { $errorCode = [int]$exception.ErrorCode }
    if ($errorCode -eq 0 -and [string]$Record.FullyQualifiedErrorId -match '^ActiveDirectoryServer:(\d+)') { $errorCode = [int]$Matches[1] }
    switch ($errorCode) {
        8648 { return 'UpnNotUnique' }
        1316 { return 'AccountExists' }
        8305 { return 'NameInUse' }
    }
    if ($types.Contains('Microsoft.ActiveDirectory.Management.ADIdentityAlreadyExistsException')) { return 'AccountExists' }
    return 'Other'
}

# Delegated scopes by what the step does: plan and verify only read; a feature change writes.
# RoleManagement.Read.Directory: the PIM-eligible role assignments (Directory.Read.All does not cover them).
$script:ReadScopes = @('User.Read.All', 'Directory.Read.All', 'RoleManagement.Read.Directory', 'OnPremDirectorySynchronization.Read.All')
$script:WriteScopes = @('OnPremDirectorySynchronization.ReadWrite.All')

function Find-UpnMatchCertificate {
    <#
    .SYNOPSIS
        The app's certificate from Cert:\LocalMachine\My, then Cert:\CurrentUser\My, by thumbprint or subject name.
    .DESCRIPTION
        Connect-MgGraph -CertificateThumbprint searches the current user's store only (its help, and versions
        before the LocalMachine fallback): a task running as SYSTEM or a gMSA has its certificate in the
        machine's store. The certificate object is passed with -Certificate, which every version accepts.
        Among several matches (a renewed certificate keeps its subject), the valid one issued last wins.
    #>
    [CmdletBinding()]
    param([string] $Thumbprint, [string] $Subject)
    # Windows PowerShell and pwsh provide Cert: through Microsoft.PowerShell.Security.
    if (-not (Get-PSDrive -Name Cert -ErrorAction SilentlyContinue)) { Import-Module Microsoft.PowerShell.Security -ErrorAction SilentlyContinue -Verbose:$false }
    $now = Get-Date
    $searched = New-Object System.Collections.Generic.List[string]
    foreach ($location in @('LocalMachine', 'CurrentUser')) {
        $store = 'Cert:\' + $location + '\My'
        $searched.Add($store)
        if (-not (Test-Path -LiteralPath $store)) { continue }
        $found = @(Get-ChildItem -LiteralPath $store | Where-Object {
                $_ -is [System.Security.Cryptography.X509Certificates.X509Certificate2] -and $_.NotBefore -le $now -and $_.NotAfter -gt $now -and
                (($Thumbprint -and $_.Thumbprint -ieq $Thumbprint) -or ($Subject -and $_.Subject -ieq $Subject))
            } | Sort-Object -Property NotBefore -Descending)
        if ($found.Count -gt 0) { return $found[0] }
    }
    $what = 'thumbprint ' + $Thumbprint
    if (-not $Thumbprint) { $what = 'subject ' + $Subject }
    Stop-UpnMatch -Code 'GraphCertificateNotFound' -Category script -Target $what -Message ('no valid certificate with {0} in {1}' -f $what, ($searched -join ' or '))
}

function Connect-UpnMatchGraph {
    <#
    .SYNOPSIS
        Signs in to Microsoft Graph once per session: app-only with a certificate or a managed identity,
        or delegated (interactive browser or device code) with read scopes, or write scopes for a change.
    #>
    [CmdletBinding()]
    param(
        [ValidateSet('certificate', 'managed-identity', 'interactive', 'device-code')] [string] $Auth = 'interactive',
        [string] $TenantId,
        [string] $ClientId,
        [string] $CertificateThumbprint,
        [string] $CertificateSubject,
        [ValidateSet('Global', 'USGov', 'USGovDoD', 'China')] [string] $Environment = 'Global',
        [ValidateSet('Read', 'Write')] [string] $Access = 'Read'
    )
    Import-Module Microsoft.Graph.Authentication -Verbose:$false
    $scopes = @($script:ReadScopes)
    if ($Access -eq 'Write') { $scopes += $script:WriteScopes }
    $delegated = ($Auth -eq 'interactive' -or $Auth -eq 'device-code')
    $context = Get-MgContext
    if ($null -ne $context) {
        $granted = @($context.Scopes)
        $missing = @($scopes | Where-Object { $granted -notcontains $_ })
        if (-not $delegated -and (-not $ClientId -or $context.ClientId -eq $ClientId)) { return $context }
        if ($delegated -and $missing.Count -eq 0) { return $context }
    }
    $connect = @{ NoWelcome = $true; Environment = $Environment }
    switch ($Auth) {
        'certificate' {
            $need = [ordered]@{ 'graph.tenantId' = $TenantId; 'graph.clientId' = $ClientId; 'graph.certificateThumbprint or graph.certificateSubject' = ($CertificateThumbprint + $CertificateSubject) }
            $missing = @($need.Keys | Where-Object { -not $need[$_] })
            if ($missing.Count -gt 0) {
                Stop-UpnMatch -Code 'GraphConfigMissing' -Category input -Message ('app-only Graph sign-in without ' + ($missing -join ', '))
            }
            $connect['TenantId'] = $TenantId
            $connect['ClientId'] = $ClientId
            $connect['Certificate'] = Find-UpnMatchCertificate -Thumbprint $CertificateThumbprint -Subject $CertificateSubject
        }
        'managed-identity' {
            $connect['Identity'] = $true
            # A user-assigned identity is named by its client id; without one, the system-assigned identity.
            if ($ClientId) { $connect['ClientId'] = $ClientId }
        }
        default {
            $connect['Scopes'] = $scopes
            if ($TenantId) { $connect['TenantId'] = $TenantId }
            if ($Auth -eq 'device-code') { $connect['UseDeviceCode'] = $true }
        }
    }
    try {
        $null = Connect-MgGraph @connect
    } catch {
        Stop-UpnMatch -Code 'GraphLoginFailed' -Category script -Message ('Graph sign-in failed: ' + $_.Exception.Message)
    }
    return (Get-MgContext)
}

function Invoke-UpnMatchGraph {
    <#
    .SYNOPSIS
        One Graph request. No retry here: the Graph SDK retries 429, 503 and 504 itself (3 times, honouring
        Retry-After); a retry of ours around it would multiply its requests.
    .DESCRIPTION
        Stops with GraphAccessDenied on 401/403 and with GraphRequestFailed when the SDK gave up retrying; other
        errors are thrown as Invoke-MgGraphRequest threw them (Get-UpnMatchGraphErrorInfo reads their status).
        -ErrorAction Stop: the SDK writes its retry failure as a non-terminating error, and a module function
        does not see its caller's $ErrorActionPreference.
    #>
    [CmdletBinding()]
    param(
        [ValidateSet('GET', 'POST', 'PATCH', 'DELETE')] [string] $Method = 'GET',
        [Parameter(Mandatory = $true)] [string] $Uri,
        $Body,
        [hashtable] $Headers = @{}
    )
    if ($Uri -notmatch '^https://') { $Uri = $script:GraphBase + $Uri }
    $request = @{ Method = $Method; Uri = $Uri; Headers = $Headers; OutputType = 'Hashtable'; ErrorAction = 'Stop' }
    if ($PSBoundParameters.ContainsKey('Body')) { $request['Body'] = (ConvertTo-Json -InputObject $Body -Depth 20 -Compress); $request['ContentType'] = 'application/json' }
    try {
        return (Invoke-MgGraphRequest @request)
    } catch {
        $failure = $_
        $info = Get-UpnMatchGraphErrorInfo $failure
        $route = $Method + ' ' + (($Uri -replace '^(https://[^/]+)?/v1\.0', '') -replace '\?.*$', '')
        try {
            if ($info.Status -eq 401 -or $info.Status -eq 403) {
                $detail = ''
                if ($info.Code) { $detail = ', ' + $info.Code }
                Stop-UpnMatch -Code 'GraphAccessDenied' -Target $route -Message ('Graph refused {0} (HTTP {1}{2})' -f $route, $info.Status, $detail)
            }
            if ($failure.Exception -is [System.AggregateException] -and $info.Status -gt 0) {
                Stop-UpnMatch -Code 'GraphRequestFailed' -Target $route -Message ('Graph kept answering HTTP {0} to {1} after the Graph SDK''s retries' -f $info.Status, $route)
            }
        } catch {
            # The HTTP status stays readable by the caller (Get-UpnMatchGraphErrorInfo).
            $_.Exception.Data['UpnMatchHttpStatus'] = $info.Status
            $_.Exception.Data['UpnMatchGraphCode'] = $info.Code
            throw
        }
        throw $failure
    }
}

function Invoke-UpnMatchGraphBatch {
    <#
    .SYNOPSIS
        Sends GET requests through Graph's $batch, 20 per call, sending again the items answered 429/503 (the
        batch itself answers 200, so the SDK's retry does not see them).
    .PARAMETER Activity
        Reported as progress (Write-UpnMatchProgress) after each call, as the share of ProgressTotal answered.
    .OUTPUTS
        A hashtable: request id -> @{ status; body }.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)] [AllowEmptyCollection()] [object[]] $Requests,
        [string] $Activity,
        [long] $ProgressTotal = -1
    )
    if ($ProgressTotal -lt 0) { $ProgressTotal = $Requests.Count }
    $results = @{}
    $pending = New-Object System.Collections.Generic.List[object]
    foreach ($r in $Requests) { $pending.Add($r) }
    $round = 0
    while ($pending.Count -gt 0) {
        $round++
        $retry = New-Object System.Collections.Generic.List[object]
        $wait = 0
        for ($i = 0; $i -lt $pending.Count; $i += 20) {
            $chunk = @($pending.GetRange($i, [Math]::Min(20, $pending.Count - $i)).ToArray())
            $body = @{ requests = @($chunk | ForEach-Object { $req = @{ id = [string]$_.id; method = 'GET'; url = [string]$_.url }; if ($_.ContainsKey('headers')) { $req['headers'] = $_.headers }; $req }) }
            $answer = Invoke-UpnMatchGraph -Method POST -Uri '/$batch' -Body $body
            $byId = @{}
            foreach ($c in $chunk) { $byId[[string]$c.id] = $c }
            foreach ($response in @($answer['responses'])) {
                $id = [string]$response['id']
                $status = [int]$response['status']
                if (($status -eq 429 -or $status -eq 503) -and $round -le $script:BatchItemRounds) {
                    $retry.Add($byId[$id])
                    $after = 1
                    if ($response.ContainsKey('headers') -and $null -ne $response['headers'] -and $response['headers'].ContainsKey('Retry-After')) { $after = [int]$response['headers']['Retry-After'] }
                    if ($after -gt $wait) { $wait = $after }
                } else {
                    $results[$id] = @{ status = $status; body = $response['body'] }
                }
            }
            if ($Activity) { Write-UpnMatchProgress -Activity $Activity -Done ([long][Math]::Floor($results.Count * $ProgressTotal / $Requests.Count)) -Total $ProgressTotal }
        }
        $pending = $retry
        if ($pending.Count -gt 0) { Start-Sleep -Seconds $wait }
    }
    return $results
}

function Get-UpnMatchGraphPages {
    <#
    .SYNOPSIS
        Follows @odata.nextLink and passes each page's items to a script block (no big list in memory).
    .PARAMETER Activity
        Reported as progress (Write-UpnMatchProgress) after each page: the items read so far.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)] [string] $Uri,
        [Parameter(Mandatory = $true)] [scriptblock] $OnItem,
        [hashtable] $Headers = @{},
        [string] $Activity
    )
    $next = $Uri
    $count = 0
    while ($next) {
        $page = Invoke-UpnMatchGraph -Uri $next -Headers $Headers
        foreach ($item in @($page['value'])) { $count++; $null = & $OnItem $item }
        if ($Activity) { Write-UpnMatchProgress -Activity $Activity -Done $count }
        $next = $null
        if ($page.ContainsKey('@odata.nextLink')) { $next = [string]$page['@odata.nextLink'] }
        # Let go of this page before the next is read (one page of 999 users held, not two).
        $page = $null
    }
    # The last count is the whole (the line above may have been skipped as too soon after the one before).
    if ($Activity) { Write-UpnMatchProgress -Activity $Activity -Done $count -Total $count }
    return $count
}

function Read-UpnMatchGraphAll {
    <#
    .SYNOPSIS
        Every item of a collection whose first page came back in a $batch answer (@{ status; body }): that
        page's items, then the next pages by @odata.nextLink.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] $Answer)
    $items = New-Object System.Collections.Generic.List[object]
    foreach ($item in @($Answer.body['value'])) { if ($null -ne $item) { $items.Add($item) } }
    if ($Answer.body.ContainsKey('@odata.nextLink')) {
        $null = Get-UpnMatchGraphPages -Uri ([string]$Answer.body['@odata.nextLink']) -OnItem { param($item) $items.Add($item) }
    }
    # Written one by one (callers collect them with @()): the items are hashtables, which a pipeline does not unroll.
    return $items.ToArray()
}

function Get-UpnMatchGraphCollections {
    <#
    .SYNOPSIS
        Reads several collections at once: their first pages in one $batch, then each one's next pages.
    .PARAMETER Collections
        Ordered map: name -> relative URL of the collection's first page.
    .PARAMETER OnItem
        Called with the collection's name and each item.
    .OUTPUTS
        A hashtable: name -> number of items read.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)] [System.Collections.IDictionary] $Collections,
        [Parameter(Mandatory = $true)] [scriptblock] $OnItem
    )
    $requests = @($Collections.Keys | ForEach-Object { @{ id = [string]$_; url = [string]$Collections[$_] } })
    $answers = Invoke-UpnMatchGraphBatch -Requests $requests
    $counts = @{}
    foreach ($name in @($Collections.Keys)) {
        $answer = $answers[[string]$name]
        if ($answer.status -ne 200) {
            Stop-UpnMatch -Code 'GraphRequestFailed' -Target ([string]$name) -Message ('Graph answered {0} when reading {1}' -f $answer.status, $name)
        }
        $count = 0
        foreach ($item in @($answer.body['value'])) { $count++; $null = & $OnItem $name $item }
        if ($answer.body.ContainsKey('@odata.nextLink')) {
            $count += Get-UpnMatchGraphPages -Uri ([string]$answer.body['@odata.nextLink']) -OnItem { param($item) & $OnItem $name $item }
        }
        $counts[[string]$name] = $count
    }
    return $counts
}

function Get-UpnMatchPrimarySmtp {
    <#
    .SYNOPSIS
        The primary SMTP address: the proxy address with the upper-case SMTP: prefix, else mail.
    #>
    [CmdletBinding()]
    param([AllowNull()] [object[]] $ProxyAddresses, [AllowNull()] [string] $Mail)
    foreach ($p in @($ProxyAddresses)) {
        if ($null -ne $p -and ([string]$p).StartsWith('SMTP:', [System.StringComparison]::Ordinal)) { return ([string]$p).Substring(5) }
    }
    if ($Mail) { return $Mail }
    return $null
}

function ConvertTo-UpnMatchAdUser {
    <#
    .SYNOPSIS
        Shapes an AD user field by field (no raw AD objects on the wire).
    .NOTES
        Called once per user of a batch: a plain function returning an ordered dictionary. Reading a
        [pscustomobject]'s properties to serialise it makes PowerShell keep a member table per object, which
        costs more memory than the user's data at ten thousand users.
        With -AnchorAttribute (the sync server's custom source anchor, an LDAP name the caller validated), its
        value is added as customAnchor: a string as is, binary as base64 (rule sheet 6.3).
    #>
    param($User, [string] $AnchorAttribute)
    $consistency = $null
    if ($null -ne $User.PSObject.Properties['mS-DS-ConsistencyGuid'] -and $null -ne $User.'mS-DS-ConsistencyGuid') {
        $consistency = [Convert]::ToBase64String([byte[]]$User.'mS-DS-ConsistencyGuid')
    }
    $get = { param($name) if ($null -ne $User.PSObject.Properties[$name]) { return $User.$name } return $null }
    $shaped = [ordered]@{
        ObjectGUID        = ([guid]$User.ObjectGUID).ToString()
        SamAccountName    = [string]$User.SamAccountName
        UserPrincipalName = (& $get 'UserPrincipalName')
        DistinguishedName = [string]$User.DistinguishedName
        Name              = (& $get 'Name')
        GivenName         = (& $get 'GivenName')
        Surname           = (& $get 'Surname')
        DisplayName       = (& $get 'DisplayName')
        mail              = (& $get 'mail')
        proxyAddresses    = @(@(& $get 'proxyAddresses') | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_ })
        consistencyGuid   = $consistency
        Enabled           = (& $get 'Enabled')
    }
    if ($AnchorAttribute) {
        # Read directly: a script block's output would unroll a byte[] into single bytes.
        $raw = $null
        if ($null -ne $User.PSObject.Properties[$AnchorAttribute]) { $raw = $User.$AnchorAttribute }
        if ($raw -is [byte[]]) { $raw = [Convert]::ToBase64String($raw) }
        if ($null -ne $raw) { $raw = [string]$raw }
        $shaped['customAnchor'] = $raw
    }
    return $shaped
}

# The cloud user fields plan's checks read: Get-CloudFacts and Get-DiscoverCloudUsers both $select them, so that
# discover's read serves as plan's.
$script:CloudUserFields = 'id,userPrincipalName,displayName,givenName,surname,mail,proxyAddresses,userType,accountEnabled,jobTitle,department,onPremisesImmutableId,onPremisesSyncEnabled,onPremisesLastSyncDateTime,onPremisesProvisioningErrors,onPremisesSecurityIdentifier'

function Get-UpnMatchCloudUserUri {
    <# The first page of every user with the fields of ConvertTo-UpnMatchCloudUser, 999 a page (Graph's most). #>
    return ('/users?$select=' + $script:CloudUserFields + '&$top=999')
}

function Get-UpnMatchItemValue($Item, [string] $Name) {
    # A Graph item (a dictionary from Invoke-MgGraphRequest) leaves out the fields it has no value for.
    if ($Item.ContainsKey($Name)) { return $Item[$Name] }
    return $null
}

function ConvertTo-UpnMatchCloudUser {
    <#
    .SYNOPSIS
        Shapes a Graph user field by field, as plan's checks read it (the fields of Get-UpnMatchCloudUserUri).
    .NOTES
        An ordered dictionary rather than a [pscustomobject]: tens of thousands are serialised (see ConvertTo-UpnMatchAdUser).
    #>
    param($Item)
    [ordered]@{
        id                           = [string]$Item['id']
        userPrincipalName            = [string](Get-UpnMatchItemValue $Item 'userPrincipalName')
        displayName                  = Get-UpnMatchItemValue $Item 'displayName'
        givenName                    = Get-UpnMatchItemValue $Item 'givenName'
        surname                      = Get-UpnMatchItemValue $Item 'surname'
        mail                         = Get-UpnMatchItemValue $Item 'mail'
        proxyAddresses               = @(@(Get-UpnMatchItemValue $Item 'proxyAddresses') | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_ })
        userType                     = Get-UpnMatchItemValue $Item 'userType'
        accountEnabled               = Get-UpnMatchItemValue $Item 'accountEnabled'
        jobTitle                     = Get-UpnMatchItemValue $Item 'jobTitle'
        department                   = Get-UpnMatchItemValue $Item 'department'
        onPremisesImmutableId        = Get-UpnMatchItemValue $Item 'onPremisesImmutableId'
        onPremisesSyncEnabled        = Get-UpnMatchItemValue $Item 'onPremisesSyncEnabled'
        onPremisesLastSyncDateTime   = Get-UpnMatchItemValue $Item 'onPremisesLastSyncDateTime'
        onPremisesProvisioningErrors = @(@(Get-UpnMatchItemValue $Item 'onPremisesProvisioningErrors') | Where-Object { $null -ne $_ })
        onPremisesSecurityIdentifier = Get-UpnMatchItemValue $Item 'onPremisesSecurityIdentifier'
    }
}

function ConvertTo-UpnMatchCloudObject {
    <#
    .SYNOPSIS
        Any cloud object that may hold a UPN, an address or an anchor (user, group, contact, deleted user), in short.
    #>
    param([string] $Kind, $Item)
    [ordered]@{
        kind                  = $Kind
        id                    = [string](Get-UpnMatchItemValue $Item 'id')
        displayName           = Get-UpnMatchItemValue $Item 'displayName'
        userPrincipalName     = Get-UpnMatchItemValue $Item 'userPrincipalName'
        mail                  = Get-UpnMatchItemValue $Item 'mail'
        proxyAddresses        = @(@(Get-UpnMatchItemValue $Item 'proxyAddresses') | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_ })
        onPremisesImmutableId = Get-UpnMatchItemValue $Item 'onPremisesImmutableId'
    }
}

function Invoke-UpnMatchOnSyncServer {
    <#
    .SYNOPSIS
        Runs a script block on the Entra Connect server: here when it is 'local', else by Invoke-Command.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)] [string] $ComputerName,
        [Parameter(Mandatory = $true)] [scriptblock] $ScriptBlock,
        [object[]] $ArgumentList = @()
    )
    if ($ComputerName -eq 'local' -or $ComputerName -eq 'localhost') {
        Import-Module ADSync -Verbose:$false
        return (& $ScriptBlock @ArgumentList)
    }
    $remote = [scriptblock]::Create('Import-Module ADSync; ' + $ScriptBlock.ToString())
    return (Invoke-Command -ComputerName $ComputerName -SessionOption (New-UpnMatchSyncSessionOption) -ScriptBlock $remote -ArgumentList $ArgumentList)
}

function New-UpnMatchSyncSessionOption {
    <#
    .SYNOPSIS
        The remoting options of every call to the Entra Connect server: bounds on what the server keeps running
        once this PowerShell is gone (killed by its watchdog with the node process, or cut off).
    .NOTES
        New-PSSessionOption (Microsoft.PowerShell.Core, Windows PowerShell 5.1 and PowerShell 7):
        - IdleTimeout 60000 ms, the smallest allowed ("The minimum value is 60000 (1 minute)"): the server closes
          a session that hears nothing from its client, heartbeats included, after a minute instead of the
          endpoint's default (hours), and closing it stops the command it runs;
        - OutputBufferingMode Block: should the session be left disconnected, its command stops when the output
          buffer fills ("Command pipeline execution on server is blocked until session is reconnected") rather than
          running on with its output dropped;
        - OperationTimeout 300000 ms: no single remoting operation of ours waits longer than 5 minutes.
        Nothing bounds a command the server has already started within that minute: a Start-ADSyncSyncCycle that
        was sent runs its cycle in the ADSync service to the end (README, "Unattended").
        Built as the object New-PSSessionOption returns (PSSessionOption, same properties): PowerShell 7 outside
        Windows has no WSMan options on that cmdlet, and the simulator runs there.
    #>
    [CmdletBinding()]
    param()
    $option = New-Object System.Management.Automation.Remoting.PSSessionOption
    $option.IdleTimeout = [TimeSpan]::FromMilliseconds(60000)
    $option.OutputBufferingMode = [System.Management.Automation.Runspaces.OutputBufferingMode]::Block
    $option.OperationTimeout = [TimeSpan]::FromMilliseconds(300000)
    return $option
}

Export-ModuleMember -Function Connect-UpnMatchGraph, Get-UpnMatchCloudUserUri, Get-UpnMatchItemValue, ConvertTo-UpnMatchCloudUser, ConvertTo-UpnMatchCloudObject, Find-UpnMatchCertificate, Invoke-UpnMatchGraph, Invoke-UpnMatchGraphBatch, Get-UpnMatchGraphPages, Get-UpnMatchGraphCollections, Read-UpnMatchGraphAll, ConvertTo-UpnMatchLdapValue, ConvertTo-UpnMatchODataLiteral, ConvertTo-UpnMatchAdUser, Get-UpnMatchGraphErrorInfo, Get-UpnMatchPrimarySmtp, Invoke-UpnMatchOnSyncServer, New-UpnMatchSyncSessionOption, Get-UpnMatchAdErrorKind
