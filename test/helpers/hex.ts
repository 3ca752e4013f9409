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
