/**
 * S3 → EventBridge, locally: s3rver's object notifications become the "Object Created" events that
 * S3 delivers through EventBridge in AWS, handed to a registered async handler. A failing handler is
 * retried like an asynchronous Lambda invocation, then parked in a local dead-letter list: counted and
 * reported, never crashing the S3 server.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { handlerForFunction, type LocalLambdaHandler, lambdaContext } from './lambda.ts';
import { type EmbeddedServices, LOCAL_ACCOUNT_ID, LOCAL_REGION, type RawS3Notification } from './services.ts';
import type { Json, LocalTemplate } from './template.ts';

/** The event S3 sends to EventBridge for a new object (the fields the product reads, and the rest). */
export interface ObjectCreatedEvent {
  version: '0';
  id: string;
  'detail-type': 'Object Created';
  source: 'aws.s3';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    version: '0';
    bucket: { name: string };
    object: { key: string; size: number; etag: string; sequencer: string };
    'request-id': string;
    requester: string;
    'source-ip-address': string;
    reason: 'PutObject' | 'PostObject' | 'CopyObject' | 'CompleteMultipartUpload';
  };
}

// What s3rver 3.7 emits (checked by experiment: one record per PUT, key not URL-encoded).
const s3rverNotification = z.object({
  Records: z.array(
    z.object({
      eventName: z.string(),
      eventTime: z.string(),
      requestParameters: z.object({ sourceIPAddress: z.string().optional() }).loose().optional(),
      responseElements: z.object({ 'x-amz-request-id': z.string().optional() }).loose().optional(),
      s3: z.object({
        bucket: z.object({ name: z.string() }).loose(),
        object: z
          .object({
            key: z.string(),
            size: z.number().optional(),
            eTag: z.string().optional(),
            sequencer: z.string().optional(),
          })
          .loose(),
      }),
    }),
  ),
});

const REASONS: Record<string, ObjectCreatedEvent['detail']['reason']> = {
  'ObjectCreated:Put': 'PutObject',
  'ObjectCreated:Post': 'PostObject',
  'ObjectCreated:Copy': 'CopyObject',
  'ObjectCreated:CompleteMultipartUpload': 'CompleteMultipartUpload',
};

export interface EventShapeOptions {
  region?: string;
  accountId?: string;
}

/** The EventBridge events for one s3rver notification (object-created records only). */
export function toObjectCreatedEvents(
  notification: RawS3Notification,
  options: EventShapeOptions = {},
): ObjectCreatedEvent[] {
  const account = options.accountId ?? LOCAL_ACCOUNT_ID;
  const region = options.region ?? LOCAL_REGION;
  const events: ObjectCreatedEvent[] = [];
  for (const record of s3rverNotification.parse(notification).Records) {
    const reason = REASONS[record.eventName];
    if (!reason) continue;
    const { bucket, object } = record.s3;
    events.push({
      version: '0',
      id: randomUUID(),
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account,
      // EventBridge times have whole seconds.
      time: new Date(record.eventTime).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: [`arn:aws:s3:::${bucket.name}`],
      detail: {
        version: '0',
        bucket: { name: bucket.name },
        object: {
          key: object.key,
          size: object.size ?? 0,
          etag: object.eTag ?? '',
          sequencer: (object.sequencer ?? '').padStart(18, '0'),
        },
        'request-id': record.responseElements?.['x-amz-request-id'] ?? randomUUID(),
        requester: account,
        'source-ip-address': record.requestParameters?.sourceIPAddress ?? '127.0.0.1',
        reason,
      },
    });
  }
  return events;
}

export type ObjectCreatedHandler = (event: ObjectCreatedEvent) => unknown;

export interface DeadLetter {
  event: ObjectCreatedEvent;
  error: { name: string; message: string };
  attempts: number;
  at: string;
}

export interface ObjectCreatedBridgeOptions extends EventShapeOptions {
  /** Deliver only these buckets' events (in AWS: buckets with EventBridge enabled and a matching rule). */
  buckets?: string[];
  /** Further filtering, like an EventBridge rule's pattern. */
  filter?: (event: ObjectCreatedEvent) => boolean;
  /** Retries after a failed delivery, as an asynchronous Lambda invocation does (default 2). */
  maxRetries?: number;
  /** Told about every event that ends in the dead-letter list. */
  onDeadLetter?: (letter: DeadLetter) => void;
}

export interface ObjectCreatedBridge {
  /** Counts since the bridge was connected. */
  stats(): { received: number; delivered: number; failed: number; pending: number; invalid: number };
  /** Events whose handler failed on every attempt (the local stand-in for a DLQ). */
  deadLetters(): DeadLetter[];
  /** Resolves when every event received so far has been handled (or dead-lettered). */
  drain(): Promise<void>;
  /** Stop listening; events in flight still finish. */
  close(): void;
}

/** Deliver the object-created events of the embedded S3 to `handler`. */
export function connectObjectCreated(
  services: Pick<EmbeddedServices, 'onS3Notification'>,
  handler: ObjectCreatedHandler,
  options: ObjectCreatedBridgeOptions = {},
): ObjectCreatedBridge {
  const maxRetries = options.maxRetries ?? 2;
  const counts = { received: 0, delivered: 0, failed: 0, invalid: 0 };
  const letters: DeadLetter[] = [];
  const inFlight = new Set<Promise<void>>();

  const deliver = async (event: ObjectCreatedEvent): Promise<void> => {
    let lastError: unknown;
    for (let attempt = 1; attempt <= maxRetries + 1; attempt++) {
      try {
        await handler(event);
        counts.delivered++;
        return;
      } catch (err) {
        lastError = err;
      }
    }
    counts.failed++;
    const letter: DeadLetter = {
      event,
      error: {
        name: lastError instanceof Error ? lastError.name : 'Error',
        message: lastError instanceof Error ? lastError.message : String(lastError),
      },
      attempts: maxRetries + 1,
      at: new Date().toISOString(),
    };
    letters.push(letter);
    try {
      options.onDeadLetter?.(letter);
    } catch {
      // reporting must not fail the bridge
    }
  };

  const unsubscribe = services.onS3Notification((notification) => {
    let events: ObjectCreatedEvent[];
    try {
      events = toObjectCreatedEvents(notification, options);
    } catch {
      counts.invalid++;
      return;
    }
    for (const event of events) {
      if (options.buckets && !options.buckets.includes(event.detail.bucket.name)) continue;
      if (options.filter && !options.filter(event)) continue;
      counts.received++;
      // Asynchronous, as in AWS: the PUT has already been answered when the handler runs.
      const delivery = new Promise<void>((resolve) => setImmediate(resolve)).then(() => deliver(event));
      inFlight.add(delivery);
      void delivery.finally(() => inFlight.delete(delivery));
    }
  });

  return {
    stats: () => ({ ...counts, pending: inFlight.size }),
    deadLetters: () => [...letters],
    async drain() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    close: unsubscribe,
  };
}

// ---------------------------------------------------------------------------------------------
// Routing by the template: EventBridge-enabled buckets and the rules that target functions

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function wildcardRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** One EventBridge leaf matcher against one value (undefined: the field is absent). */
function matchLeaf(matcher: Json, value: Json | undefined, path: string): boolean {
  if (!isObject(matcher)) return value !== undefined && matcher === value;
  const [kind, arg] = Object.entries(matcher)[0] ?? [];
  switch (kind) {
    case 'exists':
      return arg === (value !== undefined);
    case 'prefix':
      return typeof value === 'string' && typeof arg === 'string' && value.startsWith(arg);
    case 'suffix':
      return typeof value === 'string' && typeof arg === 'string' && value.endsWith(arg);
    case 'wildcard':
      return typeof value === 'string' && typeof arg === 'string' && wildcardRegExp(arg).test(value);
    case 'equals-ignore-case':
      return (
        typeof value === 'string' && typeof arg === 'string' && value.toLowerCase() === arg.toLowerCase()
      );
    case 'anything-but': {
      if (value === undefined) return false;
      if (isObject(arg)) return !matchLeaf(arg, value, path);
      const excluded = Array.isArray(arg) ? arg : [arg ?? null];
      return !excluded.some((x) => x === value);
    }
    default:
      throw new Error(`${path}: the local runtime does not support the EventBridge matcher ${kind}`);
  }
}

/** Whether `event` matches an EventBridge event pattern (the matchers S3 rules use). */
export function matchesEventPattern(pattern: Json, event: Json, path = 'EventPattern'): boolean {
  if (!isObject(pattern)) throw new Error(`${path}: an event pattern is an object`);
  return Object.entries(pattern).every(([key, expected]) => {
    const value = isObject(event) ? event[key] : undefined;
    if (Array.isArray(expected)) {
      const values: Array<Json | undefined> = Array.isArray(value) ? value : [value];
      return expected.some((matcher) => values.some((v) => matchLeaf(matcher, v, `${path}.${key}`)));
    }
    return isObject(value) && matchesEventPattern(expected, value, `${path}.${key}`);
  });
}

/** Physical names of the buckets that send their events to EventBridge. */
export function eventBridgeBuckets(template: LocalTemplate): string[] {
  const enabled = z
    .object({
      NotificationConfiguration: z
        .object({
          EventBridgeConfiguration: z
            .object({ EventBridgeEnabled: z.boolean().optional() })
            .loose()
            .optional(),
        })
        .loose()
        .optional(),
    })
    .loose();
  const names = new Set<string>();
  for (const bucket of template.ofType('AWS::S3::Bucket')) {
    const props = enabled.parse(template.resolvedProperties(bucket.logicalId, ['NotificationConfiguration']));
    if (props.NotificationConfiguration?.EventBridgeConfiguration?.EventBridgeEnabled)
      names.add(bucket.physicalName);
  }
  // Older CDK: a Custom::S3BucketNotifications resource switches EventBridge on.
  for (const custom of template.ofType('Custom::S3BucketNotifications')) {
    const props = z
      .object({
        BucketName: z.string(),
        NotificationConfiguration: z
          .object({ EventBridgeConfiguration: z.json().optional() })
          .loose()
          .optional(),
      })
      .loose()
      .parse(template.resolvedProperties(custom.logicalId, ['BucketName', 'NotificationConfiguration']));
    if (props.NotificationConfiguration?.EventBridgeConfiguration !== undefined) names.add(props.BucketName);
  }
  return [...names];
}

export interface S3EventRoute {
  ruleLogicalId: string;
  /** Lambda functions the rule targets (other targets are not run locally). */
  functionLogicalIds: string[];
  matches(event: ObjectCreatedEvent): boolean;
}

/** The enabled EventBridge rules of the template whose pattern can match S3 "Object Created" events. */
export function s3EventRoutes(template: LocalTemplate): S3EventRoute[] {
  const ruleProps = z
    .object({
      EventPattern: z.json().optional(),
      State: z.string().optional(),
      EventBusName: z.string().optional(),
      Targets: z.array(z.object({ Arn: z.string() }).loose()).optional(),
    })
    .loose();
  const routes: S3EventRoute[] = [];
  for (const rule of template.ofType('AWS::Events::Rule')) {
    const props = ruleProps.parse(
      template.resolvedProperties(rule.logicalId, ['EventPattern', 'State', 'EventBusName', 'Targets']),
    );
    if (props.EventPattern === undefined || props.State === 'DISABLED') continue;
    if (props.EventBusName !== undefined && props.EventBusName !== 'default') continue; // S3 sends to default
    const pattern = props.EventPattern;
    const sourceOk = matchesEventPattern(
      { source: isObject(pattern) && pattern.source !== undefined ? pattern.source : ['aws.s3'] },
      { source: 'aws.s3' },
    );
    if (!sourceOk) continue;
    const functionLogicalIds = (props.Targets ?? [])
      .map((t) => template.functionByArn(t.Arn)?.logicalId)
      .filter((id): id is string => id !== undefined);
    routes.push({
      ruleLogicalId: rule.logicalId,
      functionLogicalIds,
      matches: (event) => matchesEventPattern(pattern, toJsonEvent(event), `${rule.logicalId}.EventPattern`),
    });
  }
  return routes;
}

function toJsonEvent(event: ObjectCreatedEvent): Json {
  return z.json().parse(JSON.parse(JSON.stringify(event)));
}

export interface TemplateRoutesOptions extends Omit<ObjectCreatedBridgeOptions, 'buckets' | 'filter'> {
  /** Handlers by Lambda function logical id (or unique prefix). A routed function without one fails. */
  handlers: Record<string, LocalLambdaHandler>;
}

/**
 * Deliver S3 events as the template wires them: from EventBridge-enabled buckets, through each enabled
 * rule whose pattern matches, to each Lambda target, with the function's local handler and a Context.
 */
export function connectTemplateRoutes(
  services: Pick<EmbeddedServices, 'onS3Notification'>,
  template: LocalTemplate,
  options: TemplateRoutesOptions,
): ObjectCreatedBridge & { routes: S3EventRoute[] } {
  const buckets = eventBridgeBuckets(template);
  const routes = s3EventRoutes(template);
  const missing: string[] = [];
  const bridges: ObjectCreatedBridge[] = [];
  for (const route of routes) {
    for (const functionLogicalId of route.functionLogicalIds) {
      const handler = handlerForFunction(options.handlers, functionLogicalId);
      if (!handler) {
        missing.push(`${functionLogicalId} (rule ${route.ruleLogicalId})`);
        continue;
      }
      const fn = template.get(functionLogicalId);
      bridges.push(
        connectObjectCreated(services, (event) => handler(event, lambdaContext(fn, template)), {
          ...options,
          buckets,
          filter: route.matches,
        }),
      );
    }
  }
  if (missing.length > 0) {
    for (const bridge of bridges) bridge.close();
    throw new Error(`no local handler for the functions S3 events are routed to: ${missing.join(', ')}`);
  }
  return {
    routes,
    stats() {
      const total = { received: 0, delivered: 0, failed: 0, pending: 0, invalid: 0 };
      for (const bridge of bridges) {
        const s = bridge.stats();
        total.received += s.received;
        total.delivered += s.delivered;
        total.failed += s.failed;
        total.pending += s.pending;
        total.invalid += s.invalid;
      }
      return total;
    },
    deadLetters: () => bridges.flatMap((b) => b.deadLetters()),
    async drain() {
      await Promise.all(bridges.map((b) => b.drain()));
    },
    close() {
      for (const bridge of bridges) bridge.close();
    },
  };
}
