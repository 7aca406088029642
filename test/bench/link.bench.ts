/**
 * Linkage benchmark: the real `lsi link` against a DuckDB reference (one thread) on the same
 * synthetic files, each in its own child process, each run twice.
 *
 *   npm run bench                      10 partners × 100k rows (default)
 *   npm run bench -- --large           10 partners × 1M rows (or BENCH_LARGE=1)
 *   npm run bench -- --examples        both engines once on examples/, cross-checked
 *   options: --runs <n> (default 2), --only lsi|duckdb, --partners <n>, --rows <n>
 *
 * Data is generated once per size and generator version into .bench/ (git-ignored). Peak memory is
 * what each engine reports from process.resourceUsage().maxRSS; wall time is measured here, from
 * spawn to exit. Throughput counts input rows (accepted + rejected). After the runs the results are
 * cross-checked (rows, accepted, rejected, addresses, multi-interest, per partner, and the exact set
 * of selected keys); any difference prints MISMATCH with details and exits non-zero.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { GENERATOR_VERSION, generate } from './generate.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BENCH_DIR = join(ROOT, '.bench');
const LSI = join(ROOT, 'dist', 'lsi.mjs');
const SEED = 2027;

type Engine = 'lsi' | 'duckdb';

interface Stats {
  wallMs: number;
  maxRssMB: number;
  signals: number;
  /** lsi only: where its time went. */
  phases?: { readMs: number; linkMs: number; writeMs: number };
}

interface RunResult {
  engine: Engine;
  run: number;
  ok: boolean;
  exitCode: number | null;
  outerMs: number;
  stats?: Stats;
  stdout: string;
  stderr: string;
}

interface Totals {
  rows: number;
  accepted: number;
  rejected: number;
  addresses: number;
  multiInterest: number;
}

interface PartnerCounts {
  id: string;
  rows: number;
  accepted: number;
  rejected: number;
  codes: Record<string, number>;
}

function argValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : Number.NaN;
}

function parseStats(stdout: string): Stats | undefined {
  const line = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('stats {'))
    .pop();
  if (line === undefined) return undefined;
  const json: unknown = JSON.parse(line.slice('stats '.length));
  if (!isRecord(json)) return undefined;
  const stats: Stats = { wallMs: num(json.wallMs), maxRssMB: num(json.maxRssMB), signals: num(json.signals) };
  if (
    typeof json.readMs === 'number' &&
    typeof json.linkMs === 'number' &&
    typeof json.writeMs === 'number'
  ) {
    stats.phases = { readMs: json.readMs, linkMs: json.linkMs, writeMs: json.writeMs };
  }
  return stats;
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function runChild(engine: Engine, run: number, args: readonly string[]): Promise<RunResult> {
  return new Promise((done) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr = (stderr + s).slice(-20_000);
    });
    child.on('close', (code) => {
      const outerMs = performance.now() - started;
      const stats = code === 0 ? parseStats(stdout) : undefined;
      done({
        engine,
        run,
        ok: code === 0 && stats !== undefined,
        exitCode: code,
        outerMs,
        stats,
        stdout,
        stderr,
      });
    });
  });
}

/** Bundles the reference engine so its runs do not pay for a TypeScript loader. */
async function buildReference(): Promise<string> {
  const outfile = join(BENCH_DIR, 'duckdb-ref.mjs');
  await build({
    entryPoints: [join(ROOT, 'test', 'bench', 'duckdb-ref.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    logLevel: 'warning',
  });
  return outfile;
}

function dataset(
  partners: number,
  rows: number,
): { dir: string; generated: boolean; ms: number; bytes: number } {
  const dir = join(BENCH_DIR, `data-g${GENERATOR_VERSION}-${partners}x${rows}-s${SEED}`);
  const manifest = join(dir, 'manifest.json');
  if (existsSync(manifest)) {
    const json: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
    const bytes = isRecord(json) ? num(json.totalBytes) : Number.NaN;
    return { dir, generated: false, ms: 0, bytes };
  }
  mkdirSync(dir, { recursive: true });
  const r = generate({ dir, partners, rowsPerPartner: rows, seed: SEED });
  return { dir, generated: true, ms: r.ms, bytes: r.totalBytes };
}

// ---------------------------------------------------------------------------------------------
// Reading both engines' outputs for the cross-check

/** The head of overview.json (everything before "addresses"), without reading the whole file. */
function readOverviewHead(path: string): Record<string, unknown> | undefined {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4 << 20);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('utf8');
    const i = text.search(/\n {2}"addresses": \[/);
    if (i < 0) return undefined;
    const head = text.slice(0, i).trimEnd().replace(/,$/, '');
    const json: unknown = JSON.parse(`${head}}`);
    return isRecord(json) ? json : undefined;
  } finally {
    closeSync(fd);
  }
}

function totalsFrom(v: unknown): Totals | undefined {
  if (!isRecord(v)) return undefined;
  return {
    rows: num(v.rows),
    accepted: num(v.accepted),
    rejected: num(v.rejected),
    addresses: num(v.addresses),
    multiInterest: num(v.multiInterest),
  };
}

function lsiResults(outDir: string): { totals?: Totals; partners: PartnerCounts[] } {
  const head = readOverviewHead(join(outDir, 'overview.json'));
  const partners: PartnerCounts[] = [];
  const reports = join(outDir, 'partner-reports');
  if (existsSync(reports)) {
    for (const name of readdirSync(reports).sort()) {
      const json: unknown = JSON.parse(readFileSync(join(reports, name), 'utf8'));
      if (!isRecord(json)) continue;
      const codes: Record<string, number> = {};
      if (Array.isArray(json.errors)) {
        // One rejected row may carry several errors; count the first per (file, line).
        const seen = new Set<string>();
        for (const e of json.errors) {
          if (!isRecord(e)) continue;
          const at = `${String(e.file)}:${String(e.line)}`;
          if (seen.has(at)) continue;
          seen.add(at);
          const code = String(e.code);
          codes[code] = (codes[code] ?? 0) + 1;
        }
      }
      partners.push({
        id: String(json.partner ?? name.replace(/\.json$/, '')),
        rows: num(json.rows),
        accepted: num(json.accepted),
        rejected: num(json.rejected),
        codes,
      });
    }
  }
  return { totals: totalsFrom(head?.totals), partners };
}

function duckdbResults(outDir: string): { totals?: Totals; partners: PartnerCounts[] } {
  const json: unknown = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8'));
  if (!isRecord(json) || !Array.isArray(json.partners)) return { partners: [] };
  const partners: PartnerCounts[] = [];
  for (const p of json.partners) {
    if (!isRecord(p)) continue;
    const codes: Record<string, number> = {};
    if (isRecord(p.codes)) for (const [k, v] of Object.entries(p.codes)) codes[k] = num(v);
    partners.push({
      id: String(p.id),
      rows: num(p.rows),
      accepted: num(p.accepted),
      rejected: num(p.rejected),
      codes,
    });
  }
  return { totals: totalsFrom(json.totals), partners };
}

/** The first column of a `;` CSV (after the header): the keys of the selected addresses. */
function selectedKeys(path: string): string[] {
  const text = readFileSync(path, 'utf8').replace(/^\ufeff/, '');
  const keys: string[] = [];
  let first = true;
  for (const line of text.split(/\r?\n/)) {
    if (first) {
      first = false;
      continue;
    }
    if (line === '') continue;
    const cell = line.slice(0, line.indexOf(';') < 0 ? line.length : line.indexOf(';'));
    keys.push(cell.replace(/^"|"$/g, ''));
  }
  return keys.sort();
}

function crossCheck(lsiOut: string, duckOut: string): string[] {
  const problems: string[] = [];
  const a = lsiResults(lsiOut);
  const b = duckdbResults(duckOut);
  if (a.totals === undefined) problems.push('lsi: no totals found in overview.json');
  if (b.totals === undefined) problems.push('duckdb: no totals found in summary.json');
  if (a.totals !== undefined && b.totals !== undefined) {
    for (const k of ['rows', 'accepted', 'rejected', 'addresses', 'multiInterest'] as const) {
      if (a.totals[k] !== b.totals[k]) {
        problems.push(
          `totals.${k}: lsi ${a.totals[k]} vs duckdb ${b.totals[k]} (diff ${a.totals[k] - b.totals[k]})`,
        );
      }
    }
  }
  for (const pb of b.partners) {
    const pa = a.partners.find((p) => p.id === pb.id);
    if (pa === undefined) {
      problems.push(`partner ${pb.id}: no partner report from lsi`);
      continue;
    }
    if (pa.rows !== pb.rows || pa.accepted !== pb.accepted || pa.rejected !== pb.rejected) {
      problems.push(
        `partner ${pb.id}: rows/accepted/rejected lsi ${pa.rows}/${pa.accepted}/${pa.rejected} vs duckdb ${pb.rows}/${pb.accepted}/${pb.rejected}`,
      );
    }
    const codes = new Set([...Object.keys(pa.codes), ...Object.keys(pb.codes)]);
    const diffs = [...codes]
      .sort()
      .filter((c) => (pa.codes[c] ?? 0) !== (pb.codes[c] ?? 0))
      .map((c) => `${c} ${pa.codes[c] ?? 0}/${pb.codes[c] ?? 0}`);
    if (diffs.length > 0)
      problems.push(`partner ${pb.id}: error codes differ (lsi/duckdb): ${diffs.join(', ')}`);
  }
  const ka = selectedKeys(join(lsiOut, 'casustafel.csv'));
  const kb = selectedKeys(join(duckOut, 'casustafel.csv'));
  const sa = new Set(ka);
  const sb = new Set(kb);
  const onlyA = ka.filter((k) => !sb.has(k));
  const onlyB = kb.filter((k) => !sa.has(k));
  if (onlyA.length > 0 || onlyB.length > 0) {
    problems.push(
      `selected keys differ: ${onlyA.length} only in lsi (e.g. ${onlyA.slice(0, 5).join(', ')}), ` +
        `${onlyB.length} only in duckdb (e.g. ${onlyB.slice(0, 5).join(', ')})`,
    );
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '-';
}

function best(results: readonly RunResult[], engine: Engine): RunResult | undefined {
  return results.filter((r) => r.engine === engine && r.ok).sort((x, y) => x.outerMs - y.outerMs)[0];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const large = args.includes('--large') || process.env.BENCH_LARGE === '1';
  const partners = Number(argValue(args, '--partners') ?? 10);
  const rows = Number(argValue(args, '--rows') ?? (large ? 1_000_000 : 100_000));
  const runs = Number(argValue(args, '--runs') ?? (args.includes('--examples') ? 1 : 2));
  const only = argValue(args, '--only');
  const engines: Engine[] = only === 'lsi' ? ['lsi'] : only === 'duckdb' ? ['duckdb'] : ['lsi', 'duckdb'];
  const log = (s: string): void => {
    process.stdout.write(`${s}\n`);
  };

  mkdirSync(BENCH_DIR, { recursive: true });
  const examples = args.includes('--examples');
  const data = examples
    ? { dir: join(ROOT, 'examples'), generated: false, ms: 0, bytes: Number.NaN }
    : dataset(partners, rows);
  const total = examples ? Number.NaN : partners * rows;
  log(
    examples
      ? `data: the example project in ${data.dir}`
      : data.generated
        ? `data: generated ${fmt(total)} rows, ${fmt(data.bytes / 1e6, 1)} MB in ${fmt(data.ms / 1000, 1)} s → ${data.dir}`
        : `data: cached ${fmt(total)} rows, ${fmt(data.bytes / 1e6, 1)} MB → ${data.dir}`,
  );
  const project = join(data.dir, 'project.json');
  const signals = join(data.dir, 'signals');
  const ref = await buildReference();

  if (engines.includes('lsi') && !existsSync(LSI)) {
    log(`lsi: ${LSI} is missing; run "npm run build" first (benchmarking DuckDB only)`);
    engines.splice(engines.indexOf('lsi'), 1);
  }

  const outDir = (e: Engine): string =>
    join(BENCH_DIR, 'out', examples ? 'examples' : `${partners}x${rows}`, e);
  const results: RunResult[] = [];
  for (let run = 1; run <= runs; run++) {
    for (const engine of engines) {
      const out = outDir(engine);
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out, { recursive: true });
      const childArgs =
        engine === 'lsi'
          ? [LSI, 'link', '--project', project, '--signals', signals, '--out', out, '--stats']
          : [ref, '--project', project, '--signals', signals, '--out', out];
      const r = await runChild(engine, run, childArgs);
      results.push(r);
      log(
        r.ok
          ? `  ${engine} run ${run}: ${fmt(r.outerMs / 1000, 2)} s, ${fmt(r.stats?.maxRssMB ?? Number.NaN)} MB`
          : `  ${engine} run ${run}: FAILED (exit ${r.exitCode})\n${tail(r.stderr || r.stdout, 15)}`,
      );
    }
  }

  const header = ['engine', 'signals', 'wall s', 'signals/s', 'peak MB', 'other run'];
  const table: string[][] = [];
  for (const engine of engines) {
    const b = best(results, engine);
    if (b?.stats === undefined) {
      table.push([engine, '-', 'failed', '-', '-', '-']);
      continue;
    }
    const others = results.filter((r) => r.engine === engine && r !== b);
    const other = others
      .map((r) =>
        r.ok ? `${fmt(r.outerMs / 1000, 2)} s / ${fmt(r.stats?.maxRssMB ?? Number.NaN)} MB` : 'failed',
      )
      .join(', ');
    table.push([
      engine === 'duckdb' ? 'duckdb (1 thread)' : 'lsi link',
      fmt(total),
      fmt(b.outerMs / 1000, 2),
      fmt(total / (b.outerMs / 1000)),
      fmt(b.stats.maxRssMB),
      other || '-',
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ');
  log('');
  log(
    examples
      ? 'lsi link vs DuckDB — the example project'
      : `lsi link vs DuckDB — ${partners} partners × ${fmt(rows)} rows, ${fmt(data.bytes / 1e6, 1)} MB of CSV`,
  );
  log(line(header));
  log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) log(line(row));

  const bl = best(results, 'lsi');
  const bd = best(results, 'duckdb');
  if (bl?.stats !== undefined && bd?.stats !== undefined) {
    const speed = bd.outerMs / bl.outerMs;
    const mem = bl.stats.maxRssMB / bd.stats.maxRssMB;
    log('');
    log(
      `ratio lsi/DuckDB: ${fmt(speed, 2)}× the throughput (${speed >= 1 ? 'lsi faster' : 'DuckDB faster'}), ` +
        `${fmt(mem, 2)}× the peak memory`,
    );
    log(
      `engine-reported wall: lsi ${fmt(bl.stats.wallMs / 1000, 2)} s (signals ${fmt(bl.stats.signals)}), ` +
        `DuckDB ${fmt(bd.stats.wallMs / 1000, 2)} s`,
    );
    const ph = bl.stats.phases;
    if (ph) {
      const rate = (ms: number) => fmt(Math.round(bl.stats?.signals ?? 0) / (ms / 1000));
      log(
        `lsi phases: read+validate ${fmt(ph.readMs / 1000, 2)} s (${rate(ph.readMs)} signals/s), ` +
          `link+select ${fmt(ph.linkMs / 1000, 2)} s (${rate(ph.linkMs)} signals/s), ` +
          `write outputs ${fmt(ph.writeMs / 1000, 2)} s`,
      );
    }
  }

  let failed = results.some((r) => !r.ok);
  if (engines.length === 2 && bl !== undefined && bd !== undefined) {
    const problems = crossCheck(outDir('lsi'), outDir('duckdb'));
    log('');
    if (problems.length === 0) {
      const t = duckdbResults(outDir('duckdb')).totals;
      log(
        `cross-check: OK — both engines: ${fmt(t?.rows ?? Number.NaN)} rows, ${fmt(t?.accepted ?? Number.NaN)} accepted, ` +
          `${fmt(t?.addresses ?? Number.NaN)} addresses, ${fmt(t?.multiInterest ?? Number.NaN)} multi-interest, same selected keys`,
      );
    } else {
      failed = true;
      log('!!! MISMATCH between lsi link and the DuckDB reference:');
      for (const p of problems) log(`!!!   ${p}`);
      log(`!!! outputs kept in ${outDir('lsi')} and ${outDir('duckdb')}`);
    }
  }
  if (failed) process.exitCode = 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
