<#
.SYNOPSIS
    Moves one cloud-only user to AD by UPN soft match, the way an admin's one-off script does it.
.DESCRIPTION
    The "naive" side of the benchmark (scripts/bench.mjs): one user per PowerShell process. It imports
    the modules, signs in to Graph (delegated), finds the AD account by sAMAccountName, reads the cloud
    user, writes the cloud UPN onto the AD account and starts an Entra Connect delta sync, retrying
    while a cycle is already running. No batching, no checks beyond what an admin would write.
    Prints one line of JSON: { sam, upn, ok, busyRetries, error }.
.PARAMETER Sam
    sAMAccountName of the AD account to update.
.PARAMETER Upn
    The cloud user's UPN, written onto the AD account.
.PARAMETER ModulePath
    Folders to put first on PSModulePath, separated like PSModulePath (a lab or a test bed: PowerShell 7
    puts its own folders before those of the inherited variable).
.PARAMETER RetrySeconds
    Wait between attempts while a sync cycle is running.
.PARAMETER MaxRetries
    Attempts to start the sync cycle before giving up.
.EXAMPLE
    pwsh -NoProfile -File naive-one-user.ps1 -Sam jdoe -Upn john.doe@contoso.com
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string] $Sam,
    [Parameter(Mandatory = $true)] [string] $Upn,
    [string] $ModulePath,
    [int] $RetrySeconds = 1,
    [int] $MaxRetries = 600
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
if ($ModulePath) {
    $env:PSModulePath = $ModulePath + [System.IO.Path]::PathSeparator + $env:PSModulePath
}

$busyRetries = 0
try {
    Import-Module ActiveDirectory
    Import-Module Microsoft.Graph.Authentication
    Import-Module ADSync

    Connect-MgGraph -Scopes 'User.Read.All' -NoWelcome

    $adUser = Get-ADUser -Filter "SamAccountName -eq '$Sam'"
    if (-not $adUser) { throw "AD user $Sam not found" }

    $cloudUser = Invoke-MgGraphRequest -Method GET -Uri "/v1.0/users/$Upn"
    if (-not $cloudUser) { throw "cloud user $Upn not found" }

    Set-ADUser -Identity $adUser -UserPrincipalName $Upn

    while ($true) {
        try {
            $null = Start-ADSyncSyncCycle -PolicyType Delta
            break
        } catch {
            if ($_.Exception.Message -match 'busy' -and $busyRetries -lt $MaxRetries) {
                $busyRetries++
                Start-Sleep -Seconds $RetrySeconds
            } else {
                throw
            }
        }
    }
    $result = [ordered]@{ sam = $Sam; upn = $Upn; ok = $true; busyRetries = $busyRetries; error = $null }
} catch {
    $result = [ordered]@{ sam = $Sam; upn = $Upn; ok = $false; busyRetries = $busyRetries; error = $_.Exception.Message }
}
ConvertTo-Json -InputObject $result -Compress
if (-not $result.ok) { exit 1 }
