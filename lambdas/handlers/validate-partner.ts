/**
 * Workflow step (inside the Map): reads one partner's current uploads for the round (the minimised
 * copies made on arrival), checks them again with the core, and writes the partner's normalised
 * signals to the work area (results key).
 * Returns references and counts only: nothing of the signals reaches the execution history.
 */
import * as z from 'zod';
import { objectReader, objectSink, putObject } from '../adapters/s3.ts';
import { StatusStore } from '../app/status.ts';
import { currentUploads, normalisedKey, roundSchema } from '../core/delivery.ts';
import { writeNormalised } from '../core/normalised.ts';
import { projectArea } from '../core/project.ts';
import { readSignalFile } from '../core/signals.ts';
import { SignalStore } from '../core/store.ts';
import { type Deps, lazyAwsDeps, need } from './deps.ts';

export const validateInputSchema = z.object({
  projectId: z.string(),
  round: roundSchema,
  partnerId: z.string(),
});

export const validatedSchema = z.strictObject({
  partner: z.string(),
  files: z.number(),
  rows: z.number(),
  accepted: z.number(),
  rejected: z.number(),
  normalisedKey: z.string(),
});
export type Validated = z.infer<typeof validatedSchema>;

export function createValidatePartnerHandler(getDeps: () => Deps) {
  return async (event: unknown): Promise<Validated> => {
    const deps = getDeps();
    const { config, log } = deps;
    const { round, partnerId } = validateInputSchema.parse(event);
    const project = need(config.project, 'PROJECT_CONFIG');
    const partnerIds = project.partners.map((p) => p.id).sort();
    const index = partnerIds.indexOf(partnerId);
    if (index < 0) throw new Error('unknown partner in workflow input');
    const bucket = need(config.dropBucket, 'DROP_BUCKET');
    const status = new StatusStore(deps.doc, need(config.statusTable, 'STATUS_TABLE'));
    const uploads = currentUploads(await status.validatedUploads(round)).filter(
      (u) => u.partner === partnerId,
    );
    const store = new SignalStore(partnerIds);
    const area = projectArea(project);
    const counts = { rows: 0, accepted: 0, rejected: 0 };
    for (const u of uploads) {
      // The minimised copy written on arrival: accepted signals only, with their original file and line.
      const r = await readSignalFile({
        name: u.name,
        partner: index,
        open: objectReader(deps.s3, bucket, u.key),
        store,
        area,
        provenance: true,
      });
      if (r.error || r.rejected > 0) throw new Error(`minimised upload of ${partnerId} is not valid`);
      counts.rows += u.rows;
      counts.accepted += u.accepted;
      counts.rejected += u.rejected;
    }
    const out = objectSink();
    await writeNormalised(store, out.sink);
    const key = normalisedKey(partnerId, round);
    await putObject(
      deps.s3,
      bucket,
      key,
      out.bytes(),
      need(config.resultsKeyArn, 'RESULTS_KEY_ARN'),
      'text/csv',
    );
    log.info('partner normalised', { partner: partnerId, round, files: uploads.length, ...counts });
    return { partner: partnerId, files: uploads.length, ...counts, normalisedKey: key };
  };
}

export const handler = createValidatePartnerHandler(lazyAwsDeps());
