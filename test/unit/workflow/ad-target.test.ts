// Where apply writes AD and where it confirms the write: the connector's DC when the sync server names it,
// else (the safe side) every DC of the write domain.
import { expect } from 'chai';
import type { Facts } from '../../../lib/facts.js';
import { adTarget } from '../../../lib/workflow/ad-target.js';
import { makeFacts } from '../checks/fixtures.js';

function facts(partitionDcs: string[] | null, domainDcs?: string[]): Facts {
  const f = makeFacts();
  f.forest.writeDomain = 'contoso.local';
  if (domainDcs) f.forest.writeDomainControllers = domainDcs;
  if (partitionDcs) {
    f.syncServer!.partitions = [
      { name: 'emea.contoso.local', distinguishedName: 'DC=emea,DC=contoso,DC=local', selected: true, inclusions: [], exclusions: [], domainControllers: ['dc09.emea.contoso.local'] },
      { name: 'Contoso.Local', distinguishedName: 'DC=contoso,DC=local', selected: true, inclusions: [], exclusions: [], domainControllers: partitionDcs },
    ];
  }
  return f;
}

describe('workflow: AD write target', () => {
  it('writes on the connector’s DC for the write domain, over the configured server, and confirms there', () => {
    expect(adTarget(facts(['dc02.contoso.local'], ['dc01.contoso.local', 'dc02.contoso.local']), 'dc01.contoso.local')).to.deep.equal({ server: 'dc02.contoso.local', confirmOn: ['dc02.contoso.local'] });
  });

  it('without the connector’s DC, must see the write on every DC of the domain (the configured one written when it is one of them)', () => {
    const dcs = ['dc01.contoso.local', 'dc02.contoso.local'];
    expect(adTarget(facts([], dcs), 'DC02.contoso.local')).to.deep.equal({ server: 'DC02.contoso.local', confirmOn: dcs });
    expect(adTarget(facts(null, dcs), 'contoso.local')).to.deep.equal({ server: 'dc01.contoso.local', confirmOn: dcs });
  });

  it('knowing no DC at all, writes and confirms where the config (or the module) points', () => {
    expect(adTarget(facts(null), 'dc05.contoso.local')).to.deep.equal({ server: 'dc05.contoso.local', confirmOn: ['dc05.contoso.local'] });
    expect(adTarget(facts(null))).to.deep.equal({ server: null, confirmOn: [] });
  });
});
