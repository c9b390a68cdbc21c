// writeFilePieces (discover's batch file, the JSON report): all or nothing, readable by its owner only.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { writeFilePieces } from '../../../lib/cli/session.js';

function* failingAfterOnePiece(): Generator<string> {
  yield 'cloudUpn,samAccountName\r\n';
  throw new Error('the report could not be built');
}

describe('writeFilePieces', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'upn-match-write-'));
  });

  it('leaves the file as it was, and nothing else, when writing fails midway', () => {
    const file = path.join(dir, 'batch.csv');
    writeFileSync(file, 'the batch of last week\r\n');
    expect(() => writeFilePieces(file, failingAfterOnePiece())).to.throw('the report could not be built');
    expect(readFileSync(file, 'utf8')).to.equal('the batch of last week\r\n');
    expect(readdirSync(dir)).to.deep.equal(['batch.csv']);
  });

  it('replaces a file whole, readable by its owner only, whatever the old file allowed', function () {
    const file = path.join(dir, 'batch.csv');
    writeFileSync(file, 'old');
    chmodSync(file, 0o644);
    writeFilePieces(file, ['a,', 'b\r\n']);
    expect(readFileSync(file, 'utf8')).to.equal('a,b\r\n');
    expect(readdirSync(dir)).to.deep.equal(['batch.csv']);
    if (process.platform === 'win32') this.skip(); // reason: Windows has ACLs, not mode bits
    expect(statSync(file).mode & 0o777).to.equal(0o600);
  });

  it("with 'wx', never writes over a file, and leaves nothing behind", () => {
    const file = path.join(dir, 'report.json');
    writeFileSync(file, 'an earlier run');
    expect(() => writeFilePieces(file, ['{}'], 'wx')).to.throw(/EEXIST/);
    expect(readFileSync(file, 'utf8')).to.equal('an earlier run');
    expect(readdirSync(dir)).to.deep.equal(['report.json']);
    writeFilePieces(path.join(dir, 'new.json'), ['{}'], 'wx');
    expect(readFileSync(path.join(dir, 'new.json'), 'utf8')).to.equal('{}');
  });
});
