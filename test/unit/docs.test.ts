// The reference page and README come from the registries: this fails when they drift.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { rules } from '../../lib/checks/registry.js';
import { catalogue } from '../../lib/codes.js';
import { exitCodesTable, referencePage } from '../../lib/docs.js';
import { projectRoot } from '../../lib/paths.js';

describe('generated docs', () => {
  it('docs/reference.md is up to date (run `npm run docs`)', () => {
    const onDisk = readFileSync(path.join(projectRoot, 'docs', 'reference.md'), 'utf8');
    expect(onDisk).to.equal(referencePage());
  });

  it('lists every code of the catalogue, the precondition rules among them', () => {
    const page = referencePage();
    for (const rule of rules) expect(page).to.contain(`\`${rule.code}\``);
    for (const code of catalogue.keys()) expect(page, code).to.contain(`\`${code}\``);
  });

  it("README's exit code table is the registry's", () => {
    const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
    expect(readme).to.contain(exitCodesTable());
  });
});
