// The progress file's lines as events, and a chunk's progress as the whole batch's.
import { expect } from 'chai';
import { parseProgressLine } from '../../../lib/bridge/progress.js';
import { asPartOf } from '../../../lib/workflow/io.js';

describe('bridge: progress lines', () => {
  it('reads a line Write-UpnMatchProgress writes, and nothing from a line cut short or of another shape', () => {
    expect(parseProgressLine('{"activity":"Reading cloud users","done":999,"total":null,"unit":"count"}')).to.deep.equal({ activity: 'Reading cloud users', done: 999, total: null, unit: 'count' });
    expect(parseProgressLine('{"activity":"Waiting","done":3,"total":900,"unit":"seconds"}')).to.deep.equal({ activity: 'Waiting', done: 3, total: 900, unit: 'seconds' });
    expect(parseProgressLine('{"activity":"Reading cloud us')).to.equal(undefined);
    expect(parseProgressLine('{"activity":"","done":1}')).to.equal(undefined);
    expect(parseProgressLine('{"activity":"x","done":"1"}')).to.equal(undefined);
    expect(parseProgressLine('[1]')).to.equal(undefined);
  });

  it('tells a chunk\'s count as the whole job\'s, and leaves a wait alone', () => {
    expect(asPartOf({ activity: 'Writing AD accounts', done: 10, total: 50, unit: 'count' }, { before: 100, of: 200 })).to.deep.equal({ activity: 'Writing AD accounts', done: 110, total: 200, unit: 'count' });
    const wait = { activity: 'Waiting', done: 10, total: 900, unit: 'seconds' as const };
    expect(asPartOf(wait, { before: 100, of: 200 })).to.equal(wait);
    expect(asPartOf(wait, undefined)).to.equal(wait);
  });
});
