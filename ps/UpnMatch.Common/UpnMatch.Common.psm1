<#
.SYNOPSIS
    The wire protocol of upn-match, on the PowerShell side.
.DESCRIPTION
    The TypeScript bridge sends one request ({ script, input }) as JSON. This module runs that
    script with the input splatted onto its typed param() block, under strict mode and
    $ErrorActionPreference = 'Stop', and writes exactly one JSON envelope to stdout:
    { protocol, ok, data, warnings, error, host, durationMs }. Everything else a script might
    print (host writes, verbose, debug, information, What-if lines) is sent to stderr, so stdout
    carries nothing but the envelope. It runs on Windows PowerShell 5.1 and PowerShell 7.
#>
Set-StrictMode -Version Latest

$script:ProtocolVersion = 1
# An envelope of at least this many characters (a bulk read) is followed by a full collection (as lib/gc.ts in node).
$script:LargeEnvelopeChars = 4000000
$script:Utf8NoBom = New-Object System.Text.UTF8Encoding $false
# The file the running request's progress goes to (named by the bridge), and when each activity last wrote to it.
# Read through the module's own session state ($MyInvocation.MyCommand.Module): a step script is run from inside
# this module, so $script: in a function it calls is that script's scope, not the module's.
$script:Progress = @{ File = $null; Written = @{}; Clock = [System.Diagnostics.Stopwatch]::StartNew() }
# The running request's stream (read the same way): the records of each New-UpnMatchJsonList, written to stdout as
# they are added, first in the envelope ("stream": [[field, record], ...]), instead of held until the step returns.
# Writer is $null outside a request (a script run on its own keeps its records in the list).
# The records go out 64 K characters at a time: written one by one, each reached node as a pipe read of its own
# (at 50,000 records node's memory grew by 30 MB of small buffers).
$script:Stream = @{ Writer = $null; Opened = $false; Chars = 0; Fields = $null; Pending = (New-Object System.Text.StringBuilder 70000) }

# Windows PowerShell 5.1 serialises arrays wrapped in PSObject as {"value":[...],"Count":n}
# because of an extra type-data entry; removing it gives plain JSON arrays.
if ($PSVersionTable.PSEdition -ne 'Core') {
    Remove-TypeData -TypeName System.Array -ErrorAction SilentlyContinue
}

function Initialize-UpnMatchHost {
    <#
    .SYNOPSIS
        Prepares this host for the wire protocol: UTF-8 on stdin and stdout, no progress, module path.
    .PARAMETER ModulePath
        Folders to put first on PSModulePath (PowerShell 7 otherwise puts its own folders before them).
    #>
    [CmdletBinding()]
    param([string[]] $ModulePath = @())

    try {
        [Console]::OutputEncoding = $script:Utf8NoBom
        [Console]::InputEncoding = $script:Utf8NoBom
    } catch {
        # No console attached (a service host): the streams are already byte streams.
        $null = $_
    }
    $global:ProgressPreference = 'SilentlyContinue'
    Start-UpnMatchWatchdog
    if ($ModulePath.Count -gt 0) {
        $sep = [System.IO.Path]::PathSeparator
        $rest = @($env:PSModulePath -split [regex]::Escape([string]$sep) | Where-Object { $_ -and ($ModulePath -notcontains $_) })
        $env:PSModulePath = (@($ModulePath) + $rest) -join $sep
    }
}

$script:Watchdog = $null

# The watchdog's loop, run in a runspace of its own (a .NET timer cannot call a scriptblock: it has no runspace).
# Kill(), not exit: the main thread may be inside a cmdlet that writes to AD, and must stop there, mid-call.
$script:WatchdogLoop = {
    param([int] $ParentId, [int] $IntervalMs)
    function Get-UpnMatchParentOf {
        # Linux: the parent pid in /proc (a killed parent makes it the reaper's: the same test sees zombies too).
        param([int] $Id)
        try {
            $stat = [System.IO.File]::ReadAllText("/proc/$Id/stat")
            return [int]($stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')[1])
        } catch { return $null }
    }
    function Test-UpnMatchZombie {
        param([int] $Id)
        try {
            $stat = [System.IO.File]::ReadAllText("/proc/$Id/stat")
            return ($stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')[0] -eq 'Z')
        } catch { return $false }
    }
    $self = [System.Diagnostics.Process]::GetCurrentProcess()
    $parent = $null
    try { $parent = [System.Diagnostics.Process]::GetProcessById($ParentId) } catch { $parent = $null }
    $startParent = Get-UpnMatchParentOf $self.Id
    while ($true) {
        $gone = ($null -eq $parent)
        if (-not $gone) { try { $gone = $parent.HasExited } catch { $gone = $true } }
        if (-not $gone -and $null -ne $startParent -and (Get-UpnMatchParentOf $self.Id) -ne $startParent) { $gone = $true }
        if (-not $gone -and (Test-UpnMatchZombie $ParentId)) { $gone = $true }
        if ($gone) {
            try { [Console]::Error.WriteLine(('upn-match: the process that started this PowerShell ({0}) is gone; stopping' -f $ParentId)) } catch { $null = $_ }
            $self.Kill()
        }
        Start-Sleep -Milliseconds $IntervalMs
    }
}

function Start-UpnMatchWatchdog {
    <#
    .SYNOPSIS
        Ends this PowerShell process (mid-command) within about half a second of the end of the process that
        started it, so that no AD write goes on after the tool was killed (kill -9, a task stopped, a crash).
    .DESCRIPTION
        Watches the parent process id (the tool passes it in UPN_MATCH_PARENT_PID) from a background runspace:
        Windows PowerShell 5.1 and PowerShell 7 alike. On Windows it also puts this process in a job object whose
        only handle lives in the parent (Register-UpnMatchKillOnParentExit): when the parent ends, however it ends,
        Windows ends this process and everything it started. Started once per process; does nothing without a parent id.
    .PARAMETER ParentProcessId
        The process to outlive by nothing (default: UPN_MATCH_PARENT_PID).
    #>
    [CmdletBinding()]
    param([int] $ParentProcessId = 0, [ValidateRange(50, 5000)] [int] $IntervalMilliseconds = 250)

    if ($null -ne $script:Watchdog) { return }
    if ($ParentProcessId -le 0) {
        $fromEnvironment = 0
        if ([int]::TryParse([string]$env:UPN_MATCH_PARENT_PID, [ref]$fromEnvironment)) { $ParentProcessId = $fromEnvironment }
    }
    if ($ParentProcessId -le 0) { return }
    if ([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) {
        try { Register-UpnMatchKillOnParentExit -ParentProcessId $ParentProcessId }
        catch { [Console]::Error.WriteLine('upn-match: no job object (the watchdog still runs): ' + $_.Exception.Message) }
    }
    $runspace = [System.Management.Automation.Runspaces.RunspaceFactory]::CreateRunspace()
    $runspace.Open()
    $shell = [System.Management.Automation.PowerShell]::Create()
    $shell.Runspace = $runspace
    $null = $shell.AddScript($script:WatchdogLoop.ToString()).AddArgument($ParentProcessId).AddArgument($IntervalMilliseconds)
    $script:Watchdog = @{ Shell = $shell; Handle = $shell.BeginInvoke() }
}

function Register-UpnMatchKillOnParentExit {
    <#
    .SYNOPSIS
        Windows only: a job object with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE holding this process, whose one handle is
        copied into the parent process (DuplicateHandle) and then closed here. The parent never uses it: when the
        parent ends, Windows closes its handles, the job's last handle with them, and ends every process in the job.
    .NOTES
        Reviewed, not run (no Windows here). Node offers no job object and no well-kept npm package does (checked),
        so the child sets it up. A process already in a job that forbids nesting (before Windows 8) fails: the
        watchdog still runs.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [int] $ParentProcessId)

    if (-not ('UpnMatch.JobObject' -as [type])) {
        Add-Type -TypeDefinition @'
using System;
using System.Runtime.InteropServices;
namespace UpnMatch {
    public static class JobObject {
        [StructLayout(LayoutKind.Sequential)]
        struct BasicLimits { public long PerProcessUserTimeLimit; public long PerJobUserTimeLimit; public uint LimitFlags; public UIntPtr MinimumWorkingSetSize; public UIntPtr MaximumWorkingSetSize; public uint ActiveProcessLimit; public UIntPtr Affinity; public uint PriorityClass; public uint SchedulingClass; }
        [StructLayout(LayoutKind.Sequential)]
        struct IoCounters { public ulong A; public ulong B; public ulong C; public ulong D; public ulong E; public ulong F; }
        [StructLayout(LayoutKind.Sequential)]
        struct ExtendedLimits { public BasicLimits Basic; public IoCounters Io; public UIntPtr ProcessMemoryLimit; public UIntPtr JobMemoryLimit; public UIntPtr PeakProcessMemoryUsed; public UIntPtr PeakJobMemoryUsed; }
        [DllImport("kernel32.dll", SetLastError = true)] static extern IntPtr CreateJobObject(IntPtr attributes, string name);
        [DllImport("kernel32.dll", SetLastError = true)] static extern bool SetInformationJobObject(IntPtr job, int infoClass, ref ExtendedLimits info, uint length);
        [DllImport("kernel32.dll", SetLastError = true)] static extern bool AssignProcessToJobObject(IntPtr job, IntPtr process);
        [DllImport("kernel32.dll", SetLastError = true)] static extern IntPtr OpenProcess(uint access, bool inherit, int pid);
        [DllImport("kernel32.dll", SetLastError = true)] static extern IntPtr GetCurrentProcess();
        [DllImport("kernel32.dll", SetLastError = true)] static extern bool DuplicateHandle(IntPtr sourceProcess, IntPtr source, IntPtr targetProcess, out IntPtr target, uint access, bool inherit, uint options);
        [DllImport("kernel32.dll", SetLastError = true)] static extern bool CloseHandle(IntPtr handle);
        const uint KillOnJobClose = 0x2000;
        const int ExtendedLimitInformation = 9;
        const uint ProcessDupHandle = 0x0040;
        const uint DuplicateSameAccess = 0x2;
        public static void KillWithParent(int parentPid) {
            IntPtr job = CreateJobObject(IntPtr.Zero, null);
            if (job == IntPtr.Zero) throw new System.ComponentModel.Win32Exception();
            ExtendedLimits limits = new ExtendedLimits();
            limits.Basic.LimitFlags = KillOnJobClose;
            if (!SetInformationJobObject(job, ExtendedLimitInformation, ref limits, (uint)Marshal.SizeOf(typeof(ExtendedLimits)))) { int e = Marshal.GetLastWin32Error(); CloseHandle(job); throw new System.ComponentModel.Win32Exception(e); }
            IntPtr parent = OpenProcess(ProcessDupHandle, false, parentPid);
            if (parent == IntPtr.Zero) { int e = Marshal.GetLastWin32Error(); CloseHandle(job); throw new System.ComponentModel.Win32Exception(e); }
            try {
                IntPtr inParent;
                // A copy of the handle in the parent first: closing the last handle of a job we are in would end us.
                if (!DuplicateHandle(GetCurrentProcess(), job, parent, out inParent, 0, false, DuplicateSameAccess)) { int e = Marshal.GetLastWin32Error(); CloseHandle(job); throw new System.ComponentModel.Win32Exception(e); }
                bool assigned = AssignProcessToJobObject(job, GetCurrentProcess());
                int error = Marshal.GetLastWin32Error();
                // From here on only the parent holds the job open.
                CloseHandle(job);
                if (!assigned) throw new System.ComponentModel.Win32Exception(error);
            } finally { CloseHandle(parent); }
        }
    }
}
'@
    }
    [UpnMatch.JobObject]::KillWithParent($ParentProcessId)
}

function Stop-UpnMatch {
    <#
    .SYNOPSIS
        Ends the running script with a stable error code, for the envelope.
    .PARAMETER Code
        Stable code, e.g. CloudUserNotFound.
    .PARAMETER Category
        precondition (a fact the tool refuses to act on), input (bad input) or script (anything else).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)] [string] $Code,
        [Parameter(Mandatory = $true)] [string] $Message,
        [ValidateSet('precondition', 'input', 'script')] [string] $Category = 'script',
        [string] $Target
    )
    $exception = New-Object System.Exception $Message
    $exception.Data['UpnMatchCode'] = $Code
    $exception.Data['UpnMatchCategory'] = $Category
    $exception.Data['UpnMatchTarget'] = $Target
    throw $exception
}

function Write-UpnMatchProgress {
    <#
    .SYNOPSIS
        Tells the tool how far a long step is ("Reading cloud users", 12000 of 50000), while the step runs.
    .DESCRIPTION
        Appends one JSON line { activity, done, total, unit } to the progress file the bridge named in the request
        (stdout carries the envelope only, and a session's output is read when the call ends). Does nothing when
        the request named no file. At most one line per activity every 250 ms, plus the first and the last
        (Done = Total): a caller may call it per item. A failure to write is ignored: progress never fails a step.
    .PARAMETER Total
        The whole; -1 when it is not known.
    .PARAMETER Unit
        count (items) or seconds (time waited, of Total seconds).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)] [string] $Activity,
        [Parameter(Mandatory = $true)] [long] $Done,
        [long] $Total = -1,
        [ValidateSet('count', 'seconds')] [string] $Unit = 'count'
    )
    $state = $MyInvocation.MyCommand.Module.SessionState.PSVariable.GetValue('Progress')
    if ($null -eq $state.File) { return }
    $now = $state.Clock.ElapsedMilliseconds
    $last = $state.Written[$Activity]
    $final = ($Total -ge 0 -and $Done -ge $Total)
    if ($null -ne $last -and -not $final -and ($now - $last) -lt 250) { return }
    $state.Written[$Activity] = $now
    $totalText = 'null'
    if ($Total -ge 0) { $totalText = [string]$Total }
    $line = '{"activity":' + (ConvertTo-Json -InputObject $Activity -Compress) + ',"done":' + $Done + ',"total":' + $totalText + ',"unit":"' + $Unit + '"}' + "`n"
    try { [System.IO.File]::AppendAllText($state.File, $line, (New-Object System.Text.UTF8Encoding $false)) } catch { $null = $_ }
}

function ConvertTo-UpnMatchWireValue {
    <#
    .SYNOPSIS
        Turns a value into plain JSON-ready data: dates as ISO 8601 UTC, GUIDs as strings, byte arrays
        as base64, every collection as an array (a single item stays an array).
    .NOTES
        A plain function (no [CmdletBinding()], no parameter attributes), and plain values are copied without
        a call: it runs once per value of a result, and an advanced function costs several times more per call.
    #>
    param($Value)

    if ($null -eq $Value) { return $null }
    if ($Value -is [string] -or $Value -is [bool] -or $Value -is [int] -or $Value -is [long] -or $Value -is [double] -or $Value -is [decimal]) {
        return $Value
    }
    if ($Value -is [char]) { return [string]$Value }
    if ($Value -is [datetime]) { return $Value.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss.fffZ', [System.Globalization.CultureInfo]::InvariantCulture) }
    if ($Value -is [datetimeoffset]) { return $Value.UtcDateTime.ToString('yyyy-MM-ddTHH:mm:ss.fffZ', [System.Globalization.CultureInfo]::InvariantCulture) }
    if ($Value -is [guid]) { return $Value.ToString() }
    if ($Value -is [byte[]]) { return [Convert]::ToBase64String($Value) }
    if ($Value -is [enum]) { return $Value.ToString() }
    if ($Value -is [System.ValueType]) { return $Value }
    if ($Value -is [System.Collections.IDictionary]) {
        $map = [ordered]@{}
        foreach ($key in @($Value.Keys)) {
            $item = $Value[$key]
            if ($null -eq $item -or $item -is [string] -or $item -is [bool] -or $item -is [int]) { $map[[string]$key] = $item }
            else { $map[[string]$key] = ConvertTo-UpnMatchWireValue $item }
        }
        return $map
    }
    if ($Value -is [System.Collections.IEnumerable]) {
        $list = New-Object System.Collections.Generic.List[object]
        foreach ($item in $Value) {
            if ($null -eq $item -or $item -is [string] -or $item -is [bool] -or $item -is [int]) { $list.Add($item) }
            else { $list.Add((ConvertTo-UpnMatchWireValue $item)) }
        }
        # The comma keeps PowerShell from unrolling the array (and a one-item array into its item).
        return , $list.ToArray()
    }
    $map = [ordered]@{}
    foreach ($property in $Value.PSObject.Properties) {
        if ($property.MemberType -eq 'NoteProperty' -or $property.MemberType -eq 'Property') {
            $item = $property.Value
            if ($null -eq $item -or $item -is [string] -or $item -is [bool] -or $item -is [int]) { $map[$property.Name] = $item }
            else { $map[$property.Name] = ConvertTo-UpnMatchWireValue $item }
        }
    }
    return $map
}

function New-UpnMatchJsonList {
    <#
    .SYNOPSIS
        A list for a step's many records (tens of thousands of users), each turned into its JSON text as it is added.
    .DESCRIPTION
        Put it, as it is, in the top-level field of the step's result that -Field names: the tool reads the records
        as that field's array. During a request each record is written to stdout as it is added (the envelope's
        "stream", tagged with the field) and nothing is held: at 54,500 cloud users PowerShell held about 80 MB of
        texts until the step returned. A script run on its own keeps the texts in Items, written as the array.
        Should the step fail after some records, the envelope says so and the tool drops them.
    .PARAMETER Field
        The result's field the list goes in (checked when the result is written).
    .OUTPUTS
        An object of type UpnMatch.JsonList: Field, Items (the texts kept), Stream (the request's, or $null).
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory = $true)] [ValidatePattern('^[A-Za-z][A-Za-z0-9]*$')] [string] $Field)
    $stream = $MyInvocation.MyCommand.Module.SessionState.PSVariable.GetValue('Stream')
    if ($null -eq $stream.Writer) { $stream = $null }
    elseif (-not $stream.Fields.Add($Field)) { Stop-UpnMatch -Code 'JsonListField' -Category script -Message ("two record lists for the field '{0}'" -f $Field) }
    $items = New-Object System.Collections.Generic.List[string]
    return [pscustomobject]@{ PSTypeName = 'UpnMatch.JsonList'; Field = $Field; Items = $items; Stream = $stream; Tag = '["' + $Field + '",' }
}

function Add-UpnMatchJsonItem {
    <#
    .SYNOPSIS
        Adds a record to a list of New-UpnMatchJsonList, as the envelope would write it: to the request's stream.
    .NOTES
        A plain function: it is called once per record, and an advanced function's binding costs more than the work.
    #>
    param($List, $Value)
    $text = ConvertTo-Json -InputObject (ConvertTo-UpnMatchWireValue $Value) -Depth 64 -Compress
    $stream = $List.Stream
    if ($null -eq $stream) {
        $List.Items.Add($text)
        return
    }
    $pending = $stream.Pending
    if ($stream.Opened) { $null = $pending.Append(',') }
    else {
        $null = $pending.Append('{"stream":[')
        $stream.Opened = $true
    }
    $null = $pending.Append($List.Tag).Append($text).Append(']')
    $stream.Chars += $text.Length
    if ($pending.Length -ge 65536) {
        $stream.Writer.Write($pending.ToString())
        $null = $pending.Clear()
    }
}

function ConvertTo-UpnMatchJsonParts {
    <#
    .SYNOPSIS
        JSON text (compact) of a value as ConvertTo-UpnMatchWireValue shapes it, as a list of parts whose
        concatenation is the text.
    .DESCRIPTION
        The elements of a top-level object's collections are converted one at a time, each to a part of its own,
        and the parts are written one after the other: a result of thousands of users converted or concatenated
        at once would hold several more copies of itself in memory.
    #>
    param($Value)
    $parts = New-Object System.Collections.Generic.List[string]
    $isObject = $null -ne $Value -and ($Value -is [System.Collections.IDictionary] -or $Value -is [System.Management.Automation.PSCustomObject])
    if (-not $isObject) {
        $parts.Add((ConvertTo-Json -InputObject (ConvertTo-UpnMatchWireValue $Value) -Depth 64 -Compress))
        return , $parts
    }
    $members = [ordered]@{}
    if ($Value -is [System.Collections.IDictionary]) { foreach ($key in @($Value.Keys)) { $members[[string]$key] = $Value[$key] } }
    else {
        foreach ($property in $Value.PSObject.Properties) {
            if ($property.MemberType -eq 'NoteProperty' -or $property.MemberType -eq 'Property') { $members[$property.Name] = $property.Value }
        }
    }
    $separator = '{'
    foreach ($name in @($members.Keys)) {
        $parts.Add($separator + (ConvertTo-Json -InputObject ([string]$name) -Compress) + ':')
        $separator = ','
        $member = $members[$name]
        if ($null -ne $member -and $member -is [System.Management.Automation.PSCustomObject] -and $member.PSObject.TypeNames -contains 'UpnMatch.JsonList') {
            if ($member.Field -cne $name) { Stop-UpnMatch -Code 'JsonListField' -Category script -Message ("the record list for the field '{0}' is in the field '{1}'" -f $member.Field, $name) }
            # Records written to the stream already: the tool adds them to this array.
            if ($null -ne $member.Stream) {
                $parts.Add('[]')
                continue
            }
            # Records converted already (New-UpnMatchJsonList): their texts are the array's items.
            $itemSeparator = '['
            foreach ($text in $member.Items) {
                $parts.Add($itemSeparator + $text)
                $itemSeparator = ','
            }
            if ($itemSeparator -eq '[') { $parts.Add('[]') } else { $parts.Add(']') }
            continue
        }
        $isCollection = $null -ne $member -and $member -is [System.Collections.IEnumerable] -and $member -isnot [string] -and $member -isnot [System.Collections.IDictionary] -and $member -isnot [byte[]]
        if (-not $isCollection) {
            $parts.Add((ConvertTo-Json -InputObject (ConvertTo-UpnMatchWireValue $member) -Depth 64 -Compress))
            continue
        }
        $itemSeparator = '['
        foreach ($item in $member) {
            # -InputObject keeps an item that is itself a collection an array.
            $parts.Add($itemSeparator + (ConvertTo-Json -InputObject (ConvertTo-UpnMatchWireValue $item) -Depth 64 -Compress))
            $itemSeparator = ','
        }
        if ($itemSeparator -eq '[') { $parts.Add('[]') } else { $parts.Add(']') }
    }
    if ($separator -eq '{') { $parts.Add('{}') } else { $parts.Add('}') }
    return , $parts
}

function ConvertTo-UpnMatchHashtable {
    <#
    .SYNOPSIS
        Turns parsed JSON (PSCustomObject trees) into hashtables and arrays, for splatting.
    #>
    [CmdletBinding()]
    param([Parameter(Position = 0)] [AllowNull()] $Value)

    if ($null -eq $Value) { return $null }
    if ($Value -is [System.Management.Automation.PSCustomObject]) {
        $table = @{}
        foreach ($property in $Value.PSObject.Properties) { $table[$property.Name] = ConvertTo-UpnMatchHashtable $property.Value }
        return $table
    }
    if ($Value -is [System.Collections.IEnumerable] -and $Value -isnot [string]) {
        $list = New-Object System.Collections.Generic.List[object]
        foreach ($item in $Value) { $list.Add((ConvertTo-UpnMatchHashtable $item)) }
        return , $list.ToArray()
    }
    return $Value
}

function ConvertFrom-UpnMatchJson {
    # PowerShell 7 turns date-like strings into DateTime unless told not to (7.5+): input must
    # arrive exactly as sent. Windows PowerShell 5.1 never converts them.
    param([string] $Json)
    $options = @{}
    if ((Get-Command ConvertFrom-Json).Parameters.ContainsKey('DateKind')) { $options['DateKind'] = 'String' }
    return ($Json | ConvertFrom-Json @options)
}

function Get-UpnMatchErrorInfo {
    <# The envelope's error for an ErrorRecord: { code, category, message, target } (Stop-UpnMatch's, or PS.<category>). #>
    param([System.Management.Automation.ErrorRecord] $Record)
    $exception = $Record.Exception
    $data = $exception.Data
    if ($null -ne $data -and $data.Contains('UpnMatchCode')) {
        return [ordered]@{
            code     = [string]$data['UpnMatchCode']
            category = [string]$data['UpnMatchCategory']
            message  = $exception.Message
            target   = $data['UpnMatchTarget']
        }
    }
    $category = 'script'
    if ($exception -is [System.Management.Automation.ParameterBindingException]) { $category = 'input' }
    $target = $null
    if ($null -ne $Record.TargetObject -and ($Record.TargetObject -is [string] -or $Record.TargetObject -is [System.ValueType])) {
        $target = [string]$Record.TargetObject
    }
    return [ordered]@{
        code     = 'PS.' + $Record.CategoryInfo.Category
        category = $category
        message  = ($exception.Message -replace '\s*[\r\n]+\s*', ' ').Trim()
        target   = $target
    }
}

function Invoke-UpnMatchRequestJson {
    <#
    .SYNOPSIS
        Runs the request { script, input } given as JSON text and writes its envelope to stdout.
    .OUTPUTS
        The envelope's ok flag (for the process entry point's exit code); nothing on stdout but the envelope.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [string] $Json)

    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $dataParts = @('null')
    $stdout = [Console]::Out
    $stderr = [Console]::Error
    $warnings = New-Object System.Collections.Generic.List[string]
    $envelope = [ordered]@{
        protocol   = $script:ProtocolVersion
        ok         = $false
        data       = $null
        warnings   = $null
        error      = $null
        host       = [ordered]@{ edition = [string]$PSVersionTable.PSEdition; version = $PSVersionTable.PSVersion.ToString() }
        durationMs = 0
    }
    $stream = $MyInvocation.MyCommand.Module.SessionState.PSVariable.GetValue('Stream')
    $stream.Writer = $stdout
    $stream.Opened = $false
    $stream.Chars = 0
    $stream.Fields = New-Object System.Collections.Generic.HashSet[string]
    $null = $stream.Pending.Clear()
    # Whatever writes to the console while the script runs goes to stderr.
    [Console]::SetOut($stderr)
    try {
        Set-StrictMode -Version Latest
        $ErrorActionPreference = 'Stop'
        $ProgressPreference = 'SilentlyContinue'
        $WarningPreference = 'Continue'
        $global:LASTEXITCODE = 0
        $request = ConvertFrom-UpnMatchJson $Json
        $progress = $MyInvocation.MyCommand.Module.SessionState.PSVariable.GetValue('Progress')
        $progress.Written = @{}
        if ($null -ne $request.PSObject.Properties['progressFile'] -and $request.progressFile) { $progress.File = [string]$request.progressFile }
        $parameters = ConvertTo-UpnMatchHashtable $request.input
        if ($null -eq $parameters) { $parameters = @{} }
        $output = New-Object System.Collections.Generic.List[object]
        & ([string]$request.script) @parameters 3>&1 4>&1 5>&1 6>&1 | ForEach-Object {
            if ($_ -is [System.Management.Automation.WarningRecord]) { $warnings.Add($_.Message) }
            elseif ($_ -is [System.Management.Automation.VerboseRecord]) { $stderr.WriteLine('VERBOSE: ' + $_.Message) }
            elseif ($_ -is [System.Management.Automation.DebugRecord]) { $stderr.WriteLine('DEBUG: ' + $_.Message) }
            elseif ($_ -is [System.Management.Automation.InformationRecord]) { $stderr.WriteLine([string]$_.MessageData) }
            else { $output.Add($_) }
        }
        if ($output.Count -gt 1) {
            Stop-UpnMatch -Code 'ExtraOutput' -Category script -Message ("the script wrote {0} objects to its output; it must return exactly one (stray output?)" -f $output.Count)
        }
        if ($output.Count -eq 0 -and $global:LASTEXITCODE -ne 0) {
            Stop-UpnMatch -Code 'ScriptExit' -Category script -Message ("the script ended with exit {0} instead of returning a result" -f $global:LASTEXITCODE)
        }
        if ($output.Count -eq 1) { $dataParts = ConvertTo-UpnMatchJsonParts $output[0] }
        $envelope.ok = $true
    } catch {
        $envelope.error = Get-UpnMatchErrorInfo $_
        $stderr.WriteLine(('{0}: {1}' -f $envelope.error.code, $envelope.error.message))
    } finally {
        [Console]::SetOut($stdout)
        $MyInvocation.MyCommand.Module.SessionState.PSVariable.GetValue('Progress').File = $null
        $stream.Writer = $null
    }
    $envelope.warnings = $warnings.ToArray()
    $envelope.durationMs = [int]$clock.ElapsedMilliseconds
    # The data is written as the parts it was converted to (see ConvertTo-UpnMatchJsonParts), never as one string,
    # after the stream's records (if any): the envelope's first key then is "stream", already written.
    $separator = '{'
    if ($stream.Opened) {
        $stdout.Write($stream.Pending.ToString() + ']')
        $null = $stream.Pending.Clear()
        $separator = ','
    }
    $dataChars = $stream.Chars
    foreach ($key in @($envelope.Keys)) {
        $stdout.Write($separator + (ConvertTo-Json -InputObject ([string]$key) -Compress) + ':')
        $separator = ','
        if ($key -eq 'data') {
            foreach ($part in $dataParts) {
                $stdout.Write($part)
                $dataChars += $part.Length
            }
        }
        else { $stdout.Write((ConvertTo-Json -InputObject $envelope[$key] -Depth 64 -Compress)) }
    }
    $stdout.Write('}')
    $stdout.Write("`n")
    $stdout.Flush()
    if ($dataChars -ge $script:LargeEnvelopeChars) {
        # A bulk read (thousands of records) is garbage once written; in a session the next step would otherwise
        # allocate on top of it, as .NET collects the oldest generation late. The large-object heap (pages of
        # Graph's answers, the lists' arrays) is compacted too. Tens of milliseconds, a few times a run.
        $output = $null
        $dataParts = $null
        [System.Runtime.GCSettings]::LargeObjectHeapCompactionMode = [System.Runtime.GCLargeObjectHeapCompactionMode]::CompactOnce
        [System.GC]::Collect()
    }
    return $envelope.ok
}

function Invoke-UpnMatchRequest {
    <#
    .SYNOPSIS
        Session entry point: the request arrives as base64 text, which needs no quoting at all.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [ValidatePattern('^[A-Za-z0-9+/=]*$')] [string] $RequestBase64)
    $json = $script:Utf8NoBom.GetString([Convert]::FromBase64String($RequestBase64))
    $null = Invoke-UpnMatchRequestJson -Json $json
}

Export-ModuleMember -Function Initialize-UpnMatchHost, New-UpnMatchJsonList, Add-UpnMatchJsonItem, Start-UpnMatchWatchdog, Invoke-UpnMatchRequest, Invoke-UpnMatchRequestJson, Stop-UpnMatch, Write-UpnMatchProgress, ConvertTo-UpnMatchWireValue, ConvertTo-UpnMatchHashtable, Get-UpnMatchErrorInfo
