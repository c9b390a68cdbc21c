// ps/steps/Set-AdUserForMatch.ps1 under real pwsh against the fake ActiveDirectory module: a chunk of
// users in one call, each written on its own, one result per user in input order.
import path from 'node:path';
import { expect } from 'chai';
import { psDir } from '../../lib/paths.js';
import { adUser, baseState, makeSimDir, psq, readCalls, readState, removeSimDir, runSimJson, type Json } from '../sim/fixtures.js';

const ANN = 'a0000000-0000-4000-8000-00000000a001';
const GONE = 'a0000000-0000-4000-8000-00000000dead';

describe('ps/steps/Set-AdUserForMatch.ps1: a chunk of users', function () {
  this.timeout(60_000);
  let dir = '';
  afterEach(() => removeSimDir(dir));

  it("writes each user, reports one user's failure in its place, and leaves an account that already carries its UPN alone", async () => {
    const state = baseState();
    state.forest.users.push(adUser({ sam: 'ann', upn: 'ann@contoso.local', name: 'Ann Lee', objectGuid: ANN }));
    state.forest.users.push(adUser({ sam: 'bob', upn: 'bob@contoso.com', name: 'Bob Ray' }));
    state.forest.users.push(adUser({ sam: 'cid', upn: 'cid@contoso.local', name: 'Cid Moe' }));
    dir = makeSimDir(state);
    const r = await runSimJson(
      dir,
      `
Import-Module ${psq(path.join(psDir, 'UpnMatch.Common'))}
$users = @(
  @{ UserPrincipalName = 'ann@contoso.com'; ObjectGuid = '${ANN}'; DistinguishedName = 'CN=Ann Lee,OU=Users,OU=Corp,DC=contoso,DC=local'; SamAccountName = 'ann'; PreviousUserPrincipalName = 'ann@contoso.local' },
  @{ UserPrincipalName = 'gone@contoso.com'; ObjectGuid = '${GONE}'; DistinguishedName = 'CN=Gone,OU=Users,OU=Corp,DC=contoso,DC=local'; SamAccountName = 'gone'; PreviousUserPrincipalName = '' },
  @{ UserPrincipalName = 'bob@contoso.com'; SamAccountName = 'bob' },
  @{ UserPrincipalName = 'cid@contoso.com'; SamAccountName = 'cid' }
)
$out = & ${psq(path.join(psDir, 'steps', 'Set-AdUserForMatch.ps1'))} -Users $users
ConvertTo-UpnMatchWireValue $out`,
    );
    const results = r.results as Json[];
    expect(results.map((x) => x.userPrincipalName)).to.deep.equal(['ann@contoso.com', 'gone@contoso.com', 'bob@contoso.com', 'cid@contoso.com']);
    expect(results[0].result).to.include({ action: 'update', changed: true, previousUserPrincipalName: 'ann@contoso.local', objectGuid: ANN });
    expect(results[0].error).to.equal(null);
    expect(results[1].result).to.equal(null);
    expect(results[1].error).to.include({ code: 'AdAccountNotFound', category: 'precondition' });
    expect(results[2].result).to.include({ changed: false, previousUserPrincipalName: 'bob@contoso.com' });
    expect(results[3].result).to.include({ changed: true, previousUserPrincipalName: 'cid@contoso.local' });
    const upns = Object.fromEntries(readState(dir).forest.users.map((u: Json) => [u.SamAccountName, u.UserPrincipalName]));
    expect(upns).to.include({ ann: 'ann@contoso.com', bob: 'bob@contoso.com', cid: 'cid@contoso.com' });
    // ann by her GUID without a read; bob read and left alone; cid read, then written.
    expect(readCalls(dir).map((c) => c.command)).to.deep.equal(['Set-ADUser', 'Set-ADUser', 'Get-ADUser', 'Get-ADUser', 'Set-ADUser']);
  });
});
