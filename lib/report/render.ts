// Renders a report for a person (console) and for Excel (CSV, formula cells neutralised).
import { stringify } from 'csv-stringify/sync';
import type { PredictedMatch } from '../checks/types.js';
import { EXCEL_BOM, looksLikeFormula } from '../spreadsheet.js';
import { USER_OUTCOMES, type RunReport, type UserReport } from './types.js';

/** How the service joins the cloud user to the AD account, in words (KB 3164442's names). */
export const MATCH_KIND: Record<Exclude<PredictedMatch, 'none'>, string> = {
  hard: 'hard match on the source anchor',
  smtp: 'soft match on the primary SMTP address',
  upn: 'soft match on the UPN',
};

/** The predicted match as it reads next to the user's outcome: "soft match on the UPN" (done), "expected: ...", "no match expected". */
export function matchWords(user: Pick<UserReport, 'outcome' | 'predictedMatch'>): string {
  if (user.predictedMatch === 'none') return user.outcome === 'matched' ? 'matched, though the plan expected no match' : 'no match expected';
  const kind = MATCH_KIND[user.predictedMatch];
  return user.outcome === 'matched' ? kind : `expected: ${kind}`;
}

export function renderReport(report: RunReport): string {
  const lines: string[] = [];
  const title = { plan: 'Plan', apply: 'Apply', 'what-if': 'What-if (nothing written)', verify: 'Verify', rollback: 'Rollback' }[report.mode];
  lines.push(`${title}${report.runId ? ` — run ${report.runId}` : ''}${report.resumed ? ' (resumed)' : ''}`);
  if (report.features) {
    const f = report.features;
    lines.push(`Tenant sync features: ${f.source}${f.readAt ? ` (read ${f.readAt})` : ''}${f.error ? ` — ${f.error}` : ''}`);
  }
  for (const f of report.tenantFindings) lines.push(`  [${f.severity}] ${f.code}: ${f.message}\n         → ${f.hint}`);
  for (const u of report.users) {
    lines.push(`${u.outcome.toUpperCase().padEnd(11)} ${u.cloudUpn}${u.samAccountName ? ` ← ${u.samAccountName}` : ''} (${matchWords(u)})`);
    const tenantCodes = new Set(report.tenantFindings.map((f) => f.code));
    for (const f of u.findings.filter((x) => !tenantCodes.has(x.code))) lines.push(`    [${f.severity}] ${f.code}: ${f.message}\n           → ${f.hint}`);
    // What was done, or with --what-if what would be: one operation a line, naming the object.
    for (const a of u.actions) lines.push(`    ${a}`);
    for (const o of u.overwrites) lines.push(`    overwrites ${o.attribute}: ${JSON.stringify(o.cloudValue)} → ${JSON.stringify(o.onPremisesValue)}`);
    if (u.ifMatchFails) lines.push(`    if the match fails: ${u.ifMatchFails}`);
  }
  const s = report.summary;
  lines.push(`Total ${s.total}: ${USER_OUTCOMES.map((o) => `${s[o]} ${o}`).join(', ')}`);
  if (report.relock?.done) lines.push(`Relocked: ${report.relock.features.join(' and ')} set on, as Microsoft advises once matching is done.`);
  else if (report.relock?.reason) lines.push(`Tenant left open, ${report.relock.reason}`);
  else if (report.tenantLeftOpen) lines.push('Note: blockSoftMatchEnabled is off in the tenant. When matching is done, run `upn-match apply --relock` or `upn-match feature block-soft-match` (Microsoft advises blocking soft match again).');
  return lines.join('\n');
}

/**
 * The report as `JSON.stringify(report, null, 2)` writes it, in pieces of at most one user each: the
 * text of ten thousand users (megabytes) is then never held at once, nor copied again to be written.
 * Joined, the pieces are exactly that text.
 */
export function* reportJsonPieces(report: RunReport | object, listKey = 'users'): Generator<string> {
  let first = true;
  for (const [key, value] of Object.entries(report)) {
    const streamed = key === listKey && Array.isArray(value) && value.length > 0;
    const text = streamed ? '' : JSON.stringify(value, null, 2);
    if (text === undefined) continue; // a property JSON leaves out (undefined)
    yield `${first ? '{\n' : ',\n'}  ${JSON.stringify(key)}: `;
    first = false;
    if (!streamed) {
      yield indent(text, '  ');
      continue;
    }
    const items = value as unknown[];
    for (let i = 0; i < items.length; i += 1) {
      yield `${i === 0 ? '[\n' : ',\n'}    ${indent(JSON.stringify(items[i], null, 2) ?? 'null', '    ')}`;
    }
    yield '\n  ]';
  }
  yield first ? '{}' : '\n}';
}

/** Indents every line but the first (JSON text has line breaks only between its tokens). */
function indent(json: string, by: string): string {
  return json.includes('\n') ? json.replaceAll('\n', `\n${by}`) : json;
}

/** A cell that Excel would read as a formula gets a leading apostrophe. */
export function neutralizeCell(value: string): string {
  return looksLikeFormula(value) ? `'${value}` : value;
}

/** The CSV report's columns, in order (docs/reports.md describes each; a test keeps the two the same). */
export const REPORT_CSV_COLUMNS = [
  'runId',
  'cloudUpn',
  'cloudObjectId',
  'samAccountName',
  'adDistinguishedName',
  'adObjectGuid',
  'predictedMatch',
  'outcome',
  'codes',
  'messages',
  'remedy',
  'overwritten',
  'actions',
] as const;

export interface CsvReportOptions {
  /** The batch file's delimiter (Excel in a European locale splits on semicolons). */
  delimiter?: string;
  /** The batch file's own columns, copied after upn-match's. */
  extraColumns?: string[];
}

/**
 * The report for Excel: UTF-8 with a byte order mark (else Excel reads it in the ANSI code page), CRLF, the
 * batch's delimiter, formula-looking cells neutralised. What-if rows say what would be done.
 */
export function reportCsv(report: RunReport, options: CsvReportOptions = {}): string {
  const extra = (options.extraColumns ?? []).filter((c) => !(REPORT_CSV_COLUMNS as readonly string[]).includes(c));
  const rows = report.users.map((u) => {
    const row: Record<string, string> = {
      runId: report.runId ?? '',
      cloudUpn: u.cloudUpn,
      cloudObjectId: u.cloudObjectId ?? '',
      samAccountName: u.samAccountName ?? '',
      adDistinguishedName: u.adDistinguishedName ?? '',
      adObjectGuid: u.adObjectGuid ?? '',
      predictedMatch: u.predictedMatch,
      outcome: u.outcome,
      codes: u.findings.map((f) => f.code).join(' '),
      messages: u.findings.map((f) => f.message).join(' | '),
      remedy: [...new Set(u.findings.map((f) => f.hint))].join(' | '),
      overwritten: u.overwrites.map((o) => `${o.attribute}: ${o.cloudValue ?? '(empty)'} -> ${o.onPremisesValue}`).join(' | '),
      actions: u.actions.join(' | '),
    };
    for (const c of extra) row[c] = u.extra?.[c] ?? '';
    return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, neutralizeCell(v)]));
  });
  const columns: { key: string; header?: string }[] = [...REPORT_CSV_COLUMNS.map((key) => ({ key })), ...extra.map((key) => ({ key, header: neutralizeCell(key) }))];
  // csv-stringify (6.9) writes the header with no rows too: an empty report still names its columns, once.
  const text = stringify(rows, { header: true, columns, delimiter: options.delimiter ?? ',', record_delimiter: 'windows' });
  return `${EXCEL_BOM}${text}`;
}
