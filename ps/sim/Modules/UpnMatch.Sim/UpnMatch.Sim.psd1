@{
    RootModule        = 'UpnMatch.Sim.psm1'
    ModuleVersion     = '1.0.0'
    GUID              = '3b1f5c2e-8d4a-4f0e-9a61-7c2d9e4b5a10'
    Author            = 'upn-match simulator'
    CompanyName       = 'upn-match'
    Description       = 'upn-match simulator: shared state, lock, call log, latency, faults and the sync engine used by the fake modules.'
    PowerShellVersion = '5.1'
    FunctionsToExport = @('ConvertTo-SimData', 'ConvertFrom-SimJson', 'ConvertTo-SimJson', 'Copy-SimData', 'Get-SimValue', 'Format-SimTime', 'Get-SimList', 'ConvertFrom-SimTime', 'Get-SimNow', 'Get-SimDirectory', 'Read-SimState', 'New-SimException', 'New-SimErrorRecord', 'Invoke-SimCommand', 'Step-SimGraphRequest', 'Update-SimSettle', 'Start-SimSyncCycle', 'Get-SimSyncCycleMs', 'Get-SimPrimarySmtp', 'Get-SimSourceAnchor', 'Get-SimAnchorAttribute', 'Get-SimUpnAttribute', 'Get-SimAadConnectorName', 'Get-SimAdConnectorName', 'Get-SimRoleHolderIds', 'Get-SimRoleAssignments', 'Get-SimInitialDomain', 'Test-SimInScope', 'Get-SimFeature', 'Get-SimIndex', 'New-SimIndex', 'Get-SimRemoteProxies', 'Invoke-SimRemote', 'Invoke-SimServer', 'Get-SimCallerErrorAction', 'Test-SimInSyncScope', 'Resolve-SimDomainController', 'Add-SimReplicationWrite', 'Get-SimAdUserOnDc', 'Get-SimReplicationPending', 'Sync-SimAdObject', 'Get-SimConnectorDomainController', 'Get-SimDomainControllers', 'Get-SimDomainOf')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
