/**
 * The embedded runtime in one call: the AWS services on loopback, the template's resources in them,
 * the local KMS stand-in, and the pieces to run the state machine and deliver S3 events.
 *
 *   const runtime = await startLocalRuntime({ template, dir });
 *   const sm = new LocalStateMachine({ template: runtime.template, handlers, registry: runtime.executions });
 *   const bridge = connectObjectCreated(runtime.services, onObjectCreated, { buckets: [...] });
 */
import { join } from 'node:path';
import { LocalKeyManager, provisionTemplateKeys } from './kms.ts';
import {
  createLocalClients,
  type EmbeddedServices,
  type EmbeddedServicesOptions,
  type LocalClients,
  startEmbeddedServices,
} from './services.ts';
import { ExecutionRegistry } from './state-machine.ts';
import {
  LocalTemplate,
  type LocalTemplateOptions,
  type ProvisionReport,
  provisionTemplate,
} from './template.ts';

export * from './events.ts';
export * from './kms.ts';
export * from './lambda.ts';
export * from './services.ts';
export * from './state-machine.ts';
export * from './template.ts';

export interface LocalRuntimeOptions extends EmbeddedServicesOptions, LocalTemplateOptions {
  /** The synthesised CloudFormation template (JSON object). */
  template: unknown;
}

export interface LocalRuntime {
  services: EmbeddedServices;
  clients: LocalClients;
  template: LocalTemplate;
  provisioned: ProvisionReport;
  keys: LocalKeyManager;
  /** Execution names; persisted under `dir` when DynamoDB is (so they survive a restart too). */
  executions: ExecutionRegistry;
  stop(): Promise<void>;
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const template = LocalTemplate.from(options.template, options);
  const services = await startEmbeddedServices(options);
  const clients = createLocalClients(services);
  const executions = new ExecutionRegistry(
    options.persistDynamo ? join(options.dir, 'stepfunctions', 'executions.json') : undefined,
  );
  const stop = async (): Promise<void> => {
    clients.destroy();
    await executions.flush();
    await services.stop();
  };
  try {
    const provisioned = await provisionTemplate(template, clients);
    const keys = new LocalKeyManager({
      dir: join(options.dir, 'kms'),
      region: template.region,
      accountId: template.accountId,
    });
    await provisionTemplateKeys(template, keys);
    return { services, clients, template, provisioned, keys, executions, stop };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}
