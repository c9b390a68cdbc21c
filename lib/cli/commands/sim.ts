// upn-match sim init: creates an offline tenant, forest and Entra Connect server to try upn-match on.
import type { Argv } from 'yargs';
import { scenarioNames, scenarios } from '../../sim/scenarios.js';
import type { GlobalOptions } from '../context.js';
import { EXIT } from '../../exit-codes.js';

export function simCommand(yargs: Argv<GlobalOptions>) {
  return yargs.command('sim', 'The offline simulator (fake AD, Entra ID and Entra Connect)', (y) =>
    y
      .command(
        'init <dir>',
        'Create a simulator in DIR (state.json and the scenario batch users.csv)',
        (c) =>
          c
            .positional('dir', { type: 'string', demandOption: true, describe: 'folder for the simulator' })
            .option('scenario', { type: 'string', choices: scenarioNames, default: 'happy-path', describe: 'bundled scenario' })
            .option('users', { type: 'number', describe: 'instead of a scenario: a random world with N users ready to match' })
            .option('tenant-users', { type: 'number', describe: 'with --users: total cloud users (the rest already synced)' })
            .option('seed', { type: 'number', default: 1, describe: 'random seed (same seed, same world)' })
            .option('force', { type: 'boolean', default: false, describe: 'replace an existing simulator' })
            .example('$0 sim init ./lab', 'the happy-path world, then: upn-match plan --sim ./lab --csv ./lab/users.csv')
            .example('$0 sim init ./big --users 2000', 'a random world with 2000 users ready to match')
            .epilogue(`Scenarios:\n${scenarios.map((s) => `  ${s.name.padEnd(20)} ${s.description}`).join('\n')}`),
        async (argv) => {
          if (argv.users !== undefined && (!Number.isInteger(argv.users) || argv.users < 1)) {
            console.error('upn-match: --users must be a positive whole number');
            process.exitCode = EXIT.badInput;
            return;
          }
          try {
            // Loaded here: the world builder is for this command only.
            const { initSimulator } = await import('../../sim/init.js');
            const result = initSimulator({
              dir: argv.dir,
              scenario: argv.scenario,
              users: argv.users,
              tenantUsers: argv['tenant-users'],
              seed: argv.seed,
              force: argv.force,
            });
            if (argv.json) console.log(JSON.stringify(result, null, 2));
            else
              console.log(
                `Simulator "${result.scenario}" created in ${result.dir}: ${result.tenantUsers} cloud users, ${result.adUsers} AD users, ` +
                  `batch of ${result.batchUsers} in ${result.batchFile}`,
              );
          } catch (error) {
            console.error(`upn-match: ${(error as Error).message}`);
            process.exitCode = EXIT.badInput;
          }
        },
      )
      .demandCommand(1, 'name a sim command'),
  );
}
