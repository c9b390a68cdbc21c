// docs/reports.md describes every CSV column and every JSON field the reports carry, in their order.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { projectRoot } from '../../../lib/paths.js';
import { REPORT_CSV_COLUMNS } from '../../../lib/report/render.js';
import { apply } from '../../../lib/workflow/apply.js';
import { stamped } from '../../../lib/cli/session.js';
import { deps, FakeIO, options, upd, world } from '../workflow/fake-world.js';

const doc = readFileSync(path.join(projectRoot, 'docs', 'reports.md'), 'utf8');

/** The first column of each table row of a section (`| \`name\` | … |`). */
function tableNames(section: string, nth = 0): string[] {
  const body = doc.split(/^## /m).find((s) => s.startsWith(section)) ?? '';
  const tables = body.split(/\n\n/).filter((b) => b.includes('| --- |'));
  return [...(tables[nth] ?? '').matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
}

describe('docs/reports.md', () => {
  it('lists the CSV columns in order', () => {
    expect(tableNames('CSV')).to.deep.equal([...REPORT_CSV_COLUMNS]);
  });

  it('lists the JSON fields of a real report and of its users, in order', async () => {
    const w = world();
    const report = stamped(await apply(deps(new FakeIO(w.answers)), [{ ...upd, extra: { Ticket: 'CHG-1' } }], options()));
    expect(tableNames('JSON', 0)).to.deep.equal(Object.keys(report));
    expect(tableNames('JSON', 1)).to.deep.equal(Object.keys(report.users[0]!));
  });

  it('shows the HTML report as a picture: its file is there, a PNG of reasonable size (taken by npm run docs:screenshot)', () => {
    const html = doc.split(/^## /m).find((s) => s.startsWith('HTML')) ?? '';
    const images = [...html.matchAll(/!\[([^\]]+)\]\(([^)]+)\)/g)];
    expect(images, 'an image in the HTML section').to.have.length(1);
    const [, alt, target] = images[0]!;
    expect(alt!.length, 'the picture is described').to.be.greaterThan(20);
    const file = path.join(projectRoot, 'docs', target!);
    expect(existsSync(file), file).to.equal(true);
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 8).toString('hex'), 'PNG signature').to.equal('89504e470d0a1a0a');
    // IHDR: width and height, big-endian, at bytes 16 and 20.
    expect(bytes.readUInt32BE(16)).to.be.within(800, 1600);
    expect(bytes.readUInt32BE(20)).to.be.within(400, 1200);
    expect(statSync(file).size, 'small enough for the repository').to.be.below(300_000);
  });
});
