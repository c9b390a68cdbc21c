<#
.SYNOPSIS
    Turns a tenant directory-sync feature on or off: UPN soft match, the soft-match block, or the block of
    cloud-object takeover through hard match.
.DESCRIPTION
    Graph: PATCH /directory/onPremisesSynchronization/{id} (delegated Global Administrator only). Enabling UPN
    soft match cannot be undone.
.PARAMETER Feature
    softMatchOnUpnEnabled, blockSoftMatchEnabled or blockCloudObjectTakeoverThroughHardMatchEnabled.
.OUTPUTS
    { feature, enabled, changed }
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [Parameter(Mandatory = $true)] [ValidateSet('softMatchOnUpnEnabled', 'blockSoftMatchEnabled', 'blockCloudObjectTakeoverThroughHardMatchEnabled')] [string] $Feature,
    [bool] $Enable = $true,
    [string] $TenantId,
    [string] $ClientId,
    [ValidatePattern('^([0-9A-Fa-f]{40})?$')] [string] $CertificateThumbprint,
    [string] $CertificateSubject,
    [ValidateSet('certificate', 'managed-identity', 'interactive', 'device-code')] [string] $Auth = 'interactive',
    [ValidateSet('Global', 'USGov', 'USGovDoD', 'China')] [string] $Environment = 'Global'
)

Import-Module -Name (Join-Path (Split-Path -Parent $PSScriptRoot) 'UpnMatch.Directory') -Verbose:$false
$changed = $false
$null = Connect-UpnMatchGraph -Auth $Auth -TenantId $TenantId -ClientId $ClientId -CertificateThumbprint $CertificateThumbprint -CertificateSubject $CertificateSubject -Environment $Environment -Access Write
try {
    $sync = @((Invoke-UpnMatchGraph -Uri '/directory/onPremisesSynchronization')['value'])[0]
} catch {
    $info = Get-UpnMatchGraphErrorInfo $_
    if ($info.Status -eq 403) { Stop-UpnMatch -Code 'DelegatedSignInRequired' -Category script -Target $Feature -Message ('Graph refused to change {0} (HTTP 403): it changes directory-sync features only for a delegated Global Administrator sign-in' -f $Feature) }
    throw
}
if ([bool]$sync['features'][$Feature] -ne $Enable -and $PSCmdlet.ShouldProcess('tenant', ('Set ' + $Feature + ' to ' + $Enable))) {
    # The whole features object just read, with one value changed: whether a partial object leaves the other
    # flags alone is not documented (rule sheet 8.4, open question 10.6), and Microsoft's own recipe sends it whole.
    $all = [ordered]@{}
    foreach ($name in @($sync['features'].Keys)) { $all[[string]$name] = $sync['features'][$name] }
    $all[$Feature] = $Enable
    $null = Invoke-UpnMatchGraph -Method PATCH -Uri ('/directory/onPremisesSynchronization/' + [Uri]::EscapeDataString([string]$sync['id'])) -Body @{ features = $all }
    $changed = $true
}
[pscustomobject]@{ feature = $Feature; enabled = $Enable; changed = $changed }
