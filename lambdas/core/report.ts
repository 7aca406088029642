/**
 * The evaluation report of the closing phase: figures from the round summaries, the counts kept at
 * each round's close, and the case-table records — never an address, a key or signal text. Every
 * count below 5 is shown as "<5" (in the JSON as the string "<5"), so no small group stands out.
 *
 * `reportFigures` computes the figures; `reportHtml` renders them as one self-contained HTML page
 * (inline CSS and inline SVG charts, Dutch labels, no external resources, opens offline).
 */
import {
  type AddressRecords,
  INTERVENTIONS,
  latest,
  latestOutcomes,
  OUTCOMES,
  type RoundCounts,
  recordsFor,
} from './casustafel.ts';
import type { RoundSummary } from './results.ts';

export const SMALL = 5;
export type Count = number | '<5';

/** A count as published: below 5 becomes "<5". */
export function count(n: number): Count {
  return n < SMALL ? '<5' : n;
}

export interface ReportInput {
  readonly project: {
    readonly projectId: string;
    readonly name: string;
    readonly subject: string;
    readonly partners: readonly { readonly id: string; readonly name: string }[];
  };
  readonly generatedAt: string;
  readonly rounds: readonly RoundSummary[];
  /** Per round: the counts of the full overview (kept at close, or computed before it). */
  readonly roundCounts: ReadonlyMap<number, RoundCounts>;
  /** The case-table list of each round: which partners, and whether added by judgement. */
  readonly selected: readonly {
    readonly round: number;
    readonly key: string;
    readonly partners: readonly string[];
    readonly judgement: boolean;
  }[];
  readonly records: AddressRecords;
  /** Rejection reasons per partner (code → rows), where the delivery status records them. */
  readonly rejections?: ReadonlyMap<string, Readonly<Record<string, number>>>;
}

export interface RoundFigures {
  ronde: number;
  gekoppeldOp: string;
  signalen: Count;
  geaccepteerd: Count;
  afgewezen: Count;
  adressen: Count;
  meervoudigBelang: Count;
  toegevoegd: Count;
  geselecteerd: Count;
  besproken: Count;
  gezamenlijk: Count;
}

export interface PartnerFigures {
  id: string;
  naam: string;
  signalen: Count;
  geaccepteerd: Count;
  afgewezen: Count;
  afwijzingsredenen: Record<string, Count> | null;
  adressen: Count;
  geselecteerd: Count;
  besproken: Count;
  gezamenlijkOpgepakt: Count;
  uitkomsten: Record<string, Count>;
}

export interface ReportFigures {
  project: { projectId: string; naam: string; onderwerp: string };
  gemaaktOp: string;
  onderdrukking: string;
  totalen: {
    rondes: number;
    signalen: Count;
    geaccepteerd: Count;
    afgewezen: Count;
    adressen: Count;
    meervoudigBelang: Count;
    toegevoegdDoorProjectleiding: Count;
    geselecteerd: Count;
    besproken: Count;
    gezamenlijk: Count;
    individueel: Count;
    geenActueelBelang: Count;
    politiebijstand: Count;
    afgerond: Count;
  };
  rondes: RoundFigures[];
  partners: PartnerFigures[];
  overlap: { partners: string[]; matrix: Count[][] };
  interventies: { code: string; label: string; aantal: Count }[];
  uitkomsten: { code: string; label: string; aantal: Count }[];
  trefkans: { metUitkomst: Count; metBevinding: Count; percentage: number | null };
}

const dayOf = (iso: string) => iso.slice(0, 10);

/** The figures of the evaluation report. */
export function reportFigures(input: ReportInput): ReportFigures {
  const partnerIds = input.project.partners.map((p) => p.id).sort();
  const rounds = [...input.rounds].sort((a, b) => a.round - b.round);
  const r = input.records;

  // per (round, key): the latest decision and outcomes
  const pairs = new Map<string, { round: number; key: string }>();
  for (const s of input.selected) pairs.set(`${s.round}|${s.key}`, { round: s.round, key: s.key });
  for (const d of r.decisions) pairs.set(`${d.round}|${d.key}`, { round: d.round, key: d.key });
  const decided = [...pairs.values()].flatMap(({ round, key }) => {
    const rec = recordsFor(r, key);
    const d = latest(rec.decisions.filter((x) => x.round === round));
    return d ? [{ round, key, d, outcomes: latestOutcomes(rec, round) }] : [];
  });
  const joint = decided.filter((x) => x.d.status === 'gezamenlijk');

  const sum = (f: (s: RoundSummary) => number) => rounds.reduce((n, s) => n + f(s), 0);
  const distinct = (xs: readonly { key: string }[]) => new Set(xs.map((x) => x.key)).size;

  const interventionCount = new Map<string, number>();
  for (const j of joint)
    if (j.d.interventie)
      interventionCount.set(j.d.interventie, (interventionCount.get(j.d.interventie) ?? 0) + 1);
  const outcomeCount = new Map<string, number>();
  const outcomeByPartner = new Map<string, Map<string, number>>();
  let withOutcome = 0;
  let hits = 0;
  let finished = 0;
  for (const j of joint) {
    const os = [...j.outcomes.values()];
    if (os.length > 0) withOutcome++;
    if (os.some((o) => o.resultaten.some((c) => c !== 'geen-bevinding'))) hits++;
    if (j.d.grootsteBelang.every((p) => j.outcomes.has(p))) finished++;
    for (const o of os)
      for (const c of o.resultaten) {
        outcomeCount.set(c, (outcomeCount.get(c) ?? 0) + 1);
        const m = outcomeByPartner.get(o.partner) ?? new Map<string, number>();
        m.set(c, (m.get(c) ?? 0) + 1);
        outcomeByPartner.set(o.partner, m);
      }
  }

  const matrix = partnerIds.map(() => partnerIds.map(() => 0));
  const addressesPerPartner = new Map<string, number>();
  for (const [, c] of input.roundCounts) {
    for (const [p, n] of Object.entries(c.addressesPerPartner))
      addressesPerPartner.set(p, (addressesPerPartner.get(p) ?? 0) + n);
    c.partners.forEach((p, i) => {
      const pi = partnerIds.indexOf(p);
      if (pi < 0) return;
      c.partners.forEach((q, j) => {
        const qj = partnerIds.indexOf(q);
        const row = matrix[pi];
        if (qj >= 0 && row) row[qj] = (row[qj] ?? 0) + (c.overlap[i]?.[j] ?? 0);
      });
    });
  }

  const partners: PartnerFigures[] = partnerIds.map((id) => {
    const name = input.project.partners.find((p) => p.id === id)?.name ?? id;
    const of = (s: RoundSummary) => s.partners.find((p) => p.id === id);
    const reasons = input.rejections?.get(id);
    return {
      id,
      naam: name,
      signalen: count(sum((s) => of(s)?.rows ?? 0)),
      geaccepteerd: count(sum((s) => of(s)?.accepted ?? 0)),
      afgewezen: count(sum((s) => of(s)?.rejected ?? 0)),
      afwijzingsredenen: reasons
        ? Object.fromEntries(Object.entries(reasons).map(([code, n]) => [code, count(n)]))
        : null,
      adressen: count(addressesPerPartner.get(id) ?? 0),
      geselecteerd: count(input.selected.filter((s) => s.partners.includes(id)).length),
      besproken: count(
        decided.filter((x) =>
          input.selected.find((s) => s.key === x.key && s.round === x.round)?.partners.includes(id),
        ).length,
      ),
      gezamenlijkOpgepakt: count(joint.filter((j) => j.d.grootsteBelang.includes(id)).length),
      uitkomsten: Object.fromEntries(
        OUTCOMES.map((o) => [o.code, count(outcomeByPartner.get(id)?.get(o.code) ?? 0)]),
      ),
    };
  });

  const rondes: RoundFigures[] = rounds.map((s) => {
    const sel = input.selected.filter((x) => x.round === s.round);
    const dec = decided.filter((x) => x.round === s.round);
    return {
      ronde: s.round,
      gekoppeldOp: dayOf(s.linkedAt),
      signalen: count(s.totals.rows),
      geaccepteerd: count(s.totals.accepted),
      afgewezen: count(s.totals.rejected),
      adressen: count(s.totals.addresses),
      meervoudigBelang: count(s.totals.multiInterest),
      toegevoegd: count(sel.filter((x) => x.judgement).length),
      geselecteerd: count(sel.length),
      besproken: count(dec.length),
      gezamenlijk: count(dec.filter((x) => x.d.status === 'gezamenlijk').length),
    };
  });

  return {
    project: {
      projectId: input.project.projectId,
      naam: input.project.name,
      onderwerp: input.project.subject,
    },
    gemaaktOp: input.generatedAt,
    onderdrukking: `Aantallen onder ${SMALL} staan als "<${SMALL}".`,
    totalen: {
      rondes: rounds.length,
      signalen: count(sum((s) => s.totals.rows)),
      geaccepteerd: count(sum((s) => s.totals.accepted)),
      afgewezen: count(sum((s) => s.totals.rejected)),
      adressen: count(sum((s) => s.totals.addresses)),
      meervoudigBelang: count(sum((s) => s.totals.multiInterest)),
      toegevoegdDoorProjectleiding: count(input.selected.filter((s) => s.judgement).length),
      geselecteerd: count(distinct(input.selected)),
      besproken: count(distinct(decided)),
      gezamenlijk: count(distinct(joint)),
      individueel: count(distinct(decided.filter((x) => x.d.status === 'individueel'))),
      geenActueelBelang: count(distinct(decided.filter((x) => x.d.status === 'geen-actueel-belang'))),
      politiebijstand: count(joint.filter((j) => j.d.politie?.nodig === true).length),
      afgerond: count(finished),
    },
    rondes,
    partners,
    overlap: { partners: partnerIds, matrix: matrix.map((row) => row.map(count)) },
    interventies: INTERVENTIONS.map((i) => ({
      code: i.code,
      label: i.label,
      aantal: count(interventionCount.get(i.code) ?? 0),
    })),
    uitkomsten: OUTCOMES.map((o) => ({
      code: o.code,
      label: o.label,
      aantal: count(outcomeCount.get(o.code) ?? 0),
    })),
    trefkans: {
      metUitkomst: count(withOutcome),
      metBevinding: count(hits),
      percentage: withOutcome >= SMALL && hits >= SMALL ? Math.round((hits / withOutcome) * 100) : null,
    },
  };
}

// ---- HTML ----------------------------------------------------------------------------------------

function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const nlNumber = new Intl.NumberFormat('nl-NL');
function show(c: Count): string {
  return c === '<5' ? '&lt;5' : esc(nlNumber.format(c));
}
/** The value a chart draws: a suppressed count is drawn as a fixed short bar, never its real size. */
function drawn(c: Count): number {
  return c === '<5' ? 2.5 : c;
}

const COLORS = ['#1f5fa8', '#c8553d', '#2a9d8f', '#e9c46a', '#6d597a', '#8ab17d', '#b56576', '#457b9d'];

/** A horizontal bar chart; each series a colour. */
function barChart(
  id: string,
  title: string,
  rows: readonly { label: string; values: readonly Count[] }[],
  series: readonly string[],
): string {
  const labelW = 230;
  const barH = 18;
  const gap = 8;
  const chartW = 420;
  const rowH = series.length * barH + gap;
  const max = Math.max(2 * SMALL, ...rows.flatMap((r) => r.values.map(drawn)));
  const legendH = series.length > 1 ? 24 : 0;
  const h = legendH + rows.length * rowH + 10;
  const w = labelW + chartW + 70;
  const parts: string[] = [];
  if (series.length > 1)
    series.forEach((s, i) => {
      parts.push(
        `<rect x="${labelW + i * 140}" y="4" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>` +
          `<text x="${labelW + i * 140 + 16}" y="14" class="legenda">${esc(s)}</text>`,
      );
    });
  rows.forEach((r, ri) => {
    const y0 = legendH + ri * rowH;
    parts.push(
      `<text x="${labelW - 8}" y="${y0 + (series.length * barH) / 2 + 4}" text-anchor="end" class="as">${esc(r.label)}</text>`,
    );
    r.values.forEach((v, si) => {
      const bw = Math.max(1, (drawn(v) / max) * chartW);
      const y = y0 + si * barH;
      parts.push(
        `<rect class="staaf${v === '<5' ? ' klein' : ''}" x="${labelW}" y="${y + 2}" width="${bw.toFixed(1)}" height="${barH - 4}" fill="${COLORS[si % COLORS.length]}"><title>${esc(r.label)}: ${show(v)}</title></rect>` +
          `<text x="${(labelW + bw + 6).toFixed(1)}" y="${y + barH - 5}" class="waarde">${show(v)}</text>`,
      );
    });
  });
  return `<figure data-figuur="${esc(id)}"><figcaption>${esc(title)}</figcaption><svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">${parts.join('')}</svg></figure>`;
}

/** The overlap matrix as a heat map. */
function heatMap(
  id: string,
  title: string,
  ids: readonly string[],
  matrix: readonly (readonly Count[])[],
): string {
  const cell = 64;
  const label = 130;
  const w = label + ids.length * cell + 10;
  const h = label / 2 + ids.length * cell + 10;
  const top = label / 2;
  const max = Math.max(2 * SMALL, ...matrix.flatMap((r) => r.map(drawn)));
  const parts: string[] = [];
  ids.forEach((p, j) => {
    parts.push(
      `<text x="${label + j * cell + cell / 2}" y="${top - 10}" text-anchor="middle" class="as">${esc(p)}</text>`,
    );
  });
  ids.forEach((p, i) => {
    parts.push(
      `<text x="${label - 8}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" class="as">${esc(p)}</text>`,
    );
    ids.forEach((q, j) => {
      const v = matrix[i]?.[j] ?? '<5';
      const a = 0.12 + 0.8 * (drawn(v) / max);
      parts.push(
        `<rect class="cel" x="${label + j * cell}" y="${top + i * cell}" width="${cell - 2}" height="${cell - 2}" fill="rgba(31,95,168,${a.toFixed(2)})"><title>${esc(p)} en ${esc(q)}: ${show(v)}</title></rect>` +
          `<text x="${label + j * cell + cell / 2}" y="${top + i * cell + cell / 2 + 4}" text-anchor="middle" class="celwaarde">${show(v)}</text>`,
      );
    });
  });
  return `<figure data-figuur="${esc(id)}"><figcaption>${esc(title)}</figcaption><svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">${parts.join('')}</svg></figure>`;
}

/** Rounds over time: a line per series. */
function lineChart(
  id: string,
  title: string,
  rounds: readonly number[],
  series: readonly { name: string; values: readonly Count[] }[],
): string {
  const w = 640;
  const h = 260;
  const left = 60;
  const bottom = 40;
  const top = 30;
  const max = Math.max(2 * SMALL, ...series.flatMap((s) => s.values.map(drawn)));
  const x = (i: number) =>
    left + (rounds.length <= 1 ? (w - left - 20) / 2 : (i * (w - left - 30)) / (rounds.length - 1));
  const y = (v: number) => h - bottom - (v / max) * (h - bottom - top);
  const parts: string[] = [
    `<line x1="${left}" y1="${h - bottom}" x2="${w - 10}" y2="${h - bottom}" class="as-lijn"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${h - bottom}" class="as-lijn"/>`,
  ];
  rounds.forEach((r, i) => {
    parts.push(
      `<text x="${x(i)}" y="${h - bottom + 18}" text-anchor="middle" class="as">ronde ${esc(r)}</text>`,
    );
  });
  series.forEach((s, si) => {
    const color = COLORS[si % COLORS.length] ?? '#000';
    parts.push(
      `<rect x="${left + si * 170}" y="6" width="12" height="12" fill="${color}"/><text x="${left + si * 170 + 16}" y="16" class="legenda">${esc(s.name)}</text>`,
    );
    const pts = s.values.map((v, i) => `${x(i).toFixed(1)},${y(drawn(v)).toFixed(1)}`);
    if (pts.length > 1)
      parts.push(
        `<polyline class="lijn" fill="none" stroke="${color}" stroke-width="2.5" points="${pts.join(' ')}"/>`,
      );
    s.values.forEach((v, i) => {
      parts.push(
        `<circle class="punt" cx="${x(i).toFixed(1)}" cy="${y(drawn(v)).toFixed(1)}" r="4" fill="${color}"><title>${esc(s.name)}, ronde ${esc(rounds[i] ?? '')}: ${show(v)}</title></circle>` +
          `<text x="${(x(i) + 6).toFixed(1)}" y="${(y(drawn(v)) - 6).toFixed(1)}" class="waarde">${show(v)}</text>`,
      );
    });
  });
  return `<figure data-figuur="${esc(id)}"><figcaption>${esc(title)}</figcaption><svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">${parts.join('')}</svg></figure>`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><thead><tr>${head.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${c}</th>` : `<td>${c}</td>`)).join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9}
main{max-width:980px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:1.7em;margin:0 0 4px}h2{margin-top:2.2em;border-bottom:2px solid #1f5fa8;padding-bottom:4px;font-size:1.25em}
.sub{color:#555;margin:0 0 12px}.noot{background:#fff7e0;border-left:4px solid #e9c46a;padding:8px 12px;margin:12px 0}
.tegels{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:16px 0}
.tegel{border:1px solid #d8dde3;border-radius:6px;padding:10px 12px}.tegel b{display:block;font-size:1.6em;color:#1f5fa8}
.tegel span{color:#444;font-size:.9em}
table{border-collapse:collapse;margin:12px 0;font-size:.92em}th,td{border:1px solid #d8dde3;padding:4px 8px;text-align:right}
thead th{background:#eef2f7}th[scope=row]{text-align:left;font-weight:600}
figure{margin:16px 0}figcaption{font-weight:600;margin-bottom:6px}
svg text{font-family:inherit;font-size:12px;fill:#1b1b1b}svg .celwaarde{font-weight:600}svg .as-lijn{stroke:#888}
svg .klein{opacity:.55}
@media print{body{background:#fff}main{padding:0}}
`;

/** The figures as one self-contained HTML page. */
/** Dutch labels of the row outcome codes (CONTRACT.md §4). */
const REJECTION_LABELS: Readonly<Record<string, string>> = {
  ROW_MALFORMED: 'regel onleesbaar',
  POSTCODE_INVALID: 'postcode ontbreekt of ongeldig',
  HUISNUMMER_INVALID: 'huisnummer ontbreekt of ongeldig',
  TOEVOEGING_INVALID: 'toevoeging ongeldig',
  RISICO_MISSING: 'risico ontbreekt',
  RISICO_INVALID: 'risico te lang',
  OUT_OF_AREA: 'buiten het projectgebied',
  FIELD_TOO_LONG: 'veld te lang',
  DATUM_INVALID: 'datum ongeldig',
};

export function reportHtml(f: ReportFigures): string {
  const t = f.totalen;
  const tile = (label: string, v: Count | number) =>
    `<div class="tegel"><b>${show(v)}</b><span>${esc(label)}</span></div>`;
  const partnerName = (id: string) => f.partners.find((p) => p.id === id)?.naam ?? id;
  const reasonsRows = f.partners.flatMap((p) =>
    p.afwijzingsredenen
      ? Object.entries(p.afwijzingsredenen).map(([code, n]) => [
          esc(p.naam),
          `${esc(REJECTION_LABELS[code] ?? code)} <small>(${esc(code)})</small>`,
          show(n),
        ])
      : [],
  );
  const sections = [
    `<header><h1>Evaluatie ${esc(f.project.naam)}</h1><p class="sub">Onderwerp: ${esc(f.project.onderwerp)} · project ${esc(f.project.projectId)} · gemaakt op ${esc(f.gemaaktOp.slice(0, 10))}</p>
<p class="noot">Dit rapport bevat geen adressen en geen inhoud van signalen, alleen aantallen. ${esc(f.onderdrukking)}</p></header>`,
    `<section id="kerncijfers"><h2>Kerncijfers</h2><div class="tegels">${[
      tile('rondes', t.rondes),
      tile('signalen aangeleverd', t.signalen),
      tile('signalen geaccepteerd', t.geaccepteerd),
      tile('signalen afgewezen', t.afgewezen),
      tile('adressen (per ronde)', t.adressen),
      tile('met meervoudig belang', t.meervoudigBelang),
      tile('toegevoegd door de projectleiding', t.toegevoegdDoorProjectleiding),
      tile('adressen geselecteerd', t.geselecteerd),
      tile('besproken aan de casustafel', t.besproken),
      tile('gezamenlijk opgepakt', t.gezamenlijk),
      tile('niet gezamenlijk: één partner', t.individueel),
      tile('niet gezamenlijk: geen actueel belang', t.geenActueelBelang),
      tile('met politiebijstand', t.politiebijstand),
      tile('afgerond met uitkomsten', t.afgerond),
    ].join('')}</div></section>`,
    `<section id="signalen"><h2>Signalen per ketenpartner</h2>${barChart(
      'signalen',
      'Signalen per ketenpartner: geaccepteerd en afgewezen',
      f.partners.map((p) => ({ label: p.naam, values: [p.geaccepteerd, p.afgewezen] })),
      ['geaccepteerd', 'afgewezen'],
    )}${table(
      [
        'ketenpartner',
        'signalen',
        'geaccepteerd',
        'afgewezen',
        'adressen',
        'geselecteerd',
        'besproken',
        'gezamenlijk opgepakt',
      ],
      f.partners.map((p) => [
        esc(p.naam),
        show(p.signalen),
        show(p.geaccepteerd),
        show(p.afgewezen),
        show(p.adressen),
        show(p.geselecteerd),
        show(p.besproken),
        show(p.gezamenlijkOpgepakt),
      ]),
    )}${
      reasonsRows.length > 0
        ? `<h3>Redenen van afwijzing</h3>${table(['ketenpartner', 'reden', 'regels'], reasonsRows)}`
        : '<p>Redenen van afwijzing per regel staan in de rapporten van de ketenpartners zelf; de projectleiding ziet alleen de aantallen.</p>'
    }</section>`,
    `<section id="overlap"><h2>Overlap tussen ketenpartners</h2><p>Aantal adressen waarop beide ketenpartners een signaal hadden (de diagonaal: alle adressen van die partner), opgeteld over de rondes.</p>${heatMap(
      'overlap',
      'Overlap tussen ketenpartners',
      f.overlap.partners,
      f.overlap.matrix,
    )}${table(
      ['', ...f.overlap.partners],
      f.overlap.partners.map((p, i) => [esc(partnerName(p)), ...(f.overlap.matrix[i] ?? []).map(show)]),
    )}</section>`,
    `<section id="casustafel"><h2>Van koppeling tot casustafel</h2>${barChart(
      'trechter',
      'Van adressen tot afgeronde casussen',
      [
        { label: 'adressen (per ronde)', values: [t.adressen] },
        { label: 'met meervoudig belang', values: [t.meervoudigBelang] },
        { label: 'toegevoegd door projectleiding', values: [t.toegevoegdDoorProjectleiding] },
        { label: 'besproken', values: [t.besproken] },
        { label: 'gezamenlijk opgepakt', values: [t.gezamenlijk] },
        { label: 'afgerond', values: [t.afgerond] },
      ],
      ['aantal'],
    )}</section>`,
    `<section id="interventies"><h2>Interventies</h2>${barChart(
      'interventies',
      'Gekozen interventies (gezamenlijk opgepakte adressen)',
      f.interventies.map((i) => ({ label: i.label, values: [i.aantal] })),
      ['aantal'],
    )}</section>`,
    `<section id="uitkomsten"><h2>Uitkomsten</h2>${barChart(
      'uitkomsten',
      'Uitkomsten na de interventie',
      f.uitkomsten.map((o) => ({ label: o.label, values: [o.aantal] })),
      ['aantal'],
    )}${table(
      ['ketenpartner', ...OUTCOMES.map((o) => o.label)],
      f.partners.map((p) => [esc(p.naam), ...OUTCOMES.map((o) => show(p.uitkomsten[o.code] ?? '<5'))]),
    )}<h3>Trefkans</h3><p>Gezamenlijk opgepakte adressen met een uitkomst: <b>${show(f.trefkans.metUitkomst)}</b>; daarvan met een bevinding (iets anders dan ‘geen bevinding’): <b>${show(f.trefkans.metBevinding)}</b>; trefkans: <b>${
      f.trefkans.percentage === null ? 'niet getoond (te kleine aantallen)' : `${f.trefkans.percentage}%`
    }</b>.</p></section>`,
    `<section id="rondes"><h2>Rondes in de tijd</h2>${lineChart(
      'rondes',
      'Signalen, meervoudig belang en besproken adressen per ronde',
      f.rondes.map((r) => r.ronde),
      [
        { name: 'signalen geaccepteerd', values: f.rondes.map((r) => r.geaccepteerd) },
        { name: 'meervoudig belang', values: f.rondes.map((r) => r.meervoudigBelang) },
        { name: 'besproken', values: f.rondes.map((r) => r.besproken) },
      ],
    )}${table(
      [
        'ronde',
        'gekoppeld op',
        'signalen',
        'geaccepteerd',
        'afgewezen',
        'adressen',
        'meervoudig belang',
        'toegevoegd',
        'besproken',
        'gezamenlijk',
      ],
      f.rondes.map((r) => [
        esc(r.ronde),
        esc(r.gekoppeldOp),
        show(r.signalen),
        show(r.geaccepteerd),
        show(r.afgewezen),
        show(r.adressen),
        show(r.meervoudigBelang),
        show(r.toegevoegd),
        show(r.besproken),
        show(r.gezamenlijk),
      ]),
    )}</section>`,
  ];
  return `<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Evaluatie ${esc(f.project.naam)}</title><style>${CSS}</style></head>
<body><main>${sections.join('\n')}</main></body></html>
`;
}
