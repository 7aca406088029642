/** Synthesises the app for the shipped example project (or a variant of it) in-process. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import { type Project, parseProject } from '../../../lambdas/core/project.ts';
import { type BuildProjectAppOptions, buildProjectApp, type ProjectApp } from '../../../lib/app.ts';
import { CfnWorld } from './cfn-world.ts';

export const EXAMPLE_PATH = fileURLToPath(new URL('../../../examples/project.json', import.meta.url));

/** The shipped example project, optionally changed (the change gets the raw JSON object). */
export function exampleProject(change?: (json: Record<string, unknown>) => void): Project {
  const json: unknown = JSON.parse(readFileSync(EXAMPLE_PATH, 'utf8'));
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('bad example');
  const copy: Record<string, unknown> = { ...json };
  change?.(copy);
  return parseProject(copy, EXAMPLE_PATH);
}

/** The example with a supervisor, so the audit-log read role exists too. */
export function exampleWithSupervisor(): Project {
  return exampleProject((json) => {
    const deployment = json.deployment;
    if (deployment === null || typeof deployment !== 'object') throw new Error('bad example');
    json.deployment = {
      ...deployment,
      supervisorPrincipals: ['arn:aws:iam::123456789012:role/lsi-functionaris-gegevensbescherming'],
    };
  });
}

export interface Synthesised extends ProjectApp {
  readonly project: Project;
  readonly projectTemplate: Template;
  readonly closerTemplate: Template;
  readonly world: CfnWorld;
}

export function synth(project: Project, options: BuildProjectAppOptions = {}): Synthesised {
  const built = buildProjectApp(project, {
    bundle: false,
    ...options,
    context: { 'aws:cdk:enable-path-metadata': true, ...options.context },
  });
  const assembly = built.app.synth();
  const projectTemplate = Template.fromJSON(assembly.getStackByName(built.projectStack.stackName).template);
  const closerTemplate = Template.fromJSON(assembly.getStackByName(built.closerStack.stackName).template);
  const world = new CfnWorld(
    {
      [built.projectStack.stackName]: projectTemplate.toJSON(),
      [built.closerStack.stackName]: closerTemplate.toJSON(),
    },
    {
      account: project.deployment?.account ?? '123456789012',
      region: project.deployment?.region ?? 'eu-central-1',
    },
  );
  return { ...built, project, projectTemplate, closerTemplate, world };
}
