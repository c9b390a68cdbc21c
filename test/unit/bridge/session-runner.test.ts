// The session runner's own bookkeeping, without PowerShell: a stand-in host (a small Node script that
// speaks node-powershell's protocol and answers every request with one envelope) shows that no call's
// output stays behind in node-powershell's history once it has been returned.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { z } from 'zod';
import { PROTOCOL_VERSION } from '../../../lib/bridge/envelope.js';
import { SessionRunner } from '../../../lib/bridge/session-runner.js';

const ENVELOPE = JSON.stringify({
  protocol: PROTOCOL_VERSION,
  ok: true,
  data: { text: 'x'.repeat(100_000) },
  warnings: [],
  error: null,
  host: { edition: 'Core', version: '7.6.9' },
  durationMs: 1,
});

/** node-powershell writes each delimiter with [Console]::Out/Error.WriteLine("..."): echo it, answer requests. */
const HOST = `#!${process.execPath}
const { createInterface } = require('node:readline');
const envelope = ${JSON.stringify(ENVELOPE)};
createInterface({ input: process.stdin }).on('line', (line) => {
  let m;
  if ((m = /^\\[Console\\]::Error\\.WriteLine\\("(.*)"\\)$/.exec(line))) process.stderr.write(m[1] + '\\n');
  else if ((m = /^\\[Console\\]::Out\\.WriteLine\\("(.*)"\\)$/.exec(line))) process.stdout.write(m[1] + '\\n');
  else if (line.startsWith('Invoke-UpnMatchRequest')) process.stdout.write(envelope + '\\n');
}).on('close', () => process.exit(0));
`;

describe('SessionRunner (stand-in host)', function () {
  if (process.platform === 'win32') return; // the stand-in is a script run through its #! line

  let dir: string;
  let runner: SessionRunner;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'upn-match-session-'));
    const host = path.join(dir, 'fake-pwsh');
    writeFileSync(host, HOST, 'utf8');
    chmodSync(host, 0o755);
    runner = new SessionRunner({ host: { path: host, source: 'env' } });
  });
  after(async () => {
    await runner.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns each call\u2019s data and keeps no call in node-powershell\u2019s history', async () => {
    for (let i = 0; i < 3; i += 1) {
      const out = await runner.run({ script: 'steps/Get-HostInfo.ps1', input: {}, output: z.object({ text: z.string() }) });
      expect(out.data.text).to.have.length(100_000);
    }
    const shell = (runner as unknown as { session?: { shell: { history: { command: string; raw: string }[] } } }).session?.shell;
    expect(shell, 'the session is still open').to.not.equal(undefined);
    const held = shell!.history.filter((record) => record.command.startsWith('Invoke-UpnMatchRequest') || record.raw.length > 1000);
    expect(held).to.deep.equal([]);
    expect(runner.started).to.equal(1);
  });
});
