// What discover hands back: the batch CSV (plan's columns plus how each row was paired) and a one-screen summary.
import { stringify } from 'csv-stringify/sync';
import { BATCH_COLUMNS, DISCOVER_COLUMNS } from '../batch-columns.js';
import { quoteArg } from '../command-line.js';
import { EXCEL_BOM } from '../spreadsheet.js';
import type { DiscoverReport } from '../workflow/discover.js';

/**
 * The batch file: one row per proposal (ready, to review, to create), in the columns `plan` reads; a line at a
 * time, with the BOM Excel needs to read UTF-8 (plan's reader drops it). No cell is neutralised with an apostrophe:
 * plan must read every value back as written, and an apostrophe on a new account's name would go to AD. A cloud
 * name Excel would run as a formula is therefore never written (discover suggests no new account for it); the
 * other cells hold directory names (UPN, DN, sAMAccountName) or discover's own words.
 */
export function* discoverCsvLines(report: DiscoverReport): Generator<string> {
  const columns = [...BATCH_COLUMNS, ...DISCOVER_COLUMNS];
  yield EXCEL_BOM + stringify([], { header: true, columns });
  for (const row of report.rows) {
    const p = row.proposal;
    if (!p) continue;
    const record = {
      cloudUpn: p.cloudUpn,
      samAccountName: p.samAccountName ?? '',
      distinguishedName: p.distinguishedName ?? '',
      create: p.create ? 'yes' : 'no',
      givenName: p.givenName ?? '',
      surname: p.surname ?? '',
      ou: p.ou ?? '',
      rule: row.rule ?? '',
      confidence: row.confidence.toFixed(2),
      evidence: row.evidence.join('; '),
      review: p.review ? 'yes' : 'no',
    };
    yield stringify([record], { columns });
  }
}

/** The one-screen summary. */
export function renderDiscover(report: DiscoverReport, outFile?: string): string {
  const { counts, summary } = report;
  const lines = [
    `discover (read-only): ${counts.cloudOnly} cloud-only users (of ${counts.cloudRead} read: ${counts.guests} guests, ${counts.cloudSynced} synced, ` +
      `${counts.cloudAnchored} anchored, ${counts.cloudFilteredOut} outside the filter left out)`,
    `  AD: ${counts.adInScope} accounts under ${report.searchBases.length > 0 ? report.searchBases.join('; ') : 'every domain'} (of ${counts.adRead} in the forest; ` +
      `${counts.adOutOfSyncScope} outside the sync scope left out); ` +
      `${counts.adRepresented} already represented in the cloud (never proposed)`,
    '',
    `  ready      ${String(summary.ready).padStart(7)}  same UPN or primary SMTP address`,
    `  review     ${String(summary.review).padStart(7)}  weaker evidence (review column: yes; plan blocks them until set to no)`,
    `  ambiguous  ${String(summary.ambiguous).padStart(7)}  several candidates on one side: never proposed`,
    `  create     ${String(summary.create).padStart(7)}  no candidate: a new AD account suggested`,
    `  left out   ${String(summary['left-out']).padStart(7)}`,
  ];
  for (const [reason, n] of Object.entries(report.leftOut).sort((a, b) => b[1] - a[1])) lines.push(`    ${String(n).padStart(7)}  ${reason}`);
  lines.push(`  blocked by plan's checks: ${summary.blocked} of the proposals`);
  for (const f of report.tenantFindings) lines.push(`  ! ${f.code}: ${f.message}`);
  const codes = new Map<string, number>();
  for (const row of report.rows) for (const f of row.findings) if (f.severity === 'block') codes.set(f.code, (codes.get(f.code) ?? 0) + 1);
  for (const [code, n] of [...codes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8)) lines.push(`    ${String(n).padStart(7)}  ${code}`);
  lines.push(outFile ? `Batch written to ${outFile}: check the review rows, then run: upn-match plan --csv ${quoteArg(outFile)}` : 'Give --out FILE to write the batch.');
  return lines.join('\n');
}
