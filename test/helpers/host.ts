// The PowerShell host the tests use. Tests that need PowerShell must not be skipped in CI:
// when no host is found this throws, and the suite fails.
import { resolveHost } from '../../lib/bridge/hosts.js';

let cached: Promise<string> | undefined;

export function resolveTestHost(): Promise<string> {
  cached ??= resolveHost().then((h) => h.path);
  return cached;
}
