// The reader of a session call's output: the text between two delimiters, however the pipe cuts it.
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { readBetweenDelimiters, releaseAnswer, trimBlank } from '../../../lib/bridge/bulk-reader.js';

const DELIM = 'Q7x0Lk2ZpR4mN8aB';

/** Feeds the text in pieces of the given sizes (the last piece takes the rest), then reads it. */
async function readInPieces(text: string, sizes: number[]): Promise<string> {
  const stream = new PassThrough();
  const reading = readBetweenDelimiters(stream, DELIM);
  const bytes = Buffer.from(text, 'utf8');
  let at = 0;
  for (const size of sizes) {
    stream.write(bytes.subarray(at, at + size));
    at += size;
  }
  if (at < bytes.length) stream.write(bytes.subarray(at));
  return (await reading).toString('utf8');
}

describe('bridge: reading a session call\u2019s output', () => {
  const answer = '{"data":"Zoë Ærø \u{1F600} and a line\\nbreak"}';
  const output = `${DELIM}\n${answer}\n${DELIM}\n`;

  it('returns what lies between the two delimiters, trimmed, from a single chunk', async () => {
    expect(await readInPieces(output, [])).to.equal(answer);
  });

  it('returns the same text wherever the pipe cuts it, inside a delimiter or a multi-byte character', async () => {
    const length = Buffer.byteLength(output, 'utf8');
    for (let cut = 1; cut < length; cut += 1) {
      expect(await readInPieces(output, [cut]), `cut at byte ${cut}`).to.equal(answer);
    }
    expect(await readInPieces(output, new Array<number>(length).fill(1)), 'one byte at a time').to.equal(answer);
  });

  it('reads a large answer in 64 KB chunks', async () => {
    const big = 'x'.repeat(3 * 65_536 + 123);
    expect(await readInPieces(`${DELIM}\n${big}\n${DELIM}\n`, [65_536, 65_536, 65_536])).to.equal(big);
  });

  it('waits for the second delimiter, and leaves what comes next to the next call', async () => {
    const stream = new PassThrough();
    let settled = false;
    const first = readBetweenDelimiters(stream, DELIM).then((b) => ((settled = true), b.toString('utf8')));
    stream.write(`${DELIM}\nfirst answer\n`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled, 'resolved before the second delimiter').to.equal(false);
    stream.write(`${DELIM}\n`);
    expect(await first).to.equal('first answer');
    stream.write(`${DELIM}\nsecond answer\n${DELIM}\n`);
    expect((await readBetweenDelimiters(stream, DELIM)).toString('utf8')).to.equal('second answer');
  });

  it('lets go of an answer once released, and of nothing it did not read', async () => {
    // node-powershell keeps every answer in a promise for the session's life: releasing empties the answer it keeps.
    const stream = new PassThrough();
    const reading = readBetweenDelimiters(stream, DELIM);
    stream.write(`${DELIM}\n${'y'.repeat(100_000)}\n${DELIM}\n`);
    const answer = await reading;
    const held = answer; // what node-powershell's race keeps
    expect(held.length).to.equal(100_000);
    releaseAnswer(answer);
    expect(held.length, 'the held answer after release').to.equal(0);
    expect(held.toString()).to.equal('');

    const small = await readInPieces(`${DELIM}\nz\n${DELIM}\n`, []);
    expect(small).to.equal('z');
    const pooled = Buffer.from('not an answer');
    releaseAnswer(pooled);
    expect(pooled.toString()).to.equal('not an answer');
    releaseAnswer(undefined);
  });

  it('trims spaces and line breaks only', () => {
    expect(trimBlank(' \r\n\tx y\t \n')).to.equal('\tx y\t');
    expect(trimBlank(' \n ')).to.equal('');
    expect(trimBlank('x')).to.equal('x');
  });
});
