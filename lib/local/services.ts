/**
 * The embedded AWS services for a run without an AWS account: DynamoDB (dynalite) and S3 (s3rver),
 * both speaking the AWS wire protocol on loopback, so the same SDK v3 calls work unchanged.
 *
 * Known gaps (see ARCHITECTURE.md): dynalite has no TransactWriteItems and no UpdateTimeToLive;
 * s3rver checks no signatures and ignores SSE headers.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, type TranslateConfig } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import S3rver from 's3rver';

/** The region every local client and every local ARN uses. */
export const LOCAL_REGION = 'eu-central-1';
/** The account id every local ARN uses (deterministic, obviously not a real account). */
export const LOCAL_ACCOUNT_ID = '000000000000';
/** Dummy static credentials: neither dynalite nor s3rver verifies signatures. */
export const LOCAL_CREDENTIALS: Readonly<{ accessKeyId: string; secretAccessKey: string }> = {
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
};

export interface EmbeddedServicesOptions {
  /** Base directory: S3 objects live under `<dir>/s3`, a persisted DynamoDB under `<dir>/dynamodb`. */
  dir: string;
  /** Port for DynamoDB; 0 (the default) picks a free port. */
  dynamoPort?: number;
  /** Port for S3; 0 (the default) picks a free port. */
  s3Port?: number;
  /** Loopback by default; the services are unauthenticated, never bind them to a public address. */
  host?: string;
  /**
   * Keep DynamoDB on disk under `<dir>/dynamodb` (so `lsi local up` keeps state between commands)
   * instead of in memory. Only one process can hold a persisted store at a time.
   */
  persistDynamo?: boolean;
}

export interface EmbeddedEndpoints {
  dynamoEndpoint: string;
  s3Endpoint: string;
}

/** A raw notification record batch as s3rver emits it (shape checked in events.ts). */
export type RawS3Notification = unknown;

export interface EmbeddedServices extends EmbeddedEndpoints {
  host: string;
  dynamoPort: number;
  s3Port: number;
  dir: string;
  /** Subscribe to s3rver's object notifications; returns an unsubscribe function. */
  onS3Notification(listener: (notification: RawS3Notification) => void): () => void;
  stop(): Promise<void>;
}

type ServiceName = 'DynamoDB' | 'S3';

/** A port is taken. The message is meant for the user as is (Dutch, then English); no stack trace. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly service: ServiceName,
    readonly host: string,
    readonly port: number,
  ) {
    super(
      `Poort ${port} op ${host} (${service}) is al in gebruik. Stop het programma dat die poort gebruikt ` +
        `(misschien draait 'lsi local up' al), of kies een andere poort (0 = kies zelf een vrije poort).\n` +
        `Port ${port} on ${host} (${service}) is already in use. Stop the program that uses it ` +
        `(perhaps 'lsi local up' is already running), or choose another port (0 = pick a free one).`,
    );
    // The message says all there is to say; keep a stack trace out of the user's terminal.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** A persisted store is already held by another running process. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  constructor(
    readonly path: string,
    readonly pid: number,
  ) {
    super(
      `De lokale DynamoDB-gegevens in ${path} zijn in gebruik door proces ${pid} (draait 'lsi local up' al?). ` +
        `Gebruik die, of stop dat proces eerst.\n` +
        `The local DynamoDB data in ${path} is in use by process ${pid} (is 'lsi local up' already running?). ` +
        `Use that one, or stop that process first.`,
    );
    this.stack = `${this.name}: ${this.message}`;
  }
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') {
    return err.code;
  }
  return undefined;
}

function listen(server: Server, service: ServiceName, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: unknown): void => {
      server.off('listening', onListening);
      reject(errorCode(err) === 'EADDRINUSE' ? new PortInUseError(service, host, port) : err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      const address = server.address();
      if (address !== null && typeof address === 'object') resolve(address.port);
      else reject(new Error(`${service}: could not determine the listening port`));
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return errorCode(err) === 'EPERM';
  }
}

/**
 * dynalite opens its LevelDB lazily: a second process on the same directory only fails at the first
 * request, by throwing inside a stream callback (an uncaught exception). So claim the directory first.
 */
async function claimDataDir(path: string): Promise<() => Promise<void>> {
  const lockFile = join(path, 'lsi-local.pid');
  await mkdir(path, { recursive: true });
  try {
    await writeFile(lockFile, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') throw err;
    const holder = Number.parseInt(await readFile(lockFile, 'utf8'), 10);
    if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) throw new DataDirInUseError(path, holder);
    await writeFile(lockFile, String(process.pid)); // stale lock from a process that is gone
  }
  return () => rm(lockFile, { force: true });
}

/** Start dynalite and s3rver on loopback. Stop them with `stop()`. */
export async function startEmbeddedServices(options: EmbeddedServicesOptions): Promise<EmbeddedServices> {
  const host = options.host ?? '127.0.0.1';
  const s3Dir = join(options.dir, 's3');
  const dynamoDir = join(options.dir, 'dynamodb');
  await mkdir(s3Dir, { recursive: true });

  const cleanups: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'stopping the embedded services failed');
  };

  try {
    // S3 first: it holds no lock, so a failure here leaves nothing behind.
    const s3rver = new S3rver({ directory: s3Dir, silent: true });
    // Koa logs unhandled request errors itself unless the app has an 'error' listener; keep them quiet
    // (the SDK client sees the S3 error response).
    s3rver.on('error', () => {});
    const s3Server = createServer(s3rver.callback());
    const s3Port = await listen(s3Server, 'S3', options.s3Port ?? 0, host);
    cleanups.push(async () => {
      await close(s3Server);
      s3rver.logger.close();
    });

    if (options.persistDynamo) cleanups.push(await claimDataDir(dynamoDir));
    const dynamoServer = dynalite({
      ...(options.persistDynamo ? { path: dynamoDir } : {}),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
    // Note: if this fails, dynalite keeps its (already opened) store until the process exits; its
    // close() only closes the store of a listening server. The CLI exits on this error anyway.
    const dynamoPort = await listen(dynamoServer, 'DynamoDB', options.dynamoPort ?? 0, host);
    cleanups.push(() => close(dynamoServer));

    const urlHost = host.includes(':') ? `[${host}]` : host;
    return {
      host,
      dir: options.dir,
      dynamoPort,
      s3Port,
      dynamoEndpoint: `http://${urlHost}:${dynamoPort}`,
      s3Endpoint: `http://${urlHost}:${s3Port}`,
      onS3Notification(listener) {
        const safe = (notification: RawS3Notification): void => {
          try {
            listener(notification);
          } catch {
            // A listener must never take the S3 server down; events.ts counts its own failures.
          }
        };
        s3rver.on('event', safe);
        return () => {
          s3rver.off('event', safe);
        };
      },
      stop,
    };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

export interface LocalClients {
  dynamodb: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  s3: S3Client;
  destroy(): void;
}

/**
 * SDK v3 clients for the embedded services: built once, to be injected into adapters and handlers.
 * The S3 settings are the ones s3rver needs (path-style, checksums only when required).
 */
export function createLocalClients(
  endpoints: EmbeddedEndpoints,
  translateConfig?: TranslateConfig,
): LocalClients {
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 };
  const dynamodb = new DynamoDBClient({ ...common, endpoint: endpoints.dynamoEndpoint });
  const documentClient = DynamoDBDocumentClient.from(dynamodb, translateConfig);
  const s3 = new S3Client({
    ...common,
    endpoint: endpoints.s3Endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    dynamodb,
    documentClient,
    s3,
    destroy() {
      documentClient.destroy();
      dynamodb.destroy();
      s3.destroy();
    },
  };
}

/**
 * Environment variables that point an SDK v3 client built with no options (e.g. a handler module that
 * builds its clients at load, or one run in a child process) at the embedded services. Checked: with
 * these, `new S3Client({})` and `new DynamoDBClient({})` work against s3rver and dynalite; on an IP
 * endpoint such as 127.0.0.1 the S3 client uses path-style addressing by itself (a hostname such as
 * `localhost` would need `forcePathStyle: true`, for which the JS SDK reads no variable).
 */
export function localAwsEnvironment(endpoints: EmbeddedEndpoints): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoEndpoint,
    AWS_ENDPOINT_URL_S3: endpoints.s3Endpoint,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  };
}
