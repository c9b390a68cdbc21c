@{
    RootModule        = 'ActiveDirectory.psm1'
    # the shared simulator machinery, loaded privately (not exported, not listed by Get-Module)
    NestedModules     = @('../UpnMatch.Sim/UpnMatch.Sim.psd1')
    ModuleVersion     = '1.0.0.0'
    GUID              = '8a6e2f1d-4c3b-4e5a-9f70-1b2c3d4e5f61'
    Author            = 'upn-match simulator'
    CompanyName       = 'upn-match'
    Description       = 'upn-match simulator: fake ActiveDirectory module over DIR/state.json (not the real RSAT module).'
    PowerShellVersion = '5.1'
    FunctionsToExport = @('Get-ADUser', 'New-ADUser', 'Set-ADUser', 'Remove-ADUser', 'Move-ADObject', 'Sync-ADObject', 'Get-ADForest', 'Get-ADDomain')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
