// A step's many records (New-UpnMatchJsonList) leave PowerShell as they are added, first in the envelope, and
// node puts them back in their field: under real PowerShell, through the request entry point the runners use.
import path from 'node:path';
import { expect } from 'chai';
import { z } from 'zod';
import { interpretOutput } from '../../lib/bridge/envelope.js';
import { BridgeError } from '../../lib/bridge/errors.js';
import { projectRoot } from '../../lib/paths.js';
import { runPowerShell } from '../helpers/powershell.js';

const fixture = path.join(projectRoot, 'test', 'fixtures', 'ps', 'Write-RecordStream.ps1');
const entryPoint = path.join(projectRoot, 'ps', 'Invoke-UpnMatchScript.ps1');
const Records = z.object({ count: z.number(), records: z.array(z.object({ n: z.number(), name: z.string() })) });

/** The fixture run through the bridge's entry point: one request in (stdin), one envelope out (stdout). */
async function request(input: Record<string, unknown>): Promise<string> {
  const result = await runPowerShell(`& '${entryPoint}'`, { input: JSON.stringify({ script: fixture, input }) });
  return result.stdout;
}

function rejection(fn: () => unknown): BridgeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BridgeError) return error;
    throw error;
  }
  throw new Error('expected a BridgeError');
}

describe('record stream (New-UpnMatchJsonList) under real PowerShell', function () {
  this.timeout(60_000);

  it('writes each record as it is added, before the envelope, and node puts them in their field in order', async () => {
    const stdout = await request({ Count: 3 });
    expect(stdout.startsWith('{"stream":[["records",{"n":0,"name":"record 0"}],["records",{"n":1,')).to.equal(true);
    const out = interpretOutput({ script: 'Write-RecordStream.ps1', stdout, stderr: '', exitCode: null }, Records);
    expect(out.data).to.deep.equal({ count: 3, records: [0, 1, 2].map((n) => ({ n, name: `record ${n}` })) });
  });

  it('keeps every record, in order, across the pieces the stream is written in (64 K characters)', async () => {
    const stdout = await request({ Count: 5000 });
    const out = interpretOutput({ script: 'Write-RecordStream.ps1', stdout, stderr: '', exitCode: null }, Records);
    expect(out.data.records.length).to.equal(5000);
    expect(out.data.records.findIndex((r, i) => r.n !== i || r.name !== `record ${i}`)).to.equal(-1);
  });

  it('writes no stream for a list with no records', async () => {
    const stdout = await request({ Count: 0 });
    expect(stdout.startsWith('{"protocol":')).to.equal(true);
    expect(interpretOutput({ script: 'Write-RecordStream.ps1', stdout, stderr: '', exitCode: null }, Records).data).to.deep.equal({ count: 0, records: [] });
  });

  it("drops a failed step's records and reports its error", async () => {
    const stdout = await request({ Count: 2, Then: 'fail' });
    expect(stdout.startsWith('{"stream":[')).to.equal(true);
    const error = rejection(() => interpretOutput({ script: 'Write-RecordStream.ps1', stdout, stderr: '', exitCode: null }, Records));
    expect(error.code).to.equal('GraphRequestFailed');
  });

  it('refuses a list put in a field that is not its own (JsonListField)', async () => {
    const stdout = await request({ Count: 1, Then: 'misplace' });
    const error = rejection(() => interpretOutput({ script: 'Write-RecordStream.ps1', stdout, stderr: '', exitCode: null }, z.unknown()));
    expect(error.code).to.equal('JsonListField');
  });

  it('keeps the records in the list when the script runs on its own (no request)', async () => {
    const result = await runPowerShell(`Import-Module UpnMatch.Common; $r = & '${fixture}' -Count 2; '{0} {1}' -f $r.records.Items.Count, ($null -eq $r.records.Stream)`);
    expect(result.stdout.trim()).to.equal('2 True');
  });
});
