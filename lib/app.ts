/**
 * Builds the CDK app for one project in-process: the closer stack and the project stack. Used by
 * `bin/app.ts` (the CDK CLI), by the infrastructure tests and by the embedded local runtime.
 */
import { App, type Environment, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Project } from '../lambdas/core/project.ts';
import { CloserStack } from './closer-stack.ts';
import { FEATURE_FLAGS } from './feature-flags.ts';
import { closerStackName, projectStackName } from './names.ts';
import { type Deployment, ProjectStack } from './project-stack.ts';

export interface BuildProjectAppOptions {
  /**
   * Bundle the Lambda code with esbuild. When false, asset bundling is skipped (CDK's
   * `aws:cdk:bundling-stacks` context is set to none), which keeps template-only tests fast.
   * @default true
   */
  readonly bundle?: boolean;
  /**
   * Run the cdk-nag AwsSolutions pack as a policy-validation plugin during synthesis.
   * @default false
   */
  readonly nag?: boolean;
  /** Where the cloud assembly goes. @default - CDK's default (a temp dir, or cdk.out under the CLI) */
  readonly outdir?: string;
  /** Extra context for the app. @default - none */
  readonly context?: Record<string, unknown>;
  /**
   * The environment when the project config names none.
   * @default - environment-agnostic stacks
   */
  readonly defaultEnv?: Environment;
}

export interface ProjectApp {
  readonly app: App;
  readonly projectStack: ProjectStack;
  readonly closerStack: CloserStack;
}

/** Raised when a project config lacks what a deployment needs. */
export class DeploymentConfigError extends Error {
  override readonly name = 'DeploymentConfigError';
  constructor(readonly issues: readonly string[]) {
    super(`Het project kan zo niet worden uitgerold:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  }
}

/** The deployment settings, checked for what the stacks need: principals for every partner. */
export function requireDeployment(project: Project): Deployment {
  const deployment = project.deployment;
  if (deployment === undefined) {
    throw new DeploymentConfigError([
      'deployment: ontbreekt (leadPrincipals en partnerPrincipals zijn nodig)',
    ]);
  }
  const missing = project.partners
    .filter((p) => (deployment.partnerPrincipals[p.id] ?? []).length === 0)
    .map((p) => `deployment.partnerPrincipals.${p.id}: ontbreekt (wie levert namens ${p.name} aan?)`);
  if (missing.length > 0) throw new DeploymentConfigError(missing);
  return deployment;
}

export function buildProjectApp(project: Project, options: BuildProjectAppOptions = {}): ProjectApp {
  const deployment = requireDeployment(project);
  const context: Record<string, unknown> = { ...FEATURE_FLAGS, ...options.context };
  if (options.bundle === false) context['aws:cdk:bundling-stacks'] = [];
  const app = new App({ ...(options.outdir ? { outdir: options.outdir } : {}), context, autoSynth: false });

  const env: Environment | undefined =
    deployment.account || deployment.region
      ? {
          ...(deployment.account ? { account: deployment.account } : {}),
          ...(deployment.region ? { region: deployment.region } : {}),
        }
      : options.defaultEnv;
  const envProps = env ? { env } : {};

  const projectName = projectStackName(project.projectId);
  const closerStack = new CloserStack(app, closerStackName(project.projectId), {
    ...envProps,
    description: `LSI ${project.projectId}: teardown at the close date (survives the project stack)`,
    projectId: project.projectId,
    projectStackName: projectName,
    ...(project.schedule ? { closeDate: new Date(project.schedule.closeDate) } : {}),
  });
  const projectStack = new ProjectStack(app, projectName, {
    ...envProps,
    description: `LSI ${project.projectId}: drop zone, keys, linkage workflow and results`,
    project,
    deployment,
    teardownRole: closerStack.teardownRole,
  });
  projectStack.addStackDependency(closerStack, 'key, bucket and table policies name the teardown role');

  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, projectStack, closerStack };
}
