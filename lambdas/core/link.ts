/**
 * Linkage and selection (CONTRACT.md §5).
 *
 * The rows are sorted by address key with a stable LSD radix sort (11-bit digits over the suffix rank,
 * then the 40-bit base), the store is put in that order, and one front-to-back scan finds the
 * addresses, their rows and their partners (a bitmask). No hash table, no comparison sort: the cost is a
 * few sequential passes. The result depends only on the set of signals and the order of the store
 * (partners by id, files by name, lines ascending): equal keys keep that order.
 */
import type { SignalStore } from './store.ts';

export interface Linkage {
  readonly store: SignalStore;
  readonly minPartners: number;
  /** Number of addresses (distinct keys). */
  readonly addresses: number;
  /** Number of addresses with multiple interest. */
  readonly multiInterest: number;
  /** Per address, in key order: base = postcodeIndex * 100000 + huisnummer. */
  readonly base: Float64Array;
  /** Per address, in key order: the suffix code. */
  readonly suffix: Int32Array;
  /** Per address: partner bitmask, `words` Uint32 words per address. */
  readonly partnerMask: Uint32Array;
  readonly words: number;
  /** Per address: number of distinct partners. */
  readonly partnerCount: Uint16Array;
  /**
   * The store is put in key order by linkage: the signals of address a are store rows
   * rowStart[a] .. rowStart[a + 1] - 1, in their original order (partner, file, line).
   */
  readonly rowStart: Uint32Array;
}

export interface LinkOptions {
  /** Free the store's per-row keys once grouped (the caller will not read them again). @default false */
  readonly releaseKeys?: boolean;
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

const DIGIT_BITS = 11;
const BUCKETS = 1 << DIGIT_BITS;

/**
 * One stable counting pass over `src` by an 11-bit digit of each row's key, into `dst`.
 * kind 0: the suffix rank; 1: the low 32 bits of base; 2: the high bits of base.
 * Returns false (and leaves dst alone) when every row has the same digit.
 */
function radixPass(
  src: Uint32Array,
  dst: Uint32Array,
  count: Uint32Array,
  kind: 0 | 1 | 2,
  shift: number,
  rank: Uint32Array,
  base: Float64Array,
): boolean {
  const n = src.length;
  const mask = BUCKETS - 1;
  count.fill(0);
  const bump = (d: number) => {
    count[d] = (count[d] ?? 0) + 1;
  };
  if (kind === 0) for (let j = 0; j < n; j++) bump(((rank[src[j] ?? 0] ?? 0) >>> shift) & mask);
  else if (kind === 1) for (let j = 0; j < n; j++) bump((((base[src[j] ?? 0] ?? 0) >>> 0) >>> shift) & mask);
  else for (let j = 0; j < n; j++) bump(((((base[src[j] ?? 0] ?? 0) / 4294967296) | 0) >>> shift) & mask);
  let sum = 0;
  for (let d = 0; d < BUCKETS; d++) {
    const c = count[d] ?? 0;
    if (c === n) return false;
    count[d] = sum;
    sum += c;
  }
  if (kind === 0) {
    for (let j = 0; j < n; j++) {
      const r = src[j] ?? 0;
      const d = ((rank[r] ?? 0) >>> shift) & mask;
      dst[count[d] ?? 0] = r;
      count[d] = (count[d] ?? 0) + 1;
    }
  } else if (kind === 1) {
    for (let j = 0; j < n; j++) {
      const r = src[j] ?? 0;
      const d = (((base[r] ?? 0) >>> 0) >>> shift) & mask;
      dst[count[d] ?? 0] = r;
      count[d] = (count[d] ?? 0) + 1;
    }
  } else {
    for (let j = 0; j < n; j++) {
      const r = src[j] ?? 0;
      const d = ((((base[r] ?? 0) / 4294967296) | 0) >>> shift) & mask;
      dst[count[d] ?? 0] = r;
      count[d] = (count[d] ?? 0) + 1;
    }
  }
  return true;
}

/** Links all signals in the store, putting the store in key order. */
export function linkSignals(store: SignalStore, minPartners: number, options: LinkOptions = {}): Linkage {
  const n = store.size;

  // 1. The suffix codes in text order (code 0, no suffix, first): a rank per row.
  const codes = new Set<number>([0]);
  for (let i = 0; i < n; i++) {
    const c = store.suffix[i] ?? 0;
    if (c !== 0) codes.add(c);
  }
  const rankToCode = Float64Array.from(codes).sort();
  const codeToRank = new Map<number, number>();
  rankToCode.forEach((c, r) => {
    codeToRank.set(c, r);
  });
  const rank = new Uint32Array(n);
  if (rankToCode.length > 1) {
    for (let i = 0; i < n; i++) {
      const c = store.suffix[i] ?? 0;
      if (c !== 0) rank[i] = codeToRank.get(c) ?? 0;
    }
  }

  // 2. Sort the rows by (base, rank), least significant digit first; stable, so equal keys keep order.
  let src = new Uint32Array(n);
  for (let i = 0; i < n; i++) src[i] = i;
  let dst = new Uint32Array(n);
  const count = new Uint32Array(BUCKETS);
  const passes: [0 | 1 | 2, number][] = [];
  for (let shift = 0; shift < 32 && rankToCode.length - 1 >= 2 ** shift; shift += DIGIT_BITS)
    passes.push([0, shift]);
  passes.push([1, 0], [1, 11], [1, 22], [2, 0]);
  for (const [kind, shift] of passes) {
    if (radixPass(src, dst, count, kind, shift, rank, store.base)) [src, dst] = [dst, src];
  }
  dst = new Uint32Array(0);
  store.permute(src);
  src = new Uint32Array(0);

  // 3. One scan in key order: addresses, their first rows, their partners.
  const base = store.base;
  const suffix = store.suffix;
  let groups = 0;
  for (let j = 0; j < n; j++) {
    if (j === 0 || base[j] !== base[j - 1] || suffix[j] !== suffix[j - 1]) groups++;
  }
  const partnerTotal = store.partnerIds.length;
  const words = Math.max(1, Math.ceil(partnerTotal / 32));
  const sourcePartner = Uint16Array.from(store.sources, (s) => s.partner);
  const gBase = new Float64Array(groups);
  const gSuffix = new Int32Array(groups);
  const rowStart = new Uint32Array(groups + 1);
  const partnerMask = new Uint32Array(groups * words);
  let k = -1;
  for (let j = 0; j < n; j++) {
    const b = base[j] ?? 0;
    const sfx = suffix[j] ?? 0;
    if (k < 0 || b !== gBase[k] || sfx !== gSuffix[k]) {
      k++;
      gBase[k] = b;
      gSuffix[k] = sfx;
      rowStart[k] = j;
    }
    const p = sourcePartner[store.source[j] ?? 0] ?? 0;
    const w = k * words + (p >>> 5);
    partnerMask[w] = (partnerMask[w] ?? 0) | (1 << (p & 31));
  }
  rowStart[groups] = n;
  if (options.releaseKeys) store.releaseKeys();
  const counts = new Uint16Array(groups);
  let multi = 0;
  for (let a = 0; a < groups; a++) {
    let c = 0;
    for (let w = 0; w < words; w++) c += popcount(partnerMask[a * words + w] ?? 0);
    counts[a] = c;
    if (c >= minPartners) multi++;
  }
  return {
    store,
    minPartners,
    addresses: groups,
    multiInterest: multi,
    base: gBase,
    suffix: gSuffix,
    partnerMask,
    words,
    partnerCount: counts,
    rowStart,
  };
}

/** Partner indexes of address k, ascending. */
export function partnersOf(l: Linkage, k: number): number[] {
  const out: number[] = [];
  for (let w = 0; w < l.words; w++) {
    let m = l.partnerMask[k * l.words + w] ?? 0;
    while (m !== 0) {
      const bit = 31 - Math.clz32(m & -m);
      out.push(w * 32 + bit);
      m &= m - 1;
    }
  }
  return out;
}
