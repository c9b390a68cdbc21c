// A report's exit code, from its users' outcomes and the catalogue's kind of each code: a bug before the
// environment, then duplicates the service created, then users it refused, then matches not seen in time,
// then blocked users.
import { codeInfo } from '../codes.js';
import { EXIT } from '../exit-codes.js';
import type { RunReport } from './types.js';

export function exitCodeFor(report: RunReport): number {
  const codesOf = (outcome: string) => report.users.filter((u) => u.outcome === outcome).flatMap((u) => u.findings.filter((f) => f.severity === 'block').map((f) => f.code));
  const errorKinds = codesOf('error').map((code) => codeInfo(code).kind);
  if (errorKinds.includes('bug')) return EXIT.internal;
  if (errorKinds.length > 0 || report.summary.error > 0) return EXIT.environment;
  if (report.summary.duplicate > 0) return EXIT.duplicate;
  const failed = report.users.filter((u) => u.outcome === 'failed');
  const pending = (u: (typeof failed)[number]) => u.findings.some((f) => codeInfo(f.code).kind === 'pending');
  if (failed.some((u) => !pending(u))) return EXIT.partialFailure;
  if (failed.length > 0) return EXIT.verifyTimeout;
  if (report.summary.blocked > 0) return EXIT.blocked;
  return EXIT.ok;
}
