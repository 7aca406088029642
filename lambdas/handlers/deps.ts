/**
 * What every handler needs, built once per container: configuration from the environment (checked with
 * zod, failing fast with the variable's name) and SDK clients. The embedded default builds the same
 * shape with local clients, so the handlers run unchanged on one machine.
 */

import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { type Log, powertoolsLog } from '../adapters/log.ts';
import { type Project, parseProject } from '../core/project.ts';

const json = <T extends z.ZodType>(schema: T) =>
  z.string().transform((s, ctx) => {
    try {
      return schema.parse(JSON.parse(s));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'geen geldige JSON van de verwachte vorm' });
      return z.NEVER;
    }
  });

export const envSchema = z.object({
  PROJECT_ID: z.string().min(1),
  PROJECT_CONFIG: json(z.unknown()).optional(),
  DROP_BUCKET: z.string().optional(),
  PARTNER_KEYS: json(z.record(z.string(), z.string())).optional(),
  PARTNER_UPLOAD_ROLES: json(z.record(z.string(), z.string())).optional(),
  RESULTS_KEY_ARN: z.string().optional(),
  RESULTS_TABLE: z.string().optional(),
  STATUS_TABLE: z.string().optional(),
  AUDIT_TABLE: z.string().optional(),
  STATE_MACHINE_ARN: z.string().optional(),
  DELIVERY_COMPLETE_FUNCTION: z.string().optional(),
  NOTIFY_TOPIC_ARN: z.string().optional(),
  UPLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(300),
  MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(200 * 1024 * 1024),
  UPLOAD_DEADLINE: z.string().optional(),
});

export interface Config {
  readonly projectId: string;
  readonly project: Project | undefined;
  readonly dropBucket: string | undefined;
  readonly partnerKeys: Readonly<Record<string, string>>;
  readonly partnerUploadRoles: Readonly<Record<string, string>>;
  readonly resultsKeyArn: string | undefined;
  readonly resultsTable: string | undefined;
  readonly statusTable: string | undefined;
  readonly auditTable: string | undefined;
  readonly stateMachineArn: string | undefined;
  readonly uploadUrlTtlSeconds: number;
  readonly maxUploadBytes: number;
  readonly uploadDeadline: string | undefined;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads the configuration from environment variables once; every problem names its variable. */
export function configFromEnv(env: Record<string, string | undefined>): Config {
  const r = envSchema.safeParse(env);
  if (!r.success) {
    throw new ConfigError(
      `Ongeldige configuratie: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const e = r.data;
  return {
    projectId: e.PROJECT_ID,
    project: e.PROJECT_CONFIG === undefined ? undefined : parseProject(e.PROJECT_CONFIG, 'PROJECT_CONFIG'),
    dropBucket: e.DROP_BUCKET,
    partnerKeys: e.PARTNER_KEYS ?? {},
    partnerUploadRoles: e.PARTNER_UPLOAD_ROLES ?? {},
    resultsKeyArn: e.RESULTS_KEY_ARN,
    resultsTable: e.RESULTS_TABLE,
    statusTable: e.STATUS_TABLE,
    auditTable: e.AUDIT_TABLE,
    stateMachineArn: e.STATE_MACHINE_ARN,
    uploadUrlTtlSeconds: e.UPLOAD_URL_TTL_SECONDS,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    uploadDeadline: e.UPLOAD_DEADLINE === '' ? undefined : e.UPLOAD_DEADLINE,
  };
}

/** A setting a handler cannot do without. */
export function need<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new ConfigError(`Configuratie ontbreekt: ${name}`);
  return value;
}

export interface Deps {
  readonly config: Config;
  readonly s3: S3Client;
  readonly doc: DynamoDBDocumentClient;
  /** Starts a state machine execution; fails with an error named ExecutionAlreadyExists for a used name. */
  readonly startExecution: (args: { stateMachineArn: string; name: string; input: string }) => Promise<void>;
  /** An S3 client acting as the partner's upload role: pre-signed URLs are signed with it. */
  readonly partnerS3: (partner: string) => Promise<S3Client>;
  /** Asks delivery-complete to look at a round again (asynchronously in AWS). */
  readonly checkRound: (payload: { action: 'check'; round: number }) => Promise<void>;
  /** Tells the lead (counts only, never addresses). */
  readonly notify: (subject: string, message: string) => Promise<void>;
  readonly log: Log;
  readonly now: () => Date;
  readonly random: (bytes: number) => Uint8Array;
}

/** The AWS dependencies, from the Lambda environment. */
export function awsDeps(env: Record<string, string | undefined> = process.env): Deps {
  const config = configFromEnv(env);
  const s3 = new S3Client({});
  const ddb = new DynamoDBClient({});
  const sts = new STSClient({});
  const sns = new SNSClient({});
  const lambda = new LambdaClient({});
  const sfn = new SFNClient({});
  const partnerClients = new Map<string, { client: S3Client; until: number }>();
  return {
    config,
    s3,
    doc: DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } }),
    startExecution: async ({ stateMachineArn, name, input }) => {
      await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
    },
    partnerS3: async (partner) => {
      const cached = partnerClients.get(partner);
      if (cached && cached.until > Date.now() + 5 * 60_000) return cached.client;
      const roleArn = need(config.partnerUploadRoles[partner], `PARTNER_UPLOAD_ROLES.${partner}`);
      const r = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: `upload-url-${partner}`,
          DurationSeconds: 900,
        }),
      );
      const c = r.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
        throw new Error('AssumeRole gave no credentials');
      }
      const client = new S3Client({
        credentials: {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
        },
      });
      partnerClients.set(partner, { client, until: c.Expiration.getTime() });
      return client;
    },
    checkRound: async (payload) => {
      await lambda.send(
        new InvokeCommand({
          FunctionName: need(env.DELIVERY_COMPLETE_FUNCTION, 'DELIVERY_COMPLETE_FUNCTION'),
          InvocationType: 'Event',
          Payload: JSON.stringify(payload),
        }),
      );
    },
    notify: async (subject, message) => {
      const topic = env.NOTIFY_TOPIC_ARN;
      if (!topic) return;
      await sns.send(
        new PublishCommand({ TopicArn: topic, Subject: subject.slice(0, 99), Message: message }),
      );
    },
    log: powertoolsLog(),
    now: () => new Date(),
    random: (n) => randomBytes(n),
  };
}

/** Builds the AWS dependencies on first use, once per container. */
export function lazyAwsDeps(): () => Deps {
  let deps: Deps | undefined;
  return () => {
    deps ??= awsDeps();
    return deps;
  };
}
