// upn-match's command line: parse, run, render, exit code. The work happens in the layers below.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { installExitHooks } from '../bridge/reaper.js';
import { InputError } from '../input-error.js';
import { EXIT, exitCodeTable } from '../exit-codes.js';
import { interrupted } from './session.js';
import { applyCommand } from './commands/apply.js';
import { discoverCommand } from './commands/discover.js';
import { doctorCommand } from './commands/doctor.js';
import { featureCommand } from './commands/feature.js';
import { planCommand } from './commands/plan.js';
import { rollbackCommand } from './commands/rollback.js';
import { simCommand } from './commands/sim.js';
import { statusCommand } from './commands/status.js';
import { verifyCommand } from './commands/verify.js';
import { HELP_WIDTH } from './session.js';

export async function main(argv: string[]): Promise<void> {
  installExitHooks(interrupted, { SIGINT: EXIT.interrupted, SIGTERM: EXIT.terminated });
  const cli = yargs(argv)
    .scriptName('upn-match')
    .usage('$0 <command> [options]\n\nMoves cloud-only Entra ID users to on-premises AD by UPN soft match (KB 3164442).')
    .option('config', { type: 'string', describe: 'JSON config file (see README)' })
    .option('sim', { type: 'string', describe: 'run against the offline simulator in this folder' })
    .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON on stdout' })
    .option('work-dir', { type: 'string', describe: 'folder for the journal, lock and logs' })
    .epilogue(`Exit codes:\n${exitCodeTable()}`)
    .demandCommand(1, 'name a command')
    .strict()
    .wrap(Math.min(HELP_WIDTH, process.stdout.columns ?? HELP_WIDTH))
    .fail((message, error) => {
      if (error) throw error;
      console.error(`upn-match: ${message}\nRun "upn-match --help" for usage.`);
      process.exit(EXIT.badInput);
    });
  for (const command of [doctorCommand, simCommand, discoverCommand, planCommand, applyCommand, verifyCommand, statusCommand, rollbackCommand, featureCommand]) command(cli);
  try {
    await cli.parseAsync();
  } catch (error) {
    if (error instanceof InputError) {
      console.error(`upn-match: ${error.message}`);
      process.exitCode = EXIT.badInput;
      return;
    }
    throw error;
  }
}

await main(hideBin(process.argv));
