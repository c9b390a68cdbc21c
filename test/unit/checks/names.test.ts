import { expect } from 'chai';
import { samAccountNameProblems, upnProblems } from '../../../lib/checks/index.js';
import { domainOfDn, isUnderDn, normalizeDn, parseSmtpProxy, primarySmtpOf } from '../../../lib/checks/names.js';

describe('checks: UPN rules (Entra ID username policy)', () => {
  it('accepts ordinary and edge-valid UPNs', () => {
    const prefix64 = 'a'.repeat(64);
    const domain48 = `${'d'.repeat(44)}.com`;
    for (const upn of ['paula.jones@contoso.com', "o'brien@contoso.com", 'a-b_c!d#e^f~g@sub.contoso.co.uk', `${prefix64}@${domain48}`]) {
      expect(upnProblems(upn), upn).to.deep.equal([]);
    }
    expect(`${prefix64}@${domain48}`.length).to.equal(113);
  });

  it('rejects lengths over 64 before the @, 48 after it, or 113 in all', () => {
    expect(upnProblems(`${'a'.repeat(65)}@contoso.com`).join()).to.contain('65 characters before');
    expect(upnProblems(`a@${'d'.repeat(46)}.com`).join()).to.contain('50 characters after');
    expect(upnProblems(`${'a'.repeat(64)}@${'d'.repeat(46)}.com`).join()).to.contain('is 115 characters long');
  });

  it('rejects no @, two @, and an empty prefix or domain', () => {
    expect(upnProblems('paula.contoso.com')).to.deep.equal(['has no "@"']);
    expect(upnProblems('pa@ula@contoso.com').join()).to.contain('2 "@"');
    expect(upnProblems('@contoso.com').join()).to.contain('nothing before');
    expect(upnProblems('paula@').join()).to.contain('no domain');
    expect(upnProblems('')).to.deep.equal(['is empty']);
  });

  it('rejects leading, trailing and consecutive periods in the prefix', () => {
    expect(upnProblems('.paula@contoso.com').join()).to.contain('starts with a period');
    expect(upnProblems('paula.@contoso.com').join()).to.contain('period just before');
    expect(upnProblems('pau..la@contoso.com').join()).to.contain('two consecutive periods');
  });

  it('rejects spaces, control characters, non-ASCII and other symbols', () => {
    expect(upnProblems('paula jones@contoso.com').join()).to.contain('space');
    expect(upnProblems('paula\u0007@contoso.com').join()).to.contain('control character');
    expect(upnProblems('sören@contoso.com').join()).to.contain('non-ASCII');
    expect(upnProblems('paula+x@contoso.com').join()).to.contain('not allowed before the "@": +');
    expect(upnProblems('p%a&u*l=a@contoso.com').join()).to.contain('% & * =');
  });

  it('rejects a domain that is not a DNS name', () => {
    expect(upnProblems('paula@contoso').join()).to.contain('not a DNS name');
    expect(upnProblems('paula@-contoso.com').join()).to.contain('not a DNS name');
    expect(upnProblems('paula@contoso..com').join()).to.contain('not a DNS name');
    expect(upnProblems('paula@con_toso.com').join()).to.contain('not a DNS name');
  });
});

describe('checks: sAMAccountName rules', () => {
  it('accepts names up to 20 characters with periods, hyphens, underscores, spaces and @', () => {
    for (const sam of ['pjones', 'p.jones', 'a'.repeat(20), 'p jones', 'p_jones-2']) expect(samAccountNameProblems(sam), sam).to.deep.equal([]);
  });

  it('rejects every forbidden character', () => {
    for (const c of ['"', '/', '\\', '[', ']', ':', ';', '|', '=', ',', '+', '*', '?', '<', '>']) {
      expect(samAccountNameProblems(`p${c}j`).join(), c).to.contain(`not allowed: ${c}`);
    }
  });

  it('rejects over 20 characters, only periods or spaces, control characters, a final period, and empty', () => {
    expect(samAccountNameProblems('a'.repeat(21)).join()).to.contain('21 characters');
    expect(samAccountNameProblems('. .').join()).to.contain('only of periods and spaces');
    expect(samAccountNameProblems('p\u0000j').join()).to.contain('control character');
    expect(samAccountNameProblems('p\u007fj').join()).to.contain('control character');
    expect(samAccountNameProblems('pjones.').join()).to.contain('ends with a period');
    expect(samAccountNameProblems('')).to.deep.equal(['is empty']);
  });
});

describe('checks: name helpers', () => {
  it('normalises DNs and tells whether one is under another, ignoring escaped commas', () => {
    expect(normalizeDn(' CN=Jones\\, Paula , OU=Corp,DC=Contoso ')).to.equal('cn=jones\\,paula,ou=corp,dc=contoso');
    // A space on one side of a separator only, or none at all (the common case, taken without a copy).
    for (const dn of ['CN=Ann ,OU=Corp', 'CN=Ann, OU=Corp', 'CN =Ann,OU=Corp', 'CN= Ann,OU=Corp', 'CN=Ann,OU=Corp']) expect(normalizeDn(dn)).to.equal('cn=ann,ou=corp');
    expect(normalizeDn('CN=Ann Lee,OU=Corp')).to.equal('cn=ann lee,ou=corp');
    const scope = normalizeDn('OU=Corp,DC=contoso,DC=local');
    expect(isUnderDn(normalizeDn('CN=a,OU=Corp,DC=contoso,DC=local'), scope)).to.equal(true);
    expect(isUnderDn(scope, scope)).to.equal(true);
    expect(isUnderDn(normalizeDn('CN=a,OU=NotCorp,DC=contoso,DC=local'), scope)).to.equal(false);
    expect(isUnderDn(normalizeDn('CN=a\\,OU=Corp,DC=contoso,DC=local'), scope)).to.equal(false);
    expect(isUnderDn(normalizeDn('CN=a\\\\,OU=Corp,DC=contoso,DC=local'), scope)).to.equal(true);
  });

  it('finds the domain of a DN', () => {
    expect(domainOfDn('CN=a,OU=Staff,DC=EMEA,DC=contoso,DC=local')).to.equal('dc=emea,dc=contoso,dc=local');
    expect(domainOfDn('OU=Staff')).to.equal('');
  });

  it('parses SMTP proxy addresses and finds the primary one', () => {
    expect(parseSmtpProxy('SMTP:Paula@Contoso.com')).to.deep.equal({ address: 'paula@contoso.com', primary: true });
    expect(parseSmtpProxy('smtp:p@contoso.com')).to.deep.equal({ address: 'p@contoso.com', primary: false });
    expect(parseSmtpProxy('X500:/o=x')).to.equal(null);
    expect(primarySmtpOf({ mail: 'm@contoso.com', proxyAddresses: ['smtp:a@contoso.com', 'SMTP:B@contoso.com'] })).to.equal('b@contoso.com');
    expect(primarySmtpOf({ mail: ' M@contoso.com ', proxyAddresses: ['smtp:a@contoso.com'] })).to.equal('m@contoso.com');
    expect(primarySmtpOf({ mail: null, proxyAddresses: [] })).to.equal(null);
  });
});
