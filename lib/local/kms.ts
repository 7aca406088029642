/**
 * A local stand-in for KMS (no emulator exists in reach): the same KeyManager port as the AWS adapter,
 * with key state persisted as JSON so that a teardown is observable afterwards (keys disabled,
 * deletion scheduled). It holds no key material: s3rver ignores SSE headers anyway.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  type CreateKeyInput,
  type KeyInfo,
  type KeyManager,
  MAX_PENDING_WINDOW_DAYS,
  MIN_PENDING_WINDOW_DAYS,
} from '../../lambdas/adapters/kms.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './services.ts';
import type { LocalTemplate } from './template.ts';

export type { CreateKeyInput, KeyInfo, KeyManager } from '../../lambdas/adapters/kms.ts';

const storedKey = z.object({
  keyId: z.string(),
  arn: z.string(),
  state: z.enum(['Enabled', 'Disabled', 'PendingDeletion']),
  description: z.string().optional(),
  tags: z.record(z.string(), z.string()).default({}),
  createdAt: z.iso.datetime(),
  deletionDate: z.iso.datetime().optional(),
  /** The template resource this key stands in for, if any. */
  logicalId: z.string().optional(),
});
type StoredKey = z.infer<typeof storedKey>;
const storeFile = z.object({ version: z.literal(1), keys: z.array(storedKey) });

/** Errors named as KMS names them, so callers handle both implementations alike. */
export class LocalKmsError extends Error {
  constructor(
    override readonly name: 'NotFoundException' | 'KMSInvalidStateException' | 'ValidationException',
    message: string,
  ) {
    super(message);
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;

export interface LocalKeyManagerOptions {
  /** Directory for `kms.json`. */
  dir: string;
  region?: string;
  accountId?: string;
  /** Clock, for tests. */
  now?: () => Date;
}

export class LocalKeyManager implements KeyManager {
  private readonly file: string;
  private readonly region: string;
  private readonly accountId: string;
  private readonly now: () => Date;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: LocalKeyManagerOptions) {
    this.file = join(options.dir, 'kms.json');
    this.region = options.region ?? LOCAL_REGION;
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
    this.now = options.now ?? (() => new Date());
  }

  createKey(input: CreateKeyInput = {}): Promise<KeyInfo> {
    return this.ensureKey(randomUUID(), input);
  }

  /**
   * Create the key with this id unless it exists (idempotent). The template helper uses it so that a
   * template's `Ref` to an AWS::KMS::Key (a deterministic local key id) names a key that exists.
   */
  ensureKey(
    keyId: string,
    input: CreateKeyInput & { logicalId?: string; arn?: string } = {},
  ): Promise<KeyInfo> {
    return this.update((keys) => {
      const existing = keys.find((k) => k.keyId === keyId);
      if (existing) return toInfo(existing);
      const key: StoredKey = {
        keyId,
        arn: input.arn ?? `arn:aws:kms:${this.region}:${this.accountId}:key/${keyId}`,
        state: 'Enabled',
        tags: input.tags ?? {},
        createdAt: this.now().toISOString(),
        ...(input.description ? { description: input.description } : {}),
        ...(input.logicalId ? { logicalId: input.logicalId } : {}),
      };
      keys.push(key);
      return toInfo(key);
    });
  }

  async describeKey(keyId: string): Promise<KeyInfo> {
    return toInfo(this.lookup(await this.read(), keyId));
  }

  async listKeys(): Promise<KeyInfo[]> {
    return (await this.read()).map(toInfo);
  }

  disableKey(keyId: string): Promise<void> {
    return this.update((keys) => {
      const key = this.lookup(keys, keyId);
      if (key.state === 'PendingDeletion') {
        throw new LocalKmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
      }
      key.state = 'Disabled';
    });
  }

  scheduleKeyDeletion(keyId: string, pendingWindowInDays: number): Promise<{ deletionDate: Date }> {
    return this.update((keys) => {
      if (
        !Number.isInteger(pendingWindowInDays) ||
        pendingWindowInDays < MIN_PENDING_WINDOW_DAYS ||
        pendingWindowInDays > MAX_PENDING_WINDOW_DAYS
      ) {
        throw new LocalKmsError(
          'ValidationException',
          `PendingWindowInDays must be between ${MIN_PENDING_WINDOW_DAYS} and ${MAX_PENDING_WINDOW_DAYS}.`,
        );
      }
      const key = this.lookup(keys, keyId);
      if (key.state === 'PendingDeletion') {
        throw new LocalKmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
      }
      const deletionDate = new Date(this.now().getTime() + pendingWindowInDays * DAY_MS);
      key.state = 'PendingDeletion';
      key.deletionDate = deletionDate.toISOString();
      return { deletionDate };
    });
  }

  /** Keys by the template resource they stand in for. */
  async keysByLogicalId(): Promise<Map<string, KeyInfo>> {
    const out = new Map<string, KeyInfo>();
    for (const key of await this.read()) if (key.logicalId) out.set(key.logicalId, toInfo(key));
    return out;
  }

  private lookup(keys: StoredKey[], keyIdOrArn: string): StoredKey {
    const key = keys.find((k) => k.keyId === keyIdOrArn || k.arn === keyIdOrArn);
    if (!key) throw new LocalKmsError('NotFoundException', `Key '${keyIdOrArn}' does not exist.`);
    return key;
  }

  private async read(): Promise<StoredKey[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if (err instanceof Error && 'code' in err && err.code === 'ENOENT') return [];
      throw err;
    }
    return storeFile.parse(JSON.parse(text)).keys;
  }

  /** Read, change and write back, one change at a time within this process; the write is atomic. */
  private update<T>(change: (keys: StoredKey[]) => T): Promise<T> {
    const run = this.queue.then(async () => {
      const keys = await this.read();
      const result = change(keys);
      await mkdir(join(this.file, '..'), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, `${JSON.stringify({ version: 1, keys }, null, 2)}\n`);
      await rename(tmp, this.file);
      return result;
    });
    this.queue = run.catch(() => {});
    return run;
  }
}

function toInfo(key: StoredKey): KeyInfo {
  return {
    keyId: key.keyId,
    arn: key.arn,
    state: key.state,
    ...(key.description ? { description: key.description } : {}),
    ...(key.deletionDate ? { deletionDate: new Date(key.deletionDate) } : {}),
  };
}

/**
 * One local key per AWS::KMS::Key in the template, with the key id the template resolves `Ref` to.
 * Idempotent: existing keys keep their state (a disabled key is not re-enabled).
 */
export async function provisionTemplateKeys(
  template: LocalTemplate,
  keys: LocalKeyManager,
): Promise<Map<string, KeyInfo>> {
  const out = new Map<string, KeyInfo>();
  for (const resource of template.ofType('AWS::KMS::Key')) {
    const description = resource.properties.Description;
    out.set(
      resource.logicalId,
      await keys.ensureKey(resource.physicalName, {
        logicalId: resource.logicalId,
        arn: resource.arn,
        description: typeof description === 'string' ? description : resource.logicalId,
      }),
    );
  }
  return out;
}
