import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressKey } from '../../lambdas/core/address.ts';
import { writeOverview } from '../../lambdas/core/outputs.ts';
import { type LinkRun, runLink, type SignalInput } from '../../lambdas/core/run.ts';
import { collect, memInput, overviewSchema, testProject } from '../support/inputs.ts';

const PARTNERS = ['aa', 'bb', 'cc', 'dd'];

async function overview(run: LinkRun) {
  const text = await collect((sink) =>
    writeOverview(run.linkage, { projectId: 'p', generatedAt: 'now', partners: run.partners }, sink),
  );
  return overviewSchema.parse(JSON.parse(text));
}

/** What must not depend on file or row order: keys in order, partners, selection, signal texts. */
async function canonical(run: LinkRun) {
  const o = await overview(run);
  return o.addresses.map((a) => ({
    key: a.key,
    partners: a.partners,
    multiInterest: a.multiInterest,
    risks: a.signals.map((s) => `${s.partner}:${s.risico}`).sort(),
  }));
}

/** A signal row in one of the many ways agencies write an address. */
const rowArb = fc.record({
  pc4: fc.integer({ min: 3071, max: 3074 }),
  letters: fc.constantFrom('AB', 'CD', 'SS', 'ab'),
  space: fc.boolean(),
  huis: fc.integer({ min: 0, max: 30 }),
  suffix: fc.constantFrom('', 'a', 'A', ' a', '-a', 'bis', '2'),
  suffixIn: fc.constantFrom('huisnummer', 'toevoeging'),
  risico: fc.constantFrom('Onderhuur', 'Overbewoning', '', 'Fraude; zwaar', 'Café "x"'),
});
type Row = typeof rowArb extends fc.Arbitrary<infer T> ? T : never;

function quote(v: string): string {
  return /[;"\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

function toCsv(rows: readonly Row[]): string {
  const lines = ['postcode;huisnummer;toevoeging;risico'];
  for (const r of rows) {
    const pc = `${r.pc4}${r.space ? ' ' : ''}${r.letters}`;
    const hn = r.suffixIn === 'huisnummer' ? `${r.huis}${r.suffix}` : `${r.huis}`;
    const tv = r.suffixIn === 'toevoeging' ? r.suffix : '';
    lines.push([pc, hn, tv, r.risico].map(quote).join(';'));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Partner → its rows split over files. */
const deliveryArb = fc.dictionary(
  fc.constantFrom(...PARTNERS),
  fc.array(fc.array(rowArb, { maxLength: 12 }), { minLength: 1, maxLength: 3 }),
  { minKeys: 1 },
);

function inputsOf(delivery: Record<string, Row[][]>, chunk = 64): Map<string, SignalInput[]> {
  return new Map(
    Object.entries(delivery).map(([p, files]) => [
      p,
      files.map((rows, i) => memInput(`${p}/f${i}.csv`, toCsv(rows), chunk)),
    ]),
  );
}

describe('linkage properties', () => {
  it('rows = accepted + rejected, per file and per partner, for any bytes', async () => {
    const alphabet = fc.constantFrom(...'0123456789ABSabs ;,\t"\r\n-éx'.split(''));
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: alphabet, maxLength: 300 }),
        fc.integer({ min: 1, max: 50 }),
        async (body, chunk) => {
          const text = `postcode;huisnummer;toevoeging;risico\n${body}`;
          const run = await runLink({
            project: testProject(PARTNERS),
            inputs: new Map([['aa', [memInput('aa.csv', text, chunk)]]]),
          });
          const f = run.files.get('aa')?.[0];
          expect(f).toBeDefined();
          if (!f) return;
          expect(f.rows).toBe(f.accepted + f.rejected);
          expect(run.linkage.store.size).toBe(f.accepted);
          const p = run.partners.find((x) => x.id === 'aa');
          expect(p?.rows).toBe((p?.accepted ?? 0) + (p?.rejected ?? 0));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never crashes on random bytes, in any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2000 }),
        fc.integer({ min: 1, max: 300 }),
        fc.boolean(),
        async (bytes, chunk, header) => {
          const prefix = header
            ? new TextEncoder().encode('postcode;huisnummer;risico\n')
            : new Uint8Array(0);
          const data = new Uint8Array(prefix.length + bytes.length);
          data.set(prefix);
          data.set(bytes, prefix.length);
          const run = await runLink({
            project: testProject(PARTNERS),
            inputs: new Map([['aa', [memInput('aa.csv', data, chunk)]]]),
          });
          const f = run.files.get('aa')?.[0];
          expect(f && f.rows === f.accepted + f.rejected).toBe(true);
          await overview(run);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the same addresses in the same order under any permutation of files and rows', async () => {
    await fc.assert(
      fc.asyncProperty(deliveryArb, fc.integer(), async (delivery, seed) => {
        const a = await runLink({ project: testProject(PARTNERS), inputs: inputsOf(delivery) });
        // Shuffle every partner's rows and split them over files differently.
        let s = seed;
        const rand = (n: number): number => {
          s = (Math.imul(s, 1103515245) + 12345) | 0;
          return Math.abs(s) % n;
        };
        const shuffled: Record<string, Row[][]> = {};
        for (const [p, files] of Object.entries(delivery)) {
          const rows = files.flat();
          for (let i = rows.length - 1; i > 0; i--) {
            const j = rand(i + 1);
            const a = rows[i];
            const b = rows[j];
            if (a && b) {
              rows[i] = b;
              rows[j] = a;
            }
          }
          const cut = rand(rows.length + 1);
          shuffled[p] = [rows.slice(cut), rows.slice(0, cut)];
        }
        const b = await runLink({ project: testProject(PARTNERS), inputs: inputsOf(shuffled, 7) });
        expect(await canonical(b)).toEqual(await canonical(a));
      }),
      { numRuns: 150 },
    );
  });

  it('selects an address iff its distinct partners number at least minPartners (model check)', async () => {
    await fc.assert(
      fc.asyncProperty(deliveryArb, fc.integer({ min: 2, max: 4 }), async (delivery, minPartners) => {
        const project = testProject(PARTNERS, { selection: { minPartners } });
        const run = await runLink({ project, inputs: inputsOf(delivery) });
        // A simple model: the address key of every valid row, partners per key in a Map.
        const model = new Map<string, Set<string>>();
        for (const [p, files] of Object.entries(delivery)) {
          for (const r of files.flat()) {
            const k = addressKey({
              postcode: `${r.pc4}${r.letters}`,
              huisnummer: r.suffixIn === 'huisnummer' ? `${r.huis}${r.suffix}` : `${r.huis}`,
              toevoeging: r.suffixIn === 'toevoeging' ? r.suffix : '',
            });
            if (!k.ok || r.risico === '') continue;
            model.set(k.key, (model.get(k.key) ?? new Set()).add(p));
          }
        }
        const o = await overview(run);
        expect(o.addresses.map((a) => a.key).sort()).toEqual([...model.keys()].sort());
        for (const a of o.addresses) {
          const partners = model.get(a.key) ?? new Set();
          expect(a.partners).toEqual([...partners].sort());
          expect(a.multiInterest).toBe(partners.size >= minPartners);
        }
        expect(o.totals.multiInterest).toBe([...model.values()].filter((s) => s.size >= minPartners).length);
      }),
      { numRuns: 150 },
    );
  });

  it('never gives multiple interest to one partner that signals an address many times', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 5 }),
        async (rows, copies) => {
          const repeated = Array.from({ length: copies }, () => rows);
          const run = await runLink({ project: testProject(PARTNERS), inputs: inputsOf({ bb: repeated }) });
          const o = await overview(run);
          expect(o.totals.multiInterest).toBe(0);
          expect(o.addresses.every((a) => a.partners.length === 1 && !a.multiInterest)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('orders addresses by postcode, then huisnummer as a number, then suffix as text', async () => {
    const csv =
      'postcode;huisnummer;toevoeging;risico\n3072AA;1;;x\n3071AB;100;;x\n3071AB;12;B;x\n3071AB;12;;x\n3071AB;12;A2;x\n3071AB;12;A;x\n3071AB;9;;x\n3071AA;500;;x\n3071AB;12;1;x\n';
    const run = await runLink({
      project: testProject(PARTNERS),
      inputs: new Map([['aa', [memInput('aa.csv', csv)]]]),
    });
    const o = await overview(run);
    expect(o.addresses.map((a) => a.key)).toEqual([
      '3071AA-500',
      '3071AB-9',
      '3071AB-12',
      '3071AB-12-1',
      '3071AB-12-A',
      '3071AB-12-A2',
      '3071AB-12-B',
      '3071AB-100',
      '3072AA-1',
    ]);
  });
});
