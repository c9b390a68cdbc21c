// The configuration file (--config FILE, JSON), checked against one schema.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from './input-error.js';

export const GRAPH_AUTH = ['certificate', 'managed-identity', 'interactive', 'device-code'] as const;
export const GRAPH_ENVIRONMENTS = ['Global', 'USGov', 'USGovDoD', 'China'] as const;

/** Keys refused with the reason, before the schema (which would only say "Unrecognized key"). */
const SECRET_KEY = /secret|password/i;
const SECRET_REFUSAL =
  'a client secret (or password) is not accepted: the config is a plain file, and whoever can read it could sign in as the app. ' +
  'Use a certificate in the machine\'s store ("auth": "certificate" with "certificateThumbprint" or "certificateSubject"; README, "App-only sign-in with a certificate"), or "auth": "managed-identity"';
const MSONLINE_REFUSAL =
  'MSOnline is retired: Microsoft turned it off between April and May 2025, so it can neither read nor change the directory-sync features. ' +
  'Remove "cloud" (Microsoft Graph is used)';

/** zod's issue code for our own checks. */
const CUSTOM = 'custom' as const;

export const ConfigSchema = z.strictObject({
  /** PowerShell host to use locally (pwsh or powershell.exe); otherwise it is searched for. */
  powershell: z.string().min(1).optional(),
  /** Which cloud module family the tool uses: Graph only ("msonline" is refused with the reason). */
  cloud: z
    .enum(['graph', 'msonline'])
    .default('graph')
    .refine((cloud) => cloud !== 'msonline', MSONLINE_REFUSAL),
  graph: z
    .strictObject({
      /** certificate or managed-identity (app-only, unattended); interactive or device-code (delegated, a person signs in). */
      auth: z.enum(GRAPH_AUTH).default('certificate'),
      tenantId: z.string().min(1).optional(),
      /** The app registration (certificate), or a user-assigned managed identity's client id. */
      clientId: z.string().min(1).optional(),
      certificateThumbprint: z.string().regex(/^[0-9A-Fa-f]{40}$/, 'a certificate thumbprint is 40 hexadecimal characters').optional(),
      /** The certificate's subject, e.g. "CN=upn-match": a renewed certificate keeps it, its thumbprint changes. */
      certificateSubject: z.string().min(1).optional(),
      /** The national cloud (Connect-MgGraph -Environment). */
      environment: z.enum(GRAPH_ENVIRONMENTS).default('Global'),
    })
    .superRefine((graph, ctx) => {
      if (graph.auth !== 'certificate') return;
      const missing = (['tenantId', 'clientId'] as const).filter((key) => !graph[key]);
      if (missing.length > 0) ctx.addIssue({ code: CUSTOM, path: [missing[0]!], message: `certificate sign-in needs graph.${missing.join(' and graph.')}` });
      if (!graph.certificateThumbprint && !graph.certificateSubject) {
        ctx.addIssue({ code: CUSTOM, path: ['certificateThumbprint'], message: 'certificate sign-in needs graph.certificateThumbprint or graph.certificateSubject (the certificate in the machine\'s store)' });
      }
      if (graph.certificateThumbprint && graph.certificateSubject) {
        ctx.addIssue({ code: CUSTOM, path: ['certificateSubject'], message: 'give graph.certificateThumbprint or graph.certificateSubject, not both' });
      }
    })
    .optional(),
  ad: z
    .strictObject({
      /** Domain controller for writes (defaults to the module's own choice); other domains are searched by name. */
      server: z.string().min(1).optional(),
    })
    .optional(),
  syncServer: z
    .strictObject({
      /** 'local' or the Entra Connect server's computer name (reached with Invoke-Command). */
      computerName: z.string().min(1).default('local'),
      /** Host for the ADSync steps when run locally: a path, or "same" (the tool's own host); default chooseStepHost's (Windows PowerShell 5.1 on Windows). */
      powershell: z.string().min(1).optional(),
    })
    .optional(),
  /** Allow `apply` to enable UPN soft match in the tenant (cannot be undone). */
  enableFeature: z.boolean().default(false),
  /** Folder for the journal, the lock and the feature record (default: %ProgramData%\\upn-match or ~/.upn-match). */
  workDir: z.string().min(1).optional(),
  /** Folder for log files (default: WORKDIR/logs). */
  logDir: z.string().min(1).optional(),
  /** Journals of settled runs (done, rolled back) older than this many days are deleted (default 90); unsettled runs never are. */
  retentionDays: z.number().int().min(1).max(36500).optional(),
  /** App-only runs: a recorded feature read older than this many hours blocks apply (default 24): read the features again. */
  featureRecordMaxAgeHours: z.number().positive().max(8760).optional(),
});

export type Config = z.infer<typeof ConfigSchema>;

export const DEFAULT_RETENTION_DAYS = 90;
export const DEFAULT_FEATURE_RECORD_MAX_AGE_HOURS = 24;

export class ConfigError extends InputError {
  override readonly name = 'ConfigError';
}

/** The keys that look like a secret, at the top level or in a section. */
function secretKeys(value: unknown): string[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, inner]) => {
    if (SECRET_KEY.test(key)) return [key];
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) return Object.keys(inner).filter((k) => SECRET_KEY.test(k)).map((k) => `${key}.${k}`);
    return [];
  });
}

/** What to do about a backslash JSON lost or misread (a Windows path written with single backslashes). */
export const BACKSLASH_HINT = 'in JSON a backslash is written twice ("C:\\\\upn-match\\\\work"), or write the path with forward slashes ("C:/upn-match/work")';

const CONTROL_NAMES: Record<string, string> = { '\t': 'a tab (\\t)', '\n': 'a line break (\\n)', '\r': 'a carriage return (\\r)', '\b': 'a backspace (\\b)', '\f': 'a form feed (\\f)' };

/** String values holding a control character: in a config, a Windows path whose "\t" or "\n" JSON read as an escape. */
function controlCharacterProblems(value: unknown, at: string[] = []): string[] {
  if (typeof value === 'string') {
    const found = /[\u0000-\u001f]/.exec(value)?.[0];
    if (found === undefined) return [];
    return [`${at.join('.') || '(top level)'}: holds ${CONTROL_NAMES[found] ?? 'a control character'}: a Windows path with single backslashes? ${BACKSLASH_HINT}`];
  }
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => controlCharacterProblems(v, [...at, k]));
  return [];
}

/** Refuses a config with every problem at once, one line each: "<source>: <JSON path>: <what is wrong>". */
export function parseConfig(value: unknown, source = 'config'): Config {
  const secrets = secretKeys(value);
  const problems = [...secrets.map((key) => `${key}: ${SECRET_REFUSAL}`), ...controlCharacterProblems(value)];
  const result = ConfigSchema.safeParse(value);
  if (!result.success) {
    for (const issue of result.error.issues) {
      // A secret's key is refused above, with the reason; "Unrecognized key" would only repeat it.
      if (issue.code === 'unrecognized_keys' && issue.keys.every((k) => secrets.includes([...issue.path, k].join('.')))) continue;
      problems.push(`${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `${source}: ${p}`).join('\n'));
  return result.data!;
}

/** Line and column (from 1) of a character of `text`. */
function lineAndColumn(text: string, index: number): string {
  const before = text.slice(0, index).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

/** Each backslash in a string that starts no JSON escape (\\T in "C:\\Temp"), by its place in the text. */
export function invalidEscapes(text: string): string[] {
  const found: string[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (!inString) {
      if (c === '"') inString = true;
      continue;
    }
    if (c === '"') inString = false;
    else if (c === '\\') {
      const next = text[i + 1] ?? '';
      const valid = next === 'u' ? /^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6)) : '"\\/bfnrt'.includes(next) && next !== '';
      if (!valid) found.push(`${lineAndColumn(text, i)}: \\${next === 'u' ? 'u' : next} is not a JSON escape`);
      i += 1;
    } else if (c === '\n') inString = false; // an unclosed string: JSON.parse says so
  }
  return found;
}

export function loadConfig(file: string | undefined): Config {
  if (!file) return parseConfig({});
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const escapes = invalidEscapes(text);
    if (escapes.length > 0) throw new ConfigError(`config file ${file} is not valid JSON:\n${escapes.map((e) => `  ${e}`).join('\n')}\n  ${BACKSLASH_HINT}`);
    // V8 quotes the text around an unexpected token, and a config file may hold a secret by mistake.
    const reason = (error as Error).message.replace(/^(Unexpected token)\b.*is not valid JSON$/s, '$1');
    throw new ConfigError(`config file ${file} is not valid JSON: ${reason}`);
  }
  return parseConfig(json, file);
}
