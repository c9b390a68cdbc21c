// Each command's --help shows examples (run through the built CLI; no PowerShell is started).
import path from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
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
});
