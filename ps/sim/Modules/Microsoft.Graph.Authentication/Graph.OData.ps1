<#
.SYNOPSIS
    OData $filter support of the fake Microsoft Graph (dot-sourced by Microsoft.Graph.Authentication.psm1).
.DESCRIPTION
    Supports what directory queries use ("Use the $filter query parameter", "Advanced query capabilities on
    Microsoft Entra ID objects"): eq ne gt ge lt le, in (...), and / or / not, parentheses, startswith(p,'x'),
    endswith(p,'x'), lambda any/all on collections (proxyAddresses/any(p:p eq 'smtp:x')), string literals with
    '' escaping, numbers, true/false/null. String comparisons are case-insensitive, as in Microsoft Entra ID.
    The parse result records whether an advanced query (ConsistencyLevel: eventual + $count=true) is needed:
    ne, not, endswith, and null comparisons are advanced-only.
#>


function New-ODataSyntaxError {
    param([string] $Filter, [int] $Position)
    return (New-Object System.FormatException ("Invalid filter clause: Syntax error at position {0} in '{1}'." -f $Position, $Filter))
}

function Read-ODataTokens {
    param([string] $Text)
    $tokens = [System.Collections.Generic.List[object]]::new()
    $i = 0
    $n = $Text.Length
    while ($i -lt $n) {
        $c = $Text[$i]
        if ([char]::IsWhiteSpace($c)) { $i++; continue }
        $start = $i
        if ('(),:/'.IndexOf($c) -ge 0) { $tokens.Add(@{ T = [string]$c; V = [string]$c; P = $start }); $i++; continue }
        if ($c -eq [char]39) {
            $builder = [System.Text.StringBuilder]::new()
            $i++
            $closed = $false
            while ($i -lt $n) {
                if ($Text[$i] -eq [char]39) {
                    if ($i + 1 -lt $n -and $Text[$i + 1] -eq [char]39) { $null = $builder.Append([char]39); $i += 2; continue }
                    $i++; $closed = $true; break
                }
                $null = $builder.Append($Text[$i]); $i++
            }
            if (-not $closed) { throw (New-ODataSyntaxError $Text $n) }
            $tokens.Add(@{ T = 'str'; V = $builder.ToString(); P = $start }); continue
        }
        if ([char]::IsDigit($c) -or ($c -eq '-' -and $i + 1 -lt $n -and [char]::IsDigit($Text[$i + 1]))) {
            $j = $i + 1
            while ($j -lt $n -and ([char]::IsLetterOrDigit($Text[$j]) -or $Text[$j] -eq '.' -or $Text[$j] -eq '-' -or $Text[$j] -eq ':')) { $j++ }
            $raw = $Text.Substring($i, $j - $i)
            $i = $j
            $number = 0.0
            if ([double]::TryParse($raw, [System.Globalization.NumberStyles]::Float, [System.Globalization.CultureInfo]::InvariantCulture, [ref]$number)) {
                $tokens.Add(@{ T = 'num'; V = $number; P = $start })
            } else {
                # a GUID or a date/time literal
                $tokens.Add(@{ T = 'str'; V = $raw; P = $start })
            }
            continue
        }
        if ([char]::IsLetter($c) -or $c -eq '_' -or $c -eq '@') {
            $j = $i + 1
            while ($j -lt $n -and ([char]::IsLetterOrDigit($Text[$j]) -or $Text[$j] -eq '_' -or $Text[$j] -eq '.')) { $j++ }
            $tokens.Add(@{ T = 'id'; V = $Text.Substring($i, $j - $i); P = $start })
            $i = $j
            continue
        }
        throw (New-ODataSyntaxError $Text ($start))
    }
    return , $tokens.ToArray()
}

function ConvertFrom-ODataFilter {
    <# Parses a $filter into @{ Tree; Advanced; AdvancedProperty }. Throws FormatException on a syntax error. #>
    param([Parameter(Mandatory = $true)] [string] $Filter)
    $parser = @{ Tokens = (Read-ODataTokens $Filter); Index = 0; Filter = $Filter; Advanced = $false; AdvancedProperty = $null; Lambdas = @() }
    if (@($parser.Tokens).Count -eq 0) { throw (New-ODataSyntaxError $Filter 0) }
    $tree = Read-ODataOr $parser
    if ($parser.Index -lt @($parser.Tokens).Count) { throw (New-ODataSyntaxError $Filter $parser.Tokens[$parser.Index].P) }
    return @{ Tree = $tree; Advanced = $parser.Advanced; AdvancedProperty = $parser.AdvancedProperty }
}

function Get-ODataToken {
    param($Parser, [int] $Offset = 0)
    $index = $Parser.Index + $Offset
    if ($index -ge @($Parser.Tokens).Count) { return $null }
    return $Parser.Tokens[$index]
}

function Test-ODataKeyword {
    param($Token, [string] $Word)
    return ($null -ne $Token -and $Token.T -eq 'id' -and ([string]$Token.V).Equals($Word, [StringComparison]::OrdinalIgnoreCase))
}

function Assert-ODataToken {
    param($Parser, [string] $Type)
    $token = Get-ODataToken $Parser
    if ($null -eq $token -or $token.T -ne $Type) {
        $position = $Parser.Filter.Length
        if ($null -ne $token) { $position = $token.P }
        throw (New-ODataSyntaxError $Parser.Filter $position)
    }
    $Parser.Index++
    return $token
}

function Set-ODataAdvanced {
    param($Parser, $Node)
    $Parser.Advanced = $true
    if ($null -eq $Parser.AdvancedProperty -and $null -ne $Node -and $Node.K -eq 'prop') { $Parser.AdvancedProperty = [string]$Node.Path[0] }
}

function Read-ODataOr {
    param($Parser)
    $left = Read-ODataAnd $Parser
    while (Test-ODataKeyword (Get-ODataToken $Parser) 'or') {
        $Parser.Index++
        $left = @{ K = 'or'; L = $left; R = (Read-ODataAnd $Parser) }
    }
    return $left
}

function Read-ODataAnd {
    param($Parser)
    $left = Read-ODataUnary $Parser
    while (Test-ODataKeyword (Get-ODataToken $Parser) 'and') {
        $Parser.Index++
        $left = @{ K = 'and'; L = $left; R = (Read-ODataUnary $Parser) }
    }
    return $left
}

function Read-ODataUnary {
    param($Parser)
    if (Test-ODataKeyword (Get-ODataToken $Parser) 'not') {
        $Parser.Index++
        $inner = Read-ODataUnary $Parser
        $Parser.Advanced = $true
        return @{ K = 'not'; E = $inner }
    }
    return (Read-ODataComparison $Parser)
}

function Read-ODataComparison {
    param($Parser)
    $left = Read-ODataPrimary $Parser
    $token = Get-ODataToken $Parser
    foreach ($op in @('eq', 'ne', 'gt', 'ge', 'lt', 'le')) {
        if (Test-ODataKeyword $token $op) {
            $Parser.Index++
            $right = Read-ODataPrimary $Parser
            if ($op -eq 'ne') { Set-ODataAdvanced $Parser $left }
            if ($right.K -eq 'lit' -and $null -eq $right.V) { Set-ODataAdvanced $Parser $left }
            return @{ K = 'cmp'; O = $op; L = $left; R = $right }
        }
    }
    if (Test-ODataKeyword $token 'in') {
        $Parser.Index++
        $null = Assert-ODataToken $Parser '('
        $values = [System.Collections.Generic.List[object]]::new()
        while ($true) {
            $literal = Read-ODataPrimary $Parser
            if ($literal.K -ne 'lit') { throw (New-ODataSyntaxError $Parser.Filter $token.P) }
            $values.Add($literal.V)
            $next = Get-ODataToken $Parser
            if ($null -ne $next -and $next.T -eq ',') { $Parser.Index++; continue }
            break
        }
        $null = Assert-ODataToken $Parser ')'
        return @{ K = 'in'; L = $left; Values = $values.ToArray() }
    }
    return $left
}

function Read-ODataPrimary {
    param($Parser)
    $token = Get-ODataToken $Parser
    if ($null -eq $token) { throw (New-ODataSyntaxError $Parser.Filter $Parser.Filter.Length) }
    if ($token.T -eq '(') {
        $Parser.Index++
        $inner = Read-ODataOr $Parser
        $null = Assert-ODataToken $Parser ')'
        return $inner
    }
    if ($token.T -eq 'str') { $Parser.Index++; return @{ K = 'lit'; V = [string]$token.V } }
    if ($token.T -eq 'num') { $Parser.Index++; return @{ K = 'lit'; V = $token.V } }
    if ($token.T -ne 'id') { throw (New-ODataSyntaxError $Parser.Filter $token.P) }
    $word = [string]$token.V
    if ($word -ieq 'true') { $Parser.Index++; return @{ K = 'lit'; V = $true } }
    if ($word -ieq 'false') { $Parser.Index++; return @{ K = 'lit'; V = $false } }
    if ($word -ieq 'null') { $Parser.Index++; return @{ K = 'lit'; V = $null } }
    $next = Get-ODataToken $Parser 1
    if ($null -ne $next -and $next.T -eq '(') {
        $name = $word.ToLowerInvariant()
        if (@('startswith', 'endswith', 'contains') -notcontains $name) { throw (New-ODataSyntaxError $Parser.Filter $token.P) }
        $Parser.Index += 2
        $first = Read-ODataPrimary $Parser
        $null = Assert-ODataToken $Parser ','
        $second = Read-ODataPrimary $Parser
        $null = Assert-ODataToken $Parser ')'
        if ($name -ne 'startswith') { Set-ODataAdvanced $Parser $first }
        return @{ K = 'fn'; F = $name; A = $first; B = $second }
    }
    # a member path: prop, prop/sub, or prop/any(x: ...)
    $Parser.Index++
    $path = [System.Collections.Generic.List[string]]::new()
    $path.Add($word)
    while ($true) {
        $slash = Get-ODataToken $Parser
        if ($null -eq $slash -or $slash.T -ne '/') { break }
        $Parser.Index++
        $segment = Assert-ODataToken $Parser 'id'
        $after = Get-ODataToken $Parser
        if ((([string]$segment.V) -ieq 'any' -or ([string]$segment.V) -ieq 'all') -and $null -ne $after -and $after.T -eq '(') {
            $Parser.Index++
            $variable = Assert-ODataToken $Parser 'id'
            $null = Assert-ODataToken $Parser ':'
            $Parser.Lambdas = @([string]$variable.V) + @($Parser.Lambdas)
            $body = Read-ODataOr $Parser
            $null = Assert-ODataToken $Parser ')'
            return @{ K = 'lambda'; Q = ([string]$segment.V).ToLowerInvariant(); Path = $path.ToArray(); Var = [string]$variable.V; Body = $body }
        }
        $path.Add([string]$segment.V)
    }
    if (@($Parser.Lambdas) -contains $path[0] -and $path.Count -eq 1) { return @{ K = 'var'; Name = $path[0] } }
    return @{ K = 'prop'; Path = $path.ToArray() }
}

function Get-ODataFilterProperties {
    <# Every top-level property a filter tree refers to (for validation against the entity type). #>
    param($Node)
    $names = [System.Collections.Generic.List[string]]::new()
    if ($null -eq $Node -or $Node -isnot [hashtable]) { return $names.ToArray() }
    switch ($Node.K) {
        'prop' { $names.Add([string]$Node.Path[0]) }
        'lambda' { $names.Add([string]$Node.Path[0]) }
    }
    foreach ($key in @('L', 'R', 'E', 'A', 'B')) {
        if ($Node.ContainsKey($key)) { foreach ($name in @(Get-ODataFilterProperties $Node[$key])) { $names.Add($name) } }
    }
    return $names.ToArray()
}

function Get-ODataPropertyValue {
    param($Entity, [string[]] $Path)
    $value = $Entity
    foreach ($segment in $Path) {
        if ($null -eq $value) { return $null }
        if ($value -is [System.Collections.IDictionary]) {
            $found = $null
            foreach ($key in @($value.Keys)) { if (([string]$key).Equals($segment, [StringComparison]::OrdinalIgnoreCase)) { $found = $value[$key] } }
            $value = $found
        } else { return $null }
    }
    return , $value
}

function Get-ODataNodeValue {
    param($Node, $Entity, $Scope)
    switch ($Node.K) {
        'lit' { return , $Node.V }
        'var' { return , $Scope[$Node.Name] }
        'prop' {
            if ($Scope.ContainsKey([string]$Node.Path[0])) {
                $base = $Scope[[string]$Node.Path[0]]
                if ($Node.Path.Count -eq 1) { return , $base }
                return , (Get-ODataPropertyValue $base ($Node.Path[1..($Node.Path.Count - 1)]))
            }
            return , (Get-ODataPropertyValue $Entity $Node.Path)
        }
    }
    return , (Test-ODataNode $Node $Entity $Scope)
}

function Compare-ODataValues {
    param($Left, $Right, [string] $Op)
    if ($null -eq $Left -or $null -eq $Right) {
        if ($Op -eq 'eq') { return ($null -eq $Left -and $null -eq $Right) }
        if ($Op -eq 'ne') { return -not ($null -eq $Left -and $null -eq $Right) }
        return $false
    }
    if ($Left -is [bool] -or $Right -is [bool]) {
        $l = [string]$Left; $r = [string]$Right
        if ($Op -eq 'eq') { return ($l -ieq $r) }
        if ($Op -eq 'ne') { return ($l -ine $r) }
        return $false
    }
    $cmp = 0
    $ln = 0.0; $rn = 0.0
    if (($Left -is [double] -or $Left -is [int] -or $Left -is [long] -or $Right -is [double]) -and [double]::TryParse([string]$Left, [ref]$ln) -and [double]::TryParse([string]$Right, [ref]$rn)) {
        $cmp = $ln.CompareTo($rn)
    } else {
        $cmp = [string]::Compare([string]$Left, [string]$Right, [StringComparison]::OrdinalIgnoreCase)
    }
    switch ($Op) {
        'eq' { return ($cmp -eq 0) }
        'ne' { return ($cmp -ne 0) }
        'gt' { return ($cmp -gt 0) }
        'ge' { return ($cmp -ge 0) }
        'lt' { return ($cmp -lt 0) }
        'le' { return ($cmp -le 0) }
    }
    return $false
}

function Test-ODataNode {
    <# Evaluates a filter tree against an entity (plain data). #>
    param($Node, $Entity, $Scope)
    if ($null -eq $Scope) { $Scope = @{} }
    switch ($Node.K) {
        'and' { return ((Test-ODataNode $Node.L $Entity $Scope) -and (Test-ODataNode $Node.R $Entity $Scope)) }
        'or' { return ((Test-ODataNode $Node.L $Entity $Scope) -or (Test-ODataNode $Node.R $Entity $Scope)) }
        'not' { return (-not (Test-ODataNode $Node.E $Entity $Scope)) }
        'cmp' {
            $left = Get-ODataNodeValue $Node.L $Entity $Scope
            $right = Get-ODataNodeValue $Node.R $Entity $Scope
            return (Compare-ODataValues $left $right $Node.O)
        }
        'in' {
            $left = Get-ODataNodeValue $Node.L $Entity $Scope
            foreach ($value in @($Node.Values)) { if (Compare-ODataValues $left $value 'eq') { return $true } }
            return $false
        }
        'fn' {
            $a = [string](Get-ODataNodeValue $Node.A $Entity $Scope)
            $b = [string](Get-ODataNodeValue $Node.B $Entity $Scope)
            if ($null -eq (Get-ODataNodeValue $Node.A $Entity $Scope)) { return $false }
            switch ($Node.F) {
                'startswith' { return $a.StartsWith($b, [StringComparison]::OrdinalIgnoreCase) }
                'endswith' { return $a.EndsWith($b, [StringComparison]::OrdinalIgnoreCase) }
                'contains' { return ($a.IndexOf($b, [StringComparison]::OrdinalIgnoreCase) -ge 0) }
            }
            return $false
        }
        'lambda' {
            $collection = Get-ODataPropertyValue $Entity $Node.Path
            $collection = @($collection)
            $inner = @{}
            foreach ($key in @($Scope.Keys)) { $inner[$key] = $Scope[$key] }
            if ($Node.Q -eq 'any') {
                foreach ($item in $collection) { if ($null -eq $item) { continue }; $inner[$Node.Var] = $item; if (Test-ODataNode $Node.Body $Entity $inner) { return $true } }
                return $false
            }
            foreach ($item in $collection) { if ($null -eq $item) { continue }; $inner[$Node.Var] = $item; if (-not (Test-ODataNode $Node.Body $Entity $inner)) { return $false } }
            return $true
        }
        'prop' { return [bool](Get-ODataNodeValue $Node $Entity $Scope) }
        'lit' { return [bool]$Node.V }
    }
    return $false
}
