/**
 * Linkage and selection (CONTRACT.md §5).
 *
 * Signals are grouped by address key with an open-addressing hash table over typed arrays, the groups
 * are put in key order with a native numeric sort, and each group's partners are a bitmask. The result
 * depends only on the set of signals and the order of the store (partners by id, files by name, lines
 * ascending), never on hash order.
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
  /** Rows of address a are rows[rowStart[a] .. rowStart[a + 1]) in store order. */
  readonly rowStart: Uint32Array;
  readonly rows: Uint32Array;
}

const RANK_BITS = 13;
const RANK_LIMIT = 1 << RANK_BITS;

function hashKey(base: number, suffix: number): number {
  const lo = base >>> 0;
  const hi = (base / 4294967296) | 0;
  let h = Math.imul(lo ^ Math.imul(suffix, 0x27d4eb2d), 0x9e3779b1) ^ Math.imul(hi, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 13);
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Links all signals in the store. */
export function linkSignals(store: SignalStore, minPartners: number): Linkage {
  const n = store.size;
  const sb = store.base;
  const ss = store.suffix;

  // 1. Group rows by key.
  let cap = 16;
  while (cap < n * 1.5) cap *= 2;
  const mask = cap - 1;
  const table = new Int32Array(cap).fill(-1);
  const rowGroup = new Int32Array(n);
  let gBase = new Float64Array(Math.max(16, Math.min(n, 1 << 16)));
  let gSuffix = new Int32Array(gBase.length);
  let groups = 0;
  for (let i = 0; i < n; i++) {
    const b = sb[i] ?? 0;
    const s = ss[i] ?? 0;
    let h = hashKey(b, s) & mask;
    for (;;) {
      const g = table[h] ?? -1;
      if (g < 0) {
        if (groups === gBase.length) {
          const nb = new Float64Array(groups * 2);
          nb.set(gBase);
          gBase = nb;
          const ns = new Int32Array(groups * 2);
          ns.set(gSuffix);
          gSuffix = ns;
        }
        gBase[groups] = b;
        gSuffix[groups] = s;
        table[h] = groups;
        rowGroup[i] = groups++;
        break;
      }
      if (gBase[g] === b && gSuffix[g] === s) {
        rowGroup[i] = g;
        break;
      }
      h = (h + 1) & mask;
    }
  }

  // 2. Put the groups in key order: postcode, huisnummer, then suffix as text.
  const position = new Int32Array(groups);
  const sortedBase = new Float64Array(groups);
  const sortedSuffix = new Int32Array(groups);
  const codes = new Set<number>();
  for (let g = 0; g < groups; g++) codes.add(gSuffix[g] ?? 0);
  const rankToCode = Float64Array.from(codes).sort();
  if (rankToCode.length <= RANK_LIMIT) {
    const codeToRank = new Map<number, number>();
    rankToCode.forEach((c, r) => {
      codeToRank.set(c, r);
    });
    const composite = new Float64Array(groups);
    for (let g = 0; g < groups; g++) {
      composite[g] = (gBase[g] ?? 0) * RANK_LIMIT + (codeToRank.get(gSuffix[g] ?? 0) ?? 0);
    }
    composite.sort();
    for (let k = 0; k < groups; k++) {
      const c = composite[k] ?? 0;
      const r = c % RANK_LIMIT;
      const b = (c - r) / RANK_LIMIT;
      const s = rankToCode[r] ?? 0;
      sortedBase[k] = b;
      sortedSuffix[k] = s;
      let h = hashKey(b, s) & mask;
      for (;;) {
        const g = table[h] ?? -1;
        if (g >= 0 && gBase[g] === b && gSuffix[g] === s) {
          position[g] = k;
          break;
        }
        h = (h + 1) & mask;
      }
    }
  } else {
    // Many distinct suffixes (only hostile input has these): a comparison sort of the groups.
    const order = Array.from({ length: groups }, (_, g) => g);
    order.sort((x, y) => (gBase[x] ?? 0) - (gBase[y] ?? 0) || (gSuffix[x] ?? 0) - (gSuffix[y] ?? 0));
    order.forEach((g, k) => {
      position[g] = k;
      sortedBase[k] = gBase[g] ?? 0;
      sortedSuffix[k] = gSuffix[g] ?? 0;
    });
  }

  // 3. Partners per address, and rows per address in store order (a stable counting sort).
  const partnerCount = store.partnerIds.length;
  const words = Math.max(1, Math.ceil(partnerCount / 32));
  const sourcePartner = Uint16Array.from(store.sources, (s) => s.partner);
  const partnerMask = new Uint32Array(groups * words);
  const rowStart = new Uint32Array(groups + 1);
  for (let i = 0; i < n; i++) {
    const k = position[rowGroup[i] ?? 0] ?? 0;
    rowGroup[i] = k;
    const p = sourcePartner[store.source[i] ?? 0] ?? 0;
    const w = k * words + (p >>> 5);
    partnerMask[w] = (partnerMask[w] ?? 0) | (1 << (p & 31));
    rowStart[k + 1] = (rowStart[k + 1] ?? 0) + 1;
  }
  for (let k = 0; k < groups; k++) rowStart[k + 1] = (rowStart[k + 1] ?? 0) + (rowStart[k] ?? 0);
  const fill = rowStart.slice(0, groups);
  const rows = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const k = rowGroup[i] ?? 0;
    const at = fill[k] ?? 0;
    rows[at] = i;
    fill[k] = at + 1;
  }
  const counts = new Uint16Array(groups);
  let multi = 0;
  for (let k = 0; k < groups; k++) {
    let c = 0;
    for (let w = 0; w < words; w++) c += popcount(partnerMask[k * words + w] ?? 0);
    counts[k] = c;
    if (c >= minPartners) multi++;
  }
  return {
    store,
    minPartners,
    addresses: groups,
    multiInterest: multi,
    base: sortedBase,
    suffix: sortedSuffix,
    partnerMask,
    words,
    partnerCount: counts,
    rowStart,
    rows,
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
