/**
 * The CDK app: `npx cdk synth -c project=examples/project.json` (or deploy). Builds the closer stack
 * and the project stack for one project config and checks them with cdk-nag (AwsSolutions) during
 * synthesis; `-c nag=false` skips the check.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { ProjectConfigError, parseProjectText } from '../lambdas/core/project.ts';
import { buildProjectApp, DeploymentConfigError } from '../lib/app.ts';

function main(): void {
  // Read context the way the CLI passes it (CDK_CONTEXT_JSON), through a throwaway App.
  const probe = new App({ autoSynth: false });
  const projectPath: unknown = probe.node.tryGetContext('project');
  if (typeof projectPath !== 'string' || projectPath === '') {
    throw new Error('Geef het projectbestand mee: npx cdk synth -c project=pad/naar/project.json');
  }
  const nag: unknown = probe.node.tryGetContext('nag');
  const project = parseProjectText(readFileSync(projectPath, 'utf8'), projectPath);
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  const { app } = buildProjectApp(project, {
    nag: nag !== false && nag !== 'false',
    ...(account || region
      ? { defaultEnv: { ...(account ? { account } : {}), ...(region ? { region } : {}) } }
      : {}),
  });
  app.synth();
}

try {
  main();
} catch (e) {
  if (e instanceof ProjectConfigError || e instanceof DeploymentConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
