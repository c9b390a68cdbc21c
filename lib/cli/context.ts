// What every command needs: the config, the PowerShell host and how to reach it (or the simulator).
import { loadConfig, type Config } from '../config.js';
import { currentEnvironment, resolveHostSync, type HostCandidate, type HostEnvironment, type RunnerOptions } from '../bridge/index.js';
import { simulatorBinding } from '../sim/environment.js';

export interface GlobalOptions {
  config?: string;
  sim?: string;
  json?: boolean;
}

export interface CommandContext {
  config: Config;
  hostEnvironment: HostEnvironment;
  simDir?: string;
  /** Runner options for the local host; resolves the host on first use. */
  runnerOptions(): RunnerOptions;
}

export function createContext(options: GlobalOptions): CommandContext {
  const config = loadConfig(options.config);
  const hostEnvironment = currentEnvironment();
  const binding = options.sim ? simulatorBinding(options.sim) : undefined;
  let host: HostCandidate | undefined;
  return {
    config,
    hostEnvironment,
    simDir: options.sim,
    runnerOptions() {
      host ??= resolveHostSync(hostEnvironment, config.powershell);
      return { host, modulePath: binding?.modulePath, env: binding?.env };
    },
  };
}
