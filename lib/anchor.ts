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
 * The anchor Entra Connect gives the cloud user once it joins this AD account: the one place that says so.
 * An empty mS-DS-ConsistencyGuid counts as none: Entra Connect then writes objectGUID into it before the
 * export (rule sheet 6.3), so the anchor is objectGUID's.
 */
export function anchorOf(user: { ObjectGUID: string; consistencyGuid: string | null }): string {
  return user.consistencyGuid || guidToImmutableId(user.ObjectGUID);
}
