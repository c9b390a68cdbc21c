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
}`,
    );
  });

  after(() => removeSimDir(dir));

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
