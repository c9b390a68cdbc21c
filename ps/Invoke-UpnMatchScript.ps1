<#
.SYNOPSIS
    Process entry point of the upn-match bridge: runs one bundled script, one JSON envelope out.
.DESCRIPTION
    Reads one JSON request { script, input, modulePath } from stdin (a channel with no quoting),
    runs the script through UpnMatch.Common and exits 0 when the envelope says ok, else 1.
.EXAMPLE
    '{"script":"/path/Get-HostInfo.ps1","input":{}}' | pwsh -NoLogo -NoProfile -NonInteractive -File Invoke-UpnMatchScript.ps1
#>
[CmdletBinding()]
param()

Import-Module -Name (Join-Path $PSScriptRoot 'UpnMatch.Common') -Global -Verbose:$false
Initialize-UpnMatchHost
$json = [Console]::In.ReadToEnd()
$modulePath = @()
try {
    $parsed = $json | ConvertFrom-Json
    if ($null -ne $parsed.PSObject.Properties['modulePath']) { $modulePath = @($parsed.modulePath) }
} catch {
    # An unreadable request still gets its envelope (with the parse error) from the writer below.
    $null = $_
}
if ($modulePath.Count -gt 0) { Initialize-UpnMatchHost -ModulePath $modulePath }
$ok = Invoke-UpnMatchRequestJson -Json $json
if ($ok) { exit 0 }
exit 1
