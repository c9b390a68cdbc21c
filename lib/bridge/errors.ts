// Every way a call into PowerShell can fail, as one typed value (after execa's ExecaError):
// callers switch on `reason`, never on message text.

export type BridgeFailureReason =
  | 'host-missing' // no PowerShell host could be found or started
  | 'input-invalid' // the input failed its schema, or PowerShell's parameter binding refused it
  | 'precondition-unmet' // the script refused on a fact it checked (stable `code`)
  | 'script-error' // the script threw
  | 'protocol-error' // not exactly one envelope, or the exit code disagrees with `ok`
  | 'output-invalid' // the envelope is fine but `data` fails the step's output schema
  | 'timeout' // the call ran past its time limit; its process tree was killed
  | 'cancelled'; // the caller aborted the call

export interface BridgeFailureDetails {
  reason: BridgeFailureReason;
  /** The bundled script (path relative to ps/) the call ran. */
  script: string;
  /** One line, for the user. */
  message: string;
  /** Stable code: the script's error code, or the bridge's own (e.g. NotOneEnvelope). */
  code?: string;
  target?: string | null;
  /** The last lines PowerShell wrote to stderr. */
  stderrTail?: string;
  exitCode?: number | null;
  cause?: unknown;
}

export class BridgeError extends Error {
  override readonly name = 'BridgeError';
  readonly reason: BridgeFailureReason;
  readonly script: string;
  readonly code: string;
  readonly target: string | null;
  readonly stderrTail: string;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly isCanceled: boolean;

  constructor(details: BridgeFailureDetails) {
    super(details.message, details.cause === undefined ? undefined : { cause: details.cause });
    this.reason = details.reason;
    this.script = details.script;
    this.code = details.code ?? defaultCode[details.reason];
    this.target = details.target ?? null;
    this.stderrTail = details.stderrTail ?? '';
    this.exitCode = details.exitCode ?? null;
    this.timedOut = details.reason === 'timeout';
    this.isCanceled = details.reason === 'cancelled';
  }
}

const defaultCode: Record<BridgeFailureReason, string> = {
  'host-missing': 'HostMissing',
  'input-invalid': 'InputInvalid',
  'precondition-unmet': 'PreconditionUnmet',
  'script-error': 'ScriptError',
  'protocol-error': 'ProtocolError',
  'output-invalid': 'OutputInvalid',
  timeout: 'Timeout',
  cancelled: 'Cancelled',
};

export function isBridgeError(value: unknown): value is BridgeError {
  return value instanceof BridgeError;
}

/** The last `lines` non-empty lines of a stderr text. */
export function tail(text: string, lines = 10): string {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .slice(-lines)
    .join('\n');
}
