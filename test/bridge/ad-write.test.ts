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

  it('classifies AD errors by exception type and code: a UPN another account has (8648), a taken sAMAccountName (1316), a server that is down', async () => {
    const state = baseState();
    state.forest.users.push(adUser({ sam: 'ann', upn: 'ann@contoso.local', name: 'Ann Lee', objectGuid: ANN }));
    state.forest.users.push(adUser({ sam: 'bob', upn: 'bob@contoso.com', name: 'Bob Ray' }));
    state.forest.users.push(adUser({ sam: 'cid', upn: 'cid@contoso.local', name: 'Cid Moe' }));
    state.forest.users.push(adUser({ sam: 'new1', upn: 'new1@contoso.com', name: 'New One' }));
    // The first Get-ADUser call (cid's read) finds the domain controller down.
    dir = makeSimDir(state, { faults: { fail: [{ command: 'Get-ADUser', nth: 1, message: 'Unable to contact the server.', category: 'ResourceUnavailable', exceptionType: 'Microsoft.ActiveDirectory.Management.ADServerDownException', errorId: 'ActiveDirectoryServer:0' }] } });
    const ou = 'OU=Users,OU=Corp,DC=contoso,DC=local';
    const r = await runSimJson(
      dir,
      `
Import-Module ${psq(path.join(psDir, 'UpnMatch.Common'))}
$users = @(
  @{ UserPrincipalName = 'bob@contoso.com'; ObjectGuid = '${ANN}'; DistinguishedName = 'CN=Ann Lee,${ou}'; SamAccountName = 'ann'; PreviousUserPrincipalName = 'ann@contoso.local' },
  @{ UserPrincipalName = 'bob@contoso.com'; SamAccountName = 'cid' },
  @{ UserPrincipalName = 'other@contoso.com'; Create = $true; SamAccountName = 'bob'; GivenName = 'B'; Surname = 'R'; Path = '${ou}' },
  @{ UserPrincipalName = 'new1@contoso.com'; Create = $true; SamAccountName = 'new1'; GivenName = 'New'; Surname = 'One'; Path = '${ou}' },
  @{ UserPrincipalName = 'bob@contoso.com'; Create = $true; SamAccountName = 'dan'; GivenName = 'Dan'; Surname = 'Day'; Path = '${ou}' }
)
$out = & ${psq(path.join(psDir, 'steps', 'Set-AdUserForMatch.ps1'))} -Users $users
ConvertTo-UpnMatchWireValue $out`,
    );
    const results = r.results as Json[];
    // ann: the DC refuses bob's UPN (ADException 8648), not "account not found".
    expect(results[0].error).to.include({ code: 'UpnNotUniqueInForest', category: 'precondition' });
    // cid: the read failed because the server is down: PowerShell's own error, not "account not found".
    expect(results[1].error).to.include({ code: 'PS.ResourceUnavailable' });
    // create with a taken sAMAccountName; create resumed (the account exists with the UPN); create with a taken UPN.
    expect(results[2].error).to.include({ code: 'SamAccountNameTaken', category: 'precondition' });
    expect(results[3].error).to.equal(null);
    expect(results[3].result).to.include({ action: 'create', changed: false, created: false });
    expect(results[4].error).to.include({ code: 'UpnNotUniqueInForest', category: 'precondition' });
    const upns = Object.fromEntries(readState(dir).forest.users.map((u: Json) => [u.SamAccountName, u.UserPrincipalName]));
    expect(upns).to.deep.equal({ ann: 'ann@contoso.local', bob: 'bob@contoso.com', cid: 'cid@contoso.local', new1: 'new1@contoso.com' });
  });
});
