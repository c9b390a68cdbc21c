<#
.SYNOPSIS
    Times the simulator's fake cmdlets themselves (no injected latency) on a copy of a benchmark world.
.DESCRIPTION
    Part of the benchmark (scripts/bench.mjs): tells how much of a measured run is the simulator's own
    cost (each fake call reads the whole state file, a write rewrites it, and filters are evaluated in
    PowerShell) rather than the tool's. Imports the fakes, replays the read-only calls of a call log
    (a few of each kind, with the same parameters), times a few synthetic calls of each kind an admin's
    script makes, and prints one line of JSON:
    { importMs, replay: { <kind>: { n, medianMs, maxMs } }, perCallMs: { <kind>: median ms }, peakWorkingSetMb }.
.PARAMETER CsvPath
    The world's batch file (cloudUpn, samAccountName): the users for the synthetic calls.
.PARAMETER ModulePath
    Folders to put first on PSModulePath, separated like PSModulePath (the simulator's fake modules).
.PARAMETER ReplayLog
    A call log (calls.jsonl) whose read-only calls to replay.
.PARAMETER PerKind
    Calls to replay of each kind (command, route and parameter names): the first, the last and
    evenly spaced ones between.
.PARAMETER Count
    Synthetic calls of each kind.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string] $CsvPath,
    [string] $ModulePath,
    [string] $ReplayLog,
    [int] $PerKind = 3,
    [int] $Count = 5
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
if ($ModulePath) { $env:PSModulePath = $ModulePath + [System.IO.Path]::PathSeparator + $env:PSModulePath }

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    return [math]::Round($sorted[[int][math]::Floor($sorted.Count / 2)], 1)
}

function Measure-Calls([scriptblock] $Call, $Items) {
    $times = New-Object System.Collections.Generic.List[double]
    foreach ($item in $Items) {
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $null = & $Call $item
        $times.Add($clock.Elapsed.TotalMilliseconds)
    }
    return (Get-Median $times.ToArray())
}

function ConvertTo-PlainValue($Value) {
    # ConvertFrom-Json gives PSCustomObjects; cmdlets want hashtables (Windows PowerShell 5.1 has no -AsHashtable).
    if ($Value -is [System.Management.Automation.PSCustomObject]) {
        $table = @{}
        foreach ($p in $Value.PSObject.Properties) { $table[$p.Name] = ConvertTo-PlainValue $p.Value }
        return $table
    }
    if ($Value -is [System.Array]) { return , @($Value | ForEach-Object { ConvertTo-PlainValue $_ }) }
    return $Value
}

$rows = @(Import-Csv -Path $CsvPath | Select-Object -First $Count)
$clock = [System.Diagnostics.Stopwatch]::StartNew()
Import-Module ActiveDirectory
Import-Module Microsoft.Graph.Authentication
Import-Module ADSync
$importMs = [int]$clock.ElapsedMilliseconds
$clock = [System.Diagnostics.Stopwatch]::StartNew()
Connect-MgGraph -Scopes 'User.Read.All', 'Directory.Read.All', 'OnPremDirectorySynchronization.ReadWrite.All' -NoWelcome
$connectMs = [int]$clock.ElapsedMilliseconds

# Replay: read-only calls only, grouped by kind.
$replay = [ordered]@{}
if ($ReplayLog) {
    $readOnly = @('Get-ADForest', 'Get-ADDomain', 'Get-ADUser', 'Invoke-MgGraphRequest', 'Get-ADSyncScheduler', 'Get-ADSyncConnector')
    $kinds = [ordered]@{}
    foreach ($line in [System.IO.File]::ReadAllLines($ReplayLog)) {
        if (-not $line.Trim()) { continue }
        $call = ConvertFrom-Json -InputObject $line
        if ($readOnly -notcontains $call.command) { continue }
        $params = ConvertTo-PlainValue $call.params
        if ($call.command -eq 'Invoke-MgGraphRequest') {
            $method = 'GET'
            if ($params.ContainsKey('Method')) { $method = [string]$params['Method'] }
            if ($method -ne 'GET' -and -not ([string]$call.route).EndsWith('/$batch')) { continue }
        }
        $route = ''
        if ($call.route) { $route = ' ' + ([string]$call.route -replace '/users/[^/]+', '/users/{id}' -replace '/[0-9a-fA-F-]{36}', '/{id}') }
        $kind = $call.command + $route + ' (' + ((@($params.Keys) | Sort-Object) -join ',') + ')'
        if (-not $kinds.Contains($kind)) { $kinds[$kind] = New-Object System.Collections.Generic.List[object] }
        $kinds[$kind].Add($params)
    }
    foreach ($kind in $kinds.Keys) {
        $all = $kinds[$kind]
        $pick = New-Object System.Collections.Generic.List[object]
        $take = [Math]::Min($PerKind, $all.Count)
        for ($i = 0; $i -lt $take; $i++) {
            $index = 0
            if ($take -gt 1) { $index = [int][Math]::Round($i * ($all.Count - 1) / ($take - 1)) }
            $pick.Add($all[$index])
        }
        $command = $kind.Split(' ')[0]
        $times = New-Object System.Collections.Generic.List[double]
        foreach ($params in $pick) {
            $splat = $params
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            try { $null = & $command @splat } catch { $null = $_ }
            $times.Add($clock.Elapsed.TotalMilliseconds)
        }
        $replay[$kind] = [ordered]@{ n = $times.Count; of = $all.Count; medianMs = (Get-Median $times.ToArray()); maxMs = [math]::Round(($times | Measure-Object -Maximum).Maximum, 1) }
    }
}

$perCall = [ordered]@{}
$perCall['Connect-MgGraph (first fake call)'] = $connectMs
$perCall['Get-ADUser -Identity'] = Measure-Calls { param($r) Get-ADUser -Identity $r.samAccountName -Properties UserPrincipalName } $rows
$perCall['Get-ADUser -Filter'] = Measure-Calls { param($r) Get-ADUser -Filter ("SamAccountName -eq '" + $r.samAccountName + "'") } $rows
$perCall['Invoke-MgGraphRequest GET /v1.0/users/{upn}'] = Measure-Calls { param($r) Invoke-MgGraphRequest -Method GET -Uri ('/v1.0/users/' + $r.cloudUpn) } $rows
$perCall['Invoke-MgGraphRequest GET /v1.0/users?$top=999 (one page)'] = Measure-Calls { param($r) Invoke-MgGraphRequest -Method GET -Uri '/v1.0/users?$select=id,userPrincipalName,mail,proxyAddresses,onPremisesImmutableId&$top=999' } @($rows | Select-Object -First 3)
$perCall['Get-ADSyncScheduler'] = Measure-Calls { param($r) Get-ADSyncScheduler } $rows
# Last, as it changes this copy of the world: one UPN write per user.
$perCall['Set-ADUser -UserPrincipalName'] = Measure-Calls { param($r) Set-ADUser -Identity $r.samAccountName -UserPrincipalName $r.cloudUpn } $rows

[ordered]@{
    importMs         = $importMs
    replay           = $replay
    perCallMs        = $perCall
    peakWorkingSetMb = [math]::Round([System.Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB, 1)
} | ConvertTo-Json -Compress -Depth 5
