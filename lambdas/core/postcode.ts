/**
 * Dutch postcodes as small integers.
 *
 * A valid postcode is four digits (first not 0) and two letters. Its index packs into
 * 0..6_083_999: (pc4 - 1000) * 676 + letters, so postcodes sort numerically in the
 * same order as their text and a set of them fits a bitmap.
 */

export const POSTCODE_COUNT = 9000 * 676;

/** Letter pairs that PostNL never issues. */
const FORBIDDEN_LETTERS = new Set(['SA', 'SD', 'SS']);

export function postcodeIndex(pc4: number, letters: number): number {
  return (pc4 - 1000) * 676 + letters;
}

/** Text of a postcode index, e.g. 3071AB. */
export function postcodeText(index: number): string {
  const pc4 = Math.floor(index / 676) + 1000;
  const l = index % 676;
  return `${pc4}${String.fromCharCode(65 + Math.floor(l / 26), 65 + (l % 26))}`;
}

/**
 * Normalises postcode text (white space removed, upper-cased) and returns its index,
 * or -1 when it is not a valid postcode.
 */
export function parsePostcode(text: string): number {
  const s = text.replace(/[\s\u00a0]+/g, '').toUpperCase();
  if (!/^[1-9][0-9]{3}[A-Z]{2}$/.test(s)) return -1;
  if (FORBIDDEN_LETTERS.has(s.slice(4))) return -1;
  return postcodeIndex(Number(s.slice(0, 4)), (s.charCodeAt(4) - 65) * 26 + (s.charCodeAt(5) - 65));
}

/** An inclusive range of postcode indexes. */
export interface PostcodeRange {
  readonly from: number;
  readonly to: number;
}

/**
 * Parses one project-area entry: `NNNNLL-NNNNLL`, `NNNN-NNNN`, `NNNN` or `NNNNLL`.
 * Spaces inside a postcode are ignored, letters are case-insensitive.
 * Returns a range, or a Dutch message saying what is wrong.
 */
export function parseAreaEntry(entry: string): PostcodeRange | string {
  const s = entry.replace(/[\s\u00a0]+/g, '').toUpperCase();
  const m = /^([1-9][0-9]{3})([A-Z]{2})?(?:-([1-9][0-9]{3})([A-Z]{2})?)?$/.exec(s);
  if (!m) {
    return `"${entry}" is geen geldig gebied; gebruik 3071, 3071AB, 3071-3089 of 3071AA-3089ZZ`;
  }
  const [, fromPc4, fromLetters, toPc4, toLetters] = m;
  if (toPc4 !== undefined && (fromLetters === undefined) !== (toLetters === undefined)) {
    return `"${entry}": begin en eind van een bereik moeten allebei 4 cijfers of allebei 6 tekens zijn`;
  }
  const letterIndex = (l: string | undefined, fallback: number): number =>
    l === undefined ? fallback : (l.charCodeAt(0) - 65) * 26 + (l.charCodeAt(1) - 65);
  const from = postcodeIndex(Number(fromPc4), letterIndex(fromLetters, 0));
  const to =
    toPc4 === undefined
      ? postcodeIndex(Number(fromPc4), letterIndex(fromLetters, 675))
      : postcodeIndex(Number(toPc4), letterIndex(toLetters, 675));
  if (to < from) return `"${entry}": het begin van het bereik ligt na het eind`;
  return { from, to };
}

/** A set of postcodes as a bitmap: O(1) membership for the project area. */
export class PostcodeSet {
  private readonly bits = new Uint32Array(Math.ceil(POSTCODE_COUNT / 32));

  constructor(ranges: readonly PostcodeRange[]) {
    for (const { from, to } of ranges) {
      for (let i = from; i <= to; i++) this.bits[i >>> 5] = (this.bits[i >>> 5] ?? 0) | (1 << (i & 31));
    }
  }

  has(index: number): boolean {
    return ((this.bits[index >>> 5] ?? 0) & (1 << (index & 31))) !== 0;
  }
}
