/**
 * Runs the state machine definition that CDK synthesised, with aws-local-stepfunctions, calling the
 * Lambda handlers in-process. Task states are matched to handlers through the function ARNs in the
 * resolved definition, so the definition runs unchanged: Map, Parallel, Retry and Catch behave as in
 * AWS (retries without the waits). Execution names are unique per state machine, as in AWS, which the
 * product relies on for exactly-once starts.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ExecutionAlreadyExists } from '@aws-sdk/client-sfn';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { z } from 'zod';
import { handlerForFunction, type LocalLambdaHandler, lambdaContext } from './lambda.ts';
import type { Json, JsonObject, LocalResource, LocalTemplate } from './template.ts';

export type { LocalLambdaHandler } from './lambda.ts';

/** For Task states that call something other than Lambda (an SDK integration), keyed by state name. */
export type TaskOverride = (input: Json) => Json | Promise<Json>;

type RunResult = ReturnType<StateMachine['run']>;
/** One entry of the local execution history (aws-local-stepfunctions' event log). */
export type ExecutionEvent = RunResult['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: string;
  stopDate?: string;
  /** Hash of the input: a running execution restarted with the same name and input is not an error. */
  inputHash: string;
  error?: string;
  cause?: string;
}

export interface ExecutionResult {
  executionArn: string;
  name: string;
  status: Exclude<ExecutionStatus, 'RUNNING'>;
  output?: Json;
  error?: string;
  cause?: string;
  /** The execution history, for assertions and progress. Held in memory only, never persisted. */
  events: ExecutionEvent[];
}

export interface StartedExecution {
  executionArn: string;
  name: string;
  startDate: Date;
  /** Settles when the execution ends; never rejects (a failed execution is a result). */
  done: Promise<ExecutionResult>;
}

const recordSchema = z.object({
  executionArn: z.string(),
  stateMachineArn: z.string(),
  name: z.string(),
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT']),
  startDate: z.string(),
  stopDate: z.string().optional(),
  inputHash: z.string(),
  error: z.string().optional(),
  cause: z.string().optional(),
  pid: z.number().optional(),
});
const registryFileSchema = z.object({ version: z.literal(1), executions: z.array(recordSchema) });

/**
 * Execution names per state machine: in memory, or persisted to a JSON file so that a name stays
 * taken across restarts of the local runtime (as it does in AWS).
 */
export class ExecutionRegistry {
  private readonly records = new Map<string, ExecutionRecord>();
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly file?: string) {
    if (!file) return;
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if (!(err instanceof Error && 'code' in err && err.code === 'ENOENT')) throw err;
    }
    if (text === undefined) return;
    for (const { pid, ...record } of registryFileSchema.parse(JSON.parse(text)).executions) {
      // A run still marked RUNNING belonged to a process that is gone: it will never finish.
      const stale = record.status === 'RUNNING' && pid !== process.pid;
      this.records.set(record.executionArn, stale ? { ...record, status: 'ABORTED' } : record);
    }
  }

  get(executionArn: string): ExecutionRecord | undefined {
    return this.records.get(executionArn);
  }

  list(stateMachineArn?: string): ExecutionRecord[] {
    return [...this.records.values()].filter(
      (r) => !stateMachineArn || r.stateMachineArn === stateMachineArn,
    );
  }

  /** Synchronous check-and-set, so two starts in the same tick cannot both win. */
  set(record: ExecutionRecord): void {
    this.records.set(record.executionArn, record);
    this.persist();
  }

  /** Resolves when every change so far is on disk. */
  flush(): Promise<void> {
    return this.writes;
  }

  private persist(): void {
    const file = this.file;
    if (!file) return;
    const snapshot = JSON.stringify(
      { version: 1, executions: [...this.records.values()].map((r) => ({ ...r, pid: process.pid })) },
      null,
      2,
    );
    this.writes = this.writes
      .then(async () => {
        await mkdir(dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        await writeFile(tmp, `${snapshot}\n`);
        await rename(tmp, file);
      })
      .catch((err: unknown) => {
        process.emitWarning(`could not persist the execution registry ${file}: ${String(err)}`);
      });
  }
}

export interface LocalStateMachineOptions {
  template: LocalTemplate;
  /** Logical id (or unique prefix) of the AWS::StepFunctions::StateMachine; default: the only one. */
  stateMachine?: string;
  /** Handlers by Lambda function logical id (or unique prefix, CDK appends a hash). */
  handlers: Record<string, LocalLambdaHandler>;
  /** For Task states that are not Lambda invocations, by state name. */
  taskOverrides?: Record<string, TaskOverride>;
  /** Share a registry between machines/instances, or persist it (`new ExecutionRegistry(file)`). */
  registry?: ExecutionRegistry;
  /** Pause before each retry, in ms. Default 0: retries happen, the waits don't. */
  retryIntervalMs?: number;
  /** Called for every history event as it happens (progress output). */
  onEvent?: (event: ExecutionEvent, execution: { name: string; executionArn: string }) => void;
}

/** setTimeout's limit (2^31-1 ms), in whole seconds: about 24.8 days. */
const MAX_LOCAL_TASK_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke(\.waitForTaskToken)?$/;
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:[^:]+(:[^:]+)?$/;

const definitionShape = z
  .object({
    StartAt: z.string(),
    States: z.record(z.string(), z.object({ Type: z.string() }).loose()),
  })
  .loose();

function isJsonObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDefinition(value: Json): value is Json & StateMachineDefinition {
  // The full check is asl-validator's, run by the StateMachine constructor; this checks the frame.
  return definitionShape.safeParse(value).success;
}

/** Every (state name, state) in the definition, including states inside Map and Parallel. */
function* walkStates(definition: JsonObject): Generator<[string, JsonObject]> {
  const states = definition.States;
  if (!isJsonObject(states)) return;
  for (const [name, state] of Object.entries(states)) {
    if (!isJsonObject(state)) continue;
    yield [name, state];
    for (const nested of [state.ItemProcessor, state.Iterator]) {
      if (isJsonObject(nested)) yield* walkStates(nested);
    }
    if (Array.isArray(state.Branches)) {
      for (const branch of state.Branches) if (isJsonObject(branch)) yield* walkStates(branch);
    }
  }
}

/** Json without functions, undefined, Dates…: what crosses the Lambda boundary in AWS. */
function toJson(value: unknown): Json {
  if (value === undefined) return null;
  return z.json().parse(JSON.parse(JSON.stringify(value)));
}

function hashInput(input: Json): string {
  return createHash('sha256').update(JSON.stringify(input)).digest('hex');
}

/**
 * Rethrow a handler's error as Step Functions reports a Lambda function error: `Error` is the error's
 * name (what Retry/Catch match), `Cause` a JSON string with errorType and errorMessage.
 */
function asTaskError(err: unknown): Error {
  const errorType = err instanceof Error ? err.name : 'Error';
  const errorMessage = err instanceof Error ? err.message : String(err);
  const error = new Error(JSON.stringify({ errorType, errorMessage }));
  error.name = errorType;
  return error;
}

export class LocalStateMachine {
  readonly arn: string;
  readonly name: string;
  readonly logicalId: string;
  /** The resolved definition, as it runs (Task TimeoutSeconds defaulted as in AWS). */
  readonly definition: JsonObject;
  /** Task state name → Lambda function logical id, as derived from the definition. */
  readonly taskFunctions: ReadonlyMap<string, string>;
  private readonly machine: StateMachine;
  private readonly localHandlers: Record<string, (input: Json) => Promise<Json>>;
  private readonly retryOverrides: Record<string, number>;
  private readonly registry: ExecutionRegistry;
  private readonly onEvent: LocalStateMachineOptions['onEvent'];
  private readonly running = new Map<string, StartedExecution>();

  constructor(options: LocalStateMachineOptions) {
    const { template } = options;
    const resource = template.find('AWS::StepFunctions::StateMachine', options.stateMachine ?? '');
    this.arn = resource.arn;
    this.name = resource.physicalName;
    this.logicalId = resource.logicalId;
    this.registry = options.registry ?? new ExecutionRegistry();
    this.onEvent = options.onEvent;

    const props = z
      .object({
        DefinitionString: z.string().optional(),
        Definition: z.json().optional(),
        DefinitionSubstitutions: z
          .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
          .optional(),
      })
      .loose()
      .parse(
        template.resolvedProperties(resource.logicalId, [
          'DefinitionString',
          'Definition',
          'DefinitionSubstitutions',
        ]),
      );
    const substitutions = props.DefinitionSubstitutions ?? {};
    // CloudFormation replaces ${key} in the definition with the DefinitionSubstitutions values.
    const substitute = (text: string): string =>
      text.replace(/\$\{([^}]+)\}/g, (whole, key: string) => {
        const value = substitutions[key];
        return value === undefined ? whole : String(value);
      });
    const parsed: Json =
      props.DefinitionString !== undefined
        ? z.json().parse(JSON.parse(substitute(props.DefinitionString)))
        : props.Definition !== undefined
          ? z.json().parse(JSON.parse(substitute(JSON.stringify(props.Definition))))
          : null;
    if (!isJsonObject(parsed) || !isDefinition(parsed)) {
      throw new Error(
        `${resource.logicalId}: no usable state machine definition (DefinitionString or Definition)`,
      );
    }
    this.definition = parsed;
    const definition = parsed;

    const handlerFor = (functionLogicalId: string): LocalLambdaHandler | undefined =>
      handlerForFunction(options.handlers, functionLogicalId);
    const invoke = async (fn: LocalResource, event: Json): Promise<Json> => {
      const handler = handlerFor(fn.logicalId);
      if (!handler) throw new Error(`no local handler for Lambda function ${fn.logicalId}`);
      try {
        return toJson(await handler(event, lambdaContext(fn, template)));
      } catch (err) {
        throw asTaskError(err);
      }
    };
    const functionNamed = (nameOrArn: string): LocalResource | undefined =>
      template.functionByArn(nameOrArn) ??
      template.ofType('AWS::Lambda::Function').find((f) => f.physicalName === nameOrArn);

    const taskFunctions = new Map<string, string>();
    const localHandlers: Record<string, (input: Json) => Promise<Json>> = {};
    const retryOverrides: Record<string, number> = {};
    const unmapped: string[] = [];
    const seen = new Set<string>();
    for (const [stateName, state] of walkStates(this.definition)) {
      if (seen.has(stateName))
        throw new Error(`state name ${stateName} occurs twice; local handlers are keyed by name`);
      seen.add(stateName);
      if (Array.isArray(state.Retry)) retryOverrides[stateName] = options.retryIntervalMs ?? 0;
      if (state.Type !== 'Task') continue;
      // AWS has no Task timeout by default (99999999 s); aws-local-stepfunctions would impose 60 s. It
      // uses setTimeout, which turns anything above 2^31-1 ms into 1 ms: so take the largest that fits.
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
        state.TimeoutSeconds = MAX_LOCAL_TASK_TIMEOUT_SECONDS;
      }
      const override = options.taskOverrides?.[stateName];
      if (override) {
        localHandlers[stateName] = async (input) => override(input);
        continue;
      }
      const taskResource = typeof state.Resource === 'string' ? state.Resource : '';
      if (LAMBDA_ARN.test(taskResource)) {
        // payloadResponseOnly: the Resource is the function; its output is the handler's return value.
        const fn = template.functionByArn(taskResource);
        if (fn && handlerFor(fn.logicalId)) {
          taskFunctions.set(stateName, fn.logicalId);
          localHandlers[stateName] = (input) => invoke(fn, input);
          continue;
        }
      } else if (LAMBDA_INVOKE.test(taskResource)) {
        // The optimised integration: input {FunctionName, Payload}; output wrapped in Payload.
        const params = isJsonObject(state.Parameters) ? state.Parameters : {};
        const staticName = typeof params.FunctionName === 'string' ? params.FunctionName : undefined;
        const fn = staticName === undefined ? undefined : functionNamed(staticName);
        if (fn) taskFunctions.set(stateName, fn.logicalId);
        if (staticName === undefined || (fn && handlerFor(fn.logicalId))) {
          localHandlers[stateName] = async (input) => {
            const call = z
              .object({ FunctionName: z.string(), Payload: z.json().optional() })
              .loose()
              .parse(input);
            const target = functionNamed(call.FunctionName);
            if (!target) throw new Error(`${stateName}: no function ${call.FunctionName} in the template`);
            const payload = await invoke(target, call.Payload ?? null);
            return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 };
          };
          continue;
        }
      }
      unmapped.push(`${stateName} (${taskResource || 'no Resource'})`);
    }
    if (unmapped.length > 0) {
      throw new Error(
        `Task states without a local handler (pass handlers by function logical id, or taskOverrides by state name): ${unmapped.join(', ')}`,
      );
    }
    this.taskFunctions = taskFunctions;
    this.localHandlers = localHandlers;
    this.retryOverrides = retryOverrides;
    this.machine = new StateMachine(definition, { validationOptions: { checkPaths: true, checkArn: true } });
  }

  executionArn(name: string): string {
    return this.arn.replace(':stateMachine:', ':execution:').concat(`:${name}`);
  }

  describeExecution(nameOrArn: string): ExecutionRecord | undefined {
    return this.registry.get(nameOrArn.startsWith('arn:') ? nameOrArn : this.executionArn(nameOrArn));
  }

  listExecutions(): ExecutionRecord[] {
    return this.registry.list(this.arn);
  }

  /**
   * Start an execution, as StartExecution does: a name already used for this state machine fails with
   * `ExecutionAlreadyExists` (the SDK's own error class), except that restarting a still-running
   * execution with the same name and input returns that execution.
   */
  startExecution(args: { name?: string; input?: Json } = {}): StartedExecution {
    const name = args.name ?? randomUUID();
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
      throw new Error(`invalid execution name '${name}': 1-80 of A-Z a-z 0-9 - _`);
    }
    const input = args.input ?? {};
    const executionArn = this.executionArn(name);
    const inputHash = hashInput(input);
    const existing = this.registry.get(executionArn);
    if (existing) {
      const running = this.running.get(executionArn);
      if (existing.status === 'RUNNING' && existing.inputHash === inputHash && running) return running;
      throw new ExecutionAlreadyExists({
        message: `Execution Already Exists: '${executionArn}'`,
        $metadata: {},
      });
    }
    const startDate = new Date();
    this.registry.set({
      executionArn,
      stateMachineArn: this.arn,
      name,
      status: 'RUNNING',
      startDate: startDate.toISOString(),
      inputHash,
    });
    const started: StartedExecution = {
      executionArn,
      name,
      startDate,
      done: this.execute(executionArn, name, input, startDate).finally(() =>
        this.running.delete(executionArn),
      ),
    };
    this.running.set(executionArn, started);
    return started;
  }

  /** Start and wait for the end. */
  run(args: { name?: string; input?: Json } = {}): Promise<ExecutionResult> {
    return this.startExecution(args).done;
  }

  private async execute(
    executionArn: string,
    name: string,
    input: Json,
    startDate: Date,
  ): Promise<ExecutionResult> {
    const execution = this.machine.run(input, {
      overrides: {
        taskResourceLocalHandlers: this.localHandlers,
        retryIntervalOverrides: this.retryOverrides,
      },
      context: {
        Execution: { Id: executionArn, Name: name, StartTime: startDate.toISOString() },
        StateMachine: { Id: this.arn, Name: this.name },
      },
    });
    const events: ExecutionEvent[] = [];
    const collecting = (async () => {
      for await (const event of execution.eventLogs) {
        events.push(event);
        try {
          this.onEvent?.(event, { name, executionArn });
        } catch {
          // progress output must not break the run
        }
      }
    })();

    let result: Omit<ExecutionResult, 'events' | 'executionArn' | 'name'>;
    try {
      result = { status: 'SUCCEEDED', output: toJson(await execution.result) };
    } catch (err) {
      if (err instanceof ExecutionError) {
        const cause = err.cause;
        result = {
          status: 'FAILED',
          error: cause instanceof Error ? cause.name : 'States.Runtime',
          cause: cause instanceof Error ? cause.message : String(cause),
        };
      } else if (err instanceof ExecutionTimeoutError) {
        result = { status: 'TIMED_OUT', error: 'States.Timeout' };
      } else if (err instanceof ExecutionAbortedError) {
        result = { status: 'ABORTED' };
      } else {
        result = {
          status: 'FAILED',
          error: 'States.Runtime',
          cause: err instanceof Error ? err.message : String(err),
        };
      }
    }
    await collecting;
    const record = this.registry.get(executionArn);
    if (record) {
      this.registry.set({
        ...record,
        status: result.status,
        stopDate: new Date().toISOString(),
        ...(result.error !== undefined ? { error: result.error } : {}),
        ...(result.cause !== undefined ? { cause: result.cause } : {}),
      });
    }
    return { executionArn, name, ...result, events };
  }
}
