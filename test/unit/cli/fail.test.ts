// How the CLI turns a failure that ended a command into its exit code and one line: from the code
// catalogue, so that a protocol or schema bug is a bug (70), not the environment (6).
import { expect } from 'chai';
import sinon from 'sinon';
import { BatchInputError } from '../../../lib/batch/read.js';
import { BridgeError } from '../../../lib/bridge/errors.js';
import { fail } from '../../../lib/cli/session.js';
import { EXIT } from '../../../lib/exit-codes.js';
import { InputError } from '../../../lib/input-error.js';
import { LockHeldError } from '../../../lib/workflow/lock.js';

function exitFor(error: unknown): { exit: number | undefined; said: string } {
  const said = sinon.stub(console, 'error');
  const before = process.exitCode;
  try {
    fail(error);
    return { exit: process.exitCode as number | undefined, said: said.args.map((a) => String(a[0])).join('\n') };
  } finally {
    said.restore();
    process.exitCode = before;
  }
}

describe('cli: failures to exit codes', () => {
  it('exits 70 for a broken envelope or a result failing its schema (a bug), naming the code', () => {
    for (const [reason, code] of [['protocol-error', 'NotOneEnvelope'], ['output-invalid', 'OutputInvalid'], ['protocol-error', 'SessionEnded']] as const) {
      const { exit, said } = exitFor(new BridgeError({ reason, script: 'steps/Get-AdFacts.ps1', code, message: 'broken' }));
      expect(exit, code).to.equal(code === 'SessionEnded' ? EXIT.environment : EXIT.internal);
      expect(said).to.match(new RegExp(`^upn-match: ${code}: broken`));
    }
  });

  it('exits 6 for the environment, 2 for input, 5 for the lock', () => {
    expect(exitFor(new BridgeError({ reason: 'host-missing', script: '-', message: 'no host' })).exit).to.equal(EXIT.environment);
    expect(exitFor(new BridgeError({ reason: 'script-error', script: 'x', code: 'PS.ResourceUnavailable', message: 'Unable to contact the server' })).exit).to.equal(EXIT.environment);
    expect(exitFor(new BridgeError({ reason: 'input-invalid', script: 'x', message: 'bad' })).exit).to.equal(EXIT.badInput);
    // PowerShell refused to bind a parameter (ValidatePattern): its PS.* code, the input category.
    expect(exitFor(new BridgeError({ reason: 'input-invalid', script: 'x', code: 'PS.InvalidData', message: 'Cannot validate argument on parameter ComputerName' })).exit).to.equal(EXIT.badInput);
    expect(exitFor(new BatchInputError([{ row: 3, message: 'no cloudUpn' }])).exit).to.equal(EXIT.badInput);
    expect(exitFor(new InputError('no simulator')).exit).to.equal(EXIT.badInput);
    expect(exitFor(new LockHeldError('held')).exit).to.equal(EXIT.lockHeld);
    expect(exitFor(new Error('surprise')).exit).to.equal(EXIT.internal);
  });
});
