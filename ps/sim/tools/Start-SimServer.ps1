<#
.SYNOPSIS
    Runs the simulator's fake modules in a process of their own and serves their calls on a named pipe.
.DESCRIPTION
    Start it with UPN_MATCH_SIM_DIR naming the world; then any PowerShell that imports the fake modules with
    UPN_MATCH_SIM_SERVER set to the same pipe name forwards each fake call here (see
    ps/sim/Modules/UpnMatch.Sim/UpnMatch.Sim.Remote.ps1). The world is parsed once and held only here, so a
    client's memory is its own. Prints one line, "ready <pipe>", on standard output once it accepts calls;
    serves one call at a time until a client sends "stop" (Stop-SimServer does) or the process is ended.
.PARAMETER PipeName
    The pipe's name (on Linux and macOS .NET makes it a Unix socket in the temp folder).
.EXAMPLE
    $env:UPN_MATCH_SIM_DIR = 'C:\sim\demo'; pwsh -NoProfile -File ps/sim/tools/Start-SimServer.ps1 -PipeName upn-match-sim
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [ValidatePattern('^[A-Za-z0-9._-]{1,64}$')] [string] $PipeName
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# This process runs the fakes itself: it must not forward to a server (not even to itself).
$env:UPN_MATCH_SIM_SERVER = $null
$modulesDir = Join-Path (Split-Path $PSScriptRoot -Parent) 'Modules'
$env:PSModulePath = $modulesDir + [System.IO.Path]::PathSeparator + $env:PSModulePath
Import-Module (Join-Path $modulesDir 'UpnMatch.Sim/UpnMatch.Sim.psd1')
Import-Module ActiveDirectory, Microsoft.Graph.Authentication, ADSync

Invoke-SimServer -PipeName $PipeName -OnReady { [Console]::Out.WriteLine('ready ' + $PipeName); [Console]::Out.Flush() }
