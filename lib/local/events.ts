/**
 * S3 → EventBridge, locally: s3rver's object notifications become the "Object Created" events that
 * S3 delivers through EventBridge in AWS, handed to a registered async handler. A failing handler is
 * retried like an asynchronous Lambda invocation, then parked in a local dead-letter list: counted and
 * reported, never crashing the S3 server.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type EmbeddedServices, LOCAL_ACCOUNT_ID, LOCAL_REGION, type RawS3Notification } from './services.ts';

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
