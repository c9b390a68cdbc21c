// ps/steps/Get-MatchStatus.ps1 under real pwsh against the fake Graph module: whether each cloud user carries
// its anchor, and which other users carry it (the duplicate the service creates instead of a match). The
// anchor goes into an OData filter: a quote in it must stay a value.
import path from 'node:path';
import { expect } from 'chai';
import { psDir } from '../../lib/paths.js';
import { baseState, cloudUser, guid, immutableIdOf, makeSimDir, psq, removeSimDir, runSimJson, type Json } from '../sim/fixtures.js';

describe('ps/steps/Get-MatchStatus.ps1: the match, and who else carries the anchor', function () {
  this.timeout(60_000);
  let dir = '';
  afterEach(() => removeSimDir(dir));

  it('reports the target, a duplicate holding the anchor, a user not found, and keeps a quoted anchor a value', async () => {
    const anchor = immutableIdOf(guid('aaaa'));
    const matched = immutableIdOf(guid('bbbb'));
    const state = baseState();
    state.tenant.users.push(cloudUser({ upn: 'ann@contoso.com', id: 'c-ann' }));
    state.tenant.users.push(cloudUser({ upn: 'ann+1234@contoso.onmicrosoft.com', id: 'c-dup', immutableId: anchor, synced: true }));
    state.tenant.users.push(cloudUser({ upn: 'bob@contoso.com', id: 'c-bob', immutableId: matched, synced: true }));
    dir = makeSimDir(state);
    const r = await runSimJson(
      dir,
      `
Import-Module ${psq(path.join(psDir, 'UpnMatch.Common'))}
$out = & ${psq(path.join(psDir, 'steps', 'Get-MatchStatus.ps1'))} -Auth interactive -UserPrincipalName 'ann@contoso.com', 'bob@contoso.com', 'ghost@contoso.com' -Anchor '${anchor}', '${matched}', "x' or userPrincipalName ne 'y"
ConvertTo-UpnMatchWireValue $out`,
    );
    const [ann, bob, ghost] = r.users as Json[];
    expect(ann).to.include({ found: true, id: 'c-ann', onPremisesImmutableId: null });
    expect(ann.anchorHolders).to.deep.equal([{ id: 'c-dup', userPrincipalName: 'ann+1234@contoso.onmicrosoft.com', onPremisesSyncEnabled: true }]);
    // The target itself carrying the anchor is the match, not a duplicate.
    expect(bob).to.include({ found: true, onPremisesImmutableId: matched });
    expect(bob.anchorHolders).to.deep.equal([]);
    // The hostile anchor matched nobody: it was compared as a value, not read as a filter.
    expect(ghost).to.include({ found: false, id: null });
    expect(ghost.anchorHolders).to.deep.equal([]);
  });
});
