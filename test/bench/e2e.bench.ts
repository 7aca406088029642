/**
 * The pipeline benchmark: 10 partners × 100k signals through the embedded stack, from the first upload
 * to queryable results, timed per phase.
 *
 *   npm run bench:e2e                      10 partners × 100k rows
 *   npm run bench:e2e -- --rows 20000      smaller
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseProjectText } from '../../lambdas/core/project.ts';
import { selectedAddresses } from '../../lib/client/queries.ts';
import { uploadSignalFile } from '../../lib/client/upload.ts';
import { startEmbeddedProject } from '../../lib/local/embedded-project.ts';
import { GENERATOR_VERSION, generate } from './generate.ts';

const { values } = parseArgs({
  options: { partners: { type: 'string', default: '10' }, rows: { type: 'string', default: '100000' } },
});
const partners = Number(values.partners);
const rows = Number(values.rows);
const seed = 2027;
const dataDir = resolve('.bench', `data-g${GENERATOR_VERSION}-${partners}x${rows}-s${seed}`);
if (!existsSync(join(dataDir, 'project.json'))) {
  process.stderr.write(`generating ${partners} × ${rows} signals in ${dataDir} ...\n`);
  generate({ dir: dataDir, partners, rowsPerPartner: rows, seed });
}
const project = parseProjectText(readFileSync(join(dataDir, 'project.json'), 'utf8'));
const files = project.partners.map((p) => [p.id, join(dataDir, 'signals', `${p.id}.csv`)] as const);

const dir = mkdtempSync(join(tmpdir(), 'lsi-bench-e2e-'));
const states = new Map<string, number>();
const t = () => performance.now();
const tStart = t();
const p = await startEmbeddedProject({
  project,
  dir,
  onState: (state) => {
    if (!states.has(state)) states.set(state, t());
  },
});
const tReady = t();
try {
  const tUpload0 = t();
  await Promise.all(
    files.map(([partner, path]) =>
      uploadSignalFile((r) => p.partner(partner, r), basename(path), readFileSync(path)),
    ),
  );
  const tUploaded = t();
  await p.idle();
  const tValidated = t();
  for (const pr of project.partners) await p.partner(pr.id, { action: 'complete' });
  const [execution] = await p.idle();
  const tLinked = t();
  if (execution?.status !== 'SUCCEEDED') throw new Error(`linkage ${execution?.status}: ${execution?.error}`);
  const list = await selectedAddresses(p.runtime.clients.documentClient, p.names.resultsTable, { round: 1 });
  const tQueried = t();
  const at = (s: string) => states.get(s) ?? Number.NaN;
  const items = list.length + 1;
  const publishS = (at('Notify') - at('Publish')) / 1000;
  const s = (a: number, b: number) => ((b - a) / 1000).toFixed(2).padStart(8);
  const total = rows * partners;
  console.log(
    `\nPipeline on the embedded stack: ${partners} partners × ${rows.toLocaleString('nl-NL')} signals`,
  );
  console.log('phase                                        seconds');
  console.log(`start embedded stack (synth + services)     ${s(tStart, tReady)}`);
  console.log(`upload (pre-signed PUTs over HTTP)          ${s(tUpload0, tUploaded)}`);
  console.log(`validation on arrival (upload-received)     ${s(tUploaded, tValidated)}`);
  console.log(`workflow: validate + normalise (Map)        ${s(at('ValidatePartners'), at('Link'))}`);
  console.log(`workflow: link + select + write results     ${s(at('Link'), at('Publish'))}`);
  console.log(`workflow: publish to DynamoDB               ${s(at('Publish'), at('Notify'))}`);
  console.log(`all complete → linkage finished              ${s(tValidated, tLinked)}`);
  console.log(`first upload → queryable results            ${s(tUpload0, tQueried)}`);
  console.log(
    `\nsignals: ${total.toLocaleString('nl-NL')}, addresses selected: ${list.length.toLocaleString('nl-NL')}, items written: ${items.toLocaleString('nl-NL')}`,
  );
  console.log(`results written per second: ${Math.round(items / publishS).toLocaleString('nl-NL')}`);
  console.log(
    `end-to-end throughput: ${Math.round(total / ((tQueried - tUpload0) / 1000)).toLocaleString('nl-NL')} signals/s`,
  );
  console.log(
    `peak memory (this process, all services included): ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
  );
} finally {
  await p.stop();
  rmSync(dir, { recursive: true, force: true });
}
