// A small builder of facts and batch rows for the checks' tests: a healthy tenant, forest and sync
// server (contoso.com verified and managed, fabrikam.com federated, AD users under OU=Corp in scope).
import type { BatchUser } from '../../../lib/batch/types.js';
import { anchorOf as libAnchorOf } from '../../../lib/anchor.js';
import type { AdUser, CloudObject, CloudUser, Facts, RoleHolding } from '../../../lib/facts.js';
import type { UserEvaluation } from '../../../lib/checks/index.js';

export const CORP_OU = 'OU=Users,OU=Corp,DC=contoso,DC=local';
export const SCOPE_OU = 'OU=Corp,DC=contoso,DC=local';

let counter = 0;

/** A fresh, well-formed GUID (deterministic within a run). */
export function nextGuid(): string {
  counter += 1;
  return `0a1b2c3d-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`;
}

export function makeCloudUser(upn: string, extra: Partial<CloudUser> = {}): CloudUser {
  return {
    id: nextGuid(),
    userPrincipalName: upn,
    displayName: null,
    givenName: null,
    surname: null,
    mail: upn,
    proxyAddresses: [`SMTP:${upn}`],
    userType: 'Member',
    accountEnabled: true,
    jobTitle: null,
    department: null,
    onPremisesImmutableId: null,
    onPremisesSyncEnabled: null,
    onPremisesLastSyncDateTime: null,
    onPremisesProvisioningErrors: [],
    ...extra,
  };
}

export function makeAdUser(sam: string, extra: Partial<AdUser> = {}): AdUser {
  return {
    ObjectGUID: nextGuid(),
    SamAccountName: sam,
    UserPrincipalName: `${sam}@contoso.local`,
    DistinguishedName: `CN=${sam},${CORP_OU}`,
    Name: sam,
    GivenName: null,
    Surname: null,
    DisplayName: null,
    mail: null,
    proxyAddresses: [],
    consistencyGuid: null,
    Enabled: true,
    ...extra,
  };
}

export function makeCloudObject(kind: CloudObject['kind'], extra: Partial<CloudObject> = {}): CloudObject {
  return {
    kind,
    id: nextGuid(),
    displayName: `some ${kind}`,
    userPrincipalName: null,
    mail: null,
    proxyAddresses: [],
    onPremisesImmutableId: null,
    ...extra,
  };
}

export function updateRow(cloudUpn: string, samAccountName: string | null, extra: Partial<BatchUser> = {}): BatchUser {
  return { row: 2, cloudUpn, samAccountName, distinguishedName: null, create: false, givenName: null, surname: null, ou: null, ...extra };
}

export function createRow(cloudUpn: string, samAccountName: string | null, extra: Partial<BatchUser> = {}): BatchUser {
  return { row: 2, cloudUpn, samAccountName, distinguishedName: null, create: true, givenName: 'Given', surname: 'Surname', ou: CORP_OU, ...extra };
}

/** Healthy facts with no users: every tenant and sync rule passes. */
export function makeFacts(): Facts {
  return {
    tenant: {
      tenantId: 'tenant-1',
      directorySyncEnabled: true,
      features: {
        softMatchOnUpnEnabled: true,
        blockSoftMatchEnabled: false,
        blockCloudObjectTakeoverThroughHardMatchEnabled: false,
        passwordSyncEnabled: false,
      },
      featuresSource: 'graph',
      featuresReadAt: '2026-01-01T00:00:00.000Z',
      featuresError: null,
      featuresDenied: false,
      domains: [
        { id: 'contoso.com', isVerified: true, authenticationType: 'Managed' },
        { id: 'contoso.onmicrosoft.com', isVerified: true, authenticationType: 'Managed' },
        { id: 'fabrikam.com', isVerified: true, authenticationType: 'Federated' },
        { id: 'pending.com', isVerified: false, authenticationType: 'Managed' },
      ],
      roleHolders: [],
      roleEligibilityError: null,
    },
    forest: {
      name: 'contoso.local',
      upnSuffixes: ['contoso.com', 'fabrikam.com', 'pending.com', 'nowhere.com'],
      domains: [
        { dnsRoot: 'contoso.local', distinguishedName: 'DC=contoso,DC=local' },
        { dnsRoot: 'emea.contoso.local', distinguishedName: 'DC=emea,DC=contoso,DC=local' },
      ],
    },
    cloudUsers: [],
    cloudObjects: [],
    adUsers: [],
    syncServer: {
      serverName: 'AADC01',
      syncCycleEnabled: true,
      stagingModeEnabled: false,
      syncCycleInProgress: false,
      schedulerSuspended: false,
      nextSyncCycleStartTimeInUTC: null,
      scopeOUs: [SCOPE_OU],
      anchorAttribute: 'mS-DS-ConsistencyGuid',
      upnAttribute: 'userPrincipalName',
    },
    enableFeatureAllowed: false,
  };
}

/** Adds a cloud-only user and an AD account ready to be matched by UPN; returns them and the row. */
export function addReadyPair(
  facts: Facts,
  upn: string,
  sam: string,
  extra: { cloud?: Partial<CloudUser>; ad?: Partial<AdUser>; row?: Partial<BatchUser> } = {},
): { cloud: CloudUser; ad: AdUser; row: BatchUser } {
  const cloud = makeCloudUser(upn, extra.cloud);
  const ad = makeAdUser(sam, extra.ad);
  facts.cloudUsers.push(cloud);
  facts.adUsers.push(ad);
  return { cloud, ad, row: updateRow(upn, sam, extra.row) };
}

/** The anchor of an AD account under the fixtures' server (mS-DS-ConsistencyGuid). */
export function anchorOf(user: AdUser): string {
  const anchor = libAnchorOf(user, 'mS-DS-ConsistencyGuid');
  if (anchor === null) throw new Error('no anchor');
  return anchor;
}

/** A role held by a user, of the given kind (active tenant-wide by default). */
export function roleHolding(userId: string, extra: Partial<RoleHolding> = {}): RoleHolding {
  return { userId, kind: 'active', roleName: 'Global Administrator', directoryScopeId: '/', viaGroup: null, ...extra };
}

export function codes(evaluation: { findings: { code: string }[] } | undefined): string[] {
  if (!evaluation) throw new Error('no evaluation');
  return evaluation.findings.map((f) => f.code);
}

export function first(evaluations: UserEvaluation[]): UserEvaluation {
  const evaluation = evaluations[0];
  if (!evaluation) throw new Error('no evaluation');
  return evaluation;
}
