/**
 * DynamoDB helpers over an injected document client: batch writes that never lose an item.
 */
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';

export interface BatchOptions {
  /** Batches in flight at once. @default 8 */
  readonly concurrency?: number;
  /** Attempts for unprocessed items before giving up. @default 10 */
  readonly maxAttempts?: number;
  /** Base backoff in ms (doubled per attempt, with jitter). @default 50 */
  readonly backoffMs?: number;
}

export class UnprocessedItemsError extends Error {
  override readonly name = 'UnprocessedItemsError';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Puts all items, 25 a batch, several batches in parallel; unprocessed items are retried with
 * exponential backoff. Items with the same key overwrite each other, so a rerun never duplicates.
 */
export async function putAll(
  doc: DynamoDBDocumentClient,
  table: string,
  items: readonly Record<string, unknown>[],
  opts: BatchOptions = {},
): Promise<number> {
  const concurrency = opts.concurrency ?? 8;
  const maxAttempts = opts.maxAttempts ?? 10;
  const backoff = opts.backoffMs ?? 50;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      let batch = items.slice(next, next + 25).map((Item) => ({ PutRequest: { Item } }));
      next += 25;
      for (let attempt = 1; batch.length > 0; attempt++) {
        const r = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: batch } }));
        const left = r.UnprocessedItems?.[table] ?? [];
        batch = left.flatMap((w) =>
          w.PutRequest?.Item ? [{ PutRequest: { Item: w.PutRequest.Item } }] : [],
        );
        if (batch.length === 0) break;
        if (attempt >= maxAttempts) throw new UnprocessedItemsError(`${batch.length} items left unwritten`);
        await sleep(Math.random() * backoff * 2 ** attempt);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.ceil(items.length / 25)) }, worker));
  return items.length;
}

/** All items of a query, following LastEvaluatedKey page by page. */
export async function queryAll(
  doc: DynamoDBDocumentClient,
  input: QueryCommandInput,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const r = await doc.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    items.push(...(r.Items ?? []));
    start = r.LastEvaluatedKey;
  } while (start);
  return items;
}
