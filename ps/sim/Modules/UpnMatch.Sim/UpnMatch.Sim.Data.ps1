<#
.SYNOPSIS
    Plain data of the simulator (dot-sourced by UpnMatch.Sim.psm1): conversions to and from JSON, deep copies,
    reading a key, times and environment numbers.
.DESCRIPTION
    Plain data is ordered dictionaries with case-insensitive keys, object[] arrays, strings, numbers, booleans
    and null; the compiled helper (UpnMatch.Sim.Helpers.cs, UpnMatchSim.Data) does the work.
#>

$script:Utf8NoBom = New-Object System.Text.UTF8Encoding $false
$script:Invariant = [System.Globalization.CultureInfo]::InvariantCulture
$script:IsCore = ($PSVersionTable.PSEdition -eq 'Core')

# Windows PowerShell 5.1 serialises arrays wrapped in PSObject as {"value":[...],"Count":n} because of an extra
# type-data entry; without it ConvertTo-Json writes plain arrays (UpnMatch.Common does the same).
if (-not $script:IsCore) { Remove-TypeData -TypeName System.Array -ErrorAction SilentlyContinue }

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

function Get-SimList {
    <#
    .SYNOPSIS
        A list of a dictionary as one object[], not unrolled (an empty one when missing): @(Get-SimValue ...) copies
        it item by item, which costs tens of ms for the 50,000 users of a large world on every call.
    #>
    param([AllowNull()] $Map, [string] $Key)
    $value = Get-SimValue $Map $Key
    if ($value -is [object[]]) { return , $value }
    if ($null -eq $value) { return , ([object[]]@()) }
    return , ([object[]]@($value))
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
