/**
 * The object store: S3 calls the handlers make, over an injected S3Client.
 */
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Sink } from '../core/bytes.ts';

/** Something that can be read as chunks (a Node stream is one). */
function isChunkStream(body: unknown): body is AsyncIterable<Uint8Array> {
  return typeof body === 'object' && body !== null && Symbol.asyncIterator in body;
}

export class ObjectNotFound extends Error {
  override readonly name = 'ObjectNotFound';
}

/** Opens an object for streaming; each call re-reads it (the signal reader may read twice). */
export function objectReader(s3: S3Client, bucket: string, key: string): () => AsyncIterable<Uint8Array> {
  return async function* () {
    let body: unknown;
    try {
      body = (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body;
    } catch (e) {
      if (e instanceof Error && (e.name === 'NoSuchKey' || e.name === 'NotFound')) {
        throw new ObjectNotFound(`object not found in ${bucket}`);
      }
      throw e;
    }
    if (!isChunkStream(body)) throw new Error('S3 returned no readable body');
    yield* body;
  };
}

/** Reads a whole (small) object as text. */
export async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const c of objectReader(s3, bucket, key)()) parts.push(c);
  return Buffer.concat(parts).toString('utf8');
}

/** Writes an object encrypted with the given KMS key. */
export async function putObject(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Uint8Array | string,
  kmsKeyArn: string,
  contentType = 'application/octet-stream',
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentType: contentType,
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: kmsKeyArn,
      BucketKeyEnabled: true,
    }),
  );
}

/** A sink that collects what a writer produces, then stores it as one encrypted object. */
export function objectSink(): { sink: Sink; bytes: () => Uint8Array } {
  const parts: Uint8Array[] = [];
  return {
    sink: (chunk) => {
      parts.push(chunk.slice());
    },
    bytes: () => Buffer.concat(parts),
  };
}

/** Keys under a prefix. */
export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const r = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of r.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/**
 * Deletes every version and delete marker of one object (versioned buckets keep the old bytes
 * otherwise). Where the store keeps no versions (the embedded S3 answers MethodNotAllowed), the object
 * itself is deleted. Deleting what is already gone is not an error.
 */
export async function deleteAllVersions(s3: S3Client, bucket: string, key: string): Promise<number> {
  let versions: { Key: string; VersionId: string }[];
  try {
    const r = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
    versions = [...(r.Versions ?? []), ...(r.DeleteMarkers ?? [])].flatMap((v) =>
      v.Key === key && v.VersionId ? [{ Key: key, VersionId: v.VersionId }] : [],
    );
  } catch (e) {
    if (!(e instanceof Error) || !/^(MethodNotAllowed|NotImplemented)$/.test(e.name)) throw e;
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    return 1;
  }
  if (versions.length === 0) return 0;
  const r = await s3.send(
    new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: versions, Quiet: true } }),
  );
  if ((r.Errors ?? []).length > 0) throw new Error(`could not delete ${r.Errors?.length} object version(s)`);
  return versions.length;
}
