// A batch as European Excel saves it (Windows-1252, semicolons) goes through apply into AD unchanged, and
// the outputs: a report folder that cannot take the file stops the run before anything is done, and
// --json gives an error envelope on stdout when a command fails.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { adBySam, initSim, readState, runCli, stateText } from './cli.js';

describe('end to end: CSV in, reports out', function () {
  this.timeout(240_000);

  it('applies a Windows-1252, semicolon batch: José reaches AD as José, and the UPN as Graph spells it', async () => {
    const dir = await initSim('happy-path');
    const csv = path.join(dir, 'excel.csv');
    // Excel "CSV (Comma delimited)" in a German locale: ANSI code page, semicolons, CRLF, quotes only where needed.
    const lines = [
      'cloudUpn;samAccountName;distinguishedName;create;givenName;surname;ou;Ticket',
      'Anna.Mueller@Contoso.com;amueller;;no;;;;CHG-1',
      'jose.garcia@contoso.com;jgarcia;;yes;José;García;OU=Users,OU=Corp,DC=contoso,DC=local;CHG-2',
      ';;;;;;;',
    ];
    writeFileSync(csv, Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1'));
    const report = path.join(dir, 'report.csv');
    const result = await runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json', '--report', report, '--verify-timeout', '20']);
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(result.stderr).to.contain('"Ticket"');
    expect(result.json.toolVersion).to.be.a('string');
    expect(result.json.tenantId).to.be.a('string');
    expect(Date.parse(result.json.generatedAt)).to.not.be.NaN;

    const state = readState(dir);
    expect(adBySam(state, 'jgarcia')[0]).to.deep.include({ GivenName: 'José', Surname: 'García' });
    expect(adBySam(state, 'amueller')[0]?.UserPrincipalName).to.equal('anna.mueller@contoso.com');

    const bytes = readFileSync(report);
    expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    const rows = parse(bytes.toString('utf8').slice(1), { delimiter: ';', columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.cloudUpn, r.outcome, r.Ticket, r.runId])).to.deep.equal([
      ['anna.mueller@contoso.com', 'matched', 'CHG-1', result.json.runId],
      ['jose.garcia@contoso.com', 'matched', 'CHG-2', result.json.runId],
    ]);
    expect(rows[1]!.adObjectGuid).to.equal(adBySam(state, 'jgarcia')[0]!.ObjectGUID);
  });

  it('refuses a --report in a folder that does not exist before anything is done', async () => {
    const dir = await initSim('happy-path');
    const before = stateText(dir);
    const report = path.join(dir, 'no-such-folder', 'report.csv');
    const result = await runCli(['apply', '--sim', dir, '--csv', path.join(dir, 'users.csv'), '--yes', '--report', report]);
    expect(result.exitCode).to.equal(2);
    expect(result.stderr).to.contain(`the folder ${path.dirname(report)} does not exist`);
    expect(result.stderr).to.not.match(/internal error|\n\s+at /);
    expect(stateText(dir)).to.equal(before);
    expect(existsSync(path.join(dir, 'work', 'runs'))).to.equal(false);
  });

  it('prints an error envelope on stdout with --json when the command fails', async () => {
    const dir = await initSim('happy-path');
    const missing = path.join(dir, 'missing.csv');
    const result = await runCli(['plan', '--sim', dir, '--csv', path.relative(process.cwd(), missing), '--json']);
    expect(result.exitCode).to.equal(2);
    expect(result.json.error).to.deep.include({ code: 'BadInput', exitCode: 2 });
    expect(result.json.error.message).to.contain(`file not found: ${missing}`);
    expect(result.json.toolVersion).to.be.a('string');
  });
});
