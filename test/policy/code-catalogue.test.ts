// The code catalogue (lib/codes.ts) knows every code upn-match can report: each `Stop-UpnMatch -Code` in
// every PowerShell file under ps/ (read with PowerShell's own parser), with a category that agrees with the
// catalogue's kind, and each `code: '…'` the TypeScript sets; every entry has a remedy and an exit code.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { catalogue, codeInfo, isCatalogued } from '../../lib/codes.js';
import { EXIT } from '../../lib/exit-codes.js';
import { projectRoot } from '../../lib/paths.js';
import { runPowerShell } from '../helpers/powershell.js';

interface StopCall {
  file: string;
  line: number;
  code: string | null;
  category: string | null;
}

/** Every Stop-UpnMatch call under a folder, with its -Code and -Category as literals (null when not a literal). */
async function stopCalls(root: string): Promise<StopCall[]> {
  const script = `
$ErrorActionPreference = 'Stop'
$root = ${JSON.stringify(root).replace(/"/g, "'")}
$found = foreach ($file in Get-ChildItem -LiteralPath $root -Recurse -File -Include *.ps1, *.psm1) {
  $ast = [System.Management.Automation.Language.Parser]::ParseFile($file.FullName, [ref]$null, [ref]$null)
  $calls = $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] -and $n.GetCommandName() -eq 'Stop-UpnMatch' }, $true)
  foreach ($call in $calls) {
    $values = @{ Code = $null; Category = $null }
    $elements = $call.CommandElements
    for ($i = 1; $i -lt $elements.Count; $i++) {
      $e = $elements[$i]
      if ($e -is [System.Management.Automation.Language.CommandParameterAst] -and $values.ContainsKey($e.ParameterName) -and $i + 1 -lt $elements.Count) {
        $next = $elements[$i + 1]
        if ($next -is [System.Management.Automation.Language.StringConstantExpressionAst]) { $values[$e.ParameterName] = $next.Value } else { $values[$e.ParameterName] = '<not a literal>' }
      }
    }
    [pscustomobject]@{ file = $file.FullName.Substring($root.Length + 1); line = $call.Extent.StartLineNumber; code = $values.Code; category = $values.Category }
  }
}
ConvertTo-Json -InputObject @($found) -Depth 3 -Compress`;
  const result = await runPowerShell(script, { timeoutMs: 120_000 });
  expect(result.exitCode, result.stderr).to.equal(0);
  return JSON.parse(result.stdout) as StopCall[];
}

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('code catalogue', function () {
  this.timeout(120_000);
  let calls: StopCall[];

  before(async () => {
    calls = await stopCalls(path.join(projectRoot, 'ps'));
  });

  it('finds the Stop-UpnMatch calls of the product scripts (the walk sees them)', () => {
    // Known calls in three places: the envelope module, the Graph helpers and a step; fewer means the walk is blind.
    const files = new Set(calls.map((c) => c.file.split(path.sep).join('/')));
    expect(files).to.include.members(['UpnMatch.Common/UpnMatch.Common.psm1', 'UpnMatch.Directory/UpnMatch.Directory.psm1', 'steps/Set-AdUserForMatch.ps1']);
    expect(calls.length).to.be.greaterThan(15);
  });

  it('knows every code a PowerShell file stops with, given as a literal', () => {
    const problems = calls
      .filter((c) => c.code === null || c.code === '<not a literal>' || !catalogue.has(c.code))
      .map((c) => `${c.file}:${c.line} -Code ${c.code ?? '(missing)'}`);
    expect(problems, 'add these codes to lib/codes.ts (a literal code each)').to.deep.equal([]);
  });

  it("agrees with each script's category: precondition is a precondition, input is input (or our own bug), script is neither", () => {
    const problems = calls.flatMap((c) => {
      const kind = codeInfo(c.code ?? '').kind;
      const category = c.category ?? 'script';
      const agrees = category === 'precondition' ? kind === 'precondition' : category === 'input' ? kind === 'input' || kind === 'bug' : kind !== 'precondition' && kind !== 'input';
      return agrees ? [] : [`${c.file}:${c.line} ${c.code}: category ${category}, catalogue kind ${kind}`];
    });
    expect(problems).to.deep.equal([]);
  });

  it("knows every code the TypeScript sets (code: '…' in lib/)", () => {
    const problems: string[] = [];
    for (const file of typeScriptFiles(path.join(projectRoot, 'lib'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\bcode: '([A-Za-z.]+)'/g)) {
        if (!isCatalogued(match[1]!)) problems.push(`${path.relative(projectRoot, file)}: ${match[1]}`);
      }
    }
    expect(problems).to.deep.equal([]);
  });

  it('gives every code a remedy of its own words and the exit code of its kind', () => {
    for (const entry of catalogue.values()) {
      expect(entry.remedy.length, entry.code).to.be.greaterThan(20);
      expect(Object.values(EXIT), entry.code).to.include(entry.exit);
    }
    expect(codeInfo('VerifyTimeout').exit).to.equal(EXIT.verifyTimeout);
    expect(codeInfo('StagingMode').exit).to.equal(EXIT.blocked);
    expect(codeInfo('NotOneEnvelope').exit).to.equal(EXIT.internal);
    expect(codeInfo('HostMissing')).to.include({ exit: EXIT.environment, stopsRun: true });
    // PowerShell's own errors share one entry; a code nobody declared is a bug, never silently fine.
    expect(codeInfo('PS.PermissionDenied').kind).to.equal('refused');
    expect(codeInfo('SomethingNobodyDeclared')).to.include({ kind: 'bug', exit: EXIT.internal });
  });
});
