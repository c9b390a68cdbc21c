@{
    RootModule        = 'Microsoft.Graph.Authentication.psm1'
    # the shared simulator machinery, loaded privately (not exported, not listed by Get-Module)
    NestedModules     = @('../UpnMatch.Sim/UpnMatch.Sim.psd1')
    ModuleVersion     = '2.25.0'
    GUID              = '9c7d3e2f-5b4a-4d6e-8a71-2c3d4e5f6a72'
    Author            = 'upn-match simulator'
    CompanyName       = 'upn-match'
    Description       = 'upn-match simulator: fake Microsoft.Graph.Authentication module serving Microsoft Graph v1.0 routes from DIR/state.json (not the real SDK).'
    PowerShellVersion = '5.1'
    FunctionsToExport = @('Connect-MgGraph', 'Disconnect-MgGraph', 'Get-MgContext', 'Invoke-MgGraphRequest')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
