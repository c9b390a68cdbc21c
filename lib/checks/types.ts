// The shapes the precondition checks produce and the rule records they are built from.
import type { BatchUser } from '../batch/types.js';
import type { AdUser, CloudObject, CloudUser, Facts } from '../facts.js';
import type { FactsIndex } from './facts-index.js';

export type Severity = 'block' | 'warn';
export type RuleScope = 'tenant' | 'user' | 'sync';
export type PredictedMatch = 'hard' | 'smtp' | 'upn' | 'none';

export interface Finding {
  code: string;
  severity: Severity;
  /** One line naming the user or value concerned. */
  message: string;
  /** The remedy the admin should apply. */
  hint: string;
}

export interface Overwrite {
  attribute: string;
  cloudValue: string | null;
  onPremisesValue: string;
}

export interface UserEvaluation {
  user: BatchUser;
  /** The target cloud user. */
  cloudUser: CloudUser | null;
  /** The AD account to update (null when the row creates one, or when it is not found). */
  adUser: AdUser | null;
  /** The source anchor the AD account syncs with, under the server's anchor attribute (null: none, or a create row). */
  anchor: string | null;
  /** Which rule Entra Connect will use after the write. */
  predictedMatch: PredictedMatch;
  /** The user's own findings, preceded by the tenant and sync findings that block everyone. */
  findings: Finding[];
  /** Whether any finding has severity block. */
  blocked: boolean;
  /** Cloud values the AD account will overwrite at match. */
  overwrites: Overwrite[];
}

export interface Evaluation {
  /** Findings of scope tenant and sync: they concern every user of the batch. */
  tenantFindings: Finding[];
  users: UserEvaluation[];
}

/** What a rule returns when it fires: the message, and optionally a hint more specific than the rule's. */
export interface RuleHit {
  message: string;
  hint?: string;
}

/** The context of the rules of scope tenant and sync. */
export interface GlobalContext {
  facts: Facts;
  index: FactsIndex;
}

/** How the row's AD account was looked up. */
export type AdLookup =
  | { status: 'found' }
  | { status: 'create' }
  | { status: 'unnamed' }
  | { status: 'notFound'; by: string }
  | { status: 'ambiguous'; by: string; count: number }
  | { status: 'mismatch'; dn: string; sam: string; actualSam: string };

/** A cloud object that holds a key of the row, and how it holds it. */
export interface Holder {
  object: CloudObject;
  via: 'upn' | 'primary' | 'secondary';
}

/** Who holds the row's keys in the cloud, computed once per row before the rules run. */
export interface KeyAnalysis {
  /** The source anchor the AD account will sync with (null for create rows or unreadable GUIDs). */
  anchor: string | null;
  /** The AD account's primary SMTP address (lowercased): its `SMTP:` proxy address, else mail. */
  primarySmtp: string | null;
  /** The AD account's other SMTP proxy addresses (lowercased). */
  otherSmtp: string[];
  /** The anchor equals the target cloud user's onPremisesImmutableId. */
  anchorOnTarget: boolean;
  /** Other cloud objects whose onPremisesImmutableId equals the anchor. */
  anchorHolders: CloudObject[];
  /** The primary SMTP equals the target's primary SMTP address or mail. */
  smtpOnTarget: boolean;
  /** Other cloud users (kind user) holding the AD primary SMTP as any address: primary or secondary proxy address, or mail. */
  smtpOtherUsers: CloudObject[];
  /** Other cloud objects holding the UPN (as UPN, mail or SMTP address). */
  upnHolders: Holder[];
  /** Groups, contacts and deleted users holding the AD primary SMTP (as UPN, mail or SMTP address). */
  smtpHolders: Holder[];
  /** Addresses of the AD account held by other cloud objects that do not make it match elsewhere. */
  proxyConflicts: { address: string; holders: Holder[] }[];
}

/** How many other batch entries share a key, and the row numbers of the first few. */
export interface DuplicateRows {
  count: number;
  rows: number[];
}

/** The context of the rules of scope user: one batch row with everything looked up. */
export interface UserContext extends GlobalContext {
  user: BatchUser;
  /** The cloud UPN, trimmed: the UPN the AD account will carry after the write. */
  upn: string;
  /** The same, lowercased. */
  upnKey: string;
  /** The part after the last `@`, lowercased ('' when there is none). */
  upnSuffix: string;
  cloudUser: CloudUser | null;
  adUser: AdUser | null;
  adLookup: AdLookup;
  keys: KeyAnalysis;
  /** Other batch entries that name the same cloud UPN or the same AD account. */
  duplicateRows: { cloudUpn: DuplicateRows; adAccount: DuplicateRows };
}

interface RuleBase {
  /** Stable PascalCase code, shown to admins and used in scripts. */
  code: string;
  severity: Severity;
  /** What the rule checks, as a short sentence (for --help and the README). */
  title: string;
  /** The remedy (for --help, the README and the finding). */
  hint: string;
}

export interface GlobalRule extends RuleBase {
  scope: 'tenant' | 'sync';
  evaluate(ctx: GlobalContext): RuleHit | null;
}

export interface UserRule extends RuleBase {
  scope: 'user';
  evaluate(ctx: UserContext): RuleHit | null;
}

export type Rule = GlobalRule | UserRule;
