// Faults, end to end: each against a fresh simulator (DIR/faults.json, the world itself, or the
// environment), through the CLI binary. Every fault must give its documented exit code and a typed
// error code in one line on stderr (no stack trace), be retried when retrying is right (throttling,
// a busy service) and not when it is not (sign-in, permissions, an unreachable forest), and leave
// nothing half-done: a run that stops before writing leaves state.json byte-identical; a run that
// stops after writing says so in its journal and a re-run completes it without duplicates.
//
// Runs go two at a time (each in its own simulator): a run spends much of its time waiting.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parseBatchCsv } from '../../lib/batch/read.js';
import type { SimState } from '../../lib/sim/state.js';
import { adBySam, cloudByUpn, initSim, readState, runCli, stateText, limiter, type CliResult } from './cli.js';

const CONCURRENCY = Math.max(1, Number(process.env.UPN_MATCH_E2E_CONCURRENCY) || 2);
const STACK_LINE = /^\s+at /m;
const SERVER_DOWN =
  'Unable to contact the server. This may be because this server does not exist, it is currently down, or it does not have the Active Directory Web Services running.';

interface Counters {
  commands: Record<string, number>;
  graphRequests: number;
}

function counters(dir: string): Counters {
  const file = path.join(dir, 'counters.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Counters) : { commands: {}, graphRequests: 0 };
}

function calls(dir: string): Array<{ at: string; command: string; route?: string }> {
  const file = path.join(dir, 'calls.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { at: string; command: string; route?: string });
}

function journals(dir: string): Array<{ runId: string; status: string; sync: { state: string }; users: Array<{ cloudUpn: string; state: string }> }> {
  const runs = path.join(dir, 'work', 'runs');
  if (!existsSync(runs)) return [];
  return readdirSync(runs)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(runs, f), 'utf8')));
}

function writeFaults(dir: string, faults: unknown): void {
  writeFileSync(path.join(dir, 'faults.json'), JSON.stringify(faults), 'utf8');
}

function editState(dir: string, edit: (state: SimState) => void): void {
  const state = readState(dir);
  edit(state);
  writeFileSync(path.join(dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`, 'utf8');
}

const batchOf = (dir: string) => parseBatchCsv(readFileSync(path.join(dir, 'users.csv'), 'utf8'));
const applyArgs = (dir: string, ...extra: string[]) => ['apply', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--yes', '--json', ...extra];

/** One line on stderr, no stack trace, no "internal error", the exit code asked for. */
function expectOneLineFailure(result: CliResult, exitCode: number, code: RegExp, what: string): void {
  // Phase and progress lines ("upn-match: Reading the facts ... 0:01", "upn-match: Reading AD users 4/4",
  // "upn-match: Waiting for the running sync cycle 0:02 of 15:00") say what was going on; the failure is one line.
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '' && !/^upn-match: (?!error:).* (\d+:\d\d( of \d+:\d\d)?|[\d,]+\/[\d,]+)$|^upn-match: Reading cloud users [\d,]+$/.test(l));
  expect(result.exitCode, `${what}: exit code\n${result.stderr}`).to.equal(exitCode);
  expect(lines, `${what}: stderr must be one line:\n${result.stderr}`).to.have.length(1);
  expect(lines[0], what).to.match(code);
  expect(result.stderr, `${what}: stack trace`).to.not.match(STACK_LINE);
  expect(result.stderr, `${what}: internal error`).to.not.match(/internal error/i);
  // With --json, stdout carries the error envelope and nothing else; without it, nothing.
  if (result.stdout === '') return;
  const envelope = JSON.parse(result.stdout) as { report?: unknown; error: { code: string; exitCode: number; message: string } };
  expect(envelope.error.exitCode, `${what}: the envelope's exit code`).to.equal(exitCode);
  expect(lines[0], `${what}: the envelope names the code of the error line`).to.include(envelope.error.code);
}

describe('end to end: faults', function () {
  this.timeout(300_000);

  const limit = limiter(CONCURRENCY);
  const started = new Map<string, Promise<unknown>>();
  let survived = 0;

  /** Starts a scenario at once (at most CONCURRENCY at a time); its test awaits the outcome. */
  function scenario<T>(name: string, work: () => Promise<T>): () => Promise<T> {
    const promise = limit(work);
    promise.catch(() => undefined); // reported by its test
    started.set(name, promise);
    return () => promise;
  }

  /** A fresh simulator whose state.json must stay as it is, and the run against it. */
  async function untouched(scenarioName: string, prepare: (dir: string) => void, env: Record<string, string> = {}, extra: string[] = []) {
    const dir = await initSim(scenarioName);
    prepare(dir);
    const before = stateText(dir);
    const result = await runCli(applyArgs(dir, ...extra), { env });
    return { dir, result, unchanged: stateText(dir) === before };
  }

  let hostMissing: () => Promise<{ dir: string; result: CliResult; unchanged: boolean }>;
  let loginFailed: typeof hostMissing;
  let denied: typeof hostMissing;
  let forestDown: typeof hostMissing;
  let adUserDown: typeof hostMissing;
  let syncServerDown: typeof hostMissing;
  let staging: typeof hostMissing;
  let throttled: () => Promise<{ dir: string; result: CliResult; before: SimState }>;
  let cycleRunning: () => Promise<{ dir: string; result: CliResult; endsAt: number }>;
  let cycleTooLong: () => Promise<{ dir: string; first: CliResult; rerun: CliResult; before: SimState }>;
  let exportErrors: () => Promise<{ dir: string; result: CliResult; before: SimState; status: CliResult }>;
  let oneWriteFails: () => Promise<{ dir: string; result: CliResult; before: SimState; afterFirst: SimState; rerun: CliResult }>;

  before(() => {
    hostMissing = scenario('host missing', () => untouched('happy-path', () => undefined, { UPN_MATCH_POWERSHELL: '/nonexistent/upn-match/pwsh' }));
    loginFailed = scenario('login failed', () =>
      untouched('happy-path', (dir) => writeFaults(dir, { fail: [{ command: 'Connect-MgGraph', message: 'AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.' }] })),
    );
    denied = scenario('request denied', () =>
      untouched('happy-path', (dir) =>
        writeFaults(dir, {
          fail: [{ command: 'Invoke-MgGraphRequest', route: 'GET /v1.0/users', status: 403, code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' }],
        }),
      ),
    );
    const serverDown = (command: string) => ({
      fail: [{ command, message: SERVER_DOWN, category: 'ResourceUnavailable', exceptionType: 'Microsoft.ActiveDirectory.Management.ADServerDownException', errorId: 'ActiveDirectoryServer:0' }],
    });
    forestDown = scenario('forest down', () => untouched('happy-path', (dir) => writeFaults(dir, serverDown('Get-ADForest'))));
    adUserDown = scenario('Get-ADUser down', () => untouched('happy-path', (dir) => writeFaults(dir, serverDown('Get-ADUser'))));
    syncServerDown = scenario('sync server down', () =>
      untouched('happy-path', (dir) => writeFaults(dir, { fail: [{ command: 'Get-ADSyncScheduler', message: 'The RPC server is unavailable.', category: 'ResourceUnavailable' }] })),
    );
    staging = scenario('staging mode', () => untouched('staging-mode', () => undefined));
    throttled = scenario('429 storm', async () => {
      const dir = await initSim('happy-path');
      // Every fourth Graph request is throttled, and the first user search is also answered 503.
      writeFaults(dir, {
        graph429Every: 4,
        retryAfterSeconds: 1,
        fail: [{ command: 'Invoke-MgGraphRequest', route: 'GET /v1.0/users', nth: 1, status: 503, code: 'serviceNotAvailable', message: 'The service is temporarily unavailable.' }],
      });
      const before = readState(dir);
      const result = await runCli(applyArgs(dir, '--verify-timeout', '60'));
      return { dir, result, before };
    });
    cycleRunning = scenario('cycle running', async () => {
      const dir = await initSim('cycle-running');
      const endsAt = Date.now() + 4000;
      editState(dir, (state) => {
        state.sync.cycle!.endsAt = new Date(endsAt).toISOString();
      });
      const result = await runCli(applyArgs(dir));
      return { dir, result, endsAt };
    });
    cycleTooLong = scenario('cycle outlasts --sync-wait', async () => {
      const dir = await initSim('cycle-running');
      const before = readState(dir);
      // The cycle runs on until the first run has given up: how long that run takes to reach its sync
      // (slow on a loaded machine) must not decide the test.
      const endIn = (ms: number) =>
        editState(dir, (state) => {
          state.sync.cycle!.endsAt = new Date(Date.now() + ms).toISOString();
        });
      endIn(600_000);
      const first = await runCli(applyArgs(dir, '--sync-wait', '1'));
      endIn(3_000);
      // The same batch again, willing to wait: it plans anew and finishes it.
      const rerun = await runCli(applyArgs(dir, '--sync-wait', '60'));
      return { dir, first, rerun, before };
    });
    exportErrors = scenario('export errors', async () => {
      const dir = await initSim('happy-path');
      writeFaults(dir, { syncExportError: 'AttributeValueMustBeUnique' });
      const before = readState(dir);
      const result = await runCli(applyArgs(dir, '--verify-timeout', '5'));
      const status = await runCli(['status', '--sim', dir, '--json']);
      return { dir, result, before, status };
    });
    oneWriteFails = scenario('one Set-ADUser fails', async () => {
      const dir = await initSim('happy-path');
      writeFaults(dir, {
        fail: [{ command: 'Set-ADUser', nth: 1, message: 'Insufficient access rights to perform the operation', category: 'PermissionDenied', exceptionType: 'System.UnauthorizedAccessException' }],
      });
      const before = readState(dir);
      const result = await runCli(applyArgs(dir));
      const afterFirst = readState(dir);
      // The fault fired once (counted across processes): the same batch again completes it.
      const rerun = await runCli(applyArgs(dir));
      return { dir, result, before, afterFirst, rerun };
    });
  });

  after(() => {
    console.log(`      faults survived: ${survived} of ${started.size}`);
  });

  it('PowerShell host missing (UPN_MATCH_POWERSHELL points nowhere): exit 6, one line, nothing run or written', async () => {
    const { dir, result, unchanged } = await hostMissing();
    expectOneLineFailure(result, 6, /UPN_MATCH_POWERSHELL does not exist: \/nonexistent\/upn-match\/pwsh/, 'host missing');
    expect(unchanged).to.equal(true);
    expect(calls(dir)).to.have.length(0);
    expect(journals(dir)).to.have.length(0);
    survived++;
  });

  it('Graph sign-in fails: GraphLoginFailed, exit 6, tried once (no retry of a sign-in), nothing written', async () => {
    const { dir, result, unchanged } = await loginFailed();
    expectOneLineFailure(result, 6, /^upn-match: error: GraphLoginFailed: Graph sign-in failed: AADSTS700027/, 'login failed');
    expect(unchanged).to.equal(true);
    expect(counters(dir).commands['Connect-MgGraph']).to.equal(1);
    expect(counters(dir).commands['Set-ADUser'] ?? 0).to.equal(0);
    expect(journals(dir)).to.have.length(0);
    survived++;
  });

  it('Authorization_RequestDenied (403) on GET /users: exit 6, not retried, nothing written', async () => {
    const { dir, result, unchanged } = await denied();
    // The typed code names the refusal, the route and Graph's own error code.
    expectOneLineFailure(result, 6, /^upn-match: error: GraphAccessDenied: Graph refused GET \/users \(HTTP 403, Authorization_RequestDenied\)/, '403');
    expect(unchanged).to.equal(true);
    expect(counters(dir).commands['Invoke-MgGraphRequest GET /v1.0/users'], 'a 403 is not retried').to.equal(1);
    expect(journals(dir)).to.have.length(0);
    survived++;
  });

  it('a 429 storm (every fourth Graph request) and a 503: retried after Retry-After, exit 0, every user matched once', async () => {
    const { dir, result, before } = await throttled();
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(result.json.summary).to.include({ total: 4, matched: 4, failed: 0 });
    const seen = counters(dir);
    expect(Math.floor(seen.graphRequests / 4), 'throttled Graph requests').to.be.at.least(3);
    expect(seen.commands['Invoke-MgGraphRequest GET /v1.0/users'], 'the 503 was retried').to.be.at.least(2);
    const after = readState(dir);
    expect(after.tenant.users.length).to.equal(before.tenant.users.length);
    expect(after.forest.users.length).to.equal(before.forest.users.length + 2);
    for (const row of batchOf(dir)) {
      expect(adBySam(after, row.samAccountName!), row.cloudUpn).to.have.length(1);
      expect(cloudByUpn(after, row.cloudUpn)?.onPremisesImmutableId, row.cloudUpn).to.be.a('string');
    }
    survived++;
  });

  it('AD unreachable (Get-ADForest): exit 6, one line, nothing else called or written', async () => {
    const { dir, result, unchanged } = await forestDown();
    expectOneLineFailure(result, 6, /^upn-match: error: PS\.ResourceUnavailable: Unable to contact the server/, 'Get-ADForest');
    expect(unchanged).to.equal(true);
    // Only the Entra Connect server was read before (its anchor attribute says which anchor AD accounts sync with).
    expect(Object.keys(counters(dir).commands).filter((c) => !c.startsWith('Get-ADSync'))).to.deep.equal(['Get-ADForest']);
    expect(counters(dir).graphRequests).to.equal(0);
    expect(journals(dir)).to.have.length(0);
    survived++;
  });

  it('AD unreachable (Get-ADUser): exit 6, one line, no Graph call, nothing written', async () => {
    const { dir, result, unchanged } = await adUserDown();
    expectOneLineFailure(result, 6, /^upn-match: error: PS\.ResourceUnavailable: Unable to contact the server/, 'Get-ADUser');
    expect(unchanged).to.equal(true);
    expect(counters(dir).commands['Get-ADUser']).to.equal(1);
    expect(counters(dir).graphRequests).to.equal(0);
    expect(journals(dir)).to.have.length(0);
    survived++;
  });

  it('Entra Connect server unreachable while planning: exit 6, one line, nothing written', async () => {
    // README lists a SyncServerUnknown warning ("the run goes on unchecked"); the collector does not
    // catch this failure, so the whole run stops instead (the safer way): see docs/hardening.md.
    const { dir, result, unchanged } = await syncServerDown();
    expectOneLineFailure(result, 6, /^upn-match: error: PS\.ResourceUnavailable: The RPC server is unavailable/, 'Get-ADSyncScheduler');
    expect(unchanged).to.equal(true);
    expect(counters(dir).commands['Set-ADUser'] ?? 0).to.equal(0);
    expect(counters(dir).commands['New-ADUser'] ?? 0).to.equal(0);
    survived++;
  });

  it('a sync cycle already running: waited for (not interrupted), then one delta cycle, exit 0', async () => {
    const { dir, result, endsAt } = await cycleRunning();
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(result.json.summary.matched).to.equal(1);
    const log = calls(dir);
    const starts = log.filter((c) => c.command === 'Start-ADSyncSyncCycle');
    expect(starts, 'one delta cycle started by the run').to.have.length(1);
    expect(Date.parse(starts[0]!.at), 'started only after the running cycle ended').to.be.at.least(endsAt);
    expect(log.filter((c) => c.command === 'Get-ADSyncScheduler').length, 'polled while waiting').to.be.at.least(3);
    survived++;
  });

  it('a running cycle that outlasts --sync-wait: SyncCycleBusy, exit 1; the re-run matches without a second write', async () => {
    const { dir, first, rerun, before } = await cycleTooLong();
    expect(first.exitCode, first.stderr).to.equal(1);
    const user = first.json.users[0];
    expect(user.outcome).to.equal('failed');
    expect(user.findings.map((f: { code: string }) => f.code)).to.include('SyncCycleBusy');
    // The failed run is finished (its user failed); the re-run plans anew, finds the account
    // already carrying the UPN (no second write), runs the sync and verifies.
    expect(rerun.exitCode, rerun.stderr).to.equal(0);
    expect(rerun.json.summary.matched).to.equal(1);
    const after = readState(dir);
    expect(after.forest.users.length).to.equal(before.forest.users.length);
    expect(after.tenant.users.length).to.equal(before.tenant.users.length);
    expect(calls(dir).filter((c) => c.command === 'Set-ADUser'), 'the UPN written once').to.have.length(1);
    survived++;
  });

  it('staging mode: StagingMode blocks every user, exit 3, no write and no sync started', async () => {
    const { dir, result, unchanged } = await staging();
    expect(result.exitCode, result.stderr).to.equal(3);
    for (const u of result.json.users) {
      expect(u.outcome).to.equal('blocked');
      expect(u.findings.map((f: { code: string }) => f.code)).to.include('StagingMode');
    }
    expect(unchanged).to.equal(true);
    expect(counters(dir).commands['Start-ADSyncSyncCycle'] ?? 0).to.equal(0);
    survived++;
  });

  it('sync export errors: each user failed with the service\'s export error (not a VerifyTimeout), exit 1; AD written once, nothing provisioned, the journal says so', async () => {
    const { dir, result, before, status } = await exportErrors();
    expect(result.exitCode, result.stderr).to.equal(1);
    for (const u of result.json.users) {
      expect(u.outcome, u.cloudUpn).to.equal('failed');
      const codes = u.findings.map((f: { code: string }) => f.code);
      expect(codes, u.cloudUpn).to.include('SyncExportError');
      expect(codes, u.cloudUpn).to.not.include('VerifyTimeout');
      const finding = u.findings.find((f: { code: string }) => f.code === 'SyncExportError');
      expect(finding.message, u.cloudUpn).to.include('AttributeValueMustBeUnique').and.to.include(u.cloudUpn);
      // The remedy names this run, ready to paste: no placeholder left in it.
      expect(finding.hint).to.include(`upn-match verify --run ${result.json.runId}`).and.not.to.include('<run id>');
    }
    const after = readState(dir);
    expect((after.sync.lastRun as { result?: string } | null)?.result).to.equal('completed-export-errors');
    // No cloud user was joined or provisioned; each AD account carries the UPN exactly once.
    expect(after.tenant.users.length).to.equal(before.tenant.users.length);
    expect(after.forest.users.length).to.equal(before.forest.users.length + 2);
    for (const row of batchOf(dir)) {
      expect(cloudByUpn(after, row.cloudUpn)?.onPremisesImmutableId ?? null, row.cloudUpn).to.equal(null);
      expect(after.forest.users.filter((u) => u.UserPrincipalName === row.cloudUpn), row.cloudUpn).to.have.length(1);
    }
    expect(status.json).to.have.length(1);
    expect(status.json[0].status).to.equal('done');
    expect(status.json[0].users.map((u: { state: string }) => u.state)).to.deep.equal(['failed', 'failed', 'failed', 'failed']);
    survived++;
  });

  it('Set-ADUser fails for one user only: that user failed (exit 1), the others matched; the re-run completes it', async () => {
    const { dir, result, before, afterFirst, rerun } = await oneWriteFails();
    expect(result.exitCode, result.stderr).to.equal(1);
    expect(result.json.summary).to.include({ total: 4, matched: 3, failed: 1 });
    const failed = result.json.users.find((u: { outcome: string }) => u.outcome === 'failed');
    expect(failed.findings.map((f: { code: string }) => f.code)).to.include('PS.PermissionDenied');
    const row = batchOf(dir).find((r) => r.cloudUpn === failed.cloudUpn)!;
    // Nothing half-done for the failed user: its AD account and its cloud user are as they were.
    expect(adBySam(afterFirst, row.samAccountName!)).to.deep.equal(adBySam(before, row.samAccountName!));
    expect(cloudByUpn(afterFirst, row.cloudUpn)).to.deep.equal(cloudByUpn(before, row.cloudUpn));
    expect(rerun.exitCode, rerun.stderr).to.equal(0);
    expect(rerun.json.summary.matched).to.equal(4);
    const after = readState(dir);
    expect(after.forest.users.length).to.equal(before.forest.users.length + 2);
    expect(after.tenant.users.length).to.equal(before.tenant.users.length);
    for (const r of batchOf(dir)) expect(adBySam(after, r.samAccountName!), r.cloudUpn).to.have.length(1);
    survived++;
  });

  it('a step past its time limit: not reachable end to end (no knob for step time limits)', function () {
    // Step time limits are fixed in lib/steps/registry.ts (the shortest on the apply path is
    // 120 s) and neither the CLI, the config nor the environment can lower them, so a hung
    // script cannot be tested here in reasonable time. The bridge's timeout (the process tree is
    // killed, BridgeError reason 'timeout') is covered by test/bridge/runners.test.ts; the bounded
    // wait for a running cycle (--sync-wait) is covered above.
    this.skip(); // reason: step time limits are fixed (>= 120 s); the bridge timeout is tested in test/bridge/runners.test.ts
  });
});
