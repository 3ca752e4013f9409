// UTF-8 for MQTT strings, written out because Espruino has no TextEncoder/TextDecoder and
// on Moddable they are a module, not a global (design.md §4). Byte lengths always come
// from here, never from a string's `length`.
//
// MQTT narrows UTF-8 [MQTT-1.5.4-1..3]: well-formed only, no surrogate code points
// (U+D800..U+DFFF), no U+0000; a U+FEFF (BOM) is an ordinary character and is kept.
//
// Engines keep strings in three ways, and every function here is right in each:
// - UTF-16 (V8, and xsnap's XS, built with mxCESU8): charCodeAt gives code units, a
//   character above U+FFFF is a surrogate pair;
// - code points (the Moddable SDK's XS on a device and in its simulator: strings stored as
//   UTF-8): charCodeAt gives whole code points, up to 0x10FFFF (`"a\u00fc\u{1F600}".length`
//   is 3). XS's String.fromCharCode still takes each argument modulo 65536, but it joins a
//   surrogate pair given in the same call into one character, so decoding always passes a
//   pair in one call;
// - bytes (Espruino without Unicode support, as on ESP32): every char is one byte, 0..255,
//   and text is held as its UTF-8 bytes (an e-acute typed in a program's source is 2 chars
//   there, c3 a9).
//   Decoding gives the bytes themselves as chars; encoding copies the chars as bytes and
//   turns any byte outside a well-formed sequence into '?', so what is sent is well-formed
//   whatever the string holds, and its length is the string's.
// The first two need no telling apart: a charCodeAt value above 0xFFFF is a code point, a
// surrogate pair only appears where the engine makes them. Byte strings are found once, here.
// (Moddable preloads modules by running them in its host tools' XS, which stores strings as
// the device's does, so the constant frozen into flash is the device's.)

/** Whether a string made of char code `c` gives `c` back (a byte string keeps the low 8 bits). */
function holdsCharCode(c: number): boolean {
  return String.fromCharCode(c).charCodeAt(0) === c;
}

// Asked through a function: esbuild's minifier folds `String.fromCharCode(0x20ac).charCodeAt(0)`
// on the build machine, which would bake Node's answer into the Espruino bundle.
const BYTE_STRINGS = !holdsCharCode(0x20ac);

/**
 * UTF-8 bytes per unit of a string's `length`, at most, in every string model: 3 for a
 * UTF-16 unit, 4 for a whole code point, 1 for a byte. For sizing a buffer
 * before writeUtf8 without a pass over the string; never a byte count.
 */
export const MAX_UTF8_PER_UNIT = 4;

/** Bytes needed to encode `s` as UTF-8 (a lone surrogate counts as U+FFFD, 3 bytes). */
export function utf8Length(s: string): number {
  if (BYTE_STRINGS) return s.length;   // one char per byte, written as it is (writeUtf8)
  let n = 0;
  const length = s.length;   // read once: XS allocates a String wrapper for each property read
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c > 0xffff) n += 4;   // a whole code point (XS on the device)
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < length && isLowSurrogate(s.charCodeAt(i + 1))) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Writes `s` as UTF-8 into `out` at `offset`, returns the offset after it. The caller has
 * sized `out` with utf8Length (or with 4 bytes per unit of `length`, an upper bound in every
 * string model). A lone surrogate becomes U+FFFD: MQTT forbids sending one [MQTT-1.5.4-1].
 */
export function writeUtf8(s: string, out: Uint8Array, offset: number): number {
  if (BYTE_STRINGS) return writeByteString(s, out, offset);
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
      } else c = 0xfffd;
    }
    if (c > 0xffff) {
      out[o++] = 0xf0 | (c >> 18);
      out[o++] = 0x80 | ((c >> 12) & 0x3f);
      out[o++] = 0x80 | ((c >> 6) & 0x3f);
      out[o++] = 0x80 | (c & 0x3f);
      continue;
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
  if (BYTE_STRINGS) return decodeByteString(bytes, i, start, end);
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
      // One call with the pair: a UTF-16 engine keeps both units, XS joins them into one
      // code point (two calls would leave it two surrogate code points).
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
    if (bytes[i] < 0x80) { i++; continue; }
    const k = sequenceLength(bytes, i, end);
    if (k === 0) return false;
    i += k;
  }
  return true;
}

/**
 * Length of the well-formed sequence of 2 to 4 bytes that starts at bytes[i] (a byte of
 * 0x80 or more) and ends by `end`, or 0 when there is none (RFC 3629).
 */
function sequenceLength(bytes: Uint8Array, i: number, end: number): number {
  const b = bytes[i];
  let need: number;
  let min: number;
  let c: number;
  if (b >= 0xc2 && b <= 0xdf) { need = 1; min = 0x80; c = b & 0x1f; }
  else if (b >= 0xe0 && b <= 0xef) { need = 2; min = 0x800; c = b & 0x0f; }
  else if (b >= 0xf0 && b <= 0xf4) { need = 3; min = 0x10000; c = b & 0x07; }
  else return 0;
  for (let k = 1; k <= need; k++) {
    if (i + k >= end || !isContinuation(bytes[i + k])) return 0;
    c = (c << 6) | (bytes[i + k] & 0x3f);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
  return need + 1;
}

// ---- byte strings (Espruino) ------------------------------------------------------------

/** bytes[start, end) as an MQTT UTF-8 string of bytes (the checks of decodeUtf8), or null. */
function decodeByteString(bytes: Uint8Array, from: number, start: number, end: number): string | null {
  for (let k = from; k < end; k++) if (bytes[k] === 0) return null;
  return isWellFormedUtf8(bytes, from, end) ? asciiString(bytes, start, end) : null;
}

/** The chars as bytes, then every byte outside a well-formed sequence turned into '?'. */
function writeByteString(s: string, out: Uint8Array, offset: number): number {
  const end = offset + s.length;
  for (let i = offset; i < end; i++) {
    // A char above 255 exists only in Espruino's builds with Unicode support (a literal
    // "\u20ac" in the program): it would be cut to its low byte, so it is '?' as well.
    const c = s.charCodeAt(i - offset);
    out[i] = c > 0xff ? 0x3f : c;
  }
  let i = offset;
  while (i < end) {
    if (out[i] < 0x80) { i++; continue; }
    const k = sequenceLength(out, i, end);
    if (k === 0) out[i++] = 0x3f;
    else i += k;
  }
  return end;
}
