/**
 * cdk-nag v3 (AwsSolutions pack): zero unacknowledged findings, and every acknowledgement sits on a
 * single resource's construct (never a stack or the app) with a real reason.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import type { Project } from '../../lambdas/core/project.ts';
import { buildProjectApp } from '../../lib/app.ts';
import { exampleProject, exampleWithSupervisor } from './support/synth.ts';

interface Finding {
  readonly rule: string;
  readonly path: string;
  readonly severity: string | undefined;
}

function nagFindings(scope: IConstruct): Finding[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => ({
      rule: v.ruleName,
      path: r.constructPath ?? '?',
      severity: v.severity,
    })),
  );
}

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
  readonly onStackOrApp: boolean;
}

function acknowledgements(scope: IConstruct): Acknowledgement[] {
  const out: Acknowledgement[] = [];
  for (const c of scope.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      const data: unknown = entry.data;
      if (data === null || typeof data !== 'object') continue;
      for (const [id, reason] of Object.entries(data)) {
        out.push({
          path: c.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason: String(reason),
          onStackOrApp: Stack.isStack(c) || c.node.scope === undefined,
        });
      }
    }
  }
  return out;
}

function checkProject(project: Project) {
  const { app } = buildProjectApp(project, { bundle: false });
  app.synth();
  return { app, findings: nagFindings(app), acks: acknowledgements(app) };
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the shipped example project', () => {
    const { findings, acks } = checkProject(exampleProject());
    console.log(
      `cdk-nag acknowledgements (${acks.length}):\n${acks.map((a) => `  ${a.path}\n    ${a.id}\n    → ${a.reason}`).join('\n')}`,
    );
    expect(findings).toEqual([]);
  });

  it('finds nothing unacknowledged with a supervisor, or without a schedule', () => {
    const noSchedule = exampleProject((json) => {
      delete json.schedule;
    });
    for (const project of [exampleWithSupervisor(), noSchedule]) {
      expect(checkProject(project).findings).toEqual([]);
    }
  });

  it('acknowledges only on resource constructs, each with a reason worth reading', () => {
    const { acks } = checkProject(exampleProject());
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      expect(a.onStackOrApp, `${a.path} ${a.id}`).toBe(false);
      expect(a.reason.length, `${a.path} ${a.id}`).toBeGreaterThanOrEqual(40);
      // One finding per acknowledgement: never a bare rule id for IAM5 (which would cover any wildcard).
      expect(a.id, a.path).not.toBe('AwsSolutions-IAM5');
    }
    const rules = new Set(acks.map((a) => a.id.replace(/\[.*$/, '')));
    expect([...rules].sort()).toEqual(['AwsSolutions-IAM5', 'AwsSolutions-L1', 'AwsSolutions-S1']);
  });

  it('fails synthesis when a finding is left unacknowledged', () => {
    const { app, projectStack } = buildProjectApp(exampleProject(), { bundle: false, nag: true });
    new Bucket(projectStack, 'Careless');
    expect(nagFindings(app).map((f) => f.rule)).toEqual(
      expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']),
    );
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });

  it('passes synthesis with the nag plugin registered (as bin/app.ts runs it)', () => {
    const { app } = buildProjectApp(exampleProject(), { bundle: false, nag: true });
    expect(() => app.synth()).not.toThrow();
  });
});
