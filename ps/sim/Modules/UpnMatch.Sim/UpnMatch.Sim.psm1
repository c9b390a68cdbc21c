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
$script:JsonHasDateKind = (Get-Command ConvertFrom-Json).Parameters.ContainsKey('DateKind')
$script:TypesLoaded = $false
$script:FastData = $false
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
    if ($script:FastData) { return , ([UpnMatchSim.Data]::Normalize($Value)) }
    return , (ConvertTo-SimDataSlow $Value)
}

function ConvertTo-SimDataSlow {
    param([Parameter(Position = 0)] [AllowNull()] $Value)
    if ($null -eq $Value) { return $null }
    if ($Value -is [System.Management.Automation.PSObject] -and $Value -isnot [System.Management.Automation.PSCustomObject]) {
        $Value = $Value.PSObject.BaseObject
    }
    if ($Value -is [string] -or $Value -is [bool] -or $Value -is [int] -or $Value -is [long] -or $Value -is [double] -or $Value -is [decimal]) {
        return $Value
    }
    if ($Value -is [datetime]) { return (Format-SimTime $Value) }
    if ($Value -is [datetimeoffset]) { return (Format-SimTime $Value.UtcDateTime) }
    if ($Value -is [guid]) { return $Value.ToString() }
    if ($Value -is [byte[]]) { return [Convert]::ToBase64String($Value) }
    if ($Value -is [System.Management.Automation.SwitchParameter]) { return [bool]$Value }
    if ($Value -is [enum]) { return $Value.ToString() }
    if ($Value -is [System.ValueType]) { return $Value }
    if ($Value -is [System.Collections.IDictionary]) {
        $map = [ordered]@{}
        foreach ($key in @($Value.Keys)) { $map[[string]$key] = ConvertTo-SimDataSlow $Value[$key] }
        return $map
    }
    if ($Value -is [System.Management.Automation.PSCustomObject]) {
        $map = [ordered]@{}
        foreach ($property in $Value.PSObject.Properties) { $map[$property.Name] = ConvertTo-SimDataSlow $property.Value }
        return $map
    }
    if ($Value -is [System.Collections.IEnumerable]) {
        $list = [System.Collections.Generic.List[object]]::new()
        foreach ($item in $Value) { $list.Add((ConvertTo-SimDataSlow $item)) }
        return , $list.ToArray()
    }
    return [string]$Value
}

function ConvertFrom-SimJson {
    <# Parses JSON text into plain data (see ConvertTo-SimData); date-like strings stay strings. #>
    param([Parameter(Mandatory = $true)] [AllowEmptyString()] [string] $Json)
    if ([string]::IsNullOrWhiteSpace($Json)) { return $null }
    if ($script:FastData) { return , ([UpnMatchSim.Data]::ParseJson($Json)) }
    $options = @{}
    if ($script:JsonHasDateKind) { $options['DateKind'] = 'String' }
    $parsed = ConvertFrom-Json -InputObject $Json @options
    return , (ConvertTo-SimData $parsed)
}

function ConvertTo-SimJson {
    <# Serialises plain data as JSON (Depth 20). #>
    param([Parameter(Position = 0)] [AllowNull()] $Value, [switch] $Compress)
    if ($script:FastData) { return [UpnMatchSim.Data]::ToJson($Value, -not $Compress) }
    $data = ConvertTo-SimData $Value
    if ($null -eq $data) { return 'null' }
    return (ConvertTo-Json -InputObject $data -Depth 20 -Compress:$Compress)
}

function Copy-SimData {
    <# Deep copy of plain data. #>
    param([Parameter(Position = 0)] [AllowNull()] $Value)
    if ($script:FastData) { return , ([UpnMatchSim.Data]::DeepCopy($Value)) }
    return , (ConvertTo-SimData $Value)
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

function Write-SimFileAtomic {
    <# Writes text (UTF-8, no BOM) to a temp file beside the target, then moves it over the target. #>
    param([Parameter(Mandatory = $true)] [string] $Path, [Parameter(Mandatory = $true)] [AllowEmptyString()] [string] $Text)
    if ($script:FastData) {
        [UpnMatchSim.Files]::WriteAtomic($Path, $Text)
        return
    }
    $temp = '{0}.{1}.{2}.tmp' -f $Path, $PID, [guid]::NewGuid().ToString('N')
    [System.IO.File]::WriteAllText($temp, $Text, $script:Utf8NoBom)
    # On Windows a reader outside the lock (the CLI, a test) can hold the target open for a moment: retry.
    $attempt = 0
    while ($true) {
        try {
            if ([System.IO.File]::Exists($Path)) {
                [System.IO.File]::Replace($temp, $Path, [NullString]::Value)
            } else {
                [System.IO.File]::Move($temp, $Path)
            }
            return
        } catch {
            $attempt++
            if ($attempt -ge 40) {
                if ([System.IO.File]::Exists($temp)) { [System.IO.File]::Delete($temp) }
                throw
            }
            Start-Sleep -Milliseconds 25
        }
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

function Get-SimStateStamp {
    <# Size and last write time of state.json: a change means another process (or the CLI) wrote it. #>
    param([Parameter(Mandatory = $true)] [string] $Path)
    if ($script:FastData) { return [UpnMatchSim.Files]::Stamp($Path) }
    $info = New-Object System.IO.FileInfo $Path
    $info.Refresh()
    if (-not $info.Exists) { return $null }
    return ('{0}:{1}' -f $info.Length, $info.LastWriteTimeUtc.Ticks)
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
    $stamp = Get-SimStateStamp $path
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
    if ($script:FastData) { [UpnMatchSim.Data]::WriteJsonFileAtomic($path, $State, $true) }
    else { Write-SimFileAtomic -Path $path -Text (ConvertTo-SimJson $State) }
    $script:StateCache = @{ Path = $path; Stamp = (Get-SimStateStamp $path); State = $State }
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
    if ($script:FastData) { return , ([UpnMatchSim.Data]::BuildIndex($Items, $Fields)) }
    $index = [System.Collections.Generic.Dictionary[string,System.Collections.Generic.List[int]]]::new([StringComparer]::OrdinalIgnoreCase)
    for ($position = 0; $position -lt $Items.Count; $position++) {
        $item = $Items[$position]
        if ($item -isnot [System.Collections.IDictionary]) { continue }
        foreach ($field in $Fields) {
            if (-not $item.Contains($field)) { continue }
            $text = [string]$item[$field]
            if (-not $text) { continue }
            $key = $field.ToLowerInvariant() + [char]0 + $text
            $hits = $null
            if (-not $index.TryGetValue($key, [ref]$hits)) {
                $hits = [System.Collections.Generic.List[int]]::new()
                $index[$key] = $hits
            }
            $hits.Add($position)
        }
    }
    return , $index
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
    $key = $null
    if ($script:FastData) {
        $key = '{0}|{1}|{2}|{3}|{4}' -f $path, [UpnMatchSim.Files]::Stamp($path), [Environment]::GetEnvironmentVariable('UPN_MATCH_SIM_GRAPH_LATENCY_MS'),
            [Environment]::GetEnvironmentVariable('UPN_MATCH_SIM_AD_LATENCY_MS'), [Environment]::GetEnvironmentVariable('UPN_MATCH_SIM_SYNC_MS')
        if ($null -ne $script:ConfigCache -and $script:ConfigCache.Key -ceq $key) { return $script:ConfigCache.Config.Clone() }
    }
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
    if ($null -ne $key) { $script:ConfigCache = @{ Key = $key; Config = $config.Clone() } }
    return $config
}

#endregion

#region exception types

function Initialize-SimTypes {
    <#
    .SYNOPSIS
        Loads exception types with the real modules' names (ADIdentityNotFoundException, HttpResponseException,
        MicrosoftOnlineException...) so that typed catch blocks in product scripts work. Compiled once per
        machine and PowerShell edition into the temp folder; loading the cached DLL is fast.
    #>
    if ($script:TypesLoaded) { return $true }
    $source = @'
namespace Microsoft.ActiveDirectory.Management {
    public class ADException : System.Exception {
        public ADException() : base() {}
        public ADException(string message) : base(message) {}
        public ADException(string message, System.Exception inner) : base(message, inner) {}
        public int ErrorCode { get; set; }
        public string ServerErrorMessage { get; set; }
    }
    public class ADIdentityResolutionException : ADException {
        public ADIdentityResolutionException(string message) : base(message) {}
    }
    public class ADIdentityNotFoundException : ADIdentityResolutionException {
        public ADIdentityNotFoundException(string message) : base(message) {}
    }
    public class ADIdentityAlreadyExistsException : ADException {
        public ADIdentityAlreadyExistsException(string message) : base(message) {}
    }
    public class ADFilterParsingException : ADException {
        public ADFilterParsingException(string message) : base(message) {}
        public string Query { get; set; }
        public int Position { get; set; }
    }
    public class ADServerDownException : ADException {
        public ADServerDownException(string message) : base(message) {}
    }
    public class ADInvalidOperationException : ADException {
        public ADInvalidOperationException(string message) : base(message) {}
    }
    public class ADPasswordComplexityException : ADException {
        public ADPasswordComplexityException(string message) : base(message) {}
    }
}
namespace Microsoft.Graph.PowerShell.Authentication.Helpers {
    public class HttpResponseException : System.Net.Http.HttpRequestException {
        public HttpResponseException(string message, System.Net.Http.HttpResponseMessage response) : base(message) { Response = response; }
        public System.Net.Http.HttpResponseMessage Response { get; private set; }
    }
}
namespace Microsoft.Online.Administration.Automation {
    public class MicrosoftOnlineException : System.Exception {
        public MicrosoftOnlineException(string message) : base(message) {}
    }
}
namespace UpnMatchSim {
    using System;
    using System.Collections;
    using System.Collections.Specialized;
    using System.Globalization;
    using System.Management.Automation;
    using System.Text;

    // Plain data for the simulator: OrderedDictionary (case-insensitive keys), object[] arrays, string, bool,
    // int/long/double, null. Written in C# 5 so that Windows PowerShell 5.1 compiles it too.
    public static class Data {
        public static object ParseJson(string text) {
            JsonReader reader = new JsonReader(text);
            reader.SkipWhite();
            object value = reader.ReadValue();
            reader.SkipWhite();
            if (reader.Position != text.Length) { throw new FormatException("Unexpected text after the JSON value at position " + reader.Position); }
            return value;
        }

        public static object DeepCopy(object value) {
            IDictionary map = value as IDictionary;
            if (map != null) {
                OrderedDictionary copy = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
                foreach (DictionaryEntry entry in map) { copy[Convert.ToString(entry.Key, CultureInfo.InvariantCulture)] = DeepCopy(entry.Value); }
                return copy;
            }
            object[] array = value as object[];
            if (array != null) {
                object[] copy = new object[array.Length];
                for (int i = 0; i < array.Length; i++) { copy[i] = DeepCopy(array[i]); }
                return copy;
            }
            PSObject wrapped = value as PSObject;
            if (wrapped != null) { return Normalize(value); }
            return value;
        }

        public static object Normalize(object value) {
            if (value == null) { return null; }
            PSObject wrapped = value as PSObject;
            if (wrapped != null) {
                if (wrapped.BaseObject is PSCustomObject) {
                    OrderedDictionary fromObject = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
                    foreach (PSPropertyInfo property in wrapped.Properties) { fromObject[property.Name] = Normalize(property.Value); }
                    return fromObject;
                }
                value = wrapped.BaseObject;
            }
            if (value is string || value is bool || value is int || value is long || value is double || value is decimal) { return value; }
            if (value is DateTime) { return ((DateTime)value).ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture); }
            if (value is DateTimeOffset) { return ((DateTimeOffset)value).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture); }
            if (value is Guid) { return value.ToString(); }
            byte[] bytes = value as byte[];
            if (bytes != null) { return Convert.ToBase64String(bytes); }
            if (value is SwitchParameter) { return ((SwitchParameter)value).IsPresent; }
            if (value is Enum) { return value.ToString(); }
            if (value is ValueType) { return value; }
            IDictionary map = value as IDictionary;
            if (map != null) {
                OrderedDictionary copy = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
                foreach (DictionaryEntry entry in map) { copy[Convert.ToString(entry.Key, CultureInfo.InvariantCulture)] = Normalize(entry.Value); }
                return copy;
            }
            IEnumerable items = value as IEnumerable;
            if (items != null) {
                ArrayList list = new ArrayList();
                foreach (object item in items) { list.Add(Normalize(item)); }
                return list.ToArray();
            }
            return Convert.ToString(value, CultureInfo.InvariantCulture);
        }

        // Positions of the dictionaries in items by field value: key = lower-case field name, NUL, value
        // (compared case-insensitively); null and empty values are left out.
        public static System.Collections.Generic.Dictionary<string, System.Collections.Generic.List<int>> BuildIndex(object items, string[] fields) {
            System.Collections.Generic.Dictionary<string, System.Collections.Generic.List<int>> index =
                new System.Collections.Generic.Dictionary<string, System.Collections.Generic.List<int>>(StringComparer.OrdinalIgnoreCase);
            object[] list = items as object[];
            if (list == null) { return index; }
            for (int i = 0; i < list.Length; i++) {
                IDictionary map = list[i] as IDictionary;
                if (map == null) { continue; }
                foreach (string field in fields) {
                    if (!map.Contains(field)) { continue; }
                    string text = Convert.ToString(map[field], CultureInfo.InvariantCulture);
                    if (string.IsNullOrEmpty(text)) { continue; }
                    string key = field.ToLowerInvariant() + "\0" + text;
                    System.Collections.Generic.List<int> hits;
                    if (!index.TryGetValue(key, out hits)) {
                        hits = new System.Collections.Generic.List<int>();
                        index[key] = hits;
                    }
                    hits.Add(i);
                }
            }
            return index;
        }

        // JSON text of a value, as ConvertTo-Json would write its Normalize()d form (two-space indents), but
        // without PowerShell's cost per property: the state file of a large world is rewritten on every change.
        public static string ToJson(object value, bool indent) {
            StringBuilder builder = new StringBuilder();
            Write(builder, value, indent, 0);
            return builder.ToString();
        }

        private static void Write(StringBuilder b, object value, bool indent, int depth) {
            if (value is PSObject) { value = Normalize(value); }
            if (value == null) { b.Append("null"); return; }
            string text = value as string;
            if (text != null) { WriteString(b, text); return; }
            if (value is bool) { b.Append((bool)value ? "true" : "false"); return; }
            if (value is int || value is long || value is short || value is byte || value is sbyte || value is uint || value is ulong || value is ushort || value is decimal) {
                b.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            }
            if (value is double || value is float) {
                double number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsNaN(number) || double.IsInfinity(number)) { WriteString(b, number.ToString(CultureInfo.InvariantCulture)); return; }
                b.Append(number.ToString("R", CultureInfo.InvariantCulture));
                return;
            }
            IDictionary map = value as IDictionary;
            if (map != null) {
                if (map.Count == 0) { b.Append("{}"); return; }
                b.Append('{');
                bool first = true;
                foreach (DictionaryEntry entry in map) {
                    if (!first) { b.Append(','); }
                    first = false;
                    NewLine(b, indent, depth + 1);
                    WriteString(b, Convert.ToString(entry.Key, CultureInfo.InvariantCulture));
                    b.Append(indent ? ": " : ":");
                    Write(b, entry.Value, indent, depth + 1);
                }
                NewLine(b, indent, depth);
                b.Append('}');
                return;
            }
            object[] array = value as object[];
            if (array != null) {
                if (array.Length == 0) { b.Append("[]"); return; }
                b.Append('[');
                for (int i = 0; i < array.Length; i++) {
                    if (i > 0) { b.Append(','); }
                    NewLine(b, indent, depth + 1);
                    Write(b, array[i], indent, depth + 1);
                }
                NewLine(b, indent, depth);
                b.Append(']');
                return;
            }
            object normalized = Normalize(value);
            if (normalized is string || normalized is IDictionary || normalized is object[] || normalized is bool || normalized == null) {
                Write(b, normalized, indent, depth);
                return;
            }
            WriteString(b, Convert.ToString(normalized, CultureInfo.InvariantCulture));
        }

        private static void NewLine(StringBuilder b, bool indent, int depth) {
            if (!indent) { return; }
            b.Append('\n');
            b.Append(' ', depth * 2);
        }

        private static void WriteString(StringBuilder b, string text) {
            b.Append('"');
            int run = 0;
            for (int i = 0; i < text.Length; i++) {
                char c = text[i];
                string escape = null;
                switch (c) {
                    case '"': escape = "\\\""; break;
                    case '\\': escape = "\\\\"; break;
                    case '\n': escape = "\\n"; break;
                    case '\r': escape = "\\r"; break;
                    case '\t': escape = "\\t"; break;
                    case '\b': escape = "\\b"; break;
                    case '\f': escape = "\\f"; break;
                    default:
                        if (c < ' ' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                            escape = "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture);
                        }
                        break;
                }
                if (escape == null) { continue; }
                if (i > run) { b.Append(text, run, i - run); }
                b.Append(escape);
                run = i + 1;
            }
            if (text.Length > run) { b.Append(text, run, text.Length - run); }
            b.Append('"');
        }

        // Writes a value's JSON (ToJson) to a file through a temp file beside it, then moves it over the file
        // (as Write-SimFileAtomic does), without holding the whole text as one string.
        public static void WriteJsonFileAtomic(string path, object value, bool indent) {
            StringBuilder builder = new StringBuilder();
            Write(builder, value, indent, 0);
            Files.WriteAtomic(path, builder);
        }
    }

    // The simulator's own files: written atomically (temp file, then replace), the call log appended.
    public static class Files {
        private static readonly UTF8Encoding Utf8NoBom = new UTF8Encoding(false);

        // This process's id, for temp file names (set by UpnMatch.Sim once loaded: $PID).
        public static int ProcessId;

        public static void WriteAtomic(string path, string text) {
            StringBuilder builder = new StringBuilder(text);
            WriteAtomic(path, builder);
        }

        // Write-SimFileAtomic: the text goes to <path>.<pid>.<guid>.tmp, which then replaces the target. On Windows
        // a reader outside the lock (the CLI, a test) can hold the target open for a moment: 40 attempts, 25 ms apart.
        public static void WriteAtomic(string path, StringBuilder text) {
            string temp = string.Format(CultureInfo.InvariantCulture, "{0}.{1}.{2}.tmp", path, ProcessId, Guid.NewGuid().ToString("N"));
            using (System.IO.StreamWriter writer = new System.IO.StreamWriter(temp, false, Utf8NoBom, 65536)) {
                // Slices of 16,000 characters: no string of the whole text (a large object) is made.
                const int slice = 16000;
                for (int start = 0; start < text.Length; start += slice) {
                    writer.Write(text.ToString(start, Math.Min(slice, text.Length - start)));
                }
            }
            int attempt = 0;
            while (true) {
                try {
                    if (System.IO.File.Exists(path)) { System.IO.File.Replace(temp, path, null); } else { System.IO.File.Move(temp, path); }
                    return;
                } catch (Exception) {
                    attempt++;
                    if (attempt >= 40) {
                        if (System.IO.File.Exists(temp)) { System.IO.File.Delete(temp); }
                        throw;
                    }
                    System.Threading.Thread.Sleep(25);
                }
            }
        }

        public static void Append(string path, string text) {
            System.IO.File.AppendAllText(path, text, Utf8NoBom);
        }

        // Invoke-SimCommand's count of a call in counters.json ({ commands: { <cmdlet>: n, "<cmdlet> <route>": n },
        // graphRequests: n }, across processes; the caller holds the lock): read, add one, written back. Returns
        // the counters.
        public static OrderedDictionary CountCall(string path, string command, string route) {
            object parsed = null;
            if (System.IO.File.Exists(path)) {
                string text = System.IO.File.ReadAllText(path, Encoding.UTF8);
                if (!string.IsNullOrWhiteSpace(text)) {
                    try { parsed = Data.ParseJson(text); }
                    catch (Exception e) { throw new FormatException("upn-match simulator: cannot parse " + path + ": " + e.Message); }
                }
            }
            OrderedDictionary counters = parsed as OrderedDictionary;
            if (parsed != null && counters == null) { throw new FormatException("upn-match simulator: " + path + " does not hold a JSON object"); }
            if (counters == null) { counters = new OrderedDictionary(StringComparer.OrdinalIgnoreCase); }
            if (counters["commands"] == null) { counters["commands"] = new OrderedDictionary(StringComparer.OrdinalIgnoreCase); }
            IDictionary commands = counters["commands"] as IDictionary;
            if (commands == null) { throw new FormatException("upn-match simulator: " + path + " has no commands object"); }
            if (counters["graphRequests"] == null) { counters["graphRequests"] = 0; }
            Increment(commands, command);
            if (!string.IsNullOrEmpty(route)) { Increment(commands, command + " " + route); }
            Data.WriteJsonFileAtomic(path, counters, true);
            return counters;
        }

        private static void Increment(IDictionary map, string key) {
            object value = map[key];
            int count = value == null ? 0 : Convert.ToInt32(value, CultureInfo.InvariantCulture);
            map[key] = count + 1;
        }

        // Size and last write time of a file ("length:ticks"), or null when it does not exist.
        public static string Stamp(string path) {
            System.IO.FileInfo info = new System.IO.FileInfo(path);
            if (!info.Exists) { return null; }
            return info.Length.ToString(CultureInfo.InvariantCulture) + ":" + info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture);
        }
    }

    // Scans of the sync engine (UpnMatch.Sim.Sync.ps1) over lists of objects (dictionaries), with the
    // PowerShell semantics of the loops they replace: [string] casts, -ceq (invariant culture), .Equals with
    // OrdinalIgnoreCase, first or last match. The engine runs them for every AD user over every cloud object.
    public static class Lookup {
        private static readonly System.Text.RegularExpressions.Regex SmtpProxy =
            new System.Text.RegularExpressions.Regex("^(?i)smtp:(.+)$", System.Text.RegularExpressions.RegexOptions.IgnoreCase);

        private static object Unwrap(object value) {
            PSObject wrapped = value as PSObject;
            if (wrapped != null && !(wrapped.BaseObject is PSCustomObject)) { return wrapped.BaseObject; }
            return value;
        }

        // PowerShell's [string] of a value ($null -> '').
        public static string Text(object value) {
            value = Unwrap(value);
            if (value == null) { return string.Empty; }
            string text = value as string;
            if (text != null) { return text; }
            return (string)LanguagePrimitives.ConvertTo(value, typeof(string), CultureInfo.InvariantCulture);
        }

        // Get-SimValue $Map $Key: null when the map or the key is missing.
        private static object Get(object map, string key) {
            IDictionary dictionary = Unwrap(map) as IDictionary;
            if (dictionary == null || !dictionary.Contains(key)) { return null; }
            return dictionary[key];
        }

        // The items of @($List): none for null, the one item for a scalar or a dictionary.
        private static IList Items(object list) {
            list = Unwrap(list);
            ArrayList items = new ArrayList();
            if (list == null) { return items; }
            if (list is string || list is IDictionary || !(list is IEnumerable)) { items.Add(list); return items; }
            foreach (object item in (IEnumerable)list) { items.Add(item); }
            return items;
        }

        private static bool IsExcepted(object item, string exceptId) {
            return !string.IsNullOrEmpty(exceptId) && Text(Get(item, "id")).Equals(exceptId, StringComparison.OrdinalIgnoreCase);
        }

        // The first item (other than exceptId) whose [string]field equals value, ignoring case (OrdinalIgnoreCase).
        public static object FirstByText(object list, string field, string value, string exceptId) {
            foreach (object item in Items(list)) {
                if (IsExcepted(item, exceptId)) { continue; }
                if (Text(Get(item, field)).Equals(value, StringComparison.OrdinalIgnoreCase)) { return item; }
            }
            return null;
        }

        // The last item whose [string]field equals value, ignoring case (OrdinalIgnoreCase).
        public static object LastByText(object list, string field, string value) {
            object found = null;
            foreach (object item in Items(list)) {
                if (Text(Get(item, field)).Equals(value, StringComparison.OrdinalIgnoreCase)) { found = item; }
            }
            return found;
        }

        // The first item whose [string]field -ceq value.
        public static object FirstByTextExact(object list, string field, string value) {
            foreach (object item in Items(list)) {
                if (string.Compare(Text(Get(item, field)), value, CultureInfo.InvariantCulture, CompareOptions.None) == 0) { return item; }
            }
            return null;
        }

        // Get-SimPrimarySmtp: the proxyAddresses entry with the upper-case "SMTP:" prefix, else mail, else null.
        public static string PrimarySmtp(object proxyAddresses, object mail) {
            foreach (object proxy in Items(proxyAddresses)) {
                string text = Unwrap(proxy) as string;
                if (text != null && text.StartsWith("SMTP:", StringComparison.Ordinal)) { return text.Substring(5); }
            }
            string mailText = Unwrap(mail) as string;
            if (mailText != null && mailText.Length > 0) { return mailText; }
            return null;
        }

        private static bool PrimarySmtpIs(object item, string value) {
            object proxies = Get(item, "proxyAddresses");
            string primary = PrimarySmtp(proxies == null ? new object[0] : proxies, Get(item, "mail"));
            return !string.IsNullOrEmpty(primary) && primary.Equals(value, StringComparison.OrdinalIgnoreCase);
        }

        // The first / last item whose primary SMTP address equals value, ignoring case.
        public static object FirstByPrimarySmtp(object list, string value) {
            foreach (object item in Items(list)) { if (PrimarySmtpIs(item, value)) { return item; } }
            return null;
        }

        public static object LastByPrimarySmtp(object list, string value) {
            object found = null;
            foreach (object item in Items(list)) { if (PrimarySmtpIs(item, value)) { found = item; } }
            return found;
        }

        // Get-SimCloudAddresses: every SMTP address an object holds (proxyAddresses without prefix, and mail), lower-case.
        public static string[] CloudAddresses(object item) {
            ArrayList addresses = new ArrayList();
            object proxies = Get(item, "proxyAddresses");
            foreach (object proxy in Items(proxies == null ? new object[0] : proxies)) {
                System.Text.RegularExpressions.Match match = SmtpProxy.Match(Text(proxy));
                if (match.Success) { addresses.Add(match.Groups[1].Value.ToLowerInvariant()); }
            }
            object mailValue = Get(item, "mail");
            string mail = mailValue == null ? string.Empty : Text(mailValue);
            if (mail.Length > 0) { addresses.Add(mail.ToLowerInvariant()); }
            return (string[])addresses.ToArray(typeof(string));
        }

        // The first item (other than exceptId) that holds the address (@(Get-SimCloudAddresses $item) -contains $address).
        public static object FirstByAddress(object list, string address, string exceptId) {
            foreach (object item in Items(list)) {
                if (IsExcepted(item, exceptId)) { continue; }
                foreach (string held in CloudAddresses(item)) {
                    if (string.Compare(held, address, CultureInfo.InvariantCulture, CompareOptions.IgnoreCase) == 0) { return item; }
                }
            }
            return null;
        }

        // The last key of a dictionary whose [string] equals key, ignoring case (OrdinalIgnoreCase); null if none.
        public static object LastKey(IDictionary map, string key) {
            object found = null;
            if (map == null) { return null; }
            ArrayList keys = new ArrayList(map.Keys);
            foreach (object candidate in keys) {
                if (Text(candidate).Equals(key, StringComparison.OrdinalIgnoreCase)) { found = candidate; }
            }
            return found;
        }
    }

    // The fake Graph module's conversions of response bodies (ConvertTo-GraphEntity, ConvertTo-GraphHashtable):
    // a users page converts every property of every user.
    public static class Graph {
        private static bool IsAny(string name, string[] names) {
            foreach (string candidate in names) { if (string.Compare(name, candidate, CultureInfo.InvariantCulture, CompareOptions.IgnoreCase) == 0) { return true; } }
            return false;
        }

        private static readonly string[] ArrayProperties = new string[] { "businessPhones", "proxyAddresses", "otherMails", "onPremisesProvisioningErrors" };
        private static readonly string[] Skipped = new string[] { "members" };

        // ConvertTo-GraphEntity once its property names are known.
        public static OrderedDictionary ProjectEntity(IDictionary item, string[] names) {
            OrderedDictionary output = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
            foreach (string name in names) {
                object value = null;
                bool present = false;
                if (item.Contains(name)) { value = item[name]; present = true; }
                if (!present && IsAny(name, ArrayProperties)) { value = new object[0]; }
                if (IsAny(name, Skipped)) { continue; }
                output[name] = value;
            }
            return output;
        }

        // ConvertTo-GraphHashtable: dictionaries become hashtables, arrays object[], recursively. What the PowerShell
        // function's output would be: another enumerable is unrolled (nothing: null, one item: the item).
        public static object ToHashtable(object value) {
            if (value == null) { return null; }
            PSObject wrapped = value as PSObject;
            object bare = wrapped != null ? wrapped.BaseObject : value;
            IDictionary map = bare as IDictionary;
            if (map != null) {
                Hashtable table = new Hashtable(StringComparer.OrdinalIgnoreCase);
                foreach (object key in new ArrayList(map.Keys)) { table[Lookup.Text(key)] = ToHashtable(map[key]); }
                return table;
            }
            Array array = bare as Array;
            if (array != null) {
                object[] list = new object[array.Length];
                int i = 0;
                foreach (object item in array) { list[i++] = ToHashtable(item); }
                return list;
            }
            if (bare is string || !(bare is IEnumerable) || (wrapped != null && wrapped.BaseObject is PSCustomObject)) { return value; }
            ArrayList items = new ArrayList();
            foreach (object item in (IEnumerable)bare) { items.Add(item); }
            if (items.Count == 0) { return null; }
            if (items.Count == 1) { return items[0]; }
            return items.ToArray();
        }
    }

    internal sealed class JsonReader {
        private readonly string text;
        public int Position;
        public JsonReader(string text) { this.text = text; this.Position = 0; }

        private Exception Fail(string what) { return new FormatException(what + " at position " + Position); }

        public void SkipWhite() {
            while (Position < text.Length) {
                char c = text[Position];
                if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\uFEFF') { Position++; } else { break; }
            }
        }

        public object ReadValue() {
            SkipWhite();
            if (Position >= text.Length) { throw Fail("Unexpected end of JSON"); }
            char c = text[Position];
            if (c == '{') { return ReadObject(); }
            if (c == '[') { return ReadArray(); }
            if (c == '"') { return ReadString(); }
            if (c == 't') { Expect("true"); return true; }
            if (c == 'f') { Expect("false"); return false; }
            if (c == 'n') { Expect("null"); return null; }
            return ReadNumber();
        }

        private void Expect(string word) {
            if (string.CompareOrdinal(text, Position, word, 0, word.Length) != 0) { throw Fail("Invalid JSON literal"); }
            Position += word.Length;
        }

        private OrderedDictionary ReadObject() {
            OrderedDictionary map = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
            Position++;
            SkipWhite();
            if (Position < text.Length && text[Position] == '}') { Position++; return map; }
            while (true) {
                SkipWhite();
                if (Position >= text.Length || text[Position] != '"') { throw Fail("Expected a property name"); }
                string key = ReadString();
                SkipWhite();
                if (Position >= text.Length || text[Position] != ':') { throw Fail("Expected ':'"); }
                Position++;
                map[key] = ReadValue();
                SkipWhite();
                if (Position >= text.Length) { throw Fail("Unexpected end of JSON"); }
                if (text[Position] == ',') { Position++; continue; }
                if (text[Position] == '}') { Position++; return map; }
                throw Fail("Expected ',' or '}'");
            }
        }

        private object[] ReadArray() {
            ArrayList list = new ArrayList();
            Position++;
            SkipWhite();
            if (Position < text.Length && text[Position] == ']') { Position++; return list.ToArray(); }
            while (true) {
                list.Add(ReadValue());
                SkipWhite();
                if (Position >= text.Length) { throw Fail("Unexpected end of JSON"); }
                if (text[Position] == ',') { Position++; continue; }
                if (text[Position] == ']') { Position++; return list.ToArray(); }
                throw Fail("Expected ',' or ']'");
            }
        }

        private string ReadString() {
            StringBuilder builder = new StringBuilder();
            Position++;
            while (true) {
                if (Position >= text.Length) { throw Fail("Unterminated string"); }
                char c = text[Position++];
                if (c == '"') { return builder.ToString(); }
                if (c != '\\') { builder.Append(c); continue; }
                if (Position >= text.Length) { throw Fail("Unterminated escape"); }
                char e = text[Position++];
                switch (e) {
                    case '"': builder.Append('"'); break;
                    case '\\': builder.Append('\\'); break;
                    case '/': builder.Append('/'); break;
                    case 'b': builder.Append('\b'); break;
                    case 'f': builder.Append('\f'); break;
                    case 'n': builder.Append('\n'); break;
                    case 'r': builder.Append('\r'); break;
                    case 't': builder.Append('\t'); break;
                    case 'u':
                        if (Position + 4 > text.Length) { throw Fail("Bad unicode escape"); }
                        builder.Append((char)int.Parse(text.Substring(Position, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        Position += 4;
                        break;
                    default: throw Fail("Bad escape");
                }
            }
        }

        private object ReadNumber() {
            int start = Position;
            while (Position < text.Length && "+-0123456789.eE".IndexOf(text[Position]) >= 0) { Position++; }
            string token = text.Substring(start, Position - start);
            if (token.Length == 0) { throw Fail("Unexpected character"); }
            if (token.IndexOf('.') < 0 && token.IndexOf('e') < 0 && token.IndexOf('E') < 0) {
                int small;
                if (int.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out small)) { return small; }
                long large;
                if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out large)) { return large; }
            }
            double number;
            if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out number)) { return number; }
            throw Fail("Invalid number");
        }
    }
}
'@
    try {
        $null = [UpnMatchSim.Files]
        $script:TypesLoaded = $true
        return $true
    } catch {
        $null = $_
    }
    try {
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
            try {
                Add-Type -TypeDefinition $source -OutputAssembly $tempDll -OutputType Library -ReferencedAssemblies $references -ErrorAction Stop
                try { [System.IO.File]::Move($tempDll, $dll) } catch { $null = $_ }
            } finally {
                if ([System.IO.File]::Exists($dll)) { try { [System.IO.Directory]::Delete($temp, $true) } catch { $null = $_ } }
            }
            if (-not [System.IO.File]::Exists($dll)) { $dll = $tempDll }
        }
        Add-Type -Path $dll -ErrorAction Stop
        $script:TypesLoaded = $true
    } catch {
        # Without a compiler the fakes still work; their exceptions are then plain System.Exception.
        $script:TypesLoaded = $false
    }
    return $script:TypesLoaded
}

function New-SimException {
    <# An exception of the named type when the typed exceptions are available, else System.Exception. #>
    param([Parameter(Mandatory = $true)] [string] $TypeName, [Parameter(Mandatory = $true)] [string] $Message, [object[]] $ExtraArguments = @())
    if (Initialize-SimTypes) {
        try {
            $arguments = @(, $Message) + @($ExtraArguments)
            return (New-Object -TypeName $TypeName -ArgumentList $arguments)
        } catch {
            $null = $_
        }
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
    if ($script:FastData) {
        # The same text as ConvertTo-Json -Compress writes for these values (PowerShell 7), without its cost.
        [UpnMatchSim.Files]::Append($path, [UpnMatchSim.Data]::ToJson($entry, $false) + "`n")
        return
    }
    $line = (ConvertTo-Json -InputObject $entry -Depth 10 -Compress) + "`n"
    [System.IO.File]::AppendAllText($path, $line, $script:Utf8NoBom)
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
        if ($script:FastData) {
            try {
                $counters = [UpnMatchSim.Files]::CountCall($countersPath, $Command, $Route)
            } catch {
                $inner = $_.Exception.InnerException
                if ($inner -is [System.FormatException] -and $inner.Message.StartsWith('upn-match simulator:')) { throw $inner.Message }
                throw
            }
        } else {
            $counters = Read-SimJsonFile $countersPath
            if ($null -eq $counters) { $counters = [ordered]@{} }
            if ($null -eq (Get-SimValue $counters 'commands')) { $counters['commands'] = [ordered]@{} }
            if ($null -eq (Get-SimValue $counters 'graphRequests')) { $counters['graphRequests'] = 0 }
            $counters.commands[$Command] = [int](Get-SimValue $counters.commands $Command 0) + 1
            if ($Route) { $counters.commands[$Command + ' ' + $Route] = [int](Get-SimValue $counters.commands ($Command + ' ' + $Route) 0) + 1 }
            Write-SimFileAtomic -Path $countersPath -Text (ConvertTo-SimJson $counters)
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
                if ($null -ne $snapshot) { Write-SimFileAtomic -Path ([System.IO.Path]::Combine($dir, 'state.json')) -Text $snapshot }
                throw
            }
            if ($context.Dirty -or $settled) { Write-SimState -Dir $dir -State $state }
        } else {
            $result = & $Body $context
        }
        if ($context.ContainsKey('CountersDirty') -and $context.CountersDirty) {
            Write-SimFileAtomic -Path $countersPath -Text (ConvertTo-SimJson $counters)
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

# The typed exceptions and the fast data helpers: compiled once per machine, then loaded from the cache.
$script:FastData = $false
if (Initialize-SimTypes) {
    $script:FastData = $true
    [UpnMatchSim.Files]::ProcessId = $PID
}

. (Join-Path $PSScriptRoot 'UpnMatch.Sim.Sync.ps1')
. (Join-Path $PSScriptRoot 'UpnMatch.Sim.Remote.ps1')

Export-ModuleMember -Function @(
    'ConvertTo-SimData', 'ConvertFrom-SimJson', 'ConvertTo-SimJson', 'Copy-SimData', 'Get-SimValue',
    'Format-SimTime', 'ConvertFrom-SimTime', 'Get-SimNow', 'Get-SimDirectory', 'Read-SimState',
    'Initialize-SimTypes', 'New-SimException', 'New-SimErrorRecord', 'Invoke-SimCommand', 'Step-SimGraphRequest',
    'Update-SimSettle', 'Start-SimSyncCycle', 'Get-SimSyncCycleMs', 'Get-SimPrimarySmtp', 'Get-SimSourceAnchor',
    'Get-SimAadConnectorName', 'Get-SimAdConnectorName', 'Get-SimRoleHolderIds', 'Get-SimInitialDomain',
    'Test-SimInScope', 'Get-SimFeature', 'Get-SimIndex', 'New-SimIndex', 'Get-SimRemoteProxies', 'Invoke-SimRemote',
    'Invoke-SimServer'
)
