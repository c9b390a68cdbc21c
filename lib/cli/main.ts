// upn-match's command line: parse, run, render, exit code. The work happens in the layers below.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { installExitHooks } from '../bridge/reaper.js';
import { ConfigError } from '../config.js';
import { doctorCommand } from './commands/doctor.js';
import { matchCommands } from './commands/match.js';
import { simCommand } from './commands/sim.js';
import { EXIT, exitCodeTable } from './exit-codes.js';

export async function main(argv: string[]): Promise<void> {
  installExitHooks();
  const cli = yargs(argv)
    .scriptName('upn-match')
    .usage('$0 <command> [options]\n\nMoves cloud-only Entra ID users to on-premises AD by UPN soft match (KB 3164442).')
    .option('config', { type: 'string', describe: 'JSON config file (see README)' })
    .option('sim', { type: 'string', describe: 'run against the offline simulator in this folder' })
    .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON on stdout' })
    .epilogue(`Exit codes:\n${exitCodeTable()}`)
    .demandCommand(1, 'name a command')
    .strict()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((message, error) => {
      if (error) throw error;
      console.error(`upn-match: ${message}\nRun "upn-match --help" for usage.`);
      process.exit(EXIT.badInput);
    });
  doctorCommand(cli);
  simCommand(cli);
  matchCommands(cli);
  try {
    await cli.parseAsync();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`upn-match: ${error.message}`);
      process.exitCode = EXIT.badInput;
      return;
    }
    throw error;
  }
}

await main(hideBin(process.argv));
