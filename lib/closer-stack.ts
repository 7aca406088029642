/**
 * The closer: a small stack beside the project stack that holds the teardown function and its
 * role, a table with the deletion records, and the one-time schedule at `schedule.closeDate` that
 * starts the teardown. It is deployed before the project stack (which refers to the teardown role
 * in its key, bucket and table policies) and survives the project stack's deletion; nothing in it
 * refers to the project stack's resources, so deleting the project stack never waits on it.
 *
 * The teardown role gets its rights on the project's data from the project stack's resource
 * policies (key policies, bucket policy, table resource policies); here it only gets what concerns
 * the project stack as a whole and its own record table.
 *
 * Teardown environment: PROJECT_ID, PROJECT_STACK_NAME, TEARDOWN_RECORD_TABLE, plus the common
 * NODE_OPTIONS, POWERTOOLS_SERVICE_NAME, LOG_LEVEL.
 *
 * The teardown (lambdas/handlers/teardown.ts, docs/close.md) finds the project's buckets, tables and
 * keys with ListStackResources, and deletes the project stack with DeleteStack: CloudFormation then
 * uses the role the stack was deployed with (the CDK bootstrap's CloudFormation execution role), which
 * the teardown must be allowed to pass. Its deletion record is one item in the record table:
 * pk = `PROJECT#<projectId>`, sk = `DELETION-RECORD`, the record as JSON in `record`.
 */
import {
  Arn,
  ArnFormat,
  CfnOutput,
  DefaultStackSynthesizer,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Tags,
} from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { LsiFunction } from './lsi-function.ts';
import { PROJECT_TAG } from './names.ts';
import { acknowledgeDefaultPolicy } from './scoped-policy.ts';

export interface CloserStackProps extends StackProps {
  readonly projectId: string;
  /** Name of the project stack the teardown deletes. */
  readonly projectStackName: string;
  /**
   * When the project closes; the teardown is scheduled once at this moment.
   * @default - no schedule (the teardown can still be invoked by hand)
   */
  readonly closeDate?: Date;
}

export class CloserStack extends Stack {
  readonly teardown: LsiFunction;
  /** The only principal that may disable the project's keys or schedule their deletion. */
  readonly teardownRole: Role;
  readonly recordTable: Table;
  readonly deadLetterQueue: Queue;
  readonly schedule?: Schedule;

  constructor(scope: Construct, id: string, props: CloserStackProps) {
    super(scope, id, props);
    Tags.of(this).add(PROJECT_TAG, props.projectId);

    // Holds the deletion record: what was deleted and when, no personal data. AWS-owned encryption
    // on purpose: the record must stay readable after the project's own keys are gone.
    this.recordTable = new Table(this, 'TeardownRecords', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.deadLetterQueue = new Queue(this, 'TeardownDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.teardown = new LsiFunction(this, 'Teardown', {
      handlerName: 'teardown',
      description: `Deletes project ${props.projectId} at its close date and keeps a deletion record`,
      timeout: Duration.minutes(15),
      memorySize: 1024,
      deadLetterQueue: this.deadLetterQueue,
      environment: {
        PROJECT_ID: props.projectId,
        PROJECT_STACK_NAME: props.projectStackName,
        TEARDOWN_RECORD_TABLE: this.recordTable.tableName,
      },
    });
    this.teardownRole = this.teardown.executionRole;
    new CfnOutput(this, 'TeardownFunctionName', {
      value: this.teardown.functionName,
      description: 'lsi close --aws invokes this ({ dryRun: true } or { confirm: true })',
    });

    const projectStackArn = Arn.format(
      { service: 'cloudformation', resource: 'stack', resourceName: `${props.projectStackName}/*` },
      this,
    );
    // DeleteStack runs as the role the project stack was deployed with: the CDK bootstrap's
    // CloudFormation execution role (qualifier from the app context, or CDK's default).
    const qualifier: unknown = this.node.tryGetContext('@aws-cdk/core:bootstrapQualifier');
    const cfnExecutionRoleArn = Arn.format(
      {
        service: 'iam',
        region: '',
        resource: 'role',
        resourceName: `cdk-${typeof qualifier === 'string' ? qualifier : DefaultStackSynthesizer.DEFAULT_QUALIFIER}-cfn-exec-role-${this.account}-${this.region}`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      },
      this,
    );
    this.teardown.addPolicy('TeardownProjectStack', [
      {
        statement: new PolicyStatement({
          actions: [
            'cloudformation:DescribeStacks',
            'cloudformation:DescribeStackResources',
            'cloudformation:ListStackResources',
            'cloudformation:DeleteStack',
          ],
          resources: [projectStackArn],
        }),
        why: 'A stack ARN ends in a stack id that CloudFormation generates; the name part pins it to this project stack.',
      },
      {
        statement: new PolicyStatement({
          sid: 'PassDeployRoleToDeleteStack',
          actions: ['iam:PassRole'],
          resources: [cfnExecutionRoleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
        }),
      },
      {
        statement: new PolicyStatement({
          actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:Query'],
          resources: [this.recordTable.tableArn],
        }),
      },
    ]);

    if (props.closeDate) {
      const scheduleRole = new Role(this, 'ScheduleRole', {
        assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
        }),
        description: `Lets EventBridge Scheduler start the teardown of ${props.projectId}`,
      });
      this.schedule = new Schedule(this, 'CloseSchedule', {
        description: `Teardown of project ${props.projectId} at its close date`,
        schedule: ScheduleExpression.at(props.closeDate),
        target: new LambdaInvoke(this.teardown, {
          role: scheduleRole,
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 5,
          maxEventAge: Duration.hours(24),
          input: ScheduleTargetInput.fromObject({
            projectId: props.projectId,
            stackName: props.projectStackName,
            trigger: 'close-date',
          }),
        }),
      });
      acknowledgeDefaultPolicy(scheduleRole, [
        {
          match: /^AwsSolutions-IAM5\[Resource::<Teardown[A-Za-z0-9]+\.Arn>:\*\]$/,
          reason:
            'grantInvoke also covers the versions and aliases (<ARN>:*) of the one teardown function, and no other function.',
        },
      ]);
    }
  }
}
