import { describe, expect, it } from 'vitest';
import {
  CasustafelError,
  checkReason,
  decide,
  discussedBefore,
  minimiseOverview,
  type Overview,
  overviewCounts,
  recordOutcome,
  statusOf,
} from '../../lambdas/core/casustafel.ts';

const partners = ['gemeente', 'politie', 'uwv'];
const who = { door: 'pl', op: '2027-03-01T10:00:00.000Z' };
const reasons = {
  proportionaliteit: 'Drie signalen; huisbezoek staat in verhouding.',
  subsidiariteit: 'Een brief hielp eerder niet; bezoek nodig.',
  lichtereMiddelen: 'Uitnodiging en administratieve controle overwogen.',
};
const joint = {
  actualisatie: { gemeente: true, uwv: true },
  grootsteBelang: ['gemeente', 'uwv'],
  politie: { nodig: false, waarom: 'Geen aanwijzing voor gevaar.' },
  interventie: 'huisbezoek',
  ...reasons,
};
const address = { key: '3071AB-12', round: 1, supplying: ['gemeente', 'uwv'] };

describe('decide', () => {
  it('records a jointly handled address when two partners keep a current interest', () => {
    const d = decide(joint, address, partners, 1, who);
    expect(d).toMatchObject({
      status: 'gezamenlijk',
      actueel: ['gemeente', 'uwv'],
      interventie: 'huisbezoek',
    });
  });

  it('names every missing piece of reasoning for a joint decision', () => {
    const { proportionaliteit: _p, subsidiariteit: _s, ...rest } = joint;
    expect(() => decide(rest, address, partners, 1, who)).toThrow(/proportionaliteit[\s\S]*subsidiariteit/);
  });

  it('rejects too short reasoning with the field name', () => {
    expect(() => decide({ ...joint, proportionaliteit: 'kort' }, address, partners, 1, who)).toThrow(
      /proportionaliteit: De afweging van proportionaliteit ontbreekt of is te kort/,
    );
  });

  it('rejects an intervention that is not on the list, listing the codes', () => {
    expect(() => decide({ ...joint, interventie: 'inval' }, address, partners, 1, who)).toThrow(/huisbezoek/);
  });

  it('step 3: one partner with a current interest may act alone, outside the project', () => {
    const d = decide({ actualisatie: { gemeente: false, uwv: true } }, address, partners, 1, who);
    expect(d).toMatchObject({ status: 'individueel', zelfstandig: 'uwv' });
  });

  it('step 3: no current interest at all', () => {
    const d = decide({ actualisatie: { gemeente: false, uwv: false } }, address, partners, 1, who);
    expect(d.status).toBe('geen-actueel-belang');
    expect(d.zelfstandig).toBeUndefined();
  });

  it('counts another partner with an interest towards joint handling', () => {
    const d = decide(
      {
        ...joint,
        actualisatie: { gemeente: true, uwv: false },
        belanghebbenden: ['politie'],
        grootsteBelang: ['gemeente', 'politie'],
      },
      address,
      partners,
      1,
      who,
    );
    expect(d).toMatchObject({ status: 'gezamenlijk', actueel: ['gemeente', 'politie'] });
  });

  it('refuses an intervention for an address that is not handled jointly', () => {
    expect(() =>
      decide(
        { actualisatie: { gemeente: true, uwv: false }, interventie: 'huisbezoek' },
        address,
        partners,
        1,
        who,
      ),
    ).toThrow(/stap 3/);
  });

  it('requires actualisatie for every supplying partner and only for them', () => {
    expect(() => decide({ ...joint, actualisatie: { gemeente: true } }, address, partners, 1, who)).toThrow(
      /actualisatie ontbreekt voor uwv/,
    );
    expect(() =>
      decide(
        { ...joint, actualisatie: { gemeente: true, uwv: true, politie: true } },
        address,
        partners,
        1,
        who,
      ),
    ).toThrow(/politie leverde niet aan/);
    expect(() => decide({ ...joint, belanghebbenden: ['onbekend'] }, address, partners, 1, who)).toThrow(
      /geen ketenpartner/,
    );
  });

  it('requires the partners with the largest interest to have a current interest', () => {
    expect(() =>
      decide({ ...joint, grootsteBelang: ['gemeente', 'politie'] }, address, partners, 1, who),
    ).toThrow(/politie heeft geen actueel belang/);
    expect(() => decide({ ...joint, grootsteBelang: ['gemeente'] }, address, partners, 1, who)).toThrow(
      /minstens twee/,
    );
  });
});

describe('outcomes and status', () => {
  const d1 = decide(joint, address, partners, 1, who);
  it('records an outcome only for a partner that takes the address up', () => {
    expect(recordOutcome(d1, 'uwv', ['terugvordering'], 1, who).resultaten).toEqual(['terugvordering']);
    expect(() => recordOutcome(d1, 'politie', ['boete'], 1, who)).toThrow(CasustafelError);
    expect(() => recordOutcome(d1, 'uwv', ['onbekend'], 1, who)).toThrow(/Onbekende uitkomst/);
    expect(() => recordOutcome(undefined, 'uwv', ['boete'], 1, who)).toThrow(/nog geen beslissing/);
  });

  it('derives the status from the latest version and the outcomes', () => {
    const rec = { selections: [], decisions: [d1], outcomes: [] };
    expect(statusOf({ ...rec, decisions: [] }, 1, true)).toBe('te-bespreken');
    expect(statusOf(rec, 1, true)).toBe('gezamenlijk');
    const o1 = recordOutcome(d1, 'gemeente', ['overtreding'], 1, who);
    const o2 = recordOutcome(d1, 'uwv', ['geen-bevinding'], 1, who);
    expect(statusOf({ ...rec, outcomes: [o1, o2] }, 1, true)).toBe('afgerond');
    const v2 = decide({ actualisatie: { gemeente: true, uwv: false } }, address, partners, 2, who);
    expect(statusOf({ ...rec, decisions: [d1, v2] }, 1, true)).toBe('individueel');
    expect(statusOf(rec, 1, false)).toBe('ingetrokken');
  });

  it('marks an address discussed in an earlier round', () => {
    const rec = { selections: [], decisions: [d1], outcomes: [] };
    expect(discussedBefore(rec, 2)).toEqual([{ round: 1, status: 'gezamenlijk' }]);
    expect(discussedBefore(rec, 1)).toEqual([]);
  });

  it('requires a reason of at least 10 characters', () => {
    expect(() => checkReason(undefined, 'Toevoegen')).toThrow(/reden is verplicht/);
    expect(() => checkReason('   kort   ', 'Toevoegen')).toThrow(/reden is verplicht/);
    expect(checkReason('  Voldoende lange reden  ', 'Toevoegen')).toBe('Voldoende lange reden');
  });
});

describe('staged minimisation', () => {
  const sig = (partner: string) => ({ partner, risico: 'r', file: 'f.csv', line: 2 });
  const addr = (key: string, ps: string[]) => ({
    key,
    postcode: key.slice(0, 6),
    huisnummer: 1,
    suffix: '',
    partners: ps,
    multiInterest: ps.length >= 2,
    signals: ps.map(sig),
  });
  const overview: Overview = {
    projectId: 'x',
    generatedAt: 'now',
    minPartners: 2,
    totals: { rows: 6, accepted: 6, rejected: 0, addresses: 4, multiInterest: 1 },
    partners: [{ id: 'gemeente' }, { id: 'uwv' }],
    addresses: [
      addr('3071AB-1', ['gemeente', 'uwv']),
      addr('3071AB-2', ['gemeente']),
      addr('3071AB-3', ['uwv']),
      addr('3071AB-4', ['uwv']),
    ],
  };

  it('keeps multi-interest and judgement addresses, and the totals', () => {
    const m = minimiseOverview(overview, new Set(['3071AB-3']), 't');
    expect(m.overview.addresses.map((a) => a.key)).toEqual(['3071AB-1', '3071AB-3']);
    expect(m).toMatchObject({ kept: 2, purged: 2 });
    expect(m.overview.totals).toEqual(overview.totals);
    expect(m.overview.minimised).toEqual({ at: 't', kept: 2, purged: 2 });
  });

  it('counts addresses per partner and the overlap before purging', () => {
    const c = overviewCounts(overview, ['uwv', 'gemeente']);
    expect(c.partners).toEqual(['gemeente', 'uwv']);
    expect(c.overlap).toEqual([
      [2, 1],
      [1, 3],
    ]);
    expect(c.byPartnerCount).toEqual({ '1': 3, '2': 1 });
  });
});
