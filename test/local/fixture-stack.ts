import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';

/** A small stack shaped like the product's: buckets, a table with a GSI, keys, functions, an S3 rule, a workflow. */
export function synthFixtureTemplate(): unknown {
  const app = new App();
  const stack = new Stack(app, 'LocalFixture', { env: { account: '111111111111', region: 'eu-central-1' } });

  const dropZone = new s3.Bucket(stack, 'DropZone', {
    versioned: true,
    eventBridgeEnabled: true,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  new s3.Bucket(stack, 'Plain', { removalPolicy: RemovalPolicy.DESTROY }); // no EventBridge
  new dynamodb.Table(stack, 'Deliveries', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: 'expiresAt',
  }).addGlobalSecondaryIndex({
    indexName: 'byRound',
    partitionKey: { name: 'round', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'partner', type: dynamodb.AttributeType.STRING },
  });
  new kms.Key(stack, 'PartnerKeyA', { enableKeyRotation: true });
  new kms.Key(stack, 'PartnerKeyB', { enableKeyRotation: true });

  const code = lambda.Code.fromInline('exports.handler = async (e) => e;');
  const validate = new lambda.Function(stack, 'ValidateFn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code,
  });
  const link = new lambda.Function(stack, 'LinkFn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code,
  });

  const uploadReceived = new lambda.Function(stack, 'UploadFn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code,
  });
  new events.Rule(stack, 'UploadCreated', {
    eventPattern: {
      source: ['aws.s3'],
      detailType: ['Object Created'],
      detail: {
        bucket: { name: [dropZone.bucketName] },
        object: { key: events.Match.wildcard('partners/*/uploads/*') },
      },
    },
    targets: [new targets.LambdaFunction(uploadReceived)],
  });

  const perPartner = new sfn.Map(stack, 'EachPartner', {
    itemsPath: '$.partners',
    resultPath: '$.validated',
  });
  perPartner.itemProcessor(
    new tasks.LambdaInvoke(stack, 'ValidatePartner', {
      lambdaFunction: validate,
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    }),
  );
  const linkTask = new tasks.LambdaInvoke(stack, 'Link', {
    lambdaFunction: link,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    resultPath: '$.linked',
  });
  linkTask.addRetry({ errors: ['Lambda.ServiceException'], interval: Duration.seconds(2), maxAttempts: 3 });
  const failed = new sfn.Pass(stack, 'LinkFailed', { parameters: { 'failed.$': '$.error.Error' } });
  linkTask.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });

  new sfn.StateMachine(stack, 'Workflow', {
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromChainable(perPartner.next(linkTask)),
  });

  return Template.fromStack(stack).toJSON();
}
