// One record per PowerShell step: which script, on which host, what goes in and comes out, whether
// it writes, and how long it may take. The CLI, --help and the docs read this table.
import { z } from 'zod';
import type { PowerShellRunner, ScriptOutput } from '../bridge/index.js';

export type StepHost = 'local' | 'sync-server';

export interface StepDefinition<I, O> {
  id: string;
  title: string;
  script: string;
  host: StepHost;
  input: z.ZodType<I>;
  output: z.ZodType<O>;
  mutates: boolean;
  timeoutMs: number;
}

function defineStep<I, O>(step: StepDefinition<I, O>): StepDefinition<I, O> {
  return step;
}

export const HostInfoOutput = z.object({
  edition: z.string(),
  version: z.string(),
  os: z.string(),
  executable: z.string(),
});

export const ModuleStatus = z.object({
  name: z.string(),
  installed: z.boolean(),
  importable: z.boolean(),
  version: z.string().nullable(),
  path: z.string().nullable(),
  error: z.string().nullable(),
});
export type ModuleStatus = z.infer<typeof ModuleStatus>;

export const steps = {
  hostInfo: defineStep({
    id: 'host-info',
    title: 'Describe the PowerShell host',
    script: 'steps/Get-HostInfo.ps1',
    host: 'local',
    input: z.object({}).strict(),
    output: HostInfoOutput,
    mutates: false,
    timeoutMs: 30_000,
  }),
  moduleCheck: defineStep({
    id: 'module-check',
    title: 'Check that the needed modules import',
    script: 'steps/Test-ModuleAvailability.ps1',
    host: 'local',
    input: z.object({ Name: z.array(z.string().regex(/^[A-Za-z0-9._-]+$/)).min(1) }).strict(),
    output: z.object({ modules: z.array(ModuleStatus) }),
    mutates: false,
    timeoutMs: 120_000,
  }),
} as const;

export type AnyStep = (typeof steps)[keyof typeof steps];

/** Runs a step's script through a runner, with the step's schemas and time limit. */
export function runStep<I extends Record<string, unknown>, O>(
  runner: PowerShellRunner,
  step: StepDefinition<I, O>,
  input: I,
  options: { signal?: AbortSignal } = {},
): Promise<ScriptOutput<O>> {
  return runner.run({
    script: step.script,
    input,
    inputSchema: step.input,
    output: step.output,
    timeoutMs: step.timeoutMs,
    signal: options.signal,
  });
}
