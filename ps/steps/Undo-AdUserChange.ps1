<#
.SYNOPSIS
    Undoes what Set-AdUserForMatch did to one account: restores the previous UPN or removes the account it created.
.DESCRIPTION
    Refuses when the account no longer carries the UPN the run wrote (someone changed it since).
.PARAMETER ObjectGuid
    The account, by objectGUID.
.PARAMETER Action
    restore-upn or remove.
.OUTPUTS
    { objectGuid, action, done }
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [Parameter(Mandatory = $true)] [guid] $ObjectGuid,
    [Parameter(Mandatory = $true)] [ValidateSet('restore-upn', 'remove')] [string] $Action,
    [Parameter(Mandatory = $true)] [string] $ExpectedUserPrincipalName,
    [AllowEmptyString()] [string] $PreviousUserPrincipalName,
    [string] $Server
)

Import-Module -Name (Join-Path (Split-Path -Parent $PSScriptRoot) 'UpnMatch.Directory') -Verbose:$false
Import-Module ActiveDirectory -Verbose:$false
$common = @{}
if ($Server) { $common['Server'] = $Server }
try {
    $user = Get-ADUser -Identity $ObjectGuid -Properties UserPrincipalName @common
} catch {
    if ((Get-UpnMatchAdErrorKind $_) -ne 'IdentityNotFound') { throw }
    Stop-UpnMatch -Code 'AdAccountNotFound' -Category precondition -Target ([string]$ObjectGuid) -Message ('AD account not found: ' + $ObjectGuid)
}
if ($user.UserPrincipalName -cne $ExpectedUserPrincipalName) {
    Stop-UpnMatch -Code 'AdAccountChangedSince' -Category precondition -Target ([string]$ObjectGuid) -Message ('the account no longer carries ' + $ExpectedUserPrincipalName + '; not touching it')
}
$done = $false
if ($Action -eq 'remove') {
    if ($PSCmdlet.ShouldProcess([string]$user.DistinguishedName, 'Remove the account created by upn-match')) {
        Remove-ADUser -Identity $ObjectGuid -Confirm:$false @common
        $done = $true
    }
} elseif ($PSCmdlet.ShouldProcess([string]$user.DistinguishedName, ('Restore UserPrincipalName ' + $PreviousUserPrincipalName))) {
    if ($PreviousUserPrincipalName) {
        try {
            Set-ADUser -Identity $ObjectGuid -UserPrincipalName $PreviousUserPrincipalName @common
        } catch {
            if ((Get-UpnMatchAdErrorKind $_) -ne 'UpnNotUnique') { throw }
            Stop-UpnMatch -Code 'UpnNotUniqueInForest' -Category precondition -Target $PreviousUserPrincipalName -Message ('the domain controller refused to restore ' + $PreviousUserPrincipalName + ': another object of the forest has taken this UPN since')
        }
    } else {
        Set-ADUser -Identity $ObjectGuid -Clear 'userPrincipalName' @common
    }
    $done = $true
}
[pscustomobject]@{ objectGuid = ([string]$ObjectGuid); action = $Action; done = $done }
