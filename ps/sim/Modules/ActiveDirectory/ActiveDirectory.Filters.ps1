<#
.SYNOPSIS
    Filter languages of the fake ActiveDirectory module (dot-sourced by ActiveDirectory.psm1).
.DESCRIPTION
    -Filter: the AD PowerShell filter language ("about_ActiveDirectory_Filter"): <attribute> <operator> <value>
    joined by -and / -or / -not and parentheses; operators -eq -ne -like -notlike -lt -le -gt -ge -approx -band
    -bor -recursivematch; values as '...' ('' escapes a quote), "...", numbers, barewords, $variables (resolved in
    the caller's scope, as the real module does) and $var.Property; -Filter * matches everything.
    Parse errors mirror the real text: "Error parsing query: '<filter>' Error Message: 'syntax error' at
    position: '<n>'." (n is 1-based, the start of the first token that does not fit).
    -LDAPFilter: RFC 4515 ("Lightweight Directory Access Protocol (LDAP): String Representation of Search
    Filters"): (&...) (|...) (!...), attr=value, attr=* (presence), substrings with *, >=, <=, ~=, extensible
    match attr:1.2.840.113556.1.4.803:=n (bitwise AND) / ...804 (OR) / ...1941 (in chain, as equality), and
    \XX hex escapes (\2a \28 \29 \5c \00 ...) decoded to bytes. A malformed filter gives the real
    "The search filter cannot be recognized".
#>

$script:AdComparisonOps = @('eq', 'ne', 'like', 'notlike', 'lt', 'le', 'gt', 'ge', 'approx', 'band', 'bor', 'recursivematch')

function New-AdFilterParseError {
    param([string] $Filter, [int] $Position)
    $message = "Error parsing query: '{0}' Error Message: 'syntax error' at position: '{1}'." -f $Filter, $Position
    $exception = New-SimException -TypeName 'Microsoft.ActiveDirectory.Management.ADFilterParsingException' -Message $message
    return (New-SimErrorRecord -Exception $exception -ErrorId 'ActiveDirectoryCmdlet:Microsoft.ActiveDirectory.Management.ADFilterParsingException' -Category ParserError -Target $Filter)
}

function Read-AdFilterTokens {
    param([string] $Text)
    $tokens = [System.Collections.Generic.List[object]]::new()
    $i = 0
    $n = $Text.Length
    while ($i -lt $n) {
        $c = $Text[$i]
        if ([char]::IsWhiteSpace($c)) { $i++; continue }
        $start = $i
        if ($c -eq '(' -or $c -eq ')') {
            $tokens.Add(@{ T = 'paren'; V = [string]$c; P = $start }); $i++; continue
        }
        if ($c -eq [char]39 -or $c -eq [char]34) {
            $quote = $c
            $builder = [System.Text.StringBuilder]::new()
            $i++
            $closed = $false
            while ($i -lt $n) {
                $d = $Text[$i]
                if ($d -eq $quote) {
                    if ($i + 1 -lt $n -and $Text[$i + 1] -eq $quote) { $null = $builder.Append($quote); $i += 2; continue }
                    $i++; $closed = $true; break
                }
                $null = $builder.Append($d); $i++
            }
            if ($closed) { $tokens.Add(@{ T = 'string'; V = $builder.ToString(); P = $start }) }
            else { $tokens.Add(@{ T = 'bad'; V = $Text.Substring($start); P = $start }) }
            continue
        }
        if ($c -eq '$') {
            $i++
            $name = ''
            if ($i -lt $n -and $Text[$i] -eq '{') {
                $end = $Text.IndexOf('}', $i)
                if ($end -lt 0) { $tokens.Add(@{ T = 'bad'; V = $Text.Substring($start); P = $start }); $i = $n; continue }
                $name = $Text.Substring($i + 1, $end - $i - 1)
                $i = $end + 1
                while ($i -lt $n -and $Text[$i] -eq '.') {
                    $j = $i + 1
                    while ($j -lt $n -and ([char]::IsLetterOrDigit($Text[$j]) -or $Text[$j] -eq '_')) { $j++ }
                    $name += $Text.Substring($i, $j - $i); $i = $j
                }
            } else {
                while ($i -lt $n -and ([char]::IsLetterOrDigit($Text[$i]) -or $Text[$i] -eq '_' -or $Text[$i] -eq '.' -or $Text[$i] -eq ':')) { $i++ }
                $name = $Text.Substring($start + 1, $i - $start - 1)
            }
            $tokens.Add(@{ T = 'var'; V = $name; P = $start }); continue
        }
        if ($c -eq '-' -and $i + 1 -lt $n -and [char]::IsLetter($Text[$i + 1])) {
            $j = $i + 1
            while ($j -lt $n -and [char]::IsLetter($Text[$j])) { $j++ }
            $word = $Text.Substring($i + 1, $j - $i - 1).ToLowerInvariant()
            $i = $j
            if ($script:AdComparisonOps -contains $word) { $tokens.Add(@{ T = 'cmp'; V = $word; P = $start }) }
            elseif ($word -eq 'and' -or $word -eq 'or' -or $word -eq 'not') { $tokens.Add(@{ T = 'logic'; V = $word; P = $start }) }
            else { $tokens.Add(@{ T = 'bad'; V = '-' + $word; P = $start }) }
            continue
        }
        $j = $i
        while ($j -lt $n -and -not [char]::IsWhiteSpace($Text[$j]) -and $Text[$j] -ne '(' -and $Text[$j] -ne ')' -and $Text[$j] -ne [char]39 -and $Text[$j] -ne [char]34) { $j++ }
        $tokens.Add(@{ T = 'word'; V = $Text.Substring($i, $j - $i); P = $start })
        $i = $j
    }
    return , $tokens.ToArray()
}

function ConvertFrom-AdFilter {
    <# Parses -Filter text into a tree: @{ K='and'|'or'|'not'|'cmp'|'all'; ... }. Throws the real parse error. #>
    param([Parameter(Mandatory = $true)] [AllowEmptyString()] [string] $Filter)
    $trimmed = $Filter.Trim()
    if ($trimmed -eq '*') { return @{ K = 'all' } }
    $parser = @{ Tokens = (Read-AdFilterTokens $Filter); Index = 0; Filter = $Filter }
    if (@($parser.Tokens).Count -eq 0) { throw (New-AdFilterParseError $Filter 1) }
    $tree = Read-AdFilterOr $parser
    if ($parser.Index -lt @($parser.Tokens).Count) { throw (New-AdFilterParseError $Filter ($parser.Tokens[$parser.Index].P + 1)) }
    return $tree
}

function Get-AdFilterToken {
    param($Parser)
    if ($Parser.Index -ge @($Parser.Tokens).Count) { return $null }
    return $Parser.Tokens[$Parser.Index]
}

function Read-AdFilterOr {
    param($Parser)
    $left = Read-AdFilterAnd $Parser
    while ($true) {
        $token = Get-AdFilterToken $Parser
        if ($null -eq $token -or $token.T -ne 'logic' -or $token.V -ne 'or') { return $left }
        $Parser.Index++
        $right = Read-AdFilterAnd $Parser
        $left = @{ K = 'or'; L = $left; R = $right }
    }
}

function Read-AdFilterAnd {
    param($Parser)
    $left = Read-AdFilterUnary $Parser
    while ($true) {
        $token = Get-AdFilterToken $Parser
        if ($null -eq $token -or $token.T -ne 'logic' -or $token.V -ne 'and') { return $left }
        $Parser.Index++
        $right = Read-AdFilterUnary $Parser
        $left = @{ K = 'and'; L = $left; R = $right }
    }
}

function Read-AdFilterUnary {
    param($Parser)
    $token = Get-AdFilterToken $Parser
    if ($null -eq $token) { throw (New-AdFilterParseError $Parser.Filter ($Parser.Filter.Length + 1)) }
    if ($token.T -eq 'logic' -and $token.V -eq 'not') {
        $Parser.Index++
        return @{ K = 'not'; E = (Read-AdFilterUnary $Parser) }
    }
    if ($token.T -eq 'paren' -and $token.V -eq '(') {
        $Parser.Index++
        $inner = Read-AdFilterOr $Parser
        $close = Get-AdFilterToken $Parser
        if ($null -eq $close) { throw (New-AdFilterParseError $Parser.Filter ($Parser.Filter.Length + 1)) }
        if ($close.T -ne 'paren' -or $close.V -ne ')') { throw (New-AdFilterParseError $Parser.Filter ($close.P + 1)) }
        $Parser.Index++
        return $inner
    }
    if ($token.T -ne 'word') { throw (New-AdFilterParseError $Parser.Filter ($token.P + 1)) }
    $Parser.Index++
    $operator = Get-AdFilterToken $Parser
    if ($null -eq $operator) { throw (New-AdFilterParseError $Parser.Filter ($Parser.Filter.Length + 1)) }
    if ($operator.T -ne 'cmp') { throw (New-AdFilterParseError $Parser.Filter ($operator.P + 1)) }
    $Parser.Index++
    $value = Get-AdFilterToken $Parser
    if ($null -eq $value) { throw (New-AdFilterParseError $Parser.Filter ($Parser.Filter.Length + 1)) }
    if ($value.T -ne 'string' -and $value.T -ne 'word' -and $value.T -ne 'var') { throw (New-AdFilterParseError $Parser.Filter ($value.P + 1)) }
    $Parser.Index++
    return @{ K = 'cmp'; A = [string]$token.V; O = [string]$operator.V; VT = [string]$value.T; V = $value.V }
}

function Resolve-AdFilterVariable {
    <# $name or $name.Property, looked up in the caller's scope, then globally (as the real module does). #>
    param([string] $Expression, $CallerVariables, [string] $Filter)
    $parts = $Expression.Split('.')
    $name = $parts[0]
    if ($name.StartsWith('script:', [StringComparison]::OrdinalIgnoreCase) -or $name.StartsWith('global:', [StringComparison]::OrdinalIgnoreCase)) { $name = $name.Substring($name.IndexOf(':') + 1) }
    $found = $false
    $value = $null
    if ($name -eq 'true') { $found = $true; $value = $true }
    elseif ($name -eq 'false') { $found = $true; $value = $false }
    elseif ($name -eq 'null') { $found = $true; $value = $null }
    else {
        # CallerVariables is the caller's SessionState ($PSCmdlet.SessionState of the fake cmdlet): lookups
        # follow the caller's scope chain, like the real module's variable expansion.
        $variable = $null
        if ($null -ne $CallerVariables) { $variable = $CallerVariables.PSVariable.Get($name) }
        if ($null -eq $variable) { $variable = Get-Variable -Name $name -Scope Global -ErrorAction SilentlyContinue }
        if ($null -ne $variable) { $found = $true; $value = $variable.Value }
    }
    if (-not $found) {
        $exception = New-Object System.ArgumentException ("Variable: '{0}' found in expression: `${0} is not defined." -f $name)
        throw (New-SimErrorRecord -Exception $exception -ErrorId 'ActiveDirectoryCmdlet:System.ArgumentException' -Category InvalidArgument -Target $Filter)
    }
    for ($k = 1; $k -lt $parts.Count; $k++) {
        if ($null -eq $value) { break }
        if ($value -is [System.Collections.IDictionary]) { $value = $value[$parts[$k]]; continue }
        $property = $value.PSObject.Properties[$parts[$k]]
        if ($null -eq $property) { $value = $null } else { $value = $property.Value }
    }
    return , $value
}

function Test-AdFilterNode {
    <# Evaluates a -Filter tree against one user (plain data). #>
    param($Node, $User, $State, $CallerVariables, [string] $Filter)
    switch ($Node.K) {
        'all' { return $true }
        'and' { return ((Test-AdFilterNode $Node.L $User $State $CallerVariables $Filter) -and (Test-AdFilterNode $Node.R $User $State $CallerVariables $Filter)) }
        'or' { return ((Test-AdFilterNode $Node.L $User $State $CallerVariables $Filter) -or (Test-AdFilterNode $Node.R $User $State $CallerVariables $Filter)) }
        'not' { return (-not (Test-AdFilterNode $Node.E $User $State $CallerVariables $Filter)) }
    }
    $expected = $Node.V
    if ($Node.VT -eq 'var') { $expected = Resolve-AdFilterVariable ([string]$Node.V) $CallerVariables $Filter }
    $entry = Get-AdAttributeEntry $Node.A
    $values = @()
    if ($null -ne $entry) { $values = @(Get-AdAttributeValues $State $User $entry) }
    return (Test-AdComparison -Values $values -Operator $Node.O -Expected $expected -Kind $(if ($null -ne $entry) { $entry.Kind } else { 'string' }))
}

function ConvertTo-AdComparable {
    param($Value, [string] $Kind)
    if ($null -eq $Value) { return $null }
    if ($Kind -eq 'guid') {
        if ($Value -is [guid]) { return $Value }
        $g = [guid]::Empty
        if ([guid]::TryParse([string]$Value, [ref]$g)) { return $g }
        return [string]$Value
    }
    if ($Kind -eq 'bool') {
        if ($Value -is [bool]) { return $Value }
        $text = ([string]$Value).Trim()
        if ($text -eq '1' -or $text -eq 'true' -or $text -eq '$true') { return $true }
        if ($text -eq '0' -or $text -eq 'false' -or $text -eq '$false') { return $false }
        return $text
    }
    if ($Kind -eq 'date') {
        if ($Value -is [datetime]) { return $Value.ToUniversalTime() }
        try { return (ConvertFrom-SimTime ([string]$Value)) } catch { return [string]$Value }
    }
    if ($Kind -eq 'bytes') {
        if ($Value -is [byte[]]) { return [Convert]::ToBase64String($Value) }
        if ($Value -is [guid]) { return [Convert]::ToBase64String($Value.ToByteArray()) }
        return [string]$Value
    }
    if ($Kind -eq 'int') {
        $number = 0L
        if ([long]::TryParse([string]$Value, [ref]$number)) { return $number }
        return [string]$Value
    }
    if ($Value -is [guid] -or $Value -is [datetime]) { return (ConvertTo-SimData $Value) }
    return [string]$Value
}

function Test-AdComparison {
    param([object[]] $Values, [string] $Operator, $Expected, [string] $Kind)
    switch ($Operator) {
        'ne' { return (-not (Test-AdComparison $Values 'eq' $Expected $Kind)) }
        'notlike' { return (-not (Test-AdComparison $Values 'like' $Expected $Kind)) }
    }
    if ($null -eq $Expected) {
        # -eq $null matches a missing attribute (the real module turns it into !(attr=*)).
        if ($Operator -eq 'eq') { return (@($Values).Count -eq 0) }
        return $false
    }
    foreach ($raw in @($Values)) {
        if ($null -eq $raw) { continue }
        $actual = ConvertTo-AdComparable $raw $Kind
        $wanted = ConvertTo-AdComparable $Expected $Kind
        switch ($Operator) {
            { $_ -eq 'eq' -or $_ -eq 'approx' -or $_ -eq 'recursivematch' } {
                if ($actual -is [string] -and $wanted -is [string]) { if ($actual.Equals($wanted, [StringComparison]::OrdinalIgnoreCase)) { return $true } }
                elseif ($actual -eq $wanted) { return $true }
            }
            'like' {
                $pattern = New-Object System.Management.Automation.WildcardPattern ([string]$Expected), ([System.Management.Automation.WildcardOptions]::IgnoreCase)
                if ($pattern.IsMatch([string](ConvertTo-SimData $raw))) { return $true }
            }
            { $_ -eq 'lt' -or $_ -eq 'le' -or $_ -eq 'gt' -or $_ -eq 'ge' } {
                $left = $actual; $right = $wanted
                $ln = 0.0; $rn = 0.0
                if ([double]::TryParse([string]$left, [ref]$ln) -and [double]::TryParse([string]$right, [ref]$rn)) { $left = $ln; $right = $rn }
                elseif ($left -is [string] -and $right -is [string]) { $cmp = [string]::Compare($left, $right, [StringComparison]::OrdinalIgnoreCase); $left = $cmp; $right = 0 }
                $ok = $false
                if ($Operator -eq 'lt') { $ok = $left -lt $right }
                if ($Operator -eq 'le') { $ok = $left -le $right }
                if ($Operator -eq 'gt') { $ok = $left -gt $right }
                if ($Operator -eq 'ge') { $ok = $left -ge $right }
                if ($ok) { return $true }
            }
            'band' { if (([long]$actual -band [long]$wanted) -eq [long]$wanted) { return $true } }
            'bor' { if (([long]$actual -band [long]$wanted) -ne 0) { return $true } }
        }
    }
    return $false
}

#region LDAP (RFC 4515)

function New-AdLdapFilterError {
    param([string] $Filter)
    $exception = New-SimException -TypeName 'Microsoft.ActiveDirectory.Management.ADException' -Message 'The search filter cannot be recognized'
    return (New-SimErrorRecord -Exception $exception -ErrorId 'ActiveDirectoryServer:87' -Category NotSpecified -Target $Filter)
}

function ConvertFrom-AdLdapFilter {
    <# Parses an LDAP filter string into a tree; throws "The search filter cannot be recognized" when malformed. #>
    param([Parameter(Mandatory = $true)] [AllowEmptyString()] [string] $Filter)
    $text = $Filter.Trim()
    if ($text.Length -eq 0) { throw (New-AdLdapFilterError $Filter) }
    if ($text[0] -ne '(') { $text = '(' + $text + ')' }
    $parser = @{ Text = $text; Pos = 0; Filter = $Filter }
    $tree = Read-AdLdapFilter $parser
    if ($parser.Pos -ne $text.Length) { throw (New-AdLdapFilterError $Filter) }
    return $tree
}

function Read-AdLdapFilter {
    param($Parser)
    $text = $Parser.Text
    if ($Parser.Pos -ge $text.Length -or $text[$Parser.Pos] -ne '(') { throw (New-AdLdapFilterError $Parser.Filter) }
    $Parser.Pos++
    while ($Parser.Pos -lt $text.Length -and $text[$Parser.Pos] -eq ' ') { $Parser.Pos++ }
    if ($Parser.Pos -ge $text.Length) { throw (New-AdLdapFilterError $Parser.Filter) }
    $c = $text[$Parser.Pos]
    $node = $null
    if ($c -eq '&' -or $c -eq '|') {
        $Parser.Pos++
        $children = [System.Collections.Generic.List[object]]::new()
        while ($true) {
            while ($Parser.Pos -lt $text.Length -and $text[$Parser.Pos] -eq ' ') { $Parser.Pos++ }
            if ($Parser.Pos -ge $text.Length) { throw (New-AdLdapFilterError $Parser.Filter) }
            if ($text[$Parser.Pos] -eq ')') { break }
            $children.Add((Read-AdLdapFilter $Parser))
        }
        if ($children.Count -eq 0) { throw (New-AdLdapFilterError $Parser.Filter) }
        $kind = 'and'
        if ($c -eq '|') { $kind = 'or' }
        $node = @{ K = $kind; C = $children.ToArray() }
    } elseif ($c -eq '!') {
        $Parser.Pos++
        while ($Parser.Pos -lt $text.Length -and $text[$Parser.Pos] -eq ' ') { $Parser.Pos++ }
        $node = @{ K = 'not'; E = (Read-AdLdapFilter $Parser) }
        while ($Parser.Pos -lt $text.Length -and $text[$Parser.Pos] -eq ' ') { $Parser.Pos++ }
    } else {
        $start = $Parser.Pos
        while ($Parser.Pos -lt $text.Length -and $text[$Parser.Pos] -ne ')') {
            if ($text[$Parser.Pos] -eq '(') { throw (New-AdLdapFilterError $Parser.Filter) }
            $Parser.Pos++
        }
        if ($Parser.Pos -ge $text.Length) { throw (New-AdLdapFilterError $Parser.Filter) }
        $node = ConvertFrom-AdLdapItem $text.Substring($start, $Parser.Pos - $start) $Parser.Filter
    }
    if ($Parser.Pos -ge $text.Length -or $text[$Parser.Pos] -ne ')') { throw (New-AdLdapFilterError $Parser.Filter) }
    $Parser.Pos++
    return $node
}

function ConvertFrom-AdLdapValue {
    <# Decodes an assertion value: \XX hex escapes to bytes; a bare ( ) \ or NUL is an error. Returns byte[]. #>
    param([string] $Raw, [string] $Filter)
    $bytes = [System.Collections.Generic.List[byte]]::new()
    $utf8 = [System.Text.Encoding]::UTF8
    $i = 0
    while ($i -lt $Raw.Length) {
        $c = $Raw[$i]
        if ($c -eq '\') {
            if ($i + 2 -ge $Raw.Length) { throw (New-AdLdapFilterError $Filter) }
            $hex = $Raw.Substring($i + 1, 2)
            if ($hex -notmatch '^[0-9A-Fa-f]{2}$') { throw (New-AdLdapFilterError $Filter) }
            $bytes.Add([Convert]::ToByte($hex, 16))
            $i += 3
            continue
        }
        if ($c -eq '(' -or $c -eq ')' -or [int]$c -eq 0) { throw (New-AdLdapFilterError $Filter) }
        foreach ($b in $utf8.GetBytes([string]$c)) { $bytes.Add($b) }
        $i++
    }
    return , $bytes.ToArray()
}

function ConvertFrom-AdLdapItem {
    param([string] $Item, [string] $Filter)
    $match = [regex]::Match($Item, '^\s*([A-Za-z][A-Za-z0-9\-]*|[0-9]+(?:\.[0-9]+)*)((?:;[A-Za-z0-9\-]+)*)((?::dn)?(?::[A-Za-z0-9\.\-]+)?)?(~=|>=|<=|:=|=)(.*)$', 'Singleline')
    if (-not $match.Success) { throw (New-AdLdapFilterError $Filter) }
    $attribute = $match.Groups[1].Value
    $extensible = $match.Groups[3].Value
    $operator = $match.Groups[4].Value
    $raw = $match.Groups[5].Value
    if ($operator -eq ':=') {
        $rule = ''
        foreach ($part in $extensible.Split(':')) { if ($part -and $part -ne 'dn') { $rule = $part } }
        return @{ K = 'ext'; A = $attribute; Rule = $rule; V = (ConvertFrom-AdLdapValue $raw $Filter) }
    }
    if ($extensible) { throw (New-AdLdapFilterError $Filter) }
    if ($operator -eq '=') {
        if ($raw -eq '*') { return @{ K = 'present'; A = $attribute } }
        if ($raw.IndexOf('*') -ge 0) {
            $parts = $raw.Split('*')
            $decoded = [System.Collections.Generic.List[object]]::new()
            foreach ($part in $parts) { $decoded.Add((ConvertFrom-AdLdapValue $part $Filter)) }
            return @{ K = 'substring'; A = $attribute; Parts = $decoded.ToArray() }
        }
        return @{ K = 'eq'; A = $attribute; V = (ConvertFrom-AdLdapValue $raw $Filter) }
    }
    if ($raw.IndexOf('*') -ge 0) { throw (New-AdLdapFilterError $Filter) }
    $kind = 'ge'
    if ($operator -eq '<=') { $kind = 'le' }
    if ($operator -eq '~=') { $kind = 'eq' }
    return @{ K = $kind; A = $attribute; V = (ConvertFrom-AdLdapValue $raw $Filter) }
}

function Test-AdLdapNode {
    param($Node, $User, $State)
    switch ($Node.K) {
        'and' { foreach ($child in $Node.C) { if (-not (Test-AdLdapNode $child $User $State)) { return $false } }; return $true }
        'or' { foreach ($child in $Node.C) { if (Test-AdLdapNode $child $User $State) { return $true } }; return $false }
        'not' { return (-not (Test-AdLdapNode $Node.E $User $State)) }
    }
    $values = @(Get-AdLdapValues $State $User $Node.A)
    $binary = Test-AdLdapBinary $Node.A
    $utf8 = [System.Text.Encoding]::UTF8
    switch ($Node.K) {
        'present' { return (@($values).Count -gt 0) }
        'eq' {
            if ($binary) {
                $wanted = [Convert]::ToBase64String([byte[]]$Node.V)
                foreach ($value in $values) { if ([Convert]::ToBase64String([byte[]]$value) -ceq $wanted) { return $true } }
                return $false
            }
            $text = $utf8.GetString([byte[]]$Node.V)
            if ($Node.A -ieq 'objectCategory' -and $text -ieq 'person') { $text = [string]@($values)[0] }
            foreach ($value in $values) { if (([string]$value).Equals($text, [StringComparison]::OrdinalIgnoreCase)) { return $true } }
            return $false
        }
        'substring' {
            if ($binary) { return $false }
            $pattern = [System.Text.StringBuilder]::new()
            $null = $pattern.Append('^')
            $parts = @($Node.Parts)
            for ($k = 0; $k -lt $parts.Count; $k++) {
                if ($k -gt 0) { $null = $pattern.Append('.*') }
                $null = $pattern.Append([regex]::Escape($utf8.GetString([byte[]]$parts[$k])))
            }
            $null = $pattern.Append('$')
            foreach ($value in $values) { if ([regex]::IsMatch([string]$value, $pattern.ToString(), 'IgnoreCase, Singleline')) { return $true } }
            return $false
        }
        { $_ -eq 'ge' -or $_ -eq 'le' } {
            $text = $utf8.GetString([byte[]]$Node.V)
            foreach ($value in $values) {
                $a = 0L; $b = 0L
                if ([long]::TryParse([string]$value, [ref]$a) -and [long]::TryParse($text, [ref]$b)) { $cmp = $a.CompareTo($b) }
                else { $cmp = [string]::Compare([string]$value, $text, [StringComparison]::OrdinalIgnoreCase) }
                if ($Node.K -eq 'ge' -and $cmp -ge 0) { return $true }
                if ($Node.K -eq 'le' -and $cmp -le 0) { return $true }
            }
            return $false
        }
        'ext' {
            $text = $utf8.GetString([byte[]]$Node.V)
            foreach ($value in $values) {
                $a = 0L; $b = 0L
                if ($Node.Rule -eq '1.2.840.113556.1.4.803' -or $Node.Rule -eq '1.2.840.113556.1.4.804') {
                    if (-not ([long]::TryParse([string]$value, [ref]$a) -and [long]::TryParse($text, [ref]$b))) { continue }
                    if ($Node.Rule -eq '1.2.840.113556.1.4.803' -and ($a -band $b) -eq $b) { return $true }
                    if ($Node.Rule -eq '1.2.840.113556.1.4.804' -and ($a -band $b) -ne 0) { return $true }
                } elseif (([string]$value).Equals($text, [StringComparison]::OrdinalIgnoreCase)) { return $true }
            }
            return $false
        }
    }
    return $false
}

#endregion
