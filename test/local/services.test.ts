import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createLocalClients,
  DataDirInUseError,
  type EmbeddedServices,
  PortInUseError,
  startEmbeddedServices,
} from '../../lib/local/services.ts';

let dir: string;
const started: EmbeddedServices[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lsi-local-services-'));
});
afterEach(async () => {
  for (const services of started.splice(0)) await services.stop();
  await rm(dir, { recursive: true, force: true });
});

async function start(options: Partial<Parameters<typeof startEmbeddedServices>[0]> = {}) {
  const services = await startEmbeddedServices({ dir, host: '127.0.0.1', ...options });
  started.push(services);
  return services;
}

function occupy(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address !== null && typeof address === 'object') resolve({ server, port: address.port });
      else reject(new Error('no port'));
    });
  });
}

describe('startEmbeddedServices', () => {
  it('starts DynamoDB and S3 on free loopback ports, usable with the SDK, and stops them', async () => {
    const services = await start();
    expect(services.dynamoPort).toBeGreaterThan(0);
    expect(services.s3Port).toBeGreaterThan(0);
    expect(services.dynamoPort).not.toBe(services.s3Port);
    expect(services.dynamoEndpoint).toBe(`http://127.0.0.1:${services.dynamoPort}`);

    const clients = createLocalClients(services);
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: 'probe',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    expect((await clients.dynamodb.send(new ListTablesCommand({}))).TableNames).toEqual(['probe']);
    await clients.s3.send(new CreateBucketCommand({ Bucket: 'probe-bucket' }));
    await clients.s3.send(new PutObjectCommand({ Bucket: 'probe-bucket', Key: 'a/b.txt', Body: 'hello' }));
    const got = await clients.s3.send(new GetObjectCommand({ Bucket: 'probe-bucket', Key: 'a/b.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello');
    clients.destroy();

    await services.stop();
    started.splice(started.indexOf(services), 1);
    const after = createLocalClients(services);
    await expect(after.s3.send(new ListBucketsCommand({}))).rejects.toThrow();
    after.destroy();
  });

  it('says clearly, in Dutch and English, which port is taken and what to do', async () => {
    const { server, port } = await occupy();
    try {
      const error = await start({ dynamoPort: port }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(PortInUseError);
      const message = error instanceof Error ? error.message : '';
      expect(message).toContain(`Poort ${port} op 127.0.0.1 (DynamoDB) is al in gebruik`);
      expect(message).toContain(`Port ${port} on 127.0.0.1 (DynamoDB) is already in use`);
      expect(message).toContain('choose another port');
      expect(error instanceof Error ? error.stack : '').not.toMatch(/\n\s+at /);

      const s3Error = await start({ s3Port: port }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(s3Error).toBeInstanceOf(PortInUseError);
      expect(s3Error instanceof Error ? s3Error.message : '').toContain(`(S3)`);
    } finally {
      server.close();
    }
    // Nothing was left running: the directory can be used again at once.
    const services = await start({ persistDynamo: true });
    expect(services.dynamoPort).toBeGreaterThan(0);
  });

  it('keeps DynamoDB state on disk between runs when persisted, and refuses a second holder', async () => {
    const first = await start({ persistDynamo: true });
    const clients = createLocalClients(first);
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: 'kept',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    clients.destroy();

    // The lock file is held by a live process (this one): a second start must not open the store.
    await expect(start({ persistDynamo: true })).rejects.toBeInstanceOf(DataDirInUseError);

    await first.stop();
    started.splice(started.indexOf(first), 1);

    const second = await start({ persistDynamo: true });
    const again = createLocalClients(second);
    expect((await again.dynamodb.send(new ListTablesCommand({}))).TableNames).toEqual(['kept']);
    again.destroy();
  });

  it('keeps DynamoDB in memory by default', async () => {
    const first = await start();
    const clients = createLocalClients(first);
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: 'gone',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    clients.destroy();
    await first.stop();
    started.splice(started.indexOf(first), 1);
    const second = await start();
    const again = createLocalClients(second);
    expect((await again.dynamodb.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    again.destroy();
  });
});
