// Phase lines: a phase that lasts is named on stderr with its elapsed time; a short one says nothing.
import { expect } from 'chai';
import { phaseLines, progressText } from '../../../lib/cli/phases.js';

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

describe('cli: progress lines', () => {
  const ev = (done: number, total: number | null = 200, activity = 'Writing AD accounts', unit: 'count' | 'seconds' = 'count') => ({ activity, done, total, unit });

  it('words counts with thousands separators and waits as m:ss', () => {
    expect(progressText(ev(12000, 50000, 'Reading cloud users'))).to.equal('Reading cloud users 12,000/50,000');
    expect(progressText(ev(1998, null, 'Reading cloud users'))).to.equal('Reading cloud users 1,998');
    expect(progressText(ev(130, 900, 'Waiting for the running sync cycle', 'seconds'))).to.equal('Waiting for the running sync cycle 2:10 of 15:00');
    expect(progressText(ev(40, null, 'Delta sync running', 'seconds'))).to.equal('Delta sync running 0:40');
  });

  it('in a task: nothing for a short activity; then a line per tenth at most every few seconds, and the last', () => {
    const { written, stream } = fakeStream(false);
    let now = 0;
    const lines = phaseLines(stream, { delayMs: 1000, minGapMs: 3000, everyMs: 10_000, now: () => now });
    lines.progress(ev(0, 10, 'Reading AD users'));
    now = 500;
    lines.progress(ev(10, 10, 'Reading AD users')); // done within the delay: never shown
    expect(written).to.deep.equal([]);
    // 200 writes, an event every 250 ms, one user each time: 16 s at 4 users a second... 50 s in all.
    for (let k = 0; k <= 200; k += 1) {
      now = 1000 + k * 250;
      lines.progress(ev(k));
    }
    lines.close();
    expect(written[0]).to.equal('upn-match: Writing AD accounts 4/200\n');
    expect(written.at(-1)).to.equal('upn-match: Writing AD accounts 200/200\n');
    // 50 s: at most one line per tenth (and the first and the last), never two within 3 s.
    expect(written.length).to.be.within(10, 12);
    for (const line of written) expect(line).to.match(/^upn-match: Writing AD accounts \d+\/200\n$/);
  });

  it('in a task: a wait without a whole is told again every `everyMs`', () => {
    const { written, stream } = fakeStream(false);
    let now = 0;
    const lines = phaseLines(stream, { delayMs: 0, minGapMs: 3000, everyMs: 10_000, now: () => now });
    for (let s = 0; s <= 30; s += 2) {
      now = s * 1000;
      lines.progress(ev(s, null, 'Delta sync running', 'seconds'));
    }
    lines.close();
    expect(written).to.deep.equal(['upn-match: Delta sync running 0:00\n', 'upn-match: Delta sync running 0:10\n', 'upn-match: Delta sync running 0:20\n', 'upn-match: Delta sync running 0:30\n']);
  });

  it('on a terminal: a bar when the whole is known, ended on its own line; endLine ends the line being drawn', () => {
    const { written, stream } = fakeStream(true);
    let now = 0;
    const lines = phaseLines(stream, { delayMs: 0, now: () => now });
    lines.progress(ev(0, 200, 'Verifying'));
    now = 300;
    lines.progress(ev(100, 200, 'Verifying'));
    lines.endLine(); // cli-progress draws at most 10 times a second: stopping draws the last value
    const drawn = written.join('');
    expect(drawn).to.include('upn-match: Verifying [');
    expect(drawn).to.include('] 100/200');
    expect(drawn.endsWith('\n')).to.equal(true);
    const before = written.length;
    lines.endLine(); // nothing is being drawn: nothing to end
    expect(written.length).to.equal(before);
    now = 600;
    lines.progress(ev(20, null, 'Delta sync running', 'seconds'));
    expect(written.at(-1)).to.equal('\rupn-match: Delta sync running 0:20\u001b[K');
    lines.close();
    expect(written.at(-1)).to.equal('\n');
  });

  it('on a terminal: the phase line keeps quiet for a few seconds after a progress line, then tells its time again', async () => {
    const { written, stream } = fakeStream(true);
    let now = 0;
    const lines = phaseLines(stream, { delayMs: 10, everyMs: 10, now: () => now });
    lines.phase('Reading the facts');
    now = 20;
    lines.progress(ev(0, null, 'Reading cloud users'));
    now = 40; // shown once it has lasted the delay
    lines.progress(ev(999, null, 'Reading cloud users'));
    expect(written.at(-1)).to.equal('\rupn-match: Reading cloud users 999\u001b[K');
    now = 3000; // the next page is slow: still the progress line
    await wait(60);
    expect(written.filter((w) => w.includes('Reading the facts'))).to.deep.equal([]);
    now = 6000;
    await wait(60);
    lines.close();
    expect(written.some((w) => w.includes('Reading the facts 0:06'))).to.equal(true);
  });
});
