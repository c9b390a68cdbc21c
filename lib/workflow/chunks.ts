// Requests into PowerShell stay under a size limit whatever the batch size: Windows PowerShell 5.1's
// ConvertFrom-Json fails above about 2 MB, and a session request also travels as base64 on one command line.
import { MAX_REQUEST_BYTES } from '../bridge/runner.js';

/**
 * What one call's lists may take, leaving room for the rest of the request (sign-in, switches, the script's
 * path) and for JSON escaping of unusual characters (each list item is measured as JSON already).
 */
export const LIST_BUDGET_BYTES = Math.floor(MAX_REQUEST_BYTES * 0.8);

/**
 * Splits `items` into runs of at most `maxCount` items whose JSON size (measured by `sizeOf`) stays within
 * `maxBytes`. An item larger than the budget on its own goes alone (the bridge then refuses its call).
 */
export function chunkBySize<T>(items: readonly T[], sizeOf: (item: T) => number, maxCount = Number.POSITIVE_INFINITY, maxBytes = LIST_BUDGET_BYTES): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item) + 1;
    if (current.length > 0 && (bytes + size > maxBytes || current.length >= maxCount)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The JSON size of a value, in UTF-8 bytes. */
export const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
