/**
 * The pipeline commands: run the embedded default (`lsi local up`, `lsi demo`), act as a partner
 * (`lsi upload`, `lsi upload-url`, `lsi complete`) or as the lead (`lsi status`, `lsi start`,
 * `lsi results`), against the embedded default or, with --aws, a deployed project stack.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { csvCell } from '../../lambdas/core/bytes.ts';
import { CASUSTAFEL_HEADER } from '../../lambdas/core/outputs.ts';
import { type Project, parseProjectText } from '../../lambdas/core/project.ts';
import { type AddressResult, roundStatus, rounds, selectedAddresses } from '../../lib/client/queries.ts';
import { awsTarget, localDir, localTarget, type Target } from '../../lib/client/target.ts';
import { parseReply, uploadSignalFile, uploadUrlReplySchema } from '../../lib/client/upload.ts';
import { embeddedTarget, startControlServer } from '../../lib/local/control-server.ts';
import { startEmbeddedProject } from '../../lib/local/embedded-project.ts';
import { nl, UsageError } from './common.ts';

type Out = (line: string) => void;

export const COMMON = {
  project: { type: 'string' },
  aws: { type: 'boolean', default: false },
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export function loadProject(path: string | undefined): Project {
  const file = path ?? 'project.json';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(
      path
        ? `Projectbestand niet gevonden: ${file}`
        : 'Geef het projectbestand op met --project <project.json>.',
    );
  }
  return parseProjectText(text, file);
}

export async function targetFor(
  project: Project,
  values: { aws?: boolean; region?: string | undefined },
): Promise<Target> {
  return values.aws ? awsTarget(project.projectId, values.region) : localTarget(project.projectId);
}

export function roundOf(v: string | undefined): number {
  const r = z.coerce
    .number()
    .int()
    .min(1)
    .max(9999)
    .safeParse(v ?? '1');
  if (!r.success) throw new UsageError(`--round moet een rondenummer zijn (1, 2, ...), niet "${v}".`);
  return r.data;
}

export const PIPELINE_HELP = `Aanleveren en koppelen (lokaal, of met --aws in een uitgerolde stack):
  lsi local up   --project <p>                       start de lokale omgeving en laat die draaien
  lsi demo       [--project <p>] [--signals <map>]   een heel project lokaal, van upload tot casustafel
  lsi upload     <bestand.csv>... --project <p> --partner <id> [--name <naam.csv>] [--round <n>]
  lsi upload-url --project <p> --partner <id> --name <naam.csv> --size <bytes>
  lsi complete   --project <p> --partner <id> [--namens]   aanlevering compleet (--namens: door de projectleiding)
  lsi status     --project <p> [--round <n>]          wie heeft wat aangeleverd, en de koppeling
  lsi start      --project <p> [--round <n>] [--retry]   koppel met wie er is (of opnieuw na een fout)`;

/** `lsi local up`: the embedded default as a long-running process. */
export async function localUp(argv: string[], out: Out, err: Out): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON,
      port: { type: 'string', default: '7460' },
      reset: { type: 'boolean', default: false },
    },
  });
  if (values.help) return out(PIPELINE_HELP);
  const project = loadProject(values.project);
  const base = z.coerce.number().int().min(1024).max(65530).safeParse(values.port);
  if (!base.success) throw new UsageError('--port moet een poortnummer zijn (1024..65530).');
  const dir = localDir(project.projectId);
  if (values.reset) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  err(`Lokale omgeving voor ${project.name} starten (gegevens in ${dir}) ...`);
  const p = await startEmbeddedProject({
    project,
    dir,
    persist: true,
    dynamoPort: base.data + 1,
    s3Port: base.data + 2,
    onState: (state, execution) => err(`  [${execution}] ${state}`),
  });
  let control: Awaited<ReturnType<typeof startControlServer>>;
  try {
    control = await startControlServer(p, base.data);
  } catch (e) {
    await p.stop();
    throw e;
  }
  const file = join(dir, 'endpoints.json');
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        pid: process.pid,
        projectId: project.projectId,
        control: control.url,
        dynamoEndpoint: p.runtime.services.dynamoEndpoint,
        s3Endpoint: p.runtime.services.s3Endpoint,
        names: p.names,
      },
      null,
      2,
    )}\n`,
  );
  out(
    `Klaar. DynamoDB: ${p.runtime.services.dynamoEndpoint}  S3: ${p.runtime.services.s3Endpoint}  besturing: ${control.url}`,
  );
  out(
    'Laat dit venster open; gebruik in een ander venster lsi upload, lsi complete, lsi status, lsi results. Stoppen: Ctrl+C.',
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  err('Stoppen ...');
  rmSync(file, { force: true });
  control.server.close();
  await p.stop();
}

/** `lsi upload`: one or more files for one partner, each through its own pre-signed URL. */
export async function upload(argv: string[], out: Out): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...COMMON, partner: { type: 'string' }, name: { type: 'string' }, round: { type: 'string' } },
  });
  if (values.help) return out(PIPELINE_HELP);
  if (positionals.length === 0) throw new UsageError('Welk bestand? lsi upload <bestand.csv> --partner <id>');
  if (values.name && positionals.length > 1) throw new UsageError('--name kan alleen bij één bestand.');
  const project = loadProject(values.project);
  const round = roundOf(values.round);
  const target = await targetFor(project, values);
  const uploaded: string[] = [];
  try {
    for (const file of positionals) {
      if (!existsSync(file)) throw new UsageError(`Bestand niet gevonden: ${file}`);
      const name = values.name ?? basename(file);
      const { uploadId } = await uploadSignalFile(
        (r) => target.partner(values.partner, r),
        name,
        readFileSync(file),
        round,
      );
      uploaded.push(uploadId);
      out(`geüpload: ${file} als "${name}" (upload ${uploadId}, ronde ${round})`);
    }
    await target.idle();
    await waitForValidation(target, values.partner, round, uploaded);
    await printPartnerStatus(target, values.partner, round, out);
  } finally {
    await target.close();
  }
}

/** In AWS validation runs after the upload, asynchronously: wait (at most a minute) until it is done. */
async function waitForValidation(
  target: Target,
  partner: string | undefined,
  round: number,
  uploadIds: readonly string[],
): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const s = parseReply(await target.partner(partner, { action: 'status', round }), partnerStatusSchema);
    const pending = s.uploads.filter((u) => uploadIds.includes(u.uploadId) && u.status === 'requested');
    if (pending.length === 0) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const partnerStatusSchema = z.object({
  partner: z.string(),
  round: z.number(),
  complete: z.boolean(),
  linkage: z.string().nullable(),
  uploads: z.array(
    z.object({
      uploadId: z.string(),
      name: z.string(),
      status: z.string(),
      rows: z.number(),
      accepted: z.number(),
      rejected: z.number(),
    }),
  ),
});

async function printPartnerStatus(
  target: Target,
  partner: string | undefined,
  round: number,
  out: Out,
): Promise<void> {
  const s = parseReply(await target.partner(partner, { action: 'status', round }), partnerStatusSchema);
  out(`${s.partner}, ronde ${s.round}: ${s.complete ? 'aanlevering compleet' : 'aanlevering nog open'}`);
  for (const u of s.uploads) {
    const what =
      u.status === 'requested'
        ? 'nog niet ontvangen'
        : u.status === 'rejected'
          ? 'AFGEWEZEN (zie het rapport)'
          : `${nl(u.rows)} regels, ${nl(u.accepted)} geaccepteerd, ${nl(u.rejected)} afgewezen`;
    out(`  ${u.name} (${u.uploadId}): ${what}`);
  }
  out(
    `Het rapport per bestand staat in uw eigen map: partners/${s.partner}/reports/ronde-${String(round).padStart(4, '0')}/<upload>.json`,
  );
}

/** `lsi upload-url`: only the URL, for a partner that uploads with its own tooling. */
export async function uploadUrl(argv: string[], out: Out, err: Out): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON,
      partner: { type: 'string' },
      name: { type: 'string' },
      size: { type: 'string' },
      round: { type: 'string' },
    },
  });
  if (values.help) return out(PIPELINE_HELP);
  const project = loadProject(values.project);
  const size = z.coerce.number().int().min(1).safeParse(values.size);
  if (!values.name || !size.success) throw new UsageError('Geef --name <naam.csv> en --size <bytes> op.');
  const target = await targetFor(project, values);
  try {
    const reply = parseReply(
      await target.partner(values.partner, {
        action: 'upload-url',
        name: values.name,
        size: size.data,
        round: roundOf(values.round),
      }),
      uploadUrlReplySchema,
    );
    err(
      'Deze URL is geheim: deel hem niet en zet hem niet in een logbestand. Hij verloopt om ' +
        reply.expiresAt +
        '.',
    );
    out(JSON.stringify(reply, null, 2));
  } finally {
    await target.close();
  }
}

/** `lsi complete`: a partner's delivery for a round is complete. */
export async function complete(argv: string[], out: Out): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON,
      partner: { type: 'string' },
      round: { type: 'string' },
      namens: { type: 'boolean', default: false },
    },
  });
  if (values.help) return out(PIPELINE_HELP);
  const project = loadProject(values.project);
  const round = roundOf(values.round);
  const target = await targetFor(project, values);
  try {
    if (values.namens) {
      if (!values.partner) throw new UsageError('Namens welke ketenpartner? --partner <id>');
      out(
        JSON.stringify(
          await target.deliveryComplete({
            action: 'complete',
            round,
            partner: values.partner,
            by: 'projectleiding',
          }),
        ),
      );
    } else {
      parseReply(
        await target.partner(values.partner, { action: 'complete', round }),
        z.object({ complete: z.literal(true) }),
      );
      out(`${values.partner ?? 'uw'} aanlevering voor ronde ${round} is compleet.`);
    }
    const executions = await target.idle();
    for (const e of executions)
      out(
        `koppeling ${e.name}: ${e.status === 'SUCCEEDED' ? 'klaar' : `MISLUKT (${e.error ?? 'onbekend'})`}`,
      );
  } finally {
    await target.close();
  }
}

/** `lsi status`: the lead's view of a round. */
export async function status(argv: string[], out: Out): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { ...COMMON, round: { type: 'string' } } });
  if (values.help) return out(PIPELINE_HELP);
  const project = loadProject(values.project);
  const round = roundOf(values.round);
  const target = await targetFor(project, values);
  try {
    const s = await roundStatus(target.doc, target.names.statusTable, round);
    out(`${project.name}, ronde ${round} (${target.kind})`);
    for (const p of [...project.partners].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      const ups = s.uploads.filter((u) => u.partner === p.id);
      const rows = ups.reduce((n, u) => n + u.rows, 0);
      out(
        `  ${p.id.padEnd(14)} ${s.complete.has(p.id) ? 'compleet ' : 'open     '} ${String(ups.length).padStart(3)} upload(s), ${nl(rows)} regels`,
      );
    }
    out(
      s.linkage
        ? `koppeling: ${s.linkage.state} (${s.linkage.executionName}, reden: ${s.linkage.reason}${s.linkage.error ? `, fout: ${s.linkage.error}` : ''})`
        : 'koppeling: nog niet gestart',
    );
  } finally {
    await target.close();
  }
}

/** `lsi start`: the lead starts linkage with the partners that delivered (or retries a failed round). */
export async function start(argv: string[], out: Out): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { ...COMMON, round: { type: 'string' }, retry: { type: 'boolean', default: false } },
  });
  if (values.help) return out(PIPELINE_HELP);
  const project = loadProject(values.project);
  const round = roundOf(values.round);
  const target = await targetFor(project, values);
  try {
    const r = z
      .object({
        started: z.boolean(),
        executionName: z.string().optional(),
        missing: z.array(z.string()).optional(),
      })
      .parse(
        await target.deliveryComplete({
          action: values.retry ? 'retry' : 'start',
          round,
          by: 'projectleiding',
        }),
      );
    out(r.started ? `koppeling gestart: ${r.executionName ?? ''}` : 'niet gestart');
    if (r.missing?.length) out(`ontbreekt: ${r.missing.join(', ')}`);
    for (const e of await target.idle())
      out(
        `koppeling ${e.name}: ${e.status === 'SUCCEEDED' ? 'klaar' : `MISLUKT (${e.error ?? 'onbekend'})`}`,
      );
  } finally {
    await target.close();
  }
}

export function risksOf(a: AddressResult): string {
  const byPartner = new Map<string, string[]>();
  for (const s of a.signals) {
    const list = byPartner.get(s.partner) ?? [];
    if (!list.includes(s.risico)) list.push(s.risico);
    byPartner.set(s.partner, list);
  }
  return [...byPartner].map(([p, r]) => `${p}: ${r.join(', ')}`).join(' | ');
}

/** Prints the case-table list as a table, as CSV for Dutch Excel, or as JSON. */
export function printResults(list: readonly AddressResult[], format: string, out: Out): void {
  if (format === 'json') {
    out(JSON.stringify(list, null, 2));
    return;
  }
  if (format === 'csv') {
    out(`\ufeff${CASUSTAFEL_HEADER.map(csvCell).join(';')}\r`);
    for (const a of list) {
      out(
        `${[a.key, a.postcode, String(a.huisnummer), a.suffix, a.partners.join(', '), String(a.partnerCount), risksOf(a)].map(csvCell).join(';')}\r`,
      );
    }
    return;
  }
  out(`${'adres'.padEnd(18)}${'ketenpartners'.padEnd(34)}risico's`);
  for (const a of list) {
    const risks = risksOf(a).replace(/\s+/g, ' ');
    out(
      `${a.key.padEnd(18)}${a.partners.join(', ').padEnd(34)}${risks.length > 70 ? `${risks.slice(0, 69)}…` : risks}`,
    );
  }
  out(`${nl(list.length)} adres(sen) voor de casustafel`);
}

/** Files of the example layout: <dir>/<partner>.csv or <dir>/<partner>/*.csv. */
function exampleFiles(dir: string, project: Project): [string, string][] {
  const files: [string, string][] = [];
  for (const p of project.partners) {
    const single = join(dir, `${p.id}.csv`);
    if (existsSync(single)) files.push([p.id, single]);
    const folder = join(dir, p.id);
    if (existsSync(folder) && statSync(folder).isDirectory()) {
      for (const f of readdirSync(folder).sort()) if (/\.csv$/i.test(f)) files.push([p.id, join(folder, f)]);
    }
  }
  return files;
}

/** `lsi demo` (npm start): a whole project on this machine, from upload to the case-table list. */
export async function demo(argv: string[], out: Out, err: Out): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON,
      signals: { type: 'string', default: 'examples/signals' },
      keep: { type: 'boolean', default: false },
    },
  });
  if (values.help) return out(PIPELINE_HELP);
  const project = loadProject(values.project ?? 'examples/project.json');
  const files = exampleFiles(values.signals, project);
  const dir = mkdtempSync(join(tmpdir(), 'lsi-demo-'));
  const t0 = performance.now();
  const step = (s: string) => err(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${s}`);
  step(`${project.name}: lokale omgeving starten (DynamoDB en S3 op 127.0.0.1, de stack uit CDK) ...`);
  const p = await startEmbeddedProject({ project, dir, onState: (state) => step(`  stap: ${state}`) });
  const target = embeddedTarget(p);
  try {
    step(`klaar: DynamoDB ${p.runtime.services.dynamoEndpoint}, S3 ${p.runtime.services.s3Endpoint}`);
    for (const [partner, file] of files) {
      const { uploadId } = await uploadSignalFile(
        (r) => target.partner(partner, r),
        basename(file),
        readFileSync(file),
      );
      step(`${partner} uploadt ${basename(file)} via een pre-signed URL (upload ${uploadId})`);
    }
    await target.idle();
    for (const pr of project.partners) {
      const s = parseReply(await target.partner(pr.id, { action: 'status', round: 1 }), partnerStatusSchema);
      for (const u of s.uploads) {
        step(
          `  rapport voor ${pr.id}, ${u.name}: ${u.rows} regels, ${u.accepted} geaccepteerd, ${u.rejected} afgewezen`,
        );
      }
    }
    for (const pr of project.partners) {
      parseReply(
        await target.partner(pr.id, { action: 'complete', round: 1 }),
        z.object({ complete: z.literal(true) }),
      );
      step(`${pr.id} meldt de aanlevering compleet`);
    }
    const executions = await target.idle();
    for (const e of executions) step(`koppeling ${e.name}: ${e.status}${e.error ? ` (${e.error})` : ''}`);
    if (executions.some((e) => e.status !== 'SUCCEEDED')) throw new UsageError('De koppeling is mislukt.');
    const [summary] = (await rounds(target.doc, target.names.resultsTable)).filter((r) => r.round === 1);
    if (summary) {
      step(
        `ronde 1: ${nl(summary.totals.rows)} signalen, ${nl(summary.totals.accepted)} geaccepteerd, ${nl(summary.totals.addresses)} adressen, ${nl(summary.totals.multiInterest)} met meervoudig belang`,
      );
    }
    out('');
    out(`Casustafel ronde 1 — ${project.name} (zoals de projectleiding het opvraagt uit DynamoDB):`);
    printResults(await selectedAddresses(target.doc, target.names.resultsTable, { round: 1 }), 'tabel', out);
    for (const n of p.outbox) err(`bericht aan de projectleiding: ${n.subject}`);
  } finally {
    await p.stop();
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}
