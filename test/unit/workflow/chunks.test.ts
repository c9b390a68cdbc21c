// Requests into PowerShell stay under 1 MB per call whatever the batch size: the lists are split by size, and
// the bridge refuses a request over the limit before anything is started.
import { expect } from 'chai';
import { isBridgeError } from '../../../lib/bridge/errors.js';
import { checkInput, MAX_REQUEST_BYTES, requestJson } from '../../../lib/bridge/runner.js';
import { z } from 'zod';
import { chunkBySize, jsonBytes } from '../../../lib/workflow/chunks.js';
import { plan } from '../../../lib/workflow/plan.js';
import { updateRow } from '../checks/fixtures.js';
import { deps, FakeIO, options, world } from './fake-world.js';

describe('workflow: requests under the size limit', function () {
  this.timeout(60_000);

  it('splits by size and by count, keeps the order, and puts an oversized item alone', () => {
    const items = ['aaaa', 'bb', 'cccccc', 'd', 'eeeeeeeeeeee', 'f'];
    const chunks = chunkBySize(items, (s) => s.length, 3, 8);
    expect(chunks.flat()).to.deep.equal(items);
    // Each item counts one byte more (its separator): 5 + 3 fit in 8, 7 + 2 do not.
    expect(chunks).to.deep.equal([['aaaa', 'bb'], ['cccccc'], ['d'], ['eeeeeeeeeeee'], ['f']]);
    expect(chunkBySize([1, 2, 3, 4, 5], () => 1, 2)).to.deep.equal([[1, 2], [3, 4], [5]]);
    expect(chunkBySize([], () => 1)).to.deep.equal([]);
  });

  it('plans a batch of 6,000 users with long names in calls of at most 1 MB each, asking for every user once', async () => {
    const long = 'x'.repeat(200);
    const batch = Array.from({ length: 6000 }, (_, k) => updateRow(`${long}.${k}@contoso.com`, null, { distinguishedName: `CN=${long} ${k},OU=${long},DC=contoso,DC=local` }));
    const w = world();
    const io = new FakeIO(w.answers);
    await plan(deps(io), batch, options());
    const big = io.calls.filter((c) => c.step === 'ad-facts' || c.step === 'cloud-facts');
    expect(big.filter((c) => c.step === 'ad-facts').length, 'AD facts calls').to.be.greaterThan(1);
    expect(big.filter((c) => c.step === 'cloud-facts').length, 'cloud facts calls').to.be.greaterThan(1);
    for (const call of big) {
      const bytes = Buffer.byteLength(requestJson({ script: `steps/${call.step}.ps1`, input: call.input, output: z.unknown() }), 'utf8');
      expect(bytes, call.step).to.be.below(MAX_REQUEST_BYTES);
    }
    const asked = (step: string) => io.calls.filter((c) => c.step === step).flatMap((c) => c.input.UserPrincipalName as string[]);
    expect(asked('ad-facts')).to.have.length(6000);
    expect(new Set(asked('cloud-facts')).size).to.equal(6000);
  });

  it('the bridge refuses a request over 1 MB (RequestTooLarge, a bug: the caller must split it)', () => {
    const call = { script: 'steps/Get-AdFacts.ps1', input: { UserPrincipalName: ['y'.repeat(MAX_REQUEST_BYTES)] }, output: z.unknown() };
    let error: unknown;
    try {
      checkInput(call);
    } catch (caught) {
      error = caught;
    }
    expect(isBridgeError(error) && error.code).to.equal('RequestTooLarge');
    expect(() => checkInput({ ...call, input: { UserPrincipalName: ['y'.repeat(1000)] } })).to.not.throw();
    expect(jsonBytes('é')).to.equal(4);
  });
});
