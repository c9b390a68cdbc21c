<#
.SYNOPSIS
    Reads every AD user under the given search bases (Entra Connect's sync scope), in pages, for discover.
.DESCRIPTION
    One paged search per search base (-ResultPageSize, 1,000 by default: the domain controller's MaxPageSize),
    against the domain that holds the base. The LDAP filter is a constant: no value enters it. Without a
    search base, every domain of the forest is read.
.PARAMETER SearchBase
    Distinguished names of the containers to read (their subtrees).
.PARAMETER Server
    Domain controller (or domain) of the domain the tool writes to; the module's default otherwise.
.PARAMETER PageSize
    Objects per LDAP page.
.OUTPUTS
    { searchBases, users }
#>
[CmdletBinding()]
param(
    [string[]] $SearchBase = @(),
    [string] $Server,
    [ValidateRange(1, 5000)] [int] $PageSize = 1000
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

# Each base goes to the domain whose DN ends it (the longest such DN: child domains before their parent).
$bases = New-Object System.Collections.Generic.List[object]
$requested = @($SearchBase | Where-Object { $_ })
if ($requested.Count -eq 0) { $requested = @($domains | ForEach-Object { $_.distinguishedName }) }
foreach ($base in $requested) {
    $owner = $null
    foreach ($domain in $domains) {
        $dn = $domain.distinguishedName
        if ($base.Equals($dn, [System.StringComparison]::OrdinalIgnoreCase) -or $base.EndsWith(',' + $dn, [System.StringComparison]::OrdinalIgnoreCase)) {
            if ($null -eq $owner -or $dn.Length -gt $owner.distinguishedName.Length) { $owner = $domain }
        }
    }
    if ($null -eq $owner) { Stop-UpnMatch -Code 'SearchBaseOutsideForest' -Category input -Target $base -Message ('the search base is in no domain of the forest: ' + $base) }
    $bases.Add([pscustomobject]@{ base = [string]$base; domain = $owner.dnsRoot })
}

$properties = @('UserPrincipalName', 'DisplayName', 'GivenName', 'Surname', 'mail', 'proxyAddresses', 'mS-DS-ConsistencyGuid', 'Enabled')
$users = New-Object System.Collections.Generic.List[object]
foreach ($entry in $bases) {
    $target = $entry.domain
    if ($Server -and $entry.domain -eq $writeDomain) { $target = $Server }
    Get-ADUser -LDAPFilter '(&(objectCategory=person)(objectClass=user))' -SearchBase $entry.base -Server $target -Properties $properties -ResultPageSize $PageSize |
        ForEach-Object { $users.Add((ConvertTo-UpnMatchAdUser $_)) }
}

[pscustomobject]@{
    searchBases = @($bases | ForEach-Object { $_.base })
    users       = $users.ToArray()
}
