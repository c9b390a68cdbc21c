// Reads the simulator's call log (DIR/calls.jsonl, one line per fake cmdlet call) and counts what
// a run really did, whatever the tool says about itself.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export function readCalls(dir) {
  const file = path.join(dir, 'calls.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const call = JSON.parse(line);
      return { ...call, t: Date.parse(call.at) };
    });
}

/** sync.runNumber of the world: it goes up by one for each cycle that really started. */
export function syncRunNumber(dir) {
  const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8'));
  return Number(state?.sync?.runNumber ?? 0);
}

/** Cloud users of the batch that carry an on-premises anchor now (read from the state file). */
export function matchedInState(dir, upns) {
  const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8'));
  const wanted = new Set(upns.map((u) => u.toLowerCase()));
  return state.tenant.users.filter((u) => wanted.has(String(u.userPrincipalName).toLowerCase()) && u.onPremisesImmutableId).length;
}

const isAdQuery = (c) => c.module === 'ActiveDirectory' && /^Get-AD/.test(c.command);
const isAdWrite = (c) => c.module === 'ActiveDirectory' && (c.command === 'Set-ADUser' || c.command === 'New-ADUser');
const isGraph = (c) => c.command === 'Invoke-MgGraphRequest';

/** A Graph route with its ids and UPNs replaced, so that per-user requests count as one route. */
export function routeKind(route) {
  return String(route ?? '?')
    .replace(/\/users\/[^/]+/, '/users/{id}')
    .replace(/\/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g, '/{id}');
}

function countBy(items, key) {
  const out = {};
  for (const item of items) {
    const k = key(item);
    out[k] = (out[k] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
}

function median(values) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The counts the benchmark reports, from the log alone (syncCycles comes from the state file). */
export function countCalls(calls) {
  const graph = calls.filter(isGraph);
  return {
    pwshProcesses: new Set(calls.map((c) => c.pid)).size,
    graphRequests: graph.length,
    adQueries: calls.filter(isAdQuery).length,
    adWrites: calls.filter(isAdWrite).length,
    syncStartCalls: calls.filter((c) => c.command === 'Start-ADSyncSyncCycle').length,
    fakeCalls: calls.length,
    byCommand: countBy(calls, (c) => c.command),
    graphByRoute: countBy(graph, (c) => routeKind(c.route)),
    graphBatchSubRequests: graph.reduce((s, c) => s + (Array.isArray(c.batch) ? c.batch.length : 0), 0),
    adQueriesByShape: countBy(calls.filter(isAdQuery), (c) => `${c.command} ${Object.keys(c.params ?? {}).filter((k) => ['Identity', 'Filter', 'LDAPFilter'].includes(k)).join('+') || '-'}`),
  };
}

/**
 * Where the time went, from the log's timestamps (start of each fake call): gaps between calls
 * of the same kind that follow each other, per command (and route), median and sum.
 */
export function gapsByKind(calls) {
  const gaps = {};
  for (let i = 1; i < calls.length; i += 1) {
    const prev = calls[i - 1];
    const cur = calls[i];
    if (prev.pid !== cur.pid) continue;
    const kind = `${prev.command}${prev.route ? ` ${routeKind(prev.route)}` : ''}`;
    (gaps[kind] ??= []).push(cur.t - prev.t);
  }
  return Object.fromEntries(
    Object.entries(gaps)
      .map(([kind, list]) => [kind, { n: list.length, medianMs: median(list), sumMs: list.reduce((s, v) => s + v, 0) }])
      .sort((a, b) => b[1].sumMs - a[1].sumMs),
  );
}

/** Phases of an upn-match run, from the log: start-up, reading facts, AD writes, sync, verify, exit. */
export function oursPhases(calls, startedAt, endedAt, syncCycleMs) {
  if (calls.length === 0) return null;
  const first = calls[0].t;
  const last = calls[calls.length - 1].t;
  const writes = calls.filter(isAdWrite);
  const writeStepStart = calls.find((c) => c.command === 'Get-ADUser' && c.params && 'Identity' in c.params);
  const firstWrite = writeStepStart?.t ?? writes[0]?.t ?? null;
  const lastWrite = writes.length ? writes[writes.length - 1].t : null;
  const syncStart = calls.find((c) => c.command === 'Start-ADSyncSyncCycle')?.t ?? null;
  const afterSync = syncStart ? calls.filter((c) => c.t >= syncStart) : [];
  const lastSchedulerPoll = [...afterSync].reverse().find((c) => c.command === 'Get-ADSyncScheduler')?.t ?? null;
  const round = (v) => (v === null || Number.isNaN(v) ? null : Math.round(v));
  // The first fake call after the cycle's end applies it (the simulator's settle step, in that call).
  const settleIndex = syncStart === null ? -1 : calls.findIndex((c) => c.t >= syncStart + syncCycleMs);
  const settleCallMs = settleIndex >= 0 && settleIndex + 1 < calls.length ? round(calls[settleIndex + 1].t - calls[settleIndex].t) : null;
  return {
    toFirstFakeCallMs: round(first - startedAt),
    readFactsMs: round((firstWrite ?? syncStart ?? last) - first),
    adWritesMs: firstWrite !== null && lastWrite !== null ? round(lastWrite - firstWrite) : null,
    perUserWriteMs: firstWrite !== null && lastWrite !== null && writes.length > 1 ? round((lastWrite - firstWrite) / (writes.length - 1)) : null,
    syncMs: syncStart !== null && lastSchedulerPoll !== null ? round(lastSchedulerPoll - syncStart) : null,
    settleCallMs,
    verifyMs: lastSchedulerPoll !== null ? round(last - (calls.find((c) => c.t > lastSchedulerPoll)?.t ?? last)) : null,
    afterLastFakeCallMs: round(endedAt - last),
  };
}

/** Per process of the naive side: time before its first fake call (start-up, imports) and inside. */
export function naivePhases(calls, startedAt) {
  const byPid = new Map();
  for (const c of calls) {
    if (!byPid.has(c.pid)) byPid.set(c.pid, []);
    byPid.get(c.pid).push(c);
  }
  const procs = [...byPid.values()];
  const startup = [];
  const inside = [];
  let prevEnd = startedAt;
  for (const list of procs) {
    const first = list[0].t;
    const last = list[list.length - 1].t;
    startup.push(first - prevEnd);
    inside.push(last - first);
    prevEnd = last;
  }
  return {
    processes: procs.length,
    medianGapBeforeFirstCallMs: median(startup),
    medianFirstToLastCallMs: median(inside),
    sumGapBeforeFirstCallMs: Math.round(startup.reduce((s, v) => s + v, 0)),
    sumFirstToLastCallMs: Math.round(inside.reduce((s, v) => s + v, 0)),
  };
}
