/**
 * The teardown's AWS adapters on their error paths, with aws-sdk-client-mock: version pagination,
 * delete markers, a bucket or table already gone on a rerun, a key already pending deletion, a
 * stack that no longer exists.
 */
import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import {
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeKeyCommand,
  DisableKeyCommand,
  KMSClient,
  KMSInvalidStateException,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  NoSuchBucket,
  S3Client,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsKeyManager } from '../../lambdas/adapters/kms.ts';
import {
  CloudFormationStack,
  DynamoRecordStore,
  DynamoTables,
  logBucketsLast,
  S3ObjectStore,
} from '../../lambdas/adapters/teardown-aws.ts';
import { runTeardown, type TeardownPorts } from '../../lambdas/app/teardown.ts';
import { newDeletionRecord } from '../../lambdas/core/teardown.ts';
import { createTeardownHandler } from '../../lambdas/handlers/teardown.ts';

const s3 = mockClient(S3Client);
const ddb = mockClient(DynamoDBClient);
const doc = mockClient(DynamoDBDocumentClient);
const cfn = mockClient(CloudFormationClient);
const kms = mockClient(KMSClient);

afterEach(() => {
  s3.reset();
  ddb.reset();
  doc.reset();
  cfn.reset();
  kms.reset();
});

const docClient = () => DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-central-1' }));

describe('S3ObjectStore', () => {
  it('follows the version pages (KeyMarker + VersionIdMarker) and deletes versions and delete markers', async () => {
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({
        IsTruncated: true,
        NextKeyMarker: 'k2',
        NextVersionIdMarker: 'v2',
        Versions: [
          { Key: 'k1', VersionId: 'v1', IsLatest: true },
          { Key: 'k2', VersionId: 'v2', IsLatest: false },
        ],
        DeleteMarkers: [{ Key: 'k2', VersionId: 'm1', IsLatest: true }],
      })
      .resolvesOnce({ IsTruncated: false, Versions: [{ Key: 'k3', VersionId: 'v3', IsLatest: true }] });
    s3.on(DeleteObjectsCommand).resolves({});
    const r = await new S3ObjectStore(new S3Client({ region: 'eu-central-1' })).empty('drop');
    expect(r).toEqual({ versions: 3, deleteMarkers: 1, existed: true });
    const lists = s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input);
    expect(lists).toEqual([{ Bucket: 'drop' }, { Bucket: 'drop', KeyMarker: 'k2', VersionIdMarker: 'v2' }]);
    const deletes = s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete?.Objects);
    expect(deletes).toEqual([
      [
        { Key: 'k1', VersionId: 'v1' },
        { Key: 'k2', VersionId: 'v2' },
        { Key: 'k2', VersionId: 'm1' },
      ],
      [{ Key: 'k3', VersionId: 'v3' }],
    ]);
  });

  it('treats NoSuchBucket on a rerun as already gone', async () => {
    s3.on(ListObjectVersionsCommand).rejects(new NoSuchBucket({ message: 'gone', $metadata: {} }));
    s3.on(DeleteBucketCommand).rejects(new NoSuchBucket({ message: 'gone', $metadata: {} }));
    const store = new S3ObjectStore(new S3Client({ region: 'eu-central-1' }));
    expect(await store.empty('drop')).toEqual({ versions: 0, deleteMarkers: 0, existed: false });
    expect(await store.deleteBucket('drop')).toBe(false);
    expect(await store.count('drop')).toEqual({
      exists: false,
      versions: null,
      deleteMarkers: null,
      objects: 0,
    });
  });

  it('fails with the error code, never the object key, when a version cannot be deleted', async () => {
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [{ Key: 'partners/x/uploads/secret.csv', VersionId: 'v' }],
    });
    s3.on(DeleteObjectsCommand).resolves({
      Errors: [{ Key: 'partners/x/uploads/secret.csv', Code: 'AccessDenied' }],
    });
    const e = await new S3ObjectStore(new S3Client({ region: 'eu-central-1' }))
      .empty('drop')
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Error);
    expect(e instanceof Error && e.name).toBe('AccessDenied');
    expect(String(e instanceof Error && e.message)).not.toContain('secret');
  });

  it('puts the access-log bucket last', () => {
    expect(
      logBucketsLast([
        { id: 'logs-x', logical: 'DropZoneAccessLogs1' },
        { id: 'drop-x', logical: 'DropZoneBucket2' },
      ]),
    ).toEqual(['drop-x', 'logs-x']);
  });
});

describe('DynamoTables', () => {
  it('turns deletion protection and point-in-time recovery off, deletes, and waits until the table is gone', async () => {
    ddb
      .on(DescribeTableCommand)
      .resolvesOnce({ Table: { TableName: 't', DeletionProtectionEnabled: true } })
      .rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    ddb.on(UpdateTableCommand).resolves({});
    ddb.on(UpdateContinuousBackupsCommand).resolves({});
    ddb.on(DeleteTableCommand).resolves({});
    const tables = new DynamoTables(new DynamoDBClient({ region: 'eu-central-1' }), docClient());
    expect(await tables.delete('t')).toBe(true);
    expect(ddb.commandCalls(UpdateTableCommand)[0]?.args[0].input).toEqual({
      TableName: 't',
      DeletionProtectionEnabled: false,
    });
    expect(ddb.commandCalls(UpdateContinuousBackupsCommand)[0]?.args[0].input).toEqual({
      TableName: 't',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
    });
    expect(ddb.commandCalls(DeleteTableCommand)).toHaveLength(1);
  });

  it('answers ResourceNotFoundException on a rerun with "already gone"', async () => {
    ddb.on(DescribeTableCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    const tables = new DynamoTables(new DynamoDBClient({ region: 'eu-central-1' }), docClient());
    expect(await tables.describe('t')).toEqual({ exists: false });
    expect(await tables.delete('t')).toBe(false);
    expect(ddb.commandCalls(DeleteTableCommand)).toHaveLength(0);
  });

  it('reads only the round summaries (pk = ROUNDS) for the closing record', async () => {
    doc.on(QueryCommand).resolves({
      Items: [
        {
          pk: 'ROUNDS',
          sk: 'ROUND#0001',
          type: 'round',
          round: 1,
          executionName: 'x-ronde-0001',
          reason: 'allen compleet',
          linkedAt: '2027-02-02T10:00:00.000Z',
          minPartners: 2,
          missing: [],
          totals: { rows: 10, accepted: 9, rejected: 1, addresses: 7, multiInterest: 2 },
          partners: [{ id: 'a', rows: 10, accepted: 9, rejected: 1 }],
        },
      ],
    });
    const tables = new DynamoTables(new DynamoDBClient({ region: 'eu-central-1' }), docClient());
    const rounds = await tables.roundSummaries('results');
    expect(rounds.map((r) => r.totals.multiInterest)).toEqual([2]);
    expect(doc.commandCalls(QueryCommand)[0]?.args[0].input.ExpressionAttributeValues).toEqual({
      ':pk': 'ROUNDS',
    });
  });
});

describe('CloudFormationStack', () => {
  it('finds buckets, tables and keys over every page of ListStackResources', async () => {
    cfn
      .on(ListStackResourcesCommand)
      .resolvesOnce({
        NextToken: 'n',
        StackResourceSummaries: [
          {
            LogicalResourceId: 'DropZoneAccessLogsX',
            PhysicalResourceId: 'logs',
            ResourceType: 'AWS::S3::Bucket',
            ResourceStatus: 'CREATE_COMPLETE',
            LastUpdatedTimestamp: new Date(),
          },
          {
            LogicalResourceId: 'TablesResultsX',
            PhysicalResourceId: 'results',
            ResourceType: 'AWS::DynamoDB::Table',
            ResourceStatus: 'CREATE_COMPLETE',
            LastUpdatedTimestamp: new Date(),
          },
        ],
      })
      .resolvesOnce({
        StackResourceSummaries: [
          {
            LogicalResourceId: 'DropZoneBucketX',
            PhysicalResourceId: 'drop',
            ResourceType: 'AWS::S3::Bucket',
            ResourceStatus: 'CREATE_COMPLETE',
            LastUpdatedTimestamp: new Date(),
          },
          {
            LogicalResourceId: 'ResultsKeyX',
            PhysicalResourceId: 'key-1',
            ResourceType: 'AWS::KMS::Key',
            ResourceStatus: 'CREATE_COMPLETE',
            LastUpdatedTimestamp: new Date(),
          },
          {
            LogicalResourceId: 'LinkX',
            PhysicalResourceId: 'fn',
            ResourceType: 'AWS::Lambda::Function',
            ResourceStatus: 'CREATE_COMPLETE',
            LastUpdatedTimestamp: new Date(),
          },
        ],
      });
    const plan = await new CloudFormationStack(
      new CloudFormationClient({ region: 'eu-central-1' }),
      'Lsi-p',
    ).plan();
    expect(plan).toEqual({
      stackName: 'Lsi-p',
      buckets: ['drop', 'logs'],
      tables: ['results'],
      keys: ['key-1'],
      resultsTable: 'results',
    });
  });

  it('treats "stack does not exist" as deleted, on describe and on a rerun of delete', async () => {
    const gone = new Error('Stack with id Lsi-p does not exist');
    gone.name = 'ValidationError';
    cfn.on(DescribeStacksCommand).rejects(gone);
    const stack = new CloudFormationStack(new CloudFormationClient({ region: 'eu-central-1' }), 'Lsi-p');
    expect(await stack.describe()).toEqual({ exists: false });
    expect(await stack.delete()).toBe(false);
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });

  it('deletes the stack and waits for DELETE_COMPLETE', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce({
        Stacks: [{ StackName: 'Lsi-p', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date() }],
      })
      .resolves({
        Stacks: [{ StackName: 'Lsi-p', StackStatus: 'DELETE_COMPLETE', CreationTime: new Date() }],
      });
    cfn.on(DeleteStackCommand).resolves({});
    const stack = new CloudFormationStack(new CloudFormationClient({ region: 'eu-central-1' }), 'Lsi-p');
    expect(await stack.delete()).toBe(true);
    expect(cfn.commandCalls(DeleteStackCommand)[0]?.args[0].input).toEqual({ StackName: 'Lsi-p' });
  });
});

const plan = {
  stackName: 'Lsi-p',
  buckets: ['drop'],
  tables: ['results'],
  keys: ['key-1'],
  resultsTable: 'results',
};

function ports(): TeardownPorts & { saved: unknown[] } {
  const saved: unknown[] = [];
  let stored: ReturnType<typeof newDeletionRecord> | undefined;
  return {
    saved,
    objects: new S3ObjectStore(new S3Client({ region: 'eu-central-1' })),
    tables: new DynamoTables(new DynamoDBClient({ region: 'eu-central-1' }), docClient()),
    keys: new AwsKeyManager(new KMSClient({ region: 'eu-central-1' })),
    stack: {
      stackName: 'Lsi-p',
      plan: async () => plan,
      describe: async () => ({ exists: false }),
      delete: async () => false,
    },
    records: {
      location: 'memory',
      load: async () => stored,
      save: async (r) => {
        stored = structuredClone(r);
        saved.push(stored);
      },
    },
  };
}

describe('the teardown over the AWS adapters', () => {
  it('turns table protection and backups off before it disables the keys', async () => {
    const order: string[] = [];
    s3.on(ListObjectVersionsCommand).rejects(new NoSuchBucket({ message: 'gone', $metadata: {} }));
    s3.on(DeleteBucketCommand).rejects(new NoSuchBucket({ message: 'gone', $metadata: {} }));
    doc.on(QueryCommand).resolves({ Items: [] });
    ddb
      .on(DescribeTableCommand)
      .resolves({ Table: { TableName: 'results', DeletionProtectionEnabled: true } });
    ddb.on(UpdateTableCommand).callsFake(() => {
      order.push('unprotect');
      return {};
    });
    ddb.on(UpdateContinuousBackupsCommand).callsFake(() => {
      order.push('pitr-off');
      return {};
    });
    kms.on(DescribeKeyCommand).resolves({
      KeyMetadata: { KeyId: 'key-1', Arn: 'arn:aws:kms:eu-central-1:1:key/key-1', KeyState: 'Enabled' },
    });
    kms.on(DisableKeyCommand).callsFake(() => {
      order.push('disable-key');
      return {};
    });
    // Stop the run at the table deletion: what matters here is what happened before.
    ddb.on(DeleteTableCommand).rejects(Object.assign(new Error('stop'), { name: 'Stop' }));
    const p = ports();
    await expect(
      runTeardown(p, { projectId: 'p', environment: 'aws', trigger: 'close-date' }),
    ).rejects.toThrow(/delete-tables/);
    expect(order.slice(0, 3)).toEqual(['unprotect', 'pitr-off', 'disable-key']);
  });

  it('does not schedule a key already pending deletion again (KMSInvalidStateException would follow)', async () => {
    const deletionDate = new Date(Date.now() + 7 * 24 * 3600 * 1000);
    s3.on(ListObjectVersionsCommand).rejects(new NoSuchBucket({ message: 'gone', $metadata: {} }));
    s3.on(DeleteBucketCommand).rejects(new NoSuchBucket({ message: 'gone', $metadata: {} }));
    ddb.on(DescribeTableCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    doc.on(QueryCommand).resolves({ Items: [] });
    kms.on(DescribeKeyCommand).resolves({
      KeyMetadata: {
        KeyId: 'key-1',
        Arn: 'arn:aws:kms:eu-central-1:1:key/key-1',
        KeyState: 'PendingDeletion',
        DeletionDate: deletionDate,
      },
    });
    kms
      .on(DisableKeyCommand)
      .rejects(new KMSInvalidStateException({ message: 'pending deletion', $metadata: {} }));
    kms
      .on(ScheduleKeyDeletionCommand)
      .rejects(new KMSInvalidStateException({ message: 'pending deletion', $metadata: {} }));
    const p = ports();
    const record = await runTeardown(p, { projectId: 'p', environment: 'aws', trigger: 'close-date' });
    expect(record.status).toBe('complete');
    expect(kms.commandCalls(DisableKeyCommand)).toHaveLength(0);
    expect(kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(0);
    expect(record.deleted.buckets).toEqual([
      { name: 'drop', objectVersions: 0, deleteMarkers: 0, deletedNow: false },
    ]);
    expect(record.deleted.tables).toEqual([{ name: 'results', deletedNow: false }]);
    expect(record.verification?.keys).toEqual([
      { keyId: 'key-1', state: 'PendingDeletion', deletionDate: deletionDate.toISOString(), ok: true },
    ]);
  });

  it('records the failed step and the error name when KMS refuses, then finishes on the rerun', async () => {
    s3.on(ListObjectVersionsCommand).rejects(new NoSuchBucket({ message: 'gone', $metadata: {} }));
    s3.on(DeleteBucketCommand).rejects(new NoSuchBucket({ message: 'gone', $metadata: {} }));
    ddb.on(DescribeTableCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    doc.on(QueryCommand).resolves({ Items: [] });
    const meta = { KeyId: 'key-1', Arn: 'arn:aws:kms:eu-central-1:1:key/key-1' };
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { ...meta, KeyState: 'Enabled' } });
    kms
      .on(DisableKeyCommand)
      .rejectsOnce(new KMSInvalidStateException({ message: 'x', $metadata: {} }))
      .resolves({});
    const p = ports();
    await expect(
      runTeardown(p, { projectId: 'p', environment: 'aws', trigger: 'close-date' }),
    ).rejects.toThrow(/disable-keys/);
    const deletionDate = new Date(Date.now() + 7 * 24 * 3600 * 1000 + 1000);
    kms.on(DescribeKeyCommand).resolvesOnce({ KeyMetadata: { ...meta, KeyState: 'Enabled' } });
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { ...meta, KeyState: 'Disabled' } });
    kms.on(ScheduleKeyDeletionCommand).callsFake(() => {
      kms
        .on(DescribeKeyCommand)
        .resolves({ KeyMetadata: { ...meta, KeyState: 'PendingDeletion', DeletionDate: deletionDate } });
      return { KeyId: 'key-1', DeletionDate: deletionDate };
    });
    const record = await runTeardown(p, { projectId: 'p', environment: 'aws', trigger: 'close-date' });
    expect(record.attempts.map((a) => [a.outcome, a.failedStep ?? null, a.error ?? null])).toEqual([
      ['failed', 'disable-keys', 'KMSInvalidStateException'],
      ['complete', null, null],
    ]);
    expect(record.steps['disable-keys']).toMatchObject({ status: 'done', attempts: 2 });
    expect(kms.commandCalls(ScheduleKeyDeletionCommand)[0]?.args[0].input).toEqual({
      KeyId: 'arn:aws:kms:eu-central-1:1:key/key-1',
      PendingWindowInDays: 7,
    });
    expect(record.verification?.passed).toBe(true);
  });
});

describe('DynamoRecordStore and the handler', () => {
  it('keeps the record as one item per project and reads it back', async () => {
    const record = newDeletionRecord(
      'p',
      'aws',
      { stackName: 'Lsi-p', buckets: [], tables: [], keys: [] },
      new Date(),
      [],
    );
    doc.on(PutCommand).resolves({});
    doc
      .on(GetCommand)
      .resolves({ Item: { pk: 'PROJECT#p', sk: 'DELETION-RECORD', record: JSON.stringify(record) } });
    const store = new DynamoRecordStore(docClient(), 'records');
    await store.save(record);
    expect(doc.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      pk: 'PROJECT#p',
      sk: 'DELETION-RECORD',
      status: 'in-progress',
    });
    expect(await store.load('p')).toEqual(record);
  });

  it('refuses an event for another project, and anything but confirm, dryRun or the schedule', async () => {
    const handler = createTeardownHandler(() => ({
      projectId: 'p',
      stackName: 'Lsi-p',
      log: { info: () => {}, warn: () => {}, error: () => {} },
      ports: ports(),
    }));
    await expect(handler({ confirm: true, projectId: 'q' })).rejects.toThrow(/ander project/);
    await expect(handler({ delete: 'everything' })).rejects.toThrow(/Ongeldig verzoek/);
    await expect(handler({ trigger: 'close-date', projectId: 'p', stackName: 'Lsi-q' })).rejects.toThrow(
      /andere stack/,
    );
  });
});
