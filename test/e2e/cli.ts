// End-to-end helpers: run the built CLI as a child process against a simulator folder.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../../lib/paths.js';
import type { SimState } from '../../lib/sim/state.js';
import { resolveTestHost } from '../helpers/host.js';

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  json: any;
}

export async function runCli(args: string[], options: { env?: Record<string, string>; timeoutMs?: number; input?: string } = {}): Promise<CliResult> {
  const host = await resolveTestHost();
  const result = await execa(process.execPath, [path.join(projectRoot, 'bin', 'upn-match.js'), ...args], {
    env: { UPN_MATCH_POWERSHELL: host, UPN_MATCH_SIM_SYNC_MS: '300', ...options.env },
    reject: false,
    timeout: options.timeoutMs ?? 120_000,
    input: options.input ?? '',
  });
  let json: any = null;
  if (args.includes('--json')) {
    try {
      json = JSON.parse(String(result.stdout));
    } catch {
      json = null;
    }
  }
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr), json };
}

export function tempDir(prefix = 'upn-match-e2e-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function initSim(scenario: string, extra: string[] = []): Promise<string> {
  const dir = path.join(tempDir(), 'sim');
  const result = await runCli(['sim', 'init', dir, '--scenario', scenario, ...extra]);
  if (result.exitCode !== 0) throw new Error(`sim init ${scenario} failed: ${result.stderr}`);
  return dir;
}

export function readState(dir: string): SimState {
  return JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as SimState;
}

export function stateText(dir: string): string {
  return readFileSync(path.join(dir, 'state.json'), 'utf8');
}

export function adBySam(state: SimState, sam: string) {
  return state.forest.users.filter((u) => u.SamAccountName.toLowerCase() === sam.toLowerCase());
}

export function cloudByUpn(state: SimState, upn: string) {
  return state.tenant.users.find((u) => u.userPrincipalName.toLowerCase() === upn.toLowerCase());
}

/** Runs at most n pieces of work at once (independent CLI runs, each on its own simulator copy). */
export function limiter(n: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await work();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}
