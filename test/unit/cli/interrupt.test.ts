// Ctrl-C while the report is being written: stdout already belongs to the report, so no error envelope is added
// after it (with --json stdout must stay one JSON document).
import { expect } from 'chai';
import { envelopeOnInterrupt } from '../../../lib/cli/session.js';

describe('cli: the envelope on an interruption', () => {
  it('is printed with --json before the report has started', () => {
    expect(envelopeOnInterrupt({ json: true, reporting: false })).to.equal(true);
  });

  it('is not printed once the report has started on stdout, nor without --json', () => {
    expect(envelopeOnInterrupt({ json: true, reporting: true })).to.equal(false);
    expect(envelopeOnInterrupt({ json: false, reporting: false })).to.equal(false);
  });
});
