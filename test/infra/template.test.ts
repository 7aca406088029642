/**
 * Template assertions for every security property the synthesised template decides
 * (ARCHITECTURE.md "Security properties", issue 3 "Proof").
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { deliveryRequestSchema } from '../../lambdas/handlers/delivery-complete.ts';
import { isObject, type Json } from './support/cfn-world.ts';
import { exampleProject, type Synthesised, synth } from './support/synth.ts';

let s: Synthesised;
beforeAll(() => {
  s = synth(exampleProject());
});

const logicalId = (type: string, pathSuffix: string) =>
  s.world.byPath(s.projectStack.stackName, type, pathSuffix).logicalId;
const getAtt = (id: string, attr = 'Arn') => ({ 'Fn::GetAtt': [id, attr] });
const bucketId = () => logicalId('AWS::S3::Bucket', '/DropZone/Bucket/Resource');
const logBucketId = () => logicalId('AWS::S3::Bucket', '/DropZone/AccessLogs/Resource');
const partnerKeyId = (id: string) => logicalId('AWS::KMS::Key', `/PartnerKey-${id}/Key/Resource`);
const resultsKeyId = () => logicalId('AWS::KMS::Key', '/ResultsKey/Key/Resource');
const objects = (bucket: string, suffix: string) => ({ 'Fn::Join': ['', [getAtt(bucket), suffix]] });

function statements(type: string, pathSuffix: string, property: string): Json[] {
  const r = s.world.byPath(s.projectStack.stackName, type, pathSuffix);
  const doc = r.properties[property];
  if (!isObject(doc) || !Array.isArray(doc.Statement)) throw new Error(`${pathSuffix}: no policy`);
  return doc.Statement;
}
const bySid = (list: Json[], sid: string) => list.find((st) => isObject(st) && st.Sid === sid);

describe('drop-zone bucket', () => {
  it('blocks all public access, enforces bucket-owner ownership and keeps versions', () => {
    s.projectTemplate.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: getAtt(resultsKeyId()),
            },
          },
        ],
      },
    });
  });

  it('expires noncurrent versions and aborts incomplete multipart uploads', () => {
    const bucket = s.world.resource(s.projectStack.stackName, bucketId());
    expect(bucket.properties.LifecycleConfiguration).toEqual({
      Rules: [
        expect.objectContaining({
          Status: 'Enabled',
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        }),
      ],
    });
  });

  it('logs server access to a separate, private, versioned log bucket', () => {
    const bucket = s.world.resource(s.projectStack.stackName, bucketId());
    expect(bucket.properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logBucketId() },
      LogFilePrefix: 'drop-zone/',
    });
    const logs = s.world.resource(s.projectStack.stackName, logBucketId());
    expect(logs.properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
  });

  it('sends object-created events to EventBridge', () => {
    const bucket = s.world.resource(s.projectStack.stackName, bucketId());
    expect(bucket.properties.NotificationConfiguration).toEqual({
      EventBridgeConfiguration: { EventBridgeEnabled: true },
    });
  });

  it('keeps data buckets when the stack is deleted (only the teardown empties and deletes them)', () => {
    const res = s.projectTemplate.findResources('AWS::S3::Bucket');
    for (const r of Object.values(res)) expect(r.DeletionPolicy).toBe('Retain');
  });
});

describe('bucket policy', () => {
  const policy = () =>
    statements('AWS::S3::BucketPolicy', '/DropZone/Bucket/Policy/Resource', 'PolicyDocument');

  it('denies every request without TLS, and TLS older than 1.2', () => {
    const all = [getAtt(bucketId()), objects(bucketId(), '/*')];
    expect(policy()).toContainEqual({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:*',
      Resource: all,
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    expect(policy()).toContainEqual({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:*',
      Resource: all,
      Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
    });
  });

  it('denies any PutObject that does not ask for SSE-KMS', () => {
    expect(bySid(policy(), 'RequireSseKms')).toEqual({
      Sid: 'RequireSseKms',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:PutObject',
      Resource: objects(bucketId(), '/*'),
      Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
    });
  });

  it("denies a PutObject under partners/<id>/ unless it names that partner's own key ARN", () => {
    for (const p of s.project.partners) {
      const sid = `RequirePartnerKey${p.id.charAt(0).toUpperCase()}${p.id.slice(1)}`;
      expect(bySid(policy(), sid)).toEqual({
        Sid: sid,
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:PutObject',
        Resource: objects(bucketId(), `/partners/${p.id}/*`),
        Condition: {
          StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': getAtt(partnerKeyId(p.id)) },
        },
      });
    }
  });

  it('denies a PutObject under work/ or results/ unless it names the results key', () => {
    expect(bySid(policy(), 'RequireResultsKey')).toMatchObject({
      Effect: 'Deny',
      Action: 's3:PutObject',
      Resource: [objects(bucketId(), '/results/*'), objects(bucketId(), '/work/*')],
      Condition: {
        StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': getAtt(resultsKeyId()) },
      },
    });
  });

  it('denies a PutObject anywhere outside the known prefixes', () => {
    expect(bySid(policy(), 'DenyPutOutsideKnownPrefixes')).toEqual({
      Sid: 'DenyPutOutsideKnownPrefixes',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:PutObject',
      NotResource: [
        ...s.project.partners.map((p) => objects(bucketId(), `/partners/${p.id}/*`)),
        objects(bucketId(), '/work/*'),
        objects(bucketId(), '/results/*'),
      ],
    });
  });

  it('denies the lead reading partners/ and work/, and partners reading work/ and results/', () => {
    expect(bySid(policy(), 'LeadReadsNoRawData')).toMatchObject({
      Effect: 'Deny',
      Resource: [objects(bucketId(), '/partners/*'), objects(bucketId(), '/work/*')],
      Condition: {
        ArnEquals: { 'aws:PrincipalArn': [getAtt(logicalId('AWS::IAM::Role', '/LeadRole/Resource'))] },
      },
    });
    expect(bySid(policy(), 'PartnersReadNoResults')).toMatchObject({
      Effect: 'Deny',
      Resource: [objects(bucketId(), '/results/*'), objects(bucketId(), '/work/*')],
      Condition: {
        ArnEquals: {
          'aws:PrincipalArn': s.project.partners.map((p) =>
            getAtt(logicalId('AWS::IAM::Role', `/UploadRole-${p.id}/Resource`)),
          ),
        },
      },
    });
  });
});

describe('KMS keys', () => {
  it('has one customer-managed key per partner plus the results key, all rotating and retained', () => {
    const keys = s.projectTemplate.findResources('AWS::KMS::Key');
    expect(Object.keys(keys)).toHaveLength(s.project.partners.length + 1);
    for (const k of Object.values(keys)) {
      expect(k.Properties.EnableKeyRotation).toBe(true);
      expect(k.DeletionPolicy).toBe('Retain');
    }
  });

  it('replaces the default key policy: the account root may do everything except destroy the key', () => {
    for (const id of [...s.project.partners.map((p) => partnerKeyId(p.id)), resultsKeyId()]) {
      const policy = s.world.resource(s.projectStack.stackName, id).properties.KeyPolicy;
      if (!isObject(policy) || !Array.isArray(policy.Statement)) throw new Error('no key policy');
      expect(bySid(policy.Statement, 'AccountAdministration')).toEqual({
        Sid: 'AccountAdministration',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${s.world.account}:root` },
        NotAction: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
        Resource: '*',
      });
      const deny = bySid(policy.Statement, 'OnlyTeardownDestroys');
      expect(deny).toMatchObject({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
      });
      const teardown = s.world.resolve(
        s.projectStack.stackName,
        isObject(deny) ? (deny.Condition ?? null) : null,
      );
      expect(teardown).toEqual({
        ArnNotEquals: { 'aws:PrincipalArn': `arn:aws:iam::${s.world.account}:role/${tearDownRoleId()}` },
      });
      // No Allow statement anywhere grants kms:* (CDK's default key policy does, to the account root).
      const allows = policy.Statement.filter((st) => isObject(st) && st.Effect === 'Allow');
      expect(allows.some((st) => isObject(st) && JSON.stringify(st.Action ?? null).includes('kms:*'))).toBe(
        false,
      );
    }
  });

  it('restricts use of a partner key to that partner and the two functions that read uploads', () => {
    for (const p of s.project.partners) {
      const policy = s.world.resource(s.projectStack.stackName, partnerKeyId(p.id)).properties.KeyPolicy;
      if (!isObject(policy) || !Array.isArray(policy.Statement)) throw new Error('no key policy');
      expect(bySid(policy.Statement, 'OnlyNamedUsersUseKey')).toEqual({
        Sid: 'OnlyNamedUsersUseKey',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        Resource: '*',
        Condition: {
          ArnNotEquals: {
            'aws:PrincipalArn': [
              getAtt(logicalId('AWS::IAM::Role', `/UploadRole-${p.id}/Resource`)),
              getAtt(logicalId('AWS::IAM::Role', '/UploadReceivedRole/Resource')),
              getAtt(logicalId('AWS::IAM::Role', '/ValidatePartnerRole/Resource')),
            ],
          },
        },
      });
    }
  });
});

function tearDownRoleId(): string {
  return s.world.byPath(s.closerStack.stackName, 'AWS::IAM::Role', '/TeardownRole/Resource').logicalId;
}

describe('DynamoDB tables', () => {
  it('encrypts every project table with the results key, with PITR and deletion protection, on demand', () => {
    const tables = s.projectTemplate.findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables)).toHaveLength(4);
    for (const t of Object.values(tables)) {
      expect(t.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: getAtt(resultsKeyId()) },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      });
      expect(t.DeletionPolicy).toBe('Retain');
    }
  });

  it('gives the results table pk/sk and the gsi1 and gsi2 indexes', () => {
    const r = s.world.byPath(s.projectStack.stackName, 'AWS::DynamoDB::Table', '/Tables/Results/Resource');
    expect(r.properties.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(r.properties.GlobalSecondaryIndexes).toEqual(
      ['gsi1', 'gsi2'].map((n) => ({
        IndexName: n,
        KeySchema: [
          { AttributeName: `${n}pk`, KeyType: 'HASH' },
          { AttributeName: `${n}sk`, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    );
  });

  it('keys the idempotency table on id with TTL attribute expiration', () => {
    const r = s.world.byPath(
      s.projectStack.stackName,
      'AWS::DynamoDB::Table',
      '/Tables/Idempotency/Resource',
    );
    expect(r.properties.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(r.properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiration', Enabled: true });
  });

  it('makes the audit table append-only for everyone', () => {
    const r = s.world.byPath(s.projectStack.stackName, 'AWS::DynamoDB::Table', '/Tables/Audit/Resource');
    const rp = r.properties.ResourcePolicy;
    const doc = isObject(rp) ? rp.PolicyDocument : null;
    if (!isObject(doc) || !Array.isArray(doc.Statement)) throw new Error('no resource policy');
    expect(bySid(doc.Statement, 'AppendOnly')).toEqual({
      Sid: 'AppendOnly',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: [
        'dynamodb:BatchWriteItem',
        'dynamodb:DeleteItem',
        'dynamodb:PartiQLDelete',
        'dynamodb:PartiQLUpdate',
        'dynamodb:UpdateItem',
      ],
      Resource: '*',
    });
  });
});

describe('state machine', () => {
  it('is a Standard workflow with tracing, logging every event but no execution data', () => {
    s.projectTemplate.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        IncludeExecutionData: false,
        Level: 'ALL',
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: Match.anyValue() } }],
      },
    });
  });
});

describe('functions', () => {
  it('runs every function on nodejs22.x, arm64, with active tracing, source maps and its own log group', () => {
    for (const t of [s.projectTemplate, s.closerTemplate]) {
      const fns = Object.values(t.findResources('AWS::Lambda::Function'));
      expect(fns.length).toBeGreaterThan(0);
      for (const f of fns) {
        expect(f.Properties).toMatchObject({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
          Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
        });
        expect(f.Properties.Handler).toBe('index.handler');
      }
      for (const lg of Object.values(t.findResources('AWS::Logs::LogGroup'))) {
        expect(lg.Properties.RetentionInDays).toBeGreaterThan(0);
      }
    }
    expect(Object.keys(s.projectTemplate.findResources('AWS::Lambda::Function'))).toHaveLength(8);
    expect(Object.keys(s.closerTemplate.findResources('AWS::Lambda::Function'))).toHaveLength(1);
  });

  it('uses no AWS managed policies on any role', () => {
    for (const t of [s.projectTemplate, s.closerTemplate]) {
      for (const r of Object.values(t.findResources('AWS::IAM::Role'))) {
        expect(r.Properties.ManagedPolicyArns).toBeUndefined();
      }
    }
  });

  const ENV: Record<string, string[]> = {
    UploadUrl: [
      'DROP_BUCKET',
      'PARTNER_KEYS',
      'PARTNER_UPLOAD_ROLES',
      'STATUS_TABLE',
      'UPLOAD_URL_TTL_SECONDS',
      'MAX_UPLOAD_BYTES',
      'UPLOAD_DEADLINE',
      'DELIVERY_COMPLETE_FUNCTION',
    ],
    UploadReceived: [
      'DROP_BUCKET',
      'PARTNER_KEYS',
      'STATUS_TABLE',
      'IDEMPOTENCY_TABLE',
      'DELIVERY_COMPLETE_FUNCTION',
      'MAX_UPLOAD_BYTES',
      'PROJECT_CONFIG',
    ],
    DeliveryComplete: [
      'STATUS_TABLE',
      'IDEMPOTENCY_TABLE',
      'STATE_MACHINE_ARN',
      'UPLOAD_DEADLINE',
      'PROJECT_CONFIG',
    ],
    ValidatePartner: ['DROP_BUCKET', 'PARTNER_KEYS', 'RESULTS_KEY_ARN', 'STATUS_TABLE', 'PROJECT_CONFIG'],
    Link: ['DROP_BUCKET', 'RESULTS_KEY_ARN', 'PROJECT_CONFIG'],
    Publish: [
      'DROP_BUCKET',
      'RESULTS_KEY_ARN',
      'RESULTS_TABLE',
      'STATUS_TABLE',
      'AUDIT_TABLE',
      'PROJECT_CONFIG',
    ],
    Notify: ['NOTIFY_TOPIC_ARN', 'STATUS_TABLE', 'PROJECT_CONFIG'],
    RecordFailure: ['NOTIFY_TOPIC_ARN', 'STATUS_TABLE'],
  };
  const COMMON = ['NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME', 'LOG_LEVEL', 'PROJECT_ID', 'PARTNER_IDS'];

  it('passes each function exactly the environment documented in lib/project-stack.ts', () => {
    for (const [id, names] of Object.entries(ENV)) {
      const f = s.world.byPath(s.projectStack.stackName, 'AWS::Lambda::Function', `/${id}/Resource`);
      const env = isObject(f.properties.Environment) ? f.properties.Environment.Variables : null;
      if (!isObject(env)) throw new Error(`${id}: no environment`);
      expect(Object.keys(env).sort(), id).toEqual([...COMMON, ...names].sort());
    }
    const teardown = s.world.byPath(s.closerStack.stackName, 'AWS::Lambda::Function', '/Teardown/Resource');
    const env = isObject(teardown.properties.Environment) ? teardown.properties.Environment.Variables : null;
    if (!isObject(env)) throw new Error('teardown: no environment');
    expect(Object.keys(env).sort()).toEqual(
      [
        'NODE_OPTIONS',
        'POWERTOOLS_SERVICE_NAME',
        'LOG_LEVEL',
        'PROJECT_ID',
        'PROJECT_STACK_NAME',
        'TEARDOWN_RECORD_TABLE',
      ].sort(),
    );
  });

  it('puts the partner key map and the upload roles in the environment as JSON keyed by partner id', () => {
    const f = s.world.byPath(s.projectStack.stackName, 'AWS::Lambda::Function', '/UploadUrl/Resource');
    const env = s.world.resolve(s.projectStack.stackName, f.properties.Environment ?? null);
    if (!isObject(env) || !isObject(env.Variables)) throw new Error('no env');
    const keys: unknown = JSON.parse(String(env.Variables.PARTNER_KEYS));
    const roles: unknown = JSON.parse(String(env.Variables.PARTNER_UPLOAD_ROLES));
    const ids = s.project.partners.map((p) => p.id);
    expect(Object.keys(isObject(keys) ? keys : {})).toEqual(ids);
    expect(Object.keys(isObject(roles) ? roles : {})).toEqual(ids);
    expect(JSON.parse(String(env.Variables.PARTNER_IDS))).toEqual(ids);
  });
});

describe('upload events', () => {
  it('routes object-created events under partners/*/uploads/ to upload-received, with retries and a DLQ', () => {
    const dlq = logicalId('AWS::SQS::Queue', '/DeadLetters/Resource');
    s.projectTemplate.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [{ Ref: bucketId() }] },
          object: { key: [{ wildcard: 'partners/*/uploads/*' }] },
        },
      },
      Targets: [
        Match.objectLike({
          Arn: getAtt(logicalId('AWS::Lambda::Function', '/UploadReceived/Resource')),
          DeadLetterConfig: { Arn: getAtt(dlq) },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 },
        }),
      ],
    });
    const fn = s.world.byPath(s.projectStack.stackName, 'AWS::Lambda::Function', '/UploadReceived/Resource');
    expect(fn.properties.DeadLetterConfig).toEqual({ TargetArn: getAtt(dlq) });
  });

  it('encrypts the dead-letter queue and accepts TLS only', () => {
    const dlq = logicalId('AWS::SQS::Queue', '/DeadLetters/Resource');
    s.projectTemplate.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    s.projectTemplate.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlq }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'sqs:*',
            Resource: getAtt(dlq),
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ]),
      },
    });
  });

  it('encrypts the lead notification topic with the results key and accepts TLS only', () => {
    s.projectTemplate.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: getAtt(resultsKeyId()) });
    s.projectTemplate.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('schedules', () => {
  it('starts the teardown once at the close date, in UTC, from the closer stack', () => {
    const teardown = s.world.byPath(s.closerStack.stackName, 'AWS::Lambda::Function', '/Teardown/Resource');
    s.closerTemplate.hasResourceProperties('AWS::Scheduler::Schedule', {
      // 2027-06-30T00:00:00+02:00
      ScheduleExpression: 'at(2027-06-29T22:00:00)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({
        Arn: getAtt(teardown.logicalId),
        DeadLetterConfig: { Arn: Match.anyValue() },
        RetryPolicy: Match.anyValue(),
      }),
    });
    s.closerTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
  });

  it('lets the teardown pass only the CDK deploy role, only to CloudFormation, to delete the project stack', () => {
    s.closerTemplate.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['cloudformation:DeleteStack', 'cloudformation:ListStackResources']),
          }),
          Match.objectLike({
            Sid: 'PassDeployRoleToDeleteStack',
            Action: 'iam:PassRole',
            Condition: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
            Resource: `arn:aws:iam::${s.world.account}:role/cdk-hnb659fds-cfn-exec-role-${s.world.account}-${s.world.region}`,
          }),
        ]),
      },
    });
  });

  it('starts linkage at the upload deadline, with an event delivery-complete accepts', () => {
    s.projectTemplate.hasResourceProperties('AWS::Scheduler::Schedule', {
      // 2027-02-01T17:00:00+01:00
      ScheduleExpression: 'at(2027-02-01T16:00:00)',
      Target: Match.objectLike({
        Arn: getAtt(logicalId('AWS::Lambda::Function', '/DeliveryComplete/Resource')),
      }),
    });
    const schedules = Object.values(s.projectTemplate.findResources('AWS::Scheduler::Schedule'));
    const inputs = schedules.map((r) =>
      z.object({ Properties: z.object({ Target: z.object({ Input: z.string() }) }) }).parse(r),
    );
    expect(inputs).toHaveLength(1);
    const input: unknown = JSON.parse(inputs[0]?.Properties.Target.Input ?? 'null');
    expect(deliveryRequestSchema.parse(input)).toEqual({ action: 'deadline', round: 1 });
  });
});

describe('side by side', () => {
  const PHYSICAL_NAMES: Record<string, string> = {
    'AWS::S3::Bucket': 'BucketName',
    'AWS::DynamoDB::Table': 'TableName',
    'AWS::IAM::Role': 'RoleName',
    'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
    'AWS::Lambda::Function': 'FunctionName',
    'AWS::SQS::Queue': 'QueueName',
    'AWS::SNS::Topic': 'TopicName',
    'AWS::StepFunctions::StateMachine': 'StateMachineName',
    'AWS::Logs::LogGroup': 'LogGroupName',
    'AWS::Scheduler::Schedule': 'Name',
    'AWS::Events::Rule': 'Name',
  };

  it('hard-codes no physical resource name, so two projects deploy in one account', () => {
    for (const stack of s.world.stackNames) {
      for (const r of s.world.resources(stack)) {
        const prop = PHYSICAL_NAMES[r.type];
        if (prop !== undefined) expect(r.properties[prop], `${r.path} ${prop}`).toBeUndefined();
      }
      expect(s.world.resources(stack, 'AWS::KMS::Alias')).toEqual([]);
    }
  });
});
