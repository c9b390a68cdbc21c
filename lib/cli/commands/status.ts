// upn-match status: the journal of the last runs, per user and step; an interrupted run says how to resume.
import type { Argv } from 'yargs';
import { InputError } from '../../input-error.js';
import { FileJournalStore } from '../../workflow/journal.js';
import { viewRun } from '../../workflow/status.js';
import { createContext, type GlobalOptions } from '../context.js';
import { fail } from '../session.js';

export function statusCommand(yargs: Argv<GlobalOptions>) {
  return yargs.command(
    'status',
    'Show the journal of the last runs, per user and step',
    (y) =>
      y
        .option('run', { type: 'string', describe: 'one run in full' })
        .option('last', { type: 'number', default: 5 })
        .example('$0 status', 'the last five runs, and how to resume an interrupted one')
        .example('$0 status --run 20261202T100000Z-abcdef --json', 'one run in full, as JSON'),
    (argv) => {
      try {
        const context = createContext(argv);
        const store = new FileJournalStore(context.workDir);
        const runs = (argv.run ? [store.load(argv.run)].filter((r) => r !== null) : store.list().slice(-argv.last)).map(viewRun);
        if (argv.run && runs.length === 0) throw new InputError(`no run ${argv.run} in ${context.workDir}`);
        if (argv.json) {
          console.log(JSON.stringify(runs, null, 2));
          return;
        }
        if (runs.length === 0) console.log(`No runs in ${context.workDir}.`);
        for (const run of runs) {
          console.log(`${run.runId}  ${run.status.padEnd(11)} started ${run.startedAt}, sync ${run.sync.state}`);
          if (run.resume) console.log(`    resume with: ${run.resume}`);
          for (const u of run.users) console.log(`    ${u.state.padEnd(12)} ${u.cloudUpn}  ${u.steps.map((s) => `${s.id}:${s.outcome}`).join(' ')}`);
        }
      } catch (error) {
        fail(error, undefined, argv);
      }
    },
  );
}
