// discover's pairing: which AD account belongs to which cloud-only user. Pure and linear: one pass builds
// hash indexes of the AD accounts, one pass looks each cloud user up in them, one pass settles the AD
// accounts that several cloud users claim. The rules follow Entra Connect's own soft match (rule sheet 1.2-1.4):
// the AD primary SMTP (its `SMTP:` proxy address, else mail) against the cloud user's, then the UPN; both
// case-insensitive (rule sheet 1.9: unverified, the usual assumption).
import { anchorOf, type AnchorAttribute } from '../anchor.js';
import type { AdUser } from '../facts.js';
import type { DiscoverCloudUser } from '../steps/registry.js';

export type Rule = 'upn' | 'smtp' | 'prefix' | 'proxy' | 'name';
export type EvidenceKind = Rule;

export interface Evidence {
  kind: EvidenceKind;
  /** One line: what is equal on both sides. */
  detail: string;
}

/** How much each piece of weak evidence says on its own (strong rules are ready, not scored). */
const WEIGHT: Record<'prefix' | 'proxy' | 'name', number> = { proxy: 0.7, prefix: 0.6, name: 0.5 };

export type PairStatus = 'ready' | 'review' | 'ambiguous' | 'create' | 'left-out';

export interface Pair {
  status: PairStatus;
  cloud: DiscoverCloudUser;
  /** The AD account proposed (ready, review), or null. */
  ad: AdUser | null;
  /** The rule that pairs them: upn or smtp when ready, the strongest weak evidence when to review. */
  rule: Rule | null;
  /** 1 for ready; for review, from the evidence (each piece independent: 1 - product of (1 - weight)). */
  confidence: number;
  evidence: Evidence[];
  /** Why it is ambiguous or left out. */
  reason: string | null;
  /** Every AD account that could be it (ambiguous): their DNs. */
  candidates: string[];
}

export interface PairingInput {
  cloudUsers: DiscoverCloudUser[];
  adUsers: AdUser[];
  /** onPremisesImmutableId of every cloud user: AD accounts whose anchor is here are represented already. */
  cloudAnchors: Iterable<string>;
  /** The Entra Connect server's source anchor attribute (null: unknown, taken as mS-DS-ConsistencyGuid). */
  anchorAttribute?: AnchorAttribute;
}

export interface PairingResult {
  pairs: Pair[];
  /** AD accounts already represented in the cloud (never proposed). */
  adRepresented: number;
  /** AD accounts read and not represented. */
  adCandidates: number;
}

/** The reason of a cloud user no AD account matches in any way. */
export const NO_MATCH = 'no AD account matches';

const lower = (value: string | null | undefined) => (value ? value.trim().toLowerCase() : null);

/** Letters NFD does not split into a base letter and a mark, written as people type them without the key. */
const UNSPLIT: Record<string, string> = { ø: 'o', ł: 'l', đ: 'd', ð: 'd', ß: 'ss', æ: 'ae', œ: 'oe', þ: 'th', ı: 'i' };

/** A name folded for comparison: NFD, combining marks dropped, case folded, spaces squeezed. `José` = `jose`, `Østergård` = `ostergard`. */
export function foldName(value: string | null | undefined): string | null {
  if (!value) return null;
  const folded = value
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[øłđðßæœþı]/g, (c) => UNSPLIT[c] ?? c)
    .replace(/\s+/g, ' ')
    .trim();
  return folded === '' ? null : folded;
}

/** The primary SMTP address (lowercased): the `SMTP:` proxy address, else mail (rule sheet 1.3, 1.4). */
export function primarySmtp(user: { mail: string | null; proxyAddresses: string[] }): string | null {
  const primary = user.proxyAddresses.find((p) => p.startsWith('SMTP:'));
  return lower(primary ? primary.slice(5) : user.mail);
}

function smtpAddresses(user: { mail: string | null; proxyAddresses: string[] }): string[] {
  const found = user.proxyAddresses.filter((p) => /^smtp:/i.test(p)).map((p) => p.slice(5).trim().toLowerCase());
  if (user.mail) found.push(user.mail.trim().toLowerCase());
  return found;
}

const prefixOf = (upn: string) => upn.slice(0, upn.lastIndexOf('@') >= 0 ? upn.lastIndexOf('@') : upn.length);

function nameKey(given: string | null, surname: string | null): string | null {
  const g = foldName(given);
  const s = foldName(surname);
  return g && s ? `${g}\u0000${s}` : null;
}

class MultiMap<V> {
  private readonly map = new Map<string, V[]>();
  add(key: string | null, value: V): void {
    if (key === null) return;
    const list = this.map.get(key);
    if (!list) this.map.set(key, [value]);
    else if (!list.includes(value)) list.push(value);
  }
  get(key: string | null): readonly V[] {
    return key === null ? [] : (this.map.get(key) ?? []);
  }
}

function confidenceOf(kinds: EvidenceKind[]): number {
  let doubt = 1;
  for (const kind of new Set(kinds)) if (kind in WEIGHT) doubt *= 1 - WEIGHT[kind as keyof typeof WEIGHT];
  return Math.round((1 - doubt) * 100) / 100;
}

const RULE_ORDER: Rule[] = ['upn', 'smtp', 'proxy', 'prefix', 'name'];
const strongest = (kinds: EvidenceKind[]) => RULE_ORDER.find((r) => kinds.includes(r)) ?? null;

/** Candidates an ambiguous row lists (a common name can have hundreds of namesakes); the reason gives the count. */
const LISTED = 20;

/**
 * How strong a claim on an AD account is: 2 the same UPN or primary SMTP (what Entra Connect matches on), 1 an
 * identifier that points at it (UPN prefix, an address among its proxies), 0 the name alone. Only the strongest
 * level a cloud user has counts, for it and against the others: a namesake never outweighs an address.
 */
type Level = 0 | 1 | 2;

/**
 * What is equal on both sides, in one line: written only for the pairs reported, not for every candidate looked
 * at (a common name meets many namesakes).
 */
function evidenceOf(cloud: DiscoverCloudUser, ad: AdUser, kinds: EvidenceKind[]): Evidence[] {
  const upn = lower(cloud.userPrincipalName) ?? '';
  const smtp = primarySmtp(cloud);
  return kinds.map((kind): Evidence => {
    switch (kind) {
      case 'upn':
        return { kind, detail: `same UPN ${ad.UserPrincipalName}` };
      case 'smtp':
        return { kind, detail: `same primary SMTP address ${smtp}` };
      case 'prefix':
        return { kind, detail: `same UPN prefix, other suffix (${ad.UserPrincipalName})` };
      case 'proxy': {
        const addresses = smtpAddresses(ad);
        const address = [upn, smtp].find((a) => a !== null && addresses.includes(a)) ?? upn;
        return { kind, detail: `${address} is among the AD account's addresses` };
      }
      case 'name':
        return { kind, detail: `same given name and surname (${ad.GivenName} ${ad.Surname})` };
    }
  });
}

/** Which evidence holds between a cloud user and an AD account, at the strong level (2) or the weak ones. */
function kindsOf(cloud: DiscoverCloudUser, ad: AdUser, level: Level): EvidenceKind[] {
  const upn = lower(cloud.userPrincipalName) ?? '';
  const smtp = primarySmtp(cloud);
  const adUpn = lower(ad.UserPrincipalName);
  const kinds: EvidenceKind[] = [];
  if (level === 2) {
    if (adUpn === upn) kinds.push('upn');
    if (smtp !== null && primarySmtp(ad) === smtp) kinds.push('smtp');
    return kinds;
  }
  if (adUpn !== null && prefixOf(adUpn) === prefixOf(upn)) kinds.push('prefix');
  const addresses = smtpAddresses(ad);
  if (addresses.includes(upn) || (smtp !== null && addresses.includes(smtp))) kinds.push('proxy');
  const name = nameKey(cloud.givenName, cloud.surname);
  if (name !== null && nameKey(ad.GivenName, ad.Surname) === name) kinds.push('name');
  return kinds;
}

/** The lists joined, each account once, in order (a list alone is returned as it is: the indexes' lists are shared, never changed). */
function union(lists: readonly (readonly AdUser[])[]): readonly AdUser[] {
  const nonEmpty = lists.filter((list) => list.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? [];
  return [...new Set(nonEmpty.flat())];
}

function distinct(evidence: Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return evidence.filter((e) => {
    const key = `${e.kind}\u0000${e.detail}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Who claims an AD account at the highest level any cloud user claims it: that level, and how many claim it there. */
interface Claim {
  level: Level;
  count: number;
}

/**
 * A pair as one object literal, every field in the same order: built by spreading a common part and overriding
 * fields, each of tens of thousands of pairs took a hidden class of its own in V8 (23 MB at 50,000 users).
 */
function pairOf(status: PairStatus, cloud: DiscoverCloudUser, p: Partial<Pick<Pair, 'ad' | 'rule' | 'confidence' | 'evidence' | 'reason' | 'candidates'>>): Pair {
  return { status, cloud, ad: p.ad ?? null, rule: p.rule ?? null, confidence: p.confidence ?? 0, evidence: p.evidence ?? [], reason: p.reason ?? null, candidates: p.candidates ?? [] };
}

export function pairUsers(input: PairingInput): PairingResult {
  const anchors = new Set(input.cloudAnchors);
  const candidates: AdUser[] = [];
  let represented = 0;
  for (const ad of input.adUsers) {
    const anchor = anchorOf(ad, input.anchorAttribute ?? null);
    if (anchor && anchors.has(anchor)) represented += 1;
    else candidates.push(ad);
  }

  const byUpn = new MultiMap<AdUser>();
  const bySmtp = new MultiMap<AdUser>();
  const byAddress = new MultiMap<AdUser>();
  const byPrefix = new MultiMap<AdUser>();
  const byName = new MultiMap<AdUser>();
  for (const ad of candidates) {
    const upn = lower(ad.UserPrincipalName);
    byUpn.add(upn, ad);
    if (upn) byPrefix.add(prefixOf(upn), ad);
    bySmtp.add(primarySmtp(ad), ad);
    for (const address of smtpAddresses(ad)) byAddress.add(address, ad);
    byName.add(nameKey(ad.GivenName, ad.Surname), ad);
  }

  // First pass: each cloud user's candidates at its strongest level only: the same UPN or SMTP, else an identifier
  // that points at the account, else the name. A user's candidates are the indexes' own lists where one list
  // says it all (a common name's namesakes are one list shared by every user of that name): at tens of thousands
  // of users, a list or map of its own per user was most of what pairing held.
  const own = input.cloudUsers.map((cloud): { level: Level; candidates: readonly AdUser[] } => {
    const upn = lower(cloud.userPrincipalName) ?? '';
    const smtp = primarySmtp(cloud);
    const strong = union([byUpn.get(upn), bySmtp.get(smtp)]);
    if (strong.length > 0) return { level: 2, candidates: strong };
    const pointing = union([byPrefix.get(prefixOf(upn)), ...[...new Set([upn, ...(smtp ? [smtp] : [])])].map((a) => byAddress.get(a))]);
    if (pointing.length > 0) return { level: 1, candidates: pointing };
    return { level: 0, candidates: byName.get(nameKey(cloud.givenName, cloud.surname)) };
  });

  // Second pass: who claims each AD account. Only the claims of the highest level compete.
  const claims = new Map<AdUser, Claim>();
  for (const { level, candidates: mine } of own) {
    for (const ad of mine) {
      const claim = claims.get(ad);
      if (!claim) claims.set(ad, { level, count: 1 });
      else if (level > claim.level) Object.assign(claim, { level, count: 1 });
      else if (level === claim.level) claim.count += 1;
    }
  }

  const pairs: Pair[] = input.cloudUsers.map((cloud, cloudIndex): Pair => {
    const { level, candidates: all } = own[cloudIndex]!;
    const isStrong = level === 2;
    // Candidates another cloud user claims more strongly are not this one's.
    const mine = all.filter((ad) => claims.get(ad)!.level === level);
    if (mine.length === 0) {
      const taken = all.length > 0;
      return pairOf('left-out', cloud, { reason: taken ? 'its strongest candidates belong more surely to other cloud users' : NO_MATCH });
    }
    if (mine.length > 1) {
      const listed = mine.slice(0, LISTED);
      return pairOf('ambiguous', cloud, {
        // Each line once: namesakes give the same line each, and the candidates list says who they are.
        evidence: distinct(listed.flatMap((ad) => evidenceOf(cloud, ad, kindsOf(cloud, ad, level)))),
        reason: `${mine.length} AD accounts match${isStrong ? ' by UPN or SMTP' : level === 1 ? ' by UPN prefix or address' : ' by name'}${mine.length > LISTED ? ` (the first ${LISTED} listed)` : ''}`,
        candidates: listed.map((ad) => ad.DistinguishedName),
      });
    }
    const ad = mine[0]!;
    const kinds = kindsOf(cloud, ad, level);
    const evidence = evidenceOf(cloud, ad, kinds);
    const rivals = claims.get(ad)!.count;
    if (rivals > 1) {
      return pairOf('ambiguous', cloud, { evidence, reason: `${rivals} cloud users match AD account ${ad.SamAccountName}`, candidates: [ad.DistinguishedName] });
    }
    return isStrong
      ? pairOf('ready', cloud, { ad, rule: strongest(kinds), confidence: 1, evidence })
      : pairOf('review', cloud, { ad, rule: strongest(kinds), confidence: confidenceOf(kinds), evidence });
  });
  return { pairs, adRepresented: represented, adCandidates: candidates.length };
}
