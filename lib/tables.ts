/**
 * The project's DynamoDB tables. All on demand, encrypted with the results key (customer managed),
 * point-in-time recovery on, deletion protection on, retained on stack deletion: only the teardown
 * deletes them (their resource policies let the teardown role turn deletion protection off and
 * delete the table).
 *
 * Results table (`pk`, `sk`; all values strings). Access patterns:
 * - the addresses of one round:      pk = `ROUND#<round>`,             sk = `ADDR#<addressKey>`
 * - addresses in one postcode area:  gsi1pk = `ROUND#<round>#PC4#<pc4>`, gsi1sk = `ADDR#<addressKey>`
 * - the case table of a round:       gsi2pk = `ROUND#<round>#SELECTED`,  gsi2sk = `<99 - partners, 2 digits>#<addressKey>`
 *   (most partners first, then by address key, so the order is deterministic)
 * - the lead's decisions:            pk = `DECISION#<round>`,          sk = `ADDR#<addressKey>`
 *   (added by professional judgement: lead, time, reason; case-table outcome). The lead role may
 *   write only items whose partition key starts with `DECISION#`.
 *
 * Delivery status table (`pk`, `sk`): pk = `ROUND#<round>`, sk = `PARTNER#<id>#UPLOAD#<uploadId>`
 * for each delivery, `PARTNER#<id>` for the partner's summary and `RUN` for the linkage run.
 *
 * Idempotency table (`id`, TTL attribute `expiration`): Powertools for AWS Lambda idempotency.
 *
 * Audit table (`pk`, `sk`): pk = `AUDIT#<round>`, sk = `<ISO time>#<uuid>`. Append-only: the lead may
 * only PutItem; nobody may UpdateItem or DeleteItem (resource policy); a supervisor role may read.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  Table,
  TableEncryption,
  type TableProps,
} from 'aws-cdk-lib/aws-dynamodb';
import { AnyPrincipal, Effect, type IRole, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface ProjectTablesProps {
  readonly key: IKey;
  /** May describe, unprotect and delete every table. */
  readonly teardownRole: IRole;
}

/** Statements that let the teardown role turn deletion protection off and delete a table. */
function teardownPolicy(teardownRole: IRole, extra: PolicyStatement[] = []): PolicyDocument {
  return new PolicyDocument({
    statements: [
      new PolicyStatement({
        sid: 'TeardownDeletesTable',
        principals: [teardownRole],
        actions: ['dynamodb:DescribeTable', 'dynamodb:UpdateTable', 'dynamodb:DeleteTable'],
        // A table's resource policy cannot name the table's own ARN without a dependency cycle.
        resources: ['*'],
      }),
      ...extra,
    ],
  });
}

export class ProjectTables extends Construct {
  readonly results: Table;
  readonly status: Table;
  readonly idempotency: Table;
  readonly audit: Table;

  constructor(scope: Construct, id: string, props: ProjectTablesProps) {
    super(scope, id);
    const common = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    } satisfies Partial<TableProps>;
    const pkSk = {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
    };

    this.results = new Table(this, 'Results', {
      ...common,
      ...pkSk,
      resourcePolicy: teardownPolicy(props.teardownRole),
    });
    for (const gsi of ['gsi1', 'gsi2']) {
      this.results.addGlobalSecondaryIndex({
        indexName: gsi,
        partitionKey: { name: `${gsi}pk`, type: AttributeType.STRING },
        sortKey: { name: `${gsi}sk`, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }

    this.status = new Table(this, 'DeliveryStatus', {
      ...common,
      ...pkSk,
      resourcePolicy: teardownPolicy(props.teardownRole),
    });

    this.idempotency = new Table(this, 'Idempotency', {
      ...common,
      partitionKey: { name: 'id', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiration',
      resourcePolicy: teardownPolicy(props.teardownRole),
    });

    this.audit = new Table(this, 'Audit', {
      ...common,
      ...pkSk,
      resourcePolicy: teardownPolicy(props.teardownRole, [
        new PolicyStatement({
          sid: 'AppendOnly',
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: [
            'dynamodb:UpdateItem',
            'dynamodb:DeleteItem',
            'dynamodb:BatchWriteItem',
            'dynamodb:PartiQLUpdate',
            'dynamodb:PartiQLDelete',
          ],
          resources: ['*'],
        }),
      ]),
    });
  }
}
