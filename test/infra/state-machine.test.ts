/**
 * The linkage workflow as synthesised: every Task state retries with backoff and catches into the
 * failure path; the shape is Map(validate) → Link → Publish → Notify; Task resources are function
 * ARNs (payloadResponseOnly), which the local runner relies on.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TASK_STATES } from '../../lib/names.ts';
import { isObject, type Json, type JsonObject } from './support/cfn-world.ts';
import { exampleProject, type Synthesised, synth } from './support/synth.ts';

let s: Synthesised;
let definition: JsonObject;

/** Every state of a definition, including those inside Map and Parallel states. */
function allStates(def: JsonObject): [string, JsonObject][] {
  const out: [string, JsonObject][] = [];
  const states = def.States;
  if (!isObject(states)) return out;
  for (const [name, state] of Object.entries(states)) {
    if (!isObject(state)) continue;
    out.push([name, state]);
    for (const inner of [state.ItemProcessor, state.Iterator])
      if (isObject(inner)) out.push(...allStates(inner));
    if (Array.isArray(state.Branches)) {
      for (const b of state.Branches) if (isObject(b)) out.push(...allStates(b));
    }
  }
  return out;
}

function stateNamed(name: string): JsonObject {
  const found = allStates(definition).find(([n]) => n === name);
  if (found === undefined) throw new Error(`no state ${name}`);
  return found[1];
}

function functionArn(constructId: string): string {
  const f = s.world.byPath(s.projectStack.stackName, 'AWS::Lambda::Function', `/${constructId}/Resource`);
  return s.world.getAtt(s.projectStack.stackName, f.logicalId, 'Arn');
}

const asList = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);

beforeAll(() => {
  s = synth(exampleProject());
  const sm = s.world.byPath(
    s.projectStack.stackName,
    'AWS::StepFunctions::StateMachine',
    '/StateMachine/Resource',
  );
  const text = s.world.resolveString(s.projectStack.stackName, sm.properties.DefinitionString ?? null);
  const parsed: unknown = JSON.parse(text);
  if (!isObject(parsed)) throw new Error('definition is not an object');
  definition = parsed;
});

describe('linkage state machine definition', () => {
  it('has Task states, and every one of them has Retry with backoff and a Catch-all', () => {
    const tasks = allStates(definition).filter(([, st]) => st.Type === 'Task');
    expect(tasks.map(([n]) => n).sort()).toEqual(Object.keys(TASK_STATES).sort());
    for (const [name, st] of tasks) {
      const retry = asList(st.Retry);
      expect(retry.length, `${name} Retry`).toBeGreaterThan(0);
      expect(retry, `${name} Retry`).toContainEqual(
        expect.objectContaining({
          ErrorEquals: expect.arrayContaining(['Lambda.ServiceException', 'Lambda.TooManyRequestsException']),
          JitterStrategy: 'FULL',
        }),
      );
      expect(retry, `${name} Retry`).toContainEqual(
        expect.objectContaining({ ErrorEquals: ['States.Timeout'] }),
      );
      for (const r of retry) {
        expect(r, `${name} Retry`).toMatchObject({
          IntervalSeconds: expect.any(Number),
          MaxAttempts: expect.any(Number),
        });
        if (!isObject(r)) throw new Error('bad retrier');
        expect(Number(r.BackoffRate), `${name} BackoffRate`).toBeGreaterThan(1);
      }
      const catchers = asList(st.Catch);
      expect(catchers.length, `${name} Catch`).toBeGreaterThan(0);
      expect(catchers.some((c) => isObject(c) && asList(c.ErrorEquals).includes('States.ALL'))).toBe(true);
    }
  });

  it('catches every Task into record-failure, then a Fail state', () => {
    const recordFailure = functionArn('RecordFailure');
    for (const [name, st] of allStates(definition).filter(([, x]) => x.Type === 'Task')) {
      for (const c of asList(st.Catch)) {
        if (!isObject(c) || typeof c.Next !== 'string') throw new Error(`${name}: bad Catch`);
        const next = stateNamed(c.Next);
        if (next.Type === 'Fail') {
          // Only the record-failure tasks themselves may fail straight away.
          expect(st.Resource, `${name} catches straight into Fail`).toBe(recordFailure);
          continue;
        }
        expect(next.Type, `${name} → ${c.Next}`).toBe('Task');
        expect(next.Resource, `${name} → ${c.Next}`).toBe(recordFailure);
        expect(typeof next.Next === 'string' && stateNamed(next.Next).Type, `${c.Next} → Fail`).toBe('Fail');
      }
    }
    // The Map state fails when a partner fails; it too ends in the failure path.
    const map = stateNamed('ValidatePartners');
    expect(asList(map.Catch)).toContainEqual(
      expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'RecordFailure' }),
    );
  });

  it('validates each partner in a Map over $.partners, then links, publishes and notifies', () => {
    expect(definition.StartAt).toBe('ValidatePartners');
    const map = stateNamed('ValidatePartners');
    expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.partners', Next: 'Link' });
    expect(map.ItemSelector).toEqual({
      'projectId.$': '$.projectId',
      'round.$': '$.round',
      'partnerId.$': '$$.Map.Item.Value',
    });
    expect(stateNamed('Link').Next).toBe('Publish');
    expect(stateNamed('Publish').Next).toBe('Notify');
    expect(stateNamed('Notify').End).toBe(true);
  });

  it('invokes the functions directly (payloadResponseOnly): each Task resource is a function ARN', () => {
    const construct: Record<string, string> = {
      'validate-partner': 'ValidatePartner',
      'record-failure': 'RecordFailure',
      link: 'Link',
      publish: 'Publish',
      notify: 'Notify',
    };
    for (const [state, handler] of Object.entries(TASK_STATES)) {
      const id = construct[handler];
      if (id === undefined) throw new Error(`no function for ${handler}`);
      expect(stateNamed(state).Resource, state).toBe(functionArn(id));
      expect(stateNamed(state).Parameters, state).toBeUndefined();
    }
  });
});
