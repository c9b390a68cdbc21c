<#
.SYNOPSIS
    Describes the PowerShell host this script runs in.
.DESCRIPTION
    Returns the edition (Desktop for Windows PowerShell 5.1, Core for PowerShell 7), the version,
    the operating system and the executable, for `upn-match doctor`.
.OUTPUTS
    { edition, version, os, executable }
#>
[CmdletBinding()]
param()

$executable = [System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName
[pscustomobject]@{
    edition    = [string]$PSVersionTable.PSEdition
    version    = $PSVersionTable.PSVersion.ToString()
    os         = [System.Environment]::OSVersion.VersionString
    executable = $executable
}
