/**
 * The teardown's ports over the AWS SDK (clients injected): S3 object versions and buckets, DynamoDB
 * tables, CloudFormation, and the deletion-record table. The S3 and DynamoDB adapters also run against
 * the embedded services, with the capabilities those lack switched off (`versioned: false`,
 * `protection: false`), so that the local run says what it could not do instead of pretending.
 */
import {
  type CloudFormationClient,
  DeleteStackCommand,
  DescribeStacksCommand,
  paginateListStackResources,
  waitUntilStackDeleteComplete,
} from '@aws-sdk/client-cloudformation';
import {
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  type ObjectIdentifier,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { BucketCount, ObjectStorePort, RecordStore, StackPort, TablePort } from '../app/teardown.ts';
import { type RoundSummary, roundSummarySchema } from '../core/results.ts';
import { type DeletionRecord, deletionRecordSchema, type TeardownPlan } from '../core/teardown.ts';

const named = (e: unknown, ...names: string[]): boolean => e instanceof Error && names.includes(e.name);

/** S3: every version and delete marker (`versioned`), or every object (a store without versions). */
export class S3ObjectStore implements ObjectStorePort {
  readonly versioned: boolean;
  readonly method: string;

  constructor(
    private readonly s3: S3Client,
    options: { versioned?: boolean } = {},
  ) {
    this.versioned = options.versioned ?? true;
    this.method = this.versioned
      ? 'S3 ListObjectVersions (NoSuchBucket = gone)'
      : 'S3 ListObjectsV2 (NoSuchBucket = gone); this S3 keeps no versions';
  }

  async count(bucket: string): Promise<BucketCount> {
    let versions = 0;
    let deleteMarkers = 0;
    let objects = 0;
    try {
      if (this.versioned) {
        for await (const page of this.versionPages(bucket)) {
          for (const v of page.Versions ?? []) {
            versions++;
            if (v.IsLatest) objects++;
          }
          deleteMarkers += page.DeleteMarkers?.length ?? 0;
        }
        return { exists: true, versions, deleteMarkers, objects };
      }
      for await (const page of paginateListObjectsV2({ client: this.s3 }, { Bucket: bucket })) {
        objects += page.Contents?.length ?? 0;
      }
      return { exists: true, versions: null, deleteMarkers: null, objects };
    } catch (e) {
      if (named(e, 'NoSuchBucket')) return { exists: false, versions: null, deleteMarkers: null, objects: 0 };
      throw e;
    }
  }

  async empty(bucket: string): Promise<{ versions: number; deleteMarkers: number; existed: boolean }> {
    let versions = 0;
    let deleteMarkers = 0;
    try {
      if (this.versioned) {
        // Page by page: deleting what a page lists does not disturb the markers of the next page.
        for await (const page of this.versionPages(bucket)) {
          const ids: ObjectIdentifier[] = [];
          for (const v of page.Versions ?? []) if (v.Key) ids.push({ Key: v.Key, VersionId: v.VersionId });
          const nVersions = ids.length;
          for (const m of page.DeleteMarkers ?? [])
            if (m.Key) ids.push({ Key: m.Key, VersionId: m.VersionId });
          await this.deleteAll(bucket, ids);
          versions += nVersions;
          deleteMarkers += ids.length - nVersions;
        }
      } else {
        for await (const page of paginateListObjectsV2({ client: this.s3 }, { Bucket: bucket })) {
          const ids: ObjectIdentifier[] = [];
          for (const o of page.Contents ?? []) if (o.Key) ids.push({ Key: o.Key });
          await this.deleteAll(bucket, ids);
          versions += ids.length;
        }
      }
      return { versions, deleteMarkers, existed: true };
    } catch (e) {
      if (named(e, 'NoSuchBucket')) return { versions, deleteMarkers, existed: versions + deleteMarkers > 0 };
      throw e;
    }
  }

  async deleteBucket(bucket: string): Promise<boolean> {
    try {
      await this.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
      return true;
    } catch (e) {
      if (named(e, 'NoSuchBucket')) return false;
      throw e;
    }
  }

  /** ListObjectVersions page by page (the SDK has no paginator for it): KeyMarker + VersionIdMarker. */
  private async *versionPages(bucket: string): AsyncGenerator<ListObjectVersionsCommandOutput> {
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    for (;;) {
      const page = await this.s3.send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
          ...(versionMarker !== undefined ? { VersionIdMarker: versionMarker } : {}),
        }),
      );
      yield page;
      if (!page.IsTruncated) return;
      keyMarker = page.NextKeyMarker;
      versionMarker = page.NextVersionIdMarker;
      if (keyMarker === undefined && versionMarker === undefined) return;
    }
  }

  /** DeleteObjects, 1000 a request; a per-key error fails the step (its code, never the key). */
  private async deleteAll(bucket: string, ids: readonly ObjectIdentifier[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 1000) {
      const r = await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: ids.slice(i, i + 1000), Quiet: true },
        }),
      );
      const failed = r.Errors ?? [];
      if (failed.length > 0) {
        const err = new Error(`${failed.length} object version(s) not deleted`);
        err.name = failed[0]?.Code?.replace(/[^A-Za-z0-9]/g, '') || 'DeleteObjectsFailed';
        throw err;
      }
    }
  }
}

/** DynamoDB tables: deletion protection and point-in-time recovery off, then DeleteTable. */
export class DynamoTables implements TablePort {
  readonly method = 'DynamoDB DescribeTable (ResourceNotFoundException = gone)';
  private readonly protection: boolean;

  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly doc: DynamoDBDocumentClient,
    options: {
      /** The service knows deletion protection and continuous backups (dynalite does not). @default true */
      protection?: boolean;
      /** Seconds to wait for a deleted table to disappear. @default 300 */
      maxWaitSeconds?: number;
    } = {},
  ) {
    this.protection = options.protection ?? true;
    this.maxWait = options.maxWaitSeconds ?? 300;
  }
  private readonly maxWait: number;

  async describe(table: string): Promise<{ exists: boolean; itemCount?: number }> {
    try {
      const r = await this.ddb.send(new DescribeTableCommand({ TableName: table }));
      const count = r.Table?.ItemCount;
      return { exists: true, ...(count !== undefined ? { itemCount: count } : {}) };
    } catch (e) {
      if (named(e, 'ResourceNotFoundException')) return { exists: false };
      throw e;
    }
  }

  /**
   * Turns deletion protection and point-in-time recovery off (without PITR off, DeleteTable leaves a
   * system backup that DynamoDB keeps 35 days). Done before the keys are disabled, while the table can
   * still be updated; checked again before deleting. False if the table is gone.
   */
  async prepare(table: string): Promise<boolean> {
    if (!this.protection) return true;
    try {
      const d = await this.ddb.send(new DescribeTableCommand({ TableName: table }));
      if (d.Table?.DeletionProtectionEnabled) {
        await this.ddb.send(new UpdateTableCommand({ TableName: table, DeletionProtectionEnabled: false }));
      }
      await this.ddb.send(
        new UpdateContinuousBackupsCommand({
          TableName: table,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
        }),
      );
      return true;
    } catch (e) {
      if (named(e, 'ResourceNotFoundException')) return false;
      throw e;
    }
  }

  async delete(table: string): Promise<boolean> {
    try {
      if (!(await this.prepare(table))) return false;
      await this.ddb.send(new DeleteTableCommand({ TableName: table }));
    } catch (e) {
      if (named(e, 'ResourceNotFoundException')) return false;
      throw e;
    }
    await waitUntilTableNotExists(
      { client: this.ddb, maxWaitTime: this.maxWait, minDelay: 1, maxDelay: 10 },
      { TableName: table },
    );
    return true;
  }

  async roundSummaries(table: string): Promise<RoundSummary[]> {
    const out: RoundSummary[] = [];
    try {
      for await (const page of paginateQuery(
        { client: this.doc },
        {
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'ROUNDS' },
        },
      )) {
        for (const item of page.Items ?? []) {
          const { pk: _pk, sk: _sk, type: _type, ...summary } = item;
          out.push(roundSummarySchema.parse(summary));
        }
      }
    } catch (e) {
      if (named(e, 'ResourceNotFoundException')) return [];
      throw e;
    }
    return out;
  }
}

const RESOURCE_TYPES = {
  bucket: 'AWS::S3::Bucket',
  table: 'AWS::DynamoDB::Table',
  key: 'AWS::KMS::Key',
} as const;

/** The drop zone before its access-log bucket: logs of the emptying still land in the latter. */
export function logBucketsLast(buckets: readonly { id: string; logical: string }[]): string[] {
  const isLog = (b: { logical: string }) => Number(/Log/.test(b.logical));
  return [...buckets]
    .sort((a, b) => isLog(a) - isLog(b) || a.logical.localeCompare(b.logical))
    .map((b) => b.id);
}

/** The project stack in CloudFormation. */
export class CloudFormationStack implements StackPort {
  constructor(
    private readonly cfn: CloudFormationClient,
    readonly stackName: string,
    private readonly options: { maxWaitSeconds?: number } = {},
  ) {}

  async plan(): Promise<TeardownPlan> {
    const buckets: { id: string; logical: string }[] = [];
    const tables: string[] = [];
    const keys: string[] = [];
    let resultsTable: string | undefined;
    for await (const page of paginateListStackResources(
      { client: this.cfn },
      { StackName: this.stackName },
    )) {
      for (const r of page.StackResourceSummaries ?? []) {
        const id = r.PhysicalResourceId;
        if (!id || r.ResourceStatus === 'DELETE_COMPLETE') continue;
        if (r.ResourceType === RESOURCE_TYPES.bucket)
          buckets.push({ id, logical: r.LogicalResourceId ?? '' });
        if (r.ResourceType === RESOURCE_TYPES.table) {
          tables.push(id);
          if (r.LogicalResourceId?.startsWith('TablesResults')) resultsTable = id;
        }
        if (r.ResourceType === RESOURCE_TYPES.key) keys.push(id);
      }
    }
    // The drop zone before its access-log bucket: logs of the emptying still land in the latter.
    const order = logBucketsLast(buckets);
    return {
      stackName: this.stackName,
      buckets: order,
      tables,
      keys,
      ...(resultsTable ? { resultsTable } : {}),
    };
  }

  async describe(): Promise<{ exists: boolean; status?: string }> {
    try {
      const r = await this.cfn.send(new DescribeStacksCommand({ StackName: this.stackName }));
      const status = r.Stacks?.[0]?.StackStatus;
      if (status === undefined || status === 'DELETE_COMPLETE') return { exists: false };
      return { exists: true, status };
    } catch (e) {
      // CloudFormation answers a stack that does not exist with a ValidationException.
      if (named(e, 'ValidationError', 'ValidationException')) return { exists: false };
      throw e;
    }
  }

  async delete(): Promise<boolean> {
    if (!(await this.describe()).exists) return false;
    await this.cfn.send(new DeleteStackCommand({ StackName: this.stackName }));
    const r = await waitUntilStackDeleteComplete(
      { client: this.cfn, maxWaitTime: this.options.maxWaitSeconds ?? 780, minDelay: 5, maxDelay: 30 },
      { StackName: this.stackName },
    );
    if (r.state !== 'SUCCESS') {
      const err = new Error('the project stack was not deleted');
      err.name = `StackDelete${r.state}`;
      throw err;
    }
    return true;
  }
}

const recordItemSchema = z.object({ record: z.string() });

/** The deletion record in the closer stack's table: pk = PROJECT#<id>, sk = DELETION-RECORD. */
export class DynamoRecordStore implements RecordStore {
  readonly location: string;
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {
    this.location = `DynamoDB-tabel ${table}`;
  }

  private key(projectId: string) {
    return { pk: `PROJECT#${projectId}`, sk: 'DELETION-RECORD' };
  }

  async load(projectId: string): Promise<DeletionRecord | undefined> {
    const r = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: this.key(projectId), ConsistentRead: true }),
    );
    if (!r.Item) return undefined;
    return deletionRecordSchema.parse(JSON.parse(recordItemSchema.parse(r.Item).record));
  }

  async save(record: DeletionRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...this.key(record.projectId),
          status: record.status,
          updatedAt: new Date().toISOString(),
          record: JSON.stringify(deletionRecordSchema.parse(record)),
        },
      }),
    );
  }
}
