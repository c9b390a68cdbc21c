// The lifecycle table: which events a state allows, the step record each writes, what a failure's code
// makes of the user, the run's status — and that no other file of lib/ assigns a user's state.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { projectRoot } from '../../../lib/paths.js';
import type { JournalUser, RunJournal, UserState } from '../../../lib/workflow/journal.js';
import { awaitingMatch, findingsOf, LifecycleError, outcomeOf, progressOf, settledStatus, transition, undoable } from '../../../lib/workflow/lifecycle.js';
import { viewRun } from '../../../lib/workflow/status.js';
import { updateRow } from '../checks/fixtures.js';

const AT = '2026-11-25T10:00:00.000Z';

function user(state: UserState, extra: Partial<JournalUser> = {}): JournalUser {
  return { cloudUpn: 'anna@contoso.com', user: updateRow('anna@contoso.com', 'anna'), state, predictedMatch: 'upn', findings: [], steps: [], ...extra };
}

function run(states: UserState[], extra: Partial<RunJournal> = {}): RunJournal {
  return { runId: 'r1', batchKey: 'k', mode: 'apply', startedAt: AT, updatedAt: AT, status: 'running', featureEnabled: false, sync: { state: 'not-run' }, users: states.map((s) => user(s)), ...extra };
}

describe('workflow: lifecycle', () => {
  it('refuses an event the state does not allow, and changes nothing', () => {
    const ju = user('planned');
    expect(() => transition(ju, 'written', AT)).to.throw(LifecycleError, /'written' cannot happen to a user in state 'planned'/);
    expect(ju.state).to.equal('planned');
    expect(ju.steps).to.deep.equal([]);
    expect(() => transition(user('verified'), 'rolled-back', AT)).to.throw(LifecycleError);
    expect(() => transition(user('rolled-back'), 'verify-again', AT)).to.throw(LifecycleError);
  });

  it('writes the step of each event, its outcome from the code of a failure', () => {
    const refused = user('ad-writing');
    transition(refused, 'write-failed', AT, { failure: { code: 'PS.PermissionDenied', message: 'Access is denied' } });
    expect(refused).to.include({ state: 'failed' });
    expect(refused.steps).to.deep.equal([{ id: 'ad-written', outcome: 'failed', at: AT, code: 'PS.PermissionDenied', detail: 'Access is denied' }]);
    expect(outcomeOf(refused)).to.equal('failed');

    const broken = user('ad-writing');
    transition(broken, 'write-failed', AT, { failure: { code: 'Timeout', message: 'the step timed out' } });
    expect(broken.steps[0]).to.include({ outcome: 'error', code: 'Timeout' });
    expect(outcomeOf(broken)).to.equal('error');

    const blocked = user('ad-writing');
    transition(blocked, 'write-refused', AT, { failure: { code: 'SamAccountNameTaken', message: 'sAMAccountName already in use: anna' } });
    expect(blocked.state).to.equal('blocked');
    expect(blocked.steps[0]).to.include({ id: 'ad-written', outcome: 'skipped', code: 'SamAccountNameTaken' });
    expect(outcomeOf(blocked)).to.equal('blocked');
    // The failure is reported with the catalogue's remedy, not a script's prose.
    expect(findingsOf(blocked).at(-1)).to.include({ code: 'SamAccountNameTaken', severity: 'block' });
    expect(findingsOf(blocked).at(-1)?.hint).to.match(/Choose another sAMAccountName/);
  });

  it('counts, for an interrupted run, the users written to AD, those seen matched and those not yet written (a write in progress is not yet)', () => {
    const states: UserState[] = ['planned', 'ad-writing', 'ad-written', 'sync-started', 'verified', 'duplicated', 'blocked', 'failed'];
    expect(progressOf(run(states))).to.deep.equal({ users: 8, written: 4, matched: 1, notYet: 2 });
  });

  it('records a what-if step as skipped and leaves the state alone', () => {
    const ju = user('planned');
    transition(ju, 'would', AT, { step: 'sync-started', detail: 'what-if: would run one delta sync' });
    expect(ju.state).to.equal('planned');
    expect(ju.steps).to.deep.equal([{ id: 'sync-started', outcome: 'skipped', at: AT, detail: 'what-if: would run one delta sync' }]);
  });

  it('forgets what a rolled-back attempt wrote when the user is planned again, and clears an old failure', () => {
    const ju = user('sync-started', { ad: { objectGuid: 'g', distinguishedName: null, samAccountName: 'anna', previousUserPrincipalName: 'a@x', created: false, changed: true, anchor: 'A' }, adBefore: { objectGuid: 'g', userPrincipalName: 'a@x', create: false } });
    transition(ju, 'rolled-back', AT, { detail: 'previous UPN restored' });
    expect(ju).to.include({ state: 'rolled-back', rolledBack: true });
    expect(outcomeOf(ju)).to.equal('rolled-back');
    transition(ju, 'planned', AT);
    expect(ju.state).to.equal('planned');
    expect(ju.ad).to.equal(undefined);
    expect(ju.adBefore).to.equal(undefined);
    expect(ju.rolledBack).to.equal(undefined);

    const failed = user('ad-writing');
    transition(failed, 'write-failed', AT, { failure: { code: 'PS.InvalidOperation', message: 'x' } });
    transition(failed, 'planned', AT);
    expect(failed.error).to.equal(undefined);
  });

  it('lets rollback undo a change still in AD whatever the user became since (planned again, blocked), never a match', () => {
    const ad = { objectGuid: 'g', distinguishedName: null, samAccountName: 'anna', previousUserPrincipalName: 'a@x', created: false, changed: true, anchor: 'A' };
    for (const state of ['ad-written', 'sync-started', 'failed', 'planned', 'blocked'] as const) expect(undoable(user(state, { ad })), state).to.equal(true);
    expect(undoable(user('verified', { ad }))).to.equal(false);
    expect(undoable(user('rolled-back', { ad }))).to.equal(false);
    expect(undoable(user('sync-started', { ad: { ...ad, changed: false } }))).to.equal(false);
    expect(undoable(user('sync-started'))).to.equal(false);
    expect(awaitingMatch(user('failed', { ad }))).to.equal(true);
    expect(awaitingMatch(user('blocked', { ad }))).to.equal(false);
  });

  it("settles a run's status from its users: incomplete while any is owed a step, rolled back, or done", () => {
    expect(settledStatus(run(['verified', 'sync-started']))).to.equal('incomplete');
    expect(settledStatus(run(['verified', 'ad-writing']))).to.equal('incomplete');
    expect(settledStatus(run(['verified', 'rolled-back', 'blocked']))).to.equal('rolled-back');
    expect(settledStatus(run(['verified', 'failed', 'blocked']))).to.equal('done');
  });

  it('shows a running run whose process is gone as interrupted, with the command that resumes it', () => {
    const command = 'upn-match apply --csv users.csv --yes';
    // A pid that cannot be alive: above the kernel's limit.
    const dead = viewRun(run(['ad-writing'], { owner: { pid: 2 ** 22 + 1, host: os.hostname() }, command }));
    expect(dead).to.include({ status: 'interrupted', resume: command });
    const alive = viewRun(run(['ad-writing'], { owner: { pid: process.pid, host: os.hostname() }, command }));
    expect(alive.status).to.equal('running');
    expect(alive.resume).to.equal(undefined);
    expect(viewRun(run(['sync-started'], { status: 'incomplete', command }))).to.include({ status: 'incomplete', resume: command });
    expect(viewRun(run(['verified'], { status: 'done', command })).resume).to.equal(undefined);
  });

  it('is the only code in lib/ that assigns a user state', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        // lib/sim builds the simulator's world (its `state` is state.json), not a run.
        if (entry.isDirectory() && entry.name !== 'sim') walk(full);
        else if (entry.name.endsWith('.ts') && entry.name !== 'lifecycle.ts') {
          readFileSync(full, 'utf8')
            .split('\n')
            .forEach((line, i) => {
              if (/\.state\s*=[^=]/.test(line)) offenders.push(`${path.relative(projectRoot, full)}:${i + 1}: ${line.trim()}`);
            });
        }
      }
    };
    walk(path.join(projectRoot, 'lib'));
    expect(offenders).to.deep.equal([]);
  });
});
