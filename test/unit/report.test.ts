import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decide, recordOutcome } from '../../lambdas/core/casustafel.ts';
import { count, type ReportInput, reportFigures, reportHtml } from '../../lambdas/core/report.ts';

function sampleInput(): ReportInput {
  const who = { door: 'pl', op: '2027-03-01T10:00:00.000Z' };
  const partners = ['gemeente', 'uwv', 'politie'];
  const reasons = {
    politie: { nodig: true, waarom: 'Eerder agressie gemeld.' },
    interventie: 'huisbezoek',
    proportionaliteit: 'Passend bij het risico en de signalen.',
    subsidiariteit: 'Lichtere middelen hielpen eerder niet.',
    lichtereMiddelen: 'Brief en uitnodiging overwogen.',
  };
  const keys = Array.from({ length: 7 }, (_, i) => `30${71 + i}AB-${i + 1}`);
  const decisions = keys.map((key) =>
    decide(
      { actualisatie: { gemeente: true, uwv: true }, grootsteBelang: ['gemeente', 'uwv'], ...reasons },
      { key, round: 1, supplying: ['gemeente', 'uwv'] },
      partners,
      1,
      who,
    ),
  );
  const outcomes = decisions.flatMap((d, i) => [
    recordOutcome(d, 'gemeente', [i < 6 ? 'overtreding' : 'geen-bevinding'], 1, who),
    recordOutcome(d, 'uwv', ['terugvordering'], 1, who),
  ]);
  return {
    project: {
      projectId: 'rapport-test',
      name: 'LSI Rapport & Test',
      subject: 'Onrechtmatige bewoning',
      partners: partners.map((id) => ({ id, name: id.toUpperCase() })),
    },
    generatedAt: '2027-06-01T12:00:00.000Z',
    rounds: [1, 2].map((round) => ({
      round,
      executionName: `x-${round}`,
      reason: 'alle partners compleet',
      linkedAt: `2027-0${round + 1}-01T10:00:00.000Z`,
      minPartners: 2,
      missing: [],
      totals: {
        rows: 120 * round,
        accepted: 110 * round,
        rejected: 10 * round,
        addresses: 90,
        multiInterest: round === 1 ? 8 : 3,
      },
      partners: [
        { id: 'gemeente', rows: 60, accepted: 55, rejected: 5 },
        { id: 'uwv', rows: 40, accepted: 37, rejected: 3 },
        { id: 'politie', rows: 20, accepted: 18, rejected: 2 },
      ],
    })),
    roundCounts: new Map([
      [
        1,
        {
          partners: ['gemeente', 'politie', 'uwv'],
          addressesPerPartner: { gemeente: 50, politie: 15, uwv: 33 },
          overlap: [
            [50, 3, 8],
            [3, 15, 2],
            [8, 2, 33],
          ],
          byPartnerCount: { '1': 80, '2': 8, '3': 2 },
        },
      ],
    ]),
    selected: keys.map((key) => ({ round: 1, key, partners: ['gemeente', 'uwv'], judgement: false })),
    records: { selections: [], decisions, outcomes },
  };
}

describe('reportFigures', () => {
  it('shows every count below 5 as "<5", and larger counts as numbers', () => {
    expect([0, 1, 4, 5, 12].map(count)).toEqual(['<5', '<5', '<5', 5, 12]);
    const f = reportFigures(sampleInput());
    expect(f.totalen).toMatchObject({
      rondes: 2,
      signalen: 360,
      besproken: 7,
      gezamenlijk: 7,
      individueel: '<5',
      afgerond: 7,
    });
    expect(f.overlap.matrix).toEqual([
      [50, '<5', 8],
      ['<5', 15, '<5'],
      [8, '<5', 33],
    ]);
    expect(f.interventies.find((i) => i.code === 'huisbezoek')?.aantal).toBe(7);
    expect(f.uitkomsten.find((o) => o.code === 'overtreding')?.aantal).toBe(6);
    expect(f.uitkomsten.find((o) => o.code === 'geen-bevinding')?.aantal).toBe('<5');
    expect(f.trefkans).toEqual({ metUitkomst: 7, metBevinding: 7, percentage: 100 });
    expect(f.rondes.map((r) => [r.ronde, r.meervoudigBelang])).toEqual([
      [1, 8],
      [2, '<5'],
    ]);
  });

  it('shows the rejection reasons per partner, small counts as "<5"', () => {
    const input = {
      ...sampleInput(),
      rejections: new Map([['gemeente', { POSTCODE_INVALID: 7, RISICO_MISSING: 3 }]]),
    };
    const f = reportFigures(input);
    expect(f.partners.find((p) => p.id === 'gemeente')?.afwijzingsredenen).toEqual({
      POSTCODE_INVALID: 7,
      RISICO_MISSING: '<5',
    });
    expect(f.partners.find((p) => p.id === 'uwv')?.afwijzingsredenen).toBeNull();
    expect(reportHtml(f)).toContain('POSTCODE_INVALID');
  });

  it('holds no address key', () => {
    const input = sampleInput();
    const text = JSON.stringify(reportFigures(input)) + reportHtml(reportFigures(input));
    for (const s of input.selected) expect(text).not.toContain(s.key);
  });
});

describe('reportHtml', () => {
  it('is one self-contained Dutch page with inline charts', () => {
    const html = reportHtml(reportFigures(sampleInput()));
    expect(html).toMatch(/^<!doctype html>\n<html lang="nl">/);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<(script|link|img|iframe)\b/i);
    expect(html).not.toMatch(/(src|href)=|url\(|@import/i);
    expect(html.match(/<svg /g)?.length).toBe(6);
    expect(html).toContain('LSI Rapport &#38; Test');
    expect(html).toContain('Overlap tussen ketenpartners');
  });
});

const CHROMIUM = '/usr/bin/chromium';

/**
 * Renders the sample report in Debian's headless Chromium (nothing downloaded, no network) with the
 * given extra flags, in a fresh profile, returning what it prints; fails, never skips, when Chromium is missing.
 */
function inChromium(flags: (dir: string) => string[]): { out: string; dir: string } {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} ontbreekt: deze test rendert het rapport in Debian's chromium. Installeer met: apt-get install -y --no-install-recommends chromium`,
    );
  const dir = mkdtempSync(join(tmpdir(), 'lsi-report-'));
  const file = join(dir, 'evaluatie.html');
  writeFileSync(file, reportHtml(reportFigures(sampleInput())));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-dev-shm-usage',
    `--user-data-dir=${join(dir, 'profile')}`,
    ...flags(dir),
    `file://${file}`,
  ];
  const out = execFileSync(CHROMIUM, args, {
    encoding: 'utf8',
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return { out, dir };
}

describe('the report in headless Chromium', () => {
  it('renders the charts and the figures offline', () => {
    const { out: dom, dir } = inChromium(() => ['--dump-dom']);
    try {
      // The browser parsed the page: six charts, each an SVG with drawn bars, cells or points.
      const figures = [...dom.matchAll(/<figure data-figuur="([a-z]+)">/g)].map((m) => m[1]);
      expect(figures).toEqual(['signalen', 'overlap', 'trechter', 'interventies', 'uitkomsten', 'rondes']);
      expect(dom.match(/<svg /g)?.length).toBe(6);
      expect(dom.match(/class="staaf/g)?.length).toBeGreaterThan(20);
      expect(dom.match(/class="cel"/g)?.length).toBe(9);
      expect(dom.match(/class="punt"/g)?.length).toBe(6);
      // Figures, with the Dutch labels and the suppression of small counts.
      expect(dom).toContain('<h1>Evaluatie LSI Rapport &amp; Test</h1>');
      expect(dom).toContain('Signalen per ketenpartner');
      expect(dom).toContain('Trefkans');
      expect(dom).toMatch(/<b>360<\/b><span>signalen aangeleverd<\/span>/);
      expect(dom).toContain('&lt;5');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes a screenshot of the whole page (the charts render without network)', () => {
    const { dir } = inChromium((d) => ['--window-size=1000,3000', `--screenshot=${join(d, 'rapport.png')}`]);
    try {
      expect(existsSync(join(dir, 'rapport.png'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
