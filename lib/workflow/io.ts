// How the workflow reaches PowerShell: one call per step record. The engine takes this interface,
// so unit tests give it a fake that answers from a table (and throws on anything unexpected).
import type { PowerShellRunner } from '../bridge/index.js';
import { runStep, type StepDefinition } from '../steps/registry.js';

export interface StepIO {
  run<I extends Record<string, unknown>, O>(step: StepDefinition<I, O>, input: I): Promise<O>;
}

export interface StepCall {
  step: string;
  input: Record<string, unknown>;
}

/** The real thing: steps that need Windows PowerShell 5.1 (the ADSync steps) go to its runner, the rest to the local session. */
export class BridgeStepIO implements StepIO {
  readonly warnings: string[] = [];
  constructor(
    private readonly local: PowerShellRunner,
    /** For steps with edition 'Desktop': the local session itself, unless chooseStepHost picked another host. */
    private readonly desktop: PowerShellRunner,
    private readonly onCall?: (call: StepCall) => void,
    /** Told each warning a script wrote (Write-Warning), with its step. */
    private readonly onWarning?: (step: string, warning: string) => void,
  ) {}

  async run<I extends Record<string, unknown>, O>(step: StepDefinition<I, O>, input: I): Promise<O> {
    this.onCall?.({ step: step.id, input });
    const runner = step.edition === 'Desktop' ? this.desktop : this.local;
    const result = await runStep(runner, step, input);
    this.warnings.push(...result.warnings);
    for (const warning of result.warnings) this.onWarning?.(step.id, warning);
    return result.data;
  }

  async close(): Promise<void> {
    await Promise.all([this.local.close(), this.desktop.close()]);
  }
}
