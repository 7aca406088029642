/**
 * Handlers' error paths, with the SDK clients mocked (aws-sdk-client-mock). The happy paths run for
 * real on the embedded stack in test/e2e/pipeline.test.ts.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists } from '@aws-sdk/client-sfn';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { putAll, UnprocessedItemsError } from '../../lambdas/adapters/dynamo.ts';
import { memoryLog } from '../../lambdas/adapters/log.ts';
import { ObjectNotFound } from '../../lambdas/adapters/s3.ts';
import { createDeliveryCompleteHandler } from '../../lambdas/handlers/delivery-complete.ts';
import { ConfigError, configFromEnv, type Deps } from '../../lambdas/handlers/deps.ts';
import { createRecordFailureHandler } from '../../lambdas/handlers/record-failure.ts';
import { createUploadReceivedHandler } from '../../lambdas/handlers/upload-received.ts';
import { createUploadUrlHandler, partnerOfCaller } from '../../lambdas/handlers/upload-url.ts';

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-central-1' }));
const ddbMock = mockClient(DynamoDBDocumentClient);
const s3 = new S3Client({ region: 'eu-central-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const s3Mock = mockClient(S3Client);

afterEach(() => {
  ddbMock.reset();
  s3Mock.reset();
});

const ROLE = (id: string) => `arn:aws:iam::123456789012:role/Lsi-x-Upload${id}-ABC`;
const ENV = {
  PROJECT_ID: 'rdam-zuid-2027',
  PROJECT_CONFIG: JSON.stringify({
    projectId: 'rdam-zuid-2027',
    name: 'LSI',
    subject: 's',
    area: ['3071-3089'],
    partners: [
      { id: 'gemeente', name: 'G' },
      { id: 'uwv', name: 'U' },
    ],
  }),
  DROP_BUCKET: 'drop',
  PARTNER_KEYS: JSON.stringify({
    gemeente: 'arn:aws:kms:eu-central-1:123456789012:key/g',
    uwv: 'arn:aws:kms:eu-central-1:123456789012:key/u',
  }),
  PARTNER_UPLOAD_ROLES: JSON.stringify({ gemeente: ROLE('gemeente'), uwv: ROLE('uwv') }),
  STATUS_TABLE: 'status',
  RESULTS_TABLE: 'results',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-central-1:123456789012:stateMachine:x',
  MAX_UPLOAD_BYTES: '1000',
};

function deps(overrides: Partial<Deps> = {}): Deps {
  return {
    config: configFromEnv(ENV),
    s3,
    doc,
    startExecution: vi.fn(async () => {}),
    partnerS3: async () => s3,
    checkRound: vi.fn(async () => {}),
    notify: vi.fn(async () => {}),
    log: memoryLog(),
    now: () => new Date('2027-01-15T10:00:00Z'),
    random: (n) => new Uint8Array(n).fill(7),
    ...overrides,
  };
}

function urlEvent(callerRole: string, body: unknown) {
  return {
    body: typeof body === 'string' ? body : JSON.stringify(body),
    requestContext: {
      authorizer: { iam: { userArn: `arn:aws:sts::123456789012:assumed-role/${callerRole}/session` } },
    },
  };
}

describe('configFromEnv', () => {
  it('names the variable that is wrong', () => {
    expect(() => configFromEnv({ ...ENV, PARTNER_KEYS: '{not json' })).toThrow(ConfigError);
    expect(() => configFromEnv({ ...ENV, PARTNER_KEYS: '{not json' })).toThrow(/PARTNER_KEYS/);
    expect(() => configFromEnv({})).toThrow(/PROJECT_ID/);
  });
});

describe('upload-url', () => {
  const handler = (d = deps()) => createUploadUrlHandler(() => d);

  it('maps the caller’s assumed upload role to its partner, and nobody else', () => {
    const roles = { gemeente: ROLE('gemeente'), uwv: ROLE('uwv') };
    expect(partnerOfCaller('arn:aws:sts::123456789012:assumed-role/Lsi-x-Uploaduwv-ABC/s', roles)).toBe(
      'uwv',
    );
    expect(partnerOfCaller('arn:aws:sts::999999999999:assumed-role/Lsi-x-Uploaduwv-ABC/s', roles)).toBeNull();
    expect(partnerOfCaller('arn:aws:iam::123456789012:user/admin', roles)).toBeNull();
  });

  it('refuses a caller that is no partner', async () => {
    const r = await handler()(urlEvent('SomeoneElse', { action: 'status' }));
    expect(r.statusCode).toBe(403);
  });

  it.each([
    ['not json', '{', 400, /geen geldige JSON/],
    ['a bad file name', { action: 'upload-url', name: '../x.csv', size: 10 }, 400, /name/],
    ['no .csv', { action: 'upload-url', name: 'x.xlsx', size: 10 }, 400, /\.csv/],
    ['an unknown action', { action: 'delete' }, 400, /action/],
  ])('answers %s with a clear 400', async (_what, body, status, message) => {
    const r = await handler()(urlEvent('Lsi-x-Uploadgemeente-ABC', body));
    expect(r.statusCode).toBe(status);
    expect(JSON.parse(r.body).fout).toMatch(message);
  });

  it('refuses files over the size limit and uploads to a round that is linked', async () => {
    ddbMock.on(GetCommand).resolves({});
    const big = await handler()(
      urlEvent('Lsi-x-Uploadgemeente-ABC', { action: 'upload-url', name: 'a.csv', size: 5000 }),
    );
    expect(big.statusCode).toBe(413);
    ddbMock.on(GetCommand).resolves({
      Item: {
        executionName: 'x',
        input: '{}',
        reason: 'compleet',
        state: 'gestart',
        startedAt: 't',
        attempt: 1,
      },
    });
    const linked = await handler()(
      urlEvent('Lsi-x-Uploadgemeente-ABC', { action: 'upload-url', name: 'a.csv', size: 50 }),
    );
    expect(linked.statusCode).toBe(409);
  });

  it('signs a URL for a server-generated key under the caller’s own prefix, with its own key and size, and never logs it', async () => {
    ddbMock.on(GetCommand).resolves({});
    ddbMock.on(PutCommand).resolves({});
    const log = memoryLog();
    const d = deps({ log });
    const r = await handler(d)(
      urlEvent('Lsi-x-Uploadgemeente-ABC', {
        action: 'upload-url',
        name: '../../evil.csv'.slice(6),
        size: 50,
      }),
    );
    expect(r.statusCode).toBe(200);
    const body = JSON.parse(r.body);
    const url = new URL(body.url);
    expect(url.pathname).toMatch(
      /^\/drop\/partners\/gemeente\/uploads\/ronde-0001\/\d{13}-[0-9a-f]{16}\.csv$|^\/partners\/gemeente\/uploads\/ronde-0001\/\d{13}-[0-9a-f]{16}\.csv$/,
    );
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toContain('content-length');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toContain(
      'x-amz-server-side-encryption-aws-kms-key-id',
    );
    expect(body.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe(
      'arn:aws:kms:eu-central-1:123456789012:key/g',
    );
    expect(ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({ TableName: 'status', ConditionExpression: 'attribute_not_exists(pk)' }),
    ]);
    expect(log.lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(log.lines)).not.toContain('X-Amz-Signature');
  });
});

describe('upload-received', () => {
  const event = (key: string, bucket = 'drop') => ({
    'detail-type': 'Object Created',
    source: 'aws.s3',
    detail: { bucket: { name: bucket }, object: { key } },
  });

  it('ignores objects that are not uploads of this project', async () => {
    const h = createUploadReceivedHandler(() => deps());
    expect(await h(event('partners/gemeente/reports/ronde-0001/1.json'))).toEqual({ ignored: true });
    expect(
      await h(event('partners/gemeente/uploads/ronde-0001/1796415808523-e9691c85809e7228.csv', 'other')),
    ).toEqual({
      ignored: true,
    });
    expect(await h(event('partners/svb/uploads/ronde-0001/1796415808523-e9691c85809e7228.csv'))).toEqual({
      ignored: true,
    });
  });

  it('fails (for EventBridge to retry) when the object is gone', async () => {
    ddbMock.on(GetCommand).resolves({});
    s3Mock.on(GetObjectCommand).rejects(Object.assign(new Error('gone'), { name: 'NoSuchKey' }));
    const h = createUploadReceivedHandler(() => deps());
    await expect(
      h(event('partners/uwv/uploads/ronde-0001/1796415808523-e9691c85809e7228.csv')),
    ).rejects.toBeInstanceOf(ObjectNotFound);
  });
});

describe('delivery-complete', () => {
  it('waits while partners are still open, naming them', async () => {
    ddbMock.on(GetCommand).resolves({});
    ddbMock.on(QueryCommand).resolves({ Items: [{ partner: 'uwv', complete: true }] });
    const d = deps();
    const r = await createDeliveryCompleteHandler(() => d)({ action: 'check', round: 1 });
    expect(r).toEqual({ round: 1, started: false, waitingFor: ['gemeente'] });
    expect(d.startExecution).not.toHaveBeenCalled();
  });

  it('treats ExecutionAlreadyExists as started, and a lost claim as someone else’s start', async () => {
    ddbMock
      .on(GetCommand)
      .resolvesOnce({})
      .resolves({
        Item: {
          executionName: 'rdam-zuid-2027-ronde-0001',
          input: '{"x":1}',
          reason: 'compleet',
          state: 'gestart',
          startedAt: 't',
          attempt: 1,
        },
      });
    ddbMock
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'ROUND#0001', ':p': 'UPLOAD#' } })
      .resolves({ Items: [{ partner: 'uwv', uploadId: '1', name: 'a.csv', key: 'k', status: 'accepted' }] })
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'ROUND#0001', ':p': 'PARTNER#' } })
      .resolves({
        Items: [
          { partner: 'gemeente', complete: true },
          { partner: 'uwv', complete: true },
        ],
      });
    ddbMock.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    const startExecution = vi.fn(async () => {
      throw new ExecutionAlreadyExists({ message: 'exists', $metadata: {} });
    });
    const r = await createDeliveryCompleteHandler(() => deps({ startExecution }))({
      action: 'start',
      round: 1,
    });
    expect(r).toMatchObject({ started: true, executionName: 'rdam-zuid-2027-ronde-0001' });
    expect(startExecution).toHaveBeenCalledWith(
      expect.objectContaining({ name: 'rdam-zuid-2027-ronde-0001', input: '{"x":1}' }),
    );
  });

  it('rejects a partner that is not in the project', async () => {
    await expect(
      createDeliveryCompleteHandler(() => deps())({ action: 'complete', round: 1, partner: 'svb' }),
    ).rejects.toThrow(/geen ketenpartner/);
  });
});

describe('putAll', () => {
  it('retries unprocessed items until all are written', async () => {
    ddbMock
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { t: [{ PutRequest: { Item: { pk: 'a' } } }] } })
      .resolves({});
    await putAll(doc, 't', [{ pk: 'a' }, { pk: 'b' }], { backoffMs: 1 });
    expect(ddbMock.commandCalls(BatchWriteCommand)).toHaveLength(2);
  });

  it('gives up loudly instead of losing items', async () => {
    ddbMock
      .on(BatchWriteCommand)
      .resolves({ UnprocessedItems: { t: [{ PutRequest: { Item: { pk: 'a' } } }] } });
    await expect(putAll(doc, 't', [{ pk: 'a' }], { backoffMs: 1, maxAttempts: 3 })).rejects.toBeInstanceOf(
      UnprocessedItemsError,
    );
  });
});

describe('record-failure', () => {
  it('keeps only the error name, and tolerates a round without a claim', async () => {
    ddbMock.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    const d = deps();
    await createRecordFailureHandler(() => d)({
      round: 1,
      error: { Error: 'States.TaskFailed 3071AB-12', Cause: 'secret' },
    });
    expect(d.notify).toHaveBeenCalledWith(
      expect.stringContaining('mislukt'),
      expect.not.stringContaining('3071AB'),
    );
  });
});
