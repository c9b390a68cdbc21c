<#
.SYNOPSIS
    The simulator server: the fake modules run in a PowerShell process of their own, and the fakes imported
    anywhere else forward each call to it.
.DESCRIPTION
    With $env:UPN_MATCH_SIM_SERVER naming a pipe (started by ps/sim/tools/Start-SimServer.ps1), every exported
    fake cmdlet is replaced by a proxy with the same parameters that sends the bound parameters to the server
    and writes back what the server's fake wrote, or throws the error it threw (same exception type, error id,
    category, AD error code, inner exceptions and, for Graph, the HTTP response), writes the non-terminating
    errors it wrote (with the caller's ErrorAction) and sets the variables it set (-StatusCodeVariable...). The world is then held once, in the server, as a real
    directory is held by its servers: the benchmark measures the tool's memory without the simulator's.
    The call log records the calling process's id. Not supported through the server: -Filter strings that
    name $variables (the caller's scope stays behind), What-if text (printed by the server), kill faults.
    Dot-sourced by UpnMatch.Sim.psm1. Runs on Windows PowerShell 5.1 and PowerShell 7.
#>

$script:IsSimServer = $false
$script:RemoteClientPid = $null
# Server side: the fake functions by 'Module\Command', looked up once.
$script:RemoteTargets = @{}
# Common parameters that name the caller's variables: they stay with the proxy.
# ErrorAction too: the server keeps what the fake wrote, and the proxy writes it with the caller's ErrorAction.
$script:RemoteLocalParameters = @('ErrorVariable', 'WarningVariable', 'InformationVariable', 'OutVariable', 'OutBuffer', 'PipelineVariable', 'ErrorAction')
# Parameters that name a variable the fake sets in its caller's scope: the server sets its own and sends the values.
$script:RemoteVariableParameters = @('StatusCodeVariable', 'ResponseHeadersVariable')
# Objects per reply: a larger output stays on the server and the client fetches it a part at a time ('more'
# requests), as the ActiveDirectory module reads a paged search: a client holds one part, not all 50,000 users.
$script:RemoteOutputPart = 1000
if ([int]::TryParse([string]$env:UPN_MATCH_SIM_SERVER_PART, [ref]$null) -and [int]$env:UPN_MATCH_SIM_SERVER_PART -gt 0) { $script:RemoteOutputPart = [int]$env:UPN_MATCH_SIM_SERVER_PART }
# Server side: the parts not fetched yet, by token (a client that stops reading leaves its parts: a few are kept).
$script:RemotePending = [ordered]@{}
# Server side: writes are kept in memory and saved after this long without a call (UpnMatch.Sim.State.ps1).
$script:RemoteSaveIdleMs = 1000

function Test-SimRemoteClient {
    <# True when this process must forward fake calls to a simulator server. #>
    return ((-not $script:IsSimServer) -and -not [string]::IsNullOrWhiteSpace($env:UPN_MATCH_SIM_SERVER))
}

function Get-SimCallerPid {
    <# The process a fake call comes from: the server's client, or this process. #>
    if ($null -ne $script:RemoteClientPid) { return $script:RemoteClientPid }
    return $PID
}

function New-SimRemoteProxy {
    <# A function body with the parameters of a fake cmdlet that forwards its calls to the server. #>
    param([Parameter(Mandatory = $true)] [string] $Module, [Parameter(Mandatory = $true)] [System.Management.Automation.FunctionInfo] $Function)
    $metadata = New-Object System.Management.Automation.CommandMetadata $Function
    $binding = [System.Management.Automation.ProxyCommand]::GetCmdletBindingAttribute($metadata)
    $parameters = [System.Management.Automation.ProxyCommand]::GetParamBlock($metadata)
    # The variables the fake set (-StatusCodeVariable...) are set in the caller's scope here: the proxy runs in
    # its caller's session state, where $PSCmdlet.SessionState.PSVariable.Set would set them in the proxy's own.
    $text = "{0}`nparam({1})`nprocess {{ `$upnMatchSimSet = Invoke-SimRemote -Module '{2}' -Command '{3}' -BoundParameters `$PSBoundParameters -Cmdlet `$PSCmdlet; foreach (`$upnMatchSimName in @(`$upnMatchSimSet.Keys)) {{ Set-Variable -Name `$upnMatchSimName -Value `$upnMatchSimSet[`$upnMatchSimName] -Scope 1 }} }}" -f $binding, $parameters, $Module, $Function.Name
    return [scriptblock]::Create($text)
}

function Read-SimFrame {
    <# One message: a 4-byte little-endian length, then that many bytes of UTF-8. #>
    param([Parameter(Mandatory = $true)] [System.IO.Stream] $Stream)
    $header = [byte[]]::new(4)
    $read = 0
    while ($read -lt 4) {
        $n = $Stream.Read($header, $read, 4 - $read)
        if ($n -le 0) { throw 'upn-match simulator: the pipe closed in the middle of a message' }
        $read += $n
    }
    $length = [System.BitConverter]::ToInt32($header, 0)
    $body = [byte[]]::new($length)
    $read = 0
    while ($read -lt $length) {
        $n = $Stream.Read($body, $read, $length - $read)
        if ($n -le 0) { throw 'upn-match simulator: the pipe closed in the middle of a message' }
        $read += $n
    }
    return $script:Utf8NoBom.GetString($body)
}

function Write-SimFrame {
    param([Parameter(Mandatory = $true)] [System.IO.Stream] $Stream, [Parameter(Mandatory = $true)] [string] $Text)
    $body = $script:Utf8NoBom.GetBytes($Text)
    $Stream.Write([System.BitConverter]::GetBytes([int]$body.Length), 0, 4)
    $Stream.Write($body, 0, $body.Length)
    $Stream.Flush()
}

function ConvertTo-SimRemoteValue {
    <# A parameter value as it crosses the pipe: switches as booleans, secure strings and credentials as text. #>
    param([AllowNull()] $Value)
    if ($Value -is [System.Management.Automation.SwitchParameter]) { return [bool]$Value }
    if ($Value -is [System.Security.SecureString]) {
        return @{ '@secure' = (New-Object System.Management.Automation.PSCredential 'x', $Value).GetNetworkCredential().Password }
    }
    if ($Value -is [System.Management.Automation.PSCredential]) {
        return @{ '@credential' = $Value.UserName; '@password' = $Value.GetNetworkCredential().Password }
    }
    return $Value
}

function ConvertFrom-SimRemoteValue {
    param([AllowNull()] $Value)
    if ($Value -is [System.Collections.IDictionary]) {
        if ($Value.Contains('@secure')) { return (ConvertTo-SecureString -String ([string]$Value['@secure']) -AsPlainText -Force) }
        if ($Value.Contains('@credential')) {
            $secure = ConvertTo-SecureString -String ([string]$Value['@password']) -AsPlainText -Force
            return (New-Object System.Management.Automation.PSCredential ([string]$Value['@credential']), $secure)
        }
    }
    return $Value
}

function ConvertTo-SimRemoteException {
    <# An exception as it crosses the pipe: type, message, AD error code, Graph SDK status and headers, inner ones. #>
    param([Parameter(Mandatory = $true)] [System.Exception] $Exception)
    $out = @{ type = $Exception.GetType().FullName; message = $Exception.Message }
    if ($null -ne $Exception.PSObject.Properties['ErrorCode']) { $out['errorCode'] = $Exception.ErrorCode }
    if ($null -ne $Exception.PSObject.Properties['ResponseStatusCode']) {
        $out['responseStatusCode'] = [int]$Exception.ResponseStatusCode
        $headers = @{}
        foreach ($key in @($Exception.ResponseHeaders.Keys)) { $headers[[string]$key] = [string[]]@($Exception.ResponseHeaders[$key]) }
        $out['responseHeaders'] = $headers
    }
    if ($Exception -is [System.AggregateException]) {
        $inner = @($Exception.InnerExceptions | ForEach-Object { ConvertTo-SimRemoteException $_ })
        $out['inner'] = $inner
        # PowerShell 7's AggregateException appends " (<inner message>)" for each inner one: send its own message.
        $suffix = -join @($Exception.InnerExceptions | ForEach-Object { ' (' + $_.Message + ')' })
        if ($suffix -and $out.message.EndsWith($suffix, [StringComparison]::Ordinal)) { $out.message = $out.message.Substring(0, $out.message.Length - $suffix.Length) }
    }
    return $out
}

function ConvertFrom-SimRemoteException {
    param([Parameter(Mandatory = $true)] $Remote, [object[]] $ExtraArguments = @())
    if ($Remote.Contains('inner')) {
        $inner = [System.Exception[]]@(@($Remote['inner']) | ForEach-Object { ConvertFrom-SimRemoteException $_ })
        return (New-Object System.AggregateException ([string]$Remote.message, $inner))
    }
    $exception = New-SimException -TypeName ([string]$Remote.type) -Message ([string]$Remote.message) -ExtraArguments $ExtraArguments
    if ($Remote.Contains('errorCode') -and $null -ne $exception.PSObject.Properties['ErrorCode']) { $exception.ErrorCode = [int]$Remote['errorCode'] }
    if ($Remote.Contains('responseStatusCode') -and $null -ne $exception.PSObject.Properties['ResponseStatusCode']) {
        $exception.ResponseStatusCode = [int]$Remote['responseStatusCode']
        foreach ($key in @($Remote['responseHeaders'].Keys)) { $exception.ResponseHeaders[[string]$key] = [string[]]@($Remote['responseHeaders'][$key]) }
    }
    return $exception
}

function ConvertTo-SimRemoteError {
    <# What the client needs to throw the same error: type, message, id, category, target, details, HTTP response. #>
    param([Parameter(Mandatory = $true)] [System.Management.Automation.ErrorRecord] $Record, [string] $Command)
    $errorId = [string]$Record.FullyQualifiedErrorId
    foreach ($suffix in @((',' + $Command), (',' + $Record.InvocationInfo.MyCommand.ModuleName + '\' + $Command))) {
        if ($Command -and $errorId.EndsWith($suffix, [StringComparison]::OrdinalIgnoreCase)) { $errorId = $errorId.Substring(0, $errorId.Length - $suffix.Length) }
    }
    $out = ConvertTo-SimRemoteException $Record.Exception
    $out['errorId'] = $errorId
    $out['category'] = $Record.CategoryInfo.Category.ToString()
    $out['target'] = $null
    $out['details'] = $null
    if ($null -ne $Record.TargetObject) { $out.target = [string]$Record.TargetObject }
    if ($null -ne $Record.ErrorDetails) { $out.details = $Record.ErrorDetails.Message }
    $response = $null
    if ($null -ne $Record.Exception.PSObject.Properties['Response']) { $response = $Record.Exception.Response }
    if ($response -is [System.Net.Http.HttpResponseMessage]) {
        $headers = @{}
        foreach ($header in $response.Headers) {
            if ($header.Key -ne 'Retry-After') { $headers[$header.Key] = (@($header.Value) -join ',') }
        }
        $retryAfter = $null
        if ($null -ne $response.Headers.RetryAfter -and $null -ne $response.Headers.RetryAfter.Delta) { $retryAfter = $response.Headers.RetryAfter.Delta.TotalSeconds }
        $content = ''
        if ($null -ne $response.Content) { $content = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult() }
        $out['http'] = @{ status = [int]$response.StatusCode; reason = $response.ReasonPhrase; headers = $headers; retryAfter = $retryAfter; content = $content }
    }
    return $out
}

function ConvertFrom-SimRemoteError {
    param([Parameter(Mandatory = $true)] $Remote)
    $extra = @()
    $http = $null
    if ($Remote.Contains('http')) { $http = $Remote['http'] }
    $response = $null
    if ($null -ne $http) {
        $response = New-Object System.Net.Http.HttpResponseMessage ([System.Net.HttpStatusCode][int]$http.status)
        $response.ReasonPhrase = [string]$http.reason
        $response.Content = New-Object System.Net.Http.StringContent ([string]$http.content, [System.Text.Encoding]::UTF8, 'application/json')
        foreach ($key in @($http.headers.Keys)) { $null = $response.Headers.TryAddWithoutValidation([string]$key, [string]$http.headers[$key]) }
        if ($null -ne $http.retryAfter) { $response.Headers.RetryAfter = New-Object System.Net.Http.Headers.RetryConditionHeaderValue ([TimeSpan]::FromSeconds([double]$http.retryAfter)) }
        $extra = @(, $response)
    }
    $exception = ConvertFrom-SimRemoteException -Remote $Remote -ExtraArguments $extra
    if ($null -ne $response -and $null -eq $exception.PSObject.Properties['Response']) { $exception | Add-Member -NotePropertyName Response -NotePropertyValue $response }
    $category = [System.Management.Automation.ErrorCategory]::NotSpecified
    try { $category = [System.Management.Automation.ErrorCategory]([string]$Remote.category) } catch { $null = $_ }
    # An empty error id is kept (the Graph SDK writes its retry failure so); New-SimErrorRecord wants one.
    $record = New-Object System.Management.Automation.ErrorRecord $exception, ([string]$Remote.errorId), $category, $Remote.target
    if ($Remote.details) { $record.ErrorDetails = New-Object System.Management.Automation.ErrorDetails ([string]$Remote.details) }
    return $record
}

function Invoke-SimRemote {
    <#
    .SYNOPSIS
        Client side of a proxy: one request on the pipe, then the server's output and errors written, or its
        error thrown; returns the variables the fake set (name -> value) for the proxy to set.
    .NOTES
        A plain function (no parameter attributes): it runs on every forwarded call.
    #>
    param([string] $Module, [string] $Command, [System.Collections.IDictionary] $BoundParameters, [System.Management.Automation.PSCmdlet] $Cmdlet)
    $parameters = @{}
    foreach ($key in @($BoundParameters.Keys)) {
        if ($script:RemoteLocalParameters -contains [string]$key) { continue }
        $parameters[[string]$key] = ConvertTo-SimRemoteValue $BoundParameters[$key]
    }
    if ($parameters.ContainsKey('Filter') -and ([string]$parameters['Filter']).Contains('$')) {
        $Cmdlet.ThrowTerminatingError((New-SimErrorRecord -Exception (New-Object System.NotSupportedException 'upn-match simulator: a -Filter that names $variables cannot be sent to the simulator server; put the values in the filter text') -ErrorId 'UpnMatchSimRemoteFilter' -Category NotImplemented))
    }
    $request = @{ module = $Module; command = $Command; parameters = $parameters; clientPid = $PID }
    $pipe = [System.IO.Pipes.NamedPipeClientStream]::new('.', $env:UPN_MATCH_SIM_SERVER, [System.IO.Pipes.PipeDirection]::InOut)
    try {
        $pipe.Connect(60000)
        Write-SimFrame $pipe ([System.Management.Automation.PSSerializer]::Serialize($request, 8))
        $response = [System.Management.Automation.PSSerializer]::Deserialize((Read-SimFrame $pipe))
    } finally {
        $pipe.Dispose()
    }
    if ($null -ne $response['error']) { $Cmdlet.ThrowTerminatingError((ConvertFrom-SimRemoteError $response['error'])) }
    foreach ($item in @($response['output'])) { $Cmdlet.WriteObject($item) }
    # The rest of a large output, a part per request; each part is written out before the next is asked for.
    # A new connection each time: what runs downstream may call the server in between.
    $more = $response['more']
    while ($more) {
        $pipe = [System.IO.Pipes.NamedPipeClientStream]::new('.', $env:UPN_MATCH_SIM_SERVER, [System.IO.Pipes.PipeDirection]::InOut)
        try {
            $pipe.Connect(60000)
            Write-SimFrame $pipe ('more ' + $more)
            $part = [System.Management.Automation.PSSerializer]::Deserialize((Read-SimFrame $pipe))
        } finally {
            $pipe.Dispose()
        }
        $more = $part['more']
        foreach ($item in @($part['output'])) { $Cmdlet.WriteObject($item) }
        $part = $null
    }
    if (@($response['errors']).Count -gt 0) {
        $ErrorActionPreference = Get-SimCallerErrorAction -Cmdlet $Cmdlet -BoundParameters $BoundParameters
        foreach ($remoteError in @($response['errors'])) { $Cmdlet.WriteError((ConvertFrom-SimRemoteError $remoteError)) }
    }
    return $response['variables']
}

function Invoke-SimServerRequest {
    <# Server side: runs one forwarded call with this process's fakes and returns the serialised reply. #>
    param([Parameter(Mandatory = $true)] [string] $Text)
    $request = [System.Management.Automation.PSSerializer]::Deserialize($Text)
    $command = [string]$request['command']
    $parameters = @{}
    foreach ($key in @($request['parameters'].Keys)) { $parameters[[string]$key] = ConvertFrom-SimRemoteValue $request['parameters'][$key] }
    $reply = @{ output = @(); error = $null; errors = @(); variables = @{}; more = $null }
    # The fake sets these in this function's scope, under names of ours (the client's could be a local's here).
    $variables = @{}
    foreach ($key in $script:RemoteVariableParameters) {
        if ($parameters.ContainsKey($key) -and $parameters[$key]) {
            $variables[$key] = [string]$parameters[$key]
            $parameters[$key] = 'UpnMatchSimRemote' + $key
            Remove-Variable -Name $parameters[$key] -ErrorAction SilentlyContinue
        }
    }
    $script:RemoteClientPid = [int]$request['clientPid']
    try {
        $name = '{0}\{1}' -f [string]$request['module'], $command
        $target = $script:RemoteTargets[$name]
        if ($null -eq $target) {
            $target = Get-Command -Name $name -CommandType Function -ErrorAction Stop
            $script:RemoteTargets[$name] = $target
        }
        # The errors the fake wrote come with its output (2>&1) and are sent apart; the client writes them with
        # its own ErrorAction. Not -ErrorVariable: it also holds errors the fake caught itself.
        $parameters['ErrorAction'] = 'Continue'
        $output = [System.Collections.Generic.List[object]]::new()
        $written = [System.Collections.Generic.List[object]]::new()
        foreach ($item in @(& $target @parameters 2>&1)) {
            if ($item -is [System.Management.Automation.ErrorRecord]) { $written.Add((ConvertTo-SimRemoteError -Record $item -Command $command)) } else { $output.Add($item) }
        }
        $reply.output = $output.ToArray()
        if ($output.Count -gt $script:RemoteOutputPart) {
            $reply.output = $output.GetRange(0, $script:RemoteOutputPart).ToArray()
            $reply.more = Add-SimRemotePending $output $script:RemoteOutputPart
        }
        $reply.errors = $written.ToArray()
        foreach ($key in @($variables.Keys)) {
            $set = Get-Variable -Name $parameters[$key] -Scope 0 -ErrorAction SilentlyContinue
            if ($null -ne $set) { $reply.variables[$variables[$key]] = $set.Value }
        }
    } catch {
        $reply.error = ConvertTo-SimRemoteError -Record $_ -Command $command
    } finally {
        $script:RemoteClientPid = $null
    }
    # Depth: a Graph $batch reply nests responses, bodies, pages, users and their address lists.
    return [System.Management.Automation.PSSerializer]::Serialize($reply, 20)
}

function Invoke-SimServerWarmUp {
    <#
    .SYNOPSIS
        Before the server takes calls: parses the world (kept for the first call) and runs the calls a run of
        the tool makes once each - AD search, lookup and write, Graph page and $batch, a sync cycle and its
        settle step - against a copy of a few of its objects in a temp folder, so that their code is compiled
        before a client waits for it (the first of each took up to 1.5 s more than the next).
    .DESCRIPTION
        Best effort: any failure is ignored. The world, its call log and counters are not touched; the
        environment and the Graph connection are restored afterwards.
    #>
    $dir = $null
    try { $dir = Get-SimDirectory } catch { return }
    $names = @('UPN_MATCH_SIM_DIR', 'UPN_MATCH_SIM_GRAPH_LATENCY_MS', 'UPN_MATCH_SIM_AD_LATENCY_MS', 'UPN_MATCH_SIM_SYNC_MS')
    $saved = @{}
    foreach ($name in $names) { $saved[$name] = [Environment]::GetEnvironmentVariable($name) }
    $graph = Get-Module Microsoft.Graph.Authentication
    $connection = $null
    if ($null -ne $graph) { $connection = & $graph { $script:Connection } }
    $temp = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), ('upn-match-sim-warmup-{0}-{1}' -f $PID, [guid]::NewGuid().ToString('N')))
    try {
        $state = Read-SimState $dir
        $mini = [ordered]@{}
        foreach ($key in @($state.Keys)) { if (@('forest', 'tenant', 'sync') -notcontains [string]$key) { $mini[[string]$key] = Copy-SimData $state[$key] } }
        foreach ($part in @('forest', 'tenant', 'sync')) {
            $copy = [ordered]@{}
            foreach ($key in @($state[$part].Keys)) {
                $value = $state[$part][$key]
                # A few objects of each list (users, groups, ...), the rest as it is.
                if ($value -is [object[]]) { $value = @($value | Select-Object -First 3) }
                $copy[[string]$key] = Copy-SimData $value
            }
            $mini[$part] = $copy
        }
        $mini.sync['cycle'] = $null
        $null = [System.IO.Directory]::CreateDirectory($temp)
        [System.IO.File]::WriteAllText([System.IO.Path]::Combine($temp, 'state.json'), (ConvertTo-SimJson $mini), $script:Utf8NoBom)
        $env:UPN_MATCH_SIM_DIR = $temp
        $env:UPN_MATCH_SIM_GRAPH_LATENCY_MS = '0'
        $env:UPN_MATCH_SIM_AD_LATENCY_MS = '0'
        $env:UPN_MATCH_SIM_SYNC_MS = '0'
        $adUser = @($mini.forest.users)[0]
        $cloudUser = @($mini.tenant.users)[0]
        $steps = @(
            { Get-ADForest },
            { Get-ADDomain },
            { Get-ADUser -LDAPFilter ('(|(sAMAccountName={0})(userPrincipalName={1}))' -f $adUser.SamAccountName, $adUser.UserPrincipalName) -Properties UserPrincipalName, DisplayName, mail, proxyAddresses, 'mS-DS-ConsistencyGuid', Enabled },
            { Get-ADUser -Identity ([string]$adUser.ObjectGUID) -Properties UserPrincipalName },
            { Set-ADUser -Identity ([string]$adUser.ObjectGUID) -UserPrincipalName ([string]$adUser.UserPrincipalName) },
            { Connect-MgGraph -Scopes 'User.Read.All' },
            { Get-MgContext },
            { Invoke-MgGraphRequest -Method GET -Uri '/v1.0/users?$select=id,userPrincipalName,displayName,mail,proxyAddresses,onPremisesImmutableId&$top=999' -OutputType Hashtable },
            { Invoke-MgGraphRequest -Method POST -Uri '/v1.0/$batch' -ContentType 'application/json' -OutputType Hashtable -Body ('{"requests":[{"id":"1","method":"GET","url":"/users/' + [string]$cloudUser.id + '?$select=id,userPrincipalName"},{"id":"2","method":"GET","url":"/organization"}]}') },
            { Get-ADSyncScheduler },
            { Get-ADSyncConnector },
            { Start-ADSyncSyncCycle -PolicyType Delta },
            { Get-ADSyncScheduler }
        )
        foreach ($step in $steps) {
            try { $null = & $step } catch { $null = $_ }
        }
    } catch {
        $null = $_
    } finally {
        foreach ($name in $names) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
        if ($null -ne $graph) { & $graph { $script:Connection = $args[0] } $connection }
        # The warm-up's writes went to the temp world: saved there, and the lock let go.
        try { Save-SimServerState } catch { $null = $_ }
        try { if ([System.IO.Directory]::Exists($temp)) { [System.IO.Directory]::Delete($temp, $true) } } catch { $null = $_ }
        # The world again, parsed for the first call (the temp world replaced it in the cache).
        try { $null = Read-SimState $dir } catch { $null = $_ }
    }
}

function Add-SimRemotePending {
    <# Server side: keeps the output from index Start on for 'more' requests; returns its token. #>
    param([System.Collections.Generic.List[object]] $Output, [int] $Start)
    while ($script:RemotePending.Count -ge 8) { $script:RemotePending.RemoveAt(0) }
    $token = [guid]::NewGuid().ToString('N')
    $script:RemotePending[$token] = @{ output = $Output; next = $Start }
    return $token
}

function Get-SimServerMore {
    <# Server side: the next part of a pending output, serialised; more names the token while parts remain. #>
    param([Parameter(Mandatory = $true)] [string] $Token)
    $pending = $script:RemotePending[$Token]
    $reply = @{ output = @(); more = $null }
    if ($null -ne $pending) {
        $count = [Math]::Min($script:RemoteOutputPart, $pending.output.Count - $pending.next)
        $reply.output = $pending.output.GetRange($pending.next, $count).ToArray()
        $pending.next += $count
        if ($pending.next -lt $pending.output.Count) { $reply.more = $Token } else { $script:RemotePending.Remove($Token) }
    }
    return [System.Management.Automation.PSSerializer]::Serialize($reply, 20)
}

function Invoke-SimServer {
    <#
    .SYNOPSIS
        Serves forwarded fake calls on a named pipe, one at a time, until a client sends 'stop'. Warms up
        first (Invoke-SimServerWarmUp).
    .PARAMETER OnReady
        Called once the pipe exists (the server script prints a line for whoever started it).
    #>
    param([Parameter(Mandatory = $true)] [string] $PipeName, [scriptblock] $OnReady)
    $script:IsSimServer = $true
    Invoke-SimServerWarmUp
    $newPipe = {
        [System.IO.Pipes.NamedPipeServerStream]::new($PipeName, [System.IO.Pipes.PipeDirection]::InOut, [System.IO.Pipes.NamedPipeServerStream]::MaxAllowedServerInstances)
    }
    $pipe = & $newPipe
    if ($OnReady) { & $OnReady }
    while ($true) {
        if ($script:StateUnsaved) {
            # Writes kept in memory are saved once no call has come for a moment (a batch of writes is done).
            $waiting = $pipe.WaitForConnectionAsync()
            if (-not $waiting.Wait($script:RemoteSaveIdleMs)) {
                Save-SimServerState
                $waiting.Wait()
            }
        } else {
            $pipe.WaitForConnection()
        }
        # The next instance exists before this one closes: a client that connects meanwhile waits in line
        # (on Unix, closing the last instance would reset its connection).
        $next = & $newPipe
        $stop = $false
        try {
            $text = Read-SimFrame $pipe
            if ($text -eq 'stop') {
                Save-SimServerState
                Write-SimFrame $pipe 'stopped'
                $stop = $true
            } elseif ($text -eq 'save') {
                Save-SimServerState
                Write-SimFrame $pipe 'saved'
            } elseif ($text.StartsWith('more ')) {
                Write-SimFrame $pipe (Get-SimServerMore $text.Substring(5))
            } else {
                Write-SimFrame $pipe (Invoke-SimServerRequest $text)
            }
        } catch {
            # A client that went away mid-call (killed, timed out) must not stop the server; say why on stderr.
            [Console]::Error.WriteLine('upn-match simulator server: ' + $_.Exception.Message)
        } finally {
            $pipe.Dispose()
        }
        $pipe = $next
        if ($stop) {
            $pipe.Dispose()
            return
        }
    }
}

function Get-SimRemoteProxies {
    <#
    .SYNOPSIS
        In a client process, the proxies for the given fake cmdlets: @{ Name; Body } each (nothing elsewhere).
        The fake module defines them in its own scope (Set-Item function:script:...), over the real bodies.
    #>
    param([Parameter(Mandatory = $true)] [string] $Module, [Parameter(Mandatory = $true)] [System.Management.Automation.FunctionInfo[]] $Functions)
    if (-not (Test-SimRemoteClient)) { return @() }
    # The server keeps writes in memory for a moment: this process asks it to save them as it exits, so that
    # whoever waited for this process reads them in state.json.
    [UpnMatchSim.RemoteClient]::SaveOnExit($env:UPN_MATCH_SIM_SERVER)
    $proxies = [System.Collections.Generic.List[object]]::new()
    foreach ($function in $Functions) { $proxies.Add(@{ Name = $function.Name; Body = (New-SimRemoteProxy -Module $Module -Function $function) }) }
    return $proxies.ToArray()
}
