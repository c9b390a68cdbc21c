// The step scripts' shared helpers (ps/UpnMatch.Directory) under real pwsh: untrusted values are
// escaped for LDAP (RFC 4515) and OData, and an escaped value finds exactly its own account in AD.
import path from 'node:path';
import { expect } from 'chai';
import { psDir } from '../../lib/paths.js';
import { adUser, baseState, makeSimDir, psq, removeSimDir, runSimJson } from '../sim/fixtures.js';

const tricky = ['a*b@contoso.com', 'x)(userPrincipalName=*@contoso.com', 'back\\slash@contoso.com', 'o\'brien@contoso.com', 'zoë@contoso.com'];

describe('ps/UpnMatch.Directory helpers', function () {
  this.timeout(60_000);
  let dir: string;
  let result: any;

  before(async () => {
    const state = baseState();
    tricky.forEach((upn, i) => state.forest.users.push(adUser({ sam: `t${i}`, upn })));
    state.forest.users.push(adUser({ sam: 'plain', upn: 'axxb@contoso.com' }));
    dir = makeSimDir(state);
    const module = psq(path.join(psDir, 'UpnMatch.Directory'));
    result = await runSimJson(
      dir,
      `
Import-Module ${psq(path.join(psDir, 'UpnMatch.Common'))}
Import-Module ${module}
Import-Module ActiveDirectory
$upns = @(${tricky.map(psq).join(', ')})
@{
  escaped = @($upns | ForEach-Object { ConvertTo-UpnMatchLdapValue $_ })
  nul = ConvertTo-UpnMatchLdapValue ("a" + [char]0 + "b")
  found = @($upns | ForEach-Object { ,@(Get-ADUser -LDAPFilter ('(userPrincipalName=' + (ConvertTo-UpnMatchLdapValue $_) + ')') | ForEach-Object { $_.SamAccountName }) })
  odata = ConvertTo-UpnMatchODataLiteral "o'brien ' or 1 eq 1 or '"
  primary = Get-UpnMatchPrimarySmtp -ProxyAddresses @('smtp:alias@contoso.com', 'SMTP:main@contoso.com') -Mail 'mail@contoso.com'
  primaryFromMail = Get-UpnMatchPrimarySmtp -ProxyAddresses @() -Mail 'mail@contoso.com'
  sessionOption = & { $o = New-UpnMatchSyncSessionOption; @{ type = $o.GetType().FullName; idleMs = $o.IdleTimeout.TotalMilliseconds; buffering = [string]$o.OutputBufferingMode; operationMs = $o.OperationTimeout.TotalMilliseconds } }
  remoteCall = & {
    # The Invoke-Command of Invoke-UpnMatchOnSyncServer, bound statically against the real cmdlet of this host.
    $body = (Get-Command Invoke-UpnMatchOnSyncServer).ScriptBlock.Ast
    $call = $body.FindAll({ param($a) $a -is [System.Management.Automation.Language.CommandAst] -and $a.GetCommandName() -eq 'Invoke-Command' }, $true) | Select-Object -First 1
    $bound = [System.Management.Automation.Language.StaticParameterBinder]::BindCommand($call, $true)
    @{ parameters = @($bound.BoundParameters.Keys | Sort-Object); errors = @($bound.BindingExceptions.Keys) }
  }
}`,
    );
  });

  after(() => removeSimDir(dir));

  it('bounds what a remote Entra Connect server keeps running after this PowerShell is gone: idle 1 minute, output blocked, 5-minute operations', () => {
    expect(result.sessionOption).to.deep.equal({ type: 'System.Management.Automation.Remoting.PSSessionOption', idleMs: 60000, buffering: 'Block', operationMs: 300000 });
    // Every parameter it passes is one the real Invoke-Command takes (the session option among them).
    expect(result.remoteCall).to.deep.equal({ parameters: ['ArgumentList', 'ComputerName', 'ScriptBlock', 'SessionOption'], errors: [] });
  });

  it('escapes LDAP filter metacharacters, NUL and non-ASCII bytes (RFC 4515)', () => {
    expect(result.escaped).to.deep.equal([
      'a\\2ab@contoso.com',
      'x\\29\\28userPrincipalName=\\2a@contoso.com',
      'back\\5cslash@contoso.com',
      "o'brien@contoso.com",
      'zo\\c3\\ab@contoso.com',
    ]);
    expect(result.nul).to.equal('a\\00b');
  });

  it('an escaped UPN finds exactly its own account, never a wildcard match', () => {
    expect(result.found).to.deep.equal(tricky.map((_, i) => [`t${i}`]));
  });

  it('doubles single quotes in OData string literals', () => {
    expect(result.odata).to.equal("'o''brien '' or 1 eq 1 or '''");
  });

  it('reads the primary SMTP address from the upper-case SMTP: proxy, else mail', () => {
    expect(result.primary).to.equal('main@contoso.com');
    expect(result.primaryFromMail).to.equal('mail@contoso.com');
  });
});
