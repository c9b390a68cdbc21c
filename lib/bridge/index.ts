// The bridge: the only code that starts PowerShell.
export * from './errors.js';
export * from './envelope.js';
export * from './hosts.js';
export * from './runner.js';
export * from './progress.js';
export { ProcessRunner } from './process-runner.js';
export { SessionRunner } from './session-runner.js';
export { installExitHooks, killAll, livePids } from './reaper.js';
