/**
 * `lsi link`: link the partners' signal files in a folder on this machine (CONTRACT.md §6).
 */
import {
  closeSync,
  createReadStream,
  write as fsWrite,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { partnerReport, writeCasustafel, writeOverview } from '../../lambdas/core/outputs.ts';
import { type Project, parseProjectText } from '../../lambdas/core/project.ts';
import { runLink, type SignalInput } from '../../lambdas/core/run.ts';
import { nl, UsageError } from './common.ts';

export const LINK_HELP = `lsi link — koppel de signalen van alle ketenpartners op adres

Gebruik:
  lsi link --project <project.json> --signals <map> --out <map> [--allow-missing]

  --project <bestand>  het projectbestand (projectId, gebied, ketenpartners, ...)
  --signals <map>      de signalen per ketenpartner, als <map>/<partnerId>.csv
                       of <map>/<partnerId>/*.csv (CSV uit Excel is goed: ; of , of TAB,
                       UTF-8 of Windows-1252)
  --out <map>          hier komen overview.json, casustafel.csv en
                       partner-reports/<partnerId>.json
  --allow-missing      koppel ook als een ketenpartner nog niets heeft aangeleverd;
                       het overzicht zegt wie ontbreekt
  --quiet              geen voortgang en samenvatting
  --stats              druk aan het eind tijd en piekgeheugen af

Voorbeeld:
  npx lsi link --project examples/project.json --signals examples/signals --out out

Een ketenpartner zonder bestand, een bestand van een onbekende ketenpartner of een
ongeldig projectbestand is een fout: er wordt dan niets geschreven (exitcode 1).`;

function isDir(p: string): boolean {
  return statSync(p).isDirectory();
}

function fileInput(path: string, name: string): SignalInput {
  return {
    name,
    open: () => createReadStream(path, { highWaterMark: 1 << 20 }),
    size: statSync(path).size,
  };
}

/** Finds each partner's files; anything that belongs to no partner of the project is an error. */
export function discoverSignals(dir: string, project: Project): Map<string, SignalInput[]> {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    throw new UsageError(`De map met signalen bestaat niet of is niet leesbaar: ${dir}`);
  }
  const ids = new Set(project.partners.map((p) => p.id));
  const inputs = new Map<string, SignalInput[]>();
  const add = (id: string, input: SignalInput): void => {
    const list = inputs.get(id) ?? [];
    list.push(input);
    inputs.set(id, list);
  };
  const problems: string[] = [];
  for (const entry of entries) {
    if (entry.startsWith('.')) continue; // system files such as .DS_Store
    const path = join(dir, entry);
    if (isDir(path)) {
      if (!ids.has(entry)) {
        problems.push(`map "${entry}" hoort bij geen ketenpartner van dit project`);
        continue;
      }
      for (const f of readdirSync(path).sort()) {
        if (f.startsWith('.')) continue;
        const fp = join(path, f);
        if (isDir(fp) || !/\.csv$/i.test(f)) {
          problems.push(
            `"${relative(dir, fp)}" is geen CSV-bestand (sla het op als CSV, gescheiden door puntkomma)`,
          );
          continue;
        }
        add(entry, fileInput(fp, `${entry}/${f}`));
      }
      continue;
    }
    const m = /^(.+)\.csv$/i.exec(entry);
    if (!m?.[1]) {
      problems.push(`"${entry}" is geen CSV-bestand (sla het op als CSV, gescheiden door puntkomma)`);
      continue;
    }
    if (!ids.has(m[1])) {
      problems.push(`bestand "${entry}" hoort bij geen ketenpartner van dit project`);
      continue;
    }
    add(m[1], fileInput(path, entry));
  }
  if (problems.length > 0) {
    throw new UsageError(
      `In ${dir}:\n${problems.map((p) => `  - ${p}`).join('\n')}\nKetenpartners van dit project: ${[...ids].sort().join(', ')}.`,
    );
  }
  return inputs;
}

/** A file sink for the writers: each chunk is written by the I/O thread while the next is produced. */
function fileSink(fd: number): (chunk: Uint8Array) => Promise<void> {
  let position = 0;
  return (chunk) => {
    const at = position;
    position += chunk.length;
    return new Promise<void>((resolve, reject) => {
      fsWrite(fd, chunk, 0, chunk.length, at, (e) => (e ? reject(e) : resolve()));
    });
  };
}

async function writeStreamed(
  path: string,
  write: (sink: (chunk: Uint8Array) => Promise<void>) => Promise<void>,
): Promise<void> {
  const fd = openSync(path, 'w');
  try {
    await write(fileSink(fd));
  } finally {
    closeSync(fd);
  }
}

export async function linkCommand(
  argv: string[],
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<void> {
  const started = performance.now();
  const { values } = parseArgs({
    args: argv,
    options: {
      project: { type: 'string' },
      signals: { type: 'string' },
      out: { type: 'string' },
      'allow-missing': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      stats: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    out(LINK_HELP);
    return;
  }
  if (!values.project || !values.signals || !values.out) {
    const missing = (['project', 'signals', 'out'] as const).filter((k) => !values[k]).map((k) => `--${k}`);
    throw new UsageError(`Ontbrekend: ${missing.join(', ')}. Zie: lsi link --help`);
  }
  let text: string;
  try {
    text = readFileSync(values.project, 'utf8');
  } catch {
    throw new UsageError(`Projectbestand niet gevonden of niet leesbaar: ${values.project}`);
  }
  const project = parseProjectText(text, values.project);
  const inputs = discoverSignals(values.signals, project);
  const missing = project.partners.map((p) => p.id).filter((id) => !inputs.has(id));
  if (missing.length > 0 && !values['allow-missing']) {
    throw new UsageError(
      `Geen signalen gevonden van: ${missing.join(', ')} (verwacht ${values.signals}/<partnerId>.csv of ${values.signals}/<partnerId>/*.csv).\nKoppel zonder hen met --allow-missing; het overzicht vermeldt dan wie ontbreekt.`,
    );
  }
  const quiet = values.quiet;
  const run = await runLink({
    project,
    inputs,
    onFile: (partner, r) => {
      if (quiet) return;
      const status = r.error
        ? `AFGEWEZEN: ${r.error.message}`
        : `${nl(r.rows)} ${r.rows === 1 ? 'regel' : 'regels'}, ${nl(r.accepted)} geaccepteerd, ${nl(r.rejected)} afgewezen (${r.encoding}, ${r.delimiter})`;
      err(`  gelezen ${partner}: ${r.name} — ${status}`);
    },
  });
  const writeStart = performance.now();
  mkdirSync(join(values.out, 'partner-reports'), { recursive: true });
  const generatedAt = new Date().toISOString();
  await writeStreamed(join(values.out, 'overview.json'), (sink) =>
    writeOverview(run.linkage, { projectId: project.projectId, generatedAt, partners: run.partners }, sink),
  );
  await writeStreamed(join(values.out, 'casustafel.csv'), (sink) => writeCasustafel(run.linkage, sink));
  for (const id of run.partnerIds) {
    const report = partnerReport(id, run.files.get(id) ?? []);
    writeFileSync(join(values.out, 'partner-reports', `${id}.json`), `${JSON.stringify(report, null, 2)}\n`);
  }
  if (!quiet)
    printSummary(project, run.partners, run.linkage.addresses, run.linkage.multiInterest, values.out, out);
  if (values.stats) {
    const signals = run.linkage.store.size;
    out(
      `stats ${JSON.stringify({
        wallMs: Math.round(performance.now() - started),
        maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
        signals,
        readMs: Math.round(run.readMs),
        linkMs: Math.round(run.linkMs),
        writeMs: Math.round(performance.now() - writeStart),
      })}`,
    );
  }
}

function printSummary(
  project: Project,
  partners: readonly { id: string; rows: number; accepted: number; rejected: number; missing?: true }[],
  addresses: number,
  multi: number,
  outDir: string,
  out: (line: string) => void,
): void {
  const pad = (s: string, n: number): string => s.padStart(n);
  out(`${project.name} (${project.projectId}) — koppeling`);
  out(`${'ketenpartner'.padEnd(16)}${pad('regels', 12)}${pad('geaccepteerd', 14)}${pad('afgewezen', 11)}`);
  const t = { rows: 0, accepted: 0, rejected: 0 };
  for (const p of partners) {
    t.rows += p.rows;
    t.accepted += p.accepted;
    t.rejected += p.rejected;
    const line = p.missing
      ? `${p.id.padEnd(16)}${pad('ontbreekt', 12)}`
      : `${p.id.padEnd(16)}${pad(nl(p.rows), 12)}${pad(nl(p.accepted), 14)}${pad(nl(p.rejected), 11)}`;
    out(line);
  }
  out(`${'totaal'.padEnd(16)}${pad(nl(t.rows), 12)}${pad(nl(t.accepted), 14)}${pad(nl(t.rejected), 11)}`);
  out(
    `adressen: ${nl(addresses)}; meervoudig belang (≥ ${project.selection.minPartners} ketenpartners): ${nl(multi)}`,
  );
  out(`geschreven in ${outDir}: overview.json, casustafel.csv, partner-reports/<partnerId>.json`);
}
