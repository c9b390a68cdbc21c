// upn-match plan: read-only; gather the facts and tell, per user, whether and how it will match.
import type { Argv } from 'yargs';
import { readFeatureRecord } from '../../workflow/feature.js';
import { planReport } from '../../workflow/plan.js';
import type { GlobalOptions } from '../context.js';
import { output, readUsers, userOptions, withSession } from '../session.js';

export function planCommand(yargs: Argv<GlobalOptions>) {
  return yargs.command(
    'plan',
    'Read-only: gather the facts and tell, per user, whether and how it will match',
    (y) =>
      userOptions(y)
        .example('$0 plan --csv users.csv', 'check a batch from Excel or Export-Csv; nothing is written')
        .example('$0 plan --cloud-upn anna@contoso.com --sam amueller --html plan.html', 'one user, with an HTML page for the change board'),
    (argv) =>
      withSession(argv, async ({ context, deps }) => {
        const batch = readUsers(argv);
        const users = batch.users;
        const report = await planReport(deps, users, {
          config: context.config,
          enableFeature: Boolean(argv['enable-feature'] || context.config.enableFeature),
          featureRecord: readFeatureRecord(context.workDir),
        });
        await output(argv, report, batch);
      }),
  );
}
