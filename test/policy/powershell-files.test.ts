// Policy over every PowerShell file the project ships or tests with (ps/, ps/sim, test/fixtures/ps):
// PowerShell's own parser reads it (one pwsh call for all files, test/fixtures/ps/Get-PolicyFindings.ps1),
// and each file must
//   - parse without errors;
//   - use no syntax Windows PowerShell 5.1 lacks;
//   - be UTF-8 with a byte order mark (5.1 reads a file without one in the ANSI code page);
// and each .ps1 under ps/ except the entry point must have comment-based help with a synopsis, and
// (outside the shared module and the simulator's fakes) write to stdout only through the envelope.
// Files written here on purpose with each violation prove that the checks catch them.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { projectRoot } from '../../lib/paths.js';
import { runPowerShell } from '../helpers/powershell.js';

interface Finding {
  line: number;
  what: string;
  text: string;
}

interface FileFindings {
  path: string;
  parseErrors: Finding[];
  syntax: Finding[];
  stdout: Finding[];
  synopsis: string | null;
}

type Rule = 'parse' | 'ps51' | 'bom' | 'help' | 'stdout';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const analyzer = path.join(projectRoot, 'test', 'fixtures', 'ps', 'Get-PolicyFindings.ps1');

function powershellFiles(dir: string): string[] {
  const found: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...powershellFiles(full));
    else if (/\.ps(m|d)?1$/i.test(entry.name)) found.push(full);
  }
  return found.sort();
}

/** Which rules a file under the project falls under, by where it is. */
function rulesFor(relative: string): Rule[] {
  const rel = relative.split(path.sep).join('/');
  const rules: Rule[] = ['parse', 'ps51', 'bom'];
  const underPs = rel.startsWith('ps/');
  const entryPoint = rel === 'ps/Invoke-UpnMatchScript.ps1';
  if (underPs && !entryPoint && rel.endsWith('.ps1')) rules.push('help');
  const exemptFromStdout = rel.startsWith('ps/UpnMatch.Common/') || rel.startsWith('ps/sim/');
  if (underPs && !entryPoint && !exemptFromStdout && !rel.endsWith('.psd1')) rules.push('stdout');
  return rules;
}

function violations(file: string, findings: FileFindings, rules: Rule[]): string[] {
  const out: string[] = [];
  const list = (rule: Rule, items: Finding[]) => items.forEach((f) => out.push(`${rule}: line ${f.line}: ${f.what}${f.text ? ` (${f.text})` : ''}`));
  if (rules.includes('parse')) list('parse', findings.parseErrors);
  if (rules.includes('ps51')) list('ps51', findings.syntax);
  if (rules.includes('bom') && !readFileSync(file).subarray(0, 3).equals(BOM)) out.push('bom: not UTF-8 with a byte order mark');
  if (rules.includes('help') && !findings.synopsis) out.push('help: no comment-based help with a .SYNOPSIS (as GetHelpContent() sees it)');
  if (rules.includes('stdout')) list('stdout', findings.stdout);
  return out;
}

async function analyse(files: string[]): Promise<Map<string, FileFindings>> {
  const listDir = mkdtempSync(path.join(os.tmpdir(), 'upn-match-policy-list-'));
  try {
    const listPath = path.join(listDir, 'files.json');
    writeFileSync(listPath, JSON.stringify(files), 'utf8');
    const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
    const result = await runPowerShell(`& ${quote(analyzer)} -ListPath ${quote(listPath)}`, { timeoutMs: 60_000 });
    expect(result.exitCode, `the policy analyser failed:\n${result.stderr}`).to.equal(0);
    const parsed = JSON.parse(result.stdout) as FileFindings[];
    expect(parsed.map((f) => f.path)).to.deep.equal(files);
    return new Map(parsed.map((f) => [f.path, f]));
  } finally {
    rmSync(listDir, { recursive: true, force: true });
  }
}

const HELP = '<#\n.SYNOPSIS\n    A policy test sample.\n#>\n[CmdletBinding()]\nparam()\n\n';

/** Files with one violation each (and one without any), to prove that each check can fail. */
const samples: Array<{ name: string; body: string; bom?: boolean; rules: Rule[]; expect: Partial<Record<Rule, RegExp>> }> = [
  { name: 'clean.ps1', body: `${HELP}$x = @{ a = 1 }\nif ($null -eq $x) { 'n' } else { [pscustomobject]$x }\n`, rules: ['parse', 'ps51', 'bom', 'help', 'stdout'], expect: {} },
  { name: 'ternary.ps1', body: `${HELP}$x = $true ? 1 : 2\n$x\n`, rules: ['ps51'], expect: { ps51: /ternary/ } },
  { name: 'no-bom.ps1', body: `${HELP}'Müller'\n`, bom: false, rules: ['bom'], expect: { bom: /byte order mark/ } },
  { name: 'coalesce.ps1', body: `${HELP}$a = $null ?? 1\n$a\n`, rules: ['ps51'], expect: { ps51: /\?\?/ } },
  { name: 'coalesce-assign.ps1', body: `${HELP}$a = $null\n$a ??= 1\n$a\n`, rules: ['ps51'], expect: { ps51: /\?\?=/ } },
  { name: 'null-member.ps1', body: `${HELP}$a = $null\n\${a}?.Name\n`, rules: ['ps51'], expect: { ps51: /\?\./ } },
  { name: 'null-index.ps1', body: `${HELP}$a = $null\n\${a}?[0]\n`, rules: ['ps51'], expect: { ps51: /\?\[/ } },
  { name: 'chain.ps1', body: `${HELP}Get-Date && Get-Date\n`, rules: ['ps51'], expect: { ps51: /&&/ } },
  { name: 'background.ps1', body: `${HELP}Get-Date &\n`, rules: ['ps51'], expect: { ps51: /background/ } },
  { name: 'clean-block.ps1', body: `${HELP.replace('param()\n\n', 'param()\n')}process { 1 }\nclean { $null = 2 }\n`, rules: ['ps51'], expect: { ps51: /clean block/ } },
  { name: 'parallel.ps1', body: `${HELP}1..2 | ForEach-Object -Parallel { $_ }\n1..2 | % -Para { $_ }\n`, rules: ['ps51'], expect: { ps51: /ForEach-Object -Para/ } },
  { name: 'json-hashtable.ps1', body: `${HELP}'{}' | ConvertFrom-Json -AsHashtable\n`, rules: ['ps51'], expect: { ps51: /ConvertFrom-Json -AsHashtable/ } },
  { name: 'json-array.ps1', body: `${HELP}ConvertTo-Json -InputObject 1 -AsArray\n`, rules: ['ps51'], expect: { ps51: /ConvertTo-Json -AsArray/ } },
  { name: 'json-datekind.ps1', body: `${HELP}'{}' | ConvertFrom-Json -DateKind String\n`, rules: ['ps51'], expect: { ps51: /DateKind/ } },
  { name: 'no-help.ps1', body: `[CmdletBinding()]\nparam()\n\n'x'\n`, rules: ['help'], expect: { help: /SYNOPSIS/ } },
  { name: 'parse-error.ps1', body: `${HELP}function Broken {\n  'x'\n`, rules: ['parse'], expect: { parse: /.+/ } },
  { name: 'write-host.ps1', body: `${HELP}Write-Host 'x'\n`, rules: ['stdout'], expect: { stdout: /Write-Host/ } },
  { name: 'write-output.ps1', body: `${HELP}Write-Output 'x'\necho 'y'\n`, rules: ['stdout'], expect: { stdout: /Write-Output/ } },
  { name: 'out-host.ps1', body: `${HELP}'x' | Microsoft.PowerShell.Core\\Out-Host\n`, rules: ['stdout'], expect: { stdout: /Out-Host/ } },
  { name: 'console-write.ps1', body: `${HELP}[Console]::WriteLine('x')\n[System.Console]::Write('y')\n`, rules: ['stdout'], expect: { stdout: /\[Console\]::WriteLine/ } },
  { name: 'console-out.ps1', body: `${HELP}$w = [Console]::Out\n$w.Write('x')\n`, rules: ['stdout'], expect: { stdout: /\[Console\]::Out/ } },
  { name: 'host-ui.ps1', body: `${HELP}$Host.UI.WriteLine('x')\n`, rules: ['stdout'], expect: { stdout: /\$Host\.UI\.WriteLine/ } },
];

describe('policy: PowerShell files', function () {
  this.timeout(60_000);

  const files = [...powershellFiles(path.join(projectRoot, 'ps')), ...powershellFiles(path.join(projectRoot, 'test', 'fixtures', 'ps'))];
  let sampleDir: string;
  let findings: Map<string, FileFindings>;

  before(async function () {
    sampleDir = mkdtempSync(path.join(os.tmpdir(), 'upn-match-policy-'));
    for (const sample of samples) {
      const text = Buffer.from(sample.body.replace(/\n/g, '\r\n'), 'utf8');
      writeFileSync(path.join(sampleDir, sample.name), sample.bom === false ? text : Buffer.concat([BOM, text]));
    }
    // One PowerShell call reads every file, the project's and the samples.
    findings = await analyse([...files, ...samples.map((s) => path.join(sampleDir, s.name))]);
  });

  after(() => {
    if (sampleDir) rmSync(sampleDir, { recursive: true, force: true });
  });

  it('finds the project files (ps/, the shared module, the entry point, test fixtures)', () => {
    const rel = files.map((f) => path.relative(projectRoot, f).split(path.sep).join('/'));
    expect(rel).to.include('ps/Invoke-UpnMatchScript.ps1');
    expect(rel).to.include('ps/UpnMatch.Common/UpnMatch.Common.psm1');
    expect(rel).to.include('ps/UpnMatch.Common/UpnMatch.Common.psd1');
    expect(rel).to.include('test/fixtures/ps/Invoke-Echo.ps1');
    expect(rulesFor('ps/steps/Get-HostInfo.ps1')).to.include.members(['help', 'stdout']);
    expect(rulesFor('ps/Invoke-UpnMatchScript.ps1')).not.to.include('help');
    expect(rulesFor('ps/Invoke-UpnMatchScript.ps1')).not.to.include('stdout');
    expect(rulesFor('ps/UpnMatch.Common/UpnMatch.Common.psm1')).not.to.include('stdout');
    expect(rulesFor('ps/sim/Modules/ADSync/ADSync.psm1')).not.to.include('stdout');
    expect(rulesFor('test/fixtures/ps/Write-StrayOutput.ps1')).to.deep.equal(['parse', 'ps51', 'bom']);
  });

  for (const file of files) {
    const relative = path.relative(projectRoot, file);
    const rules = rulesFor(relative);
    it(`${relative.split(path.sep).join('/')} (${rules.join(', ')})`, () => {
      const found = findings.get(file);
      expect(found, 'not analysed').to.not.equal(undefined);
      expect(violations(file, found as FileFindings, rules)).to.deep.equal([]);
    });
  }

  describe('the checks catch violations', () => {
    for (const sample of samples) {
      const expected = Object.entries(sample.expect) as Array<[Rule, RegExp]>;
      const title = expected.length === 0 ? `${sample.name}: nothing to report` : `${sample.name}: flagged for ${expected.map(([rule]) => rule).join(', ')}`;
      it(title, () => {
        const file = path.join(sampleDir, sample.name);
        const found = violations(file, findings.get(file) as FileFindings, ['parse', 'ps51', 'bom', 'help', 'stdout']);
        if (expected.length === 0) {
          expect(found).to.deep.equal([]);
          return;
        }
        for (const [rule, pattern] of expected) {
          const hits = found.filter((line) => line.startsWith(`${rule}:`));
          expect(hits, `no ${rule} finding in ${JSON.stringify(found)}`).not.to.be.empty;
          expect(hits.some((line) => pattern.test(line)), `${rule} findings ${JSON.stringify(hits)} do not match ${pattern}`).to.equal(true);
        }
        // And nothing else: each sample breaks exactly the rules it is about.
        const otherRules = found.filter((line) => !expected.some(([rule]) => line.startsWith(`${rule}:`)));
        expect(otherRules).to.deep.equal([]);
      });
    }

    it('flags every ?? / ?. / -Parallel occurrence, not only the first', () => {
      const parallel = findings.get(path.join(sampleDir, 'parallel.ps1'));
      expect(parallel?.syntax.map((f) => f.line)).to.deep.equal([8, 9]);
      const write = findings.get(path.join(sampleDir, 'write-output.ps1'));
      expect(write?.stdout.map((f) => f.what)).to.deep.equal(['Write-Output', 'Write-Output']);
      const consoleWrite = findings.get(path.join(sampleDir, 'console-write.ps1'));
      expect(consoleWrite?.stdout).to.have.length(2);
    });

    it('accepts the shared module\'s guarded -DateKind splat, which it uses on purpose', () => {
      const common = findings.get(path.join(projectRoot, 'ps', 'UpnMatch.Common', 'UpnMatch.Common.psm1'));
      expect(common?.syntax).to.deep.equal([]);
      expect(readFileSync(path.join(projectRoot, 'ps', 'UpnMatch.Common', 'UpnMatch.Common.psm1'), 'utf8')).to.contain("$options['DateKind'] = 'String'");
      // The module does write stdout (the envelope) and is exempt for that reason: the check sees it.
      expect(common?.stdout.map((f) => f.what)).to.include('[Console]::Out');
    });
  });
});
