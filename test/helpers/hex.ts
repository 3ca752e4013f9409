// Hex helpers for tests: write packets as the spec prints them, compare as text.
//   hex('30 05 00 01 61 68 69') -> Uint8Array [0x30, 0x05, ...]
//   toHex(bytes)                -> '30 05 00 01 61 68 69'
// Whitespace (spaces, newlines) between bytes is ignored; every byte is exactly two digits.

export function hex(s: string): Uint8Array {
  const digits = s.replace(/\s+/g, '');
  if (digits.length % 2 !== 0 || /[^0-9a-fA-F]/.test(digits)) {
    throw new Error('hex(): not a sequence of two-digit hex bytes: ' + JSON.stringify(s));
  }
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.substr(i * 2, 2), 16);
  return out;
}

export function toHex(u8: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < u8.length; i++) parts.push((u8[i] < 16 ? '0' : '') + u8[i].toString(16).toUpperCase());
  return parts.join(' ');
}

// Concatenate byte arrays.
export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/**
 * The reason code of the one 5.0 DISCONNECT in `bytes` (what the broker sent a client), and
 * its reason string if any: the string is for people, so tests check the code byte exactly
 * and only that the string is there.
 */
export function disconnectOf(bytes: Uint8Array): string {
  // E0, Remaining Length (one byte here), reason code, then optional properties.
  if (bytes.length < 3 || bytes[0] !== 0xe0 || bytes[1] !== bytes.length - 2) return 'not one DISCONNECT: ' + toHex(bytes);
  const rc = bytes[2].toString(16).toUpperCase().padStart(2, '0');
  if (bytes.length === 3) return 'E0 ' + rc;
  // Property Length, then Reason String (0x1F) as the only property.
  return bytes[4] === 0x1f && bytes[3] === bytes.length - 4 ? 'E0 ' + rc + ' +reason' : 'E0 ' + rc + ' +properties ' + toHex(bytes.subarray(3));
}
