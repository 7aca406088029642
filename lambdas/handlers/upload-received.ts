/**
 * S3 "Object Created" (through EventBridge): validates the uploaded file at once with the core, writes
 * the partner's own report under the partner's own prefix (so the partner can correct and upload again
 * before the deadline), keeps a minimised copy of the accepted signals, records the delivery, and
 * deletes the raw upload. Running twice for one object gives the same result; events for other keys
 * are ignored.
 */
import * as z from 'zod';
import { deleteAllVersions, objectReader, objectSink, putObject } from '../adapters/s3.ts';
import { StatusStore } from '../app/status.ts';
import { acceptedKey, parseUploadKey, rejectedByCode, reportKey, uploadKey } from '../core/delivery.ts';
import { writeNormalised } from '../core/normalised.ts';
import { partnerReport } from '../core/outputs.ts';
import { projectArea } from '../core/project.ts';
import { readSignalFile } from '../core/signals.ts';
import { SignalStore } from '../core/store.ts';
import { type Deps, lazyAwsDeps, need } from './deps.ts';

export const objectCreatedSchema = z.object({
  'detail-type': z.literal('Object Created'),
  source: z.literal('aws.s3'),
  detail: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({ key: z.string(), size: z.number().optional() }),
  }),
});

export interface UploadOutcome {
  readonly ignored?: true;
  readonly partner?: string;
  readonly uploadId?: string;
  readonly status?: 'accepted' | 'rejected';
  readonly rows?: number;
  readonly accepted?: number;
  readonly rejected?: number;
}

export function createUploadReceivedHandler(getDeps: () => Deps) {
  return async (event: unknown): Promise<UploadOutcome> => {
    const deps = getDeps();
    const { config, log } = deps;
    const ev = objectCreatedSchema.parse(event);
    const bucket = need(config.dropBucket, 'DROP_BUCKET');
    const parsed = parseUploadKey(decodeURIComponent(ev.detail.object.key.replaceAll('+', ' ')));
    if (ev.detail.bucket.name !== bucket || !parsed) {
      log.warn('event ignored: not an upload of this project');
      return { ignored: true };
    }
    const project = need(config.project, 'PROJECT_CONFIG');
    const partnerIds = project.partners.map((p) => p.id).sort();
    const partnerIndex = partnerIds.indexOf(parsed.partner);
    if (partnerIndex < 0) {
      log.warn('event ignored: unknown partner prefix', { partner: parsed.partner });
      return { ignored: true };
    }
    const { partner, round, uploadId } = parsed;
    const status = new StatusStore(deps.doc, need(config.statusTable, 'STATUS_TABLE'));
    const rawKey = uploadKey(partner, round, uploadId);
    const requested = await status.getUpload(round, partner, uploadId);
    if (requested && requested.status !== 'requested') {
      // Seen before (a duplicate or late event): only make sure the raw upload is gone.
      await deleteAllVersions(deps.s3, bucket, rawKey);
      log.info('upload already validated', { partner, round, uploadId });
      return {
        partner,
        uploadId,
        status: requested.status,
        rows: requested.rows,
        accepted: requested.accepted,
        rejected: requested.rejected,
      };
    }
    const name = requested?.name ?? `${uploadId}.csv`;
    const partnerKey = need(config.partnerKeys[partner], `PARTNER_KEYS.${partner}`);
    const store = new SignalStore(partnerIds);
    const result = await readSignalFile({
      name,
      partner: partnerIndex,
      open: objectReader(deps.s3, bucket, rawKey),
      store,
      area: projectArea(project),
    });
    const report = partnerReport(partner, [result]);
    await putObject(
      deps.s3,
      bucket,
      reportKey(partner, round, uploadId),
      `${JSON.stringify({ uploadId, round, ...report }, null, 2)}\n`,
      partnerKey,
      'application/json',
    );
    // Keep only what the project needs: the accepted signals in normalised form. The raw upload, with
    // whatever other columns it had, is deleted once that copy and the status are written.
    const minimised = acceptedKey(partner, round, uploadId);
    if (!result.error) {
      const out = objectSink();
      await writeNormalised(store, out.sink);
      await putObject(deps.s3, bucket, minimised, out.bytes(), partnerKey, 'text/csv');
    }
    const outcome = {
      partner,
      uploadId,
      name,
      key: minimised,
      status: result.error ? ('rejected' as const) : ('accepted' as const),
      rows: result.rows,
      accepted: result.accepted,
      rejected: result.rejected,
      rejectedByCode: rejectedByCode(result.errors),
    };
    await status.recordValidation(round, outcome, deps.now().toISOString());
    await deleteAllVersions(deps.s3, bucket, rawKey);
    log.info('upload validated', {
      partner,
      round,
      uploadId,
      status: outcome.status,
      rows: result.rows,
      accepted: result.accepted,
      rejected: result.rejected,
    });
    return {
      partner,
      uploadId,
      status: outcome.status,
      rows: result.rows,
      accepted: result.accepted,
      rejected: result.rejected,
    };
  };
}

export const handler = createUploadReceivedHandler(lazyAwsDeps());
