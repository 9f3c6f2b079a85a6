/**
 * Printing untrusted text (tool names, descriptions, REJECT reasons, error messages, tool
 * output) to a terminal: control characters are shown escaped, never sent raw, so a value cannot
 * move the cursor, recolour or clear the screen, or forge a line such as `ADD: …`.
 *
 * Escaped: C0 controls (U+0000–U+001F, including ESC), DEL, C1 controls (U+0080–U+009F), the
 * line/paragraph separators U+2028/U+2029 and the bidirectional-override characters
 * (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069). `\n`, `\r`, `\t` print as those
 * two-character escapes, ESC as `\x1b`, others as `\xHH` / `\uHHHH`.
 *
 * @example
 * ```ts
 * escapeLine('REJECT: bad\n\u001b[2KADD: evil'); // 'REJECT: bad\\n\\x1b[2KADD: evil'
 * ```
 */
import { CocodaError } from '../errors.ts';

// eslint-disable-next-line no-control-regex
const ALL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const JSON_EXTRA = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function esc(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  const n = c.charCodeAt(0);
  return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/** One line of untrusted text: every control character escaped, newlines included. */
export function escapeLine(s: string): string {
  return String(s).replace(ALL, esc);
}

/** Multi-line untrusted text: like {@link escapeLine} but newlines kept (tabs and CRs escaped). */
export function escapeText(s: string): string {
  return String(s).replace(BUT_NEWLINE, esc);
}

/**
 * `JSON.stringify` whose output is also safe on a terminal: JSON already escapes C0 controls;
 * DEL, C1 and bidi controls are written as `\uHHHH` escapes too (same parsed value).
 */
export function safeJson(value: unknown, replacer?: (this: unknown, key: string, value: unknown) => unknown): string {
  const s = JSON.stringify(value, replacer as never);
  return s === undefined ? s : s.replace(JSON_EXTRA, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Byte offset of the first invalid UTF-8 sequence in `bytes` (overlong forms, surrogates, code
 * points above U+10FFFF and truncated sequences are invalid), or -1 when it is all valid.
 */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f; // no UTF-16 surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f; // nothing above U+10FFFF
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * Decodes a file's bytes as UTF-8 (a leading BOM is dropped), refusing anything else.
 * @throws CocodaError `ERR_ENCODING`: `"specs.json" is not valid UTF-8: byte 0xff at byte offset 1234`
 */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  const at = invalidUtf8Offset(bytes);
  if (at >= 0) {
    throw new CocodaError(`"${file}" is not valid UTF-8: byte 0x${bytes[at]!.toString(16).padStart(2, '0')} at byte offset ${at}`, 'ERR_ENCODING', { file, offset: at });
  }
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}
