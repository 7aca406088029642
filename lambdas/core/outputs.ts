/**
 * The outputs of a linkage (CONTRACT.md §6): overview.json for the lead, casustafel.csv for Dutch Excel,
 * and one report per partner that speaks of that partner's rows alone.
 *
 * The overview is written as bytes straight from the store (texts stay UTF-8 bytes until written),
 * in chunks to a sink, so its size is not bounded by memory.
 */
import { suffixText } from './address.ts';
import { ByteWriter, csvCell, type Sink } from './bytes.ts';
import { type Linkage, partnersOf } from './link.ts';
import { postcodeText } from './postcode.ts';
import type { Encoding, FileResult, RowError } from './signals.ts';
import type { Interner } from './store.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface PartnerSummary {
  readonly id: string;
  readonly rows: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly missing?: true;
}

export interface OverviewMeta {
  readonly projectId: string;
  readonly generatedAt: string;
  readonly partners: readonly PartnerSummary[];
}

export interface Totals {
  rows: number;
  accepted: number;
  rejected: number;
  addresses: number;
  multiInterest: number;
}

export function totalsOf(l: Linkage, partners: readonly PartnerSummary[]): Totals {
  const t = { rows: 0, accepted: 0, rejected: 0, addresses: l.addresses, multiInterest: l.multiInterest };
  for (const p of partners) {
    t.rows += p.rows;
    t.accepted += p.accepted;
    t.rejected += p.rejected;
  }
  return t;
}

/** Per-address texts shared by the writers, computed once per distinct value. */
class Texts {
  private readonly suffixes = new Map<number, string>();
  private readonly suffixBytes = new Map<number, Uint8Array>();
  private readonly partnerJson = new Map<string, Uint8Array>();
  private readonly riskText = new Map<number, string>();
  readonly sourcePrefix: Uint8Array[];
  readonly sourceSuffix: Uint8Array[];

  constructor(private readonly l: Linkage) {
    const ids = l.store.partnerIds;
    this.sourcePrefix = l.store.sources.map((s) =>
      encoder.encode(`{"partner":${JSON.stringify(ids[s.partner] ?? '')},"risico":`),
    );
    this.sourceSuffix = l.store.sources.map((s) =>
      encoder.encode(`,"file":${JSON.stringify(s.name)},"line":`),
    );
  }

  suffix(code: number): string {
    let s = this.suffixes.get(code);
    if (s === undefined) {
      s = suffixText(code);
      this.suffixes.set(code, s);
    }
    return s;
  }

  suffixUtf8(code: number): Uint8Array {
    let b = this.suffixBytes.get(code);
    if (b === undefined) {
      b = encoder.encode(this.suffix(code));
      this.suffixBytes.set(code, b);
    }
    return b;
  }

  private readonly partnerJsonByMask = new Map<number, Uint8Array>();

  partners(k: number): Uint8Array {
    const { partnerMask, words } = this.l;
    if (words === 1) {
      const mask = partnerMask[k] ?? 0;
      let json = this.partnerJsonByMask.get(mask);
      if (json === undefined) {
        json = encoder.encode(
          JSON.stringify(partnersOf(this.l, k).map((p) => this.l.store.partnerIds[p] ?? '')),
        );
        this.partnerJsonByMask.set(mask, json);
      }
      return json;
    }
    let key = '';
    for (let w = 0; w < words; w++) key += `${partnerMask[k * words + w] ?? 0},`;
    let json = this.partnerJson.get(key);
    if (json === undefined) {
      const ids = partnersOf(this.l, k).map((p) => this.l.store.partnerIds[p] ?? '');
      json = encoder.encode(JSON.stringify(ids));
      this.partnerJson.set(key, json);
    }
    return json;
  }

  /** JSON-escaped bytes of the first distinct texts, which are nearly all of them in real data. */
  private readonly riskJson: (Uint8Array | undefined)[] = [];
  private readonly omsJson: (Uint8Array | undefined)[] = [];

  risk(id: number, w: ByteWriter): void {
    cachedJson(this.riskJson, this.l.store.risks, id, w);
  }

  riskString(id: number): string {
    let s = this.riskText.get(id);
    if (s === undefined) {
      s = decoder.decode(this.l.store.risks.get(id));
      this.riskText.set(id, s);
    }
    return s;
  }

  oms(id: number, w: ByteWriter): void {
    cachedJson(this.omsJson, this.l.store.descriptions, id, w);
  }
}

const JSON_CACHE_IDS = 1 << 16;

/** Writes an interned text as a JSON string, caching the escaped bytes of the first 65,536 ids. */
function cachedJson(cache: (Uint8Array | undefined)[], texts: Interner, id: number, w: ByteWriter): void {
  if (id >= JSON_CACHE_IDS) {
    w.jsonString(texts.bytes, texts.start(id), texts.end(id));
    return;
  }
  let j = cache[id];
  if (j === undefined) {
    const tmp: Uint8Array[] = [];
    const cw = new ByteWriter(
      (c) => {
        tmp.push(c.slice());
      },
      (texts.end(id) - texts.start(id)) * 6 + 16,
    );
    cw.jsonString(texts.bytes, texts.start(id), texts.end(id));
    cw.flush();
    j = tmp[0] ?? new Uint8Array(0);
    cache[id] = j;
  }
  w.bytes(j);
}

const B = {
  key: encoder.encode('{"key":"'),
  postcode: encoder.encode('","postcode":"'),
  huisnummer: encoder.encode('","huisnummer":'),
  suffix: encoder.encode(',"suffix":"'),
  partners: encoder.encode('","partners":'),
  multi: encoder.encode(',"multiInterest":true,"signals":['),
  single: encoder.encode(',"multiInterest":false,"signals":['),
  oms: encoder.encode(',"omschrijving":'),
  ref: encoder.encode(',"referentie":'),
  datum: encoder.encode(',"datum":"'),
  first: encoder.encode('\n    '),
  next: encoder.encode(',\n    '),
};

/** Postcode text bytes of a postcode index: four digits and two letters. */
function writePostcode(w: ByteWriter, pc: number): void {
  const letters = pc % 676;
  const pc4 = (pc - letters) / 676 + 1000;
  const l1 = (letters / 26) | 0;
  w.six(
    0x30 + ((pc4 / 1000) | 0),
    0x30 + (((pc4 / 100) | 0) % 10),
    0x30 + (((pc4 / 10) | 0) % 10),
    0x30 + (pc4 % 10),
    65 + l1,
    65 + letters - l1 * 26,
  );
}

function writeKeyFields(w: ByteWriter, base: number, suffix: Uint8Array): void {
  const huis = base % 100000;
  const pc = (base - huis) / 100000;
  w.bytes(B.key);
  writePostcode(w, pc);
  w.byte(0x2d);
  w.uint(huis);
  if (suffix.length > 0) {
    w.byte(0x2d);
    w.bytes(suffix);
  }
  w.bytes(B.postcode);
  writePostcode(w, pc);
  w.bytes(B.huisnummer);
  w.uint(huis);
  w.bytes(B.suffix);
  w.bytes(suffix);
  w.bytes(B.partners);
}

function writeDatum(w: ByteWriter, d: number): void {
  w.bytes(B.datum);
  w.isoDate(d);
  w.byte(0x22);
}

/** Writes overview.json to the sink in chunks. */
export async function writeOverview(l: Linkage, meta: OverviewMeta, sink: Sink): Promise<void> {
  const w = new ByteWriter(sink);
  const texts = new Texts(l);
  const st = l.store;
  const head = {
    projectId: meta.projectId,
    generatedAt: meta.generatedAt,
    minPartners: l.minPartners,
    totals: totalsOf(l, meta.partners),
    partners: meta.partners,
  };
  const headJson = JSON.stringify(head, null, 2);
  w.bytes(encoder.encode(`${headJson.slice(0, -2)},\n  "addresses": [`));
  for (let k = 0; k < l.addresses; k++) {
    w.bytes(k === 0 ? B.first : B.next);
    writeKeyFields(w, l.base[k] ?? 0, texts.suffixUtf8(l.suffix[k] ?? 0));
    w.bytes(texts.partners(k));
    w.bytes((l.partnerCount[k] ?? 0) >= l.minPartners ? B.multi : B.single);
    const end = l.rowStart[k + 1] ?? 0;
    for (let r = l.rowStart[k] ?? 0; r < end; r++) {
      const row = r;
      const src = st.source[row] ?? 0;
      if (r > (l.rowStart[k] ?? 0)) w.byte(0x2c);
      w.bytes(texts.sourcePrefix[src] ?? new Uint8Array(0));
      texts.risk(st.risk[row] ?? 0, w);
      const oms = st.oms[row] ?? 0;
      if (oms !== 0) {
        w.bytes(B.oms);
        texts.oms(oms, w);
      }
      const ref = st.ref[row] ?? 0;
      if (ref !== 0) {
        w.bytes(B.ref);
        w.jsonString(st.refs.chunkOf(ref), st.refs.startOf(ref), st.refs.endOf(ref));
      }
      const d = st.datum[row] ?? 0;
      if (d !== 0) writeDatum(w, d);
      w.bytes(texts.sourceSuffix[src] ?? new Uint8Array(0));
      w.uint(st.line[row] ?? 0);
      w.byte(0x7d);
    }
    w.byte(0x5d);
    w.byte(0x7d);
    if (w.blocked) await w.drain();
  }
  w.ascii(l.addresses === 0 ? ']\n}\n' : '\n  ]\n}\n');
  await w.end();
}

export const CASUSTAFEL_HEADER = [
  'adres',
  'postcode',
  'huisnummer',
  'toevoeging',
  'ketenpartners',
  'aantal ketenpartners',
  'risico’s',
] as const;

/**
 * Writes casustafel.csv: the addresses with multiple interest, one row each, for Dutch Excel
 * (UTF-8 with BOM, `;`, CRLF, formulas neutralised).
 */
export async function writeCasustafel(l: Linkage, sink: Sink): Promise<void> {
  const w = new ByteWriter(sink);
  const texts = new Texts(l);
  const st = l.store;
  w.bytes(encoder.encode(`\ufeff${CASUSTAFEL_HEADER.map(csvCell).join(';')}\r\n`));
  for (let k = 0; k < l.addresses; k++) {
    if ((l.partnerCount[k] ?? 0) < l.minPartners) continue;
    const base = l.base[k] ?? 0;
    const huis = base % 100000;
    const pc = postcodeText((base - huis) / 100000);
    const suffix = texts.suffix(l.suffix[k] ?? 0);
    const partners = partnersOf(l, k).map((p) => st.partnerIds[p] ?? '');
    // Distinct risks per partner, in the order they first appear.
    const risks = new Map<number, number[]>();
    const end = l.rowStart[k + 1] ?? 0;
    for (let r = l.rowStart[k] ?? 0; r < end; r++) {
      const row = r;
      const p = st.partnerOf(row);
      const id = st.risk[row] ?? 0;
      const list = risks.get(p) ?? [];
      if (!list.includes(id)) list.push(id);
      risks.set(p, list);
    }
    const riskCell = [...risks.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([p, ids]) => `${st.partnerIds[p] ?? ''}: ${ids.map((id) => texts.riskString(id)).join(', ')}`)
      .join(' | ');
    const cells = [
      suffix === '' ? `${pc}-${huis}` : `${pc}-${huis}-${suffix}`,
      pc,
      String(huis),
      suffix,
      partners.join(', '),
      String(partners.length),
      riskCell,
    ];
    w.bytes(encoder.encode(`${cells.map(csvCell).join(';')}\r\n`));
    if (w.blocked) await w.drain();
  }
  await w.end();
}

export interface PartnerReport {
  partner: string;
  encodings: Encoding[];
  files: {
    name: string;
    encoding: Encoding;
    delimiter: string;
    rows: number;
    accepted: number;
    rejected: number;
    ignoredColumns: string[];
    error?: { code: string; message: string };
  }[];
  rows: number;
  accepted: number;
  rejected: number;
  errors: RowError[];
}

/** The report for one partner, from its own files' results only. */
export function partnerReport(partner: string, files: readonly FileResult[]): PartnerReport {
  const report: PartnerReport = {
    partner,
    encodings: [...new Set(files.map((f) => f.encoding))],
    files: files.map((f) => ({
      name: f.name,
      encoding: f.encoding,
      delimiter: f.delimiter,
      rows: f.rows,
      accepted: f.accepted,
      rejected: f.rejected,
      ignoredColumns: f.ignoredColumns,
      ...(f.error ? { error: f.error } : {}),
    })),
    rows: 0,
    accepted: 0,
    rejected: 0,
    errors: files.flatMap((f) => f.errors),
  };
  for (const f of files) {
    report.rows += f.rows;
    report.accepted += f.accepted;
    report.rejected += f.rejected;
  }
  return report;
}
