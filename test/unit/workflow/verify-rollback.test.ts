// verify --run, rollback and the feature record, in the workflow, with the fake step runner: what each
// does to the users of a run, what it reports, and what it leaves for the next `apply`.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { BridgeError } from '../../../lib/bridge/errors.js';
import { exitCodeFor } from '../../../lib/report/exit-code.js';
import { apply } from '../../../lib/workflow/apply.js';
import { readFeatureRecord, runFeature } from '../../../lib/workflow/feature.js';
import { MemoryJournalStore, type RunJournal } from '../../../lib/workflow/journal.js';
import { rollbackRun } from '../../../lib/workflow/rollback.js';
import { CLOCK_SKEW_MS, matchedSince, verifyRun } from '../../../lib/workflow/verify.js';
import { deps, FAKE_EPOCH, FakeIO, missing, options, upd, upd2, world, type Answer } from './fake-world.js';

/** A world whose sync joins nobody (export errors), and whose undo puts the previous UPN back. */
function unmatchedWorld() {
  const w = world();
  w.answers['sync-started'] = () => ({ started: true, waitedForRunningMs: 0, startedAt: null, completedAt: null, completed: true });
  const undone: string[] = [];
  w.answers['ad-undone'] = (input) => {
    const account = w.ad.find((a) => a.ObjectGUID === input.ObjectGuid);
    if (!account) throw new BridgeError({ reason: 'precondition-unmet', script: 'x', code: 'AdAccountNotFound', message: 'not found' });
    if (account.UserPrincipalName !== input.ExpectedUserPrincipalName) throw new BridgeError({ reason: 'precondition-unmet', script: 'x', code: 'AdAccountChangedSince', message: 'changed since' });
    if (!input.WhatIf) {
      account.UserPrincipalName = String(input.PreviousUserPrincipalName ?? '');
      undone.push(account.SamAccountName);
    }
    return { objectGuid: String(input.ObjectGuid), action: String(input.Action), done: !input.WhatIf };
  };
  return { ...w, undone };
}

/** apply of anna, ben and a missing user in a world that matches nobody: anna and ben written, waiting. */
async function unmatchedRun(w: ReturnType<typeof unmatchedWorld>, journal: MemoryJournalStore): Promise<RunJournal> {
  const report = await apply(deps(new FakeIO(w.answers), journal), [upd, upd2, missing], options({ verifyTimeoutMs: 2000, verifyPollMs: 1000 }));
  expect(exitCodeFor(report)).to.equal(4);
  return journal.load(report.runId!)!;
}

const yes = async () => true;

describe('workflow: verify --run, rollback, feature', () => {
  it('verify --run checks the written users again, leaves the blocked one alone, and closes the run when all match', async () => {
    const w = unmatchedWorld();
    const journal = new MemoryJournalStore();
    const run = await unmatchedRun(w, journal);
    expect(run.status).to.equal('incomplete');
    // The sync catches up later: the cloud users now carry their anchors.
    const joined = new FakeIO({ ...w.answers, verified: (input) => ({ users: (input.UserPrincipalName as string[]).map((upn) => ({ userPrincipalName: upn, found: true, id: 'x', onPremisesImmutableId: journal.load(run.runId)!.users.find((u) => u.cloudUpn === upn)!.ad!.anchor, onPremisesSyncEnabled: true, onPremisesLastSyncDateTime: FAKE_EPOCH })) }) });
    const report = await verifyRun(deps(joined, journal), run, { config: options().config, verifyTimeoutMs: 1000, verifyPollMs: 1000 });
    expect(report.mode).to.equal('verify');
    expect(report.users.map((u) => u.outcome)).to.deep.equal(['matched', 'matched', 'blocked']);
    expect(joined.calls.map((c) => c.input.UserPrincipalName)).to.deep.equal([['anna@contoso.com', 'ben@contoso.com']]);
    expect(journal.load(run.runId)?.status).to.equal('done');
  });

  it('verify does not take an anchor stamped on a cloud user that Entra Connect has not synced since the cycle for a match', async () => {
    const w = unmatchedWorld();
    const journal = new MemoryJournalStore();
    const run = await unmatchedRun(w, journal);
    const anchorOf = (upn: string) => journal.load(run.runId)!.users.find((u) => u.cloudUpn === upn)!.ad!.anchor;
    // anna: the anchor set by hand (not synced); ben: synced, but by a cycle long before this run's.
    const stale = new Date(Date.parse(run.sync.startedAt!) - CLOCK_SKEW_MS - 60_000).toISOString();
    const stamped = new FakeIO({ ...w.answers, verified: (input) => ({ users: (input.UserPrincipalName as string[]).map((upn) => ({
      userPrincipalName: upn, found: true, id: `c-${upn}`, onPremisesImmutableId: anchorOf(upn),
      onPremisesSyncEnabled: upn === 'anna@contoso.com' ? false : true, onPremisesLastSyncDateTime: upn === 'anna@contoso.com' ? null : stale,
    })) }) });
    const report = await verifyRun(deps(stamped, journal), run, { config: options().config, verifyTimeoutMs: 2000, verifyPollMs: 1000 });
    expect(report.users.map((u) => u.outcome)).to.deep.equal(['failed', 'failed', 'blocked']);
    for (const u of report.users.slice(0, 2)) expect(u.steps.at(-1)).to.include({ code: 'VerifyTimeout' }).and.have.property('detail').that.matches(/carries the anchor but Entra Connect has not synced it/);
    expect(journal.load(run.runId)?.status).to.equal('incomplete');
  });

  it('matchedSince: the anchor, onPremisesSyncEnabled and a sync after the cycle started (within the clock skew) make a match', () => {
    const seen = (over: object) => ({ userPrincipalName: 'a@x', found: true, id: '1', onPremisesImmutableId: 'AAA=', onPremisesSyncEnabled: true, onPremisesLastSyncDateTime: '2026-11-25T10:01:00Z', anchorHolders: [], ...over });
    const start = '2026-11-25T10:00:00Z';
    expect(matchedSince(seen({}), 'AAA=', start)).to.equal('matched');
    expect(matchedSince(seen({}), 'BBB=', start)).to.equal('no');
    expect(matchedSince(undefined, 'AAA=', start)).to.equal('no');
    expect(matchedSince(seen({ onPremisesSyncEnabled: null }), 'AAA=', start)).to.equal('not-synced');
    expect(matchedSince(seen({ onPremisesLastSyncDateTime: null }), 'AAA=', start)).to.equal('not-synced');
    expect(matchedSince(seen({ onPremisesLastSyncDateTime: '2026-11-25T09:56:00Z' }), 'AAA=', start)).to.equal('matched');
    expect(matchedSince(seen({ onPremisesLastSyncDateTime: '2026-11-25T09:54:00Z' }), 'AAA=', start)).to.equal('not-synced');
  });

  it('rollback undoes the unmatched users, reports them rolled back, and the next apply starts a new run', async () => {
    const w = unmatchedWorld();
    const journal = new MemoryJournalStore();
    const run = await unmatchedRun(w, journal);
    const io = new FakeIO(w.answers);
    const report = await rollbackRun(deps(io, journal), run, { config: options().config, whatIf: false, confirm: yes });
    expect(report.mode).to.equal('rollback');
    expect(report.users.map((u) => u.outcome)).to.deep.equal(['rolled-back', 'rolled-back', 'skipped']);
    expect(report.summary['rolled-back']).to.equal(2);
    expect(exitCodeFor(report)).to.equal(0);
    expect(w.undone).to.deep.equal(['anna', 'ben']);
    const saved = journal.load(run.runId)!;
    expect(saved.status).to.equal('rolled-back');
    expect(saved.users[0]?.steps.at(-1)).to.include({ id: 'ad-undone', outcome: 'passed' });

    // verify --run leaves rolled-back users alone: no cloud read at all.
    const verifyIo = new FakeIO({});
    const verified = await verifyRun(deps(verifyIo, journal), saved, { config: options().config, verifyTimeoutMs: 1000, verifyPollMs: 1000 });
    expect(verifyIo.calls).to.deep.equal([]);
    expect(verified.users.map((u) => u.outcome)).to.deep.equal(['rolled-back', 'rolled-back', 'blocked']);
    expect(journal.load(run.runId)?.status).to.equal('rolled-back');

    // The same batch again: a new run, which writes both accounts again.
    expect(journal.resumable(run.batchKey)).to.equal(null);
    const again = await apply(deps(new FakeIO(world().answers), journal), [upd, upd2, missing], options());
    expect(again.resumed).to.equal(false);
    expect(again.runId).to.not.equal(run.runId);
    expect(again.users.map((u) => u.outcome)).to.deep.equal(['matched', 'matched', 'blocked']);
  });

  it('rollback --what-if says what it would undo, changes nothing and saves nothing', async () => {
    const w = unmatchedWorld();
    const journal = new MemoryJournalStore();
    const run = await unmatchedRun(w, journal);
    const saves = journal.saves.length;
    const report = await rollbackRun(deps(new FakeIO(w.answers), journal), run, { config: options().config, whatIf: true, confirm: yes });
    expect(report.users.map((u) => u.outcome)).to.deep.equal(['planned', 'planned', 'skipped']);
    expect(report.users[0]?.steps.at(-1)).to.include({ id: 'ad-undone', outcome: 'skipped' });
    expect(report.users[0]?.steps.at(-1)?.detail).to.match(/what-if: would restore the UPN anna@contoso.local/);
    expect(w.undone).to.deep.equal([]);
    expect(journal.saves.length).to.equal(saves);
  });

  it('rollback leaves a matched user and an account changed since alone, and says why; a no at the prompt undoes nothing', async () => {
    const w = unmatchedWorld();
    const journal = new MemoryJournalStore();
    const run = await unmatchedRun(w, journal);
    expect(await rollbackRun(deps(new FakeIO(w.answers), journal), run, { config: options().config, whatIf: false, confirm: async () => false })).to.have.nested.property('summary.skipped', 3);
    expect(w.undone).to.deep.equal([]);

    w.ad[1]!.UserPrincipalName = 'ben.renamed@contoso.com';
    const anna = run.users[0]!;
    const matchedAnna: Answer = (input) => ({ users: (input.UserPrincipalName as string[]).map((upn) => ({ userPrincipalName: upn, found: true, id: 'x', onPremisesImmutableId: upn === anna.cloudUpn ? anna.ad!.anchor : null, onPremisesSyncEnabled: null, onPremisesLastSyncDateTime: null })) });
    const report = await rollbackRun(deps(new FakeIO({ ...w.answers, verified: matchedAnna }), journal), run, { config: options().config, whatIf: false, confirm: yes });
    expect(report.users.map((u) => u.outcome)).to.deep.equal(['skipped', 'blocked', 'skipped']);
    expect(report.users[0]?.steps.at(-1)?.detail).to.match(/already matched/);
    expect(report.users[1]?.findings.map((f) => f.code)).to.deep.equal(['AdAccountChangedSince']);
    expect(report.users[1]?.findings[0]?.hint).to.match(/leaves it alone/);
    expect(exitCodeFor(report)).to.equal(3);
    expect(w.undone).to.deep.equal([]);
  });

  it('reports a duplicate the service created instead of the match: its UPN and id, exit 7; rollback says it stays', async () => {
    const w = unmatchedWorld();
    const journal = new MemoryJournalStore();
    // The sync provisioned ben's AD account as a new cloud user carrying its anchor; anna is simply not seen yet.
    const seen: Answer = (input) => {
      const upns = input.UserPrincipalName as string[];
      const anchors = (input.Anchor as string[] | undefined) ?? [];
      return {
        users: upns.map((upn, k) => ({
          userPrincipalName: upn, found: true, id: `c-${upn}`, onPremisesImmutableId: null, onPremisesSyncEnabled: null, onPremisesLastSyncDateTime: null,
          anchorHolders: upn === 'ben@contoso.com' && anchors[k] ? [{ id: 'c-dup', userPrincipalName: 'ben+4821@contoso.onmicrosoft.com', onPremisesSyncEnabled: true }] : [],
        })),
      };
    };
    const io = new FakeIO({ ...w.answers, verified: seen });
    const report = await apply(deps(io, journal), [upd, upd2], options({ verifyTimeoutMs: 2000, verifyPollMs: 1000 }));
    expect(report.users.map((u) => u.outcome)).to.deep.equal(['failed', 'duplicate']);
    const ben = report.users[1]!;
    expect(ben.findings.at(-1)).to.include({ code: 'DuplicateCreated' });
    expect(ben.findings.at(-1)?.message).to.include('ben+4821@contoso.onmicrosoft.com').and.to.include('c-dup');
    expect(ben.findings.at(-1)?.hint).to.match(/delete it permanently/);
    expect(exitCodeFor(report)).to.equal(7);
    // A poll reads the users, then the anchors of those it did not find matched (in order); ben is not asked about again.
    const polls = io.calls.filter((c) => c.step === 'verified');
    expect(polls[0]?.input.Anchor).to.equal(undefined);
    expect(polls[1]?.input.Anchor).to.deep.equal(journal.load(report.runId!)!.users.map((u) => u.ad!.anchor));
    expect(polls.slice(2).every((c) => !(c.input.UserPrincipalName as string[]).includes('ben@contoso.com'))).to.equal(true);

    const run = journal.load(report.runId!)!;
    expect(run.users[1]).to.deep.include({ state: 'duplicated', duplicate: { id: 'c-dup', userPrincipalName: 'ben+4821@contoso.onmicrosoft.com' } });
    const rolled = await rollbackRun(deps(new FakeIO(w.answers), journal), run, { config: options().config, whatIf: false, confirm: yes });
    expect(rolled.users.map((u) => u.outcome)).to.deep.equal(['rolled-back', 'rolled-back']);
    expect(rolled.users[1]?.findings.map((f) => f.code)).to.deep.equal(['DuplicateCreated']);
    expect(rolled.users[1]?.findings[0]?.message).to.match(/ben\+4821@contoso.onmicrosoft.com .*stays/);
  });

  it('asks who else carries an anchor only for users a poll did not find matched: none when all match', async () => {
    const w = world();
    const io = new FakeIO(w.answers);
    const report = await apply(deps(io), [upd, upd2], options());
    expect(report.summary.matched).to.equal(2);
    const polls = io.calls.filter((c) => c.step === 'verified');
    expect(polls).to.have.length(1);
    expect(polls[0]?.input.Anchor).to.equal(undefined);
  });

  it('feature records what it read in the work folder, and a run reads it back', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'upn-match-feature-'));
    try {
      const w = world();
      const io = new FakeIO(w.answers);
      const result = await runFeature(deps(io), 'enable-upn-soft-match', { config: options().config, workDir: dir });
      expect(io.stepsCalled()).to.deep.equal(['feature-enabled', 'tenant-facts']);
      expect(io.calls[0]?.input).to.include({ Feature: 'softMatchOnUpnEnabled', Enable: true });
      expect(result.recordFile).to.equal(path.join(dir, 'feature-record.json'));
      expect(readFeatureRecord(dir)).to.deep.include({ tenantId: 't1', readAt: '2026-11-25T09:00:00.000Z' });
      expect(readFeatureRecord(dir)?.features.softMatchOnUpnEnabled).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
