/**
 * The pipeline end to end on the embedded default: real handlers, the synthesised state machine,
 * dynalite and s3rver over loopback, pre-signed URLs over HTTP. No mocks.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProjectText } from '../../lambdas/core/project.ts';
import { uploadSignalFile } from '../../lib/client/upload.ts';
import { type EmbeddedProject, startEmbeddedProject } from '../../lib/local/embedded-project.ts';

const dir = mkdtempSync(join(tmpdir(), 'lsi-pipeline-'));
let p: EmbeddedProject;

beforeAll(async () => {
  const project = parseProjectText(readFileSync('test/fixtures/link/project.json', 'utf8'));
  p = await startEmbeddedProject({ project, dir });
});
afterAll(async () => {
  await p?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a round on the embedded stack', () => {
  it('links when every partner has delivered and publishes the selection', async () => {
    const files: [string, string][] = [
      ['gemeente', 'gemeente.csv'],
      ['uwv', 'uwv.csv'],
      ['politie', 'politie/2026-01.csv'],
      ['politie', 'politie/2026-02.csv'],
    ];
    for (const [partner, file] of files) {
      await uploadSignalFile(
        (r) => p.partner(partner, r),
        file.split('/').pop() ?? file,
        readFileSync(`test/fixtures/link/signals/${file}`),
      );
    }
    await p.idle();
    for (const partner of ['gemeente', 'uwv', 'politie']) {
      const r = await p.partner(partner, { action: 'complete' });
      expect(r.statusCode).toBe(200);
    }
    const executions = await p.idle();
    expect(executions.map((e) => [e.name, e.status])).toEqual([['fixture-link-ronde-0001', 'SUCCEEDED']]);
    const sel = await p.runtime.clients.documentClient.send(
      new QueryCommand({
        TableName: p.names.resultsTable,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': 'SEL#0001' },
      }),
    );
    expect(sel.Items?.map((i) => [i.key, i.partners])).toEqual([
      ['3071AB-12-A', ['gemeente', 'politie', 'uwv']],
      ['3072CD-5', ['gemeente', 'uwv']],
    ]);
    expect(p.outbox.at(-1)?.subject).toContain('ronde 1 gekoppeld');
  });
});
