// A command the tool prints for an admin to paste (the resume hint, discover's next step) must run as printed.
import { expect } from 'chai';
import { commandLine, quoteArg } from '../../lib/command-line.js';

describe('command line', () => {
  it('leaves plain arguments as they are', () => {
    for (const arg of ['plan', '--csv', 'C:\\Batches\\may.csv', 'ada@contoso.com', '--timeout=30']) expect(quoteArg(arg)).to.equal(arg);
  });

  it('double-quotes an argument with spaces or commas (PowerShell and cmd both take double quotes)', () => {
    expect(quoteArg('C:\\Batches\\May batch.csv')).to.equal('"C:\\Batches\\May batch.csv"');
    // Unquoted, PowerShell passes a,b to a program as two arguments.
    expect(quoteArg('OU=Staff,DC=contoso,DC=com')).to.equal('"OU=Staff,DC=contoso,DC=com"');
    expect(quoteArg("it's.csv")).to.equal('"it\'s.csv"');
  });

  it("single-quotes an argument PowerShell would expand in double quotes ($, backtick) or end early (\")", () => {
    expect(quoteArg('C:\\Batches\\$May.csv')).to.equal("'C:\\Batches\\$May.csv'");
    expect(quoteArg('a`b')).to.equal("'a`b'");
    expect(quoteArg('say "hi"')).to.equal("'say \"hi\"'");
    expect(quoteArg("it's $5")).to.equal("'it''s $5'");
  });

  it('quotes a first @ (PowerShell splats @name)', () => {
    expect(quoteArg('@batch')).to.equal('"@batch"');
  });

  it('masks any secret-looking value', () => {
    expect(commandLine(['apply', '--csv', 'a b.csv', '--client-secret', 's3cr3t', '--token=abc', '--yes'])).to.equal(
      'upn-match apply --csv "a b.csv" --client-secret "[redacted]" "--token=[redacted]" --yes',
    );
  });
});
