import { describe, expect, it } from 'vitest';
import { type LinkRun, runLink } from '../../lambdas/core/run.ts';
import { DEFAULT_LIMITS, type FileResult, type ReaderLimits } from '../../lambdas/core/signals.ts';
import { cp1252, memInput, testProject } from '../support/inputs.ts';

async function readOne(
  content: string | Uint8Array,
  chunkSize?: number,
  limits?: ReaderLimits,
): Promise<{
  file: FileResult;
  run: LinkRun;
}> {
  const run = await runLink({
    project: testProject(['aa', 'bb']),
    inputs: new Map([['aa', [memInput('aa.csv', content, chunkSize)]]]),
    ...(limits ? { limits } : {}),
  });
  const file = run.files.get('aa')?.[0];
  if (!file) throw new Error('no file result');
  return { file, run };
}

/** Keys of the accepted signals, in store order. */
function keys(run: LinkRun): string[] {
  const l = run.linkage;
  const out: string[] = [];
  for (let k = 0; k < l.addresses; k++) {
    const huis = (l.base[k] ?? 0) % 100000;
    out.push(`${huis}`);
  }
  return out;
}

describe('readSignalFile', () => {
  it('reads a semicolon file from Dutch Excel: Windows-1252, CRLF, a BOM-less header', async () => {
    const { file, run } = await readOne(
      cp1252('Postcode;Huisnummer;Risico\r\n3071AB;12;Café boven winkel\r\n'),
    );
    expect(file).toMatchObject({
      encoding: 'Windows-1252',
      delimiter: ';',
      rows: 1,
      accepted: 1,
      rejected: 0,
    });
    const st = run.linkage.store;
    expect(new TextDecoder().decode(st.risks.get(st.risk[0] ?? 0))).toBe('Café boven winkel');
  });

  it('reads UTF-8 with a BOM and a comma delimiter', async () => {
    const { file } = await readOne('\ufeffpc,huisnr,signaal\n3071AB,12,Woonfraude\n');
    expect(file).toMatchObject({ encoding: 'UTF-8 met BOM', delimiter: ',', accepted: 1 });
  });

  it('detects TAB as delimiter', async () => {
    const { file } = await readOne('postcode\thuisnummer\trisico\n3071AB\t12\tx\n');
    expect(file).toMatchObject({ encoding: 'UTF-8', delimiter: 'TAB', accepted: 1 });
  });

  it('falls back to Windows-1252 even when the first non-UTF-8 byte comes late', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `3071AB;${i + 1};Risico`).join('\n');
    const bytes = cp1252(`postcode;huisnummer;risico\n${rows}\n3071AB;9999;Rïsico\n`);
    const { file, run } = await readOne(bytes, 1000);
    expect(file).toMatchObject({ encoding: 'Windows-1252', rows: 5001, accepted: 5001 });
    expect(run.linkage.store.size).toBe(5001);
  });

  it('keeps quoted delimiters, doubled quotes and line breaks, and reports the physical line', async () => {
    const text =
      'postcode;huisnummer;risico;omschrijving\n' +
      '3071AB;1;"Fraude; zwaar";"Zei ""hallo""\nop twee regels"\n' +
      '3071AB;0;x;\n';
    const { file, run } = await readOne(text, 7);
    expect(file.accepted).toBe(1);
    expect(file.errors).toEqual([
      expect.objectContaining({ line: 4, code: 'HUISNUMMER_INVALID', field: 'huisnummer' }),
    ]);
    const st = run.linkage.store;
    expect(new TextDecoder().decode(st.risks.get(st.risk[0] ?? 0))).toBe('Fraude; zwaar');
    expect(new TextDecoder().decode(st.descriptions.get(st.oms[0] ?? 0))).toBe('Zei "hallo"\nop twee regels');
  });

  it('matches header aliases case-insensitively, ignoring spaces, _ and -', async () => {
    const { file } = await readOne(
      ' PC6 ;Huis_Nr; Huisnummer-toevoeging ;RISICO TYPE;Kenmerk;Signaal-datum\n3071AB;12;a;x;K1;01-02-2026\n',
    );
    expect(file).toMatchObject({ accepted: 1, ignoredColumns: [] });
  });

  it('never keeps a column outside the contract, and lists it by name', async () => {
    const { file, run } = await readOne(
      'postcode;huisnummer;risico;BSN;Naam bewoner\n3071AB;12;x;123456782;J. Jansen\n',
    );
    expect(file.ignoredColumns).toEqual(['BSN', 'Naam bewoner']);
    const st = run.linkage.store;
    const kept = [st.risks.bytes.subarray(0, 100), st.descriptions.bytes.subarray(0, 100)].map((b) =>
      new TextDecoder().decode(b),
    );
    expect(kept.join('')).not.toContain('123456782');
    expect(kept.join('')).not.toContain('Jansen');
  });

  it('skips rows whose cells are all empty and does not count them', async () => {
    const { file } = await readOne('postcode;huisnummer;risico\n;;\n\n3071AB;12;x\n ; ;\n');
    expect(file).toMatchObject({ rows: 1, accepted: 1, rejected: 0 });
  });

  it('counts a row with only an ignored column filled, and rejects it', async () => {
    const { file } = await readOne('postcode;huisnummer;risico;bsn\n;;;123\n');
    expect(file).toMatchObject({ rows: 1, rejected: 1 });
    expect(file.errors[0]).toMatchObject({ line: 2, code: 'POSTCODE_INVALID' });
  });

  it('rejects rows with more cells than the header as ROW_MALFORMED', async () => {
    const { file } = await readOne('postcode;huisnummer;risico\n3071AB;12;x;extra\n3071AB;13;y\n');
    expect(file).toMatchObject({ rows: 2, accepted: 1, rejected: 1 });
    expect(file.errors[0]).toMatchObject({ line: 2, code: 'ROW_MALFORMED' });
  });

  it('rejects text after a closing quote and an unterminated quote as ROW_MALFORMED', async () => {
    const { file } = await readOne('postcode;huisnummer;risico\n"3071AB"x;12;x\n3071AB;13;"open\n');
    expect(file.errors.map((e) => [e.line, e.code])).toEqual([
      [2, 'ROW_MALFORMED'],
      [3, 'ROW_MALFORMED'],
    ]);
    expect(file.rows).toBe(file.accepted + file.rejected);
  });

  it.each([
    ['postcode;huisnummer;risico\n3071SS;12;x\n', 'POSTCODE_INVALID', 'postcode'],
    ['postcode;huisnummer;risico\n3071AB;;x\n', 'HUISNUMMER_INVALID', 'huisnummer'],
    ['postcode;huisnummer;toevoeging;risico\n3071AB;12;abcdef;x\n', 'TOEVOEGING_INVALID', 'toevoeging'],
    ['postcode;huisnummer;risico\n3071AB;12;  \n', 'RISICO_MISSING', 'risico'],
    [`postcode;huisnummer;risico\n3071AB;12;${'r'.repeat(101)}\n`, 'RISICO_INVALID', 'risico'],
    ['postcode;huisnummer;risico\n1011AB;12;x\n', 'OUT_OF_AREA', 'postcode'],
    [
      `postcode;huisnummer;risico;omschrijving\n3071AB;12;x;${'o'.repeat(501)}\n`,
      'FIELD_TOO_LONG',
      'omschrijving',
    ],
    [
      `postcode;huisnummer;risico;referentie\n3071AB;12;x;${'k'.repeat(65)}\n`,
      'FIELD_TOO_LONG',
      'referentie',
    ],
    ['postcode;huisnummer;risico;datum\n3071AB;12;x;31-02-2026\n', 'DATUM_INVALID', 'datum'],
  ])('rejects %j with %s on field %s', async (text, code, field) => {
    const { file } = await readOne(text);
    expect(file).toMatchObject({ rows: 1, accepted: 0, rejected: 1 });
    expect(file.errors[0]).toMatchObject({ line: 2, code, field });
    expect(file.errors[0]?.message).toMatch(/\w/);
  });

  it('counts characters, not bytes, for the length limits', async () => {
    const { file } = await readOne(`postcode;huisnummer;risico\n3071AB;12;${'é'.repeat(100)}\n`);
    expect(file.accepted).toBe(1);
  });

  it('accepts ISO and Dutch dates', async () => {
    const { file, run } = await readOne(
      'postcode;huisnummer;risico;datum\n3071AB;1;x;2026-03-01\n3071AB;2;x;1-3-2026\n3071AB;3;x;29-02-2024\n',
    );
    expect(file.accepted).toBe(3);
    expect([...run.linkage.store.datum.subarray(0, 3)]).toEqual([20260301, 20260301, 20240229]);
  });

  it('rejects a file without a required column as a whole, naming the column', async () => {
    const { file, run } = await readOne('postcode;nummer;omschrijving\n3071AB;12;x\n');
    expect(file).toMatchObject({ rows: 0, accepted: 0, rejected: 0, error: { code: 'COLUMN_MISSING' } });
    expect(file.error?.message).toContain('"risico"');
    expect(run.linkage.store.size).toBe(0);
  });

  it('rejects two columns that mean the same thing', async () => {
    const { file } = await readOne('postcode;pc;huisnummer;risico\n');
    expect(file.error?.code).toBe('COLUMN_DUPLICATE');
  });

  it('rejects an empty file', async () => {
    const { file } = await readOne('');
    expect(file.error?.code).toBe('FILE_EMPTY');
  });

  it.each([
    ['maxRows', { maxRows: 2 }, 'TOO_MANY_ROWS'],
    ['maxColumns', { maxColumns: 2 }, 'TOO_MANY_COLUMNS'],
    ['maxFileBytes', { maxFileBytes: 40 }, 'FILE_TOO_LARGE'],
    ['maxRecordBytes', { maxRecordBytes: 30 }, 'RECORD_TOO_LONG'],
  ])('fails closed when %s is exceeded', async (_name, limit, code) => {
    const text = `postcode;huisnummer;risico\n3071AB;1;x\n3071AB;2;x\n3071AB;3;"${'y'.repeat(40)}"\n`;
    const { file, run } = await readOne(text, 16, { ...DEFAULT_LIMITS, ...limit });
    expect(file.error?.code).toBe(code);
    expect(file).toMatchObject({ rows: 0, accepted: 0, rejected: 0 });
    expect(run.linkage.store.size).toBe(0);
  });

  it('bounds an unterminated quote by the record limit instead of reading the rest as one field', async () => {
    const text = `postcode;huisnummer;risico\n3071AB;1;"open\n${'3071AB;2;x\n'.repeat(10_000)}`;
    const { file } = await readOne(text, 4096);
    expect(file.error?.code).toBe('RECORD_TOO_LONG');
    expect(file.error?.message).toContain('aanhalingsteken');
  });

  it('gives the same result whatever the chunk size', async () => {
    const text = cp1252(
      'Postcode;Huisnr;Toev;Risico;Omschrijving\r\n3071 ab;12;a;Café;"a;b"\r\n3072CD;5;;Overbewoning;"x\r\ny"\r\n;;;;\r\n3073EF;7;;"q""q";\r\n',
    );
    const whole = await readOne(text);
    for (const size of [1, 2, 3, 5, 8, 13]) {
      const r = await readOne(text, size);
      expect(r.file).toEqual(whole.file);
      expect(keys(r.run)).toEqual(keys(whole.run));
    }
  });
});
