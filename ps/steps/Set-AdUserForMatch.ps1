<#
.SYNOPSIS
    Gives AD accounts exactly their cloud users' UPNs: updates existing accounts or creates them, a chunk of
    users per call.
.DESCRIPTION
    Each user is written on its own: one user's failure is that user's result, and the others are still
    written. Safe to re-run: an account that already carries the UPN is left alone (changed = false), and
    an account this tool created before a crash is found again by its sAMAccountName. Returns each previous
    UPN so that the change can be rolled back. A created account is enabled and gets a random password that
    never leaves this script (set the real one afterwards).
.PARAMETER Users
    The users, each a hashtable:
    UserPrincipalName - the cloud user's UPN, written exactly as given (required);
    SamAccountName or DistinguishedName - update: the account to change; create: the new account's name;
    ObjectGuid (with DistinguishedName, SamAccountName, PreviousUserPrincipalName) - update: the account as
    the facts found it, written without being read again (one AD call per user);
    Create (with GivenName, Surname, Path) - create a new account in Path.
.PARAMETER Server
    Domain controller (or domain) to write to; the module's default otherwise.
.OUTPUTS
    { results: [ { userPrincipalName, result: { action, objectGuid, distinguishedName, samAccountName,
    previousUserPrincipalName, changed, created, whatIf } or null, error: { code, category, message } or null } ] }
    in the order of Users.
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [Parameter(Mandatory = $true)] [ValidateNotNull()] [hashtable[]] $Users,
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

function New-Result($action, $user, $previous, $changed, $created, $SamAccountName) {
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

function Set-Upn {
    <# Set-ADUser -UserPrincipalName; an error is told apart by its exception type and code, not its (localized) text. #>
    param([Parameter(Mandatory = $true)] $Identity, [Parameter(Mandatory = $true)] [string] $UserPrincipalName, [string] $Described)
    try {
        Set-ADUser -Identity $Identity -UserPrincipalName $UserPrincipalName @common
    } catch {
        switch (Get-UpnMatchAdErrorKind $_) {
            'IdentityNotFound' { Stop-UpnMatch -Code 'AdAccountNotFound' -Category precondition -Target ([string]$Identity) -Message ('AD account not found: ' + $Described) }
            'UpnNotUnique' { Stop-UpnMatch -Code 'UpnNotUniqueInForest' -Category precondition -Target $UserPrincipalName -Message ('the domain controller refused ' + $UserPrincipalName + ' for ' + $Described + ': another object of the forest has this UPN') }
        }
        throw
    }
}

function Set-OneUser {
    <# One user of the chunk; throws (Stop-UpnMatch or the AD error) when it cannot be written. #>
    param([Parameter(Mandatory = $true)] [hashtable] $Item, [Parameter(Mandatory = $true)] $Cmdlet)
    $UserPrincipalName = [string]$Item['UserPrincipalName']
    $SamAccountName = [string]$Item['SamAccountName']
    $DistinguishedName = [string]$Item['DistinguishedName']
    $PreviousUserPrincipalName = [string]$Item['PreviousUserPrincipalName']
    $Create = [bool]$Item['Create']
    $GivenName = [string]$Item['GivenName']
    $Surname = [string]$Item['Surname']
    $Path = [string]$Item['Path']
    if (-not $UserPrincipalName) { Stop-UpnMatch -Code 'UpnMissing' -Category input -Message 'a user of the chunk has no UserPrincipalName' }

    if (-not $Create -and $Item['ObjectGuid']) {
        $ObjectGuid = [guid][string]$Item['ObjectGuid']
        # The plan read this account a moment ago: write without reading it again.
        $known = [pscustomobject]@{ ObjectGUID = $ObjectGuid; DistinguishedName = $DistinguishedName; SamAccountName = $SamAccountName }
        $previous = $null
        if ($PreviousUserPrincipalName) { $previous = $PreviousUserPrincipalName }
        if ($previous -ceq $UserPrincipalName) { return (New-Result 'update' $known $previous $false $false) }
        if ($Cmdlet.ShouldProcess($DistinguishedName, ('Set UserPrincipalName to ' + $UserPrincipalName))) {
            Set-Upn -Identity $ObjectGuid -UserPrincipalName $UserPrincipalName -Described $DistinguishedName
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
            if ((Get-UpnMatchAdErrorKind $_) -ne 'IdentityNotFound') { throw }
            Stop-UpnMatch -Code 'AdAccountNotFound' -Category precondition -Target $identity -Message ('AD account not found: ' + $identity)
        }
        $previous = $user.UserPrincipalName
        if ($previous -ceq $UserPrincipalName) { return (New-Result 'update' $user $previous $false $false) }
        if ($Cmdlet.ShouldProcess([string]$user.DistinguishedName, ('Set UserPrincipalName to ' + $UserPrincipalName))) {
            Set-Upn -Identity $user.ObjectGUID -UserPrincipalName $UserPrincipalName -Described ([string]$user.DistinguishedName)
            return (New-Result 'update' $user $previous $true $false)
        }
        return (New-Result 'update' $user $previous $false $false)
    }

    if (-not ($SamAccountName -and $GivenName -and $Surname -and $Path)) {
        Stop-UpnMatch -Code 'CreateDetailsMissing' -Category precondition -Message 'creating an account needs SamAccountName, GivenName, Surname and Path'
    }
    $name = $GivenName + ' ' + $Surname
    if ($Cmdlet.ShouldProcess($Path, ('Create user ' + $SamAccountName + ' with UserPrincipalName ' + $UserPrincipalName))) {
        try {
            $created = New-ADUser -Name $name -SamAccountName $SamAccountName -UserPrincipalName $UserPrincipalName -GivenName $GivenName -Surname $Surname -DisplayName $name -Path $Path -AccountPassword (New-RandomPassword) -Enabled $true -PassThru @common
            return (New-Result 'create' $created $null $true $true)
        } catch {
            # Name (8305), sAMAccountName (1316) or UPN (8648) taken; which one a DC checks first is not documented.
            # The account may be ours, created by an earlier, interrupted run (then it carries the UPN).
            $failure = $_
            $kind = Get-UpnMatchAdErrorKind $failure
            if (@('NameInUse', 'AccountExists', 'UpnNotUnique') -notcontains $kind) { throw }
            $existing = @(Get-ADUser -LDAPFilter ('(sAMAccountName=' + (ConvertTo-UpnMatchLdapValue $SamAccountName) + ')') -Properties UserPrincipalName @common)
            if ($existing.Count -gt 0 -and $existing[0].UserPrincipalName -ceq $UserPrincipalName) { return (New-Result 'create' $existing[0] $null $false $false) }
            if ($kind -eq 'UpnNotUnique') {
                Stop-UpnMatch -Code 'UpnNotUniqueInForest' -Category precondition -Target $UserPrincipalName -Message ('the domain controller refused ' + $UserPrincipalName + ' for the new account ' + $SamAccountName + ': another object of the forest has this UPN')
            }
            if ($existing.Count -eq 0) { throw $failure }
            Stop-UpnMatch -Code 'SamAccountNameTaken' -Category precondition -Target $SamAccountName -Message ('sAMAccountName already in use: ' + $SamAccountName)
        }
    }
    return (New-Result 'create' $null $null $false $false $SamAccountName)
}

$results = New-Object System.Collections.Generic.List[object]
$total = @($Users).Count
foreach ($item in $Users) {
    Write-UpnMatchProgress -Activity 'Writing AD accounts' -Done $results.Count -Total $total
    $upn = [string]$item['UserPrincipalName']
    try {
        $results.Add([pscustomobject]@{ userPrincipalName = $upn; result = (Set-OneUser -Item $item -Cmdlet $PSCmdlet); error = $null })
    } catch {
        $info = Get-UpnMatchErrorInfo $_
        $results.Add([pscustomobject]@{ userPrincipalName = $upn; result = $null; error = [pscustomobject]@{ code = $info.code; category = $info.category; message = $info.message } })
    }
}
Write-UpnMatchProgress -Activity 'Writing AD accounts' -Done $results.Count -Total $total
[pscustomobject]@{ results = $results.ToArray() }
