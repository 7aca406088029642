/**
 * The project stack: one per project config. Everything that holds the project's data and
 * everything that decides who may touch it.
 *
 * Who may do what (each line is proven by test/infra/isolation.test.ts on the synthesised policies):
 * - partner upload role (one per partner, assumed by that partner's principals and by the
 *   upload-url function to sign pre-signed URLs): PutObject under `partners/<id>/uploads/` with its
 *   own key, GetObject of its own `partners/<id>/reports/`, list its own prefix, use its own key
 *   only through S3; nothing else (no results, no other partner).
 * - lead role (assumed by deployment.leadPrincipals): read the results table, the delivery status
 *   and `results/`; write decisions (results-table items under `DECISION#`); append to the audit
 *   table; start linkage (invoke delivery-complete); staged minimisation: rewrite
 *   `results/ronde-<nnnn>/overview.json` and delete its versions and those under `work/ronde-<nnnn>/`. Never a
 *   read of raw uploads (`partners/`, `work/`), never a partner key.
 * - supervisor role (only with deployment.supervisorPrincipals): read the audit table.
 * - teardown role (closer stack): the only principal that may disable a key or schedule its
 *   deletion; may empty and delete the buckets and delete the tables (turning deletion protection
 *   and point-in-time recovery off first); reads only the round totals (results pk = ROUNDS).
 *
 * Environment variables (common to every function: NODE_OPTIONS, POWERTOOLS_SERVICE_NAME,
 * LOG_LEVEL, PROJECT_ID, PARTNER_IDS):
 * - PROJECT_ID                  the project id
 * - PARTNER_IDS                 JSON array of the partner ids, in project order
 * - PROJECT_CONFIG              the project config as JSON without `deployment` (parse with parseProject)
 * - DROP_BUCKET                 the drop-zone bucket name
 * - PARTNER_KEYS                JSON object partner id → that partner's KMS key ARN
 * - PARTNER_UPLOAD_ROLES        JSON object partner id → that partner's upload role ARN
 * - RESULTS_KEY_ARN             the results key ARN (objects under work/ and results/)
 * - RESULTS_TABLE, STATUS_TABLE, IDEMPOTENCY_TABLE, AUDIT_TABLE   table names
 * - STATE_MACHINE_ARN           the linkage state machine
 * - DELIVERY_COMPLETE_FUNCTION  name of the delivery-complete function (invoked asynchronously)
 * - NOTIFY_TOPIC_ARN            SNS topic that notifies the lead
 * - UPLOAD_URL_TTL_SECONDS      lifetime of a pre-signed upload URL (300)
 * - MAX_UPLOAD_BYTES            the largest accepted signal file (the URL signs its Content-Length)
 * - UPLOAD_DEADLINE             schedule.uploadDeadline, ISO 8601 (empty when not scheduled)
 *
 * Per function:
 * - upload-url:        DROP_BUCKET, PARTNER_KEYS, PARTNER_UPLOAD_ROLES, STATUS_TABLE,
 *                      UPLOAD_URL_TTL_SECONDS, MAX_UPLOAD_BYTES, UPLOAD_DEADLINE, DELIVERY_COMPLETE_FUNCTION
 * - upload-received:   DROP_BUCKET, PARTNER_KEYS, STATUS_TABLE, IDEMPOTENCY_TABLE,
 *                      DELIVERY_COMPLETE_FUNCTION, MAX_UPLOAD_BYTES, PROJECT_CONFIG
 * - delivery-complete: STATUS_TABLE, IDEMPOTENCY_TABLE, STATE_MACHINE_ARN, UPLOAD_DEADLINE, PROJECT_CONFIG
 * - validate-partner:  DROP_BUCKET, PARTNER_KEYS, RESULTS_KEY_ARN, STATUS_TABLE, PROJECT_CONFIG
 * - link:              DROP_BUCKET, RESULTS_KEY_ARN, PROJECT_CONFIG
 * - publish:           DROP_BUCKET, RESULTS_KEY_ARN, RESULTS_TABLE, STATUS_TABLE, AUDIT_TABLE, PROJECT_CONFIG
 * - notify:            NOTIFY_TOPIC_ARN, STATUS_TABLE, PROJECT_CONFIG
 * - record-failure:    NOTIFY_TOPIC_ARN, STATUS_TABLE
 * - teardown (closer stack): PROJECT_STACK_NAME, TEARDOWN_RECORD_TABLE
 */
import { CfnOutput, Duration, Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Match, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import {
  ArnPrincipal,
  CompositePrincipal,
  type IPrincipal,
  type IRole,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke as ScheduleLambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { Project } from '../lambdas/core/project.ts';
import { DropZone, sidPart } from './drop-zone.ts';
import { GuardedKey } from './guarded-key.ts';
import { LsiFunction } from './lsi-function.ts';
import { PROJECT_TAG, prefixes } from './names.ts';
import { LinkagePipeline } from './pipeline.ts';
import { acknowledgeDefaultPolicy, addScopedPolicy, type ScopedStatement } from './scoped-policy.ts';
import { ProjectTables } from './tables.ts';

/** Deployment settings after validation: every partner has principals. */
export type Deployment = NonNullable<Project['deployment']>;

export interface ProjectStackProps extends StackProps {
  readonly project: Project;
  readonly deployment: Deployment;
  /** The closer stack's teardown role. */
  readonly teardownRole: IRole;
  /** @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
  /** @default 300 */
  readonly uploadUrlTtlSeconds?: number;
  /** @default 50 MiB */
  readonly maxUploadBytes?: number;
}

const PREFIX_WHY =
  'Object keys under this prefix are generated by the project’s own code (per upload, report or linkage run), never chosen by a user; an S3 object ARN can only be narrowed by prefix, and this is the narrowest prefix that holds them.';

export class ProjectStack extends Stack {
  readonly dropZone: DropZone;
  readonly partnerKeys: ReadonlyMap<string, GuardedKey>;
  readonly resultsKey: GuardedKey;
  readonly tables: ProjectTables;
  readonly uploadRoles: ReadonlyMap<string, Role>;
  readonly leadRole: Role;
  readonly supervisorRole?: Role;
  readonly functions: {
    readonly uploadUrl: LsiFunction;
    readonly uploadReceived: LsiFunction;
    readonly deliveryComplete: LsiFunction;
    readonly validatePartner: LsiFunction;
    readonly link: LsiFunction;
    readonly publish: LsiFunction;
    readonly notify: LsiFunction;
    readonly recordFailure: LsiFunction;
  };
  readonly pipeline: LinkagePipeline;
  readonly notifyTopic: Topic;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: ProjectStackProps) {
    super(scope, id, props);
    const { project, deployment, teardownRole } = props;
    Tags.of(this).add(PROJECT_TAG, project.projectId);
    const partnerIds = project.partners.map((p) => p.id);
    const logRetention = props.logRetention;
    const maxUploadBytes = props.maxUploadBytes ?? 50 * 1024 * 1024;

    // ---- keys --------------------------------------------------------------------------------
    this.resultsKey = new GuardedKey(this, 'ResultsKey', {
      description: `${project.projectId}: results, work data, tables and notifications`,
      teardownRole,
    });
    const partnerKeys = new Map<string, GuardedKey>();
    for (const partner of project.partners) {
      partnerKeys.set(
        partner.id,
        new GuardedKey(this, `PartnerKey-${partner.id}`, {
          description: `${project.projectId}: everything under partners/${partner.id}/`,
          teardownRole,
          restrictUse: true,
        }),
      );
    }
    this.partnerKeys = partnerKeys;
    const keyOf = (partnerId: string): IKey => {
      const k = partnerKeys.get(partnerId);
      if (k === undefined) throw new Error(`no key for partner ${partnerId}`);
      return k.key;
    };
    const allPartnerKeys = partnerIds.map(keyOf);

    // ---- storage -----------------------------------------------------------------------------
    this.dropZone = new DropZone(this, 'DropZone', {
      partnerKeys: new Map(partnerIds.map((id) => [id, keyOf(id)])),
      resultsKey: this.resultsKey.key,
    });
    this.dropZone.allowTeardown(teardownRole);
    const drop = this.dropZone;

    this.tables = new ProjectTables(this, 'Tables', { key: this.resultsKey.key, teardownRole });
    const { results, status, idempotency, audit } = this.tables;
    // Teardown (docs/close.md): point-in-time recovery off before DeleteTable (else DynamoDB keeps a
    // 35-day system backup), and the round totals (pk = ROUNDS, counts only) for the closing record.
    for (const table of [results, status, idempotency, audit]) {
      table.addToResourcePolicy(
        new PolicyStatement({
          sid: 'TeardownTurnsOffBackups',
          principals: [teardownRole],
          actions: ['dynamodb:UpdateContinuousBackups', 'dynamodb:DescribeContinuousBackups'],
          resources: ['*'],
        }),
      );
    }
    results.addToResourcePolicy(
      new PolicyStatement({
        sid: 'TeardownReadsRoundTotals',
        principals: [teardownRole],
        actions: ['dynamodb:Query'],
        resources: ['*'],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['ROUNDS'] } },
      }),
    );
    this.resultsKey.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'TeardownReadsRoundTotals',
        principals: [teardownRole],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${this.region}.amazonaws.com` } },
      }),
    );

    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.notifyTopic = new Topic(this, 'NotifyLead', {
      masterKey: this.resultsKey.key,
      enforceSSL: true,
    });
    if (deployment.notificationEmail) {
      this.notifyTopic.addSubscription(new EmailSubscription(deployment.notificationEmail));
    }

    // ---- statement helpers ---------------------------------------------------------------------
    const via = (...services: string[]) => ({
      StringEquals: { 'kms:ViaService': services.map((s) => `${s}.${this.region}.amazonaws.com`) },
    });
    const useKeys = (keys: IKey[], actions: string[], ...services: string[]): ScopedStatement => ({
      statement: new PolicyStatement({
        actions,
        resources: keys.map((k) => k.keyArn),
        conditions: via(...services),
      }),
    });
    const objects = (actions: string[], prefixList: string[]): ScopedStatement => ({
      statement: new PolicyStatement({ actions, resources: prefixList.map((p) => drop.objectsArn(p)) }),
      why: PREFIX_WHY,
    });
    const list = (prefixList: string[]): ScopedStatement => ({
      statement: new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [drop.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': prefixList.map((p) => `${p}*`) } },
      }),
    });
    const onTables = (actions: string[], tables: Table[], indexes: string[] = []): ScopedStatement => ({
      statement: new PolicyStatement({
        actions,
        resources: tables.flatMap((t) => [t.tableArn, ...indexes.map((n) => `${t.tableArn}/index/${n}`)]),
      }),
    });
    const READ_ITEMS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
    const WRITE_ITEMS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
    const KEY_READ = ['kms:Decrypt'];
    const KEY_WRITE = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'];
    const uploads = partnerIds.map(prefixes.uploads);
    const accepted = partnerIds.map(prefixes.accepted);
    const reports = partnerIds.map(prefixes.reports);

    // ---- functions -----------------------------------------------------------------------------
    const projectConfig = JSON.stringify({
      projectId: project.projectId,
      name: project.name,
      subject: project.subject,
      area: project.area,
      partners: project.partners,
      selection: project.selection,
      ...(project.schedule ? { schedule: project.schedule } : {}),
    });
    const common = { PROJECT_ID: project.projectId, PARTNER_IDS: JSON.stringify(partnerIds) };
    const partnerKeysEnv = JSON.stringify(Object.fromEntries(partnerIds.map((id) => [id, keyOf(id).keyArn])));
    const uploadDeadline = project.schedule?.uploadDeadline ?? '';
    const fn = (
      id: string,
      handlerName: LsiFunction['handlerName'],
      description: string,
      environment: Record<string, string>,
      extra: { timeout?: Duration; memorySize?: number; deadLetterQueue?: Queue } = {},
    ) =>
      new LsiFunction(this, id, {
        handlerName,
        description: `${project.projectId}: ${description}`,
        environment: { ...common, ...environment },
        ...(logRetention ? { logRetention } : {}),
        ...extra,
      });

    const uploadUrl = fn('UploadUrl', 'upload-url', 'pre-signed upload URLs for a partner', {
      DROP_BUCKET: drop.bucket.bucketName,
      PARTNER_KEYS: partnerKeysEnv,
      STATUS_TABLE: status.tableName,
      UPLOAD_URL_TTL_SECONDS: String(props.uploadUrlTtlSeconds ?? 300),
      MAX_UPLOAD_BYTES: String(maxUploadBytes),
      UPLOAD_DEADLINE: uploadDeadline,
    });
    const uploadUrlEndpoint = uploadUrl.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });

    const deliveryComplete = fn(
      'DeliveryComplete',
      'delivery-complete',
      'starts linkage once every partner delivered, at the deadline or on the lead’s command',
      {
        STATUS_TABLE: status.tableName,
        IDEMPOTENCY_TABLE: idempotency.tableName,
        UPLOAD_DEADLINE: uploadDeadline,
        PROJECT_CONFIG: projectConfig,
      },
      { deadLetterQueue: this.deadLetterQueue },
    );

    const uploadReceived = fn(
      'UploadReceived',
      'upload-received',
      'validates an uploaded file at once and records the delivery',
      {
        DROP_BUCKET: drop.bucket.bucketName,
        PARTNER_KEYS: partnerKeysEnv,
        STATUS_TABLE: status.tableName,
        IDEMPOTENCY_TABLE: idempotency.tableName,
        DELIVERY_COMPLETE_FUNCTION: deliveryComplete.functionName,
        MAX_UPLOAD_BYTES: String(maxUploadBytes),
        PROJECT_CONFIG: projectConfig,
      },
      { timeout: Duration.minutes(2), memorySize: 1024, deadLetterQueue: this.deadLetterQueue },
    );

    const validatePartner = fn(
      'ValidatePartner',
      'validate-partner',
      'validates and normalises one partner’s delivery',
      {
        DROP_BUCKET: drop.bucket.bucketName,
        PARTNER_KEYS: partnerKeysEnv,
        RESULTS_KEY_ARN: this.resultsKey.key.keyArn,
        STATUS_TABLE: status.tableName,
        PROJECT_CONFIG: projectConfig,
      },
      { timeout: Duration.minutes(5), memorySize: 1024 },
    );
    const link = fn(
      'Link',
      'link',
      'links the normalised signals on the address key and selects',
      {
        DROP_BUCKET: drop.bucket.bucketName,
        RESULTS_KEY_ARN: this.resultsKey.key.keyArn,
        PROJECT_CONFIG: projectConfig,
      },
      { timeout: Duration.minutes(15), memorySize: 2048 },
    );
    const publish = fn(
      'Publish',
      'publish',
      'publishes the overview, case table and results table',
      {
        DROP_BUCKET: drop.bucket.bucketName,
        RESULTS_KEY_ARN: this.resultsKey.key.keyArn,
        RESULTS_TABLE: results.tableName,
        STATUS_TABLE: status.tableName,
        AUDIT_TABLE: audit.tableName,
        PROJECT_CONFIG: projectConfig,
      },
      { timeout: Duration.minutes(5), memorySize: 1024 },
    );
    const notify = fn('Notify', 'notify', 'notifies the lead that results are ready', {
      NOTIFY_TOPIC_ARN: this.notifyTopic.topicArn,
      STATUS_TABLE: status.tableName,
      PROJECT_CONFIG: projectConfig,
    });
    const recordFailure = fn(
      'RecordFailure',
      'record-failure',
      'records a failed run and notifies the lead',
      {
        NOTIFY_TOPIC_ARN: this.notifyTopic.topicArn,
        STATUS_TABLE: status.tableName,
      },
    );

    this.pipeline = new LinkagePipeline(this, 'Linkage', {
      validatePartner,
      link,
      publish,
      notify,
      recordFailure,
      ...(logRetention ? { logRetention } : {}),
    });
    const stateMachine = this.pipeline.stateMachine;
    deliveryComplete.addEnvironment('STATE_MACHINE_ARN', stateMachine.stateMachineArn);

    // ---- roles of people -----------------------------------------------------------------------
    const uploadRoles = new Map<string, Role>();
    for (const partner of project.partners) {
      const principals: IPrincipal[] = (deployment.partnerPrincipals[partner.id] ?? []).map(
        (arn) => new ArnPrincipal(arn),
      );
      const role = new Role(this, `UploadRole-${partner.id}`, {
        assumedBy: new CompositePrincipal(...principals, uploadUrl.executionRole),
        description: `${project.projectId}: uploads of ${partner.id} (${partner.name})`,
        maxSessionDuration: Duration.hours(1),
      });
      uploadRoles.set(partner.id, role);
    }
    this.uploadRoles = uploadRoles;
    const uploadRoleArns = JSON.stringify(
      Object.fromEntries([...uploadRoles].map(([id, role]) => [id, role.roleArn])),
    );
    uploadUrl.addEnvironment('PARTNER_UPLOAD_ROLES', uploadRoleArns);

    this.leadRole = new Role(this, 'LeadRole', {
      assumedBy: new CompositePrincipal(...deployment.leadPrincipals.map((arn) => new ArnPrincipal(arn))),
      description: `${project.projectId}: project lead`,
      maxSessionDuration: Duration.hours(4),
    });
    if (deployment.supervisorPrincipals.length > 0) {
      this.supervisorRole = new Role(this, 'SupervisorRole', {
        assumedBy: new CompositePrincipal(
          ...deployment.supervisorPrincipals.map((arn) => new ArnPrincipal(arn)),
        ),
        description: `${project.projectId}: reads the audit log of the lead's decisions`,
        maxSessionDuration: Duration.hours(1),
      });
    }

    // ---- grants: partners ------------------------------------------------------------------------
    for (const [partnerId, role] of uploadRoles) {
      const key = keyOf(partnerId);
      addScopedPolicy(this, `UploadPolicy-${partnerId}`, role, [
        {
          statement: new PolicyStatement({
            sid: 'PutOwnUploadsWithOwnKey',
            actions: ['s3:PutObject'],
            resources: [drop.objectsArn(prefixes.uploads(partnerId))],
            conditions: {
              StringEquals: {
                's3:x-amz-server-side-encryption': 'aws:kms',
                's3:x-amz-server-side-encryption-aws-kms-key-id': key.keyArn,
              },
            },
          }),
          why: PREFIX_WHY,
        },
        objects(['s3:GetObject'], [prefixes.reports(partnerId)]),
        list([prefixes.partner(partnerId)]),
        useKeys([key], ['kms:GenerateDataKey', 'kms:Encrypt', 'kms:Decrypt'], 's3'),
        {
          statement: new PolicyStatement({
            sid: 'AskForUploadUrls',
            actions: ['lambda:InvokeFunctionUrl'],
            resources: [uploadUrl.functionArn],
            conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': FunctionUrlAuthType.AWS_IAM } },
          }),
        },
        {
          statement: new PolicyStatement({
            actions: ['lambda:InvokeFunction'],
            resources: [uploadUrl.functionArn],
            conditions: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
          }),
        },
      ]);
      partnerKeys.get(partnerId)?.allowUse(role, uploadReceived.executionRole, validatePartner.executionRole);
    }
    const partnerRoles = [...uploadRoles.values()];
    this.resultsKey.denyAll(...partnerRoles);
    drop.denyRead('PartnersReadNoResults', partnerRoles, [prefixes.work, prefixes.results]);

    // ---- grants: lead and supervisor ---------------------------------------------------------------
    addScopedPolicy(this, 'LeadPolicy', this.leadRole, [
      onTables(READ_ITEMS, [results], ['gsi1', 'gsi2']),
      onTables(READ_ITEMS, [status]),
      {
        statement: new PolicyStatement({
          sid: 'RecordDecisions',
          actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resources: [results.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DECISION#*'] } },
        }),
      },
      onTables(['dynamodb:PutItem'], [audit]),
      objects(['s3:GetObject'], [prefixes.results]),
      list([prefixes.results]),
      // Staged minimisation (`lsi round close`, lib/client/lead.ts): rewrite a round's overview without
      // the addresses that were not selected, delete its older versions and the round's work files.
      // Never a read of work/ (LeadReadsNoRawData) and no other object under results/.
      {
        statement: new PolicyStatement({
          sid: 'MinimiseRoundOverview',
          actions: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
          resources: [drop.bucket.arnForObjects(`${prefixes.results}ronde-*/overview.json`)],
        }),
        why: PREFIX_WHY,
      },
      {
        statement: new PolicyStatement({
          sid: 'PurgeRoundWorkFiles',
          actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
          resources: [drop.objectsArn(`${prefixes.work}ronde-`)],
        }),
        why: PREFIX_WHY,
      },
      {
        statement: new PolicyStatement({
          sid: 'ListRoundFilesToPurge',
          actions: ['s3:ListBucket', 's3:ListBucketVersions'],
          resources: [drop.bucket.bucketArn],
          conditions: {
            StringLike: { 's3:prefix': [`${prefixes.work}ronde-*`, `${prefixes.results}ronde-*`] },
          },
        }),
      },
      useKeys([this.resultsKey.key], KEY_READ, 's3', 'dynamodb'),
      useKeys([this.resultsKey.key], KEY_WRITE, 's3', 'dynamodb'),
      {
        statement: new PolicyStatement({
          sid: 'StartLinkage',
          actions: ['lambda:InvokeFunction'],
          resources: [deliveryComplete.functionArn],
        }),
      },
    ]);
    const readers = [this.leadRole, ...(this.supervisorRole ? [this.supervisorRole] : [])];
    drop.denyRead('LeadReadsNoRawData', readers, [`partners/`, prefixes.work]);
    if (this.supervisorRole) {
      addScopedPolicy(this, 'SupervisorPolicy', this.supervisorRole, [
        onTables([...READ_ITEMS, 'dynamodb:Scan'], [audit]),
        useKeys([this.resultsKey.key], KEY_READ, 'dynamodb'),
      ]);
    }

    // ---- grants: functions ----------------------------------------------------------------------
    uploadUrl.addPolicy('Grants', [
      {
        statement: new PolicyStatement({
          sid: 'SignAsPartner',
          actions: ['sts:AssumeRole'],
          resources: partnerRoles.map((r) => r.roleArn),
        }),
      },
      onTables(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [status]),
      useKeys([this.resultsKey.key], KEY_WRITE, 'dynamodb'),
      {
        statement: new PolicyStatement({
          sid: 'TellDeliveryComplete',
          actions: ['lambda:InvokeFunction'],
          resources: [deliveryComplete.functionArn],
        }),
      },
    ]);
    uploadUrl.addEnvironment('DELIVERY_COMPLETE_FUNCTION', deliveryComplete.functionName);

    uploadReceived.addPolicy('Grants', [
      objects(['s3:GetObject', 's3:DeleteObject', 's3:DeleteObjectVersion'], uploads),
      {
        statement: new PolicyStatement({
          sid: 'ListUploadVersions',
          actions: ['s3:ListBucketVersions'],
          resources: [drop.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': uploads.map((p) => `${p}*`) } },
        }),
      },
      objects(['s3:PutObject'], [...reports, ...accepted]),
      useKeys(allPartnerKeys, KEY_WRITE, 's3'),
      onTables([...READ_ITEMS, ...WRITE_ITEMS], [status, idempotency]),
      useKeys([this.resultsKey.key], KEY_WRITE, 'dynamodb'),
      {
        statement: new PolicyStatement({
          sid: 'TellDeliveryComplete',
          actions: ['lambda:InvokeFunction'],
          resources: [deliveryComplete.functionArn],
        }),
      },
    ]);

    deliveryComplete.addPolicy('Grants', [
      onTables([...READ_ITEMS, ...WRITE_ITEMS], [status, idempotency]),
      useKeys([this.resultsKey.key], KEY_WRITE, 'dynamodb'),
      {
        statement: new PolicyStatement({
          sid: 'StartLinkage',
          actions: ['states:StartExecution'],
          resources: [stateMachine.stateMachineArn],
        }),
      },
    ]);

    validatePartner.addPolicy('Grants', [
      objects(['s3:GetObject'], accepted),
      useKeys(allPartnerKeys, KEY_WRITE, 's3'),
      objects(['s3:PutObject'], [prefixes.work]),
      useKeys([this.resultsKey.key], KEY_WRITE, 's3', 'dynamodb'),
      onTables(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], [status]),
    ]);

    link.addPolicy('Grants', [
      objects(['s3:GetObject'], [prefixes.work]),
      list([prefixes.work]),
      objects(['s3:PutObject'], [prefixes.results]),
      useKeys([this.resultsKey.key], KEY_WRITE, 's3'),
    ]);

    publish.addPolicy('Grants', [
      objects(['s3:GetObject'], [prefixes.results]),
      onTables(['dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem'], [results]),
      onTables(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [status]),
      onTables(['dynamodb:PutItem'], [audit]),
      useKeys([this.resultsKey.key], KEY_WRITE, 's3', 'dynamodb'),
    ]);

    const publishToLead: ScopedStatement = {
      statement: new PolicyStatement({ actions: ['sns:Publish'], resources: [this.notifyTopic.topicArn] }),
    };
    notify.addPolicy('Grants', [
      publishToLead,
      onTables(['dynamodb:GetItem', 'dynamodb:Query'], [status]),
      useKeys([this.resultsKey.key], KEY_WRITE, 'sns', 'dynamodb'),
    ]);
    recordFailure.addPolicy('Grants', [
      publishToLead,
      onTables(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [status]),
      useKeys([this.resultsKey.key], KEY_WRITE, 'sns', 'dynamodb'),
    ]);

    // ---- events ---------------------------------------------------------------------------------
    new Rule(this, 'UploadCreated', {
      description: `${project.projectId}: a partner upload arrived`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [drop.bucket.bucketName] },
          object: { key: Match.wildcard('partners/*/uploads/*') },
        },
      },
      targets: [
        new LambdaFunction(uploadReceived, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });

    if (project.schedule) {
      const scheduleRole = new Role(this, 'DeadlineScheduleRole', {
        assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
        }),
        description: `${project.projectId}: lets EventBridge Scheduler start linkage at the upload deadline`,
      });
      new Schedule(this, 'UploadDeadline', {
        description: `${project.projectId}: start linkage at the upload deadline`,
        schedule: ScheduleExpression.at(new Date(project.schedule.uploadDeadline)),
        target: new ScheduleLambdaInvoke(deliveryComplete, {
          role: scheduleRole,
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 5,
          maxEventAge: Duration.hours(6),
          input: ScheduleTargetInput.fromObject({ action: 'deadline', round: 1 }),
        }),
      });
      acknowledgeDefaultPolicy(scheduleRole, [
        {
          match: /^AwsSolutions-IAM5\[Resource::<DeliveryComplete[A-Za-z0-9]+\.Arn>:\*\]$/,
          reason:
            'grantInvoke also covers the versions and aliases (<ARN>:*) of the one delivery-complete function, and no other function.',
        },
      ]);
    }

    // ---- nag acknowledgements for what CDK writes itself ----------------------------------------
    acknowledgeDefaultPolicy(stateMachine.role, [
      {
        match:
          /^AwsSolutions-IAM5\[Resource::<(ValidatePartner|Link|Publish|Notify|RecordFailure)[A-Za-z0-9]+\.Arn>:\*\]$/,
        reason:
          'LambdaInvoke tasks are granted the function and its versions/aliases (<ARN>:*); each is one of the five pipeline functions.',
      },
      {
        match: /^AwsSolutions-IAM5\[Resource::\*\]$/,
        reason:
          'Step Functions log delivery (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) support no resource-level permissions.',
      },
    ]);
    Validations.of(drop.logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the server access log bucket of the drop zone; logging it into itself would loop and into another bucket would only move the question.',
    });

    // ---- outputs --------------------------------------------------------------------------------
    new CfnOutput(this, 'DropBucketName', { value: drop.bucket.bucketName });
    new CfnOutput(this, 'UploadUrlEndpoint', {
      value: uploadUrlEndpoint.url,
      description: 'Partners call this with SigV4 (service lambda) using their upload role',
    });
    new CfnOutput(this, 'LeadRoleArn', { value: this.leadRole.roleArn });
    if (this.supervisorRole) new CfnOutput(this, 'SupervisorRoleArn', { value: this.supervisorRole.roleArn });
    for (const [partnerId, role] of uploadRoles) {
      new CfnOutput(this, `UploadRoleArn${sidPart(partnerId)}`, {
        value: role.roleArn,
        description: `Upload role of ${partnerId}`,
      });
      new CfnOutput(this, `PartnerKeyArn${sidPart(partnerId)}`, {
        value: keyOf(partnerId).keyArn,
        description: `KMS key of ${partnerId}: send it as x-amz-server-side-encryption-aws-kms-key-id`,
      });
    }
    new CfnOutput(this, 'ResultsTableName', { value: results.tableName });
    new CfnOutput(this, 'StatusTableName', { value: status.tableName });
    new CfnOutput(this, 'AuditTableName', { value: audit.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: stateMachine.stateMachineArn });
    new CfnOutput(this, 'DeliveryCompleteFunctionName', {
      value: deliveryComplete.functionName,
      description: 'the lead invokes this to start linkage (lsi start --aws)',
    });
    new CfnOutput(this, 'NotifyTopicArn', { value: this.notifyTopic.topicArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl });

    this.functions = {
      uploadUrl,
      uploadReceived,
      deliveryComplete,
      validatePartner,
      link,
      publish,
      notify,
      recordFailure,
    };
  }
}
