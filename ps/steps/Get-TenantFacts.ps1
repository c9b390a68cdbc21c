<#
.SYNOPSIS
    Reads the tenant facts upn-match needs: directory sync, sync features, domains, role holders.
.DESCRIPTION
    Graph serves /directory/onPremisesSynchronization to delegated sign-ins only; an app-only run
    gets 403 and reports features as unreadable (featuresError) instead of failing.
.PARAMETER Cloud
    graph, or msonline to read the features with Get-MsolDirSyncFeatures (legacy).
.PARAMETER TenantId
    Tenant for app-only sign-in (with ClientId and CertificateThumbprint).
.PARAMETER Interactive
    Sign in as a user instead (delegated).
.OUTPUTS
    { tenantId, directorySyncEnabled, features, featuresSource, featuresReadAt, featuresError, domains, roleHolderIds }
#>
[CmdletBinding()]
param(
    [ValidateSet('graph', 'msonline')] [string] $Cloud = 'graph',
    [string] $TenantId,
    [string] $ClientId,
    [ValidatePattern('^([0-9A-Fa-f]{40})?$')] [string] $CertificateThumbprint,
    [switch] $Interactive
)

Import-Module -Name (Join-Path (Split-Path -Parent $PSScriptRoot) 'UpnMatch.Directory') -Verbose:$false
$null = Connect-UpnMatchGraph -TenantId $TenantId -ClientId $ClientId -CertificateThumbprint $CertificateThumbprint -Interactive:$Interactive

$organization = @((Invoke-UpnMatchGraph -Uri '/organization?$select=id,onPremisesSyncEnabled')['value'])[0]
$domains = @((Invoke-UpnMatchGraph -Uri '/domains?$select=id,isVerified,authenticationType')['value'] | ForEach-Object {
        [pscustomobject]@{ id = [string]$_['id']; isVerified = [bool]$_['isVerified']; authenticationType = [string]$_['authenticationType'] }
    })

$features = $null
$featuresSource = 'unavailable'
$featuresError = $null
$featuresReadAt = $null
if ($Cloud -eq 'msonline') {
    Import-Module MSOnline -Verbose:$false
    try { $rows = @(Get-MsolDirSyncFeatures) } catch { Connect-MsolService; $rows = @(Get-MsolDirSyncFeatures) }
    $byName = @{}
    foreach ($row in $rows) { $byName[[string]$row.DirSyncFeature] = [bool]$row.Enabled }
    $read = { param($name) if ($byName.ContainsKey($name)) { return $byName[$name] } return $false }
    $features = [pscustomobject]@{
        softMatchOnUpnEnabled                           = (& $read 'EnableSoftMatchOnUpn')
        blockSoftMatchEnabled                           = (& $read 'BlockSoftMatch')
        blockCloudObjectTakeoverThroughHardMatchEnabled = (& $read 'BlockCloudObjectTakeoverThroughHardMatch')
        passwordSyncEnabled                             = (& $read 'PasswordSync')
    }
    $featuresSource = 'msonline'
    $featuresReadAt = [datetime]::UtcNow
} else {
    try {
        $sync = @((Invoke-UpnMatchGraph -Uri '/directory/onPremisesSynchronization')['value'])[0]
        $f = $sync['features']
        $features = [pscustomobject]@{
            softMatchOnUpnEnabled                           = [bool]$f['softMatchOnUpnEnabled']
            blockSoftMatchEnabled                           = [bool]$f['blockSoftMatchEnabled']
            blockCloudObjectTakeoverThroughHardMatchEnabled = [bool]$f['blockCloudObjectTakeoverThroughHardMatchEnabled']
            passwordSyncEnabled                             = [bool]$f['passwordSyncEnabled']
        }
        $featuresSource = 'graph'
        $featuresReadAt = [datetime]::UtcNow
    } catch {
        $info = Get-UpnMatchGraphErrorInfo $_
        if ($info.Status -ne 403 -and $info.Status -ne 401) { throw }
        $featuresError = 'Graph refused to read the directory-sync features (HTTP {0}{1}): it serves them to delegated sign-ins of a Global Administrator only' -f $info.Status, $(if ($info.Code) { ', ' + $info.Code } else { '' })
    }
}

# Role holders: every member of every activated directory role (a role's members by $batch).
$roles = @((Invoke-UpnMatchGraph -Uri '/directoryRoles?$select=id,displayName')['value'])
$requests = @($roles | ForEach-Object { @{ id = [string]$_['id']; url = '/directoryRoles/' + [string]$_['id'] + '/members?$select=id&$top=999' } })
$holders = New-Object System.Collections.Generic.HashSet[string]
if ($requests.Count -gt 0) {
    $answers = Invoke-UpnMatchGraphBatch -Requests $requests
    foreach ($key in $answers.Keys) {
        $answer = $answers[$key]
        if ($answer.status -ne 200) { Stop-UpnMatch -Code 'RoleMembersUnreadable' -Message ('could not read the members of directory role {0} (HTTP {1})' -f $key, $answer.status) }
        foreach ($member in @($answer.body['value'])) { $null = $holders.Add([string]$member['id']) }
    }
}

[pscustomobject]@{
    tenantId             = [string]$organization['id']
    directorySyncEnabled = [bool]$organization['onPremisesSyncEnabled']
    features             = $features
    featuresSource       = $featuresSource
    featuresReadAt       = $featuresReadAt
    featuresError        = $featuresError
    domains              = $domains
    roleHolderIds        = @($holders)
}
