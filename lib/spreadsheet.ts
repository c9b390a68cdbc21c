// What Excel does to a CSV file: the one place for the rules the batch reader, discover's batch and the reports share.

/** UTF-8's byte order mark, first in a CSV file: else Excel reads it in the ANSI code page. */
export const EXCEL_BOM = '\uFEFF';

/** A value Excel would read as a formula (in a cell of its own). */
export function looksLikeFormula(value: string): boolean {
  return /^[=+\-@\t\r]/.test(value);
}
