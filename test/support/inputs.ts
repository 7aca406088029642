import * as z from 'zod';
import { type Project, parseProject } from '../../lambdas/core/project.ts';
import type { SignalInput } from '../../lambdas/core/run.ts';

/** A signal file held in memory, delivered in chunks of the given size (to exercise chunk boundaries). */
export function memInput(name: string, content: string | Uint8Array, chunkSize = 1 << 20): SignalInput {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  return {
    name,
    size: bytes.length,
    open: async function* () {
      for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
    },
  };
}

/** Windows-1252 bytes of a text (every character must exist in Latin-1 or be ASCII). */
export function cp1252(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => {
    const code = c.charCodeAt(0);
    if (code > 0xff) throw new Error(`not in test encoder: ${c}`);
    return code;
  });
}

export function testProject(partners: string[], extra: Record<string, unknown> = {}): Project {
  return parseProject({
    projectId: 'test-project',
    name: 'Testproject',
    subject: 'Onrechtmatige bewoning',
    area: ['3071-3089'],
    partners: partners.map((id) => ({ id, name: id.toUpperCase() })),
    ...extra,
  });
}

/** Collects what a writer sends to its sink. */
export async function collect(write: (sink: (chunk: Uint8Array) => void) => Promise<void>): Promise<string> {
  const parts: Uint8Array[] = [];
  await write((chunk) => {
    parts.push(chunk.slice());
  });
  return Buffer.concat(parts).toString('utf8');
}

/** The parts of overview.json (CONTRACT.md §6) the tests look at. */
export const overviewSchema = z.object({
  totals: z.object({
    rows: z.number(),
    accepted: z.number(),
    rejected: z.number(),
    addresses: z.number(),
    multiInterest: z.number(),
  }),
  partners: z.array(z.object({ id: z.string(), missing: z.boolean().optional() })),
  addresses: z.array(
    z.object({
      key: z.string(),
      partners: z.array(z.string()),
      multiInterest: z.boolean(),
      signals: z.array(
        z.object({ partner: z.string(), risico: z.string(), file: z.string(), line: z.number() }),
      ),
    }),
  ),
});
