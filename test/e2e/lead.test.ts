/**
 * The lead's work on the embedded stack, no mocks: two rounds linked by the real pipeline, the
 * case-table list, a judgement addition, decisions (jointly handled, step 3, a correction), outcomes,
 * closing round 1's selection (staged minimisation), the audit trail and the evaluation report.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listKeys } from '../../lambdas/adapters/s3.ts';
import { CasustafelError, overviewSchema } from '../../lambdas/core/casustafel.ts';
import { parseProjectText } from '../../lambdas/core/project.ts';
import { auditTrail, Lead } from '../../lib/client/lead.ts';
import type { Target } from '../../lib/client/target.ts';
import { uploadSignalFile } from '../../lib/client/upload.ts';
import { embeddedTarget } from '../../lib/local/control-server.ts';
import { type EmbeddedProject, startEmbeddedProject } from '../../lib/local/embedded-project.ts';

const project = parseProjectText(
  JSON.stringify({
    projectId: 'lead-test',
    name: 'LSI Casustafel Test',
    subject: 'Onrechtmatige bewoning',
    area: ['3071AA-3089ZZ'],
    partners: [
      { id: 'gemeente', name: 'Gemeente' },
      { id: 'uwv', name: 'UWV' },
      { id: 'politie', name: 'Politie' },
    ],
  }),
);

/** Every value put into the project: none may appear in the audit trail or the report. */
const SIGNALS: Record<number, Record<string, string[][]>> = {
  1: {
    gemeente: [
      ['3071AB', '12', 'a', 'Overbewoning zolder', 'Meer dan zes bewoners gemeld', 'GEM-REF-0001'],
      [
        '3072CD',
        '5',
        '',
        'Onderhuur kamerverhuur',
        'Vermoedelijke onderhuur via advertentie',
        'GEM-REF-0002',
      ],
      ['3073EF', '7', '', 'Woonfraude vermoeden', 'Adres zonder zichtbare bewoning', 'GEM-REF-0003'],
      ['3075KL', '20', '', 'Leegstand winkelpand', 'Pand staat leeg sinds voorjaar', 'GEM-REF-0004'],
    ],
    uwv: [
      ['3071AB', '12-A', '', 'Samenwonersfraude uitkering', 'Partner niet opgegeven', 'UWV-REF-0001'],
      ['3072CD', '5', '', 'Inschrijving zonder bewoning', 'Post komt retour', 'UWV-REF-0002'],
      ['3076MN', '3', '', 'Zwartwerk garagebox', 'Bedrijfsactiviteit in garagebox', 'UWV-REF-0003'],
      ['3078RS', '9', '', 'Uitkering met verzwegen inkomen', 'Inkomsten uit verhuur', 'UWV-REF-0004'],
    ],
    politie: [
      ['3071AB', '12', 'A', 'Bedreiging eerder bezoek', 'Agressie tegen handhavers', 'POL-REF-0001'],
      ['3078RS', '9', '', 'Hennepteelt zolderkamer', 'Stroomverbruik hoog', 'POL-REF-0002'],
    ],
  },
  2: {
    gemeente: [
      ['3071AB', '12', 'A', 'Overbewoning opnieuw gemeld', 'Nieuwe melding buren', 'GEM-REF-0101'],
      ['3079TU', '1', '', 'Illegale kamerbewoning', 'Zes bellen aan de deur', 'GEM-REF-0102'],
    ],
    uwv: [
      ['3071AB', '12a', '', 'Samenwonen nog steeds', 'Tweede signaal', 'UWV-REF-0101'],
      ['3079TU', '1', '', 'Woonkostendeler niet gemeld', 'Meerdere uitkeringen op adres', 'UWV-REF-0102'],
    ],
    politie: [['3080VW', '44', '', 'Drugsoverlast portiek', 'Meldingen omwonenden', 'POL-REF-0101']],
  },
};

function csv(rows: string[][]): Uint8Array {
  const lines = ['postcode;huisnummer;toevoeging;risico;omschrijving;referentie'];
  for (const r of rows) lines.push(r.join(';'));
  return new TextEncoder().encode(`${lines.join('\r\n')}\r\n`);
}

/** Input values long enough to be recognisable (keys, postcodes, texts, references). */
function inputValues(): string[] {
  const values = new Set<string>();
  for (const byPartner of Object.values(SIGNALS))
    for (const rows of Object.values(byPartner))
      for (const [pc = '', nr = '', toev = '', risico = '', oms = '', ref = ''] of rows) {
        values.add(pc);
        values.add(`${pc.slice(0, 4)} ${pc.slice(4)}`);
        values.add(`${pc}-${nr.replace(/\D.*$/, '')}`);
        values.add(`${pc}-${nr}${toev ? `-${toev.toUpperCase()}` : ''}`);
        for (const t of [risico, oms, ref]) values.add(t);
      }
  return [...values].filter((v) => v.length >= 4);
}

const dir = mkdtempSync(join(tmpdir(), 'lsi-lead-'));
let p: EmbeddedProject;
let target: Target;
let lead: Lead;
let clock = Date.parse('2027-03-01T09:00:00Z');

async function linkRound(round: number): Promise<void> {
  const byPartner = SIGNALS[round] ?? {};
  for (const [partner, rows] of Object.entries(byPartner))
    await uploadSignalFile((r) => p.partner(partner, r), `ronde${round}.csv`, csv(rows), round);
  await p.idle();
  for (const partner of Object.keys(byPartner)) {
    const r = await p.partner(partner, { action: 'complete', round });
    expect(r.statusCode).toBe(200);
  }
  const executions = await p.idle();
  expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED']);
}

beforeAll(async () => {
  p = await startEmbeddedProject({ project, dir });
  target = embeddedTarget(p);
  lead = new Lead({
    target,
    project: p.project,
    who: 'Projectleider Test',
    now: () => {
      clock += 60_000;
      return new Date(clock);
    },
  });
  await linkRound(1);
}, 120_000);
afterAll(async () => {
  await p?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const REASONS = {
  proportionaliteit: 'Meerdere signalen van drie partners; een huisbezoek is passend.',
  subsidiariteit: 'Een brief is eerder zonder effect gebleven; bezoek is nodig.',
  lichtereMiddelen: 'Schriftelijke uitnodiging en administratieve controle overwogen.',
};

describe('the case table on the embedded stack', () => {
  it('lists round 1: the addresses with multiple interest, to be discussed, each with a case number', async () => {
    const rows = await lead.list({ round: 1 });
    expect(rows.map((r) => [r.key, r.partners, r.status, r.judgement])).toEqual([
      ['3071AB-12-A', ['gemeente', 'politie', 'uwv'], 'te-bespreken', false],
      ['3072CD-5', ['gemeente', 'uwv'], 'te-bespreken', false],
      ['3078RS-9', ['politie', 'uwv'], 'te-bespreken', false],
    ]);
    expect(new Set(rows.map((r) => r.casus)).size).toBe(3);
    for (const r of rows) expect(r.casus).toMatch(/^C-[0-9a-f]{10}$/);
    expect((await lead.list({ round: 1, partner: 'politie' })).map((r) => r.key)).toEqual([
      '3071AB-12-A',
      '3078RS-9',
    ]);
    expect((await lead.list({ round: 1, postcode: '3072' })).map((r) => r.key)).toEqual(['3072CD-5']);
  });

  it('adds a single-partner address by professional judgement only with a reason, and can withdraw it', async () => {
    await expect(lead.select('3073EF-7', 1, undefined)).rejects.toThrow(/reden is verplicht/);
    await expect(lead.select('3071AB-12-A', 1, 'Al meervoudig, toch toevoegen')).rejects.toThrow(
      /al meervoudig belang/,
    );
    await expect(lead.select('3099ZZ-1', 1, 'Bestaat niet in deze ronde')).rejects.toThrow(
      /komt in ronde 1 niet voor/,
    );
    await lead.select('3076MN-3', 1, 'Garagebox hoort bij een bekend netwerk; wijkagent ziet belang.');
    expect((await lead.list({ round: 1 })).map((r) => r.key)).toContain('3076MN-3');
    await lead.withdraw('3076MN-3', 1, 'Wijkagent trekt het belang in na nader overleg.');
    expect((await lead.list({ round: 1 })).map((r) => r.key)).not.toContain('3076MN-3');
    await expect(lead.withdraw('3076MN-3', 1, 'Nogmaals intrekken kan niet')).rejects.toThrow(
      /niets in te trekken/,
    );

    const r = await lead.select(
      '3073EF-7',
      1,
      'Woonfraude met signalen van zorg; meervoudig belang ingeschat.',
    );
    const rows = await lead.list({ round: 1 });
    const added = rows.find((x) => x.key === '3073EF-7');
    expect(added).toMatchObject({
      casus: r.casus,
      judgement: true,
      status: 'te-bespreken',
      partners: ['gemeente'],
    });
    expect((await lead.list({ round: 1, partner: 'gemeente' })).map((x) => x.key)).toContain('3073EF-7');
  });

  it('records a jointly handled address, and refuses one without proportionality reasoning', async () => {
    const base = {
      actualisatie: { gemeente: true, uwv: true, politie: true },
      grootsteBelang: ['gemeente', 'uwv'],
      politie: { nodig: true, waarom: 'Eerdere bedreiging van handhavers op dit adres.' },
      interventie: 'huisbezoek',
      subsidiariteit: REASONS.subsidiariteit,
      lichtereMiddelen: REASONS.lichtereMiddelen,
    };
    const err = await lead.decide('3071AB-12-A', 1, base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CasustafelError);
    expect(String(err)).toMatch(/proportionaliteit/);
    expect(String(err)).not.toMatch(/3071AB/);
    const { decision } = await lead.decide('3071AB-12-A', 1, {
      ...base,
      proportionaliteit: REASONS.proportionaliteit,
    });
    expect(decision).toMatchObject({
      status: 'gezamenlijk',
      version: 1,
      actueel: ['gemeente', 'politie', 'uwv'],
    });
  });

  it('applies the step-3 rule: one partner with a current interest acts alone, none means no action', async () => {
    const one = await lead.decide('3072CD-5', 1, { actualisatie: { gemeente: true, uwv: false } });
    expect(one.decision).toMatchObject({
      status: 'individueel',
      zelfstandig: 'gemeente',
      grootsteBelang: [],
    });
    await expect(
      lead.decide('3078RS-9', 1, { actualisatie: { politie: false, uwv: false }, interventie: 'huisbezoek' }),
    ).rejects.toThrow(/niet gezamenlijk opgepakt \(stap 3\)/);
    const none = await lead.decide('3078RS-9', 1, { actualisatie: { politie: false, uwv: false } });
    expect(none.decision.status).toBe('geen-actueel-belang');
    await expect(lead.outcome('3072CD-5', 1, 'gemeente', ['overtreding'])).rejects.toThrow(
      /buiten het project/,
    );
  });

  it('decides on the judgement addition with another partner that has an interest', async () => {
    const { decision } = await lead.decide('3073EF-7', 1, {
      actualisatie: { gemeente: true },
      belanghebbenden: ['uwv'],
      grootsteBelang: ['gemeente', 'uwv'],
      politie: { nodig: false, waarom: 'Geen signalen van geweld of agressie bekend.' },
      interventie: 'administratieve-controle',
      ...REASONS,
    });
    expect(decision).toMatchObject({ status: 'gezamenlijk', actueel: ['gemeente', 'uwv'] });
  });

  it('keeps every version: a correction needs a reason and adds version 2', async () => {
    const input = {
      actualisatie: { gemeente: true, uwv: true, politie: true },
      grootsteBelang: ['gemeente', 'politie', 'uwv'],
      politie: { nodig: true, waarom: 'Eerdere bedreiging van handhavers op dit adres.' },
      interventie: 'gezamenlijke-actiedag',
      ...REASONS,
    };
    await expect(lead.decide('3071AB-12-A', 1, input)).rejects.toThrow(/Correctie.*reden is verplicht/);
    const { decision } = await lead.decide('3071AB-12-A', 1, input, 'Politie neemt deel aan de actiedag.');
    expect(decision).toMatchObject({ version: 2, correctieReden: 'Politie neemt deel aan de actiedag.' });
    const h = await lead.history('3071AB-12-A');
    expect(h.decisions.map((d) => [d.version, d.interventie])).toEqual([
      [1, 'huisbezoek'],
      [2, 'gezamenlijke-actiedag'],
    ]);
  });

  it('records outcomes per partner; the address is done when every partner with the largest interest has one', async () => {
    await lead.outcome('3071AB-12-A', 1, 'gemeente', ['overtreding', 'correctie-registratie']);
    await lead.outcome('3071AB-12-A', 1, 'uwv', ['terugvordering']);
    await expect(lead.outcome('3071AB-12-A', 1, 'uwv', ['boete'])).rejects.toThrow(/Correctie/);
    await lead.outcome('3071AB-12-A', 1, 'uwv', ['terugvordering', 'boete'], {
      correctie: 'Boete later opgelegd door UWV.',
    });
    expect((await lead.list({ round: 1 })).find((r) => r.key === '3071AB-12-A')?.status).toBe('gezamenlijk');
    await lead.outcome('3071AB-12-A', 1, 'politie', ['geen-bevinding']);
    await lead.outcome('3073EF-7', 1, 'gemeente', ['geen-bevinding']);
    const rows = await lead.list({ round: 1 });
    expect(rows.map((r) => [r.key, r.status])).toEqual([
      ['3071AB-12-A', 'afgerond'],
      ['3072CD-5', 'individueel'],
      ['3073EF-7', 'gezamenlijk'],
      ['3078RS-9', 'geen-actueel-belang'],
    ]);
    expect((await lead.list({ round: 1, status: 'individueel' })).map((r) => r.key)).toEqual(['3072CD-5']);
  });

  it('purges the addresses without multiple interest when the selection closes; only counts stay', async () => {
    const bucket = p.names.bucket;
    expect((await listKeys(target.s3, bucket, 'work/ronde-0001/')).length).toBeGreaterThan(0);
    const closed = await lead.closeRound(1);
    expect(closed).toMatchObject({ kept: 4, purged: 2 });
    expect(closed.counts.addressesPerPartner).toEqual({ gemeente: 4, politie: 2, uwv: 4 });
    expect(closed.counts.byPartnerCount).toEqual({ '1': 3, '2': 2, '3': 1 });
    const got = await target.s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'results/ronde-0001/overview.json' }),
    );
    const text = (await got.Body?.transformToString()) ?? '';
    const overview = overviewSchema.parse(JSON.parse(text));
    expect(overview.addresses.map((a) => a.key)).toEqual(['3071AB-12-A', '3072CD-5', '3073EF-7', '3078RS-9']);
    expect(overview.totals).toMatchObject({ addresses: 6, multiInterest: 3 });
    for (const gone of ['3075KL', '3076MN', 'Leegstand winkelpand', 'Zwartwerk garagebox'])
      expect(text).not.toContain(gone);
    expect(await listKeys(target.s3, bucket, 'work/ronde-0001/')).toEqual([]);
    await expect(lead.select('3075KL-20', 1, 'Te laat toegevoegd na sluiting')).rejects.toThrow(/gesloten/);
    expect((await lead.closeRound(1)).op).toBe(closed.op);
  });

  it('marks an address discussed in round 1 as such in round 2', async () => {
    await linkRound(2);
    const rows = await lead.list({ round: 2 });
    expect(rows.map((r) => [r.key, r.status, r.eerderBesproken])).toEqual([
      ['3071AB-12-A', 'te-bespreken', [{ round: 1, status: 'gezamenlijk' }]],
      ['3079TU-1', 'te-bespreken', []],
    ]);
    const first = (await lead.list({ round: 1 })).find((r) => r.key === '3071AB-12-A');
    expect(rows[0]?.casus).toBe(first?.casus);
    await lead.decide('3079TU-1', 2, {
      actualisatie: { gemeente: true, uwv: true },
      grootsteBelang: ['gemeente', 'uwv'],
      politie: { nodig: false, waarom: 'Geen aanwijzingen voor gevaar voor het team.' },
      interventie: 'uitnodiging',
      ...REASONS,
    });
  });

  it('keeps an audit trail of reads and changes: who, what, when, case numbers — no address or contents', async () => {
    const entries = await auditTrail(target);
    const what = new Set(entries.map((e) => e.wat));
    for (const w of [
      'lijst',
      'toevoegen',
      'intrekken',
      'besluit',
      'correctie',
      'uitkomst',
      'sluiten',
      'adres',
    ])
      expect(what).toContain(w);
    expect(entries.every((e) => e.wie === 'Projectleider Test')).toBe(true);
    const correction = entries.find((e) => e.wat === 'correctie');
    expect(correction?.casussen).toHaveLength(1);
    expect(correction?.casussen[0]).toMatch(/^C-/);
    const round1 = await auditTrail(target, 1);
    expect(round1.length).toBeGreaterThan(0);
    expect(round1.every((e) => e.ronde === 1)).toBe(true);
    const text = JSON.stringify(entries);
    for (const v of inputValues()) expect(text, `audit trail holds "${v}"`).not.toContain(v);
    for (const r of Object.values(REASONS)) expect(text).not.toContain(r);
  });

  it('writes an evaluation report without any address or signal text, small counts as "<5"', async () => {
    const { figures, html } = await lead.report();
    const json = JSON.stringify(figures);
    for (const v of inputValues()) {
      expect(html, `report HTML holds "${v}"`).not.toContain(v);
      expect(json, `report JSON holds "${v}"`).not.toContain(v);
    }
    expect(figures.totalen.signalen).toBe(15);
    expect(figures.totalen.geaccepteerd).toBe(15);
    expect(figures.totalen.rondes).toBe(2);
    expect(figures.totalen.besproken).toBe(5);
    expect(figures.totalen.individueel).toBe('<5');
    expect(figures.totalen.gezamenlijk).toBe('<5');
    expect(figures.rondes.map((r) => r.ronde)).toEqual([1, 2]);
    expect(figures.rondes[0]?.signalen).toBe(10);
    expect(figures.rondes[1]?.signalen).toBe(5);
    expect(figures.overlap.partners).toEqual(['gemeente', 'politie', 'uwv']);
    expect(figures.overlap.matrix[0]?.[0]).toBe(6);
    expect(figures.overlap.matrix[0]?.[2]).toBe('<5');
    const small: string[] = [];
    const walk = (v: unknown, path: string): void => {
      if (typeof v === 'number' && v < 5 && !/(^|\.)(ronde|rondes|percentage)$/.test(path)) small.push(path);
      else if (Array.isArray(v)) for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`);
      else if (typeof v === 'object' && v !== null)
        for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
    };
    walk(figures, 'figures');
    expect(small, 'counts below 5 shown as numbers').toEqual([]);
    expect(html).toContain('&lt;5');
    expect(html).not.toMatch(/<(script|link|img)\b/i);
    expect(html).not.toMatch(/(src|href)=/i);
  });
});
