// Test helper: run a PowerShell snippet under the real host, with a clean PSModulePath.
// Used by the PowerShell-level tests (fakes, policy); product code goes through lib/bridge.
import path from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../../lib/paths.js';
import { resolveTestHost } from './host.js';

export interface PwshResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface PwshOptions {
  /** Folders put first on PSModulePath (absolute). */
  modulePath?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Text given on stdin. */
  input?: string;
  timeoutMs?: number;
}

export async function runPowerShell(code: string, options: PwshOptions = {}): Promise<PwshResult> {
  const host = await resolveTestHost();
  const modulePath = [...(options.modulePath ?? []), path.join(projectRoot, 'ps')].join(path.delimiter);
  const result = await execa(host, ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', code], {
    env: { TERM: 'dumb', PSModulePath: modulePath, ...options.env },
    extendEnv: true,
    input: options.input ?? '',
    reject: false,
    timeout: options.timeoutMs ?? 60_000,
    stripFinalNewline: false,
  });
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? -1 };
}

/** The fake modules' folder, to put first on PSModulePath. */
export const simModulesDir = path.join(projectRoot, 'ps', 'sim', 'Modules');
