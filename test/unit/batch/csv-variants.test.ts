// Batch files as Excel and Windows PowerShell 5.1 write them, byte for byte, made here by code: encodings,
// delimiters, Import-Csv's habits, and bytes that are not valid in the file's encoding.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { decodeBatchBytes } from '../../../lib/batch/decode.js';
import { BatchInputError, parseBatch, parseDelimiter, readBatchFile, sniffDelimiter } from '../../../lib/batch/read.js';
import { thrown } from '../../helpers/thrown.js';

const HEADER = ['cloudUpn', 'samAccountName', 'distinguishedName', 'create', 'givenName', 'surname', 'ou'];
const ROWS = [
  ['jose.garcia@contoso.com', 'jgarcia', 'CN=José García,OU=Users,OU=Corp,DC=contoso,DC=com', 'no', '', '', ''],
  ['zoe.muller@contoso.com', 'zmuller', '', 'yes', 'Zoë', 'Müller', 'OU=Users,OU=Corp,DC=contoso,DC=com'],
];
const EXPECTED = [
  { row: 2, cloudUpn: 'jose.garcia@contoso.com', samAccountName: 'jgarcia', distinguishedName: 'CN=José García,OU=Users,OU=Corp,DC=contoso,DC=com', create: false, givenName: null, surname: null, ou: null },
  { row: 3, cloudUpn: 'zoe.muller@contoso.com', samAccountName: 'zmuller', distinguishedName: null, create: true, givenName: 'Zoë', surname: 'Müller', ou: 'OU=Users,OU=Corp,DC=contoso,DC=com' },
];

/** Excel: a field is quoted only when it holds the delimiter, a quote or a line break; every line ends CRLF. */
function excelText(rows: string[][], delimiter: string): string {
  const field = (v: string) => (v.includes(delimiter) || /["\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return rows.map((r) => `${r.map(field).join(delimiter)}\r\n`).join('');
}

/** Windows PowerShell 5.1 Export-Csv: every field quoted, CRLF, a `#TYPE` line unless -NoTypeInformation. */
function exportCsvText(rows: string[][], options: { typeInformation: boolean; delimiter?: string }): string {
  const d = options.delimiter ?? ',';
  const lines = rows.map((r) => r.map((v) => `"${v.replace(/"/g, '""')}"`).join(d));
  return `${options.typeInformation ? '#TYPE System.Management.Automation.PSCustomObject\r\n' : ''}${lines.join('\r\n')}\r\n`;
}

const BOM8 = Buffer.from([0xef, 0xbb, 0xbf]);
const utf8 = (text: string) => Buffer.from(text, 'utf8');
const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
const utf16be = (text: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
/** Windows-1252 for the Latin-1 letters these tests use (0xA0–0xFF are the same in both). */
function cp1252(text: string): Buffer {
  for (const c of text) if (c.charCodeAt(0) > 0xff || (c.charCodeAt(0) >= 0x80 && c.charCodeAt(0) < 0xa0)) throw new Error(`test helper: ${c} is not mapped`);
  return Buffer.from(text, 'latin1');
}

describe('batch: files as Excel and Windows PowerShell write them', () => {
  let dir = '';
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'upn-match-csv-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const read = (bytes: Buffer, options: Parameters<typeof readBatchFile>[1] = {}) => {
    const file = path.join(dir, 'users.csv');
    writeFileSync(file, bytes);
    return readBatchFile(file, options);
  };
  const problems = (bytes: Buffer, options: Parameters<typeof readBatchFile>[1] = {}) => thrown(() => read(bytes, options), BatchInputError).problems;

  const variants: { name: string; bytes: () => Buffer; encoding: string; delimiter: string }[] = [
    { name: 'Excel "CSV UTF-8 (Comma delimited)": UTF-8 with BOM', bytes: () => Buffer.concat([BOM8, utf8(excelText([HEADER, ...ROWS], ','))]), encoding: 'utf-8', delimiter: ',' },
    { name: 'Excel "CSV (Comma delimited)": Windows-1252, no BOM', bytes: () => cp1252(excelText([HEADER, ...ROWS], ',')), encoding: 'windows-1252', delimiter: ',' },
    { name: 'Excel "CSV (Comma delimited)" in a European locale: Windows-1252, semicolons', bytes: () => cp1252(excelText([HEADER, ...ROWS], ';')), encoding: 'windows-1252', delimiter: ';' },
    { name: 'Excel "CSV UTF-8" in a European locale: semicolons', bytes: () => Buffer.concat([BOM8, utf8(excelText([HEADER, ...ROWS], ';'))]), encoding: 'utf-8', delimiter: ';' },
    { name: 'Excel "Unicode Text": UTF-16 LE with BOM, tabs', bytes: () => utf16le(excelText([HEADER, ...ROWS], '\t')), encoding: 'utf-16le', delimiter: '\t' },
    { name: 'Export-Csv -NoTypeInformation -Encoding UTF8 (5.1): UTF-8 with BOM, all quoted', bytes: () => Buffer.concat([BOM8, utf8(exportCsvText([HEADER, ...ROWS], { typeInformation: false }))]), encoding: 'utf-8', delimiter: ',' },
    { name: 'Export-Csv -Encoding Unicode (5.1): #TYPE line, UTF-16 LE with BOM', bytes: () => utf16le(exportCsvText([HEADER, ...ROWS], { typeInformation: true })), encoding: 'utf-16le', delimiter: ',' },
    { name: 'Export-Csv -Encoding BigEndianUnicode (5.1): #TYPE line, UTF-16 BE with BOM', bytes: () => utf16be(exportCsvText([HEADER, ...ROWS], { typeInformation: true })), encoding: 'utf-16be', delimiter: ',' },
    { name: 'Export-Csv -UseCulture -Encoding UTF8 (5.1, German): #TYPE line, semicolons', bytes: () => Buffer.concat([BOM8, utf8(exportCsvText([HEADER, ...ROWS], { typeInformation: true, delimiter: ';' }))]), encoding: 'utf-8', delimiter: ';' },
    { name: 'Export-Csv (PowerShell 7) and most tools: UTF-8 without BOM', bytes: () => utf8(exportCsvText([HEADER, ...ROWS], { typeInformation: false })), encoding: 'utf-8', delimiter: ',' },
  ];
  for (const v of variants) {
    it(`reads ${v.name}`, () => {
      const batch = read(v.bytes());
      expect(batch.encoding).to.equal(v.encoding);
      expect(batch.delimiter).to.equal(v.delimiter);
      expect(batch.users).to.deep.equal(EXPECTED.map((u) => ({ ...u, row: u.row + (v.name.includes('#TYPE') ? 1 : 0) })));
      expect(batch.warnings).to.deep.equal([]);
    });
  }

  it('reads José from Windows-1252 as José, never as Jos\\uFFFD (the defect)', () => {
    const [user] = read(cp1252(excelText([HEADER, ['jose@contoso.com', 'jose', '', 'yes', 'José', 'García', 'OU=Users,DC=contoso,DC=com']], ','))).users;
    expect(user!.givenName).to.equal('José');
    expect(user!.surname).to.equal('García');
  });

  it('ignores the empty rows Excel writes after the data (,,,,,,) and blank lines', () => {
    const text = excelText([HEADER, ...ROWS, ['', '', '', '', '', '', ''], ['', '', '', '', '', '', '']], ',');
    expect(text.endsWith(',,,,,,\r\n,,,,,,\r\n')).to.equal(true);
    expect(read(cp1252(text)).users).to.deep.equal(EXPECTED);
  });

  it('keeps Excel\'s "sep=;" first line as the delimiter, and counts it as a row', () => {
    const batch = read(utf8(`sep=;\r\n${excelText([HEADER, ...ROWS], ';')}`));
    expect(batch.delimiter).to.equal(';');
    expect(batch.users.map((u) => u.row)).to.deep.equal([3, 4]);
  });

  describe('delimiters', () => {
    it('sniffs the header line, not counting delimiters inside quotes', () => {
      expect(sniffDelimiter('"cloudUpn";"ou"')).to.equal(';');
      expect(sniffDelimiter('cloudUpn\tou')).to.equal('\t');
      expect(sniffDelimiter('"a,b,c";"d,e";f')).to.equal(';');
      expect(sniffDelimiter('cloudUpn')).to.equal(',');
    });

    it('never splits OU=Users,OU=Corp inside a quoted field, whatever the delimiter', () => {
      for (const d of [',', ';', '\t']) {
        const [user] = parseBatch(`cloudUpn${d}distinguishedName\r\na@contoso.com${d}"CN=A,OU=Users,OU=Corp,DC=contoso,DC=com"\r\n`).users;
        expect(user!.distinguishedName).to.equal('CN=A,OU=Users,OU=Corp,DC=contoso,DC=com');
      }
    });

    it('takes --delimiter over the sniffed one, and says how to when a header reads as one column', () => {
      const text = 'cloudUpn|samAccountName\r\na@contoso.com|a\r\n';
      const [p] = thrown(() => parseBatch(text), BatchInputError).problems;
      expect(p!.message).to.contain('--delimiter');
      const semicolonInCells = 'cloudUpn,samAccountName\r\na;x@contoso.com,a\r\n';
      expect(parseBatch(semicolonInCells, { delimiter: ',' }).users[0]!.cloudUpn).to.equal('a;x@contoso.com');
      expect(parseDelimiter('tab')).to.equal('\t');
      expect(parseDelimiter(';')).to.equal(';');
      expect(() => parseDelimiter('|')).to.throw(BatchInputError, /comma, semicolon or tab/);
    });
  });

  describe('bytes not valid in the encoding: an error with the row, never U+FFFD', () => {
    it('refuses a Windows-1252 byte the code page leaves undefined, at its row', () => {
      const bytes = Buffer.concat([cp1252(excelText([HEADER, ...ROWS], ',')), Buffer.from('bad@contoso.com,b\x81d,,no,,,\r\n', 'latin1')]);
      expect(problems(bytes)).to.deep.equal([{ row: 4, message: 'byte 0x81 is not a character in Windows-1252 (the file was read as Windows-1252: not UTF-8, no byte order mark)' }]);
    });

    it('refuses a Windows-1252 byte in a UTF-8 file with a BOM (a file pasted together), at its row, with every other problem', () => {
      const good = excelText([HEADER, ...ROWS], ',');
      const bytes = Buffer.concat([BOM8, utf8(good), cp1252('jose@contoso.com,jose,,yes,José,García,OU=X\r\n'), utf8(',nobody,,no,,,\r\n')]);
      const found = problems(bytes);
      expect(found.map((p) => p.row)).to.deep.equal([4, 5]);
      expect(found[0]!.message).to.contain('not valid UTF-8').and.contain('byte order mark');
      expect(found[1]!.message).to.equal('cloudUpn is empty');
    });

    it('takes a file with UTF-8 letters elsewhere as damaged UTF-8, not as Windows-1252', () => {
      const bytes = Buffer.concat([utf8(excelText([HEADER, ...ROWS], ',')), cp1252('jose@contoso.com,jose,,yes,José,García,OU=X\r\n')]);
      const found = problems(bytes);
      expect(found).to.have.length(1);
      expect(found[0]!.row).to.equal(4);
      expect(found[0]!.message).to.contain('not valid UTF-8');
    });

    it('refuses a lone surrogate in UTF-16, at its row, counting a quoted line break as the same row', () => {
      const text = excelText([HEADER, ['a@contoso.com', 'a', 'CN=A\nB,DC=contoso,DC=com', 'no', '', '', ''], ['b@contoso.com', 'b\ud800', '', 'no', '', '', '']], '\t');
      // Buffer's UTF-16 encoder keeps a lone surrogate as its code unit: invalid UTF-16, as a broken writer leaves it.
      const found = problems(utf16le(text));
      expect(found.map((p) => p.row)).to.deep.equal([2, 3]);
      expect(found[0]!.message).to.contain('control'); // the line break in the DN
      expect(found[1]!.message).to.contain('not valid UTF-16 LE');
    });

    it('never lets U+FFFD through, even when a program before it wrote one', () => {
      const found = problems(utf8(excelText([HEADER, ['a@contoso.com', 'a', '', 'yes', 'Jos\ufffd', 'X', 'OU=X']], ',')));
      expect(found).to.deep.equal([{ row: 2, message: 'givenName contains U+FFFD, the mark of a character some program could not read: fix the value at its source' }]);
    });

    it('reads a given --encoding instead of detecting one', () => {
      const decoded = decodeBatchBytes(Buffer.from('cloudUpn\r\nabc\r\n', 'latin1'), 'windows-1252');
      expect(decoded.encoding).to.equal('windows-1252');
      const bytes = cp1252(excelText([HEADER, ...ROWS], ','));
      expect(problems(bytes, { encoding: 'utf-8' })[0]!.message).to.contain('not valid UTF-8');
    });
  });

  describe('every problem at once', () => {
    it('stops at a quote never closed, naming the row it opens in', () => {
      const found = thrown(() => parseBatch('cloudUpn,samAccountName\r\n,a\r\nb@contoso.com,"b\r\nc@contoso.com,c\r\n'), BatchInputError).problems;
      expect(found).to.deep.equal([
        { row: 2, message: 'cloudUpn is empty' },
        { row: 3, message: 'not valid CSV: a quote opened in this row is never closed, so the rest of the file cannot be read' },
      ]);
    });

    it('reports CSV syntax errors and bad values of all rows together, each with its row', () => {
      const text = excelText([HEADER], ',') + 'a@contoso.com,a"b,,no,,,\r\n,b,,no,,,\r\nc@contoso.com,"c"x,,no,,,\r\nd@contoso.com,d,,maybe,,,\r\n';
      const found = thrown(() => parseBatch(text), BatchInputError).problems;
      expect(found.map((p) => p.row)).to.deep.equal([2, 3, 4, 5]);
      expect(found[0]!.message).to.match(/^not valid CSV: /);
      expect(found[1]!.message).to.equal('cloudUpn is empty');
      expect(found[2]!.message).to.match(/^not valid CSV: /);
      expect(found[3]!.message).to.contain('create must be yes or no');
    });
  });

  describe('formula-looking names on create rows', () => {
    for (const start of ['=', '+', '-', '@']) {
      it(`refuses a new account's name starting with ${start} before AD`, () => {
        const text = excelText([HEADER, ['a@contoso.com', 'a', '', 'yes', `${start}HYPERLINK("http://x")`, 'Lee', 'OU=X'], ['b@contoso.com', `${start}b`, '', 'yes', 'Bo', 'Ng', 'OU=X']], ',');
        const found = thrown(() => parseBatch(text), BatchInputError).problems;
        expect(found.map((p) => [p.row, p.message.split(' ')[0]])).to.deep.equal([
          [2, 'givenName'],
          [3, 'samAccountName'],
        ]);
        expect(found[0]!.message).to.contain('formula');
      });
    }

    it('leaves an update row alone: its names are not written', () => {
      expect(parseBatch(excelText([HEADER, ['a@contoso.com', 'a', '', 'no', '=x', '', '']], ',')).users).to.have.length(1);
    });
  });
});
