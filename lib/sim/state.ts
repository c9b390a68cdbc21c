// The simulator's state file (DIR/state.json), as documented in docs/simulator-state.md.
// Cloud objects use Graph's property names; AD objects use the ActiveDirectory module's.

export interface CloudUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  proxyAddresses: string[];
  userType: 'Member' | 'Guest';
  accountEnabled: boolean;
  createdDateTime: string;
  jobTitle: string | null;
  department: string | null;
  mobilePhone: string | null;
  officeLocation: string | null;
  onPremisesImmutableId: string | null;
  onPremisesSyncEnabled: boolean | null;
  onPremisesLastSyncDateTime: string | null;
  onPremisesProvisioningErrors: unknown[];
}

export interface CloudObject {
  id: string;
  displayName: string;
  mail: string | null;
  proxyAddresses: string[];
}

export interface DirectoryRole {
  id: string;
  displayName: string;
  roleTemplateId: string;
  members: string[];
}

export interface AdUser {
  ObjectGUID: string;
  SamAccountName: string;
  UserPrincipalName: string | null;
  DistinguishedName: string;
  Name: string;
  GivenName: string | null;
  Surname: string | null;
  DisplayName: string | null;
  mail: string | null;
  proxyAddresses: string[];
  'mS-DS-ConsistencyGuid': string | null;
  Enabled: boolean;
  whenCreated: string;
  whenChanged: string;
}

export interface AdDomain {
  DNSRoot: string;
  NetBIOSName: string;
  DistinguishedName: string;
  PDCEmulator: string;
}

export interface SimState {
  version: 1;
  tenant: {
    tenantId: string;
    displayName: string;
    onPremisesSyncEnabled: boolean;
    onPremisesLastSyncDateTime: string | null;
    dirSyncStartedAt: string;
    features: Record<string, boolean>;
    domains: { id: string; isVerified: boolean; isDefault: boolean; authenticationType: 'Managed' | 'Federated' }[];
    users: CloudUser[];
    deletedUsers: CloudUser[];
    groups: CloudObject[];
    contacts: CloudObject[];
    directoryRoles: DirectoryRole[];
  };
  forest: {
    name: string;
    rootDomain: string;
    upnSuffixes: string[];
    globalCatalogs: string[];
    domains: AdDomain[];
    users: AdUser[];
  };
  sync: {
    serverName: string;
    syncCycleEnabled: boolean;
    stagingModeEnabled: boolean;
    schedulerSuspended: boolean;
    syncScopeOUs: string[];
    cycleDurationMs: number;
    cycle: { startedAt: string; endsAt: string; policyType: string } | null;
    joins: Record<string, string>;
    lastRun: unknown;
    /** Start of the last delta import: a delta cycle reads only AD users changed since (absent: all). */
    deltaWatermark?: string;
  };
}

/** One row of the batch file (users.csv), in the CSV format `plan` and `apply` read. */
export interface BatchRow {
  cloudUpn: string;
  samAccountName: string;
  distinguishedName: string;
  create: boolean;
  givenName: string;
  surname: string;
  ou: string;
}
