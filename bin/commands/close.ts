/**
 * `lsi close`: the project close (docs/close.md). Without `--confirm` it is a dry run that lists what
 * would be deleted and deletes nothing.
 *
 * Locally the teardown runs in this process against the data `lsi local up` persisted in
 * `.lsi-local/<projectId>/` (stop `lsi local up` first: one process at a time holds that data). The
 * deletion record is written to `.lsi-local/<projectId>-deletion-record.json`, beside the data
 * directory, so it survives. With `--aws` the command invokes the closer stack's teardown function
 * (which keeps the record in the closer's table) and prints what it answers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import * as z from 'zod';
import {
  type DryRun,
  dryRun,
  runTeardown,
  type TeardownPorts,
  TeardownStepFailed,
} from '../../lambdas/app/teardown.ts';
import { type Project, parseProjectText } from '../../lambdas/core/project.ts';
import {
  type DeletionRecord,
  deletionRecordSchema,
  STEP_TITLES,
  TEARDOWN_STEPS,
} from '../../lambdas/core/teardown.ts';
import { buildProjectApp } from '../../lib/app.ts';
import { endpointsFileSchema, localDir, TargetError } from '../../lib/client/target.ts';
import { LOCAL_ACCOUNT, withLocalDeployment } from '../../lib/local/embedded-project.ts';
import { LocalKeyManager } from '../../lib/local/kms.ts';
import {
  createLocalClients,
  type EmbeddedServices,
  LOCAL_REGION,
  type LocalClients,
  startEmbeddedServices,
} from '../../lib/local/services.ts';
import {
  FileRecordStore,
  LOCAL_LIMITATIONS,
  localRecordFile,
  localTeardownPorts,
} from '../../lib/local/teardown.ts';
import { LocalTemplate } from '../../lib/local/template.ts';
import { closerStackName } from '../../lib/names.ts';
import { nl, UsageError } from './common.ts';

type Out = (line: string) => void;

export const CLOSE_HELP = `Project sluiten (wist alle persoonsgegevens, tabellen en sleutels; zie docs/close.md):
  lsi close --project <p> [--dry-run]            laat zien wat er verwijderd wordt, verwijdert niets
  lsi close --project <p> --confirm              sluit het project (opnieuw uitvoeren maakt een onderbroken sluiting af)
  lsi close --project <p> --confirm --aws [--region <r>]   in AWS, via de teardown-functie van de closer-stack
Lokaal: stop eerst 'lsi local up'. Het verwijderingsverslag komt in .lsi-local/<project>-deletion-record.json.`;

function loadProject(path: string | undefined): Project {
  if (!path) throw new UsageError('Geef het projectbestand op met --project <project.json>.');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`Projectbestand niet gevonden: ${path}`);
  }
  return parseProjectText(text, path);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e instanceof Error && 'code' in e && e.code === 'EPERM';
  }
}

/** Returns the exit code: 0 done (or dry run), 1 a step failed (rerun to finish). */
export async function closeCommand(argv: string[], out: Out, err: Out): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      project: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      confirm: { type: 'boolean', default: false },
      aws: { type: 'boolean', default: false },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    out(CLOSE_HELP);
    return 0;
  }
  if (values['dry-run'] && values.confirm) throw new UsageError('Kies --dry-run of --confirm, niet beide.');
  const project = loadProject(values.project);
  const confirm = values.confirm;
  if (values.aws) return closeAws(project, confirm, values.region, out, err);
  return closeLocal(project, confirm, out, err);
}

// ---- local -----------------------------------------------------------------------------------------

async function closeLocal(project: Project, confirm: boolean, out: Out, err: Out): Promise<number> {
  const dir = localDir(project.projectId);
  try {
    const endpoints = endpointsFileSchema.parse(
      JSON.parse(readFileSync(join(dir, 'endpoints.json'), 'utf8')),
    );
    if (endpoints.pid !== process.pid && isAlive(endpoints.pid)) {
      throw new UsageError(
        `'lsi local up' draait nog voor ${project.projectId} (proces ${endpoints.pid}). Stop dat eerst (Ctrl+C) en voer dan lsi close opnieuw uit.`,
      );
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // No (valid) endpoints file: nothing is running.
  }
  const local = withLocalDeployment(project);
  const { app, projectStack } = buildProjectApp(local, {
    bundle: false,
    defaultEnv: { account: LOCAL_ACCOUNT, region: LOCAL_REGION },
  });
  const template = LocalTemplate.from(app.synth().getStackByName(projectStack.stackName).template, {
    stackName: projectStack.stackName,
  });
  let services: EmbeddedServices | undefined;
  let clients: LocalClients | undefined;
  const recordFile = localRecordFile(project.projectId);
  const ports: TeardownPorts = localTeardownPorts({
    dir,
    template,
    persisted: true,
    services: {
      clients: async () => {
        services ??= await startEmbeddedServices({ dir, persistDynamo: true });
        clients ??= createLocalClients(services, { marshallOptions: { removeUndefinedValues: true } });
        return clients;
      },
      stop: async () => {
        clients?.destroy();
        clients = undefined;
        await services?.stop();
        services = undefined;
      },
    },
    keys: new LocalKeyManager({
      dir: join(dir, 'kms'),
      region: template.region,
      accountId: template.accountId,
    }),
    records: new FileRecordStore(recordFile),
  });
  try {
    if (!confirm) {
      printDryRun(await dryRun(ports, project.projectId), 'lokaal', out);
      return 0;
    }
    err(`Project ${project.projectId} lokaal sluiten ...`);
    try {
      const record = await runTeardown(ports, {
        projectId: project.projectId,
        environment: 'local',
        trigger: 'lead',
        limitations: LOCAL_LIMITATIONS,
      });
      printRecord(record, recordFile, out);
      return 0;
    } catch (e) {
      if (!(e instanceof TeardownStepFailed)) throw e;
      printRecord(e.record, recordFile, out);
      err(`Fout: ${e.message}`);
      return 1;
    }
  } finally {
    clients?.destroy();
    await services?.stop();
  }
}

// ---- AWS -------------------------------------------------------------------------------------------

const teardownAnswerSchema = z.union([
  z.object({ kind: z.literal('dry-run'), dryRun: z.unknown() }),
  z.object({ kind: z.literal('complete'), record: deletionRecordSchema, location: z.string() }),
  z.object({
    kind: z.literal('failed'),
    failedStep: z.string(),
    error: z.string(),
    record: deletionRecordSchema,
    location: z.string(),
  }),
]);

async function closeAws(
  project: Project,
  confirm: boolean,
  region: string | undefined,
  out: Out,
  err: Out,
): Promise<number> {
  const common = region ? { region } : {};
  const stackName = closerStackName(project.projectId);
  let functionName: string | undefined;
  try {
    const r = await new CloudFormationClient(common).send(
      new DescribeStacksCommand({ StackName: stackName }),
    );
    functionName = r.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'TeardownFunctionName')?.OutputValue;
  } catch (e) {
    throw new TargetError(
      `Stack ${stackName} niet gevonden of niet leesbaar (${e instanceof Error ? e.name : 'fout'}).`,
    );
  }
  if (!functionName) throw new TargetError(`Stack ${stackName} heeft geen output TeardownFunctionName.`);
  if (confirm) err(`Project ${project.projectId} in AWS sluiten (dit kan minuten duren) ...`);
  const r = await new LambdaClient(common).send(
    new InvokeCommand({
      FunctionName: functionName,
      Payload: JSON.stringify(
        confirm
          ? { confirm: true, projectId: project.projectId }
          : { dryRun: true, projectId: project.projectId },
      ),
    }),
  );
  const text = r.Payload ? Buffer.from(r.Payload).toString('utf8') : 'null';
  if (r.FunctionError)
    throw new TargetError(
      `De teardown-functie faalde: ${z.object({ errorType: z.string() }).safeParse(JSON.parse(text)).data?.errorType ?? 'onbekend'}. Voer lsi close opnieuw uit om af te maken.`,
    );
  const answer = teardownAnswerSchema.parse(JSON.parse(text));
  if (answer.kind === 'dry-run') {
    out(JSON.stringify(answer.dryRun, null, 2));
    return 0;
  }
  printRecord(answer.record, answer.location, out);
  if (answer.kind === 'failed') {
    err(
      `Fout: stap ${answer.failedStep} mislukte (${answer.error}). Voer lsi close --confirm --aws opnieuw uit om af te maken.`,
    );
    return 1;
  }
  return 0;
}

// ---- printing --------------------------------------------------------------------------------------

export function printDryRun(d: DryRun, where: string, out: Out): void {
  out(`Proefrun: sluiting van ${d.projectId} (${where}). Er wordt NIETS verwijderd.`);
  if (d.previous) {
    out(
      `Er is al een verwijderingsverslag: status ${d.previous.status}, ${d.previous.attempts.length} poging(en).`,
    );
  }
  out('Stappen:');
  for (const s of d.steps) out(`  ${s.done ? '[klaar]' : '[ ]    '} ${s.step}: ${s.title}`);
  out('Buckets:');
  for (const b of d.buckets) {
    const c = b.count;
    const versions =
      c.versions === null
        ? 'versies: niet ondersteund door deze S3'
        : `${nl(c.versions)} versie(s), ${nl(c.deleteMarkers ?? 0)} delete marker(s)`;
    out(`  ${b.name}: ${c.exists ? `${nl(c.objects)} object(en); ${versions}` : 'bestaat niet (meer)'}`);
  }
  out('Tabellen:');
  for (const t of d.tables) {
    out(
      `  ${t.name}: ${t.exists ? `bestaat${t.itemCount !== undefined ? ` (${nl(t.itemCount)} items volgens DescribeTable, ca. elke 6 uur bijgewerkt)` : ''}` : 'bestaat niet (meer)'}`,
    );
  }
  out('Sleutels:');
  for (const k of d.keys) out(`  ${k.keyId}: ${k.state}`);
  out(`Stack: ${d.stack.name}: ${d.stack.exists ? 'bestaat' : 'bestaat niet (meer)'}`);
  out('Sluit het project met --confirm.');
}

export function printRecord(r: DeletionRecord, location: string, out: Out): void {
  const status =
    r.status === 'complete'
      ? `VOLTOOID op ${r.completedAt ?? '?'}`
      : r.status === 'failed'
        ? 'ONVOLTOOID'
        : 'bezig';
  out(`Verwijderingsverslag ${r.projectId} (${r.environment === 'local' ? 'lokaal' : 'AWS'}): ${status}`);
  for (const a of r.attempts) {
    out(
      `  poging ${a.attempt} (${a.trigger}, ${a.startedAt}): ${a.outcome === 'failed' ? `mislukt bij ${a.failedStep ?? '?'} (${a.error ?? '?'})` : a.outcome === 'complete' ? 'voltooid' : 'bezig'}${a.skipped.length ? `; overgeslagen (al klaar): ${a.skipped.length} stap(pen)` : ''}`,
    );
  }
  for (const step of TEARDOWN_STEPS) {
    const s = r.steps[step];
    out(
      `  ${s?.status === 'done' ? '[klaar]' : s?.status === 'failed' ? '[FOUT] ' : '[ ]    '} ${STEP_TITLES[step]}`,
    );
  }
  for (const b of r.deleted.buckets) {
    out(
      `  bucket ${b.name}: ${nl(b.objectVersions)} object(versie)s, ${nl(b.deleteMarkers)} delete marker(s) verwijderd`,
    );
  }
  for (const t of r.deleted.tables) out(`  tabel ${t.name}: verwijderd`);
  for (const k of r.deleted.keys)
    out(
      `  sleutel ${k.keyId}: uitgeschakeld ${k.disabledAt ?? '?'}, wordt verwijderd op ${k.deletionDate ?? '?'}`,
    );
  if (r.deleted.stack) out(`  stack ${r.deleted.stack.name}: verwijderd ${r.deleted.stack.deletedAt ?? ''}`);
  const c = r.closingRecord;
  if (c) {
    const perPartner = Object.entries(c.totals.signalsPerPartner)
      .map(([id, t]) => `${id} ${nl(t.rows)}`)
      .join(', ');
    out(
      `  sluitingsverslag: ${nl(c.rounds)} ronde(s), ${nl(c.totals.addresses)} adressen, ${nl(c.totals.multiInterest)} met meervoudig belang; signalen per partner: ${perPartner || 'geen'}`,
    );
  }
  if (r.verification) {
    out(
      `  controle ${r.verification.checkedAt}: ${r.verification.passed ? 'GESLAAGD' : 'NIET geslaagd'} — geen buckets, geen tabellen, alle sleutels uitgeschakeld en in afwachting van verwijdering`,
    );
  }
  for (const l of r.limitations) out(`  beperking: ${l}`);
  out(`Bewaard in: ${location}`);
}
