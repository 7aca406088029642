/**
 * Workflow step: writes the round's selected addresses and the round summary to the results table,
 * where the lead queries them. Batches in parallel, unprocessed items retried; every item has a
 * deterministic key, so a rerun overwrites instead of duplicating. Marks the round as linked.
 */
import * as z from 'zod';
import { putAll } from '../adapters/dynamo.ts';
import { readText } from '../adapters/s3.ts';
import { StatusStore } from '../app/status.ts';
import { roundSchema } from '../core/delivery.ts';
import { addressItems, selectedAddressSchema, summaryItem } from '../core/results.ts';
import { type Deps, lazyAwsDeps, need } from './deps.ts';
import { linkedSchema } from './link.ts';

export const publishInputSchema = z.object({
  round: roundSchema,
  reason: z.string(),
  missing: z.array(z.string()),
  linked: linkedSchema,
});

export interface Published {
  addresses: number;
  items: number;
}

export function createPublishHandler(getDeps: () => Deps) {
  return async (event: unknown, context?: { executionName?: string }): Promise<Published> => {
    const deps = getDeps();
    const { config, log } = deps;
    const input = publishInputSchema.parse(event);
    const project = need(config.project, 'PROJECT_CONFIG');
    const bucket = need(config.dropBucket, 'DROP_BUCKET');
    const table = need(config.resultsTable, 'RESULTS_TABLE');
    const status = new StatusStore(deps.doc, need(config.statusTable, 'STATUS_TABLE'));
    const text = await readText(deps.s3, bucket, input.linked.selectedKey);
    const items: Record<string, unknown>[] = [];
    let addresses = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      items.push(...addressItems(selectedAddressSchema.parse(JSON.parse(line)), input.round));
      addresses++;
    }
    const linkage = await status.linkage(input.round);
    const now = deps.now().toISOString();
    items.push(
      summaryItem({
        round: input.round,
        executionName: linkage?.executionName ?? context?.executionName ?? '',
        reason: input.reason,
        linkedAt: now,
        minPartners: project.selection.minPartners,
        missing: input.missing,
        totals: {
          rows: input.linked.rows,
          accepted: input.linked.accepted,
          rejected: input.linked.rejected,
          addresses: input.linked.addresses,
          multiInterest: input.linked.multiInterest,
        },
        partners: input.linked.partners,
      }),
    );
    await putAll(deps.doc, table, items);
    await status.finishLinkage(input.round, 'gekoppeld', now);
    log.info('round published', { round: input.round, addresses, items: items.length });
    return { addresses, items: items.length };
  };
}

export const handler = createPublishHandler(lazyAwsDeps());
