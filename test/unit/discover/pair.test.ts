// discover's pairing rules: strong evidence (UPN, primary SMTP) is ready, weaker evidence is a proposal to
// review, many-to-one either way is ambiguous, accounts already represented in the cloud are never proposed.
import { expect } from 'chai';
import { anchorOf } from '../../../lib/anchor.js';
import { foldName, pairUsers, primarySmtp, type Pair } from '../../../lib/discover/pair.js';
import type { AdUser } from '../../../lib/facts.js';
import type { DiscoverCloudUser } from '../../../lib/steps/registry.js';
import { suggestSam } from '../../../lib/workflow/discover.js';

let n = 0;
function ad(sam: string, fields: Partial<AdUser> = {}): AdUser {
  n += 1;
  const hex = n.toString(16).padStart(12, '0');
  return {
    ObjectGUID: `00000000-0000-4000-8000-${hex}`,
    SamAccountName: sam,
    UserPrincipalName: `${sam}@contoso.local`,
    DistinguishedName: `CN=${sam},OU=Users,DC=contoso,DC=local`,
    Name: sam,
    GivenName: null,
    Surname: null,
    DisplayName: null,
    mail: null,
    proxyAddresses: [],
    consistencyGuid: null,
    Enabled: true,
    ...fields,
  };
}
function cloud(upn: string, fields: Partial<DiscoverCloudUser> = {}): DiscoverCloudUser {
  return { id: `id-${upn}`, userPrincipalName: upn, displayName: null, givenName: null, surname: null, mail: upn, proxyAddresses: [`SMTP:${upn}`], ...fields };
}
const byUpn = (pairs: Pair[], upn: string) => pairs.find((p) => p.cloud.userPrincipalName === upn)!;

describe('discover pairing', () => {
  it('folds names: marks dropped, case folded, letters NFD does not split written plainly', () => {
    expect(foldName('José  García')).to.equal('jose garcia');
    expect(foldName('SØREN Østergård')).to.equal('soren ostergard');
    expect(foldName('Łukasz Weiß')).to.equal('lukasz weiss');
    expect(foldName('  ')).to.equal(null);
  });

  it('takes the SMTP: proxy address as primary, else mail', () => {
    expect(primarySmtp({ mail: 'm@x.com', proxyAddresses: ['smtp:a@x.com', 'SMTP:P@X.com'] })).to.equal('p@x.com');
    expect(primarySmtp({ mail: 'M@x.com', proxyAddresses: ['smtp:a@x.com'] })).to.equal('m@x.com');
    expect(primarySmtp({ mail: null, proxyAddresses: [] })).to.equal(null);
  });

  it('is ready on the same UPN whatever the case, and on the same primary SMTP', () => {
    const a = ad('anna', { UserPrincipalName: 'Anna.Mueller@Contoso.com' });
    const b = ad('ben', { proxyAddresses: ['SMTP:ben.smith@contoso.com'] });
    const { pairs } = pairUsers({ cloudUsers: [cloud('anna.mueller@contoso.com'), cloud('ben.smith@contoso.com')], adUsers: [a, b], cloudAnchors: [] });
    expect(byUpn(pairs, 'anna.mueller@contoso.com')).to.include({ status: 'ready', ad: a, rule: 'upn', confidence: 1 });
    expect(byUpn(pairs, 'ben.smith@contoso.com')).to.include({ status: 'ready', ad: b, rule: 'smtp' });
  });

  it('proposes weaker evidence for review, with each piece listed and a confidence that grows with it', () => {
    const prefix = ad('c', { UserPrincipalName: 'chloe.dubois@contoso.local' });
    const proxy = ad('d', { proxyAddresses: ['SMTP:d@contoso.local', 'smtp:dmitri.ivanov@contoso.com'] });
    const name = ad('e', { GivenName: 'Jose', Surname: 'Garcia' });
    const both = ad('f', { UserPrincipalName: 'farah.haddad@contoso.local', GivenName: 'Farah', Surname: 'Haddad' });
    const { pairs } = pairUsers({
      cloudUsers: [
        cloud('chloe.dubois@contoso.com'),
        cloud('dmitri.ivanov@contoso.com'),
        cloud('jg@contoso.com', { givenName: 'José', surname: 'García' }),
        cloud('farah.haddad@contoso.com', { givenName: 'Farah', surname: 'Haddad' }),
      ],
      adUsers: [prefix, proxy, name, both],
      cloudAnchors: [],
    });
    expect(byUpn(pairs, 'chloe.dubois@contoso.com')).to.include({ status: 'review', ad: prefix, rule: 'prefix', confidence: 0.6 });
    expect(byUpn(pairs, 'dmitri.ivanov@contoso.com')).to.include({ status: 'review', ad: proxy, rule: 'proxy', confidence: 0.7 });
    expect(byUpn(pairs, 'jg@contoso.com')).to.include({ status: 'review', ad: name, rule: 'name', confidence: 0.5 });
    const f = byUpn(pairs, 'farah.haddad@contoso.com');
    expect(f).to.include({ status: 'review', ad: both, rule: 'prefix', confidence: 0.8 });
    expect(f.evidence.map((e) => e.kind)).to.deep.equal(['prefix', 'name']);
  });

  it('never proposes an AD account whose anchor a cloud user carries already', () => {
    const synced = ad('s', { UserPrincipalName: 'sven@contoso.com' });
    const result = pairUsers({ cloudUsers: [cloud('sven@contoso.com')], adUsers: [synced], cloudAnchors: [anchorOf(synced, null)!] });
    expect(result.adRepresented).to.equal(1);
    expect(result.pairs[0]).to.include({ status: 'left-out', ad: null });
  });

  it('calls two AD accounts for one cloud user, or two cloud users for one AD account, ambiguous', () => {
    const twin1 = ad('k1', { GivenName: 'Kim', Surname: 'Lee' });
    const twin2 = ad('k2', { GivenName: 'Kim', Surname: 'Lee' });
    const shared = ad('r', { GivenName: 'Rosa', Surname: 'Silva' });
    const upnOne = ad('u1', { UserPrincipalName: 'uma@contoso.com' });
    const smtpOther = ad('u2', { proxyAddresses: ['SMTP:uma@contoso.com'] });
    const { pairs } = pairUsers({
      cloudUsers: [
        cloud('kim@contoso.com', { givenName: 'Kim', surname: 'Lee' }),
        cloud('rosa1@contoso.com', { givenName: 'Rosa', surname: 'Silva' }),
        cloud('rosa2@contoso.com', { givenName: 'Rósa', surname: 'Silva' }),
        cloud('uma@contoso.com'),
      ],
      adUsers: [twin1, twin2, shared, upnOne, smtpOther],
      cloudAnchors: [],
    });
    expect(byUpn(pairs, 'kim@contoso.com')).to.include({ status: 'ambiguous', ad: null });
    expect(byUpn(pairs, 'kim@contoso.com').candidates).to.have.length(2);
    // The two namesakes give one evidence line, not the same line twice.
    expect(byUpn(pairs, 'kim@contoso.com').evidence).to.deep.equal([{ kind: 'name', detail: 'same given name and surname (Kim Lee)' }]);
    expect(byUpn(pairs, 'rosa1@contoso.com')).to.include({ status: 'ambiguous' });
    expect(byUpn(pairs, 'rosa2@contoso.com')).to.include({ status: 'ambiguous' });
    // The UPN names one account and the primary SMTP another: Entra would join one, plan would write the other.
    expect(byUpn(pairs, 'uma@contoso.com')).to.include({ status: 'ambiguous' });
  });

  it('lets a UPN or SMTP pair win over a weaker claim on the same AD account', () => {
    const a = ad('a', { UserPrincipalName: 'anna@contoso.com', GivenName: 'Anna', Surname: 'Berg' });
    const { pairs } = pairUsers({
      cloudUsers: [cloud('anna@contoso.com'), cloud('anna.berg@contoso.com', { givenName: 'Anna', surname: 'Berg' })],
      adUsers: [a],
      cloudAnchors: [],
    });
    expect(byUpn(pairs, 'anna@contoso.com')).to.include({ status: 'ready', ad: a });
    expect(byUpn(pairs, 'anna.berg@contoso.com')).to.include({ status: 'left-out' });
    expect(byUpn(pairs, 'anna.berg@contoso.com').reason).to.equal('its strongest candidates belong more surely to other cloud users');
  });

  it('pairs every one of 5,000 UPN pairs that differ only in case', () => {
    const adUsers = Array.from({ length: 5_000 }, (_, i) => ad(`x${i}`, { UserPrincipalName: `x${i}@contoso.com` }));
    const cloudUsers = Array.from({ length: 5_000 }, (_, i) => cloud(`X${i}@contoso.com`));
    const { pairs } = pairUsers({ cloudUsers, adUsers, cloudAnchors: [] });
    expect(pairs.filter((p) => p.status === 'ready')).to.have.length(5_000);
  });

  it('lets an address or a UPN prefix outweigh namesakes, on both sides', () => {
    const right = ad('p', { UserPrincipalName: 'pat.kim@contoso.local', GivenName: 'Pat', Surname: 'Kim' });
    const namesake = ad('q', { GivenName: 'Pat', Surname: 'Kim' });
    const { pairs } = pairUsers({
      cloudUsers: [cloud('pat.kim@contoso.com', { givenName: 'Pat', surname: 'Kim' }), cloud('p.kim@contoso.com', { givenName: 'Pat', surname: 'Kim' })],
      adUsers: [right, namesake],
      cloudAnchors: [],
    });
    // pat.kim: the prefix points at one account; the namesake does not make it ambiguous.
    expect(byUpn(pairs, 'pat.kim@contoso.com')).to.include({ status: 'review', ad: right, rule: 'prefix', confidence: 0.8 });
    // p.kim has only names: 'right' goes to the stronger claim, so the namesake is its one candidate.
    expect(byUpn(pairs, 'p.kim@contoso.com')).to.include({ status: 'review', ad: namesake, rule: 'name' });
  });

  it('suggests a sAMAccountName of at most 20 allowed characters, unique among the taken ones', () => {
    const taken = new Set(['jose.garcia']);
    expect(suggestSam('José.García@contoso.com', taken)).to.equal('Jose.Garcia2');
    expect(suggestSam('a.very.long.name.indeed+x@contoso.com', taken)).to.equal('a.very.long.name.ind');
    expect(suggestSam('[]@contoso.com', taken)).to.equal('user');
    // The cut at 20 must not leave a period at the end (plan refuses such a name).
    expect(suggestSam('christopher.van.der.berg@contoso.com', taken)).to.equal('christopher.van.der');
    // Nor start with a hyphen: Excel reads -admin as a formula, and plan refuses it for a new account.
    expect(suggestSam('-admin@contoso.com', taken)).to.equal('admin');
    expect(suggestSam('-.-x@contoso.com', taken)).to.equal('x');
  });
});
