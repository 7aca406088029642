import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists } from '@aws-sdk/client-sfn';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  connectObjectCreated,
  type LocalRuntime,
  LocalStateMachine,
  type ObjectCreatedEvent,
  type StartedExecution,
  startLocalRuntime,
} from '../../lib/local/index.ts';
import { synthFixtureTemplate } from './fixture-stack.ts';

let dir: string;
let runtime: LocalRuntime;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lsi-local-runtime-'));
  runtime = await startLocalRuntime({ template: synthFixtureTemplate(), dir, stackName: 'LocalFixture' });
});
afterAll(async () => {
  await runtime?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('startLocalRuntime (the pieces together)', () => {
  it('upload → event → delivery records → exactly one execution → results in the table', async () => {
    const { template, clients } = runtime;
    const TableName = template.find('AWS::DynamoDB::Table', 'Deliveries').physicalName;
    const Bucket = template.find('AWS::S3::Bucket', 'DropZone').physicalName;
    const partners = ['ggd', 'woco', 'po'];
    expect([...(await runtime.keys.keysByLogicalId()).values()].map((k) => k.state)).toEqual([
      'Enabled',
      'Enabled',
    ]);

    const sm = new LocalStateMachine({
      template,
      registry: runtime.executions,
      handlers: {
        ValidateFn: async (event) => {
          const { partner } = z.object({ partner: z.string() }).parse(event);
          return { partner, rows: 1 };
        },
        LinkFn: async (event) => {
          const { round, validated } = z
            .object({ round: z.string(), validated: z.array(z.object({ partner: z.string() })) })
            .parse(event);
          await clients.documentClient.send(
            new PutCommand({ TableName, Item: { pk: `RESULT#${round}`, sk: 'LINK', round, partner: 'all' } }),
          );
          return { partners: validated.length };
        },
      },
    });

    // The "upload received" handler: record the delivery; when all are in, start the one execution.
    const executions: StartedExecution[] = [];
    let alreadyExists = 0;
    const bridge = connectObjectCreated(
      runtime.services,
      async (event: ObjectCreatedEvent) => {
        const [, partner = '', round = ''] = event.detail.object.key.split('/');
        await clients.documentClient.send(
          new PutCommand({
            TableName,
            Item: { pk: `DELIVERY#${round}#${partner}`, sk: 'D', round, partner },
          }),
        );
        const { Items = [] } = await clients.documentClient.send(
          new QueryCommand({
            TableName,
            IndexName: 'byRound',
            KeyConditionExpression: '#r = :r',
            ExpressionAttributeNames: { '#r': 'round' },
            ExpressionAttributeValues: { ':r': round },
          }),
        );
        if (new Set(Items.map((i) => i.partner)).size < partners.length) return;
        try {
          executions.push(
            sm.startExecution({
              name: `fixture-${round}`,
              input: { round, partners: partners.map((p) => ({ partner: p })) },
            }),
          );
        } catch (err) {
          if (!(err instanceof ExecutionAlreadyExists)) throw err;
          alreadyExists++;
        }
      },
      { buckets: [Bucket] },
    );
    try {
      for (const partner of partners) {
        const url = await getSignedUrl(
          clients.s3,
          new PutObjectCommand({ Bucket, Key: `partners/${partner}/r1/a.csv` }),
        );
        expect((await fetch(url, { method: 'PUT', body: `${partner}\n` })).status).toBe(200);
      }
      await bridge.drain();
      // A duplicate event (a re-upload) after completion starts nothing new.
      await clients.s3.send(
        new PutObjectCommand({ Bucket, Key: 'partners/po/r1/a.csv', Body: 'po again\n' }),
      );
      await bridge.drain();
      expect(bridge.stats()).toMatchObject({ delivered: 4, failed: 0 });

      // Concurrent deliveries may both see the round complete: one execution either way (a start with
      // the same name and input while it runs returns that execution; later it is ExecutionAlreadyExists).
      expect(new Set(executions.map((e) => e.executionArn)).size).toBe(1);
      expect(alreadyExists).toBeGreaterThanOrEqual(1);
      expect(runtime.executions.list()).toHaveLength(1);
      const result = await executions[0]?.done;
      expect(result?.status).toBe('SUCCEEDED');
      expect(result?.output).toMatchObject({ linked: { partners: 3 } });
      const { Items = [] } = await clients.documentClient.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'RESULT#r1' },
        }),
      );
      expect(Items).toHaveLength(1);
    } finally {
      bridge.close();
    }
  });
});
