// The report's renderings that need no PowerShell: the JSON text written a user at a time must be
// exactly the text JSON.stringify(report, null, 2) gives.
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { renderReport, reportCsv, reportJsonPieces } from '../../../lib/report/render.js';
import { summarize, type RunReport, type UserReport } from '../../../lib/report/types.js';

function user(n: number, extra: Partial<UserReport> = {}): UserReport {
  return {
    cloudUpn: `user${n}@contoso.com`,
    cloudObjectId: `c-${n}`,
    samAccountName: n % 2 === 0 ? `user${n}` : null,
    adDistinguishedName: `CN=User ${n},OU=Users,OU=Corp,DC=contoso,DC=com`,
    adObjectGuid: `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`,
    predictedMatch: 'upn',
    outcome: 'planned',
    findings: [{ code: 'SmtpMatchesTarget', severity: 'warn', message: `line one\nline "two" — ${n}`, hint: 'the AD account’s address' }],
    steps: [{ id: 'planned', outcome: 'passed', at: '2026-11-25T10:00:00.000Z', code: undefined }],
    overwrites: [{ attribute: 'displayName', cloudValue: null, onPremisesValue: `User\t${n}` }],
    ifMatchFails: null,
    actions: [],
    ...extra,
  };
}

function report(users: UserReport[], extra: Partial<RunReport> = {}): RunReport {
  return {
    runId: null,
    tenantId: 't1',
    mode: 'plan',
    summary: summarize(users),
    tenantFindings: [{ code: 'FeaturesUnknown', severity: 'warn', message: 'could not be read', hint: 'run `upn-match feature`' }],
    features: { source: 'graph', readAt: null, error: null },
    tenantLeftOpen: null,
    relock: null,
    resumed: false,
    users,
    ...extra,
  };
}

describe('reportJsonPieces', () => {
  const cases: [string, RunReport][] = [
    ['no users', report([])],
    ['one user', report([user(1)])],
    ['many users, empty and nested lists', report([user(1), user(2, { findings: [], steps: [], overwrites: [] }), user(3)])],
    ['no features, a run id', report([user(4)], { runId: '20261125-100000-abcd', mode: 'apply', features: null, tenantFindings: [] })],
    ['a property left undefined', { ...report([user(5)]), tenantLeftOpen: undefined } as unknown as RunReport],
    ['users not last', (({ users, ...rest }) => ({ users, ...rest }))(report([user(6), user(7)])) as RunReport],
  ];
  for (const [name, value] of cases) {
    it(`joins to JSON.stringify(report, null, 2): ${name}`, () => {
      expect([...reportJsonPieces(value)].join('')).to.equal(JSON.stringify(value, null, 2));
    });
  }

  it('gives each user a piece of its own', () => {
    const pieces = [...reportJsonPieces(report([user(1), user(2), user(3)]))];
    expect(pieces.filter((p) => p.includes('"cloudUpn"'))).to.have.length(3);
  });
});

describe('reportCsv', () => {
  const parseCsv = (text: string, delimiter: string) => parse(text.replace(/^\uFEFF/, ''), { delimiter, columns: true }) as Record<string, string>[];

  it('is UTF-8 with a BOM and CRLF, in the columns an admin needs, one row per user', () => {
    const text = reportCsv(report([user(1), user(2)], { runId: 'r1' }));
    expect(text.startsWith('\uFEFFrunId,cloudUpn,cloudObjectId,samAccountName,adDistinguishedName,adObjectGuid,predictedMatch,outcome,codes,messages,remedy,overwritten,actions\r\n')).to.equal(true);
    const rows = parseCsv(text, ',');
    expect(rows).to.have.length(2);
    expect(rows[1]).to.deep.include({
      runId: 'r1',
      cloudUpn: 'user2@contoso.com',
      cloudObjectId: 'c-2',
      samAccountName: 'user2',
      adDistinguishedName: 'CN=User 2,OU=Users,OU=Corp,DC=contoso,DC=com',
      adObjectGuid: '00000000-0000-0000-0000-000000000002',
      predictedMatch: 'upn',
      outcome: 'planned',
      codes: 'SmtpMatchesTarget',
      remedy: 'the AD account’s address',
      overwritten: 'displayName: (empty) -> User\t2',
    });
  });

  it("writes the batch's delimiter, keeps its extra columns, and says what a what-if run would do", () => {
    const u = user(1, { extra: { Department: 'Sales; North', Ticket: '=1+1' }, actions: ['would set the UPN of CN=A from a@contoso.local to a@contoso.com', 'would start one delta sync'] });
    const text = reportCsv(report([u], { mode: 'what-if' }), { delimiter: ';', extraColumns: ['Department', 'Ticket'] });
    const [row] = parseCsv(text, ';');
    expect(row).to.deep.include({ Department: 'Sales; North', Ticket: "'=1+1", actions: 'would set the UPN of CN=A from a@contoso.local to a@contoso.com | would start one delta sync' });
  });

  it('names its columns when there is no user', () => {
    const text = reportCsv(report([]));
    expect(text).to.match(/^\uFEFFrunId,cloudUpn,/);
    // Once: a second header line reads as a data row in Excel.
    expect(text.split('\r\n').filter((line) => line !== '')).to.have.length(1);
  });
});

describe('renderReport: the console text', () => {
  it('says what the predicted match means next to each outcome, never "match by none"', () => {
    const text = renderReport(
      report([
        user(2, { outcome: 'matched', findings: [] }),
        user(4, { outcome: 'planned', predictedMatch: 'smtp', findings: [] }),
        user(6, { outcome: 'blocked', predictedMatch: 'none', findings: [] }),
        user(8, { outcome: 'failed', predictedMatch: 'hard', findings: [] }),
      ]),
    );
    expect(text).to.contain('MATCHED     user2@contoso.com ← user2 (soft match on the UPN)');
    expect(text).to.contain('PLANNED     user4@contoso.com ← user4 (expected: soft match on the primary SMTP address)');
    expect(text).to.contain('BLOCKED     user6@contoso.com ← user6 (no match expected)');
    expect(text).to.contain('FAILED      user8@contoso.com ← user8 (expected: hard match on the source anchor)');
    expect(text).to.not.match(/match by (none|upn|smtp|hard)/);
  });
});
