<#
.SYNOPSIS
    Reads, for each cloud UPN, whether the cloud user now carries an on-premises anchor, and which other
    users carry the anchor its AD account was given.
.DESCRIPTION
    One Graph $batch request per 20 requests. When a match fails, Entra's duplicate attribute resiliency
    provisions a second, synced cloud user with the AD account's anchor and logs no export error: another
    user carrying the anchor is that duplicate.
.PARAMETER UserPrincipalName
    The cloud UPNs to look at.
.PARAMETER Anchor
    For each UPN, in the same order, the source anchor (base64) of the AD account written for it; empty for
    none. Without it, no other user is looked for.
.PARAMETER TenantId
    Tenant for app-only sign-in (with ClientId and CertificateThumbprint or CertificateSubject).
.PARAMETER Auth
    certificate, managed-identity (app-only), interactive or device-code (delegated).
.OUTPUTS
    { users: [ { userPrincipalName, found, id, onPremisesImmutableId, onPremisesSyncEnabled, onPremisesLastSyncDateTime,
      anchorHolders: [ { id, userPrincipalName, onPremisesSyncEnabled } ] } ] }
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string[]] $UserPrincipalName,
    [AllowEmptyString()] [string[]] $Anchor = @(),
    [string] $TenantId,
    [string] $ClientId,
    [ValidatePattern('^([0-9A-Fa-f]{40})?$')] [string] $CertificateThumbprint,
    [string] $CertificateSubject,
    [ValidateSet('certificate', 'managed-identity', 'interactive', 'device-code')] [string] $Auth = 'interactive',
    [ValidateSet('Global', 'USGov', 'USGovDoD', 'China')] [string] $Environment = 'Global'
)

Import-Module -Name (Join-Path (Split-Path -Parent $PSScriptRoot) 'UpnMatch.Directory') -Verbose:$false
$null = Connect-UpnMatchGraph -Auth $Auth -TenantId $TenantId -ClientId $ClientId -CertificateThumbprint $CertificateThumbprint -CertificateSubject $CertificateSubject -Environment $Environment -Access Read

if ($Anchor.Count -gt 0 -and $Anchor.Count -ne $UserPrincipalName.Count) {
    Stop-UpnMatch -Code 'AnchorListMismatch' -Category input -Message ('{0} anchors for {1} users' -f $Anchor.Count, $UserPrincipalName.Count)
}
$requests = New-Object System.Collections.Generic.List[object]
for ($i = 0; $i -lt $UserPrincipalName.Count; $i++) {
    $requests.Add(@{ id = [string]$i; url = '/users/' + [Uri]::EscapeDataString($UserPrincipalName[$i]) + '?$select=id,userPrincipalName,onPremisesImmutableId,onPremisesSyncEnabled,onPremisesLastSyncDateTime' })
    if ($i -lt $Anchor.Count -and $Anchor[$i]) {
        # onPremisesImmutableId supports $filter eq (Graph user resource); the value is an escaped OData literal.
        $filter = 'onPremisesImmutableId eq ' + (ConvertTo-UpnMatchODataLiteral $Anchor[$i])
        $requests.Add(@{ id = 'a' + $i; url = '/users?$filter=' + [Uri]::EscapeDataString($filter) + '&$select=id,userPrincipalName,onPremisesSyncEnabled' })
    }
}
$answers = Invoke-UpnMatchGraphBatch -Requests $requests.ToArray() -Activity 'Verifying' -ProgressTotal $UserPrincipalName.Count
$users = for ($i = 0; $i -lt $UserPrincipalName.Count; $i++) {
    $answer = $answers[[string]$i]
    $found = $answer.status -eq 200
    if (-not $found -and $answer.status -ne 404) {
        Stop-UpnMatch -Code 'GraphRequestFailed' -Target $UserPrincipalName[$i] -Message ('Graph answered {0} for {1}' -f $answer.status, $UserPrincipalName[$i])
    }
    $body = @{}
    if ($found) { $body = $answer.body }
    $holders = New-Object System.Collections.Generic.List[object]
    $byAnchor = $answers['a' + $i]
    if ($null -ne $byAnchor) {
        if ($byAnchor.status -ne 200) {
            Stop-UpnMatch -Code 'GraphRequestFailed' -Target $UserPrincipalName[$i] -Message ('Graph answered {0} when looking for the anchor of {1}' -f $byAnchor.status, $UserPrincipalName[$i])
        }
        foreach ($other in @($byAnchor.body['value'])) {
            if ($null -eq $other -or ($found -and [string]$other['id'] -eq [string]$body['id'])) { continue }
            $holders.Add([pscustomobject]@{ id = [string]$other['id']; userPrincipalName = [string]$other['userPrincipalName']; onPremisesSyncEnabled = $other['onPremisesSyncEnabled'] })
        }
    }
    [pscustomobject]@{
        userPrincipalName          = $UserPrincipalName[$i]
        found                      = $found
        id                         = $(if ($found) { [string]$body['id'] } else { $null })
        onPremisesImmutableId      = $(if ($found) { $body['onPremisesImmutableId'] } else { $null })
        onPremisesSyncEnabled      = $(if ($found) { $body['onPremisesSyncEnabled'] } else { $null })
        onPremisesLastSyncDateTime = $(if ($found) { $body['onPremisesLastSyncDateTime'] } else { $null })
        anchorHolders              = $holders.ToArray()
    }
}
[pscustomobject]@{ users = @($users) }
