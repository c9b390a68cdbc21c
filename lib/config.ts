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

/** The first key that looks like a secret, at the top level or in a section. */
function secretKey(value: unknown): string | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  for (const [key, inner] of Object.entries(value)) {
    if (SECRET_KEY.test(key)) return key;
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
      const nested = Object.keys(inner).find((k) => SECRET_KEY.test(k));
      if (nested) return `${key}.${nested}`;
    }
  }
  return null;
}

export function parseConfig(value: unknown, source = 'config'): Config {
  const secret = secretKey(value);
  if (secret) throw new ConfigError(`${source}: ${secret}: ${SECRET_REFUSAL}`);
  const result = ConfigSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    throw new ConfigError(`${source}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
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
    // V8 quotes the text around an unexpected token, and a config file may hold a secret by mistake.
    const reason = (error as Error).message.replace(/^(Unexpected token)\b.*is not valid JSON$/s, '$1');
    throw new ConfigError(`config file ${file} is not valid JSON: ${reason}`);
  }
  return parseConfig(json, file);
}
