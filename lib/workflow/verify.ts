// Verification: poll the cloud until every user carries its anchor, or the time is up. `apply` ends with
// it; `verify --run ID` runs it again for the users of a run whose account was written and not matched.
import type { Config } from '../config.js';
import type { RunReport } from '../report/types.js';
import { steps, type MatchStatus } from '../steps/registry.js';
import { graphSignIn } from './collector.js';
import type { EngineDeps } from './deps.js';
import type { JournalUser, RunJournal } from './journal.js';
import { awaitingMatch, settledStatus, transition } from './lifecycle.js';
import { chunkBySize, jsonBytes } from './chunks.js';
import { runReport } from './run-report.js';

export interface VerifyOptions {
  verifyTimeoutMs: number;
  verifyPollMs: number;
}

/**
 * How far the tool's clock may run ahead of the service's. The rule sheet gives none; we take Kerberos' default
 * maximum skew (5 minutes), which a domain-joined server stays within, so that a sync Entra records a little
 * "before" the run's cycle by our clock still counts, and an older one does not.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Matched by this run: the cloud user carries the AD account's anchor, Entra Connect now manages it
 * (onPremisesSyncEnabled), and it was synced after the run's cycle started. An ImmutableId stamped by hand,
 * or left by an earlier sync, is not a match (rule sheet 4.1-4.2: the join sets all three).
 */
export function matchedSince(seen: MatchStatus | undefined, anchor: string | undefined, cycleStartedAt: string | undefined): 'matched' | 'not-synced' | 'no' {
  if (!seen?.onPremisesImmutableId || seen.onPremisesImmutableId !== anchor) return 'no';
  if (seen.onPremisesSyncEnabled !== true) return 'not-synced';
  if (cycleStartedAt) {
    const synced = seen.onPremisesLastSyncDateTime ? Date.parse(seen.onPremisesLastSyncDateTime) : Number.NaN;
    if (!(synced >= Date.parse(cycleStartedAt) - CLOCK_SKEW_MS)) return 'not-synced';
  }
  return 'matched';
}

/** The cloud users of the batch as Graph has them now (with the other holders of their anchors, when asked), by UPN. */
export async function readStatus(deps: EngineDeps, users: JournalUser[], withAnchors: boolean, signIn: ReturnType<typeof graphSignIn>): Promise<Map<string, MatchStatus>> {
  const found = new Map<string, MatchStatus>();
  // In calls under the request limit (one for any ordinary batch).
  for (const chunk of chunkBySize(users, (u) => jsonBytes([u.cloudUpn, withAnchors ? u.ad?.anchor : null]))) {
    const status = await deps.io.run(steps.matchStatus, {
      UserPrincipalName: chunk.map((u) => u.cloudUpn),
      ...(withAnchors ? { Anchor: chunk.map((u) => u.ad?.anchor ?? '') } : {}),
      ...signIn,
    });
    for (const s of status.users) found.set(s.userPrincipalName.toLowerCase(), s);
  }
  return found;
}

/** Polls the cloud until every user is matched (see matchedSince), or the time is up. */
export async function verifyUsers(deps: EngineDeps, users: JournalUser[], options: VerifyOptions & { cycleStartedAt?: string }, signIn: ReturnType<typeof graphSignIn>): Promise<void> {
  const at = () => deps.clock.now().toISOString();
  const deadline = deps.clock.now().getTime() + options.verifyTimeoutMs;
  let wait = options.verifyPollMs;
  let open = users.filter((u) => u.ad && u.state === 'sync-started');
  const notSynced = new Set<JournalUser>();
  while (open.length > 0) {
    const byUpn = await readStatus(deps, open, false, signIn);
    // Who else carries the anchor is asked only for the users this poll did not find matched: a run whose
    // users all match pays no request for it.
    const unmatched = open.filter((u) => !byUpn.get(u.cloudUpn.toLowerCase())?.onPremisesImmutableId);
    notSynced.clear();
    if (unmatched.length > 0) for (const [upn, seen] of await readStatus(deps, unmatched, true, signIn)) byUpn.set(upn, seen);
    for (const ju of open) {
      const seen = byUpn.get(ju.cloudUpn.toLowerCase());
      const anchor = seen?.onPremisesImmutableId;
      const duplicate = seen?.anchorHolders[0];
      const matched = matchedSince(seen, ju.ad?.anchor, options.cycleStartedAt);
      if (matched === 'matched') transition(ju, 'verified', at(), { detail: 'the cloud user carries the on-premises anchor and is synced' });
      else if (matched === 'not-synced') notSynced.add(ju);
      else if (anchor) transition(ju, 'anchor-mismatch', at(), { failure: { code: 'AnchorMismatch', message: `${ju.cloudUpn} was joined to another on-premises object (anchor ${anchor})` } });
      else if (duplicate) {
        // The service refused the match and provisioned the AD account as a new cloud user (duplicate
        // attribute resiliency, rule sheet 5.2-5.3): waiting longer changes nothing.
        ju.duplicate = { id: duplicate.id, userPrincipalName: duplicate.userPrincipalName };
        const message = `Entra ID created ${duplicate.userPrincipalName} (object id ${duplicate.id}) for the AD account instead of matching ${ju.cloudUpn}`;
        transition(ju, 'duplicate-found', at(), { failure: { code: 'DuplicateCreated', message } });
      }
    }
    open = open.filter((u) => u.state === 'sync-started');
    if (open.length === 0) break;
    if (deps.clock.now().getTime() + wait > deadline) {
      for (const ju of open) {
        const detail = notSynced.has(ju)
          ? 'the cloud user carries the anchor but Entra Connect has not synced it since this run\'s cycle started: not matched before the time limit'
          : 'not matched before the time limit';
        transition(ju, 'verify-timeout', at(), { code: 'VerifyTimeout', detail });
      }
      break;
    }
    await deps.clock.sleep(wait);
    wait = Math.min(wait * 2, 60_000);
  }
}

/** `verify --run ID`: the run's written, unmatched users wait for the match again; the others stay as they are. */
export async function verifyRun(deps: EngineDeps, run: RunJournal, options: VerifyOptions & { config: Config }): Promise<RunReport> {
  const at = deps.clock.now().toISOString();
  const waiting = run.users.filter(awaitingMatch);
  for (const ju of waiting) transition(ju, 'verify-again', at);
  await verifyUsers(deps, waiting, { ...options, cycleStartedAt: run.sync.startedAt }, graphSignIn(options.config));
  run.status = settledStatus(run);
  run.updatedAt = deps.clock.now().toISOString();
  deps.journal.save(run);
  return runReport(run, { mode: 'verify' });
}
