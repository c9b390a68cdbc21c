<#
.SYNOPSIS
    Tells, for each named module, whether it is installed and can be imported in this host.
.DESCRIPTION
    Used by `upn-match doctor`. Importing is the real test: a module can be listed and still fail
    to load (wrong edition, missing dependency).
.PARAMETER Name
    Module names, e.g. ActiveDirectory, Microsoft.Graph.Authentication, ADSync.
.PARAMETER ComputerName
    'local' (this host), or the Entra Connect server: the check then runs there, through Invoke-Command with the
    session options of every call to that server.
.OUTPUTS
    { modules: [ { name, installed, importable, version, path, error } ] }
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)]
    [ValidatePattern('^[A-Za-z0-9._-]+$')]
    [string[]] $Name,
    [ValidatePattern('^[A-Za-z0-9._-]+$')] [string] $ComputerName = 'local'
)

$check = {
    param([string[]] $Name)
    $results = New-Object System.Collections.Generic.List[object]
    foreach ($moduleName in $Name) {
        $installed = @(Get-Module -ListAvailable -Name $moduleName -Verbose:$false | Sort-Object -Property Version -Descending)
        $importable = $false
        $problem = $null
        $loaded = $null
        try {
            $loaded = Import-Module -Name $moduleName -PassThru -Verbose:$false -WarningAction SilentlyContinue | Select-Object -First 1
            $importable = $true
        } catch {
            $problem = $_.Exception.Message
        }
        $version = $null
        $path = $null
        if ($null -ne $loaded) {
            $version = $loaded.Version.ToString()
            $path = $loaded.ModuleBase
        } elseif ($installed.Count -gt 0) {
            $version = $installed[0].Version.ToString()
            $path = $installed[0].ModuleBase
        }
        $results.Add([pscustomobject]@{
                name       = $moduleName
                installed  = ($installed.Count -gt 0)
                importable = $importable
                version    = $version
                path       = $path
                error      = $problem
            })
    }
    $results.ToArray()
}

if ($ComputerName -eq 'local' -or $ComputerName -eq 'localhost') {
    $modules = @(& $check $Name)
} else {
    Import-Module -Name (Join-Path (Split-Path -Parent $PSScriptRoot) 'UpnMatch.Directory') -Verbose:$false
    $modules = @(Invoke-Command -ComputerName $ComputerName -SessionOption (New-UpnMatchSyncSessionOption) -ScriptBlock $check -ArgumentList (, $Name) | ForEach-Object {
            [pscustomobject]@{ name = [string]$_.name; installed = [bool]$_.installed; importable = [bool]$_.importable; version = $_.version; path = $_.path; error = $_.error }
        })
}
[pscustomobject]@{ modules = $modules }
