/**
 * The project configuration (`project.json`), CONTRACT.md §1.
 *
 * Strict: an unknown key is an error, so a typo never silently changes a project.
 * Every error names the field (`partners[1].id: ...`).
 */
import * as z from 'zod';
import { type PostcodeRange, PostcodeSet, parseAreaEntry } from './postcode.ts';

z.config(z.locales.nl());

const PROJECT_ID = /^[a-z][a-z0-9-]{2,30}$/;
const PARTNER_ID = /^[a-z][a-z0-9-]{1,30}$/;

const areaEntry = z
  .string()
  .describe('Postcodegebied: 3071, 3071AB, 3071-3089 of 3071AA-3089ZZ')
  .superRefine((value, ctx) => {
    const r = parseAreaEntry(value);
    if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: r });
  });

const isoDateTime = z.iso.datetime({
  offset: true,
  message: 'verwacht een tijdstip als 2027-02-01T17:00:00+01:00',
});

const arn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[^\s]+$/,
    'verwacht een IAM-ARN, bijv. arn:aws:iam::123456789012:role/naam',
  );

/** Settings needed only to deploy to AWS; `lsi link` ignores them. */
export const deploymentSchema = z.strictObject({
  account: z
    .string()
    .regex(/^[0-9]{12}$/, 'verwacht een AWS-accountnummer van 12 cijfers')
    .optional(),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-[0-9]$/, 'verwacht een AWS-regio, bijv. eu-central-1')
    .optional(),
  /** Principals (roles or users) that act as the project lead. */
  leadPrincipals: z.array(arn).min(1, 'minstens één principal voor de projectleiding'),
  /** Per partner id: the principals that may assume that partner's upload role. */
  partnerPrincipals: z.record(z.string(), z.array(arn).min(1)),
  /** Where the lead is notified when linkage finishes or fails. */
  notificationEmail: z.email('verwacht een e-mailadres').optional(),
  /**
   * Principals (e.g. a privacy officer) that may read the audit log of the lead's decisions.
   * Optional; without it nobody gets a read role on the audit log.
   */
  supervisorPrincipals: z.array(arn).default([]),
});

export const projectSchema = z
  .strictObject({
    $schema: z.string().optional(),
    projectId: z
      .string()
      .regex(PROJECT_ID, 'verwacht 3 tot 31 tekens: kleine letters, cijfers en -, beginnend met een letter'),
    name: z.string().trim().min(1, 'mag niet leeg zijn'),
    subject: z.string().trim().min(1, 'mag niet leeg zijn'),
    area: z.array(areaEntry).min(1, 'noem minstens één postcodegebied'),
    partners: z
      .array(
        z.strictObject({
          id: z
            .string()
            .regex(
              PARTNER_ID,
              'verwacht 2 tot 31 tekens: kleine letters, cijfers en -, beginnend met een letter',
            ),
          name: z.string().trim().min(1, 'mag niet leeg zijn'),
        }),
      )
      .min(2, 'een project heeft minstens twee ketenpartners')
      .superRefine((partners, ctx) => {
        const seen = new Set<string>();
        partners.forEach((p, i) => {
          if (seen.has(p.id)) {
            ctx.addIssue({
              code: 'custom',
              path: [i, 'id'],
              message: `ketenpartner "${p.id}" komt twee keer voor`,
            });
          }
          seen.add(p.id);
        });
      }),
    selection: z
      .strictObject({
        minPartners: z.int('verwacht een geheel getal').min(2, 'minstens 2').default(2),
      })
      .default({ minPartners: 2 }),
    schedule: z
      .strictObject({
        uploadDeadline: isoDateTime,
        closeDate: isoDateTime,
      })
      .refine((s) => Date.parse(s.uploadDeadline) < Date.parse(s.closeDate), {
        message: 'de sluitingsdatum moet na de uploaddeadline liggen',
        path: ['closeDate'],
      })
      .optional(),
    deployment: deploymentSchema.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.selection.minPartners > p.partners.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['selection', 'minPartners'],
        message: `is ${p.selection.minPartners}, maar het project heeft maar ${p.partners.length} ketenpartners`,
      });
    }
    if (p.deployment) {
      const ids = new Set(p.partners.map((x) => x.id));
      for (const id of Object.keys(p.deployment.partnerPrincipals)) {
        if (!ids.has(id)) {
          ctx.addIssue({
            code: 'custom',
            path: ['deployment', 'partnerPrincipals', id],
            message: `"${id}" is geen ketenpartner van dit project`,
          });
        }
      }
    }
  });

export type ProjectInput = z.input<typeof projectSchema>;
export type Project = z.infer<typeof projectSchema>;

/** Raised for an invalid project file; `issues` lists every problem with its field. */
export class ProjectConfigError extends Error {
  override readonly name = 'ProjectConfigError';
  constructor(
    readonly source: string,
    readonly issues: readonly string[],
  ) {
    super(`Projectbestand ${source} is ongeldig:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  }
}

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(bestand)' : out;
}

/** Validates parsed JSON as a project, or throws ProjectConfigError naming every bad field. */
export function parseProject(json: unknown, source = 'project.json'): Project {
  const r = projectSchema.safeParse(json);
  if (r.success) return r.data;
  throw new ProjectConfigError(
    source,
    r.error.issues.flatMap((i) =>
      i.code === 'unrecognized_keys'
        ? i.keys.map((k) => `${fieldPath([...i.path, k])}: onbekend veld (tikfout?)`)
        : [`${fieldPath(i.path)}: ${i.message}`],
    ),
  );
}

/** Parses project.json text (JSON syntax errors are reported too). */
export function parseProjectText(text: string, source = 'project.json'): Project {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new ProjectConfigError(source, [`geen geldige JSON: ${reason}`]);
  }
  return parseProject(json, source);
}

/** The project area as a postcode set. */
export function projectArea(project: Project): PostcodeSet {
  const ranges: PostcodeRange[] = [];
  for (const entry of project.area) {
    const r = parseAreaEntry(entry);
    if (typeof r !== 'string') ranges.push(r);
  }
  return new PostcodeSet(ranges);
}
