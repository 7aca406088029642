/**
 * The lead's commands: the case-table list (`lsi results`), judgement additions (`lsi select`),
 * decisions (`lsi decide`), outcomes (`lsi outcome`), closing a round's selection (`lsi round close`),
 * the evaluation report (`lsi report`) and, for the supervisor, the audit trail (`lsi audit`).
 * Against the embedded default (`lsi local up`) or, with --aws, a deployed project stack.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { csvCell } from '../../lambdas/core/bytes.ts';
import {
  AUDIT_ACTIONS,
  INTERVENTIONS,
  OUTCOMES,
  statusCodes,
  statusLabel,
} from '../../lambdas/core/casustafel.ts';
import { CASUSTAFEL_HEADER } from '../../lambdas/core/outputs.ts';
import { auditTrail, type CaseRow, callerIdentity, Lead } from '../../lib/client/lead.ts';
import type { Target } from '../../lib/client/target.ts';
import { nl, UsageError } from './common.ts';
import { COMMON, loadProject, risksOf, roundOf, targetFor } from './pipeline.ts';

type Out = (line: string) => void;

const LEAD_OPTIONS = { ...COMMON, als: { type: 'string' }, round: { type: 'string' } } as const;

export const LEAD_HELP = `Casustafel (projectleiding; lokaal met --als <naam> of LSI_USER, in AWS met uw eigen inlog):
  lsi results  --project <p> [--round <n>] [--partner <id>] [--postcode 3071] [--status <s>] [--format tabel|csv|json]
  lsi select   <adres> --project <p> [--round <n>] --reason "..."              adres toevoegen (professional judgement)
  lsi select   <adres> --project <p> [--round <n>] --withdraw --reason "..."   toevoeging intrekken
  lsi decide   <adres> --project <p> [--round <n>] --actueel <id>=ja|nee ... [--belang <id>]... [--grootste <id>]...
                  [--politie ja|nee --politie-waarom "..."] [--interventie <code>] [--proportionaliteit "..."]
                  [--subsidiariteit "..."] [--lichtere-middelen "..."] [--toelichting "..."] [--correctie "reden"]
  lsi decide   <adres> --project <p> --file beslissing.json [--correctie "reden"]
  lsi decide   <adres> --project <p> --show                                   geschiedenis van het adres
  lsi outcome  <adres> --project <p> [--round <n>] --partner <id> --result <code> [--result <code>]... [--correctie "reden"]
  lsi round close --project <p> --round <n>        selectie sluiten: adressen zonder meervoudig belang verwijderen
  lsi report   --project <p> --out <map>           evaluatierapport (HTML en JSON, zonder adressen)
  lsi audit    --project <p> [--round <n>] [--format tabel|json]   auditlog (alleen de toezichthouder)
Statussen: ${statusCodes.join(', ')}
Interventies: ${INTERVENTIONS.map((i) => i.code).join(', ')}
Uitkomsten: ${OUTCOMES.map((o) => o.code).join(', ')}`;

async function withLead<T>(
  values: {
    project?: string | undefined;
    aws?: boolean;
    region?: string | undefined;
    als?: string | undefined;
  },
  run: (lead: Lead, target: Target) => Promise<T>,
): Promise<T> {
  const project = loadProject(values.project);
  const target = await targetFor(project, values);
  try {
    const who = await callerIdentity(target.kind, values.als, process.env, values.region);
    return await run(new Lead({ target, project, who }), target);
  } finally {
    await target.close();
  }
}

function keyArg(positionals: readonly string[], command: string): string {
  const key = positionals[0]?.trim().toUpperCase();
  if (!key || positionals.length > 1)
    throw new UsageError(
      `Welk adres? lsi ${command} <adres>, bijvoorbeeld 3071AB-12-A (zoals in lsi results).`,
    );
  if (!/^[1-9][0-9]{3}[A-Z]{2}-[0-9]{1,5}(-[A-Z0-9]{1,5})?$/.test(key))
    throw new UsageError(
      'Een adres schrijft u als POSTCODE-HUISNUMMER[-TOEVOEGING], bijvoorbeeld 3071AB-12-A.',
    );
  return key;
}

function jaNee(v: string, flag: string): boolean {
  const t = v.trim().toLowerCase();
  if (t === 'ja' || t === 'true') return true;
  if (t === 'nee' || t === 'false') return false;
  throw new UsageError(`${flag}: zeg ja of nee, niet "${v.slice(0, 20)}".`);
}

function eerder(r: CaseRow): string {
  return r.eerderBesproken.map((e) => `ronde ${e.round}: ${e.status}`).join(', ');
}

/** The case-table list as a table, as CSV for Dutch Excel (BOM, `;`, formulas neutralised), or JSON. */
export function printCaseRows(rows: readonly CaseRow[], format: string, out: Out): void {
  if (format === 'json') {
    out(JSON.stringify(rows, null, 2));
    return;
  }
  if (format === 'csv') {
    const head = [...CASUSTAFEL_HEADER, 'casus', 'selectie', 'status', 'eerder besproken'];
    out(`\ufeff${head.map(csvCell).join(';')}\r`);
    for (const a of rows)
      out(
        `${[
          a.key,
          a.postcode,
          String(a.huisnummer),
          a.suffix,
          a.partners.join(', '),
          String(a.partnerCount),
          risksOf(a),
          a.casus,
          a.judgement ? 'professional judgement' : 'meervoudig belang',
          statusLabel(a.status),
          eerder(a),
        ]
          .map(csvCell)
          .join(';')}\r`,
      );
    return;
  }
  out(
    `${'casus'.padEnd(14)}${'adres'.padEnd(17)}${'ketenpartners'.padEnd(34)}${'status'.padEnd(22)}risico's`,
  );
  for (const a of rows) {
    const risks = risksOf(a).replace(/\s+/g, ' ');
    const mark = `${a.judgement ? ' [PJ]' : ''}${a.eerderBesproken.length > 0 ? ' [eerder besproken]' : ''}`;
    out(
      `${a.casus.padEnd(14)}${a.key.padEnd(17)}${a.partners.join(', ').padEnd(34)}${a.status.padEnd(22)}${
        risks.length > 60 ? `${risks.slice(0, 59)}…` : risks
      }${mark}`,
    );
  }
  out(
    `${nl(rows.length)} adres(sen) voor de casustafel. [PJ] = toegevoegd op professional judgement; [eerder besproken] = besproken in een eerdere ronde.`,
  );
}

/** `lsi results`. */
export async function leadResults(argv: string[], out: Out): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...LEAD_OPTIONS,
      partner: { type: 'string' },
      postcode: { type: 'string' },
      status: { type: 'string' },
      format: { type: 'string', default: 'tabel' },
    },
  });
  if (values.help) return out(LEAD_HELP);
  if (!['tabel', 'csv', 'json'].includes(values.format))
    throw new UsageError('--format is tabel, csv of json.');
  const status = values.status;
  const statusCode = statusCodes.find((s) => s === status);
  if (status !== undefined && !statusCode)
    throw new UsageError(`--status is een van: ${statusCodes.join(', ')}.`);
  const round = roundOf(values.round);
  await withLead(values, async (lead) => {
    const rows = await lead.list({
      round,
      ...(values.partner ? { partner: values.partner } : {}),
      ...(values.postcode ? { postcode: values.postcode } : {}),
      ...(statusCode ? { status: statusCode } : {}),
    });
    printCaseRows(rows, values.format, out);
  });
}

/** `lsi select`. */
export async function select(argv: string[], out: Out): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...LEAD_OPTIONS, reason: { type: 'string' }, withdraw: { type: 'boolean', default: false } },
  });
  if (values.help) return out(LEAD_HELP);
  const key = keyArg(positionals, 'select');
  const round = roundOf(values.round);
  await withLead(values, async (lead) => {
    if (values.withdraw) {
      const r = await lead.withdraw(key, round, values.reason);
      out(`Toevoeging van ${key} (casus ${r.casus}) in ronde ${round} ingetrokken; de reden is vastgelegd.`);
    } else {
      const r = await lead.select(key, round, values.reason);
      out(
        `${key} (casus ${r.casus}) staat op de casustafellijst van ronde ${round} (professional judgement); reden, wie en wanneer zijn vastgelegd.`,
      );
    }
  });
}

/** `lsi decide`. */
export async function decideCommand(argv: string[], out: Out): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...LEAD_OPTIONS,
      file: { type: 'string' },
      show: { type: 'boolean', default: false },
      actueel: { type: 'string', multiple: true },
      belang: { type: 'string', multiple: true },
      grootste: { type: 'string', multiple: true },
      politie: { type: 'string' },
      'politie-waarom': { type: 'string' },
      interventie: { type: 'string' },
      proportionaliteit: { type: 'string' },
      subsidiariteit: { type: 'string' },
      'lichtere-middelen': { type: 'string' },
      toelichting: { type: 'string' },
      correctie: { type: 'string' },
    },
  });
  if (values.help) return out(LEAD_HELP);
  const key = keyArg(positionals, 'decide');
  if (values.show) {
    await withLead(values, async (lead) => {
      const h = await lead.history(key);
      out(
        JSON.stringify(
          { casus: h.casus, selecties: h.selections, beslissingen: h.decisions, uitkomsten: h.outcomes },
          null,
          2,
        ),
      );
    });
    return;
  }
  const round = roundOf(values.round);
  let input: unknown;
  if (values.file) {
    const flags = [
      values.actueel,
      values.belang,
      values.grootste,
      values.politie,
      values.interventie,
      values.proportionaliteit,
      values.subsidiariteit,
      values['lichtere-middelen'],
    ];
    if (flags.some((f) => f !== undefined))
      throw new UsageError('Gebruik --file óf de losse opties, niet allebei.');
    try {
      input = JSON.parse(readFileSync(values.file, 'utf8'));
    } catch {
      throw new UsageError(`${values.file} is niet te lezen als JSON.`);
    }
  } else {
    const actualisatie: Record<string, boolean> = {};
    for (const a of values.actueel ?? []) {
      const m = /^([a-z][a-z0-9-]{1,30})=(.+)$/.exec(a.trim());
      if (!m?.[1] || !m[2])
        throw new UsageError(
          `--actueel schrijft u als <partner>=ja of <partner>=nee, niet "${a.slice(0, 40)}".`,
        );
      actualisatie[m[1]] = jaNee(m[2], `--actueel ${m[1]}`);
    }
    input = {
      actualisatie,
      belanghebbenden: values.belang ?? [],
      grootsteBelang: values.grootste ?? [],
      ...(values.politie !== undefined
        ? { politie: { nodig: jaNee(values.politie, '--politie'), waarom: values['politie-waarom'] ?? '' } }
        : {}),
      ...(values.interventie !== undefined ? { interventie: values.interventie } : {}),
      ...(values.proportionaliteit !== undefined ? { proportionaliteit: values.proportionaliteit } : {}),
      ...(values.subsidiariteit !== undefined ? { subsidiariteit: values.subsidiariteit } : {}),
      ...(values['lichtere-middelen'] !== undefined ? { lichtereMiddelen: values['lichtere-middelen'] } : {}),
      ...(values.toelichting !== undefined ? { toelichting: values.toelichting } : {}),
    };
  }
  await withLead(values, async (lead) => {
    const { casus, decision } = await lead.decide(key, round, input, values.correctie);
    const what =
      decision.status === 'gezamenlijk'
        ? `gezamenlijk opgepakt door ${decision.grootsteBelang.join(', ')}`
        : decision.status === 'individueel'
          ? `niet gezamenlijk (stap 3): alleen ${decision.zelfstandig ?? ''} heeft een actueel belang en kan zelf, buiten het project, verder`
          : 'niet gezamenlijk (stap 3): geen partner heeft nog een actueel belang';
    out(`Beslissing voor ${key} (casus ${casus}), ronde ${round}, versie ${decision.version}: ${what}.`);
  });
}

/** `lsi outcome`. */
export async function outcomeCommand(argv: string[], out: Out): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...LEAD_OPTIONS,
      partner: { type: 'string' },
      result: { type: 'string', multiple: true },
      toelichting: { type: 'string' },
      correctie: { type: 'string' },
    },
  });
  if (values.help) return out(LEAD_HELP);
  const key = keyArg(positionals, 'outcome');
  if (!values.partner) throw new UsageError('Voor welke ketenpartner? --partner <id>');
  const partner = values.partner;
  const round = roundOf(values.round);
  await withLead(values, async (lead) => {
    const r = await lead.outcome(key, round, partner, values.result ?? [], {
      ...(values.toelichting ? { toelichting: values.toelichting } : {}),
      ...(values.correctie ? { correctie: values.correctie } : {}),
    });
    out(
      `Uitkomst van ${partner} voor ${key} (casus ${r.casus}), ronde ${round}, versie ${r.version} vastgelegd.`,
    );
  });
}

/** `lsi round close`. */
export async function roundCommand(argv: string[], out: Out): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== 'close') throw new UsageError('Bedoelt u: lsi round close --project <p> --round <n>');
  const { values } = parseArgs({ args: rest, options: LEAD_OPTIONS });
  if (values.help) return out(LEAD_HELP);
  if (values.round === undefined) throw new UsageError('Welke ronde? --round <n>');
  const round = roundOf(values.round);
  await withLead(values, async (lead) => {
    const c = await lead.closeRound(round);
    out(
      `Selectie van ronde ${round} gesloten (${c.op.slice(0, 16).replace('T', ' ')} door ${c.door}): ${nl(c.kept)} adres(sen) blijven, ` +
        `${nl(c.purged)} adres(sen) zonder meervoudig belang verwijderd, ${nl(c.workFilesDeleted)} werkbestand(en) verwijderd. De aantallen blijven bewaard.`,
    );
  });
}

/** `lsi report`. */
export async function reportCommand(argv: string[], out: Out): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { ...LEAD_OPTIONS, out: { type: 'string' } } });
  if (values.help) return out(LEAD_HELP);
  if (!values.out) throw new UsageError('Waar moet het rapport heen? --out <map>');
  const dir = values.out;
  await withLead(values, async (lead) => {
    const { figures, html } = await lead.report();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'evaluatie.html'), html);
    writeFileSync(join(dir, 'evaluatie.json'), `${JSON.stringify(figures, null, 2)}\n`);
    out(
      `Evaluatierapport geschreven: ${join(dir, 'evaluatie.html')} en ${join(dir, 'evaluatie.json')} (geen adressen; aantallen onder 5 als "<5").`,
    );
  });
}

/** `lsi audit` (supervisor). */
export async function auditCommand(argv: string[], out: Out): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { ...COMMON, round: { type: 'string' }, format: { type: 'string', default: 'tabel' } },
  });
  if (values.help) return out(LEAD_HELP);
  if (!['tabel', 'json'].includes(values.format)) throw new UsageError('--format is tabel of json.');
  const project = loadProject(values.project);
  const target = await targetFor(project, values);
  try {
    const entries = await auditTrail(target, values.round === undefined ? undefined : roundOf(values.round));
    if (values.format === 'json') {
      out(JSON.stringify(entries, null, 2));
      return;
    }
    out(`${'wanneer'.padEnd(26)}${'wie'.padEnd(24)}${'ronde'.padEnd(7)}wat`);
    for (const e of entries) {
      const cases = e.casussen.length > 3 ? `${e.casussen.length} casussen` : e.casussen.join(', ');
      const details = Object.entries(e.details)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ');
      out(
        `${e.wanneer.padEnd(26)}${e.wie.padEnd(24)}${String(e.ronde).padEnd(7)}${AUDIT_ACTIONS[e.wat]}${cases ? ` [${cases}]` : ''}${details ? ` ${details}` : ''}`,
      );
    }
    out(`${nl(entries.length)} regel(s) in het auditlog.`);
  } finally {
    await target.close();
  }
}
