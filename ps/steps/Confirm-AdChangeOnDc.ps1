<#
.SYNOPSIS
    Makes sure the domain controllers Entra Connect imports from already serve the accounts with their new UPNs,
    so that the next delta sync cannot miss the run's own AD writes.
.DESCRIPTION
    For each domain controller: one LDAP query per chunk of users (an OR filter of the expected UPNs, escaped
    per RFC 4515) reads which accounts it serves with the UPN. An account a DC does not serve yet is replicated
    there from Source with Sync-ADObject ("replicates a single object between any two domain controllers that
    have partitions in common") and read again. What is still missing is reported, not fixed: the caller stops
    before the sync.
.PARAMETER Users
    The accounts, each a hashtable: ObjectGuid, UserPrincipalName (the UPN the run wrote), DistinguishedName.
.PARAMETER DomainControllers
    The DCs that must serve the change; none: the module's default DC (then nothing is replicated).
.PARAMETER Source
    The DC the accounts were written on: the source of Sync-ADObject. Without it nothing is replicated.
.PARAMETER ChunkSize
    UPNs per LDAP query.
.OUTPUTS
    { users: [ { objectGuid, visibleOn: [dc], missingOn: [dc] } ] in the order of Users, replicated }
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [ValidateNotNull()] [hashtable[]] $Users,
    [string[]] $DomainControllers = @(),
    [string] $Source,
    [ValidateRange(1, 1000)] [int] $ChunkSize = 500
)

Import-Module -Name (Join-Path (Split-Path -Parent $PSScriptRoot) 'UpnMatch.Directory') -Verbose:$false
Import-Module ActiveDirectory -Verbose:$false

function Get-VisibleGuids {
    <# The objectGUIDs (lower case) of the accounts that DC serves with their expected UPN. #>
    param([hashtable[]] $Items, [string] $Dc)
    $common = @{}
    if ($Dc) { $common['Server'] = $Dc }
    $expected = @{}
    foreach ($item in $Items) { $expected[([string]$item['ObjectGuid']).ToLowerInvariant()] = [string]$item['UserPrincipalName'] }
    $visible = New-Object 'System.Collections.Generic.HashSet[string]'
    for ($i = 0; $i -lt $Items.Count; $i += $ChunkSize) {
        $chunk = $Items[$i..([Math]::Min($i + $ChunkSize, $Items.Count) - 1)]
        $filter = '(|' + (($chunk | ForEach-Object { '(userPrincipalName=' + (ConvertTo-UpnMatchLdapValue ([string]$_['UserPrincipalName'])) + ')' }) -join '') + ')'
        foreach ($user in @(Get-ADUser -LDAPFilter $filter -Properties UserPrincipalName -ResultPageSize 500 @common)) {
            $guid = ([guid]$user.ObjectGUID).ToString()
            # The UPN compared exactly: the account must carry what the run wrote.
            if ($expected.ContainsKey($guid) -and [string]$user.UserPrincipalName -ceq $expected[$guid]) { $null = $visible.Add($guid) }
        }
    }
    return , $visible
}

$targets = @($DomainControllers | Where-Object { $_ })
if ($targets.Count -eq 0) { $targets = @('') }
$visibleOn = @{}
$missingOn = @{}
foreach ($item in $Users) {
    $key = ([string]$item['ObjectGuid']).ToLowerInvariant()
    $visibleOn[$key] = New-Object System.Collections.Generic.List[string]
    $missingOn[$key] = New-Object System.Collections.Generic.List[string]
}
$replicated = 0
foreach ($dc in $targets) {
    $seen = Get-VisibleGuids -Items $Users -Dc $dc
    $missing = @($Users | Where-Object { -not $seen.Contains(([string]$_['ObjectGuid']).ToLowerInvariant()) })
    if ($missing.Count -gt 0 -and $dc -and $Source -and -not $dc.Equals($Source, [StringComparison]::OrdinalIgnoreCase)) {
        foreach ($item in $missing) {
            try {
                Sync-ADObject -Object ([string]$item['DistinguishedName']) -Source $Source -Destination $dc
                $replicated++
            } catch {
                # A failed replication is reported as missing below; the caller stops before the sync.
                Write-Verbose ('Sync-ADObject to {0} failed for {1}: {2}' -f $dc, $item['DistinguishedName'], $_.Exception.Message)
            }
        }
        $again = Get-VisibleGuids -Items $missing -Dc $dc
        foreach ($guid in $again) { $null = $seen.Add($guid) }
    }
    $name = $dc
    if (-not $name) { $name = '(default)' }
    foreach ($item in $Users) {
        $key = ([string]$item['ObjectGuid']).ToLowerInvariant()
        if ($seen.Contains($key)) { $visibleOn[$key].Add($name) } else { $missingOn[$key].Add($name) }
    }
}

$results = New-Object System.Collections.Generic.List[object]
foreach ($item in $Users) {
    $key = ([string]$item['ObjectGuid']).ToLowerInvariant()
    $results.Add([pscustomobject]@{ objectGuid = $key; visibleOn = @($visibleOn[$key].ToArray()); missingOn = @($missingOn[$key].ToArray()) })
}
[pscustomobject]@{ users = $results.ToArray(); replicated = $replicated }
