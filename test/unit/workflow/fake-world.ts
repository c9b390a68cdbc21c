// A fake world for the workflow's unit tests: a StepIO answering each step from a table (a step with no
// answer is a test failure), a clock that sleeps in no time, and a small tenant and forest whose sync
// joins whoever was written.
import { guidToImmutableId } from '../../../lib/anchor.js';
import { BridgeError } from '../../../lib/bridge/errors.js';
import { parseConfig } from '../../../lib/config.js';
import type { StepDefinition } from '../../../lib/steps/registry.js';
import type { ApplyOptions } from '../../../lib/workflow/apply.js';
import type { Clock, EngineDeps } from '../../../lib/workflow/deps.js';
import type { StepIO } from '../../../lib/workflow/io.js';
import { MemoryJournalStore } from '../../../lib/workflow/journal.js';
import { makeAdUser, makeCloudUser, updateRow } from '../checks/fixtures.js';

export type Answer = (input: Record<string, unknown>) => unknown;

/** Answers each step from a table; a step with no answer is a test failure. */
export class FakeIO implements StepIO {
  readonly calls: { step: string; input: Record<string, unknown> }[] = [];
  constructor(readonly answers: Record<string, Answer>) {}
  async run<I extends Record<string, unknown>, O>(step: StepDefinition<I, O>, input: I): Promise<O> {
    this.calls.push({ step: step.id, input });
    const answer = this.answers[step.id];
    if (!answer) throw new Error(`unexpected step ${step.id}`);
    return step.output.parse(await answer(input)) as O;
  }
  stepsCalled(): string[] {
    return this.calls.map((c) => c.step);
  }
}

/** When the fake clock starts; the fake world's sync records the users it joins as synced then. */
export const FAKE_EPOCH = '2026-11-25T10:00:00.000Z';

export function fakeClock(): Clock & { t: number } {
  const clock = {
    t: Date.parse(FAKE_EPOCH),
    now: () => new Date(clock.t),
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

export const upd = updateRow('anna@contoso.com', 'anna', { row: 2 });
export const upd2 = updateRow('ben@contoso.com', 'ben', { row: 3 });
export const missing = updateRow('ghost@contoso.com', 'ghost', { row: 4 });

/** A small world: anna and ben exist in the cloud and in AD, ready to match; the sync joins whoever was written. */
export function world(options: { softMatchOnUpn?: boolean } = {}) {
  const ad = [makeAdUser('anna'), makeAdUser('ben'), makeAdUser('ghost', { UserPrincipalName: null })];
  const cloud = [makeCloudUser('anna@contoso.com', { id: 'c-anna' }), makeCloudUser('ben@contoso.com', { id: 'c-ben' })];
  const written = new Set<string>();
  let synced = false;
  /** One user's AD write, as the script reports it: a result, or (when writeOne throws a coded error) that error. */
  const writeOne = (item: Record<string, unknown>, whatIf: boolean) => {
    const sam = String(item.SamAccountName);
    const user = ad.find((a) => a.SamAccountName === sam);
    if (!user) throw new BridgeError({ reason: 'precondition-unmet', script: 'x', code: 'AdAccountNotFound', message: 'not found' });
    const previous = user.UserPrincipalName;
    // As the script: an account that already carries the UPN is left alone.
    const change = !whatIf && previous !== String(item.UserPrincipalName);
    if (change) {
      user.UserPrincipalName = String(item.UserPrincipalName);
      written.add(sam);
    }
    return { action: 'update', objectGuid: user.ObjectGUID, distinguishedName: user.DistinguishedName, samAccountName: sam, previousUserPrincipalName: previous, changed: change, created: false, whatIf };
  };
  const writeResult = (item: Record<string, unknown>, whatIf: boolean) => {
    try {
      return { userPrincipalName: String(item.UserPrincipalName), result: writer.one(item, whatIf), error: null };
    } catch (error) {
      const e = error as BridgeError;
      return { userPrincipalName: String(item.UserPrincipalName), result: null, error: { code: e.code, category: 'precondition', message: e.message } };
    }
  };
  // Tests replace writer.one to make one user's write fail.
  const writer = { one: writeOne };
  // Tests replace replication.missingOn to keep an account off the connector's DC.
  const replication: { missingOn: (objectGuid: string) => string[] } = { missingOn: () => [] };
  const answers: Record<string, Answer> = {
    'ad-facts': () => ({
      forest: { name: 'contoso.local', upnSuffixes: ['contoso.com'], domains: [{ dnsRoot: 'contoso.local', distinguishedName: 'DC=contoso,DC=local' }] },
      writeDomain: 'contoso.local',
      users: ad,
    }),
    'cloud-facts': (input) => ({
      // As Get-CloudFacts.ps1 (and Graph's filter): UPNs compared ignoring case.
      cloudUsers: cloud.filter((c) => (input.UserPrincipalName as string[]).some((u) => u.toLowerCase() === c.userPrincipalName.toLowerCase())),
      cloudObjects: cloud.map((c) => ({ kind: 'user', id: c.id, displayName: c.displayName, userPrincipalName: c.userPrincipalName, mail: c.mail, proxyAddresses: c.proxyAddresses, onPremisesImmutableId: c.onPremisesImmutableId })),
      scanned: { users: cloud.length },
    }),
    'tenant-facts': () => ({
      tenantId: 't1',
      directorySyncEnabled: true,
      features: { softMatchOnUpnEnabled: options.softMatchOnUpn ?? true, blockSoftMatchEnabled: false, blockCloudObjectTakeoverThroughHardMatchEnabled: false, passwordSyncEnabled: false },
      featuresSource: 'graph',
      featuresReadAt: '2026-11-25T09:00:00.000Z',
      featuresError: null,
      domains: [{ id: 'contoso.com', isVerified: true, authenticationType: 'Managed' }],
      roleHolders: [],
    }),
    'sync-facts': () => ({ serverName: 'AADC01', syncCycleEnabled: true, stagingModeEnabled: false, syncCycleInProgress: false, schedulerSuspended: false, nextSyncCycleStartTimeInUTC: null, scopeOUs: ['OU=Corp,DC=contoso,DC=local'] }),
    'ad-written': (input) => ({ results: (input.Users as Record<string, unknown>[]).map((item) => writeResult(item, Boolean(input.WhatIf))) }),
    // The written accounts read back on the connector's DC: each serves its UPN unless a test says otherwise.
    'ad-confirmed': (input) => ({
      users: (input.Users as { ObjectGuid: string }[]).map((u) => {
        const missing = replication.missingOn(u.ObjectGuid);
        return { objectGuid: u.ObjectGuid, visibleOn: missing.length > 0 ? [] : ['dc01.contoso.local'], missingOn: missing };
      }),
      replicated: 0,
    }),
    'sync-started': (input) => {
      if (!input.WhatIf) {
        synced = true;
        for (const c of cloud) {
          const a = ad.find((x) => x.UserPrincipalName === c.userPrincipalName);
          if (a) c.onPremisesImmutableId = guidToImmutableId(a.ObjectGUID);
        }
      }
      return { started: !input.WhatIf, waitedForRunningMs: 0, startedAt: null, completedAt: null, completed: !input.WhatIf };
    },
    verified: (input) => ({
      users: (input.UserPrincipalName as string[]).map((upn) => {
        const c = cloud.find((x) => x.userPrincipalName === upn);
        const joined = synced && Boolean(c?.onPremisesImmutableId);
        return { userPrincipalName: upn, found: Boolean(c), id: c?.id ?? null, onPremisesImmutableId: joined ? c!.onPremisesImmutableId : null, onPremisesSyncEnabled: joined ? true : null, onPremisesLastSyncDateTime: joined ? FAKE_EPOCH : null };
      }),
    }),
    'feature-enabled': (input) => ({ feature: String(input.Feature), enabled: true, changed: !input.WhatIf }),
  };
  return { ad, cloud, written, answers, writer, replication };
}

export function options(overrides: Partial<ApplyOptions> = {}): ApplyOptions {
  return {
    config: parseConfig({ graph: { auth: 'interactive' } }),
    enableFeature: false,
    whatIf: false,
    relock: false,
    confirm: async () => true,
    verifyTimeoutMs: 10_000,
    verifyPollMs: 1000,
    ...overrides,
  };
}

export function deps(io: StepIO, journal = new MemoryJournalStore()): EngineDeps & { journal: MemoryJournalStore } {
  return { io, journal, clock: fakeClock() };
}
