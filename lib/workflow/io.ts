// How the workflow reaches PowerShell: one call per step record. The engine takes this interface,
// so unit tests give it a fake that answers from a table (and throws on anything unexpected).
import type { PowerShellRunner, ProgressEvent, ProgressSink } from '../bridge/index.js';
import { runStep, type StepDefinition } from '../steps/registry.js';

/** A call that does a part of a larger job (a chunk of the AD writes): its progress is told as the whole's. */
export interface CallPart {
  /** Items done before this call. */
  before: number;
  /** Items in the whole job. */
  of: number;
}

export interface StepIO {
  run<I extends Record<string, unknown>, O>(step: StepDefinition<I, O>, input: I, part?: CallPart): Promise<O>;
}

export interface StepCall {
  step: string;
  input: Record<string, unknown>;
}

/** A call's progress event as the whole job's. */
export function asPartOf(event: ProgressEvent, part: CallPart | undefined): ProgressEvent {
  if (!part || event.unit !== 'count') return event;
  return { ...event, done: part.before + event.done, total: part.of };
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
    /** Told each script's progress while it runs (Write-UpnMatchProgress). */
    private readonly onProgress?: ProgressSink,
  ) {}

  async run<I extends Record<string, unknown>, O>(step: StepDefinition<I, O>, input: I, part?: CallPart): Promise<O> {
    this.onCall?.({ step: step.id, input });
    const runner = step.edition === 'Desktop' ? this.desktop : this.local;
    const sink = this.onProgress;
    const result = await runStep(runner, step, input, { onProgress: sink ? (event) => sink(asPartOf(event, part)) : undefined });
    this.warnings.push(...result.warnings);
    for (const warning of result.warnings) this.onWarning?.(step.id, warning);
    return result.data;
  }

  async close(): Promise<void> {
    await Promise.all([this.local.close(), this.desktop.close()]);
  }
}
