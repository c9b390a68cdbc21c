@{
    RootModule        = 'ADSync.psm1'
    # the shared simulator machinery, loaded privately (not exported, not listed by Get-Module)
    NestedModules     = @('../UpnMatch.Sim/UpnMatch.Sim.psd1')
    ModuleVersion     = '2.4.27.0'
    GUID              = 'be9f5a4b-7d6c-4f80-8c93-4e5f6a7b8c94'
    Author            = 'upn-match simulator'
    CompanyName       = 'upn-match'
    Description       = 'upn-match simulator: fake ADSync (Microsoft Entra Connect) module with a simulated sync engine over DIR/state.json (not the real module).'
    PowerShellVersion = '5.1'
    FunctionsToExport = @('Get-ADSyncScheduler', 'Set-ADSyncScheduler', 'Start-ADSyncSyncCycle', 'Get-ADSyncConnector', 'Get-ADSyncConnectorRunStatus', 'Get-ADSyncRunProfileResult', 'Get-ADSyncCSObject', 'Get-ADSyncGlobalSettings')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
