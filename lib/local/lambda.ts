/** What the local runtime hands a Lambda handler: the event, and a Context shaped as in AWS. */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { LocalResource, LocalTemplate } from './template.ts';

/** A Lambda handler as the runtime calls it. It gets the event as `unknown`: parse it with zod. */
export type LocalLambdaHandler = (event: unknown, context: Context) => unknown;

/** The function's Timeout property (CloudFormation's default is 3 s); not enforced locally. */
export function functionTimeoutSeconds(fn: LocalResource): number {
  return typeof fn.properties.Timeout === 'number' ? fn.properties.Timeout : 3;
}

export function lambdaContext(fn: LocalResource, template: LocalTemplate): Context {
  const deadline = Date.now() + functionTimeoutSeconds(fn) * 1000;
  const memory = fn.properties.MemorySize;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.physicalName,
    functionVersion: '$LATEST',
    invokedFunctionArn: fn.arn,
    memoryLimitInMB: String(typeof memory === 'number' ? memory : 128),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.physicalName}`,
    logStreamName: `local/${template.stackName}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** The handler for a function: by exact logical id, else by the one key that is a prefix of it. */
export function handlerForFunction(
  handlers: Record<string, LocalLambdaHandler>,
  functionLogicalId: string,
): LocalLambdaHandler | undefined {
  const exact = handlers[functionLogicalId];
  if (exact) return exact;
  const byPrefix = Object.entries(handlers).filter(([key]) => functionLogicalId.startsWith(key));
  return byPrefix.length === 1 ? byPrefix[0]?.[1] : undefined;
}
