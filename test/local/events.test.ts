import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  connectTemplateRoutes,
  eventBridgeBuckets,
  matchesEventPattern,
  s3EventRoutes,
  toObjectCreatedEvents,
} from '../../lib/local/events.ts';
import { type LocalRuntime, startLocalRuntime } from '../../lib/local/index.ts';
import { LocalTemplate } from '../../lib/local/template.ts';
import { synthFixtureTemplate } from './fixture-stack.ts';

describe('matchesEventPattern', () => {
  const event = {
    source: 'aws.s3',
    'detail-type': 'Object Created',
    detail: { bucket: { name: 'drop' }, object: { key: 'partners/a/uploads/x.csv', size: 5 } },
  };
  it.each([
    [{ source: ['aws.s3'] }, true],
    [{ source: ['aws.ec2'] }, false],
    [{ detail: { bucket: { name: ['drop', 'other'] } } }, true],
    [{ detail: { object: { key: [{ prefix: 'partners/' }] } } }, true],
    [{ detail: { object: { key: [{ suffix: '.csv' }] } } }, true],
    [{ detail: { object: { key: [{ wildcard: 'partners/*/uploads/*' }] } } }, true],
    [{ detail: { object: { key: [{ wildcard: 'partners/*/reports/*' }] } } }, false],
    [{ detail: { object: { 'version-id': [{ exists: false }] } } }, true],
    [{ detail: { object: { size: [{ exists: true }] } } }, true],
    [{ detail: { bucket: { name: [{ 'anything-but': ['drop'] }] } } }, false],
    [{ detail: { bucket: { name: [{ 'equals-ignore-case': 'DROP' }] } } }, true],
    [{ detail: { object: { size: [5] } } }, true],
  ])('%j → %s', (pattern, expected) => {
    expect(matchesEventPattern(pattern, event)).toBe(expected);
  });

  it('refuses a matcher it does not know rather than guessing', () => {
    expect(() =>
      matchesEventPattern({ detail: { object: { size: [{ numeric: ['>', 1] }] } } }, event),
    ).toThrow(/does not support the EventBridge matcher numeric/);
  });
});

describe('toObjectCreatedEvents', () => {
  it('ignores object-removed records and rejects what is not an s3rver notification', () => {
    const removed = {
      Records: [
        {
          eventName: 'ObjectRemoved:Delete',
          eventTime: new Date().toISOString(),
          s3: { bucket: { name: 'b' }, object: { key: 'k' } },
        },
      ],
    };
    expect(toObjectCreatedEvents(removed)).toEqual([]);
    expect(() => toObjectCreatedEvents({ nope: true })).toThrow();
  });
});

describe('template routing (S3 → EventBridge rule → Lambda)', () => {
  let dir: string;
  let runtime: LocalRuntime;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lsi-local-events-'));
    runtime = await startLocalRuntime({ template: synthFixtureTemplate(), dir, stackName: 'LocalFixture' });
  });
  afterAll(async () => {
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the EventBridge-enabled buckets (Custom::S3BucketNotifications or the bucket property)', () => {
    const { template } = runtime;
    expect(eventBridgeBuckets(template)).toEqual([template.find('AWS::S3::Bucket', 'DropZone').physicalName]);
    const direct = LocalTemplate.from({
      Resources: {
        B: {
          Type: 'AWS::S3::Bucket',
          Properties: {
            NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
          },
        },
        C: { Type: 'AWS::S3::Bucket' },
      },
    });
    expect(eventBridgeBuckets(direct)).toEqual([direct.get('B').physicalName]);
  });

  it('delivers matching uploads to the rule target with a Lambda context; others not at all', async () => {
    const { template, clients } = runtime;
    const routes = s3EventRoutes(template);
    const uploadFn = template.find('AWS::Lambda::Function', 'UploadFn');
    expect(routes.map((r) => r.functionLogicalIds)).toEqual([[uploadFn.logicalId]]);

    const seen: Array<{ key: string; functionName: string }> = [];
    const bridge = connectTemplateRoutes(runtime.services, template, {
      handlers: {
        UploadFn: async (event, context) => {
          const { detail } = z
            .object({ detail: z.object({ object: z.object({ key: z.string() }) }) })
            .parse(event);
          seen.push({ key: detail.object.key, functionName: context.functionName });
        },
      },
    });
    try {
      const drop = template.find('AWS::S3::Bucket', 'DropZone').physicalName;
      const plain = template.find('AWS::S3::Bucket', 'Plain').physicalName;
      await clients.s3.send(
        new PutObjectCommand({ Bucket: drop, Key: 'partners/a/uploads/1.csv', Body: 'x' }),
      );
      await clients.s3.send(
        new PutObjectCommand({ Bucket: drop, Key: 'partners/a/reports/1.json', Body: 'x' }),
      );
      await clients.s3.send(
        new PutObjectCommand({ Bucket: plain, Key: 'partners/a/uploads/2.csv', Body: 'x' }),
      );
      await bridge.drain();
      expect(seen).toEqual([{ key: 'partners/a/uploads/1.csv', functionName: uploadFn.physicalName }]);
      expect(bridge.stats()).toMatchObject({ received: 1, delivered: 1, failed: 0 });
    } finally {
      bridge.close();
    }
  });

  it('refuses to route to a function without a local handler', () => {
    expect(() => connectTemplateRoutes(runtime.services, runtime.template, { handlers: {} })).toThrow(
      /no local handler for the functions S3 events are routed to: UploadFn/,
    );
  });
});
