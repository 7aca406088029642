import { describe, expect, it } from 'vitest';
import { addressItems, MAX_ITEM_JSON, type SelectedAddress } from '../../lambdas/core/results.ts';

const address = (signals: number): SelectedAddress => ({
  key: '3071AB-12',
  postcode: '3071AB',
  huisnummer: 12,
  suffix: '',
  partners: ['gemeente', 'uwv'],
  signals: Array.from({ length: signals }, (_, i) => ({
    partner: i % 2 ? 'uwv' : 'gemeente',
    risico: 'r'.repeat(100),
    omschrijving: 'o'.repeat(500),
    file: 'signalen.csv',
    line: i + 2,
  })),
});

describe('addressItems', () => {
  it('writes one item per selected address, found by round on gsi1 in key order', () => {
    expect(addressItems(address(2), 3)).toEqual([
      expect.objectContaining({
        pk: 'ADDR#3071AB-12',
        sk: 'ROUND#0003',
        gsi1pk: 'SEL#0003',
        gsi1sk: '3071AB-12',
      }),
    ]);
  });

  it('keeps an item under the DynamoDB size limit when one address has thousands of signals', () => {
    const [item] = addressItems(address(5000), 1);
    expect(JSON.stringify(item).length).toBeLessThanOrEqual(MAX_ITEM_JSON);
    expect(item).toMatchObject({ signalsOmitted: expect.any(Number) });
    const kept = Array.isArray(item?.signals) ? item.signals.length : 0;
    expect(kept).toBeGreaterThan(0);
    expect(kept + Number(item?.signalsOmitted)).toBe(5000);
  });
});
