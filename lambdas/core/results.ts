/**
 * The lead's working set: the selected addresses of a round as records, and their layout in the
 * results table. Pure: the publish handler writes the items, the `lsi results` command reads them.
 *
 * Results table (pk, sk; gsi1 = gsi1pk/gsi1sk; gsi2 = gsi2pk/gsi2sk):
 *
 * | item                          | pk              | sk                       | gsi1pk / gsi1sk            |
 * | ----------------------------- | --------------- | ------------------------ | -------------------------- |
 * | address in a round (selected) | ADDR#<key>      | ROUND#<nnnn>             | SEL#<nnnn> / <key>         |
 * | round summary                 | ROUNDS          | ROUND#<nnnn>             | –                          |
 *
 * Only the lead's working set is stored here: the selected addresses (one item each) and the round
 * totals. Every other address stays in the round's overview.json in S3 (results key). One item per
 * address keeps publishing at the speed of one write per selected address.
 *
 * Access patterns of the lead:
 * - the case-table list of a round: Query gsi1 on SEL#<nnnn> (in key order, so in postcode order);
 * - … for a postcode area: the same with begins_with(gsi1sk, '3071') or a range on gsi1sk;
 * - … signalled by one partner: the same with FilterExpression contains(partners, :partner)
 *   (read cost is the round's selection, which is the lead's working set anyway);
 * - one address over all rounds (its history, and later its decisions): Query pk = ADDR#<key>;
 * - the rounds and their totals: Query pk = ROUNDS.
 * gsi2 is kept free for the case-table work (for example a status per round).
 * Decisions of the case table (a later step) live beside the address under pk = ADDR#<key> with
 * sk = DECISION#…, so they stay with the address across rounds.
 */
import * as z from 'zod';
import { keyText, suffixText } from './address.ts';
import { pad } from './delivery.ts';
import { type Linkage, partnersOf } from './link.ts';
import { postcodeText } from './postcode.ts';

const decoder = new TextDecoder();

export const selectedSignalSchema = z.strictObject({
  partner: z.string(),
  risico: z.string(),
  omschrijving: z.string().optional(),
  referentie: z.string().optional(),
  datum: z.string().optional(),
  file: z.string(),
  line: z.number(),
});

export const selectedAddressSchema = z.strictObject({
  key: z.string(),
  postcode: z.string(),
  huisnummer: z.number(),
  suffix: z.string(),
  partners: z.array(z.string()),
  signals: z.array(selectedSignalSchema),
});
export type SelectedAddress = z.infer<typeof selectedAddressSchema>;

function isoDate(d: number): string {
  const y = Math.floor(d / 10000);
  const m = Math.floor(d / 100) % 100;
  const day = d % 100;
  return `${y}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The addresses with multiple interest, in key order, with their signals. */
export function* selectedAddresses(l: Linkage): Generator<SelectedAddress> {
  const st = l.store;
  for (let k = 0; k < l.addresses; k++) {
    if ((l.partnerCount[k] ?? 0) < l.minPartners) continue;
    const base = l.base[k] ?? 0;
    const huis = base % 100000;
    const code = l.suffix[k] ?? 0;
    const signals: SelectedAddress['signals'] = [];
    const end = l.rowStart[k + 1] ?? 0;
    for (let r = l.rowStart[k] ?? 0; r < end; r++) {
      const row = r;
      const source = st.sources[st.source[row] ?? 0];
      const oms = st.oms[row] ?? 0;
      const ref = st.ref[row] ?? 0;
      const datum = st.datum[row] ?? 0;
      const refBytes = ref === 0 ? null : st.refs.locate(ref);
      signals.push({
        partner: st.partnerIds[source?.partner ?? 0] ?? '',
        risico: decoder.decode(st.risks.get(st.risk[row] ?? 0)),
        ...(oms !== 0 ? { omschrijving: decoder.decode(st.descriptions.get(oms)) } : {}),
        ...(refBytes
          ? { referentie: decoder.decode(refBytes.chunk.subarray(refBytes.start, refBytes.end)) }
          : {}),
        ...(datum !== 0 ? { datum: isoDate(datum) } : {}),
        file: source?.name ?? '',
        line: st.line[row] ?? 0,
      });
    }
    yield {
      key: keyText(base, code),
      postcode: postcodeText((base - huis) / 100000),
      huisnummer: huis,
      suffix: suffixText(code),
      partners: partnersOf(l, k).map((p) => st.partnerIds[p] ?? ''),
      signals,
    };
  }
}

/** Rows per partner in a round. */
export const partnerCountsSchema = z.strictObject({
  id: z.string(),
  rows: z.number(),
  accepted: z.number(),
  rejected: z.number(),
});

/** A round's totals (CONTRACT.md §6 `totals`). */
export const totalsSchema = z.strictObject({
  rows: z.number(),
  accepted: z.number(),
  rejected: z.number(),
  addresses: z.number(),
  multiInterest: z.number(),
});

export const roundSummarySchema = z.strictObject({
  round: z.number(),
  executionName: z.string(),
  reason: z.string(),
  linkedAt: z.string(),
  minPartners: z.number(),
  missing: z.array(z.string()),
  totals: totalsSchema,
  partners: z.array(partnerCountsSchema),
});
export type RoundSummary = z.infer<typeof roundSummarySchema>;

export type ResultItem = Record<string, unknown>;

/** DynamoDB items are at most 400 KB: an address with very many signals keeps the first ones here. */
export const MAX_ITEM_JSON = 300_000;

/** The item of one selected address in a round. Signals beyond the item limit stay in overview.json. */
export function addressItems(a: SelectedAddress, round: number): ResultItem[] {
  const r = pad(round);
  let signals = a.signals;
  const item = (list: SelectedAddress['signals']): ResultItem => ({
    pk: `ADDR#${a.key}`,
    sk: `ROUND#${r}`,
    gsi1pk: `SEL#${r}`,
    gsi1sk: a.key,
    type: 'address',
    round,
    key: a.key,
    postcode: a.postcode,
    huisnummer: a.huisnummer,
    suffix: a.suffix,
    partners: a.partners,
    partnerCount: a.partners.length,
    selection: 'meervoudig belang',
    signals: list,
    ...(list.length < a.signals.length ? { signalsOmitted: a.signals.length - list.length } : {}),
  });
  while (signals.length > 1 && JSON.stringify(item(signals)).length > MAX_ITEM_JSON) {
    signals = signals.slice(0, Math.floor(signals.length / 2));
  }
  return [item(signals)];
}

export function summaryItem(s: RoundSummary): ResultItem {
  return { pk: 'ROUNDS', sk: `ROUND#${pad(s.round)}`, type: 'round', ...s };
}
