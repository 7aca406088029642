/**
 * The one function construct of this app: every Lambda function is an LsiFunction, so runtime,
 * architecture, tracing, source maps, bundling and log retention are decided here, once.
 */
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, CfnFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { HandlerName } from './names.ts';
import { addScopedPolicy, type ScopedStatement } from './scoped-policy.ts';

/** The repository root (where package.json and package-lock.json live). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where a handler's source lives. */
export function handlerEntry(name: HandlerName): string {
  return fileURLToPath(new URL(`../lambdas/handlers/${name}.ts`, import.meta.url));
}

/** ESM bundles have no `require`; some CommonJS dependencies still call it. */
const REQUIRE_SHIM =
  "import{createRequire as __lsiCreateRequire}from'node:module';const require=__lsiCreateRequire(import.meta.url);";

export interface LsiFunctionProps {
  /** The handler this function runs: `lambdas/handlers/<handlerName>.ts`, export `handler`. */
  readonly handlerName: HandlerName;
  /** What the function does (shown in the console). */
  readonly description: string;
  /**
   * Environment variables on top of the common ones (NODE_OPTIONS, POWERTOOLS_SERVICE_NAME,
   * LOG_LEVEL).
   * @default - only the common ones
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
  /**
   * Dead-letter queue for failed asynchronous invocations (after Lambda's own retries).
   * @default - none
   */
  readonly deadLetterQueue?: IQueue;
  /** @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

/**
 * A Node.js 22 function on arm64 with active X-Ray tracing, source maps, an ESM bundle built by the
 * local esbuild (no Docker), its own log group with retention, and its own role that starts with no
 * permissions besides writing its logs and traces. Grants are added with {@link addPolicy}.
 */
export class LsiFunction extends NodejsFunction {
  /** The function's execution role (a sibling construct `<id>Role`). */
  readonly executionRole: Role;
  /** The function's log group (a sibling construct `<id>Logs`). */
  readonly functionLogGroup: LogGroup;
  readonly handlerName: HandlerName;

  constructor(scope: Construct, id: string, props: LsiFunctionProps) {
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${props.handlerName} function`,
    });
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: handlerEntry(props.handlerName),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: fileURLToPath(new URL('../package-lock.json', import.meta.url)),
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      role,
      logGroup,
      deadLetterQueue: props.deadLetterQueue,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: `lsi-${props.handlerName}`,
        LOG_LEVEL: props.logLevel ?? 'INFO',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        platform: 'node',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        banner: REQUIRE_SHIM,
        // The AWS SDK v3 is part of the nodejs22.x runtime.
        externalModules: ['@aws-sdk/*'],
        forceDockerBundling: false,
      },
    });
    this.executionRole = role;
    this.functionLogGroup = logGroup;
    this.handlerName = props.handlerName;

    // Tracing is switched on here rather than through `tracing:` so that the X-Ray statement (which
    // cannot be scoped to a resource) lives in a policy of its own with its reason.
    const cfn = this.node.defaultChild;
    if (!(cfn instanceof CfnFunction)) throw new Error(`${this.node.path}: no CfnFunction`);
    cfn.tracingConfig = { mode: 'Active' };
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x on purpose: the whole project (tests, CLI, the embedded local runtime) runs on Node.js 22, so Lambda runs what the tests ran. It is a supported Lambda runtime; moving to a newer one is a project-wide decision, made in one place (this construct).',
    });

    this.addPolicy('Observability', [
      {
        statement: new PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      },
      {
        statement: new PolicyStatement({
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
        why: 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions; the AWS managed AWSXRayDaemonWriteAccess policy uses Resource "*" as well.',
      },
    ]);
  }

  /** Adds a named policy of its own to this function's role (see {@link addScopedPolicy}). */
  addPolicy(id: string, statements: readonly ScopedStatement[]): void {
    addScopedPolicy(this, id, this.executionRole, statements);
  }
}
