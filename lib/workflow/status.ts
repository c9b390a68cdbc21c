// `status`: the runs of a work folder as an admin reads them. A run still marked running whose process is
// gone was interrupted: it says so, with the command that resumes it.
import os from 'node:os';
import type { RunJournal } from './journal.js';
import { isAlive } from './lock.js';

export type RunView = Omit<RunJournal, 'status'> & {
  /** The journal's status, or `interrupted` for a running run whose process is gone. */
  status: RunJournal['status'] | 'interrupted';
  /** For an interrupted or incomplete run: the command that goes on with it. */
  resume?: string;
};

/** Whether the run's own process still works on it (a run of another machine is taken to). */
function ownerAlive(run: RunJournal): boolean {
  if (!run.owner) return false;
  return run.owner.host !== os.hostname() || isAlive(run.owner.pid);
}

export function viewRun(run: RunJournal): RunView {
  const interrupted = run.status === 'running' && !ownerAlive(run);
  const view: RunView = { ...run, status: interrupted ? 'interrupted' : run.status };
  if ((interrupted || run.status === 'incomplete') && run.command) view.resume = run.command;
  return view;
}
