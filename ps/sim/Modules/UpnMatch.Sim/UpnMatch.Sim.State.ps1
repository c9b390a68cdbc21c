<#
.SYNOPSIS
    The simulated world on disk (dot-sourced by UpnMatch.Sim.psm1): its folder, the lock, state.json kept parsed
    between calls, the indexes built on it, and sim.json.
#>

$script:StateCache = @{ Path = $null; Stamp = $null; State = $null }
$script:StateIndexes = @{}
# Simulator server only: writes kept in memory and not yet in state.json, and the lock held meanwhile (see
# Write-SimState).
$script:StateUnsaved = $false
$script:HeldLock = $null
$script:ConfigCache = $null

function Get-SimDirectory {
    <# The simulated world's folder: $env:UPN_MATCH_SIM_DIR (holds state.json). #>
    $dir = $env:UPN_MATCH_SIM_DIR
    if ([string]::IsNullOrWhiteSpace($dir)) {
        throw 'upn-match simulator: UPN_MATCH_SIM_DIR is not set (it names the folder that holds state.json)'
    }
    if (-not [System.IO.Directory]::Exists($dir)) {
        throw ("upn-match simulator: UPN_MATCH_SIM_DIR '{0}' is not a folder" -f $dir)
    }
    return [System.IO.Path]::GetFullPath($dir)
}

function Read-SimJsonFile {
    <# Parses a JSON file into plain data; $null when the file does not exist. #>
    param([Parameter(Mandatory = $true)] [string] $Path)
    if (-not [System.IO.File]::Exists($Path)) { return $null }
    $text = [System.IO.File]::ReadAllText($Path, [System.Text.Encoding]::UTF8)
    try {
        return , (ConvertFrom-SimJson $text)
    } catch {
        throw ("upn-match simulator: cannot parse {0}: {1}" -f $Path, $_.Exception.Message)
    }
}

function Enter-SimLock {
    <#
    .SYNOPSIS
        Takes the exclusive lock DIR/state.lock (an open handle with FileShare.None; the OS drops it when the
        process dies, so a killed process never leaves the world locked).
    #>
    param([Parameter(Mandatory = $true)] [string] $Dir, [int] $TimeoutMs = 60000)
    $path = [System.IO.Path]::Combine($Dir, 'state.lock')
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $delay = 5
    while ($true) {
        try {
            return [System.IO.File]::Open($path, [System.IO.FileMode]::OpenOrCreate, [System.IO.FileAccess]::ReadWrite, [System.IO.FileShare]::None)
        } catch {
            if ($clock.ElapsedMilliseconds -gt $TimeoutMs) {
                throw ("upn-match simulator: timed out after {0} ms waiting for the lock {1}" -f $TimeoutMs, $path)
            }
            Start-Sleep -Milliseconds $delay
            if ($delay -lt 50) { $delay = $delay * 2 }
        }
    }
}

function Read-SimState {
    <#
    .SYNOPSIS
        Loads DIR/state.json as plain data (ordered dictionaries).
    .DESCRIPTION
        The parsed state is kept for the next call in this process while the file keeps its size and write time
        (parsing a world of 50,000 users takes seconds). Every writer goes through Write-SimState under the lock,
        and a body that fails drops the kept copy (Clear-SimStateCache), so the copy always equals the file.
    #>
    param([Parameter(Mandatory = $true)] [string] $Dir)
    $path = [System.IO.Path]::Combine($Dir, 'state.json')
    $stamp = [UpnMatchSim.Files]::Stamp($path)
    if ($null -eq $stamp) {
        throw ("upn-match simulator: no state file at {0} (create one with: upn-match sim init)" -f $path)
    }
    if ($null -ne $script:StateCache.State -and $script:StateCache.Path -eq $path -and $script:StateCache.Stamp -eq $stamp) {
        return $script:StateCache.State
    }
    Clear-SimStateCache
    $state = Read-SimJsonFile $path
    if ($null -eq $state -or $state -isnot [System.Collections.IDictionary]) {
        throw ("upn-match simulator: {0} does not hold a JSON object" -f $path)
    }
    foreach ($key in @('tenant', 'forest', 'sync')) {
        if ($null -eq (Get-SimValue $state $key)) { $state[$key] = [ordered]@{} }
    }
    $script:StateCache = @{ Path = $path; Stamp = $stamp; State = $state }
    return $state
}

function Write-SimState {
    <#
    .SYNOPSIS
        Saves the state after a change. Touched: the objects the change altered in place (the indexes are updated
        for them and for objects appended to a list); $null when unknown (the indexes are built again).
    .DESCRIPTION
        In the simulator server the change stays in memory (state.json of a large world is 77 MB: rewriting it on
        every Set-ADUser took seconds) and the server keeps the lock until Save-SimServerState writes the file:
        when no call came for a moment, when a client asks (each client process does as it exits) and before the
        server stops. Any reader that takes the lock, and any reader after the writing process ended, sees every
        completed write.
    #>
    param([Parameter(Mandatory = $true)] [string] $Dir, [Parameter(Mandatory = $true)] $State, [AllowNull()] [object[]] $Touched)
    $path = [System.IO.Path]::Combine($Dir, 'state.json')
    if ($script:IsSimServer -and $script:StateCache.Path -eq $path -and [object]::ReferenceEquals($State, $script:StateCache.State)) {
        $script:StateUnsaved = $true
        Update-SimIndexes -State $State -Touched $Touched
        return
    }
    Clear-SimStateCache
    [UpnMatchSim.Data]::WriteJsonFileAtomic($path, $State, $true)
    $script:StateCache = @{ Path = $path; Stamp = [UpnMatchSim.Files]::Stamp($path); State = $State }
}

function Save-SimServerState {
    <# Simulator server: writes the changes kept in memory to state.json (atomic replace) and lets the lock go. #>
    if ($script:StateUnsaved) {
        $path = $script:StateCache.Path
        [UpnMatchSim.Data]::WriteJsonFileAtomic($path, $script:StateCache.State, $true)
        $script:StateCache.Stamp = [UpnMatchSim.Files]::Stamp($path)
        $script:StateUnsaved = $false
    }
    if ($null -ne $script:HeldLock) {
        $script:HeldLock.Dispose()
        $script:HeldLock = $null
    }
}

function Update-SimIndexes {
    <# After a change kept in memory: each index updated for the touched and appended objects, or dropped. #>
    param($State, [AllowNull()] [object[]] $Touched)
    if ($null -eq $Touched) {
        $script:StateIndexes = @{}
        return
    }
    foreach ($name in @($script:StateIndexes.Keys)) {
        $entry = $script:StateIndexes[$name]
        if (-not $entry.Index.Update((& $entry.Items $State), $Touched)) { $script:StateIndexes.Remove($name) }
    }
}

function Clear-SimStateCache {
    <# Forgets the kept state and every index built on it. #>
    $script:StateCache = @{ Path = $null; Stamp = $null; State = $null }
    $script:StateIndexes = @{}
}

function New-SimIndex {
    <#
    .SYNOPSIS
        Positions of the dictionaries in Items by field value: key = lower-case field name, NUL, value (compared
        case-insensitively); null and empty values are left out. Returns an UpnMatchSim.Index (a Dictionary[string,
        List[int]] that can be updated after a write).
    #>
    param([AllowNull()] [object[]] $Items, [Parameter(Mandatory = $true)] [string[]] $Fields)
    if ($null -eq $Items) { $Items = @() }
    return , ([UpnMatchSim.Data]::BuildIndex($Items, $Fields))
}

function Get-SimIndex {
    <#
    .SYNOPSIS
        A lookup table (New-SimIndex) over the list Items returns for the current state, built once and kept until
        the state changes (a write, a settled sync cycle, a reload); the simulator server updates it after its
        writes instead.
    .DESCRIPTION
        An index can be stale inside a body that changes the state and then looks up: callers use it for
        lookups only, and check each hit against the object itself.
    #>
    # Items returns the list as one object[] (not unrolled).
    param([Parameter(Mandatory = $true)] [string] $Name, [Parameter(Mandatory = $true)] $State, [Parameter(Mandatory = $true)] [scriptblock] $Items, [Parameter(Mandatory = $true)] [string[]] $Fields)
    if (-not [object]::ReferenceEquals($State, $script:StateCache.State)) { return (New-SimIndex -Items (& $Items $State) -Fields $Fields) }
    if (-not $script:StateIndexes.ContainsKey($Name)) {
        $script:StateIndexes[$Name] = @{ Index = (New-SimIndex -Items (& $Items $State) -Fields $Fields); Items = $Items }
    }
    return $script:StateIndexes[$Name].Index
}

function Get-SimConfig {
    <#
    .SYNOPSIS
        Latency and cycle length: environment variables win over DIR/sim.json
        ({ "latency": { "graphMs", "adMs" }, "syncCycleMs" }).
    #>
    param([Parameter(Mandatory = $true)] [string] $Dir)
    # Kept while sim.json and the three variables stay the same: every fake call reads the configuration.
    $path = [System.IO.Path]::Combine($Dir, 'sim.json')
    $key = '{0}|{1}|{2}|{3}|{4}' -f $path, [UpnMatchSim.Files]::Stamp($path), [Environment]::GetEnvironmentVariable('UPN_MATCH_SIM_GRAPH_LATENCY_MS'),
        [Environment]::GetEnvironmentVariable('UPN_MATCH_SIM_AD_LATENCY_MS'), [Environment]::GetEnvironmentVariable('UPN_MATCH_SIM_SYNC_MS')
    if ($null -ne $script:ConfigCache -and $script:ConfigCache.Key -ceq $key) { return $script:ConfigCache.Config.Clone() }
    $file = Read-SimJsonFile $path
    $latency = Get-SimValue $file 'latency'
    $config = @{
        GraphMs     = [int](Get-SimValue $latency 'graphMs' 0)
        AdMs        = [int](Get-SimValue $latency 'adMs' 0)
        SyncCycleMs = Get-SimValue $file 'syncCycleMs'
    }
    $graph = Get-SimEnvInt 'UPN_MATCH_SIM_GRAPH_LATENCY_MS'
    if ($null -ne $graph) { $config.GraphMs = $graph }
    $ad = Get-SimEnvInt 'UPN_MATCH_SIM_AD_LATENCY_MS'
    if ($null -ne $ad) { $config.AdMs = $ad }
    $sync = Get-SimEnvInt 'UPN_MATCH_SIM_SYNC_MS'
    if ($null -ne $sync) { $config.SyncCycleMs = $sync }
    $script:ConfigCache = @{ Key = $key; Config = $config.Clone() }
    return $config
}
