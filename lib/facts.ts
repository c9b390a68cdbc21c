// The facts the collector gathers (through PowerShell) and the checks read (pure functions).
// Cloud objects use Graph's property names, AD objects the ActiveDirectory module's.
import { z } from 'zod';

export const DirSyncFeatures = z.object({
  softMatchOnUpnEnabled: z.boolean(),
  blockSoftMatchEnabled: z.boolean(),
  blockCloudObjectTakeoverThroughHardMatchEnabled: z.boolean(),
  passwordSyncEnabled: z.boolean(),
});
export type DirSyncFeatures = z.infer<typeof DirSyncFeatures>;

/**
 * One directory role a cloud user holds, as Graph serves it: an active assignment (roleAssignments) or a
 * PIM eligibility (roleEligibilityScheduleInstances); tenant-wide (scope "/") or scoped to an administrative
 * unit ("/administrativeUnits/{id}"); held by the user or by a role-assignable group the user is a member of.
 */
export const RoleHolding = z.object({
  userId: z.string(),
  kind: z.enum(['active', 'eligible']),
  roleName: z.string(),
  directoryScopeId: z.string(),
  /** The role-assignable group that holds the role for the user, or null when assigned to the user. */
  viaGroup: z.string().nullable(),
});
export type RoleHolding = z.infer<typeof RoleHolding>;

export const TenantFacts = z.object({
  tenantId: z.string(),
  directorySyncEnabled: z.boolean(),
  /** null when they could not be read (refused to this sign-in, or a flag missing: unknown, never off). */
  features: DirSyncFeatures.nullable(),
  /** Where `features` came from: read now, or a record saved by an earlier interactive `feature` run. */
  featuresSource: z.enum(['graph', 'record', 'unavailable']),
  featuresReadAt: z.string().nullable(),
  featuresError: z.string().nullable(),
  /** Graph refused this sign-in the read (401/403): only then may a run fall back to the feature record. */
  featuresDenied: z.boolean().default(false),
  domains: z.array(z.object({ id: z.string(), isVerified: z.boolean(), authenticationType: z.string() })),
  /** Every directory role a cloud user holds, one entry per assignment, of any kind (see RoleHolding). */
  roleHolders: z.array(RoleHolding),
  /** Why the PIM-eligible assignments could not be read (null when they were). */
  roleEligibilityError: z.string().nullable().default(null),
});
export type TenantFacts = z.infer<typeof TenantFacts>;

export const CloudUser = z.object({
  id: z.string(),
  userPrincipalName: z.string(),
  displayName: z.string().nullable(),
  givenName: z.string().nullable(),
  surname: z.string().nullable(),
  mail: z.string().nullable(),
  proxyAddresses: z.array(z.string()),
  userType: z.string().nullable(),
  accountEnabled: z.boolean().nullable(),
  jobTitle: z.string().nullable().optional(),
  department: z.string().nullable().optional(),
  onPremisesImmutableId: z.string().nullable(),
  onPremisesSyncEnabled: z.boolean().nullable(),
  onPremisesLastSyncDateTime: z.string().nullable(),
  onPremisesProvisioningErrors: z.array(z.unknown()),
  /** The SID of the on-premises account the user was synced from; it can remain after sync stops (rule sheet 2.3). */
  onPremisesSecurityIdentifier: z.string().nullable().optional(),
});
export type CloudUser = z.infer<typeof CloudUser>;

/** Any cloud object that holds one of the batch's keys (UPN, SMTP address, source anchor). */
export const CloudObject = z.object({
  kind: z.enum(['user', 'group', 'contact', 'deletedUser']),
  id: z.string(),
  displayName: z.string().nullable(),
  userPrincipalName: z.string().nullable(),
  mail: z.string().nullable(),
  proxyAddresses: z.array(z.string()),
  onPremisesImmutableId: z.string().nullable(),
});
export type CloudObject = z.infer<typeof CloudObject>;

export const AdUser = z.object({
  ObjectGUID: z.string(),
  SamAccountName: z.string(),
  UserPrincipalName: z.string().nullable(),
  DistinguishedName: z.string(),
  Name: z.string().nullable(),
  GivenName: z.string().nullable(),
  Surname: z.string().nullable(),
  DisplayName: z.string().nullable(),
  mail: z.string().nullable(),
  proxyAddresses: z.array(z.string()),
  /** mS-DS-ConsistencyGuid as base64, or null. */
  consistencyGuid: z.string().nullable(),
  /** The value of the server's custom source anchor attribute, when it uses one (a string as is, binary as base64). */
  customAnchor: z.string().nullable().optional(),
  Enabled: z.boolean().nullable(),
  /** The groups the account is a direct member of (group-based sync filtering reads no nested membership). */
  memberOf: z.array(z.string()).optional(),
});
export type AdUser = z.infer<typeof AdUser>;

export const SyncPartition = z.object({
  /** The domain's DNS name. */
  name: z.string(),
  distinguishedName: z.string(),
  /** An unselected partition synchronises nobody. */
  selected: z.boolean(),
  inclusions: z.array(z.string()),
  /** Containers left out under an included one (the most specific container wins). */
  exclusions: z.array(z.string()),
  /** The DCs the connector imports this domain from (its last-dc); empty when unknown. */
  domainControllers: z.array(z.string()),
});
export type SyncPartition = z.infer<typeof SyncPartition>;

export const SyncServerFacts = z.object({
  serverName: z.string(),
  syncCycleEnabled: z.boolean(),
  stagingModeEnabled: z.boolean(),
  syncCycleInProgress: z.boolean(),
  schedulerSuspended: z.boolean(),
  nextSyncCycleStartTimeInUTC: z.string().nullable(),
  /** OUs the AD connector synchronises (container inclusion list); null when unknown. */
  scopeOUs: z.array(z.string()).nullable(),
  /** Get-ADSyncGlobalSettings Microsoft.SynchronizationOption.AnchorAttribute; null when unknown. */
  anchorAttribute: z.string().nullable().default(null),
  /** Get-ADSyncGlobalSettings Microsoft.SynchronizationOption.UPNAttribute: where the cloud UPN comes from; null when unknown. */
  upnAttribute: z.string().nullable().default(null),
  /** The AD connector's partitions (one per domain); null or absent when unknown. */
  partitions: z.array(SyncPartition).nullable().optional(),
  /** Group-based filtering: only direct members of this group are synchronised; null when off. */
  groupFilterDn: z.string().nullable().optional(),
});
export type SyncServerFacts = z.infer<typeof SyncServerFacts>;

export const ForestFacts = z.object({
  name: z.string(),
  upnSuffixes: z.array(z.string()),
  domains: z.array(z.object({ dnsRoot: z.string(), distinguishedName: z.string() })),
  /** The domain the tool writes to, and every DC of it (where writes must show when the connector's DC is unknown). */
  writeDomain: z.string().optional(),
  writeDomainControllers: z.array(z.string()).optional(),
});
export type ForestFacts = z.infer<typeof ForestFacts>;

export interface Facts {
  tenant: TenantFacts;
  forest: ForestFacts;
  /** The batch's cloud users that exist (looked up by UPN). */
  cloudUsers: CloudUser[];
  /** Every other cloud object found holding a batch key: UPN, SMTP address or anchor (the batch's own users are in cloudUsers). */
  cloudObjects: CloudObject[];
  /** AD users holding a batch UPN anywhere in the forest, and the accounts the batch names. */
  adUsers: AdUser[];
  syncServer: SyncServerFacts | null;
  /** Whether `apply` may enable UPN soft match in the tenant (--enable-feature or the config). */
  enableFeatureAllowed: boolean;
  /** How old the recorded feature read is, when the run relies on one (app-only runs), and the age allowed. */
  featureRecordAge?: { ageHours: number; maxAgeHours: number } | null;
}
