// Progress from a running script (Write-UpnMatchProgress) reaches the caller while the call runs, through both
// runners; a call that asks for none leaves no file behind, and its result is the same.
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { z } from 'zod';
import { ProcessRunner, SessionRunner, type PowerShellRunner, type ProgressEvent } from '../../lib/bridge/index.js';
import { projectRoot } from '../../lib/paths.js';
import { resolveTestHost } from '../helpers/host.js';

const script = path.join(projectRoot, 'test', 'fixtures', 'ps', 'Write-Progress.ps1');
const output = z.object({ counted: z.number() });
const progressFiles = () => readdirSync(os.tmpdir()).filter((f) => f.startsWith('upn-match-progress-')).flatMap((d) => readdirSync(path.join(os.tmpdir(), d)).filter((f) => f.startsWith(`${process.pid}-`)));

for (const kind of ['session', 'process'] as const) {
  describe(`bridge (${kind}): progress while a script runs`, function () {
    this.timeout(120_000);
    let runner: PowerShellRunner;
    before(async () => {
      const host = { path: await resolveTestHost(), source: 'env' as const };
      runner = kind === 'session' ? new SessionRunner({ host }) : new ProcessRunner({ host });
    });
    after(() => runner.close());

    it('hands each event to onProgress before the call ends, in order, and removes the file', async () => {
      const events: { event: ProgressEvent; beforeEnd: boolean }[] = [];
      let ended = false;
      const result = await runner
        .run({ script, input: { Total: 6, PauseMilliseconds: 300 }, output, onProgress: (event) => events.push({ event, beforeEnd: !ended }) })
        .finally(() => (ended = true));
      expect(result.data.counted).to.equal(6);
      const counting = events.filter((e) => e.event.activity === 'Counting items').map((e) => e.event);
      // Throttled to one line per 250 ms, with the first and the last always written.
      expect(counting[0]).to.deep.equal({ activity: 'Counting items', done: 0, total: 6, unit: 'count' });
      expect(counting.at(-1)).to.deep.equal({ activity: 'Counting items', done: 6, total: 6, unit: 'count' });
      expect(counting.length).to.be.at.least(3);
      expect(counting.map((e) => e.done)).to.deep.equal([...counting.map((e) => e.done)].sort((a, b) => a - b));
      // Read while the call ran, not only at its end.
      expect(events.filter((e) => e.beforeEnd && e.event.done < 6).length).to.be.at.least(1);
      expect(events.at(-1)?.event).to.deep.equal({ activity: 'Waiting', done: 3, total: null, unit: 'seconds' });
      expect(progressFiles()).to.deep.equal([]);
    });

    // One runner is enough: the request carries no file name, whichever runner sends it (a process costs seconds).
    if (kind === 'session') it('without onProgress the script reports nothing and returns the same', async () => {
      const result = await runner.run({ script, input: { Total: 2, PauseMilliseconds: 0 }, output });
      expect(result.data.counted).to.equal(2);
      expect(progressFiles()).to.deep.equal([]);
    });
  });
}
