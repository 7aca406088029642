/**
 * A customer-managed KMS key whose key policy decides who may destroy it and, optionally, who may
 * use it at all.
 *
 * CDK's default key policy is one statement: the account root may do `kms:*`. That lets any IAM
 * principal of the account with a broad identity policy (an administrator, a deploy role) disable
 * the key or schedule its deletion. This construct replaces it:
 *
 * - `AccountAdministration`: the account root may do everything except `kms:DisableKey` and
 *   `kms:ScheduleKeyDeletion` (so IAM policies keep working for use and administration);
 * - `OnlyTeardownDestroys`: an explicit Deny of those two actions to every principal but the
 *   teardown role (an explicit Deny also beats any grant or later Allow);
 * - `TeardownDestroys`: the teardown role may disable the key and schedule its deletion;
 * - optionally `OnlyNamedUsersUseKey`: an explicit Deny of the cryptographic actions to every
 *   principal not on the key's user list (the partner keys: the partner's own upload role and the
 *   pipeline functions that read uploads), so even a mistaken identity policy cannot decrypt;
 * - optionally `DenyPrincipals`: an explicit Deny of all use to the listed roles (partners on the
 *   results key).
 *
 * The key is retained on stack deletion: only the teardown may schedule its deletion.
 */
import { Duration, Lazy, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccountRootPrincipal,
  AnyPrincipal,
  Effect,
  type IRole,
  PolicyDocument,
  PolicyStatement,
} from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Actions that destroy a key: only the teardown role may call them. */
export const KEY_DESTRUCTION_ACTIONS = ['kms:DisableKey', 'kms:ScheduleKeyDeletion'] as const;

/** Actions that use a key for data. */
export const KEY_USE_ACTIONS = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey*',
  'kms:ReEncrypt*',
] as const;

export interface GuardedKeyProps {
  readonly description: string;
  /** The only principal that may disable the key or schedule its deletion. */
  readonly teardownRole: IRole;
  /**
   * Restrict use of the key (decrypt, encrypt, data keys) to the roles passed to {@link allowUse}.
   * Do not set this for a key that AWS services use with their own service principal (DynamoDB).
   * @default false
   */
  readonly restrictUse?: boolean;
}

export class GuardedKey extends Construct {
  readonly key: Key;
  private readonly users: IRole[] = [];
  private readonly denied: IRole[] = [];

  constructor(scope: Construct, id: string, props: GuardedKeyProps) {
    super(scope, id);
    const policy = new PolicyDocument({
      statements: [
        new PolicyStatement({
          sid: 'AccountAdministration',
          principals: [new AccountRootPrincipal()],
          notActions: [...KEY_DESTRUCTION_ACTIONS],
          resources: ['*'],
        }),
        new PolicyStatement({
          sid: 'OnlyTeardownDestroys',
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: [...KEY_DESTRUCTION_ACTIONS],
          resources: ['*'],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': props.teardownRole.roleArn } },
        }),
        new PolicyStatement({
          sid: 'TeardownDestroys',
          principals: [props.teardownRole],
          actions: [...KEY_DESTRUCTION_ACTIONS, 'kms:DescribeKey'],
          resources: ['*'],
        }),
      ],
    });
    if (props.restrictUse) {
      policy.addStatements(
        new PolicyStatement({
          sid: 'OnlyNamedUsersUseKey',
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: [...KEY_USE_ACTIONS],
          resources: ['*'],
          conditions: {
            ArnNotEquals: {
              'aws:PrincipalArn': Lazy.list({ produce: () => this.users.map((r) => r.roleArn) }),
            },
          },
        }),
      );
    }
    this.key = new Key(this, 'Key', {
      description: props.description,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
      policy,
    });
    this.node.addValidation({
      validate: () => {
        const errors: string[] = [];
        if (props.restrictUse && this.users.length === 0) errors.push('a use-restricted key needs users');
        return errors;
      },
    });
  }

  /** Puts a role on the key's user list (only meaningful with `restrictUse`). */
  allowUse(...roles: IRole[]): void {
    this.users.push(...roles);
  }

  /** Denies every KMS action on this key to these roles, whatever their identity policies say. */
  denyAll(...roles: IRole[]): void {
    if (this.denied.length === 0 && roles.length > 0) {
      this.key.addToResourcePolicy(
        new PolicyStatement({
          sid: 'DenyPrincipals',
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: ['kms:*'],
          resources: ['*'],
          conditions: {
            ArnEquals: {
              'aws:PrincipalArn': Lazy.list({ produce: () => this.denied.map((r) => r.roleArn) }),
            },
          },
        }),
      );
    }
    this.denied.push(...roles);
  }
}
