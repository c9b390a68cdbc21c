// Keeps the list of PowerShell processes this process started, so that none outlives it:
// on a normal exit, on Ctrl-C / SIGTERM and on an uncaught error (see installExitHooks).
import { spawnSync } from 'node:child_process';

const live = new Set<number>();
let exitHookInstalled = false;

/** Kills a process and everything it started. Synchronous, so it also works inside 'exit'. */
export function killTree(pid: number): void {
  try {
    if (process.platform === 'win32') {
      spawnSync('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
    } else {
      // Children are started in their own process group (detached), so -pid reaches them all.
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        process.kill(pid, 'SIGKILL');
      }
    }
  } catch {
    // Already gone.
  }
}

export function track(pid: number | undefined): void {
  if (pid === undefined) return;
  live.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', killAll);
  }
}

export function untrack(pid: number | undefined): void {
  if (pid !== undefined) live.delete(pid);
}

export function livePids(): number[] {
  return [...live];
}

export function killAll(): void {
  for (const pid of live) killTree(pid);
  live.clear();
}

/**
 * For the CLI: on Ctrl-C, SIGTERM or an uncaught error, kill every PowerShell process first.
 * `onSignal` lets the caller record the interruption before the process ends.
 */
export function installExitHooks(onSignal?: (signal: NodeJS.Signals) => void): void {
  const handle = (signal: NodeJS.Signals, code: number) => () => {
    killAll();
    onSignal?.(signal);
    process.exit(code);
  };
  process.once('SIGINT', handle('SIGINT', 130));
  process.once('SIGTERM', handle('SIGTERM', 143));
  process.once('uncaughtException', (error) => {
    killAll();
    console.error(`upn-match: unexpected error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(70);
  });
}
