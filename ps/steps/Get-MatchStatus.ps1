<#
.SYNOPSIS
    Reads, for each cloud UPN, whether the cloud user now carries an on-premises anchor.
.DESCRIPTION
    One Graph $batch request per 20 users.
.PARAMETER UserPrincipalName
    The cloud UPNs to look at.
.PARAMETER TenantId
    Tenant for app-only sign-in (with ClientId and CertificateThumbprint).
.PARAMETER Interactive
    Sign in as a user instead (delegated).
.OUTPUTS
    { users: [ { userPrincipalName, found, id, onPremisesImmutableId, onPremisesSyncEnabled, onPremisesLastSyncDateTime } ] }
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string[]] $UserPrincipalName,
    [string] $TenantId,
    [string] $ClientId,
    [ValidatePattern('^([0-9A-Fa-f]{40})?$')] [string] $CertificateThumbprint,
    [switch] $Interactive
)

Import-Module -Name (Join-Path (Split-Path -Parent $PSScriptRoot) 'UpnMatch.Directory') -Verbose:$false
$null = Connect-UpnMatchGraph -TenantId $TenantId -ClientId $ClientId -CertificateThumbprint $CertificateThumbprint -Interactive:$Interactive

$requests = New-Object System.Collections.Generic.List[object]
for ($i = 0; $i -lt $UserPrincipalName.Count; $i++) {
    $requests.Add(@{ id = [string]$i; url = '/users/' + [Uri]::EscapeDataString($UserPrincipalName[$i]) + '?$select=id,userPrincipalName,onPremisesImmutableId,onPremisesSyncEnabled,onPremisesLastSyncDateTime' })
}
$answers = Invoke-UpnMatchGraphBatch -Requests $requests.ToArray()
$users = for ($i = 0; $i -lt $UserPrincipalName.Count; $i++) {
    $answer = $answers[[string]$i]
    if ($answer.status -eq 200) {
        $body = $answer.body
        [pscustomobject]@{
            userPrincipalName          = $UserPrincipalName[$i]
            found                      = $true
            id                         = [string]$body['id']
            onPremisesImmutableId      = $body['onPremisesImmutableId']
            onPremisesSyncEnabled      = $body['onPremisesSyncEnabled']
            onPremisesLastSyncDateTime = $body['onPremisesLastSyncDateTime']
        }
    } elseif ($answer.status -eq 404) {
        [pscustomobject]@{ userPrincipalName = $UserPrincipalName[$i]; found = $false; id = $null; onPremisesImmutableId = $null; onPremisesSyncEnabled = $null; onPremisesLastSyncDateTime = $null }
    } else {
        Stop-UpnMatch -Code 'GraphRequestFailed' -Target $UserPrincipalName[$i] -Message ('Graph answered {0} for {1}' -f $answer.status, $UserPrincipalName[$i])
    }
}
[pscustomobject]@{ users = @($users) }
