// The code catalogue: every code upn-match can report — the precondition rules, the codes the bundled
// PowerShell sends (`Stop-UpnMatch -Code`), the bridge's and the workflow's — with its kind, its remedy
// and its exit code. PowerShell sends a code and the specifics; the remedy lives here, once. A test walks
// every script under ps/ and every `code: '…'` in lib/ and fails on a code this table lacks.
import { rules } from './checks/registry.js';
import { EXIT } from './exit-codes.js';

/**
 * What a code says about who must act:
 * - precondition: a fact of the user's data, the tenant or the sync server stops the step; nothing was written for the user;
 * - warning: a precondition rule that reports and lets the user go on;
 * - input: the command line, the batch or the config is wrong;
 * - environment: the tool could not reach or use what it needs (host, module, sign-in, server);
 * - refused: the directory or the service refused, or did something other than asked;
 * - pending: the outcome is not known yet (the sync ran, the match was not seen in time);
 * - duplicate: the service refused the match silently and provisioned a second cloud user for the AD account;
 * - bug: upn-match itself is wrong (a script broke the protocol, a result failed its schema).
 */
export type CodeKind = 'precondition' | 'warning' | 'input' | 'environment' | 'refused' | 'pending' | 'duplicate' | 'bug';

export interface CodeEntry {
  code: string;
  kind: CodeKind;
  /** What the admin should do. */
  remedy: string;
  /** The exit code of a run that ends on this code. */
  exit: number;
  /** A failure with this code stops the whole run: nothing else can work (no host, no sign-in). */
  stopsRun: boolean;
}

export const EXIT_OF_KIND: Record<CodeKind, number> = {
  precondition: EXIT.blocked,
  warning: EXIT.ok,
  input: EXIT.badInput,
  environment: EXIT.environment,
  refused: EXIT.partialFailure,
  pending: EXIT.verifyTimeout,
  duplicate: EXIT.duplicate,
  bug: EXIT.internal,
};

/** Stands for the run's id in a remedy; a run's report puts the id in its place (run-report.ts). */
export const RUN_ID = '<run id>';

const REPORT_BUG = 'This is a bug in upn-match: report it with the log file (WORKDIR/logs/upn-match.log) and the command you ran.';
const RERUN = 'Fix the cause named in the message, then run the same command again: it resumes where it stopped and repeats no write that happened.';

type Declared = Omit<CodeEntry, 'code' | 'exit' | 'stopsRun'> & { stopsRun?: boolean };

/** Codes that are not precondition rules, by where they come from. */
const declared: Record<string, Declared> = {
  // ---- The bridge (lib/bridge): how a call into PowerShell failed -------------------------------
  HostMissing: { kind: 'environment', stopsRun: true, remedy: 'Install PowerShell 7 (or use Windows PowerShell 5.1) or point the config\'s "powershell" or UPN_MATCH_POWERSHELL at it; `upn-match doctor` lists the hosts it finds.' },
  InputInvalid: { kind: 'input', remedy: 'Check the value named in the message (batch row, flag or config); it does not have the form the step accepts.' },
  PreconditionUnmet: { kind: 'precondition', remedy: RERUN },
  ScriptError: { kind: 'refused', remedy: RERUN },
  Timeout: { kind: 'environment', remedy: 'The step ran past its time limit and was stopped: check that the domain controller, Graph or the Entra Connect server answers, then run the same command again (it resumes).' },
  Cancelled: { kind: 'environment', remedy: 'The run was interrupted: run the same command again to resume it.' },
  SessionEnded: { kind: 'environment', remedy: 'The PowerShell session ended unexpectedly (the next step starts a new one): check the log for its last lines, then run the same command again (it resumes).' },
  NoEnvelope: { kind: 'bug', remedy: REPORT_BUG },
  NotOneEnvelope: { kind: 'bug', remedy: REPORT_BUG },
  BadEnvelope: { kind: 'bug', remedy: REPORT_BUG },
  ProtocolVersion: { kind: 'bug', remedy: 'The PowerShell scripts and the JavaScript come from different upn-match versions: reinstall upn-match as one piece.' },
  ExitCodeMismatch: { kind: 'bug', remedy: REPORT_BUG },
  ProtocolError: { kind: 'bug', remedy: REPORT_BUG },
  RequestTooLarge: { kind: 'bug', remedy: REPORT_BUG },
  OutputInvalid: { kind: 'bug', remedy: REPORT_BUG },
  // ---- ps/UpnMatch.Common: the envelope's own checks ---------------------------------------------
  ExtraOutput: { kind: 'bug', remedy: REPORT_BUG },
  ScriptExit: { kind: 'bug', remedy: REPORT_BUG },
  JsonListField: { kind: 'bug', remedy: REPORT_BUG },
  // An error PowerShell raised (not one of ours): `PS.<ErrorCategory>`, e.g. PS.PermissionDenied.
  'PS.*': { kind: 'refused', remedy: 'The directory or the service refused: the message is PowerShell\'s own. Fix the cause (rights, a value AD rejects), then run the same command again (it resumes).' },
  // ---- ps/UpnMatch.Directory and the step scripts ------------------------------------------------
  GraphConfigMissing: { kind: 'input', stopsRun: true, remedy: 'Certificate sign-in needs graph.tenantId, graph.clientId and graph.certificateThumbprint or graph.certificateSubject in the config; or set "auth": "managed-identity" or "interactive".' },
  GraphCertificateNotFound: { kind: 'environment', stopsRun: true, remedy: 'Import the app\'s certificate with its private key into Cert:\\LocalMachine\\My (readable by the account that runs upn-match) or that account\'s Cert:\\CurrentUser\\My, check that it has not expired, and that graph.certificateThumbprint or graph.certificateSubject names it.' },
  GraphLoginFailed: { kind: 'environment', stopsRun: true, remedy: 'Check the tenant id, the app\'s client id and that its certificate is in the machine\'s store and registered on the app; for interactive runs, sign in with an account of that tenant.' },
  GraphAccessDenied: { kind: 'environment', stopsRun: true, remedy: 'Grant the app (or the signed-in user) the Graph permissions listed in README.md, "Graph permissions", with admin consent, then rerun.' },
  GraphRequestFailed: { kind: 'environment', remedy: 'Graph answered with an error: check the service health and the network to Graph, then run the same command again (it resumes).' },
  RoleMembersUnreadable: { kind: 'environment', remedy: 'Grant RoleManagement.Read.Directory (see README.md, "Graph permissions"): without the role holders no user can be checked.' },
  DelegatedSignInRequired: { kind: 'refused', remedy: 'Graph changes directory-sync features only for a delegated Global Administrator: run `upn-match feature enable-upn-soft-match` interactively, then rerun.' },
  SyncStartRefused: { kind: 'refused', remedy: 'Start-ADSyncSyncCycle did not start a cycle (its Result is in the message): check the Entra Connect server (Synchronization Service Manager, the ADSync service, its event log), then run the same command again (it resumes; the AD writes are not repeated).' },
  SyncExportError: {
    kind: 'refused',
    remedy: `The Entra Connect export to Entra ID refused this user, with the service's error in the message. Fix what it names (often another object holding the same UPN or address: AttributeValueMustBeUnique, InvalidSoftMatch), let a sync cycle run, then run \`upn-match verify --run ${RUN_ID}\`; or undo the AD change with \`upn-match rollback --run ${RUN_ID}\`.`,
  },
  SyncCycleBusy: { kind: 'refused', remedy: 'A sync cycle kept running past --sync-wait: run the same command again later (it resumes; the AD writes are not repeated).' },
  UpnMissing: { kind: 'bug', remedy: REPORT_BUG },
  AnchorListMismatch: { kind: 'bug', remedy: REPORT_BUG },
  AdAccountNotNamed: { kind: 'bug', remedy: REPORT_BUG },
  AdAccountChangedSince: { kind: 'precondition', remedy: 'The account was changed after the run wrote it, so rollback leaves it alone: undo it by hand if needed (the run\'s journal has the previous UPN).' },
  // ---- The workflow (lib/workflow) ---------------------------------------------------------------
  VerifyTimeout: { kind: 'pending', remedy: `The sync ran but the cloud user does not carry the anchor yet: run \`upn-match verify --run ${RUN_ID}\` later, and check the export errors of the last run in the Entra Connect Synchronization Service Manager.` },
  DuplicateCreated: {
    kind: 'duplicate',
    remedy:
      'Entra ID did not match: it provisioned a second, synced cloud user for this AD account (duplicate attribute resiliency) and logged no error, so the person now has two accounts. Delete the duplicate named in the message and then delete it permanently (Entra admin center, Users, Deleted users), fix what refused the match (soft match blocked, an admin role, a cloud user already anchored), then run apply again. Rolling back the AD change does not remove the duplicate.',
  },
  AdChangeNotOnSyncDc: {
    kind: 'environment',
    remedy:
      'The AD change has not reached the domain controller Entra Connect imports from, so the run stopped before the delta sync (which would have missed it). Wait for AD replication (or replicate the account: `Sync-ADObject -Object <DN> -Source <DC written> -Destination <connector DC>`, `repadmin /syncall`), check that upn-match may reach that DC, then run the same command again: it resumes, confirms the change there and syncs; the AD write is not repeated.',
  },
  AnchorMismatch: { kind: 'refused', remedy: 'The cloud user was joined to another on-premises object: find that object in the Entra Connect connector space and the cloud user\'s onPremisesImmutableId, and correct the binding by hand.' },
  UnexpectedError: { kind: 'bug', remedy: REPORT_BUG },
  // ---- The work folder (lib/workflow/work-dir.ts, lock.ts) ---------------------------------------
  WorkFileNotOwned: {
    kind: 'environment',
    stopsRun: true,
    remedy: 'A file in the work folder belongs to another account, so upn-match will not trust it (it could make a run resume, undo or skip what it should not). Find out who put it there; remove it or give it back to the run account (chown), keep the work folder readable by the run account only, then run again.',
  },
};

function entry(code: string, value: Declared): CodeEntry {
  return { code, kind: value.kind, remedy: value.remedy, exit: EXIT_OF_KIND[value.kind], stopsRun: value.stopsRun ?? false };
}

function build(): Map<string, CodeEntry> {
  const table = new Map<string, CodeEntry>();
  for (const rule of rules) {
    table.set(rule.code, entry(rule.code, { kind: rule.severity === 'block' ? 'precondition' : 'warning', remedy: rule.hint }));
  }
  for (const [code, value] of Object.entries(declared)) {
    if (table.has(code)) throw new Error(`code ${code} is declared twice in the catalogue`);
    table.set(code, entry(code, value));
  }
  return table;
}

/** Every code, in the order: precondition rules, then the others by where they come from. */
export const catalogue: ReadonlyMap<string, CodeEntry> = build();

/** The entry of a code; PowerShell's own errors (`PS.*`) share one. Unknown codes are none of ours: a bug. */
export function codeInfo(code: string): CodeEntry {
  const found = catalogue.get(code) ?? (code.startsWith('PS.') ? catalogue.get('PS.*') : undefined);
  return found ?? { code, kind: 'bug', remedy: REPORT_BUG, exit: EXIT.internal, stopsRun: false };
}

export function isCatalogued(code: string): boolean {
  return catalogue.has(code) || (code.startsWith('PS.') && /^PS\.[A-Za-z]+$/.test(code));
}

/**
 * The exit code of a failure that ended a whole command before it handled every user: bad input and bugs
 * keep theirs; anything else stopped the run from outside the users' data, so it is the environment's.
 */
export function exitOfRunFailure(code: string): number {
  const { kind } = codeInfo(code);
  if (kind === 'input' || kind === 'bug') return EXIT_OF_KIND[kind];
  return EXIT.environment;
}
