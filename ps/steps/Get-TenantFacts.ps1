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

# One $batch for what the tenant is: organization, domains, sync features, activated roles.
$requests = @(
    @{ id = 'organization'; url = '/organization?$select=id,onPremisesSyncEnabled' },
    @{ id = 'domains'; url = '/domains?$select=id,isVerified,authenticationType' },
    @{ id = 'roles'; url = '/directoryRoles?$select=id,displayName' }
)
if ($Cloud -eq 'graph') { $requests += @{ id = 'features'; url = '/directory/onPremisesSynchronization' } }
$answers = Invoke-UpnMatchGraphBatch -Requests $requests
foreach ($id in @('organization', 'domains', 'roles')) {
    if ($answers[$id].status -ne 200) {
        Stop-UpnMatch -Code 'GraphRequestFailed' -Target $id -Message ('Graph answered {0} when reading {1}{2}' -f $answers[$id].status, $id, $(if ($answers[$id].body -and $answers[$id].body['error']) { ': ' + $answers[$id].body['error']['code'] } else { '' }))
    }
}
$organization = @($answers['organization'].body['value'])[0]
$domains = @(@($answers['domains'].body['value']) | ForEach-Object {
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
    $answer = $answers['features']
    if ($answer.status -eq 200) {
        $f = @($answer.body['value'])[0]['features']
        # A flag Graph did not send is unknown, never off: then the features are reported unreadable, with the names.
        $wanted = @('softMatchOnUpnEnabled', 'blockSoftMatchEnabled', 'blockCloudObjectTakeoverThroughHardMatchEnabled', 'passwordSyncEnabled')
        $missing = @($wanted | Where-Object { $null -eq $f -or -not $f.Contains($_) -or $null -eq $f[$_] })
        if ($missing.Count -gt 0) {
            $featuresError = 'Graph sent the directory-sync features without {0}: their state is unknown' -f ($missing -join ', ')
        } else {
            $features = [pscustomobject]@{
                softMatchOnUpnEnabled                           = [bool]$f['softMatchOnUpnEnabled']
                blockSoftMatchEnabled                           = [bool]$f['blockSoftMatchEnabled']
                blockCloudObjectTakeoverThroughHardMatchEnabled = [bool]$f['blockCloudObjectTakeoverThroughHardMatchEnabled']
                passwordSyncEnabled                             = [bool]$f['passwordSyncEnabled']
            }
            $featuresSource = 'graph'
            $featuresReadAt = [datetime]::UtcNow
        }
    } elseif ($answer.status -eq 403 -or $answer.status -eq 401) {
        $code = ''
        if ($answer.body -and $answer.body['error']) { $code = ', ' + [string]$answer.body['error']['code'] }
        $featuresError = 'Graph refused to read the directory-sync features (HTTP {0}{1}): it serves them to delegated sign-ins of a Global Administrator only' -f $answer.status, $code
    } else {
        Stop-UpnMatch -Code 'GraphRequestFailed' -Target 'onPremisesSynchronization' -Message ('Graph answered {0} when reading the directory-sync features' -f $answer.status)
    }
}

# Role holders: every member of every activated directory role (each role's members, by $batch).
$roles = @($answers['roles'].body['value'])
$memberRequests = @($roles | ForEach-Object { @{ id = [string]$_['id']; url = '/directoryRoles/' + [string]$_['id'] + '/members?$select=id&$top=999' } })
$holders = New-Object System.Collections.Generic.HashSet[string]
if ($memberRequests.Count -gt 0) {
    $members = Invoke-UpnMatchGraphBatch -Requests $memberRequests
    foreach ($key in $members.Keys) {
        $answer = $members[$key]
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
