@{
    RootModule        = 'MSOnline.psm1'
    # the shared simulator machinery, loaded privately (not exported, not listed by Get-Module)
    NestedModules     = @('../UpnMatch.Sim/UpnMatch.Sim.psd1')
    ModuleVersion     = '1.1.183.81'
    GUID              = 'ad8e4f3a-6c5b-4e7f-9b82-3d4e5f6a7b83'
    Author            = 'upn-match simulator'
    CompanyName       = 'upn-match'
    Description       = 'upn-match simulator: fake MSOnline module over DIR/state.json (not the real module).'
    PowerShellVersion = '5.1'
    FunctionsToExport = @('Connect-MsolService', 'Get-MsolDirSyncFeatures', 'Set-MsolDirSyncFeature', 'Get-MsolUser', 'Get-MsolCompanyInformation')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
