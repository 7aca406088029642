import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutionAlreadyExists } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ExecutionRegistry,
  type LocalLambdaHandler,
  LocalStateMachine,
} from '../../lib/local/state-machine.ts';
import { LocalTemplate } from '../../lib/local/template.ts';
import { synthFixtureTemplate } from './fixture-stack.ts';

let dir: string;
let template: LocalTemplate;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lsi-local-sfn-'));
  template = LocalTemplate.from(synthFixtureTemplate(), { stackName: 'LocalFixture' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const partnerEvent = z.object({ partner: z.string() });
const linkEvent = z.object({ validated: z.array(z.object({ partner: z.string(), rows: z.number() })) });

const validate: LocalLambdaHandler = async (event) => {
  const { partner } = partnerEvent.parse(event);
  // Slow enough that a wrongly computed Task timeout would show.
  await new Promise((resolve) => setTimeout(resolve, 20));
  return { partner, rows: partner.length };
};
const link = (failures: { times: number; name: string }): LocalLambdaHandler => {
  let calls = 0;
  return async (event, context) => {
    calls++;
    expect(context.functionName).toMatch(/^LocalFixture-LinkFn/);
    if (calls <= failures.times) {
      const error = new Error(`link failed (call ${calls})`);
      error.name = failures.name;
      throw error;
    }
    const { validated } = linkEvent.parse(event);
    return { linked: validated.reduce((n, v) => n + v.rows, 0), calls };
  };
};

function machine(linkHandler: LocalLambdaHandler, registry = new ExecutionRegistry()): LocalStateMachine {
  return new LocalStateMachine({
    template,
    handlers: { ValidateFn: validate, LinkFn: linkHandler },
    registry,
  });
}

const input = { round: 'r1', partners: [{ partner: 'ggd' }, { partner: 'woco-1' }, { partner: 'po' }] };

describe('LocalStateMachine', () => {
  it('maps each Task (also inside the Map) to its function by the resolved ARN', () => {
    const sm = machine(link({ times: 0, name: 'Error' }));
    const validateFn = template.find('AWS::Lambda::Function', 'ValidateFn').logicalId;
    const linkFn = template.find('AWS::Lambda::Function', 'LinkFn').logicalId;
    expect(Object.fromEntries(sm.taskFunctions)).toEqual({ ValidatePartner: validateFn, Link: linkFn });
    expect(sm.arn).toMatch(/^arn:aws:states:eu-central-1:000000000000:stateMachine:LocalFixture-Workflow/);
  });

  it('refuses a definition whose Task states have no local handler', () => {
    expect(() => new LocalStateMachine({ template, handlers: { ValidateFn: validate } })).toThrow(
      /Task states without a local handler.*Link/,
    );
  });

  it('runs the synthesised definition through the Map and the Task', async () => {
    const sm = machine(link({ times: 0, name: 'Error' }));
    const result = await sm.run({ name: 'project-x-round-1', input });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({
      ...input,
      validated: [
        { partner: 'ggd', rows: 3 },
        { partner: 'woco-1', rows: 6 },
        { partner: 'po', rows: 2 },
      ],
      linked: { linked: 11, calls: 1 },
    });
    const types = result.events.map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(types.filter((t) => t === 'MapIterationSucceeded')).toHaveLength(3);
    expect(sm.describeExecution('project-x-round-1')).toMatchObject({
      status: 'SUCCEEDED',
      executionArn: sm.executionArn('project-x-round-1'),
    });
  });

  it('retries a Lambda.ServiceException (without waiting) and then succeeds', async () => {
    const sm = machine(link({ times: 1, name: 'Lambda.ServiceException' }));
    const started = Date.now();
    const result = await sm.run({ input });
    expect(Date.now() - started).toBeLessThan(1500); // the definition says 2 s before a retry
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ linked: { linked: 11, calls: 2 } });
    const retried = result.events.filter((e) => e.type === 'StateRetried');
    expect(retried).toHaveLength(1);
    expect(retried[0]).toMatchObject({ state: { name: 'Link' } });
  });

  it('gives up after MaxAttempts retries and takes the Catch path', async () => {
    const sm = machine(link({ times: 100, name: 'Lambda.ServiceException' }));
    const result = await sm.run({ input });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ failed: 'Lambda.ServiceException' });
    expect(result.events.filter((e) => e.type === 'StateRetried')).toHaveLength(3);
    expect(result.events.filter((e) => e.type === 'StateCaught')).toHaveLength(1);
  });

  it('a handler that always fails with a non-retried error goes straight to the Catch path', async () => {
    const sm = machine(link({ times: 100, name: 'LinkageError' }));
    const result = await sm.run({ input });
    expect(result.output).toEqual({ failed: 'LinkageError' });
    expect(result.events.filter((e) => e.type === 'StateRetried')).toHaveLength(0);
    const caught = result.events.find((e) => e.type === 'StateCaught');
    expect(caught).toMatchObject({ state: { name: 'Link' } });
  });

  it('an error nothing catches fails the execution, with the Lambda-style error and cause', async () => {
    const sm = machine(link({ times: 0, name: 'Error' }));
    const failing = new LocalStateMachine({
      template,
      handlers: {
        ValidateFn: async () => {
          throw new RangeError('too many rows');
        },
        LinkFn: link({ times: 0, name: 'Error' }),
      },
    });
    const result = await failing.run({ input });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RangeError');
    expect(JSON.parse(result.cause ?? '{}')).toEqual({
      errorType: 'RangeError',
      errorMessage: 'too many rows',
    });
    expect(sm.listExecutions()).toEqual([]);
  });

  it('rejects a duplicate execution name with ExecutionAlreadyExists, also when started at once', async () => {
    const sm = machine(link({ times: 0, name: 'Error' }));
    const first = await sm.run({ name: 'round-2', input });
    expect(first.status).toBe('SUCCEEDED');
    expect(() => sm.startExecution({ name: 'round-2', input })).toThrow(ExecutionAlreadyExists);

    // Two starts in the same tick with different input: exactly one runs.
    const a = sm.startExecution({ name: 'round-3', input });
    expect(() => sm.startExecution({ name: 'round-3', input: { ...input, round: 'other' } })).toThrow(
      ExecutionAlreadyExists,
    );
    // Same name and same input while running: the same execution (as StartExecution is idempotent then).
    const b = sm.startExecution({ name: 'round-3', input });
    expect(b.executionArn).toBe(a.executionArn);
    expect((await a.done).status).toBe('SUCCEEDED');
    expect(() => sm.startExecution({ name: 'round-3', input })).toThrow(ExecutionAlreadyExists);
  });

  it('keeps execution names taken across restarts with a persisted registry', async () => {
    const file = join(dir, 'executions.json');
    const first = new ExecutionRegistry(file);
    await machine(link({ times: 0, name: 'Error' }), first).run({ name: 'round-9', input });
    await first.flush();

    const reopened = machine(link({ times: 0, name: 'Error' }), new ExecutionRegistry(file));
    expect(reopened.describeExecution('round-9')?.status).toBe('SUCCEEDED');
    expect(() => reopened.startExecution({ name: 'round-9', input })).toThrow(ExecutionAlreadyExists);
  });

  it('applies DefinitionSubstitutions and passes the Context object ($$.Execution.Name)', async () => {
    const t = LocalTemplate.from({
      Resources: {
        Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
        Sm: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: {
            DefinitionString:
              // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation DefinitionSubstitutions key
              '{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"${fn}",' +
              '"Parameters":{"execution.$":"$$.Execution.Name"},"End":true}}}',
            DefinitionSubstitutions: { fn: { 'Fn::GetAtt': ['Fn', 'Arn'] } },
          },
        },
      },
    });
    const sm = new LocalStateMachine({ template: t, handlers: { Fn: async (event) => event } });
    expect((await sm.run({ name: 'named-run', input: {} })).output).toEqual({ execution: 'named-run' });
  });

  it('invokes handlers through the optimised lambda:invoke integration, wrapping output in Payload', async () => {
    const fnArn = template.find('AWS::Lambda::Function', 'LinkFn').arn;
    const t = LocalTemplate.from({
      Resources: {
        Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
        Sm: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: {
            DefinitionString: {
              'Fn::Join': [
                '',
                [
                  '{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",',
                  '"Parameters":{"FunctionName":"',
                  { 'Fn::GetAtt': ['Fn', 'Arn'] },
                  '","Payload.$":"$"},"ResultSelector":{"out.$":"$.Payload"},"End":true}}}',
                ],
              ],
            },
          },
        },
      },
    });
    const sm = new LocalStateMachine({ template: t, handlers: { Fn: async (event) => ({ echoed: event }) } });
    const result = await sm.run({ input: { a: 1 } });
    expect(result.output).toEqual({ out: { echoed: { a: 1 } } });
    expect(fnArn).not.toBe(t.get('Fn').arn);
  });
});
