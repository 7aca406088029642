/**
 * The drop zone: one versioned bucket for the whole project, laid out by prefix (see `prefixes` in
 * names.ts), plus a separate bucket for its server access logs.
 *
 * The bucket policy makes the encryption rule unconditional, whoever writes:
 * - TLS 1.2 or newer only (`enforceSSL`, `minimumTLSVersion`);
 * - every PutObject must ask for SSE-KMS (`s3:x-amz-server-side-encryption` = `aws:kms`);
 * - under `partners/<id>/` only with that partner's key ARN
 *   (`s3:x-amz-server-side-encryption-aws-kms-key-id`), under `work/` and `results/` only with
 *   the results key, and nowhere else at all.
 * A PUT without these headers is denied rather than falling back to default encryption, so a
 * client must send the key ARN (the pre-signed URLs sign both headers). Multipart uploads are not
 * supported (UploadPart carries no SSE headers); signal files are small and bounded anyway.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, CfnBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { prefixes } from './names.ts';

/** A partner id as part of a statement id (Sids are alphanumeric): `toeslagen-x` → `ToeslagenX`. */
export function sidPart(id: string): string {
  return id
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

export interface DropZoneProps {
  /** Per partner id, the key that must encrypt everything under `partners/<id>/`. */
  readonly partnerKeys: ReadonlyMap<string, IKey>;
  /** The key for `work/` and `results/` (and the bucket's default encryption). */
  readonly resultsKey: IKey;
  /** @default Duration.days(30) */
  readonly noncurrentVersionExpiration?: Duration;
  /** @default Duration.days(400) */
  readonly accessLogExpiration?: Duration;
}

export class DropZone extends Construct {
  readonly bucket: Bucket;
  readonly logBucket: Bucket;

  constructor(scope: Construct, id: string, props: DropZoneProps) {
    super(scope, id);
    const noncurrentVersionExpiration = props.noncurrentVersionExpiration ?? Duration.days(30);

    this.logBucket = new Bucket(this, 'AccessLogs', {
      // Server access log delivery supports SSE-S3 only, not SSE-KMS.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: props.accessLogExpiration ?? Duration.days(400),
          noncurrentVersionExpiration,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });

    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.KMS,
      encryptionKey: props.resultsKey,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'drop-zone/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
          expiredObjectDeleteMarker: true,
        },
      ],
    });

    // Object-created events go to EventBridge directly (no notification custom resource).
    const cfnBucket = this.bucket.node.defaultChild;
    if (!(cfnBucket instanceof CfnBucket)) throw new Error(`${this.node.path}: no CfnBucket`);
    cfnBucket.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };

    this.denyPut('RequireSseKms', [this.objectsArn('')], {
      StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
    });
    for (const [partnerId, key] of props.partnerKeys) {
      this.denyPut(`RequirePartnerKey${sidPart(partnerId)}`, [this.objectsArn(prefixes.partner(partnerId))], {
        StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': key.keyArn },
      });
    }
    this.denyPut('RequireResultsKey', [this.objectsArn(prefixes.work), this.objectsArn(prefixes.results)], {
      StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': props.resultsKey.keyArn },
    });
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'DenyPutOutsideKnownPrefixes',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObject'],
        notResources: [
          ...[...props.partnerKeys.keys()].map((id) => this.objectsArn(prefixes.partner(id))),
          this.objectsArn(prefixes.work),
          this.objectsArn(prefixes.results),
        ],
      }),
    );
  }

  /** ARN pattern of all objects under a prefix (`''` for the whole bucket). */
  objectsArn(prefix: string): string {
    return this.bucket.arnForObjects(`${prefix}*`);
  }

  /** Denies these roles reading objects under the given prefixes, whatever their identity policies say. */
  denyRead(sid: string, roles: readonly IRole[], prefixList: readonly string[]): void {
    if (roles.length === 0) return;
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid,
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectAttributes'],
        resources: prefixList.map((p) => this.objectsArn(p)),
        conditions: { ArnEquals: { 'aws:PrincipalArn': roles.map((r) => r.roleArn) } },
      }),
    );
  }

  /** Lets the teardown role empty both buckets (every object version) and delete them. */
  allowTeardown(teardownRole: IRole): void {
    for (const bucket of [this.bucket, this.logBucket]) {
      bucket.addToResourcePolicy(
        new PolicyStatement({
          sid: 'TeardownEmptiesAndDeletesBucket',
          principals: [teardownRole],
          actions: [
            's3:ListBucket',
            's3:ListBucketVersions',
            's3:GetBucketVersioning',
            's3:DeleteObject',
            's3:DeleteObjectVersion',
            's3:DeleteBucket',
          ],
          resources: [bucket.bucketArn, bucket.arnForObjects('*')],
        }),
      );
    }
  }

  private denyPut(sid: string, resources: string[], conditions: Record<string, unknown>): void {
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid,
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources,
        conditions,
      }),
    );
  }
}
