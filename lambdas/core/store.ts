/**
 * Accepted signals in columns of typed arrays: about 40 bytes a signal, no object per row.
 * Texts that repeat (risico, omschrijving) are interned; references go into a byte arena.
 */
import { Buffer } from 'node:buffer';

/** Interns UTF-8 byte strings; id 0 means "none". */
export class Interner {
  private readonly ids = new Map<string, number>();
  readonly values: Uint8Array[] = [new Uint8Array(0)];

  intern(buf: Buffer, start: number, end: number): number {
    if (start === end) return 0;
    const k = buf.toString('latin1', start, end);
    let id = this.ids.get(k);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(Uint8Array.from(buf.subarray(start, end)));
      this.ids.set(k, id);
    }
    return id;
  }

  get(id: number): Uint8Array {
    return this.values[id] ?? new Uint8Array(0);
  }

  get size(): number {
    return this.values.length - 1;
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
    this.current.set(buf.subarray(start, end), this.pos + 2);
    this.pos += n + 2;
    return ref >>> 0;
  }

  /** The chunk and byte range of a reference. */
  locate(ref: number): { chunk: Uint8Array; start: number; end: number } {
    const r = ref - 1;
    const chunk = this.chunks[r >>> ARENA_CHUNK_BITS] ?? new Uint8Array(0);
    const off = r & (ARENA_CHUNK - 1);
    const n = (chunk[off] ?? 0) | ((chunk[off + 1] ?? 0) << 8);
    return { chunk, start: off + 2, end: off + 2 + n };
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

  private grow(): void {
    const cap = this.base.length * 2;
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

/** A Buffer view of a Uint8Array without copying. */
export function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
