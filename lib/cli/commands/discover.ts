// upn-match discover: read-only; propose the pairs (cloud-only user <-> AD account) as a batch plan takes.
import { writeFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { discoverCsvLines, renderDiscover } from '../../discover/output.js';
import { EXIT } from '../../exit-codes.js';
import { discover } from '../../workflow/discover.js';
import type { GlobalOptions } from '../context.js';
import { reportJsonPieces } from '../../report/render.js';
import { discoverHtml } from '../../report/html.js';
import { toolVersion } from '../../version.js';
import { commandLine } from '../../command-line.js';
import { withSession, writeFilePieces, writeStdout } from '../session.js';

export function discoverCommand(yargs: Argv<GlobalOptions>) {
  return yargs.command(
    'discover',
    'Read-only: propose which AD account belongs to which cloud-only user, as a batch file plan takes',
    (y) =>
      y
        .option('out', { type: 'string', describe: 'write the proposed batch (plan\'s columns plus rule, confidence, evidence, review) to this CSV file' })
        .option('html', { type: 'string', describe: 'also write the report as one self-contained HTML page to this file' })
        .option('domain', { type: 'string', describe: 'only cloud users whose UPN is in this domain' })
        .option('group', { type: 'string', describe: 'only the (transitive) members of this cloud group (object id)' })
        .option('search-base', { type: 'string', describe: 'pair only the AD accounts under this DN (of those in the Entra Connect sync scope)' })
        .option('ou', { type: 'string', describe: 'suggest a new AD account in this OU (DN) for each cloud user with no candidate' })
        .option('enable-feature', { type: 'boolean', default: false, describe: 'check the proposals as if apply may enable UPN soft match' })
        .epilogue(
          'Pairs by the rules Entra Connect uses: the same UPN or the same primary SMTP address is ready; a UPN prefix in another\n' +
            'suffix, the cloud address among the AD proxy addresses or the same name (accents and case aside) is a proposal to\n' +
            'review (review=yes: plan blocks it until set to no); several candidates either way is ambiguous and never proposed.\n' +
            'Every proposal then goes through plan\'s precondition checks. Writes nothing but --out and --html.',
        ),
    (argv) =>
      withSession(argv, async ({ context, deps }) => {
        const report = await discover(deps, {
          config: context.config,
          domain: argv.domain,
          groupId: argv.group,
          searchBase: argv['search-base'],
          ou: argv.ou,
          enableFeature: Boolean(argv['enable-feature'] || context.config.enableFeature),
        });
        // Directory data: readable by its owner only.
        if (argv.out) writeFilePieces(argv.out, discoverCsvLines(report));
        if (argv.html) writeFileSync(argv.html, discoverHtml({ ...report, toolVersion, generatedAt: new Date().toISOString(), command: commandLine() }), { encoding: 'utf8', mode: 0o600 });
        // Row by row: at tens of thousands of users the report's text is tens of megabytes.
        if (argv.json) await writeStdout(reportJsonPieces(report, 'rows'));
        else console.log(renderDiscover(report, argv.out));
        process.exitCode = EXIT.ok;
      }),
  );
}
