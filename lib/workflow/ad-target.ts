// Where apply writes AD, and where the write must be visible before the delta sync starts. Entra Connect's AD
// connector imports a domain from one domain controller; a write on another DC reaches it only after
// replication (15 s within a site, the site link's schedule across sites: KB 214678), and a delta import that
// runs first misses it. Which DC the connector uses is not documented (rule sheet 6.6): upn-match reads the
// partition's last-dc from the sync server and, when that is unknown, takes the safe side - every DC of the
// domain must serve the change.
import type { Facts } from '../facts.js';

export interface AdTarget {
  /** The DC to write on (-Server); null: the module's default. */
  server: string | null;
  /** The DCs that must serve the change before the sync; empty: the default DC only (nothing else is known). */
  confirmOn: string[];
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function adTarget(facts: Facts, configServer?: string): AdTarget {
  const domain = facts.forest.writeDomain;
  const partition = domain ? facts.syncServer?.partitions?.find((p) => same(p.name, domain)) : undefined;
  const connectorDcs = partition?.domainControllers ?? [];
  // The connector's DC wins over the configured server: a write there is seen by the next import at once.
  if (connectorDcs.length > 0) return { server: connectorDcs[0]!, confirmOn: connectorDcs };
  const domainDcs = facts.forest.writeDomainControllers ?? [];
  if (domainDcs.length === 0) return { server: configServer ?? null, confirmOn: configServer ? [configServer] : [] };
  const server = configServer && domainDcs.some((dc) => same(dc, configServer)) ? configServer : domainDcs[0]!;
  return { server, confirmOn: domainDcs };
}
