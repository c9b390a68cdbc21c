// The HTML report in a real headless Chromium (Debian's, driven by playwright-core, which downloads no
// browser): it loads offline with no console error, shows every user, filters and sorts, fetches nothing,
// runs nothing a value carries, and hides its controls in print.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { reportHtml } from '../../lib/report/html.js';
import { summarize, type RunReport, type UserReport, type UserOutcome } from '../../lib/report/types.js';

const CHROMIUM = process.env.UPN_MATCH_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function user(name: string, outcome: UserOutcome, extra: Partial<UserReport> = {}): UserReport {
  return {
    cloudUpn: `${name}@contoso.com`,
    cloudObjectId: `id-${name}`,
    samAccountName: name,
    adDistinguishedName: `CN=${name},OU=Users,OU=Corp,DC=contoso,DC=local`,
    adObjectGuid: null,
    predictedMatch: 'upn',
    outcome,
    findings: outcome === 'blocked' ? [{ code: 'AdAccountNotFound', severity: 'block', message: `no AD account ${name}`, hint: 'check the sAMAccountName' }] : [],
    steps: [],
    overwrites: [],
    ifMatchFails: null,
    actions: outcome === 'planned' ? [`would set the UPN of CN=${name} from ${name}@contoso.local to ${name}@contoso.com`] : [],
    ...extra,
  };
}

const HOSTILE = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;
const users = [
  user('zoe', 'matched'),
  user('anna', 'planned'),
  user('ben', 'blocked'),
  user('carl', 'blocked', { samAccountName: HOSTILE }),
  ...Array.from({ length: 40 }, (_, i) => user(`bulk${String(i).padStart(2, '0')}`, 'matched')),
];
const report: RunReport = {
  toolVersion: '9.9.9',
  generatedAt: '2026-12-02T10:00:00.000Z',
  command: 'upn-match apply --csv users.csv --html report.html',
  runId: '20261202T100000Z-abcdef',
  tenantId: '11111111-2222-3333-4444-555555555555',
  mode: 'apply',
  summary: summarize(users),
  tenantFindings: [{ code: 'FeaturesUnknown', severity: 'warn', message: 'the directory sync features could not be read', hint: 'run `upn-match feature` once' }],
  features: { source: 'record', readAt: '2026-12-01T09:00:00.000Z', error: null },
  tenantLeftOpen: true,
  relock: null,
  resumed: false,
  users,
};

describe('HTML report in headless Chromium', function () {
  this.timeout(120_000);
  let browser: BrowserContext | undefined;
  let dir = '';
  let page: Page;
  const errors: string[] = [];
  const requests: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      // CI installs it (.ci/run); a developer machine without it skips, saying how to get it.
      if (process.env.CI) throw new Error(`no Chromium at ${CHROMIUM}`);
      this.skip(); // reason: Chromium is not installed here (apt-get install -y chromium)
    }
    dir = mkdtempSync(path.join(os.tmpdir(), 'upn-match-html-'));
    // A fresh profile each run (playwright-core passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(path.join(dir, 'profile'), { executablePath: CHROMIUM, headless: true, args: FLAGS });
    const file = path.join(dir, 'report.html');
    writeFileSync(file, reportHtml(report), 'utf8');
    page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    page.on('dialog', (d) => {
      errors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(pathToFileURL(file).href);
  });

  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const visibleUpns = () => page.$$eval('#users tbody tr:not([hidden]) td.upn', (cells) => cells.map((c) => (c.firstChild?.textContent ?? '').trim()));

  it('loads with no console error and fetches nothing but itself', async () => {
    expect(errors).to.deep.equal([]);
    expect(requests.filter((u) => !u.startsWith('file:'))).to.deep.equal([]);
    expect(requests).to.have.length(1);
  });

  it('shows the summary first, then every user, the tenant findings and the run facts', async () => {
    const firstSection = await page.$eval('body', (b) => b.querySelector('h1 + section')?.id);
    expect(firstSection).to.equal('summary');
    expect(await page.textContent('#summary')).to.contain(`total${users.length}`);
    expect((await visibleUpns()).sort()).to.deep.equal(users.map((u) => u.cloudUpn).sort());
    expect(await page.textContent('#shown')).to.equal(`${users.length} of ${users.length} users shown`);
    const body = await page.textContent('body');
    expect(body).to.contain('FeaturesUnknown').and.contain('run `upn-match feature` once');
    const facts = await page.textContent('#facts');
    for (const v of ['9.9.9', report.tenantId!, report.generatedAt!, report.command!]) expect(facts).to.contain(v);
  });

  it('shows a hostile value as text and runs none of it', async () => {
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).to.equal(undefined);
    expect(await page.textContent('#users')).to.contain(HOSTILE);
  });

  it('filters by text and by outcome', async () => {
    await page.fill('#filter', 'BEN');
    expect(await visibleUpns()).to.deep.equal(['ben@contoso.com']);
    await page.fill('#filter', 'AdAccountNotFound');
    expect((await visibleUpns()).sort()).to.deep.equal(['ben@contoso.com', 'carl@contoso.com']);
    await page.fill('#filter', '');
    await page.selectOption('#outcome', 'planned');
    expect(await visibleUpns()).to.deep.equal(['anna@contoso.com']);
    expect(await page.textContent('#shown')).to.equal(`1 of ${users.length} users shown`);
    await page.selectOption('#outcome', '');
    expect(await visibleUpns()).to.have.length(users.length);
  });

  it('sorts by a column, and back', async () => {
    await page.click('#users th:nth-child(1)');
    const up = await visibleUpns();
    expect(up[0]).to.equal('anna@contoso.com');
    expect(up.at(-1)).to.equal('zoe@contoso.com');
    await page.click('#users th:nth-child(1)');
    expect((await visibleUpns())[0]).to.equal('zoe@contoso.com');
  });

  it('prints without its controls', async () => {
    await page.emulateMedia({ media: 'print' });
    expect(await page.isVisible('#filter')).to.equal(false);
    expect(await page.isVisible('#users')).to.equal(true);
    await page.emulateMedia({ media: 'screen' });
    expect(errors).to.deep.equal([]);
  });
});
