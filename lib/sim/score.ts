// How well discover found a large world's true pairs (truth.json, which sim init writes): for the tests and
// the bench only. Precision: of the pairs proposed with a status, how many are true; recall: of the true pairs
// of a kind, how many were proposed ready (UPN, SMTP) or at all (the weaker kinds).
import type { DiscoverRow } from '../workflow/discover.js';

export interface TruthPair {
  cloudUpn: string;
  samAccountName: string | null;
  kind: string;
}

export interface DiscoverScore {
  ready: { proposed: number; correct: number; precision: number };
  review: { proposed: number; correct: number; precision: number };
  /** Per kind of true pair: how many, how many found (ready or review with the right account), recall. */
  recall: Record<string, { pairs: number; found: number; ready: number; recall: number }>;
}

const ratio = (a: number, b: number) => (b === 0 ? 1 : Math.round((a / b) * 10_000) / 10_000);

export function scoreDiscover(truth: TruthPair[], rows: Pick<DiscoverRow, 'status' | 'cloudUpn' | 'samAccountName'>[]): DiscoverScore {
  const trueSam = new Map(truth.map((t) => [t.cloudUpn.toLowerCase(), t.samAccountName?.toLowerCase() ?? null]));
  const byUpn = new Map(rows.map((r) => [r.cloudUpn.toLowerCase(), r]));
  const isTrue = (r: Pick<DiscoverRow, 'cloudUpn' | 'samAccountName'>) => {
    const sam = trueSam.get(r.cloudUpn.toLowerCase());
    return Boolean(sam && r.samAccountName && sam === r.samAccountName.toLowerCase());
  };
  const precisionOf = (status: string) => {
    const proposed = rows.filter((r) => r.status === status);
    const correct = proposed.filter(isTrue).length;
    return { proposed: proposed.length, correct, precision: ratio(correct, proposed.length) };
  };
  const recall: DiscoverScore['recall'] = {};
  for (const t of truth) {
    if (!t.samAccountName) continue;
    const entry = (recall[t.kind] ??= { pairs: 0, found: 0, ready: 0, recall: 1 });
    entry.pairs += 1;
    const row = byUpn.get(t.cloudUpn.toLowerCase());
    if (row && (row.status === 'ready' || row.status === 'review') && isTrue(row)) {
      entry.found += 1;
      if (row.status === 'ready') entry.ready += 1;
    }
  }
  for (const entry of Object.values(recall)) entry.recall = ratio(entry.found, entry.pairs);
  return { ready: precisionOf('ready'), review: precisionOf('review'), recall };
}
