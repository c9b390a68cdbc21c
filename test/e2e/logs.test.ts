// Logs an admin and a SIEM can use: every line of a run carries its id; the run logs its command line, each
// user's outcome with its code, and its exit code; the events (start, one per failed user, end with summary and
// exit code) go to the log file where there is no Windows event log, as here.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { EVENT_ID } from '../../lib/event-log.js';
import { initSim, runCli } from './cli.js';

interface Line {
  level: string;
  message: string;
  runId?: string | null;
  invocation?: string;
  event?: number;
  eventSource?: string;
  code?: string | null;
  exitCode?: number;
  user?: string;
}

describe('end to end: logs and events', function () {
  this.timeout(300_000);

  it('a run whose exports fail: run id on every line from the plan on, command line, outcomes with codes, events, exit code', async () => {
    const dir = await initSim('happy-path');
    writeFileSync(path.join(dir, 'faults.json'), JSON.stringify({ syncExportError: 'AttributeValueMustBeUnique' }));
    const result = await runCli(['apply', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--yes', '--json', '--verify-timeout', '5']);
    expect(result.exitCode, result.stderr).to.equal(1);
    const runId = result.json.runId as string;
    const lines = readFileSync(path.join(dir, 'work', 'logs', 'upn-match.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);

    const invocations = new Set(lines.map((l) => l.invocation));
    expect(invocations.size, 'one invocation').to.equal(1);
    expect([...invocations][0]).to.be.a('string');
    const firstStep = lines.findIndex((l) => l.message.startsWith('step '));
    expect(firstStep).to.be.greaterThan(-1);
    for (const line of lines.slice(firstStep)) expect(line.runId, line.message).to.equal(runId);

    const events = lines.filter((l) => l.event !== undefined);
    expect(events.every((e) => e.eventSource === 'upn-match')).to.equal(true);
    const started = events.filter((e) => e.event === EVENT_ID.runStarted);
    expect(started).to.have.length(1);
    expect(started[0]?.message).to.match(/^started: upn-match apply --sim .* --csv .*users\.csv --yes --json --verify-timeout 5$/);

    const failed = events.filter((e) => e.event === EVENT_ID.userFailed);
    expect(failed.map((e) => e.user).sort()).to.deep.equal(result.json.users.map((u: { cloudUpn: string }) => u.cloudUpn).sort());
    for (const e of failed) expect(e).to.include({ level: 'error', code: 'SyncExportError' });

    const outcomes = lines.filter((l) => /^user .*: failed \(SyncExportError\)$/.test(l.message));
    expect(outcomes).to.have.length(4);

    const ended = events.filter((e) => e.event === EVENT_ID.runEnded);
    expect(ended).to.have.length(1);
    expect(ended[0]).to.include({ exitCode: 1, runId });
    expect(ended[0]?.message).to.match(/^ended with exit code 1: 4 total, 0 matched/);
    expect(lines.at(-1)?.event, 'the end event is the last line').to.equal(EVENT_ID.runEnded);
  });
});
