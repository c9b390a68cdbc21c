// Whether Entra Connect's AD connector synchronises an account (or a new account in an OU), as its filtering is
// configured: the domain partition selected, OU filtering (inclusions, and exclusions under them: the most
// specific container wins, as in the wizard's tree - a guess, Microsoft shows the tree, not the rule), and
// group-based filtering (only direct members of the group: "nested group membership is not resolved", a
// community write-up of Microsoft's filtering page, [3P]). Pure: reads the sync server facts only.
import type { SyncServerFacts } from '../facts.js';
import { isUnderDn, normalizeDn } from './names.js';

/** The sync server's lists of DNs, normalised once each (the rule runs for every row of a batch). */
const normalized = new WeakMap<readonly string[], string[]>();
function normalizedAll(dns: readonly string[]): string[] {
  let list = normalized.get(dns);
  if (!list) normalized.set(dns, (list = dns.map(normalizeDn)));
  return list;
}

/** The longest of the containers that holds the normalised DN ('' when none does). */
function deepest(dn: string, containers: readonly string[]): string {
  let best = '';
  for (const container of normalizedAll(containers)) if (container.length > best.length && isUnderDn(dn, container)) best = container;
  return best;
}

export interface ScopeTarget {
  /** The account's DN, or the OU a new account goes to. */
  dn: string;
  /** A new account: it is a member of no group yet. */
  create: boolean;
  /** The account's direct groups (undefined: not read, taken as none - the safe side). */
  memberOf?: readonly string[];
}

/** Why the target is out of the connector's scope, or null when it is in (or the scope is unknown). */
export function outOfSyncScope(target: ScopeTarget, sync: SyncServerFacts | null): string | null {
  if (!sync) return null;
  const dn = normalizeDn(target.dn);
  const partitions = sync.partitions ?? null;
  const partition = partitions?.filter((p) => isUnderDn(dn, normalizeDn(p.distinguishedName))).sort((a, b) => b.distinguishedName.length - a.distinguishedName.length)[0];
  if (partition && !partition.selected) return `its domain partition ${partition.distinguishedName} is not selected for synchronisation`;
  const inclusions = partition ? partition.inclusions : (sync.scopeOUs ?? null);
  const exclusions = partition ? partition.exclusions : [];
  if (partitions && !partition && inclusions === null) return 'no synchronised domain partition holds it';
  if (inclusions !== null) {
    const included = deepest(dn, inclusions);
    if (!included) return 'it is outside the OUs synchronised';
    const excluded = deepest(dn, exclusions);
    if (excluded && excluded.length >= included.length) return `it is in ${exclusions.find((e) => normalizeDn(e) === excluded) ?? excluded}, excluded from the sync scope`;
  }
  const group = sync.groupFilterDn ?? null;
  if (group) {
    if (target.create) return `a new account is not a member of the filtering group ${group} (group-based filtering)`;
    const member = (target.memberOf ?? []).some((g) => normalizeDn(g) === normalizeDn(group));
    if (!member) return `it is not a direct member of the filtering group ${group} (group-based filtering; nested membership does not count)`;
  }
  return null;
}
