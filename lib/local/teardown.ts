/**
 * The teardown's ports on the embedded default. The S3 and DynamoDB adapters are the AWS ones over the
 * local clients, with what the embedded services lack switched off and said so in the record:
 * s3rver keeps no object versions (ListObjectVersions answers MethodNotAllowed), so the local store
 * lists and deletes objects; dynalite knows neither deletion protection nor point-in-time recovery.
 *
 * "Deleting the stack" locally: the embedded services are stopped and their data directories
 * (`s3/`, `dynamodb/`, `stepfunctions/`) and the endpoints file are removed. The key stand-in
 * (`kms/kms.json`) stays, as KMS keys outlive the stack in AWS: it shows the keys pending deletion.
 * The deletion record is a JSON file beside the project's data directory.
 *
 * Where the services are stopped (after the stack step, or in a later process), the ports answer
 * from the disk: no bucket directory means no bucket, no DynamoDB directory means no table.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { KeyManager } from '../../lambdas/adapters/kms.ts';
import type { Log } from '../../lambdas/adapters/log.ts';
import { DynamoTables, logBucketsLast, S3ObjectStore } from '../../lambdas/adapters/teardown-aws.ts';
import type {
  BucketCount,
  ObjectStorePort,
  RecordStore,
  StackPort,
  TablePort,
  TeardownPorts,
} from '../../lambdas/app/teardown.ts';
import type { RoundSummary } from '../../lambdas/core/results.ts';
import { type DeletionRecord, deletionRecordSchema, type TeardownPlan } from '../../lambdas/core/teardown.ts';
import type { LocalClients } from './services.ts';
import type { LocalTemplate } from './template.ts';

/** What the local environment cannot do that AWS does; goes into the deletion record. */
export const LOCAL_LIMITATIONS = [
  'S3 (s3rver) houdt geen objectversies bij: lokaal zijn objecten verwijderd en geteld, versies en delete markers bestaan er niet (verified locally: no objects; versions: not supported by the local S3)',
  'DynamoDB (dynalite) kent geen verwijderbeveiliging en geen point-in-time recovery: lokaal is er niets uit te zetten',
  'KMS is een lokale stand-in (kms.json) zonder sleutelmateriaal; de toestand Disabled/PendingDeletion is wel echt bijgehouden',
] as const;

/** The project's buckets, tables and keys as the local runtime names them (same names as `lsi local up`). */
export function localTeardownPlan(template: LocalTemplate): TeardownPlan {
  const buckets = template
    .ofType('AWS::S3::Bucket')
    .map((b) => ({ id: b.physicalName, logical: b.logicalId }));
  const tables = template.ofType('AWS::DynamoDB::Table');
  const results = tables.find((t) => t.logicalId.startsWith('TablesResults'));
  return {
    stackName: template.stackName,
    buckets: logBucketsLast(buckets),
    tables: tables.map((t) => t.physicalName),
    keys: template.ofType('AWS::KMS::Key').map((k) => k.physicalName),
    ...(results ? { resultsTable: results.physicalName } : {}),
  };
}

/** The embedded services of one project, started on demand and stopped by the stack step. */
export interface LocalServicesHandle {
  clients(): Promise<LocalClients>;
  stop(): Promise<void>;
}

export interface LocalTeardownOptions {
  /** The project's data directory (`.lsi-local/<projectId>`). */
  readonly dir: string;
  readonly template: LocalTemplate;
  /** DynamoDB kept on disk under `<dir>/dynamodb` (`lsi local up`), or in memory (tests). */
  readonly persisted: boolean;
  readonly services: LocalServicesHandle;
  readonly keys: KeyManager;
  readonly records: RecordStore;
  readonly log?: Log;
  readonly now?: () => Date;
}

function countFiles(path: string): number {
  let n = 0;
  for (const entry of readdirSync(path)) {
    const p = join(path, entry);
    n += statSync(p).isDirectory() ? countFiles(p) : 1;
  }
  return n;
}

/** Data the local "stack" consists of (everything but the key stand-in). */
const STACK_PARTS = ['s3', 'dynamodb', 'stepfunctions', 'endpoints.json'] as const;

export function localTeardownPorts(o: LocalTeardownOptions): TeardownPorts {
  let stopped = false;
  const s3Dir = join(o.dir, 's3');
  const dynamoDir = join(o.dir, 'dynamodb');
  const s3 = async () => new S3ObjectStore((await o.services.clients()).s3, { versioned: false });
  const ddb = async () => {
    const c = await o.services.clients();
    return new DynamoTables(c.dynamodb, c.documentClient, { protection: false, maxWaitSeconds: 30 });
  };
  const bucketOnDisk = (bucket: string) => existsSync(join(s3Dir, bucket));
  /** Whether a table may exist; false when the DynamoDB behind it is certainly gone. */
  const dynamoAlive = () => (o.persisted ? existsSync(dynamoDir) : !stopped);

  const objects: ObjectStorePort = {
    versioned: false,
    method:
      'lokaal: S3 ListObjectsV2 terwijl de diensten draaien, daarna de bucketmap op schijf; s3rver kent geen versies',
    count: async (bucket): Promise<BucketCount> => {
      if (!bucketOnDisk(bucket)) return { exists: false, versions: null, deleteMarkers: null, objects: 0 };
      if (stopped) {
        return {
          exists: true,
          versions: null,
          deleteMarkers: null,
          objects: countFiles(join(s3Dir, bucket)),
        };
      }
      return (await s3()).count(bucket);
    },
    empty: async (bucket) =>
      bucketOnDisk(bucket) ? (await s3()).empty(bucket) : { versions: 0, deleteMarkers: 0, existed: false },
    deleteBucket: async (bucket) => (bucketOnDisk(bucket) ? (await s3()).deleteBucket(bucket) : false),
  };

  const tables: TablePort = {
    method:
      'lokaal: DynamoDB DescribeTable terwijl de diensten draaien, daarna: geen DynamoDB-gegevens op schijf',
    describe: async (table) => {
      if (!dynamoAlive()) return { exists: false };
      if (stopped) return { exists: true };
      // dynalite keeps no ItemCount (it always says 0): leave it out rather than report a wrong count.
      const d = await (await ddb()).describe(table);
      return { exists: d.exists };
    },
    delete: async (table) => (dynamoAlive() && !stopped ? (await ddb()).delete(table) : false),
    roundSummaries: async (table): Promise<RoundSummary[]> =>
      dynamoAlive() && !stopped ? (await ddb()).roundSummaries(table) : [],
  };

  const stackExists = () => STACK_PARTS.some((p) => existsSync(join(o.dir, p)));
  const stack: StackPort = {
    stackName: o.template.stackName,
    plan: async () => localTeardownPlan(o.template),
    describe: async () =>
      stackExists() ? { exists: true, status: 'LOCAL_DATA_PRESENT' } : { exists: false },
    delete: async () => {
      const existed = stackExists();
      await o.services.stop();
      stopped = true;
      for (const part of STACK_PARTS) await rm(join(o.dir, part), { recursive: true, force: true });
      return existed;
    },
  };

  return {
    objects,
    tables,
    keys: o.keys,
    stack,
    records: o.records,
    ...(o.log ? { log: o.log } : {}),
    ...(o.now ? { now: o.now } : {}),
  };
}

/** The deletion record as a JSON file (written atomically); it survives the project's data directory. */
export class FileRecordStore implements RecordStore {
  readonly location: string;
  constructor(private readonly file: string) {
    this.location = file;
  }

  async load(projectId: string): Promise<DeletionRecord | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if (e instanceof Error && 'code' in e && e.code === 'ENOENT') return undefined;
      throw e;
    }
    const record = deletionRecordSchema.parse(JSON.parse(text));
    return record.projectId === projectId ? record : undefined;
  }

  async save(record: DeletionRecord): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(deletionRecordSchema.parse(record), null, 2)}\n`);
    await rename(tmp, this.file);
  }
}

/** Where `lsi close` keeps a local project's deletion record: beside its data directory, so it survives. */
export function localRecordFile(projectId: string, base = '.lsi-local'): string {
  return join(base, `${projectId}-deletion-record.json`);
}
