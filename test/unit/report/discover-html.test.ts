// discover's HTML page: one row per cloud-only user with its proposal, evidence and plan's verdict; every value escaped.
import { expect } from 'chai';
import { discoverHtml } from '../../../lib/report/html.js';
import type { DiscoverReport, DiscoverRow } from '../../../lib/workflow/discover.js';

const HOSTILE = `<img src=x onerror="window.__pwned=1">`;

function row(upn: string, status: DiscoverRow['status'], extra: Partial<DiscoverRow> = {}): DiscoverRow {
  return { status, cloudUpn: upn, cloudId: `id-${upn}`, samAccountName: null, distinguishedName: null, rule: null, confidence: 0, evidence: [], reason: null, candidates: [], proposal: null, blocked: false, findings: [], ...extra };
}

describe('report: discover HTML', () => {
  const report: DiscoverReport & { toolVersion: string; generatedAt: string; command: string } = {
    mode: 'discover',
    searchBases: ['OU=Corp,DC=contoso,DC=local'],
    counts: { cloudRead: 5, guests: 1, cloudSynced: 1, cloudAnchored: 0, cloudFilteredOut: 0, cloudOnly: 3, adRead: 4, adInScope: 4, adOutOfSyncScope: 0, adRepresented: 1, adCandidates: 3 },
    summary: { ready: 1, review: 1, ambiguous: 0, create: 0, 'left-out': 1, blocked: 1 },
    leftOut: { 'no candidate': 1 },
    tenantFindings: [],
    rows: [
      row('anna@contoso.com', 'ready', { rule: 'upn', confidence: 1, distinguishedName: 'CN=Anna,OU=Corp,DC=contoso,DC=local', evidence: ['upn: same UPN'] }),
      row('ben@contoso.com', 'review', {
        rule: 'name',
        confidence: 0.6,
        samAccountName: HOSTILE,
        blocked: true,
        findings: [{ code: 'ReviewPending', severity: 'block', message: 'to review', hint: 'set review to no' } as DiscoverRow['findings'][number]],
      }),
      row('carl@contoso.com', 'left-out', { reason: 'no candidate' }),
    ],
    toolVersion: '9.9.9',
    generatedAt: '2026-12-02T16:00:00.000Z',
    command: 'upn-match discover --html d.html',
  };

  it('lists each cloud user with its proposal, rule, evidence and the checks, and escapes every value', () => {
    const html = discoverHtml(report);
    expect(html.match(/<tr data-outcome=/g)).to.have.length(3);
    expect(html).to.contain('<tr data-outcome="review">').and.contain('ReviewPending').and.contain('upn: same UPN').and.contain('no candidate');
    expect(html).to.not.contain(HOSTILE);
    expect(html).to.contain('&#60;img src=x');
    expect(html).to.contain('upn-match discover --html d.html').and.contain('9.9.9');
    expect(html).to.contain("default-src 'none'");
  });
});
