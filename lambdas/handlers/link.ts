/**
 * Workflow step: links the round's normalised signals of all partners, selects the addresses with
 * multiple interest, and writes overview.json, casustafel.csv and the selection (for publishing) to
 * results/ under the results key. Returns references and counts only.
 */
import * as z from 'zod';
import { objectReader, objectSink, putObject } from '../adapters/s3.ts';
import { resultKeys, roundSchema } from '../core/delivery.ts';
import { linkSignals } from '../core/link.ts';
import { type PartnerSummary, writeCasustafel, writeOverview } from '../core/outputs.ts';
import { projectArea } from '../core/project.ts';
import { partnerCountsSchema, selectedAddresses, totalsSchema } from '../core/results.ts';
import { readSignalFile } from '../core/signals.ts';
import { SignalStore } from '../core/store.ts';
import { type Deps, lazyAwsDeps, need } from './deps.ts';
import { validatedSchema } from './validate-partner.ts';

export const linkInputSchema = z.object({
  projectId: z.string(),
  round: roundSchema,
  reason: z.string(),
  missing: z.array(z.string()),
  validated: z.array(validatedSchema),
});

export const linkedSchema = z.strictObject({
  overviewKey: z.string(),
  casustafelKey: z.string(),
  selectedKey: z.string(),
  ...totalsSchema.shape,
  partners: z.array(partnerCountsSchema),
});
export type Linked = z.infer<typeof linkedSchema>;

export function createLinkHandler(getDeps: () => Deps) {
  return async (event: unknown): Promise<Linked> => {
    const deps = getDeps();
    const { config, log } = deps;
    const input = linkInputSchema.parse(event);
    const project = need(config.project, 'PROJECT_CONFIG');
    const bucket = need(config.dropBucket, 'DROP_BUCKET');
    const resultsKey = need(config.resultsKeyArn, 'RESULTS_KEY_ARN');
    const partnerIds = project.partners.map((p) => p.id).sort();
    const store = new SignalStore(partnerIds);
    const area = projectArea(project);
    const validated = [...input.validated].sort((a, b) => (a.partner < b.partner ? -1 : 1));
    for (const v of validated) {
      const index = partnerIds.indexOf(v.partner);
      if (index < 0) throw new Error('unknown partner in workflow input');
      const r = await readSignalFile({
        name: v.normalisedKey,
        partner: index,
        open: objectReader(deps.s3, bucket, v.normalisedKey),
        store,
        area,
        provenance: true,
      });
      if (r.error || r.rejected > 0)
        throw new Error(`normalised file of ${v.partner} is not valid (${r.error?.code ?? 'rows'})`);
    }
    const linkage = linkSignals(store, project.selection.minPartners);
    const partners: PartnerSummary[] = partnerIds.map((id) => {
      const v = validated.find((x) => x.partner === id);
      return v
        ? { id, rows: v.rows, accepted: v.accepted, rejected: v.rejected }
        : { id, rows: 0, accepted: 0, rejected: 0, missing: true };
    });
    const keys = resultKeys(input.round);
    const overview = objectSink();
    await writeOverview(
      linkage,
      { projectId: project.projectId, generatedAt: deps.now().toISOString(), partners },
      overview.sink,
    );
    await putObject(deps.s3, bucket, keys.overview, overview.bytes(), resultsKey, 'application/json');
    const csv = objectSink();
    await writeCasustafel(linkage, csv.sink);
    await putObject(deps.s3, bucket, keys.casustafel, csv.bytes(), resultsKey, 'text/csv; charset=utf-8');
    const lines: string[] = [];
    for (const a of selectedAddresses(linkage)) lines.push(JSON.stringify(a));
    await putObject(
      deps.s3,
      bucket,
      keys.selected,
      lines.length ? `${lines.join('\n')}\n` : '',
      resultsKey,
      'application/x-ndjson',
    );
    const totals = { rows: 0, accepted: 0, rejected: 0 };
    for (const p of partners) {
      totals.rows += p.rows;
      totals.accepted += p.accepted;
      totals.rejected += p.rejected;
    }
    log.info('round linked', {
      round: input.round,
      addresses: linkage.addresses,
      multiInterest: linkage.multiInterest,
    });
    return {
      overviewKey: keys.overview,
      casustafelKey: keys.casustafel,
      selectedKey: keys.selected,
      ...totals,
      addresses: linkage.addresses,
      multiInterest: linkage.multiInterest,
      partners: partners.map(({ id, rows, accepted, rejected }) => ({ id, rows, accepted, rejected })),
    };
  };
}

export const handler = createLinkHandler(lazyAwsDeps());
