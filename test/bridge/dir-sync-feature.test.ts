// ps/steps/Set-DirSyncFeature.ps1 under real pwsh against the fake Graph module: a feature change reads the
// whole features object and writes it back with one value changed (rule sheet 8.4; open question 10.6: whether
// a partial object resets the other flags is unknown, so the whole object is sent).
import path from 'node:path';
import { expect } from 'chai';
import { psDir } from '../../lib/paths.js';
import { baseState, makeSimDir, psq, readCalls, removeSimDir, runSimJson, type Json } from '../sim/fixtures.js';

describe('ps/steps/Set-DirSyncFeature.ps1: one value changed, the whole features object sent', function () {
  this.timeout(120_000);
  let dir = '';
  afterEach(() => removeSimDir(dir));

  it('PATCHes every feature it read, with only the one asked for changed', async () => {
    dir = makeSimDir(baseState());
    const r = await runSimJson(
      dir,
      `
Import-Module ${psq(path.join(psDir, 'UpnMatch.Common'))}
$out = & ${psq(path.join(psDir, 'steps', 'Set-DirSyncFeature.ps1'))} -Auth interactive -Feature blockSoftMatchEnabled -Enable $true
ConvertTo-UpnMatchWireValue $out`,
    );
    expect(r).to.include({ feature: 'blockSoftMatchEnabled', enabled: true, changed: true });
    const patches = readCalls(dir).filter((c: Json) => JSON.stringify(c).includes('PATCH'));
    expect(patches, 'one PATCH').to.have.length(1);
    const text = JSON.stringify(patches[0]);
    // The features the tenant has besides the one changed travel with it.
    for (const name of ['softMatchOnUpnEnabled', 'passwordSyncEnabled', 'blockCloudObjectTakeoverThroughHardMatchEnabled']) expect(text, name).to.include(name);
    expect(text).to.include('blockSoftMatchEnabled');
  });
});
