// Parity between the product scripts and the fakes: (a) the fakes declare the parameters the real cmdlets
// have that the product may use; (b) every call to a fake cmdlet in ps/ (outside ps/sim) uses only
// parameters the fake declares (checked on the PowerShell AST by ps/sim/tools/Test-SimParity.ps1).
import { expect } from 'chai';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../lib/paths.js';
import { runPowerShell, simModulesDir } from '../helpers/powershell.js';
import { psq, type Json } from './fixtures.js';

const checker = path.join(projectRoot, 'ps', 'sim', 'tools', 'Test-SimParity.ps1');

async function check(root: string, exclude: string[]): Promise<Json> {
  const code = `& ${psq(checker)} -Root ${psq(root)} -Exclude @(${exclude.map(psq).join(',')})`;
  const r = await runPowerShell(code, { modulePath: [simModulesDir] });
  expect(r.exitCode, r.stderr).to.equal(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

// The parameters of the real cmdlets that the fakes must declare (Microsoft's documentation).
const REQUIRED: Record<string, string[]> = {
  'Get-ADUser': ['Filter', 'Identity', 'LDAPFilter', 'Properties', 'ResultPageSize', 'ResultSetSize', 'SearchBase', 'SearchScope', 'Server', 'Credential', 'AuthType', 'Partition'],
  'New-ADUser': ['Name', 'SamAccountName', 'UserPrincipalName', 'GivenName', 'Surname', 'DisplayName', 'Path', 'EmailAddress', 'Enabled', 'AccountPassword', 'OtherAttributes', 'PassThru', 'Server', 'Credential', 'WhatIf', 'Confirm'],
  'Set-ADUser': ['Identity', 'UserPrincipalName', 'EmailAddress', 'GivenName', 'Surname', 'DisplayName', 'Replace', 'Add', 'Remove', 'Clear', 'Server', 'Credential', 'PassThru', 'WhatIf', 'Confirm'],
  'Remove-ADUser': ['Identity', 'Server', 'Credential', 'WhatIf', 'Confirm'],
  'Sync-ADObject': ['Object', 'Source', 'Destination', 'AuthType', 'Credential', 'PassThru', 'PasswordOnly'],
  'Get-ADForest': ['Identity', 'Server', 'Credential', 'Current'],
  'Get-ADDomain': ['Identity', 'Server', 'Credential', 'Current'],
  'Connect-MgGraph': ['TenantId', 'ClientId', 'CertificateThumbprint', 'Scopes', 'NoWelcome', 'ContextScope'],
  'Get-MgContext': [],
  'Disconnect-MgGraph': [],
  'Invoke-MgGraphRequest': ['Method', 'Uri', 'Body', 'Headers', 'OutputType', 'ContentType', 'StatusCodeVariable', 'ResponseHeadersVariable', 'SkipHttpErrorCheck'],
  'Get-ADSyncScheduler': [],
  'Get-ADSyncGlobalSettings': ['WhatIf', 'Confirm'],
  'Set-ADSyncScheduler': ['SyncCycleEnabled', 'CustomizedSyncCycleInterval', 'NextSyncCyclePolicyType', 'SchedulerSuspended', 'MaintenanceEnabled'],
  'Start-ADSyncSyncCycle': ['PolicyType', 'InteractiveMode'],
  'Get-ADSyncRunProfileResult': ['RunHistoryId', 'ConnectorId', 'RunProfileId', 'RunNumber', 'NumberRequested', 'RunStepDetails', 'StepNumber'],
  'Get-ADSyncCSObject': ['Identifier', 'ConnectorIdentifier', 'ConnectorName', 'DistinguishedName', 'SkipDNValidation', 'Transient', 'StartIndex', 'MaxResultCount'],
};

describe('sim: parity of the fakes with the product scripts', function () {
  this.timeout(120_000);
  let temp = '';
  before(() => { temp = mkdtempSync(path.join(os.tmpdir(), 'upn-parity-')); });
  after(() => rmSync(temp, { recursive: true, force: true }));

  it('every fake cmdlet declares the real parameters the product may use', async () => {
    const result = await check(temp, []);
    const fakes = result.fakes as Record<string, string[]>;
    for (const [name, params] of Object.entries(REQUIRED)) {
      expect(fakes, name).to.have.property(name);
      const declared = fakes[name]!.map((p) => p.toLowerCase());
      for (const p of params) {
        if (p === 'WhatIf' || p === 'Confirm') continue; // common (risk-mitigation) parameters
        expect(declared, `${name} -${p}`).to.include(p.toLowerCase());
      }
    }
  });

  it('no product script under ps/ (outside ps/sim) passes a parameter a fake does not declare', async () => {
    const psDir = path.join(projectRoot, 'ps');
    const result = await check(psDir, [path.join(psDir, 'sim')]);
    expect(result.files).to.be.greaterThan(0);
    expect(result.violations, JSON.stringify(result.violations, null, 2)).to.deep.equal([]);
  });

  it('the checker catches an undeclared parameter, accepts prefixes and aliases, and reports splatting', async () => {
    const product = path.join(temp, 'ps');
    mkdirSync(path.join(product, 'sim'), { recursive: true });
    writeFileSync(path.join(product, 'Bad.ps1'), [
      "Get-ADUser -Identity x -Propert mail -IncludeDeletedObjects",
      "Invoke-MgGraphRequest -Uri '/v1.0/users' -RHV h -OutputType Json -ErrorAction Stop",
      "ActiveDirectory\\Set-ADUser x -Replace @{ a = 1 } -Frobnicate",
      '$p = @{ Identity = "x" }; Get-ADUser @p',
      "Start-ADSyncSyncCycle -Policy Delta",
    ].join('\n'));
    writeFileSync(path.join(product, 'sim', 'Ignored.ps1'), 'Get-ADUser -NotChecked');
    const result = await check(product, [path.join(product, 'sim')]);
    const found = (result.violations as Json[]).map((v) => `${v.command} -${v.parameter}`).sort();
    expect(found).to.deep.equal(['Get-ADUser -IncludeDeletedObjects', 'Set-ADUser -Frobnicate']);
    expect(result.unchecked).to.have.length(1);
    expect(result.calls).to.equal(5);
  });
});
