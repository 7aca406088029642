/**
 * Where the `lsi` commands act: the embedded default on this machine, or a deployed project stack in
 * AWS. Both give the same operations over the same wire protocols (DynamoDB and S3 APIs, the partner
 * endpoint, delivery-complete), so the commands do not care which it is.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import * as z from 'zod';
import type { DeliveryRequest } from '../../lambdas/handlers/delivery-complete.ts';
import type { HttpResult, PartnerRequest } from '../../lambdas/handlers/upload-url.ts';
import { createLocalClients } from '../local/services.ts';
import { projectStackName } from '../names.ts';

export interface TargetNames {
  readonly bucket: string;
  readonly resultsTable: string;
  readonly statusTable: string;
  readonly auditTable: string;
}

export interface ExecutionSummary {
  readonly name: string;
  readonly status: string;
  readonly error?: string;
}

export interface Target {
  readonly kind: 'lokaal' | 'aws';
  readonly names: TargetNames;
  readonly doc: DynamoDBDocumentClient;
  readonly s3: S3Client;
  /** A partner's call to the partner endpoint (locally the partner is named; in AWS the credentials say). */
  partner(partnerId: string | undefined, request: PartnerRequest): Promise<HttpResult>;
  /** The lead's call to delivery-complete. */
  deliveryComplete(request: DeliveryRequest): Promise<unknown>;
  /** Locally: wait until uploads are validated and linkage has finished. */
  idle(): Promise<ExecutionSummary[]>;
  close(): Promise<void>;
}

export class TargetError extends Error {
  override readonly name = 'TargetError';
}

export const httpResultSchema = z.object({
  statusCode: z.number(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
});

export const endpointsFileSchema = z.object({
  pid: z.number(),
  projectId: z.string(),
  control: z.url(),
  dynamoEndpoint: z.url(),
  s3Endpoint: z.url(),
  names: z.object({
    bucket: z.string(),
    resultsTable: z.string(),
    statusTable: z.string(),
    auditTable: z.string(),
  }),
});
export type EndpointsFile = z.infer<typeof endpointsFileSchema>;

/** Where `lsi local up` keeps a project's data and its endpoints file. */
export function localDir(projectId: string, base = '.lsi-local'): string {
  return join(base, projectId);
}

async function postJson(url: string, body: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    throw new TargetError(
      `De lokale omgeving reageert niet (${new URL(url).host}). Draait 'lsi local up' nog?`,
    );
  }
  const text = await res.text();
  const parsed: unknown = text === '' ? null : JSON.parse(text);
  if (!res.ok) {
    const e = z.object({ fout: z.string() }).safeParse(parsed);
    throw new TargetError(e.success ? e.data.fout : `De lokale omgeving gaf HTTP ${res.status}.`);
  }
  return parsed;
}

/** The embedded default run by `lsi local up` in another process. */
export function localTarget(projectId: string, base?: string): Target {
  const file = join(localDir(projectId, base), 'endpoints.json');
  let endpoints: EndpointsFile;
  try {
    endpoints = endpointsFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    throw new TargetError(
      `Geen lokale omgeving gevonden voor ${projectId} (${file}). Start die eerst in een ander venster met:\n  npx lsi local up --project <project.json>`,
    );
  }
  const clients = createLocalClients(endpoints, { marshallOptions: { removeUndefinedValues: true } });
  return {
    kind: 'lokaal',
    names: endpoints.names,
    doc: clients.documentClient,
    s3: clients.s3,
    partner: async (partnerId, request) => {
      if (!partnerId) throw new TargetError('Lokaal: zeg namens welke ketenpartner, met --partner <id>.');
      return httpResultSchema.parse(
        await postJson(`${endpoints.control}/partner/${encodeURIComponent(partnerId)}`, request),
      );
    },
    deliveryComplete: async (request) => postJson(`${endpoints.control}/delivery-complete`, request),
    idle: async () =>
      z
        .array(z.object({ name: z.string(), status: z.string(), error: z.string().optional() }))
        .parse(await postJson(`${endpoints.control}/idle`, {})),
    close: async () => clients.destroy(),
  };
}

const outputsSchema = z.object({
  DropBucketName: z.string(),
  ResultsTableName: z.string(),
  StatusTableName: z.string(),
  AuditTableName: z.string(),
  UploadUrlEndpoint: z.url(),
  DeliveryCompleteFunctionName: z.string(),
});

/** A deployed project stack, with the credentials of whoever runs the command (lead or partner). */
export async function awsTarget(projectId: string, region?: string): Promise<Target> {
  const common = region ? { region } : {};
  const cfn = new CloudFormationClient(common);
  const stackName = projectStackName(projectId);
  let outputs: Record<string, string>;
  try {
    const r = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = Object.fromEntries(
      (r.Stacks?.[0]?.Outputs ?? []).flatMap((o) =>
        o.OutputKey && o.OutputValue ? [[o.OutputKey, o.OutputValue]] : [],
      ),
    );
  } catch (e) {
    throw new TargetError(
      `Stack ${stackName} niet gevonden of niet leesbaar (${e instanceof Error ? e.name : 'fout'}).`,
    );
  }
  const o = outputsSchema.parse(outputs);
  const ddb = new DynamoDBClient(common);
  const lambda = new LambdaClient(common);
  const credentials = fromNodeProviderChain();
  const resolvedRegion = await ddb.config.region();
  return {
    kind: 'aws',
    names: {
      bucket: o.DropBucketName,
      resultsTable: o.ResultsTableName,
      statusTable: o.StatusTableName,
      auditTable: o.AuditTableName,
    },
    doc: DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } }),
    s3: new S3Client(common),
    partner: async (_partnerId, request) => {
      const url = new URL(o.UploadUrlEndpoint);
      const body = JSON.stringify(request);
      const signer = new SignatureV4({
        credentials,
        region: resolvedRegion,
        service: 'lambda',
        sha256: Sha256,
      });
      const signed = await signer.sign({
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        path: url.pathname,
        headers: { host: url.hostname, 'content-type': 'application/json' },
        body,
      });
      const res = await fetch(url, { method: 'POST', headers: signed.headers, body });
      return { statusCode: res.status, headers: {}, body: await res.text() };
    },
    deliveryComplete: async (request) => {
      const r = await lambda.send(
        new InvokeCommand({ FunctionName: o.DeliveryCompleteFunctionName, Payload: JSON.stringify(request) }),
      );
      const text = r.Payload ? Buffer.from(r.Payload).toString('utf8') : 'null';
      if (r.FunctionError) throw new TargetError(`delivery-complete faalde: ${text}`);
      return JSON.parse(text);
    },
    idle: async () => [],
    close: async () => {},
  };
}
