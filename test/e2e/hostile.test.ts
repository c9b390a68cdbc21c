// Hostile input, end to end: every input path of the CLI (the user flags, every CSV column and
// config values) is fed the strings of hostile-strings.ts. Each run must end in a clean refusal:
// a documented exit code (2 bad input, 3 blocked, 6 environment; never 0 with a write, never 70),
// stdout and stderr without stack traces or "internal error", the canary file never created (every
// payload would create it if evaluated, by PowerShell or by a POSIX shell), and the simulator's
// state.json byte-identical afterwards.
//
// Values that pass the field rules are batched into one CSV per column (one run each); values the
// field rules refuse go into a second CSV per column, whose every row must be reported by number
// before any PowerShell work. Flags carry one user, so they get a handful of single runs each.
// Runs are independent (each in its own copy of a prepared simulator, with its own canary folder),
// so they go three at a time: a run spends much of its time waiting, not computing.
//
// givenName and surname are data: a created account may carry any text. So besides the refusal
// runs (where the cloud user does not exist), one run creates accounts with every accepted value
// and checks that AD holds exactly that text and nothing was executed.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { BATCH_COLUMNS } from '../../lib/batch-columns.js';
import { adBySam, initSim, readState, runCli, stateText, tempDir, limiter, type CliResult } from './cli.js';
import { batchKey, hostileStrings, refusedAsNewName, type HostileString } from './hostile-strings.js';

/** The sync scope of the bundled scenarios: an OU under it passes NotInSyncScope. */
const SCOPE = 'OU=Corp,DC=contoso,DC=local';
const GOOD_OU = `OU=Users,${SCOPE}`;
/** Cloud-only users added to the world, so that rows can name a real cloud user. */
const PREPARED_USERS = 240;
const preparedUpn = (i: number) => `hostile.u${i}@contoso.com`;
const CONCURRENCY = Math.max(1, Number(process.env.UPN_MATCH_E2E_CONCURRENCY) || 3);
const STACK_LINE = /^\s+at /m;
const TERMINAL_HOSTILE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

type Column = (typeof BATCH_COLUMNS)[number];
type Row = Partial<Record<Column, string>>;

function csvOf(rows: Row[]): string {
  return stringify(
    rows.map((r) => ({ create: 'no', ...r })),
    { header: true, columns: [...BATCH_COLUMNS] },
  );
}

/** Adds cloud-only member users hostile.u0..N@contoso.com (copies of a scenario user). */
function addCloudUsers(dir: string, count: number): void {
  const state = readState(dir);
  const template = state.tenant.users.find((u) => u.userPrincipalName === 'anna.mueller@contoso.com');
  if (!template) throw new Error('the happy-path world has no anna.mueller');
  for (let i = 0; i < count; i++) {
    const upn = preparedUpn(i);
    state.tenant.users.push({
      ...template,
      id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      userPrincipalName: upn,
      displayName: `Hostile ${i}`,
      givenName: 'Hostile',
      surname: String(i),
      mail: upn,
      proxyAddresses: [`SMTP:${upn}`],
    });
  }
  writeFileSync(path.join(dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`, 'utf8');
}

/** How many cmdlet calls the simulator has logged (DIR/calls.jsonl): PowerShell work done. */
function simCalls(dir: string): number {
  const file = path.join(dir, 'calls.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
}

/** A copy of the prepared simulator, with its own canary folder and the strings aimed at it. */
interface Lane {
  dir: string;
  pristine: string;
  canaryDir: string;
  strings: HostileString[];
  accepted: HostileString[];
  refused: HostileString[];
  named(name: string): HostileString;
}

function newLane(template: string): Lane {
  const dir = path.join(tempDir(), 'sim');
  mkdirSync(dir, { recursive: true });
  for (const file of ['state.json', 'config.json']) copyFileSync(path.join(template, file), path.join(dir, file));
  const canaryDir = tempDir('upn-match-canary-');
  const strings = hostileStrings(path.join(canaryDir, 'canary'));
  return {
    dir,
    pristine: stateText(dir),
    canaryDir,
    strings,
    accepted: strings.filter((s) => !s.refusedAtInput),
    refused: strings.filter((s) => s.refusedAtInput),
    named(name) {
      const found = strings.find((s) => s.name === name);
      if (!found) throw new Error(`no hostile string named ${name}`);
      return found;
    },
  };
}

interface Done {
  lane: Lane;
  result: CliResult;
  /** state.json differs from the copy's start. */
  changed: boolean;
  /** What appeared in the canary folder. */
  created: string[];
  calls: number;
}

/** At most CONCURRENCY CLI runs at a time. */
/** The clean-refusal contract. */
function expectCleanRefusal(done: Done, allowed: number[], what: string): void {
  const { result } = done;
  const context = `${what}: exit ${result.exitCode}\n--- stderr ---\n${result.stderr.slice(0, 3000)}`;
  expect(allowed, context).to.include(result.exitCode);
  for (const [name, text] of [['stderr', result.stderr], ['stdout', result.stdout]] as const) {
    expect(text, `${what}: a stack trace on ${name}`).to.not.match(STACK_LINE);
    expect(text, `${what}: an internal error on ${name}`).to.not.match(/internal error/i);
    // No raw control or bidirectional character reaches a terminal (escape sequences, overrides).
    expect(text, `${what}: a raw control or bidirectional character on ${name}`).to.not.match(TERMINAL_HOSTILE);
  }
  expect(done.created, `${what}: the canary (or something next to it) was created`).to.deep.equal([]);
  expect(done.changed, `${what}: state.json changed`).to.equal(false);
}

interface ReportedUser {
  cloudUpn: string;
  outcome: string;
  findings: Array<{ code: string }>;
}

function usersOf(done: Done): ReportedUser[] {
  const { result } = done;
  expect(result.json, `no JSON report on stdout:\n${result.stdout.slice(0, 500)}\n${result.stderr.slice(0, 2000)}`).to.not.equal(null);
  return result.json.users as ReportedUser[];
}

/** Every row of a CSV is reported by its number (the header is row 1). */
function expectEveryRowReported(done: Done, rows: number, what: string): void {
  for (let i = 0; i < rows; i++) expect(done.result.stderr, `${what}: row ${i + 2} not reported`).to.include(`row ${i + 2}:`);
}

/** No cell of a report CSV would be read by Excel as a formula. */
function expectNeutralReport(file: string): string[][] {
  const cells: string[][] = parse(readFileSync(file, 'utf8'), { relax_column_count: true });
  for (const line of cells.slice(1)) {
    for (const cell of line) expect(cell, `report cell ${JSON.stringify(cell.slice(0, 60))}`).to.not.match(/^[=+\-@\t\r]/);
  }
  return cells;
}

describe('end to end: hostile input is refused, never executed', function () {
  this.timeout(300_000);

  const tried: Record<string, number> = {};
  const count = (inputPath: string, n: number) => (tried[inputPath] = (tried[inputPath] ?? 0) + n);
  let template: string;
  let sample: Lane;
  const limit = limiter(CONCURRENCY);
  const jobs = new Map<string, Promise<Done | Done[]>>();

  /** Starts a run in a new lane; `args` gets the lane (to write files in it). */
  function run(argsOf: (lane: Lane) => string[]): Promise<Done> {
    return limit(async () => {
      const lane = newLane(template);
      const args = argsOf(lane);
      const result = await runCli(args);
      return {
        lane,
        result,
        changed: stateText(lane.dir) !== lane.pristine,
        created: readdirSync(lane.canaryDir),
        calls: simCalls(lane.dir),
      };
    });
  }

  function writeCsv(lane: Lane, name: string, rows: Row[]): string {
    const file = path.join(lane.dir, `${name}.csv`);
    writeFileSync(file, csvOf(rows), 'utf8');
    return file;
  }

  const applyCsv = (lane: Lane, name: string, rows: Row[], extra: string[] = []) => [
    'apply',
    '--sim',
    lane.dir,
    '--csv',
    writeCsv(lane, name, rows),
    '--yes',
    '--json',
    ...extra,
  ];

  function schedule<T extends Done | Done[]>(key: string, start: () => Promise<T>): void {
    const promise = start();
    promise.catch(() => undefined); // awaited (and reported) by its test
    jobs.set(key, promise);
  }

  async function job(key: string): Promise<Done> {
    return (await jobs.get(key)) as Done;
  }

  async function jobList(key: string): Promise<Done[]> {
    return (await jobs.get(key)) as Done[];
  }

  // Rows per column. Accepted values: the row is otherwise fine, so the hostile value is what the
  // run meets; for givenName and surname the cloud user does not exist (else the account would
  // rightly be created with that name: see the verbatim test below).
  const inScope = (v: string) => {
    const t = v.trim().toLowerCase();
    return t === SCOPE.toLowerCase() || t.endsWith(`,${SCOPE.toLowerCase()}`);
  };
  const acceptedRows: Record<Exclude<Column, 'create'>, (values: HostileString[]) => Row[]> = {
    cloudUpn: (values) => values.map((s, i) => ({ cloudUpn: s.value, samAccountName: `nosuch${i}` })),
    samAccountName: (values) => values.map((s, i) => ({ cloudUpn: preparedUpn(i), samAccountName: s.value })),
    distinguishedName: (values) => values.map((s, i) => ({ cloudUpn: preparedUpn(i), distinguishedName: s.value })),
    ou: (values) =>
      values
        .filter((s) => !inScope(s.value))
        .map((s, i) => ({ cloudUpn: preparedUpn(i), samAccountName: `hou${i}`, create: 'yes', givenName: 'Olga', surname: 'Unit', ou: s.value })),
    // A formula-looking name is refused for a new account (see the flag case below): not among these.
    givenName: (values) =>
      values.filter((s) => !refusedAsNewName(s.value)).map((s, i) => ({ cloudUpn: `nobody.g${i}@contoso.com`, samAccountName: `hng${i}`, create: 'yes', givenName: s.value, surname: 'Given', ou: GOOD_OU })),
    surname: (values) =>
      values.filter((s) => !refusedAsNewName(s.value)).map((s, i) => ({ cloudUpn: `nobody.s${i}@contoso.com`, samAccountName: `hns${i}`, create: 'yes', givenName: 'Sue', surname: s.value, ou: GOOD_OU })),
  };
  const refusedRows = (column: Exclude<Column, 'create'>, values: HostileString[]): Row[] =>
    values.map((s, i): Row => {
      const create = column === 'givenName' || column === 'surname' || column === 'ou';
      const base: Row = create
        ? { cloudUpn: preparedUpn(i), samAccountName: `hr${i}`, create: 'yes', givenName: 'Rita', surname: 'Refused', ou: GOOD_OU }
        : { cloudUpn: preparedUpn(i), samAccountName: `hr${i}` };
      if (column === 'distinguishedName') delete base.samAccountName;
      return { ...base, [column]: s.value };
    });

  // Flags: a handful per flag; single runs (flags carry one user).
  const createArgs = (cloudUpn: string, f: { sam?: string; given?: string; surname?: string; ou?: string }) => [
    '--create',
    `--cloud-upn=${cloudUpn}`,
    `--sam=${f.sam ?? 'hflag1'}`,
    `--given-name=${f.given ?? 'Flag'}`,
    `--surname=${f.surname ?? 'Case'}`,
    `--ou=${f.ou ?? GOOD_OU}`,
  ];
  const flagCases: Array<{ flag: string; names: string[]; args: (v: string) => string[] }> = [
    {
      flag: '--cloud-upn',
      names: ['U+2018/U+2019 around a sub-expression in a UPN', 'right-to-left override', '10,000 characters of payloads', 'ANSI escape'],
      args: (v) => [`--cloud-upn=${v}`, '--sam=amueller'],
    },
    {
      flag: '--sam',
      names: ['LDAP OR injection on sAMAccountName', 'zero-width space', '10,000 characters'],
      args: (v) => ['--cloud-upn=anna.mueller@contoso.com', `--sam=${v}`],
    },
    {
      flag: '--dn',
      names: ['LDAP wildcard DN', 'CRLF', '1,025 characters'],
      args: (v) => ['--cloud-upn=anna.mueller@contoso.com', `--dn=${v}`],
    },
    {
      flag: '--given-name',
      names: ['U+201C left double quote', 'bell', '10,000 characters of payloads'],
      args: (v) => createArgs('nobody.flag@contoso.com', { given: v }),
    },
    {
      flag: '--surname',
      names: ['formula =cmd', 'right-to-left isolate (Trojan Source)', 'DEL'],
      args: (v) => createArgs('nobody.flag@contoso.com', { surname: v }),
    },
    {
      flag: '--ou',
      names: ['U+201E low double quote', 'C1 next line', '10,000 characters'],
      args: (v) => createArgs('anna.mueller@contoso.com', { ou: v }),
    },
  ];

  // Config values: a config file like the simulator's own, with one hostile value.
  const baseConfig = { cloud: 'graph', graph: { auth: 'interactive' }, syncServer: { computerName: 'local' } };
  const configCases: Array<{ key: string; names: string[]; config: (v: string) => unknown; exit: number; stderr?: RegExp }> = [
    { key: 'ad.server', names: ['U+2018 left single quote'], config: (v) => ({ ...baseConfig, ad: { server: v } }), exit: 6, stderr: /Unable to contact the server/ },
    { key: 'ad.server', names: ['sub-expression'], config: (v) => ({ ...baseConfig, ad: { server: v } }), exit: 6, stderr: /Unable to contact the server/ },
    { key: 'syncServer.computerName', names: ['semicolon'], config: (v) => ({ ...baseConfig, syncServer: { computerName: v } }), exit: 2, stderr: /ComputerName/ },
    { key: 'graph.tenantId', names: ['OData or-true'], config: (v) => ({ ...baseConfig, graph: { auth: 'interactive', tenantId: v } }), exit: 6, stderr: /GraphLoginFailed/ },
    { key: 'graph.tenantId', names: ['U+201C left double quote'], config: (v) => ({ ...baseConfig, graph: { auth: 'interactive', tenantId: v } }), exit: 6, stderr: /GraphLoginFailed/ },
    { key: 'powershell', names: ['semicolon', 'sub-expression', 'UNC path'], config: (v) => ({ ...baseConfig, powershell: v }), exit: 6, stderr: /does not exist/ },
    { key: 'syncServer.powershell', names: ['pipe'], config: (v) => ({ ...baseConfig, syncServer: { computerName: 'local', powershell: v } }), exit: 6 },
  ];

  before(async () => {
    template = await initSim('happy-path');
    addCloudUsers(template, PREPARED_USERS);
    sample = newLane(template);
    // Start every run now, at most CONCURRENCY at a time; each test awaits its own.
    for (const column of Object.keys(acceptedRows) as Array<keyof typeof acceptedRows>) {
      const report = column === 'cloudUpn' || column === 'samAccountName';
      schedule(`accepted ${column}`, () =>
        run((lane) => applyCsv(lane, `hostile-${column}`, acceptedRows[column](lane.accepted), report ? ['--report', path.join(lane.dir, 'report.csv')] : [])),
      );
    }
    schedule('create column', () =>
      run((lane) =>
        applyCsv(
          lane,
          'hostile-create',
          lane.strings.map((s, i) => ({ cloudUpn: preparedUpn(i), samAccountName: `hc${i}`, create: s.value })),
        ),
      ),
    );
    schedule('ou in scope', () =>
      run((lane) =>
        applyCsv(
          lane,
          'hostile-ou-in-scope',
          lane.accepted
            .filter((s) => s.value.includes(path.join(lane.canaryDir, 'canary')) && !s.value.includes(',') && s.value.length < 200)
            .map((s, i) => ({ cloudUpn: preparedUpn(i), samAccountName: `hos${i}`, create: 'yes', givenName: 'Olaf', surname: 'Scope', ou: `OU=${s.value.trim()},${GOOD_OU}` })),
        ),
      ),
    );
    schedule('header', () =>
      run((lane) => {
        // Every string as an extra column name, with one fine row.
        const file = path.join(lane.dir, 'hostile-header.csv');
        const header = [...BATCH_COLUMNS, ...lane.strings.map((s) => s.value)];
        const row = ['anna.mueller@contoso.com', 'amueller', '', 'no', '', '', '', ...lane.strings.map(() => 'x')];
        writeFileSync(file, stringify([header, row]), 'utf8');
        return ['apply', '--sim', lane.dir, '--csv', file, '--yes', '--json'];
      }),
    );
    for (const column of Object.keys(acceptedRows) as Array<keyof typeof acceptedRows>) {
      schedule(`refused ${column}`, () => run((lane) => applyCsv(lane, `refused-${column}`, refusedRows(column, lane.refused))));
    }
    for (const c of flagCases) {
      schedule(`flag ${c.flag}`, () => Promise.all(c.names.map((name) => run((lane) => ['apply', '--sim', lane.dir, ...c.args(lane.named(name).value), '--yes', '--json']))));
    }
    configCases.forEach((c, index) => {
      schedule(`config ${index}`, () =>
        Promise.all(
          c.names.map((name) =>
            run((lane) => {
              const file = path.join(lane.dir, 'hostile-config.json');
              writeFileSync(file, JSON.stringify(c.config(lane.named(name).value)), 'utf8');
              return ['apply', '--sim', lane.dir, '--config', file, '--cloud-upn=anna.mueller@contoso.com', '--sam=amueller', '--yes', '--json'];
            }),
          ),
        ),
      );
    });
  });

  after(() => {
    // The figures docs/hardening.md quotes.
    const total = Object.values(tried).reduce((a, b) => a + b, 0);
    console.log(`      hostile inputs tried: ${total} (${Object.entries(tried).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  });

  it('the list holds at least 60 strings, unique as batch keys, both accepted and refused by the field rules', () => {
    const { strings, accepted, refused } = sample;
    expect(strings.length).to.be.at.least(60);
    expect(new Set(strings.map((s) => s.name)).size).to.equal(strings.length);
    expect(new Set(strings.map((s) => batchKey(s.value))).size).to.equal(strings.length);
    expect(strings.some((s) => s.value.length === 10_000)).to.equal(true);
    expect(accepted.length).to.be.at.least(40);
    expect(refused.length).to.be.at.least(10);
    expect(PREPARED_USERS).to.be.at.least(2 * accepted.length);
  });

  describe('CSV: one run per column with every value the field rules accept', () => {
    it('cloudUpn: every row blocked (no such cloud user, invalid UPN); --report neutralises formula cells', async () => {
      const done = await job('accepted cloudUpn');
      expectCleanRefusal(done, [3], 'cloudUpn column');
      const users = usersOf(done);
      expect(users).to.have.length(done.lane.accepted.length);
      for (const u of users) expect(u.outcome, u.cloudUpn).to.equal('blocked');
      const [header, ...lines] = expectNeutralReport(path.join(done.lane.dir, 'report.csv'));
      expect(lines).to.have.length(users.length);
      const upnColumn = header!.indexOf('cloudUpn');
      const formulas = done.lane.accepted.filter((s) => /^[=+\-@]/.test(s.value.trim()));
      expect(formulas.length).to.be.at.least(5);
      for (const s of formulas) expect(lines.map((l) => l[upnColumn]), s.name).to.include(`'${s.value.trim()}`);
      count('CSV cloudUpn', users.length);
    });

    const expectBlocked = (column: string, code: string) => async () => {
      const done = await job(`accepted ${column}`);
      expectCleanRefusal(done, [3], `${column} column`);
      const users = usersOf(done);
      const newName = column === 'givenName' || column === 'surname';
      expect(users.length).to.be.at.least(done.lane.accepted.filter((s) => !newName || !refusedAsNewName(s.value)).length - 2);
      for (const u of users) {
        expect(u.outcome, u.cloudUpn).to.equal('blocked');
        expect(u.findings.map((f) => f.code), u.cloudUpn).to.include(code);
      }
      if (column === 'samAccountName') expectNeutralReport(path.join(done.lane.dir, 'report.csv'));
      count(`CSV ${column}`, users.length);
    };
    it('samAccountName (update): every row blocked with AdAccountNotFound', expectBlocked('samAccountName', 'AdAccountNotFound'));
    it('distinguishedName: every row blocked with AdAccountNotFound', expectBlocked('distinguishedName', 'AdAccountNotFound'));
    it('ou (create): every row blocked with NotInSyncScope', expectBlocked('ou', 'NotInSyncScope'));
    it('givenName (create, no such cloud user): every row blocked, the value carried as data', expectBlocked('givenName', 'CloudUserNotFound'));
    it('surname (create, no such cloud user): every row blocked, the value carried as data', expectBlocked('surname', 'CloudUserNotFound'));

    it('ou (create) under the sync scope with a payload in its name: AD refuses the write (no such OU), nothing created or executed', async () => {
      // Not a refusal before writing: no precondition checks that the OU exists, so plan calls these
      // rows fine and each New-ADUser fails ("Directory object not found"): exit 1, every user
      // failed, nothing written. See docs/hardening.md (gaps).
      const done = await job('ou in scope');
      expectCleanRefusal(done, [1], 'ou column, in scope');
      const users = usersOf(done);
      expect(users.length).to.be.at.least(20);
      for (const u of users) {
        expect(u.outcome, u.cloudUpn).to.equal('failed');
        expect(u.findings.map((f) => f.code), u.cloudUpn).to.include('PS.ObjectNotFound');
      }
      count('CSV ou', users.length);
    });

    it('create: every value that is not yes/no is refused with its row number', async () => {
      const done = await job('create column');
      expectCleanRefusal(done, [2], 'create column');
      const rows = done.lane.strings.length;
      expectEveryRowReported(done, rows, 'create column');
      expect(done.calls, 'no simulated cmdlet may have been called').to.equal(0);
      count('CSV create', rows);
    });
  });

  it('CSV header: the strings as extra column names: those the field rules refuse are refused, quoted and cut short', async () => {
    const done = await job('header');
    expectCleanRefusal(done, [2], 'header');
    expect(done.result.stderr).to.match(/^upn-match: error: bad input:\nrow 1: column name "/);
    expect(done.result.stderr.length, 'each name is cut to 40 characters').to.be.below(100 * 60);
    expect(done.calls, 'no simulated cmdlet may have been called').to.equal(0);
    count('CSV header', done.lane.strings.length);
  });

  describe('CSV: one run per column with every value the field rules refuse', () => {
    for (const column of ['cloudUpn', 'samAccountName', 'distinguishedName', 'givenName', 'surname', 'ou'] as const) {
      it(`${column}: refused before any PowerShell work, every row reported by number`, async () => {
        const done = await job(`refused ${column}`);
        expectCleanRefusal(done, [2], `${column} column (refused values)`);
        expectEveryRowReported(done, done.lane.refused.length, column);
        expect(done.calls, 'no simulated cmdlet may have been called').to.equal(0);
        count(`CSV ${column}`, done.lane.refused.length);
      });
    }
  });

  describe('flags: a handful of single runs per flag', () => {
    for (const c of flagCases) {
      it(`${c.flag}: each value refused (exit 2 at input, or 3 blocked)`, async () => {
        const runs = await jobList(`flag ${c.flag}`);
        runs.forEach((done, i) => {
          const s = done.lane.named(c.names[i]!);
          const refused = s.refusedAtInput || (['--given-name', '--surname'].includes(c.flag) && refusedAsNewName(s.value));
          expectCleanRefusal(done, refused ? [2] : [3], `${c.flag} ${s.name}`);
          if (refused) expect(done.calls, `${c.flag} ${s.name}: no cmdlet may have been called`).to.equal(0);
        });
        count(`flag ${c.flag}`, runs.length);
      });
    }
  });

  describe('config values', () => {
    configCases.forEach((c, index) => {
      it(`${c.key} (${c.names.join(', ')}): exit ${c.exit}, nothing executed`, async () => {
        const runs = await jobList(`config ${index}`);
        runs.forEach((done, i) => {
          expectCleanRefusal(done, [c.exit], `${c.key} ${c.names[i]}`);
          if (c.stderr) expect(done.result.stderr, `${c.key} ${c.names[i]}`).to.match(c.stderr);
        });
        count(`config ${c.key}`, runs.length);
      });
    });
  });
});

describe('end to end: hostile names that reach the AD write are stored verbatim, never executed', function () {
  this.timeout(300_000);

  it('givenName and surname of created accounts: every accepted value written exactly as given, the canary never created', async () => {
    const canaryDir = tempDir('upn-match-canary-');
    const values = hostileStrings(path.join(canaryDir, 'canary')).filter((s) => !refusedAsNewName(s.value));
    const dir = await initSim('happy-path');
    addCloudUsers(dir, values.length);
    const before = readState(dir);
    // Each row carries two hostile values: one as givenName, the next as surname.
    const rows: Row[] = values.map((s, i) => ({
      cloudUpn: preparedUpn(i),
      samAccountName: `hv${i}`,
      create: 'yes',
      givenName: s.value,
      surname: values[(i + 1) % values.length]!.value,
      ou: GOOD_OU,
    }));
    const csv = path.join(dir, 'verbatim.csv');
    writeFileSync(csv, csvOf(rows), 'utf8');
    const result = await runCli(['apply', '--sim', dir, '--csv', csv, '--yes', '--json', '--verify-timeout', '60']);
    expect(result.stderr).to.not.match(STACK_LINE);
    expect(readdirSync(canaryDir), 'the canary file was created').to.deep.equal([]);
    expect(result.exitCode, result.stderr.slice(0, 3000)).to.equal(0);
    expect(result.json.summary.matched).to.equal(rows.length);
    const after = readState(dir);
    expect(after.forest.users.length).to.equal(before.forest.users.length + rows.length);
    expect(after.tenant.users.length).to.equal(before.tenant.users.length);
    for (const row of rows) {
      const accounts = adBySam(after, row.samAccountName!);
      expect(accounts, row.samAccountName).to.have.length(1);
      expect(accounts[0]!.GivenName, row.samAccountName).to.equal(row.givenName!.trim());
      expect(accounts[0]!.Surname, row.samAccountName).to.equal(row.surname!.trim());
      expect(accounts[0]!.UserPrincipalName).to.equal(row.cloudUpn);
    }
  });
});
