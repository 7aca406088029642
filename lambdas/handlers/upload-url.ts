/**
 * The partners' endpoint (a Lambda function URL with IAM auth): the caller's role says which partner
 * it is; a partner can only ever act for itself.
 *
 * POST { "action": "upload-url", "name": "signalen.csv", "size": 12345, "round"?: 1 }
 *   → a pre-signed PUT URL for a server-generated object key under the partner's own prefix, signed
 *     with the partner's upload role, expiring in minutes, for exactly `size` bytes, SSE-KMS with the
 *     partner's key. The URL is never logged.
 * POST { "action": "complete", "round"?: 1 }   → the partner's delivery for the round is complete
 * POST { "action": "status", "round"?: 1 }     → the partner's own uploads and their validation
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import * as z from 'zod';
import { StatusStore } from '../app/status.ts';
import { fileNameSchema, newUploadId, roundSchema, uploadKey } from '../core/delivery.ts';
import { type Deps, lazyAwsDeps, need } from './deps.ts';

const requestSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('upload-url'),
    name: fileNameSchema,
    size: z.int().min(1),
    round: roundSchema.default(1),
  }),
  z.strictObject({ action: z.literal('complete'), round: roundSchema.default(1) }),
  z.strictObject({ action: z.literal('status'), round: roundSchema.default(1) }),
]);
export type PartnerRequest = z.input<typeof requestSchema>;

/** The parts of a function URL event this handler reads. */
export const functionUrlEventSchema = z.object({
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
  requestContext: z.object({
    authorizer: z.object({ iam: z.object({ userArn: z.string() }) }),
  }),
});

export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

function reply(statusCode: number, body: unknown): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  };
}

/** The partner whose upload role the caller is using, or null. */
export function partnerOfCaller(callerArn: string, roles: Readonly<Record<string, string>>): string | null {
  // arn:aws:sts::<account>:assumed-role/<role-name>/<session>
  const m = /^arn:aws[a-z-]*:sts::([0-9]{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(callerArn);
  if (!m) return null;
  for (const [partner, roleArn] of Object.entries(roles)) {
    const r = /^arn:aws[a-z-]*:iam::([0-9]{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
    if (r && r[1] === m[1] && r[2] === m[2]) return partner;
  }
  return null;
}

export function createUploadUrlHandler(getDeps: () => Deps) {
  return async (event: unknown): Promise<HttpResult> => {
    const deps = getDeps();
    const { config, log } = deps;
    const ev = functionUrlEventSchema.safeParse(event);
    if (!ev.success) return reply(400, { fout: 'Onbekend verzoek.' });
    const partner = partnerOfCaller(ev.data.requestContext.authorizer.iam.userArn, config.partnerUploadRoles);
    if (!partner) return reply(403, { fout: 'U bent geen ketenpartner van dit project.' });
    let raw: unknown;
    try {
      const text = ev.data.isBase64Encoded
        ? Buffer.from(ev.data.body ?? '', 'base64').toString('utf8')
        : (ev.data.body ?? '');
      raw = JSON.parse(text);
    } catch {
      return reply(400, { fout: 'Het verzoek is geen geldige JSON.' });
    }
    const req = requestSchema.safeParse(raw);
    if (!req.success) {
      return reply(400, {
        fout: req.error.issues.map((i) => `${i.path.join('.') || 'verzoek'}: ${i.message}`).join('; '),
      });
    }
    const status = new StatusStore(deps.doc, need(config.statusTable, 'STATUS_TABLE'));
    const r = req.data;
    const linkage = await status.linkage(r.round);
    if (r.action === 'status') {
      const uploads = (await status.uploads(r.round)).filter((u) => u.partner === partner);
      const delivery = (await status.deliveries(r.round)).find((d) => d.partner === partner);
      return reply(200, {
        partner,
        round: r.round,
        complete: delivery?.complete ?? false,
        linkage: linkage?.state ?? null,
        uploads: uploads.map((u) => ({
          uploadId: u.uploadId,
          name: u.name,
          status: u.status,
          rows: u.rows,
          accepted: u.accepted,
          rejected: u.rejected,
        })),
      });
    }
    if (linkage) {
      return reply(409, {
        fout: `Ronde ${r.round} is al gekoppeld of wordt gekoppeld; aanleveren kan niet meer.`,
      });
    }
    if (r.action === 'complete') {
      await status.markComplete(r.round, partner, partner, deps.now().toISOString());
      log.info('delivery complete', { partner, round: r.round });
      await deps.checkRound({ action: 'check', round: r.round });
      return reply(200, { partner, round: r.round, complete: true });
    }
    if (r.size > config.maxUploadBytes) {
      return reply(413, {
        fout: `Het bestand is groter dan ${Math.floor(config.maxUploadBytes / 1024 / 1024)} MiB; splits het.`,
      });
    }
    const now = deps.now();
    const uploadId = newUploadId(now.getTime(), deps.random(8));
    const key = uploadKey(partner, r.round, uploadId);
    const bucket = need(config.dropBucket, 'DROP_BUCKET');
    const kmsKey = need(config.partnerKeys[partner], `PARTNER_KEYS.${partner}`);
    await status.requestUpload(r.round, { partner, uploadId, name: r.name, key }, now.toISOString());
    const signer = await deps.partnerS3(partner);
    const headers = {
      'content-length': String(r.size),
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': kmsKey,
    };
    const url = await getSignedUrl(
      signer,
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        ContentLength: r.size,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: kmsKey,
      }),
      { expiresIn: config.uploadUrlTtlSeconds, signableHeaders: new Set(Object.keys(headers)) },
    );
    log.info('upload url issued', { partner, round: r.round, uploadId, size: r.size });
    return reply(200, {
      uploadId,
      round: r.round,
      method: 'PUT',
      url,
      headers,
      expiresAt: new Date(now.getTime() + config.uploadUrlTtlSeconds * 1000).toISOString(),
    });
  };
}

export const handler = createUploadUrlHandler(lazyAwsDeps());
