import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectObjectCreated, type ObjectCreatedEvent } from '../../lib/local/events.ts';
import {
  createLocalClients,
  type EmbeddedServices,
  type LocalClients,
  startEmbeddedServices,
} from '../../lib/local/services.ts';
import {
  LocalTemplate,
  localBucketName,
  localTableName,
  provisionTemplate,
} from '../../lib/local/template.ts';
import { synthFixtureTemplate } from './fixture-stack.ts';

let dir: string;
let services: EmbeddedServices;
let clients: LocalClients;
let template: LocalTemplate;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lsi-local-template-'));
  services = await startEmbeddedServices({ dir, host: '127.0.0.1' });
  clients = createLocalClients(services);
  template = LocalTemplate.from(synthFixtureTemplate(), { stackName: 'LocalFixture' });
});
afterAll(async () => {
  clients?.destroy();
  await services?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('LocalTemplate', () => {
  it('rejects what is not a template', () => {
    expect(() => LocalTemplate.from({ Resources: 'nope' })).toThrow(/not a CloudFormation template/);
  });

  it('derives deterministic, valid physical names and ARNs', () => {
    const table = template.find('AWS::DynamoDB::Table', 'Deliveries');
    expect(table.physicalName).toMatch(/^LocalFixture-Deliveries[0-9A-F]{8}$/);
    expect(table.arn).toBe(`arn:aws:dynamodb:eu-central-1:000000000000:table/${table.physicalName}`);
    const bucket = template.find('AWS::S3::Bucket', 'DropZone');
    expect(bucket.physicalName).toMatch(/^localfixture-dropzone[0-9a-f]{8}$/);
    expect(bucket.arn).toBe(`arn:aws:s3:::${bucket.physicalName}`);
    const fn = template.find('AWS::Lambda::Function', 'LinkFn');
    expect(fn.arn).toBe(`arn:aws:lambda:eu-central-1:000000000000:function:LocalFixture-${fn.logicalId}`);
    expect(template.functionByArn(`${fn.arn}:$LATEST`)?.logicalId).toBe(fn.logicalId);
    expect(template.ofType('AWS::KMS::Key')).toHaveLength(2);
    // Same input, same names.
    const again = LocalTemplate.from(synthFixtureTemplate(), { stackName: 'LocalFixture' });
    expect(again.find('AWS::S3::Bucket', 'DropZone').physicalName).toBe(bucket.physicalName);
  });

  it('keeps generated names valid at the edges', () => {
    expect(localBucketName('A')).toMatch(/^[a-z0-9]{3}$/);
    const long = localBucketName(`Stack-${'X'.repeat(100)}`);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/);
    expect(localTableName('t')).toHaveLength(3);
    expect(localBucketName('My_Stack--Bucket..X')).toBe('my-stack-bucket-x');
  });

  it('resolves intrinsics: Ref, GetAtt, Join, Sub, Select, Split, If, pseudo parameters', () => {
    const t = LocalTemplate.from(
      {
        Parameters: { Env: { Type: 'String', Default: 'test' } },
        Conditions: { IsTest: { 'Fn::Equals': [{ Ref: 'Env' }, 'test'] } },
        Resources: {
          Tbl: {
            Type: 'AWS::DynamoDB::Table',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
            Properties: { TableName: { 'Fn::Sub': '${AWS::StackName}-tbl' } },
          },
          Fn: {
            Type: 'AWS::Lambda::Function',
            Properties: {
              Environment: {
                Variables: {
                  TABLE: { Ref: 'Tbl' },
                  STREAM: { 'Fn::GetAtt': ['Tbl', 'StreamArn'] },
                  JOINED: { 'Fn::Join': [':', [{ Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }]] },
                  // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
                  SUB: { 'Fn::Sub': ['${Tbl.Arn}/${X}/${!Literal}', { X: { Ref: 'AWS::Partition' } }] },
                  PICK: { 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] },
                  COND: { 'Fn::If': ['IsTest', 'yes', 'no'] },
                  GONE: { 'Fn::If': ['IsTest', { Ref: 'AWS::NoValue' }, 'kept'] },
                },
              },
            },
          },
        },
      },
      { stackName: 'demo' },
    );
    expect(t.functionEnvironment('Fn')).toEqual({
      TABLE: 'demo-tbl',
      STREAM: 'arn:aws:dynamodb:eu-central-1:000000000000:table/demo-tbl/stream/1970-01-01T00:00:00.000',
      JOINED: 'eu-central-1:000000000000',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      SUB: 'arn:aws:dynamodb:eu-central-1:000000000000:table/demo-tbl/aws/${Literal}',
      PICK: 'b',
      COND: 'yes',
    });
    expect(() => t.resolve({ 'Fn::Transform': {} })).toThrow(/does not support Fn::Transform/);
  });

  it('reads another stack’s outputs and exports (Fn::GetStackOutput, Fn::ImportValue)', () => {
    const producer = LocalTemplate.from(
      {
        Resources: { Role: { Type: 'AWS::IAM::Role' } },
        Outputs: {
          RoleArn: { Value: { 'Fn::GetAtt': ['Role', 'Arn'] }, Export: { Name: 'closer-role-arn' } },
        },
      },
      { stackName: 'closer' },
    );
    expect(producer.outputs()).toEqual({ RoleArn: 'arn:aws:iam::000000000000:role/closer-Role' });
    const consumer = LocalTemplate.from(
      {
        Resources: {
          Fn: {
            Type: 'AWS::Lambda::Function',
            Properties: {
              Environment: {
                Variables: {
                  A: { 'Fn::GetStackOutput': { StackName: 'closer', OutputName: 'RoleArn' } },
                  B: { 'Fn::ImportValue': 'closer-role-arn' },
                },
              },
              // Never needed locally, so never resolved: no error.
              Role: { 'Fn::GetStackOutput': { StackName: 'unknown', OutputName: 'X' } },
            },
          },
        },
      },
      { stackOutputs: { closer: producer.outputs() }, imports: producer.exports() },
    );
    expect(consumer.functionEnvironment('Fn')).toEqual({
      A: 'arn:aws:iam::000000000000:role/closer-Role',
      B: 'arn:aws:iam::000000000000:role/closer-Role',
    });
    expect(() => consumer.resolvedProperties('Fn')).toThrow(/no local value for output X of stack unknown/);
  });

  it('creates the tables (with GSI) and buckets idempotently, noting what differs locally', async () => {
    const first = await provisionTemplate(template, clients);
    expect(first.tables.map((t) => t.created)).toEqual([true]);
    expect(first.buckets.map((b) => b.created)).toEqual([true, true]);
    expect(first.notes.join('\n')).toMatch(/TTL on 'expiresAt' is not applied locally/);
    expect(first.notes.join('\n')).toMatch(/versioning is enabled/);

    const second = await provisionTemplate(template, clients);
    expect(second.tables.map((t) => t.created)).toEqual([false]);
    expect(second.buckets.map((b) => b.created)).toEqual([false, false]);

    const table = template.find('AWS::DynamoDB::Table', 'Deliveries');
    const described = await clients.dynamodb.send(
      new DescribeTableCommand({ TableName: table.physicalName }),
    );
    expect(described.Table?.GlobalSecondaryIndexes?.map((g) => g.IndexName)).toEqual(['byRound']);
    await clients.s3.send(
      new HeadBucketCommand({ Bucket: template.find('AWS::S3::Bucket', 'DropZone').physicalName }),
    );
  });

  it('the table is usable with the document client: put, then query the GSI', async () => {
    const TableName = template.find('AWS::DynamoDB::Table', 'Deliveries').physicalName;
    for (const partner of ['p-b', 'p-a', 'p-c']) {
      await clients.documentClient.send(
        new PutCommand({
          TableName,
          Item: { pk: `ROUND#1#${partner}`, sk: 'DELIVERY', round: 'r1', partner },
        }),
      );
    }
    await clients.documentClient.send(
      new PutCommand({ TableName, Item: { pk: 'ROUND#2#p-a', sk: 'DELIVERY', round: 'r2', partner: 'p-a' } }),
    );
    const { Items } = await clients.documentClient.send(
      new QueryCommand({
        TableName,
        IndexName: 'byRound',
        KeyConditionExpression: '#round = :round',
        ExpressionAttributeNames: { '#round': 'round' },
        ExpressionAttributeValues: { ':round': 'r1' },
      }),
    );
    expect(Items?.map((i) => i.partner)).toEqual(['p-a', 'p-b', 'p-c']);
  });

  it('a pre-signed PUT over HTTP reaches the handler as an EventBridge "Object Created" event', async () => {
    const Bucket = template.find('AWS::S3::Bucket', 'DropZone').physicalName;
    const received: ObjectCreatedEvent[] = [];
    const bridge = connectObjectCreated(
      services,
      (event) => {
        received.push(event);
      },
      { buckets: [Bucket] },
    );
    try {
      const Key = 'partners/p-a/round-1/3f2a.csv';
      const body = 'postcode;huisnummer\n1234AB;1\n';
      const url = await getSignedUrl(
        clients.s3,
        new PutObjectCommand({ Bucket, Key, ContentType: 'text/csv' }),
        {
          expiresIn: 300,
        },
      );
      expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('300');
      const response = await fetch(url, { method: 'PUT', body, headers: { 'content-type': 'text/csv' } });
      expect(response.status).toBe(200);
      await bridge.drain();

      expect(received).toHaveLength(1);
      const [event] = received;
      expect(event).toMatchObject({
        version: '0',
        'detail-type': 'Object Created',
        source: 'aws.s3',
        account: '000000000000',
        region: 'eu-central-1',
        resources: [`arn:aws:s3:::${Bucket}`],
        detail: {
          version: '0',
          bucket: { name: Bucket },
          object: { key: Key, size: Buffer.byteLength(body) },
          reason: 'PutObject',
        },
      });
      expect(event?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(event?.detail.object.etag).toMatch(/^[0-9a-f]{32}$/);
      expect(bridge.stats()).toMatchObject({ received: 1, delivered: 1, failed: 0, pending: 0 });

      // Other buckets are not delivered.
      await clients.s3.send(new CreateBucketCommand({ Bucket: 'elsewhere-bucket' }));
      await clients.s3.send(new PutObjectCommand({ Bucket: 'elsewhere-bucket', Key: 'x', Body: 'x' }));
      await clients.s3.send(new PutObjectCommand({ Bucket, Key: 'second.txt', Body: 'xy' }));
      await bridge.drain();
      expect(received.map((e) => e.detail.object.key)).toEqual([Key, 'second.txt']);
    } finally {
      bridge.close();
    }
  });

  it('a failing handler is retried, then counted and dead-lettered; the server keeps serving', async () => {
    const Bucket = template.find('AWS::S3::Bucket', 'DropZone').physicalName;
    let calls = 0;
    const letters: string[] = [];
    const bridge = connectObjectCreated(
      services,
      async () => {
        calls++;
        throw new TypeError('handler broke');
      },
      { buckets: [Bucket], onDeadLetter: (l) => letters.push(l.event.detail.object.key) },
    );
    try {
      await clients.s3.send(new PutObjectCommand({ Bucket, Key: 'bad.csv', Body: 'x' }));
      await bridge.drain();
      expect(calls).toBe(3);
      expect(bridge.stats()).toMatchObject({ received: 1, delivered: 0, failed: 1 });
      expect(bridge.deadLetters()[0]?.error).toEqual({ name: 'TypeError', message: 'handler broke' });
      expect(letters).toEqual(['bad.csv']);
      // Still serving.
      await clients.s3.send(new PutObjectCommand({ Bucket, Key: 'after.csv', Body: 'y' }));
      await bridge.drain();
      expect(bridge.stats().failed).toBe(2);
    } finally {
      bridge.close();
    }
  });
});
