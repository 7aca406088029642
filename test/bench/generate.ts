/**
 * Deterministic synthetic signal files for the linkage benchmark.
 *
 * Writes `<dir>/project.json` (CONTRACT §1) and `<dir>/signals/<partnerId>.csv` for N partners
 * with M rows each, shaped like Dutch agency exports: aliased headers, `;` `,` and TAB,
 * Windows-1252 or UTF-8 (with or without BOM), CRLF or LF, postcodes as `3071AB` or `3071 ab`,
 * house numbers as `12`, `12a`, `12 A`, `12-2` with huisletter/toevoeging columns, an ignored
 * extra column (`bsn`, `team`), about 1% invalid rows and a few blank rows (not counted).
 *
 * Addresses come from a shared pool (picked by several partners) and from private ranges (one
 * partner only), so that roughly 10% of the linked addresses have multiple interest.
 *
 * The same seed, sizes and GENERATOR_VERSION always give the same bytes. Windows-1252 files use
 * only characters in U+00A0..U+00FF, where Windows-1252 and Latin-1 agree, so a reader that
 * knows only Latin-1 (DuckDB's built-in `latin-1`) reads them the same.
 *
 * CLI: tsx test/bench/generate.ts --out <dir> [--partners 10] [--rows 100000] [--seed 2027]
 */
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Bump when the bytes written for the same options change (it keys the bench cache). */
export const GENERATOR_VERSION = 3;

export interface GenerateOptions {
  readonly dir: string;
  readonly partners: number;
  readonly rowsPerPartner: number;
  readonly seed: number;
}

export type Encoding = 'utf-8' | 'windows-1252';

/** What the generator wrote for one file; the reference engine may use it as a hint. */
export interface GeneratedFile {
  readonly partner: string;
  readonly path: string;
  readonly encoding: Encoding;
  readonly bom: boolean;
  readonly delimiter: string;
  readonly eol: string;
  readonly rows: number;
  readonly blankRows: number;
  readonly bytes: number;
}

export interface GenerateResult {
  readonly projectPath: string;
  readonly signalsDir: string;
  readonly files: readonly GeneratedFile[];
  readonly totalRows: number;
  readonly totalBytes: number;
  readonly ms: number;
}

/** The project area: two entries in two of the contract's notations. Rows in 9000..9999 are out of it. */
export const BENCH_AREA: readonly string[] = ['1000-4999', '5000AA-8999ZZ'];

/** Small fast PRNG (sfc32), seeded through splitmix32. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
}

// ---------------------------------------------------------------------------------------------
// Addresses

/** Letter pairs of a valid postcode, in order, without SA, SD and SS (673 of them). */
const LETTER_PAIRS: readonly string[] = (() => {
  const pairs: string[] = [];
  for (let i = 0; i < 26; i++) {
    for (let j = 0; j < 26; j++) {
      const p = String.fromCharCode(65 + i, 65 + j);
      if (p !== 'SA' && p !== 'SD' && p !== 'SS') pairs.push(p);
    }
  }
  return pairs;
})();

const PC4_FIRST = 1000;
const PC4_COUNT = 8000; // 1000..8999, the bench area
const POSTCODE_SLOTS = PC4_COUNT * LETTER_PAIRS.length;
/** Dwelling slots per postcode: 0..219 are numbers 1..220 without suffix, 220..255 carry one. */
const DWELLING_SLOTS = 256;
const PLAIN_SLOTS = 220;
const SUFFIXES: readonly string[] = ['A', 'B', 'C', '1', '2', '3', 'BIS', 'A2', 'H', 'D', 'II', 'ZW'];
const ADDRESS_SPACE = POSTCODE_SLOTS * DWELLING_SLOTS;
/** Multiplier of the affine permutation of address ids; coprime to ADDRESS_SPACE (2^14·5^3·673). */
const SPREAD = 387_420_489; // 3^18

interface Address {
  pc4: number;
  letters: string;
  num: number;
  suffix: string;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** Maps distinct ids to distinct addresses (a bijection on [0, ADDRESS_SPACE)). */
function decodeAddress(id: number, offset: number, out: Address): void {
  const x = (SPREAD * id + offset) % ADDRESS_SPACE;
  const slot = Math.floor(x / DWELLING_SLOTS);
  const h = x % DWELLING_SLOTS;
  out.pc4 = PC4_FIRST + Math.floor(slot / LETTER_PAIRS.length);
  out.letters = LETTER_PAIRS[slot % LETTER_PAIRS.length] ?? 'AA';
  if (h < PLAIN_SLOTS) {
    out.num = h + 1;
    out.suffix = '';
  } else {
    out.num = h - PLAIN_SLOTS + 1;
    out.suffix = SUFFIXES[(h - PLAIN_SLOTS) % SUFFIXES.length] ?? 'A';
  }
}

// ---------------------------------------------------------------------------------------------
// Partner profiles: how each (invented) agency's export looks

type Column =
  | 'postcode'
  | 'huisnummer'
  | 'huisletter'
  | 'toevoeging'
  | 'risico'
  | 'omschrijving'
  | 'referentie'
  | 'datum'
  | 'bsn'
  | 'team';

interface Profile {
  readonly delimiter: string;
  readonly encoding: Encoding;
  readonly bom: boolean;
  readonly eol: string;
  /** Header cell text per column, in file order. */
  readonly header: readonly (readonly [Column, string])[];
  /** Quote every cell (some registration systems do). */
  readonly quoteAll: boolean;
  /** Share of postcodes written with a space and/or in lower case. */
  readonly messyPostcode: number;
  readonly dateStyle: 'iso' | 'nl';
  readonly refPrefix: string;
  readonly risks: readonly string[];
  /** Share of rows with a filled omschrijving. */
  readonly descriptionShare: number;
}

const RISKS_MUNICIPALITY = [
  'Onderhuur',
  'Overbewoning',
  'Woonfraude',
  'Mogelijke onderhuur',
  'Inschrijving zonder bewoning',
  'Kamerverhuur zonder vergunning',
  'Spookbewoning',
  'Adresfraude',
];
const RISKS_BENEFITS = ['Samenwoning', 'Woonsituatie', 'Uitkering op adres met samenwoner', 'Adresfraude'];
const RISKS_SVB = [
  'Gezamenlijke huishouding',
  'Kostendelersnorm',
  'Woont niet op adres',
  'Mogelijk geëmigreerd',
];
const RISKS_ALLOWANCES = ['Toeslag op adres met >2 volwassenen', 'Huurtoeslag', 'Zorgtoeslag', 'Adresfraude'];
const RISKS_LABOUR = [
  'Illegale tewerkstelling',
  'Huisvesting arbeidsmigranten',
  'Uitbuiting',
  'Overbewoning',
];
const RISKS_POLICE = ['Hennepteelt', 'Overlast', 'Drugshandel', 'Ondermijning'];

const DESCRIPTIONS = [
  'Kamerverhuur boven café',
  'Melding buren',
  'Huurder geëmigreerd',
  'Geïnde huur zonder vergunning',
  'Financiële uitbuiting vermoed',
  'Coördinatie met politie gewenst',
  'Veel post op naam van ex-bewoners',
  'Controle 2025: niemand aanwezig',
  'Zie dossier; twee gezinnen',
  'Melding via "Meld Misdaad Anoniem"',
  'Reëel risico, naam onbekend',
];

const PROFILES: readonly Profile[] = [
  {
    // A municipality: Dutch Excel "CSV (gescheiden door lijstscheidingsteken)".
    delimiter: ';',
    encoding: 'windows-1252',
    bom: false,
    eol: '\r\n',
    header: [
      ['postcode', 'Postcode'],
      ['huisnummer', 'Huisnummer'],
      ['huisletter', 'Huisletter'],
      ['toevoeging', 'Huisnummertoevoeging'],
      ['risico', 'Risico'],
      ['omschrijving', 'Toelichting'],
      ['referentie', 'Kenmerk'],
      ['datum', 'Datum'],
    ],
    quoteAll: false,
    messyPostcode: 0.1,
    dateStyle: 'nl',
    refPrefix: 'GR',
    risks: RISKS_MUNICIPALITY,
    descriptionShare: 0.06,
  },
  {
    delimiter: ',',
    encoding: 'utf-8',
    bom: true,
    eol: '\r\n',
    header: [
      ['postcode', 'postcode'],
      ['huisnummer', 'huisnr'],
      ['toevoeging', 'toev'],
      ['risico', 'signaal'],
      ['referentie', 'referentie'],
      ['datum', 'signaaldatum'],
    ],
    quoteAll: false,
    messyPostcode: 0.3,
    dateStyle: 'iso',
    refPrefix: 'UWV',
    risks: RISKS_BENEFITS,
    descriptionShare: 0,
  },
  {
    delimiter: '\t',
    encoding: 'utf-8',
    bom: false,
    eol: '\n',
    header: [
      ['postcode', 'pc6'],
      ['huisnummer', 'hnr'],
      ['toevoeging', 'toevoeging'],
      ['risico', 'risicotype'],
      ['referentie', 'kenmerk'],
    ],
    quoteAll: false,
    messyPostcode: 0.02,
    dateStyle: 'iso',
    refPrefix: 'SVB',
    risks: RISKS_SVB,
    descriptionShare: 0.02,
  },
  {
    // Allowances, with a BSN column that must never enter the project.
    delimiter: ';',
    encoding: 'utf-8',
    bom: true,
    eol: '\r\n',
    header: [
      ['bsn', 'BSN'],
      ['postcode', 'Postcode'],
      ['huisnummer', 'Huisnummer'],
      ['toevoeging', 'Toevoeging'],
      ['risico', 'Risico'],
      ['datum', 'Datum'],
    ],
    quoteAll: false,
    messyPostcode: 0.15,
    dateStyle: 'nl',
    refPrefix: 'BT',
    risks: RISKS_ALLOWANCES,
    descriptionShare: 0,
  },
  {
    delimiter: ';',
    encoding: 'windows-1252',
    bom: false,
    eol: '\r\n',
    header: [
      ['postcode', 'PC'],
      ['huisnummer', 'Nummer'],
      ['huisletter', 'Huis-letter'],
      ['toevoeging', 'Toev'],
      ['risico', 'Signaal'],
      ['omschrijving', 'Omschrijving'],
      ['datum', 'Datum'],
    ],
    quoteAll: false,
    messyPostcode: 0.4,
    dateStyle: 'nl',
    refPrefix: 'NLA',
    risks: RISKS_LABOUR,
    descriptionShare: 0.08,
  },
  {
    // A registration system that quotes every cell.
    delimiter: ',',
    encoding: 'utf-8',
    bom: false,
    eol: '\n',
    header: [
      ['postcode', 'Postcode'],
      ['huisnummer', 'Huisnummer'],
      ['risico', 'Risico'],
      ['referentie', 'Kenmerk'],
    ],
    quoteAll: true,
    messyPostcode: 0,
    dateStyle: 'iso',
    refPrefix: 'POL',
    risks: RISKS_POLICE,
    descriptionShare: 0,
  },
  {
    delimiter: ';',
    encoding: 'utf-8',
    bom: false,
    eol: '\n',
    header: [
      ['postcode', 'postcode'],
      ['huisnummer', 'huisnummer'],
      ['huisletter', 'huisletter'],
      ['toevoeging', 'toevoeging'],
      ['risico', 'risico'],
      ['bsn', 'bsn'],
    ],
    quoteAll: false,
    messyPostcode: 0.05,
    dateStyle: 'iso',
    refPrefix: 'WC',
    risks: RISKS_MUNICIPALITY,
    descriptionShare: 0,
  },
  {
    delimiter: '\t',
    encoding: 'windows-1252',
    bom: false,
    eol: '\r\n',
    header: [
      ['postcode', 'Postcode'],
      ['huisnummer', 'Huisnr'],
      ['risico', 'Risico'],
      ['omschrijving', 'Omschrijving'],
      ['referentie', 'Kenmerk'],
    ],
    quoteAll: false,
    messyPostcode: 0.2,
    dateStyle: 'nl',
    refPrefix: 'ZK',
    risks: RISKS_SVB,
    descriptionShare: 0.05,
  },
  {
    // Header spellings that only match after removing spaces, `_` and `-`.
    delimiter: ',',
    encoding: 'utf-8',
    bom: true,
    eol: '\n',
    header: [
      ['postcode', 'Post_code'],
      ['huisnummer', ' Huisnummer '],
      ['huisletter', 'Huis letter'],
      ['risico', 'Risico'],
      ['omschrijving', 'toelichting'],
      ['referentie', 'Referentie'],
      ['datum', 'Datum'],
    ],
    quoteAll: false,
    messyPostcode: 0.25,
    dateStyle: 'iso',
    refPrefix: 'RIEC',
    risks: RISKS_POLICE,
    descriptionShare: 0.03,
  },
  {
    delimiter: ';',
    encoding: 'windows-1252',
    bom: false,
    eol: '\r\n',
    header: [
      ['postcode', 'Postcode'],
      ['huisnummer', 'Huisnummer'],
      ['toevoeging', 'Toevoeging'],
      ['risico', 'Risico'],
      ['referentie', 'Kenmerk'],
      ['team', 'Team'],
    ],
    quoteAll: false,
    messyPostcode: 0.1,
    dateStyle: 'nl',
    refPrefix: 'WB',
    risks: RISKS_BENEFITS,
    descriptionShare: 0,
  },
];

// ---------------------------------------------------------------------------------------------
// Writing

/** Share of rows that pick from the shared pool; the pool size keeps ~2.5 picks per pool address. */
const SHARED_SHARE = 0.3;
const PICKS_PER_POOL_ADDRESS = 2.5;
const INVALID_SHARE = 0.01;
const BLANK_EVERY = 40_000;
const CHUNK_BYTES = 4 << 20;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

class ChunkWriter {
  private parts: string[] = [];
  private length = 0;
  bytes = 0;

  constructor(
    private readonly fd: number,
    private readonly encoding: Encoding,
  ) {}

  write(s: string): void {
    this.parts.push(s);
    this.length += s.length;
    if (this.length >= CHUNK_BYTES) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    const text = this.parts.join('');
    const buf = Buffer.from(text, this.encoding === 'utf-8' ? 'utf8' : 'latin1');
    writeSync(this.fd, buf);
    this.bytes += buf.length;
    this.parts = [];
    this.length = 0;
  }
}

function partnerId(i: number): string {
  return `p${pad2(i + 1)}`;
}

function quoteCell(value: string, delimiter: string, always: boolean): string {
  const needs =
    always ||
    value.includes(delimiter) ||
    value.includes('"') ||
    value.includes('\n') ||
    value.includes('\r');
  return needs ? `"${value.replaceAll('"', '""')}"` : value;
}

interface RowCells {
  postcode: string;
  huisnummer: string;
  huisletter: string;
  toevoeging: string;
  risico: string;
  omschrijving: string;
  referentie: string;
  datum: string;
  bsn: string;
  team: string;
}

function renderPostcode(rng: Rng, pc4: number, letters: string, messy: number): string {
  if (rng.float() >= messy) return `${pc4}${letters}`;
  switch (rng.int(3)) {
    case 0:
      return `${pc4} ${letters}`;
    case 1:
      return `${pc4}${letters.toLowerCase()}`;
    default:
      return `${pc4} ${letters.toLowerCase()}`;
  }
}

/** Writes number and suffix the way people do, using the columns this profile has. */
function renderNumber(rng: Rng, a: Address, cols: ReadonlySet<Column>, cells: RowCells): void {
  const n = rng.int(200) === 0 ? `${a.num}`.padStart(3, '0') : `${a.num}`;
  cells.huisletter = '';
  cells.toevoeging = '';
  if (a.suffix === '') {
    cells.huisnummer = n;
    return;
  }
  const s = rng.int(2) === 0 ? a.suffix : a.suffix.toLowerCase();
  const isLetter = /^[A-Z]$/.test(a.suffix);
  const r = rng.float();
  if (isLetter && cols.has('huisletter') && r < 0.5) {
    cells.huisnummer = n;
    cells.huisletter = s;
    return;
  }
  if (a.suffix === 'A2' && cols.has('huisletter') && cols.has('toevoeging') && r < 0.8) {
    cells.huisnummer = n;
    cells.huisletter = 'A';
    cells.toevoeging = '2';
    return;
  }
  if (cols.has('toevoeging') && r < 0.75) {
    cells.huisnummer = n;
    cells.toevoeging = rng.int(4) === 0 && s.length > 1 ? `${s.slice(0, 1)}-${s.slice(1)}` : s;
    return;
  }
  // Inline in the house number. A digit suffix always needs a separator: 121 is another house.
  const digitStart = /^[0-9]/.test(a.suffix);
  switch (rng.int(3)) {
    case 0:
      cells.huisnummer = digitStart ? `${n}-${s}` : `${n}${s}`;
      return;
    case 1:
      cells.huisnummer = `${n} ${s}`;
      return;
    default:
      cells.huisnummer = `${n}-${s}`;
  }
}

type InvalidKind =
  | 'postcode'
  | 'forbidden'
  | 'emptyPostcode'
  | 'risico'
  | 'area'
  | 'zero'
  | 'noNumber'
  | 'suffix'
  | 'reference';

const INVALID_KINDS: readonly InvalidKind[] = [
  'postcode',
  'postcode',
  'forbidden',
  'emptyPostcode',
  'risico',
  'risico',
  'area',
  'area',
  'area',
  'zero',
  'noNumber',
  'suffix',
  'reference',
];

function spoil(rng: Rng, kind: InvalidKind, cells: RowCells, cols: ReadonlySet<Column>): void {
  switch (kind) {
    case 'postcode':
      cells.postcode = rng.pick(['307AB', '30711AB', '0712AB', '3071-AB', '3071A', 'AB3071', '3O71AB']);
      return;
    case 'forbidden':
      cells.postcode = `${3000 + rng.int(1000)}${rng.pick(['SA', 'SD', 'SS'])}`;
      return;
    case 'emptyPostcode':
      cells.postcode = '';
      return;
    case 'risico':
      cells.risico = '';
      return;
    case 'area':
      cells.postcode = `${9000 + rng.int(1000)}${LETTER_PAIRS[rng.int(LETTER_PAIRS.length)] ?? 'AB'}`;
      return;
    case 'zero':
      cells.huisnummer = rng.pick(['0', '00', '100000']);
      cells.huisletter = '';
      cells.toevoeging = '';
      return;
    case 'noNumber':
      cells.huisnummer = rng.pick(['', 'abc', 'zn']);
      cells.huisletter = '';
      cells.toevoeging = '';
      return;
    case 'suffix':
      cells.huisnummer = `${1 + rng.int(200)} ${rng.pick(['achterhuis', 'ABCDEF', 'kelder2'])}`;
      cells.huisletter = '';
      cells.toevoeging = '';
      return;
    case 'reference':
      if (cols.has('referentie')) cells.referentie = `REF-${'0123456789'.repeat(7)}`;
      else cells.risico = '';
      return;
  }
}

function writePartnerFile(
  path: string,
  profile: Profile,
  pid: string,
  partnerIndex: number,
  partners: number,
  rows: number,
  pool: number,
  offset: number,
  seed: number,
): GeneratedFile {
  const rng = new Rng((seed * 7919 + partnerIndex * 104729) >>> 0);
  const fd = openSync(path, 'w');
  const out = new ChunkWriter(fd, profile.encoding);
  const cols = new Set<Column>(profile.header.map(([c]) => c));
  const order = profile.header.map(([c]) => c);
  const { delimiter: d, eol, quoteAll } = profile;
  if (profile.bom) out.write('\ufeff');
  out.write(profile.header.map(([, text]) => quoteCell(text, d, quoteAll)).join(d) + eol);
  const blankLine = quoteAll ? order.map(() => '""').join(d) + eol : d.repeat(order.length - 1) + eol;

  const address: Address = { pc4: 0, letters: '', num: 0, suffix: '' };
  const cells: RowCells = {
    postcode: '',
    huisnummer: '',
    huisletter: '',
    toevoeging: '',
    risico: '',
    omschrijving: '',
    referentie: '',
    datum: '',
    bsn: '',
    team: '',
  };
  let privateCounter = 0;
  let refCounter = 100_000 + rng.int(100_000);
  let blankRows = 0;
  const year = 2026;
  for (let row = 0; row < rows; row++) {
    if (row > 0 && row % BLANK_EVERY === 0) {
      out.write(row % (2 * BLANK_EVERY) === 0 ? eol : blankLine);
      blankRows++;
    }
    const id = rng.float() < SHARED_SHARE ? rng.int(pool) : pool + privateCounter++ * partners + partnerIndex;
    decodeAddress(id, offset, address);
    cells.postcode = renderPostcode(rng, address.pc4, address.letters, profile.messyPostcode);
    renderNumber(rng, address, cols, cells);
    cells.risico = rng.pick(profile.risks);
    cells.omschrijving =
      profile.descriptionShare > 0 && rng.float() < profile.descriptionShare ? rng.pick(DESCRIPTIONS) : '';
    refCounter += 1 + rng.int(3);
    cells.referentie = `${profile.refPrefix}${refCounter}`;
    if (cols.has('datum')) {
      const day = 1 + rng.int(28);
      const month = 1 + rng.int(12);
      cells.datum =
        profile.dateStyle === 'iso'
          ? `${year}-${pad2(month)}-${pad2(day)}`
          : `${pad2(day)}-${pad2(month)}-${year}`;
    }
    if (cols.has('bsn')) cells.bsn = `${100_000_000 + rng.int(899_999_999)}`;
    if (cols.has('team')) cells.team = `T${1 + rng.int(40)}`;
    if (rng.float() < INVALID_SHARE) spoil(rng, rng.pick(INVALID_KINDS), cells, cols);

    let line = '';
    for (let c = 0; c < order.length; c++) {
      const col = order[c];
      if (col === undefined) continue;
      if (c > 0) line += d;
      line += quoteCell(cells[col], d, quoteAll);
    }
    out.write(line + eol);
  }
  out.flush();
  closeSync(fd);
  return {
    partner: pid,
    path,
    encoding: profile.encoding,
    bom: profile.bom,
    delimiter: profile.delimiter,
    eol: profile.eol,
    rows,
    blankRows,
    bytes: out.bytes,
  };
}

/** Generates the project and all partners' files; replaces whatever was in `<dir>/signals`. */
export function generate(options: GenerateOptions): GenerateResult {
  const started = performance.now();
  const { dir, partners, rowsPerPartner, seed } = options;
  if (partners < 2 || partners > 99) throw new Error('partners must be 2..99');
  if (rowsPerPartner < 1) throw new Error('rowsPerPartner must be at least 1');
  const pool = Math.max(1, Math.round((SHARED_SHARE * partners * rowsPerPartner) / PICKS_PER_POOL_ADDRESS));
  const maxId = pool + rowsPerPartner * partners + partners;
  if (maxId >= ADDRESS_SPACE || SPREAD * maxId + ADDRESS_SPACE > Number.MAX_SAFE_INTEGER) {
    throw new Error('too many rows for the synthetic address space');
  }
  if (gcd(SPREAD, ADDRESS_SPACE) !== 1) throw new Error('address permutation is not a bijection');
  const offset = new Rng(seed ^ 0x5eed).int(ADDRESS_SPACE);

  const signalsDir = join(dir, 'signals');
  rmSync(signalsDir, { recursive: true, force: true });
  mkdirSync(signalsDir, { recursive: true });
  const ids = Array.from({ length: partners }, (_, i) => partnerId(i));
  const project = {
    projectId: 'bench-synthetic',
    name: `Benchmark ${partners} x ${rowsPerPartner}`,
    subject: 'Synthetische signalen voor de benchmark',
    area: BENCH_AREA,
    partners: ids.map((id, i) => ({ id, name: `Partner ${i + 1}` })),
    selection: { minPartners: 2 },
  };
  const projectPath = join(dir, 'project.json');
  writeFileSync(projectPath, `${JSON.stringify(project, null, 2)}\n`);

  const files: GeneratedFile[] = [];
  for (let i = 0; i < partners; i++) {
    const profile = PROFILES[i % PROFILES.length];
    const pid = ids[i];
    if (profile === undefined || pid === undefined) continue;
    const path = join(signalsDir, `${pid}.csv`);
    files.push(writePartnerFile(path, profile, pid, i, partners, rowsPerPartner, pool, offset, seed));
  }
  const result: GenerateResult = {
    projectPath,
    signalsDir,
    files,
    totalRows: partners * rowsPerPartner,
    totalBytes: files.reduce((sum, f) => sum + f.bytes, 0),
    ms: performance.now() - started,
  };
  writeFileSync(
    join(dir, 'manifest.json'),
    `${JSON.stringify({ generatorVersion: GENERATOR_VERSION, seed, ...result }, null, 2)}\n`,
  );
  return result;
}

function argValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function main(): void {
  const args = process.argv.slice(2);
  const dir = argValue(args, '--out');
  if (dir === undefined) {
    process.stderr.write(
      'usage: tsx test/bench/generate.ts --out <dir> [--partners 10] [--rows 100000] [--seed 2027]\n',
    );
    process.exit(2);
  }
  const result = generate({
    dir,
    partners: Number(argValue(args, '--partners') ?? 10),
    rowsPerPartner: Number(argValue(args, '--rows') ?? 100_000),
    seed: Number(argValue(args, '--seed') ?? 2027),
  });
  const mb = result.totalBytes / 1e6;
  process.stdout.write(
    `generated ${result.totalRows} rows, ${mb.toFixed(1)} MB (${(result.totalBytes / result.totalRows).toFixed(1)} B/row) in ${(result.ms / 1000).toFixed(1)} s → ${dir}\n`,
  );
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) main();
