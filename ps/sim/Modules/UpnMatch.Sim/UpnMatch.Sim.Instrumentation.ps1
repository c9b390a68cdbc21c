<#
.SYNOPSIS
    What the simulator records and injects (dot-sourced by UpnMatch.Sim.psm1): the call log (DIR/calls.jsonl),
    the faults of DIR/faults.json counted across processes, and kills.
#>


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
