// The journal: one JSON document per run, rewritten atomically before and after every step, so
// that a re-run after a crash knows exactly what happened and never repeats a write.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { BatchUser } from '../batch/types.js';
import type { Finding, PredictedMatch } from '../checks/types.js';
import type { CloudUser } from '../facts.js';
import type { Relock, StepRecord } from '../report/types.js';
import { isResumable } from './lifecycle.js';
import { ensurePrivateDir, readOwnFile, writePrivateFile } from './work-dir.js';

/**
 * Where a user stands (lifecycle.ts moves it). `ad-writing` is recorded before the write and means "maybe
 * written"; `duplicated` means the service created a second cloud user instead of matching; `rolled-back` means
 * rollback undid what the run wrote.
 */
export type UserState = 'planned' | 'blocked' | 'ad-writing' | 'ad-written' | 'sync-started' | 'verified' | 'duplicated' | 'failed' | 'rolled-back';

/**
 * `running` while a command works on the run (or it died doing so: `status` shows that as interrupted);
 * `incomplete` when a command ended with users still owed a sync or a verification (apply resumes it);
 * `done` and `rolled-back` are final.
 */
export type RunStatus = 'running' | 'incomplete' | 'done' | 'rolled-back';

export interface AdChange {
  objectGuid: string;
  distinguishedName: string | null;
  samAccountName: string | null;
  previousUserPrincipalName: string | null;
  created: boolean;
  changed: boolean;
  /** The anchor the cloud user must carry once matched. */
  anchor: string;
}

export interface JournalUser {
  cloudUpn: string;
  user: BatchUser;
  state: UserState;
  predictedMatch: PredictedMatch;
  findings: Finding[];
  steps: StepRecord[];
  ad?: AdChange;
  /**
   * The account as the first write attempt found it, saved before that write: a resumed write that finds
   * the UPN already there still knows that this run put it there, and what was there before.
   */
  adBefore?: { objectGuid: string | null; userPrincipalName: string | null; create: boolean };
  /** The cloud user as it was before the sync, so its values can be restored. */
  snapshot?: CloudUser;
  rolledBack?: boolean;
  /** The second cloud user the service created for this AD account instead of matching. */
  duplicate?: { id: string; userPrincipalName: string };
  error?: { code: string; message: string };
}

export interface RunJournal {
  runId: string;
  batchKey: string;
  mode: 'apply';
  startedAt: string;
  updatedAt: string;
  status: RunStatus;
  /** The process working on the run (written when a command takes it up): a dead one means interrupted. */
  owner?: { pid: number; host: string };
  /** The command line that started the run (no secrets: the CLI takes none), to resume it. */
  command?: string;
  featureEnabled: boolean;
  sync: { state: 'not-run' | 'started' | 'completed' | 'failed'; startedAt?: string; completedAt?: string; error?: string };
  tenantLeftOpen?: boolean;
  relock?: Relock;
  /** The tenant the run wrote for (its reports name it; verify and rollback read no tenant facts). */
  tenantId?: string;
  users: JournalUser[];
}

/** The same batch (same users, same accounts) gives the same key, whatever the row order. */
export function batchKey(users: BatchUser[]): string {
  const lines = users
    .map((u) => [u.cloudUpn.toLowerCase(), u.samAccountName ?? '', u.distinguishedName ?? '', u.create ? 'create' : 'update'].join('\u0000'))
    .sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 32);
}

export function newRunId(now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

export interface JournalStore {
  save(run: RunJournal): void;
  load(runId: string): RunJournal | null;
  list(): RunJournal[];
  /** The newest unfinished run of this batch, to resume. */
  resumable(key: string): RunJournal | null;
  /** Removes the settled runs (done, rolled back) last changed before `before`; returns their ids. */
  prune(before: Date): string[];
}

/** A run whose journal may go: it is final (nothing to resume, verify or roll back is owed by a crash). */
export function isSettled(run: RunJournal): boolean {
  return run.status === 'done' || run.status === 'rolled-back';
}

function prunable(runs: RunJournal[], before: Date): RunJournal[] {
  return runs.filter((run) => isSettled(run) && Date.parse(run.updatedAt) < before.getTime());
}

export class FileJournalStore implements JournalStore {
  private readonly dir: string;
  constructor(workDir: string) {
    this.dir = path.join(workDir, 'runs');
  }

  save(run: RunJournal): void {
    ensurePrivateDir(this.dir);
    // Compact: the journal is rewritten before and after every write, so its size is paid per user.
    writePrivateFile(path.join(this.dir, `${run.runId}.json`), `${JSON.stringify(run)}\n`, { fsync: true });
  }

  load(runId: string): RunJournal | null {
    if (!/^[0-9A-Za-z-]+$/.test(runId)) return null;
    const file = path.join(this.dir, `${runId}.json`);
    return existsSync(file) ? (JSON.parse(readOwnFile(file)) as RunJournal) : null;
  }

  list(): RunJournal[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readOwnFile(path.join(this.dir, f))) as RunJournal);
  }

  prune(before: Date): string[] {
    const gone = prunable(this.list(), before);
    for (const run of gone) rmSync(path.join(this.dir, `${run.runId}.json`), { force: true });
    return gone.map((run) => run.runId);
  }

  resumable(key: string): RunJournal | null {
    return this.list().filter((r) => r.batchKey === key && isResumable(r)).at(-1) ?? null;
  }
}

/** In memory, for unit tests. */
export class MemoryJournalStore implements JournalStore {
  readonly runs = new Map<string, RunJournal>();
  readonly saves: RunJournal[] = [];
  save(run: RunJournal): void {
    const copy = structuredClone(run);
    this.runs.set(run.runId, copy);
    this.saves.push(copy);
  }
  load(runId: string): RunJournal | null {
    return structuredClone(this.runs.get(runId) ?? null);
  }
  list(): RunJournal[] {
    return [...this.runs.values()].map((r) => structuredClone(r));
  }
  resumable(key: string): RunJournal | null {
    return this.list().filter((r) => r.batchKey === key && isResumable(r)).at(-1) ?? null;
  }
  prune(before: Date): string[] {
    const gone = prunable(this.list(), before);
    for (const run of gone) this.runs.delete(run.runId);
    return gone.map((run) => run.runId);
  }
}
