/**
 * The synthesised templates of one app, with CloudFormation intrinsics resolved to fake but
 * consistent physical names and ARNs (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`,
 * `Fn::Split`, `Fn::ImportValue`, `Fn::GetStackOutput`, pseudo parameters), so that policies can be
 * evaluated as AWS would see them after deployment. An intrinsic it does not know is an error, never
 * a silent guess.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function toJson(value: unknown): Json {
  if (
    value === null ||
    typeof value === 'boolean' ||
    typeof value === 'number' ||
    typeof value === 'string'
  ) {
    return value;
  }
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = toJson(v);
    }
    return out;
  }
  throw new Error(`not JSON: ${typeof value}`);
}

export interface Resource {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly properties: JsonObject;
  /** The CDK construct path (`aws:cdk:path` metadata), e.g. `Lsi-x/LeadRole/Resource`. */
  readonly path: string;
}

export interface WorldOptions {
  readonly account: string;
  readonly region: string;
}

export class CfnWorld {
  readonly account: string;
  readonly region: string;
  private readonly templates: ReadonlyMap<string, JsonObject>;

  constructor(templates: Readonly<Record<string, unknown>>, options: WorldOptions) {
    this.account = options.account;
    this.region = options.region;
    const map = new Map<string, JsonObject>();
    for (const [name, template] of Object.entries(templates)) {
      const json = toJson(template);
      if (!isObject(json)) throw new Error(`template ${name} is not an object`);
      map.set(name, json);
    }
    this.templates = map;
  }

  get stackNames(): string[] {
    return [...this.templates.keys()];
  }

  template(stack: string): JsonObject {
    const t = this.templates.get(stack);
    if (t === undefined) throw new Error(`no template for stack ${stack}`);
    return t;
  }

  resources(stack: string, type?: string): Resource[] {
    const res = this.template(stack).Resources;
    if (!isObject(res)) return [];
    const out: Resource[] = [];
    for (const [logicalId, r] of Object.entries(res)) {
      if (!isObject(r) || typeof r.Type !== 'string') continue;
      if (type !== undefined && r.Type !== type) continue;
      const metadata = isObject(r.Metadata) ? r.Metadata : {};
      const path = metadata['aws:cdk:path'];
      out.push({
        stack,
        logicalId,
        type: r.Type,
        properties: isObject(r.Properties) ? r.Properties : {},
        path: typeof path === 'string' ? path : '',
      });
    }
    return out;
  }

  resource(stack: string, logicalId: string): Resource {
    const r = this.resources(stack).find((x) => x.logicalId === logicalId);
    if (r === undefined) throw new Error(`${stack}: no resource ${logicalId}`);
    return r;
  }

  /** The one resource of this type whose construct path matches (e.g. `/LeadRole/Resource`). */
  byPath(stack: string, type: string, pathSuffix: string): Resource {
    const found = this.resources(stack, type).filter((r) => r.path.endsWith(pathSuffix));
    if (found.length !== 1) {
      throw new Error(`${stack}: expected one ${type} at …${pathSuffix}, found ${found.length}`);
    }
    const [r] = found;
    if (r === undefined) throw new Error('unreachable');
    return r;
  }

  /** Resolves every intrinsic in a value taken from the given stack's template. */
  resolve(stack: string, value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(stack, v));
    if (!isObject(value)) return value;
    const keys = Object.keys(value);
    const [only] = keys;
    if (keys.length === 1 && only !== undefined && (only === 'Ref' || only.startsWith('Fn::'))) {
      return this.intrinsic(stack, only, value[only] ?? null);
    }
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = this.resolve(stack, v);
    return out;
  }

  resolveString(stack: string, value: Json): string {
    const r = this.resolve(stack, value);
    if (typeof r !== 'string') throw new Error(`expected a string, got ${JSON.stringify(r)}`);
    return r;
  }

  /** `Ref` of a resource, as AWS returns it. */
  ref(stack: string, logicalId: string): string {
    const r = this.resource(stack, logicalId);
    const name = fakeName(r);
    switch (r.type) {
      case 'AWS::KMS::Key':
        return `key-${logicalId}`;
      case 'AWS::SNS::Topic':
        return this.getAtt(stack, logicalId, 'TopicArn');
      case 'AWS::SQS::Queue':
        return `https://sqs.${this.region}.amazonaws.com/${this.account}/${name}`;
      case 'AWS::StepFunctions::StateMachine':
        return this.getAtt(stack, logicalId, 'Arn');
      default:
        return name;
    }
  }

  /** `Fn::GetAtt` of a resource. */
  getAtt(stack: string, logicalId: string, attribute: string): string {
    const r = this.resource(stack, logicalId);
    const name = fakeName(r);
    const { account, region } = this;
    const key = `${r.type}.${attribute}`;
    switch (key) {
      case 'AWS::S3::Bucket.Arn':
        return `arn:aws:s3:::${name}`;
      case 'AWS::KMS::Key.Arn':
        return `arn:aws:kms:${region}:${account}:key/key-${logicalId}`;
      case 'AWS::KMS::Key.KeyId':
        return `key-${logicalId}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${account}:role/${name}`;
      case 'AWS::DynamoDB::Table.Arn':
        return `arn:aws:dynamodb:${region}:${account}:table/${name}`;
      case 'AWS::DynamoDB::Table.StreamArn':
        return `arn:aws:dynamodb:${region}:${account}:table/${name}/stream/2027-01-01T00:00:00.000`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:aws:lambda:${region}:${account}:function:${name}`;
      case 'AWS::Lambda::Url.FunctionUrl':
        return `https://${name.toLowerCase()}.lambda-url.${region}.on.aws/`;
      case 'AWS::SQS::Queue.Arn':
        return `arn:aws:sqs:${region}:${account}:${name}`;
      case 'AWS::SQS::Queue.QueueName':
        return name;
      case 'AWS::SNS::Topic.TopicArn':
        return `arn:aws:sns:${region}:${account}:${name}`;
      case 'AWS::StepFunctions::StateMachine.Arn':
        return `arn:aws:states:${region}:${account}:stateMachine:${name}`;
      case 'AWS::StepFunctions::StateMachine.Name':
        return name;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:aws:logs:${region}:${account}:log-group:${name}:*`;
      case 'AWS::Events::Rule.Arn':
        return `arn:aws:events:${region}:${account}:rule/${name}`;
      case 'AWS::Scheduler::Schedule.Arn':
        return `arn:aws:scheduler:${region}:${account}:schedule/default/${name}`;
      default:
        throw new Error(`unsupported Fn::GetAtt ${key} (${stack}/${logicalId})`);
    }
  }

  private intrinsic(stack: string, fn: string, arg: Json): Json {
    switch (fn) {
      case 'Ref': {
        if (typeof arg !== 'string') throw new Error(`bad Ref ${JSON.stringify(arg)}`);
        return this.pseudo(stack, arg) ?? this.ref(stack, arg);
      }
      case 'Fn::GetAtt': {
        const [id, attr] = Array.isArray(arg) ? arg : typeof arg === 'string' ? arg.split('.') : [];
        if (typeof id !== 'string' || typeof attr !== 'string')
          throw new Error(`bad GetAtt ${JSON.stringify(arg)}`);
        return this.getAtt(stack, id, attr);
      }
      case 'Fn::Join': {
        if (!Array.isArray(arg)) throw new Error('bad Fn::Join');
        const [delimiter, parts] = arg;
        if (typeof delimiter !== 'string' || !Array.isArray(parts)) throw new Error('bad Fn::Join');
        return parts.map((p) => this.resolveString(stack, p)).join(delimiter);
      }
      case 'Fn::Sub': {
        const [template, vars] = Array.isArray(arg) ? arg : [arg, {}];
        if (typeof template !== 'string' || !isObject(vars)) throw new Error('bad Fn::Sub');
        return template.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
          const v = vars[name];
          if (v !== undefined) return this.resolveString(stack, v);
          const pseudo = this.pseudo(stack, name);
          if (pseudo !== undefined) return pseudo;
          const [id, attr] = name.split('.');
          if (id === undefined) throw new Error(`bad Fn::Sub variable ${name}`);
          return attr === undefined ? this.ref(stack, id) : this.getAtt(stack, id, attr);
        });
      }
      case 'Fn::Select': {
        if (!Array.isArray(arg)) throw new Error('bad Fn::Select');
        const [index, list] = arg;
        const items = this.resolve(stack, list ?? null);
        const i = typeof index === 'number' ? index : Number(index);
        if (!Array.isArray(items)) throw new Error('bad Fn::Select list');
        const item = items[i];
        if (item === undefined) throw new Error(`Fn::Select index ${i} out of range`);
        return item;
      }
      case 'Fn::Split': {
        if (!Array.isArray(arg)) throw new Error('bad Fn::Split');
        const [delimiter, source] = arg;
        if (typeof delimiter !== 'string') throw new Error('bad Fn::Split');
        return this.resolveString(stack, source ?? null).split(delimiter);
      }
      case 'Fn::ImportValue': {
        const exportName = this.resolveString(stack, arg);
        for (const other of this.stackNames) {
          const outputs = this.template(other).Outputs;
          if (!isObject(outputs)) continue;
          for (const output of Object.values(outputs)) {
            if (!isObject(output) || !isObject(output.Export)) continue;
            if (this.resolve(other, output.Export.Name ?? null) === exportName) {
              return this.resolve(other, output.Value ?? null);
            }
          }
        }
        throw new Error(`no export named ${exportName}`);
      }
      case 'Fn::GetStackOutput': {
        if (!isObject(arg)) throw new Error('bad Fn::GetStackOutput');
        const other = this.resolveString(stack, arg.StackName ?? null);
        const outputName = this.resolveString(stack, arg.OutputName ?? null);
        const outputs = this.template(other).Outputs;
        const output = isObject(outputs) ? outputs[outputName] : undefined;
        if (!isObject(output)) throw new Error(`${other} has no output ${outputName}`);
        return this.resolve(other, output.Value ?? null);
      }
      default:
        throw new Error(`unsupported intrinsic ${fn}`);
    }
  }

  private pseudo(stack: string, name: string): string | undefined {
    switch (name) {
      case 'AWS::AccountId':
        return this.account;
      case 'AWS::Region':
        return this.region;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stack;
      default:
        return undefined;
    }
  }
}

/** A resource's fake physical name: its logical id (lower case where AWS demands it). */
function fakeName(r: Resource): string {
  return r.type === 'AWS::S3::Bucket' ? r.logicalId.toLowerCase() : r.logicalId;
}
