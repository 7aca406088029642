import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../lambdas/core/bytes.ts';

describe('ByteWriter', () => {
  it('never reuses a buffer while an asynchronous sink still holds it', async () => {
    const written: string[] = [];
    // A sink that "writes" later, as the file system does: it reads the chunk when the write happens.
    const sink = (chunk: Uint8Array) =>
      new Promise<void>((resolve) => {
        setTimeout(() => {
          written.push(Buffer.from(chunk).toString('latin1'));
          resolve();
        }, 1);
      });
    const w = new ByteWriter(sink, 16);
    let expected = '';
    for (let i = 0; i < 400; i++) {
      const line = `regel ${i};`;
      expected += line;
      w.ascii(line);
      if (w.blocked) await w.drain();
    }
    await w.end();
    expect(written.join('')).toBe(expected);
  });

  it('passes a sink failure on to the caller', async () => {
    const w = new ByteWriter(() => Promise.reject(new Error('schijf vol')), 8);
    w.ascii('0123456789abcdef');
    await expect(w.end()).rejects.toThrow('schijf vol');
  });
});
