// The report as one self-contained HTML page for a change board: summary first, a sortable, filterable table
// of users, the tenant findings and the run's facts. No external asset (the page works offline, and its
// Content-Security-Policy forbids loading anything); every value is escaped; it prints without its controls.
import type { DiscoverReport, DiscoverRow } from '../workflow/discover.js';
import { USER_OUTCOMES, type RunReport, type UserReport } from './types.js';
import { MATCH_KIND } from './render.js';

const TITLES: Record<RunReport['mode'], string> = { plan: 'Plan', apply: 'Apply', 'what-if': 'What-if (nothing written)', verify: 'Verify', rollback: 'Rollback' };

function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function list(items: string[]): string {
  return items.length === 0 ? '' : `<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
}

function userRow(u: UserReport, tenantCodes: Set<string>): string {
  const findings = u.findings.filter((f) => !tenantCodes.has(f.code));
  // A DN may break after each comma (<wbr>), rather than squeeze the other columns.
  const account = [u.samAccountName, u.adDistinguishedName].filter((v): v is string => Boolean(v)).map((v) => esc(v).replaceAll(',', ',<wbr>')).join('<br>');
  const cells = [
    `<td class="upn">${esc(u.cloudUpn)}${u.cloudObjectId ? `<div class="id">${esc(u.cloudObjectId)}</div>` : ''}</td>`,
    `<td>${account}${u.adObjectGuid ? `<div class="id">${esc(u.adObjectGuid)}</div>` : ''}</td>`,
    `<td>${esc(u.predictedMatch === 'none' ? 'no match expected' : MATCH_KIND[u.predictedMatch])}</td>`,
    `<td><span class="outcome ${esc(u.outcome)}">${esc(u.outcome)}</span></td>`,
    `<td>${list(findings.map((f) => `<span class="sev ${esc(f.severity)}">${esc(f.severity)}</span> <code>${esc(f.code)}</code> ${esc(f.message)}`))}</td>`,
    `<td>${list([...new Set(findings.map((f) => f.hint))].map(esc))}</td>`,
    `<td>${list([...u.actions.map(esc), ...u.overwrites.map((o) => `overwrites ${esc(o.attribute)}: ${esc(o.cloudValue ?? '(empty)')} → ${esc(o.onPremisesValue)}`)])}</td>`,
  ];
  return `<tr data-outcome="${esc(u.outcome)}">${cells.join('')}</tr>`;
}

const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1b1b1b}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px}
.tiles{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0}.tile{border:1px solid #ccc;border-radius:6px;padding:6px 12px;min-width:80px}
.tile b{display:block;font-size:20px}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#f3f3f3;cursor:pointer;user-select:none}th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
td ul{margin:0;padding-left:16px}.id{color:#666;font-size:12px}.upn{word-break:break-all;min-width:14em}
.outcome{font-weight:600}.matched,.rolled-back,.ready{color:#106b10}.review,.ambiguous{color:#8a5a00}.blocked,.failed,.duplicate,.error{color:#a40000}.planned,.skipped{color:#444}
.sev.block{color:#a40000;font-weight:600}.sev.warn{color:#8a5a00}
.controls{margin:8px 0;display:flex;gap:8px;align-items:center}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dt{font-weight:600}dd{margin:0;word-break:break-all}
@media print{.controls{display:none}body{margin:0}th{cursor:auto}tr{break-inside:avoid}}
`;

// Sorting and filtering on the rendered rows; no data is parsed from the page, so nothing in it can run.
const SCRIPT = `
(function(){
  var table=document.getElementById('users');if(!table)return;
  var body=table.tBodies[0],filter=document.getElementById('filter'),outcome=document.getElementById('outcome'),shown=document.getElementById('shown');
  function apply(){
    var text=filter.value.trim().toLowerCase(),o=outcome.value,n=0;
    Array.prototype.forEach.call(body.rows,function(r){
      var ok=(!o||r.getAttribute('data-outcome')===o)&&(!text||r.textContent.toLowerCase().indexOf(text)!==-1);
      r.hidden=!ok;if(ok)n++;
    });
    shown.textContent=n+' of '+body.rows.length+' users shown';
  }
  filter.addEventListener('input',apply);outcome.addEventListener('change',apply);
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){
    th.addEventListener('click',function(){
      var asc=th.getAttribute('aria-sort')!=='ascending';
      Array.prototype.forEach.call(table.tHead.rows[0].cells,function(c){c.removeAttribute('aria-sort')});
      th.setAttribute('aria-sort',asc?'ascending':'descending');
      var rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){var x=a.cells[i].textContent,y=b.cells[i].textContent;return (asc?1:-1)*x.localeCompare(y,undefined,{numeric:true,sensitivity:'base'})});
      rows.forEach(function(r){body.appendChild(r)});
    });
  });
  apply();
})();
`;

export function reportHtml(report: RunReport): string {
  const s = report.summary;
  const tenantCodes = new Set(report.tenantFindings.map((f) => f.code));
  const title = `upn-match ${TITLES[report.mode]}${report.runId ? ` — run ${report.runId}` : ''}`;
  const tiles = [`<div class="tile">total<b>${s.total}</b></div>`, ...USER_OUTCOMES.filter((o) => s[o] > 0).map((o) => `<div class="tile ${o}">${o}<b>${s[o]}</b></div>`)];
  const facts: [string, unknown][] = [
    ['Tool version', report.toolVersion],
    ['Tenant', report.tenantId],
    ['Generated', report.generatedAt],
    ['Command', report.command],
    ['Run', report.runId ?? (report.mode === 'what-if' || report.mode === 'plan' ? 'none (nothing written)' : '')],
    ['Tenant sync features', report.features ? `${report.features.source}${report.features.readAt ? ` (read ${report.features.readAt})` : ''}${report.features.error ? ` — ${report.features.error}` : ''}` : ''],
  ];
  const headers = ['Cloud user', 'AD account', 'Match by', 'Outcome', 'Findings', 'Remedy', 'Done / to do'];
  return page(
    title,
    `<section id="summary"><div class="tiles">${tiles.join('')}</div>${
    report.tenantLeftOpen ? '<p><b>Note:</b> blockSoftMatchEnabled is off in the tenant. When matching is done, run <code>upn-match feature block-soft-match</code> (Microsoft advises blocking soft match again).</p>' : ''
  }</section>
<h2>Users</h2>
<div class="controls"><label>Filter <input id="filter" type="search" placeholder="UPN, account, code…"></label>
<label>Outcome <select id="outcome"><option value="">all</option>${USER_OUTCOMES.map((o) => `<option value="${o}">${o}</option>`).join('')}</select></label>
<span id="shown"></span></div>
<table id="users"><thead><tr>${headers.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead>
<tbody>${report.users.map((u) => userRow(u, tenantCodes)).join('\n')}</tbody></table>
<h2>Tenant findings</h2>
${report.tenantFindings.length === 0 ? '<p>None.</p>' : findingsList(report.tenantFindings)}
<h2>Run facts</h2>
${factList(facts)}`,
  );
}

/** One self-contained page: no external asset, the table script last. */
function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(title)}</h1>
${body}
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function factList(facts: [string, unknown][]): string {
  return `<dl id="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v ?? '')}</dd>`).join('')}</dl>`;
}

function findingsList(findings: { severity: string; code: string; message: string; hint: string }[]): string {
  return list(findings.map((f) => `<span class="sev ${esc(f.severity)}">${esc(f.severity)}</span> <code>${esc(f.code)}</code> ${esc(f.message)}<br><i>${esc(f.hint)}</i>`));
}

const DISCOVER_STATUSES: DiscoverRow['status'][] = ['ready', 'review', 'ambiguous', 'create', 'left-out'];

function discoverRow(r: DiscoverRow): string {
  const account = [r.samAccountName, r.distinguishedName].filter(Boolean).map(esc).join('<br>');
  const cells = [
    `<td class="upn">${esc(r.cloudUpn)}<div class="id">${esc(r.cloudId)}</div></td>`,
    `<td>${account}</td>`,
    `<td><span class="outcome ${esc(r.status)}">${esc(r.status)}</span>${r.blocked ? ' <span class="sev block">blocked</span>' : ''}</td>`,
    `<td>${esc(r.rule ?? '')}${r.confidence > 0 ? ` (${esc(r.confidence.toFixed(2))})` : ''}</td>`,
    `<td>${list(r.evidence.map(esc))}</td>`,
    `<td>${findingsList(r.findings)}</td>`,
    `<td>${esc(r.reason ?? '')}${list(r.candidates.map(esc))}</td>`,
  ];
  return `<tr data-outcome="${esc(r.status)}">${cells.join('')}</tr>`;
}

/** discover's report: what it proposes for each cloud-only user, on what evidence, and what plan's checks say. */
export function discoverHtml(report: DiscoverReport & { toolVersion: string; generatedAt: string; command: string }): string {
  const { counts, summary } = report;
  const tiles = [...DISCOVER_STATUSES.map((st) => `<div class="tile ${st}">${st}<b>${summary[st]}</b></div>`), `<div class="tile blocked">blocked by the checks<b>${summary.blocked}</b></div>`];
  const facts: [string, unknown][] = [
    ['Tool version', report.toolVersion],
    ['Generated', report.generatedAt],
    ['Command', report.command],
    ['Cloud users read', `${counts.cloudRead} (${counts.guests} guests, ${counts.cloudSynced} synced, ${counts.cloudAnchored} anchored, ${counts.cloudFilteredOut} outside the filter; ${counts.cloudOnly} cloud-only kept)`],
    ['AD accounts read', `${counts.adRead} (${counts.adInScope} in scope, ${counts.adOutOfSyncScope} outside the sync scope left out, ${counts.adRepresented} already represented in the cloud, ${counts.adCandidates} candidates)`],
    ['Searched under', report.searchBases.length > 0 ? report.searchBases.join('; ') : 'every domain'],
    ...Object.entries(report.leftOut).map(([reason, n]): [string, unknown] => [`Left out: ${reason}`, n]),
  ];
  const headers = ['Cloud user', 'AD account', 'Proposal', 'Rule (confidence)', 'Evidence', "Plan's checks", 'Reason / candidates'];
  return page(
    'upn-match Discover (read-only)',
    `<section id="summary"><div class="tiles">${tiles.join('')}</div><p>Review rows are proposals on weaker evidence: plan blocks them until their review column says no.</p></section>
<h2>Cloud-only users</h2>
<div class="controls"><label>Filter <input id="filter" type="search" placeholder="UPN, account, rule, code…"></label>
<label>Proposal <select id="outcome"><option value="">all</option>${DISCOVER_STATUSES.map((st) => `<option value="${st}">${st}</option>`).join('')}</select></label>
<span id="shown"></span></div>
<table id="users"><thead><tr>${headers.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead>
<tbody>${report.rows.map(discoverRow).join('\n')}</tbody></table>
<h2>Tenant findings</h2>
${report.tenantFindings.length === 0 ? '<p>None.</p>' : findingsList(report.tenantFindings)}
<h2>Facts</h2>
${factList(facts)}`,
  );
}
