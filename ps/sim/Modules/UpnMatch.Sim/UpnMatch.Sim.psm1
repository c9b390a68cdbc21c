<#
.SYNOPSIS
    Shared machinery of the upn-match simulator's fake modules (ActiveDirectory, Microsoft.Graph.Authentication,
    ADSync).
.DESCRIPTION
    One place for: locating the simulated world (DIR/state.json, DIR = $env:UPN_MATCH_SIM_DIR), a locked
    read-modify-write of it (exclusive lock file DIR/state.lock, atomic replace through a temp file), the call log
    (DIR/calls.jsonl), latency, injected faults (DIR/faults.json, counted across processes in DIR/counters.json),
    the settle step that applies a finished sync cycle, and the sync engine itself.
    Runs on Windows PowerShell 5.1 and PowerShell 7. Nothing here writes to stdout.

    The code is in the dot-sourced files beside this one, in load order:
      UpnMatch.Sim.Data.ps1             plain data, JSON, times
      UpnMatch.Sim.Types.ps1            the compiled helper (UpnMatch.Sim.Helpers.cs), exceptions, error records
      UpnMatch.Sim.State.ps1            the world's folder, lock, state.json, indexes, sim.json
      UpnMatch.Sim.Instrumentation.ps1  call log, faults, kills
      UpnMatch.Sim.Command.ps1          Invoke-SimCommand: the transaction every fake runs
      UpnMatch.Sim.Replication.ps1      domain controllers and the replication delay between them
      UpnMatch.Sim.Sync.ps1             the sync engine and the settle step
      UpnMatch.Sim.Remote.ps1           the simulator server and its proxies
#>
Set-StrictMode -Version Latest

# One scope: each file's functions and script variables are the module's.
foreach ($part in @('Data', 'Types', 'State', 'Instrumentation', 'Command', 'Replication', 'Sync', 'Remote')) {
    . (Join-Path $PSScriptRoot ('UpnMatch.Sim.{0}.ps1' -f $part))
}

Export-ModuleMember -Function @(
    'ConvertTo-SimData', 'ConvertFrom-SimJson', 'ConvertTo-SimJson', 'Copy-SimData', 'Get-SimValue',
    'Format-SimTime', 'Get-SimList', 'ConvertFrom-SimTime', 'Get-SimNow', 'Get-SimDirectory', 'Read-SimState',
    'New-SimException', 'New-SimErrorRecord', 'Invoke-SimCommand', 'Step-SimGraphRequest',
    'Update-SimSettle', 'Start-SimSyncCycle', 'Get-SimSyncCycleMs', 'Get-SimPrimarySmtp', 'Get-SimSourceAnchor', 'Get-SimAnchorAttribute', 'Get-SimUpnAttribute',
    'Get-SimAadConnectorName', 'Get-SimAdConnectorName', 'Get-SimRoleHolderIds', 'Get-SimRoleAssignments', 'Get-SimInitialDomain',
    'Test-SimInScope', 'Get-SimFeature', 'Get-SimIndex', 'New-SimIndex', 'Get-SimRemoteProxies', 'Invoke-SimRemote',
    'Invoke-SimServer',
    'Get-SimCallerErrorAction',
    'Test-SimInSyncScope', 'Resolve-SimDomainController', 'Add-SimReplicationWrite', 'Get-SimAdUserOnDc', 'Get-SimReplicationPending', 'Sync-SimAdObject', 'Get-SimConnectorDomainController', 'Get-SimDomainControllers', 'Get-SimDomainOf'
)
