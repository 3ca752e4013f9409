// UTF-8 for MQTT strings, written out because Espruino has no TextEncoder/TextDecoder and
// on Moddable they are a module, not a global (design.md §4). Byte lengths always come
// from here, never from a string's `length`.
//
// MQTT narrows UTF-8 [MQTT-1.5.4-1..3]: well-formed only, no surrogate code points
// (U+D800..U+DFFF), no U+0000; a U+FEFF (BOM) is an ordinary character and is kept.

/** Bytes needed to encode `s` as UTF-8 (a lone surrogate counts as U+FFFD, 3 bytes). */
export function utf8Length(s: string): number {
  let n = 0;
  const length = s.length;   // read once: XS allocates a String wrapper for each property read
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < length && isLowSurrogate(s.charCodeAt(i + 1))) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Writes `s` as UTF-8 into `out` at `offset`, returns the offset after it. The caller has
 * sized `out` with utf8Length. A lone surrogate becomes U+FFFD: MQTT forbids sending one
 * [MQTT-1.5.4-1].
 */
export function writeUtf8(s: string, out: Uint8Array, offset: number): number {
  let o = offset;
  const length = s.length;
  for (let i = 0; i < length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
      continue;
    }
    if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && isLowSurrogate(next)) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        out[o++] = 0xf0 | (c >> 18);
        out[o++] = 0x80 | ((c >> 12) & 0x3f);
        out[o++] = 0x80 | ((c >> 6) & 0x3f);
        out[o++] = 0x80 | (c & 0x3f);
        continue;
      }
      c = 0xfffd;
    }
    out[o++] = 0xe0 | (c >> 12);
    out[o++] = 0x80 | ((c >> 6) & 0x3f);
    out[o++] = 0x80 | (c & 0x3f);
  }
  return o;
}

export function encodeUtf8(s: string): Uint8Array {
  const out = new Uint8Array(utf8Length(s));
  writeUtf8(s, out, 0);
  return out;
}

/**
 * Decodes bytes[start, end) as an MQTT UTF-8 string, or returns null when they are not
 * one: ill-formed or overlong sequences, surrogates, code points above U+10FFFF, or U+0000
 * [MQTT-1.5.4-1] [MQTT-1.5.4-2].
 */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number, scratch?: number[][]): string | null {
  // Most topics and client ids are ASCII: check, then build the string in one call.
  let i = start;
  while (i < end && bytes[i] < 0x80 && bytes[i] !== 0) i++;
  if (i === end) {
    const n = end - start;
    if (scratch === undefined || n > 64) return asciiString(bytes, start, end);
    // A reused array of exactly n numbers: twice as fast as applying a typed-array view.
    let codes = scratch[n];
    if (codes === undefined) {
      codes = [];
      for (let k = 0; k < n; k++) codes.push(0);
      scratch[n] = codes;
    }
    for (let k = 0; k < n; k++) codes[k] = bytes[start + k];
    return String.fromCharCode.apply(null, codes);
  }
  if (bytes[i] === 0) return null;
  let s = asciiString(bytes, start, i);
  while (i < end) {
    const b = bytes[i];
    let c: number;
    if (b < 0x80) {
      if (b === 0) return null;
      c = b;
      i += 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
      if (i + 1 >= end || !isContinuation(bytes[i + 1])) return null;
      c = ((b & 0x1f) << 6) | (bytes[i + 1] & 0x3f);
      i += 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      if (i + 2 >= end || !isContinuation(bytes[i + 1]) || !isContinuation(bytes[i + 2])) return null;
      c = ((b & 0x0f) << 12) | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f);
      if (c < 0x800 || (c >= 0xd800 && c <= 0xdfff)) return null;   // overlong, or a surrogate
      i += 3;
    } else if (b >= 0xf0 && b <= 0xf4) {
      if (i + 3 >= end || !isContinuation(bytes[i + 1]) || !isContinuation(bytes[i + 2]) ||
        !isContinuation(bytes[i + 3])) return null;
      c = ((b & 0x07) << 18) | ((bytes[i + 1] & 0x3f) << 12) | ((bytes[i + 2] & 0x3f) << 6) | (bytes[i + 3] & 0x3f);
      if (c < 0x10000 || c > 0x10ffff) return null;
      i += 4;
      c -= 0x10000;
      s += String.fromCharCode(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
      continue;
    } else {
      return null;   // a stray continuation byte, C0/C1 (always overlong) or F5..FF
    }
    s += String.fromCharCode(c);
  }
  return s;
}

function isContinuation(b: number): boolean {
  return (b & 0xc0) === 0x80;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

// fromCharCode.apply over a view: one call instead of a concatenation per character. The
// view is cut in slices so no engine meets an argument list longer than it accepts.
function asciiString(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 1024) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  let s = '';
  for (let i = start; i < end; i += 1024) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 1024)) as unknown as number[]);
  }
  return s;
}

/**
 * Whether bytes are well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF). Unlike decodeUtf8 it allows U+0000 and builds no string: it is the check
 * a Payload Format Indicator of 1 asks for (5.0 §3.3.2.3.2).
 */
export function isWellFormedUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const b = bytes[i];
    if (b < 0x80) { i++; continue; }
    let need: number;
    let min: number;
    let c: number;
    if (b >= 0xc2 && b <= 0xdf) { need = 1; min = 0x80; c = b & 0x1f; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; min = 0x800; c = b & 0x0f; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; min = 0x10000; c = b & 0x07; }
    else return false;
    for (let k = 1; k <= need; k++) {
      if (i + k >= end || !isContinuation(bytes[i + k])) return false;
      c = (c << 6) | (bytes[i + k] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}
