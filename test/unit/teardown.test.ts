import { describe, expect, it } from 'vitest';
import type { RoundSummary } from '../../lambdas/core/results.ts';
import {
  closingRecordFrom,
  deletionRecordSchema,
  keyDestroyed,
  newDeletionRecord,
  postcodesIn,
  privacyFindings,
  remainingSteps,
  TEARDOWN_STEPS,
} from '../../lambdas/core/teardown.ts';

const summary = (round: number, multiInterest: number): RoundSummary => ({
  round,
  executionName: `p-ronde-${round}`,
  reason: 'allen compleet',
  linkedAt: '2027-02-02T10:00:00.000Z',
  minPartners: 2,
  missing: [],
  totals: { rows: 12, accepted: 10, rejected: 2, addresses: 8, multiInterest },
  partners: [
    { id: 'gemeente', rows: 7, accepted: 6, rejected: 1 },
    { id: 'uwv', rows: 5, accepted: 4, rejected: 1 },
  ],
});

describe('closingRecordFrom', () => {
  it('adds the rounds up per partner and keeps only counts', () => {
    const c = closingRecordFrom('p', [summary(2, 3), summary(1, 2)], new Date('2027-07-01T00:00:00Z'));
    expect(c.rounds).toBe(2);
    expect(c.perRound.map((r) => r.round)).toEqual([1, 2]);
    expect(c.totals).toEqual({
      signalsPerPartner: {
        gemeente: { rows: 14, accepted: 12, rejected: 2 },
        uwv: { rows: 10, accepted: 8, rejected: 2 },
      },
      addresses: 16,
      multiInterest: 5,
    });
    expect(JSON.stringify(c)).not.toContain('allen compleet');
  });

  it('is an empty record for a project that never linked', () => {
    const c = closingRecordFrom('p', [], new Date());
    expect(c.rounds).toBe(0);
    expect(c.totals.addresses).toBe(0);
  });
});

describe('the deletion record', () => {
  const plan = { stackName: 'Lsi-p', buckets: ['b'], tables: ['t'], keys: ['k'] };

  it('starts with every step pending and says what remains by design', () => {
    const r = newDeletionRecord('p', 'aws', plan, new Date(), []);
    expect(remainingSteps(r)).toEqual([...TEARDOWN_STEPS]);
    expect(r.remains.map((x) => x.what).join(' ')).toMatch(/CloudTrail/);
    expect(r.remains.map((x) => x.what).join(' ')).toMatch(/backups/);
  });

  it('has no room for anything but its fields: an address slipped in is rejected', () => {
    const r = newDeletionRecord('p', 'local', plan, new Date(), []);
    expect(deletionRecordSchema.safeParse({ ...r, note: '3071 AB 12' }).success).toBe(false);
    expect(
      deletionRecordSchema.safeParse({
        ...r,
        attempts: [
          {
            attempt: 1,
            trigger: 'lead',
            startedAt: new Date().toISOString(),
            outcome: 'failed',
            error: 'Het adres 3071 AB 12 bestaat niet',
            skipped: [],
          },
        ],
      }).success,
    ).toBe(false);
  });
});

describe('privacy checks', () => {
  it('finds an input value however it is spaced or cased, and skips values too short to mean anything', () => {
    const values = ['3071 AB', 'Overbewoning', '12', 'UWV-2026-001'];
    expect(privacyFindings({ a: 'x 3071ab y', b: 'OVERBEWONING' }, values)).toEqual([
      '3071 AB',
      'Overbewoning',
    ]);
    expect(privacyFindings({ n: 12, s: 'uwv2026001' }, values)).toEqual(['UWV-2026-001']);
    expect(privacyFindings({ n: 'nothing here' }, values)).toEqual([]);
  });

  it('spots Dutch postcodes', () => {
    expect(postcodesIn({ a: 'bij 3071 AB en 3072CD' })).toEqual(['3071 AB', '3072CD']);
    expect(postcodesIn({ key: 'arn:aws:kms:eu-central-1:000000000000:key/1234abcd' })).toEqual([]);
  });
});

describe('keyDestroyed', () => {
  const day = 24 * 3600 * 1000;
  it('needs pending deletion at least 7 days after scheduling', () => {
    const at = new Date('2027-07-01T00:00:00Z');
    expect(keyDestroyed('PendingDeletion', new Date(at.getTime() + 7 * day), at)).toBe(true);
    expect(keyDestroyed('PendingDeletion', new Date(at.getTime() + 6 * day), at)).toBe(false);
    expect(keyDestroyed('Disabled', undefined, at)).toBe(false);
  });
});
