// Turns the bytes of a batch file into text the way Windows tools write it: UTF-8 with or without a BOM,
// UTF-16 LE/BE with a BOM (Excel "Unicode Text", Export-Csv -Encoding Unicode/BigEndianUnicode), and
// Windows-1252 (Excel "CSV (Comma delimited)" in a Western locale). A byte that is not valid in the
// encoding is reported with its line, never turned into U+FFFD on its way into AD.
//
// Node's TextDecoder does all of it (full ICU) with `fatal: true`, except that WHATWG's windows-1252 maps
// the five bytes the code page leaves undefined to C1 controls instead of failing: those five are checked
// here, which is why no iconv-lite is needed.

export const CSV_ENCODINGS = ['utf-8', 'utf-16le', 'utf-16be', 'windows-1252'] as const;
export type CsvEncoding = (typeof CSV_ENCODINGS)[number];

export interface Decoded {
  text: string;
  encoding: CsvEncoding;
  /** How the encoding was chosen, for messages. */
  how: 'byte order mark' | 'valid UTF-8' | 'UTF-8 elsewhere in the file' | 'not UTF-8, no byte order mark' | 'given';
  /** Lines (1-based, physical) holding bytes not valid in the encoding, with what was wrong. */
  badLines: { line: number; message: string }[];
}

/** Bytes Windows-1252 leaves undefined. */
const UNDEFINED_1252 = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

const NAMES: Record<CsvEncoding, string> = { 'utf-8': 'UTF-8', 'utf-16le': 'UTF-16 LE', 'utf-16be': 'UTF-16 BE', 'windows-1252': 'Windows-1252' };

export function encodingName(encoding: CsvEncoding): string {
  return NAMES[encoding];
}

function bomOf(bytes: Uint8Array): { encoding: CsvEncoding; length: number } | null {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf-8', length: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return null;
}

/** Splits the bytes after each line feed, in code units of the encoding (so a UTF-16 0x0A byte inside a character is not a line end). */
function lines(bytes: Uint8Array, encoding: CsvEncoding): Uint8Array[] {
  const out: Uint8Array[] = [];
  const unit = encoding.startsWith('utf-16') ? 2 : 1;
  const lf = encoding === 'utf-16be' ? [0x00, 0x0a] : [0x0a, 0x00];
  let start = 0;
  for (let i = 0; i + unit <= bytes.length; i += unit) {
    const isLf = unit === 1 ? bytes[i] === 0x0a : bytes[i] === lf[0] && bytes[i + 1] === lf[1];
    if (isLf) {
      out.push(bytes.subarray(start, i + unit));
      start = i + unit;
    }
  }
  if (start < bytes.length) out.push(bytes.subarray(start));
  return out;
}

function hex(byte: number): string {
  return `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

function decodeAs(bytes: Uint8Array, encoding: CsvEncoding, how: Decoded['how']): Decoded {
  const strict = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  const lenient = new TextDecoder(encoding, { ignoreBOM: true });
  const badLines: Decoded['badLines'] = [];
  const parts = lines(bytes, encoding).map((line, index) => {
    if (encoding === 'windows-1252') {
      const bad = line.find((b) => UNDEFINED_1252.has(b));
      if (bad !== undefined) badLines.push({ line: index + 1, message: `byte ${hex(bad)} is not a character in Windows-1252 (the file was read as Windows-1252: ${how})` });
      return lenient.decode(line);
    }
    try {
      return strict.decode(line);
    } catch {
      badLines.push({ line: index + 1, message: `bytes that are not valid ${NAMES[encoding]} (the file was read as ${NAMES[encoding]}: ${how}); save it again as "CSV UTF-8" or give --encoding` });
      return lenient.decode(line);
    }
  });
  return { text: parts.join(''), encoding, how, badLines };
}

/** A multi-byte UTF-8 sequence anywhere: the file was meant as UTF-8, and an invalid byte is damage, not Windows-1252. */
function hasUtf8Sequence(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length - 1; i += 1) {
    const b = bytes[i]!;
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
    if (need === 0) continue;
    let ok = i + need < bytes.length;
    for (let k = 1; ok && k <= need; k += 1) ok = (bytes[i + k]! & 0xc0) === 0x80;
    if (ok) return true;
  }
  return false;
}

/**
 * The file's text. A byte order mark decides; without one, valid UTF-8 is UTF-8, and a file that is not
 * (and has no UTF-8 sequence at all) is Windows-1252, as Excel's "CSV (Comma delimited)" writes it.
 */
export function decodeBatchBytes(bytes: Uint8Array, given?: CsvEncoding): Decoded {
  const bom = bomOf(bytes);
  if (given) {
    const skip = bom && bom.encoding === given ? bom.length : 0;
    return decodeAs(bytes.subarray(skip), given, 'given');
  }
  if (bom) return decodeAs(bytes.subarray(bom.length), bom.encoding, 'byte order mark');
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes), encoding: 'utf-8', how: 'valid UTF-8', badLines: [] };
  } catch {
    return hasUtf8Sequence(bytes) ? decodeAs(bytes, 'utf-8', 'UTF-8 elsewhere in the file') : decodeAs(bytes, 'windows-1252', 'not UTF-8, no byte order mark');
  }
}
