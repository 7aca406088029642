/**
 * Delivery status per round, in the status table (pk, sk):
 *
 * | item                         | pk           | sk                          |
 * | ---------------------------- | ------------ | --------------------------- |
 * | an upload (requested, then validated) | ROUND#<nnnn> | UPLOAD#<partner>#<uploadId> |
 * | a partner's delivery         | ROUND#<nnnn> | PARTNER#<partner>           |
 * | the round's linkage          | ROUND#<nnnn> | LINKAGE                     |
 *
 * Only ids, names and counts: never signal contents.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { queryAll } from '../adapters/dynamo.ts';
import { type PartnerDelivery, pad, type UploadRecord, type WorkflowInput } from '../core/delivery.ts';

const uploadItem = z.object({
  partner: z.string(),
  uploadId: z.string(),
  name: z.string(),
  key: z.string(),
  status: z.enum(['requested', 'accepted', 'rejected']),
  rows: z.number().default(0),
  accepted: z.number().default(0),
  rejected: z.number().default(0),
  rejectedByCode: z.record(z.string(), z.number()).optional(),
  requestedAt: z.string().optional(),
  validatedAt: z.string().optional(),
});
export type UploadItem = z.infer<typeof uploadItem>;

const partnerItem = z.object({
  partner: z.string(),
  complete: z.boolean(),
  completedAt: z.string().optional(),
  completedBy: z.string().optional(),
});

export const linkageItem = z.object({
  executionName: z.string(),
  input: z.string(),
  reason: z.string(),
  state: z.enum(['gestart', 'gekoppeld', 'mislukt']),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  error: z.string().optional(),
  attempt: z.number().default(1),
});
export type LinkageItem = z.infer<typeof linkageItem>;

function queryPrefix(doc: DynamoDBDocumentClient, table: string, pk: string, prefix: string) {
  return queryAll(doc, {
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
    ExpressionAttributeValues: { ':pk': pk, ':p': prefix },
  });
}

export class StatusStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async requestUpload(
    round: number,
    u: { partner: string; uploadId: string; name: string; key: string },
    at: string,
  ) {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `ROUND#${pad(round)}`,
          sk: `UPLOAD#${u.partner}#${u.uploadId}`,
          ...u,
          status: 'requested',
          requestedAt: at,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getUpload(round: number, partner: string, uploadId: string): Promise<UploadItem | null> {
    const r = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: `ROUND#${pad(round)}`, sk: `UPLOAD#${partner}#${uploadId}` },
      }),
    );
    return r.Item ? uploadItem.parse(r.Item) : null;
  }

  /** Records the outcome of validating an upload (the same outcome again is harmless). */
  async recordValidation(round: number, u: UploadRecord, at: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `ROUND#${pad(round)}`, sk: `UPLOAD#${u.partner}#${u.uploadId}` },
        UpdateExpression:
          'SET partner = :p, uploadId = :u, #n = if_not_exists(#n, :n), #k = :k, #s = :s, #r = :r, accepted = :a, rejected = :j, rejectedByCode = :c, validatedAt = :t',
        ExpressionAttributeNames: { '#n': 'name', '#k': 'key', '#s': 'status', '#r': 'rows' },
        ExpressionAttributeValues: {
          ':p': u.partner,
          ':u': u.uploadId,
          ':n': u.name,
          ':k': u.key,
          ':s': u.status,
          ':r': u.rows,
          ':a': u.accepted,
          ':j': u.rejected,
          ':c': u.rejectedByCode ?? {},
          ':t': at,
        },
      }),
    );
  }

  async uploads(round: number): Promise<UploadItem[]> {
    return (await queryPrefix(this.doc, this.table, `ROUND#${pad(round)}`, 'UPLOAD#')).map((i) =>
      uploadItem.parse(i),
    );
  }

  /** Validated uploads only, as the delivery rules take them. */
  async validatedUploads(round: number): Promise<UploadRecord[]> {
    return (await this.uploads(round)).flatMap((u) =>
      u.status === 'requested' ? [] : [{ ...u, status: u.status }],
    );
  }

  async markComplete(round: number, partner: string, by: string, at: string): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `ROUND#${pad(round)}`,
          sk: `PARTNER#${partner}`,
          partner,
          complete: true,
          completedAt: at,
          completedBy: by,
        },
      }),
    );
  }

  async deliveries(round: number): Promise<PartnerDelivery[]> {
    return (await queryPrefix(this.doc, this.table, `ROUND#${pad(round)}`, 'PARTNER#')).map((i) =>
      partnerItem.parse(i),
    );
  }

  async linkage(round: number): Promise<LinkageItem | null> {
    const r = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: `ROUND#${pad(round)}`, sk: 'LINKAGE' } }),
    );
    return r.Item ? linkageItem.parse(r.Item) : null;
  }

  /**
   * Claims the round's linkage (conditional write: exactly one caller wins). Returns the item that
   * holds: the new one, or the one another caller claimed first.
   */
  async claimLinkage(
    round: number,
    name: string,
    input: WorkflowInput,
    at: string,
    attempt = 1,
  ): Promise<LinkageItem> {
    const item: LinkageItem = {
      executionName: name,
      input: JSON.stringify(input),
      reason: input.reason,
      state: 'gestart',
      startedAt: at,
      attempt,
    };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `ROUND#${pad(round)}`, sk: 'LINKAGE', ...item },
          ConditionExpression:
            attempt === 1 ? 'attribute_not_exists(pk)' : '#s = :failed AND attempt = :previous',
          ...(attempt === 1
            ? {}
            : {
                ExpressionAttributeNames: { '#s': 'state' },
                ExpressionAttributeValues: { ':failed': 'mislukt', ':previous': attempt - 1 },
              }),
        }),
      );
      return item;
    } catch (e) {
      if (!(e instanceof Error) || e.name !== 'ConditionalCheckFailedException') throw e;
      const existing = await this.linkage(round);
      if (!existing) throw e;
      return existing;
    }
  }

  async finishLinkage(
    round: number,
    state: 'gekoppeld' | 'mislukt',
    at: string,
    error?: string,
  ): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `ROUND#${pad(round)}`, sk: 'LINKAGE' },
        UpdateExpression: error ? 'SET #s = :s, finishedAt = :t, #e = :e' : 'SET #s = :s, finishedAt = :t',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: error ? { '#s': 'state', '#e': 'error' } : { '#s': 'state' },
        ExpressionAttributeValues: error ? { ':s': state, ':t': at, ':e': error } : { ':s': state, ':t': at },
      }),
    );
  }
}
