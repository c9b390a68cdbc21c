<#
.SYNOPSIS
    Reads the tenant facts upn-match needs: directory sync, sync features, domains, role holders.
.NOTES
    Role holders, of every kind Graph serves ("List unifiedRoleAssignments", "List roleEligibilityScheduleInstances"):
    active assignments and PIM eligibilities, tenant-wide ("/") or scoped to an administrative unit
    ("/administrativeUnits/{id}"), to a user or to a role-assignable group (its members then hold the role; a group
    principal is not expanded, so its members are read with /groups/{id}/members). One $batch reads the
    assignments, the eligibilities and the role names; a second one the groups' members, only when a group holds a role.
.DESCRIPTION
    The features are read by every sign-in, app-only too: Microsoft's pages disagree whether the application
    permission OnPremDirectorySynchronization.Read.All lets an app read them (rule sheet 8.3, open question 10.5),
    so the tool tries. A refusal (401/403) is not a failure: featuresDenied says so, with featuresError, and the
    caller falls back to the feature record an admin wrote with `upn-match feature`.
.PARAMETER TenantId
    Tenant for app-only sign-in (with ClientId and CertificateThumbprint or CertificateSubject).
.PARAMETER Auth
    certificate, managed-identity (app-only), interactive or device-code (delegated).
.OUTPUTS
    { tenantId, directorySyncEnabled, features, featuresSource, featuresReadAt, featuresError, featuresDenied, domains, roleHolders, roleEligibilityError }
#>
[CmdletBinding()]
param(
    [string] $TenantId,
    [string] $ClientId,
    [ValidatePattern('^([0-9A-Fa-f]{40})?$')] [string] $CertificateThumbprint,
    [string] $CertificateSubject,
    [ValidateSet('certificate', 'managed-identity', 'interactive', 'device-code')] [string] $Auth = 'interactive',
    [ValidateSet('Global', 'USGov', 'USGovDoD', 'China')] [string] $Environment = 'Global'
)

Import-Module -Name (Join-Path (Split-Path -Parent $PSScriptRoot) 'UpnMatch.Directory') -Verbose:$false
$null = Connect-UpnMatchGraph -Auth $Auth -TenantId $TenantId -ClientId $ClientId -CertificateThumbprint $CertificateThumbprint -CertificateSubject $CertificateSubject -Environment $Environment -Access Read

# One $batch for what the tenant is: organization, domains, sync features, role assignments of every kind.
$requests = @(
    @{ id = 'organization'; url = '/organization?$select=id,onPremisesSyncEnabled' },
    @{ id = 'domains'; url = '/domains?$select=id,isVerified,authenticationType' },
    @{ id = 'roleDefinitions'; url = '/roleManagement/directory/roleDefinitions?$select=id,displayName' },
    @{ id = 'roleAssignments'; url = '/roleManagement/directory/roleAssignments?$expand=principal' },
    @{ id = 'roleEligibilities'; url = '/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal' },
    @{ id = 'features'; url = '/directory/onPremisesSynchronization' }
)
$answers = Invoke-UpnMatchGraphBatch -Requests $requests
foreach ($id in @('organization', 'domains')) {
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
$featuresDenied = $false
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
    $featuresDenied = $true
    $featuresError = 'Graph refused to read the directory-sync features (HTTP {0}{1}): an app needs the application permission OnPremDirectorySynchronization.Read.All (where Graph grants it), a person the Global Administrator role; or record them once with upn-match feature signed in as a person (delegated), and app-only runs use that record' -f $answer.status, $code
} else {
    Stop-UpnMatch -Code 'GraphRequestFailed' -Target 'onPremisesSynchronization' -Message ('Graph answered {0} when reading the directory-sync features' -f $answer.status)
}

# Role holders. Without the roles no user can be checked: a refused read of the assignments stops the step. The
# eligibilities may be unreadable where PIM is not licensed: that is reported (roleEligibilityError), not fatal.
foreach ($id in @('roleDefinitions', 'roleAssignments')) {
    if ($answers[$id].status -ne 200) { Stop-UpnMatch -Code 'RoleMembersUnreadable' -Target $id -Message ('could not read {0} (HTTP {1})' -f $id, $answers[$id].status) }
}
$roleEligibilityError = $null
$eligibilities = @()
$eligible = $answers['roleEligibilities']
if ($eligible.status -eq 200) { $eligibilities = @(Read-UpnMatchGraphAll -Answer $eligible) }
elseif ($eligible.status -eq 401 -or $eligible.status -eq 403) { Stop-UpnMatch -Code 'RoleMembersUnreadable' -Target 'roleEligibilities' -Message ('could not read the PIM-eligible role assignments (HTTP {0})' -f $eligible.status) }
else {
    $code = ''
    if ($eligible.body -and $eligible.body['error']) { $code = ', ' + [string]$eligible.body['error']['code'] }
    $roleEligibilityError = 'Graph answered {0}{1} when reading the PIM-eligible role assignments' -f $eligible.status, $code
}
$roleNames = @{}
foreach ($definition in @(Read-UpnMatchGraphAll -Answer $answers['roleDefinitions'])) { $roleNames[[string]$definition['id']] = [string]$definition['displayName'] }

$assignments = New-Object System.Collections.Generic.List[object]
foreach ($item in @(Read-UpnMatchGraphAll -Answer $answers['roleAssignments'])) { $assignments.Add(@{ kind = 'active'; item = $item }) }
foreach ($item in $eligibilities) { $assignments.Add(@{ kind = 'eligible'; item = $item }) }

$holders = New-Object System.Collections.Generic.List[object]
$groupAssignments = New-Object System.Collections.Generic.List[object]
foreach ($assignment in $assignments) {
    $item = $assignment.item
    $principal = $null
    if ($item.ContainsKey('principal')) { $principal = $item['principal'] }
    $type = ''
    if ($null -ne $principal -and $principal.ContainsKey('@odata.type')) { $type = [string]$principal['@odata.type'] }
    $roleId = [string]$item['roleDefinitionId']
    $roleName = $roleId
    if ($roleNames.ContainsKey($roleId)) { $roleName = $roleNames[$roleId] }
    $scope = "/"
    if ($item.ContainsKey('directoryScopeId') -and $item['directoryScopeId']) { $scope = [string]$item['directoryScopeId'] }
    $holding = [ordered]@{ userId = [string]$item['principalId']; kind = $assignment.kind; roleName = $roleName; directoryScopeId = $scope; viaGroup = $null }
    if ($type -eq '#microsoft.graph.group') { $groupAssignments.Add(@{ holding = $holding; groupName = [string]$principal['displayName'] }) }
    elseif ($type -eq '#microsoft.graph.user' -or $type -eq '') { $holders.Add($holding) }
}
# A role-assignable group holds its roles for its members (such a group cannot contain groups).
$groupIds = @($groupAssignments | ForEach-Object { $_.holding.userId } | Select-Object -Unique)
if ($groupIds.Count -gt 0) {
    $memberAnswers = Invoke-UpnMatchGraphBatch -Requests @($groupIds | ForEach-Object { @{ id = [string]$_; url = '/groups/' + [string]$_ + '/members?$select=id&$top=999' } })
    foreach ($groupAssignment in $groupAssignments) {
        $groupId = $groupAssignment.holding.userId
        $answer = $memberAnswers[$groupId]
        if ($answer.status -ne 200) { Stop-UpnMatch -Code 'RoleMembersUnreadable' -Target $groupId -Message ('could not read the members of role-assignable group {0} (HTTP {1})' -f $groupId, $answer.status) }
        $groupLabel = $groupAssignment.groupName
        if (-not $groupLabel) { $groupLabel = $groupId }
        foreach ($member in @(Read-UpnMatchGraphAll -Answer $answer)) {
            $holding = [ordered]@{}
            foreach ($key in @($groupAssignment.holding.Keys)) { $holding[$key] = $groupAssignment.holding[$key] }
            $holding.userId = [string]$member['id']
            $holding.viaGroup = $groupLabel
            $holders.Add($holding)
        }
    }
}

[pscustomobject]@{
    tenantId             = [string]$organization['id']
    directorySyncEnabled = [bool]$organization['onPremisesSyncEnabled']
    features             = $features
    featuresSource       = $featuresSource
    featuresReadAt       = $featuresReadAt
    featuresError        = $featuresError
    featuresDenied       = $featuresDenied
    domains              = $domains
    roleHolders          = $holders.ToArray()
    roleEligibilityError = $roleEligibilityError
}
