/**
 * The partner's side of an upload: ask for a pre-signed URL, then PUT the file to it. Used by `lsi upload`
 * and by the embedded run; the URL is a secret and is never printed or logged.
 */
import * as z from 'zod';
import type { HttpResult, PartnerRequest } from '../../lambdas/handlers/upload-url.ts';

export const uploadUrlReplySchema = z.object({
  uploadId: z.string(),
  round: z.number(),
  method: z.literal('PUT'),
  url: z.url(),
  headers: z.record(z.string(), z.string()),
  expiresAt: z.string(),
});

const errorReplySchema = z.object({ fout: z.string() });

export class PartnerRequestError extends Error {
  override readonly name = 'PartnerRequestError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Parses an endpoint reply, turning an error reply into a PartnerRequestError with its Dutch message. */
export function parseReply<T extends z.ZodType>(r: HttpResult, schema: T): z.infer<T> {
  const body: unknown = JSON.parse(r.body);
  if (r.statusCode >= 400) {
    const e = errorReplySchema.safeParse(body);
    throw new PartnerRequestError(r.statusCode, e.success ? e.data.fout : `HTTP ${r.statusCode}`);
  }
  return schema.parse(body);
}

export type PartnerCall = (request: PartnerRequest) => Promise<HttpResult>;

/** Uploads one signal file for the calling partner; returns the upload id. */
export async function uploadSignalFile(
  call: PartnerCall,
  name: string,
  bytes: Uint8Array,
  round = 1,
): Promise<{ uploadId: string }> {
  const reply = parseReply(
    await call({ action: 'upload-url', name, size: bytes.length, round }),
    uploadUrlReplySchema,
  );
  const res = await fetch(reply.url, { method: reply.method, headers: reply.headers, body: bytes });
  if (!res.ok) throw new PartnerRequestError(res.status, `Het uploaden is mislukt (HTTP ${res.status}).`);
  await res.arrayBuffer();
  return { uploadId: reply.uploadId };
}
