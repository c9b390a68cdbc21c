// Phase lines: a phase that lasts is named on stderr with its elapsed time; a short one says nothing.
import { expect } from 'chai';
import { phaseLines } from '../../../lib/cli/phases.js';

function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream };
}
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('cli: phase lines', () => {
  it('names a phase that lasts, as plain lines in a task, and nothing for a short one', async () => {
    const { written, stream } = fakeStream(false);
    const phases = phaseLines(stream, { delayMs: 30, everyMs: 30 });
    phases.phase('Reading');
    phases.phase('Delta sync running');
    await wait(100);
    phases.close();
    const after = written.length;
    await wait(60);
    expect(written.length).to.equal(after);
    expect(written.some((l) => l.startsWith('upn-match: Reading'))).to.equal(false);
    expect(written.length).to.be.at.least(2);
    for (const line of written) expect(line).to.match(/^upn-match: Delta sync running 0:00\n$/);
  });

  it('updates one line in place on a terminal and ends it before anything else is written', async () => {
    const { written, stream } = fakeStream(true);
    const phases = phaseLines(stream, { delayMs: 20, everyMs: 20 });
    phases.phase('Verifying 2 user(s)');
    await wait(70);
    phases.close();
    expect(written[0]).to.match(/^\rupn-match: Verifying 2 user\(s\) 0:00\u001b\[K$/);
    expect(written.at(-1)).to.equal('\n');
  });
});
