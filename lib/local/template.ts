/**
 * A synthesised CloudFormation template, read for a local run: intrinsics resolved to deterministic
 * local names and ARNs, and the stateful resources (DynamoDB tables, S3 buckets) created in the
 * embedded services. Works for any template: resources are resolved lazily, so an intrinsic this
 * module does not know only fails when something local actually needs that value.
 */
import { createHash } from 'node:crypto';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './services.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

const jsonObject = z.record(z.string(), z.json());

const templateSchema = z.object({
  Resources: z.record(
    z.string(),
    z.object({
      Type: z.string(),
      Properties: jsonObject.optional(),
      Condition: z.string().optional(),
    }),
  ),
  Parameters: z.record(z.string(), z.object({ Default: z.json().optional() }).loose()).optional(),
  Conditions: jsonObject.optional(),
  Mappings: jsonObject.optional(),
  Outputs: z
    .record(
      z.string(),
      z.object({ Value: z.json(), Export: z.object({ Name: z.json() }).optional() }).loose(),
    )
    .optional(),
});

export interface LocalTemplateOptions {
  /** Used in generated physical names, as CloudFormation uses the stack name. Default `lsi-local`. */
  stackName?: string;
  region?: string;
  accountId?: string;
  /** Values for template parameters without a usable Default. */
  parameters?: Record<string, string>;
  /** Values for Fn::ImportValue, by export name (see `LocalTemplate.exports()`). */
  imports?: Record<string, string>;
  /** Values for Fn::GetStackOutput: stack name → output name → value (see `LocalTemplate.outputs()`). */
  stackOutputs?: Record<string, Record<string, string>>;
}

export interface LocalResource {
  logicalId: string;
  type: string;
  /** The name CloudFormation would have given it (explicit name in the template, else derived). */
  physicalName: string;
  arn: string;
  /** What `Ref` returns for this resource type. */
  ref: string;
  /** The template's properties, unresolved. */
  properties: JsonObject;
}

/** The name property per resource type, when the template may set the physical name itself. */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Events::Rule': 'Name',
  'AWS::Events::EventBus': 'Name',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::Scheduler::Schedule': 'Name',
};

const NO_VALUE = Symbol('AWS::NoValue');
type Resolved = Json | typeof NO_VALUE;

function shortHash(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** Fit `name` into `max` characters, keeping it unique with a hash of the full name. */
function fitLength(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = shortHash(name);
  return `${name.slice(0, max - hash.length - 1)}-${hash}`;
}

/** A valid S3 bucket name: 3–63 of [a-z0-9.-], starting and ending with a letter or digit. */
export function localBucketName(base: string): string {
  let name = base
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/[-.]{2,}/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  name = fitLength(name, 63).replace(/[^a-z0-9]+$/g, '');
  return name.length >= 3 ? name : `${name}bkt`.slice(0, 3).padEnd(3, '0');
}

/** A valid DynamoDB table name: 3–255 of [a-zA-Z0-9_.-]. */
export function localTableName(base: string): string {
  const name = fitLength(base.replace(/[^a-zA-Z0-9_.-]+/g, '-'), 255);
  return name.length >= 3 ? name : name.padEnd(3, '_');
}

function genericName(base: string, max: number): string {
  return fitLength(base.replace(/[^a-zA-Z0-9_-]+/g, '-'), max);
}

function deterministicUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function isJsonObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

export class LocalTemplate {
  readonly region: string;
  readonly accountId: string;
  readonly partition = 'aws';
  readonly stackName: string;
  readonly notes: string[] = [];
  private readonly template: z.infer<typeof templateSchema>;
  private readonly options: LocalTemplateOptions;
  private readonly cache = new Map<string, LocalResource>();
  private readonly naming = new Set<string>();
  private readonly activeIds: string[];

  private constructor(template: z.infer<typeof templateSchema>, options: LocalTemplateOptions) {
    this.template = template;
    this.options = options;
    this.region = options.region ?? LOCAL_REGION;
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
    this.stackName = options.stackName ?? 'lsi-local';
    this.activeIds = Object.entries(template.Resources)
      .filter(([, r]) => r.Condition === undefined || this.condition(r.Condition))
      .map(([id]) => id);
  }

  /** Parse a synthesised template (`Template.fromStack(stack).toJSON()` or a cloud assembly's). */
  static from(template: unknown, options: LocalTemplateOptions = {}): LocalTemplate {
    const parsed = templateSchema.safeParse(template);
    if (!parsed.success) {
      throw new TemplateError(`not a CloudFormation template: ${z.prettifyError(parsed.error)}`);
    }
    return new LocalTemplate(parsed.data, options);
  }

  /** Every resource the template creates (those whose Condition holds), in template order. */
  get resources(): LocalResource[] {
    return this.activeIds.map((id) => this.get(id));
  }

  has(logicalId: string): boolean {
    return this.activeIds.includes(logicalId);
  }

  get(logicalId: string): LocalResource {
    const cached = this.cache.get(logicalId);
    if (cached) return cached;
    const raw = this.template.Resources[logicalId];
    if (raw === undefined || !this.activeIds.includes(logicalId)) {
      throw new TemplateError(`no resource with logical id ${logicalId}`);
    }
    if (this.naming.has(logicalId)) throw new TemplateError(`circular name reference at ${logicalId}`);
    this.naming.add(logicalId);
    try {
      const resource = this.describe(logicalId, raw.Type, raw.Properties ?? {});
      this.cache.set(logicalId, resource);
      return resource;
    } finally {
      this.naming.delete(logicalId);
    }
  }

  ofType(type: string): LocalResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The one resource of `type` whose logical id starts with `logicalIdPrefix` (CDK adds a hash). */
  find(type: string, logicalIdPrefix = ''): LocalResource {
    const matches = this.ofType(type).filter((r) => r.logicalId.startsWith(logicalIdPrefix));
    const [only, ...rest] = matches;
    if (only === undefined)
      throw new TemplateError(`no ${type} whose logical id starts with '${logicalIdPrefix}'`);
    if (rest.length > 0) {
      throw new TemplateError(
        `more than one ${type} starts with '${logicalIdPrefix}': ${matches.map((m) => m.logicalId).join(', ')}`,
      );
    }
    return only;
  }

  /** The Lambda function resource with this (local) ARN, qualified or not. */
  functionByArn(arn: string): LocalResource | undefined {
    const unqualified = arn.split(':').slice(0, 7).join(':');
    return this.ofType('AWS::Lambda::Function').find((f) => f.arn === unqualified);
  }

  /**
   * A resource's properties with their intrinsics resolved: only those named in `keys`, if given.
   * Name only what you need: other properties (resource policies, say) may hold intrinsics that are
   * of no use locally, such as Fn::GetStackOutput.
   */
  resolvedProperties(logicalId: string, keys?: readonly string[]): JsonObject {
    const all = this.get(logicalId).properties;
    const selected: JsonObject = {};
    for (const [key, value] of Object.entries(all)) if (!keys || keys.includes(key)) selected[key] = value;
    const props = this.resolve(selected, logicalId);
    if (!isJsonObject(props)) throw new TemplateError(`${logicalId}: properties are not an object`);
    return props;
  }

  /** The template's Outputs, resolved (to feed `stackOutputs` of a template that reads them). */
  outputs(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, output] of Object.entries(this.template.Outputs ?? {})) {
      out[name] = this.resolveString(output.Value, `Outputs.${name}`);
    }
    return out;
  }

  /** The template's exported Outputs by export name (to feed `imports` of a template that imports them). */
  exports(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, output] of Object.entries(this.template.Outputs ?? {})) {
      if (output.Export)
        out[this.resolveString(output.Export.Name, `Outputs.${name}.Export`)] = this.resolveString(
          output.Value,
          `Outputs.${name}`,
        );
    }
    return out;
  }

  /** The environment variables a function's template sets, resolved (table names, bucket names, …). */
  functionEnvironment(logicalId: string): Record<string, string> {
    const env = z
      .object({ Environment: z.object({ Variables: z.record(z.string(), z.json()).optional() }).optional() })
      .loose()
      .parse(this.resolvedProperties(logicalId, ['Environment'])).Environment?.Variables;
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(env ?? {})) {
      out[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    return out;
  }

  /** Resolve every intrinsic function in `value`; `path` only names the place in error messages. */
  resolve(value: Json, path = '(value)'): Json {
    const resolved = this.resolveValue(value, path);
    return resolved === NO_VALUE ? null : resolved;
  }

  private resolveString(value: Json, path: string): string {
    const resolved = this.resolveValue(value, path);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw new TemplateError(`${path}: expected a string, got ${JSON.stringify(resolved)}`);
  }

  private resolveList(value: Json, path: string): Json[] {
    const resolved = this.resolveValue(value, path);
    if (Array.isArray(resolved)) return resolved;
    throw new TemplateError(`${path}: expected a list, got ${JSON.stringify(resolved)}`);
  }

  private resolveValue(value: Json, path: string): Resolved {
    if (Array.isArray(value)) {
      const out: Json[] = [];
      value.forEach((item, i) => {
        const resolved = this.resolveValue(item, `${path}[${i}]`);
        if (resolved !== NO_VALUE) out.push(resolved);
      });
      return out;
    }
    if (!isJsonObject(value)) return value;
    const keys = Object.keys(value);
    const [key] = keys;
    if (keys.length === 1 && key !== undefined && (key === 'Ref' || key.startsWith('Fn::'))) {
      return this.intrinsic(key, value[key] ?? null, `${path}.${key}`);
    }
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      const resolved = this.resolveValue(v, `${path}.${k}`);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }

  private intrinsic(fn: string, arg: Json, path: string): Resolved {
    switch (fn) {
      case 'Ref': {
        const name = this.resolveString(arg, path);
        return name === 'AWS::NoValue' ? NO_VALUE : this.ref(name, path);
      }
      case 'Fn::GetAtt': {
        const parts = typeof arg === 'string' ? arg.split('.') : this.resolveList(arg, path);
        const [logicalId, ...attr] = parts.map((p, i) => this.resolveString(p, `${path}[${i}]`));
        if (logicalId === undefined || attr.length === 0) throw new TemplateError(`${path}: malformed`);
        return this.getAtt(logicalId, attr.join('.'), path);
      }
      case 'Fn::Join': {
        const [delimiter, list] = this.pair(arg, path);
        return this.resolveList(list, path)
          .map((item, i) => this.resolveString(item, `${path}[1][${i}]`))
          .join(this.resolveString(delimiter, path));
      }
      case 'Fn::Sub':
        return this.sub(arg, path);
      case 'Fn::Select': {
        const [index, list] = this.pair(arg, path);
        const item = this.resolveList(list, path)[Number(this.resolveString(index, path))];
        if (item === undefined) throw new TemplateError(`${path}: index out of range`);
        return item;
      }
      case 'Fn::Split': {
        const [delimiter, source] = this.pair(arg, path);
        return this.resolveString(source, path).split(this.resolveString(delimiter, path));
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = this.triple(arg, path);
        const chosen = this.condition(this.resolveString(condition, path)) ? whenTrue : whenFalse;
        return this.resolveValue(chosen, path);
      }
      case 'Fn::Base64':
        return Buffer.from(this.resolveString(arg, path)).toString('base64');
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((zone) => `${this.region}${zone}`);
      case 'Fn::ImportValue': {
        const name = this.resolveString(arg, path);
        const imported = this.options.imports?.[name];
        if (imported === undefined) throw new TemplateError(`${path}: no local value for import ${name}`);
        return imported;
      }
      case 'Fn::GetStackOutput': {
        const { StackName, OutputName } = z
          .object({ StackName: z.json(), OutputName: z.json() })
          .loose()
          .parse(arg);
        const stack = this.resolveString(StackName, path);
        const output = this.resolveString(OutputName, path);
        const value = this.options.stackOutputs?.[stack]?.[output];
        if (value === undefined) {
          throw new TemplateError(
            `${path}: no local value for output ${output} of stack ${stack} (options.stackOutputs)`,
          );
        }
        return value;
      }
      case 'Fn::FindInMap': {
        const [map, top, second] = this.args(arg, 3, path).map((a) => this.resolveString(a, path));
        const mapping = this.template.Mappings?.[map ?? ''];
        const level = isJsonObject(mapping) ? mapping[top ?? ''] : undefined;
        const found = isJsonObject(level) ? level[second ?? ''] : undefined;
        if (found === undefined) throw new TemplateError(`${path}: no mapping ${map}.${top}.${second}`);
        return found;
      }
      case 'Fn::Equals':
      case 'Fn::Not':
      case 'Fn::And':
      case 'Fn::Or':
        return this.evaluateCondition({ [fn]: arg }, path);
      default:
        throw new TemplateError(`${path}: the local runtime does not support ${fn}`);
    }
  }

  private args(arg: Json, count: number, path: string): Json[] {
    if (!Array.isArray(arg) || arg.length !== count) {
      throw new TemplateError(`${path}: expected ${count} arguments`);
    }
    return arg;
  }

  private pair(arg: Json, path: string): [Json, Json] {
    const [a = null, b = null] = this.args(arg, 2, path);
    return [a, b];
  }

  private triple(arg: Json, path: string): [Json, Json, Json] {
    const [a = null, b = null, c = null] = this.args(arg, 3, path);
    return [a, b, c];
  }

  private sub(arg: Json, path: string): string {
    let text: string;
    let variables: JsonObject = {};
    if (typeof arg === 'string') text = arg;
    else {
      const [template, vars] = this.pair(arg, path);
      if (typeof template !== 'string' || !isJsonObject(vars)) throw new TemplateError(`${path}: malformed`);
      text = template;
      variables = vars;
    }
    return text.replace(/\$\{(!?)([^}]+)\}/g, (_whole, bang: string, name: string) => {
      if (bang === '!') return `\${${name}}`;
      const own = variables[name];
      if (own !== undefined) return this.resolveString(own, `${path}.${name}`);
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::')) {
        return this.resolveString(this.getAtt(name.slice(0, dot), name.slice(dot + 1), path), path);
      }
      return this.resolveString(this.ref(name, path), path);
    });
  }

  private condition(name: string): boolean {
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new TemplateError(`no condition named ${name}`);
    return this.evaluateCondition(definition, `Conditions.${name}`);
  }

  private evaluateCondition(definition: Json, path: string): boolean {
    if (typeof definition === 'boolean') return definition;
    if (!isJsonObject(definition)) throw new TemplateError(`${path}: malformed condition`);
    const [fn, arg] = Object.entries(definition)[0] ?? [];
    if (arg === undefined) throw new TemplateError(`${path}: malformed condition`);
    switch (fn) {
      case 'Condition':
        return this.condition(this.resolveString(arg, path));
      case 'Fn::Equals': {
        const [a, b] = this.pair(arg, path).map((x) => JSON.stringify(this.resolve(x, path)));
        return a === b;
      }
      case 'Fn::Not':
        return !this.evaluateCondition(this.args(arg, 1, path)[0] ?? null, path);
      case 'Fn::And':
        return Array.isArray(arg) && arg.every((c) => this.evaluateCondition(c, path));
      case 'Fn::Or':
        return Array.isArray(arg) && arg.some((c) => this.evaluateCondition(c, path));
      default:
        throw new TemplateError(`${path}: unsupported condition function ${fn}`);
    }
  }

  private ref(name: string, path: string): Json {
    switch (name) {
      case 'AWS::Region':
        return this.region;
      case 'AWS::AccountId':
        return this.accountId;
      case 'AWS::Partition':
        return this.partition;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${this.region}:${this.accountId}:stack/${this.stackName}/${deterministicUuid(this.stackName)}`;
      case 'AWS::NotificationARNs':
        return [];
    }
    if (this.template.Resources[name] !== undefined) return this.get(name).ref;
    const parameter = this.template.Parameters?.[name];
    if (parameter !== undefined) {
      const given = this.options.parameters?.[name];
      if (given !== undefined) return given;
      if (parameter.Default !== undefined) return parameter.Default;
      throw new TemplateError(`${path}: parameter ${name} has no Default; pass it in options.parameters`);
    }
    throw new TemplateError(`${path}: Ref to unknown ${name}`);
  }

  private getAtt(logicalId: string, attribute: string, path: string): Json {
    if (this.template.Resources[logicalId] === undefined) {
      throw new TemplateError(`${path}: Fn::GetAtt of unknown resource ${logicalId}`);
    }
    const r = this.get(logicalId);
    switch (`${r.type}.${attribute}`) {
      case 'AWS::DynamoDB::Table.StreamArn':
      case 'AWS::DynamoDB::GlobalTable.StreamArn':
        return `${r.arn}/stream/1970-01-01T00:00:00.000`;
      case 'AWS::DynamoDB::GlobalTable.TableId':
      case 'AWS::KMS::Key.KeyId':
        return r.ref;
      case 'AWS::S3::Bucket.DomainName':
        return `${r.physicalName}.s3.amazonaws.com`;
      case 'AWS::S3::Bucket.RegionalDomainName':
        return `${r.physicalName}.s3.${this.region}.amazonaws.com`;
      case 'AWS::S3::Bucket.WebsiteURL':
        return `http://${r.physicalName}.s3-website.${this.region}.amazonaws.com`;
      case 'AWS::SQS::Queue.QueueUrl':
        return `https://sqs.${this.region}.amazonaws.com/${this.accountId}/${r.physicalName}`;
      case 'AWS::IAM::Role.RoleId':
        return `AROA${shortHash(r.arn, 17).toUpperCase()}`;
    }
    if (attribute === 'Arn' || attribute.endsWith('Arn')) return r.arn;
    if (attribute.endsWith('Name') || attribute.endsWith('Id')) return r.physicalName;
    return `${r.arn}#${attribute}`;
  }

  private describe(logicalId: string, type: string, properties: JsonObject): LocalResource {
    const { region, accountId, partition } = this;
    const nameProperty = NAME_PROPERTY[type];
    const explicit = nameProperty === undefined ? undefined : properties[nameProperty];
    const base = `${this.stackName}-${logicalId}`;
    const given =
      explicit === undefined ? undefined : this.resolveString(explicit, `${logicalId}.${nameProperty}`);
    const service = (type.split('::')[1] ?? 'unknown').toLowerCase();
    const make = (physicalName: string, arn: string, ref = physicalName): LocalResource => ({
      logicalId,
      type,
      physicalName,
      arn,
      ref,
      properties,
    });
    switch (type) {
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable': {
        const name = given ?? localTableName(base);
        return make(name, `arn:${partition}:dynamodb:${region}:${accountId}:table/${name}`);
      }
      case 'AWS::S3::Bucket': {
        const name = given ?? localBucketName(base);
        return make(name, `arn:${partition}:s3:::${name}`);
      }
      case 'AWS::Lambda::Function': {
        const name = given ?? genericName(base, 64);
        return make(name, `arn:${partition}:lambda:${region}:${accountId}:function:${name}`);
      }
      case 'AWS::StepFunctions::StateMachine': {
        const name = given ?? genericName(base, 80);
        const arn = `arn:${partition}:states:${region}:${accountId}:stateMachine:${name}`;
        return make(name, arn, arn);
      }
      case 'AWS::KMS::Key': {
        const id = deterministicUuid(`${this.stackName}/${logicalId}`);
        return make(id, `arn:${partition}:kms:${region}:${accountId}:key/${id}`);
      }
      case 'AWS::KMS::Alias': {
        const name = given ?? `alias/${genericName(base, 200)}`;
        return make(name, `arn:${partition}:kms:${region}:${accountId}:${name}`);
      }
      case 'AWS::IAM::Role': {
        const name = given ?? genericName(base, 64);
        return make(name, `arn:${partition}:iam::${accountId}:role/${name}`);
      }
      case 'AWS::IAM::ManagedPolicy': {
        const name = given ?? genericName(base, 128);
        const arn = `arn:${partition}:iam::${accountId}:policy/${name}`;
        return make(name, arn, arn);
      }
      case 'AWS::SNS::Topic': {
        const name = given ?? genericName(base, 256);
        const arn = `arn:${partition}:sns:${region}:${accountId}:${name}`;
        return make(name, arn, arn);
      }
      case 'AWS::SQS::Queue': {
        const name = given ?? genericName(base, 80);
        const url = `https://sqs.${region}.amazonaws.com/${accountId}/${name}`;
        return make(name, `arn:${partition}:sqs:${region}:${accountId}:${name}`, url);
      }
      case 'AWS::Events::Rule': {
        const name = given ?? genericName(base, 64);
        return make(name, `arn:${partition}:events:${region}:${accountId}:rule/${name}`);
      }
      case 'AWS::Logs::LogGroup': {
        const name = given ?? `/local/${genericName(base, 200)}`;
        return make(name, `arn:${partition}:logs:${region}:${accountId}:log-group:${name}:*`);
      }
      default: {
        const name = given ?? genericName(base, 128);
        return make(name, `arn:${partition}:${service}:${region}:${accountId}:${name}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Creating the stateful resources in the embedded services

const keySchema = z.array(z.object({ AttributeName: z.string(), KeyType: z.enum(['HASH', 'RANGE']) }));
const projection = z
  .object({
    ProjectionType: z.enum(['ALL', 'KEYS_ONLY', 'INCLUDE']).optional(),
    NonKeyAttributes: z.array(z.string()).optional(),
  })
  .loose();
const TABLE_KEYS = [
  'KeySchema',
  'AttributeDefinitions',
  'GlobalSecondaryIndexes',
  'LocalSecondaryIndexes',
  'BillingMode',
  'TimeToLiveSpecification',
  'StreamSpecification',
];
const tableProperties = z
  .object({
    KeySchema: keySchema,
    AttributeDefinitions: z.array(
      z.object({ AttributeName: z.string(), AttributeType: z.enum(['S', 'N', 'B']) }),
    ),
    GlobalSecondaryIndexes: z
      .array(z.object({ IndexName: z.string(), KeySchema: keySchema, Projection: projection }).loose())
      .optional(),
    LocalSecondaryIndexes: z
      .array(z.object({ IndexName: z.string(), KeySchema: keySchema, Projection: projection }).loose())
      .optional(),
    BillingMode: z.string().optional(),
    TimeToLiveSpecification: z.object({ AttributeName: z.string().optional() }).loose().optional(),
    StreamSpecification: z.json().optional(),
  })
  .loose();
const bucketProperties = z
  .object({ VersioningConfiguration: z.object({ Status: z.string() }).loose().optional() })
  .loose();

export interface ProvisionReport {
  tables: Array<{ logicalId: string; name: string; created: boolean }>;
  buckets: Array<{ logicalId: string; name: string; created: boolean }>;
  /** What the embedded services do differently from AWS for these resources. */
  notes: string[];
}

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

async function waitForActive(dynamodb: DynamoDBClient, name: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`table ${name} did not become ACTIVE`);
}

/**
 * Create every DynamoDB table and S3 bucket of the template in the embedded services. Idempotent:
 * what already exists is left as it is (so a persisted `lsi local up` can run it at every start).
 */
export async function provisionTemplate(
  template: LocalTemplate,
  clients: { dynamodb: DynamoDBClient; s3: S3Client },
): Promise<ProvisionReport> {
  const report: ProvisionReport = { tables: [], buckets: [], notes: [] };

  const tables = [
    ...template.ofType('AWS::DynamoDB::Table'),
    ...template.ofType('AWS::DynamoDB::GlobalTable'),
  ];
  for (const table of tables) {
    const props = tableProperties.parse(template.resolvedProperties(table.logicalId, TABLE_KEYS));
    const gsis = props.GlobalSecondaryIndexes ?? [];
    const lsis = props.LocalSecondaryIndexes ?? [];
    // Capacity means nothing locally: every table is on demand.
    const input: CreateTableCommandInput = {
      TableName: table.physicalName,
      KeySchema: props.KeySchema,
      AttributeDefinitions: props.AttributeDefinitions,
      BillingMode: 'PAY_PER_REQUEST',
      ...(gsis.length > 0
        ? {
            GlobalSecondaryIndexes: gsis.map((g) => ({
              IndexName: g.IndexName,
              KeySchema: g.KeySchema,
              Projection: g.Projection,
            })),
          }
        : {}),
      ...(lsis.length > 0
        ? {
            LocalSecondaryIndexes: lsis.map((l) => ({
              IndexName: l.IndexName,
              KeySchema: l.KeySchema,
              Projection: l.Projection,
            })),
          }
        : {}),
    };
    let created = true;
    try {
      await clients.dynamodb.send(new CreateTableCommand(input));
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err;
      created = false;
    }
    await waitForActive(clients.dynamodb, table.physicalName);
    report.tables.push({ logicalId: table.logicalId, name: table.physicalName, created });
    if (props.TimeToLiveSpecification?.AttributeName) {
      report.notes.push(
        `${table.logicalId}: TTL on '${props.TimeToLiveSpecification.AttributeName}' is not applied locally ` +
          '(dynalite has no UpdateTimeToLive); expired items stay until deleted.',
      );
    }
    if (props.StreamSpecification !== undefined) {
      report.notes.push(`${table.logicalId}: DynamoDB Streams are not emulated locally.`);
    }
    if (props.BillingMode === 'PROVISIONED') {
      report.notes.push(`${table.logicalId}: provisioned capacity is ignored locally (on demand).`);
    }
  }

  for (const bucket of template.ofType('AWS::S3::Bucket')) {
    const props = bucketProperties.parse(
      template.resolvedProperties(bucket.logicalId, ['VersioningConfiguration']),
    );
    let created = true;
    try {
      await clients.s3.send(new CreateBucketCommand({ Bucket: bucket.physicalName }));
    } catch (err) {
      const name = errorName(err);
      if (
        !(err instanceof S3ServiceException) ||
        (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists')
      ) {
        throw err;
      }
      created = false;
    }
    report.buckets.push({ logicalId: bucket.logicalId, name: bucket.physicalName, created });
    if (props.VersioningConfiguration?.Status === 'Enabled') {
      report.notes.push(
        `${bucket.logicalId}: versioning is enabled in the template; s3rver keeps only the latest version.`,
      );
    }
    report.notes.push(
      `${bucket.logicalId}: s3rver verifies no signatures and ignores SSE-KMS headers; bucket policies are not enforced.`,
    );
  }
  return report;
}
