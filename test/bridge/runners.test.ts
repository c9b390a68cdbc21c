// The bridge under real PowerShell: every behaviour below runs through both runners (one process
// per call, and the long-lived session) with the small fixture scripts in test/fixtures/ps.
// These tests need PowerShell and are never skipped: without a host, resolveTestHost throws.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { z } from 'zod';
import { BridgeError, ProcessRunner, SessionRunner, livePids, type HostCandidate, type PowerShellRunner, type ScriptCall, type ScriptOutput } from '../../lib/bridge/index.js';
import { projectRoot } from '../../lib/paths.js';
import { resolveTestHost } from '../helpers/host.js';

const fixture = (name: string) => path.join(projectRoot, 'test', 'fixtures', 'ps', `${name}.ps1`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const EchoOutput = z.object({
  text: z.string().nullable(),
  textLength: z.number().nullable(),
  items: z.array(z.string()).nullable(),
  itemLengths: z.array(z.number()).nullable(),
  map: z.record(z.string(), z.string()).nullable(),
});

async function rejection(promise: Promise<unknown>): Promise<BridgeError> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(BridgeError);
    return error as BridgeError;
  }
  expect.fail('expected the call to fail with a BridgeError');
}

/** Is the process still there (a zombie counts as gone)? */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * The processes below pid (Linux). A pwsh installed as a .NET tool (.tools/pwsh) is a shim whose
 * child is the real PowerShell: killing only the shim would leave PowerShell running.
 */
function descendants(pid: number): number[] {
  if (process.platform !== 'linux' || !existsSync('/proc/self/stat')) return [];
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Ended meanwhile.
    }
  }
  const found: number[] = [];
  const pending = [pid];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const [child, ppid] of parent) {
      if (ppid === next && !found.includes(child)) {
        found.push(child);
        pending.push(child);
      }
    }
  }
  return found;
}

async function expectAllGone(pids: number[]): Promise<void> {
  const deadline = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < deadline) await sleep(50);
  expect(pids.filter(alive), `still running: ${pids.join(', ')}`).to.deep.equal([]);
}

interface Kind {
  name: 'ProcessRunner' | 'SessionRunner';
  make: (host: HostCandidate) => PowerShellRunner;
}

const kinds: Kind[] = [
  { name: 'ProcessRunner', make: (host) => new ProcessRunner({ host }) },
  { name: 'SessionRunner', make: (host) => new SessionRunner({ host }) },
];

for (const kind of kinds) {
  describe(`bridge: ${kind.name} under real PowerShell`, function () {
    this.timeout(60_000);
    let runner: PowerShellRunner;
    let baseline: Set<number>;

    const run = <T>(name: string, input: Record<string, unknown>, output: z.ZodType<T>, extra: Partial<ScriptCall<T>> = {}): Promise<ScriptOutput<T>> =>
      runner.run({ script: fixture(name), input, output, ...extra });
    const echo = (input: Record<string, unknown>) => run('Invoke-Echo', input, EchoOutput);
    const started = () => (runner instanceof SessionRunner ? runner.started : 0);

    /** The PowerShell processes this runner has now (tracked ones and what they started). */
    const ours = () => {
      const tracked = livePids().filter((pid) => !baseline.has(pid));
      return [...tracked, ...tracked.flatMap(descendants)];
    };

    /** Starts a call that hangs, and returns its outcome plus the processes that ran it. */
    async function hangAndStop(extra: Partial<ScriptCall<unknown>>): Promise<{ error: BridgeError; pids: number[]; ms: number }> {
      const start = Date.now();
      const call = rejection(run('Start-Hang', { Seconds: 600 }, z.unknown(), extra));
      await sleep(1000); // PowerShell is running Start-Sleep by now (the session is warm, a process starts in ~0.5 s)
      const pids = ours();
      const error = await call;
      return { error, pids, ms: Date.now() - start };
    }

    before(async function () {
      baseline = new Set(livePids());
      runner = kind.make({ path: await resolveTestHost(), source: 'env' });
    });

    after(async function () {
      if (!runner) return;
      await runner.close();
      expect(livePids().filter((pid) => !baseline.has(pid)), 'processes left after close()').to.deep.equal([]);
    });

    it('starts PowerShell with a GC that gives memory back', async () => {
      const result = await run('Get-GcSetting', {}, z.object({ variable: z.string().nullable(), effective: z.number().nullable() }));
      // The test run's own environment does not set it: the bridge does.
      expect(process.env.DOTNET_GCConserveMemory).to.equal(undefined);
      expect(result.data).to.deep.equal({ variable: '9', effective: 9 });
    });

    it('runs the echo script and returns its data, host and duration', async () => {
      const result = await echo({ Text: 'hello', Items: ['a', 'b'], Map: { key: 'value' } });
      expect(result.data).to.deep.equal({ text: 'hello', textLength: 5, items: ['a', 'b'], itemLengths: [1, 1], map: { key: 'value' } });
      expect(result.warnings).to.deep.equal([]);
      expect(result.host.edition).to.equal('Core');
      expect(result.host.version).to.match(/^7\./);
      expect(result.durationMs).to.be.a('number').and.at.least(0);
    });

    it('refuses a stray Write-Output (two objects) as protocol-error ExtraOutput, still as one envelope', async () => {
      const error = await rejection(run('Write-StrayOutput', {}, z.unknown()));
      // ExtraOutput comes from inside the envelope: had stdout held anything else, it would be NotOneEnvelope.
      expect(error.reason).to.equal('protocol-error');
      expect(error.code).to.equal('ExtraOutput');
      expect(error.message).to.contain('2 objects');
    });

    it('reports a throw as script-error with its message and the stderr tail', async () => {
      const error = await rejection(run('Invoke-Throw', { Message: 'the disk is on fire' }, z.unknown()));
      expect(error.reason).to.equal('script-error');
      expect(error.message).to.equal('the disk is on fire');
      expect(error.code).to.match(/^PS\./);
      expect(error.stderrTail).to.contain('the disk is on fire');
      expect(error.exitCode).to.equal(kind.name === 'ProcessRunner' ? 1 : null);
    });

    it('reports Stop-UpnMatch -Category precondition as precondition-unmet with its code and target', async () => {
      const error = await rejection(run('Stop-Precondition', { Code: 'TenantNotSynced', Target: 'contoso.com' }, z.unknown()));
      expect(error.reason).to.equal('precondition-unmet');
      expect(error.code).to.equal('TenantNotSynced');
      expect(error.target).to.equal('contoso.com');
      expect(error.message).to.equal('precondition TenantNotSynced is not met');
    });

    it('reports `exit 3` inside the script as protocol-error ScriptExit', async () => {
      const error = await rejection(run('Exit-Script', { Mode: 'script', Code: 3 }, z.unknown()));
      expect(error.reason).to.equal('protocol-error');
      expect(error.code).to.equal('ScriptExit');
      expect(error.message).to.contain('exit 3');
    });

    it('reports [Environment]::Exit(3) (no envelope at all), and the next call still works', async () => {
      if (kind.name === 'SessionRunner') await echo({ Text: 'warm' });
      const startedBefore = started();
      const pidsBefore = ours();
      const error = await rejection(run('Exit-Script', { Mode: 'process', Code: 3 }, z.unknown()));
      expect(error.reason).to.equal('protocol-error');
      if (kind.name === 'ProcessRunner') {
        expect(error.code).to.equal('NoEnvelope');
        expect(error.exitCode).to.equal(3);
      } else {
        expect(error.code).to.equal('SessionEnded');
        await expectAllGone(pidsBefore);
      }
      const next = await echo({ Text: 'still here' });
      expect(next.data.text).to.equal('still here');
      if (kind.name === 'SessionRunner') expect(started()).to.equal(startedBefore + 1);
    });

    it('stops a hanging script at its timeout, kills its PowerShell, and the next call still works', async () => {
      if (kind.name === 'SessionRunner') await echo({ Text: 'warm' });
      const { error, pids, ms } = await hangAndStop({ timeoutMs: 1500 });
      expect(error.reason).to.equal('timeout');
      expect(error.timedOut).to.equal(true);
      expect(error.code).to.equal('Timeout');
      expect(ms).to.be.at.least(1400).and.below(10_000);
      expect(pids, 'no PowerShell process was seen during the call').not.to.be.empty;
      await expectAllGone(pids);
      for (const pid of pids) expect(livePids()).not.to.include(pid);
      const next = await echo({ Text: 'after timeout' });
      expect(next.data.text).to.equal('after timeout');
    });

    it('cancels a call on AbortSignal, kills its PowerShell, and the next call still works', async () => {
      if (kind.name === 'SessionRunner') await echo({ Text: 'warm' });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 1200);
      const { error, pids } = await hangAndStop({ signal: controller.signal, timeoutMs: 30_000 });
      expect(error.reason).to.equal('cancelled');
      expect(error.isCanceled).to.equal(true);
      expect(pids).not.to.be.empty;
      await expectAllGone(pids);
      const next = await echo({ Text: 'after cancel' });
      expect(next.data.text).to.equal('after cancel');
    });

    it('refuses an already aborted signal without starting anything', async () => {
      const controller = new AbortController();
      controller.abort();
      const startedBefore = started();
      const error = await rejection(run('Start-Hang', {}, z.unknown(), { signal: controller.signal }));
      expect(error.reason).to.equal('cancelled');
      expect(started()).to.equal(startedBefore);
    });

    it('returns 5 MB of output intact', async () => {
      // Multi-byte characters everywhere, so that pipe chunks split some of them.
      const filler = 'abcdefghij'.repeat(8) + 'ü-ß-张伟-😀-Ø';
      const count = 50_000;
      const result = await run('Get-LargeOutput', { Count: count, Filler: filler }, z.array(z.string()));
      const expected = Array.from({ length: count }, (_, i) => `${String(i).padStart(7, '0')}:${filler}`);
      expect(Buffer.byteLength(JSON.stringify(result.data))).to.be.greaterThan(5 * 1024 * 1024);
      expect(result.data.length).to.equal(count);
      const wrong = result.data.findIndex((row, i) => row !== expected[i]);
      expect(wrong, `row ${wrong} differs: ${JSON.stringify(result.data[wrong])}`).to.equal(-1);
    });

    it('round-trips names exactly: Müller, Østergård, 张伟, emoji, a lone combining character', async () => {
      const names = ['Müller', 'Mu\u0308ller', 'Østergård', '张伟', '😀', '👩‍💻 Dev', '\u0301', 'e\u0301\u0301', '𝔘𝔭𝔫'];
      const result = await echo({ Items: names, Map: Object.fromEntries(names.map((n, i) => [`k${i}`, n])) });
      expect(result.data.items).to.deep.equal(names);
      // PowerShell saw the same UTF-16 strings, not merely something that converts back.
      expect(result.data.itemLengths).to.deep.equal(names.map((name) => name.length));
      names.forEach((name, i) => {
        const back = result.data.items?.[i] ?? '';
        expect(Buffer.from(back, 'utf8').equals(Buffer.from(name, 'utf8')), `bytes of ${JSON.stringify(name)}`).to.equal(true);
        expect(result.data.map?.[`k${i}`]).to.equal(name);
      });
      for (const name of ['Østergård', '\u0301']) {
        const one = await echo({ Text: name });
        expect(one.data.text).to.equal(name);
        expect(Buffer.from(one.data.text ?? '', 'utf8').toString('hex')).to.equal(Buffer.from(name, 'utf8').toString('hex'));
        expect(one.data.textLength).to.equal(name.length);
      }
    });

    describe('streams', () => {
      let result: ScriptOutput<{ changed: boolean; whatIf: boolean }>;
      before(async () => {
        result = await run('Write-Streams', { Marker: 'zq7', WhatIf: true }, z.object({ changed: z.boolean(), whatIf: z.boolean() }));
      });

      it('keeps Write-Host, Write-Verbose, Write-Information, Out-Host, [Console]::WriteLine and What-if out of stdout', () => {
        // The envelope parsed, so stdout held nothing else; the texts went to stderr instead.
        expect(result.data).to.deep.equal({ changed: false, whatIf: true });
        expect(result.stderr).to.contain('zq7-host');
        expect(result.stderr).to.contain('VERBOSE: zq7-verbose');
        expect(result.stderr).to.contain('zq7-information');
        expect(result.stderr).to.contain('zq7-out-host');
        expect(result.stderr).to.contain('zq7-console');
        expect(result.stderr).to.match(/What if: .*zq7-target/);
      });

      it('returns warnings in `warnings`, in order', () => {
        expect(result.warnings).to.deep.equal(['zq7-warning-1', 'zq7-warning-2']);
      });
    });

    describe('shapes', () => {
      let data: Record<string, unknown>;
      before(async () => {
        data = (await run('Get-Shapes', {}, z.record(z.string(), z.unknown()))).data;
      });

      it('returns dates as ISO 8601 UTC strings', () => {
        expect(data.utc).to.equal('2024-01-02T03:04:05.678Z');
        expect(data.offset).to.equal('2024-01-02T01:04:05.000Z');
      });

      it('keeps a single-item array an array (strings, objects, lists, nested)', () => {
        expect(data.single).to.deep.equal(['only']);
        expect(data.singleObject).to.deep.equal([{ name: 'one' }]);
        expect(data.singleList).to.deep.equal(['listed']);
        expect(data.nested).to.deep.equal([['inner']]);
        expect(data.empty).to.deep.equal([]);
      });

      it('writes a list of records converted as they were added (New-UpnMatchJsonList) as an array, of any length', () => {
        expect(data.noRecords).to.deep.equal([]);
        expect(data.oneRecord).to.deep.equal([{ name: 'one', tags: ['only'] }]);
        expect(data.twoRecords).to.deep.equal([
          { at: '2024-01-02T03:04:05.000Z', tags: [] },
          { name: 'two', tags: ['a', 'b'] },
        ]);
      });

      it('returns GUIDs as strings, and numbers, booleans and null as themselves', () => {
        expect(data.guid).to.equal('6f0a8d2e-5a43-4c8e-9d3b-2b7c1f0e4a11');
        expect(data.number).to.equal(42);
        expect(data.flag).to.equal(true);
        expect(data).to.have.property('nothing', null);
      });
    });

    describe('input refused by parameter binding', () => {
      const binding = (input: Record<string, unknown>) => rejection(run('Test-Binding', input, z.unknown()));

      it('accepts input that binds', async () => {
        const result = await run('Test-Binding', { Name: 'abc-1', Count: 2 }, z.object({ name: z.string(), count: z.number() }));
        expect(result.data).to.deep.equal({ name: 'abc-1', count: 2 });
      });

      it('refuses an unknown parameter as input-invalid', async () => {
        const error = await binding({ Name: 'abc', Bogus: 1 });
        expect(error.reason).to.equal('input-invalid');
        expect(error.message).to.contain('Bogus');
      });

      it('refuses a value failing ValidatePattern as input-invalid', async () => {
        const error = await binding({ Name: 'not valid!' });
        expect(error.reason).to.equal('input-invalid');
        expect(error.message).to.contain('Name');
      });

      it('refuses a missing mandatory parameter as input-invalid (no prompt, no hang)', async () => {
        const error = await binding({});
        expect(error.reason).to.equal('input-invalid');
        expect(error.message).to.contain('Name');
      });

      it('refuses a value of the wrong type as input-invalid', async () => {
        const error = await binding({ Name: 'abc', Count: 'many' });
        expect(error.reason).to.equal('input-invalid');
        expect(error.message).to.contain('Count');
      });
    });

    it('refuses input failing inputSchema as input-invalid without starting any process', async () => {
      // A host that does not exist: had the runner tried to start it, this would be host-missing.
      const unstartable = kind.make({ path: path.join(projectRoot, 'no-such-dir', 'pwsh'), source: 'config' });
      try {
        const inputSchema = z.object({ Text: z.string().min(1) });
        const error = await rejection(unstartable.run({ script: fixture('Invoke-Echo'), input: { Text: '' }, inputSchema, output: EchoOutput }));
        expect(error.reason).to.equal('input-invalid');
        expect(error.message).to.contain('Text');
        if (unstartable instanceof SessionRunner) expect(unstartable.started).to.equal(0);
        // The same runner does try to start PowerShell for valid input, and says the host is missing.
        const missing = await rejection(unstartable.run({ script: fixture('Invoke-Echo'), input: { Text: 'x' }, inputSchema, output: EchoOutput }));
        expect(missing.reason).to.equal('host-missing');
      } finally {
        await unstartable.close();
      }
      // And through the real runner: refused before PowerShell sees it.
      const startedBefore = started();
      const error = await rejection(run('Invoke-Echo', { Text: 42 }, EchoOutput, { inputSchema: z.object({ Text: z.string() }) }));
      expect(error.reason).to.equal('input-invalid');
      expect(error.code).to.equal('InputInvalid');
      expect(started()).to.equal(startedBefore);
    });

    it('refuses data failing the output schema as output-invalid', async () => {
      const error = await rejection(run('Invoke-Echo', { Text: 'x' }, z.object({ text: z.number() })));
      expect(error.reason).to.equal('output-invalid');
      expect(error.message).to.contain('text');
    });
  });
}
