/**
 * The linkage workflow (Step Functions, Standard):
 *
 *   ValidatePartners (Map over `$.partners`: ValidatePartner)  →  Link  →  Publish  →  Notify
 *
 * Execution input: `{ projectId, round, partners: [partnerId, ...] }` (delivery-complete starts it
 * with an execution name derived from project and round, so a round links exactly once).
 *
 * Every Task retries transient Lambda errors with exponential backoff and full jitter (a timeout
 * once), and catches everything else into a `record-failure` task followed by a Fail state; inside the Map
 * that is RecordPartnerFailure → PartnerFailed, which fails the Map, whose Catch leads to
 * RecordFailure → Failed. Tasks use `payloadResponseOnly`, so a Task's resource is the function ARN
 * and its result is the handler's return value, in AWS and in the local runner alike.
 *
 * Handlers pass references (S3 keys, counts), never addresses or signal contents: execution history
 * is visible in the console, and logging is configured with `includeExecutionData: false`.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  DefinitionBody,
  Errors,
  Fail,
  type IChainable,
  JitterType,
  JsonPath,
  LogLevel,
  Map as MapState,
  StateMachine,
  StateMachineType,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { TASK_STATES } from './names.ts';

/** Lambda errors that are worth retrying (throttling, service faults). */
export const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];

export interface LinkagePipelineProps {
  readonly validatePartner: IFunction;
  readonly link: IFunction;
  readonly publish: IFunction;
  readonly notify: IFunction;
  readonly recordFailure: IFunction;
  /** @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
  /** @default Duration.hours(2) */
  readonly timeout?: Duration;
}

type TaskStateName = keyof typeof TASK_STATES;

export class LinkagePipeline extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: LinkagePipelineProps) {
    super(scope, id);

    const task = (name: TaskStateName, fn: IFunction, timeout: Duration, resultPath?: string) =>
      new LambdaInvoke(this, name, {
        stateName: name,
        lambdaFunction: fn,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        taskTimeout: Timeout.duration(timeout),
        ...(resultPath ? { resultPath } : {}),
      });
    const guard = (t: LambdaInvoke, onFailure: IChainable, resultPath?: string) => {
      t.addRetry({
        errors: TRANSIENT_ERRORS,
        interval: Duration.seconds(2),
        backoffRate: 2,
        maxAttempts: 5,
        maxDelay: Duration.seconds(60),
        jitterStrategy: JitterType.FULL,
      });
      // A timed-out step is retried once (steps are idempotent), not five times over its full timeout.
      t.addRetry({
        errors: [Errors.TIMEOUT],
        interval: Duration.seconds(10),
        backoffRate: 2,
        maxAttempts: 1,
      });
      t.addCatch(onFailure, { errors: [Errors.ALL], resultPath: resultPath ?? '$.error' });
      return t;
    };

    // Failure path of the whole run.
    const failed = new Fail(this, 'Failed', {
      stateName: 'Failed',
      error: 'LinkageFailed',
      cause: 'De koppeling is mislukt; zie de afleverstatus van deze ronde.',
    });
    const recordFailure = guard(
      task('RecordFailure', props.recordFailure, Duration.seconds(30), '$.recorded'),
      failed,
      '$.recordError',
    );
    recordFailure.next(failed);

    // One partner's validation, inside the Map.
    const partnerFailed = new Fail(this, 'PartnerFailed', {
      stateName: 'PartnerFailed',
      error: 'PartnerValidationFailed',
      cause: 'De validatie van een aanlevering is mislukt.',
    });
    const recordPartnerFailure = guard(
      task('RecordPartnerFailure', props.recordFailure, Duration.seconds(30), '$.recorded'),
      partnerFailed,
      '$.recordError',
    );
    recordPartnerFailure.next(partnerFailed);
    const validatePartner = guard(
      task('ValidatePartner', props.validatePartner, Duration.minutes(5)),
      recordPartnerFailure,
    );

    const validatePartners = new MapState(this, 'ValidatePartners', {
      stateName: 'ValidatePartners',
      itemsPath: JsonPath.stringAt('$.partners'),
      itemSelector: {
        projectId: JsonPath.stringAt('$.projectId'),
        round: JsonPath.stringAt('$.round'),
        partnerId: JsonPath.stringAt('$$.Map.Item.Value'),
      },
      resultPath: '$.validated',
      maxConcurrency: 10,
    });
    validatePartners.itemProcessor(validatePartner);
    validatePartners.addCatch(recordFailure, { errors: [Errors.ALL], resultPath: '$.error' });

    const link = guard(task('Link', props.link, Duration.minutes(15), '$.linked'), recordFailure);
    const publish = guard(task('Publish', props.publish, Duration.minutes(5), '$.published'), recordFailure);
    const notify = guard(task('Notify', props.notify, Duration.seconds(30), '$.notified'), recordFailure);

    const definition = validatePartners.next(link).next(publish).next(notify);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(definition),
      timeout: props.timeout ?? Duration.hours(2),
      tracingEnabled: true,
      logs: {
        destination: this.logGroup,
        level: LogLevel.ALL,
        // Addresses and signal contents must never reach CloudWatch.
        includeExecutionData: false,
      },
    });
  }
}
