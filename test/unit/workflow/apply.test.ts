// apply with a fake StepIO answering from a table: order of steps, journal, resume, what-if, one user's
// failure, verification timeout. The checks run for real (they are pure).
import { expect } from 'chai';
import { guidToImmutableId } from '../../../lib/anchor.js';
import { BridgeError } from '../../../lib/bridge/errors.js';
import { parseConfig } from '../../../lib/config.js';
import { exitCodeFor } from '../../../lib/report/exit-code.js';
import { renderReport } from '../../../lib/report/render.js';
import { apply } from '../../../lib/workflow/apply.js';
import { MemoryJournalStore } from '../../../lib/workflow/journal.js';
import { plan, planReport } from '../../../lib/workflow/plan.js';
import { createRow } from '../checks/fixtures.js';
import { deps, FakeIO, missing, options, upd, upd2, world, type Answer } from './fake-world.js';

describe('workflow: apply', () => {
  it('gathers facts, writes each ready user, runs one sync for the batch and verifies', async () => {
    const w = world();
    const io = new FakeIO(w.answers);
    const d = deps(io);
    const report = await apply(d, [upd, upd2], options());
    expect(io.stepsCalled()).to.deep.equal(['sync-facts', 'ad-facts', 'cloud-facts', 'tenant-facts', 'ad-written', 'ad-confirmed', 'sync-started', 'verified']);
    expect(io.calls.find((c) => c.step === 'ad-written')?.input.Users).to.deep.equal([
      { UserPrincipalName: 'anna@contoso.com', ObjectGuid: w.ad[0]?.ObjectGUID, DistinguishedName: w.ad[0]?.DistinguishedName, SamAccountName: 'anna', PreviousUserPrincipalName: 'anna@contoso.local' },
      { UserPrincipalName: 'ben@contoso.com', ObjectGuid: w.ad[1]?.ObjectGUID, DistinguishedName: w.ad[1]?.DistinguishedName, SamAccountName: 'ben', PreviousUserPrincipalName: 'ben@contoso.local' },
    ]);
    expect(report.summary).to.include({ total: 2, matched: 2, failed: 0, blocked: 0 });
    expect(report.users.map((u) => u.steps.map((s) => `${s.id}:${s.outcome}`))).to.deep.equal([
      ['planned:passed', 'ad-written:passed', 'sync-started:passed', 'verified:passed'],
      ['planned:passed', 'ad-written:passed', 'sync-started:passed', 'verified:passed'],
    ]);
    const saved = d.journal.list()[0];
    expect(saved?.status).to.equal('done');
    expect(saved?.users[0]?.ad?.previousUserPrincipalName).to.equal('anna@contoso.local');
    expect(saved?.users[0]?.snapshot?.id).to.equal('c-anna');
    expect(exitCodeFor(report)).to.equal(0);
  });

  it("gives AD the cloud user's UPN exactly as Graph returns it, whatever the case in the batch", async () => {
    const w = world();
    const io = new FakeIO(w.answers);
    const d = deps(io);
    const report = await apply(d, [{ ...upd, cloudUpn: 'ANNA@Contoso.COM' }], options());
    expect((io.calls.find((c) => c.step === 'ad-written')?.input.Users as { UserPrincipalName: string }[]).map((u) => u.UserPrincipalName)).to.deep.equal(['anna@contoso.com']);
    expect(w.ad[0]?.UserPrincipalName).to.equal('anna@contoso.com');
    expect(report.users.map((u) => [u.cloudUpn, u.outcome])).to.deep.equal([['anna@contoso.com', 'matched']]);
    expect(d.journal.list()[0]?.users[0]?.cloudUpn).to.equal('anna@contoso.com');
  });

  it('journals "ad-writing" before the write and "ad-written" after it', async () => {
    const w = world();
    const d = deps(new FakeIO(w.answers));
    await apply(d, [upd], options());
    const states = d.journal.saves.map((s) => s.users[0]?.state);
    expect(states.indexOf('ad-writing')).to.be.greaterThan(-1);
    expect(states.indexOf('ad-writing')).to.be.lessThan(states.indexOf('ad-written'));
    expect(states.indexOf('ad-written')).to.be.lessThan(states.indexOf('sync-started'));
    expect(states.at(-1)).to.equal('verified');
  });

  it('writes nothing for a blocked user, and still handles the others', async () => {
    const w = world();
    const io = new FakeIO(w.answers);
    const report = await apply(deps(io), [upd, missing], options());
    const writes = io.calls.filter((c) => c.step === 'ad-written').flatMap((c) => (c.input.Users as { SamAccountName: string }[]).map((u) => u.SamAccountName));
    expect(writes).to.deep.equal(['anna']);
    const ghost = report.users.find((u) => u.cloudUpn === 'ghost@contoso.com');
    expect(ghost?.outcome).to.equal('blocked');
    expect(ghost?.findings.map((f) => f.code)).to.include('CloudUserNotFound');
    expect(exitCodeFor(report)).to.equal(3);
  });

  it("goes on with the other users when one user's AD write fails", async () => {
    const w = world();
    const one = w.writer.one;
    w.writer.one = (item, whatIf) => {
      if (item.SamAccountName === 'anna') throw new BridgeError({ reason: 'script-error', script: 'x', code: 'PS.ResourceUnavailable', message: 'The server is not operational' });
      return one(item, whatIf);
    };
    const io = new FakeIO(w.answers);
    const report = await apply(deps(io), [upd, upd2], options());
    expect(report.users.map((u) => u.outcome)).to.deep.equal(['failed', 'matched']);
    // The directory refused (PowerShell's own error): the user failed, the step failed, with PowerShell's code.
    expect(report.users[0]?.steps.find((s) => s.id === 'ad-written')).to.include({ outcome: 'failed', code: 'PS.ResourceUnavailable' });
    expect(io.stepsCalled().filter((s) => s === 'sync-started')).to.have.length(1);
    expect(exitCodeFor(report)).to.equal(1);
  });

  it('reads AD facts in chunks of users and keeps an account that two chunks found once', async () => {
    const w = world();
    const io = new FakeIO(w.answers);
    const result = await plan(deps(io), [upd, upd2], options({ adFactsChunkSize: 1 }));
    const calls = io.calls.filter((c) => c.step === 'ad-facts').map((c) => [c.input.UserPrincipalName, c.input.SamAccountName]);
    expect(calls).to.deep.equal([
      [['anna@contoso.com'], ['anna']],
      [['ben@contoso.com'], ['ben']],
    ]);
    // Each answer holds every account of the world: the facts hold each one once.
    expect(result.facts.adUsers.map((u) => u.SamAccountName)).to.deep.equal(['anna', 'ben', 'ghost']);
    expect(result.evaluation.users.map((u) => u.blocked)).to.deep.equal([false, false]);
  });

  it('keeps what a write changed when the run stopped between the write and the journal', async () => {
    const w = world();
    const journal = new MemoryJournalStore();
    // The first run writes both accounts, then dies before it hears back.
    const dying = new FakeIO({
      ...w.answers,
      'ad-written': (input) => {
        (w.answers['ad-written'] as Answer)(input);
        throw new BridgeError({ reason: 'host-missing', script: 'x', message: 'PowerShell died' });
      },
    });
    let thrown: unknown;
    try {
      await apply(deps(dying, journal), [upd, upd2], options());
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(BridgeError);
    expect(w.ad[0]?.UserPrincipalName).to.equal('anna@contoso.com');
    // The re-run finds the UPNs in place (nothing to write) and still records the change for rollback.
    const report = await apply(deps(new FakeIO(w.answers), journal), [upd, upd2], options());
    expect(report.summary.matched).to.equal(2);
    const saved = journal.list()[0];
    expect(saved?.users.map((u) => [u.ad?.changed, u.ad?.previousUserPrincipalName])).to.deep.equal([
      [true, 'anna@contoso.local'],
      [true, 'ben@contoso.local'],
    ]);
  });

  it('does not claim a change when the earlier attempt was reported failed and the UPN was set by someone else', async () => {
    const w = world();
    const journal = new MemoryJournalStore();
    const one = w.writer.one;
    w.writer.one = (item, whatIf) => {
      if (item.SamAccountName === 'anna') throw new BridgeError({ reason: 'script-error', script: 'x', code: 'PS.ResourceUnavailable', message: 'The server is not operational' });
      return one(item, whatIf);
    };
    // anna's write is reported failed, then the run dies at the sync: it stays open to resume.
    const crashing = new FakeIO({ ...w.answers, 'sync-started': () => { throw new BridgeError({ reason: 'host-missing', script: 'x', message: 'PowerShell died' }); } });
    try {
      await apply(deps(crashing, journal), [upd, upd2], options());
    } catch {
      // expected
    }
    // An admin sets the UPN by hand; the resumed run finds it in place and writes nothing for anna.
    w.ad[0]!.UserPrincipalName = 'anna@contoso.com';
    w.writer.one = one;
    const report = await apply(deps(new FakeIO(w.answers), journal), [upd, upd2], options());
    expect(report.resumed).to.equal(true);
    expect(report.users.map((u) => u.outcome)).to.deep.equal(['matched', 'matched']);
    const users = journal.list()[0]?.users;
    expect(users?.[0]?.ad).to.include({ changed: false, previousUserPrincipalName: 'anna@contoso.com' });
    expect(users?.[1]?.ad).to.include({ changed: true, previousUserPrincipalName: 'ben@contoso.local' });
  });

  it('writes in chunks of the chunk size, saving the journal before and after each chunk', async () => {
    const w = world();
    const io = new FakeIO(w.answers);
    const d = deps(io);
    const report = await apply(d, [upd, upd2], options({ adWriteChunkSize: 1 }));
    const chunks = io.calls.filter((c) => c.step === 'ad-written').map((c) => (c.input.Users as { SamAccountName: string }[]).map((u) => u.SamAccountName));
    expect(chunks).to.deep.equal([['anna'], ['ben']]);
    expect(report.summary.matched).to.equal(2);
    // After the first chunk is saved as written, the second is saved as writing before its call.
    const pairs = d.journal.saves.map((s) => s.users.map((u) => u.state).join(','));
    expect(pairs).to.include('ad-writing,planned');
    expect(pairs).to.include('ad-written,ad-writing');
    expect(pairs.indexOf('ad-writing,planned')).to.be.lessThan(pairs.indexOf('ad-written,ad-writing'));
  });

  it('errors every user of a chunk whose call fails, or whose results do not line up with its users', async () => {
    const cases: [Answer, number][] = [
      [
        () => {
          throw new BridgeError({ reason: 'timeout', script: 'x', code: 'Timeout', message: 'the step timed out' });
        },
        6,
      ],
      [() => ({ results: [] }), 70],
      [(input) => ({ results: [...(input.Users as Record<string, unknown>[])].reverse().map((item) => ({ userPrincipalName: String(item.UserPrincipalName), result: null, error: null })) }), 70],
    ];
    for (const [answer, exit] of cases) {
      const w = world();
      const io = new FakeIO({ ...w.answers, 'ad-written': answer });
      const report = await apply(deps(io), [upd, upd2], options());
      // Not the users' data: the environment (a timeout, exit 6) or the tool (a broken answer, exit 70) failed.
      expect(report.users.map((u) => u.outcome)).to.deep.equal(['error', 'error']);
      expect(io.stepsCalled()).to.not.include('sync-started');
      expect(exitCodeFor(report)).to.equal(exit);
    }
  });

  it('blocks a user whose write the script refuses on a precondition, as the plan would have (exit 3, not 1)', async () => {
    const w = world();
    const one = w.writer.one;
    w.writer.one = (item, whatIf) => {
      // The name was taken between the plan and the write: the script refuses, and writes nothing.
      if (item.SamAccountName === 'anna') throw new BridgeError({ reason: 'precondition-unmet', script: 'x', code: 'AdAccountNotFound', message: 'AD account not found: anna' });
      return one(item, whatIf);
    };
    const report = await apply(deps(new FakeIO(w.answers)), [upd, upd2], options());
    expect(report.users.map((u) => u.outcome)).to.deep.equal(['blocked', 'matched']);
    expect(report.users[0]?.steps.find((s) => s.id === 'ad-written')).to.include({ outcome: 'skipped', code: 'AdAccountNotFound' });
    expect(report.users[0]?.findings.at(-1)?.hint).to.match(/samAccountName and distinguishedName columns/);
    expect(exitCodeFor(report)).to.equal(3);
  });

  it('resumes an interrupted run without repeating a write that happened', async () => {
    const w = world();
    const journal = new MemoryJournalStore();
    const failingSync = { ...w.answers, 'sync-started': () => { throw new BridgeError({ reason: 'host-missing', script: 'x', message: 'PowerShell died' }); } };
    const first = new FakeIO(failingSync);
    let thrown: unknown;
    try {
      await apply(deps(first, journal), [upd, upd2], options());
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(BridgeError);
    expect(first.calls.filter((c) => c.step === 'ad-written').flatMap((c) => c.input.Users as unknown[])).to.have.length(2);
    const second = new FakeIO(w.answers);
    const report = await apply(deps(second, journal), [upd2, upd], options());
    expect(report.resumed).to.equal(true);
    expect(second.calls.filter((c) => c.step === 'ad-written')).to.have.length(0);
    expect(second.calls.filter((c) => c.step === 'sync-started')).to.have.length(1);
    expect(report.summary.matched).to.equal(2);
    expect(journal.list()).to.have.length(1);
  });

  it('with --what-if passes WhatIf to every writing step and saves no journal', async () => {
    const w = world();
    const io = new FakeIO(w.answers);
    const d = deps(io);
    const report = await apply(d, [upd], options({ whatIf: true }));
    const writing = io.calls.filter((c) => ['ad-written', 'sync-started', 'feature-enabled'].includes(c.step));
    expect(writing.length).to.be.greaterThan(0);
    for (const call of writing) expect(call.input.WhatIf, call.step).to.equal(true);
    expect(w.written.size).to.equal(0);
    expect(d.journal.saves).to.have.length(0);
    expect(report.mode).to.equal('what-if');
    expect(report.users[0]?.outcome).to.equal('planned');
  });

  it('asks before writing, and writes nothing when the answer is no', async () => {
    const w = world();
    const io = new FakeIO(w.answers);
    let shown = 0;
    const report = await apply(deps(io), [upd], options({ confirm: async (plan) => ((shown = plan.users.length), false) }));
    expect(shown).to.equal(1);
    expect(io.stepsCalled()).to.not.include('ad-written');
    expect(report.users[0]?.outcome).to.equal('skipped');
  });

  it('enables UPN soft match first when the tenant needs it and it is allowed', async () => {
    const w = world({ softMatchOnUpn: false });
    const io = new FakeIO(w.answers);
    const report = await apply(deps(io), [upd], options({ enableFeature: true }));
    const order = io.stepsCalled();
    expect(order.indexOf('feature-enabled')).to.be.lessThan(order.indexOf('ad-written'));
    expect(report.users[0]?.outcome).to.equal('matched');
  });

  it('blocks everyone when UPN soft match is off and enabling is not allowed', async () => {
    const w = world({ softMatchOnUpn: false });
    const io = new FakeIO(w.answers);
    const report = await apply(deps(io), [upd], options());
    expect(io.stepsCalled()).to.not.include('ad-written');
    expect(io.stepsCalled()).to.not.include('feature-enabled');
    expect(report.users[0]?.findings.map((f) => f.code)).to.include('UpnSoftMatchDisabled');
  });

  it('reports a verification timeout with its own exit code', async () => {
    const w = world();
    w.answers.verified = (input) => ({
      users: (input.UserPrincipalName as string[]).map((upn) => ({ userPrincipalName: upn, found: true, id: 'x', onPremisesImmutableId: null, onPremisesSyncEnabled: null, onPremisesLastSyncDateTime: null })),
    });
    const io = new FakeIO(w.answers);
    const report = await apply(deps(io), [upd], options({ verifyTimeoutMs: 5000, verifyPollMs: 1000 }));
    expect(io.calls.filter((c) => c.step === 'verified').length).to.be.greaterThan(1);
    expect(report.users[0]?.findings.map((f) => f.code)).to.include('VerifyTimeout');
    expect(exitCodeFor(report)).to.equal(4);
    // The remedy's command names this run (it said `--run <run id>` before).
    const hint = report.users[0]?.findings.find((f) => f.code === 'VerifyTimeout')?.hint ?? '';
    expect(hint).to.include(`upn-match verify --run ${report.runId}`);
    expect(hint).to.not.include('<run id>');
  });

  it('gives each user the export refused the service\'s error (SyncExportError) and does not wait for a match for it', async () => {
    const w = world();
    const anna = w.ad[0];
    // The cycle ran; the export refused anna's account (matched by its DN, whatever its case).
    w.answers['sync-started'] = () => ({
      started: true, waitedForRunningMs: 0, startedAt: null, completedAt: '2026-11-25T10:05:00.000Z', completed: true, startResult: 'Success',
      exportErrors: [{ distinguishedName: String(anna?.DistinguishedName).toUpperCase(), errorName: 'AttributeValueMustBeUnique', attributeName: 'userPrincipalName', attributeValue: 'anna@contoso.com', detail: 'Another object has the same value', connectorName: 'contoso.onmicrosoft.com - AAD' }],
    });
    const io = new FakeIO(w.answers);
    const report = await apply(deps(io), [upd], options({ verifyTimeoutMs: 5000, verifyPollMs: 1000 }));
    const user = report.users[0];
    expect(user?.outcome).to.equal('failed');
    const finding = user?.findings.find((f) => f.code === 'SyncExportError');
    expect(finding?.message).to.equal('the export to Entra ID refused anna@contoso.com: AttributeValueMustBeUnique on userPrincipalName (anna@contoso.com): Another object has the same value');
    expect(user?.findings.map((f) => f.code)).to.not.include('VerifyTimeout');
    expect(io.calls.filter((c) => c.step === 'verified')).to.have.length(0);
    expect(exitCodeFor(report)).to.equal(1);
  });

  it('an app-only run relying on a feature record older than 24 h writes nothing (FeatureRecordStale); a fresh one goes on', async () => {
    const appOnly = (readAt: string) => {
      const w = world();
      // App-only: Graph refused the read (403), so the run relies on the record.
      const tenant = w.answers['tenant-facts'];
      w.answers['tenant-facts'] = (input) => ({ ...(tenant?.(input) as object), features: null, featuresSource: 'unavailable', featuresReadAt: null, featuresDenied: true });
      const record = { tenantId: 't1', readAt, features: { softMatchOnUpnEnabled: true, blockSoftMatchEnabled: false, blockCloudObjectTakeoverThroughHardMatchEnabled: false, passwordSyncEnabled: false } };
      return { io: new FakeIO(w.answers), record };
    };
    // The fake clock says 2026-11-25T10:00Z.
    const old = appOnly('2026-11-24T09:00:00.000Z');
    const blocked = await apply(deps(old.io), [upd], options({ featureRecord: old.record }));
    expect(blocked.tenantFindings.map((f) => f.code)).to.include('FeatureRecordStale');
    expect(blocked.users[0]?.outcome).to.equal('blocked');
    expect(old.io.stepsCalled()).to.not.include('ad-written');
    const fresh = appOnly('2026-11-25T08:00:00.000Z');
    const done = await apply(deps(fresh.io), [upd], options({ featureRecord: fresh.record }));
    expect(done.tenantFindings.map((f) => f.code)).to.not.include('FeatureRecordStale');
    expect(fresh.io.stepsCalled()).to.include('ad-written');
  });

  it('an app-only run that Graph lets read the features uses them, not the record (rule sheet 10.5: it tries first)', async () => {
    const w = world();
    const io = new FakeIO(w.answers);
    // A stale record: it would block the run if it were used.
    const record = { tenantId: 't1', readAt: '2026-01-01T00:00:00.000Z', features: { softMatchOnUpnEnabled: false, blockSoftMatchEnabled: true, blockCloudObjectTakeoverThroughHardMatchEnabled: false, passwordSyncEnabled: false } };
    const report = await apply(deps(io), [upd], options({ featureRecord: record }));
    expect(report.features?.source).to.equal('graph');
    expect(report.tenantFindings.map((f) => f.code)).to.not.include('FeatureRecordStale');
    expect(io.stepsCalled()).to.include('ad-written');
  });

  it('features Graph sent incomplete are unknown: the record does not stand in for them (only for a refused read)', async () => {
    const w = world();
    const tenant = w.answers['tenant-facts'];
    w.answers['tenant-facts'] = (input) => ({ ...(tenant?.(input) as object), features: null, featuresSource: 'unavailable', featuresReadAt: null, featuresError: 'without softMatchOnUpnEnabled', featuresDenied: false });
    const io = new FakeIO(w.answers);
    const record = { tenantId: 't1', readAt: '2026-11-25T09:00:00.000Z', features: { softMatchOnUpnEnabled: true, blockSoftMatchEnabled: false, blockCloudObjectTakeoverThroughHardMatchEnabled: false, passwordSyncEnabled: false } };
    const report = await apply(deps(io), [upd], options({ featureRecord: record }));
    expect(report.features?.source).to.equal('unavailable');
    expect(report.tenantFindings.map((f) => f.code)).to.include('FeaturesUnknown');
  });

  it('--relock sets both blocks Microsoft advises, soft match first, once every written user matched, and says so', async () => {
    const w = world();
    const io = new FakeIO(w.answers);
    const report = await apply(deps(io), [upd, upd2], options({ relock: true }));
    expect(report.summary.matched).to.equal(2);
    expect(io.calls.filter((c) => c.step === 'feature-enabled').map((c) => [c.input.Feature, c.input.Enable])).to.deep.equal([
      ['blockSoftMatchEnabled', true],
      ['blockCloudObjectTakeoverThroughHardMatchEnabled', true],
    ]);
    expect(report.relock).to.deep.equal({ done: true, features: ['blockSoftMatchEnabled', 'blockCloudObjectTakeoverThroughHardMatchEnabled'], reason: null });
    expect(report.tenantLeftOpen).to.equal(false);
  });

  it('--relock leaves the tenant open while a written user is not matched, and says why', async () => {
    const w = world();
    w.answers.verified = (input) => ({
      users: (input.UserPrincipalName as string[]).map((upn) => ({ userPrincipalName: upn, found: true, id: 'x', onPremisesImmutableId: null, onPremisesSyncEnabled: null, onPremisesLastSyncDateTime: null })),
    });
    const io = new FakeIO(w.answers);
    const report = await apply(deps(io), [upd], options({ relock: true, verifyTimeoutMs: 2000, verifyPollMs: 1000 }));
    expect(io.stepsCalled()).to.not.include('feature-enabled');
    expect(report.relock?.done).to.equal(false);
    expect(report.relock?.reason).to.match(/1 user\(s\) of this run written to AD are not matched/);
    expect(report.tenantLeftOpen).to.equal(true);
  });

  it('--relock says which block it set when the second one fails', async () => {
    const w = world();
    const enable = w.answers['feature-enabled']!;
    w.answers['feature-enabled'] = (input) => {
      if (input.Feature === 'blockCloudObjectTakeoverThroughHardMatchEnabled') throw new BridgeError({ reason: 'script-error', script: 'x', code: 'GraphRequestFailed', message: 'HTTP 500' });
      return enable(input);
    };
    const report = await apply(deps(new FakeIO(w.answers)), [upd], options({ relock: true }));
    expect(report.relock).to.deep.include({ done: false, features: ['blockSoftMatchEnabled'] });
    expect(report.relock?.reason).to.match(/after setting blockSoftMatchEnabled: HTTP 500/);
    expect(report.tenantLeftOpen).to.equal(false);
  });

  it('reads the server first and uses its anchor attribute everywhere: the AD read, the cloud lookup, the anchor apply verifies', async () => {
    const stale = guidToImmutableId('11111111-2222-3333-4444-555555555555');
    // objectGUID: a populated mS-DS-ConsistencyGuid is not the anchor.
    const w = world();
    for (const a of w.ad) a.consistencyGuid = stale;
    const serverFacts = w.answers['sync-facts']!;
    w.answers['sync-facts'] = (input) => ({ ...(serverFacts(input) as object), anchorAttribute: 'objectGUID', upnAttribute: 'userPrincipalName' });
    const io = new FakeIO(w.answers);
    const store = new MemoryJournalStore();
    const report = await apply(deps(io, store), [upd], options());
    expect(report.users.map((u) => u.outcome)).to.deep.equal(['matched']);
    const anna = w.ad.find((a) => a.SamAccountName === 'anna')!;
    const lookup = io.calls.find((c) => c.step === 'cloud-facts')!.input.Anchor as string[];
    expect(lookup).to.include(guidToImmutableId(anna.ObjectGUID)).and.not.include(stale);
    expect(io.calls.find((c) => c.step === 'ad-facts')!.input).to.not.have.property('AnchorAttribute');
    const verifyAsked = io.calls.filter((c) => c.step === 'verified').flatMap((c) => (c.input.Anchor as string[] | undefined) ?? []);
    expect(verifyAsked).to.not.include(stale);

    // A custom attribute: the AD read is asked for it, and its value is the anchor looked up in the cloud.
    const custom = world();
    for (const a of custom.ad) a.customAnchor = `E-${a.SamAccountName}`;
    custom.answers['sync-facts'] = (input) => ({ ...(serverFacts(input) as object), anchorAttribute: 'employeeID', upnAttribute: 'userPrincipalName' });
    const io2 = new FakeIO(custom.answers);
    await planReport(deps(io2), [upd], options());
    expect(io2.calls.find((c) => c.step === 'ad-facts')!.input).to.include({ AnchorAttribute: 'employeeID' });
    expect(io2.calls.find((c) => c.step === 'cloud-facts')!.input.Anchor).to.include('E-anna');
  });

  it('writes on the DC the AD connector imports from and reads the change back there before the sync', async () => {
    const w = world();
    w.answers['sync-facts'] = () => ({
      serverName: 'AADC01', syncCycleEnabled: true, stagingModeEnabled: false, syncCycleInProgress: false, schedulerSuspended: false, nextSyncCycleStartTimeInUTC: null,
      scopeOUs: ['OU=Corp,DC=contoso,DC=local'],
      partitions: [{ name: 'contoso.local', distinguishedName: 'DC=contoso,DC=local', selected: true, inclusions: ['OU=Corp,DC=contoso,DC=local'], exclusions: [], domainControllers: ['dc02.contoso.local'] }],
    });
    const io = new FakeIO(w.answers);
    const report = await apply(deps(io), [upd, upd2], options({ config: parseConfig({ graph: { auth: 'interactive' }, ad: { server: 'dc01.contoso.local' } }) }));
    expect(io.calls.find((c) => c.step === 'ad-written')?.input.Server).to.equal('dc02.contoso.local');
    const confirm = io.calls.filter((c) => c.step === 'ad-confirmed');
    expect(confirm).to.have.length(1);
    expect(confirm[0]?.input).to.deep.include({ DomainControllers: ['dc02.contoso.local'], Source: 'dc02.contoso.local' });
    expect((confirm[0]?.input.Users as { UserPrincipalName: string }[]).map((u) => u.UserPrincipalName)).to.deep.equal(['anna@contoso.com', 'ben@contoso.com']);
    expect(report.summary).to.include({ matched: 2 });
  });

  it('stops before the sync when a write is not on the connector’s DC, and the same command resumes, confirms and syncs', async () => {
    const w = world();
    const anna = w.ad[0]!.ObjectGUID;
    w.replication.missingOn = (guid) => (guid === anna ? ['dc02.contoso.local'] : []);
    const journal = new MemoryJournalStore();
    const io = new FakeIO(w.answers);
    const first = await apply(deps(io, journal), [upd, upd2], options());
    expect(io.stepsCalled()).to.not.include('sync-started');
    // The code is an environment one: both users end as errors (exit 6), the run open.
    expect(first.users.map((u) => u.outcome)).to.deep.equal(['error', 'error']);
    expect(exitCodeFor(first)).to.equal(6);
    const finding = first.users[0]?.findings.find((f) => f.code === 'AdChangeNotOnSyncDc');
    expect(finding?.message).to.contain('dc02.contoso.local');
    expect(finding?.hint).to.contain('Sync-ADObject');
    expect(first.users[1]?.findings.find((f) => f.code === 'AdChangeNotOnSyncDc')?.message).to.contain('1 other change(s) of the run are not there yet');
    expect(journal.list()[0]?.status).to.equal('incomplete');
    expect(journal.list()[0]?.users.map((u) => u.state)).to.deep.equal(['ad-written', 'ad-written']);

    // Replication caught up: the rerun writes nothing again, confirms both, then syncs once.
    w.replication.missingOn = () => [];
    const io2 = new FakeIO(w.answers);
    const second = await apply(deps(io2, journal), [upd, upd2], options());
    expect(io2.stepsCalled().filter((s) => s === 'ad-written')).to.have.length(0);
    expect(io2.stepsCalled().slice(-3)).to.deep.equal(['ad-confirmed', 'sync-started', 'verified']);
    expect(second.summary).to.include({ matched: 2 });
  });

  it('reads the changes back in calls of the chunk size, each under the request size limit', async () => {
    const w = world();
    const io = new FakeIO(w.answers);
    const report = await apply(deps(io), [upd, upd2], options({ adConfirmChunkSize: 1 }));
    const calls = io.calls.filter((c) => c.step === 'ad-confirmed').map((c) => (c.input.Users as { UserPrincipalName: string }[]).map((u) => u.UserPrincipalName));
    expect(calls).to.deep.equal([['anna@contoso.com'], ['ben@contoso.com']]);
    expect(report.summary).to.include({ matched: 2 });
  });

  it('stops before the sync when the read-back itself fails', async () => {
    const w = world();
    w.answers['ad-confirmed'] = () => {
      throw new BridgeError({ reason: 'script-error', script: 'x', code: 'PS.ResourceUnavailable', message: 'Unable to contact the server' });
    };
    const io = new FakeIO(w.answers);
    const report = await apply(deps(io), [upd], options());
    expect(io.stepsCalled()).to.not.include('sync-started');
    expect(report.users[0]?.findings.map((f) => f.code)).to.include('AdChangeNotOnSyncDc');
  });

  it('makes a create row whose account exists already with exactly the cloud UPN an update of that account', async () => {
    const w = world();
    w.ad[0]!.UserPrincipalName = 'anna@contoso.com';
    const io = new FakeIO(w.answers);
    const result = await plan(deps(io), [createRow('anna@contoso.com', 'ANNA', { row: 2 }), createRow('ben@contoso.com', 'ben', { row: 3 })], options());
    // anna's account carries the UPN (an interrupted run made it): adopted, by the account name in any case.
    expect(result.users[0]).to.include({ create: false, distinguishedName: w.ad[0]!.DistinguishedName, samAccountName: null });
    // ben's account name exists with another UPN: still a create row (the checks then say the name is taken).
    expect(result.users[1]).to.include({ create: true, samAccountName: 'ben' });
  });

  it('plan is read-only', async () => {
    const w = world();
    const io = new FakeIO(w.answers);
    const report = await planReport(deps(io), [upd, missing], options());
    expect(io.stepsCalled()).to.deep.equal(['sync-facts', 'ad-facts', 'cloud-facts', 'tenant-facts']);
    expect(report.users.map((u) => u.outcome)).to.deep.equal(['planned', 'blocked']);
    expect(report.users[0]?.predictedMatch).to.equal('upn');
    // A ready user's line says what the service does if it refuses the match; a blocked one is never written.
    expect(report.users[0]?.ifMatchFails).to.match(/^Entra creates a duplicate/);
    expect(report.users[1]?.ifMatchFails).to.equal(null);
    expect(renderReport(report)).to.match(/if the match fails: Entra creates a duplicate/);
    const applied = await apply(deps(new FakeIO(w.answers)), [upd], options());
    expect(applied.users[0]?.ifMatchFails).to.equal(null);
  });
});
