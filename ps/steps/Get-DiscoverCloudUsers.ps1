<#
.SYNOPSIS
    Reads every user of the tenant for discover, in pages of 999: the cloud-only members in full, the others in short.
.DESCRIPTION
    One pass over /users ($select, $top=999): a member user with no onPremisesImmutableId that is not synced
    is cloud-only, and comes back with every field plan's checks read (Get-CloudFacts' cloudUsers), so that
    checking the proposals reads /users no second time. Every other user (guest, synced, anchored, filtered
    out) comes back short, as a cloud object (its UPN, addresses and anchor): AD accounts whose anchor is
    among them are represented already, and the checks look for the batch's keys among them.
    With -GroupId, the group's transitive user members are read first (ids only) and only they are kept.
    The domain filter is applied in memory: no value enters an OData filter.
.PARAMETER Domain
    Keep only cloud users whose UPN ends with @Domain.
.PARAMETER GroupId
    Keep only the (transitive) members of this group (object id).
.PARAMETER TenantId
    Tenant for app-only sign-in (with ClientId and CertificateThumbprint or CertificateSubject).
.PARAMETER Auth
    certificate, managed-identity (app-only), interactive or device-code (delegated).
.OUTPUTS
    { users (cloud-only members kept), others (every other user, short), counts { read, guests, synced, anchored, filteredOut } }
#>
[CmdletBinding()]
param(
    [ValidatePattern('^([A-Za-z0-9-]+\.)+[A-Za-z0-9-]+$')] [string] $Domain,
    [ValidatePattern('^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$')] [string] $GroupId,
    [string] $TenantId,
    [string] $ClientId,
    [ValidatePattern('^([0-9A-Fa-f]{40})?$')] [string] $CertificateThumbprint,
    [string] $CertificateSubject,
    [ValidateSet('certificate', 'managed-identity', 'interactive', 'device-code')] [string] $Auth = 'interactive',
    [ValidateSet('Global', 'USGov', 'USGovDoD', 'China')] [string] $Environment = 'Global'
)

Import-Module -Name (Join-Path (Split-Path -Parent $PSScriptRoot) 'UpnMatch.Directory') -Verbose:$false
$null = Connect-UpnMatchGraph -Auth $Auth -TenantId $TenantId -ClientId $ClientId -CertificateThumbprint $CertificateThumbprint -CertificateSubject $CertificateSubject -Environment $Environment -Access Read

$members = $null
if ($GroupId) {
    # The id is a GUID (ValidatePattern): safe in the path.
    $members = New-Object System.Collections.Generic.HashSet[string] -ArgumentList ([System.StringComparer]::OrdinalIgnoreCase)
    $null = Get-UpnMatchGraphPages -Uri ('/groups/' + $GroupId + '/transitiveMembers/microsoft.graph.user?$select=id&$top=999') -OnItem {
        param($item)
        $null = $members.Add([string]$item['id'])
    }
}
$suffix = $null
if ($Domain) { $suffix = '@' + $Domain }

# Each user written as its JSON text as it is read (New-UpnMatchJsonList): the tenant is never held here.
$users = New-UpnMatchJsonList -Field 'users'
$others = New-UpnMatchJsonList -Field 'others'
$counts = [ordered]@{ read = 0; guests = 0; synced = 0; anchored = 0; filteredOut = 0 }

# Get-CloudFacts' fields: the kept users are the batch's cloud users when plan's checks run.
$counts.read = Get-UpnMatchGraphPages -Uri (Get-UpnMatchCloudUserUri) -Activity 'Reading cloud users' -OnItem {
    param($item)
    $anchor = Get-UpnMatchItemValue $item 'onPremisesImmutableId'
    if ((Get-UpnMatchItemValue $item 'userType') -eq 'Guest') { $counts.guests++; Add-UpnMatchJsonItem $others (ConvertTo-UpnMatchCloudObject 'user' $item); return }
    if ((Get-UpnMatchItemValue $item 'onPremisesSyncEnabled') -eq $true) { $counts.synced++; Add-UpnMatchJsonItem $others (ConvertTo-UpnMatchCloudObject 'user' $item); return }
    # No longer synced but still anchored: a previously synced user, not cloud-only.
    if ($anchor) { $counts.anchored++; Add-UpnMatchJsonItem $others (ConvertTo-UpnMatchCloudObject 'user' $item); return }
    $upn = [string](Get-UpnMatchItemValue $item 'userPrincipalName')
    if ($null -ne $suffix -and -not $upn.EndsWith($suffix, [System.StringComparison]::OrdinalIgnoreCase)) { $counts.filteredOut++; Add-UpnMatchJsonItem $others (ConvertTo-UpnMatchCloudObject 'user' $item); return }
    if ($null -ne $members -and -not $members.Contains([string]$item['id'])) { $counts.filteredOut++; Add-UpnMatchJsonItem $others (ConvertTo-UpnMatchCloudObject 'user' $item); return }
    Add-UpnMatchJsonItem $users (ConvertTo-UpnMatchCloudUser $item)
}

[pscustomobject]@{
    users  = $users
    others = $others
    counts = [pscustomobject]$counts
}
