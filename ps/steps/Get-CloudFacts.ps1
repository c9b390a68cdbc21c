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

function Test-HoldsKey($item) {
    $upn = Get-UpnMatchItemValue $item 'userPrincipalName'
    if ($upn -and ($upns.Contains($upn) -or $addresses.Contains($upn))) { return $true }
    $mail = Get-UpnMatchItemValue $item 'mail'
    if ($mail -and ($addresses.Contains($mail) -or $upns.Contains($mail))) { return $true }
    foreach ($p in @(Get-UpnMatchItemValue $item 'proxyAddresses')) {
        if ($p -and ([string]$p) -match '^(?i)smtp:(.+)$' -and $addresses.Contains($Matches[1])) { return $true }
    }
    $anchor = Get-UpnMatchItemValue $item 'onPremisesImmutableId'
    if ($anchor -and $anchors.Contains($anchor)) { return $true }
    return $false
}

$scanned = [ordered]@{}
if (-not $SkipUsers) {
    $scanned.users = Get-UpnMatchGraphPages -Uri (Get-UpnMatchCloudUserUri) -Activity 'Reading cloud users' -OnItem {
        param($item)
        if (-not (Test-HoldsKey $item)) { return }
        $upn = Get-UpnMatchItemValue $item 'userPrincipalName'
        # The batch's own users go to cloudUsers only: the checks count them among the cloud objects too.
        if (-not ($upn -and $upns.Contains($upn))) {
            $cloudObjects.Add((ConvertTo-UpnMatchCloudObject 'user' $item))
        } else {
            $cloudUsers.Add((ConvertTo-UpnMatchCloudUser $item))
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
    if ($SkipUsers -or (Test-HoldsKey $item)) { $cloudObjects.Add((ConvertTo-UpnMatchCloudObject $kind $item)) }
}
$scanned.groups = $counts['group']
$scanned.contacts = $counts['contact']
$scanned.deletedUsers = $counts['deletedUser']

[pscustomobject]@{
    cloudUsers   = $cloudUsers.ToArray()
    cloudObjects = $cloudObjects.ToArray()
    scanned      = [pscustomobject]$scanned
}
