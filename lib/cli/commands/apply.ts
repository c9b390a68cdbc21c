// upn-match apply: plan, then write AD for the users with no blocking finding, one delta sync, verify.
import type { Argv } from 'yargs';
import { renderReport } from '../../report/render.js';
import { apply } from '../../workflow/apply.js';
import { readFeatureRecord } from '../../workflow/feature.js';
import type { GlobalOptions } from '../context.js';
import { commandLine } from '../../command-line.js';
import { confirmOnTerminal, output, readUsers, userOptions, withLock, withSession } from '../session.js';

export function applyCommand(yargs: Argv<GlobalOptions>) {
  return yargs.command(
    'apply',
    'Plan, then write to AD for the users with no blocking finding, run one delta sync and verify',
    (y) =>
      userOptions(y)
        .option('yes', { type: 'boolean', default: false, describe: 'do not ask (required when not run from a terminal)' })
        .option('what-if', { type: 'boolean', default: false, describe: 'run every step with -WhatIf: write nothing' })
        .option('relock', { type: 'boolean', default: false, describe: 'afterwards set blockSoftMatchEnabled back on (delegated sign-in)' })
        .option('verify-timeout', { type: 'number', default: 600, describe: 'seconds to wait for the cloud users to show the match' })
        .option('sync-wait', { type: 'number', default: 900, describe: 'seconds to wait for a running sync cycle' })
        .example('$0 apply --csv users.csv --what-if', 'list each operation it would perform; nothing is written, nothing asked')
        .example('$0 apply --csv users.csv --report result.csv --html result.html', 'run, asking first on a terminal; write the reports')
        .example('$0 apply --csv users.csv --yes --json > result.json', 'unattended, from a scheduled task'),
    (argv) =>
      withSession(argv, async (session) => {
        const batch = readUsers(argv);
        const users = batch.users;
        await withLock(session, async () => {
          const report = await apply(session.deps, users, {
            config: session.context.config,
            enableFeature: Boolean(argv['enable-feature'] || session.context.config.enableFeature),
            featureRecord: readFeatureRecord(session.context.workDir),
            whatIf: argv['what-if'],
            relock: argv.relock,
            confirm: async (plan) => {
              const eligible = plan.users.filter((u) => u.outcome === 'planned').length;
              return eligible === 0 || argv['what-if'] || confirmOnTerminal(argv, `Write to AD and sync for ${eligible} user(s)?`, () => renderReport(plan));
            },
            verifyTimeoutMs: argv['verify-timeout'] * 1000,
            verifyPollMs: 2000,
            syncWaitSeconds: argv['sync-wait'],
            syncPollMs: 1000,
            command: commandLine(),
          });
          await output(argv, report, batch);
        });
      }),
  );
}
