// A command the tool prints for an admin to paste (discover's next step, the resume hint) reaches the program with
// the arguments as they were, when pasted into real PowerShell.
import { expect } from 'chai';
import { quoteArg } from '../../lib/command-line.js';
import { runPowerShell } from '../helpers/powershell.js';

describe('a printed command pasted into PowerShell', function () {
  this.timeout(60_000);

  it('passes each argument through unchanged', async () => {
    const args = [
      'plan',
      '--csv',
      'C:\\Batches\\May batch.csv',
      'C:\\Batches\\$May.csv',
      '$(Write-Output injected)',
      'OU=Staff,DC=contoso,DC=com',
      "it's.csv",
      "it's $5 `n",
      '@batch',
      'a;b',
      'a&b|c',
      'ada@contoso.com',
      // An argument with a double quote inside: PowerShell 7's native argument passing keeps it (Windows PowerShell
      // 5.1's legacy passing drops it; no Windows path holds one).
      'say "hi"',
    ];
    const echo = `& '${process.execPath}' -e 'process.stdout.write(JSON.stringify(process.argv.slice(1)))' ${args.map(quoteArg).join(' ')}`;
    const result = await runPowerShell(echo);
    expect(result.stderr).to.equal('');
    expect(JSON.parse(result.stdout)).to.deep.equal(args);
  });
});
