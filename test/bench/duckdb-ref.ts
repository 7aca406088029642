/**
 * Reference engine for the linkage benchmark: the same job as `lsi link`, done by DuckDB with one
 * thread, so the two can be compared for speed, memory and results.
 *
 * It follows CONTRACT.md §2–5 as closely as SQL allows: per file it detects the encoding (valid
 * UTF-8, else Windows-1252, which DuckDB reads as `latin-1`; the two agree on every character the
 * generator and the examples use) and the delimiter from the header, maps header aliases, skips
 * rows whose cells are all empty, normalises the address key, gives each row the first applicable
 * error code, groups accepted signals by key and selects keys with >= minPartners distinct partners.
 *
 * Not reproduced: physical line numbers (DuckDB does not expose them), rows with more cells than
 * the header (DuckDB stops with an error instead of rejecting the row), file and row limits.
 *
 * Writes into --out: `addresses.ndjson` (every address with its partners and signals),
 * `casustafel.csv` (the selected addresses), `rejects.csv` (partner, file, code) and
 * `summary.json` (totals, per partner, per file). Its last stdout line is
 * `stats {"wallMs":..,"maxRssMB":..,"signals":..,"addresses":..,"multiInterest":..,...}`
 * where signals counts every input row (accepted + rejected).
 *
 * CLI: node duckdb-ref.mjs --project <project.json> --signals <dir> --out <dir>
 */
import { isUtf8 } from 'node:buffer';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

type Canonical =
  | 'postcode'
  | 'huisnummer'
  | 'huisletter'
  | 'toevoeging'
  | 'risico'
  | 'omschrijving'
  | 'referentie'
  | 'datum';

const ALIASES: ReadonlyMap<string, Canonical> = new Map<string, Canonical>([
  ['postcode', 'postcode'],
  ['pc', 'postcode'],
  ['pc6', 'postcode'],
  ['huisnummer', 'huisnummer'],
  ['huisnr', 'huisnummer'],
  ['nummer', 'huisnummer'],
  ['hnr', 'huisnummer'],
  ['huisletter', 'huisletter'],
  ['toevoeging', 'toevoeging'],
  ['huisnummertoevoeging', 'toevoeging'],
  ['toev', 'toevoeging'],
  ['risico', 'risico'],
  ['signaal', 'risico'],
  ['risicotype', 'risico'],
  ['omschrijving', 'omschrijving'],
  ['toelichting', 'omschrijving'],
  ['referentie', 'referentie'],
  ['kenmerk', 'referentie'],
  ['datum', 'datum'],
  ['signaaldatum', 'datum'],
]);
const CANONICAL: readonly Canonical[] = [
  'postcode',
  'huisnummer',
  'huisletter',
  'toevoeging',
  'risico',
  'omschrijving',
  'referentie',
  'datum',
];
const REQUIRED: readonly Canonical[] = ['postcode', 'huisnummer', 'risico'];

export interface ProjectInfo {
  readonly projectId: string;
  readonly partners: readonly string[];
  readonly area: readonly (readonly [number, number])[];
  readonly minPartners: number;
}

export interface FileInfo {
  readonly partner: string;
  readonly name: string;
  readonly path: string;
  readonly encoding: 'utf-8' | 'windows-1252';
  readonly delimiter: string;
  readonly columns: ReadonlyMap<Canonical, number>;
  readonly cellCount: number;
  readonly ignoredColumns: readonly string[];
  readonly error?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pcIndex(pc4: number, letters: string): number {
  return (pc4 - 1000) * 676 + (letters.charCodeAt(0) - 65) * 26 + (letters.charCodeAt(1) - 65);
}

/** Area entry → inclusive postcode index range (same packing as the SQL below). */
export function parseArea(entry: string): readonly [number, number] {
  const s = entry.replace(/\s+/g, '').toUpperCase();
  const m = /^([1-9][0-9]{3})([A-Z]{2})?(?:-([1-9][0-9]{3})([A-Z]{2})?)?$/.exec(s);
  if (m === null) throw new Error(`area entry not understood: ${entry}`);
  const [, fromPc4 = '', fromLetters, toPc4, toLetters] = m;
  const from = pcIndex(Number(fromPc4), fromLetters ?? 'AA');
  const to =
    toPc4 === undefined
      ? pcIndex(Number(fromPc4), fromLetters ?? 'ZZ')
      : pcIndex(Number(toPc4), toLetters ?? 'ZZ');
  return [from, to];
}

export function readProject(path: string): ProjectInfo {
  const json: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!isRecord(json)) throw new Error('project.json: not an object');
  const { projectId, partners, area, selection } = json;
  if (typeof projectId !== 'string') throw new Error('project.json: projectId');
  if (!Array.isArray(partners)) throw new Error('project.json: partners');
  if (!Array.isArray(area)) throw new Error('project.json: area');
  const ids: string[] = [];
  for (const p of partners) {
    if (!isRecord(p) || typeof p.id !== 'string') throw new Error('project.json: partners[].id');
    ids.push(p.id);
  }
  const ranges = area.map((a) => {
    if (typeof a !== 'string') throw new Error('project.json: area[]');
    return parseArea(a);
  });
  let minPartners = 2;
  if (isRecord(selection) && typeof selection.minPartners === 'number') minPartners = selection.minPartners;
  return { projectId, partners: ids, area: ranges, minPartners };
}

/** Streams the file and tells whether all of it is valid UTF-8 (a BOM is valid UTF-8). */
export function isUtf8File(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    let carry = 0;
    for (;;) {
      const n = readSync(fd, buf, carry, buf.length - carry, null);
      const end = carry + n;
      if (n === 0) return carry === 0;
      // Validate up to the start of a possibly incomplete last character; carry that over.
      let cut = end;
      let i = end - 1;
      let back = 0;
      while (i > 0 && back < 3 && ((buf[i] ?? 0) & 0xc0) === 0x80) {
        i--;
        back++;
      }
      const lead = buf[i] ?? 0;
      const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
      if (i + need > end) cut = i;
      if (!isUtf8(buf.subarray(0, cut))) return false;
      buf.copy(buf, 0, cut, end);
      carry = end - cut;
    }
  } finally {
    closeSync(fd);
  }
}

function readHeaderLine(path: string, encoding: 'utf-8' | 'windows-1252'): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    let bytes = buf.subarray(0, n);
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    const nl = bytes.indexOf(0x0a);
    const line = nl >= 0 ? bytes.subarray(0, nl) : bytes;
    return new TextDecoder(encoding).decode(line).replace(/\r$/, '');
  } finally {
    closeSync(fd);
  }
}

/** Splits one header line on the delimiter, honouring double quotes. */
function splitHeader(line: string, delimiter: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

function detectDelimiter(line: string): string {
  let best = ';';
  let bestCount = -1;
  for (const d of [';', ',', '\t']) {
    const count = splitHeader(line, d).length - 1;
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

export function inspectFile(partner: string, path: string): FileInfo {
  const encoding = isUtf8File(path) ? 'utf-8' : 'windows-1252';
  const header = readHeaderLine(path, encoding);
  const delimiter = detectDelimiter(header);
  const names = splitHeader(header, delimiter);
  const columns = new Map<Canonical, number>();
  const ignoredColumns: string[] = [];
  names.forEach((raw, i) => {
    const canonical = ALIASES.get(
      raw
        .trim()
        .toLowerCase()
        .replace(/[\s_-]+/g, ''),
    );
    if (canonical !== undefined && !columns.has(canonical)) columns.set(canonical, i);
    else ignoredColumns.push(raw.trim());
  });
  const missing = REQUIRED.filter((c) => !columns.has(c));
  const base = {
    partner,
    name: basename(path),
    path,
    encoding,
    delimiter,
    columns,
    cellCount: names.length,
    ignoredColumns,
  } as const;
  return missing.length > 0 ? { ...base, error: `required column missing: ${missing.join(', ')}` } : base;
}

/** `<dir>/<partner>.csv` and `<dir>/<partner>/*.csv`, as CONTRACT §6 lays them out. */
export function discoverFiles(signalsDir: string, partners: readonly string[]): FileInfo[] {
  const files: FileInfo[] = [];
  for (const partner of partners) {
    const single = join(signalsDir, `${partner}.csv`);
    if (existsSync(single)) files.push(inspectFile(partner, single));
    const folder = join(signalsDir, partner);
    if (existsSync(folder) && statSync(folder).isDirectory()) {
      for (const name of readdirSync(folder).sort()) {
        if (name.toLowerCase().endsWith('.csv')) files.push(inspectFile(partner, join(folder, name)));
      }
    }
  }
  return files;
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function fileSelect(f: FileInfo, partnerIndex: number, fileIndex: number): string {
  const cols = Array.from({ length: f.cellCount }, (_, i) => `'c${i}': 'VARCHAR'`).join(', ');
  const pick = (c: Canonical): string => {
    const i = f.columns.get(c);
    return i === undefined ? `NULL::VARCHAR AS ${c}` : `c${i} AS ${c}`;
  };
  const blank = Array.from({ length: f.cellCount }, (_, i) => `coalesce(c${i}, '')`).join(' || ');
  return `SELECT ${partnerIndex}::UTINYINT AS p, ${fileIndex}::USMALLINT AS f, ${CANONICAL.map(pick).join(', ')}
    FROM read_csv(${sqlString(f.path)}, delim=${sqlString(f.delimiter)}, header=false, skip=1, quote='"', escape='"',
      auto_detect=false, columns={${cols}}, encoding=${sqlString(f.encoding === 'utf-8' ? 'utf-8' : 'latin-1')})
    WHERE (${blank}) <> ''`;
}

function numberOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') return Number(v);
  if (typeof v === 'bigint') return Number(v);
  return 0;
}

export interface PartnerSummary {
  id: string;
  rows: number;
  accepted: number;
  rejected: number;
  codes: Record<string, number>;
}

export interface Summary {
  engine: 'duckdb';
  projectId: string;
  minPartners: number;
  totals: { rows: number; accepted: number; rejected: number; addresses: number; multiInterest: number };
  partners: PartnerSummary[];
  files: {
    partner: string;
    name: string;
    encoding: string;
    delimiter: string;
    ignoredColumns: string[];
    error?: string;
  }[];
}

export async function runReference(
  projectPath: string,
  signalsDir: string,
  outDir: string,
): Promise<Summary> {
  const project = readProject(projectPath);
  const files = discoverFiles(signalsDir, project.partners);
  const readable = files.filter((f) => f.error === undefined);
  if (readable.length === 0) throw new Error('no readable signal files');
  mkdirSync(outDir, { recursive: true });

  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await instance.connect();
  const trace = process.env.DUCKDB_REF_TRACE === '1';
  const db = {
    run: async (sql: string): Promise<void> => {
      const started = performance.now();
      await conn.run(sql);
      if (trace)
        process.stderr.write(`${Math.round(performance.now() - started)} ms: ${sql.trim().slice(0, 60)}\n`);
    },
    runAndReadAll: (sql: string) => conn.runAndReadAll(sql),
  };
  if (trace) process.stderr.write(`${Math.round(performance.now())} ms: files inspected\n`);
  await db.run('SET preserve_insertion_order = false');

  const area = project.area.map(([a, b]) => `(idx BETWEEN ${a} AND ${b})`).join(' OR ');
  await db.run(`
    CREATE TEMP TABLE sig AS
    WITH raw AS (
      ${readable.map((f, i) => fileSelect(f, project.partners.indexOf(f.partner), i)).join('\n      UNION ALL\n      ')}
    ), n AS (
      SELECT p, f,
        upper(regexp_replace(coalesce(postcode, ''), '[\\s\\x{00A0}]+', '', 'g')) AS pc,
        trim(coalesce(huisnummer, '')) AS h,
        coalesce(huisletter, '') || coalesce(toevoeging, '') AS extra,
        trim(coalesce(risico, '')) AS risico,
        coalesce(omschrijving, '') AS omschrijving,
        coalesce(referentie, '') AS referentie,
        coalesce(datum, '') AS datum
      FROM raw
    ), d AS (
      SELECT *, regexp_extract(h, '^[0-9]+') AS digits FROM n
    ), k AS (
      SELECT *,
        ltrim(digits, '0') AS num,
        upper(regexp_replace(substr(h, length(digits) + 1) || extra, '[\\s\\-/._]+', '', 'g')) AS suffix,
        (TRY_CAST(substr(pc, 1, 4) AS INTEGER) - 1000) * 676
          + (ascii(substr(pc, 5, 1)) - 65) * 26 + (ascii(substr(pc, 6, 1)) - 65) AS idx
      FROM d
    )
    SELECT p, f, risico, omschrijving, referentie, datum,
      pc || '-' || num || CASE WHEN suffix = '' THEN '' ELSE '-' || suffix END AS key,
      CASE
        WHEN NOT regexp_full_match(pc, '[1-9][0-9]{3}[A-Z]{2}') OR substr(pc, 5, 2) IN ('SA', 'SD', 'SS')
          THEN 'POSTCODE_INVALID'
        WHEN length(num) NOT BETWEEN 1 AND 5 THEN 'HUISNUMMER_INVALID'
        WHEN suffix <> '' AND NOT regexp_full_match(suffix, '[A-Z0-9]{1,5}') THEN 'TOEVOEGING_INVALID'
        WHEN risico = '' THEN 'RISICO_MISSING'
        WHEN length(risico) > 100 THEN 'RISICO_INVALID'
        WHEN NOT (${area}) THEN 'OUT_OF_AREA'
        WHEN length(omschrijving) > 500 OR length(referentie) > 64 THEN 'FIELD_TOO_LONG'
      END AS code
    FROM k`);

  // Partners as a bitmask (bit p = p-th partner of the project) and partner and file as small
  // integers: DuckDB's DISTINCT and ORDER BY aggregates and long strings are far slower.
  await db.run(`
    CREATE TEMP TABLE addr AS
    SELECT key, bit_or(1::UBIGINT << p) AS mask,
      list({'p': p, 'f': f, 'risico': risico, 'omschrijving': omschrijving, 'referentie': referentie,
            'datum': datum}) AS signals
    FROM sig WHERE code IS NULL GROUP BY key`);

  const out = (name: string): string => sqlString(join(outDir, name));
  const partnerNames = `[${project.partners.map(sqlString).join(', ')}]`;
  const fileNames = `[${readable.map((f) => sqlString(join(f.partner, f.name))).join(', ')}]`;
  const partnersOf = `list_sort(list_transform(list_filter(range(${project.partners.length}), i -> (mask >> i) & 1 = 1), i -> ${partnerNames}[i + 1]))`;
  const keyCols = `key, split_part(key, '-', 1) AS postcode, CAST(split_part(key, '-', 2) AS INTEGER) AS huisnummer,
            split_part(key, '-', 3) AS suffix`;
  await db.run(`
    COPY (SELECT ${keyCols}, ${partnersOf} AS partners, bit_count(mask) >= ${project.minPartners} AS multiInterest,
            list_transform(signals, s -> {'partner': ${partnerNames}[s.p + 1], 'risico': s.risico,
              'omschrijving': s.omschrijving, 'referentie': s.referentie, 'datum': s.datum,
              'file': ${fileNames}[s.f + 1]}) AS signals
          FROM addr ORDER BY key)
    TO ${out('addresses.ndjson')} (FORMAT json)`);
  await db.run(`
    COPY (SELECT ${keyCols}, array_to_string(${partnersOf}, ', ') AS partners, bit_count(mask) AS aantal_partners,
            array_to_string(list_sort(list_distinct(list_transform(signals, s -> s.risico))), ' | ') AS risicos
          FROM addr WHERE bit_count(mask) >= ${project.minPartners} ORDER BY key)
    TO ${out('casustafel.csv')} (FORMAT csv, HEADER, DELIMITER ';')`);
  await db.run(`
    COPY (SELECT ${partnerNames}[p + 1] AS partner, ${fileNames}[f + 1] AS file, code FROM sig WHERE code IS NOT NULL)
    TO ${out('rejects.csv')} (FORMAT csv, HEADER)`);

  const totals = (
    await db.runAndReadAll(`
      SELECT (SELECT count(*)::DOUBLE FROM sig) AS rows,
             (SELECT count(*)::DOUBLE FROM sig WHERE code IS NULL) AS accepted,
             (SELECT count(*)::DOUBLE FROM addr) AS addresses,
             (SELECT count(*)::DOUBLE FROM addr WHERE bit_count(mask) >= ${project.minPartners}) AS multi`)
  ).getRowObjectsJS()[0];
  const perCode = (
    await db.runAndReadAll(
      `SELECT ${partnerNames}[p + 1] AS partner, coalesce(code, 'ACCEPTED') AS code, count(*)::DOUBLE AS n
       FROM sig GROUP BY ALL ORDER BY ALL`,
    )
  ).getRowObjectsJS();
  instance.closeSync();

  const partners = new Map<string, PartnerSummary>(
    project.partners.map((id) => [id, { id, rows: 0, accepted: 0, rejected: 0, codes: {} }]),
  );
  for (const r of perCode) {
    const p = partners.get(String(r.partner));
    if (p === undefined) continue;
    const n = numberOf(r.n);
    p.rows += n;
    if (r.code === 'ACCEPTED') p.accepted += n;
    else {
      p.rejected += n;
      p.codes[String(r.code)] = n;
    }
  }
  const rows = numberOf(totals?.rows);
  const accepted = numberOf(totals?.accepted);
  const summary: Summary = {
    engine: 'duckdb',
    projectId: project.projectId,
    minPartners: project.minPartners,
    totals: {
      rows,
      accepted,
      rejected: rows - accepted,
      addresses: numberOf(totals?.addresses),
      multiInterest: numberOf(totals?.multi),
    },
    partners: [...partners.values()],
    files: files.map((f) => ({
      partner: f.partner,
      name: f.name,
      encoding: f.encoding,
      delimiter: f.delimiter === '\t' ? 'TAB' : f.delimiter,
      ignoredColumns: [...f.ignoredColumns],
      ...(f.error === undefined ? {} : { error: f.error }),
    })),
  };
  await writeFile(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

function argValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const project = argValue(args, '--project');
  const signals = argValue(args, '--signals');
  const out = argValue(args, '--out');
  if (project === undefined || signals === undefined || out === undefined) {
    process.stderr.write('usage: duckdb-ref --project <project.json> --signals <dir> --out <dir>\n');
    process.exit(2);
  }
  const summary = await runReference(project, signals, out);
  const t = summary.totals;
  for (const f of summary.files) {
    if (f.error !== undefined) process.stderr.write(`${f.partner}/${f.name}: ${f.error}\n`);
  }
  const stats = {
    wallMs: Math.round(performance.now()),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    signals: t.rows,
    accepted: t.accepted,
    rejected: t.rejected,
    addresses: t.addresses,
    multiInterest: t.multiInterest,
  };
  process.stdout.write(
    `duckdb: ${t.rows} rows, ${t.accepted} accepted, ${t.rejected} rejected, ${t.addresses} addresses, ${t.multiInterest} multi-interest\n`,
  );
  process.stdout.write(`stats ${JSON.stringify(stats)}\n`);
}

const entry = process.argv[1] ?? '';
if (entry.endsWith('duckdb-ref.ts') || entry.endsWith('duckdb-ref.mjs')) {
  main().catch((e: unknown) => {
    process.stderr.write(`duckdb-ref: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
