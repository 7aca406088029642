import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KeyManager } from '../../lambdas/adapters/kms.ts';
import { LocalKeyManager, provisionTemplateKeys } from '../../lib/local/kms.ts';
import { LocalTemplate } from '../../lib/local/template.ts';
import { synthFixtureTemplate } from './fixture-stack.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lsi-local-kms-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NOW = new Date('2026-12-01T10:00:00Z');

describe('LocalKeyManager', () => {
  it('implements the KeyManager port: create, describe, list, disable, schedule deletion', async () => {
    const keys: KeyManager = new LocalKeyManager({ dir, now: () => NOW });
    const key = await keys.createKey({ description: 'partner ggd', tags: { partner: 'ggd' } });
    expect(key).toMatchObject({ state: 'Enabled', description: 'partner ggd' });
    expect(key.arn).toBe(`arn:aws:kms:eu-central-1:000000000000:key/${key.keyId}`);
    expect(await keys.describeKey(key.arn)).toEqual(key);

    await keys.disableKey(key.keyId);
    await keys.disableKey(key.keyId); // disabling twice is fine, as in KMS
    expect((await keys.describeKey(key.keyId)).state).toBe('Disabled');

    await expect(keys.scheduleKeyDeletion(key.keyId, 3)).rejects.toMatchObject({
      name: 'ValidationException',
    });
    const { deletionDate } = await keys.scheduleKeyDeletion(key.keyId, 7);
    expect(deletionDate.toISOString()).toBe('2026-12-08T10:00:00.000Z');
    expect(await keys.describeKey(key.keyId)).toMatchObject({ state: 'PendingDeletion', deletionDate });
    await expect(keys.scheduleKeyDeletion(key.keyId, 7)).rejects.toMatchObject({
      name: 'KMSInvalidStateException',
    });
    await expect(keys.disableKey(key.keyId)).rejects.toMatchObject({ name: 'KMSInvalidStateException' });
    await expect(keys.describeKey('nope')).rejects.toMatchObject({ name: 'NotFoundException' });
    expect(await keys.listKeys()).toHaveLength(1);
  });

  it('persists key state as JSON, so a teardown is observable from another instance', async () => {
    const template = LocalTemplate.from(synthFixtureTemplate(), { stackName: 'LocalFixture' });
    const first = new LocalKeyManager({ dir, now: () => NOW });
    const provisioned = await provisionTemplateKeys(template, first);
    expect([...provisioned.keys()]).toEqual(template.ofType('AWS::KMS::Key').map((k) => k.logicalId));
    const keyA = template.find('AWS::KMS::Key', 'PartnerKeyA');
    // The key id is the one the template's Ref resolves to.
    expect(provisioned.get(keyA.logicalId)).toMatchObject({
      keyId: keyA.ref,
      arn: keyA.arn,
      state: 'Enabled',
    });

    // Concurrent changes in one instance are serialised, none lost.
    await Promise.all([first.disableKey(keyA.ref), first.createKey(), first.createKey()]);
    await first.scheduleKeyDeletion(keyA.ref, 30);

    const second = new LocalKeyManager({ dir });
    expect(await second.listKeys()).toHaveLength(4);
    expect(await second.describeKey(keyA.ref)).toMatchObject({
      state: 'PendingDeletion',
      deletionDate: new Date('2026-12-31T10:00:00Z'),
    });
    // Provisioning again (a restart of `lsi local up`) leaves existing keys as they are.
    const again = await provisionTemplateKeys(template, second);
    expect(again.get(keyA.logicalId)?.state).toBe('PendingDeletion');
    expect((await second.keysByLogicalId()).size).toBe(2);

    const onDisk = JSON.parse(await readFile(join(dir, 'kms.json'), 'utf8'));
    expect(onDisk.version).toBe(1);
  });
});
