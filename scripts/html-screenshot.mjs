#!/usr/bin/env node
// Writes docs/html-report.png: a sample apply report (lib/report/html.ts) as Chromium shows it. Debian's
// Chromium (apt-get install chromium, or UPN_MATCH_CHROMIUM) through playwright-core, which downloads no browser.
// Run after a change to the HTML report: `npm run docs:screenshot`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { reportHtml } from '../dist/lib/report/html.js';
import { summarize } from '../dist/lib/report/types.js';

const out = fileURLToPath(new URL('../docs/html-report.png', import.meta.url));
const CHROMIUM = process.env.UPN_MATCH_CHROMIUM ?? '/usr/bin/chromium';

const user = (name, sam, outcome, extra = {}) => ({
  cloudUpn: `${name}@contoso.com`,
  cloudObjectId: `3f2a${name.length}c1e-8d4b-4f0a-9c62-${String(name.charCodeAt(0)).padStart(12, '0')}`,
  samAccountName: sam,
  adDistinguishedName: `CN=${sam},OU=Staff,OU=Corp,DC=contoso,DC=local`,
  adObjectGuid: null,
  predictedMatch: 'upn',
  outcome,
  findings: [],
  steps: [],
  overwrites: [],
  ifMatchFails: null,
  actions: [],
  ...extra,
});
const users = [
  user('anna.mueller', 'amueller', 'matched', { actions: ['set the UPN of CN=amueller,OU=Staff,OU=Corp,DC=contoso,DC=local from amueller@contoso.local to anna.mueller@contoso.com'] }),
  user('jose.garcia', 'jgarcia', 'matched', { overwrites: [{ attribute: 'displayName', cloudValue: 'Jose Garcia', onPremisesValue: 'José García' }] }),
  user('li.wei', 'lwei', 'duplicate', {
    findings: [{ code: 'DuplicateCreated', severity: 'block', message: 'Entra created a second cloud user (li.wei8812@contoso.onmicrosoft.com) for the AD account', hint: 'delete the duplicate, clear the conflict, and run verify --run again' }],
  }),
  user('omar.haddad', 'ohaddad', 'blocked', {
    predictedMatch: 'none',
    findings: [{ code: 'CloudUserHoldsRole', severity: 'block', message: 'omar.haddad@contoso.com holds the directory role User Administrator', hint: 'remove the role assignment first (soft match never takes over a cloud user with a role), then run again' }],
  }),
  user('sara.jensen', 'sjensen', 'matched'),
];
const report = {
  toolVersion: '0.1.0',
  generatedAt: '2026-12-02T10:14:05.000Z',
  command: 'upn-match apply --csv batch-12.csv --yes --html batch-12.html',
  runId: '20261202T100950Z-6b47ec',
  tenantId: '8c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f',
  mode: 'apply',
  summary: summarize(users),
  tenantFindings: [],
  features: { source: 'graph', readAt: '2026-12-02T10:09:52.000Z', error: null },
  tenantLeftOpen: true,
  relock: null,
  resumed: false,
  users,
};

const dir = mkdtempSync(path.join(os.tmpdir(), 'upn-match-screenshot-'));
const browser = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1500, height: 820 },
  deviceScaleFactor: 1,
});
try {
  const file = path.join(dir, 'report.html');
  writeFileSync(file, reportHtml(report), 'utf8');
  const page = await browser.newPage();
  await page.goto(pathToFileURL(file).href);
  await page.screenshot({ path: out, fullPage: false });
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${path.relative(process.cwd(), out)} written`);
