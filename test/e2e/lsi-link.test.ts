/**
 * End to end: the built `lsi link` command on a fixture with three partners in three encodings and
 * delimiters (Windows-1252 `;` CRLF, UTF-8 with BOM `,`, UTF-8 TAB in a folder of two files).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeOverview } from '../../lambdas/core/outputs.ts';
import { parseProjectText } from '../../lambdas/core/project.ts';
import { runLink } from '../../lambdas/core/run.ts';
import { collect, memInput } from '../support/inputs.ts';

const FIXTURE = 'test/fixtures/link';
const temp = mkdtempSync(join(tmpdir(), 'lsi-link-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function lsi(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/lsi.js', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The arguments of `lsi link` on a copied fixture folder. */
function linkIn(dir: string, out = join(dir, 'out')): string[] {
  return ['link', '--project', join(dir, 'project.json'), '--signals', join(dir, 'signals'), '--out', out];
}

function json(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

describe('lsi link (built command)', () => {
  const out = join(temp, 'out');
  const run = lsi(
    'link',
    '--project',
    `${FIXTURE}/project.json`,
    '--signals',
    `${FIXTURE}/signals`,
    '--out',
    out,
  );

  it('exits 0 and prints a one-screen summary', () => {
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('gemeente                   6             4          2');
    expect(run.stdout).toContain('totaal                    11             8          3');
    expect(run.stdout).toContain('adressen: 4; meervoudig belang (≥ 2 ketenpartners): 2');
    expect(run.stderr).toContain('gemeente.csv — 6 regels, 4 geaccepteerd, 2 afgewezen (Windows-1252, ;)');
  });

  it('writes overview.json with every address, its partners and signals, in key order', () => {
    const o = json(join(out, 'overview.json'));
    expect(o).toMatchObject({ generatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect({ ...(o as object), generatedAt: 'x' }).toEqual({
      projectId: 'fixture-link',
      generatedAt: 'x',
      minPartners: 2,
      totals: { rows: 11, accepted: 8, rejected: 3, addresses: 4, multiInterest: 2 },
      partners: [
        { id: 'gemeente', rows: 6, accepted: 4, rejected: 2 },
        { id: 'politie', rows: 2, accepted: 2, rejected: 0 },
        { id: 'uwv', rows: 3, accepted: 2, rejected: 1 },
      ],
      addresses: [
        {
          key: '3071AB-12',
          postcode: '3071AB',
          huisnummer: 12,
          suffix: '',
          partners: ['gemeente'],
          multiInterest: false,
          signals: [{ partner: 'gemeente', risico: 'Onderhuur', file: 'gemeente.csv', line: 3 }],
        },
        {
          key: '3071AB-12-A',
          postcode: '3071AB',
          huisnummer: 12,
          suffix: 'A',
          partners: ['gemeente', 'politie', 'uwv'],
          multiInterest: true,
          signals: [
            {
              partner: 'gemeente',
              risico: 'Overbewoning',
              omschrijving: 'Meer dan 6 personen; 2 gezinnen',
              file: 'gemeente.csv',
              line: 2,
            },
            {
              partner: 'politie',
              risico: 'Bedreiging "ernstig"\nbij eerder bezoek',
              file: 'politie/2026-01.csv',
              line: 2,
            },
            {
              partner: 'uwv',
              risico: 'Uitkering met samenwoner',
              referentie: 'UWV-2026-001',
              datum: '2026-01-05',
              file: 'uwv.csv',
              line: 2,
            },
          ],
        },
        {
          key: '3072CD-5',
          postcode: '3072CD',
          huisnummer: 5,
          suffix: '',
          partners: ['gemeente', 'uwv'],
          multiInterest: true,
          signals: [
            {
              partner: 'gemeente',
              risico: '=HYPERLINK("x")',
              omschrijving: 'Formule in risico',
              file: 'gemeente.csv',
              line: 4,
            },
            { partner: 'gemeente', risico: 'Café boven winkel', file: 'gemeente.csv', line: 8 },
            {
              partner: 'uwv',
              risico: 'Inschrijving zonder bewoning, al 2 jaar',
              referentie: 'UWV-2026-002',
              datum: '2026-01-06',
              file: 'uwv.csv',
              line: 3,
            },
          ],
        },
        {
          key: '3074GH-100-BIS',
          postcode: '3074GH',
          huisnummer: 100,
          suffix: 'BIS',
          partners: ['politie'],
          multiInterest: false,
          signals: [{ partner: 'politie', risico: 'Hennepteelt', file: 'politie/2026-02.csv', line: 2 }],
        },
      ],
    });
  });

  it('writes casustafel.csv for Dutch Excel: BOM, semicolons, CRLF, only multiple interest', () => {
    const bytes = readFileSync(join(out, 'casustafel.csv'));
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8')).toBe(
      'adres;postcode;huisnummer;toevoeging;ketenpartners;aantal ketenpartners;risico’s\r\n' +
        '3071AB-12-A;3071AB;12;A;gemeente, politie, uwv;3;"gemeente: Overbewoning | politie: Bedreiging ""ernstig""\nbij eerder bezoek | uwv: Uitkering met samenwoner"\r\n' +
        '3072CD-5;3072CD;5;;gemeente, uwv;2;"gemeente: =HYPERLINK(""x""), Café boven winkel | uwv: Inschrijving zonder bewoning, al 2 jaar"\r\n',
    );
  });

  it('writes one report per partner about its own rows only, with reasons and ignored columns', () => {
    expect(json(join(out, 'partner-reports', 'gemeente.json'))).toEqual({
      partner: 'gemeente',
      encodings: ['Windows-1252'],
      files: [
        {
          name: 'gemeente.csv',
          encoding: 'Windows-1252',
          delimiter: ';',
          rows: 6,
          accepted: 4,
          rejected: 2,
          ignoredColumns: ['BSN'],
        },
      ],
      rows: 6,
      accepted: 4,
      rejected: 2,
      errors: [
        {
          file: 'gemeente.csv',
          line: 5,
          code: 'OUT_OF_AREA',
          field: 'postcode',
          message: expect.stringContaining('projectgebied'),
        },
        {
          file: 'gemeente.csv',
          line: 7,
          code: 'HUISNUMMER_INVALID',
          field: 'huisnummer',
          message: expect.stringContaining('1 tot en met 99999'),
        },
      ],
    });
    expect(json(join(out, 'partner-reports', 'uwv.json'))).toMatchObject({
      encodings: ['UTF-8 met BOM'],
      rows: 3,
      accepted: 2,
      rejected: 1,
      errors: [{ file: 'uwv.csv', line: 4, code: 'RISICO_MISSING', field: 'risico' }],
    });
    expect(json(join(out, 'partner-reports', 'politie.json'))).toMatchObject({
      encodings: ['UTF-8'],
      files: [{ name: 'politie/2026-01.csv' }, { name: 'politie/2026-02.csv' }],
      rows: 2,
      errors: [],
    });
    for (const p of ['gemeente', 'politie', 'uwv']) {
      const text = readFileSync(join(out, 'partner-reports', `${p}.json`), 'utf8');
      for (const other of ['gemeente', 'politie', 'uwv'].filter((x) => x !== p))
        expect(text).not.toContain(other);
    }
  });

  it('keeps the ignored BSN column out of every output', () => {
    for (const f of ['overview.json', 'casustafel.csv', 'partner-reports/gemeente.json']) {
      const text = readFileSync(join(out, f), 'utf8');
      expect(text).not.toContain('111222333');
      expect(text).not.toContain('444555666');
    }
  });
});

describe('lsi link on a large delivery', () => {
  it('writes exactly the bytes of the in-memory writer when the overview spans many chunks', async () => {
    const dir = join(temp, 'large');
    mkdirSync(join(dir, 'signals'), { recursive: true });
    const project = readFileSync(`${FIXTURE}/project.json`, 'utf8');
    writeFileSync(join(dir, 'project.json'), project);
    for (const [p, offset] of [
      ['gemeente', 0],
      ['uwv', 7],
      ['politie', 13],
    ] as const) {
      const lines = ['postcode;huisnummer;risico;referentie'];
      for (let i = 0; i < 60_000; i++) {
        const n = (i * 7 + offset) % 90_000;
        lines.push(
          `30${71 + (n % 19)}${String.fromCharCode(65 + (n % 26))}${String.fromCharCode(66 + (n % 17))};${1 + (n % 997)};Risico ${n % 13};REF-${p}-${i}`,
        );
      }
      writeFileSync(join(dir, 'signals', `${p}.csv`), `${lines.join('\n')}\n`);
    }
    const out = join(dir, 'out');
    const r = lsi(
      'link',
      '--project',
      join(dir, 'project.json'),
      '--signals',
      join(dir, 'signals'),
      '--out',
      out,
      '--quiet',
    );
    expect(r.code).toBe(0);
    const written = readFileSync(join(out, 'overview.json'), 'utf8');
    expect(written.length).toBeGreaterThan(5 * (1 << 22));
    const inputs = new Map(
      ['gemeente', 'politie', 'uwv'].map((p) => [
        p,
        [memInput(`${p}.csv`, readFileSync(join(dir, 'signals', `${p}.csv`)))],
      ]),
    );
    const run = await runLink({ project: parseProjectText(project), inputs });
    const generatedAt = /"generatedAt": "([^"]+)"/.exec(written)?.[1] ?? '';
    const expected = await collect((sink) =>
      writeOverview(run.linkage, { projectId: 'fixture-link', generatedAt, partners: run.partners }, sink),
    );
    expect(written === expected).toBe(true);
  });
});

describe('lsi link errors', () => {
  function copyFixture(name: string): string {
    const dir = join(temp, name);
    cpSync(FIXTURE, dir, { recursive: true });
    return dir;
  }

  it('fails naming the partner without files, and links the rest with --allow-missing', () => {
    const dir = copyFixture('missing');
    rmSync(join(dir, 'signals', 'uwv.csv'));
    const out = join(dir, 'out');
    const r = lsi(...linkIn(dir, out));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Geen signalen gevonden van: uwv');
    expect(existsSync(out)).toBe(false);
    const ok = lsi(...linkIn(dir, out), '--allow-missing');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/uwv\s+ontbreekt/);
    const o = json(join(out, 'overview.json'));
    expect(o).toMatchObject({
      partners: [{ id: 'gemeente' }, { id: 'politie' }, { id: 'uwv', rows: 0, missing: true }],
    });
  });

  it('fails naming a file or folder of a partner that is not in the project', () => {
    const dir = copyFixture('unknown');
    writeFileSync(join(dir, 'signals', 'svb.csv'), 'postcode;huisnummer;risico\n');
    const r = lsi(...linkIn(dir));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bestand "svb.csv" hoort bij geen ketenpartner van dit project');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('fails on an invalid project file, naming the field, and writes nothing', () => {
    const dir = copyFixture('invalid');
    const project = JSON.parse(readFileSync(join(dir, 'project.json'), 'utf8'));
    writeFileSync(
      join(dir, 'project.json'),
      JSON.stringify({ ...project, selection: { minPartners: 1 }, colour: 'x' }),
    );
    const r = lsi(...linkIn(dir));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('selection.minPartners');
    expect(r.stderr).toContain('colour: onbekend veld');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('explains itself with --help and rejects unknown options', () => {
    const help = lsi('link', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--allow-missing');
    const bad = lsi('link', '--projct', 'x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('lsi link --help');
  });
});
