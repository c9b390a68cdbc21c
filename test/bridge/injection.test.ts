// Injection: data passed as input is data. Hostile strings go into the echo script as a [string],
// inside a [string[]] and inside a [hashtable] (values and keys), through both runners, and must
// come back identical; a canary file that any of them would create if PowerShell executed it
// must never appear. A deliberately unsafe fixture (Invoke-Expression) shows the canary works.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { z } from 'zod';
import { ProcessRunner, SessionRunner, type HostCandidate, type PowerShellRunner } from '../../lib/bridge/index.js';
import { projectRoot } from '../../lib/paths.js';
import { resolveTestHost } from '../helpers/host.js';

const fixture = (name: string) => path.join(projectRoot, 'test', 'fixtures', 'ps', `${name}.ps1`);

const EchoOutput = z.object({
  text: z.string().nullable(),
  textLength: z.number().nullable(),
  items: z.array(z.string()).nullable(),
  itemLengths: z.array(z.number()).nullable(),
  map: z.record(z.string(), z.string()).nullable(),
});

/** Strings that would create the canary file `c` (or otherwise change) if anything evaluated them. */
function hostileStrings(dir: string): string[] {
  const c = (n: number) => path.join(dir, `c${n}`);
  const ni = (n: number, q = "'") => `New-Item -Path ${q}${c(n)}${q} -ItemType File`;
  const strings = [
    `$(${ni(1)})`,
    `$(${ni(2, '"')})`,
    `'; ${ni(3)}; '`,
    `"; ${ni(4, '"')}; "`,
    `'); ${ni(5)}; ('`,
    `"); ${ni(6)}; ("`,
    `\`$(${ni(7)})`,
    `\`"; ${ni(8)}; \`"`,
    `x\`\n${ni(9)}`,
    `@(${ni(10)})`,
    `@{ a = (${ni(11)}) }`,
    `; ${ni(12)}`,
    `| ${ni(13)}`,
    `& ${ni(14)}`,
    `& { ${ni(15)} }`,
    `. { ${ni(16)} }`,
    `\n${ni(17)}`,
    `a\r\n${ni(18)}\r\n`,
    `x\u0000; ${ni(19)}`,
    `\u2018; ${ni(20, '\u2018')}; \u2018`,
    `\u2019; ${ni(21, '\u2019')}; \u2019`,
    `\u201A; ${ni(22, '\u201A')}; \u201A`,
    `\u201B; ${ni(23, '\u201B')}; \u201B`,
    `\u201C; ${ni(24, '\u201C')}; \u201C`,
    `\u201D; ${ni(25, '\u201D')}; \u201D`,
    `\u201E; ${ni(26, '\u201E')}; \u201E`,
    `\u201C$(${ni(27)})\u201D`,
    `\u2018+(${ni(28)})+\u2019`,
    `'+(${ni(29)})+'`,
    `"+(${ni(30)})+"`,
    `Invoke-Expression "${ni(31)}"`,
    `iex '${ni(32).replace(/'/g, "''")}'`,
    `[System.IO.File]::WriteAllText('${c(33)}', 'x')`,
    `$ExecutionContext.InvokeCommand.InvokeScript('${ni(34).replace(/'/g, "''")}')`,
    `--% ${ni(35)}`,
    `-Text:$(${ni(36)})`,
    `'@\n${ni(37)}\n@'`,
    `"@\n$(${ni(38)})\n"@`,
    `{ ${ni(39)} }`,
    `\u2028${ni(40)}`,
    `\u0085${ni(41)}`,
    `#${ni(42)}\n<# #> ${ni(42)}`,
    `$(${ni(43)}) \``,
    '$env:PATH',
    '${env:HOME}',
    '$null',
    '$true',
    '$(1+1)',
    '@()',
    '$PSVersionTable',
    '%PATH% ~ $HOME',
    '* ? [a-z] **',
    "'",
    '"',
    '`',
    '\\',
    'trailing backslash\\',
    '\\"',
    "''''",
    '',
    '   ',
    '\t\r\n',
    '\u001b[31mred\u001b[0m',
    '\u202Eevil\u202C \u200B \uFEFFbom',
    '\uFEFF',
    '\u0000',
    '2024-01-02T03:04:05Z',
    '2024-01-02T03:04:05.1234567+02:00',
    '2024-01-02',
    '01/02/2024 03:04:05',
    '/Date(1700000000000)/',
    '\\/Date(1700000000000)\\/',
    '{"script":"x.ps1","input":{"Text":"$(New-Item)"}}',
    '[1,2,{"a":null}]',
    'true',
    '42',
    '-1.5e10',
    'null',
    Buffer.from(ni(44), 'utf8').toString('base64'),
    Buffer.from(ni(45), 'utf16le').toString('base64'),
    'SW52b2tlLUV4cHJlc3Npb24=',
    '"@{}"',
    '</script><script>',
    'Müller Østergård 张伟 😀 \u0301',
  ];
  let long = '';
  for (let i = 0; long.length < 10_000; i++) long += `$(${ni(46)}); '${i}' "; `;
  strings.push(long.slice(0, 10_000));
  return strings;
}

interface Kind {
  name: string;
  make: (host: HostCandidate) => PowerShellRunner;
}

const kinds: Kind[] = [
  { name: 'ProcessRunner', make: (host) => new ProcessRunner({ host }) },
  { name: 'SessionRunner', make: (host) => new SessionRunner({ host }) },
];

describe('bridge: hostile input is data, never code', function () {
  this.timeout(60_000);
  let dir: string;
  let strings: string[];

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'upn-match-canary-'));
    strings = hostileStrings(dir);
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('has at least 40 hostile strings, one of exactly 10,000 characters, all different', () => {
    expect(strings.length).to.be.at.least(40);
    expect(strings.some((s) => s.length === 10_000)).to.equal(true);
    expect(new Set(strings).size).to.equal(strings.length);
  });

  for (const kind of kinds) {
    describe(kind.name, () => {
      let runner: PowerShellRunner;
      const echo = (input: Record<string, unknown>) => runner.run({ script: fixture('Invoke-Echo'), input, output: EchoOutput });
      const canaries = () => readdirSync(dir);

      before(async () => {
        runner = kind.make({ path: await resolveTestHost(), source: 'env' });
      });

      after(async () => {
        await runner?.close();
      });

      it('returns every string identical inside a [string[]] and as [hashtable] values', async () => {
        const map = Object.fromEntries(strings.map((s, i) => [`k${i}`, s]));
        const result = await echo({ Items: strings, Map: map });
        expect(result.data.items).to.have.length(strings.length);
        strings.forEach((s, i) => {
          expect(result.data.items?.[i], `item ${i}: ${JSON.stringify(s.slice(0, 60))}`).to.equal(s);
          expect(result.data.itemLengths?.[i], `length of item ${i}`).to.equal(s.length);
          expect(result.data.map?.[`k${i}`], `map value ${i}`).to.equal(s);
        });
        expect(canaries()).to.deep.equal([]);
      });

      it('returns every string identical as [hashtable] keys', async () => {
        // Keys are case-insensitive in PowerShell, and a JSON property name cannot be empty there.
        const seen = new Set<string>();
        const keys = strings.filter((s) => s.trim() !== '' && !s.includes('\u0000') && !seen.has(s.toLowerCase()) && seen.add(s.toLowerCase()));
        expect(keys.length).to.be.at.least(40);
        const result = await echo({ Map: Object.fromEntries(keys.map((k, i) => [k, String(i)])) });
        expect(result.data.map).to.deep.equal(Object.fromEntries(keys.map((k, i) => [k, String(i)])));
        expect(canaries()).to.deep.equal([]);
      });

      it('returns strings identical as a single [string] parameter', async () => {
        // A session call costs milliseconds: all of them; a process call ~0.7 s: a handful.
        const picked = kind.name === 'SessionRunner' ? strings : [strings[0], strings[2], strings[19], strings[24], strings[18], strings[strings.length - 1]];
        for (const s of picked) {
          const result = await echo({ Text: s });
          expect(result.data.text, JSON.stringify(s?.slice(0, 60))).to.equal(s);
          expect(result.data.textLength).to.equal(s?.length);
        }
        expect(canaries()).to.deep.equal([]);
      });

      it('control: a script that does evaluate its input creates the canary', async () => {
        const control = path.join(dir, 'control');
        const result = await runner.run({
          script: fixture('Invoke-Unsafe'),
          input: { Code: `New-Item -Path '${control}' -ItemType File` },
          output: z.literal('evaluated'),
        });
        expect(result.data).to.equal('evaluated');
        expect(canaries()).to.deep.equal(['control']);
        rmSync(control);
      });
    });
  }
});
