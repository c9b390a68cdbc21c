// The simulator's state file (DIR/state.json), as documented in docs/simulator-state.md: typed once, as zod
// schemas, with the TypeScript types inferred from them. Cloud objects use Graph's property names; AD objects
// use the ActiveDirectory module's. The optional fields are the ones the fakes read or write beyond the base
// shape. Parsing checks a world (test/sim/state.test.ts); it drops keys a schema does not name, so code that
// writes state.json writes the object it built, not a parsed copy.
import { z } from 'zod';

const nullableString = z.string().nullable();

export const CloudUserSchema = z.object({
  id: z.string(),
  userPrincipalName: z.string(),
  displayName: z.string(),
  givenName: nullableString,
  surname: nullableString,
  mail: nullableString,
  proxyAddresses: z.array(z.string()),
  userType: z.enum(['Member', 'Guest']),
  accountEnabled: z.boolean(),
  createdDateTime: z.string(),
  jobTitle: nullableString,
  department: nullableString,
  mobilePhone: nullableString,
  officeLocation: nullableString,
  onPremisesImmutableId: nullableString,
  onPremisesSyncEnabled: z.boolean().nullable(),
  onPremisesLastSyncDateTime: nullableString,
  onPremisesProvisioningErrors: z.array(z.unknown()),
  /** Soft-deleted users (tenant.deletedUsers) carry it. */
  deletedDateTime: nullableString.optional(),
  assignedLicenses: z.array(z.unknown()).optional(),
  mailNickname: nullableString.optional(),
  // Written by the sync engine.
  onPremisesDistinguishedName: nullableString.optional(),
  onPremisesDomainName: nullableString.optional(),
  onPremisesSamAccountName: nullableString.optional(),
  onPremisesUserPrincipalName: nullableString.optional(),
  onPremisesSecurityIdentifier: nullableString.optional(),
});
export type CloudUser = z.infer<typeof CloudUserSchema>;

/** A group or a contact. */
export const CloudObjectSchema = z.object({
  id: z.string(),
  displayName: z.string(),
  mail: nullableString,
  proxyAddresses: z.array(z.string()),
  /** Group members (user ids), for memberOf / transitiveMemberOf. */
  members: z.array(z.string()).optional(),
  /** A role-assignable group: it can hold directory roles for its members. */
  isAssignableToRole: z.boolean().optional(),
});
export type CloudObject = z.infer<typeof CloudObjectSchema>;

export const DirectoryRoleSchema = z.object({
  id: z.string(),
  displayName: z.string(),
  roleTemplateId: z.string(),
  members: z.array(z.string()),
  description: z.string().optional(),
});
export type DirectoryRole = z.infer<typeof DirectoryRoleSchema>;

/**
 * A unified role assignment (active: tenant.roleAssignments) or PIM eligibility (tenant.roleEligibilities), as
 * Graph's roleManagement/directory serves them. principalId is a user or a role-assignable group;
 * directoryScopeId is "/" (tenant-wide) or "/administrativeUnits/{id}".
 */
export const RoleAssignmentSchema = z.object({
  principalId: z.string(),
  roleDefinitionId: z.string(),
  directoryScopeId: z.string(),
});
export type RoleAssignment = z.infer<typeof RoleAssignmentSchema>;

export const CloudDomainSchema = z.object({
  id: z.string(),
  isVerified: z.boolean(),
  isDefault: z.boolean(),
  authenticationType: z.enum(['Managed', 'Federated']),
  isInitial: z.boolean().optional(),
});
export type CloudDomain = z.infer<typeof CloudDomainSchema>;

/** An app registration for app-only Connect-MgGraph. */
export const AppRegistrationSchema = z.object({
  appId: z.string(),
  displayName: z.string().optional(),
  certificateThumbprints: z.array(z.string()).optional(),
  /** Granted application permissions. */
  roles: z.array(z.string()).optional(),
  /** This entry is the machine's managed identity (Connect-MgGraph -Identity gets its roles). */
  managedIdentity: z.boolean().optional(),
});
export type AppRegistration = z.infer<typeof AppRegistrationSchema>;

/** Any other attribute of an AD user is kept under its LDAP name (title, department, extensionAttribute1...). */
export const AdUserSchema = z
  .object({
    ObjectGUID: z.string(),
    SamAccountName: z.string(),
    UserPrincipalName: nullableString,
    DistinguishedName: z.string(),
    Name: z.string(),
    GivenName: nullableString,
    Surname: nullableString,
    DisplayName: nullableString,
    mail: nullableString,
    proxyAddresses: z.array(z.string()),
    /** base64 of 16 bytes */
    'mS-DS-ConsistencyGuid': nullableString,
    Enabled: z.boolean(),
    whenCreated: z.string(),
    whenChanged: z.string(),
    SID: z.string().optional(),
    userAccountControl: z.number().int().optional(),
  })
  .catchall(z.unknown());
export type AdUser = z.infer<typeof AdUserSchema>;

export const AdDomainSchema = z.object({
  DNSRoot: z.string(),
  NetBIOSName: z.string(),
  DistinguishedName: z.string(),
  PDCEmulator: z.string(),
  DomainSID: z.string().optional(),
  domainControllers: z.array(z.string()).optional(),
  DomainMode: z.string().optional(),
  ObjectGUID: z.string().optional(),
});
export type AdDomain = z.infer<typeof AdDomainSchema>;

export const SyncCycleSchema = z.object({
  startedAt: z.string(),
  endsAt: z.string(),
  policyType: z.string(),
  runHistoryId: z.string().optional(),
});
export type SyncCycle = z.infer<typeof SyncCycleSchema>;

export const SimStateSchema = z.object({
  version: z.literal(1),
  tenant: z.object({
    tenantId: z.string(),
    displayName: z.string(),
    onPremisesSyncEnabled: z.boolean(),
    onPremisesLastSyncDateTime: nullableString,
    dirSyncStartedAt: z.string(),
    /** onPremisesDirectorySynchronizationFeature names */
    features: z.record(z.string(), z.boolean()),
    domains: z.array(CloudDomainSchema),
    users: z.array(CloudUserSchema),
    deletedUsers: z.array(CloudUserSchema),
    groups: z.array(CloudObjectSchema),
    contacts: z.array(CloudObjectSchema),
    directoryRoles: z.array(DirectoryRoleSchema),
    /** Active role assignments besides the activated roles' members (group principals, administrative-unit scopes). */
    roleAssignments: z.array(RoleAssignmentSchema).optional(),
    /** PIM-eligible role assignments. */
    roleEligibilities: z.array(RoleAssignmentSchema).optional(),
    onPremisesSynchronizationConfiguration: z.unknown().optional(),
    apps: z.array(AppRegistrationSchema).optional(),
    /** Who Connect-MgGraph -Scopes signs in as (default: the first Global Administrator). */
    delegatedAccount: z.string().optional(),
    /** true: Graph serves GET /directory/onPremisesSynchronization to an app granted OnPremDirectorySynchronization.Read.All (sources disagree; default false: refused). */
    appOnlyFeatureRead: z.boolean().optional(),
    countryLetterCode: z.string().optional(),
  }),
  forest: z.object({
    name: z.string(),
    rootDomain: z.string(),
    upnSuffixes: z.array(z.string()),
    globalCatalogs: z.array(z.string()),
    domains: z.array(AdDomainSchema),
    users: z.array(AdUserSchema),
    /** When present: the only containers (plus domains and CN=Users) that exist. */
    organizationalUnits: z.array(z.string()).optional(),
    /** Extra LDAP attributes Set-ADUser -Replace may use. */
    schemaAttributes: z.array(z.string()).optional(),
    nextRid: z.number().int().optional(),
    forestMode: z.string().optional(),
    sites: z.array(z.string()).optional(),
    /** Several DCs per domain (domains[].domainControllers): a write reaches the other DCs after delaySeconds. */
    replication: z
      .object({
        /** Default 15 (the intra-site notification delay); inter-site links take longer. */
        delaySeconds: z.number().optional(),
        /** The DC a call without -Server reaches (default: the domain's PDC emulator). */
        currentDC: z.string().optional(),
        /** Writes not yet on every DC: the other DCs still serve `before` (null: not created there yet). */
        pending: z
          .array(z.object({ objectGuid: z.string(), dc: z.string(), at: z.string(), replicatesAt: z.string(), before: z.unknown(), receivedBy: z.array(z.string()) }))
          .optional(),
      })
      .optional(),
  }),
  sync: z.object({
    serverName: z.string(),
    syncCycleEnabled: z.boolean(),
    stagingModeEnabled: z.boolean(),
    schedulerSuspended: z.boolean(),
    /** DNs; a user is in scope when its DN ends with one (missing: every user). */
    syncScopeOUs: z.array(z.string()),
    /** The AD connector partitions' ContainerExclusionList: OUs left out (the most specific container wins). */
    scopeExclusions: z.array(z.string()).optional(),
    /** DNs of domains whose partition is not selected: none of their users is synchronised. */
    unselectedPartitions: z.array(z.string()).optional(),
    /** Group-based filtering: the group's DN; only its direct members (AD user memberOf) are synchronised. */
    groupFilter: z.string().optional(),
    /** The AD connector's preferred DCs: it imports each domain from the first that is a DC of it (else the PDC). */
    preferredDCs: z.array(z.string()).optional(),
    cycleDurationMs: z.number(),
    cycle: SyncCycleSchema.nullable(),
    /** AD ObjectGUID -> cloud user id */
    joins: z.record(z.string(), z.string()),
    lastRun: z.unknown(),
    /** Start of the last delta import: a delta cycle reads only AD users changed since (absent: all). */
    deltaWatermark: z.string().optional(),
    syncIntervalMinutes: z.number().optional(),
    customizedSyncCycleInterval: nullableString.optional(),
    maintenanceEnabled: z.boolean().optional(),
    nextSyncCyclePolicyType: z.string().optional(),
    nextCycleAt: nullableString.optional(),
    runNumber: z.number().int().optional(),
    runHistory: z.array(z.unknown()).optional(),
    /** Source anchor attribute chosen at install: mS-DS-ConsistencyGuid (default), objectGUID or another attribute's LDAP name. */
    anchorAttribute: z.string().optional(),
    /** The AD attribute the cloud UPN comes from: userPrincipalName (default), or e.g. mail (alternate login ID). */
    upnAttribute: z.string().optional(),
  }),
});
export type SimState = z.infer<typeof SimStateSchema>;

/** One row of the batch file (users.csv), in the CSV format `plan` and `apply` read. */
export const BatchRowSchema = z.object({
  cloudUpn: z.string(),
  samAccountName: z.string(),
  distinguishedName: z.string(),
  create: z.boolean(),
  givenName: z.string(),
  surname: z.string(),
  ou: z.string(),
});
export type BatchRow = z.infer<typeof BatchRowSchema>;
