/**
 * The CDK app: one project stack plus its closer per project config, built in-process or by the CDK
 * CLI entry (`bin/app.ts`, what `npx cdk synth -c project=…` runs), with real esbuild bundling.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProjectApp, DeploymentConfigError, requireDeployment } from '../../lib/app.ts';
import { closerStackName, projectStackName } from '../../lib/names.ts';
import { EXAMPLE_PATH, exampleProject, synth } from './support/synth.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('buildProjectApp', () => {
  it('names the stacks after the project and deploys the closer first', () => {
    const { projectStack, closerStack } = buildProjectApp(exampleProject(), { bundle: false });
    expect(projectStack.stackName).toBe(projectStackName('rdam-zuid-2027'));
    expect(projectStack.stackName).toBe('Lsi-rdam-zuid-2027');
    expect(closerStack.stackName).toBe(closerStackName('rdam-zuid-2027'));
    expect(projectStack.dependencies).toContain(closerStack);
    expect(closerStack.dependencies).toEqual([]);
    expect(projectStack.account).toBe('123456789012');
    expect(projectStack.region).toBe('eu-central-1');
  });

  it('keeps the closer free of references to the project stack, so it survives its deletion', () => {
    const s = synth(exampleProject());
    const closer = JSON.stringify(s.closerTemplate.toJSON());
    expect(closer).not.toContain('Fn::ImportValue');
    expect(closer).not.toContain('Fn::GetStackOutput');
  });

  it('builds two projects side by side with distinct stacks', () => {
    const other = exampleProject((json) => {
      json.projectId = 'rdam-noord-2027';
    });
    const a = buildProjectApp(exampleProject(), { bundle: false });
    const b = buildProjectApp(other, { bundle: false });
    expect(a.projectStack.stackName).not.toBe(b.projectStack.stackName);
    expect(a.closerStack.stackName).not.toBe(b.closerStack.stackName);
  });

  it('has no schedules when the project has none', () => {
    const s = synth(
      exampleProject((json) => {
        delete json.schedule;
      }),
    );
    expect(s.closerTemplate.findResources('AWS::Scheduler::Schedule')).toEqual({});
    expect(s.projectTemplate.findResources('AWS::Scheduler::Schedule')).toEqual({});
  });

  it('refuses a project without deployment settings, naming the field', () => {
    const project = exampleProject((json) => {
      delete json.deployment;
    });
    expect(() => requireDeployment(project)).toThrow(DeploymentConfigError);
    expect(() => buildProjectApp(project)).toThrow(/deployment: ontbreekt/);
  });

  it('refuses a partner without principals, naming the partner', () => {
    const project = exampleProject((json) => {
      const d = json.deployment;
      if (d === null || typeof d !== 'object' || !('partnerPrincipals' in d)) throw new Error('bad example');
      const principals = d.partnerPrincipals;
      if (principals === null || typeof principals !== 'object') throw new Error('bad example');
      json.deployment = {
        ...d,
        partnerPrincipals: Object.fromEntries(Object.entries(principals).filter(([id]) => id !== 'svb')),
      };
    });
    expect(() => buildProjectApp(project)).toThrow(/deployment\.partnerPrincipals\.svb/);
  });
});

describe('bin/app.ts (the CDK CLI entry)', () => {
  const out = mkdtempSync(join(tmpdir(), 'lsi-cdk-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');

  it('is what cdk.json runs', () => {
    const cdkJson: unknown = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8'));
    expect(cdkJson).toMatchObject({ app: 'npx tsx bin/app.ts' });
  });

  it('synthesises the example with real esbuild bundling (ESM, source maps) and cdk-nag on', async () => {
    await run(tsx, ['bin/app.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        CDK_OUTDIR: out,
        CDK_CONTEXT_JSON: JSON.stringify({ project: EXAMPLE_PATH }),
      },
    });
    const files = readdirSync(out);
    expect(files).toEqual(
      expect.arrayContaining(['Lsi-rdam-zuid-2027.template.json', 'Lsi-rdam-zuid-2027-Closer.template.json']),
    );
    const assets = files.filter((f) => f.startsWith('asset.'));
    expect(assets).toHaveLength(9);
    for (const a of assets) {
      expect(readdirSync(join(out, a)).sort()).toEqual(['index.mjs', 'index.mjs.map']);
      const code = readFileSync(join(out, a, 'index.mjs'), 'utf8');
      expect(code).toMatch(/export\s*\{/);
    }
  }, 120_000);

  it('fails with the field name on an invalid project file', async () => {
    const bad = join(out, 'bad-project.json');
    const project: unknown = JSON.parse(readFileSync(EXAMPLE_PATH, 'utf8'));
    if (project === null || typeof project !== 'object') throw new Error('bad example');
    writeFileSync(bad, JSON.stringify({ ...project, projectId: 'Niet Geldig' }));
    const result = run(tsx, ['bin/app.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        CDK_OUTDIR: join(out, 'bad'),
        CDK_CONTEXT_JSON: JSON.stringify({ project: bad }),
      },
    });
    await expect(result).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/projectId/) });
  }, 60_000);
});
