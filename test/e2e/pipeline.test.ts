/**
 * The pipeline end to end on the embedded default: real handlers, the synthesised state machine,
 * dynalite and s3rver over loopback, pre-signed URLs over HTTP. No mocks.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../lambdas/adapters/log.ts';
import { StatusStore } from '../../lambdas/app/status.ts';
import { uploadKey } from '../../lambdas/core/delivery.ts';
import { type Project, parseProjectText } from '../../lambdas/core/project.ts';
import { selectedAddresses } from '../../lib/client/queries.ts';
import { uploadSignalFile } from '../../lib/client/upload.ts';
import {
  type EmbeddedProject,
  type EmbeddedProjectOptions,
  startEmbeddedProject,
} from '../../lib/local/embedded-project.ts';
import { overviewSchema } from '../support/inputs.ts';

const EXAMPLE = parseProjectText(readFileSync('examples/project.json', 'utf8'));
const started: { p: EmbeddedProject; dir: string }[] = [];

afterAll(async () => {
  for (const { p, dir } of started) {
    await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

async function project(
  options: Partial<EmbeddedProjectOptions> = {},
  config: Project = EXAMPLE,
): Promise<EmbeddedProject> {
  const dir = mkdtempSync(join(tmpdir(), 'lsi-pipeline-'));
  const p = await startEmbeddedProject({ project: config, dir, ...options });
  started.push({ p, dir });
  return p;
}

/** The example signal files: [partner, path]. */
function exampleFiles(): [string, string][] {
  const files: [string, string][] = [];
  for (const entry of readdirSync('examples/signals').sort()) {
    const path = join('examples/signals', entry);
    if (statSync(path).isDirectory()) {
      for (const f of readdirSync(path).sort()) files.push([entry, join(path, f)]);
    } else if (entry.endsWith('.csv')) files.push([entry.replace(/\.csv$/, ''), path]);
  }
  return files;
}

async function uploadAll(p: EmbeddedProject, files: [string, string][], round = 1): Promise<void> {
  for (const [partner, path] of files) {
    await uploadSignalFile(
      (r) => p.partner(partner, r),
      path.split('/').pop() ?? path,
      readFileSync(path),
      round,
    );
  }
  await p.idle();
}

async function completeAll(p: EmbeddedProject, partners: string[], round = 1) {
  for (const partner of partners)
    expect((await p.partner(partner, { action: 'complete', round })).statusCode).toBe(200);
  return p.idle();
}

async function text(p: EmbeddedProject, key: string): Promise<string> {
  const r = await p.runtime.clients.s3.send(new GetObjectCommand({ Bucket: p.names.bucket, Key: key }));
  return (await r.Body?.transformToString('utf8')) ?? '';
}

async function keys(p: EmbeddedProject, prefix: string): Promise<string[]> {
  const r = await p.runtime.clients.s3.send(
    new ListObjectsV2Command({ Bucket: p.names.bucket, Prefix: prefix }),
  );
  return (r.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
}

const PARTNERS = EXAMPLE.partners.map((x) => x.id);

describe('a round on the embedded stack', () => {
  it('links the five example partners when all have delivered, and the lead sees what the overview says', async () => {
    const p = await project();
    await uploadAll(p, exampleFiles());
    const executions = await completeAll(p, PARTNERS);
    expect(executions.map((e) => [e.name, e.status])).toEqual([['rdam-zuid-2027-ronde-0001', 'SUCCEEDED']]);

    const overview = overviewSchema.parse(JSON.parse(await text(p, 'results/ronde-0001/overview.json')));
    const expected = overview.addresses.filter((a) => a.multiInterest);
    expect(expected.length).toBeGreaterThan(5);
    const listed = await selectedAddresses(p.runtime.clients.documentClient, p.names.resultsTable, {
      round: 1,
    });
    expect(listed.map((a) => [a.key, a.partners, a.signals.length])).toEqual(
      expected.map((a) => [a.key, a.partners, a.signals.length]),
    );
    // Filters: by partner and by postcode prefix.
    const nla = await selectedAddresses(p.runtime.clients.documentClient, p.names.resultsTable, {
      round: 1,
      partner: 'nla',
    });
    expect(nla.map((a) => a.key)).toEqual(
      expected.filter((a) => a.partners.includes('nla')).map((a) => a.key),
    );
    const pc = await selectedAddresses(p.runtime.clients.documentClient, p.names.resultsTable, {
      round: 1,
      postcode: '3071',
    });
    expect(pc.map((a) => a.key)).toEqual(expected.filter((a) => a.key.startsWith('3071')).map((a) => a.key));
    expect(await text(p, 'results/ronde-0001/casustafel.csv')).toMatch(/^\ufeffadres;postcode;/);
    expect(p.outbox.map((n) => n.subject)).toEqual(['LSI rdam-zuid-2027: ronde 1 gekoppeld']);
  });

  it('keeps addresses, signal texts and URLs out of the execution history and the logs', async () => {
    const log = memoryLog();
    const p = await project({ log });
    await uploadAll(p, exampleFiles());
    const [execution] = await completeAll(p, PARTNERS);
    const history = JSON.stringify(execution?.events ?? []);
    const overview = overviewSchema.parse(JSON.parse(await text(p, 'results/ronde-0001/overview.json')));
    expect(history.length).toBeGreaterThan(1000);
    for (const a of overview.addresses) {
      expect(history).not.toContain(a.key);
      expect(history).not.toContain(a.key.slice(0, 6));
      for (const s of a.signals) expect(history).not.toContain(s.risico);
    }
    expect(history).not.toContain('X-Amz-Signature');
    const logged = JSON.stringify(log.lines);
    expect(log.lines.length).toBeGreaterThan(10);
    for (const a of overview.addresses) {
      expect(logged).not.toContain(a.key.slice(0, 6));
      for (const s of a.signals) expect(logged).not.toContain(s.risico);
    }
    expect(logged).not.toContain('X-Amz-Signature');
  });
});

describe('deliveries', () => {
  it('uses only the corrected file when a partner uploads it again under the same name before completing', async () => {
    const p = await project();
    const files = exampleFiles().filter(([partner]) => partner !== 'uwv');
    await uploadAll(p, files);
    const bad = 'postcode;huisnummer;risico\n3071AB;12;Verkeerd adres\n9999ZZ;1;Buiten gebied\n';
    const good = 'postcode;huisnummer;toevoeging;risico\n3072CD;7;;Gecorrigeerd signaal\n';
    await uploadSignalFile((r) => p.partner('uwv', r), 'uwv.csv', new TextEncoder().encode(bad));
    await p.idle();
    await uploadSignalFile((r) => p.partner('uwv', r), 'uwv.csv', new TextEncoder().encode(good));
    await p.idle();
    await completeAll(p, PARTNERS);
    const overview = overviewSchema.parse(JSON.parse(await text(p, 'results/ronde-0001/overview.json')));
    const uwv = overview.addresses.flatMap((a) =>
      a.signals.filter((s) => s.partner === 'uwv').map((s) => [a.key, s.risico]),
    );
    expect(uwv).toEqual([['3072CD-7', 'Gecorrigeerd signaal']]);
  });

  it('writes a report with the reasons for bad rows into that partner’s own prefix only, naming no other partner', async () => {
    const p = await project();
    const csv =
      'postcode;huisnummer;risico;bsn\n3071AB;12;Onderhuur;123456782\n3071SS;1;x;\n3071AB;0;x;\n1011AB;1;x;\n';
    const { uploadId } = await uploadSignalFile(
      (r) => p.partner('svb', r),
      'svb.csv',
      new TextEncoder().encode(csv),
    );
    await p.idle();
    const reports = await keys(p, 'partners/');
    expect(reports.filter((k) => k.includes('/reports/'))).toEqual([
      `partners/svb/reports/ronde-0001/${uploadId}.json`,
    ]);
    const report = await text(p, `partners/svb/reports/ronde-0001/${uploadId}.json`);
    expect(JSON.parse(report)).toMatchObject({
      partner: 'svb',
      rows: 4,
      accepted: 1,
      rejected: 3,
      files: [{ name: 'svb.csv', ignoredColumns: ['bsn'] }],
      errors: [
        { line: 3, code: 'POSTCODE_INVALID' },
        { line: 4, code: 'HUISNUMMER_INVALID' },
        { line: 5, code: 'OUT_OF_AREA' },
      ],
    });
    for (const other of PARTNERS.filter((x) => x !== 'svb')) expect(report).not.toContain(other);
    // The status keeps the reasons as counts (for the evaluation report), never the rows.
    const [upload] = await new StatusStore(p.runtime.clients.documentClient, p.names.statusTable).uploads(1);
    expect(upload?.rejectedByCode).toEqual({ POSTCODE_INVALID: 1, HUISNUMMER_INVALID: 1, OUT_OF_AREA: 1 });
    expect(report).not.toContain('123456782');
    // The partner sees its own uploads, and only its own.
    const status = JSON.parse((await p.partner('svb', { action: 'status' })).body);
    expect(status.uploads).toHaveLength(1);
    expect(JSON.parse((await p.partner('uwv', { action: 'status' })).body).uploads).toHaveLength(0);
  });

  it('keeps only a minimised copy of each upload: the raw file, with its BSN column, is deleted', async () => {
    const p = await project();
    await uploadAll(p, exampleFiles());
    expect(await keys(p, 'partners/toeslagen/uploads/')).toEqual([]);
    expect(await keys(p, 'partners/toeslagen/accepted/')).toHaveLength(1);
    const raw = readFileSync('examples/signals/toeslagen.csv', 'utf8');
    const bsns = [...raw.matchAll(/^\uFEFF?(\d{9});/gm)].map((m) => m[1] ?? '');
    expect(bsns.length).toBeGreaterThan(5);
    await completeAll(p, PARTNERS);
    for (const key of await keys(p, '')) {
      const body = await text(p, key);
      for (const bsn of bsns) expect(body).not.toContain(bsn);
    }
  });

  it('starts exactly one execution for duplicate and reordered events', async () => {
    const p = await project();
    await uploadAll(p, exampleFiles());
    // The same S3 event delivered again, late, after the upload was validated: harmless.
    const { uploadId } = await uploadSignalFile(
      (r) => p.partner('gemeente', r),
      'extra.csv',
      readFileSync('examples/signals/gemeente.csv'),
    );
    await p.idle();
    const key = uploadKey('gemeente', 1, uploadId);
    const event = {
      version: '0',
      'detail-type': 'Object Created',
      source: 'aws.s3',
      detail: { bucket: { name: p.names.bucket }, object: { key, size: 1 } },
    };
    const again = await p.invoke('uploadReceived', event);
    expect(again).toMatchObject({ uploadId, status: 'accepted', accepted: 38 });
    await p.invoke('uploadReceived', event);
    // Completion declared twice by some, concurrently, and checks in any order.
    await Promise.all([
      ...PARTNERS.map((x) => p.partner(x, { action: 'complete' })),
      p.partner('uwv', { action: 'complete' }),
      p.deliveryComplete({ action: 'check', round: 1 }),
      p.deliveryComplete({ action: 'check', round: 1 }),
    ]);
    await p.deliveryComplete({ action: 'check', round: 1 });
    await p.deliveryComplete({ action: 'start', round: 1 });
    const executions = await p.idle();
    expect(executions.map((e) => e.name)).toEqual(['rdam-zuid-2027-ronde-0001']);
    expect(executions[0]?.status).toBe('SUCCEEDED');
    // After linkage a round takes no more uploads.
    const late = await p.partner('gemeente', { action: 'upload-url', name: 'laat.csv', size: 10 });
    expect(late.statusCode).toBe(409);
  });

  it('links with the partners present at the deadline and says who is missing', async () => {
    const p = await project();
    await uploadAll(
      p,
      exampleFiles().filter(([x]) => x !== 'toeslagen' && x !== 'svb'),
    );
    const r = await p.deliveryComplete({ action: 'deadline', round: 1 });
    expect(r).toMatchObject({ started: true, reason: 'deadline', missing: ['svb', 'toeslagen'] });
    const [execution] = await p.idle();
    expect(execution?.status).toBe('SUCCEEDED');
    const overview = overviewSchema.parse(JSON.parse(await text(p, 'results/ronde-0001/overview.json')));
    expect(overview.partners.filter((x) => x.missing).map((x) => x.id)).toEqual(['svb', 'toeslagen']);
    const summary = await p.runtime.clients.documentClient.send(
      new QueryCommand({
        TableName: p.names.resultsTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'ROUNDS' },
      }),
    );
    expect(summary.Items?.[0]).toMatchObject({ round: 1, reason: 'deadline', missing: ['svb', 'toeslagen'] });
  });

  it('refuses to start when nobody has delivered, with a message that says so', async () => {
    const p = await project();
    await expect(p.deliveryComplete({ action: 'start', round: 1 })).rejects.toThrow(
      /nog geen enkele geldige aanlevering/,
    );
  });
});

describe('failures', () => {
  it('retries a step that fails once, and the results are not duplicated', async () => {
    let failures = 0;
    const p = await project({
      wrap: (fn, h) => async (event) => {
        if (fn === 'publish' && failures === 0) {
          failures++;
          await h(event); // the first attempt writes everything, then "fails"
          const e = new Error('transient');
          e.name = 'Lambda.ServiceException';
          throw e;
        }
        return h(event);
      },
    });
    await uploadAll(p, exampleFiles());
    const [execution] = await completeAll(p, PARTNERS);
    expect(execution?.status).toBe('SUCCEEDED');
    expect(failures).toBe(1);
    expect(execution?.events.filter((e) => e.type === 'StateRetried')).toHaveLength(1);
    const all = await p.runtime.clients.documentClient.send(
      new ScanCommand({ TableName: p.names.resultsTable }),
    );
    const addressItems = (all.Items ?? []).filter((i) => i.type === 'address');
    const overview = overviewSchema.parse(JSON.parse(await text(p, 'results/ronde-0001/overview.json')));
    expect(addressItems).toHaveLength(overview.totals.multiInterest);
    expect((all.Items ?? []).filter((i) => i.type === 'round')).toHaveLength(1);
  });

  it('records a failure, tells the lead, and lets the lead retry the round', async () => {
    let broken = true;
    const p = await project({
      wrap: (fn, h) => async (event) => {
        if (fn === 'link' && broken) throw new Error('link broke');
        return h(event);
      },
    });
    await uploadAll(p, exampleFiles());
    const [failed] = await completeAll(p, PARTNERS);
    expect(failed?.status).toBe('FAILED');
    expect(p.outbox.at(-1)?.subject).toContain('mislukt');
    broken = false;
    const r = await p.deliveryComplete({ action: 'retry', round: 1, by: 'projectleiding' });
    expect(r).toMatchObject({ started: true, executionName: 'rdam-zuid-2027-ronde-0001-poging-2' });
    const [retried] = await p.idle();
    expect(retried?.status).toBe('SUCCEEDED');
  });
});
