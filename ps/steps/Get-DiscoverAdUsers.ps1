<#
.SYNOPSIS
    Reads every AD user of the forest, domain by domain in pages, for discover.
.DESCRIPTION
    One paged search per domain (-ResultPageSize, 1,000 by default: a domain controller's MaxPageSize). The
    whole forest is read, not only Entra Connect's sync scope: the precondition checks need every account
    (a cloud UPN must be unique in the forest); discover keeps those in scope for pairing. The LDAP filter is
    a constant: no value enters it.
.PARAMETER Server
    Domain controller (or domain) of the domain the tool writes to; the module's default otherwise.
.PARAMETER PageSize
    Objects per LDAP page.
.PARAMETER AnchorAttribute
    The Entra Connect server's custom source anchor attribute (LDAP name), read on each account as customAnchor,
    so that accounts represented in the cloud under it are known. Not given for objectGUID and mS-DS-ConsistencyGuid.
.PARAMETER MemberOf
    Read each account's direct groups too (memberOf), for a server that filters by group.
.OUTPUTS
    { forest: { name, upnSuffixes, domains }, writeDomain, users } (the shape of Get-AdFacts)
#>
[CmdletBinding()]
param(
    [string] $Server,
    [ValidateRange(1, 5000)] [int] $PageSize = 1000,
    [ValidatePattern('^([A-Za-z][A-Za-z0-9-]*)?$')] [string] $AnchorAttribute,
    [switch] $MemberOf
)

Import-Module -Name (Join-Path (Split-Path -Parent $PSScriptRoot) 'UpnMatch.Directory') -Verbose:$false
Import-Module ActiveDirectory -Verbose:$false

$common = @{}
if ($Server) { $common['Server'] = $Server }
$forest = Get-ADForest @common
$writeDomain = [string](Get-ADDomain @common).DNSRoot
$domains = @($forest.Domains | ForEach-Object {
        $dns = [string]$_
        [pscustomobject]@{ dnsRoot = $dns; distinguishedName = (($dns.Split('.') | ForEach-Object { 'DC=' + $_ }) -join ',') }
    })

$properties = @('UserPrincipalName', 'DisplayName', 'GivenName', 'Surname', 'mail', 'proxyAddresses', 'mS-DS-ConsistencyGuid', 'Enabled')
if ($AnchorAttribute) { $properties += $AnchorAttribute }
if ($MemberOf) { $properties += 'memberOf' }
# Each account written as its JSON text as it is read (New-UpnMatchJsonList): the forest is never held here.
$users = New-UpnMatchJsonList -Field 'users'
foreach ($domain in $domains) {
    $target = $domain.dnsRoot
    if ($Server -and $domain.dnsRoot -eq $writeDomain) { $target = $Server }
    Get-ADUser -LDAPFilter '(&(objectCategory=person)(objectClass=user))' -SearchBase $domain.distinguishedName -Server $target -Properties $properties -ResultPageSize $PageSize |
        ForEach-Object {
            $shaped = ConvertTo-UpnMatchAdUser $_ -AnchorAttribute $AnchorAttribute
            if ($MemberOf) { $shaped['memberOf'] = @(@($_.memberOf) | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_ }) }
            Add-UpnMatchJsonItem $users $shaped
        }
}

[pscustomobject]@{
    forest      = [pscustomobject]@{
        name        = [string]$forest.Name
        upnSuffixes = @($forest.UPNSuffixes | ForEach-Object { [string]$_ })
        domains     = $domains
    }
    writeDomain = $writeDomain
    users       = $users
}
