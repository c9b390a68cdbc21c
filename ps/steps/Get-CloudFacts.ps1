<#
.SYNOPSIS
    Finds the batch's cloud users and every cloud object that holds one of the batch's keys.
.DESCRIPTION
    Keys: the cloud UPNs, the SMTP addresses of the AD accounts (and the UPNs as addresses) and
    their source anchors. Users, groups, contacts and soft-deleted users are read in pages of 999
    and compared in memory, so no untrusted value ever enters an OData filter.
.PARAMETER UserPrincipalName
    The batch's cloud UPNs.
.PARAMETER Address
    SMTP addresses to look for (without the smtp: prefix).
.PARAMETER Anchor
    Source anchors (base64) to look for in onPremisesImmutableId.
.PARAMETER SkipUsers
    Leave /users out (discover read every user already, and the caller looks for the keys among them): only
    groups, contacts and soft-deleted users are read, and every one read comes back (the caller looks for the keys
    among them too, so that no key list crosses into PowerShell).
.PARAMETER TenantId
    Tenant for app-only sign-in (with ClientId and CertificateThumbprint or CertificateSubject).
.PARAMETER Auth
    certificate, managed-identity (app-only), interactive or device-code (delegated).
.OUTPUTS
    { cloudUsers (the batch's users), cloudObjects (every other object that holds a key), scanned }
#>
[CmdletBinding()]
param(
    [string[]] $UserPrincipalName = @(),
    [string[]] $Address = @(),
    [string[]] $Anchor = @(),
    [switch] $SkipUsers,
    [string] $TenantId,
    [string] $ClientId,
    [ValidatePattern('^([0-9A-Fa-f]{40})?$')] [string] $CertificateThumbprint,
    [string] $CertificateSubject,
    [ValidateSet('certificate', 'managed-identity', 'interactive', 'device-code')] [string] $Auth = 'interactive',
    [ValidateSet('Global', 'USGov', 'USGovDoD', 'China')] [string] $Environment = 'Global'
)

Import-Module -Name (Join-Path (Split-Path -Parent $PSScriptRoot) 'UpnMatch.Directory') -Verbose:$false
$null = Connect-UpnMatchGraph -Auth $Auth -TenantId $TenantId -ClientId $ClientId -CertificateThumbprint $CertificateThumbprint -CertificateSubject $CertificateSubject -Environment $Environment -Access Read

$ignoreCase = [System.StringComparer]::OrdinalIgnoreCase
$upns = New-Object System.Collections.Generic.HashSet[string] -ArgumentList $ignoreCase
foreach ($u in $UserPrincipalName) { $null = $upns.Add($u) }
$addresses = New-Object System.Collections.Generic.HashSet[string] -ArgumentList $ignoreCase
foreach ($a in @($Address) + @($UserPrincipalName)) { if ($a) { $null = $addresses.Add($a) } }
$anchors = New-Object System.Collections.Generic.HashSet[string] -ArgumentList ([System.StringComparer]::Ordinal)
foreach ($a in $Anchor) { if ($a) { $null = $anchors.Add($a) } }

$cloudUsers = New-Object System.Collections.Generic.List[object]
$cloudObjects = New-Object System.Collections.Generic.List[object]

function Get-Value($item, $name) { if ($item.ContainsKey($name)) { return $item[$name] } return $null }

function Test-HoldsKey($item) {
    $upn = Get-Value $item 'userPrincipalName'
    if ($upn -and ($upns.Contains($upn) -or $addresses.Contains($upn))) { return $true }
    $mail = Get-Value $item 'mail'
    if ($mail -and ($addresses.Contains($mail) -or $upns.Contains($mail))) { return $true }
    foreach ($p in @(Get-Value $item 'proxyAddresses')) {
        if ($p -and ([string]$p) -match '^(?i)smtp:(.+)$' -and $addresses.Contains($Matches[1])) { return $true }
    }
    $anchor = Get-Value $item 'onPremisesImmutableId'
    if ($anchor -and $anchors.Contains($anchor)) { return $true }
    return $false
}

# Ordered dictionaries rather than [pscustomobject]s: thousands of them are serialised (see ConvertTo-UpnMatchAdUser).
function ConvertTo-CloudObject($kind, $item) {
    [ordered]@{
        kind                  = $kind
        id                    = [string](Get-Value $item 'id')
        displayName           = Get-Value $item 'displayName'
        userPrincipalName     = Get-Value $item 'userPrincipalName'
        mail                  = Get-Value $item 'mail'
        proxyAddresses        = @(@(Get-Value $item 'proxyAddresses') | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_ })
        onPremisesImmutableId = Get-Value $item 'onPremisesImmutableId'
    }
}

$userFields = 'id,userPrincipalName,displayName,givenName,surname,mail,proxyAddresses,userType,accountEnabled,jobTitle,department,onPremisesImmutableId,onPremisesSyncEnabled,onPremisesLastSyncDateTime,onPremisesProvisioningErrors,onPremisesSecurityIdentifier'
$scanned = [ordered]@{}
if (-not $SkipUsers) {
    $scanned.users = Get-UpnMatchGraphPages -Uri ('/users?$select=' + $userFields + '&$top=999') -Activity 'Reading cloud users' -OnItem {
        param($item)
        if (-not (Test-HoldsKey $item)) { return }
        $upn = Get-Value $item 'userPrincipalName'
        # The batch's own users go to cloudUsers only: the checks count them among the cloud objects too.
        if (-not ($upn -and $upns.Contains($upn))) {
            $cloudObjects.Add((ConvertTo-CloudObject 'user' $item))
        } else {
            $cloudUsers.Add([ordered]@{
                    id                           = [string]$item['id']
                    userPrincipalName            = [string]$upn
                    displayName                  = Get-Value $item 'displayName'
                    givenName                    = Get-Value $item 'givenName'
                    surname                      = Get-Value $item 'surname'
                    mail                         = Get-Value $item 'mail'
                    proxyAddresses               = @(@(Get-Value $item 'proxyAddresses') | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_ })
                    userType                     = Get-Value $item 'userType'
                    accountEnabled               = Get-Value $item 'accountEnabled'
                    jobTitle                     = Get-Value $item 'jobTitle'
                    department                   = Get-Value $item 'department'
                    onPremisesImmutableId        = Get-Value $item 'onPremisesImmutableId'
                    onPremisesSyncEnabled        = Get-Value $item 'onPremisesSyncEnabled'
                    onPremisesLastSyncDateTime   = Get-Value $item 'onPremisesLastSyncDateTime'
                    onPremisesProvisioningErrors = @(@(Get-Value $item 'onPremisesProvisioningErrors') | Where-Object { $null -ne $_ })
                    onPremisesSecurityIdentifier = Get-Value $item 'onPremisesSecurityIdentifier'
                })
        }
    }
}
# Groups, contacts and soft-deleted users: their first pages in one $batch.
$others = [ordered]@{
    group       = '/groups?$select=id,displayName,mail,proxyAddresses&$top=999'
    contact     = '/contacts?$select=id,displayName,mail,proxyAddresses&$top=999'
    deletedUser = '/directory/deletedItems/microsoft.graph.user?$select=id,userPrincipalName,displayName,mail,proxyAddresses,onPremisesImmutableId&$top=999'
}
$counts = Get-UpnMatchGraphCollections -Collections $others -OnItem {
    param($kind, $item)
    if ($SkipUsers -or (Test-HoldsKey $item)) { $cloudObjects.Add((ConvertTo-CloudObject $kind $item)) }
}
$scanned.groups = $counts['group']
$scanned.contacts = $counts['contact']
$scanned.deletedUsers = $counts['deletedUser']

[pscustomobject]@{
    cloudUsers   = $cloudUsers.ToArray()
    cloudObjects = $cloudObjects.ToArray()
    scanned      = [pscustomobject]$scanned
}
