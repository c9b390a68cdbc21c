// Renders a report for a person (console) and for Excel (CSV, formula cells neutralised).
import { stringify } from 'csv-stringify/sync';
import { USER_OUTCOMES, type RunReport } from './types.js';

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
    lines.push(`${u.outcome.toUpperCase().padEnd(11)} ${u.cloudUpn}${u.samAccountName ? ` ← ${u.samAccountName}` : ''} (match by ${u.predictedMatch})`);
    const tenantCodes = new Set(report.tenantFindings.map((f) => f.code));
    for (const f of u.findings.filter((x) => !tenantCodes.has(x.code))) lines.push(`    [${f.severity}] ${f.code}: ${f.message}\n           → ${f.hint}`);
    for (const o of u.overwrites) lines.push(`    overwrites ${o.attribute}: ${JSON.stringify(o.cloudValue)} → ${JSON.stringify(o.onPremisesValue)}`);
  }
  const s = report.summary;
  lines.push(`Total ${s.total}: ${USER_OUTCOMES.map((o) => `${s[o]} ${o}`).join(', ')}`);
  if (report.tenantLeftOpen) lines.push('Note: blockSoftMatchEnabled is off in the tenant. When matching is done, run `upn-match apply --relock` or `upn-match feature block-soft-match` (Microsoft advises blocking soft match again).');
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
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export function reportCsv(report: RunReport): string {
  const rows = report.users.map((u) => ({
    cloudUpn: u.cloudUpn,
    samAccountName: u.samAccountName ?? '',
    predictedMatch: u.predictedMatch,
    outcome: u.outcome,
    codes: u.findings.map((f) => f.code).join(' '),
    messages: u.findings.map((f) => f.message).join(' | '),
    lastStep: u.steps.at(-1)?.id ?? '',
    lastStepAt: u.steps.at(-1)?.at ?? '',
  }));
  const neutral = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, neutralizeCell(v)])));
  return stringify(neutral, { header: true, columns: ['cloudUpn', 'samAccountName', 'predictedMatch', 'outcome', 'codes', 'messages', 'lastStep', 'lastStepAt'] });
}
