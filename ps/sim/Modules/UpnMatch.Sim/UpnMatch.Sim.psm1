<#
.SYNOPSIS
    Shared machinery of the upn-match simulator's fake modules (ActiveDirectory, Microsoft.Graph.Authentication,
    MSOnline, ADSync).
.DESCRIPTION
    One place for: locating the simulated world (DIR/state.json, DIR = $env:UPN_MATCH_SIM_DIR), a locked
    read-modify-write of it (exclusive lock file DIR/state.lock, atomic replace through a temp file), the call log
    (DIR/calls.jsonl), latency, injected faults (DIR/faults.json, counted across processes in DIR/counters.json),
    the settle step that applies a finished sync cycle, and the sync engine itself (UpnMatch.Sim.Sync.ps1).
    Runs on Windows PowerShell 5.1 and PowerShell 7. Nothing here writes to stdout.
#>
Set-StrictMode -Version Latest

$script:Utf8NoBom = New-Object System.Text.UTF8Encoding $false
$script:Invariant = [System.Globalization.CultureInfo]::InvariantCulture
$script:IsCore = ($PSVersionTable.PSEdition -eq 'Core')
$script:InTransaction = $false
$script:StateCache = @{ Path = $null; Stamp = $null; State = $null }
$script:StateIndexes = @{}
$script:ConfigCache = $null

# Windows PowerShell 5.1 serialises arrays wrapped in PSObject as {"value":[...],"Count":n} because of an extra
# type-data entry; without it ConvertTo-Json writes plain arrays (UpnMatch.Common does the same).
if (-not $script:IsCore) { Remove-TypeData -TypeName System.Array -ErrorAction SilentlyContinue }

#region values and JSON

function ConvertTo-SimData {
    <#
    .SYNOPSIS
        Turns parsed JSON (PSCustomObject trees) or any PowerShell value into plain data: ordered dictionaries,
        object[] arrays (never unrolled), strings, numbers, booleans; dates become ISO 8601 UTC strings.
    #>
    param([Parameter(Position = 0)] [AllowNull()] $Value)

    if ($null -eq $Value) { return $null }
    return , ([UpnMatchSim.Data]::Normalize($Value))
}

function ConvertFrom-SimJson {
    <# Parses JSON text into plain data (see ConvertTo-SimData); date-like strings stay strings. #>
    param([Parameter(Mandatory = $true)] [AllowEmptyString()] [string] $Json)
    if ([string]::IsNullOrWhiteSpace($Json)) { return $null }
    return , ([UpnMatchSim.Data]::ParseJson($Json))
}

function ConvertTo-SimJson {
    <# Serialises plain data as JSON (Depth 20). #>
    param([Parameter(Position = 0)] [AllowNull()] $Value, [switch] $Compress)
    return [UpnMatchSim.Data]::ToJson($Value, -not $Compress)
}

function Copy-SimData {
    <# Deep copy of plain data. #>
    param([Parameter(Position = 0)] [AllowNull()] $Value)
    return , ([UpnMatchSim.Data]::DeepCopy($Value))
}

function Get-SimValue {
    <# Reads a key of a dictionary, or $Default when the dictionary or the key is missing or null. #>
    param([AllowNull()] $Map, [string] $Key, [AllowNull()] $Default = $null)
    if ($null -eq $Map -or $Map -isnot [System.Collections.IDictionary]) { return $Default }
    if (-not $Map.Contains($Key)) { return $Default }
    $value = $Map[$Key]
    if ($null -eq $value) { return $Default }
    # Arrays are unrolled like any PowerShell output: wrap the call in @() to get an array.
    return $value
}

function Format-SimTime {
    param([Parameter(Position = 0)] [datetime] $Time)
    return $Time.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss.fffZ', $script:Invariant)
}

function ConvertFrom-SimTime {
    <# ISO 8601 text to a UTC DateTime; $null for empty input. #>
    param([Parameter(Position = 0)] [AllowNull()] $Text)
    if ($null -eq $Text) { return $null }
    if ($Text -is [datetime]) { return $Text.ToUniversalTime() }
    if ([string]::IsNullOrWhiteSpace([string]$Text)) { return $null }
    $styles = [System.Globalization.DateTimeStyles]::AdjustToUniversal -bor [System.Globalization.DateTimeStyles]::AssumeUniversal
    return [datetime]::Parse([string]$Text, $script:Invariant, $styles)
}

function Get-SimNow { return [datetime]::UtcNow }

function Get-SimEnvInt {
    param([string] $Name)
    $raw = [Environment]::GetEnvironmentVariable($Name)
    if ([string]::IsNullOrWhiteSpace($raw)) { return $null }
    $parsed = 0
    if ([int]::TryParse($raw.Trim(), [System.Globalization.NumberStyles]::Integer, $script:Invariant, [ref]$parsed)) { return $parsed }
    throw ("upn-match simulator: environment variable {0}='{1}' is not a whole number" -f $Name, $raw)
}

#endregion

#region files, lock, state

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
    param([Parameter(Mandatory = $true)] [string] $Dir, [Parameter(Mandatory = $true)] $State)
    $path = [System.IO.Path]::Combine($Dir, 'state.json')
    Clear-SimStateCache
    [UpnMatchSim.Data]::WriteJsonFileAtomic($path, $State, $true)
    $script:StateCache = @{ Path = $path; Stamp = [UpnMatchSim.Files]::Stamp($path); State = $State }
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
        case-insensitively); null and empty values are left out. Returns Dictionary[string, List[int]].
    #>
    param([AllowNull()] [object[]] $Items, [Parameter(Mandatory = $true)] [string[]] $Fields)
    if ($null -eq $Items) { $Items = @() }
    return , ([UpnMatchSim.Data]::BuildIndex($Items, $Fields))
}

function Get-SimIndex {
    <#
    .SYNOPSIS
        A lookup table built once over the current state and kept until the state changes (a write, a settled
        sync cycle, a reload). Build gets the state and returns the table.
    .DESCRIPTION
        An index can be stale inside a body that changes the state and then looks up: callers use it for
        lookups only, and check each hit against the object itself.
    #>
    param([Parameter(Mandatory = $true)] [string] $Name, [Parameter(Mandatory = $true)] $State, [Parameter(Mandatory = $true)] [scriptblock] $Build)
    if (-not [object]::ReferenceEquals($State, $script:StateCache.State)) { return (& $Build $State) }
    if (-not $script:StateIndexes.ContainsKey($Name)) { $script:StateIndexes[$Name] = (& $Build $State) }
    return $script:StateIndexes[$Name]
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

#endregion

#region exception types

function Initialize-SimTypes {
    <#
    .SYNOPSIS
        Loads the compiled helper (UpnMatch.Sim.Helpers.cs): exception types with the real modules' names
        (ADIdentityNotFoundException, HttpResponseException, MicrosoftOnlineException...) so that typed catch blocks
        in product scripts work, and the data, file and lookup code every fake call runs.
    .DESCRIPTION
        Compiled once per machine, PowerShell edition and source text into the temp folder; loading the cached DLL
        is fast. The fakes do not work without it: a failed compile throws the compiler's messages.
    #>
    # Already loaded in this session (the module was imported again).
    if ($null -ne ('UpnMatchSim.Files' -as [type])) { return }
    $sourcePath = Join-Path $PSScriptRoot 'UpnMatch.Sim.Helpers.cs'
    $source = [System.IO.File]::ReadAllText($sourcePath, [System.Text.Encoding]::UTF8)
    $hashBytes = [System.Security.Cryptography.SHA256]::Create().ComputeHash($script:Utf8NoBom.GetBytes($source))
    $hash = ([System.BitConverter]::ToString($hashBytes) -replace '-', '').Substring(0, 16)
    $cacheDir = Join-Path ([System.IO.Path]::GetTempPath()) 'upn-match-sim-types'
    if (-not [System.IO.Directory]::Exists($cacheDir)) { $null = [System.IO.Directory]::CreateDirectory($cacheDir) }
    $edition = 'Desktop'
    if ($script:IsCore) { $edition = 'Core' + $PSVersionTable.PSVersion.Major + '.' + $PSVersionTable.PSVersion.Minor }
    $dll = Join-Path $cacheDir ('UpnMatchSimTypes-{0}-{1}.dll' -f $edition, $hash)
    if (-not [System.IO.File]::Exists($dll)) {
        $temp = Join-Path $cacheDir ('build-{0}-{1}' -f $PID, [guid]::NewGuid().ToString('N'))
        $null = [System.IO.Directory]::CreateDirectory($temp)
        $tempDll = Join-Path $temp 'UpnMatchSimTypes.dll'
        if ($script:IsCore) {
            $references = @('System.Net.Http', 'System.Net.Primitives', 'System.Collections', 'System.Collections.NonGeneric', 'System.Collections.Specialized', 'System.Management.Automation',
                'System.Text.Encoding.Extensions', 'System.IO.FileSystem', 'System.Threading.Thread', 'System.Runtime.Extensions', 'System.Text.RegularExpressions')
        } else {
            # Windows PowerShell references System.dll and System.Management.Automation.dll by default.
            Add-Type -AssemblyName System.Net.Http
            $references = @([System.Net.Http.HttpResponseMessage].Assembly.Location)
        }
        $compileErrors = $null
        try {
            Add-Type -TypeDefinition $source -OutputAssembly $tempDll -OutputType Library -ReferencedAssemblies $references -ErrorAction SilentlyContinue -ErrorVariable compileErrors
            if (-not [System.IO.File]::Exists($tempDll)) { throw 'no assembly was written' }
        } catch {
            # Each compiler message is its own error record; the terminating one only says that compiling failed.
            $messages = @(@($compileErrors) | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] -and $_.FullyQualifiedErrorId -like 'SOURCE_CODE_ERROR*' } | ForEach-Object { ([string]$_).Trim() })
            if ($messages.Count -eq 0) { $messages = @($_.Exception.Message) }
            try { [System.IO.Directory]::Delete($temp, $true) } catch { $null = $_ }
            throw ("upn-match simulator: cannot compile {0}:{1}{2}" -f $sourcePath, [Environment]::NewLine, ($messages -join [Environment]::NewLine))
        }
        try { [System.IO.File]::Move($tempDll, $dll) } catch { $null = $_ }
        if ([System.IO.File]::Exists($dll)) { try { [System.IO.Directory]::Delete($temp, $true) } catch { $null = $_ } }
        else { $dll = $tempDll }
    }
    Add-Type -Path $dll -ErrorAction Stop
}

function New-SimException {
    <# An exception of the named type; System.Exception when no such type takes these arguments (faults.json may name any). #>
    param([Parameter(Mandatory = $true)] [string] $TypeName, [Parameter(Mandatory = $true)] [string] $Message, [object[]] $ExtraArguments = @())
    try {
        $arguments = @(, $Message) + @($ExtraArguments)
        return (New-Object -TypeName $TypeName -ArgumentList $arguments)
    } catch {
        $null = $_
    }
    return (New-Object System.Exception $Message)
}

function New-SimErrorRecord {
    param(
        [Parameter(Mandatory = $true)] [System.Exception] $Exception,
        [Parameter(Mandatory = $true)] [string] $ErrorId,
        [System.Management.Automation.ErrorCategory] $Category = [System.Management.Automation.ErrorCategory]::NotSpecified,
        [AllowNull()] $Target = $null,
        [string] $Details
    )
    $record = New-Object System.Management.Automation.ErrorRecord $Exception, $ErrorId, $Category, $Target
    if ($Details) { $record.ErrorDetails = New-Object System.Management.Automation.ErrorDetails $Details }
    return $record
}

#endregion

#region call log, counters, faults, kill

function ConvertTo-SimLogValue {
    param([AllowNull()] $Value, [int] $Depth = 3)
    if ($null -eq $Value) { return $null }
    if ($Value -is [System.Management.Automation.PSObject] -and $Value -isnot [System.Management.Automation.PSCustomObject]) { $Value = $Value.PSObject.BaseObject }
    if ($Value -is [System.Security.SecureString]) { return '***' }
    if ($Value -is [System.Management.Automation.PSCredential]) { return ('PSCredential:' + $Value.UserName) }
    if ($Value -is [scriptblock]) { return $Value.ToString() }
    if ($Value -is [System.Management.Automation.SwitchParameter]) { return [bool]$Value }
    if ($Value -is [string] -or $Value -is [bool] -or $Value -is [int] -or $Value -is [long] -or $Value -is [double]) { return $Value }
    if ($Value -is [datetime] -or $Value -is [guid] -or $Value -is [byte[]] -or $Value -is [enum] -or $Value -is [uri] -or $Value -is [timespan]) { return (ConvertTo-SimData $Value) }
    if ($Value -is [System.ValueType]) { return $Value }
    if ($Depth -le 0) { return [string]$Value }
    if ($Value -is [System.Collections.IDictionary]) {
        $map = [ordered]@{}
        foreach ($key in @($Value.Keys)) { $map[[string]$key] = ConvertTo-SimLogValue $Value[$key] ($Depth - 1) }
        return $map
    }
    if ($Value -is [System.Management.Automation.PSCustomObject]) {
        foreach ($name in @('DistinguishedName', 'UserPrincipalName', 'ObjectGUID', 'id')) {
            $property = $Value.PSObject.Properties[$name]
            if ($null -ne $property -and $null -ne $property.Value) { return [string]$property.Value }
        }
        return [string]$Value
    }
    if ($Value -is [System.Collections.IEnumerable]) {
        $list = [System.Collections.Generic.List[object]]::new()
        foreach ($item in $Value) { $list.Add((ConvertTo-SimLogValue $item ($Depth - 1))) }
        return , $list.ToArray()
    }
    return [string]$Value
}

function Add-SimCallLog {
    param([string] $Dir, [string] $Module, [string] $Command, [string] $Route, $BoundParameters, $Extra)
    $entry = [ordered]@{ at = (Format-SimTime (Get-SimNow)); pid = (Get-SimCallerPid); module = $Module; command = $Command }
    if ($Route) { $entry['route'] = $Route }
    $params = [ordered]@{}
    if ($null -ne $BoundParameters) {
        foreach ($key in @($BoundParameters.Keys)) { $params[[string]$key] = ConvertTo-SimLogValue $BoundParameters[$key] }
    }
    $entry['params'] = $params
    if ($null -ne $Extra) { foreach ($key in @($Extra.Keys)) { $entry[$key] = $Extra[$key] } }
    $path = [System.IO.Path]::Combine($Dir, 'calls.jsonl')
    # The same text as ConvertTo-Json -Compress writes for these values (PowerShell 7), without its cost.
    [UpnMatchSim.Files]::Append($path, [UpnMatchSim.Data]::ToJson($entry, $false) + "`n")
}

function Get-SimParentProcessId {
    <# The parent process id of a process (Linux /proc, PowerShell 7 Process.Parent, or CIM on Windows). #>
    param([int] $ProcessId = $PID)
    try {
        $stat = "/proc/$ProcessId/stat"
        if ([System.IO.File]::Exists($stat)) {
            $text = [System.IO.File]::ReadAllText($stat)
            $rest = $text.Substring($text.LastIndexOf(')') + 2).Split(' ')
            return [int]$rest[1]
        }
    } catch { $null = $_ }
    try {
        $process = Get-Process -Id $ProcessId -ErrorAction Stop
        if ($null -ne $process.PSObject.Properties['Parent'] -and $null -ne $process.Parent) { return [int]$process.Parent.Id }
    } catch { $null = $_ }
    try {
        $cim = Get-CimInstance -ClassName Win32_Process -Filter ("ProcessId={0}" -f $ProcessId) -ErrorAction Stop
        return [int]$cim.ParentProcessId
    } catch { $null = $_ }
    return $null
}

function Get-SimProcessName {
    param([int] $ProcessId)
    try {
        $comm = "/proc/$ProcessId/comm"
        if ([System.IO.File]::Exists($comm)) { return ([System.IO.File]::ReadAllText($comm)).Trim() }
    } catch { $null = $_ }
    try { return (Get-Process -Id $ProcessId -ErrorAction Stop).ProcessName } catch { return $null }
}

function Invoke-SimKill {
    <#
    .SYNOPSIS
        Ends the process abruptly (target host), or first its parent - the program that started PowerShell, past
        any launcher such as a dotnet-tool pwsh shim - and then itself (target parent).
    #>
    param([string] $Target = 'host')
    if ($Target -eq 'parent') {
        $launchers = [System.Collections.Generic.List[int]]::new()
        $parentId = Get-SimParentProcessId $PID
        while ($null -ne $parentId -and $parentId -gt 1 -and $launchers.Count -lt 3) {
            $name = [string](Get-SimProcessName $parentId)
            if ($name -notmatch '^(?i)(pwsh|powershell|dotnet)(\.exe)?$') { break }
            $launchers.Add($parentId)
            $parentId = Get-SimParentProcessId $parentId
        }
        if ($null -ne $parentId -and $parentId -gt 1) {
            try { Stop-Process -Id $parentId -Force -ErrorAction Stop } catch { $null = $_ }
        }
        foreach ($launcher in $launchers) { try { Stop-Process -Id $launcher -Force -ErrorAction Stop } catch { $null = $_ } }
    }
    try { [Console]::Error.Flush() } catch { $null = $_ }
    try { Stop-Process -Id $PID -Force -ErrorAction Stop } catch { $null = $_ }
    [Environment]::Exit(137)
}

function Test-SimFaultMatch {
    param($Fault, [string] $Command, [string] $Route)
    $faultCommand = [string](Get-SimValue $Fault 'command' '')
    if (-not $faultCommand.Equals($Command, [StringComparison]::OrdinalIgnoreCase)) { return $false }
    $faultRoute = [string](Get-SimValue $Fault 'route' '')
    if ($faultRoute -and -not $faultRoute.Equals([string]$Route, [StringComparison]::OrdinalIgnoreCase)) { return $false }
    return $true
}

function Test-SimFaultDue {
    <# Whether the fault fires on this call: nth (one call) or every (each multiple), counted per command (and route). #>
    param($Fault, $Counters, [string] $Command, [string] $Route)
    $key = $Command
    $faultRoute = [string](Get-SimValue $Fault 'route' '')
    if ($faultRoute) { $key = $Command + ' ' + $Route }
    $count = [int](Get-SimValue $Counters.commands $key 0)
    $nth = Get-SimValue $Fault 'nth'
    $every = Get-SimValue $Fault 'every'
    if ($null -ne $nth) { return ($count -eq [int]$nth) }
    if ($null -ne $every -and [int]$every -gt 0) { return (($count % [int]$every) -eq 0) }
    return $true
}

#endregion

#region the transaction every fake runs

function Invoke-SimCommand {
    <#
    .SYNOPSIS
        Runs one fake cmdlet call against the simulated world.
    .DESCRIPTION
        Latency first (outside the lock); then, under the lock: counters and call log, injected faults (kill
        'before', fail), state load, the settle step (a finished sync cycle is applied), the body, state save,
        and after the lock is released a kill 'after'. The body gets one context hashtable:
        State, Dir, Now, Config, Counters, Faults, Command, Route and Dirty (set it to $true after a change).
    .OUTPUTS
        Whatever the body returns.
    #>
    param(
        [Parameter(Mandatory = $true)] [string] $Module,
        [Parameter(Mandatory = $true)] [string] $Command,
        [AllowNull()] [System.Collections.IDictionary] $BoundParameters,
        [string] $Route,
        [ValidateSet('ad', 'graph', 'none')] [string] $Latency = 'none',
        [Parameter(Mandatory = $true)] [scriptblock] $Body,
        [scriptblock] $OnFault,
        [System.Collections.IDictionary] $LogExtra,
        [switch] $NoState
    )

    if ($script:InTransaction) { throw 'upn-match simulator: nested simulator call (a fake called another fake inside its body)' }
    $dir = Get-SimDirectory
    $config = Get-SimConfig $dir
    $sleep = 0
    if ($Latency -eq 'ad') { $sleep = $config.AdMs }
    if ($Latency -eq 'graph') { $sleep = $config.GraphMs }
    if ($sleep -gt 0) { Start-Sleep -Milliseconds $sleep }

    $killAfter = $null
    $result = $null
    $lock = Enter-SimLock $dir
    $script:InTransaction = $true
    try {
        $countersPath = [System.IO.Path]::Combine($dir, 'counters.json')
        try {
            $counters = [UpnMatchSim.Files]::CountCall($countersPath, $Command, $Route)
        } catch {
            $inner = $_.Exception.InnerException
            if ($inner -is [System.FormatException] -and $inner.Message.StartsWith('upn-match simulator:')) { throw $inner.Message }
            throw
        }
        Add-SimCallLog -Dir $dir -Module $Module -Command $Command -Route $Route -BoundParameters $BoundParameters -Extra $LogExtra

        $faults = $null
        $faultsPath = [System.IO.Path]::Combine($dir, 'faults.json')
        if ([System.IO.File]::Exists($faultsPath)) { $faults = Read-SimJsonFile $faultsPath }
        foreach ($kill in @(Get-SimValue $faults 'kill' @())) {
            if ((Test-SimFaultMatch $kill $Command $Route) -and (Test-SimFaultDue $kill $counters $Command $Route)) {
                if ($script:IsSimServer) { throw 'upn-match simulator: kill faults cannot be injected through the simulator server (it would kill itself, not the caller)' }
                $when = [string](Get-SimValue $kill 'when' 'before')
                if ($when -eq 'after') { $killAfter = $kill } else { Invoke-SimKill ([string](Get-SimValue $kill 'target' 'host')) }
            }
        }
        foreach ($fail in @(Get-SimValue $faults 'fail' @())) {
            if ((Test-SimFaultMatch $fail $Command $Route) -and (Test-SimFaultDue $fail $counters $Command $Route)) {
                if ($OnFault) { & $OnFault $fail }
                $message = [string](Get-SimValue $fail 'message' 'Injected failure')
                $category = [System.Management.Automation.ErrorCategory]::NotSpecified
                $categoryName = [string](Get-SimValue $fail 'category' '')
                if ($categoryName) { $category = [System.Management.Automation.ErrorCategory]$categoryName }
                $typeName = [string](Get-SimValue $fail 'exceptionType' 'System.Exception')
                $exception = New-SimException -TypeName $typeName -Message $message
                throw (New-SimErrorRecord -Exception $exception -ErrorId ([string](Get-SimValue $fail 'errorId' 'UpnMatchSimInjectedFault')) -Category $category)
            }
        }

        $context = @{
            Dir = $dir; Now = (Get-SimNow); Config = $config; Counters = $counters; CountersPath = $countersPath
            Faults = $faults; Command = $Command; Route = $Route; Dirty = $false; State = $null
        }
        if (-not $NoState) {
            $state = Read-SimState $dir
            $context.State = $state
            $settled = $false
            try {
                $settled = Update-SimSettle -Context $context
            } catch {
                Clear-SimStateCache
                throw
            }
            $snapshot = $null
            if ($settled) {
                $script:StateIndexes = @{}
                $snapshot = ConvertTo-SimJson $state
            }
            try {
                $result = & $Body $context
            } catch {
                # The body may have changed the kept state before it failed: forget it, the file is the truth.
                Clear-SimStateCache
                if ($null -ne $snapshot) { [UpnMatchSim.Files]::WriteAtomic([System.IO.Path]::Combine($dir, 'state.json'), $snapshot) }
                throw
            }
            if ($context.Dirty -or $settled) { Write-SimState -Dir $dir -State $state }
        } else {
            $result = & $Body $context
        }
        if ($context.ContainsKey('CountersDirty') -and $context.CountersDirty) {
            [UpnMatchSim.Files]::WriteAtomic($countersPath, (ConvertTo-SimJson $counters))
        }
    } finally {
        $script:InTransaction = $false
        $lock.Dispose()
    }
    if ($null -ne $killAfter) { Invoke-SimKill ([string](Get-SimValue $killAfter 'target' 'host')) }
    return $result
}

function Step-SimGraphRequest {
    <#
    .SYNOPSIS
        Counts one Graph request toward throttling (across processes); $true when this one must get a 429
        (faults.json graph429Every: K => every Kth request).
    #>
    param([Parameter(Mandatory = $true)] $Context)
    $Context.Counters.graphRequests = [int]$Context.Counters.graphRequests + 1
    $Context.CountersDirty = $true
    $every = [int](Get-SimValue $Context.Faults 'graph429Every' 0)
    if ($every -le 0) { return $false }
    return (([int]$Context.Counters.graphRequests % $every) -eq 0)
}

#endregion

# The typed exceptions and the data helpers: compiled once per machine, then loaded from the cache.
Initialize-SimTypes
[UpnMatchSim.Files]::ProcessId = $PID

. (Join-Path $PSScriptRoot 'UpnMatch.Sim.Sync.ps1')
. (Join-Path $PSScriptRoot 'UpnMatch.Sim.Remote.ps1')

Export-ModuleMember -Function @(
    'ConvertTo-SimData', 'ConvertFrom-SimJson', 'ConvertTo-SimJson', 'Copy-SimData', 'Get-SimValue',
    'Format-SimTime', 'ConvertFrom-SimTime', 'Get-SimNow', 'Get-SimDirectory', 'Read-SimState',
    'New-SimException', 'New-SimErrorRecord', 'Invoke-SimCommand', 'Step-SimGraphRequest',
    'Update-SimSettle', 'Start-SimSyncCycle', 'Get-SimSyncCycleMs', 'Get-SimPrimarySmtp', 'Get-SimSourceAnchor',
    'Get-SimAadConnectorName', 'Get-SimAdConnectorName', 'Get-SimRoleHolderIds', 'Get-SimInitialDomain',
    'Test-SimInScope', 'Get-SimFeature', 'Get-SimIndex', 'New-SimIndex', 'Get-SimRemoteProxies', 'Invoke-SimRemote',
    'Invoke-SimServer'
)
