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
  get(key: string | null): V[] {
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
const levelOf = (kinds: EvidenceKind[]): Level => (kinds.includes('upn') || kinds.includes('smtp') ? 2 : kinds.includes('prefix') || kinds.includes('proxy') ? 1 : 0);

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

interface Claim {
  cloudIndex: number;
  level: Level;
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

  // First pass: each cloud user's candidates and their evidence, kept at its strongest level only (the name
  // evidence on them still counts for confidence). The maps of one user are dropped once it is looked up: at
  // tens of thousands of users, keeping them all doubled what pairing holds.
  const note = (into: Map<AdUser, EvidenceKind[]>, ad: AdUser, kind: EvidenceKind) => {
    const list = into.get(ad);
    if (!list) into.set(ad, [kind]);
    else if (!list.includes(kind)) list.push(kind);
  };
  const NONE: [AdUser, EvidenceKind[]][] = [];
  const own = input.cloudUsers.map((cloud) => {
    const upn = lower(cloud.userPrincipalName) ?? '';
    const smtp = primarySmtp(cloud);
    let all = new Map<AdUser, EvidenceKind[]>();
    for (const ad of byUpn.get(upn)) note(all, ad, 'upn');
    for (const ad of bySmtp.get(smtp)) note(all, ad, 'smtp');
    if (all.size === 0) {
      all = new Map<AdUser, EvidenceKind[]>();
      for (const ad of byPrefix.get(prefixOf(upn))) note(all, ad, 'prefix');
      const addresses = new Set([upn, ...(smtp ? [smtp] : [])]);
      for (const address of addresses) for (const ad of byAddress.get(address)) note(all, ad, 'proxy');
      for (const ad of byName.get(nameKey(cloud.givenName, cloud.surname))) note(all, ad, 'name');
    }
    let level: Level = 0;
    for (const kinds of all.values()) level = Math.max(level, levelOf(kinds)) as Level;
    const candidates = all.size === 0 ? NONE : [...all.entries()].filter(([, kinds]) => levelOf(kinds) === level);
    return { level, candidates };
  });

  // Second pass: who claims each AD account. Only the claims of the highest level compete.
  const claims = new Map<AdUser, Claim[]>();
  own.forEach(({ level, candidates: mine }, cloudIndex) => {
    for (const [ad] of mine) {
      const list = claims.get(ad) ?? [];
      list.push({ cloudIndex, level });
      claims.set(ad, list);
    }
  });
  const contenders = (ad: AdUser) => {
    const list = claims.get(ad) ?? [];
    const top = Math.max(...list.map((c) => c.level));
    return list.filter((c) => c.level === top);
  };

  const pairs: Pair[] = input.cloudUsers.map((cloud, cloudIndex): Pair => {
    const { level, candidates: all } = own[cloudIndex]!;
    const isStrong = level === 2;
    // Candidates another cloud user claims more strongly are not this one's.
    const mine = all.filter(([ad]) => contenders(ad).some((c) => c.cloudIndex === cloudIndex));
    const base = { cloud, ad: null, rule: null, confidence: 0, evidence: [] as Evidence[], reason: null, candidates: [] as string[] };
    if (mine.length === 0) {
      const taken = all.length > 0;
      return { ...base, status: 'left-out', reason: taken ? 'its only candidates belong more surely to other cloud users' : NO_MATCH };
    }
    if (mine.length > 1) {
      const listed = mine.slice(0, LISTED);
      return {
        ...base,
        status: 'ambiguous',
        evidence: listed.flatMap(([ad, kinds]) => evidenceOf(cloud, ad, kinds)),
        reason: `${mine.length} AD accounts match${isStrong ? ' by UPN or SMTP' : level === 1 ? ' by UPN prefix or address' : ' by name'}${mine.length > LISTED ? ` (the first ${LISTED} listed)` : ''}`,
        candidates: listed.map(([ad]) => ad.DistinguishedName),
      };
    }
    const [ad, kinds] = mine[0]!;
    const evidence = evidenceOf(cloud, ad, kinds);
    const rivals = contenders(ad).length;
    if (rivals > 1) {
      return { ...base, status: 'ambiguous', evidence, reason: `${rivals} cloud users match AD account ${ad.SamAccountName}`, candidates: [ad.DistinguishedName] };
    }
    return isStrong
      ? { ...base, status: 'ready', ad, rule: strongest(kinds), confidence: 1, evidence }
      : { ...base, status: 'review', ad, rule: strongest(kinds), confidence: confidenceOf(kinds), evidence };
  });
  return { pairs, adRepresented: represented, adCandidates: candidates.length };
}
