// --report-dir: each run's JSON and CSV reports under names of their own, readable by their owner only.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { writeReportFiles } from '../../../lib/cli/session.js';
import { summarize, type RunReport } from '../../../lib/report/types.js';

const report: RunReport = {
  runId: '20261202T020000Z-a1b2c3',
  tenantId: null,
  mode: 'apply',
  summary: summarize([]),
  tenantFindings: [],
  features: null,
  tenantLeftOpen: null,
  relock: null,
  resumed: false,
  users: [],
};

describe('writeReportFiles', () => {
  it('writes JSON and CSV named for the time and the run, in a folder it creates, and never over an earlier run', () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'upn-match-reports-')), 'reports');
    const first = writeReportFiles(dir, report, new Date('2026-12-02T02:00:05.123Z'));
    expect(path.basename(first.json)).to.equal('upn-match-apply-20261202T020005Z-20261202T020000Z-a1b2c3.json');
    expect(path.basename(first.csv)).to.equal('upn-match-apply-20261202T020005Z-20261202T020000Z-a1b2c3.csv');
    expect(JSON.parse(readFileSync(first.json, 'utf8'))).to.deep.equal(report);
    // The same run resumed later: new files, the first ones kept.
    const resumed = writeReportFiles(dir, { ...report, resumed: true }, new Date('2026-12-03T02:00:00Z'));
    expect(resumed.json).to.not.equal(first.json);
    expect(JSON.parse(readFileSync(first.json, 'utf8')).resumed).to.equal(false);
    expect(() => writeReportFiles(dir, report, new Date('2026-12-02T02:00:05.999Z'))).to.throw(/EEXIST/);
    if (process.platform !== 'win32') {
      expect(statSync(first.json).mode & 0o777).to.equal(0o600);
      expect(statSync(first.csv).mode & 0o777).to.equal(0o600);
      expect(statSync(dir).mode & 0o777).to.equal(0o700);
    }
  });

  it('names a plan (no run id) with a random suffix', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'upn-match-reports-'));
    const at = new Date('2026-12-02T02:00:00Z');
    const a = writeReportFiles(dir, { ...report, runId: null, mode: 'plan' }, at);
    const b = writeReportFiles(dir, { ...report, runId: null, mode: 'plan' }, at);
    expect(path.basename(a.json)).to.match(/^upn-match-plan-20261202T020000Z-[0-9a-f]{6}\.json$/);
    expect(a.json).to.not.equal(b.json);
  });
});
