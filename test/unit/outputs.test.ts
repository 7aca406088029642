import { describe, expect, it } from 'vitest';
import { csvCell } from '../../lambdas/core/bytes.ts';
import { writeCasustafel, writeOverview } from '../../lambdas/core/outputs.ts';
import { runLink } from '../../lambdas/core/run.ts';
import { collect, memInput, testProject } from '../support/inputs.ts';

describe('csvCell', () => {
  it.each([
    ['=SUM(A1)', "'=SUM(A1)"],
    ['+31 6', "'+31 6"],
    ['-2', "'-2"],
    ['@cmd', "'@cmd"],
    ['\tx', "'\tx"],
    ['\rx', `"'\rx"`],
    ['a;b', '"a;b"'],
    ['zei "ja"', '"zei ""ja"""'],
    ['regel\nregel', '"regel\nregel"'],
    ['gewoon', 'gewoon'],
    ['', ''],
  ])('neutralises and quotes %j as %j', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });
});

describe('writers', () => {
  it('writes valid JSON for any address count, including none', async () => {
    const run = await runLink({ project: testProject(['aa', 'bb']), inputs: new Map() });
    const text = await collect((sink) =>
      writeOverview(run.linkage, { projectId: 'p', generatedAt: 't', partners: run.partners }, sink),
    );
    expect(JSON.parse(text)).toMatchObject({ totals: { addresses: 0 }, addresses: [] });
    const csv = await collect((sink) => writeCasustafel(run.linkage, sink));
    expect(csv.split('\r\n')).toHaveLength(2);
  });

  it('keeps key order when there are more distinct suffixes than the fast sort handles', async () => {
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const suffixes: string[] = [];
    for (const a of alphabet)
      for (const b of alphabet) for (const c of alphabet.slice(0, 8)) suffixes.push(`${a}${b}${c}`);
    expect(suffixes.length).toBeGreaterThan(8192);
    const reversed = [...suffixes].reverse();
    const csv = `postcode;huisnummer;toevoeging;risico\n${reversed.map((s) => `3071AB;1;${s};x`).join('\n')}\n3071AB;1;;x\n`;
    const run = await runLink({
      project: testProject(['aa', 'bb']),
      inputs: new Map([['aa', [memInput('a.csv', csv)]]]),
    });
    const text = await collect((sink) =>
      writeOverview(run.linkage, { projectId: 'p', generatedAt: 't', partners: run.partners }, sink),
    );
    const keys = (JSON.parse(text) as { addresses: { key: string }[] }).addresses.map((a) => a.key);
    expect(keys).toEqual(['3071AB-1', ...suffixes.map((s) => `3071AB-1-${s}`)]);
  });
});
