<#
.SYNOPSIS
    Gives an AD account exactly the cloud user's UPN: updates an existing account or creates one.
.DESCRIPTION
    Safe to re-run: an account that already carries the UPN is left alone (changed = false), and
    an account this tool created before a crash is found again by its sAMAccountName. Returns the
    previous UPN so that the change can be rolled back. A created account is enabled and gets a
    random password that never leaves this script (set the real one afterwards).
.PARAMETER UserPrincipalName
    The cloud user's UPN, written exactly as given.
.PARAMETER SamAccountName
    Update: the account to change (or DistinguishedName). Create: the new account's name.
.PARAMETER ObjectGuid
    Update: the account as the facts found it; with DistinguishedName, SamAccountName and
    PreviousUserPrincipalName it is written without being read again (one AD call per user).
.PARAMETER Create
    Create a new account in Path with GivenName and Surname.
.OUTPUTS
    { action, objectGuid, distinguishedName, samAccountName, previousUserPrincipalName, changed, created }
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [Parameter(Mandatory = $true)] [ValidateNotNullOrEmpty()] [string] $UserPrincipalName,
    [string] $SamAccountName,
    [string] $DistinguishedName,
    [guid] $ObjectGuid,
    [AllowEmptyString()] [string] $PreviousUserPrincipalName,
    [switch] $Create,
    [string] $GivenName,
    [string] $Surname,
    [string] $Path,
    [string] $Server
)

Import-Module -Name (Join-Path (Split-Path -Parent $PSScriptRoot) 'UpnMatch.Directory') -Verbose:$false
Import-Module ActiveDirectory -Verbose:$false
$common = @{}
if ($Server) { $common['Server'] = $Server }

function New-RandomPassword {
    # 32 characters from all four classes, from a cryptographic generator; never logged or returned.
    $sets = @('ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!#%+-.:=?@_')
    $rng = [System.Security.Cryptography.RandomNumberGenerator]::Create()
    $bytes = New-Object byte[] 32
    $rng.GetBytes($bytes)
    $chars = for ($i = 0; $i -lt 32; $i++) { $set = $sets[$i % 4]; $set[$bytes[$i] % $set.Length] }
    $secure = New-Object System.Security.SecureString
    foreach ($c in $chars) { $secure.AppendChar($c) }
    $secure.MakeReadOnly()
    return $secure
}

function New-Result($action, $user, $previous, $changed, $created) {
    [pscustomobject]@{
        action                    = $action
        objectGuid                = if ($null -ne $user) { ([guid]$user.ObjectGUID).ToString() } else { $null }
        distinguishedName         = if ($null -ne $user) { [string]$user.DistinguishedName } else { $null }
        samAccountName            = if ($null -ne $user) { [string]$user.SamAccountName } else { $SamAccountName }
        previousUserPrincipalName = $previous
        changed                   = [bool]$changed
        created                   = [bool]$created
        whatIf                    = [bool]$WhatIfPreference
    }
}

if (-not $Create -and $PSBoundParameters.ContainsKey('ObjectGuid')) {
    # The plan read this account a moment ago: write without reading it again.
    $known = [pscustomobject]@{ ObjectGUID = $ObjectGuid; DistinguishedName = $DistinguishedName; SamAccountName = $SamAccountName }
    $previous = $null
    if ($PreviousUserPrincipalName) { $previous = $PreviousUserPrincipalName }
    if ($previous -ceq $UserPrincipalName) { return (New-Result 'update' $known $previous $false $false) }
    if ($PSCmdlet.ShouldProcess($DistinguishedName, ('Set UserPrincipalName to ' + $UserPrincipalName))) {
        try {
            Set-ADUser -Identity $ObjectGuid -UserPrincipalName $UserPrincipalName @common
        } catch {
            if ([string]$_.CategoryInfo.Category -ne 'ObjectNotFound') { throw }
            Stop-UpnMatch -Code 'AdAccountNotFound' -Category precondition -Target ([string]$ObjectGuid) -Message ('AD account not found: ' + $DistinguishedName)
        }
        return (New-Result 'update' $known $previous $true $false)
    }
    return (New-Result 'update' $known $previous $false $false)
}

if (-not $Create) {
    $identity = $DistinguishedName
    if (-not $identity) { $identity = $SamAccountName }
    if (-not $identity) { Stop-UpnMatch -Code 'AdAccountNotNamed' -Category input -Message 'name the account to update by sAMAccountName or distinguished name' }
    try {
        $user = Get-ADUser -Identity $identity -Properties UserPrincipalName @common
    } catch {
        Stop-UpnMatch -Code 'AdAccountNotFound' -Category precondition -Target $identity -Message ('AD account not found: ' + $identity)
    }
    $previous = $user.UserPrincipalName
    if ($previous -ceq $UserPrincipalName) { return (New-Result 'update' $user $previous $false $false) }
    if ($PSCmdlet.ShouldProcess([string]$user.DistinguishedName, ('Set UserPrincipalName to ' + $UserPrincipalName))) {
        Set-ADUser -Identity $user.ObjectGUID -UserPrincipalName $UserPrincipalName @common
        return (New-Result 'update' $user $previous $true $false)
    }
    return (New-Result 'update' $user $previous $false $false)
}

if (-not ($SamAccountName -and $GivenName -and $Surname -and $Path)) {
    Stop-UpnMatch -Code 'CreateDetailsMissing' -Category input -Message 'creating an account needs SamAccountName, GivenName, Surname and Path'
}
$name = $GivenName + ' ' + $Surname
if ($PSCmdlet.ShouldProcess($Path, ('Create user ' + $SamAccountName + ' with UserPrincipalName ' + $UserPrincipalName))) {
    try {
        $created = New-ADUser -Name $name -SamAccountName $SamAccountName -UserPrincipalName $UserPrincipalName -GivenName $GivenName -Surname $Surname -DisplayName $name -Path $Path -AccountPassword (New-RandomPassword) -Enabled $true -PassThru @common
        return (New-Result 'create' $created $null $true $true)
    } catch {
        # The account may exist already: created by an earlier, interrupted run (then it carries the UPN).
        $failure = $_
        $existing = @(Get-ADUser -LDAPFilter ('(sAMAccountName=' + (ConvertTo-UpnMatchLdapValue $SamAccountName) + ')') -Properties UserPrincipalName @common)
        if ($existing.Count -eq 0) { throw $failure }
        if ($existing[0].UserPrincipalName -ceq $UserPrincipalName) { return (New-Result 'create' $existing[0] $null $false $false) }
        Stop-UpnMatch -Code 'SamAccountNameTaken' -Category precondition -Target $SamAccountName -Message ('sAMAccountName already in use: ' + $SamAccountName)
    }
}
return (New-Result 'create' $null $null $false $false)
