import { describe, expect, it } from 'vitest';
import { addressKey } from '../../lambdas/core/address.ts';

type Case = [postcode: string, huisnummer: string, huisletter: string, toevoeging: string, expected: string];

/** Real-world spellings: [postcode, huisnummer, huisletter, toevoeging, key or error code]. */
const CASES: Case[] = [
  // Postcodes
  ['3071AB', '12', '', '', '3071AB-12'],
  ['3071 AB', '12', '', '', '3071AB-12'],
  ['3071ab', '12', '', '', '3071AB-12'],
  ['3071 ab', '12', '', '', '3071AB-12'],
  [' 3071AB ', '12', '', '', '3071AB-12'],
  ['3071  AB', '12', '', '', '3071AB-12'],
  ['3 0 7 1 A B', '12', '', '', '3071AB-12'],
  ['3071\u00a0AB', '12', '', '', '3071AB-12'],
  ['\t3071AB\t', '12', '', '', '3071AB-12'],
  ['1000AA', '1', '', '', '1000AA-1'],
  ['9999ZZ', '99999', '', '', '9999ZZ-99999'],
  ['0123AB', '12', '', '', 'POSTCODE_INVALID'],
  ['3071SA', '12', '', '', 'POSTCODE_INVALID'],
  ['3071SD', '12', '', '', 'POSTCODE_INVALID'],
  ['3071SS', '12', '', '', 'POSTCODE_INVALID'],
  ['3071 ss', '12', '', '', 'POSTCODE_INVALID'],
  ['3071SB', '12', '', '', '3071SB-12'],
  ['3071A', '12', '', '', 'POSTCODE_INVALID'],
  ['3071ABC', '12', '', '', 'POSTCODE_INVALID'],
  ['307AB', '12', '', '', 'POSTCODE_INVALID'],
  ['30711AB', '12', '', '', 'POSTCODE_INVALID'],
  ['3071-AB', '12', '', '', 'POSTCODE_INVALID'],
  ['', '12', '', '', 'POSTCODE_INVALID'],
  ['   ', '12', '', '', 'POSTCODE_INVALID'],
  ['AB3071', '12', '', '', 'POSTCODE_INVALID'],
  ['3071ÀB', '12', '', '', 'POSTCODE_INVALID'],
  // Huisnummers
  ['3071AB', ' 44 ', '', '', '3071AB-44'],
  ['3071AB', '007', '', '', '3071AB-7'],
  ['3071AB', '0012', '', '', '3071AB-12'],
  ['3071AB', '0', '', '', 'HUISNUMMER_INVALID'],
  ['3071AB', '000', '', '', 'HUISNUMMER_INVALID'],
  ['3071AB', '', '', '', 'HUISNUMMER_INVALID'],
  ['3071AB', '  ', '', '', 'HUISNUMMER_INVALID'],
  ['3071AB', 'twaalf', '', '', 'HUISNUMMER_INVALID'],
  ['3071AB', 'A-2', '', '', 'HUISNUMMER_INVALID'],
  ['3071AB', '-12', '', '', 'HUISNUMMER_INVALID'],
  ['3071AB', '99999', '', '', '3071AB-99999'],
  ['3071AB', '100000', '', '', 'HUISNUMMER_INVALID'],
  ['3071AB', '000099999', '', '', '3071AB-99999'],
  ['3071AB', '12345678901234567890', '', '', 'HUISNUMMER_INVALID'],
  // Suffix inside huisnummer
  ['3071AB', '12a', '', '', '3071AB-12-A'],
  ['3071AB', '12A', '', '', '3071AB-12-A'],
  ['3071AB', '12 A', '', '', '3071AB-12-A'],
  ['3071AB', '12 a', '', '', '3071AB-12-A'],
  ['3071AB', '12-a', '', '', '3071AB-12-A'],
  ['3071AB', '12-A', '', '', '3071AB-12-A'],
  ['3071AB', '12/a', '', '', '3071AB-12-A'],
  ['3071AB', '12.a', '', '', '3071AB-12-A'],
  ['3071AB', '12_a', '', '', '3071AB-12-A'],
  ['3071AB', '12-2', '', '', '3071AB-12-2'],
  ['3071AB', '12 - 2', '', '', '3071AB-12-2'],
  ['3071AB', '100 bis', '', '', '3071AB-100-BIS'],
  ['3071AB', '100bis', '', '', '3071AB-100-BIS'],
  ['3071AB', '20 A2', '', '', '3071AB-20-A2'],
  ['3071AB', '1 hoog', '', '', '3071AB-1-HOOG'],
  ['3071AB', '12 abcdef', '', '', 'TOEVOEGING_INVALID'],
  ['3071AB', '12,5', '', '', 'TOEVOEGING_INVALID'],
  ['3071AB', '12+', '', '', 'TOEVOEGING_INVALID'],
  ['3071AB', '12é', '', '', 'TOEVOEGING_INVALID'],
  // Huisletter and toevoeging columns
  ['3071AB', '12', 'a', '', '3071AB-12-A'],
  ['3071AB', '12', 'A', '', '3071AB-12-A'],
  ['3071AB', '12', '', 'a', '3071AB-12-A'],
  ['3071AB', '12', '', ' A ', '3071AB-12-A'],
  ['3071AB', '12', '', 'A-2', '3071AB-12-A2'],
  ['3071AB', '12', '', 'a 2', '3071AB-12-A2'],
  ['3071AB', '20', 'A', '2', '3071AB-20-A2'],
  ['3075KL', '20', 'a', '-2', '3075KL-20-A2'],
  ['3071AB', '12', '', 'bis', '3071AB-12-BIS'],
  ['3071AB', '12', '', 'hs', '3071AB-12-HS'],
  ['3071AB', '12', '', '3 hoog', '3071AB-12-3HOOG'],
  ['3071AB', '12', '', '3e hoog', 'TOEVOEGING_INVALID'],
  ['3071AB', '12', '', 'zwart', '3071AB-12-ZWART'],
  ['3071AB', '12', '', 'zwarte', 'TOEVOEGING_INVALID'],
  ['3071AB', '12', '', '#1', 'TOEVOEGING_INVALID'],
  ['3071AB', '12', '', ' - ', '3071AB-12'],
  ['3071AB', '12a', 'b', '', '3071AB-12-AB'],
  ['3071AB', '12', 'a', 'bcdef', 'TOEVOEGING_INVALID'],
  ['3071AB', '12', 'a', 'bcde', '3071AB-12-ABCDE'],
  ['3080EF', '100', '', 'BIS', '3080EF-100-BIS'],
  // The first failing part decides the code
  ['3071SS', 'x', '', '', 'POSTCODE_INVALID'],
  ['3071AB', 'x', '', '#', 'HUISNUMMER_INVALID'],
];

describe('addressKey', () => {
  it('has at least 60 real-world cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  it.each(CASES)('postcode %j huisnummer %j huisletter %j toevoeging %j → %s', (pc, hn, hl, tv, expected) => {
    const r = addressKey({ postcode: pc, huisnummer: hn, huisletter: hl, toevoeging: tv });
    expect(r.ok ? r.key : r.code).toBe(expected);
  });

  it('links 12a, 12 A and 12-a as one address', () => {
    const keys = ['12a', '12 A', '12-a'].map((hn) => addressKey({ postcode: '3071AB', huisnummer: hn }));
    expect(new Set(keys.map((k) => (k.ok ? k.key : k.code)))).toEqual(new Set(['3071AB-12-A']));
  });

  it('keeps 12 and 12-A apart: two dwellings in one building', () => {
    const a = addressKey({ postcode: '3071AB', huisnummer: '12' });
    const b = addressKey({ postcode: '3071AB', huisnummer: '12', toevoeging: 'A' });
    expect(a.ok && b.ok && a.key !== b.key).toBe(true);
  });

  it('returns the parts of the key', () => {
    expect(addressKey({ postcode: '3080 ef', huisnummer: '100 bis' })).toMatchObject({
      ok: true,
      postcode: '3080EF',
      huisnummer: 100,
      suffix: 'BIS',
    });
  });
});
