/**
 * Byte helpers for the signal reader and the writers: Windows-1252 → UTF-8, JSON and CSV escaping,
 * trimming and character counts, all on UTF-8 bytes without creating strings.
 */

/** Unicode code points of Windows-1252 bytes 0x80..0x9F (WHATWG mapping; unassigned bytes map to C1). */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d,
  0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a,
  0x153, 0x9d, 0x17e, 0x178,
];

/** For each byte 0x80..0xFF: its UTF-8 encoding (2 or 3 bytes). */
const CP1252_UTF8: Uint8Array[] = [];
for (let b = 0x80; b <= 0xff; b++) {
  const cp = b < 0xa0 ? (CP1252_HIGH[b - 0x80] ?? b) : b;
  CP1252_UTF8.push(new TextEncoder().encode(String.fromCodePoint(cp)));
}

/** Transcodes Windows-1252 bytes to UTF-8. Every byte sequence is valid input. */
export function cp1252ToUtf8(src: Uint8Array): Uint8Array {
  let extra = 0;
  for (let i = 0; i < src.length; i++) if ((src[i] ?? 0) >= 0x80) extra += 2;
  if (extra === 0) return src;
  const out = new Uint8Array(src.length + extra);
  let o = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i] ?? 0;
    if (b < 0x80) {
      out[o++] = b;
    } else {
      const enc = CP1252_UTF8[b - 0x80] ?? new Uint8Array(0);
      for (let k = 0; k < enc.length; k++) out[o++] = enc[k] ?? 0;
    }
  }
  return out.subarray(0, o);
}

export function isWhite(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;
}

/** Number of Unicode characters in valid UTF-8 bytes. */
export function utf8Length(buf: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if (((buf[i] ?? 0) & 0xc0) !== 0x80) n++;
  return n;
}

const HEX = '0123456789abcdef';

/**
 * A growable byte buffer for writing output; `flush` hands full chunks to a sink so memory stays bounded.
 */
/**
 * Receives a writer's chunks. Returning nothing means the chunk was consumed (copied or written) before
 * returning; returning a promise means the chunk is in use until the promise resolves.
 */
export type Sink = (chunk: Uint8Array) => void | Promise<void>;

/** Chunks a writer lets a sink hold at once before `blocked` asks the caller to `drain`. */
const MAX_IN_FLIGHT = 4;

export class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;
  private readonly inFlight: Promise<void>[] = [];
  private readonly free: Uint8Array[] = [];
  private failure: unknown;

  /** @param sink see `Sink` */
  constructor(
    private readonly sink: Sink,
    private readonly size = 1 << 22,
  ) {
    this.buf = new Uint8Array(size);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = new Uint8Array(Math.max(n, this.size));
  }

  /** Hands what is buffered to the sink; a buffer is reused only once the sink is done with it. */
  flush(): void {
    if (this.pos === 0) return;
    const full = this.buf;
    const r = this.sink(full.subarray(0, this.pos));
    this.pos = 0;
    if (!r) return;
    const done: Promise<void> = r.then(
      () => {
        this.inFlight.splice(this.inFlight.indexOf(done), 1);
        if (full.length === this.size) this.free.push(full);
      },
      (e: unknown) => {
        this.inFlight.splice(this.inFlight.indexOf(done), 1);
        this.failure ??= e;
      },
    );
    this.inFlight.push(done);
    this.buf = this.free.pop() ?? new Uint8Array(this.size);
  }

  /** True when the sink holds as many chunks as it may: call `drain` (cheap to check in a loop). */
  get blocked(): boolean {
    return this.inFlight.length >= MAX_IN_FLIGHT;
  }

  /** Waits until the sink holds fewer chunks than the limit; rethrows a sink failure. */
  async drain(): Promise<void> {
    while (this.inFlight.length >= MAX_IN_FLIGHT) await this.inFlight[0];
    if (this.failure) throw this.failure;
  }

  /** Flushes and waits until the sink is done with every chunk. */
  async end(): Promise<void> {
    this.flush();
    while (this.inFlight.length > 0) await this.inFlight[0];
    if (this.failure) throw this.failure;
  }

  /** ASCII text (no characters above 0x7F). */
  ascii(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }

  bytes(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    this.ensure(n);
    if (n < 24) {
      const out = this.buf;
      let p = this.pos;
      for (let i = start; i < end; i++) out[p++] = src[i] ?? 0;
      this.pos = p;
    } else {
      this.buf.set(start === 0 && end === src.length ? src : src.subarray(start, end), this.pos);
      this.pos += n;
    }
  }

  /** Two decimal digits (00..99). */
  twoDigits(v: number): void {
    this.ensure(2);
    this.buf[this.pos++] = 0x30 + Math.floor(v / 10);
    this.buf[this.pos++] = 0x30 + (v % 10);
  }

  /** Six bytes at once (a postcode). */
  six(a: number, b: number, c: number, d: number, e: number, f: number): void {
    this.ensure(6);
    const o = this.buf;
    const p = this.pos;
    o[p] = a;
    o[p + 1] = b;
    o[p + 2] = c;
    o[p + 3] = d;
    o[p + 4] = e;
    o[p + 5] = f;
    this.pos = p + 6;
  }

  /** A date kept as yyyymmdd, written as jjjj-mm-dd. */
  isoDate(d: number): void {
    this.uint(Math.floor(d / 10000));
    this.byte(0x2d);
    this.twoDigits(Math.floor(d / 100) % 100);
    this.byte(0x2d);
    this.twoDigits(d % 100);
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** A non-negative integer in decimal. */
  uint(v: number): void {
    this.ensure(16);
    if (v === 0) {
      this.buf[this.pos++] = 0x30;
      return;
    }
    let digits = 0;
    for (let t = v; t > 0; t = Math.floor(t / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    for (let t = v; t > 0; t = Math.floor(t / 10)) this.buf[--p] = 0x30 + (t % 10);
  }

  /** UTF-8 bytes as a JSON string literal, quotes included. */
  jsonString(src: Uint8Array, start = 0, end = src.length): void {
    this.ensure((end - start) * 6 + 2);
    const out = this.buf;
    let p = this.pos;
    out[p++] = 0x22;
    for (let i = start; i < end; i++) {
      const b = src[i] ?? 0;
      if (b >= 0x20 && b !== 0x22 && b !== 0x5c) {
        out[p++] = b;
      } else if (b === 0x22 || b === 0x5c) {
        out[p++] = 0x5c;
        out[p++] = b;
      } else if (b === 0x0a) {
        out[p++] = 0x5c;
        out[p++] = 0x6e;
      } else if (b === 0x0d) {
        out[p++] = 0x5c;
        out[p++] = 0x72;
      } else if (b === 0x09) {
        out[p++] = 0x5c;
        out[p++] = 0x74;
      } else {
        out[p++] = 0x5c;
        out[p++] = 0x75;
        out[p++] = 0x30;
        out[p++] = 0x30;
        out[p++] = HEX.charCodeAt(b >> 4);
        out[p++] = HEX.charCodeAt(b & 15);
      }
    }
    out[p++] = 0x22;
    this.pos = p;
  }
}

/** Writes UTF-8 bytes as one `;`-separated CSV field, quoted when it holds `;`, `"`, CR or LF. */
export function writeCsvField(w: ByteWriter, src: Uint8Array, start: number, end: number): void {
  let needs = false;
  for (let i = start; i < end; i++) {
    const b = src[i];
    if (b === 0x3b || b === 0x22 || b === 0x0a || b === 0x0d) {
      needs = true;
      break;
    }
  }
  if (!needs) {
    w.bytes(src, start, end);
    return;
  }
  w.byte(0x22);
  for (let i = start; i < end; i++) {
    const b = src[i] ?? 0;
    if (b === 0x22) w.byte(0x22);
    w.byte(b);
  }
  w.byte(0x22);
}

const FORMULA_START = new Set([0x3d, 0x2b, 0x2d, 0x40, 0x09, 0x0d]);

/**
 * One CSV cell for Dutch Excel (`;` separated): a cell starting with = + - @ TAB or CR is neutralised
 * with a leading apostrophe (OWASP CSV injection), and quoted when it holds `;`, `"` or a line break.
 */
export function csvCell(value: string): string {
  let v = value;
  if (v.length > 0 && FORMULA_START.has(v.charCodeAt(0))) v = `'${v}`;
  if (/[;"\r\n]/.test(v)) v = `"${v.replaceAll('"', '""')}"`;
  return v;
}
