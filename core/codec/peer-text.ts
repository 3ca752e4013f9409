// Text a peer sent, made safe to put in a log line or an error message, and error text
// made short enough to send back. A peer's string may be 65,535 bytes of anything: an
// error message that embedded it whole once became a DISCONNECT Reason String too long
// for an MQTT string, and the encoder threw (issue 13). So peer text is always quoted and
// cut, and a Reason String is capped in bytes.

import { decodeUtf8, encodeUtf8, utf8Length } from './utf8.js';

/** UTF-16 units of a peer's string kept in a message; the rest is replaced by its size. */
export const QUOTE_MAX = 64;

/** Bytes of a Reason String we send (5.0 §3.14.2.2.3 leaves the size to the sender). */
export const REASON_STRING_MAX = 128;

/**
 * `s` as a JSON string literal (quotes, control characters escaped: no line breaks in a log
 * from a peer), cut after QUOTE_MAX units, never inside a surrogate pair, with the byte size
 * of the whole string after the cut.
 */
export function quote(s: string): string {
  if (s.length <= QUOTE_MAX) return JSON.stringify(s);
  let n = QUOTE_MAX;
  if (isHighSurrogate(s.charCodeAt(n - 1))) n--;
  return JSON.stringify(s.slice(0, n)) + '... (' + utf8Length(s) + ' bytes)';
}

/**
 * The longest start of `s` that is at most `maxBytes` of UTF-8, cut between code points.
 * Cut on the encoded bytes and decoded again, so it is right in every string model utf8.ts
 * names (UTF-16, code points, byte strings); only a long string pays for the copy.
 */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (utf8Length(s) <= maxBytes) return s;
  const bytes = encodeUtf8(s);
  let end = maxBytes;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;   // never inside a character
  const cut = decodeUtf8(bytes, 0, end);
  return cut === null ? '' : cut;                         // U+0000 is not text to send
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/**
 * A peer's identifier (a client id) in front of a log line: as it is when it is short plain
 * printable ASCII (what clients use), else quoted and cut as quote() does.
 */
export function label(s: string): string {
  const length = s.length;
  if (length === 0 || length > QUOTE_MAX) return quote(s);
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x22) return quote(s);
  }
  return s;
}
