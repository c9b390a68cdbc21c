// Entra Connect's source anchor: base64 of mS-DS-ConsistencyGuid when set, else of objectGUID,
// both as the 16 bytes .NET's Guid.ToByteArray() gives (the first three fields little-endian).
// Source: "Microsoft Entra Connect: Design concepts", section "Using ms-DS-ConsistencyGuid as sourceAnchor".

export function guidToBytes(guid: string): Buffer {
  const hex = guid.replace(/[{}-]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`not a GUID: ${guid}`);
  const raw = Buffer.from(hex, 'hex');
  const bytes = Buffer.alloc(16);
  // Data1 (4 bytes), Data2 (2) and Data3 (2) are stored little-endian; Data4 (8) as is.
  bytes.writeUInt32LE(raw.readUInt32BE(0), 0);
  bytes.writeUInt16LE(raw.readUInt16BE(4), 4);
  bytes.writeUInt16LE(raw.readUInt16BE(6), 6);
  raw.copy(bytes, 8, 8, 16);
  return bytes;
}

export function guidToImmutableId(guid: string): string {
  return guidToBytes(guid).toString('base64');
}

/**
 * The source anchor attribute of the Entra Connect server (Get-ADSyncGlobalSettings,
 * Microsoft.SynchronizationOption.AnchorAttribute): mS-DS-ConsistencyGuid, objectGUID, or the LDAP name of a
 * custom attribute chosen at install. null when unknown (the server could not be read): upn-match then assumes
 * mS-DS-ConsistencyGuid, the express-settings default since Entra Connect 1.1.524 (rule sheet 6.3).
 */
export type AnchorAttribute = string | null;

/** The account's own value of a custom source anchor attribute (the AD facts read it when the server uses one). */
export interface AnchorSource {
  ObjectGUID: string;
  consistencyGuid: string | null;
  customAnchor?: string | null;
}

export function isObjectGuidAnchor(attribute: AnchorAttribute): boolean {
  return attribute?.toLowerCase() === 'objectguid';
}

export function isConsistencyGuidAnchor(attribute: AnchorAttribute): boolean {
  return attribute === null || attribute.trim() === '' || attribute.toLowerCase() === 'ms-ds-consistencyguid';
}

/**
 * The anchor Entra Connect gives the cloud user once it joins this AD account, under the server's anchor
 * attribute: the one place that says so.
 * - mS-DS-ConsistencyGuid (or unknown): its value; an empty one counts as none: Entra Connect then writes
 *   objectGUID into it before the export (rule sheet 6.3), so the anchor is objectGUID's.
 * - objectGUID: objectGUID's, whatever mS-DS-ConsistencyGuid holds (the server never reads it).
 * - a custom attribute: its value as the AD facts read it (a string as is, binary as base64); null when empty
 *   (Entra Connect does not provision an object without a source anchor).
 */
export function anchorOf(user: AnchorSource, attribute: AnchorAttribute): string | null {
  if (isObjectGuidAnchor(attribute)) return guidToImmutableId(user.ObjectGUID);
  if (isConsistencyGuidAnchor(attribute)) return user.consistencyGuid || guidToImmutableId(user.ObjectGUID);
  return user.customAnchor || null;
}

/**
 * An LDAP display name (RFC 4512 "descr": a letter, then letters, digits and hyphens), as AD's lDAPDisplayName.
 * The anchor attribute comes from the sync server: data, not code, so it must be a name before it goes to
 * PowerShell's -Properties (the scripts check it again with ValidatePattern).
 */
export const LDAP_DISPLAY_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;

/**
 * The custom source anchor attribute the AD reads must read on each account, or null when the server uses
 * objectGUID or mS-DS-ConsistencyGuid (every read has those). Throws when the server names something that is
 * not an LDAP attribute name: reading AD without it would call every account unanchored.
 */
export function customAnchorAttribute(attribute: AnchorAttribute): string | null {
  if (isObjectGuidAnchor(attribute) || isConsistencyGuidAnchor(attribute)) return null;
  const name = attribute!.trim();
  if (!LDAP_DISPLAY_NAME.test(name)) throw new Error(`the Entra Connect server's source anchor attribute is not an LDAP attribute name: ${JSON.stringify(attribute)}`);
  return name;
}
