// What every command needs: the config, the PowerShell host and how to reach it (or the simulator).
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../config.js';
import { chooseStepHost, currentEnvironment, resolveHostSync, type HostCandidate, type HostEnvironment, type StepHostChoice } from '../bridge/hosts.js';
import type { PowerShellRunner, RunnerOptions } from '../bridge/runner.js';
import { simulatorBinding } from '../sim/environment.js';
import { remoteSyncServer } from '../steps/registry.js';

export interface GlobalOptions {
  config?: string;
  sim?: string;
  json?: boolean;
  'work-dir'?: string;
}

export interface CommandContext {
  config: Config;
  hostEnvironment: HostEnvironment;
  simDir?: string;
  /** Journal, lock and feature record live here. */
  workDir: string;
  logDir: string;
  /** Runner options for the local host; resolves the host on first use. */
  runnerOptions(): RunnerOptions;
  /** The host of the steps that need Windows PowerShell 5.1 (the ADSync steps). */
  desktopHost(): StepHostChoice;
}

export function createContext(options: GlobalOptions): CommandContext {
  const binding = options.sim ? simulatorBinding(options.sim) : undefined;
  // A simulator folder carries its own config (written by `sim init`) unless one is given.
  const simConfig = options.sim ? path.join(options.sim, 'config.json') : undefined;
  const config = loadConfig(options.config ?? (simConfig && existsSync(simConfig) ? simConfig : undefined));
  const hostEnvironment = currentEnvironment();
  const workDir = path.resolve(options['work-dir'] ?? config.workDir ?? (options.sim ? path.join(options.sim, 'work') : defaultWorkDir()));
  let host: HostCandidate | undefined;
  return {
    config,
    hostEnvironment,
    simDir: options.sim,
    workDir,
    logDir: path.resolve(config.logDir ?? path.join(workDir, 'logs')),
    runnerOptions() {
      host ??= resolveHostSync(hostEnvironment, config.powershell);
      return { host, modulePath: binding?.modulePath, env: binding?.env };
    },
    desktopHost() {
      const local = this.runnerOptions().host;
      return chooseStepHost({ edition: 'Desktop', platform: hostEnvironment.platform, local, configured: config.syncServer?.powershell, remote: remoteSyncServer(config.syncServer?.computerName), env: hostEnvironment });
    },
  };
}

/** A one-shot process runner, loaded on first use: it brings execa, which a session-only command never needs. */
export async function newProcessRunner(options: RunnerOptions): Promise<PowerShellRunner> {
  const { ProcessRunner } = await import('../bridge/process-runner.js');
  return new ProcessRunner(options);
}

function defaultWorkDir(): string {
  if (process.platform === 'win32') return path.join(process.env.ProgramData ?? 'C:\\ProgramData', 'upn-match');
  return path.join(os.homedir(), '.upn-match');
}
