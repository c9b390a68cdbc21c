// Reference pages generated from the registries (checks and steps), so that the docs cannot drift
// from the code: `npm run docs` writes docs/reference.md, and a test fails when it is stale.
import { rules } from './checks/registry.js';
import { catalogue } from './codes.js';
import { EXIT, EXIT_MEANING, type ExitName } from './exit-codes.js';
import { scenarios } from './sim/scenarios.js';
import { steps } from './steps/registry.js';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function checksTable(): string {
  const lines = ['| code | scope | severity | what it checks | remedy |', '| --- | --- | --- | --- | --- |'];
  for (const r of rules) lines.push(`| \`${r.code}\` | ${r.scope} | ${r.severity} | ${cell(r.title)} | ${cell(r.hint)} |`);
  return lines.join('\n');
}

const list = (names: readonly string[]) => (names.length === 0 ? '—' : names.map((n) => `\`${n}\``).join(', '));

export function stepsTable(): string {
  const lines = ['| step | script | host | writes | time limit | modules | Graph routes |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const s of Object.values(steps)) {
    const limit = `${Math.round(s.timeoutMs / 1000)} s`;
    lines.push(`| \`${s.id}\` ${cell(s.title)} | \`ps/${s.script}\` | ${s.host}${s.edition === 'Desktop' ? ' (Windows PowerShell 5.1 on Windows: chooseStepHost)' : ''} | ${s.mutates ? 'yes' : 'no'} | ${limit} | ${list(s.modules)} | ${cell(list(s.graphRoutes))} |`);
  }
  return lines.join('\n');
}

export function exitCodesTable(): string {
  const lines = ['| code | meaning |', '| ---: | --- |'];
  for (const name of Object.keys(EXIT) as ExitName[]) lines.push(`| ${EXIT[name]} | ${EXIT_MEANING[name]} |`);
  return lines.join('\n');
}

/** Every code that is not a precondition rule (those are in the table above, with their remedies). */
export function codesTable(): string {
  const ruleCodes = new Set(rules.map((r) => r.code));
  const lines = ['| code | kind | exit | remedy |', '| --- | --- | ---: | --- |'];
  for (const entry of catalogue.values()) {
    if (ruleCodes.has(entry.code)) continue;
    lines.push(`| \`${entry.code}\` | ${entry.kind}${entry.stopsRun ? ' (stops the run)' : ''} | ${entry.exit} | ${cell(entry.remedy)} |`);
  }
  return lines.join('\n');
}

export function scenariosTable(): string {
  const lines = ['| scenario | the world | what upn-match concludes |', '| --- | --- | --- |'];
  for (const sc of scenarios) lines.push(`| \`${sc.name}\` | ${cell(sc.description)} | ${cell(sc.expect)} |`);
  return lines.join('\n');
}

export function referencePage(): string {
  return [
    '# upn-match reference',
    '',
    '_Generated from the registries in `lib/` by `npm run docs`; do not edit by hand._',
    '',
    '## Preconditions',
    '',
    'Every user gets these checks before anything is written. A `block` finding means nothing is',
    'written for that user; a `warn` finding is reported and the user goes on.',
    '',
    checksTable(),
    '',
    '## Steps',
    '',
    'Each step runs one bundled PowerShell script through the bridge, in this order for `apply`:',
    'facts (ad, cloud, tenant, sync) → feature-enabled → ad-written → sync-started → verified.',
    'The modules are those the script imports on the host it runs on (`upn-match doctor` checks them);',
    'the Graph routes are v1.0, and the GETs a step sends inside a `POST /$batch` are listed too.',
    '',
    stepsTable(),
    '',
    '## Codes',
    '',
    'Every code upn-match reports comes from one catalogue (`lib/codes.ts`): the preconditions above',
    '(kind `precondition` for `block`, `warning` for `warn`, exit 3) and the codes below, which the',
    'PowerShell scripts, the bridge and the workflow report. A user stopped by a `precondition` is',
    '`blocked` (nothing was written for it); `duplicate` makes it `duplicate`; `refused` and `pending` make it `failed`; `environment` and',
    '`bug` make it `error` (the tool or its surroundings failed, not the user\'s data). A failure that ends',
    'a whole command exits 2 (input), 70 (bug) or else 6. `PS.*` is any error PowerShell itself raised',
    '(`PS.<ErrorCategory>`, e.g. `PS.PermissionDenied`).',
    '',
    codesTable(),
    '',
    '## Outcomes',
    '',
    'Each user of a report ends as `matched`, `blocked`, `duplicate` (Entra ID provisioned a second cloud',
    'user for the AD account instead of matching), `failed`, `error`, `planned` (plan, what-if), `skipped`',
    '(not asked, or nothing to do) or `rolled-back`. The exit code of a report is the first that applies:',
    '70 (a bug), 6 (an error), 7 (a duplicate), 1 (failed), 4 (not seen matched in time), 3 (blocked), 0.',
    '',
    '## Exit codes',
    '',
    exitCodesTable(),
    '',
    '## Simulator scenarios',
    '',
    '`upn-match sim init DIR --scenario NAME` writes `DIR/state.json`, `DIR/config.json` and the batch',
    '`DIR/users.csv`; `--users N [--tenant-users T] [--seed S]` writes a large random world instead',
    '(the same seed gives the same world). See [simulator.md](simulator.md).',
    '',
    scenariosTable(),
    '',
  ].join('\n');
}
