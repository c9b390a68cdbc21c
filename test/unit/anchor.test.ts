// The source anchor: one function, from Microsoft's byte order, that agrees with itself on an empty
// mS-DS-ConsistencyGuid (Entra Connect writes objectGUID into it before the export).
import { expect } from 'chai';
import { anchorOf, guidToImmutableId } from '../../lib/anchor.js';

describe('anchor', () => {
  const guid = '11223344-5566-7788-99aa-bbccddeeff00';

  it("turns a GUID into an ImmutableId with .NET's byte order (first three fields little-endian)", () => {
    // [Convert]::ToBase64String(([guid]'11223344-5566-7788-99aa-bbccddeeff00').ToByteArray())
    expect(guidToImmutableId(guid)).to.equal(Buffer.from('4433221166558877' + '99aabbccddeeff00', 'hex').toString('base64'));
    expect(() => guidToImmutableId('not-a-guid')).to.throw(/not a GUID/);
  });

  it('takes mS-DS-ConsistencyGuid when set, and objectGUID when it is missing or empty', () => {
    expect(anchorOf({ ObjectGUID: guid, consistencyGuid: 'AAECAwQFBgcICQoLDA0ODw==' })).to.equal('AAECAwQFBgcICQoLDA0ODw==');
    expect(anchorOf({ ObjectGUID: guid, consistencyGuid: null })).to.equal(guidToImmutableId(guid));
    expect(anchorOf({ ObjectGUID: guid, consistencyGuid: '' })).to.equal(guidToImmutableId(guid));
  });
});
