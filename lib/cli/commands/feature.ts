// upn-match feature: show the tenant's directory-sync features, or turn one on; records them for app-only runs.
// Turning one on asks on a terminal and needs --yes without one; --what-if says what would change.
import type { Argv } from 'yargs';
import { EXIT } from '../../exit-codes.js';
import { runFeature, type FeatureAction } from '../../workflow/feature.js';
import type { GlobalOptions } from '../context.js';
import { confirmOnTerminal, withSession } from '../session.js';

const QUESTIONS: Record<string, string> = {
  softMatchOnUpnEnabled: 'Turn on UPN soft match (softMatchOnUpnEnabled) in the tenant? It cannot be turned off again.',
  blockSoftMatchEnabled: 'Turn on blockSoftMatchEnabled in the tenant (no more soft matching until it is turned off)?',
};

export function featureCommand(yargs: Argv<GlobalOptions>) {
  return yargs.command(
    'feature [action]',
    'Show the tenant directory-sync features; enable-upn-soft-match or block-soft-match change them (delegated sign-in)',
    (y) =>
      y
        .positional('action', { type: 'string', choices: ['show', 'enable-upn-soft-match', 'block-soft-match'] as const, default: 'show' as const })
        .option('yes', { type: 'boolean', default: false, describe: 'do not ask (required to change a feature when not run from a terminal)' })
        .option('what-if', { type: 'boolean', default: false, describe: 'say what would change; change nothing' })
        .example('$0 feature', 'show the features (and record them for app-only runs)')
        .example('$0 feature enable-upn-soft-match --what-if', 'say whether UPN soft match would be turned on')
        .example('$0 feature block-soft-match --yes', 'close soft matching again, from a scheduled task'),
    (argv) =>
      withSession(argv, async ({ context, deps }) => {
        const result = await runFeature(deps, argv.action as FeatureAction, {
          config: context.config,
          workDir: context.workDir,
          whatIf: argv['what-if'],
          confirm: (feature) => confirmOnTerminal(argv, QUESTIONS[feature] ?? `Turn on ${feature}?`),
        });
        const { tenant } = result;
        if (argv.json) console.log(JSON.stringify({ ...tenant, change: result.changed, whatIf: result.whatIf, declined: result.declined }, null, 2));
        else {
          if (result.declined) console.log('Nothing changed.');
          else if (result.changed && result.whatIf) {
            console.log(result.changed.changed ? `What-if: would turn on ${result.changed.feature} in tenant ${tenant.tenantId}.` : `What-if: ${result.changed.feature} is already on: nothing to do.`);
          } else if (result.changed) console.log(`${result.changed.feature}: ${result.changed.changed ? 'turned on' : 'was already on'}.`);
          if (tenant.features) {
            console.log(`Directory sync: ${tenant.directorySyncEnabled ? 'on' : 'off'}`);
            for (const [k, v] of Object.entries(tenant.features)) console.log(`  ${k.padEnd(50)} ${v}`);
            if (result.recordFile) console.log(`Recorded in ${result.recordFile} for later app-only runs.`);
          } else {
            console.log(`Could not read the features: ${tenant.featuresError}`);
          }
        }
        if (!tenant.features) process.exitCode = EXIT.environment;
      }),
  );
}
