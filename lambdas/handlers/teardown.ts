/**
 * The teardown function (closer stack): started once by the schedule at the close date, or by the
 * lead (`lsi close --aws --confirm` invokes it with `{ confirm: true }`; `{ dryRun: true }` only
 * lists). Thin: parse the event, build the ports, run the use case, answer with a summary.
 *
 * Environment (lib/closer-stack.ts): PROJECT_ID, PROJECT_STACK_NAME, TEARDOWN_RECORD_TABLE.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { AwsKeyManager } from '../adapters/kms.ts';
import { type Log, powertoolsLog } from '../adapters/log.ts';
import {
  CloudFormationStack,
  DynamoRecordStore,
  DynamoTables,
  S3ObjectStore,
} from '../adapters/teardown-aws.ts';
import { dryRun, runTeardown, type TeardownPorts, TeardownStepFailed } from '../app/teardown.ts';
import type { DeletionRecord } from '../core/teardown.ts';

export const teardownEnvSchema = z.object({
  PROJECT_ID: z.string().min(1),
  PROJECT_STACK_NAME: z.string().min(1),
  TEARDOWN_RECORD_TABLE: z.string().min(1),
});

/** The scheduled event (closer stack) or the lead's invocation. */
export const teardownEventSchema = z.union([
  z.object({
    trigger: z.literal('close-date'),
    projectId: z.string(),
    stackName: z.string().optional(),
  }),
  z.object({ confirm: z.literal(true), projectId: z.string().optional() }),
  z.object({ dryRun: z.literal(true), projectId: z.string().optional() }),
]);
export type TeardownEvent = z.infer<typeof teardownEventSchema>;

export interface TeardownDeps {
  readonly projectId: string;
  readonly stackName: string;
  readonly ports: TeardownPorts;
  readonly log: Log;
}

export class TeardownRequestError extends Error {
  override readonly name = 'TeardownRequestError';
}

/** What the function answers: the record's summary, never its full contents in a log line. */
export type TeardownResult =
  | { readonly kind: 'dry-run'; readonly dryRun: Awaited<ReturnType<typeof dryRun>> }
  | { readonly kind: 'complete'; readonly record: DeletionRecord; readonly location: string }
  | {
      readonly kind: 'failed';
      readonly failedStep: string;
      readonly error: string;
      readonly record: DeletionRecord;
      readonly location: string;
    };

export function createTeardownHandler(getDeps: () => TeardownDeps) {
  return async (event: unknown): Promise<TeardownResult> => {
    const deps = getDeps();
    const parsed = teardownEventSchema.safeParse(event);
    if (!parsed.success) {
      throw new TeardownRequestError('Ongeldig verzoek: verwacht { confirm: true } of { dryRun: true }.');
    }
    const e = parsed.data;
    if (e.projectId !== undefined && e.projectId !== deps.projectId) {
      throw new TeardownRequestError('Dit verzoek is voor een ander project.');
    }
    if ('trigger' in e && e.stackName !== undefined && e.stackName !== deps.stackName) {
      throw new TeardownRequestError('Dit verzoek is voor een andere stack.');
    }
    if ('dryRun' in e) return { kind: 'dry-run', dryRun: await dryRun(deps.ports, deps.projectId) };
    const options = {
      projectId: deps.projectId,
      environment: 'aws' as const,
      trigger: 'trigger' in e ? ('close-date' as const) : ('lead' as const),
    };
    const location = deps.ports.records.location;
    try {
      return { kind: 'complete', record: await runTeardown(deps.ports, options), location };
    } catch (err) {
      if (err instanceof TeardownStepFailed) {
        // The schedule retries (up to 5 times); a rerun finishes the job.
        if (options.trigger === 'close-date') throw err;
        return { kind: 'failed', failedStep: err.step, error: err.errorName, record: err.record, location };
      }
      throw err;
    }
  };
}

/** The AWS ports from the Lambda environment, built once per container. */
export function awsTeardownDeps(env: Record<string, string | undefined> = process.env): TeardownDeps {
  const e = teardownEnvSchema.parse(env);
  const ddb = new DynamoDBClient({});
  const doc = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });
  const log = powertoolsLog();
  return {
    projectId: e.PROJECT_ID,
    stackName: e.PROJECT_STACK_NAME,
    log,
    ports: {
      objects: new S3ObjectStore(new S3Client({})),
      tables: new DynamoTables(ddb, doc),
      keys: new AwsKeyManager(new KMSClient({})),
      stack: new CloudFormationStack(new CloudFormationClient({}), e.PROJECT_STACK_NAME),
      records: new DynamoRecordStore(doc, e.TEARDOWN_RECORD_TABLE),
      log,
    },
  };
}

let deps: TeardownDeps | undefined;
export const handler = createTeardownHandler(() => {
  deps ??= awsTeardownDeps();
  return deps;
});
