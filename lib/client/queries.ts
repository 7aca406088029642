/**
 * The lead's queries on the results table (access patterns in lambdas/core/results.ts) and on the
 * delivery status. Read-only.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { queryAll } from '../../lambdas/adapters/dynamo.ts';
import { linkageItem } from '../../lambdas/app/status.ts';
import { pad } from '../../lambdas/core/delivery.ts';
import { roundSummarySchema, selectedSignalSchema } from '../../lambdas/core/results.ts';

export const addressResultSchema = z.object({
  key: z.string(),
  round: z.number(),
  postcode: z.string(),
  huisnummer: z.number(),
  suffix: z.string(),
  partners: z.array(z.string()),
  partnerCount: z.number(),
  selection: z.string(),
  signals: z.array(selectedSignalSchema),
  signalsOmitted: z.number().optional(),
});
export type AddressResult = z.infer<typeof addressResultSchema>;

export interface ResultFilter {
  readonly round: number;
  readonly partner?: string;
  /** Postcode prefix: 3071, 3071A, 3071AB. */
  readonly postcode?: string;
}

/** The selected addresses of a round, in key order, filtered by partner and postcode prefix. */
export async function selectedAddresses(
  doc: DynamoDBDocumentClient,
  table: string,
  f: ResultFilter,
): Promise<AddressResult[]> {
  const r = pad(f.round);
  const prefix = f.postcode?.replace(/\s+/g, '').toUpperCase();
  const values: Record<string, string> = { ':pk': `SEL#${r}` };
  if (prefix) values[':p'] = prefix;
  if (f.partner) values[':partner'] = f.partner;
  const items = await queryAll(doc, {
    TableName: table,
    IndexName: 'gsi1',
    KeyConditionExpression: prefix ? 'gsi1pk = :pk AND begins_with(gsi1sk, :p)' : 'gsi1pk = :pk',
    ...(f.partner ? { FilterExpression: 'contains(partners, :partner)' } : {}),
    ExpressionAttributeValues: values,
  });
  return items.map((i) => addressResultSchema.parse(i));
}

export async function rounds(doc: DynamoDBDocumentClient, table: string) {
  const items = await queryAll(doc, {
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': 'ROUNDS' },
  });
  return items.map((i) =>
    roundSummarySchema.parse(
      Object.fromEntries(Object.entries(i).filter(([k]) => !['pk', 'sk', 'type'].includes(k))),
    ),
  );
}

const statusUpload = z.object({
  partner: z.string(),
  uploadId: z.string(),
  name: z.string(),
  status: z.string(),
  rows: z.number().default(0),
  accepted: z.number().default(0),
  rejected: z.number().default(0),
});

export async function roundStatus(doc: DynamoDBDocumentClient, table: string, round: number) {
  const items = await queryAll(doc, {
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': `ROUND#${pad(round)}` },
  });
  const uploads = items.filter((i) => String(i.sk).startsWith('UPLOAD#')).map((i) => statusUpload.parse(i));
  const complete = new Set(
    items
      .filter((i) => String(i.sk).startsWith('PARTNER#') && i.complete === true)
      .map((i) => String(i.partner)),
  );
  const linkage = items.find((i) => i.sk === 'LINKAGE');
  return { uploads, complete, linkage: linkage ? linkageItem.parse(linkage) : null };
}
