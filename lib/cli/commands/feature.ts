// upn-match feature: show the tenant's directory-sync features, or turn one on; records them for app-only runs.
import type { Argv } from 'yargs';
import { EXIT } from '../../exit-codes.js';
import { runFeature, type FeatureAction } from '../../workflow/feature.js';
import type { GlobalOptions } from '../context.js';
import { withSession } from '../session.js';

export function featureCommand(yargs: Argv<GlobalOptions>) {
  return yargs.command(
    'feature [action]',
    'Show the tenant directory-sync features; enable-upn-soft-match or block-soft-match change them (delegated sign-in)',
    (y) => y.positional('action', { type: 'string', choices: ['show', 'enable-upn-soft-match', 'block-soft-match'] as const, default: 'show' as const }),
    (argv) =>
      withSession(argv, async ({ context, deps }) => {
        const { tenant, recordFile } = await runFeature(deps, argv.action as FeatureAction, { config: context.config, workDir: context.workDir });
        if (argv.json) console.log(JSON.stringify(tenant, null, 2));
        else if (tenant.features) {
          console.log(`Directory sync: ${tenant.directorySyncEnabled ? 'on' : 'off'}`);
          for (const [k, v] of Object.entries(tenant.features)) console.log(`  ${k.padEnd(50)} ${v}`);
          console.log(`Recorded in ${recordFile} for later app-only runs.`);
        } else {
          console.log(`Could not read the features: ${tenant.featuresError}`);
        }
        if (!tenant.features) process.exitCode = EXIT.environment;
      }),
  );
}
