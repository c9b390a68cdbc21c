// The bundled simulator scenarios: each a small, readable world and the batch (users.csv) it is about.
import { guidToImmutableId } from '../anchor.js';
import { GLOBAL_ADMIN_TEMPLATE, HELPDESK_ADMIN_TEMPLATE, World } from './world.js';

export interface Scenario {
  name: string;
  description: string;
  /** What upn-match should conclude for the batch (documentation and end-to-end tests). */
  expect: string;
  build(world: World): void;
}

/** Every world has some users synced long ago, a group and a contact, as a real tenant does. */
function background(world: World): void {
  world.addSyncedPair('kfischer', 'Karl', 'Fischer');
  world.addSyncedPair('lnguyen', 'Linh', 'Nguyen');
  world.state.tenant.groups.push({ id: world.guid(), displayName: 'Sales', mail: 'sales@contoso.com', proxyAddresses: ['SMTP:sales@contoso.com'] });
  world.state.tenant.contacts.push({ id: world.guid(), displayName: 'Partner Desk', mail: 'desk@partner.example', proxyAddresses: ['SMTP:desk@partner.example'] });
}

/** One cloud-only user with an AD account to update: the base of most blocking scenarios. */
function oneReadyUser(world: World, sam = 'pjones', given = 'Paula', surname = 'Jones'): string {
  const upn = `${given.toLowerCase()}.${surname.toLowerCase()}@contoso.com`;
  world.addCloudUser(upn, given, surname);
  world.addAdUser(sam, given, surname);
  world.updateRow(upn, sam);
  return upn;
}

export const scenarios: Scenario[] = [
  {
    name: 'happy-path',
    description: 'Four cloud-only users ready to match (two AD accounts to update, two to create), with non-ASCII names.',
    expect: 'all four users matched by UPN',
    build(world) {
      world.addCloudUser('anna.mueller@contoso.com', 'Anna', 'Müller');
      world.addAdUser('amueller', 'Anna', 'Müller');
      world.updateRow('anna.mueller@contoso.com', 'amueller');
      world.addCloudUser('soren.ostergard@contoso.com', 'Søren', 'Østergård');
      world.addAdUser('sostergard', 'Søren', 'Østergård');
      world.updateRow('soren.ostergard@contoso.com', 'sostergard');
      world.addCloudUser('wei.zhang@contoso.com', '伟', '张');
      world.createRow('wei.zhang@contoso.com', 'wzhang', '伟', '张');
      world.addCloudUser('jose.garcia@contoso.com', 'José', 'García');
      world.createRow('jose.garcia@contoso.com', 'jgarcia', 'José', 'García');
    },
  },
  {
    name: 'smtp-conflict',
    description: "The AD account's primary SMTP address equals another cloud user's: SMTP matching would join the wrong user.",
    expect: 'paula.jones blocked (SMTP match with another cloud user); omar.haddad matched',
    build(world) {
      world.addCloudUser('paula.jones@contoso.com', 'Paula', 'Jones');
      world.addCloudUser('p.jones@contoso.com', 'Peter', 'Jones');
      world.addAdUser('pjones', 'Paula', 'Jones', { mail: 'p.jones@contoso.com', proxyAddresses: ['SMTP:p.jones@contoso.com'] });
      world.updateRow('paula.jones@contoso.com', 'pjones');
      oneReadyUser(world, 'ohaddad', 'Omar', 'Haddad');
    },
  },
  {
    name: 'already-synced',
    description: 'The cloud user already carries an onPremisesImmutableId and is synced: UPN matching works only once.',
    expect: 'lnguyen2 blocked (already synced)',
    build(world) {
      const pair = world.addSyncedPair('lnguyen2', 'Linh', 'Nguyen-Tran');
      world.addAdUser('lntran', 'Linh', 'Nguyen-Tran');
      world.updateRow(pair.cloud.userPrincipalName, 'lntran');
    },
  },
  {
    name: 'soft-match-blocked',
    description: 'The tenant has blockSoftMatchEnabled set: no soft match (SMTP or UPN) happens.',
    expect: 'every user blocked (soft match blocked in the tenant)',
    build(world) {
      world.state.tenant.features.blockSoftMatchEnabled = true;
      oneReadyUser(world);
    },
  },
  {
    name: 'feature-disabled',
    description: 'A tenant that began syncing before 2016-03-30: UPN soft match is off until enabled.',
    expect: 'blocked unless --enable-feature (then matched)',
    build(world) {
      world.state.tenant.dirSyncStartedAt = '2015-06-01T00:00:00.000Z';
      world.state.tenant.features.softMatchOnUpnEnabled = false;
      oneReadyUser(world);
    },
  },
  {
    name: 'duplicate-upn',
    description: 'The cloud UPN is already on another AD user, in a second domain of the forest.',
    expect: 'paula.jones blocked (UPN not unique in the forest)',
    build(world) {
      world.state.forest.domains.push({
        DNSRoot: 'emea.contoso.local',
        NetBIOSName: 'EMEA',
        DistinguishedName: 'DC=emea,DC=contoso,DC=local',
        PDCEmulator: 'dc01.emea.contoso.local',
      });
      const upn = oneReadyUser(world);
      world.addAdUser('pjones.emea', 'Paula', 'Jones', { UserPrincipalName: upn, ou: 'OU=Staff,DC=emea,DC=contoso,DC=local' });
    },
  },
  {
    name: 'staging-mode',
    description: 'The Entra Connect server is in staging mode: it imports but exports nothing.',
    expect: 'every user blocked (sync server in staging mode)',
    build(world) {
      world.state.sync.stagingModeEnabled = true;
      oneReadyUser(world);
    },
  },
  {
    name: 'cycle-running',
    description: 'A sync cycle is running when upn-match starts (for 10 seconds): it must wait, not interrupt.',
    expect: 'the run waits for the cycle, then matches the user',
    build(world) {
      const started = new Date();
      world.state.sync.cycle = {
        startedAt: started.toISOString(),
        endsAt: new Date(started.getTime() + 10_000).toISOString(),
        policyType: 'Delta',
      };
      oneReadyUser(world);
    },
  },
  {
    name: 'privileged-user',
    description: 'The cloud user holds the Global Administrator role: soft match never joins admins.',
    expect: 'adele.vance blocked (holds a directory role); paula.jones matched',
    build(world) {
      const admin = world.addCloudUser('adele.vance@contoso.com', 'Adele', 'Vance');
      world.state.tenant.directoryRoles[0]?.members.push(admin.id);
      world.addAdUser('avance', 'Adele', 'Vance');
      world.updateRow('adele.vance@contoso.com', 'avance');
      oneReadyUser(world);
    },
  },
  {
    name: 'unverified-domain',
    description: 'The UPN suffix (fabrikam.com) is not verified in the tenant: Entra Connect would replace it.',
    expect: 'megan.bowen blocked (UPN suffix not verified)',
    build(world) {
      world.state.tenant.domains.push({ id: 'fabrikam.com', isVerified: false, isDefault: false, authenticationType: 'Managed' });
      world.state.forest.upnSuffixes.push('fabrikam.com');
      world.addCloudUser('megan.bowen@fabrikam.com', 'Megan', 'Bowen');
      world.addAdUser('mbowen', 'Megan', 'Bowen');
      world.updateRow('megan.bowen@fabrikam.com', 'mbowen');
    },
  },
  {
    name: 'anchor-taken',
    description: "The AD account's source anchor already sits on another cloud object: hard match would win.",
    expect: 'paula.jones blocked (anchor held by another cloud user)',
    build(world) {
      const upn = oneReadyUser(world);
      const ad = world.state.forest.users.find((u) => u.SamAccountName === 'pjones');
      if (!ad) throw new Error('scenario anchor-taken: pjones missing');
      world.addCloudUser('paula.jones.old@contoso.com', 'Paula', 'Jones (old)', { onPremisesImmutableId: guidToImmutableId(ad.ObjectGUID) });
      void upn;
    },
  },
  {
    name: 'duplicate-created',
    description:
      'paula.jones plans as ready, but when the sync cycle starts another admin turns blockSoftMatchEnabled on (faults.json setFeatures): the soft match is refused and duplicate attribute resiliency provisions a second cloud user.',
    expect:
      'plan: paula.jones ready; apply: paula.jones duplicate, exit 7 - the report names the second cloud user paula.jones+NNNN@contoso.onmicrosoft.com (synced, with the AD account\'s anchor; no sync run error) and its object id, with the remedy; paula.jones@contoso.com is unchanged',
    build(world) {
      oneReadyUser(world);
      world.faults = { setFeatures: [{ command: 'Start-ADSyncSyncCycle', nth: 1, features: { blockSoftMatchEnabled: true } }] };
    },
  },
  {
    name: 'eligible-admin',
    description:
      'adele.vance is only PIM-eligible for Global Administrator (a roleEligibilityScheduleInstance, not an active assignment): no member of an activated role, but Entra would still not soft-match her (the simulator counts every kind of role).',
    expect: 'adele.vance blocked (CloudUserHoldsRole: Global Administrator, PIM-eligible); nothing written to AD for her; paula.jones matched',
    build(world) {
      const admin = world.addCloudUser('adele.vance@contoso.com', 'Adele', 'Vance');
      (world.state.tenant.roleEligibilities ??= []).push({ principalId: admin.id, roleDefinitionId: GLOBAL_ADMIN_TEMPLATE, directoryScopeId: '/' });
      world.addAdUser('avance', 'Adele', 'Vance');
      world.updateRow('adele.vance@contoso.com', 'avance');
      oneReadyUser(world);
    },
  },
  {
    name: 'group-admin',
    description:
      'alex.wilber holds Helpdesk Administrator only through the role-assignable group "Helpdesk Admins", scoped to an administrative unit: he is in no directory role\'s member list.',
    expect:
      'alex.wilber blocked (CloudUserHoldsRole: Helpdesk Administrator, through role-assignable group Helpdesk Admins, scoped to an administrative unit); nothing written to AD for him; paula.jones matched',
    build(world) {
      const admin = world.addCloudUser('alex.wilber@contoso.com', 'Alex', 'Wilber');
      const group = { id: world.guid(), displayName: 'Helpdesk Admins', mail: null, proxyAddresses: [], members: [admin.id], isAssignableToRole: true };
      world.state.tenant.groups.push(group);
      (world.state.tenant.roleAssignments ??= []).push({
        principalId: group.id,
        roleDefinitionId: HELPDESK_ADMIN_TEMPLATE,
        directoryScopeId: `/administrativeUnits/${world.guid()}`,
      });
      world.addAdUser('awilber', 'Alex', 'Wilber');
      world.updateRow('alex.wilber@contoso.com', 'awilber');
      oneReadyUser(world);
    },
  },
  {
    name: 'objectguid-anchor',
    description:
      'The Entra Connect server was installed with objectGUID as source anchor; the AD account carries a stale mS-DS-ConsistencyGuid (from another tool) that the server ignores.',
    expect: 'plan: paula.jones ready; apply: matched and verified in one run, the cloud user carrying the objectGUID anchor (not the stale mS-DS-ConsistencyGuid)',
    build(world) {
      world.state.sync.anchorAttribute = 'objectGUID';
      oneReadyUser(world);
      const ad = world.state.forest.users.find((u) => u.SamAccountName === 'pjones');
      if (!ad) throw new Error('scenario objectguid-anchor: pjones missing');
      ad['mS-DS-ConsistencyGuid'] = guidToImmutableId(world.guid());
    },
  },
  {
    name: 'alternate-login-id',
    description:
      'The Entra Connect server takes the cloud UPN from the AD mail attribute (alternate login ID): the userPrincipalName upn-match would write is not what Entra compares.',
    expect: 'every user blocked (AlternateLoginId: the cloud UPN comes from mail); nothing written to AD',
    build(world) {
      world.state.sync.upnAttribute = 'mail';
      oneReadyUser(world);
    },
  },
  {
    name: 'replication-delay',
    description:
      'Two domain controllers with 15 minutes of replication between them (another site): tools write on dc01 by default, but the Entra Connect AD connector imports from dc02.',
    expect:
      'paula.jones matched in one run: apply writes on dc02.contoso.local, the DC the connector reads (its last-dc), and reads the change back there before the delta sync',
    build(world) {
      const domain = world.state.forest.domains[0];
      if (!domain) throw new Error('scenario replication-delay: no domain');
      domain.domainControllers = ['dc01.contoso.local', 'dc02.contoso.local'];
      world.state.forest.replication = { delaySeconds: 900, currentDC: 'dc01.contoso.local' };
      world.state.sync.preferredDCs = ['dc02.contoso.local'];
      oneReadyUser(world);
    },
  },
  {
    name: 'excluded-ou',
    description: "paula.jones's AD account sits in OU=Contractors, which the AD connector's ContainerExclusionList leaves out of the synchronised OU=Corp.",
    expect: 'paula.jones blocked (account in an OU excluded from the sync scope), nothing written; omar.haddad matched',
    build(world) {
      world.state.sync.scopeExclusions = ['OU=Contractors,OU=Corp,DC=contoso,DC=local'];
      world.addCloudUser('paula.jones@contoso.com', 'Paula', 'Jones');
      world.addAdUser('pjones', 'Paula', 'Jones', { ou: 'OU=Contractors,OU=Corp,DC=contoso,DC=local' });
      world.updateRow('paula.jones@contoso.com', 'pjones');
      oneReadyUser(world, 'ohaddad', 'Omar', 'Haddad');
    },
  },
];

export const scenarioNames = scenarios.map((s) => s.name);

const GIVEN = ['Anna', 'Ben', 'Chloé', 'Dmitri', 'Eva', 'Farah', 'Gustav', 'Hana', 'Ivan', 'Józef', 'Kenji', 'Lena', 'Mateo', 'Nora', 'Oskar', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Tomás', 'Uma', 'Vera', 'Wei', 'Ximena', 'Yusuf', 'Zoë'];
const SURNAME = ['Müller', 'Schmidt', 'Østergård', 'García', 'Nowak', 'Rossi', 'Dubois', 'Smith', 'Kowalski', 'Yamamoto', 'Öztürk', 'Novák', 'Silva', 'Jensen', 'Papadopoulos', 'Ivanova', 'Haddad', 'Kim', 'Singh', 'Brown'];

/** How a batch user's AD account relates to its cloud user in a large world (what discover can find). */
export type TruthKind = 'upn' | 'smtp' | 'prefix' | 'proxy' | 'name' | 'none';

const SYLLABLES = ['ná', 'ber', 'go', 'lí', 'mé', 'ster', 'ka', 'ño', 'vi', 'sø', 'ro', 'tz', 'dú', 'len', 'ça', 'wi'];

/** A surname no other user of the world has (counter written in syllables), with diacritics. */
function uniqueSurname(n: number): string {
  let text = '';
  let rest = n + SYLLABLES.length ** 2;
  while (rest > 0) {
    text += SYLLABLES[rest % SYLLABLES.length];
    rest = Math.floor(rest / SYLLABLES.length);
  }
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The same text with an upper-case first letter of each part (a UPN typed by hand). */
function recased(upn: string): string {
  return upn.replace(/(^|[.@])([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
}

/** Share of each kind among the batch users of a large world. */
const KIND_SHARE: [TruthKind, number][] = [
  ['upn', 0.35],
  ['smtp', 0.2],
  ['prefix', 0.15],
  ['proxy', 0.1],
  ['name', 0.1],
  ['none', 0.1],
];

/**
 * A large, random but reproducible world for benchmarks: `users` cloud-only users ready to match
 * (each with an AD account to update), in a tenant of `tenantUsers` users (the rest already synced).
 * It carries the mess of a real one, from the seed: AD accounts that hold the cloud UPN in other case, the
 * cloud address as primary SMTP or only among the proxies, the UPN prefix in the forest's own suffix, only
 * the same name (with or without its accents), or nothing at all; names that many share; guests; cloud-only
 * users with no AD account; and pairs of AD accounts with one name. The true pairs go to world.truth
 * (sim init writes them to truth.json, which only tests and the bench read).
 */
export function buildLargeWorld(world: World, users: number, tenantUsers = users): void {
  background(world);
  for (let i = 0; i < Math.max(tenantUsers - users, 0); i += 1) {
    world.addSyncedPair(`s${i}`, world.pick(GIVEN), world.pick(SURNAME));
  }
  let unique = 0;
  const truth: { cloudUpn: string; samAccountName: string | null; kind: TruthKind }[] = [];
  for (let i = 0; i < users; i += 1) {
    let kind: TruthKind = 'none';
    let roll = world.random();
    for (const [k, share] of KIND_SHARE) {
      if (roll < share) {
        kind = k;
        break;
      }
      roll -= share;
    }
    const given = world.pick(GIVEN);
    const surname = kind === 'name' ? uniqueSurname(unique++) : world.pick(SURNAME);
    const upn = `u${i}.${ascii(given)}.${ascii(surname)}@contoso.com`;
    world.addCloudUser(upn, given, surname);
    const sam = `u${i}`;
    // Given the cloud UPN since the last delta cycle (else Entra Connect would have read and matched it already):
    // apply's write may then change nothing, and the next delta cycle still reads it.
    if (kind === 'upn') world.addAdUser(sam, given, surname, { UserPrincipalName: world.random() < 0.5 ? recased(upn) : upn, whenChanged: world.timestamp(0.001) });
    else if (kind === 'smtp') world.addAdUser(sam, given, surname, { mail: upn, proxyAddresses: [`SMTP:${upn}`] });
    else if (kind === 'prefix') world.addAdUser(sam, given, surname, { UserPrincipalName: upn.replace(/@.*$/, '@contoso.local') });
    else if (kind === 'proxy') world.addAdUser(sam, given, surname, { proxyAddresses: [`smtp:${upn}`] });
    // Half of them typed without the accents in AD.
    else if (kind === 'name') world.addAdUser(sam, world.random() < 0.5 ? plain(given) : given, world.random() < 0.5 ? plain(surname) : surname);
    else world.addAdUser(sam, given, surname);
    world.updateRow(upn, sam);
    truth.push({ cloudUpn: upn, samAccountName: sam, kind });
  }
  // Guests: left out of discover and counted.
  for (let i = 0; i < Math.max(1, Math.round(tenantUsers * 0.02)); i += 1) {
    world.addCloudUser(`guest${i}_partner.example#EXT#@contoso.onmicrosoft.com`, world.pick(GIVEN), world.pick(SURNAME), {
      userType: 'Guest',
      mail: `guest${i}@partner.example`,
      proxyAddresses: [`SMTP:guest${i}@partner.example`],
    });
  }
  // Cloud-only users with no AD account: discover suggests a create row (with --ou).
  for (let i = 0; i < Math.max(1, Math.round(users * 0.05)); i += 1) {
    const given = world.pick(GIVEN);
    const surname = uniqueSurname(unique++);
    const upn = `c${i}.${ascii(given)}.${ascii(surname)}@contoso.com`;
    world.addCloudUser(upn, given, surname);
    truth.push({ cloudUpn: upn, samAccountName: null, kind: 'none' });
  }
  // One cloud user, two AD accounts with its name: ambiguous, never proposed.
  for (let i = 0; i < Math.max(1, Math.round(users * 0.02)); i += 1) {
    const given = world.pick(GIVEN);
    const surname = uniqueSurname(unique++);
    world.addCloudUser(`t${i}.${ascii(given)}.${ascii(surname)}@contoso.com`, given, surname);
    world.addAdUser(`t${i}a`, given, surname);
    world.addAdUser(`t${i}b`, plain(given), plain(surname));
    truth.push({ cloudUpn: `t${i}.${ascii(given)}.${ascii(surname)}@contoso.com`, samAccountName: `t${i}a`, kind: 'name' });
  }
  world.truth = truth;
}

/** Without its accents (as typed on a keyboard without them). */
function plain(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').replace(/ø/g, 'o').replace(/Ø/g, 'O');
}

function ascii(text: string): string {
  return text.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase();
}

export function buildScenario(name: string, seed: number, now = new Date()): World {
  const scenario = scenarios.find((s) => s.name === name);
  if (!scenario) throw new Error(`unknown scenario "${name}"; known: ${scenarioNames.join(', ')}`);
  const world = new World(seed, now);
  background(world);
  scenario.build(world);
  return world;
}
