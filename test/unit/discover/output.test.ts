// discover's one-screen summary: the plan command it suggests can be pasted as it is.
import { expect } from 'chai';
import { renderDiscover } from '../../../lib/discover/output.js';
import type { DiscoverReport } from '../../../lib/workflow/discover.js';

const report: DiscoverReport = {
  mode: 'discover',
  searchBases: [],
  counts: { cloudRead: 0, guests: 0, cloudSynced: 0, cloudAnchored: 0, cloudFilteredOut: 0, cloudOnly: 0, adRead: 0, adInScope: 0, adOutOfSyncScope: 0, adRepresented: 0, adCandidates: 0 },
  summary: { ready: 0, review: 0, ambiguous: 0, create: 0, 'left-out': 0, blocked: 0 },
  leftOut: {},
  tenantFindings: [],
  rows: [],
};

describe('discover summary', () => {
  it('quotes a batch path with spaces in the plan command it suggests (PowerShell and cmd both take double quotes)', () => {
    const text = renderDiscover(report, 'C:\\Batches\\May batch.csv');
    expect(text).to.contain('run: upn-match plan --csv "C:\\Batches\\May batch.csv"');
    expect(renderDiscover(report, 'C:\\Batches\\may.csv')).to.contain('run: upn-match plan --csv C:\\Batches\\may.csv');
  });
});
