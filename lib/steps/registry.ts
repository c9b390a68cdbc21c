// One record per PowerShell step: which script, on which host, what goes in and comes out, whether
// it writes, and how long it may take. The CLI, --help and the docs read this table.
import { z } from 'zod';
import { LDAP_DISPLAY_NAME } from '../anchor.js';
import type { PowerShellRunner, ProgressSink, ScriptOutput } from '../bridge/index.js';
import { AdUser, CloudObject, CloudUser, ForestFacts, SyncServerFacts, TenantFacts } from '../facts.js';

export type StepHost = 'local' | 'sync-server';

/** The Entra Connect server when it is another computer (reached with Invoke-Command); undefined for 'local' and 'localhost'. */
export function remoteSyncServer(computerName: string | undefined): string | undefined {
  const name = computerName ?? 'local';
  return /^(local|localhost)$/i.test(name) ? undefined : name;
}

export interface StepDefinition<I, O> {
  id: string;
  title: string;
  script: string;
  host: StepHost;
  /** The PowerShell edition the step's modules need here ('Desktop': Windows PowerShell 5.1); the bridge picks the host (chooseStepHost). */
  edition?: 'Desktop';
  input: z.ZodType<I>;
  output: z.ZodType<O>;
  mutates: boolean;
  timeoutMs: number;
  /** PowerShell modules the script imports, on the host it runs on (the bundled UpnMatch.* aside). */
  modules: readonly string[];
  /** Graph routes it calls (v1.0); the GETs it sends inside a POST /$batch are listed as well. */
  graphRoutes: readonly string[];
}

function defineStep<I, O>(step: StepDefinition<I, O>): StepDefinition<I, O> {
  return step;
}

export const HostInfoOutput = z.object({
  edition: z.string(),
  version: z.string(),
  os: z.string(),
  executable: z.string(),
});

export const ModuleStatus = z.object({
  name: z.string(),
  installed: z.boolean(),
  importable: z.boolean(),
  version: z.string().nullable(),
  path: z.string().nullable(),
  error: z.string().nullable(),
});
export type ModuleStatus = z.infer<typeof ModuleStatus>;

/** How the Graph-using scripts sign in (from the config): app-only (certificate, managed identity) or delegated. */
const GraphSignIn = {
  Auth: z.enum(['certificate', 'managed-identity', 'interactive', 'device-code']).optional(),
  Environment: z.enum(['Global', 'USGov', 'USGovDoD', 'China']).optional(),
  TenantId: z.string().optional(),
  ClientId: z.string().optional(),
  CertificateThumbprint: z.string().regex(/^[0-9A-Fa-f]{40}$/).optional(),
  CertificateSubject: z.string().optional(),
};

const AdWriteOutput = z.object({
  action: z.enum(['update', 'create']),
  objectGuid: z.string().nullable(),
  distinguishedName: z.string().nullable(),
  samAccountName: z.string().nullable(),
  previousUserPrincipalName: z.string().nullable(),
  changed: z.boolean(),
  created: z.boolean(),
  whatIf: z.boolean(),
});
export type AdWriteOutput = z.infer<typeof AdWriteOutput>;

/** Users per Set-AdUserForMatch call: at most this many (the engine's chunk size is an option up to it). */
export const AD_WRITE_CHUNK_MAX = 100;

/** One user to write: an update of the account the plan found (ObjectGuid...), by name, or a create. */
const AdWriteItem = z
  .object({
    UserPrincipalName: z.string().min(1),
    SamAccountName: z.string().optional(),
    DistinguishedName: z.string().optional(),
    ObjectGuid: z.string().uuid().optional(),
    PreviousUserPrincipalName: z.string().optional(),
    Create: z.boolean().optional(),
    GivenName: z.string().optional(),
    Surname: z.string().optional(),
    Path: z.string().optional(),
  })
  .strict();
export type AdWriteItem = z.infer<typeof AdWriteItem>;

/** Each user's result, in input order: what was written, or why not (the others are still written). */
const AdWriteResult = z.object({
  userPrincipalName: z.string(),
  result: AdWriteOutput.nullable(),
  error: z.object({ code: z.string(), category: z.string(), message: z.string() }).nullable(),
});

export const MatchStatus = z.object({
  userPrincipalName: z.string(),
  found: z.boolean(),
  id: z.string().nullable(),
  onPremisesImmutableId: z.string().nullable(),
  onPremisesSyncEnabled: z.boolean().nullable(),
  onPremisesLastSyncDateTime: z.string().nullable(),
  /** Other users carrying the anchor asked for: a duplicate the service created instead of the match. */
  anchorHolders: z.array(z.object({ id: z.string(), userPrincipalName: z.string(), onPremisesSyncEnabled: z.boolean().nullable() })).default([]),
});
export type MatchStatus = z.infer<typeof MatchStatus>;

/** What pairing reads of a cloud-only member user. */
export const DiscoverCloudUser = CloudUser.pick({ id: true, userPrincipalName: true, displayName: true, givenName: true, surname: true, mail: true, proxyAddresses: true });
export type DiscoverCloudUser = z.infer<typeof DiscoverCloudUser>;

/** Every user of the tenant, as discover reads it once: what plan's cloud facts take instead of a read of their own. */
export const TenantUsersRead = z.object({
  /** The cloud-only members kept (filters applied), in full: the batch's cloud users. */
  users: z.array(CloudUser),
  /** Every other user, short: their anchors say which AD accounts are represented already. */
  others: z.array(CloudObject),
});
export type TenantUsersRead = z.infer<typeof TenantUsersRead>;

const DiscoverCloudOutput = TenantUsersRead.extend({
  counts: z.object({ read: z.number(), guests: z.number(), synced: z.number(), anchored: z.number(), filteredOut: z.number() }),
});

/** The forest and AD accounts, as Get-AdFacts (the batch's) and Get-DiscoverAdUsers (all) read them. */
const AdFactsOutput = z.object({ forest: ForestFacts, writeDomain: z.string(), writeDomainControllers: z.array(z.string()).optional(), users: z.array(AdUser) });
export type AdFactsOutput = z.infer<typeof AdFactsOutput>;

const GRAPH = 'Microsoft.Graph.Authentication';

export const steps = {
  hostInfo: defineStep({
    id: 'host-info',
    title: 'Describe the PowerShell host',
    script: 'steps/Get-HostInfo.ps1',
    host: 'local',
    input: z.object({}).strict(),
    output: HostInfoOutput,
    mutates: false,
    timeoutMs: 30_000,
    modules: [],
    graphRoutes: [],
  }),
  moduleCheck: defineStep({
    id: 'module-check',
    title: 'Check that the needed modules import',
    script: 'steps/Test-ModuleAvailability.ps1',
    host: 'local',
    input: z.object({ Name: z.array(z.string().regex(/^[A-Za-z0-9._-]+$/)).min(1), ComputerName: z.string().optional() }).strict(),
    output: z.object({ modules: z.array(ModuleStatus) }),
    mutates: false,
    timeoutMs: 120_000,
    // It imports the modules it is asked about; it needs none itself.
    modules: [],
    graphRoutes: [],
  }),
  tenantFacts: defineStep({
    id: 'tenant-facts',
    title: 'Read the tenant: directory sync, sync features, domains, role holders',
    script: 'steps/Get-TenantFacts.ps1',
    host: 'local',
    input: z.object({ ...GraphSignIn }).strict(),
    output: TenantFacts,
    mutates: false,
    timeoutMs: 300_000,
    modules: [GRAPH],
    graphRoutes: [
      'POST /$batch',
      'GET /organization',
      'GET /domains',
      'GET /roleManagement/directory/roleDefinitions',
      'GET /roleManagement/directory/roleAssignments',
      'GET /roleManagement/directory/roleEligibilityScheduleInstances',
      'GET /groups/{id}/members',
      'GET /directory/onPremisesSynchronization',
    ],
  }),
  adFacts: defineStep({
    id: 'ad-facts',
    title: 'Read the forest and the AD accounts of the batch',
    script: 'steps/Get-AdFacts.ps1',
    host: 'local',
    input: z
      .object({
        UserPrincipalName: z.array(z.string()),
        SamAccountName: z.array(z.string()),
        DistinguishedName: z.array(z.string()),
        Server: z.string().optional(),
        ChunkSize: z.number().int().optional(),
        /** The sync server's custom source anchor attribute, to read on each account (not for objectGUID / mS-DS-ConsistencyGuid). */
        AnchorAttribute: z.string().regex(LDAP_DISPLAY_NAME).optional(),
      })
      .strict(),
    output: AdFactsOutput,
    mutates: false,
    timeoutMs: 600_000,
    modules: ['ActiveDirectory'],
    graphRoutes: [],
  }),
  cloudFacts: defineStep({
    id: 'cloud-facts',
    title: 'Find the cloud users and every cloud object holding a batch key',
    script: 'steps/Get-CloudFacts.ps1',
    host: 'local',
    input: z
      .object({
        UserPrincipalName: z.array(z.string()),
        Address: z.array(z.string()),
        Anchor: z.array(z.string()),
        /** /users was read already (discover): groups, contacts and deleted users only, every one read (the caller filters). */
        SkipUsers: z.boolean().optional(),
        ...GraphSignIn,
      })
      .strict(),
    output: z.object({
      cloudUsers: z.array(CloudUser),
      cloudObjects: z.array(CloudObject),
      scanned: z.record(z.string(), z.number()),
    }),
    mutates: false,
    timeoutMs: 1_800_000,
    modules: [GRAPH],
    graphRoutes: ['GET /users', 'POST /$batch', 'GET /groups', 'GET /contacts', 'GET /directory/deletedItems/microsoft.graph.user'],
  }),
  syncFacts: defineStep({
    id: 'sync-facts',
    title: 'Read the Entra Connect scheduler, sync scope, source anchor and UPN attribute',
    script: 'steps/Get-SyncServerFacts.ps1',
    host: 'sync-server',
    edition: 'Desktop',
    input: z.object({ ComputerName: z.string() }).strict(),
    output: SyncServerFacts,
    mutates: false,
    timeoutMs: 120_000,
    modules: ['ADSync'],
    graphRoutes: [],
  }),
  enableFeature: defineStep({
    id: 'feature-enabled',
    title: 'Enable UPN soft match in the tenant (cannot be undone)',
    script: 'steps/Set-DirSyncFeature.ps1',
    host: 'local',
    input: z
      .object({ Feature: z.enum(['softMatchOnUpnEnabled', 'blockSoftMatchEnabled', 'blockCloudObjectTakeoverThroughHardMatchEnabled']), Enable: z.boolean(), WhatIf: z.boolean().optional(), ...GraphSignIn })
      .strict(),
    output: z.object({ feature: z.string(), enabled: z.boolean(), changed: z.boolean() }),
    mutates: true,
    timeoutMs: 120_000,
    modules: [GRAPH],
    graphRoutes: ['GET /directory/onPremisesSynchronization', 'PATCH /directory/onPremisesSynchronization/{id}'],
  }),
  adWrite: defineStep({
    id: 'ad-written',
    title: 'Create or update the AD accounts with exactly their cloud UPNs (a chunk of users per call)',
    script: 'steps/Set-AdUserForMatch.ps1',
    host: 'local',
    input: z
      .object({
        Users: z.array(AdWriteItem).min(1).max(AD_WRITE_CHUNK_MAX),
        Server: z.string().optional(),
        WhatIf: z.boolean().optional(),
      })
      .strict(),
    output: z.object({ results: z.array(AdWriteResult) }),
    mutates: true,
    // A chunk of AD_WRITE_CHUNK_MAX users at one second each, the slowest a domain controller should be.
    timeoutMs: AD_WRITE_CHUNK_MAX * 1_000,
    modules: ['ActiveDirectory'],
    graphRoutes: [],
  }),
  adConfirm: defineStep({
    id: 'ad-confirmed',
    title: 'Read the written accounts back on the DCs Entra Connect imports from (replicating them there first with Sync-ADObject)',
    script: 'steps/Confirm-AdChangeOnDc.ps1',
    host: 'local',
    input: z
      .object({
        Users: z.array(z.object({ ObjectGuid: z.string().uuid(), UserPrincipalName: z.string(), DistinguishedName: z.string().describe('DN, or the objectGUID when the DN is unknown') }).strict()).min(1),
        DomainControllers: z.array(z.string()).optional(),
        Source: z.string().optional(),
      })
      .strict(),
    output: z.object({
      users: z.array(z.object({ objectGuid: z.string(), visibleOn: z.array(z.string()), missingOn: z.array(z.string()) })),
      replicated: z.number().int(),
    }),
    mutates: true,
    timeoutMs: 600_000,
    modules: ['ActiveDirectory'],
    graphRoutes: [],
  }),
  adUndo: defineStep({
    id: 'ad-undone',
    title: 'Undo the AD change of a run (restore the UPN or remove the created account)',
    script: 'steps/Undo-AdUserChange.ps1',
    host: 'local',
    input: z
      .object({
        ObjectGuid: z.string().uuid(),
        Action: z.enum(['restore-upn', 'remove']),
        ExpectedUserPrincipalName: z.string(),
        PreviousUserPrincipalName: z.string().optional(),
        Server: z.string().optional(),
        WhatIf: z.boolean().optional(),
      })
      .strict(),
    output: z.object({ objectGuid: z.string(), action: z.string(), done: z.boolean() }),
    mutates: true,
    timeoutMs: 120_000,
    modules: ['ActiveDirectory'],
    graphRoutes: [],
  }),
  deltaSync: defineStep({
    id: 'sync-started',
    title: 'Run one Entra Connect delta sync and wait for it',
    script: 'steps/Start-DeltaSync.ps1',
    host: 'sync-server',
    edition: 'Desktop',
    input: z
      .object({
        ComputerName: z.string(),
        WaitForRunningSeconds: z.number().int().optional(),
        WaitForCompletionSeconds: z.number().int().optional(),
        PollMilliseconds: z.number().int().optional(),
        WhatIf: z.boolean().optional(),
      })
      .strict(),
    output: z.object({
      started: z.boolean(),
      waitedForRunningMs: z.number(),
      startedAt: z.string().nullable(),
      completedAt: z.string().nullable(),
      completed: z.boolean(),
      /** Start-ADSyncSyncCycle's Result (Success when it started a cycle). */
      startResult: z.string().nullable().optional(),
      /** The export errors of the cycle's runs (per object, with the service's error). */
      exportErrors: z
        .array(
          z.object({
            distinguishedName: z.string(),
            errorName: z.string(),
            attributeName: z.string().nullable(),
            attributeValue: z.string().nullable(),
            detail: z.string(),
            connectorName: z.string(),
          }),
        )
        .default([]),
    }),
    mutates: true,
    timeoutMs: 5 * 3_600_000,
    modules: ['ADSync'],
    graphRoutes: [],
  }),
  matchStatus: defineStep({
    id: 'verified',
    title: 'Read whether the cloud users now carry the on-premises anchor, and who else carries it',
    script: 'steps/Get-MatchStatus.ps1',
    host: 'local',
    input: z.object({ UserPrincipalName: z.array(z.string()).min(1), Anchor: z.array(z.string()).optional(), ...GraphSignIn }).strict(),
    output: z.object({ users: z.array(MatchStatus) }),
    mutates: false,
    timeoutMs: 600_000,
    modules: [GRAPH],
    graphRoutes: ['POST /$batch', 'GET /users/{userPrincipalName}', 'GET /users'],
  }),
  discoverCloud: defineStep({
    id: 'discover-cloud',
    title: 'Read every cloud-only member user (pages of 999) and the anchors already in the cloud',
    script: 'steps/Get-DiscoverCloudUsers.ps1',
    host: 'local',
    input: z
      .object({
        Domain: z.string().optional(),
        GroupId: z.string().uuid().optional(),
        ...GraphSignIn,
      })
      .strict(),
    output: DiscoverCloudOutput,
    mutates: false,
    timeoutMs: 1_800_000,
    modules: [GRAPH],
    graphRoutes: ['GET /users', 'GET /groups/{id}/transitiveMembers/microsoft.graph.user'],
  }),
  discoverAd: defineStep({
    id: 'discover-ad',
    title: 'Read every AD user of the forest, domain by domain in pages of 1,000',
    script: 'steps/Get-DiscoverAdUsers.ps1',
    host: 'local',
    input: z
      .object({
        Server: z.string().optional(),
        PageSize: z.number().int().min(1).max(5000).optional(),
        /** The sync server's custom source anchor attribute, to read on each account (as for ad-facts). */
        AnchorAttribute: z.string().regex(LDAP_DISPLAY_NAME).optional(),
        /** Read each account's direct groups (a server that filters by group). */
        MemberOf: z.boolean().optional(),
      })
      .strict(),
    output: AdFactsOutput,
    mutates: false,
    timeoutMs: 1_800_000,
    modules: ['ActiveDirectory'],
    graphRoutes: [],
  }),
} as const;

export type AnyStep = (typeof steps)[keyof typeof steps];

/** What the delta sync step returns (apply reads its export errors). */
export type DeltaSyncOutput = (typeof steps.deltaSync) extends StepDefinition<infer _I, infer O> ? O : never;

/** Runs a step's script through a runner, with the step's schemas and time limit. */
export function runStep<I extends Record<string, unknown>, O>(
  runner: PowerShellRunner,
  step: StepDefinition<I, O>,
  input: I,
  options: { signal?: AbortSignal; onProgress?: ProgressSink } = {},
): Promise<ScriptOutput<O>> {
  return runner.run({
    script: step.script,
    input,
    inputSchema: step.input,
    output: step.output,
    timeoutMs: step.timeoutMs,
    signal: options.signal,
    onProgress: options.onProgress,
  });
}
