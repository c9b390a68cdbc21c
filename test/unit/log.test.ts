// The console says each thing once: a user's outcome is in the report on stdout, so its log line goes to the
// log file only; other lines go to both.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createLogger } from '../../lib/log.js';

describe('log: console and file', () => {
  it('writes a fileOnly line (a user\'s outcome) to the file and not to the console', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'upn-match-log-'));
    const logger = createLogger({ logDir: dir, quiet: false });
    const seen: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    const capture = (chunk: string | Uint8Array) => (seen.push(String(chunk)), true);
    // winston's Console transport writes through console._stderr (process.stderr) when it has it.
    (console as unknown as { _stderr: NodeJS.WriteStream })._stderr.write = capture as typeof process.stderr.write;
    try {
      logger.info('user anna@contoso.com: matched', { user: 'anna@contoso.com', outcome: 'matched', fileOnly: true });
      logger.info('delta sync completed');
    } finally {
      (console as unknown as { _stderr: NodeJS.WriteStream })._stderr.write = original;
    }
    await new Promise<void>((resolve) => {
      logger.on('finish', () => resolve());
      logger.end();
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen.join('')).to.equal('upn-match: delta sync completed\n');
    const file = readFileSync(path.join(dir, 'upn-match.log'), 'utf8');
    expect(file).to.include('user anna@contoso.com: matched');
    expect(file).to.include('delta sync completed');
  });
});
