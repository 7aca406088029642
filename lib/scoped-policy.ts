/**
 * Every permission in this app is an `iam.Policy` of its own, attached to one role, so that
 * (1) no role's inline policy references a resource whose own policy references the role (no
 * dependency cycles between keys, buckets and roles), and (2) a cdk-nag acknowledgement can sit on
 * exactly the policy that needs it.
 *
 * A statement with a wildcard (an object prefix, a generated stack id) must say why that is as
 * narrow as it gets: its `why` becomes the acknowledgement of exactly the AwsSolutions-IAM5 findings
 * that statement causes, computed the way cdk-nag names them. A wildcard statement without a `why`
 * stays unacknowledged, and the nag test fails.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { type IRole, Policy, type PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

export interface ScopedStatement {
  readonly statement: PolicyStatement;
  /**
   * Why the wildcard(s) in this statement are as narrow as the service allows.
   * @default - the statement must not contain a wildcard
   */
  readonly why?: string;
}

/** Flattens a resolved CloudFormation value the way cdk-nag names findings (`<Logical.Arn>/x/*`). */
export function flattenCfn(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (Array.isArray(value)) return JSON.stringify(value);
  if (value !== null && typeof value === 'object') {
    const join = Reflect.get(value, 'Fn::Join');
    if (Array.isArray(join)) {
      const [delimiter, parts] = join;
      if (typeof delimiter === 'string' && Array.isArray(parts)) return parts.map(flattenCfn).join(delimiter);
    }
    const sub = Reflect.get(value, 'Fn::Sub');
    if (sub !== undefined) return flattenCfn(sub);
    const getAtt = Reflect.get(value, 'Fn::GetAtt');
    if (Array.isArray(getAtt)) return `<${flattenCfn(getAtt[0])}.${flattenCfn(getAtt[1])}>`;
    const importValue = Reflect.get(value, 'Fn::ImportValue');
    if (importValue !== undefined) return flattenCfn(importValue);
    const ref = Reflect.get(value, 'Ref');
    if (ref !== undefined) return `<${flattenCfn(ref)}>`;
  }
  return JSON.stringify(value);
}

function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The AwsSolutions-IAM5 finding ids of one resolved policy statement, as cdk-nag v3 names them. */
export function findingsOfStatementJson(json: unknown): string[] {
  if (json === null || typeof json !== 'object' || Reflect.get(json, 'Effect') !== 'Allow') return [];
  const findings = new Set<string>();
  for (const action of asList(Reflect.get(json, 'Action'))) {
    const a = flattenCfn(action);
    if (a.includes('*')) findings.add(`AwsSolutions-IAM5[Action::${a}]`);
  }
  for (const resource of asList(Reflect.get(json, 'Resource'))) {
    const r = flattenCfn(resource);
    if (r.includes('*')) findings.add(`AwsSolutions-IAM5[Resource::${r}]`);
  }
  return [...findings];
}

/** The AwsSolutions-IAM5 finding ids one statement causes. */
export function wildcardFindings(scope: Construct, statement: PolicyStatement): string[] {
  return findingsOfStatementJson(Stack.of(scope).resolve(statement.toStatementJson()));
}

export interface DefaultPolicyAcknowledgement {
  /** Which findings (full id, e.g. `AwsSolutions-IAM5[Resource::<Fn.Arn>:*]`) this reason covers. */
  readonly match: RegExp;
  readonly reason: string;
}

/**
 * Acknowledges findings in the default policy that CDK itself writes into a role it manages (task
 * grants of a state machine, a schedule target's invoke grant), on that default policy alone and
 * only for the findings a rule matches. Call it after everything that adds to the role.
 */
export function acknowledgeDefaultPolicy(role: IRole, rules: readonly DefaultPolicyAcknowledgement[]): void {
  const defaultPolicy = role.node.tryFindChild('DefaultPolicy');
  if (!(defaultPolicy instanceof Policy)) throw new Error(`${role.node.path}: no default policy`);
  const doc: unknown = Stack.of(role).resolve(defaultPolicy.document);
  const statements = doc !== null && typeof doc === 'object' ? asList(Reflect.get(doc, 'Statement')) : [];
  const used = new Set<DefaultPolicyAcknowledgement>();
  for (const statement of statements) {
    for (const finding of findingsOfStatementJson(statement)) {
      const rule = rules.find((r) => r.match.test(finding));
      if (rule === undefined) continue;
      used.add(rule);
      Validations.of(defaultPolicy).acknowledge({ id: finding, reason: rule.reason });
    }
  }
  for (const rule of rules) {
    if (!used.has(rule))
      throw new Error(`${role.node.path}: acknowledgement ${rule.match} matches no finding`);
  }
}

/**
 * Adds one IAM policy with the given statements to a role, acknowledging each statement's wildcard
 * findings with that statement's own reason, on this policy alone.
 */
export function addScopedPolicy(
  scope: Construct,
  id: string,
  role: IRole,
  statements: readonly ScopedStatement[],
): Policy {
  const policy = new Policy(scope, id, {
    roles: [role],
    statements: statements.map((s) => s.statement),
  });
  for (const { statement, why } of statements) {
    const findings = wildcardFindings(scope, statement);
    if (why === undefined) continue;
    if (findings.length === 0) {
      throw new Error(`${policy.node.path}: a reason was given for a statement without wildcards`);
    }
    for (const finding of findings) Validations.of(policy).acknowledge({ id: finding, reason: why });
  }
  return policy;
}
