import { expect } from 'chai';
import { rules, rulesByCode } from '../../../lib/checks/index.js';

// The codes the brief fixes: --help, the README and scripts rely on them staying put.
const EXPECTED_CODES = [
  'DirSyncDisabled', 'SoftMatchBlocked', 'UpnSoftMatchDisabled', 'UpnSoftMatchWillBeEnabled', 'FeatureRecordStale', 'FeaturesUnknown',
  'SyncServerUnknown', 'StagingMode', 'SyncCycleRunning', 'SchedulerSuspended', 'SchedulerOff',
  'DuplicateInBatch',
  'CloudUserNotFound', 'CloudUserIsGuest', 'CloudUserAlreadySynced', 'CloudUserHoldsRole', 'CloudUserProvisioningError',
  'UpnInvalid', 'UpnDomainUnverified', 'UpnDomainFederated', 'UpnSuffixNotInForest',
  'AdAccountNotFound', 'CreateDetailsMissing', 'SamAccountNameInvalid', 'SamAccountNameTaken', 'UpnNotUniqueInForest', 'NotInSyncScope',
  'AnchorTaken', 'SmtpMatchesOtherUser', 'SmtpMatchesTarget', 'UpnHeldByOtherObject', 'ProxyAddressConflict',
  // issue 12: Entra Connect's global settings, every kind of role holder, previously synced users
  'EligibleRolesUnknown', 'AlternateLoginId', 'SourceAnchorUnknown', 'CloudUserPreviouslySynced', 'SourceAnchorMissing',
  'ReviewPending',
];

const WARNINGS = ['UpnSoftMatchWillBeEnabled', 'FeaturesUnknown', 'SyncServerUnknown', 'SyncCycleRunning', 'SchedulerOff', 'UpnSuffixNotInForest', 'SmtpMatchesTarget', 'ProxyAddressConflict', 'EligibleRolesUnknown', 'SourceAnchorUnknown'];

describe('checks: registry', () => {
  it('has unique PascalCase codes', () => {
    const codes = rules.map((r) => r.code);
    expect(new Set(codes).size).to.equal(codes.length);
    for (const code of codes) expect(code).to.match(/^[A-Z][a-z]+(?:[A-Z][a-z]*)+$/);
    expect(rulesByCode.size).to.equal(codes.length);
  });

  it('has exactly the documented codes', () => {
    expect([...rules.map((r) => r.code)].sort()).to.deep.equal([...EXPECTED_CODES].sort());
  });

  it('gives every rule a title, a hint, a scope and a severity', () => {
    for (const rule of rules) {
      expect(rule.title.trim(), rule.code).to.not.equal('');
      expect(rule.hint.trim().length, rule.code).to.be.greaterThan(20);
      expect(rule.title, rule.code).to.not.match(/\n/);
      expect(['tenant', 'user', 'sync'], rule.code).to.include(rule.scope);
      expect(['block', 'warn'], rule.code).to.include(rule.severity);
      expect(rule.evaluate, rule.code).to.be.a('function');
    }
  });

  it('marks as warnings exactly the rules that do not block', () => {
    expect(rules.filter((r) => r.severity === 'warn').map((r) => r.code).sort()).to.deep.equal([...WARNINGS].sort());
  });

  it('puts the tenant rules, then the sync rules, before the user rules', () => {
    const scopes = rules.map((r) => r.scope);
    const order = { tenant: 0, sync: 1, user: 2 } as const;
    for (let i = 1; i < scopes.length; i += 1) expect(order[scopes[i]!]).to.be.at.least(order[scopes[i - 1]!]);
  });
});
