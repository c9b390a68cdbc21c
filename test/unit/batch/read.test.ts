// Reading the batch: what a CSV file or the flags give, and every problem with its row.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { BatchInputError, MAX_FIELD_LENGTH, parseBatch, parseBatchCsv, readBatchCsv, userFromFlags } from '../../../lib/batch/read.js';
import { thrown } from '../../helpers/thrown.js';

/** The problems a bad batch is refused with. */
const problems = (read: () => unknown) => thrown(read, BatchInputError).problems;
const csv = (...lines: string[]) => lines.join('\n') + '\n';

describe('batch: CSV', () => {
  it('reads users in order, trimmed, with empty cells as null and their row numbers', () => {
    const users = parseBatchCsv(csv('cloudUpn,samAccountName,distinguishedName', ' ann@contoso.com , ann ,', 'bob@contoso.com,,"CN=Bob,OU=Staff,DC=contoso,DC=com"'));
    expect(users).to.deep.equal([
      { row: 2, cloudUpn: 'ann@contoso.com', samAccountName: 'ann', distinguishedName: null, create: false, givenName: null, surname: null, ou: null },
      { row: 3, cloudUpn: 'bob@contoso.com', samAccountName: null, distinguishedName: 'CN=Bob,OU=Staff,DC=contoso,DC=com', create: false, givenName: null, surname: null, ou: null },
    ]);
  });

  it('takes the columns in any order, with CRLF line ends', () => {
    const users = parseBatchCsv('samAccountName,cloudUpn\r\nann,ann@contoso.com\r\n');
    expect(users.map((u) => [u.row, u.cloudUpn, u.samAccountName])).to.deep.equal([[2, 'ann@contoso.com', 'ann']]);
  });

  describe('header', () => {
    it('keeps unknown columns per user for the report and warns once, naming them', () => {
      const batch = parseBatch(csv('cloudUpn,sam,samAccountName,UPN', 'a@contoso.com,x,a,b', 'c@contoso.com,y,c,'));
      expect(batch.users.map((u) => u.extra)).to.deep.equal([{ sam: 'x', UPN: 'b' }, { sam: 'y', UPN: '' }]);
      expect(batch.extraColumns).to.deep.equal(['sam', 'UPN']);
      expect(batch.warnings).to.have.length(1);
      expect(batch.warnings[0]).to.contain('"sam"').and.contain('"UPN"');
      expect(parseBatch(csv('cloudUpn,samAccountName', 'a@contoso.com,a')).warnings).to.deep.equal([]);
    });

    it('reports a missing cloudUpn column and a column named twice (in any case) together, at row 1', () => {
      const found = problems(() => parseBatchCsv(csv('samAccountName,SAMAccountName', 'a,b')));
      expect(found.map((p) => p.row)).to.deep.equal([1, 1]);
      expect(found.map((p) => p.message)).to.deep.equal(['the header has no cloudUpn column', 'column(s) named twice: "samAccountName"']);
    });

    it('compares names after trimming, ignoring case as Import-Csv does', () => {
      expect(parseBatchCsv(csv(' cloudUpn , samAccountName', 'a@contoso.com,a'))).to.have.length(1);
      const [user] = parseBatchCsv(csv('CLOUDUPN,SamAccountName,Create,GIVENNAME,surName,OU', 'a@contoso.com,a,yes,Ann,Lee,OU=X'));
      expect(user).to.deep.include({ cloudUpn: 'a@contoso.com', samAccountName: 'a', create: true, givenName: 'Ann', surname: 'Lee', ou: 'OU=X' });
    });

    it('refuses an empty file and a header without users', () => {
      expect(problems(() => parseBatchCsv(''))).to.deep.equal([{ row: 1, message: 'the file is empty: it needs a header row' }]);
      expect(problems(() => parseBatchCsv('\n\n'))[0]!.message).to.contain('empty');
      expect(problems(() => parseBatchCsv(csv('cloudUpn,samAccountName')))).to.deep.equal([{ row: 2, message: 'the file has a header but no users' }]);
    });
  });

  describe('row numbers', () => {
    it('counts blank lines, as a spreadsheet does, so that a row number points at the user', () => {
      const found = problems(() => parseBatchCsv(csv('cloudUpn,samAccountName', 'a@contoso.com,a', '', '', 'b@contoso.com,')));
      expect(found.map((p) => p.row)).to.deep.equal([5]);
      const users = parseBatchCsv(csv('cloudUpn,samAccountName', '', 'a@contoso.com,a', '', 'b@contoso.com,b'));
      expect(users.map((u) => u.row)).to.deep.equal([3, 5]);
    });

    it('keeps a quoted line break inside its row, as a spreadsheet shows it', () => {
      const found = problems(() => parseBatchCsv(csv('cloudUpn,samAccountName', 'a@contoso.com,"a', 'b"', '', 'c@contoso.com,c,extra')));
      expect(found).to.deep.equal([
        { row: 2, message: 'samAccountName contains a control or invisible formatting character' },
        { row: 4, message: 'has 3 cells; the header has 2' },
      ]);
    });

    it('reports every bad row, sorted, and prefixes the message with the row', () => {
      const error = thrown(() => parseBatchCsv(csv('cloudUpn,samAccountName', ',a', 'b@contoso.com,b', 'c@contoso.com', 'b@contoso.com,d')), BatchInputError);
      expect(error.problems.map((p) => p.row)).to.deep.equal([2, 4, 5]);
      expect(error.message.split('\n')).to.deep.equal([
        'row 2: cloudUpn is empty',
        'row 4: has 1 cells; the header has 2',
        'row 5: cloud UPN b@contoso.com already appears in row 3',
      ]);
    });

    it('reports a broken quote as not valid CSV, at its line', () => {
      const [p] = problems(() => parseBatchCsv(csv('cloudUpn,samAccountName', 'a@contoso.com,a', '"b@contoso.com,b')));
      expect(p!.message).to.match(/^not valid CSV: /);
      expect(p!.row).to.equal(3);
    });
  });

  describe('values', () => {
    it('needs a cloudUpn and an AD account to update (or create)', () => {
      const found = problems(() => parseBatchCsv(csv('cloudUpn,samAccountName,distinguishedName', ' ,a,', 'b@contoso.com, , ')));
      expect(found).to.deep.equal([
        { row: 2, message: 'cloudUpn is empty' },
        { row: 3, message: 'name the AD account to update (samAccountName or distinguishedName), or set create to yes' },
      ]);
    });

    it('refuses control and invisible characters and over-long values', () => {
      const found = problems(() =>
        parseBatchCsv(csv('cloudUpn,samAccountName', 'a\u200b@contoso.com,a', `b@contoso.com,${'x'.repeat(MAX_FIELD_LENGTH + 1)}`, `c@contoso.com,${'x'.repeat(MAX_FIELD_LENGTH)}`)),
      );
      expect(found).to.deep.equal([
        { row: 2, message: 'cloudUpn contains a control or invisible formatting character' },
        { row: 3, message: `samAccountName is longer than ${MAX_FIELD_LENGTH} characters` },
      ]);
    });
  });

  describe('duplicates', () => {
    it('refuses the same cloud UPN, sAMAccountName or DN twice, ignoring case, naming the first row', () => {
      const found = problems(() =>
        parseBatchCsv(
          csv(
            'cloudUpn,samAccountName,distinguishedName',
            'ann@contoso.com,ann,"CN=Ann,DC=contoso,DC=com"',
            'ANN@contoso.com,ann2,',
            'bob@contoso.com,ANN,',
            'cy@contoso.com,,"cn=ann,dc=contoso,dc=com"',
          ),
        ),
      );
      expect(found).to.deep.equal([
        { row: 3, message: 'cloud UPN ANN@contoso.com already appears in row 2' },
        { row: 4, message: 'sAMAccountName ANN already appears in row 2' },
        { row: 5, message: 'account cn=ann,dc=contoso,dc=com already appears in row 2' },
      ]);
    });

    it('accepts different users that share nothing', () => {
      expect(parseBatchCsv(csv('cloudUpn,samAccountName', 'ann@contoso.com,ann', 'anna@contoso.com,anna'))).to.have.length(2);
    });
  });

  describe('create rows', () => {
    const header = 'cloudUpn,samAccountName,distinguishedName,create,givenName,surname,ou';

    it('reads yes/no in their spellings, and an empty create as no', () => {
      const users = parseBatchCsv(
        csv(header, 'a@contoso.com,a,,YES,Ann,Lee,"OU=New,DC=contoso,DC=com"', 'b@contoso.com,b,,y,Bo,Ng,OU=New', 'c@contoso.com,c,,1,Cy,Ho,OU=New', 'd@contoso.com,d,,No,,,', 'e@contoso.com,e,,,,,', 'f@contoso.com,f,,0,,,'),
      );
      expect(users.map((u) => u.create)).to.deep.equal([true, true, true, false, false, false]);
      expect(users[0]).to.deep.include({ givenName: 'Ann', surname: 'Lee', ou: 'OU=New,DC=contoso,DC=com' });
    });

    it('refuses a create value other than yes or no, quoted', () => {
      expect(problems(() => parseBatchCsv(csv(header, 'a@contoso.com,a,,maybe,A,B,OU=X')))).to.deep.equal([{ row: 2, message: 'create must be yes or no, not "maybe"' }]);
    });

    it('needs samAccountName, givenName, surname and ou, and no distinguishedName', () => {
      const found = problems(() => parseBatchCsv(csv(header, 'a@contoso.com,,,yes,Ann,,', 'b@contoso.com,b,"CN=B,DC=contoso,DC=com",yes,Bo,Ng,OU=X')));
      expect(found).to.deep.equal([
        { row: 2, message: 'creating an account needs samAccountName, surname, ou' },
        { row: 3, message: 'distinguishedName names an existing account; leave it empty with create' },
      ]);
    });
  });

  describe('files', () => {
    let dir = '';
    beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'upn-match-batch-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('reads a UTF-8 file with a byte order mark (Excel saves one): the first column is still cloudUpn', () => {
      const file = path.join(dir, 'users.csv');
      writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv('cloudUpn,samAccountName', 'zoë@contoso.com,zoe'), 'utf8')]));
      expect(readBatchCsv(file)).to.deep.equal([
        { row: 2, cloudUpn: 'zoë@contoso.com', samAccountName: 'zoe', distinguishedName: null, create: false, givenName: null, surname: null, ou: null },
      ]);
    });

    it('says "file not found" with the absolute path of a missing file, at row 0', () => {
      const relative = path.relative(process.cwd(), path.join(dir, 'missing.csv'));
      expect(problems(() => readBatchCsv(relative))).to.deep.equal([{ row: 0, message: `file not found: ${path.join(dir, 'missing.csv')}` }]);
    });

    it('reports a file it cannot read (a folder) with its error code and absolute path', () => {
      expect(problems(() => readBatchCsv(dir))).to.deep.equal([{ row: 0, message: `cannot read ${dir}: EISDIR` }]);
    });
  });
});

describe('batch: flags', () => {
  it('gives one user at row 0, trimmed, with empty flags as null', () => {
    expect(userFromFlags({ cloudUpn: ' ann@contoso.com ', sam: 'ann', dn: '  ' })).to.deep.equal([
      { row: 0, cloudUpn: 'ann@contoso.com', samAccountName: 'ann', distinguishedName: null, create: false, givenName: null, surname: null, ou: null },
    ]);
  });

  it('gives a create user with its details', () => {
    const [user] = userFromFlags({ cloudUpn: 'new@contoso.com', sam: 'new', create: true, givenName: 'New', surname: 'User', ou: 'OU=New,DC=contoso,DC=com' });
    expect(user).to.deep.include({ create: true, givenName: 'New', surname: 'User', ou: 'OU=New,DC=contoso,DC=com' });
  });

  it('applies the same checks as a CSV row, without a row prefix in the message', () => {
    expect(() => userFromFlags({ cloudUpn: 'ann@contoso.com' })).to.throw(BatchInputError, /^name the AD account to update/);
    expect(problems(() => userFromFlags({ sam: 'ann' }))).to.deep.equal([{ row: 0, message: 'cloudUpn is empty' }]);
    expect(problems(() => userFromFlags({ cloudUpn: 'new@contoso.com', create: true, sam: 'new' }))).to.deep.equal([
      { row: 0, message: 'creating an account needs givenName, surname, ou' },
    ]);
    expect(problems(() => userFromFlags({ cloudUpn: 'ann@contoso.com', sam: 'ann\u0007' }))[0]!.message).to.equal('samAccountName contains a control or invisible formatting character');
  });
});

describe("batch: discover's columns", () => {
  it('reads a batch that discover wrote: review yes/no, rule, confidence and evidence only explain the row', () => {
    const text = [
      'cloudUpn,samAccountName,distinguishedName,create,givenName,surname,ou,rule,confidence,evidence,review',
      'a@contoso.com,,"CN=A,DC=contoso,DC=local",no,,,,name,0.50,"name: same given name and surname (A B)",yes',
      'b@contoso.com,b,,no,,,,upn,1.00,upn: same UPN,no',
    ].join('\n');
    const users = parseBatchCsv(text);
    expect(users.map((u) => [u.cloudUpn, u.review ?? false])).to.deep.equal([
      ['a@contoso.com', true],
      ['b@contoso.com', false],
    ]);
    expect(users[0]).to.not.have.property('rule');
    expect(() => parseBatchCsv('cloudUpn,samAccountName,review\na@contoso.com,a,maybe')).to.throw(/review must be yes or no/);
  });
});
