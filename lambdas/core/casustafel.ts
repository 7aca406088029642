/**
 * The case table (casustafel): the lead's records about a selected address, and their rules. Pure:
 * no AWS, no clock, no randomness (callers pass who and when).
 *
 * Steps of the werkwijze that live here:
 * - step 1 (together): multiple interest selects an address; the lead may add a single-signal address
 *   by professional judgement, with a reason, and withdraw it again, also with a reason;
 * - step 2: per selected address, actualisatie per supplying partner, other partners with an
 *   interest, the partners with the largest interest (they take it up together), police assistance
 *   and the intervention, weighed on proportionality and subsidiarity;
 * - step 3: when none or only one partner keeps a current interest, the address is not handled
 *   jointly; that partner may act on its own, outside the project;
 * - after the intervention: each partner's outcome per address.
 * Every record is versioned: a correction adds a version with a reason, nothing is overwritten.
 *
 * Items in the results table (the lead role may write only items whose pk begins with `DECISION#`,
 * an IAM `dynamodb:LeadingKeys` condition, so the lead's records have their own partition beside
 * the linkage's `ADDR#<key>`):
 *
 * | item                                 | pk               | sk                                  | gsi1pk / gsi1sk     | gsi2pk / gsi2sk                           |
 * | ------------------------------------ | ---------------- | ----------------------------------- | ------------------- | ----------------------------------------- |
 * | case number of an address            | DECISION#<key>   | CASUS                               | –                   | LEAD#CASUS / <key>                        |
 * | judgement addition or withdrawal     | DECISION#<key>   | SELECTIE#<nnnn>#V<vvvv>             | –                   | LEAD#<nnnn> / <key>#SELECTIE#V<vvvv>      |
 * | the added address in the list (view) | DECISION#<key>   | SELECTIE#<nnnn>                     | SEL#<nnnn> / <key>  | –                                         |
 * | case-table decision                  | DECISION#<key>   | BESLUIT#<nnnn>#V<vvvv>              | –                   | LEAD#<nnnn> / <key>#BESLUIT#V<vvvv>       |
 * | a partner's outcome                  | DECISION#<key>   | UITKOMST#<nnnn>#<partner>#V<vvvv>   | –                   | LEAD#<nnnn> / <key>#UITKOMST#<p>#V<vvvv>  |
 * | closing of a round's selection       | DECISION#RONDE   | SLUITING#<nnnn>                     | –                   | LEAD#<nnnn> / ~SLUITING                   |
 *
 * Access patterns: everything the lead recorded in a round is one Query of gsi2 on LEAD#<nnnn>; an
 * address's records over all rounds are one Query on pk = DECISION#<key>; the view item puts a
 * judgement addition into the round's case-table list (gsi1 SEL#<nnnn>), and is replaced by an empty
 * item when the addition is withdrawn. Version items are written with attribute_not_exists(pk): a
 * version is never overwritten.
 */
import * as z from 'zod';
import { pad } from './delivery.ts';
import { selectedSignalSchema } from './results.ts';

/** A mistake in what the lead asked, in Dutch, saying what to fix. Never carries signal contents. */
export class CasustafelError extends Error {
  override readonly name = 'CasustafelError';
}

// ---- fixed lists -------------------------------------------------------------------------------

/** Interventions (handhavingsacties), with stable codes. */
export const INTERVENTIONS = [
  { code: 'administratieve-controle', label: 'Administratieve controle' },
  { code: 'telefonisch-horen', label: 'Telefonisch horen' },
  { code: 'uitnodiging', label: 'Uitnodiging voor een gesprek' },
  { code: 'observatie', label: 'Observatie' },
  { code: 'huisbezoek', label: 'Huisbezoek' },
  { code: 'bedrijfscontrole', label: 'Bedrijfscontrole' },
  { code: 'gezamenlijke-actiedag', label: 'Gezamenlijke actiedag' },
  { code: 'waarschuwing', label: 'Waarschuwing' },
  { code: 'bestuurlijke-boete', label: 'Bestuurlijke boete' },
  { code: 'strafrechtelijke-aangifte', label: 'Strafrechtelijke aangifte' },
  { code: 'doorverwijzing-zorg', label: 'Doorverwijzing naar zorg' },
] as const;
export type InterventionCode = (typeof INTERVENTIONS)[number]['code'];
const interventionCodes = INTERVENTIONS.map((i) => i.code);

/** Outcomes a partner records after the intervention, with stable codes. */
export const OUTCOMES = [
  { code: 'geen-bevinding', label: 'Geen bevinding' },
  { code: 'overtreding', label: 'Overtreding vastgesteld' },
  { code: 'correctie-registratie', label: 'Correctie registratie (BRP e.d.)' },
  { code: 'terugvordering', label: 'Terugvordering' },
  { code: 'boete', label: 'Boete' },
  { code: 'proces-verbaal', label: 'Proces-verbaal / aangifte' },
  { code: 'zorgsignaal', label: 'Zorgsignaal' },
] as const;
export type OutcomeCode = (typeof OUTCOMES)[number]['code'];
const outcomeCodes = OUTCOMES.map((o) => o.code);

export function interventionLabel(code: string): string {
  return INTERVENTIONS.find((i) => i.code === code)?.label ?? code;
}
export function outcomeLabel(code: string): string {
  return OUTCOMES.find((o) => o.code === code)?.label ?? code;
}

/** Status of an address in a round's case-table list. */
export const STATUSES = [
  { code: 'te-bespreken', label: 'te bespreken' },
  { code: 'gezamenlijk', label: 'gezamenlijk opgepakt' },
  { code: 'individueel', label: 'niet gezamenlijk: één partner, buiten het project' },
  { code: 'geen-actueel-belang', label: 'niet gezamenlijk: geen actueel belang' },
  { code: 'afgerond', label: 'afgerond: uitkomsten geregistreerd' },
  { code: 'ingetrokken', label: 'ingetrokken' },
] as const;
export type StatusCode = (typeof STATUSES)[number]['code'];
export const statusCodes = STATUSES.map((s) => s.code);

export function statusLabel(code: StatusCode): string {
  return STATUSES.find((s) => s.code === code)?.label ?? code;
}

// ---- schemas ----------------------------------------------------------------------------------

const partnerId = z.string().regex(/^[a-z][a-z0-9-]{1,30}$/, { error: 'is geen ketenpartner-id' });
const MIN_REASON = 10;
const reasoning = (what: string) =>
  z
    .string({ error: `${what} ontbreekt` })
    .trim()
    .min(MIN_REASON, { error: `${what} ontbreekt of is te kort (minstens ${MIN_REASON} tekens)` })
    .max(2000, { error: `${what} is te lang (hoogstens 2000 tekens)` });

/** What the lead records for one address at the case table (flags or `--file decision.json`). */
export const decisionInputSchema = z.strictObject({
  /** Per supplying partner: is the risk still current? */
  actualisatie: z.record(partnerId, z.boolean({ error: 'moet ja (true) of nee (false) zijn' })),
  /** Other (not supplying) partners with an interest. */
  belanghebbenden: z.array(partnerId).default([]),
  /** The partners with the largest interest: they take the address up together. */
  grootsteBelang: z.array(partnerId).default([]),
  politie: z
    .strictObject({
      nodig: z.boolean({ error: 'politiebijstand: zeg ja of nee' }),
      waarom: reasoning('De reden voor (geen) politiebijstand'),
    })
    .optional(),
  interventie: z
    .enum(interventionCodes, {
      error: `kies een interventie uit de lijst: ${interventionCodes.join(', ')}`,
    })
    .optional(),
  proportionaliteit: reasoning('De afweging van proportionaliteit').optional(),
  subsidiariteit: reasoning('De afweging van subsidiariteit').optional(),
  lichtereMiddelen: reasoning('Welke lichtere middelen zijn overwogen').optional(),
  toelichting: z.string().max(2000).optional(),
});
export type DecisionInput = z.input<typeof decisionInputSchema>;

export const decisionStatusSchema = z.enum(['gezamenlijk', 'individueel', 'geen-actueel-belang']);
export type DecisionStatus = z.infer<typeof decisionStatusSchema>;

export const decisionRecordSchema = z.object({
  type: z.literal('besluit'),
  key: z.string(),
  round: z.number(),
  version: z.number(),
  status: decisionStatusSchema,
  /** Partners with a current interest after discussion (supplying partners still current + others). */
  actueel: z.array(z.string()),
  /** Step 3: the one partner that may act on its own, outside the project. */
  zelfstandig: z.string().optional(),
  actualisatie: z.record(z.string(), z.boolean()),
  belanghebbenden: z.array(z.string()),
  grootsteBelang: z.array(z.string()),
  politie: z.object({ nodig: z.boolean(), waarom: z.string() }).optional(),
  interventie: z.enum(interventionCodes).optional(),
  proportionaliteit: z.string().optional(),
  subsidiariteit: z.string().optional(),
  lichtereMiddelen: z.string().optional(),
  toelichting: z.string().optional(),
  correctieReden: z.string().optional(),
  door: z.string(),
  op: z.string(),
});
export type DecisionRecord = z.infer<typeof decisionRecordSchema>;

export const selectionEventSchema = z.object({
  type: z.literal('selectie'),
  key: z.string(),
  round: z.number(),
  version: z.number(),
  actie: z.enum(['toevoegen', 'intrekken']),
  reden: z.string(),
  partners: z.array(z.string()),
  door: z.string(),
  op: z.string(),
});
export type SelectionEvent = z.infer<typeof selectionEventSchema>;

export const outcomeRecordSchema = z.object({
  type: z.literal('uitkomst'),
  key: z.string(),
  round: z.number(),
  partner: z.string(),
  version: z.number(),
  resultaten: z.array(z.enum(outcomeCodes)).min(1),
  toelichting: z.string().optional(),
  correctieReden: z.string().optional(),
  door: z.string(),
  op: z.string(),
});
export type OutcomeRecord = z.infer<typeof outcomeRecordSchema>;

/** Counts that stay when a round's selection closes (no keys, no signal contents). */
export const roundCountsSchema = z.object({
  partners: z.array(z.string()),
  /** Distinct addresses per partner. */
  addressesPerPartner: z.record(z.string(), z.number()),
  /** overlap[i][j]: addresses signalled by both partners[i] and partners[j] (diagonal: by i). */
  overlap: z.array(z.array(z.number())),
  /** Addresses by number of distinct partners: { "1": n, "2": n, ... }. */
  byPartnerCount: z.record(z.string(), z.number()),
});
export type RoundCounts = z.infer<typeof roundCountsSchema>;

export const closeRecordSchema = z.object({
  type: z.literal('sluiting'),
  round: z.number(),
  door: z.string(),
  op: z.string(),
  kept: z.number(),
  purged: z.number(),
  workFilesDeleted: z.number(),
  counts: roundCountsSchema,
});
export type CloseRecord = z.infer<typeof closeRecordSchema>;

// ---- input checks ------------------------------------------------------------------------------

/** Dutch message for a zod error, naming the field; never echoes the input value. */
export function explainZod(e: z.ZodError, what = 'invoer'): string {
  const lines = e.issues.map((i) => {
    const path = i.path.map(String).join('.');
    return path ? `${path}: ${i.message}` : i.message;
  });
  return `Ongeldige ${what}:\n  ${lines.join('\n  ')}`;
}

/** A reason for a judgement addition, withdrawal or correction: required, at least 10 characters. */
export function checkReason(reason: string | undefined, what: string): string {
  const r = reason?.trim() ?? '';
  if (r.length < MIN_REASON)
    throw new CasustafelError(
      `${what}: een reden is verplicht (minstens ${MIN_REASON} tekens). Geef die op met --reason "...".`,
    );
  if (r.length > 2000) throw new CasustafelError(`${what}: de reden is te lang (hoogstens 2000 tekens).`);
  return r;
}

export interface Recorded {
  readonly door: string;
  readonly op: string;
}

/**
 * Checks a decision against the address and applies the step-3 rule. `supplying` are the partners
 * that signalled the address; `projectPartners` all partners of the project.
 */
export function decide(
  raw: unknown,
  address: { key: string; round: number; supplying: readonly string[] },
  projectPartners: readonly string[],
  version: number,
  recorded: Recorded & { correctieReden?: string },
): DecisionRecord {
  const parsed = decisionInputSchema.safeParse(raw);
  if (!parsed.success) throw new CasustafelError(explainZod(parsed.error, 'beslissing'));
  const d = parsed.data;
  const problems: string[] = [];
  const known = new Set(projectPartners);
  const supplying = new Set(address.supplying);
  for (const p of [...Object.keys(d.actualisatie), ...d.belanghebbenden, ...d.grootsteBelang])
    if (!known.has(p)) problems.push(`"${p}" is geen ketenpartner van dit project.`);
  for (const p of address.supplying)
    if (d.actualisatie[p] === undefined)
      problems.push(
        `actualisatie ontbreekt voor ${p}: is het risico nog actueel? (--actueel ${p}=ja of nee)`,
      );
  for (const p of Object.keys(d.actualisatie))
    if (!supplying.has(p) && known.has(p))
      problems.push(
        `actualisatie geldt alleen voor partners die het adres aanleverden; ${p} leverde niet aan (gebruik --belang ${p}).`,
      );
  for (const p of d.belanghebbenden)
    if (supplying.has(p))
      problems.push(
        `${p} leverde het adres zelf aan; zijn belang staat in de actualisatie, niet bij --belang.`,
      );
  if (problems.length > 0) throw new CasustafelError(`De beslissing klopt niet:\n  ${problems.join('\n  ')}`);

  const actueel = [
    ...new Set([
      ...address.supplying.filter((p) => d.actualisatie[p] === true),
      ...d.belanghebbenden.filter((p) => known.has(p)),
    ]),
  ].sort();
  const base = {
    type: 'besluit' as const,
    key: address.key,
    round: address.round,
    version,
    actueel,
    actualisatie: d.actualisatie,
    belanghebbenden: [...new Set(d.belanghebbenden)].sort(),
    ...(d.toelichting ? { toelichting: d.toelichting } : {}),
    ...(recorded.correctieReden ? { correctieReden: recorded.correctieReden } : {}),
    door: recorded.door,
    op: recorded.op,
  };

  if (actueel.length <= 1) {
    // Step 3: not handled jointly. The project decides no intervention for it.
    const joint = [
      d.grootsteBelang.length > 0 ? '--grootste' : '',
      d.interventie ? '--interventie' : '',
      d.politie ? '--politie' : '',
    ].filter((x) => x !== '');
    if (joint.length > 0)
      throw new CasustafelError(
        `Na bespreking heeft ${actueel.length === 0 ? 'geen enkele partner' : `alleen ${actueel[0]}`} een actueel belang: ` +
          `het adres wordt niet gezamenlijk opgepakt (stap 3). Laat ${joint.join(', ')} weg; ` +
          (actueel.length === 1
            ? `${actueel[0]} kan zelf, buiten het project, verder.`
            : 'er volgt geen actie.'),
      );
    const zelfstandig = actueel[0];
    return decisionRecordSchema.parse({
      ...base,
      status: zelfstandig === undefined ? 'geen-actueel-belang' : 'individueel',
      grootsteBelang: [],
      ...(zelfstandig === undefined ? {} : { zelfstandig }),
    });
  }

  const missing: string[] = [];
  const grootste = [...new Set(d.grootsteBelang)].sort();
  if (grootste.length < 2)
    missing.push(
      'grootste belang: noem minstens twee partners met een actueel belang die het adres samen oppakken (--grootste <id>, herhaalbaar)',
    );
  for (const p of grootste)
    if (!actueel.includes(p)) missing.push(`grootste belang: ${p} heeft geen actueel belang bij dit adres`);
  if (!d.politie)
    missing.push(
      'politiebijstand: is die nodig ter beveiliging van het interventieteam, en waarom? (--politie ja|nee --politie-waarom "...")',
    );
  if (!d.interventie)
    missing.push(`interventie: kies er een uit de lijst (--interventie ${interventionCodes.join('|')})`);
  if (!d.proportionaliteit)
    missing.push(
      'proportionaliteit: waarom staat de interventie in verhouding tot het risico? (--proportionaliteit "...")',
    );
  if (!d.subsidiariteit)
    missing.push(
      'subsidiariteit: waarom kan het doel niet met een minder ingrijpend middel? (--subsidiariteit "...")',
    );
  if (!d.lichtereMiddelen)
    missing.push(
      'lichtere middelen: welke minder ingrijpende middelen zijn overwogen? (--lichtere-middelen "...")',
    );
  if (missing.length > 0)
    throw new CasustafelError(
      `Het adres wordt gezamenlijk opgepakt (${actueel.join(', ')} hebben een actueel belang); dan is verplicht:\n  ${missing.join('\n  ')}`,
    );
  return decisionRecordSchema.parse({
    ...base,
    status: 'gezamenlijk',
    grootsteBelang: grootste,
    politie: d.politie,
    interventie: d.interventie,
    proportionaliteit: d.proportionaliteit,
    subsidiariteit: d.subsidiariteit,
    lichtereMiddelen: d.lichtereMiddelen,
  });
}

/** Checks a partner's outcome against the latest decision of the address in that round. */
export function recordOutcome(
  decision: DecisionRecord | undefined,
  partner: string,
  results: readonly string[],
  version: number,
  recorded: Recorded & { toelichting?: string; correctieReden?: string },
): OutcomeRecord {
  if (!decision)
    throw new CasustafelError(
      'Er is voor dit adres in deze ronde nog geen beslissing van de casustafel. Leg die eerst vast met lsi decide.',
    );
  if (decision.status !== 'gezamenlijk')
    throw new CasustafelError(
      'Dit adres wordt niet gezamenlijk opgepakt (stap 3); een uitkomst wordt buiten het project vastgelegd.',
    );
  const involved = new Set([...decision.grootsteBelang, ...decision.actueel]);
  if (!involved.has(partner))
    throw new CasustafelError(
      `${partner} pakt dit adres niet op; een uitkomst kan worden vastgelegd voor: ${[...involved].sort().join(', ')}.`,
    );
  if (results.length === 0)
    throw new CasustafelError(`Geef de uitkomst op met --result <code> (${outcomeCodes.join(', ')}).`);
  const unknown = results.filter((r) => !outcomeCodes.some((c) => c === r));
  if (unknown.length > 0)
    throw new CasustafelError(
      `Onbekende uitkomst ${unknown.map((u) => `"${u.slice(0, 40)}"`).join(', ')}; kies uit: ${outcomeCodes.join(', ')}.`,
    );
  return outcomeRecordSchema.parse({
    type: 'uitkomst',
    key: decision.key,
    round: decision.round,
    partner,
    version,
    resultaten: [...new Set(results)],
    ...(recorded.toelichting ? { toelichting: recorded.toelichting } : {}),
    ...(recorded.correctieReden ? { correctieReden: recorded.correctieReden } : {}),
    door: recorded.door,
    op: recorded.op,
  });
}

// ---- state of an address from its records -------------------------------------------------------

/** The latest of each version series. */
export function latest<T extends { version: number }>(records: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const r of records) if (!best || r.version > best.version) best = r;
  return best;
}

export interface AddressRecords {
  readonly selections: readonly SelectionEvent[];
  readonly decisions: readonly DecisionRecord[];
  readonly outcomes: readonly OutcomeRecord[];
}

/** Whether a judgement addition is in force for the round (the latest event is an addition). */
export function addedByJudgement(records: AddressRecords, round: number): boolean {
  return latest(records.selections.filter((s) => s.round === round))?.actie === 'toevoegen';
}

/** The latest outcome per partner for a round. */
export function latestOutcomes(records: AddressRecords, round: number): Map<string, OutcomeRecord> {
  const m = new Map<string, OutcomeRecord>();
  for (const o of records.outcomes) {
    if (o.round !== round) continue;
    const cur = m.get(o.partner);
    if (!cur || o.version > cur.version) m.set(o.partner, o);
  }
  return m;
}

/** Status of an address in a round. */
export function statusOf(records: AddressRecords, round: number, multiInterest: boolean): StatusCode {
  if (!multiInterest && !addedByJudgement(records, round)) return 'ingetrokken';
  const d = latest(records.decisions.filter((x) => x.round === round));
  if (!d) return 'te-bespreken';
  if (d.status !== 'gezamenlijk') return d.status;
  const outcomes = latestOutcomes(records, round);
  return d.grootsteBelang.every((p) => outcomes.has(p)) ? 'afgerond' : 'gezamenlijk';
}

/** Rounds before `round` in which the address was discussed (a decision recorded), ascending. */
export function discussedBefore(
  records: AddressRecords,
  round: number,
): { round: number; status: DecisionStatus }[] {
  const rounds = [...new Set(records.decisions.filter((d) => d.round < round).map((d) => d.round))].sort(
    (a, b) => a - b,
  );
  return rounds.flatMap((r) => {
    const d = latest(records.decisions.filter((x) => x.round === r));
    return d ? [{ round: r, status: d.status }] : [];
  });
}

// ---- item layout --------------------------------------------------------------------------------

export const LEAD_PK = 'DECISION#';
export const ROUND_PK = `${LEAD_PK}RONDE`;

export function leadPk(key: string): string {
  return `${LEAD_PK}${key}`;
}
function v(n: number): string {
  return `V${String(n).padStart(4, '0')}`;
}

export function caseItem(key: string, casus: string): Record<string, unknown> {
  return { pk: leadPk(key), sk: 'CASUS', gsi2pk: 'LEAD#CASUS', gsi2sk: key, type: 'casus', key, casus };
}

export function selectionItem(e: SelectionEvent): Record<string, unknown> {
  const sk = `SELECTIE#${pad(e.round)}#${v(e.version)}`;
  return { pk: leadPk(e.key), sk, gsi2pk: `LEAD#${pad(e.round)}`, gsi2sk: `${e.key}#${sk}`, ...e };
}

export function decisionItem(d: DecisionRecord): Record<string, unknown> {
  const sk = `BESLUIT#${pad(d.round)}#${v(d.version)}`;
  return { pk: leadPk(d.key), sk, gsi2pk: `LEAD#${pad(d.round)}`, gsi2sk: `${d.key}#${sk}`, ...d };
}

export function outcomeItem(o: OutcomeRecord): Record<string, unknown> {
  const sk = `UITKOMST#${pad(o.round)}#${o.partner}#${v(o.version)}`;
  return { pk: leadPk(o.key), sk, gsi2pk: `LEAD#${pad(o.round)}`, gsi2sk: `${o.key}#${sk}`, ...o };
}

export function closeItem(c: CloseRecord): Record<string, unknown> {
  return {
    pk: ROUND_PK,
    sk: `SLUITING#${pad(c.round)}`,
    gsi2pk: `LEAD#${pad(c.round)}`,
    gsi2sk: '~SLUITING',
    ...c,
  };
}

/** Sort-key prefixes of a version series, for finding the next version. */
export const seriesPrefix = {
  selection: (round: number) => `SELECTIE#${pad(round)}#V`,
  decision: (round: number) => `BESLUIT#${pad(round)}#V`,
  outcome: (round: number, partner: string) => `UITKOMST#${pad(round)}#${partner}#V`,
};

/** Splits items of the lead's partition(s) into typed records; unknown items are skipped. */
export function recordsOf(items: readonly Record<string, unknown>[]): AddressRecords & {
  closes: CloseRecord[];
  cases: Map<string, string>;
} {
  const selections: SelectionEvent[] = [];
  const decisions: DecisionRecord[] = [];
  const outcomes: OutcomeRecord[] = [];
  const closes: CloseRecord[] = [];
  const cases = new Map<string, string>();
  for (const i of items) {
    switch (i.type) {
      case 'selectie':
        if (typeof i.version === 'number') selections.push(selectionEventSchema.parse(i));
        break;
      case 'besluit':
        decisions.push(decisionRecordSchema.parse(i));
        break;
      case 'uitkomst':
        outcomes.push(outcomeRecordSchema.parse(i));
        break;
      case 'sluiting':
        closes.push(closeRecordSchema.parse(i));
        break;
      case 'casus': {
        const c = z.object({ key: z.string(), casus: z.string() }).parse(i);
        cases.set(c.key, c.casus);
        break;
      }
      default:
        break;
    }
  }
  return { selections, decisions, outcomes, closes, cases };
}

/** Only the records of one address. */
export function recordsFor(all: AddressRecords, key: string): AddressRecords {
  return {
    selections: all.selections.filter((s) => s.key === key),
    decisions: all.decisions.filter((d) => d.key === key),
    outcomes: all.outcomes.filter((o) => o.key === key),
  };
}

// ---- the round's overview and staged minimisation ----------------------------------------------------

const overviewAddressSchema = z.looseObject({
  key: z.string(),
  postcode: z.string(),
  huisnummer: z.number(),
  suffix: z.string(),
  partners: z.array(z.string()),
  multiInterest: z.boolean(),
  signals: z.array(selectedSignalSchema.loose()),
});
export type OverviewAddress = z.infer<typeof overviewAddressSchema>;

/** overview.json (CONTRACT §6), as the link step writes it; unknown fields are kept. */
export const overviewSchema = z.looseObject({
  projectId: z.string(),
  generatedAt: z.string(),
  minPartners: z.number(),
  totals: z.looseObject({
    rows: z.number(),
    accepted: z.number(),
    rejected: z.number(),
    addresses: z.number(),
    multiInterest: z.number(),
  }),
  partners: z.array(z.looseObject({ id: z.string() })),
  addresses: z.array(overviewAddressSchema),
  minimised: z.object({ at: z.string(), kept: z.number(), purged: z.number() }).optional(),
});
export type Overview = z.infer<typeof overviewSchema>;

/** Counts of a round's full overview, kept after minimisation (no keys, no contents). */
export function overviewCounts(o: Overview, partnerIds: readonly string[]): RoundCounts {
  const partners = [...partnerIds].sort();
  const index = new Map(partners.map((p, i) => [p, i]));
  const overlap = partners.map(() => partners.map(() => 0));
  const addressesPerPartner: Record<string, number> = Object.fromEntries(partners.map((p) => [p, 0]));
  const byPartnerCount: Record<string, number> = {};
  for (const a of o.addresses) {
    const ps = [...new Set(a.partners)];
    byPartnerCount[String(ps.length)] = (byPartnerCount[String(ps.length)] ?? 0) + 1;
    for (const p of ps) {
      addressesPerPartner[p] = (addressesPerPartner[p] ?? 0) + 1;
      const i = index.get(p);
      if (i === undefined) continue;
      for (const q of ps) {
        const j = index.get(q);
        const row = overlap[i];
        if (j !== undefined && row) row[j] = (row[j] ?? 0) + 1;
      }
    }
  }
  return { partners, addressesPerPartner, overlap, byPartnerCount };
}

/**
 * Staged minimisation: the overview without the addresses that are neither multi-interest nor
 * added by judgement. Totals and partner counts stay as they were (only counts stay).
 */
export function minimiseOverview(
  o: Overview,
  addedByJudgementKeys: ReadonlySet<string>,
  at: string,
): { overview: Overview; kept: number; purged: number } {
  const addresses = o.addresses.filter((a) => a.multiInterest || addedByJudgementKeys.has(a.key));
  const kept = addresses.length;
  const purged = o.addresses.length - kept;
  const total = purged + (o.minimised?.purged ?? 0);
  return { overview: { ...o, addresses, minimised: { at, kept, purged: total } }, kept, purged };
}

// ---- the audit trail ---------------------------------------------------------------------------------

export const AUDIT_ACTIONS = {
  lijst: 'casustafellijst gelezen',
  adres: 'adresgegevens gelezen',
  toevoegen: 'adres toegevoegd (professional judgement)',
  intrekken: 'toevoeging ingetrokken',
  besluit: 'beslissing casustafel vastgelegd',
  correctie: 'beslissing gecorrigeerd (nieuwe versie)',
  uitkomst: 'uitkomst vastgelegd',
  sluiten: 'selectie van de ronde gesloten (minimalisatie)',
  rapport: 'evaluatierapport gemaakt',
} as const;
export type AuditAction = keyof typeof AUDIT_ACTIONS;

/** One audit entry: who, what, when, and case numbers — never addresses or signal contents. */
export const auditEntrySchema = z.object({
  wie: z.string(),
  wat: z.enum(Object.keys(AUDIT_ACTIONS) as [AuditAction, ...AuditAction[]]),
  wanneer: z.string(),
  ronde: z.number(),
  casussen: z.array(z.string()).default([]),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export function auditItem(e: AuditEntry, id: string): Record<string, unknown> {
  return { pk: `AUDIT#${pad(e.ronde)}`, sk: `${e.wanneer}#${id}`, ...e };
}

/** A case number: a random reference that stands for the address in the audit trail. */
export function caseNumber(random: Uint8Array): string {
  return `C-${[...random.subarray(0, 5)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Who is acting, as written in records: a name, an e-mail or an ARN; no line breaks, bounded. */
export function checkWho(who: string | undefined): string {
  const w = who?.trim() ?? '';
  if (w === '' || w.length > 200 || /[\r\n\t]/.test(w))
    throw new CasustafelError(
      'Wie bent u? Geef uw naam op met --als <naam> of zet LSI_USER (lokaal); in AWS komt die uit uw inloggegevens.',
    );
  return w;
}
