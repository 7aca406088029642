/**
 * A whole project on one machine: the project stack CDK synthesises, its tables and bucket in the
 * embedded DynamoDB and S3, its state machine run with the real handlers in-process, and S3 events
 * delivered as EventBridge would. Each handler gets the configuration its function has in the template
 * (the same environment variables as in AWS), so wiring mistakes show up here too.
 *
 * What this does not prove: signatures (s3rver checks none), encryption (SSE headers are ignored,
 * keys are a stand-in) and IAM. Those are proven on the synthesised template (test/infra).
 */
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { type Log, memoryLog } from '../../lambdas/adapters/log.ts';
import type { Project } from '../../lambdas/core/project.ts';
import {
  createDeliveryCompleteHandler,
  type DeliveryRequest,
} from '../../lambdas/handlers/delivery-complete.ts';
import { type Config, configFromEnv, type Deps } from '../../lambdas/handlers/deps.ts';
import { createLinkHandler } from '../../lambdas/handlers/link.ts';
import { createNotifyHandler } from '../../lambdas/handlers/notify.ts';
import { createPublishHandler } from '../../lambdas/handlers/publish.ts';
import { createRecordFailureHandler } from '../../lambdas/handlers/record-failure.ts';
import { createUploadReceivedHandler } from '../../lambdas/handlers/upload-received.ts';
import {
  createUploadUrlHandler,
  type HttpResult,
  type PartnerRequest,
} from '../../lambdas/handlers/upload-url.ts';
import { createValidatePartnerHandler } from '../../lambdas/handlers/validate-partner.ts';
import { buildProjectApp } from '../app.ts';
import { connectTemplateRoutes, type ObjectCreatedBridge } from './events.ts';
import { type LocalRuntime, startLocalRuntime } from './index.ts';
import type { LocalLambdaHandler } from './lambda.ts';
import { type ExecutionResult, LocalStateMachine } from './state-machine.ts';
import type { LocalTemplate } from './template.ts';

/** The functions of the project stack, by the logical-id prefix CDK gives them. */
export const FUNCTIONS = {
  uploadUrl: 'UploadUrl',
  deliveryComplete: 'DeliveryComplete',
  uploadReceived: 'UploadReceived',
  validatePartner: 'ValidatePartner',
  link: 'Link',
  publish: 'Publish',
  notify: 'Notify',
  recordFailure: 'RecordFailure',
} as const;
export type FunctionKey = keyof typeof FUNCTIONS;
const FUNCTION_KEYS: readonly FunctionKey[] = [
  'uploadUrl',
  'deliveryComplete',
  'uploadReceived',
  'validatePartner',
  'link',
  'publish',
  'notify',
  'recordFailure',
];

export const LOCAL_ACCOUNT = '000000000000';

/** A project without deployment settings gets stand-in principals for the local run. */
export function withLocalDeployment(project: Project): Project {
  if (project.deployment) return project;
  const role = (name: string) => `arn:aws:iam::${LOCAL_ACCOUNT}:role/lsi-local-${name}`;
  return {
    ...project,
    deployment: {
      leadPrincipals: [role('projectleiding')],
      partnerPrincipals: Object.fromEntries(project.partners.map((p) => [p.id, [role(p.id)]])),
      supervisorPrincipals: [],
    },
  };
}

export interface Notification {
  readonly subject: string;
  readonly message: string;
}

export interface EmbeddedProjectOptions {
  readonly project: Project;
  /** Where the embedded services keep their data. */
  readonly dir: string;
  /** Keep DynamoDB data on disk (for `lsi local up`); S3 always lives under `dir`. @default false */
  readonly persist?: boolean;
  /** @default 0 (a free port) */
  readonly dynamoPort?: number;
  /** @default 0 (a free port) */
  readonly s3Port?: number;
  /** Where the handlers log (ids and counts only). @default in memory */
  readonly log?: Log;
  /** Progress of executions: state names as they are entered. */
  readonly onState?: (state: string, execution: string) => void;
  /** Wraps a handler (tests inject faults here). @default none */
  readonly wrap?: (
    fn: FunctionKey,
    handler: (event: unknown) => Promise<unknown>,
  ) => (event: unknown) => Promise<unknown>;
}

export interface EmbeddedProject {
  readonly project: Project;
  readonly runtime: LocalRuntime;
  readonly template: LocalTemplate;
  /** Physical names, as the stack outputs give them in AWS. */
  readonly names: {
    readonly bucket: string;
    readonly resultsTable: string;
    readonly statusTable: string;
    readonly auditTable: string;
  };
  /** Notifications the lead would get by e-mail. */
  readonly outbox: Notification[];
  /** A partner's call to its endpoint, with that partner's identity. */
  partner(partnerId: string, request: PartnerRequest): Promise<HttpResult>;
  /** The lead's call to delivery-complete. */
  deliveryComplete(request: DeliveryRequest): Promise<unknown>;
  /** Invokes one function's handler directly (as a duplicate event delivery would). */
  invoke(fn: FunctionKey, event: unknown): Promise<unknown>;
  /** Waits until no S3 event is pending and no execution is running; returns the finished executions. */
  idle(): Promise<ExecutionResult[]>;
  stop(): Promise<void>;
}

const outputsSchema = z.record(z.string(), z.string());

export async function startEmbeddedProject(options: EmbeddedProjectOptions): Promise<EmbeddedProject> {
  const project = withLocalDeployment(options.project);
  const { app, projectStack, closerStack } = buildProjectApp(project, {
    bundle: false,
    defaultEnv: { account: LOCAL_ACCOUNT, region: 'eu-central-1' },
  });
  const assembly = app.synth();
  const closerTemplate: unknown = assembly.getStackByName(closerStack.stackName).template;
  const projectTemplate: unknown = assembly.getStackByName(projectStack.stackName).template;
  const { LocalTemplate } = await import('./template.ts');
  const closer = LocalTemplate.from(closerTemplate, { stackName: closerStack.stackName });
  const runtime = await startLocalRuntime({
    template: projectTemplate,
    dir: options.dir,
    stackName: projectStack.stackName,
    stackOutputs: { [closerStack.stackName]: closer.outputs() },
    persistDynamo: options.persist ?? false,
    ...(options.dynamoPort !== undefined ? { dynamoPort: options.dynamoPort } : {}),
    ...(options.s3Port !== undefined ? { s3Port: options.s3Port } : {}),
  });
  const template = runtime.template;
  const outputs = outputsSchema.parse(template.outputs());
  const output = (name: string): string => {
    const v = outputs[name];
    if (v === undefined) throw new Error(`the project stack has no output ${name}`);
    return v;
  };
  const names = {
    bucket: output('DropBucketName'),
    resultsTable: output('ResultsTableName'),
    statusTable: output('StatusTableName'),
    auditTable: output('AuditTableName'),
  };

  const log = options.log ?? memoryLog();
  const outbox: Notification[] = [];
  const running = new Set<Promise<ExecutionResult>>();
  const tracked = new Set<string>();
  const finished: ExecutionResult[] = [];
  let stateMachine: LocalStateMachine | undefined;
  const handlers: Partial<Record<FunctionKey, (event: unknown) => Promise<unknown>>> = {};

  const depsFor = (key: FunctionKey): Deps => {
    const fn = template.find('AWS::Lambda::Function', FUNCTIONS[key]);
    const config: Config = configFromEnv(template.functionEnvironment(fn.logicalId));
    return {
      config,
      s3: runtime.clients.s3,
      doc: runtime.clients.documentClient,
      startExecution: async ({ name, input }) => {
        if (!stateMachine) throw new Error('state machine not ready');
        const started = stateMachine.startExecution({ name, input: z.json().parse(JSON.parse(input)) });
        // Step Functions answers a repeated start (same name, same input) with the running execution.
        if (tracked.has(started.executionArn)) return;
        tracked.add(started.executionArn);
        const done = started.done.then((r) => {
          running.delete(done);
          finished.push(r);
          return r;
        });
        running.add(done);
      },
      partnerS3: async () => runtime.clients.s3,
      checkRound: async (payload) => {
        // Asynchronous in AWS (an Event invocation); here too, but awaited by idle().
        const call = Promise.resolve()
          .then(() => handlers.deliveryComplete?.(payload))
          .then(
            () => undefined,
            (e: unknown) => {
              log.error('delivery-complete failed', { error: e instanceof Error ? e.name : 'unknown' });
            },
          );
        pendingCalls.add(call);
        await call;
        pendingCalls.delete(call);
      },
      notify: async (subject, message) => {
        outbox.push({ subject, message });
      },
      log,
      now: () => new Date(),
      random: (n) => randomBytes(n),
    };
  };
  const pendingCalls = new Set<Promise<void>>();

  handlers.uploadUrl = createUploadUrlHandler(() => deps.uploadUrl);
  handlers.deliveryComplete = createDeliveryCompleteHandler(() => deps.deliveryComplete);
  handlers.uploadReceived = createUploadReceivedHandler(() => deps.uploadReceived);
  handlers.validatePartner = createValidatePartnerHandler(() => deps.validatePartner);
  handlers.link = createLinkHandler(() => deps.link);
  handlers.publish = createPublishHandler(() => deps.publish);
  handlers.notify = createNotifyHandler(() => deps.notify);
  handlers.recordFailure = createRecordFailureHandler(() => deps.recordFailure);
  const deps: Record<FunctionKey, Deps> = {
    uploadUrl: depsFor('uploadUrl'),
    deliveryComplete: depsFor('deliveryComplete'),
    uploadReceived: depsFor('uploadReceived'),
    validatePartner: depsFor('validatePartner'),
    link: depsFor('link'),
    publish: depsFor('publish'),
    notify: depsFor('notify'),
    recordFailure: depsFor('recordFailure'),
  };

  const byLogicalId: Record<string, LocalLambdaHandler> = {};
  for (const key of FUNCTION_KEYS) {
    const raw = handlers[key];
    if (raw && options.wrap) handlers[key] = options.wrap(key, raw);
    const h = handlers[key];
    if (h) byLogicalId[FUNCTIONS[key]] = (event: unknown) => h(event);
  }
  stateMachine = new LocalStateMachine({
    template,
    handlers: byLogicalId,
    registry: runtime.executions,
    ...(options.onState
      ? {
          onEvent: (event, execution) => {
            if (event.type === 'StateEntered') options.onState?.(event.state.name, execution.name);
          },
        }
      : {}),
  });
  const bridge: ObjectCreatedBridge = connectTemplateRoutes(runtime.services, template, {
    handlers: byLogicalId,
  });

  const uploadRoles = deps.uploadUrl.config.partnerUploadRoles;
  return {
    project,
    runtime,
    template,
    names,
    outbox,
    partner: async (partnerId, request) => {
      const roleArn = uploadRoles[partnerId];
      const roleName = roleArn?.split('/').pop() ?? 'onbekend';
      const event = {
        body: JSON.stringify(request),
        isBase64Encoded: false,
        requestContext: {
          authorizer: {
            iam: { userArn: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${roleName}/lsi-local` },
          },
        },
      };
      const h = handlers.uploadUrl;
      if (!h) throw new Error('no upload-url handler');
      const r = await h(event);
      return z
        .object({ statusCode: z.number(), headers: z.record(z.string(), z.string()), body: z.string() })
        .parse(r);
    },
    deliveryComplete: async (request) => handlers.deliveryComplete?.(request),
    invoke: async (fn, event) => {
      const h = handlers[fn];
      if (!h) throw new Error(`no handler for ${fn}`);
      return h(event);
    },
    idle: async () => {
      for (;;) {
        await bridge.drain();
        await Promise.all(pendingCalls);
        if (running.size === 0 && pendingCalls.size === 0 && bridge.stats().pending === 0) break;
        await Promise.all(running);
      }
      return finished.splice(0);
    },
    stop: async () => {
      bridge.close();
      await Promise.all(running);
      await runtime.stop();
    },
  };
}
