<#
.SYNOPSIS
    The compiled helper and the errors the fakes throw (dot-sourced by UpnMatch.Sim.psm1).
.DESCRIPTION
    Initialize-SimTypes compiles UpnMatch.Sim.Helpers.cs (once per machine, cached in the temp folder) and loads
    it when the module loads; New-SimException and New-SimErrorRecord build the errors with the real modules'
    exception types.
#>


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
            $references = @('System.Net.Http', 'System.Net.Primitives', 'System.Collections', 'System.ObjectModel', 'System.Collections.NonGeneric', 'System.Collections.Specialized', 'System.Management.Automation',
                'System.Text.Encoding.Extensions', 'System.IO.FileSystem', 'System.Threading.Thread', 'System.Runtime.Extensions', 'System.Text.RegularExpressions', 'System.IO.Pipes')
        } else {
            # Windows PowerShell references System.dll and System.Management.Automation.dll by default; System.Core
            # holds the named pipes and HashSet.
            Add-Type -AssemblyName System.Net.Http, System.Core
            $references = @([System.Net.Http.HttpResponseMessage].Assembly.Location, [System.IO.Pipes.NamedPipeClientStream].Assembly.Location)
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

function Get-SimCallerErrorAction {
    <#
    .SYNOPSIS
        The ErrorAction a compiled cmdlet would write a non-terminating error with: -ErrorAction when given, else
        the caller's $ErrorActionPreference. A fake (a script module function) sees the global preference
        instead of its caller's; it sets $ErrorActionPreference to this before $PSCmdlet.WriteError.
    #>
    param([Parameter(Mandatory = $true)] [System.Management.Automation.PSCmdlet] $Cmdlet, [System.Collections.IDictionary] $BoundParameters)
    if ($null -ne $BoundParameters -and @($BoundParameters.Keys) -contains 'ErrorAction') { return [string]$BoundParameters['ErrorAction'] }
    $preference = $Cmdlet.SessionState.PSVariable.GetValue('ErrorActionPreference')
    if ($null -eq $preference) { return 'Continue' }
    return [string]$preference
}

# The typed exceptions and the data helpers: compiled once per machine, then loaded from the cache.
Initialize-SimTypes
[UpnMatchSim.Files]::ProcessId = $PID
