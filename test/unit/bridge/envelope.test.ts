// The TypeScript side of the wire protocol, without PowerShell: what parseEnvelope accepts, what
// it refuses (and with which code), and how interpretOutput turns an envelope into data or a
// typed BridgeError.
import { expect } from 'chai';
import { z } from 'zod';
import { PROTOCOL_VERSION, interpretOutput, normalizeDates, parseEnvelope } from '../../../lib/bridge/envelope.js';
import { BridgeError } from '../../../lib/bridge/errors.js';

type Raw = Parameters<typeof parseEnvelope>[0];

const SCRIPT = 'steps/Test-Thing.ps1';

function envelope(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    protocol: PROTOCOL_VERSION,
    ok: true,
    data: { answer: 42 },
    warnings: [],
    error: null,
    host: { edition: 'Core', version: '7.6.9' },
    durationMs: 12,
    ...overrides,
  };
}

function failed(error: Record<string, unknown>): Record<string, unknown> {
  return envelope({ ok: false, data: null, error: { target: null, message: 'it failed', ...error } });
}

function raw(stdout: string, exitCode: number | null = 0, stderr = ''): Raw {
  return { script: SCRIPT, stdout, stderr, exitCode };
}

const json = (value: unknown) => JSON.stringify(value);

/** Runs fn, which must throw a BridgeError, and returns it. */
function bridgeError(fn: () => unknown): BridgeError {
  try {
    fn();
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(BridgeError);
    return error as BridgeError;
  }
  expect.fail('expected a BridgeError, but nothing was thrown');
}

describe('envelope: parseEnvelope', () => {
  it('accepts exactly one envelope and returns its fields', () => {
    const result = parseEnvelope(raw(json(envelope({ warnings: ['careful'] })) + '\n'));
    expect(result.ok).to.equal(true);
    expect(result.data).to.deep.equal({ answer: 42 });
    expect(result.warnings).to.deep.equal(['careful']);
    expect(result.host).to.deep.equal({ edition: 'Core', version: '7.6.9' });
  });

  it('accepts a UTF-8 byte order mark before the envelope', () => {
    const result = parseEnvelope(raw('\uFEFF' + json(envelope())));
    expect(result.data).to.deep.equal({ answer: 42 });
  });

  it('accepts CRLF line ends, around and inside the envelope', () => {
    const pretty = JSON.stringify(envelope({ data: { text: 'a\r\nb' } }), null, 2).replace(/\n/g, '\r\n');
    const result = parseEnvelope(raw(`\r\n${pretty}\r\n`));
    expect(result.data).to.deep.equal({ text: 'a\r\nb' });
  });

  it('refuses empty output as NoEnvelope, with the exit code in the message', () => {
    const error = bridgeError(() => parseEnvelope(raw('', 3, 'line 1\nline 2\n')));
    expect(error.reason).to.equal('protocol-error');
    expect(error.code).to.equal('NoEnvelope');
    expect(error.exitCode).to.equal(3);
    expect(error.message).to.contain('exit code 3');
    expect(error.stderrTail).to.equal('line 1\nline 2');
  });

  it('refuses whitespace-only output (and a bare BOM) as NoEnvelope', () => {
    expect(bridgeError(() => parseEnvelope(raw(' \r\n\t\n', null))).code).to.equal('NoEnvelope');
    expect(bridgeError(() => parseEnvelope(raw('\uFEFF\n', 0))).code).to.equal('NoEnvelope');
  });

  it('refuses two envelopes as NotOneEnvelope', () => {
    const one = json(envelope());
    for (const stdout of [`${one}\n${one}\n`, `${one}${one}`, `${one}\r\n${one}`]) {
      const error = bridgeError(() => parseEnvelope(raw(stdout)));
      expect(error.reason, stdout).to.equal('protocol-error');
      expect(error.code, stdout).to.equal('NotOneEnvelope');
    }
  });

  it('refuses text after the envelope as NotOneEnvelope', () => {
    const error = bridgeError(() => parseEnvelope(raw(`${json(envelope())}\nDone.\n`)));
    expect(error.code).to.equal('NotOneEnvelope');
  });

  it('refuses text before the envelope as NotOneEnvelope and quotes how stdout starts', () => {
    const error = bridgeError(() => parseEnvelope(raw(`WARNING: something\r\n${json(envelope())}`)));
    expect(error.code).to.equal('NotOneEnvelope');
    expect(error.message).to.contain('"WARNING: something"');
    expect(error.message).not.to.contain('\r');
  });

  it('refuses JSON that is not an envelope as BadEnvelope', () => {
    for (const stdout of ['[]', '"text"', '42', 'null', json({ ok: true }), json(envelope({ warnings: 'one' })), json(envelope({ ok: 'yes' }))]) {
      const error = bridgeError(() => parseEnvelope(raw(stdout)));
      expect(error.code, stdout).to.equal('BadEnvelope');
      expect(error.reason, stdout).to.equal('protocol-error');
    }
  });

  it('refuses an error with an unknown category as BadEnvelope', () => {
    const error = bridgeError(() => parseEnvelope(raw(json(failed({ code: 'X', category: 'weird' })), 1)));
    expect(error.code).to.equal('BadEnvelope');
  });

  it('refuses another protocol version', () => {
    for (const protocol of [0, PROTOCOL_VERSION + 1]) {
      const error = bridgeError(() => parseEnvelope(raw(json(envelope({ protocol })))));
      expect(error.reason).to.equal('protocol-error');
      expect(error.code).to.equal('ProtocolVersion');
      expect(error.message).to.contain(String(protocol));
    }
  });

  it('refuses exit code 0 with ok=false (ExitCodeMismatch)', () => {
    const error = bridgeError(() => parseEnvelope(raw(json(failed({ code: 'X', category: 'script' })), 0)));
    expect(error.code).to.equal('ExitCodeMismatch');
    expect(error.exitCode).to.equal(0);
  });

  it('refuses a non-zero exit code with ok=true (ExitCodeMismatch)', () => {
    const error = bridgeError(() => parseEnvelope(raw(json(envelope()), 1)));
    expect(error.code).to.equal('ExitCodeMismatch');
    expect(error.exitCode).to.equal(1);
  });

  it('does not compare exit codes for a session call (exitCode null)', () => {
    expect(parseEnvelope(raw(json(envelope()), null)).ok).to.equal(true);
    expect(parseEnvelope(raw(json(failed({ code: 'X', category: 'script' })), null)).ok).to.equal(false);
  });

  it('refuses ok=true with an error set, and ok=false without one', () => {
    const withError = envelope({ error: { code: 'X', category: 'script', message: 'm' } });
    expect(bridgeError(() => parseEnvelope(raw(json(withError), 0))).code).to.equal('BadEnvelope');
    expect(bridgeError(() => parseEnvelope(raw(json(envelope({ ok: false })), 1))).code).to.equal('BadEnvelope');
  });
});

describe('envelope: Windows PowerShell 5.1 dates', () => {
  // What 5.1's ConvertTo-Json writes for a DateTime: the slashes escaped.
  const msDate = '"\\/Date(1700000000000)\\/"';
  const iso = new Date(1700000000000).toISOString();

  it('turns "\\/Date(ms)\\/" anywhere in data into an ISO 8601 UTC string', () => {
    const text = json(envelope({ data: null })).replace('"data":null', `"data":{"at":${msDate},"list":[${msDate}],"deep":{"x":[{"y":${msDate}}]}}`);
    const result = parseEnvelope(raw(text));
    expect(result.data).to.deep.equal({ at: iso, list: [iso], deep: { x: [{ y: iso }] } });
    expect(iso).to.equal('2023-11-14T22:13:20.000Z');
  });

  it('handles the offset form and negative (pre-1970) values', () => {
    const text = json(envelope({ data: null })).replace('"data":null', '"data":["\\/Date(1700000000000+0100)\\/","\\/Date(-86400000)\\/"]');
    expect(parseEnvelope(raw(text)).data).to.deep.equal([iso, '1969-12-31T00:00:00.000Z']);
  });

  it('leaves strings that only look like a date alone (no escaped slashes, or more around them)', () => {
    const lookalikes = ['/Date(1700000000000)/', '\\/Date(1700000000000)\\/', 'x /Date(1700000000000)/', '/Date(1700000000000)/ ', '/Date(abc)/', '2024-01-01T00:00:00Z'];
    expect(parseEnvelope(raw(json(envelope({ data: lookalikes })))).data).to.deep.equal(lookalikes);
  });

  it('leaves an escaped date inside a longer string alone', () => {
    const text = json(envelope({ data: null })).replace('"data":null', '"data":"at \\/Date(1700000000000)\\/"');
    expect(parseEnvelope(raw(text)).data).to.equal('at /Date(1700000000000)/');
  });

  it('leaves a date beyond the representable range as it was', () => {
    const text = json(envelope({ data: null })).replace('"data":null', '"data":"\\/Date(99999999999999999999)\\/"');
    expect(parseEnvelope(raw(text)).data).to.equal('/Date(99999999999999999999)/');
  });

  it('normalizeDates leaves text without 5.1 dates untouched', () => {
    const text = json(envelope({ data: { a: 'b "quoted" \\ back' } }));
    expect(normalizeDates(text)).to.equal(text);
  });
});

describe('envelope: interpretOutput', () => {
  const schema = z.object({ answer: z.number() });

  it('returns data checked by the schema, with warnings, host, duration and stderr', () => {
    const result = interpretOutput(raw(json(envelope({ warnings: ['w1', 'w2'] })), 0, 'VERBOSE: x\n'), schema);
    expect(result).to.deep.equal({
      data: { answer: 42 },
      warnings: ['w1', 'w2'],
      host: { edition: 'Core', version: '7.6.9' },
      durationMs: 12,
      stderr: 'VERBOSE: x\n',
    });
  });

  it('returns the schema output (transforms applied), not the raw data', () => {
    const result = interpretOutput(raw(json(envelope())), z.object({ answer: z.number().transform((n) => n * 2) }));
    expect(result.data).to.deep.equal({ answer: 84 });
  });

  it('maps category precondition to precondition-unmet, keeping code and target', () => {
    const error = bridgeError(() =>
      interpretOutput(raw(json(failed({ code: 'CloudUserNotFound', category: 'precondition', target: 'a@contoso.com' })), 1, 'CloudUserNotFound: it failed\n'), schema),
    );
    expect(error.reason).to.equal('precondition-unmet');
    expect(error.code).to.equal('CloudUserNotFound');
    expect(error.target).to.equal('a@contoso.com');
    expect(error.message).to.equal('it failed');
    expect(error.script).to.equal(SCRIPT);
    expect(error.exitCode).to.equal(1);
    expect(error.stderrTail).to.equal('CloudUserNotFound: it failed');
  });

  it('maps category input to input-invalid', () => {
    const error = bridgeError(() => interpretOutput(raw(json(failed({ code: 'PS.InvalidArgument', category: 'input' })), 1), schema));
    expect(error.reason).to.equal('input-invalid');
    expect(error.code).to.equal('PS.InvalidArgument');
    expect(error.target).to.equal(null);
  });

  it('maps category script to script-error', () => {
    const error = bridgeError(() => interpretOutput(raw(json(failed({ code: 'PS.OperationStopped', category: 'script' })), 1), schema));
    expect(error.reason).to.equal('script-error');
    expect(error.code).to.equal('PS.OperationStopped');
  });

  it('maps ExtraOutput and ScriptExit to protocol-error, whatever their category', () => {
    for (const code of ['ExtraOutput', 'ScriptExit']) {
      for (const category of ['script', 'precondition', 'input']) {
        const error = bridgeError(() => interpretOutput(raw(json(failed({ code, category })), null), schema));
        expect(error.reason, `${code}/${category}`).to.equal('protocol-error');
        expect(error.code).to.equal(code);
      }
    }
  });

  it('keeps only the first line of a multi-line script message', () => {
    const error = bridgeError(() => interpretOutput(raw(json(failed({ code: 'X', category: 'script', message: 'first\r\nsecond\nthird' })), 1), schema));
    expect(error.message).to.equal('first');
  });

  it('refuses data that fails the schema as output-invalid, naming the field', () => {
    const error = bridgeError(() => interpretOutput(raw(json(envelope({ data: { answer: 'forty-two' } })), 0, 'some stderr'), schema));
    expect(error.reason).to.equal('output-invalid');
    expect(error.code).to.equal('OutputInvalid');
    expect(error.message).to.contain('answer');
    expect(error.stderrTail).to.equal('some stderr');
    expect(error.cause).to.be.instanceOf(z.ZodError);
  });

  it('refuses missing data (null) when the schema wants an object', () => {
    expect(bridgeError(() => interpretOutput(raw(json(envelope({ data: null }))), schema)).reason).to.equal('output-invalid');
  });

  it('reports protocol problems before looking at data', () => {
    expect(bridgeError(() => interpretOutput(raw('not json'), schema)).code).to.equal('NotOneEnvelope');
  });

  it('gives a 5.1 date to the schema as an ISO string', () => {
    const text = json(envelope({ data: null })).replace('"data":null', '"data":{"when":"\\/Date(0)\\/"}');
    const result = interpretOutput(raw(text), z.object({ when: z.iso.datetime() }));
    expect(result.data.when).to.equal('1970-01-01T00:00:00.000Z');
  });
});

describe('envelope: records streamed before it', () => {
  const streamed = (entries: unknown[], over: Record<string, unknown> = {}) => `{"stream":${json(entries)},${json(envelope({ data: { records: [], other: 1 }, ...over })).slice(1)}`;

  it('puts each record in its field, in order', () => {
    const out = interpretOutput(raw(streamed([['records', { n: 1 }], ['records', { n: 2 }]])), z.object({ records: z.array(z.object({ n: z.number() })), other: z.number() }));
    expect(out.data).to.deep.equal({ records: [{ n: 1 }, { n: 2 }], other: 1 });
  });

  it('refuses a record for a field the result lacks, or a stream that is not a list of [field, record]', () => {
    expect(bridgeError(() => parseEnvelope(raw(streamed([['missing', { n: 1 }]])))).code).to.equal('BadEnvelope');
    expect(bridgeError(() => parseEnvelope(raw(streamed([['other', { n: 1 }]])))).code).to.equal('BadEnvelope');
    expect(bridgeError(() => parseEnvelope(raw(streamed([{ n: 1 }])))).code).to.equal('BadEnvelope');
    expect(bridgeError(() => parseEnvelope(raw(`{"stream":{},${json(envelope()).slice(1)}`))).code).to.equal('BadEnvelope');
  });

  it("drops the records of a failed step and keeps its error", () => {
    const text = `{"stream":${json([['records', { n: 1 }]])},${json(failed({ code: 'GraphRequestFailed', category: 'script' })).slice(1)}`;
    expect(bridgeError(() => interpretOutput(raw(text, 1), z.unknown())).code).to.equal('GraphRequestFailed');
  });
});
