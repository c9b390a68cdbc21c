// upn-match rollback --run ID: undo the AD changes of a run for users the sync did not match.
import type { Argv } from 'yargs';
import { rollbackRun } from '../../workflow/rollback.js';
import type { GlobalOptions } from '../context.js';
import { confirmOnTerminal, loadRun, output, withLock, withSession, outputOptions } from '../session.js';

export function rollbackCommand(yargs: Argv<GlobalOptions>) {
  return yargs.command(
    'rollback',
    'Undo the AD changes of a run for users not yet matched (restore the UPN, remove created accounts)',
    (y) =>
      outputOptions(y)
        .option('run', { type: 'string', demandOption: true, describe: 'run id' })
        .option('what-if', { type: 'boolean', default: false, describe: 'say what would be undone; change nothing' })
        .option('yes', { type: 'boolean', default: false, describe: 'do not ask (required when not run from a terminal)' })
        .example('$0 rollback --run 20261202T100000Z-abcdef --what-if', 'say what would be undone')
        .example('$0 rollback --run 20261202T100000Z-abcdef --yes --html rollback.html', 'undo, unattended, with an HTML report'),
    (argv) =>
      withSession(argv, async (session) => {
        await withLock(session, async () => {
          const run = loadRun(session, argv.run);
          const report = await rollbackRun(session.deps, run, {
            config: session.context.config,
            whatIf: argv['what-if'],
            confirm: async (count) => argv['what-if'] || confirmOnTerminal(argv, `Undo the AD changes of run ${run.runId} for up to ${count} user(s)?`),
          });
          await output(argv, report);
        });
      }),
  );
}
