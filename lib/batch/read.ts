// Reads the batch: from flags (one user) or from a CSV file. Every problem is reported with its
// row number, and nothing is done unless the whole batch is clean.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { BATCH_COLUMNS, DISCOVER_COLUMNS } from '../batch-columns.js';
import type { BatchUser } from './types.js';
import { InputError } from '../input-error.js';
import { looksLikeFormula } from '../spreadsheet.js';
import { decodeBatchBytes, type CsvEncoding } from './decode.js';

export interface BatchProblem {
  /** CSV row as a spreadsheet numbers it (the header is row 1, blank lines count), or 0 for flags. */
  row: number;
  message: string;
}

export class BatchInputError extends InputError {
  override readonly name = 'BatchInputError';
  constructor(readonly problems: BatchProblem[]) {
    super(problems.map((p) => (p.row > 0 ? `row ${p.row}: ${p.message}` : p.message)).join('\n'));
  }
}

/** Longest value accepted in any field: far above any real directory value. */
export const MAX_FIELD_LENGTH = 1024;
// Control characters (C0, DEL, C1), and the bidirectional and zero-width format characters
// that make a value look like another (the Arabic letter mark and the isolates U+2066–U+2069 too), and
// U+FFFD: a character some decoder could not read, never a real name.
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufffd]/u;

export interface UserFlags {
  cloudUpn?: string;
  sam?: string;
  dn?: string;
  create?: boolean;
  givenName?: string;
  surname?: string;
  ou?: string;
}

function clean(value: string | undefined | null): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/** A value for a message: quoted, cut to 40 characters, control and invisible characters as \uXXXX. */
function quote(value: string): string {
  return JSON.stringify(value.slice(0, 40)).replace(new RegExp(FORBIDDEN.source, 'gu'), (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function checkField(name: string, value: string | null, row: number, problems: BatchProblem[]): void {
  if (value === null) return;
  if (value.length > MAX_FIELD_LENGTH) problems.push({ row, message: `${name} is longer than ${MAX_FIELD_LENGTH} characters` });
  else if (value.includes('\ufffd')) problems.push({ row, message: `${name} contains U+FFFD, the mark of a character some program could not read: fix the value at its source` });
  else if (FORBIDDEN.test(value)) problems.push({ row, message: `${name} contains a control or invisible formatting character` });
}

function toUser(fields: Record<string, string | null>, create: boolean, row: number, problems: BatchProblem[]): BatchUser | null {
  const before = problems.length;
  for (const [name, value] of Object.entries(fields)) checkField(name, value, row, problems);
  const user: BatchUser = {
    row,
    cloudUpn: fields.cloudUpn ?? '',
    samAccountName: fields.samAccountName ?? null,
    distinguishedName: fields.distinguishedName ?? null,
    create,
    givenName: fields.givenName ?? null,
    surname: fields.surname ?? null,
    ou: fields.ou ?? null,
  };
  if (!user.cloudUpn) problems.push({ row, message: 'cloudUpn is empty' });
  if (create) {
    // A new account's names come from the batch alone: one a spreadsheet would run as a formula is refused
    // here, before AD, not only neutralised on the way out.
    for (const name of NAME_FIELDS) {
      const value = user[name];
      if (value && looksLikeFormula(value)) problems.push({ row, message: `${name} ${quote(value)} starts with "${value[0]}", which a spreadsheet reads as a formula: not written to AD for a new account` });
    }
    const missing = (['samAccountName', 'givenName', 'surname', 'ou'] as const).filter((k) => !user[k]);
    if (missing.length > 0) problems.push({ row, message: `creating an account needs ${missing.join(', ')}` });
    if (user.distinguishedName) problems.push({ row, message: 'distinguishedName names an existing account; leave it empty with create' });
  } else if (!user.samAccountName && !user.distinguishedName) {
    problems.push({ row, message: 'name the AD account to update (samAccountName or distinguishedName), or set create to yes' });
  }
  return problems.length === before ? user : null;
}

/** The same cloud UPN or the same AD account twice in one batch is refused. */
function checkDuplicates(users: BatchUser[], problems: BatchProblem[]): void {
  const seen = new Map<string, number>();
  const claim = (key: string, row: number, what: string) => {
    const first = seen.get(key);
    if (first !== undefined) problems.push({ row, message: `${what} already appears in row ${first}` });
    else seen.set(key, row);
  };
  for (const u of users) {
    claim(`upn:${u.cloudUpn.toLowerCase()}`, u.row, `cloud UPN ${u.cloudUpn}`);
    if (u.samAccountName) claim(`sam:${u.samAccountName.toLowerCase()}`, u.row, `sAMAccountName ${u.samAccountName}`);
    if (u.distinguishedName) claim(`dn:${u.distinguishedName.toLowerCase()}`, u.row, `account ${u.distinguishedName}`);
  }
}

export function userFromFlags(flags: UserFlags): BatchUser[] {
  const problems: BatchProblem[] = [];
  const user = toUser(
    {
      cloudUpn: clean(flags.cloudUpn),
      samAccountName: clean(flags.sam),
      distinguishedName: clean(flags.dn),
      givenName: clean(flags.givenName),
      surname: clean(flags.surname),
      ou: clean(flags.ou),
    },
    Boolean(flags.create),
    0,
    problems,
  );
  if (!user) throw new BatchInputError(problems);
  return [user];
}

function parseYesNo(name: string, value: string | null, row: number, problems: BatchProblem[]): boolean {
  if (value === null) return false;
  const v = value.toLowerCase();
  if (['yes', 'y', 'true', '1'].includes(v)) return true;
  if (['no', 'n', 'false', '0'].includes(v)) return false;
  problems.push({ row, message: `${name} must be yes or no, not ${quote(value)}` });
  return false;
}

/** The delimiters a batch file may use: comma, semicolon (European Excel), tab (Excel "Unicode Text"). */
export const DELIMITERS = [',', ';', '\t'] as const;
export type Delimiter = (typeof DELIMITERS)[number];

/** `--delimiter` as typed: the character, or its name. */
export function parseDelimiter(value: string): Delimiter {
  const named: Record<string, Delimiter> = { ',': ',', comma: ',', ';': ';', semicolon: ';', '\t': '\t', '\\t': '\t', tab: '\t' };
  const d = named[value.toLowerCase()];
  if (!d) throw new BatchInputError([{ row: 0, message: `--delimiter must be comma, semicolon or tab, not ${quote(value)}` }]);
  return d;
}

/** The delimiter of the header line: the candidate found most often outside quotes (a comma when none is). */
export function sniffDelimiter(headerLine: string): Delimiter {
  const counts = new Map<Delimiter, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const c of headerLine) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && counts.has(c as Delimiter)) counts.set(c as Delimiter, counts.get(c as Delimiter)! + 1);
  }
  let best: Delimiter = ',';
  for (const d of DELIMITERS) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

export interface BatchOptions {
  /** Instead of the one sniffed from the header line. */
  delimiter?: Delimiter;
  /** Lines (1-based, physical) the decoder found bytes on that are not valid in the file's encoding. */
  badLines?: { line: number; message: string }[];
}

export interface Batch {
  users: BatchUser[];
  delimiter: Delimiter;
  /** Columns the tool does not know, kept per user (`extra`) for the report. */
  extraColumns: string[];
  /** Said once on stderr: nothing wrong enough to refuse the batch. */
  warnings: string[];
}

/** The canonical name of a known column, whatever the case (Import-Csv's property names ignore case). */
const CANONICAL = new Map<string, string>([...BATCH_COLUMNS, ...DISCOVER_COLUMNS].map((c) => [c.toLowerCase(), c]));
const NAME_FIELDS = ['samAccountName', 'givenName', 'surname'] as const;

interface Parsed {
  cells: string[];
  /** Row as a spreadsheet numbers it. */
  row: number;
  /** Last physical line of the record. */
  endLine: number;
}

/**
 * Records with their rows, and every CSV syntax error: after a bad record, reading goes on at the next line
 * (csv-parse's own skipping loses its place after a bad closing quote). A quote never closed ends the file.
 */
function parseRecords(text: string, delimiter: Delimiter, problems: BatchProblem[]): Parsed[] {
  const lines = text.split(/(?<=\n)/);
  const out: Parsed[] = [];
  let from = 0; // lines before the part being read
  let rowsBefore = 0; // spreadsheet rows before it
  while (from < lines.length) {
    let last = { lines: 0, records: 0, empty: 0 };
    const options = {
      delimiter,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: false,
      on_record: (record: string[], context: { lines: number; records: number; empty_lines: number }) => {
        last = { lines: context.lines, records: context.records, empty: context.empty_lines };
        // Rows are numbered as a spreadsheet shows them: blank lines count, a quoted line break does not.
        out.push({ cells: record, row: rowsBefore + context.records + context.empty_lines, endLine: from + context.lines });
        return record;
      },
    };
    try {
      parse(lines.slice(from).join(''), options as never);
      break;
    } catch (error) {
      const e = error as { lines?: number; code?: string; message: string };
      const row = rowsBefore + last.records + last.empty + 1;
      if (e.code === 'CSV_QUOTE_NOT_CLOSED') {
        problems.push({ row, message: 'not valid CSV: a quote opened in this row is never closed, so the rest of the file cannot be read' });
        break;
      }
      problems.push({ row, message: `not valid CSV: ${e.message.replace(/ at line \d+/, '')}` });
      const badLine = Math.max(e.lines ?? last.lines + 1, last.lines + 1);
      rowsBefore = row;
      from += badLine;
    }
  }
  return out;
}

export function parseBatch(input: string, options: BatchOptions = {}): Batch {
  const problems: BatchProblem[] = [];
  let text = input.replace(/^\uFEFF/, '');
  // Excel's own hint line `sep=;` names the delimiter; Import-Csv's `#TYPE ...` line names a .NET type.
  const firstLine = /^[^\r\n]*/.exec(text)![0];
  const sep = /^"?sep=(.)"?$/i.exec(firstLine);
  const typeLine = /^#TYPE\b/i.test(firstLine);
  const skipped = sep || typeLine ? 1 : 0;
  const headerLine = skipped ? (/^[^\r\n]*\r?\n?([^\r\n]*)/.exec(text)?.[1] ?? '') : firstLine;
  const delimiter = options.delimiter ?? (sep && DELIMITERS.includes(sep[1] as Delimiter) ? (sep[1] as Delimiter) : sniffDelimiter(headerLine));
  // The skipped line's break stays: csv-parse counts it as a blank line, so rows keep their numbers.
  if (skipped) text = text.replace(/^[^\r\n]*/, '');
  const records = parseRecords(text, delimiter, problems);
  for (const bad of options.badLines ?? []) {
    const record = records.find((r) => r.endLine >= bad.line);
    problems.push({ row: record?.row ?? bad.line, message: bad.message });
  }
  const badRows = new Set(problems.map((p) => p.row));

  const [header, ...rows] = records;
  if (!header) {
    if (problems.length > 0) throw new BatchInputError(problems.sort((a, b) => a.row - b.row));
    throw new BatchInputError([{ row: 1 + skipped, message: 'the file is empty: it needs a header row' }]);
  }
  const names = header.cells.map((h) => CANONICAL.get(h.trim().toLowerCase()) ?? h.trim());
  // discover's columns: plan reads review; the others only explain the row.
  const known = new Set<string>([...BATCH_COLUMNS, ...DISCOVER_COLUMNS]);
  const extraColumns = names.filter((n) => n !== '' && !known.has(n));
  const headerProblems: BatchProblem[] = [];
  if (!names.includes('cloudUpn')) {
    const hint = names.length === 1 && names[0]!.length > 0 ? ` (read with the delimiter ${delimiterName(delimiter)}: give --delimiter if the file uses another)` : '';
    headerProblems.push({ row: header.row, message: `the header has no cloudUpn column${hint}` });
  }
  const lower = names.map((n) => n.toLowerCase());
  const repeated = names.filter((n, i) => n !== '' && lower.indexOf(n.toLowerCase()) !== i);
  if (repeated.length > 0) headerProblems.push({ row: header.row, message: `column(s) named twice: ${repeated.map(quote).join(', ')}` });
  // The batch's own columns reach the report and the terminal: their names and values follow the field rules.
  for (const name of extraColumns) checkField(`column name ${quote(name)}`, name, header.row, headerProblems);
  if (headerProblems.length > 0) throw new BatchInputError([...problems, ...headerProblems].sort((a, b) => a.row - b.row));

  const users: BatchUser[] = [];
  // A row of empty cells (Excel writes `,,,,` for a formatted empty row) is no user, as a blank line is none.
  const filled = rows.filter((r) => r.cells.some((c) => c.trim() !== ''));
  if (filled.length === 0 && problems.length === 0) throw new BatchInputError([{ row: header.row + 1, message: 'the file has a header but no users' }]);
  for (const { cells, row } of filled) {
    if (badRows.has(row)) continue;
    if (cells.length !== names.length) {
      problems.push({ row, message: `has ${cells.length} cells; the header has ${names.length}` });
      continue;
    }
    const fields: Record<string, string | null> = {};
    const extra: Record<string, string> = {};
    names.forEach((name, i) => {
      if (known.has(name)) fields[name] = clean(cells[i]);
      else if (name !== '') {
        extra[name] = clean(cells[i]) ?? '';
        checkField(`column ${quote(name)}`, extra[name] || null, row, problems);
      }
    });
    const create = parseYesNo('create', fields.create ?? null, row, problems);
    // discover's columns: review is a yes/no like create; the others only explain the row.
    const review = parseYesNo('review', fields.review ?? null, row, problems);
    for (const name of ['create', ...DISCOVER_COLUMNS]) delete fields[name];
    const user = toUser(fields, create, row, problems);
    if (user && extraColumns.length > 0) user.extra = extra;
    if (user && review) user.review = true;
    if (user) users.push(user);
  }
  checkDuplicates(users, problems);
  if (problems.length > 0) throw new BatchInputError(problems.sort((a, b) => a.row - b.row));
  const warnings = extraColumns.length > 0 ? [`column(s) ${extraColumns.map(quote).join(', ')} are not upn-match's: ignored, and copied to the report`] : [];
  return { users, delimiter, extraColumns, warnings };
}

export function delimiterName(d: Delimiter): string {
  return d === ',' ? 'comma' : d === ';' ? 'semicolon' : 'tab';
}

/** The users of a CSV text (see parseBatch). */
export function parseBatchCsv(text: string, options: BatchOptions = {}): BatchUser[] {
  return parseBatch(text, options).users;
}

export interface BatchFileOptions {
  delimiter?: Delimiter;
  encoding?: CsvEncoding;
}

export function readBatchFile(file: string, options: BatchFileOptions = {}): Batch & { encoding: CsvEncoding } {
  const absolute = path.resolve(file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? `file not found: ${absolute}` : `cannot read ${absolute}: ${code ?? String(error)}`;
    throw new BatchInputError([{ row: 0, message }]);
  }
  const decoded = decodeBatchBytes(bytes, options.encoding);
  return { ...parseBatch(decoded.text, { delimiter: options.delimiter, badLines: decoded.badLines }), encoding: decoded.encoding };
}

export function readBatchCsv(file: string, options: BatchFileOptions = {}): BatchUser[] {
  return readBatchFile(file, options).users;
}
