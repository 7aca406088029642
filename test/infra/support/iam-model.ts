/**
 * The principals, resources and policies of a synthesised project, taken from the templates (never
 * from the CDK objects), and a way to ask `@cloud-copilot/iam-simulate` whether a request would be
 * allowed: identity policies of the role + the resource's policy (bucket policy, key policy, table
 * resource policy), same account, as AWS evaluates them.
 */
import { type EvaluationResult, runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { type CfnWorld, isObject, type Json, type Resource } from './cfn-world.ts';

export type Decision = EvaluationResult;

export interface Principal {
  readonly label: string;
  readonly roleArn: string;
  /** The assumed-role session that makes the request. */
  readonly sessionArn: string;
  readonly identityPolicies: { name: string; policy: Json }[];
}

export interface KmsKey {
  readonly label: string;
  readonly arn: string;
  readonly policy: Json;
}

export interface DynamoTable {
  readonly label: string;
  readonly arn: string;
  readonly policy: Json | undefined;
}

function asList(value: Json | undefined): Json[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export class IamModel {
  readonly account: string;
  readonly region: string;
  readonly bucketName: string;
  readonly bucketArn: string;
  readonly bucketPolicy: Json;

  constructor(
    readonly world: CfnWorld,
    readonly projectStack: string,
    readonly closerStack: string,
  ) {
    this.account = world.account;
    this.region = world.region;
    const bucket = world.byPath(projectStack, 'AWS::S3::Bucket', '/DropZone/Bucket/Resource');
    this.bucketName = world.ref(projectStack, bucket.logicalId);
    this.bucketArn = world.getAtt(projectStack, bucket.logicalId, 'Arn');
    this.bucketPolicy = this.bucketPolicyOf(bucket);
  }

  // ---- principals ------------------------------------------------------------------------------

  /** A role of one of the stacks, found by its construct path (`/LeadRole/Resource`). */
  role(stack: string, pathSuffix: string, label: string): Principal {
    const r = this.world.byPath(stack, 'AWS::IAM::Role', pathSuffix);
    const roleName = this.world.ref(stack, r.logicalId);
    if (r.properties.ManagedPolicyArns !== undefined) {
      throw new Error(`${label}: managed policies cannot be evaluated here`);
    }
    const identityPolicies: { name: string; policy: Json }[] = [];
    for (const inline of asList(r.properties.Policies)) {
      if (!isObject(inline)) continue;
      identityPolicies.push({
        name: `${label}-inline-${String(inline.PolicyName)}`,
        policy: this.world.resolve(stack, inline.PolicyDocument ?? null),
      });
    }
    for (const p of this.world.resources(stack, 'AWS::IAM::Policy')) {
      const roles = asList(p.properties.Roles).map((x) => this.world.resolve(stack, x));
      if (!roles.includes(roleName)) continue;
      identityPolicies.push({
        name: p.logicalId,
        policy: this.world.resolve(stack, p.properties.PolicyDocument ?? null),
      });
    }
    const roleArn = this.world.getAtt(stack, r.logicalId, 'Arn');
    return {
      label,
      roleArn,
      sessionArn: `arn:aws:sts::${this.account}:assumed-role/${roleName}/lsi-test`,
      identityPolicies,
    };
  }

  partnerRole(partnerId: string): Principal {
    return this.role(this.projectStack, `/UploadRole-${partnerId}/Resource`, `partner:${partnerId}`);
  }

  get leadRole(): Principal {
    return this.role(this.projectStack, '/LeadRole/Resource', 'lead');
  }

  get supervisorRole(): Principal {
    return this.role(this.projectStack, '/SupervisorRole/Resource', 'supervisor');
  }

  get teardownRole(): Principal {
    return this.role(this.closerStack, '/TeardownRole/Resource', 'teardown');
  }

  /** The execution role of a project-stack function, by construct id (`UploadReceived`). */
  functionRole(constructId: string): Principal {
    return this.role(this.projectStack, `/${constructId}Role/Resource`, `fn:${constructId}`);
  }

  get stateMachineRole(): Principal {
    return this.role(this.projectStack, '/Linkage/StateMachine/Role/Resource', 'state-machine');
  }

  /** An administrator of the account: an identity policy that allows everything. */
  get accountAdmin(): Principal {
    return {
      label: 'account-admin',
      roleArn: `arn:aws:iam::${this.account}:role/AccountAdmin`,
      sessionArn: `arn:aws:sts::${this.account}:assumed-role/AccountAdmin/lsi-test`,
      identityPolicies: [
        {
          name: 'AdministratorAccess',
          policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
        },
      ],
    };
  }

  /**
   * A principal from the project config (a partner's or the lead's own role) with an identity
   * policy that lets it assume any role: the worst its own account could grant it.
   */
  external(principalArn: string, label: string): Principal {
    const name = principalArn.replace(/^.*:role\//, '');
    return {
      label,
      roleArn: principalArn,
      sessionArn: `arn:aws:sts::${principalArn.split(':')[4] ?? this.account}:assumed-role/${name}/lsi-test`,
      identityPolicies: [
        {
          name: 'AssumeAnything',
          policy: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }],
          },
        },
      ],
    };
  }

  /** sts:AssumeRole on a role of the project stack, judged by its trust policy. */
  assumeRole(who: Principal, rolePathSuffix: string): Promise<Decision> {
    const r = this.world.byPath(this.projectStack, 'AWS::IAM::Role', rolePathSuffix);
    const trust = this.world.resolve(this.projectStack, r.properties.AssumeRolePolicyDocument ?? null);
    return this.simulate(
      who,
      'sts:AssumeRole',
      this.world.getAtt(this.projectStack, r.logicalId, 'Arn'),
      trust,
      {},
    );
  }

  // ---- resources -------------------------------------------------------------------------------

  objectArn(key: string): string {
    return `${this.bucketArn}/${key}`;
  }

  partnerKey(partnerId: string): KmsKey {
    return this.key(`/PartnerKey-${partnerId}/Key/Resource`, `key:${partnerId}`);
  }

  get resultsKey(): KmsKey {
    return this.key('/ResultsKey/Key/Resource', 'key:results');
  }

  table(constructId: 'Results' | 'DeliveryStatus' | 'Idempotency' | 'Audit'): DynamoTable {
    const r = this.world.byPath(this.projectStack, 'AWS::DynamoDB::Table', `/Tables/${constructId}/Resource`);
    const rp = r.properties.ResourcePolicy;
    return {
      label: `table:${constructId}`,
      arn: this.world.getAtt(this.projectStack, r.logicalId, 'Arn'),
      policy: isObject(rp) ? this.world.resolve(this.projectStack, rp.PolicyDocument ?? null) : undefined,
    };
  }

  private key(pathSuffix: string, label: string): KmsKey {
    const r = this.world.byPath(this.projectStack, 'AWS::KMS::Key', pathSuffix);
    return {
      label,
      arn: this.world.getAtt(this.projectStack, r.logicalId, 'Arn'),
      policy: this.world.resolve(this.projectStack, r.properties.KeyPolicy ?? null),
    };
  }

  private bucketPolicyOf(bucket: Resource): Json {
    const name = this.world.ref(bucket.stack, bucket.logicalId);
    const policies = this.world
      .resources(bucket.stack, 'AWS::S3::BucketPolicy')
      .filter((p) => this.world.resolve(bucket.stack, p.properties.Bucket ?? null) === name);
    const [policy] = policies;
    if (policies.length !== 1 || policy === undefined) throw new Error(`expected one policy for ${name}`);
    return this.world.resolve(bucket.stack, policy.properties.PolicyDocument ?? null);
  }

  // ---- requests --------------------------------------------------------------------------------

  private baseContext(who: Principal): Record<string, string> {
    return {
      'aws:PrincipalArn': who.roleArn,
      'aws:PrincipalAccount': this.account,
      'aws:PrincipalType': 'AssumedRole',
      'aws:SecureTransport': 'true',
      'aws:CurrentTime': '2027-03-01T12:00:00Z',
    };
  }

  async simulate(
    who: Principal,
    action: string,
    resource: string,
    resourcePolicy: Json | undefined,
    context: Record<string, string | string[]>,
  ): Promise<Decision> {
    const simulation: Simulation = {
      request: {
        principal: who.sessionArn,
        action,
        resource: { resource, accountId: this.account },
        contextVariables: { ...this.baseContext(who), ...context },
      },
      identityPolicies: who.identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy === undefined ? {} : { resourcePolicy }),
      ...(action.startsWith('s3:') ? { additionalSettings: { s3: { blockPublicAccess: true } } } : {}),
    };
    const result = await runSimulation(simulation, {});
    if (result.resultType === 'error') {
      throw new Error(
        `simulation of ${who.label} ${action} ${resource} failed: ${JSON.stringify(result.errors)}`,
      );
    }
    return result.overallResult;
  }

  /** An S3 request on the drop zone; `target` is an object key, or `{ prefix }` for ListBucket. */
  s3(
    who: Principal,
    action: string,
    target: string | { prefix: string },
    context: Record<string, string | string[]> = {},
  ): Promise<Decision> {
    const tls = { 's3:TlsVersion': '1.3', 's3:signatureversion': 'AWS4-HMAC-SHA256' };
    if (typeof target === 'string') {
      return this.simulate(who, action, this.objectArn(target), this.bucketPolicy, { ...tls, ...context });
    }
    return this.simulate(who, action, this.bucketArn, this.bucketPolicy, {
      ...tls,
      's3:prefix': target.prefix,
      ...context,
    });
  }

  /** A PutObject as a pre-signed or SDK PUT sends it: SSE-KMS with the given key (or none). */
  putObject(who: Principal, key: string, kmsKey: KmsKey | undefined): Promise<Decision> {
    return this.s3(
      who,
      's3:PutObject',
      key,
      kmsKey === undefined
        ? {}
        : {
            's3:x-amz-server-side-encryption': 'aws:kms',
            's3:x-amz-server-side-encryption-aws-kms-key-id': kmsKey.arn,
          },
    );
  }

  /** A KMS request; `viaS3` makes it the call S3 makes on the principal's behalf. */
  kms(who: Principal, action: string, key: KmsKey, via?: 's3' | 'dynamodb'): Promise<Decision> {
    return this.simulate(who, action, key.arn, key.policy, {
      'kms:CallerAccount': this.account,
      ...(via ? { 'kms:ViaService': `${via}.${this.region}.amazonaws.com` } : {}),
    });
  }

  dynamodb(
    who: Principal,
    action: string,
    table: DynamoTable,
    options: { index?: string; leadingKeys?: string[] } = {},
  ): Promise<Decision> {
    const resource = options.index ? `${table.arn}/index/${options.index}` : table.arn;
    return this.simulate(
      who,
      action,
      resource,
      table.policy,
      options.leadingKeys ? { 'dynamodb:LeadingKeys': options.leadingKeys } : {},
    );
  }
}
