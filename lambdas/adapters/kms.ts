/**
 * Port for the key operations the product needs (one key per partner; teardown disables keys and
 * schedules their deletion), with the AWS implementation. The local stand-in that implements the same
 * port lives in lib/local/kms.ts.
 */
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  type KeyMetadata,
  KMSClient,
  paginateListKeys,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { z } from 'zod';

export const keyStateSchema = z.enum([
  'Creating',
  'Enabled',
  'Disabled',
  'PendingDeletion',
  'PendingImport',
  'PendingReplicaDeletion',
  'Unavailable',
  'Updating',
]);
/** As in AWS; the local stand-in only uses Enabled, Disabled and PendingDeletion. */
export type KeyState = z.infer<typeof keyStateSchema>;

export interface KeyInfo {
  keyId: string;
  arn: string;
  state: KeyState;
  description?: string;
  /** Set when state is PendingDeletion. */
  deletionDate?: Date;
}

export interface CreateKeyInput {
  description?: string;
  tags?: Record<string, string>;
}

/** KMS waiting periods are 7 to 30 days, both in AWS and in the stand-in. */
export const MIN_PENDING_WINDOW_DAYS = 7;
export const MAX_PENDING_WINDOW_DAYS = 30;

export interface KeyManager {
  createKey(input?: CreateKeyInput): Promise<KeyInfo>;
  /** By key id or key ARN. Fails with an error named `NotFoundException` if there is none. */
  describeKey(keyId: string): Promise<KeyInfo>;
  listKeys(): Promise<KeyInfo[]>;
  /** A disabled key stays disabled (no error); a key pending deletion fails with `KMSInvalidStateException`. */
  disableKey(keyId: string): Promise<void>;
  /** Fails with `KMSInvalidStateException` if deletion is already scheduled (check the state first). */
  scheduleKeyDeletion(keyId: string, pendingWindowInDays: number): Promise<{ deletionDate: Date }>;
}

function toInfo(metadata: KeyMetadata | undefined): KeyInfo {
  const parsed = z
    .object({
      KeyId: z.string(),
      Arn: z.string(),
      KeyState: keyStateSchema,
      Description: z.string().optional(),
      DeletionDate: z.date().optional(),
    })
    .parse(metadata);
  return {
    keyId: parsed.KeyId,
    arn: parsed.Arn,
    state: parsed.KeyState,
    ...(parsed.Description ? { description: parsed.Description } : {}),
    ...(parsed.DeletionDate ? { deletionDate: parsed.DeletionDate } : {}),
  };
}

/** The AWS implementation: a thin layer over @aws-sdk/client-kms (client built once, injected). */
export class AwsKeyManager implements KeyManager {
  constructor(private readonly client: KMSClient = new KMSClient({})) {}

  async createKey(input: CreateKeyInput = {}): Promise<KeyInfo> {
    const { KeyMetadata } = await this.client.send(
      new CreateKeyCommand({
        ...(input.description ? { Description: input.description } : {}),
        Tags: Object.entries(input.tags ?? {}).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
      }),
    );
    return toInfo(KeyMetadata);
  }

  async describeKey(keyId: string): Promise<KeyInfo> {
    const { KeyMetadata } = await this.client.send(new DescribeKeyCommand({ KeyId: keyId }));
    return toInfo(KeyMetadata);
  }

  async listKeys(): Promise<KeyInfo[]> {
    const keys: KeyInfo[] = [];
    for await (const page of paginateListKeys({ client: this.client }, {})) {
      for (const key of page.Keys ?? []) {
        if (key.KeyId) keys.push(await this.describeKey(key.KeyId));
      }
    }
    return keys;
  }

  async disableKey(keyId: string): Promise<void> {
    await this.client.send(new DisableKeyCommand({ KeyId: keyId }));
  }

  async scheduleKeyDeletion(keyId: string, pendingWindowInDays: number): Promise<{ deletionDate: Date }> {
    const out = await this.client.send(
      new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: pendingWindowInDays }),
    );
    return { deletionDate: z.date().parse(out.DeletionDate) };
  }
}
