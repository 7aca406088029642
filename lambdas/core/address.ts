/**
 * The address key (CONTRACT.md §3): `POSTCODE-HUISNUMMER[-SUFFIX]`.
 *
 * Works on UTF-8 bytes so the signal reader can build keys without creating strings;
 * `addressKey()` is the same logic for text.
 *
 * A key packs into two numbers:
 * - `base` = postcodeIndex * 100000 + huisnummer (< 2^40), exact in a double;
 * - `suffixCode` = the suffix as five base-37 digits (pad 0, '0'..'9' 1..10, 'A'..'Z' 11..36),
 *   < 37^5 < 2^27, so numeric order equals text order.
 */
import { postcodeIndex, postcodeText } from './postcode.ts';

export type RowErrorCode =
  | 'ROW_MALFORMED'
  | 'POSTCODE_INVALID'
  | 'HUISNUMMER_INVALID'
  | 'TOEVOEGING_INVALID'
  | 'RISICO_MISSING'
  | 'RISICO_INVALID'
  | 'OUT_OF_AREA'
  | 'FIELD_TOO_LONG'
  | 'DATUM_INVALID';

export const MAX_SUFFIX_LENGTH = 5;

/** Result slots for the byte-level functions (reused, so the hot path allocates nothing). */
export interface KeyParts {
  postcodeIndex: number;
  huisnummer: number;
  suffixCode: number;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
}

/** NBSP in UTF-8 is C2 A0. Returns the width of white space at i (0 if none). */
function spaceWidth(buf: Uint8Array, i: number, end: number): number {
  const b = buf[i] ?? 0;
  if (isSpace(b)) return 1;
  if (b === 0xc2 && i + 1 < end && buf[i + 1] === 0xa0) return 2;
  return 0;
}

/** Postcode bytes → index (0..6_083_999), or -1 when invalid. White space anywhere is ignored. */
export function postcodeFromBytes(buf: Uint8Array, start: number, end: number): number {
  let n = 0;
  let pc4 = 0;
  let l1 = 0;
  let l2 = 0;
  let i = start;
  while (i < end) {
    const w = spaceWidth(buf, i, end);
    if (w > 0) {
      i += w;
      continue;
    }
    let b = buf[i] ?? 0;
    if (n < 4) {
      if (b < 0x30 || b > 0x39 || (n === 0 && b === 0x30)) return -1;
      pc4 = pc4 * 10 + (b - 0x30);
    } else if (n < 6) {
      if (b >= 0x61 && b <= 0x7a) b -= 0x20;
      if (b < 0x41 || b > 0x5a) return -1;
      if (n === 4) l1 = b - 0x41;
      else l2 = b - 0x41;
    } else {
      return -1;
    }
    n++;
    i++;
  }
  if (n !== 6) return -1;
  // SA, SD and SS are never issued.
  if (l1 === 18 && (l2 === 0 || l2 === 3 || l2 === 18)) return -1;
  return postcodeIndex(pc4, l1 * 26 + l2);
}

/**
 * Adds suffix characters from bytes to a running suffix code. Spaces, `-`, `/`, `.`, `_` are removed,
 * letters upper-cased. Returns the new length, or -1 when a character is not allowed or the suffix grows
 * past five characters. The code is kept in `parts.suffixCode` (left-aligned later by `finishSuffix`).
 */
function addSuffixBytes(buf: Uint8Array, start: number, end: number, len: number, parts: KeyParts): number {
  let i = start;
  let n = len;
  while (i < end) {
    const w = spaceWidth(buf, i, end);
    if (w > 0) {
      i += w;
      continue;
    }
    const b = buf[i] ?? 0;
    i++;
    if (b === 0x2d || b === 0x2f || b === 0x2e || b === 0x5f) continue;
    let digit: number;
    if (b >= 0x30 && b <= 0x39) digit = b - 0x30 + 1;
    else if (b >= 0x41 && b <= 0x5a) digit = b - 0x41 + 11;
    else if (b >= 0x61 && b <= 0x7a) digit = b - 0x61 + 11;
    else return -1;
    if (n === MAX_SUFFIX_LENGTH) return -1;
    parts.suffixCode = parts.suffixCode * 37 + digit;
    n++;
  }
  return n;
}

/**
 * Huisnummer, huisletter and toevoeging bytes → `parts.huisnummer` and `parts.suffixCode`.
 * Pass start === end for an absent column. Returns null when valid, or the error code.
 */
export function houseFromBytes(
  buf: Uint8Array,
  hnStart: number,
  hnEnd: number,
  hlStart: number,
  hlEnd: number,
  tvStart: number,
  tvEnd: number,
  parts: KeyParts,
): 'HUISNUMMER_INVALID' | 'TOEVOEGING_INVALID' | null {
  let i = hnStart;
  let e = hnEnd;
  while (i < e) {
    const w = spaceWidth(buf, i, e);
    if (w === 0) break;
    i += w;
  }
  while (e > i && isSpace(buf[e - 1] ?? 0)) e--;
  let digits = 0;
  let value = 0;
  while (i < e) {
    const b = buf[i] ?? 0;
    if (b < 0x30 || b > 0x39) break;
    if (value > 0 || b !== 0x30) digits++;
    if (digits > 5) return 'HUISNUMMER_INVALID';
    value = value * 10 + (b - 0x30);
    i++;
  }
  if (value < 1) return 'HUISNUMMER_INVALID';
  parts.huisnummer = value;
  parts.suffixCode = 0;
  let n = addSuffixBytes(buf, i, e, 0, parts);
  if (n >= 0) n = addSuffixBytes(buf, hlStart, hlEnd, n, parts);
  if (n >= 0) n = addSuffixBytes(buf, tvStart, tvEnd, n, parts);
  if (n < 0) return 'TOEVOEGING_INVALID';
  for (; n < MAX_SUFFIX_LENGTH; n++) parts.suffixCode *= 37;
  return null;
}

const SUFFIX_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Suffix code → text ('' for none). */
export function suffixText(code: number): string {
  let out = '';
  let c = code;
  for (let k = 0; k < MAX_SUFFIX_LENGTH; k++) {
    const d = c % 37;
    c = (c - d) / 37;
    if (d > 0) out = (SUFFIX_ALPHABET[d - 1] ?? '') + out;
  }
  return out;
}

/** Key text of base + suffix code, e.g. 3071AB-12-A. */
export function keyText(base: number, suffixCode: number): string {
  const huis = base % 100000;
  const pc = (base - huis) / 100000;
  const suffix = suffixText(suffixCode);
  return suffix === '' ? `${postcodeText(pc)}-${huis}` : `${postcodeText(pc)}-${huis}-${suffix}`;
}

export interface AddressInput {
  postcode: string;
  huisnummer: string;
  huisletter?: string | undefined;
  toevoeging?: string | undefined;
}

export type AddressKeyResult =
  | {
      ok: true;
      key: string;
      postcode: string;
      huisnummer: number;
      suffix: string;
      base: number;
      suffixCode: number;
    }
  | { ok: false; code: 'POSTCODE_INVALID' | 'HUISNUMMER_INVALID' | 'TOEVOEGING_INVALID' };

const encoder = new TextEncoder();

/** The address key of one address written as text; the first failing part gives the error code. */
export function addressKey(input: AddressInput): AddressKeyResult {
  const pc = encoder.encode(input.postcode);
  const pcIndex = postcodeFromBytes(pc, 0, pc.length);
  if (pcIndex < 0) return { ok: false, code: 'POSTCODE_INVALID' };
  const hn = encoder.encode(input.huisnummer);
  const hl = encoder.encode(input.huisletter ?? '');
  const tv = encoder.encode(input.toevoeging ?? '');
  const all = new Uint8Array(hn.length + hl.length + tv.length);
  all.set(hn, 0);
  all.set(hl, hn.length);
  all.set(tv, hn.length + hl.length);
  const parts: KeyParts = { postcodeIndex: pcIndex, huisnummer: 0, suffixCode: 0 };
  const a = hn.length;
  const b = a + hl.length;
  const err = houseFromBytes(all, 0, a, a, b, b, all.length, parts);
  if (err) return { ok: false, code: err };
  const base = pcIndex * 100000 + parts.huisnummer;
  return {
    ok: true,
    key: keyText(base, parts.suffixCode),
    postcode: postcodeText(pcIndex),
    huisnummer: parts.huisnummer,
    suffix: suffixText(parts.suffixCode),
    base,
    suffixCode: parts.suffixCode,
  };
}
