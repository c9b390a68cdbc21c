// The wire protocol on the TypeScript side: stdout must be exactly one JSON envelope, checked
// against a schema (zod: one declaration gives both the runtime check and the static type).
import { z } from 'zod';
import { BridgeError, tail } from './errors.js';

export const PROTOCOL_VERSION = 1;

const EnvelopeErrorSchema = z.object({
  code: z.string().min(1),
  category: z.enum(['precondition', 'input', 'script']),
  message: z.string(),
  target: z.string().nullable().optional(),
});

export const EnvelopeSchema = z.object({
  protocol: z.number(),
  ok: z.boolean(),
  data: z.unknown(),
  warnings: z.array(z.string()),
  error: EnvelopeErrorSchema.nullable(),
  host: z.object({ edition: z.string(), version: z.string() }),
  durationMs: z.number(),
});

export type Envelope = z.infer<typeof EnvelopeSchema>;

export interface ScriptOutput<T> {
  data: T;
  warnings: string[];
  host: { edition: string; version: string };
  durationMs: number;
  stderr: string;
}

interface RawResult {
  script: string;
  stdout: string;
  stderr: string;
  /** null for a session call, which has no exit code of its own. */
  exitCode: number | null;
}

/**
 * Windows PowerShell 5.1 writes dates as "\/Date(1700000000000)\/" (optionally with an offset).
 * Only the raw JSON text tells such a date from a string that merely reads "/Date(...)/": 5.1
 * escapes the slashes of dates and of nothing else. So this works on the text, token by token.
 */
const JSON_STRING = /"[^"\\]*(?:\\.[^"\\]*)*"/g;
const MS_DATE_TOKEN = /^"\\\/Date\((-?\d+)(?:[+-]\d{4})?\)\\\/"$/;

/** Turns 5.1's dates into ISO 8601 UTC strings, everywhere in a JSON text (before parsing). */
export function normalizeDates(json: string): string {
  if (!json.includes('\\/Date(')) return json;
  return json.replace(JSON_STRING, (token) => {
    const match = MS_DATE_TOKEN.exec(token);
    const date = match ? new Date(Number(match[1])) : undefined;
    return date && !Number.isNaN(date.getTime()) ? JSON.stringify(date.toISOString()) : token;
  });
}

function protocolError(raw: RawResult, code: string, message: string, cause?: unknown): BridgeError {
  return new BridgeError({
    reason: 'protocol-error',
    script: raw.script,
    code,
    message,
    stderrTail: tail(raw.stderr),
    exitCode: raw.exitCode,
    cause,
  });
}

/** Parses stdout into the envelope, or throws a protocol error saying what was wrong. */
export function parseEnvelope(raw: RawResult): Envelope {
  // A leading BOM dropped by slicing: replace() would copy the whole text (megabytes), BOM or not.
  const text = (raw.stdout.charCodeAt(0) === 0xfeff ? raw.stdout.slice(1) : raw.stdout).trim();
  if (text === '') {
    const how = raw.exitCode === null ? '' : ` (exit code ${raw.exitCode})`;
    throw protocolError(raw, 'NoEnvelope', `${raw.script} printed no envelope${how}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(normalizeDates(text));
  } catch (cause) {
    const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
    throw protocolError(
      raw,
      'NotOneEnvelope',
      `${raw.script} printed something other than exactly one JSON envelope (starts with: ${JSON.stringify(firstLine.slice(0, 80))})`,
      cause,
    );
  }
  const result = EnvelopeSchema.safeParse(withStreamMerged(raw, parsed));
  if (!result.success) {
    throw protocolError(raw, 'BadEnvelope', `${raw.script} printed a malformed envelope: ${z.prettifyError(result.error).split('\n').join('; ')}`, result.error);
  }
  const envelope = result.data;
  if (envelope.protocol !== PROTOCOL_VERSION) {
    throw protocolError(raw, 'ProtocolVersion', `${raw.script} speaks protocol ${envelope.protocol}; this upn-match speaks ${PROTOCOL_VERSION}`);
  }
  if (raw.exitCode !== null && (raw.exitCode === 0) !== envelope.ok) {
    throw protocolError(raw, 'ExitCodeMismatch', `${raw.script} exited with code ${raw.exitCode} but its envelope says ok=${envelope.ok}`);
  }
  if (envelope.ok === (envelope.error !== null)) {
    throw protocolError(raw, 'BadEnvelope', `${raw.script} printed an envelope whose ok and error disagree`);
  }
  return envelope;
}

/**
 * A step's records written while it ran (UpnMatch.Common's New-UpnMatchJsonList): the envelope starts with
 * "stream": [[field, record], ...], and the result names each field with an empty array. Each record goes to its
 * field's array, in the order written; a failed step's records are dropped. Checked here rather than by the
 * envelope's schema, which would copy tens of thousands of records.
 */
function withStreamMerged(raw: RawResult, parsed: unknown): unknown {
  if (typeof parsed !== 'object' || parsed === null || !('stream' in parsed)) return parsed;
  const { stream, ...envelope } = parsed as { stream: unknown; ok?: unknown; data?: unknown };
  if (!Array.isArray(stream)) throw protocolError(raw, 'BadEnvelope', `${raw.script} printed an envelope whose stream is not an array`);
  if (envelope.ok !== true) return envelope;
  const data = (typeof envelope.data === 'object' && envelope.data !== null ? envelope.data : {}) as Record<string, unknown>;
  for (const entry of stream as unknown[]) {
    const field = Array.isArray(entry) && entry.length === 2 && typeof entry[0] === 'string' ? entry[0] : null;
    const list = field !== null && Object.hasOwn(data, field) ? data[field] : undefined;
    if (!Array.isArray(list)) throw protocolError(raw, 'BadEnvelope', `${raw.script} streamed a record for ${field === null ? 'no field' : `the field '${field}', which its result lacks`}`);
    list.push((entry as unknown[])[1]);
  }
  return envelope;
}

const categoryReason = {
  precondition: 'precondition-unmet',
  input: 'input-invalid',
  script: 'script-error',
} as const;

/** Turns a script's raw output into its checked data, or the typed failure it amounts to. */
export function interpretOutput<T>(raw: RawResult, schema: z.ZodType<T>): ScriptOutput<T> {
  const envelope = parseEnvelope(raw);
  if (envelope.error) {
    const error = envelope.error;
    throw new BridgeError({
      reason: error.code === 'ExtraOutput' || error.code === 'ScriptExit' ? 'protocol-error' : categoryReason[error.category],
      script: raw.script,
      code: error.code,
      message: error.message.split(/\r?\n/, 1)[0] ?? error.message,
      target: error.target ?? null,
      stderrTail: tail(raw.stderr),
      exitCode: raw.exitCode,
    });
  }
  const data = schema.safeParse(envelope.data);
  if (!data.success) {
    throw new BridgeError({
      reason: 'output-invalid',
      script: raw.script,
      message: `${raw.script} returned data that fails its schema: ${z.prettifyError(data.error).split('\n').join('; ')}`,
      stderrTail: tail(raw.stderr),
      exitCode: raw.exitCode,
      cause: data.error,
    });
  }
  return { data: data.data, warnings: envelope.warnings, host: envelope.host, durationMs: envelope.durationMs, stderr: raw.stderr };
}
