<#
.SYNOPSIS
    The transaction every fake cmdlet runs (dot-sourced by UpnMatch.Sim.psm1): latency, lock, counters, call log,
    faults, state load, settle step, body, state save.
#>

$script:InTransaction = $false

function Invoke-SimCommand {
    <#
    .SYNOPSIS
        Runs one fake cmdlet call against the simulated world.
    .DESCRIPTION
        Latency first (outside the lock); then, under the lock: counters and call log, injected faults (kill
        'before', fail), state load, the settle step (a finished sync cycle is applied), injected feature changes
        (setFeatures), the body, state save,
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
    # The simulator server keeps the lock while it holds writes not yet saved (Write-SimState).
    $lock = $script:HeldLock
    if ($null -eq $lock) { $lock = Enter-SimLock $dir }
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
            Faults = $faults; Command = $Command; Route = $Route; Dirty = $false; State = $null; Touched = $null
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
            # faults.json setFeatures[]: another admin changes tenant features just before this call runs
            # (e.g. turns blockSoftMatchEnabled on when Start-ADSyncSyncCycle is first called). The change is kept
            # even when the body then fails (it is in the snapshot written back below).
            $featuresChanged = $false
            foreach ($change in @(Get-SimValue $faults 'setFeatures' @())) {
                if ((Test-SimFaultMatch $change $Command $Route) -and (Test-SimFaultDue $change $counters $Command $Route)) {
                    $set = Get-SimValue $change 'features'
                    if ($null -eq (Get-SimValue $state.tenant 'features')) { $state.tenant['features'] = [ordered]@{} }
                    foreach ($key in @($set.Keys)) { $state.tenant.features[[string]$key] = $set[$key] }
                    $context.Dirty = $true
                    $featuresChanged = $true
                }
            }
            $snapshot = $null
            if ($settled -or $featuresChanged) {
                $script:StateIndexes = @{}
                $snapshot = ConvertTo-SimJson $state
            }
            try {
                $result = & $Body $context
            } catch {
                # The body may have changed the kept state before it failed: forget it, the file is the truth.
                # Not in the server while it holds unsaved writes (they are in memory only): the bodies check
                # before they change, and one that fails after a change returns its error instead of throwing.
                if ($null -ne $snapshot) {
                    # The snapshot holds every write before this call, saved or not.
                    Clear-SimStateCache
                    [UpnMatchSim.Files]::WriteAtomic([System.IO.Path]::Combine($dir, 'state.json'), $snapshot)
                    $script:StateUnsaved = $false
                } elseif ($script:StateUnsaved) { $script:StateIndexes = @{} } else { Clear-SimStateCache }
                throw
            }
            $touched = $context.Touched
            if ($settled) { $touched = $null }
            if ($context.Dirty -or $settled) { Write-SimState -Dir $dir -State $state -Touched $touched }
        } else {
            $result = & $Body $context
        }
        if ($context.ContainsKey('CountersDirty') -and $context.CountersDirty) {
            [UpnMatchSim.Files]::WriteAtomic($countersPath, (ConvertTo-SimJson $counters))
        }
    } finally {
        $script:InTransaction = $false
        if ($script:StateUnsaved) { $script:HeldLock = $lock } else { $script:HeldLock = $null; $lock.Dispose() }
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
