@{
    RootModule        = 'UpnMatch.Common.psm1'
    ModuleVersion     = '1.0.0'
    GUID              = '6f0a8d2e-5a43-4c8e-9d3b-2b7c1f0e4a11'
    Author            = 'upn-match'
    Description       = 'The wire protocol of upn-match: runs one bundled script and writes its single JSON envelope.'
    PowerShellVersion = '5.1'
    FunctionsToExport = @('Initialize-UpnMatchHost', 'New-UpnMatchJsonList', 'Add-UpnMatchJsonItem', 'Start-UpnMatchWatchdog', 'Invoke-UpnMatchRequest', 'Invoke-UpnMatchRequestJson', 'Stop-UpnMatch', 'Write-UpnMatchProgress', 'ConvertTo-UpnMatchWireValue', 'ConvertTo-UpnMatchHashtable', 'Get-UpnMatchErrorInfo')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
