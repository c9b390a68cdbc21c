// Watches a process tree through /proc (Linux): every PowerShell host it ever held, and the peak
// resident memory of each process (VmHWM), sampled every ~100 ms. Elsewhere it reports nothing
// (available: false) and the benchmark falls back on the call log alone.
import { readdirSync, readFileSync } from 'node:fs';

const KB = 1024;

function readText(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** pid -> { ppid, start } for every process now alive (start = field 22, to tell reused pids apart). */
function processTable() {
  const table = new Map();
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return table;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readText(`/proc/${name}/stat`);
    if (!stat) continue;
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    table.set(Number(name), { ppid: Number(rest[1]), start: rest[19] });
  }
  return table;
}

function memoryKb(pid) {
  const status = readText(`/proc/${pid}/status`);
  if (!status) return null;
  const field = (key) => {
    const m = status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : 0;
  };
  return { hwm: field('VmHWM'), rss: field('VmRSS') };
}

function commandLine(pid) {
  const raw = readText(`/proc/${pid}/cmdline`);
  return raw ? raw.split('\0').filter((a) => a !== '') : [];
}

const isPowerShell = (argv) => argv.some((a, i) => i < 2 && /(^|[\\/])(pwsh|powershell)(\.dll|\.exe)?$/i.test(a));

export class ProcessTreeMonitor {
  /**
   * @param {number} rootPid the process to watch, with all its descendants
   * @param {number} intervalMs sampling period
   */
  constructor(rootPid, intervalMs = 100) {
    this.rootPid = rootPid;
    this.available = readText('/proc/self/status') !== null;
    /** key pid:start -> { pid, ppid, argv, hwmKb, rssKb, firstSeen, lastSeen } */
    this.seen = new Map();
    this.treePeakKb = 0;
    this.samples = 0;
    this.timer = this.available ? setInterval(() => this.sample(), intervalMs) : null;
    if (this.available) this.sample();
  }

  sample() {
    const table = processTable();
    const members = [this.rootPid];
    const children = new Map();
    for (const [pid, info] of table) {
      if (!children.has(info.ppid)) children.set(info.ppid, []);
      children.get(info.ppid).push(pid);
    }
    for (let i = 0; i < members.length; i += 1) members.push(...(children.get(members[i]) ?? []));
    let treeKb = 0;
    const now = Date.now();
    for (const pid of members) {
      const info = table.get(pid);
      if (!info) continue;
      const mem = memoryKb(pid);
      if (!mem) continue;
      treeKb += mem.rss;
      const key = `${pid}:${info.start}`;
      let entry = this.seen.get(key);
      if (!entry) {
        entry = { pid, ppid: info.ppid, argv: commandLine(pid), hwmKb: 0, rssKb: 0, firstSeen: now, lastSeen: now };
        this.seen.set(key, entry);
      }
      // A child between fork and exec still shows its parent's command line: read it again.
      if (now - entry.firstSeen < 2000 || entry.argv.length === 0) entry.argv = commandLine(pid);
      entry.hwmKb = Math.max(entry.hwmKb, mem.hwm);
      entry.rssKb = Math.max(entry.rssKb, mem.rss);
      entry.lastSeen = now;
    }
    this.treePeakKb = Math.max(this.treePeakKb, treeKb);
    this.samples += 1;
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * What was seen. PowerShell "hosts" are PowerShell processes that are not a launcher shim: a
   * .NET-tool pwsh is an apphost that starts `dotnet pwsh.dll` with the same arguments.
   */
  summary() {
    const all = [...this.seen.values()];
    const ps = all.filter((p) => isPowerShell(p.argv));
    const sameTail = (shim, child) => {
      const a = shim.argv.slice(1).join('\0');
      const b = child.argv.slice(child.argv.findIndex((x) => /pwsh(\.dll)?$/i.test(x)) + 1).join('\0');
      return a === b;
    };
    const shims = new Set(ps.filter((p) => ps.some((c) => c.ppid === p.pid && c !== p && sameTail(p, c))));
    const hosts = ps.filter((p) => !shims.has(p));
    const root = all.find((p) => p.pid === this.rootPid) ?? null;
    const mb = (kb) => Math.round((kb / KB) * 10) / 10;
    return {
      available: this.available,
      samples: this.samples,
      root: root ? { pid: root.pid, argv0: root.argv[0] ?? null, peakRssMb: mb(root.hwmKb) } : null,
      hosts: hosts.map((p) => ({ pid: p.pid, ppid: p.ppid, peakRssMb: mb(p.hwmKb), shimPeakRssMb: mb([...shims].find((s) => s.pid === p.ppid)?.hwmKb ?? 0), args: p.argv.slice(-6).join(' ') })),
      shims: shims.size,
      /** Sum over every PowerShell process (hosts and shims) of its own peak. */
      powershellPeakSumMb: mb(ps.reduce((s, p) => s + p.hwmKb, 0)),
      /** The largest resident set the whole tree had at one sampling instant. */
      treeSampledPeakMb: mb(this.treePeakKb),
      processesSeen: all.length,
    };
  }
}
