/**
 * Project close: the seven steps of issue 5 over ports, each idempotent, the progress kept in the
 * deletion record so that a rerun skips the finished steps and finishes the job.
 *
 *   const record = await runTeardown(ports, { projectId, environment: 'aws', trigger: 'close-date' });
 *
 * The ports have an AWS implementation (lambdas/adapters/teardown-aws.ts) and a local one over the
 * embedded services (lib/local/teardown.ts). Nothing here logs or records more than step names,
 * resource names and ids, counts and error names.
 */
import type { KeyManager } from '../adapters/kms.ts';
import type { Log } from '../adapters/log.ts';
import type { RoundSummary } from '../core/results.ts';
import {
  type Attempt,
  closingRecordFrom,
  type DeletionRecord,
  deletionRecordSchema,
  KEY_PENDING_WINDOW_DAYS,
  keyDestroyed,
  newDeletionRecord,
  STEP_TITLES,
  stepState,
  TEARDOWN_STEPS,
  type TeardownPlan,
  type TeardownStep,
  type Verification,
} from '../core/teardown.ts';

export interface BucketCount {
  readonly exists: boolean;
  /** Object versions (without delete markers); null where the store has no versions. */
  readonly versions: number | null;
  readonly deleteMarkers: number | null;
  /** Current objects (what a plain listing shows). */
  readonly objects: number;
}

export interface ObjectStorePort {
  /** Whether the store lists and deletes object versions (AWS S3) or only objects (s3rver). */
  readonly versioned: boolean;
  /** Counts what the bucket holds; `exists: false` when there is no such bucket. */
  count(bucket: string): Promise<BucketCount>;
  /** Deletes every object version and delete marker; returns what it deleted (zeros if the bucket is gone). */
  empty(bucket: string): Promise<{ versions: number; deleteMarkers: number; existed: boolean }>;
  /** Deletes the (empty) bucket; false if it was already gone. */
  deleteBucket(bucket: string): Promise<boolean>;
  /** How `count` decides, for the record ("ListObjectVersions", ...). */
  readonly method: string;
}

export interface TablePort {
  describe(table: string): Promise<{ exists: boolean; itemCount?: number }>;
  /** Turns deletion protection (and point-in-time recovery) off and deletes the table; false if it was already gone. */
  delete(table: string): Promise<boolean>;
  /**
   * Turns deletion protection and point-in-time recovery off without deleting: done before the keys
   * are disabled, since a table whose key is disabled may refuse updates. False if the table is gone.
   */
  prepare?(table: string): Promise<boolean>;
  /** The round summaries (pk = ROUNDS) of the results table; [] if the table is gone. */
  roundSummaries(table: string): Promise<RoundSummary[]>;
  readonly method: string;
}

export interface StackPort {
  readonly stackName: string;
  /** The project's buckets, tables and keys, from the stack. */
  plan(): Promise<TeardownPlan>;
  describe(): Promise<{ exists: boolean; status?: string }>;
  /** Deletes the project stack and waits until it is gone; false if it was already gone. */
  delete(): Promise<boolean>;
}

export interface RecordStore {
  load(projectId: string): Promise<DeletionRecord | undefined>;
  save(record: DeletionRecord): Promise<void>;
  /** Where the record is kept, for the user ("file …", "table …"). */
  readonly location: string;
}

export interface TeardownPorts {
  readonly objects: ObjectStorePort;
  readonly tables: TablePort;
  readonly keys: KeyManager;
  readonly stack: StackPort;
  readonly records: RecordStore;
  readonly log?: Log;
  readonly now?: () => Date;
}

export interface TeardownOptions {
  readonly projectId: string;
  readonly environment: 'aws' | 'local';
  readonly trigger: 'close-date' | 'lead';
  /** What this environment cannot do that AWS does; kept in the record. */
  readonly limitations?: readonly string[];
}

/** A step failed; the record says which and why (error name only). Rerun to finish. */
export class TeardownStepFailed extends Error {
  override readonly name = 'TeardownStepFailed';
  constructor(
    readonly step: TeardownStep,
    readonly errorName: string,
    readonly record: DeletionRecord,
  ) {
    super(
      `Stap ${step} van de sluiting is mislukt (${errorName}). Start de sluiting opnieuw om af te maken.`,
    );
  }
}

const errorName = (e: unknown): string => {
  const name = e instanceof Error ? e.name : 'Error';
  return /^[A-Za-z][A-Za-z0-9_.:-]{0,99}$/.test(name) ? name : 'Error';
};

// ---- dry run -----------------------------------------------------------------------------------

export interface DryRun {
  readonly projectId: string;
  readonly plan: TeardownPlan;
  readonly buckets: { name: string; count: BucketCount }[];
  readonly tables: { name: string; exists: boolean; itemCount?: number }[];
  readonly keys: { keyId: string; arn: string; state: string }[];
  readonly stack: { name: string; exists: boolean; status?: string };
  readonly steps: { step: TeardownStep; title: string; done: boolean }[];
  readonly previous?: DeletionRecord;
}

/** What a teardown would delete: counts, names and key ids. Deletes nothing. */
export async function dryRun(ports: TeardownPorts, projectId: string): Promise<DryRun> {
  const previous = await ports.records.load(projectId);
  const plan = previous?.plan ?? (await ports.stack.plan());
  const buckets = [];
  for (const name of plan.buckets) buckets.push({ name, count: await ports.objects.count(name) });
  const tables = [];
  for (const name of plan.tables) tables.push({ name, ...(await ports.tables.describe(name)) });
  const keys = [];
  for (const id of plan.keys) {
    const k = await describeKeyOrGone(ports.keys, id);
    keys.push({ keyId: k.keyId, arn: k.arn, state: k.state });
  }
  return {
    projectId,
    plan,
    buckets,
    tables,
    keys,
    stack: { name: plan.stackName, ...(await ports.stack.describe()) },
    steps: TEARDOWN_STEPS.map((step) => ({
      step,
      title: STEP_TITLES[step],
      done: previous ? stepState(previous, step).status === 'done' : false,
    })),
    ...(previous ? { previous } : {}),
  };
}

async function describeKeyOrGone(
  keys: KeyManager,
  id: string,
): Promise<{ keyId: string; arn: string; state: string; deletionDate?: Date }> {
  try {
    return await keys.describeKey(id);
  } catch (e) {
    if (errorName(e) === 'NotFoundException') return { keyId: id, arn: id, state: 'NotFound' };
    throw e;
  }
}

// ---- the run -------------------------------------------------------------------------------------

/**
 * Runs the teardown, or finishes one that failed before. Returns the complete deletion record;
 * throws {@link TeardownStepFailed} (after saving the record) when a step fails.
 */
export async function runTeardown(ports: TeardownPorts, options: TeardownOptions): Promise<DeletionRecord> {
  const now = ports.now ?? (() => new Date());
  const { records, log } = ports;
  let record = await records.load(options.projectId);
  if (record?.status === 'complete') {
    log?.info('teardown already complete', { projectId: options.projectId });
    return record;
  }
  if (record === undefined) {
    const plan = await ports.stack.plan();
    record = newDeletionRecord(
      options.projectId,
      options.environment,
      plan,
      now(),
      options.limitations ?? [],
    );
  }
  const skipped = TEARDOWN_STEPS.filter((s) => stepState(record, s).status === 'done');
  const attempt: Attempt = {
    attempt: record.attempts.length + 1,
    trigger: options.trigger,
    startedAt: now().toISOString(),
    outcome: 'running',
    skipped,
  };
  record.attempts.push(attempt);
  record.status = 'in-progress';
  await save(records, record);
  log?.info('teardown started', { projectId: options.projectId, attempt: attempt.attempt, skipped });

  for (const step of TEARDOWN_STEPS) {
    const state = stepState(record, step);
    if (state.status === 'done') continue;
    state.attempts += 1;
    record.steps[step] = state;
    try {
      await STEPS[step](ports, record, now);
      state.status = 'done';
      state.finishedAt = now().toISOString();
      delete state.lastError;
      await save(records, record);
      log?.info('teardown step done', { step, attempt: attempt.attempt });
    } catch (e) {
      const name = errorName(e);
      state.status = 'failed';
      state.lastError = name;
      attempt.outcome = 'failed';
      attempt.failedStep = step;
      attempt.error = name;
      attempt.finishedAt = now().toISOString();
      record.status = 'failed';
      await save(records, record);
      log?.error('teardown step failed', { step, attempt: attempt.attempt, error: name });
      throw new TeardownStepFailed(step, name, record);
    }
  }
  attempt.outcome = 'complete';
  attempt.finishedAt = now().toISOString();
  record.status = 'complete';
  record.completedAt = attempt.finishedAt;
  await save(records, record);
  log?.info('teardown complete', { projectId: options.projectId, attempts: record.attempts.length });
  return record;
}

async function save(records: RecordStore, record: DeletionRecord): Promise<void> {
  // Parse before every save: a record that does not fit the schema (an extra field) is never stored.
  await records.save(deletionRecordSchema.parse(record));
}

/** Raised by the verify step when something of the project is still there. */
export class VerificationFailed extends Error {
  override readonly name = 'VerificationFailed';
}

type StepFn = (ports: TeardownPorts, record: DeletionRecord, now: () => Date) => Promise<void>;

const upsert = <T extends { name: string } | { keyId: string }>(
  list: T[],
  item: T,
  same: (a: T) => boolean,
) => {
  const i = list.findIndex(same);
  if (i === -1) list.push(item);
  else list[i] = item;
};

const STEPS: Record<TeardownStep, StepFn> = {
  'closing-record': async ({ tables }, record, now) => {
    if (record.closingRecord) return;
    const table = record.plan.resultsTable;
    const summaries = table ? await tables.roundSummaries(table) : [];
    record.closingRecord = closingRecordFrom(record.projectId, summaries, now());
  },

  'disable-keys': async ({ keys, tables }, record, now) => {
    // While the tables can still be updated, turn their deletion protection and backups off (this
    // deletes nothing): a table whose key is disabled may refuse that later.
    for (const table of record.plan.tables) await tables.prepare?.(table);
    // All at once: crypto-shredding takes effect for every key in the same moment.
    // A key that does not exist (any more) has nothing to disable; verify reports it as NotFound.
    const infos = (await Promise.all(record.plan.keys.map((id) => describeKeyOrGone(keys, id)))).filter(
      (k) => k.state !== 'NotFound',
    );
    await Promise.all(
      infos.map(async (k) => {
        if (k.state === 'Enabled') await keys.disableKey(k.arn);
      }),
    );
    const at = now().toISOString();
    for (const k of infos) {
      const previous = record.deleted.keys.find((x) => x.keyId === k.keyId);
      upsert(
        record.deleted.keys,
        { ...previous, keyId: k.keyId, arn: k.arn, disabledAt: previous?.disabledAt ?? at },
        (x) => x.keyId === k.keyId,
      );
    }
  },

  'empty-buckets': async ({ objects }, record) => {
    for (const bucket of record.plan.buckets) {
      const previous = record.deleted.buckets.find((b) => b.name === bucket);
      let versions = previous?.objectVersions ?? 0;
      let markers = previous?.deleteMarkers ?? 0;
      let existed = false;
      // Access logs may still arrive while a bucket is emptied: empty again if it is not empty yet.
      for (let round = 1; ; round++) {
        const r = await objects.empty(bucket);
        versions += r.versions;
        markers += r.deleteMarkers;
        existed ||= r.existed;
        try {
          const deletedNow = await objects.deleteBucket(bucket);
          existed ||= deletedNow;
          break;
        } catch (e) {
          if (errorName(e) !== 'BucketNotEmpty' || round >= 3) {
            // Keep the counts so far: a rerun adds to them.
            upsert(
              record.deleted.buckets,
              { name: bucket, objectVersions: versions, deleteMarkers: markers, deletedNow: false },
              (b) => b.name === bucket,
            );
            throw e;
          }
        }
      }
      upsert(
        record.deleted.buckets,
        {
          name: bucket,
          objectVersions: versions,
          deleteMarkers: markers,
          deletedNow: existed || (previous?.deletedNow ?? false),
        },
        (b) => b.name === bucket,
      );
    }
  },

  'delete-tables': async ({ tables }, record) => {
    for (const table of record.plan.tables) {
      const previous = record.deleted.tables.find((t) => t.name === table);
      const d = await tables.describe(table);
      const deletedNow = d.exists ? await tables.delete(table) : false;
      upsert(
        record.deleted.tables,
        {
          name: table,
          ...(d.itemCount !== undefined
            ? { itemCountReported: d.itemCount }
            : previous?.itemCountReported !== undefined
              ? { itemCountReported: previous.itemCountReported }
              : {}),
          deletedNow: deletedNow || (previous?.deletedNow ?? false),
        },
        (t) => t.name === table,
      );
    }
  },

  'schedule-key-deletion': async ({ keys }, record, now) => {
    for (const id of record.plan.keys) {
      const k = await describeKeyOrGone(keys, id);
      if (k.state === 'NotFound') continue;
      const previous = record.deleted.keys.find((x) => x.keyId === k.keyId);
      let deletionDate = k.deletionDate;
      let scheduledAt = previous?.deletionScheduledAt;
      if (k.state !== 'PendingDeletion') {
        scheduledAt = now().toISOString();
        deletionDate = (await keys.scheduleKeyDeletion(k.arn, KEY_PENDING_WINDOW_DAYS)).deletionDate;
      }
      upsert(
        record.deleted.keys,
        {
          ...previous,
          keyId: k.keyId,
          arn: k.arn,
          ...(scheduledAt ? { deletionScheduledAt: scheduledAt } : {}),
          ...(deletionDate ? { deletionDate: deletionDate.toISOString() } : {}),
        },
        (x) => x.keyId === k.keyId,
      );
    }
  },

  'delete-stack': async ({ stack }, record, now) => {
    const deletedNow = await stack.delete();
    const previous = record.deleted.stack;
    record.deleted.stack = {
      name: stack.stackName,
      deletedAt: previous?.deletedAt ?? now().toISOString(),
      deletedNow: deletedNow || (previous?.deletedNow ?? false),
    };
  },

  verify: async (ports, record, now) => {
    const v = await verify(ports, record, now());
    record.verification = v;
    if (!v.passed) throw new VerificationFailed('Er is nog iets van het project over.');
  },
};

/** Checks that nothing of the project is left: no bucket, no object version, no table, every key pending deletion. */
export async function verify(ports: TeardownPorts, record: DeletionRecord, at: Date): Promise<Verification> {
  const buckets: Verification['buckets'] = [];
  for (const name of record.plan.buckets) {
    const c = await ports.objects.count(name);
    const left = c.versions === null ? null : c.versions + (c.deleteMarkers ?? 0);
    buckets.push({
      name,
      exists: c.exists,
      versionsLeft: left,
      objectsLeft: c.objects,
      method: ports.objects.method,
    });
  }
  const tables: Verification['tables'] = [];
  for (const name of record.plan.tables) {
    tables.push({ name, exists: (await ports.tables.describe(name)).exists, method: ports.tables.method });
  }
  const keys: Verification['keys'] = [];
  for (const id of record.plan.keys) {
    const k = await describeKeyOrGone(ports.keys, id);
    const scheduled = record.deleted.keys.find((x) => x.keyId === k.keyId)?.deletionScheduledAt;
    keys.push({
      keyId: k.keyId,
      state: k.state,
      ...(k.deletionDate ? { deletionDate: k.deletionDate.toISOString() } : {}),
      ok:
        k.state === 'NotFound' ||
        keyDestroyed(k.state, k.deletionDate, scheduled ? new Date(scheduled) : undefined),
    });
  }
  const s = await ports.stack.describe();
  const stack = { name: ports.stack.stackName, exists: s.exists, ...(s.status ? { status: s.status } : {}) };
  const passed =
    buckets.every((b) => !b.exists && b.objectsLeft === 0 && (b.versionsLeft ?? 0) === 0) &&
    tables.every((t) => !t.exists) &&
    keys.every((k) => k.ok) &&
    !stack.exists;
  return { checkedAt: at.toISOString(), buckets, tables, keys, stack, passed };
}
