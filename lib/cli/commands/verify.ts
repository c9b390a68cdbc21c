// upn-match verify --run ID: re-check the written, unmatched users of a run until matched or the time limit.
import type { Argv } from 'yargs';
import { verifyRun } from '../../workflow/verify.js';
import type { GlobalOptions } from '../context.js';
import { loadRun, output, withLock, withSession, outputOptions } from '../session.js';

export function verifyCommand(yargs: Argv<GlobalOptions>) {
  return yargs.command(
    'verify',
    'Re-check the users of a run against the cloud until matched or the time limit',
    (y) =>
      outputOptions(y)
        .option('run', { type: 'string', demandOption: true, describe: 'run id (see `upn-match status`)' })
        .option('verify-timeout', { type: 'number', default: 300, describe: 'seconds' })
        .example('$0 verify --run 20261202T100000Z-abcdef --report verify.csv', 'check again the users a run left unconfirmed'),
    (argv) =>
      withSession(argv, async (session) => {
        await withLock(session, async () => {
          const run = loadRun(session, argv.run);
          const report = await verifyRun(session.deps, run, { config: session.context.config, verifyTimeoutMs: argv['verify-timeout'] * 1000, verifyPollMs: 2000 });
          await output(argv, report);
        });
      }),
  );
}
