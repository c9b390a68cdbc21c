// The source anchor: one function, from Microsoft's byte order, that agrees with itself on an empty
// mS-DS-ConsistencyGuid (Entra Connect writes objectGUID into it before the export).
import { expect } from 'chai';
import { anchorOf, customAnchorAttribute, guidToImmutableId } from '../../lib/anchor.js';

describe('anchor', () => {
  const guid = '11223344-5566-7788-99aa-bbccddeeff00';

  it("turns a GUID into an ImmutableId with .NET's byte order (first three fields little-endian)", () => {
    // [Convert]::ToBase64String(([guid]'11223344-5566-7788-99aa-bbccddeeff00').ToByteArray())
    expect(guidToImmutableId(guid)).to.equal(Buffer.from('4433221166558877' + '99aabbccddeeff00', 'hex').toString('base64'));
    expect(() => guidToImmutableId('not-a-guid')).to.throw(/not a GUID/);
  });

  it('with an mS-DS-ConsistencyGuid anchor (or an unknown one) takes it when set, and objectGUID when it is missing or empty', () => {
    for (const attribute of ['mS-DS-ConsistencyGuid', 'ms-ds-consistencyguid', null]) {
      expect(anchorOf({ ObjectGUID: guid, consistencyGuid: 'AAECAwQFBgcICQoLDA0ODw==' }, attribute)).to.equal('AAECAwQFBgcICQoLDA0ODw==');
      expect(anchorOf({ ObjectGUID: guid, consistencyGuid: null }, attribute)).to.equal(guidToImmutableId(guid));
      expect(anchorOf({ ObjectGUID: guid, consistencyGuid: '' }, attribute)).to.equal(guidToImmutableId(guid));
    }
  });

  it('with an objectGUID anchor ignores a populated mS-DS-ConsistencyGuid', () => {
    expect(anchorOf({ ObjectGUID: guid, consistencyGuid: 'AAECAwQFBgcICQoLDA0ODw==' }, 'objectGUID')).to.equal(guidToImmutableId(guid));
  });

  it('with a custom anchor attribute takes its value, and none when it is empty', () => {
    expect(anchorOf({ ObjectGUID: guid, consistencyGuid: 'AAECAwQFBgcICQoLDA0ODw==', customAnchor: 'E1234' }, 'employeeID')).to.equal('E1234');
    expect(anchorOf({ ObjectGUID: guid, consistencyGuid: 'AAECAwQFBgcICQoLDA0ODw==', customAnchor: null }, 'employeeID')).to.equal(null);
  });

  it('names the custom attribute the AD reads must read, and refuses one that is not an LDAP attribute name', () => {
    for (const builtIn of [null, '', 'mS-DS-ConsistencyGuid', 'ms-ds-consistencyguid', 'objectGUID']) expect(customAnchorAttribute(builtIn)).to.equal(null);
    expect(customAnchorAttribute('employeeID')).to.equal('employeeID');
    expect(customAnchorAttribute('extensionAttribute10')).to.equal('extensionAttribute10');
    for (const bad of ['employeeID,mail', '1abc', 'employee ID', "x'); Remove-Item", '*']) expect(() => customAnchorAttribute(bad), bad).to.throw(/not an LDAP attribute name/);
  });
});
