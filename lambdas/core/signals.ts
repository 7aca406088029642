/**
 * The signal reader (CONTRACT.md §2 and §4): streams a partner's CSV file, detects its encoding and
 * delimiter, maps the header, validates every row and adds accepted signals to a SignalStore.
 *
 * - Never holds the whole file: chunks are parsed as they arrive; only an unfinished record is carried.
 * - UTF-8 (with or without BOM) is assumed until a byte sequence proves otherwise; then the file is read
 *   again as Windows-1252 and everything from the first pass is discarded.
 * - Columns outside the contract are never copied anywhere: only whether they are empty is looked at.
 * - Fails closed: limits on bytes, rows, columns and record length end the file with a clear error.
 */
import { isUtf8 } from 'node:buffer';
import { houseFromBytes, type KeyParts, postcodeFromBytes, type RowErrorCode } from './address.ts';
import { cp1252ToUtf8, utf8Length } from './bytes.ts';
import type { PostcodeSet } from './postcode.ts';
import type { SignalStore } from './store.ts';

export const COLUMNS = [
  'postcode',
  'huisnummer',
  'huisletter',
  'toevoeging',
  'risico',
  'omschrijving',
  'referentie',
  'datum',
] as const;
export type Column = (typeof COLUMNS)[number];

const POSTCODE = 0;
const HUISNUMMER = 1;
const HUISLETTER = 2;
const TOEVOEGING = 3;
const RISICO = 4;
const OMSCHRIJVING = 5;
const REFERENTIE = 6;
const DATUM = 7;
/** Only in normalised files written by the pipeline itself: the original file and line. */
const BESTAND = 8;
const REGEL = 9;

const ALIASES: Readonly<Record<string, number>> = {
  postcode: POSTCODE,
  pc: POSTCODE,
  pc6: POSTCODE,
  huisnummer: HUISNUMMER,
  huisnr: HUISNUMMER,
  nummer: HUISNUMMER,
  hnr: HUISNUMMER,
  huisletter: HUISLETTER,
  toevoeging: TOEVOEGING,
  huisnummertoevoeging: TOEVOEGING,
  toev: TOEVOEGING,
  risico: RISICO,
  signaal: RISICO,
  risicotype: RISICO,
  omschrijving: OMSCHRIJVING,
  toelichting: OMSCHRIJVING,
  referentie: REFERENTIE,
  kenmerk: REFERENTIE,
  datum: DATUM,
  signaaldatum: DATUM,
};

const PROVENANCE_ALIASES: Readonly<Record<string, number>> = { bestand: BESTAND, regel: REGEL };

const REQUIRED: readonly { role: number; aliases: string }[] = [
  { role: POSTCODE, aliases: 'pc, pc6' },
  { role: HUISNUMMER, aliases: 'huisnr, nummer, hnr' },
  { role: RISICO, aliases: 'signaal, risicotype' },
];

export const MAX_RISICO = 100;
export const MAX_OMSCHRIJVING = 500;
export const MAX_REFERENTIE = 64;

export interface ReaderLimits {
  /** Bytes in one file. */
  readonly maxFileBytes: number;
  /** Counted rows in one file. */
  readonly maxRows: number;
  /** Columns in the header. */
  readonly maxColumns: number;
  /** Bytes in one record (a quoted field may span lines). */
  readonly maxRecordBytes: number;
}

export const DEFAULT_LIMITS: ReaderLimits = {
  maxFileBytes: 512 * 1024 * 1024,
  maxRows: 5_000_000,
  maxColumns: 200,
  maxRecordBytes: 64 * 1024,
};

export type FileErrorCode =
  | 'FILE_EMPTY'
  | 'FILE_TOO_LARGE'
  | 'TOO_MANY_ROWS'
  | 'TOO_MANY_COLUMNS'
  | 'RECORD_TOO_LONG'
  | 'COLUMN_MISSING'
  | 'COLUMN_DUPLICATE';

export interface RowError {
  readonly file: string;
  readonly line: number;
  readonly code: RowErrorCode | FileErrorCode;
  readonly field?: Column;
  readonly message: string;
}

export type Encoding = 'UTF-8' | 'UTF-8 met BOM' | 'Windows-1252';

export interface FileResult {
  readonly name: string;
  encoding: Encoding;
  delimiter: ';' | ',' | 'TAB';
  rows: number;
  accepted: number;
  rejected: number;
  ignoredColumns: string[];
  /** Set when the file was rejected as a whole. */
  error?: { code: FileErrorCode; message: string };
  errors: RowError[];
}

const MESSAGES: Record<RowErrorCode, string> = {
  ROW_MALFORMED:
    'De regel kan niet worden gelezen: meer cellen dan kolommen, of een aanhalingsteken dat niet klopt.',
  POSTCODE_INVALID:
    'Postcode ontbreekt of is ongeldig: verwacht 4 cijfers en 2 letters, bijvoorbeeld 3071 AB.',
  HUISNUMMER_INVALID: 'Huisnummer ontbreekt of is geen getal van 1 tot en met 99999.',
  TOEVOEGING_INVALID:
    'Toevoeging is ongeldig: huisletter en toevoeging samen hoogstens 5 letters of cijfers (bijv. A, 2, BIS, A2).',
  RISICO_MISSING: 'Risico ontbreekt: beschrijf in kolom risico welk risico of vermoeden er op dit adres is.',
  RISICO_INVALID: `Risico is langer dan ${MAX_RISICO} tekens; kort het in en zet details in kolom omschrijving.`,
  OUT_OF_AREA: 'Postcode ligt buiten het projectgebied; dit adres hoort niet in dit project.',
  FIELD_TOO_LONG: 'Veld is te lang.',
  DATUM_INVALID: 'Datum is ongeldig: gebruik jjjj-mm-dd of dd-mm-jjjj.',
};

const TOO_LONG: Partial<Record<Column, string>> = {
  omschrijving: `Omschrijving is langer dan ${MAX_OMSCHRIJVING} tekens; kort die in.`,
  referentie: `Referentie is langer dan ${MAX_REFERENTIE} tekens; gebruik een korter kenmerk.`,
};

/** Thrown inside a pass when the bytes are not UTF-8: the file is read again as Windows-1252. */
class NotUtf8 extends Error {
  override readonly name = 'NotUtf8';
}

/** Thrown inside a pass when the file must be rejected as a whole. */
class FileRejected extends Error {
  override readonly name = 'FileRejected';
  constructor(
    readonly code: FileErrorCode,
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/** Normalises a header name: case-insensitive, ignoring spaces, `_` and `-`. */
export function normaliseColumnName(name: string): string {
  return name.toLowerCase().replace(/[\s\u00a0_-]+/g, '');
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

export interface ReadFileOptions {
  /** File name as the partner knows it (shown in its report). */
  readonly name: string;
  /** Index of the partner in store.partnerIds. */
  readonly partner: number;
  /** Opens the file's bytes; called again when the file turns out to be Windows-1252. */
  readonly open: () => AsyncIterable<Uint8Array>;
  readonly store: SignalStore;
  readonly area: PostcodeSet;
  readonly limits?: ReaderLimits;
  /**
   * The file is a normalised file written by the pipeline (`writeNormalised`): its `bestand` and
   * `regel` columns give each signal's original file and line. Never set for a partner's upload.
   */
  readonly provenance?: boolean;
}

/** Reads one signal file into the store and returns its outcome. Never throws on file content. */
export async function readSignalFile(opts: ReadFileOptions): Promise<FileResult> {
  const { store } = opts;
  const mark = store.mark();
  const source = store.addSource(opts.partner, opts.name);
  try {
    return await readPass(opts, source, false);
  } catch (e) {
    if (!(e instanceof NotUtf8)) throw e;
    store.rollback(mark);
    return await readPass(opts, source, true);
  }
}

async function readPass(opts: ReadFileOptions, source: number, cp1252: boolean): Promise<FileResult> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const mark = opts.store.mark();
  const parser = new RecordParser(opts, source, limits, cp1252);
  try {
    let bytes = 0;
    for await (const raw of opts.open()) {
      bytes += raw.length;
      if (bytes > limits.maxFileBytes) {
        throw new FileRejected(
          'FILE_TOO_LARGE',
          `Het bestand is groter dan ${Math.floor(limits.maxFileBytes / 1024 / 1024)} MiB; splits het in kleinere bestanden.`,
          parser.line,
        );
      }
      parser.push(cp1252 ? cp1252ToUtf8(raw) : raw, false);
    }
    parser.push(new Uint8Array(0), true);
    if (!parser.headerDone)
      throw new FileRejected('FILE_EMPTY', 'Het bestand is leeg: er is geen kopregel.', 1);
    return parser.result;
  } catch (e) {
    if (!(e instanceof FileRejected)) throw e;
    opts.store.rollback(mark);
    const r = parser.result;
    r.rows = 0;
    r.accepted = 0;
    r.rejected = 0;
    r.error = { code: e.code, message: e.message };
    r.errors = [{ file: opts.name, line: e.line, code: e.code, message: e.message }];
    return r;
  }
}

class RecordParser {
  readonly result: FileResult;
  headerDone = false;
  private bomChecked = false;
  /** Physical line where the next record starts (the header is line 1). */
  line = 1;
  private pending: Uint8Array | null = null;
  private delim = 0x3b;
  private roles = new Int8Array(0);
  private nCols = 0;
  // Cells of the current record.
  private cellStart = new Int32Array(0);
  private cellEnd = new Int32Array(0);
  private cellQuoted = new Uint8Array(0);
  // Role cells copied (and unquoted) into one scratch buffer.
  private scratch = new Uint8Array(1 << 17);
  private readonly roleS = new Int32Array(10);
  private readonly roleE = new Int32Array(10);
  /** Provenance: the last original file name seen and its source index. */
  private lastBestand = new Uint8Array(0);
  private lastSource = -1;
  private readonly parts: KeyParts = { postcodeIndex: 0, huisnummer: 0, suffixCode: 0 };

  constructor(
    private readonly opts: ReadFileOptions,
    private readonly source: number,
    private readonly limits: ReaderLimits,
    cp1252: boolean,
  ) {
    this.result = {
      name: opts.name,
      encoding: cp1252 ? 'Windows-1252' : 'UTF-8',
      delimiter: ';',
      rows: 0,
      accepted: 0,
      rejected: 0,
      ignoredColumns: [],
      errors: [],
    };
  }

  push(chunk: Uint8Array, final: boolean): void {
    let data = chunk;
    if (this.pending !== null) {
      data = new Uint8Array(this.pending.length + chunk.length);
      data.set(this.pending, 0);
      data.set(chunk, this.pending.length);
      this.pending = null;
    }
    const used = this.parse(data, final);
    if (this.result.encoding !== 'Windows-1252' && !isUtf8(data.subarray(0, used))) throw new NotUtf8();
    if (used < data.length) {
      if (final) throw new Error('parser left bytes at end of file');
      if (data.length - used > this.limits.maxRecordBytes) {
        throw new FileRejected(
          'RECORD_TOO_LONG',
          `Regel ${this.line} is langer dan ${this.limits.maxRecordBytes} bytes; waarschijnlijk staat er een aanhalingsteken (") dat niet wordt afgesloten.`,
          this.line,
        );
      }
      this.pending = data.slice(used);
    }
  }

  /** Parses whole records from data; returns the offset of the first byte not consumed. */
  private parse(data: Uint8Array, final: boolean): number {
    let i = 0;
    const n = data.length;
    if (!this.headerDone) {
      i = this.parseHeader(data, final);
      if (!this.headerDone) return i;
    }
    const delim = this.delim;
    const nCols = this.nCols;
    while (i < n) {
      const recStart = i;
      let cells = 0;
      let lfs = 0;
      let malformed = false;
      let complete = false;
      let nonEmpty = false;
      for (;;) {
        // One cell starts at i.
        const start = i;
        let end: number;
        let quoted = 0;
        if (data[i] === QUOTE) {
          i++;
          let closed = false;
          while (i < n) {
            const b = data[i];
            if (b === QUOTE) {
              if (data[i + 1] === QUOTE) {
                quoted = 2;
                i += 2;
                continue;
              }
              if (i + 1 >= n && !final) break; // cannot tell "" from " yet
              closed = true;
              break;
            }
            if (b === LF) lfs++;
            i++;
          }
          if (!closed) {
            if (!final) return recStart;
            malformed = true;
            end = n;
            i = n;
          } else {
            end = i;
            i++; // past the closing quote
            if (quoted === 0) quoted = 1;
            // Only a delimiter or the end of the line may follow.
            if (i < n && data[i] === CR && (data[i + 1] === LF || i + 1 === n)) i++;
            if (i < n && data[i] !== delim && data[i] !== LF) {
              malformed = true;
              while (i < n && data[i] !== delim && data[i] !== LF) i++;
            }
          }
          if (end - start > 1) nonEmpty = true;
        } else {
          while (i < n) {
            const b = data[i];
            if (b === delim || b === LF) break;
            i++;
          }
          end = i;
          if (end > start && data[end - 1] === CR) end--;
          if (!nonEmpty) {
            for (let k = start; k < end; k++) {
              const b = data[k];
              if (b !== 0x20 && b !== 0x09) {
                nonEmpty = true;
                break;
              }
            }
          }
        }
        if (cells < nCols) {
          this.cellStart[cells] = quoted ? start + 1 : start;
          this.cellEnd[cells] = end;
          this.cellQuoted[cells] = quoted;
        }
        cells++;
        if (i >= n) {
          if (!final) return recStart;
          complete = true;
          break;
        }
        if (data[i] === LF) {
          i++;
          lfs++;
          complete = true;
          break;
        }
        i++; // delimiter
        if (i >= n && !final) return recStart;
      }
      if (!complete) return recStart;
      const line = this.line;
      if (i - recStart > this.limits.maxRecordBytes) {
        throw new FileRejected(
          'RECORD_TOO_LONG',
          `Regel ${line} is langer dan ${this.limits.maxRecordBytes} bytes; waarschijnlijk staat er een aanhalingsteken (") dat niet wordt afgesloten.`,
          line,
        );
      }
      this.line += lfs;
      if (!nonEmpty && !malformed) continue;
      if (++this.result.rows > this.limits.maxRows) {
        throw new FileRejected(
          'TOO_MANY_ROWS',
          `Het bestand heeft meer dan ${this.limits.maxRows} regels; splits het in kleinere bestanden.`,
          line,
        );
      }
      if (malformed || cells > nCols) this.reject(line, 'ROW_MALFORMED', undefined);
      else this.row(data, cells, line);
    }
    return i;
  }

  private parseHeader(data: Uint8Array, final: boolean): number {
    let i = 0;
    const n = data.length;
    if (!this.bomChecked) {
      if (n < 6 && !final) return 0;
      this.bomChecked = true;
      if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) {
        i = 3;
        this.result.encoding = 'UTF-8 met BOM';
      } else if (
        this.result.encoding === 'Windows-1252' &&
        data[0] === 0xc3 &&
        data[1] === 0xaf &&
        data[2] === 0xc2 &&
        data[3] === 0xbb &&
        data[4] === 0xc2 &&
        data[5] === 0xbf
      ) {
        i = 6; // a UTF-8 BOM in a file that is not UTF-8 after all
      }
    }
    // Skip blank lines before the header.
    for (;;) {
      let j = i;
      while (j < n && (data[j] === 0x20 || data[j] === 0x09 || data[j] === CR)) j++;
      if (j < n && data[j] === LF) {
        i = j + 1;
        this.line++;
        continue;
      }
      if (j >= n) {
        if (final) return n;
        return i;
      }
      break;
    }
    let end = i;
    let inQuote = false;
    const counts = { semi: 0, comma: 0, tab: 0 };
    while (end < n && (inQuote || data[end] !== LF)) {
      const b = data[end];
      if (b === QUOTE) inQuote = !inQuote;
      else if (!inQuote) {
        if (b === 0x3b) counts.semi++;
        else if (b === 0x2c) counts.comma++;
        else if (b === 0x09) counts.tab++;
      }
      end++;
    }
    if (end - i > this.limits.maxRecordBytes) {
      throw new FileRejected(
        'RECORD_TOO_LONG',
        `De kopregel is langer dan ${this.limits.maxRecordBytes} bytes.`,
        1,
      );
    }
    if (end >= n && !final) {
      if (n - i > this.limits.maxRecordBytes) {
        throw new FileRejected(
          'RECORD_TOO_LONG',
          `De kopregel is langer dan ${this.limits.maxRecordBytes} bytes.`,
          1,
        );
      }
      return i;
    }
    if (counts.semi >= counts.comma && counts.semi >= counts.tab) {
      this.delim = 0x3b;
      this.result.delimiter = ';';
    } else if (counts.tab >= counts.comma) {
      this.delim = 0x09;
      this.result.delimiter = 'TAB';
    } else {
      this.delim = 0x2c;
      this.result.delimiter = ',';
    }
    const headerLine = this.line;
    const names = splitHeader(data.subarray(i, end), this.delim);
    if (names.length > this.limits.maxColumns) {
      throw new FileRejected(
        'TOO_MANY_COLUMNS',
        `De kopregel heeft ${names.length} kolommen; het maximum is ${this.limits.maxColumns}.`,
        headerLine,
      );
    }
    const roles = new Int8Array(names.length).fill(-1);
    const seen = new Map<number, string>();
    names.forEach((name, col) => {
      const norm = normaliseColumnName(name);
      const role = ALIASES[norm] ?? (this.opts.provenance ? PROVENANCE_ALIASES[norm] : undefined);
      if (role === undefined) {
        if (name.trim() !== '') this.result.ignoredColumns.push(name.trim().slice(0, 64));
        return;
      }
      const before = seen.get(role);
      if (before !== undefined) {
        throw new FileRejected(
          'COLUMN_DUPLICATE',
          `De kolommen "${before}" en "${name.trim()}" betekenen allebei ${COLUMNS[role] ?? name}; houd er één over.`,
          headerLine,
        );
      }
      seen.set(role, name.trim());
      roles[col] = role;
    });
    const missing = REQUIRED.filter((r) => !seen.has(r.role));
    if (missing.length > 0) {
      const list = missing.map((m) => `"${COLUMNS[m.role]}" (of: ${m.aliases})`).join(', ');
      throw new FileRejected(
        'COLUMN_MISSING',
        `Verplichte kolom ontbreekt in de kopregel: ${list}. Gevonden kolommen: ${names.map((x) => x.trim()).join(', ')}.`,
        headerLine,
      );
    }
    this.roles = roles;
    this.nCols = names.length;
    this.cellStart = new Int32Array(names.length);
    this.cellEnd = new Int32Array(names.length);
    this.cellQuoted = new Uint8Array(names.length);
    this.headerDone = true;
    this.line++;
    return end < n ? end + 1 : n;
  }

  /** The source index of an original file name in a normalised file (consecutive rows share it). */
  private provenanceSource(s: Uint8Array, start: number, end: number): number {
    const last = this.lastBestand;
    if (this.lastSource >= 0 && last.length === end - start) {
      let k = 0;
      while (k < last.length && last[k] === s[start + k]) k++;
      if (k === last.length) return this.lastSource;
    }
    this.lastBestand = s.slice(start, end);
    const name = new TextDecoder().decode(this.lastBestand);
    const st = this.opts.store;
    const found = st.sources.findIndex((x) => x.partner === this.opts.partner && x.name === name);
    this.lastSource = found >= 0 ? found : st.addSource(this.opts.partner, name);
    return this.lastSource;
  }

  private reject(line: number, code: RowErrorCode, field: Column | undefined): void {
    this.result.rejected++;
    this.addError(line, code, field);
  }

  private addError(line: number, code: RowErrorCode, field: Column | undefined): void {
    const message = code === 'FIELD_TOO_LONG' && field ? (TOO_LONG[field] ?? MESSAGES[code]) : MESSAGES[code];
    const e: RowError = field
      ? { file: this.opts.name, line, code, field, message }
      : { file: this.opts.name, line, code, message };
    this.result.errors.push(e);
  }

  /** Copies the role cells of a record into scratch, unquoting doubled quotes and trimming. */
  private gather(data: Uint8Array, cells: number): void {
    const s = this.scratch;
    let p = 0;
    for (let r = 0; r < 10; r++) {
      this.roleS[r] = 0;
      this.roleE[r] = 0;
    }
    const count = Math.min(cells, this.nCols);
    for (let c = 0; c < count; c++) {
      const role = this.roles[c] ?? -1;
      if (role < 0) continue;
      let a = this.cellStart[c] ?? 0;
      let b = this.cellEnd[c] ?? 0;
      // Trim ASCII white space and NBSP.
      for (;;) {
        if (a < b && (data[a] === 0x20 || data[a] === 0x09 || data[a] === CR || data[a] === LF)) a++;
        else if (a + 1 < b && data[a] === 0xc2 && data[a + 1] === 0xa0) a += 2;
        else break;
      }
      for (;;) {
        if (
          b > a &&
          (data[b - 1] === 0x20 || data[b - 1] === 0x09 || data[b - 1] === CR || data[b - 1] === LF)
        )
          b--;
        else if (b - 1 > a && data[b - 2] === 0xc2 && data[b - 1] === 0xa0) b -= 2;
        else break;
      }
      this.roleS[role] = p;
      if ((this.cellQuoted[c] ?? 0) === 2) {
        for (let k = a; k < b; k++) {
          const x = data[k] ?? 0;
          s[p++] = x;
          if (x === QUOTE) k++;
        }
      } else {
        for (let k = a; k < b; k++) s[p++] = data[k] ?? 0;
      }
      this.roleE[role] = p;
    }
  }

  private row(data: Uint8Array, cells: number, line: number): void {
    this.gather(data, cells);
    const s = this.scratch;
    const rs = this.roleS;
    const re = this.roleE;
    const parts = this.parts;
    let errors = 0;
    const pcStart = rs[POSTCODE] ?? 0;
    const pc = postcodeFromBytes(s, pcStart, re[POSTCODE] ?? 0);
    if (pc < 0) {
      this.addError(line, 'POSTCODE_INVALID', 'postcode');
      errors++;
    }
    const houseErr = houseFromBytes(
      s,
      rs[HUISNUMMER] ?? 0,
      re[HUISNUMMER] ?? 0,
      rs[HUISLETTER] ?? 0,
      re[HUISLETTER] ?? 0,
      rs[TOEVOEGING] ?? 0,
      re[TOEVOEGING] ?? 0,
      parts,
    );
    if (houseErr) {
      this.addError(line, houseErr, houseErr === 'HUISNUMMER_INVALID' ? 'huisnummer' : 'toevoeging');
      errors++;
    }
    const riskS = rs[RISICO] ?? 0;
    const riskE = re[RISICO] ?? 0;
    if (riskE === riskS) {
      this.addError(line, 'RISICO_MISSING', 'risico');
      errors++;
    } else if (riskE - riskS > MAX_RISICO && utf8Length(s, riskS, riskE) > MAX_RISICO) {
      this.addError(line, 'RISICO_INVALID', 'risico');
      errors++;
    }
    if (pc >= 0 && !this.opts.area.has(pc)) {
      this.addError(line, 'OUT_OF_AREA', 'postcode');
      errors++;
    }
    const omsS = rs[OMSCHRIJVING] ?? 0;
    const omsE = re[OMSCHRIJVING] ?? 0;
    if (omsE - omsS > MAX_OMSCHRIJVING && utf8Length(s, omsS, omsE) > MAX_OMSCHRIJVING) {
      this.addError(line, 'FIELD_TOO_LONG', 'omschrijving');
      errors++;
    }
    const refS = rs[REFERENTIE] ?? 0;
    const refE = re[REFERENTIE] ?? 0;
    if (refE - refS > MAX_REFERENTIE && utf8Length(s, refS, refE) > MAX_REFERENTIE) {
      this.addError(line, 'FIELD_TOO_LONG', 'referentie');
      errors++;
    }
    const datum = parseDatum(s, rs[DATUM] ?? 0, re[DATUM] ?? 0);
    if (datum < 0) {
      this.addError(line, 'DATUM_INVALID', 'datum');
      errors++;
    }
    if (errors > 0) {
      this.result.rejected++;
      return;
    }
    this.result.accepted++;
    const store = this.opts.store;
    let source = this.source;
    let origin = line;
    if (this.opts.provenance) {
      source = this.provenanceSource(s, rs[BESTAND] ?? 0, re[BESTAND] ?? 0);
      origin = digitsValue(s, rs[REGEL] ?? 0, re[REGEL] ?? 0);
    }
    store.add(
      pc * 100000 + parts.huisnummer,
      parts.suffixCode,
      source,
      origin,
      store.risks.intern(s, riskS, riskE),
      store.descriptions.intern(s, omsS, omsE),
      store.refs.put(s, refS, refE),
      datum,
    );
  }
}

/** A non-negative integer from ASCII digits (0 when there are none). */
function digitsValue(s: Uint8Array, start: number, end: number): number {
  let v = 0;
  for (let i = start; i < end && i - start < 10; i++) {
    const b = s[i] ?? 0;
    if (b < 0x30 || b > 0x39) break;
    v = v * 10 + (b - 0x30);
  }
  return v;
}

/** Splits the header line into names (quotes removed). */
function splitHeader(line: Uint8Array, delim: number): string[] {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(line).replace(/\r$/, '');
  const names: string[] = [];
  let cur = '';
  let inQuote = false;
  for (let k = 0; k < text.length; k++) {
    const c = text[k];
    if (c === '"') {
      if (inQuote && text[k + 1] === '"') {
        cur += '"';
        k++;
      } else inQuote = !inQuote;
    } else if (!inQuote && c?.charCodeAt(0) === delim) {
      names.push(cur);
      cur = '';
    } else cur += c;
  }
  names.push(cur);
  return names;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Datum as yyyymmdd, 0 when empty, -1 when invalid. Accepts jjjj-mm-dd and dd-mm-jjjj (also / or .). */
export function parseDatum(s: Uint8Array, start: number, end: number): number {
  if (start === end) return 0;
  // Three numbers with their digit counts, separated by one kind of separator.
  let n0 = 0;
  let n1 = 0;
  let n2 = 0;
  let w0 = 0;
  let w1 = 0;
  let w2 = 0;
  let part = 0;
  let sep = -1;
  for (let i = start; i < end; i++) {
    const b = s[i] ?? 0;
    if (b >= 0x30 && b <= 0x39) {
      const d = b - 0x30;
      if (part === 0) {
        n0 = n0 * 10 + d;
        w0++;
      } else if (part === 1) {
        n1 = n1 * 10 + d;
        w1++;
      } else {
        n2 = n2 * 10 + d;
        w2++;
      }
    } else if (b === 0x2d || b === 0x2f || b === 0x2e) {
      if (part === 2 || (sep >= 0 && b !== sep)) return -1;
      sep = b;
      part++;
    } else return -1;
  }
  if (part !== 2 || w0 === 0 || w1 === 0 || w2 === 0 || w1 > 2) return -1;
  let y: number;
  let m: number;
  let d: number;
  if (w0 === 4 && sep === 0x2d && w2 <= 2) {
    y = n0;
    m = n1;
    d = n2;
  } else if (w2 === 4 && w0 <= 2) {
    d = n0;
    m = n1;
    y = n2;
  } else return -1;
  if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1) return -1;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (d > (m === 2 && !leap ? 28 : (DAYS[m - 1] ?? 0))) return -1;
  return y * 10000 + m * 100 + d;
}
