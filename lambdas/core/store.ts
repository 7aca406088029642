/**
 * Accepted signals in columns of typed arrays: about 40 bytes a signal, no object per row.
 * Texts that repeat (risico, omschrijving) are interned; references go into a byte arena.
 */

/**
 * Interns UTF-8 byte strings without creating strings: an open-addressing hash table over the bytes,
 * the values kept back to back in one growable buffer. Id 0 means "none".
 */
export class Interner {
  private table = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private starts = new Uint32Array(1024);
  private ends = new Uint32Array(1024);
  /** The interned bytes; value `id` is bytes[start(id) .. end(id)). */
  bytes = new Uint8Array(1 << 16);
  private used = 0;
  private count = 0;

  intern(buf: Uint8Array, start: number, end: number): number {
    if (start === end) return 0;
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ (buf[i] ?? 0), 0x01000193);
    const mask = this.table.length - 1;
    let slot = h & mask;
    const n = end - start;
    for (;;) {
      const id = this.table[slot] ?? 0;
      if (id === 0) break;
      if (this.hashes[id] === h) {
        const s = this.starts[id] ?? 0;
        if ((this.ends[id] ?? 0) - s === n) {
          let k = 0;
          while (k < n && this.bytes[s + k] === buf[start + k]) k++;
          if (k === n) return id;
        }
      }
      slot = (slot + 1) & mask;
    }
    const id = ++this.count;
    if (id >= this.hashes.length) this.growIds();
    if (this.used + n > this.bytes.length) {
      const nb = new Uint8Array(Math.max(this.bytes.length * 2, this.used + n));
      nb.set(this.bytes.subarray(0, this.used));
      this.bytes = nb;
    }
    const b = this.bytes;
    let p = this.used;
    for (let i = start; i < end; i++) b[p++] = buf[i] ?? 0;
    this.starts[id] = this.used;
    this.ends[id] = p;
    this.used = p;
    this.hashes[id] = h;
    this.table[slot] = id;
    if (id * 2 > this.table.length) this.rehash();
    return id;
  }

  start(id: number): number {
    return this.starts[id] ?? 0;
  }

  end(id: number): number {
    return this.ends[id] ?? 0;
  }

  /** A copy of value `id`. */
  get(id: number): Uint8Array {
    return this.bytes.slice(this.start(id), this.end(id));
  }

  get size(): number {
    return this.count;
  }

  private growIds(): void {
    const cap = this.hashes.length * 2;
    const h = new Int32Array(cap);
    h.set(this.hashes);
    this.hashes = h;
    const s = new Uint32Array(cap);
    s.set(this.starts);
    this.starts = s;
    const e = new Uint32Array(cap);
    e.set(this.ends);
    this.ends = e;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let id = 1; id <= this.count; id++) {
      let slot = (this.hashes[id] ?? 0) & mask;
      while ((table[slot] ?? 0) !== 0) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.table = table;
  }
}

const ARENA_CHUNK_BITS = 24;
const ARENA_CHUNK = 1 << ARENA_CHUNK_BITS;

/** Short byte strings in 16 MiB chunks; a reference is a Uint32 (0 = none). */
export class Arena {
  private readonly chunks: Uint8Array[] = [];
  private current: Uint8Array = new Uint8Array(0);
  private pos = ARENA_CHUNK;

  /** Stores up to 65535 bytes, returns a reference. */
  put(buf: Uint8Array, start: number, end: number): number {
    const n = end - start;
    if (n === 0) return 0;
    if (this.pos + n + 2 > ARENA_CHUNK) {
      if (this.chunks.length >= 255) throw new RangeError('arena full');
      this.current = new Uint8Array(ARENA_CHUNK);
      this.chunks.push(this.current);
      this.pos = 0;
    }
    const ref = (((this.chunks.length - 1) << ARENA_CHUNK_BITS) | this.pos) + 1;
    this.current[this.pos] = n & 0xff;
    this.current[this.pos + 1] = n >>> 8;
    const c = this.current;
    let p = this.pos + 2;
    for (let i = start; i < end; i++) c[p++] = buf[i] ?? 0;
    this.pos = p;
    return ref >>> 0;
  }

  /** The chunk and byte range of a reference. */
  locate(ref: number): { chunk: Uint8Array; start: number; end: number } {
    return { chunk: this.chunkOf(ref), start: this.startOf(ref), end: this.endOf(ref) };
  }

  /** The chunk holding a reference (the hot path uses these three instead of `locate`). */
  chunkOf(ref: number): Uint8Array {
    return this.chunks[(ref - 1) >>> ARENA_CHUNK_BITS] ?? this.current;
  }

  startOf(ref: number): number {
    return ((ref - 1) & (ARENA_CHUNK - 1)) + 2;
  }

  endOf(ref: number): number {
    const chunk = this.chunkOf(ref);
    const off = (ref - 1) & (ARENA_CHUNK - 1);
    return off + 2 + ((chunk[off] ?? 0) | ((chunk[off + 1] ?? 0) << 8));
  }

  /**
   * Copies the referenced strings into fresh chunks in the order of `refs` (updating `refs`), so that
   * reading them in that order walks memory front to back. The old chunks are dropped.
   */
  reorder(refs: Uint32Array, count: number): void {
    const fresh = new Arena();
    for (let j = 0; j < count; j++) {
      const ref = refs[j] ?? 0;
      if (ref !== 0) refs[j] = fresh.put(this.chunkOf(ref), this.startOf(ref), this.endOf(ref));
    }
    this.chunks.length = 0;
    this.chunks.push(...fresh.chunks);
    this.current = fresh.current;
    this.pos = fresh.pos;
  }

  /** Position to roll back to. */
  mark(): { chunks: number; pos: number } {
    return { chunks: this.chunks.length, pos: this.pos };
  }

  rollback(m: { chunks: number; pos: number }): void {
    this.chunks.length = m.chunks;
    this.current = this.chunks[m.chunks - 1] ?? new Uint8Array(0);
    this.pos = m.chunks === 0 ? ARENA_CHUNK : m.pos;
  }
}

/** One source file of one partner. */
export interface SourceFile {
  readonly partner: number;
  readonly name: string;
}

export class SignalStore {
  size = 0;
  base = new Float64Array(1024);
  suffix = new Int32Array(1024);
  source = new Uint16Array(1024);
  line = new Uint32Array(1024);
  risk = new Uint32Array(1024);
  oms = new Uint32Array(1024);
  ref = new Uint32Array(1024);
  datum = new Uint32Array(1024);

  readonly risks = new Interner();
  readonly descriptions = new Interner();
  readonly refs = new Arena();
  readonly sources: SourceFile[] = [];

  constructor(readonly partnerIds: readonly string[]) {}

  addSource(partner: number, name: string): number {
    if (this.sources.length >= 0xffff) throw new RangeError('te veel bestanden');
    this.sources.push({ partner, name });
    return this.sources.length - 1;
  }

  /** Makes room for n more signals at once (untouched capacity costs address space, not memory). */
  reserve(n: number): void {
    if (this.size + n > this.base.length) this.grow(this.size + n);
  }

  private grow(min = 0): void {
    const cap = Math.max(this.base.length * 2, min);
    const g = <T extends Float64Array | Int32Array | Uint16Array | Uint32Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.base = g(this.base, new Float64Array(cap));
    this.suffix = g(this.suffix, new Int32Array(cap));
    this.source = g(this.source, new Uint16Array(cap));
    this.line = g(this.line, new Uint32Array(cap));
    this.risk = g(this.risk, new Uint32Array(cap));
    this.oms = g(this.oms, new Uint32Array(cap));
    this.ref = g(this.ref, new Uint32Array(cap));
    this.datum = g(this.datum, new Uint32Array(cap));
  }

  add(
    base: number,
    suffix: number,
    source: number,
    line: number,
    risk: number,
    oms: number,
    ref: number,
    datum: number,
  ): void {
    if (this.size === this.base.length) this.grow();
    const i = this.size++;
    this.base[i] = base;
    this.suffix[i] = suffix;
    this.source[i] = source;
    this.line[i] = line;
    this.risk[i] = risk;
    this.oms[i] = oms;
    this.ref[i] = ref;
    this.datum[i] = datum;
  }

  /**
   * Puts the rows in the given order (order[j] = the row that becomes row j), one column at a time, so
   * that writers then read every column front to back instead of jumping around memory.
   */
  permute(order: Uint32Array): void {
    const n = this.size;
    const g = <T extends Float64Array | Int32Array | Uint16Array | Uint32Array>(col: T, out: T): T => {
      for (let j = 0; j < n; j++) out[j] = col[order[j] ?? 0] ?? 0;
      return out;
    };
    if (this.base.length >= n) this.base = g(this.base, new Float64Array(n));
    if (this.suffix.length >= n) this.suffix = g(this.suffix, new Int32Array(n));
    this.source = g(this.source, new Uint16Array(n));
    this.line = g(this.line, new Uint32Array(n));
    this.risk = g(this.risk, new Uint32Array(n));
    this.oms = g(this.oms, new Uint32Array(n));
    this.ref = g(this.ref, new Uint32Array(n));
    this.datum = g(this.datum, new Uint32Array(n));
    this.refs.reorder(this.ref, n);
  }

  /** Drops the per-row keys (base, suffix) after linkage has grouped them; other columns stay. */
  releaseKeys(): void {
    this.base = new Float64Array(0);
    this.suffix = new Int32Array(0);
  }

  partnerOf(row: number): number {
    return this.sources[this.source[row] ?? 0]?.partner ?? 0;
  }

  mark(): { size: number; arena: { chunks: number; pos: number } } {
    return { size: this.size, arena: this.refs.mark() };
  }

  /** Drops rows added after the mark (interned texts stay; they are only texts). */
  rollback(m: { size: number; arena: { chunks: number; pos: number } }): void {
    this.size = m.size;
    this.refs.rollback(m.arena);
  }
}
