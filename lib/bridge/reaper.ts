// Keeps the list of PowerShell processes this process started, so that none outlives it:
// on a normal exit, on Ctrl-C / SIGTERM and on an uncaught error (see installExitHooks).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const live = new Set<number>();
let exitHookInstalled = false;
const listeners = new Set<(pids: number[]) => void>();

/** Tells `listener` the live PowerShell pids each time the list changes (the run lock records them). */
export function onLiveChange(listener: (pids: number[]) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed(): void {
  const pids = [...live];
  for (const listener of listeners) {
    try {
      listener(pids);
    } catch {
      // A listener's failure is not the reaper's.
    }
  }
}

/** Kills a process and everything it started. Synchronous, so it also works inside 'exit'. */
export function killTree(pid: number): void {
  try {
    if (process.platform === 'win32') {
      spawnSync('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
    } else {
      // Children are started in their own process group (detached), so -pid reaches them all.
      // A session (node-powershell) cannot be detached, and a pwsh installed as a .NET tool is a
      // shim that runs the real PowerShell as its child: list the descendants before killing, or
      // they outlive the shim (orphaned, still running, still holding our pipes).
      const family = descendants(pid);
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        signal(pid);
      }
      family.forEach(signal);
    }
  } catch {
    // Already gone.
  }
}

function signal(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** pid → parent pid of every process (Linux: /proc; elsewhere: ps); empty when unknown. */
function parentsOfAll(): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  if (process.platform === 'linux' && existsSync('/proc/self/stat')) {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        // "pid (comm) state ppid ...": comm may contain spaces and parentheses.
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (Number.isInteger(ppid)) pairs.push([Number(entry), ppid]);
      } catch {
        // Ended while we looked.
      }
    }
    return pairs;
  }
  const listing = spawnSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  for (const line of (listing.stdout ?? '').split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (Number.isInteger(child) && Number.isInteger(parent)) pairs.push([child as number, parent as number]);
  }
  return pairs;
}

/** Every process below `pid`. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const [child, parent] of parentsOfAll()) children.set(parent, [...(children.get(parent) ?? []), child]);
  const found: number[] = [];
  const pending = [pid];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const child of children.get(next) ?? []) {
      if (child === pid || found.includes(child)) continue;
      found.push(child);
      pending.push(child);
    }
  }
  return found;
}

export function track(pid: number | undefined): void {
  if (pid === undefined) return;
  live.add(pid);
  changed();
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', killAll);
  }
}

export function untrack(pid: number | undefined): void {
  if (pid !== undefined && live.delete(pid)) changed();
}

export function livePids(): number[] {
  return [...live];
}

export function killAll(): void {
  for (const pid of live) killTree(pid);
  live.clear();
}

/**
 * For the CLI: on Ctrl-C, SIGTERM or an uncaught error, kill every PowerShell process first (each also has its
 * watchdog on this process). `onSignal` lets the caller record the interruption, synchronously, before the
 * process ends with `code` (130 for SIGINT, 143 for SIGTERM).
 */
export function installExitHooks(onSignal?: (signal: NodeJS.Signals, code: number) => void, codes = { SIGINT: 130, SIGTERM: 143 }): void {
  const handle = (signal: 'SIGINT' | 'SIGTERM') => () => {
    killAll();
    try {
      onSignal?.(signal, codes[signal]);
    } finally {
      process.exit(codes[signal]);
    }
  };
  process.once('SIGINT', handle('SIGINT'));
  process.once('SIGTERM', handle('SIGTERM'));
  process.once('uncaughtException', (error) => {
    killAll();
    console.error(`upn-match: unexpected error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(70);
  });
}
