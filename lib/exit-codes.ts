// The one table of exit codes: the CLI, --help, README and the code catalogue (lib/codes.ts) all read it.
export const EXIT = {
  ok: 0,
  partialFailure: 1,
  badInput: 2,
  blocked: 3,
  verifyTimeout: 4,
  lockHeld: 5,
  environment: 6,
  duplicate: 7,
  internal: 70,
  /** 128 + the signal's number, as shells report a process a signal ended. */
  interrupted: 130,
  terminated: 143,
} as const;

export type ExitName = keyof typeof EXIT;

export const EXIT_MEANING: Record<ExitName, string> = {
  ok: 'everything asked for was done (all users matched, or the check passed)',
  partialFailure: 'some users failed; the others were done (see the report)',
  badInput: 'bad input: command line, CSV or config file; nothing was written',
  blocked: 'some users are blocked by a precondition; nothing was written for them',
  verifyTimeout: 'the sync ran but not every user was seen matched before the time limit',
  lockHeld: 'another upn-match run holds the lock',
  environment: 'environment: PowerShell host or a module missing, login failed, server unreachable',
  duplicate: 'Entra ID created a second cloud user instead of matching (the report names it, with the remedy)',
  internal: 'internal error (a bug): please report it with the log file',
  interrupted: 'interrupted (Ctrl-C, SIGINT): PowerShell stopped, the journal kept; the same command resumes the run',
  terminated: 'terminated (SIGTERM, e.g. a scheduled task stopped): PowerShell stopped, the journal kept; the same command resumes the run',
};

export function exitCodeTable(): string {
  return (Object.keys(EXIT) as ExitName[]).map((name) => `  ${String(EXIT[name]).padStart(2)}  ${EXIT_MEANING[name]}`).join('\n');
}
