// Reads the batch: from flags (one user) or from a CSV file. Every problem is reported with its
// row number, and nothing is done unless the whole batch is clean.
import { readFileSync } from 'node:fs';
import { parse, type Info } from 'csv-parse/sync';
import { BATCH_COLUMNS, DISCOVER_COLUMNS } from '../batch-columns.js';
import type { BatchUser } from './types.js';
import { InputError } from '../input-error.js';

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
// that make a value look like another (the Arabic letter mark and the isolates U+2066–U+2069 too).
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;

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

function parseCreate(value: string | null, row: number, problems: BatchProblem[]): boolean {
  return parseYesNo('create', value, row, problems);
}

export function parseBatchCsv(text: string): BatchUser[] {
  let records: { cells: string[]; line: number }[];
  try {
    // The typings do not follow the info option: each record comes as { record, info }.
    const options = { relax_column_count: true, skip_empty_lines: true, trim: false, bom: true, info: true };
    const parsed = parse(text.replace(/^\uFEFF/, ''), options) as unknown as { record: string[]; info: Info }[];
    // Rows are numbered as a spreadsheet shows them: blank lines count, a quoted line break does not.
    records = parsed.map(({ record, info }, index) => ({ cells: record, line: index + 1 + info.empty_lines }));
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new BatchInputError([{ row: line ?? 0, message: `not valid CSV: ${(error as Error).message}` }]);
  }
  const [header, ...rows] = records;
  if (!header) throw new BatchInputError([{ row: 1, message: 'the file is empty: it needs a header row' }]);
  const names = header.cells.map((h) => h.trim());
  const problems: BatchProblem[] = [];
  const known = new Set<string>([...BATCH_COLUMNS, ...DISCOVER_COLUMNS]);
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) problems.push({ row: header.line, message: `unknown column(s) ${unknown.map(quote).join(', ')}; the columns are ${BATCH_COLUMNS.join(', ')}` });
  if (!names.includes('cloudUpn')) problems.push({ row: header.line, message: 'the header has no cloudUpn column' });
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (repeated.length > 0) problems.push({ row: header.line, message: `column(s) named twice: ${repeated.map(quote).join(', ')}` });
  if (problems.length > 0) throw new BatchInputError(problems);
  if (rows.length === 0) throw new BatchInputError([{ row: header.line + 1, message: 'the file has a header but no users' }]);

  const users: BatchUser[] = [];
  for (const { cells, line: row } of rows) {
    if (cells.length !== names.length) {
      problems.push({ row, message: `has ${cells.length} cells; the header has ${names.length}` });
      continue;
    }
    const fields: Record<string, string | null> = {};
    names.forEach((name, i) => (fields[name] = clean(cells[i])));
    const create = parseCreate(fields.create ?? null, row, problems);
    // discover's columns: review is a yes/no like create; the others only explain the row.
    const review = parseYesNo('review', fields.review ?? null, row, problems);
    for (const name of ['create', ...DISCOVER_COLUMNS]) delete fields[name];
    const user = toUser(fields, create, row, problems);
    if (user) users.push(review ? { ...user, review } : user);
  }
  checkDuplicates(users, problems);
  if (problems.length > 0) throw new BatchInputError(problems.sort((a, b) => a.row - b.row));
  return users;
}

export function readBatchCsv(file: string): BatchUser[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new BatchInputError([{ row: 0, message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` }]);
  }
  return parseBatchCsv(text);
}
