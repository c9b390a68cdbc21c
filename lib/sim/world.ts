// Builds simulator worlds: the base tenant, forest and Entra Connect server that every scenario
// starts from, and helpers to add users. Deterministic for a given seed.
import { guidToImmutableId } from '../anchor.js';
import type { AdUser, BatchRow, CloudUser, SimState } from './state.js';

export const GLOBAL_ADMIN_TEMPLATE = '62e90394-69f5-4237-9190-012177145e10';
export const HELPDESK_ADMIN_TEMPLATE = '729827e3-9c14-49f7-bb1b-9608f156bbb8';

/** A small seeded PRNG (mulberry32): the same seed gives the same world. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class World {
  readonly state: SimState;
  readonly batch: BatchRow[] = [];
  /** The simulator's faults.json for this world (sim init writes it when set): e.g. a change made by another admin mid-run. */
  faults: Record<string, unknown> | null = null;
  /** The true pairs of a large world (sim init writes them to truth.json: for tests and the bench only). */
  truth: { cloudUpn: string; samAccountName: string | null; kind: string }[] | null = null;
  readonly random: () => number;
  private readonly dns = new Set<string>();
  private readonly now: Date;

  constructor(seed: number, now: Date) {
    this.random = seededRandom(seed);
    this.now = now;
    this.state = {
      version: 1,
      tenant: {
        tenantId: this.guid(),
        displayName: 'Contoso',
        onPremisesSyncEnabled: true,
        onPremisesLastSyncDateTime: iso(new Date(now.getTime() - 30 * 60_000)),
        dirSyncStartedAt: '2019-05-01T00:00:00.000Z',
        features: {
          softMatchOnUpnEnabled: true,
          blockSoftMatchEnabled: false,
          blockCloudObjectTakeoverThroughHardMatchEnabled: false,
          passwordSyncEnabled: true,
        },
        domains: [
          { id: 'contoso.com', isVerified: true, isDefault: true, authenticationType: 'Managed' },
          { id: 'contoso.onmicrosoft.com', isVerified: true, isDefault: false, isInitial: true, authenticationType: 'Managed' },
        ],
        users: [],
        deletedUsers: [],
        groups: [],
        contacts: [],
        directoryRoles: [
          { id: this.guid(), displayName: 'Global Administrator', roleTemplateId: GLOBAL_ADMIN_TEMPLATE, members: [] },
        ],
      },
      forest: {
        name: 'contoso.local',
        rootDomain: 'contoso.local',
        upnSuffixes: ['contoso.com'],
        globalCatalogs: ['dc01.contoso.local'],
        domains: [
          { DNSRoot: 'contoso.local', NetBIOSName: 'CONTOSO', DistinguishedName: 'DC=contoso,DC=local', PDCEmulator: 'dc01.contoso.local' },
        ],
        users: [],
      },
      sync: {
        serverName: 'AADC01',
        syncCycleEnabled: true,
        stagingModeEnabled: false,
        schedulerSuspended: false,
        syncScopeOUs: ['OU=Corp,DC=contoso,DC=local'],
        cycleDurationMs: 1500,
        cycle: null,
        joins: {},
        lastRun: null,
        // The last delta cycle ran half an hour ago: accounts unchanged since then are not re-read.
        deltaWatermark: iso(new Date(now.getTime() - 30 * 60_000)),
      },
    };
  }

  guid(): string {
    const hex = Array.from({ length: 32 }, () => Math.floor(this.random() * 16).toString(16)).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[Math.floor(this.random() * 4)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  timestamp(daysAgo: number): string {
    return iso(new Date(this.now.getTime() - daysAgo * 86_400_000));
  }

  addCloudUser(upn: string, given: string, surname: string, extra: Partial<CloudUser> = {}): CloudUser {
    const user: CloudUser = {
      id: this.guid(),
      userPrincipalName: upn,
      displayName: `${given} ${surname}`,
      givenName: given,
      surname,
      mail: upn,
      proxyAddresses: [`SMTP:${upn}`],
      userType: 'Member',
      accountEnabled: true,
      createdDateTime: this.timestamp(200),
      jobTitle: null,
      department: null,
      mobilePhone: null,
      officeLocation: null,
      onPremisesImmutableId: null,
      onPremisesSyncEnabled: null,
      onPremisesLastSyncDateTime: null,
      onPremisesProvisioningErrors: [],
      ...extra,
    };
    this.state.tenant.users.push(user);
    return user;
  }

  addAdUser(sam: string, given: string, surname: string, extra: Partial<AdUser> & { ou?: string } = {}): AdUser {
    const { ou = 'OU=Users,OU=Corp,DC=contoso,DC=local', ...rest } = extra;
    const name = `${given} ${surname}`;
    // A CN is unique in its container (AD refuses a second one): namesakes get their account name added, as admins do.
    let dn = `CN=${escapeRdn(name)},${ou}`;
    if (this.dns.has(dn.toLowerCase())) dn = `CN=${escapeRdn(`${name} (${sam})`)},${ou}`;
    this.dns.add(dn.toLowerCase());
    const user: AdUser = {
      ObjectGUID: this.guid(),
      SamAccountName: sam,
      UserPrincipalName: `${sam}@contoso.local`,
      DistinguishedName: dn,
      Name: name,
      GivenName: given,
      Surname: surname,
      DisplayName: name,
      mail: null,
      proxyAddresses: [],
      'mS-DS-ConsistencyGuid': null,
      Enabled: true,
      whenCreated: this.timestamp(300),
      whenChanged: this.timestamp(10),
      ...rest,
    };
    this.state.forest.users.push(user);
    return user;
  }

  /** An AD user already joined to its cloud user by an earlier sync. */
  addSyncedPair(sam: string, given: string, surname: string): { ad: AdUser; cloud: CloudUser } {
    const upn = `${sam}@contoso.com`;
    const ad = this.addAdUser(sam, given, surname, { UserPrincipalName: upn, mail: upn, proxyAddresses: [`SMTP:${upn}`] });
    const anchor = guidToImmutableId(ad.ObjectGUID);
    ad['mS-DS-ConsistencyGuid'] = anchor;
    const cloud = this.addCloudUser(upn, given, surname, {
      onPremisesImmutableId: anchor,
      onPremisesSyncEnabled: true,
      onPremisesLastSyncDateTime: this.timestamp(0.02),
    });
    this.state.sync.joins[ad.ObjectGUID] = cloud.id;
    return { ad, cloud };
  }

  /** A batch row that updates an existing AD account to carry the cloud UPN. */
  updateRow(cloudUpn: string, sam: string): void {
    this.batch.push({ cloudUpn, samAccountName: sam, distinguishedName: '', create: false, givenName: '', surname: '', ou: '' });
  }

  /** A batch row that creates a new AD account with the cloud UPN. */
  createRow(cloudUpn: string, sam: string, given: string, surname: string, ou = 'OU=Users,OU=Corp,DC=contoso,DC=local'): void {
    this.batch.push({ cloudUpn, samAccountName: sam, distinguishedName: '', create: true, givenName: given, surname, ou });
  }
}

function iso(date: Date): string {
  return date.toISOString();
}

/** Escapes a value for an LDAP relative distinguished name (RFC 4514). */
export function escapeRdn(value: string): string {
  return value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ');
}
