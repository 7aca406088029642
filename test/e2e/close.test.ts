/**
 * Project close end to end on the embedded default: a round runs (as in pipeline.test.ts), then the
 * project closes. A step fails midway twice (injected through the ports); the reruns finish the job
 * and the deletion record says so. Afterwards nothing of the project can be read, the keys are
 * disabled and pending deletion, and neither record holds any value from the input files.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../lambdas/adapters/log.ts';
import { dryRun, runTeardown, type TeardownPorts, TeardownStepFailed } from '../../lambdas/app/teardown.ts';
import { parseProjectText } from '../../lambdas/core/project.ts';
import {
  type DeletionRecord,
  deletionRecordSchema,
  KEY_PENDING_WINDOW_DAYS,
  postcodesIn,
  privacyFindings,
} from '../../lambdas/core/teardown.ts';
import { uploadSignalFile } from '../../lib/client/upload.ts';
import { type EmbeddedProject, startEmbeddedProject } from '../../lib/local/embedded-project.ts';
import { FileRecordStore, LOCAL_LIMITATIONS, localTeardownPorts } from '../../lib/local/teardown.ts';

const base = mkdtempSync(join(tmpdir(), 'lsi-close-'));
const dir = join(base, 'fixture-link');
const recordFile = join(base, 'fixture-link-deletion-record.json');
const SIGNALS = 'test/fixtures/link/signals';
const FILES: [string, string][] = [
  ['gemeente', 'gemeente.csv'],
  ['uwv', 'uwv.csv'],
  ['politie', 'politie/2026-01.csv'],
  ['politie', 'politie/2026-02.csv'],
];

let p: EmbeddedProject;
let stopped = false;

/** Every value in the input files (each cell, each quoted text, each line) and the linked address keys. */
function inputValues(): string[] {
  const values = new Set<string>(['3071AB-12-A', '3072CD-5', '3071AB', '3072CD']);
  for (const [, file] of FILES) {
    const text = readFileSync(join(SIGNALS, file), 'utf8').replace(/^\ufeff/, '');
    const [, ...lines] = text.split(/\r?\n/);
    for (const line of lines) {
      if (line.trim() === '') continue;
      values.add(line);
      for (const cell of line.split(/[;,\t]/)) values.add(cell.replace(/"/g, '').trim());
    }
    for (const m of text.matchAll(/"((?:[^"]|"")*)"/g)) if (m[1]) values.add(m[1].replace(/""/g, '"'));
  }
  return [...values].filter((v) => v !== '');
}

beforeAll(async () => {
  const project = parseProjectText(readFileSync('test/fixtures/link/project.json', 'utf8'));
  p = await startEmbeddedProject({ project, dir, persist: true });
  for (const [partner, file] of FILES) {
    await uploadSignalFile(
      (r) => p.partner(partner, r),
      file.split('/').pop() ?? file,
      readFileSync(join(SIGNALS, file)),
    );
  }
  await p.idle();
  for (const partner of ['gemeente', 'uwv', 'politie']) await p.partner(partner, { action: 'complete' });
  const executions = await p.idle();
  expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED']);
}, 60_000);

afterAll(async () => {
  if (!stopped) await p?.stop();
  rmSync(base, { recursive: true, force: true });
});

/** The local ports, with faults injected: the second bucket's deletion fails once, the stack deletion once. */
function ports(faults: { bucket: boolean; stack: boolean }): TeardownPorts {
  const local = localTeardownPorts({
    dir,
    template: p.template,
    persisted: true,
    services: {
      clients: async () => p.runtime.clients,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await p.stop();
      },
    },
    keys: p.runtime.keys,
    records: new FileRecordStore(recordFile),
    log: memoryLog(),
  });
  let buckets = 0;
  return {
    ...local,
    objects: {
      ...local.objects,
      deleteBucket: async (bucket) => {
        buckets++;
        if (faults.bucket && buckets === 2) {
          const e = new Error('injected');
          e.name = 'InjectedFault';
          throw e;
        }
        return local.objects.deleteBucket(bucket);
      },
    },
    stack: {
      ...local.stack,
      stackName: local.stack.stackName,
      delete: async () => {
        if (faults.stack) {
          const e = new Error('injected');
          e.name = 'InjectedFault';
          throw e;
        }
        return local.stack.delete();
      },
    },
  };
}

describe('closing a project on the embedded default', () => {
  let record: DeletionRecord;

  it('lists in a dry run what would be deleted, and deletes nothing', async () => {
    const before = await dryRun(ports({ bucket: false, stack: false }), 'fixture-link');
    expect(before.buckets.length).toBe(2);
    const drop = before.buckets.find((b) => b.count.objects > 0);
    expect(drop?.count.objects).toBeGreaterThan(5);
    expect(before.tables.map((t) => t.exists)).toEqual([true, true, true, true]);
    expect(before.keys.map((k) => k.state)).toEqual(['Enabled', 'Enabled', 'Enabled', 'Enabled']);
    expect(before.stack.exists).toBe(true);
    const again = await dryRun(ports({ bucket: false, stack: false }), 'fixture-link');
    expect(again.buckets).toEqual(before.buckets);
    expect(existsSync(recordFile)).toBe(false);
  });

  it('fails midway when a bucket cannot be deleted, and says which step', async () => {
    const failed = await runTeardown(ports({ bucket: true, stack: false }), {
      projectId: 'fixture-link',
      environment: 'local',
      trigger: 'lead',
      limitations: LOCAL_LIMITATIONS,
    }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TeardownStepFailed);
    const saved = deletionRecordSchema.parse(JSON.parse(readFileSync(recordFile, 'utf8')));
    expect(saved.status).toBe('failed');
    expect(saved.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'failed',
        failedStep: 'empty-buckets',
        error: 'InjectedFault',
      }),
    ]);
    expect(saved.steps['closing-record']?.status).toBe('done');
    expect(saved.steps['disable-keys']?.status).toBe('done');
    expect(saved.steps['empty-buckets']).toEqual({
      status: 'failed',
      attempts: 1,
      lastError: 'InjectedFault',
    });
    expect(saved.steps['delete-tables']?.status).toBe('pending');
    // Crypto-shredding already took effect: every key is disabled.
    const keys = await p.runtime.keys.listKeys();
    expect(keys.map((k) => k.state)).toEqual(['Disabled', 'Disabled', 'Disabled', 'Disabled']);
  });

  it('resumes, and fails again at the stack; by then no bucket and no table can be read', async () => {
    const failed = await runTeardown(ports({ bucket: false, stack: true }), {
      projectId: 'fixture-link',
      environment: 'local',
      trigger: 'lead',
    }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TeardownStepFailed);
    const { s3, dynamodb } = p.runtime.clients;
    for (const bucket of [p.names.bucket]) {
      await expect(s3.send(new HeadBucketCommand({ Bucket: bucket }))).rejects.toThrow();
    }
    for (const table of [p.names.resultsTable, p.names.statusTable, p.names.auditTable]) {
      await expect(dynamodb.send(new DescribeTableCommand({ TableName: table }))).rejects.toBeInstanceOf(
        ResourceNotFoundException,
      );
    }
  });

  it('finishes on the third run, and the record says what happened', async () => {
    record = await runTeardown(ports({ bucket: false, stack: false }), {
      projectId: 'fixture-link',
      environment: 'local',
      trigger: 'lead',
    });
    expect(record.status).toBe('complete');
    expect(
      record.attempts.map((a) => [a.attempt, a.outcome, a.failedStep ?? null, a.skipped.length]),
    ).toEqual([
      [1, 'failed', 'empty-buckets', 0],
      [2, 'failed', 'delete-stack', 2],
      [3, 'complete', null, 5],
    ]);
    expect(record.steps['empty-buckets']?.attempts).toBe(2);
    expect(record.steps['delete-stack']?.attempts).toBe(2);
    expect(record.steps.verify?.attempts).toBe(1);
    expect(record.verification?.passed).toBe(true);
    expect(record.limitations).toEqual([...LOCAL_LIMITATIONS]);
    expect(record.remains.map((r) => r.what)).toContain('this deletion record and the closing record in it');
    // counts: the drop zone held uploads, reports, work and results
    const drop = record.deleted.buckets.find((b) => b.name === p.names.bucket);
    expect(drop?.objectVersions).toBeGreaterThan(5);
    expect(record.deleted.tables.map((t) => t.deletedNow)).toEqual([true, true, true, true]);
    expect(record.deleted.keys).toHaveLength(4);
    expect(record.deleted.stack?.deletedNow).toBe(true);
  });

  it('keeps a closing record of aggregate counts only', () => {
    const c = record.closingRecord;
    expect(c?.rounds).toBe(1);
    expect(c?.totals.multiInterest).toBe(2);
    expect(c?.perRound[0]?.partners.map((x) => x.id).sort()).toEqual(['gemeente', 'politie', 'uwv']);
    expect(Object.keys(c?.totals.signalsPerPartner ?? {}).sort()).toEqual(['gemeente', 'politie', 'uwv']);
  });

  it('leaves nothing to read: no buckets or tables, services gone, only the key stand-in on disk', async () => {
    expect(readdirSync(dir)).toEqual(['kms']);
    const s3 = new S3Client({
      region: 'eu-central-1',
      endpoint: p.runtime.services.s3Endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    await expect(s3.send(new HeadBucketCommand({ Bucket: p.names.bucket }))).rejects.toThrow();
    s3.destroy();
  });

  it('leaves every key disabled and pending deletion, at least 7 days out', async () => {
    const keys = await p.runtime.keys.listKeys();
    expect(keys).toHaveLength(4);
    const earliest = Date.now() + (KEY_PENDING_WINDOW_DAYS * 24 - 1) * 3600 * 1000;
    for (const k of keys) {
      expect(k.state).toBe('PendingDeletion');
      expect(k.deletionDate?.getTime()).toBeGreaterThan(earliest);
    }
    expect(record.verification?.keys.every((k) => k.ok && k.state === 'PendingDeletion')).toBe(true);
  });

  it('holds no address or signal text from the inputs in either record', () => {
    const values = inputValues();
    expect(values.length).toBeGreaterThan(30);
    const stored = JSON.parse(readFileSync(recordFile, 'utf8'));
    expect(privacyFindings(stored, values)).toEqual([]);
    expect(privacyFindings(record.closingRecord, values)).toEqual([]);
    expect(postcodesIn(stored)).toEqual([]);
    // The check itself finds a value when it is there.
    expect(privacyFindings({ x: 'adres 3071 ab 12' }, values)).toContain('3071 ab');
  });

  it('does nothing more when run again: the record stays complete', async () => {
    const again = await runTeardown(ports({ bucket: false, stack: false }), {
      projectId: 'fixture-link',
      environment: 'local',
      trigger: 'lead',
    });
    expect(again).toEqual(record);
  });
});
