// Each command's --help shows examples (run through the built CLI; no PowerShell is started).
import path from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { rules } from '../../lib/checks/registry.js';
import { projectRoot } from '../../lib/paths.js';

describe('end to end: help', function () {
  this.timeout(60_000);
  for (const command of ['plan', 'apply', 'verify', 'rollback', 'status', 'doctor', 'feature', 'sim init']) {
    it(`${command} --help has examples`, async () => {
      const result = await execa(process.execPath, [path.join(projectRoot, 'bin', 'upn-match.js'), ...command.split(' '), '--help'], { reject: false });
      expect(result.exitCode).to.equal(0);
      const examples = String(result.stdout).split('Examples:')[1] ?? '';
      expect(examples.match(new RegExp(`upn-match ${command}\\b`, 'g')) ?? [], String(result.stdout)).to.have.length.at.least(1);
    });
  }

  it('plan --help lists every precondition, readable at 100 columns: no line longer, each title whole', async () => {
    const result = await execa(process.execPath, [path.join(projectRoot, 'bin', 'upn-match.js'), 'plan', '--help'], { reject: false, env: { COLUMNS: '200' } });
    expect(result.exitCode).to.equal(0);
    const text = String(result.stdout);
    for (const line of text.split('\n')) expect([...line].length, line).to.be.at.most(100);
    const table = text.split('Preconditions')[1] ?? '';
    const flat = table.replace(/\s+/g, ' ');
    // A title's further lines stand under its column, not under the codes.
    const rows = table.split('\n').slice(1).filter((l) => l.startsWith('  '));
    const column = (rows[0] ?? '').search(/(block|warn) +\S/) + 6;
    for (const line of rows.filter((l) => !/^  [A-Z]/.test(l))) expect(line.slice(0, column).trim(), line).to.equal('');
    for (const rule of rules) {
      expect(table).to.match(new RegExp(`\\n  ${rule.code} +${rule.severity} `));
      expect(flat).to.contain(rule.title.replace(/\s+/g, ' '));
    }
  });
});
