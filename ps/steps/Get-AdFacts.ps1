<#
.SYNOPSIS
    Reads the forest and the AD users that matter to a batch, in a few LDAP queries.
.DESCRIPTION
    One query per domain and per chunk of keys: an OR filter of userPrincipalName (every domain:
    uniqueness is forest-wide) and, in the domain the tool writes to, sAMAccountName and
    distinguishedName. Every value is escaped for LDAP (RFC 4515) before it enters a filter.
.PARAMETER UserPrincipalName
    UPNs to find anywhere in the forest.
.PARAMETER SamAccountName
    Accounts to find in the domain the tool writes to.
.PARAMETER DistinguishedName
    Accounts to find by DN.
.PARAMETER Server
    Domain controller (or domain) to write to; the module's default otherwise.
.PARAMETER AnchorAttribute
    The Entra Connect server's custom source anchor attribute (LDAP name), read on each account as customAnchor:
    a string as is, binary as base64 (rule sheet 6.3). Not given for objectGUID and mS-DS-ConsistencyGuid.
.PARAMETER ChunkSize
    Clauses per LDAP query: 200 is about 100 users (a UPN and an account name each); a domain controller takes
    filters far longer than that.
.OUTPUTS
    { forest: { name, upnSuffixes, domains }, writeDomain, writeDomainControllers, users } (users with memberOf:
    their direct groups, for group-based sync filtering)
#>
[CmdletBinding()]
param(
    [string[]] $UserPrincipalName = @(),
    [string[]] $SamAccountName = @(),
    [string[]] $DistinguishedName = @(),
    [string] $Server,
    [ValidateRange(1, 1000)] [int] $ChunkSize = 200,
    [ValidatePattern('^([A-Za-z][A-Za-z0-9-]*)?$')] [string] $AnchorAttribute
)

Import-Module -Name (Join-Path (Split-Path -Parent $PSScriptRoot) 'UpnMatch.Directory') -Verbose:$false
Import-Module ActiveDirectory -Verbose:$false

$common = @{}
if ($Server) { $common['Server'] = $Server }
$forest = Get-ADForest @common
$writeDomain = Get-ADDomain @common
$domains = @($forest.Domains | ForEach-Object {
        $dns = [string]$_
        [pscustomobject]@{ dnsRoot = $dns; distinguishedName = (($dns.Split('.') | ForEach-Object { 'DC=' + $_ }) -join ',') }
    })

$properties = @('UserPrincipalName', 'DisplayName', 'GivenName', 'Surname', 'mail', 'proxyAddresses', 'mS-DS-ConsistencyGuid', 'Enabled', 'memberOf')
if ($AnchorAttribute) { $properties += $AnchorAttribute }
$found = [ordered]@{}
# Progress counts the accounts looked up (the write domain is searched by UPN, sAMAccountName and DN, the others by UPN).
$lookups = $UserPrincipalName.Count * $domains.Count + $SamAccountName.Count + $DistinguishedName.Count
$looked = 0
foreach ($domain in $domains) {
    $isWriteDomain = ($domain.dnsRoot -eq [string]$writeDomain.DNSRoot)
    $clauses = New-Object System.Collections.Generic.List[string]
    foreach ($u in $UserPrincipalName) { $clauses.Add('(userPrincipalName=' + (ConvertTo-UpnMatchLdapValue $u) + ')') }
    if ($isWriteDomain) {
        foreach ($s in $SamAccountName) { $clauses.Add('(sAMAccountName=' + (ConvertTo-UpnMatchLdapValue $s) + ')') }
        foreach ($d in $DistinguishedName) { $clauses.Add('(distinguishedName=' + (ConvertTo-UpnMatchLdapValue $d) + ')') }
    }
    $target = $domain.dnsRoot
    if ($isWriteDomain -and $Server) { $target = $Server }
    for ($i = 0; $i -lt $clauses.Count; $i += $ChunkSize) {
        $chunk = $clauses.GetRange($i, [Math]::Min($ChunkSize, $clauses.Count - $i))
        $filter = '(|' + ($chunk -join '') + ')'
        foreach ($user in @(Get-ADUser -LDAPFilter $filter -Server $target -SearchBase $domain.distinguishedName -Properties $properties -ResultPageSize 500)) {
            $shaped = ConvertTo-UpnMatchAdUser $user -AnchorAttribute $AnchorAttribute
            $shaped['memberOf'] = @(@($user.memberOf) | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_ })
            $found[$shaped.ObjectGUID] = $shaped
        }
        $looked += $chunk.Count
        Write-UpnMatchProgress -Activity 'Reading AD users' -Done $looked -Total $lookups
    }
}

[pscustomobject]@{
    forest      = [pscustomobject]@{
        name        = [string]$forest.Name
        upnSuffixes = @($forest.UPNSuffixes | ForEach-Object { [string]$_ })
        domains     = $domains
    }
    writeDomain = [string]$writeDomain.DNSRoot
    # Every DC of the write domain: where the run's writes must be visible when the connector's DC is unknown.
    writeDomainControllers = @($writeDomain.ReplicaDirectoryServers | Where-Object { $_ } | ForEach-Object { [string]$_ })
    users       = @($found.Values)
}
