@{
    RootModule        = 'UpnMatch.Directory.psm1'
    ModuleVersion     = '1.0.0'
    GUID              = '0b7c3f52-1d7e-4b8e-a1f4-6c2d9e8f7a30'
    Author            = 'upn-match'
    Description       = 'Helpers the upn-match step scripts share: Graph sign-in, requests (retried by the Graph SDK), $batch, paging, the status of Graph errors and the kind of AD errors, escaping for LDAP and OData, AD user shaping.'
    PowerShellVersion = '5.1'
    FunctionsToExport = @('Connect-UpnMatchGraph', 'Get-UpnMatchCloudUserUri', 'Get-UpnMatchItemValue', 'ConvertTo-UpnMatchCloudUser', 'ConvertTo-UpnMatchCloudObject', 'Invoke-UpnMatchGraph', 'Invoke-UpnMatchGraphBatch', 'Get-UpnMatchGraphPages', 'Get-UpnMatchGraphCollections', 'Read-UpnMatchGraphAll', 'ConvertTo-UpnMatchLdapValue', 'ConvertTo-UpnMatchODataLiteral', 'ConvertTo-UpnMatchAdUser', 'Get-UpnMatchGraphErrorInfo', 'Get-UpnMatchPrimarySmtp', 'Invoke-UpnMatchOnSyncServer', 'New-UpnMatchSyncSessionOption', 'Get-UpnMatchAdErrorKind')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
