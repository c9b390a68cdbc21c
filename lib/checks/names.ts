// Validation and normalisation of the names the checks compare: UPNs, sAMAccountNames, DNs, SMTP addresses.

/**
 * The problems Entra ID finds with a UserPrincipalName ([] when valid).
 *
 * Source: Microsoft Learn, "Password policies and account restrictions in Microsoft Entra ID",
 * section "Username policies" (https://learn.microsoft.com/entra/identity/authentication/concept-sspr-policy),
 * which applies to synchronised and cloud-only accounts alike:
 *   - characters allowed: A – Z, a – z, 0 – 9, ' . - _ ! # ^ ~
 *   - not allowed: any "@" that does not separate the username from the domain;
 *     a period "." immediately preceding the "@"
 *   - length: at most 113 characters in total, at most 64 before the "@", at most 48 after it.
 * Hence also no spaces, control characters or non-ASCII characters anywhere.
 * Added here (RFC 5322 dot-atom, as IdFix reports): no leading period and no two consecutive periods
 * in the prefix; the domain must be DNS labels (A–Z a–z 0–9 and inner hyphens) joined by single periods.
 */
export const UPN_MAX_LENGTH = 113;
export const UPN_PREFIX_MAX_LENGTH = 64;
export const UPN_DOMAIN_MAX_LENGTH = 48;

const UPN_PREFIX_CHARS = /^[A-Za-z0-9'._!#^~-]+$/;
const DNS_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

export function upnProblems(upn: string): string[] {
  const problems: string[] = [];
  if (upn.length === 0) return ['is empty'];
  if (/\s/.test(upn)) problems.push('contains a space');
  if (/[\u0000-\u001f\u007f]/.test(upn)) problems.push('contains a control character');
  if (/[^\u0000-\u007f]/.test(upn)) problems.push('contains a non-ASCII character');
  const ats = upn.split('@').length - 1;
  if (ats !== 1) {
    problems.push(ats === 0 ? 'has no "@"' : `has ${ats} "@" (exactly one is allowed)`);
    return problems;
  }
  const at = upn.indexOf('@');
  const prefix = upn.slice(0, at);
  const domain = upn.slice(at + 1);
  if (upn.length > UPN_MAX_LENGTH) problems.push(`is ${upn.length} characters long (at most ${UPN_MAX_LENGTH})`);
  if (prefix.length === 0) problems.push('has nothing before the "@"');
  if (prefix.length > UPN_PREFIX_MAX_LENGTH) problems.push(`has ${prefix.length} characters before the "@" (at most ${UPN_PREFIX_MAX_LENGTH})`);
  if (domain.length > UPN_DOMAIN_MAX_LENGTH) problems.push(`has ${domain.length} characters after the "@" (at most ${UPN_DOMAIN_MAX_LENGTH})`);
  if (prefix.length > 0 && !UPN_PREFIX_CHARS.test(prefix)) {
    const bad = [...new Set([...prefix].filter((c) => !UPN_PREFIX_CHARS.test(c) && c.trim() !== '' && c >= ' ' && c <= '~'))];
    if (bad.length > 0) problems.push(`has characters not allowed before the "@": ${bad.join(' ')}`);
  }
  if (prefix.startsWith('.')) problems.push('starts with a period');
  if (prefix.endsWith('.')) problems.push('has a period just before the "@"');
  if (prefix.includes('..')) problems.push('has two consecutive periods before the "@"');
  if (domain.length === 0) problems.push('has no domain after the "@"');
  else if (!DNS_NAME.test(domain)) problems.push(`has a domain that is not a DNS name: ${domain}`);
  return [...new Set(problems)];
}

/**
 * The problems Active Directory finds with a new account's sAMAccountName ([] when valid).
 *
 * Source: Microsoft, "Naming conventions in Active Directory for computers, domains, sites, and OUs"
 * (KB 909264), section "User account names": at most 20 characters (the pre-Windows 2000 logon name);
 * none of " / \ [ ] : ; | = , + * ? < >; not made only of periods and/or spaces; and, from
 * "Active Directory: Requirements for Creating Objects" (TechNet wiki), no control characters
 * (codes 0–31 and 127) and no period as the last character.
 */
export const SAM_MAX_LENGTH = 20;
const SAM_FORBIDDEN = /["/\\[\]:;|=,+*?<>]/g;

export function samAccountNameProblems(sam: string): string[] {
  const problems: string[] = [];
  if (sam.length === 0) return ['is empty'];
  if (sam.length > SAM_MAX_LENGTH) problems.push(`is ${sam.length} characters long (at most ${SAM_MAX_LENGTH})`);
  const bad = [...new Set(sam.match(SAM_FORBIDDEN) ?? [])];
  if (bad.length > 0) problems.push(`contains characters not allowed: ${bad.join(' ')}`);
  if (/[\u0000-\u001f\u007f]/.test(sam)) problems.push('contains a control character');
  if (/^[. ]+$/.test(sam)) problems.push('consists only of periods and spaces');
  else if (sam.endsWith('.')) problems.push('ends with a period');
  return problems;
}

/** The part of a UPN or address after the last "@", lowercased ('' when there is none). */
export function suffixOf(upn: string): string {
  const at = upn.lastIndexOf('@');
  return at < 0 ? '' : upn.slice(at + 1).trim().toLowerCase();
}

/** A DN in a form fit for comparison: lowercased, without spaces around separators. */
export function normalizeDn(dn: string): string {
  const lower = dn.trim().toLowerCase();
  // Most DNs have no such spaces: testing first spares a copy of each (plan's checks normalise tens of thousands).
  return /\s[,=]|[,=]\s/.test(lower) ? lower.replace(/\s*([,=])\s*/g, '$1') : lower;
}

/** Whether a normalised DN is `container` or lies under it (both normalised). */
export function isUnderDn(dn: string, container: string): boolean {
  if (container.length === 0) return false;
  if (dn === container) return true;
  if (!dn.endsWith(`,${container}`)) return false;
  // The comma must be a separator, not an escaped comma inside a value (odd number of backslashes before it).
  let slashes = 0;
  for (let i = dn.length - container.length - 2; i >= 0 && dn[i] === '\\'; i -= 1) slashes += 1;
  return slashes % 2 === 0;
}

/** The domain naming context of a DN ("dc=contoso,dc=local"), lowercased; '' when the DN has none. */
export function domainOfDn(dn: string): string {
  const parts = normalizeDn(dn).split(/(?<!\\),/);
  const first = parts.findIndex((p) => p.startsWith('dc='));
  return first < 0 ? '' : parts.slice(first).join(',');
}

/** An SMTP proxy address without its prefix, lowercased, and whether it is the primary one; null for other types. */
export function parseSmtpProxy(proxy: string): { address: string; primary: boolean } | null {
  const value = proxy.trim();
  if (!/^smtp:/i.test(value)) return null;
  const address = value.slice(5).trim().toLowerCase();
  if (address.length === 0) return null;
  return { address, primary: value.startsWith('SMTP:') };
}

/** The primary SMTP address of an object (lowercased): its `SMTP:` proxy address, else mail. */
export function primarySmtpOf(object: { mail: string | null; proxyAddresses: string[] }): string | null {
  for (const proxy of object.proxyAddresses) {
    const parsed = parseSmtpProxy(proxy);
    if (parsed?.primary) return parsed.address;
  }
  const mail = object.mail?.trim().toLowerCase();
  return mail ? mail : null;
}

/** The GUID in a form fit for comparison: lowercase hex with hyphens, no braces. */
export function normalizeGuid(guid: string): string {
  return guid.trim().replace(/[{}]/g, '').toLowerCase();
}
