#!/usr/bin/env node
// npm run bench -- --users N [--tenant-users T] [--json] [--skip-naive] [--plan-only | --discover]
//
// Measures upn-match ("ours": the built CLI, one batch) against the way admins usually script it
// ("naive": scripts/bench/naive-per-user.ps1, one new PowerShell process per user) on two identical
// simulator worlds (same seed) with the same injected latency. Every count comes from the
// simulator's call log (DIR/calls.jsonl) and state file, not from what either side says; memory
// from /proc (Linux). See docs/performance.md.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { currentEnvironment, resolveHostSync } from '../dist/lib/bridge/hosts.js';
import { scoreDiscover } from '../dist/lib/sim/score.js';
import { countCalls, gapsByKind, matchedInState, naivePhases, oursPhases, readCalls, syncRunNumber } from './bench/call-log.mjs';
import { ProcessTreeMonitor } from './bench/proc-monitor.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin', 'upn-match.js');
const simModules = path.join(root, 'ps', 'sim', 'Modules');
const benchPs = path.join(root, 'scripts', 'bench');

const USAGE = `usage: npm run bench -- --users N[,N2,...] [options]

  --users N            batch size (a comma list runs each size in turn, smallest first)
  --tenant-users T     cloud users in the tenant (default N; the rest are already synced)
  --tenant-factor F    T = F x N (for a series; ignored when --tenant-users is given)
  --seed S             world seed (default 1); both sides get the same world
  --plan-only          measure \`upn-match plan\` instead of apply (implies --skip-naive)
  --discover           measure \`upn-match discover --out\` instead (implies --skip-naive), with precision and
                       recall against the world's true pairs (truth.json)
  --skip-naive         do not run the per-user script (for large N)
  --skip-probe         do not time the fake cmdlets on their own
  --graph-latency-ms   per Graph request (default 20)
  --ad-latency-ms      per AD cmdlet call (default 5)
  --sync-ms            per sync cycle (default 500)
  --timeout-s          stop ours after this long and report it (default 480)
  --naive-timeout-s    stop the naive side after this long (default 3600)
  --in-process-sim     run the fake modules inside each measured PowerShell (default: in a simulator
                       server of their own, ps/sim/tools/Start-SimServer.ps1, so that peak RSS is the
                       tool's own; the server's is reported apart)
  --dir DIR            where to create the worlds (default: a new temporary folder)
  --keep               keep the worlds (call logs, reports) afterwards
  --json               print JSON instead of a table`;

const { values: args } = parseArgs({
  options: {
    users: { type: 'string' },
    'tenant-users': { type: 'string' },
    'tenant-factor': { type: 'string' },
    seed: { type: 'string', default: '1' },
    'plan-only': { type: 'boolean', default: false },
    discover: { type: 'boolean', default: false },
    'skip-naive': { type: 'boolean', default: false },
    'skip-probe': { type: 'boolean', default: false },
    'in-process-sim': { type: 'boolean', default: false },
    'graph-latency-ms': { type: 'string', default: '20' },
    'ad-latency-ms': { type: 'string', default: '5' },
    'sync-ms': { type: 'string', default: '500' },
    'timeout-s': { type: 'string', default: '480' },
    'naive-timeout-s': { type: 'string', default: '3600' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

function fail(message) {
  console.error(`bench: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function wholeNumber(name, text, min = 0) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be a whole number ≥ ${min} (got ${text})`);
  return n;
}

if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!args.users) fail('--users is required');
const sizes = args.users.split(',').map((s) => wholeNumber('users', s.trim(), 1)).sort((a, b) => a - b);
const planOnly = args['plan-only'];
const discoverMode = args.discover;
const skipNaive = args['skip-naive'] || planOnly || discoverMode;
const modeName = discoverMode ? 'discover' : planOnly ? 'plan' : 'apply';
const latency = {
  graphMs: wholeNumber('graph-latency-ms', args['graph-latency-ms']),
  adMs: wholeNumber('ad-latency-ms', args['ad-latency-ms']),
  syncCycleMs: wholeNumber('sync-ms', args['sync-ms']),
};
const seed = wholeNumber('seed', args.seed);
const timeoutMs = wholeNumber('timeout-s', args['timeout-s'], 1) * 1000;
const naiveTimeoutMs = wholeNumber('naive-timeout-s', args['naive-timeout-s'], 1) * 1000;
const tenantFor = (n) => {
  if (args['tenant-users']) return Math.max(wholeNumber('tenant-users', args['tenant-users'], 1), n);
  if (args['tenant-factor']) return Math.max(Math.round(Number(args['tenant-factor']) * n), n);
  return n;
};

const host = resolveHostSync(currentEnvironment());
const baseDir = args.dir ? path.resolve(args.dir) : mkdtempSync(path.join(os.tmpdir(), 'upn-match-bench-'));
mkdirSync(baseDir, { recursive: true });

/** The environment both sides get: the same latency, the simulator's module folder first. */
function simEnv(dir, overrides = {}) {
  return {
    ...process.env,
    TERM: 'dumb',
    UPN_MATCH_SIM_DIR: dir,
    UPN_MATCH_SIM_GRAPH_LATENCY_MS: String(latency.graphMs),
    UPN_MATCH_SIM_AD_LATENCY_MS: String(latency.adMs),
    UPN_MATCH_SIM_SYNC_MS: String(latency.syncCycleMs),
    PSModulePath: [simModules, process.env.PSModulePath].filter(Boolean).join(path.delimiter),
    ...overrides,
  };
}

// Every process group this script started, so that Ctrl-C or a timeout ends them (and only them).
const running = new Set();
function killGroup(pid, signal) {
  if (process.platform === 'win32') {
    spawnSync('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore' });
    return;
  }
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const pid of running) killGroup(pid, 'SIGKILL');
    process.exit(130);
  });
}

/** Runs a command in its own process group, watching its tree; stops it after limitMs. */
function measure(command, argv, { env, limitMs, stdoutFile }) {
  return new Promise((resolve) => {
    const started = performance.now();
    const startedAt = Date.now();
    const child = spawn(command, argv, { env, cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child.pid);
    const monitor = new ProcessTreeMonitor(child.pid, 100);
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGTERM');
      setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5000).unref();
    }, limitMs);
    child.on('close', (code, signal) => {
      const wallMs = Math.round(performance.now() - started);
      clearTimeout(timer);
      monitor.sample();
      monitor.stop();
      // Whatever the tree left behind (it should be nothing) goes with it.
      killGroup(child.pid, 'SIGKILL');
      running.delete(child.pid);
      const stdout = Buffer.concat(out).toString('utf8');
      if (stdoutFile) writeFileSync(stdoutFile, stdout);
      resolve({ wallMs, startedAt, endedAt: startedAt + wallMs, code, signal, timedOut, stdout, stderr: Buffer.concat(err).toString('utf8'), tree: monitor.summary() });
    });
  });
}

/**
 * The simulator server for one world: the fakes run there, the measured processes forward each fake
 * call to it (UPN_MATCH_SIM_SERVER). Its memory is watched apart. Resolves once it prints "ready".
 */
function startSimServer(dir) {
  const pipe = `upn-match-bench-${process.pid}-${path.basename(path.dirname(dir))}-${path.basename(dir)}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
  const argv = ['-NoProfile', '-NonInteractive', '-File', path.join(root, 'ps', 'sim', 'tools', 'Start-SimServer.ps1'), '-PipeName', pipe];
  const child = spawn(host.path, argv, { env: simEnv(dir, { UPN_MATCH_SIM_SERVER: '' }), cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child.pid);
  const monitor = new ProcessTreeMonitor(child.pid, 100);
  const err = [];
  child.stderr.on('data', (d) => err.push(d));
  const stop = () => {
    monitor.sample();
    monitor.stop();
    killGroup(child.pid, 'SIGKILL');
    running.delete(child.pid);
    const tree = monitor.summary();
    return { peakRssMb: tree.available ? tree.powershellPeakSumMb : null };
  };
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d.toString('utf8');
      if (out.includes(`ready ${pipe}`)) resolve({ pipe, stop });
    });
    child.on('close', (code) => reject(new Error(`the simulator server ended (exit ${code}) before it was ready: ${Buffer.concat(err).toString('utf8').trim()}`)));
  });
}

/** Runs one side with its world's simulator server (unless --in-process-sim); adds the server's memory. */
async function withSimulator(dir, run) {
  if (args['in-process-sim']) return { ...(await run({})), simulator: 'in-process' };
  const server = await startSimServer(dir);
  try {
    const side = await run({ UPN_MATCH_SIM_SERVER: server.pipe });
    return { ...side, simulator: { mode: 'server', ...server.stop() } };
  } catch (error) {
    server.stop();
    throw error;
  }
}

function simInit(dir, n, t) {
  const started = performance.now();
  const result = spawnSync(process.execPath, [cli, 'sim', 'init', dir, '--users', String(n), '--tenant-users', String(t), '--seed', String(seed), '--force'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`sim init failed: ${result.stderr || result.stdout}`);
  return { ms: Math.round(performance.now() - started), stateMb: Math.round((statSync(path.join(dir, 'state.json')).size / 1048576) * 10) / 10 };
}

function batchUpns(dir) {
  return readFileSync(path.join(dir, 'users.csv'), 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(',')[0]);
}

const mb = (x) => (x === null || x === undefined ? null : Math.round(x * 10) / 10);

/** A copy of a world before anything ran on it, for the probe. */
function copyWorld(worldDir, probeDir) {
  mkdirSync(probeDir, { recursive: true });
  for (const f of ['state.json', 'users.csv']) copyFileSync(path.join(worldDir, f), path.join(probeDir, f));
  rmSync(path.join(probeDir, 'calls.jsonl'), { force: true });
}

/**
 * The simulator's own cost: on the untouched copy, with no latency, the read-only calls of ours'
 * call log replayed (a few of each kind) and a few synthetic calls of the naive script's kinds.
 */
async function probe(probeDir, replayLog) {
  const argv = ['-NoProfile', '-NonInteractive', '-File', path.join(benchPs, 'probe-fake-calls.ps1'), '-CsvPath', path.join(probeDir, 'users.csv'), '-ModulePath', simModules, ...(replayLog ? ['-ReplayLog', replayLog] : [])];
  const env = simEnv(probeDir, { UPN_MATCH_SIM_GRAPH_LATENCY_MS: '0', UPN_MATCH_SIM_AD_LATENCY_MS: '0' });
  const run = await measure(host.path, argv, { env, limitMs: timeoutMs });
  if (run.timedOut) return { probeTimedOut: true, processWallMs: run.wallMs };
  const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
  if (run.code !== 0 || !line) return { probeError: (run.stderr || run.stdout).trim().split('\n').slice(-3).join(' '), processWallMs: run.wallMs };
  return { processWallMs: run.wallMs, ...JSON.parse(line) };
}

/** A bare host: start, run nothing, exit (what one more PowerShell process costs at least). */
function bareStartMs() {
  const times = [];
  for (let i = 0; i < 3; i += 1) {
    const started = performance.now();
    spawnSync(host.path, ['-NoProfile', '-NonInteractive', '-Command', 'exit 0'], { env: { ...process.env, TERM: 'dumb' } });
    times.push(performance.now() - started);
  }
  return Math.round(times.sort((a, b) => a - b)[1]);
}

/**
 * Asks the simulator server to save the writes it keeps in memory (see docs/simulator.md), so that state.json
 * is current when the bench reads it. The server's pipe is a Unix socket in the temp folder (.NET's name for it).
 */
function saveSimServer(serverEnv) {
  const pipe = serverEnv?.UPN_MATCH_SIM_SERVER;
  if (!pipe) return Promise.resolve();
  const socketPath = process.platform === 'win32' ? `\\\\.\\pipe\\${pipe}` : path.join(os.tmpdir(), `CoreFxPipe_${pipe}`);
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const body = Buffer.from('save', 'utf8');
    const header = Buffer.alloc(4);
    header.writeInt32LE(body.length);
    let reply = Buffer.alloc(0);
    socket.on('connect', () => socket.write(Buffer.concat([header, body])));
    socket.on('data', (d) => {
      reply = Buffer.concat([reply, d]);
      if (reply.length >= 4 && reply.length >= 4 + reply.readInt32LE(0)) {
        socket.end();
        resolve();
      }
    });
    socket.on('error', reject);
  });
}

async function runOurs(dir, n, serverEnv) {
  const runNumberBefore = syncRunNumber(dir);
  const argv = discoverMode
    ? [cli, 'discover', '--sim', dir, '--out', path.join(dir, 'discovered.csv'), '--json']
    : planOnly
    ? [cli, 'plan', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--json']
    : [cli, 'apply', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--yes', '--json', '--verify-timeout', '600'];
  const run = await measure(process.execPath, argv, { env: simEnv(dir, serverEnv), limitMs: timeoutMs, stdoutFile: path.join(dir, 'report.json') });
  await saveSimServer(serverEnv);
  const calls = readCalls(dir);
  const counts = countCalls(calls);
  let summary = null;
  let discovered = null;
  try {
    const report = JSON.parse(run.stdout);
    summary = report.summary ?? null;
    if (discoverMode) {
      const truth = JSON.parse(readFileSync(path.join(dir, 'truth.json'), 'utf8')).pairs;
      discovered = { counts: report.counts, leftOut: report.leftOut, score: scoreDiscover(truth, report.rows) };
    }
  } catch {
    summary = null;
  }
  const tree = run.tree;
  const nodeMb = tree.root?.peakRssMb ?? null;
  const pwshMb = tree.available ? tree.powershellPeakSumMb : null;
  return {
    command: `node bin/upn-match.js ${argv.slice(1).map((a) => (a.startsWith(dir) ? a.replace(dir, 'DIR') : a)).join(' ')}`,
    wallMs: run.wallMs,
    exitCode: run.code,
    timedOut: run.timedOut,
    pwshProcesses: counts.pwshProcesses,
    graphRequests: counts.graphRequests,
    adQueries: counts.adQueries,
    adWrites: counts.adWrites,
    syncCycles: syncRunNumber(dir) - runNumberBefore,
    peakRssMb: nodeMb !== null && pwshMb !== null ? mb(nodeMb + pwshMb) : null,
    rss: {
      nodeMb,
      pwshMb,
      sumMb: nodeMb !== null && pwshMb !== null ? mb(nodeMb + pwshMb) : null,
      treeSampledPeakMb: tree.available ? tree.treeSampledPeakMb : null,
      hosts: tree.available ? tree.hosts.map((h) => ({ pid: h.pid, peakRssMb: h.peakRssMb, launcherShimPeakRssMb: h.shimPeakRssMb })) : null,
    },
    processCount: { callLogPids: counts.pwshProcesses, polledHosts: tree.available ? tree.hosts.length : null, polledShims: tree.available ? tree.shims : null },
    discover: discovered ?? undefined,
    users: planOnly || discoverMode ? null : { matched: matchedInState(dir, batchUpns(dir)), ...(summary ? { reportMatched: summary.matched, reportFailed: summary.failed, reportBlocked: summary.blocked } : {}) },
    plan: (planOnly || discoverMode) && summary ? summary : undefined,
    calls: { syncStartCalls: counts.syncStartCalls, fakeCalls: counts.fakeCalls, byCommand: counts.byCommand, graphByRoute: counts.graphByRoute, graphBatchSubRequests: counts.graphBatchSubRequests, adQueriesByShape: counts.adQueriesByShape },
    phases: oursPhases(calls, run.startedAt, run.endedAt, latency.syncCycleMs),
    gapAfterCall: gapsByKind(calls),
    stderrTail: run.code === 0 || (planOnly && run.code === 3) ? undefined : run.stderr.trim().split('\n').slice(-5).join('\n'),
  };
}

async function runNaive(dir, n, serverEnv) {
  const runNumberBefore = syncRunNumber(dir);
  const argv = [
    '-NoProfile',
    '-NonInteractive',
    '-File',
    path.join(benchPs, 'naive-per-user.ps1'),
    '-CsvPath',
    path.join(dir, 'users.csv'),
    '-PowerShellPath',
    host.path,
    '-ModulePath',
    simModules,
  ];
  const run = await measure(host.path, argv, { env: simEnv(dir, serverEnv), limitMs: naiveTimeoutMs });
  await saveSimServer(serverEnv);
  const calls = readCalls(dir);
  const counts = countCalls(calls);
  const syncCycles = syncRunNumber(dir) - runNumberBefore;
  let driver = null;
  try {
    driver = JSON.parse(run.stdout.split('\n').filter((l) => l.startsWith('{')).pop() ?? 'null');
  } catch {
    driver = null;
  }
  // The last cycle may still be running: let it end, and have one fake call apply it, before
  // counting matched users (after the counts above, so this call is not in them).
  await new Promise((r) => setTimeout(r, latency.syncCycleMs + 200));
  spawnSync(host.path, ['-NoProfile', '-NonInteractive', '-Command', `$env:PSModulePath = '${simModules.replace(/'/g, "''")}' + [IO.Path]::PathSeparator + $env:PSModulePath; Import-Module ADSync; $null = Get-ADSyncScheduler`], {
    env: simEnv(dir, { ...serverEnv, UPN_MATCH_SIM_AD_LATENCY_MS: '0' }),
  });
  const tree = run.tree;
  const driverHost = tree.available ? tree.hosts.find((h) => h.ppid === tree.root?.pid || h.pid === tree.root?.pid) : null;
  const userHosts = tree.available ? tree.hosts.filter((h) => h !== driverHost) : [];
  const largest = userHosts.reduce((m, h) => Math.max(m, h.peakRssMb), 0);
  return {
    command: `${path.basename(host.path)} -NoProfile -NonInteractive -File scripts/bench/naive-per-user.ps1 -CsvPath DIR/users.csv -PowerShellPath ${host.path} -ModulePath ps/sim/Modules`,
    wallMs: run.wallMs,
    exitCode: run.code,
    timedOut: run.timedOut,
    pwshProcesses: counts.pwshProcesses,
    graphRequests: counts.graphRequests,
    adQueries: counts.adQueries,
    adWrites: counts.adWrites,
    syncCycles,
    peakRssMb: tree.available ? largest : null,
    rss: { largestUserProcessMb: tree.available ? largest : null, driverMb: driverHost?.peakRssMb ?? null, treeSampledPeakMb: tree.available ? tree.treeSampledPeakMb : null },
    processCount: { callLogPids: counts.pwshProcesses, driverStarted: driver?.started ?? null, polledHostsExcludingDriver: tree.available ? userHosts.length : null },
    users: { matched: matchedInState(dir, batchUpns(dir)), driverOk: driver?.ok ?? null, driverFailed: driver?.failed ?? null, busyRetries: driver?.busyRetries ?? null, errors: driver?.errors ?? [] },
    calls: { syncStartCalls: counts.syncStartCalls, fakeCalls: counts.fakeCalls, byCommand: counts.byCommand, graphByRoute: counts.graphByRoute },
    phases: naivePhases(calls, run.startedAt),
    stderrTail: run.code === 0 ? undefined : run.stderr.trim().split('\n').slice(-5).join('\n'),
  };
}

/**
 * Where ours' wall time went, roughly: inside the fakes (replayed medians x calls, synthetic
 * Set-ADUser x writes, the settle step), injected latency (calls x latency, the cycle), the rest
 * (node, PowerShell start-up, the tool's own work, waits). An estimate: the probe runs on an idle
 * copy, the fakes' cost varies with the machine's load.
 */
function estimate(ours, sim) {
  if (!sim?.replay) return null;
  const counts = ours.calls.byCommand;
  let fakeMs = 0;
  const replayedCommands = new Set();
  const byCommand = {};
  for (const [kind, r] of Object.entries(sim.replay)) {
    const command = kind.split(' ')[0];
    replayedCommands.add(command);
    byCommand[command] ??= [];
    byCommand[command].push(r);
  }
  // Per command: the replayed calls' mean cost (weighted by how often each kind occurred) x calls.
  for (const [command, kinds] of Object.entries(byCommand)) {
    const total = kinds.reduce((s, k) => s + k.of, 0);
    const mean = kinds.reduce((s, k) => s + k.medianMs * k.of, 0) / total;
    fakeMs += mean * (counts[command] ?? 0);
  }
  fakeMs += (sim.perCallMs?.['Set-ADUser -UserPrincipalName'] ?? 0) * ours.adWrites;
  fakeMs += ours.phases?.settleCallMs ?? 0;
  const adCommands = ['Get-ADUser', 'Set-ADUser', 'New-ADUser', 'Remove-ADUser', 'Move-ADObject', 'Get-ADForest', 'Get-ADDomain'];
  const adCalls = adCommands.reduce((s, c) => s + (counts[c] ?? 0), 0);
  const latencyMs = ours.graphRequests * latency.graphMs + adCalls * latency.adMs + (ours.syncCycles > 0 ? latency.syncCycleMs : 0);
  return {
    insideFakesMs: Math.round(fakeMs),
    injectedLatencyMs: latencyMs,
    restMs: Math.round(ours.wallMs - fakeMs - latencyMs),
    note: 'estimate: replayed read-only calls (median per kind x calls), synthetic Set-ADUser x writes, the settle step',
  };
}

function targetsFor(result) {
  const { users: n, tenantUsers: t, ours, naive } = result;
  const list = [];
  const add = (name, limit, value, met) => list.push({ name, limit, value, met: value === null || value === undefined ? null : met });
  if (discoverMode) {
    const a = ours.discover?.counts.adRead ?? null;
    add('discover completes', 'exit 0 within the time limit', ours.timedOut ? 'timed out' : `exit ${ours.exitCode}`, !ours.timedOut && ours.exitCode === 0);
    add('PowerShell processes', '= 1', ours.pwshProcesses, ours.pwshProcesses === 1);
    // discover reads every user once (guests too: R users read), and its proposals are checked with that read:
    // the users pages, the other objects' $batch and the tenant's.
    const r = ours.discover?.counts.cloudRead ?? t;
    const graphLimit = Math.ceil(r / 999) + 4;
    add('Graph requests', `≤ ceil(R/999) + 4 = ${graphLimit} (R: users read)`, ours.graphRequests, ours.graphRequests <= graphLimit);
    if (a !== null) add('AD cmdlet calls (each paged by 1,000)', `≤ ceil(A/1000) + 4 = ${Math.ceil(a / 1000) + 4}`, ours.adQueries, ours.adQueries <= Math.ceil(a / 1000) + 4);
    add('peak RSS (node + pwsh)', '< 500 MB', ours.peakRssMb, ours.peakRssMb < 500);
    const sc = ours.discover?.score;
    add('precision on ready', '= 1', sc?.ready.precision, sc?.ready.precision === 1);
    add('recall on UPN pairs', '= 1', sc?.recall.upn?.recall, sc?.recall.upn?.recall === 1);
    add('recall on SMTP pairs', '= 1', sc?.recall.smtp?.recall, sc?.recall.smtp?.recall === 1);
    return list;
  }
  if (planOnly) {
    add('plan completes', 'exit 0 or 3 within the time limit', ours.timedOut ? 'timed out' : `exit ${ours.exitCode}`, !ours.timedOut && (ours.exitCode === 0 || ours.exitCode === 3));
    add('peak RSS (node + pwsh)', '< 400 MB', ours.peakRssMb, ours.peakRssMb < 400);
    return list;
  }
  add('ours: PowerShell processes', '≤ 2', ours.pwshProcesses, ours.pwshProcesses <= 2);
  add('ours: sync cycles', '= 1', ours.syncCycles, ours.syncCycles === 1);
  const graphLimit = Math.ceil(n / 20) + Math.ceil(t / 999) + 5;
  add('ours: Graph requests', `≤ ceil(N/20) + ceil(T/999) + 5 = ${graphLimit}`, ours.graphRequests, ours.graphRequests <= graphLimit);
  const adLimit = Math.ceil(n / 50) + 2;
  add('ours: AD queries', `≤ ceil(N/50) + 2 = ${adLimit}`, ours.adQueries, ours.adQueries <= adLimit);
  add('ours: every user matched', `= ${n}`, ours.users?.matched, ours.users?.matched === n);
  if (naive) add('naive.wallMs / ours.wallMs', '≥ 20', result.ratio, result.ratio >= 20);
  return list;
}

/** The commit measured, and whether the working tree differed from it. */
function revision() {
  const git = (...a) => spawnSync('git', a, { cwd: root, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return null;
  const dirty = git('status', '--porcelain', '--', 'lib', 'ps', 'bin');
  return { commit: head.stdout.trim(), productFilesChanged: dirty.stdout.split('\n').filter((l) => l.trim() !== '').length };
}

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? null,
    memoryGb: Math.round(os.totalmem() / 1073741824),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    powershell: host.path,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

async function runSize(n) {
  const t = tenantFor(n);
  const sizeDir = path.join(baseDir, `n${n}-t${t}`);
  const oursDir = path.join(sizeDir, 'ours');
  const naiveDir = path.join(sizeDir, 'naive');
  const log = (m) => {
    if (!args.json) process.stderr.write(`bench: ${m}\n`);
  };
  log(`N=${n} T=${t}: creating the world${skipNaive ? '' : 's'} in ${sizeDir}`);
  const init = simInit(oursDir, n, t);
  if (!skipNaive) simInit(naiveDir, n, t);
  const result = {
    date: new Date().toISOString(),
    mode: modeName,
    users: n,
    tenantUsers: t,
    seed,
    latency,
    machine: machine(),
    revision: revision(),
    world: { dir: sizeDir, initMs: init.ms, stateFileMb: init.stateMb },
  };
  const probeDir = path.join(sizeDir, 'probe');
  if (!args['skip-probe']) {
    copyWorld(oursDir, probeDir);
    log('timing a bare PowerShell start');
    result.simulator = { bareHostStartMs: bareStartMs() };
  }
  log(`ours: ${modeName} (time limit ${timeoutMs / 1000} s)`);
  result.ours = await withSimulator(oursDir, (serverEnv) => runOurs(oursDir, n, serverEnv));
  log(`ours: ${result.ours.timedOut ? 'STOPPED after the time limit' : `${result.ours.wallMs} ms, exit ${result.ours.exitCode}`}`);
  if (!args['skip-probe']) {
    log('timing the fake cmdlets alone (no latency): ours\' read-only calls replayed on a copy of the world');
    Object.assign(result.simulator, await probe(probeDir, path.join(oursDir, 'calls.jsonl')));
    result.ours.estimate = result.ours.timedOut ? null : estimate(result.ours, result.simulator);
  }
  if (!skipNaive) {
    log(`naive: one PowerShell process per user (${n} users)`);
    result.naive = await withSimulator(naiveDir, (serverEnv) => runNaive(naiveDir, n, serverEnv));
    log(`naive: ${result.naive.timedOut ? 'STOPPED after the time limit' : `${result.naive.wallMs} ms, exit ${result.naive.exitCode}`}`);
    result.ratio = Math.round((result.naive.wallMs / result.ours.wallMs) * 100) / 100;
  } else {
    result.naive = null;
    result.ratio = null;
  }
  result.machine.loadAverageAfter = os.loadavg().map((x) => Math.round(x * 100) / 100);
  result.targets = targetsFor(result);
  return result;
}

function fmt(v) {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') return v.toLocaleString('en-US');
  return String(v);
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ')).join('\n');
}

function printResult(r) {
  const lines = [];
  lines.push(`upn-match bench (${r.mode}): N=${fmt(r.users)} users, T=${fmt(r.tenantUsers)} tenant users, seed ${r.seed}; latency: Graph ${r.latency.graphMs} ms/request, AD ${r.latency.adMs} ms/call, sync cycle ${r.latency.syncCycleMs} ms`);
  lines.push(`machine: ${r.machine.cpus} CPUs (${r.machine.cpuModel}), ${r.machine.memoryGb} GB, load ${r.machine.loadAverage.join(' ')} -> ${r.machine.loadAverageAfter.join(' ')}; state.json ${r.world.stateFileMb} MB`);
  const sides = [['ours', r.ours], ...(r.naive ? [['naive', r.naive]] : [])];
  const rows = [['', ...sides.map(([name]) => name)]];
  const row = (label, get) => rows.push([label, ...sides.map(([, s]) => fmt(get(s)))]);
  row('wall ms', (s) => (s.timedOut ? `stopped at ${fmt(s.wallMs)}` : s.wallMs));
  row('PowerShell processes (log pids)', (s) => s.pwshProcesses);
  row('Graph requests', (s) => s.graphRequests);
  row('AD queries (Get-AD*)', (s) => s.adQueries);
  row('AD writes', (s) => s.adWrites);
  row('sync cycles started', (s) => s.syncCycles);
  row('peak RSS MB', (s) => s.peakRssMb);
  if (r.mode === 'apply') row('users matched', (s) => s.users?.matched);
  lines.push(table(rows));
  const d = r.ours.discover;
  if (d) {
    const p = r.ours.plan ?? {};
    lines.push(`discover: ${fmt(d.counts.cloudOnly)} cloud-only (of ${fmt(d.counts.cloudRead)}, ${fmt(d.counts.guests)} guests), ${fmt(d.counts.adRead)} AD accounts (${fmt(d.counts.adRepresented)} represented); ready ${fmt(p.ready)}, review ${fmt(p.review)}, ambiguous ${fmt(p.ambiguous)}, create ${fmt(p.create)}, left out ${fmt(p['left-out'])}, blocked ${fmt(p.blocked)}`);
    lines.push(`  precision: ready ${d.score.ready.precision} (${d.score.ready.correct}/${d.score.ready.proposed}), review ${d.score.review.precision} (${d.score.review.correct}/${d.score.review.proposed})`);
    lines.push(`  recall by kind of true pair: ${Object.entries(d.score.recall).map(([k, v]) => `${k} ${v.recall} (${v.found}/${v.pairs})`).join(', ')}`);
  }
  lines.push(`ours RSS: node ${fmt(r.ours.rss.nodeMb)} MB + pwsh ${fmt(r.ours.rss.pwshMb)} MB${r.naive ? `; naive: largest per-user process ${fmt(r.naive.rss.largestUserProcessMb)} MB, driver ${fmt(r.naive.rss.driverMb)} MB` : ''}`);
  const serverRss = sides.map(([name, side]) => (side.simulator?.mode === 'server' ? `${name} ${fmt(side.simulator.peakRssMb)} MB` : null)).filter(Boolean);
  lines.push(serverRss.length ? `simulator servers' peak RSS (not counted above): ${serverRss.join(', ')}` : 'simulator: fake modules inside the measured processes (--in-process-sim)');
  const ph = r.ours.phases;
  if (ph) lines.push(`ours phases ms: to first fake call ${fmt(ph.toFirstFakeCallMs)}, facts ${fmt(ph.readFactsMs)}, AD writes ${fmt(ph.adWritesMs)} (${fmt(ph.perUserWriteMs)}/user), sync ${fmt(ph.syncMs)} (settle step ${fmt(ph.settleCallMs)}), verify ${fmt(ph.verifyMs)}, after the last fake call ${fmt(ph.afterLastFakeCallMs)}`);
  const es = r.ours.estimate;
  if (es) lines.push(`ours wall, estimated: inside the fakes ${fmt(es.insideFakesMs)} ms, injected latency ${fmt(es.injectedLatencyMs)} ms, the rest ${fmt(es.restMs)} ms`);
  if (r.naive?.phases) lines.push(`naive per process (median ms): before its first fake call ${fmt(r.naive.phases.medianGapBeforeFirstCallMs)}, first to last fake call ${fmt(r.naive.phases.medianFirstToLastCallMs)}`);
  if (r.simulator?.bareHostStartMs) lines.push(`bare PowerShell start (pwsh -Command 'exit 0'): ${fmt(r.simulator.bareHostStartMs)} ms`);
  if (r.ratio !== null) lines.push(`ratio naive/ours wall: ${r.ratio}`);
  for (const tg of r.targets) lines.push(`  ${tg.met === null ? '?' : tg.met ? 'met    ' : 'NOT met'}  ${tg.name}: ${fmt(tg.value)} (target ${tg.limit})`);
  console.log(`${lines.join('\n')}\n`);
}

function linearity(results) {
  const done = results.filter((r) => !r.ours.timedOut);
  const points = results.map((r) => ({ users: r.users, tenantUsers: r.tenantUsers, wallMs: r.ours.wallMs, timedOut: r.ours.timedOut, msPerUser: Math.round((r.ours.wallMs / r.users) * 10) / 10, peakRssMb: r.ours.peakRssMb }));
  if (done.length < 2) return { points, exponent: null };
  const a = done[0];
  const b = done[done.length - 1];
  // wall ~ N^k between the smallest and the largest completed size: k = 1 is linear.
  const exponent = Math.round((Math.log(b.ours.wallMs / a.ours.wallMs) / Math.log(b.users / a.users)) * 100) / 100;
  return { points, exponent };
}

const results = [];
let stopped = false;
for (const n of sizes) {
  if (stopped) {
    results.push({ users: n, tenantUsers: tenantFor(n), skipped: 'a smaller size hit the time limit' });
    continue;
  }
  const r = await runSize(n);
  results.push(r);
  if (!args.json) printResult(r);
  if (r.ours.timedOut) stopped = true;
}
const measured = results.filter((r) => !r.skipped);
const output = sizes.length === 1 ? measured[0] : { series: results, linearity: linearity(measured) };
if (args.json) console.log(JSON.stringify(output, null, 2));
else if (sizes.length > 1) {
  const lin = output.linearity;
  console.log(table([['N', 'T', 'wall ms', 'ms/user', 'peak RSS MB'], ...lin.points.map((p) => [fmt(p.users), fmt(p.tenantUsers), p.timedOut ? `stopped at ${fmt(p.wallMs)}` : fmt(p.wallMs), fmt(p.msPerUser), fmt(p.peakRssMb)])]));
  console.log(`growth exponent (wall ~ N^k, smallest to largest completed): ${fmt(lin.exponent)}`);
  for (const r of results.filter((x) => x.skipped)) console.log(`N=${fmt(r.users)}: not run (${r.skipped})`);
}
if (!args.keep && !args.dir) rmSync(baseDir, { recursive: true, force: true });
else if (!args.json) console.log(`worlds, call logs and reports kept in ${baseDir}`);
