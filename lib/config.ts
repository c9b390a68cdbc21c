// The configuration file (--config FILE, JSON), checked against one schema.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from './input-error.js';

export const ConfigSchema = z.strictObject({
  /** PowerShell host to use locally (pwsh or powershell.exe); otherwise it is searched for. */
  powershell: z.string().min(1).optional(),
  /** Which cloud module family the tool uses. */
  cloud: z.enum(['graph', 'msonline']).default('graph'),
  graph: z
    .strictObject({
      auth: z.enum(['certificate', 'interactive']).default('certificate'),
      tenantId: z.string().min(1).optional(),
      clientId: z.string().min(1).optional(),
      certificateThumbprint: z.string().regex(/^[0-9A-Fa-f]{40}$/, 'a certificate thumbprint is 40 hexadecimal characters').optional(),
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
      /** Host for the ADSync step when run locally: ADSync usually needs Windows PowerShell 5.1. */
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

export function parseConfig(value: unknown, source = 'config'): Config {
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
