/**
 * Project close, the pure part: the step plan, the closing record (aggregate counts that survive the
 * project) and the deletion record (the proof of what was erased), as zod schemas, plus the privacy
 * check both records must pass.
 *
 * Both records are strict objects: only counts, resource names and ids, timestamps, step names and
 * error *names* fit in them. No field can hold an address, a signal or an error message (messages
 * may quote data). `privacyFindings` checks a record against the project's actual input values too.
 */
import * as z from 'zod';
import type { RoundSummary } from './results.ts';

/** The teardown steps in the order they run (issue 5, steps 1–7). */
export const TEARDOWN_STEPS = [
  'closing-record',
  'disable-keys',
  'empty-buckets',
  'delete-tables',
  'schedule-key-deletion',
  'delete-stack',
  'verify',
] as const;
export const teardownStepSchema = z.enum(TEARDOWN_STEPS);
export type TeardownStep = z.infer<typeof teardownStepSchema>;

/** What each step does, in one line (the dry run and `lsi close` print these). */
export const STEP_TITLES: Readonly<Record<TeardownStep, string>> = {
  'closing-record': 'sluitingsverslag bewaren (alleen totalen)',
  'disable-keys': 'alle projectsleutels uitschakelen (crypto-shredding)',
  'empty-buckets': 'alle objectversies en delete markers verwijderen, dan de buckets',
  'delete-tables': 'verwijderbeveiliging uit, tabellen verwijderen',
  'schedule-key-deletion': 'verwijdering van alle sleutels plannen (wachttijd 7 dagen)',
  'delete-stack': 'de projectstack verwijderen',
  verify: 'controleren en het verwijderingsverslag afsluiten',
};

/** The KMS minimum waiting period: the shortest time after which a key is gone for good. */
export const KEY_PENDING_WINDOW_DAYS = 7;

const isoTime = z.iso.datetime();
const count = z.int().min(0);
/** An AWS error name (never its message): `NoSuchBucket`, `KMSInvalidStateException`, ... */
export const errorNameSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,99}$/);

// ---- the closing record ----------------------------------------------------------------------

export const closingRoundSchema = z.strictObject({
  round: z.int().min(1),
  linkedAt: isoTime.or(z.literal('')),
  /** Signal rows received, accepted and rejected per partner. */
  partners: z.array(z.strictObject({ id: z.string(), rows: count, accepted: count, rejected: count })),
  /** Distinct addresses among the accepted signals. */
  addresses: count,
  /** Addresses signalled by at least `minPartners` partners (the case-table list). */
  multiInterest: count,
  minPartners: count,
  /** Partners that had not delivered when the round was linked (ids only). */
  missing: z.array(z.string()),
});

export const closingRecordSchema = z.strictObject({
  kind: z.literal('lsi-closing-record'),
  version: z.literal(1),
  projectId: z.string(),
  createdAt: isoTime,
  rounds: count,
  perRound: z.array(closingRoundSchema),
  totals: z.strictObject({
    /** Signal rows per partner over all rounds. */
    signalsPerPartner: z.record(
      z.string(),
      z.strictObject({ rows: count, accepted: count, rejected: count }),
    ),
    /** Sum over the rounds (an address linked in two rounds counts twice). */
    addresses: count,
    multiInterest: count,
  }),
});
export type ClosingRecord = z.infer<typeof closingRecordSchema>;

/** The closing record from the round summaries (results table, pk = ROUNDS): aggregates only. */
export function closingRecordFrom(
  projectId: string,
  summaries: readonly RoundSummary[],
  now: Date,
): ClosingRecord {
  const sorted = [...summaries].sort((a, b) => a.round - b.round);
  const signalsPerPartner: ClosingRecord['totals']['signalsPerPartner'] = {};
  for (const s of sorted) {
    for (const p of s.partners) {
      const t = signalsPerPartner[p.id] ?? { rows: 0, accepted: 0, rejected: 0 };
      signalsPerPartner[p.id] = {
        rows: t.rows + p.rows,
        accepted: t.accepted + p.accepted,
        rejected: t.rejected + p.rejected,
      };
    }
  }
  return closingRecordSchema.parse({
    kind: 'lsi-closing-record',
    version: 1,
    projectId,
    createdAt: now.toISOString(),
    rounds: sorted.length,
    perRound: sorted.map((s) => ({
      round: s.round,
      linkedAt: isoTime.safeParse(s.linkedAt).success ? s.linkedAt : '',
      partners: s.partners.map((p) => ({
        id: p.id,
        rows: p.rows,
        accepted: p.accepted,
        rejected: p.rejected,
      })),
      addresses: s.totals.addresses,
      multiInterest: s.totals.multiInterest,
      minPartners: s.minPartners,
      missing: s.missing,
    })),
    totals: {
      signalsPerPartner,
      addresses: sorted.reduce((n, s) => n + s.totals.addresses, 0),
      multiInterest: sorted.reduce((n, s) => n + s.totals.multiInterest, 0),
    },
  });
}

// ---- the deletion record ---------------------------------------------------------------------

/** The project's resources, found once at the start and kept, so a rerun knows them after the stack is gone. */
export const teardownPlanSchema = z.strictObject({
  stackName: z.string(),
  buckets: z.array(z.string()),
  /** The results table, where the round summaries for the closing record are. */
  resultsTable: z.string().optional(),
  tables: z.array(z.string()),
  /** Key ARNs (or ids) of every project key. */
  keys: z.array(z.string()),
});
export type TeardownPlan = z.infer<typeof teardownPlanSchema>;

export const bucketDeletionSchema = z.strictObject({
  name: z.string(),
  /** Object versions deleted (locally, without versioning: objects). */
  objectVersions: count,
  deleteMarkers: count,
  /** False when the bucket was already gone before this step touched it (a rerun). */
  deletedNow: z.boolean(),
});
export const tableDeletionSchema = z.strictObject({
  name: z.string(),
  /** The item count DynamoDB reported before deletion (refreshed by DynamoDB about every 6 hours). */
  itemCountReported: count.optional(),
  deletedNow: z.boolean(),
});
export const keyDestructionSchema = z.strictObject({
  keyId: z.string(),
  arn: z.string(),
  disabledAt: isoTime.optional(),
  deletionScheduledAt: isoTime.optional(),
  deletionDate: isoTime.optional(),
});

export const stepStateSchema = z.strictObject({
  status: z.enum(['pending', 'done', 'failed']),
  attempts: count,
  finishedAt: isoTime.optional(),
  lastError: errorNameSchema.optional(),
});
export type StepState = z.infer<typeof stepStateSchema>;

export const attemptSchema = z.strictObject({
  attempt: z.int().min(1),
  trigger: z.enum(['close-date', 'lead', 'dry-run']),
  startedAt: isoTime,
  finishedAt: isoTime.optional(),
  outcome: z.enum(['running', 'complete', 'failed']),
  failedStep: teardownStepSchema.optional(),
  error: errorNameSchema.optional(),
  /** Steps skipped because an earlier attempt finished them. */
  skipped: z.array(teardownStepSchema),
});
export type Attempt = z.infer<typeof attemptSchema>;

export const verificationSchema = z.strictObject({
  checkedAt: isoTime,
  buckets: z.array(
    z.strictObject({
      name: z.string(),
      exists: z.boolean(),
      /** Object versions and delete markers left; null where the store cannot list versions. */
      versionsLeft: count.nullable(),
      objectsLeft: count,
      method: z.string(),
    }),
  ),
  tables: z.array(z.strictObject({ name: z.string(), exists: z.boolean(), method: z.string() })),
  keys: z.array(
    z.strictObject({
      keyId: z.string(),
      state: z.string(),
      deletionDate: isoTime.optional(),
      /** Disabled for use and pending deletion with at least the 7-day window from scheduling. */
      ok: z.boolean(),
    }),
  ),
  stack: z.strictObject({ name: z.string(), exists: z.boolean(), status: z.string().optional() }),
  passed: z.boolean(),
});
export type Verification = z.infer<typeof verificationSchema>;

export const remainsSchema = z.strictObject({ what: z.string(), why: z.string() });

export const deletionRecordSchema = z.strictObject({
  kind: z.literal('lsi-deletion-record'),
  version: z.literal(1),
  projectId: z.string(),
  environment: z.enum(['aws', 'local']),
  status: z.enum(['in-progress', 'complete', 'failed']),
  startedAt: isoTime,
  completedAt: isoTime.optional(),
  plan: teardownPlanSchema,
  steps: z.record(teardownStepSchema, stepStateSchema),
  attempts: z.array(attemptSchema),
  closingRecord: closingRecordSchema.optional(),
  deleted: z.strictObject({
    buckets: z.array(bucketDeletionSchema),
    tables: z.array(tableDeletionSchema),
    keys: z.array(keyDestructionSchema),
    stack: z
      .strictObject({ name: z.string(), deletedAt: isoTime.optional(), deletedNow: z.boolean() })
      .optional(),
  }),
  verification: verificationSchema.optional(),
  /** What the environment cannot do that AWS does (locally: no object versions, no deletion protection). */
  limitations: z.array(z.string()),
  remains: z.array(remainsSchema),
});
export type DeletionRecord = z.infer<typeof deletionRecordSchema>;

/** What stays after a complete teardown, and why. */
export function remainsByDesign(environment: 'aws' | 'local'): z.infer<typeof remainsSchema>[] {
  const common = [
    {
      what: 'this deletion record and the closing record in it',
      why: 'proof of the erasure for the data protection officer and auditors; counts, names and ids only, no personal data',
    },
    {
      what: 'the project keys, disabled and pending deletion until their deletion date',
      why: 'KMS deletes a key only after a waiting period of at least 7 days; a disabled key decrypts nothing in the meantime',
    },
  ];
  if (environment === 'local') {
    return [
      ...common,
      {
        what: 'the local key stand-in (kms.json) and this record file',
        why: 'they show the keys disabled and pending deletion; they hold no key material and no personal data',
      },
    ];
  }
  return [
    ...common,
    {
      what: 'CloudTrail events of the account',
      why: 'management events name resources and principals, never object contents or items; retention is the account’s policy',
    },
    {
      what: 'DynamoDB backups',
      why: 'point-in-time recovery is turned off before each table is deleted, so no system backup is made; any backup that exists is encrypted with the results key and unreadable once that key is deleted',
    },
    {
      what: 'the closer stack (teardown function, its logs, the record table)',
      why: 'it keeps this record; its logs hold step names, counts and error names only',
    },
  ];
}

/** A fresh record for a project whose teardown starts now. */
export function newDeletionRecord(
  projectId: string,
  environment: 'aws' | 'local',
  plan: TeardownPlan,
  now: Date,
  limitations: readonly string[],
): DeletionRecord {
  const steps: Partial<Record<TeardownStep, StepState>> = {};
  for (const s of TEARDOWN_STEPS) steps[s] = { status: 'pending', attempts: 0 };
  return deletionRecordSchema.parse({
    kind: 'lsi-deletion-record',
    version: 1,
    projectId,
    environment,
    status: 'in-progress',
    startedAt: now.toISOString(),
    plan,
    steps,
    attempts: [],
    deleted: { buckets: [], tables: [], keys: [] },
    limitations: [...limitations],
    remains: remainsByDesign(environment),
  });
}

/** The state of one step (a record always has all of them). */
export function stepState(record: DeletionRecord, step: TeardownStep): StepState {
  return record.steps[step] ?? { status: 'pending', attempts: 0 };
}

/** The steps still to do, in order. */
export function remainingSteps(record: DeletionRecord): TeardownStep[] {
  return TEARDOWN_STEPS.filter((s) => stepState(record, s).status !== 'done');
}

/** A key is safely destroyed when it is pending deletion, at least the minimum window after scheduling. */
export function keyDestroyed(
  state: string,
  deletionDate: Date | undefined,
  scheduledAt: Date | undefined,
): boolean {
  if (state !== 'PendingDeletion' || deletionDate === undefined) return false;
  if (scheduledAt === undefined) return true;
  return (
    deletionDate.getTime() - scheduledAt.getTime() >= KEY_PENDING_WINDOW_DAYS * 24 * 3600 * 1000 - 60_000
  );
}

// ---- privacy -----------------------------------------------------------------------------------

function normalise(s: string): string {
  return s.toLowerCase().replace(/[\s\-_.]+/g, '');
}

/**
 * Which of the given input values (postcodes, address keys, risk texts, references, ...) occur in a
 * record, compared case-insensitively and ignoring spaces, dashes, dots and underscores. Values
 * shorter than 4 characters after normalising (house numbers, suffixes) are skipped: they would match
 * any number. An empty result means the record holds none of them.
 */
export function privacyFindings(record: unknown, inputValues: Iterable<string>): string[] {
  const haystack = normalise(JSON.stringify(record));
  const found = new Set<string>();
  for (const value of inputValues) {
    const needle = normalise(value);
    if (needle.length >= 4 && haystack.includes(needle)) found.add(value);
  }
  return [...found].sort();
}

/** Dutch postcodes (`3071 AB`) anywhere in a record's strings: none may occur. */
export function postcodesIn(record: unknown): string[] {
  return [...JSON.stringify(record).matchAll(/\b[1-9]\d{3} ?[A-Z]{2}\b/g)].map((m) => m[0]);
}
