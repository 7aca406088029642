import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAreaEntry, parsePostcode } from '../../lambdas/core/postcode.ts';
import {
  ProjectConfigError,
  parseProject,
  parseProjectText,
  projectArea,
} from '../../lambdas/core/project.ts';
import { projectJsonSchema } from '../../lambdas/core/project-schema.ts';

const valid = {
  projectId: 'rdam-zuid-2027',
  name: 'LSI Rotterdam-Zuid 2027',
  subject: 'Onrechtmatige bewoning',
  area: ['3071AA-3089ZZ', '3100'],
  partners: [
    { id: 'gemeente', name: 'Gemeente Rotterdam' },
    { id: 'uwv', name: 'UWV' },
  ],
};

function issuesOf(json: unknown): string[] {
  try {
    parseProject(json);
  } catch (e) {
    if (e instanceof ProjectConfigError) return [...e.issues];
    throw e;
  }
  return [];
}

describe('parseProject', () => {
  it('accepts the contract example and fills in the default selection', () => {
    expect(parseProject(valid).selection).toEqual({ minPartners: 2 });
  });

  it('accepts the shipped example project', () => {
    expect(
      parseProjectText(readFileSync('examples/project.json', 'utf8')).partners.length,
    ).toBeGreaterThanOrEqual(4);
  });

  it.each([
    [{ projectId: 'X' }, 'projectId:'],
    [{ projectId: 'ab' }, 'projectId:'],
    [{ name: ' ' }, 'name: mag niet leeg zijn'],
    [{ subject: undefined }, 'subject:'],
    [{ area: [] }, 'area: noem minstens één postcodegebied'],
    [{ area: ['3071AB-3000'] }, 'area[0]:'],
    [{ area: ['3089-3071'] }, 'area[0]: "3089-3071": het begin van het bereik ligt na het eind'],
    [{ area: ['0123'] }, 'area[0]:'],
    [{ partners: [{ id: 'uwv', name: 'UWV' }] }, 'partners: een project heeft minstens twee ketenpartners'],
    [
      {
        partners: [
          { id: 'uwv', name: 'UWV' },
          { id: 'uwv', name: 'x' },
        ],
      },
      'partners[1].id: ketenpartner "uwv" komt twee keer voor',
    ],
    [
      {
        partners: [
          { id: 'U', name: 'UWV' },
          { id: 'svb', name: 'x' },
        ],
      },
      'partners[0].id:',
    ],
    [
      {
        partners: [
          { id: 'uwv', name: 'UWV', extra: 1 },
          { id: 'svb', name: 'x' },
        ],
      },
      'partners[0].extra: onbekend veld',
    ],
    [{ selection: { minPartners: 1 } }, 'selection.minPartners:'],
    [
      { selection: { minPartners: 3 } },
      'selection.minPartners: is 3, maar het project heeft maar 2 ketenpartners',
    ],
    [{ selection: { minPartners: 2.5 } }, 'selection.minPartners: verwacht een geheel getal'],
    [
      { schedule: { uploadDeadline: 'morgen', closeDate: '2027-06-30T00:00:00+02:00' } },
      'schedule.uploadDeadline:',
    ],
    [
      { schedule: { uploadDeadline: '2027-07-01T00:00:00+02:00', closeDate: '2027-06-30T00:00:00+02:00' } },
      'schedule.closeDate: de sluitingsdatum moet na de uploaddeadline liggen',
    ],
    [{ partner: [] }, 'partner: onbekend veld (tikfout?)'],
  ])('rejects %j naming the field', (change, expected) => {
    expect(issuesOf({ ...valid, ...change }).join('\n')).toContain(expected);
  });

  it('reports a JSON syntax error as such', () => {
    expect(() => parseProjectText('{ "projectId": ', 'p.json')).toThrow(
      /p\.json is ongeldig:\n {2}- geen geldige JSON/,
    );
  });
});

describe('project area', () => {
  it.each([
    ['3071AA-3089ZZ', '3071AA', true],
    ['3071AA-3089ZZ', '3089ZZ', true],
    ['3071AA-3089ZZ', '3090AA', false],
    ['3071AB-3071AC', '3071AA', false],
    ['3100', '3100ZZ', true],
    ['3100', '3101AA', false],
    ['3071 ab', '3071AB', true],
    ['3071ab', '3071AC', false],
    ['3071-3072', '3072ZZ', true],
    ['3071-3072', '3070ZZ', false],
  ])('area %s contains %s: %s', (entry, postcode, inside) => {
    const project = parseProject({ ...valid, area: [entry] });
    expect(projectArea(project).has(parsePostcode(postcode))).toBe(inside);
  });

  it('rejects mixed PC4/PC6 ranges', () => {
    expect(typeof parseAreaEntry('3071-3072AB')).toBe('string');
  });
});

describe('project JSON Schema', () => {
  it('is up to date with the zod schema (run `npm run schema` after changing it)', () => {
    expect(readFileSync('schema/project.schema.json', 'utf8')).toBe(projectJsonSchema());
  });
});
