<#
.SYNOPSIS
    Parity check between the product's PowerShell scripts and the simulator's fake modules.
.DESCRIPTION
    Loads the fake modules from ps/sim/Modules, lists every fake cmdlet's parameters (with aliases and the
    common parameters), then parses every .ps1/.psm1 under -Root (except the folders in -Exclude) with the
    PowerShell AST and checks each call to a fake cmdlet: a named parameter must resolve (exactly, or as an
    unambiguous prefix, as PowerShell binds it) to a parameter the fake declares. Splatted calls (@params) are
    reported as unchecked. Writes one JSON document: { fakes: { name: [params] }, calls, violations, unchecked }.
.PARAMETER Root
    Folder to scan (the product's ps/ folder).
.PARAMETER Exclude
    Folders (absolute) to skip, e.g. ps/sim.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string] $Root,
    [string[]] $Exclude = @()
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$modulesDir = Join-Path (Split-Path $PSScriptRoot -Parent) 'Modules'
$fakeModules = @('ActiveDirectory', 'Microsoft.Graph.Authentication', 'ADSync')
$common = @([System.Management.Automation.PSCmdlet]::CommonParameters) + @([System.Management.Automation.PSCmdlet]::OptionalCommonParameters)
$commonAliases = @('ea', 'ev', 'ov', 'ob', 'wa', 'wv', 'vb', 'db', 'infa', 'iv', 'pv', 'wi', 'cf', 'proga')

$fakes = [ordered]@{}
$names = @{}
foreach ($module in $fakeModules) {
    $loaded = Import-Module (Join-Path (Join-Path $modulesDir $module) ($module + '.psd1')) -PassThru -Force
    foreach ($command in @(Get-Command -Module $loaded.Name -CommandType Function | Sort-Object Name)) {
        $declared = New-Object System.Collections.Generic.List[string]
        # every name PowerShell accepts for a parameter (its name and aliases) => the parameter
        $all = @{}
        foreach ($parameter in $command.Parameters.Values) {
            $all[$parameter.Name.ToLowerInvariant()] = $parameter.Name
            foreach ($alias in $parameter.Aliases) { $all[$alias.ToLowerInvariant()] = $parameter.Name }
            if ($common -notcontains $parameter.Name) { $declared.Add($parameter.Name) }
        }
        foreach ($alias in $commonAliases) { $all[$alias] = $alias }
        $fakes[$command.Name] = [string[]]@($declared | Sort-Object)
        $names[$command.Name.ToLowerInvariant()] = @{ Name = $command.Name; All = $all }
    }
}

$violations = New-Object System.Collections.Generic.List[object]
$unchecked = New-Object System.Collections.Generic.List[object]
$calls = 0
$rootFull = [System.IO.Path]::GetFullPath($Root)
$excluded = @($Exclude | ForEach-Object { [System.IO.Path]::GetFullPath($_).TrimEnd([System.IO.Path]::DirectorySeparatorChar) })
$files = @(Get-ChildItem -Path $rootFull -Recurse -File -Include *.ps1, *.psm1 | Where-Object {
        $path = $_.FullName
        -not (@($excluded | Where-Object { $path.StartsWith($_ + [System.IO.Path]::DirectorySeparatorChar, [StringComparison]::OrdinalIgnoreCase) }).Count -gt 0)
    })
foreach ($file in $files) {
    $tokens = $null
    $parseErrors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($file.FullName, [ref]$tokens, [ref]$parseErrors)
    $commandAsts = $ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.CommandAst] }, $true)
    foreach ($commandAst in $commandAsts) {
        $name = $commandAst.GetCommandName()
        if (-not $name) { continue }
        $short = $name
        if ($short.IndexOf('\') -ge 0) { $short = $short.Substring($short.LastIndexOf('\') + 1) }
        $fake = $names[$short.ToLowerInvariant()]
        if ($null -eq $fake) { continue }
        $calls++
        foreach ($element in $commandAst.CommandElements) {
            if ($element -is [System.Management.Automation.Language.VariableExpressionAst] -and $element.Splatted) {
                $unchecked.Add([ordered]@{ file = $file.FullName; line = $element.Extent.StartLineNumber; command = $fake.Name; reason = 'splatted parameters' })
                continue
            }
            if ($element -isnot [System.Management.Automation.Language.CommandParameterAst]) { continue }
            $given = $element.ParameterName
            if ($fake.All.ContainsKey($given.ToLowerInvariant())) { continue }
            $prefix = @(@($fake.All.Keys | Where-Object { $_.StartsWith($given, [StringComparison]::OrdinalIgnoreCase) } | ForEach-Object { $fake.All[$_] }) | Sort-Object -Unique)
            if ($prefix.Count -eq 1) { continue }
            $reason = 'the fake declares no such parameter'
            if ($prefix.Count -gt 1) { $reason = 'ambiguous prefix: ' + ($prefix -join ', ') }
            $violations.Add([ordered]@{ file = $file.FullName; line = $element.Extent.StartLineNumber; command = $fake.Name; parameter = $given; reason = $reason })
        }
    }
}

$result = [ordered]@{ fakes = $fakes; files = $files.Count; calls = $calls; violations = $violations.ToArray(); unchecked = $unchecked.ToArray() }
ConvertTo-Json -InputObject $result -Depth 6 -Compress
