// A minimal simulated world (docs/simulator-state.md) for the fake-module tests, and helpers to run
// PowerShell against it. Each test gets its own temp folder (UPN_MATCH_SIM_DIR). The worlds are typed by
// lib/sim/state.ts (test/sim/state.test.ts checks them against its schema).
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AdUser, CloudUser, SimState } from '../../lib/sim/state.js';
import { runPowerShell, simModulesDir, type PwshResult } from '../helpers/powershell.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Json = any;

export const TENANT_ID = '00000000-0000-0000-0000-000000000001';
export const GA_TEMPLATE = '62e90394-69f5-4237-9190-012177145e10';
export const SCOPE_OU = 'OU=Corp,DC=contoso,DC=local';
export const DOMAIN_DN = 'DC=contoso,DC=local';

let counter = 0;
/** A deterministic GUID for fixtures: prefix block + running number. */
export function guid(prefix: string): string {
  counter += 1;
  const tail = counter.toString(16).padStart(12, '0');
  return `${prefix.padEnd(8, '0').slice(0, 8)}-0000-4000-8000-${tail}`;
}

/** base64 of [guid]::ToByteArray() (the first three groups little-endian), as Entra Connect computes it. */
export function immutableIdOf(g: string): string {
  const hex = g.replace(/-/g, '');
  const bytes = Buffer.from(hex, 'hex');
  const swapped = Buffer.concat([
    Buffer.from(bytes.subarray(0, 4)).reverse(),
    Buffer.from(bytes.subarray(4, 6)).reverse(),
    Buffer.from(bytes.subarray(6, 8)).reverse(),
    bytes.subarray(8),
  ]);
  return swapped.toString('base64');
}

export interface AdUserOptions {
  sam: string;
  upn?: string | null;
  ou?: string;
  name?: string;
  mail?: string | null;
  proxyAddresses?: string[];
  consistencyGuid?: string | null;
  enabled?: boolean;
  objectGuid?: string;
  extra?: Record<string, unknown>;
}

export function adUser(o: AdUserOptions): AdUser {
  const name = o.name ?? o.sam;
  const ou = o.ou ?? `OU=Users,${SCOPE_OU}`;
  return {
    ObjectGUID: o.objectGuid ?? guid('aaaa'),
    SamAccountName: o.sam,
    UserPrincipalName: o.upn === undefined ? `${o.sam}@contoso.com` : o.upn,
    DistinguishedName: `CN=${name},${ou}`,
    Name: name,
    GivenName: name,
    Surname: 'Test',
    DisplayName: `${name} Test`,
    mail: o.mail ?? null,
    proxyAddresses: o.proxyAddresses ?? [],
    'mS-DS-ConsistencyGuid': o.consistencyGuid ?? null,
    Enabled: o.enabled ?? true,
    whenCreated: '2024-01-01T00:00:00.000Z',
    whenChanged: '2024-01-01T00:00:00.000Z',
    ...(o.extra ?? {}),
  };
}

export interface CloudUserOptions {
  upn: string;
  id?: string;
  mail?: string | null;
  proxyAddresses?: string[];
  immutableId?: string | null;
  synced?: boolean | null;
  displayName?: string;
}

export function cloudUser(o: CloudUserOptions): CloudUser {
  return {
    id: o.id ?? guid('cccc'),
    userPrincipalName: o.upn,
    displayName: o.displayName ?? o.upn.split('@')[0] ?? o.upn,
    givenName: null,
    surname: null,
    mail: o.mail ?? null,
    proxyAddresses: o.proxyAddresses ?? [],
    userType: 'Member',
    accountEnabled: true,
    createdDateTime: '2023-01-01T00:00:00.000Z',
    jobTitle: null,
    department: null,
    mobilePhone: null,
    officeLocation: null,
    onPremisesImmutableId: o.immutableId ?? null,
    onPremisesSyncEnabled: o.synced ?? null,
    onPremisesLastSyncDateTime: null,
    onPremisesProvisioningErrors: [],
  };
}

/** The smallest world: one tenant with contoso.com verified, one forest, sync scoped to OU=Corp. */
export function baseState(): SimState {
  return {
    version: 1,
    tenant: {
      tenantId: TENANT_ID,
      displayName: 'Contoso',
      onPremisesSyncEnabled: true,
      onPremisesLastSyncDateTime: null,
      dirSyncStartedAt: '2019-05-01T00:00:00Z',
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
      directoryRoles: [],
    },
    forest: {
      name: 'contoso.local',
      rootDomain: 'contoso.local',
      upnSuffixes: ['contoso.com'],
      globalCatalogs: ['dc01.contoso.local'],
      domains: [
        {
          DNSRoot: 'contoso.local',
          NetBIOSName: 'CONTOSO',
          DistinguishedName: DOMAIN_DN,
          PDCEmulator: 'dc01.contoso.local',
          DomainSID: 'S-1-5-21-1004336348-1177238915-682003330',
        },
      ],
      users: [],
    },
    sync: {
      serverName: 'AADC01',
      syncCycleEnabled: true,
      stagingModeEnabled: false,
      schedulerSuspended: false,
      syncScopeOUs: [SCOPE_OU],
      cycleDurationMs: 0,
      cycle: null,
      joins: {},
      lastRun: null,
    },
  };
}

export interface SimFiles {
  faults?: Json;
  sim?: Json;
}

/** A fresh simulator folder holding state.json (and faults.json / sim.json when given). */
export function makeSimDir(state: SimState, files: SimFiles = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'upn-sim-'));
  writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state, null, 2));
  if (files.faults) writeFileSync(path.join(dir, 'faults.json'), JSON.stringify(files.faults));
  if (files.sim) writeFileSync(path.join(dir, 'sim.json'), JSON.stringify(files.sim));
  return dir;
}

export function removeSimDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function readState(dir: string): Json {
  return JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8'));
}

export function readCalls(dir: string): Json[] {
  const file = path.join(dir, 'calls.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

export function runSim(dir: string, code: string, env: Record<string, string> = {}, timeoutMs?: number): Promise<PwshResult> {
  return runPowerShell(code, {
    modulePath: [simModulesDir],
    env: { UPN_MATCH_SIM_DIR: dir, ...env },
    ...(timeoutMs ? { timeoutMs } : {}),
  });
}

/**
 * Runs a snippet whose last statement yields one value, and returns that value parsed from JSON.
 * The snippet runs with $ErrorActionPreference = 'Stop'; `Catch-Sim { ... }` turns an error into
 * { error, type, category, fqid, details } for assertions.
 */
export async function runSimJson(dir: string, code: string, env: Record<string, string> = {}): Promise<Json> {
  const wrapped = `
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
function Catch-Sim([scriptblock] $Block) {
  try { $null = & $Block; return @{ error = $null } }
  catch {
    $details = $null
    if ($null -ne $_.ErrorDetails) { $details = $_.ErrorDetails.Message }
    return @{ error = $_.Exception.Message; type = $_.Exception.GetType().FullName; category = [string]$_.CategoryInfo.Category; fqid = $_.FullyQualifiedErrorId; details = $details }
  }
}
$__result = & {
${code}
}
ConvertTo-Json -InputObject $__result -Depth 12 -Compress
`;
  const result = await runSim(dir, wrapped, env);
  if (result.exitCode !== 0) {
    throw new Error(`pwsh exited ${result.exitCode}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
  const text = result.stdout.trim();
  const lastLine = text.split('\n').filter((l) => l.trim()).pop() ?? 'null';
  try {
    return JSON.parse(lastLine);
  } catch {
    throw new Error(`not JSON: ${text}\nstderr: ${result.stderr}`);
  }
}

/** A PowerShell single-quoted string literal (PowerShell also reads ‘ ’ ‚ ‛ as single quotes). */
export function psq(text: string): string {
  return `'${text.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;
}

/**
 * Defines New-SimTestCertificate LOCATION SUBJECT [FROMDAYS TODAYS]: a self-signed certificate written into the
 * simulator's certificate store (DIR/certificates/LOCATION/My, the Cert: drive of the fake Graph module); returns
 * its thumbprint. The fake Connect-MgGraph -CertificateThumbprint finds only CurrentUser certificates, as the real one.
 */
export const CERTIFICATE_HELPER = `
function New-SimTestCertificate([string] $Location, [string] $Subject, [int] $FromDays = -1, [int] $ToDays = 300) {
  $folder = Join-Path (Join-Path (Join-Path $env:UPN_MATCH_SIM_DIR 'certificates') $Location) 'My'
  $null = New-Item -ItemType Directory -Force -Path $folder
  $rsa = [System.Security.Cryptography.RSA]::Create(2048)
  $request = New-Object System.Security.Cryptography.X509Certificates.CertificateRequest($Subject, $rsa, [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
  $cert = $request.CreateSelfSigned([datetimeoffset]::Now.AddDays($FromDays), [datetimeoffset]::Now.AddDays($ToDays))
  [System.IO.File]::WriteAllBytes((Join-Path $folder ($cert.Thumbprint + '.cer')), $cert.Export('Cert'))
  return $cert.Thumbprint
}
`;
