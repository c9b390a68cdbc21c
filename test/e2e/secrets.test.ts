// Secrets, end to end: a secret in the environment (UPN_MATCH_TEST_SECRET, AZURE_CLIENT_SECRET) or
// in a config file must never appear in what upn-match writes: stdout, stderr, the log files
// (WORKDIR/logs), the report (--report), the journal (WORKDIR/runs) or anything else under the work
// folder; not even in part (any 8 characters of it in a row). The simulator's own call log
// (DIR/calls.jsonl) is the fake's, not the product's: not checked.
//
// The config schema is strict and has no secret field (app-only sign-in uses a certificate in the
// machine's store), so a secret under an extra key is refused as bad input, and a secret given as
// a typed value (cloud, graph.auth, a thumbprint, a boolean) or in a file that is not valid JSON is
// refused without being repeated. A secret pasted into a free-text value the run does not send
// anywhere (graph.clientId with interactive sign-in) must not be echoed either.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { initSim, runCli, type CliResult } from './cli.js';

const STACK_LINE = /^\s+at /m;
/** 32 random letters: any 8 of them in a row in the output is a (partial) leak, not chance. */
const token = () => [...randomBytes(32)].map((b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'[b % 52]).join('');
const ENV_SECRET = token();
const AZURE_SECRET = token();
const CONFIG_SECRET = token();
const SECRETS = [ENV_SECRET, AZURE_SECRET, CONFIG_SECRET];
const WINDOW = 8;

/** The first place any WINDOW characters in a row of the secret appear in the text, or -1. */
function partialLeak(text: string, secret: string): number {
  for (let i = 0; i + WINDOW <= secret.length; i++) {
    const at = text.indexOf(secret.slice(i, i + WINDOW));
    if (at >= 0) return at;
  }
  return -1;
}
const secretEnv = { UPN_MATCH_TEST_SECRET: ENV_SECRET, AZURE_CLIENT_SECRET: AZURE_SECRET };

/** Every file under a folder, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

/**
 * What upn-match wrote for a run: stdout, stderr, every file under DIR/work (logs, journal, lock,
 * feature record) and the report. Returns the places a secret was found (none expected).
 */
function leaks(dir: string, results: CliResult[], extraFiles: string[] = []): { scanned: string[]; found: string[] } {
  const texts: Array<[string, string]> = [];
  results.forEach((r, i) => texts.push([`run ${i + 1} stdout`, r.stdout], [`run ${i + 1} stderr`, r.stderr]));
  const files = [...filesUnder(path.join(dir, 'work')), ...extraFiles.filter((f) => existsSync(f))];
  for (const file of files) texts.push([path.relative(dir, file), readFileSync(file, 'latin1')]);
  const found: string[] = [];
  for (const [where, text] of texts) {
    for (const secret of SECRETS) {
      const at = partialLeak(text, secret);
      if (at >= 0) found.push(`${where} holds (part of) a secret: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 40))}`);
    }
  }
  return { scanned: texts.map(([where]) => where), found };
}

describe('end to end: secrets never leak into output, logs, reports or the journal', function () {
  this.timeout(300_000);

  it('secrets in the environment and in config values the run does not send: an apply (JSON and --report) leaks none', async () => {
    const dir = await initSim('happy-path');
    const config = path.join(dir, 'secret-config.json');
    writeFileSync(
      config,
      JSON.stringify({ cloud: 'graph', graph: { auth: 'interactive', clientId: CONFIG_SECRET }, syncServer: { computerName: 'local' } }),
      'utf8',
    );
    const report = path.join(dir, 'report.csv');
    const apply = await runCli(['apply', '--sim', dir, '--config', config, '--csv', path.join(dir, 'users.csv'), '--yes', '--json', '--report', report], { env: secretEnv });
    expect(apply.exitCode, apply.stderr).to.equal(0);
    expect(apply.json.summary.matched).to.equal(4);
    const status = await runCli(['status', '--sim', dir, '--json'], { env: secretEnv });
    expect(status.exitCode, status.stderr).to.equal(0);
    const { scanned, found } = leaks(dir, [apply, status], [report]);
    // Not vacuous: the log, the journal and the report were written and read.
    expect(scanned.some((s) => s.startsWith(path.join('work', 'logs')))).to.equal(true);
    expect(scanned.some((s) => s.startsWith(path.join('work', 'runs')))).to.equal(true);
    expect(scanned).to.include('report.csv');
    expect(found).to.deep.equal([]);
  });

  it('secrets in the environment: an apply in text mode (console log lines) and the text status leak none', async () => {
    const dir = await initSim('happy-path');
    const report = path.join(dir, 'report.csv');
    const apply = await runCli(['apply', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--yes', '--report', report], { env: secretEnv });
    expect(apply.exitCode, apply.stderr).to.equal(0);
    expect(apply.stdout).to.match(/4 matched/);
    const status = await runCli(['status', '--sim', dir], { env: secretEnv });
    expect(status.exitCode, status.stderr).to.equal(0);
    const { scanned, found } = leaks(dir, [apply, status], [report]);
    expect(scanned.some((s) => s.startsWith(path.join('work', 'logs')))).to.equal(true);
    expect(found).to.deep.equal([]);
  });

  it('secrets in the environment: a run that fails (Graph sign-in refused) leaks none in its error and log', async () => {
    const dir = await initSim('happy-path');
    writeFileSync(path.join(dir, 'faults.json'), JSON.stringify({ fail: [{ command: 'Connect-MgGraph', message: 'AADSTS7000215: Invalid client secret provided.' }] }), 'utf8');
    const result = await runCli(['apply', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--yes'], { env: secretEnv });
    expect(result.exitCode, result.stderr).to.equal(6);
    expect(result.stderr).to.match(/GraphLoginFailed/);
    expect(result.stderr).to.not.match(STACK_LINE);
    const { scanned, found } = leaks(dir, [result]);
    expect(scanned.some((s) => s.startsWith(path.join('work', 'logs')))).to.equal(true);
    expect(found).to.deep.equal([]);
  });

  describe('a secret in the config file is refused as bad input (exit 2) and never repeated', () => {
    const cases: Array<{ name: string; text: () => string }> = [
      { name: 'an extra top-level key "clientSecret"', text: () => JSON.stringify({ cloud: 'graph', clientSecret: CONFIG_SECRET }) },
      { name: 'an extra key graph.clientSecret', text: () => JSON.stringify({ graph: { auth: 'certificate', tenantId: 'contoso.onmicrosoft.com', clientId: 'app', clientSecret: CONFIG_SECRET } }) },
      { name: 'an extra key ad.password', text: () => JSON.stringify({ ad: { server: 'dc01.contoso.local', password: CONFIG_SECRET } }) },
      { name: 'the secret as graph.certificateThumbprint', text: () => JSON.stringify({ graph: { auth: 'certificate', certificateThumbprint: CONFIG_SECRET } }) },
      { name: 'the secret as graph.auth', text: () => JSON.stringify({ graph: { auth: CONFIG_SECRET } }) },
      { name: 'the secret as cloud', text: () => JSON.stringify({ cloud: CONFIG_SECRET }) },
      { name: 'the secret as enableFeature', text: () => JSON.stringify({ enableFeature: CONFIG_SECRET }) },
      { name: 'not JSON: an unquoted secret value', text: () => `{"graph": {"auth": "certificate", "clientSecret": ${CONFIG_SECRET}}}` },
      { name: 'not JSON: the file is the secret alone', text: () => CONFIG_SECRET },
      { name: 'not JSON: a secret then a trailing comma', text: () => `{"clientSecret": "${CONFIG_SECRET}",}` },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const dir = await initSim('happy-path');
        const config = path.join(dir, 'secret-config.json');
        writeFileSync(config, c.text(), 'utf8');
        const result = await runCli(['apply', '--sim', dir, '--config', config, '--csv', path.join(dir, 'users.csv'), '--yes', '--json'], { env: secretEnv });
        expect(result.exitCode, result.stderr).to.equal(2);
        expect(result.stderr).to.match(/secret-config\.json/);
        expect(result.stderr).to.not.match(STACK_LINE);
        expect(leaks(dir, [result]).found).to.deep.equal([]);
      });
    }
  });
});
