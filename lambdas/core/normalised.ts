/**
 * A partner's accepted signals in normalised form: UTF-8, `;`, the key parts already normalised,
 * no column outside the contract, and the original file and line of each signal. The validate step
 * writes it; the link step reads it back with `readSignalFile({ provenance: true })`.
 */
import { suffixText } from './address.ts';
import { ByteWriter, type Sink, writeCsvField } from './bytes.ts';
import { postcodeText } from './postcode.ts';
import type { SignalStore } from './store.ts';

const encoder = new TextEncoder();

export const NORMALISED_HEADER =
  'postcode;huisnummer;toevoeging;risico;omschrijving;referentie;datum;bestand;regel\n';

/** Writes every signal in the store (normally one partner's) in store order. */
export async function writeNormalised(store: SignalStore, sink: Sink): Promise<void> {
  const w = new ByteWriter(sink);
  w.ascii(NORMALISED_HEADER);
  const names = store.sources.map((s) => encoder.encode(s.name));
  const pcCache = new Map<number, string>();
  for (let i = 0; i < store.size; i++) {
    const base = store.base[i] ?? 0;
    const huis = base % 100000;
    const pc = (base - huis) / 100000;
    let pcText = pcCache.get(pc);
    if (pcText === undefined) {
      pcText = postcodeText(pc);
      pcCache.set(pc, pcText);
    }
    w.ascii(pcText);
    w.byte(0x3b);
    w.uint(huis);
    w.byte(0x3b);
    w.ascii(suffixText(store.suffix[i] ?? 0));
    w.byte(0x3b);
    const risk = store.risk[i] ?? 0;
    writeCsvField(w, store.risks.bytes, store.risks.start(risk), store.risks.end(risk));
    w.byte(0x3b);
    const oms = store.oms[i] ?? 0;
    if (oms !== 0)
      writeCsvField(w, store.descriptions.bytes, store.descriptions.start(oms), store.descriptions.end(oms));
    w.byte(0x3b);
    const ref = store.ref[i] ?? 0;
    if (ref !== 0) {
      const { chunk, start, end } = store.refs.locate(ref);
      writeCsvField(w, chunk, start, end);
    }
    w.byte(0x3b);
    const d = store.datum[i] ?? 0;
    if (d !== 0) w.isoDate(d);
    w.byte(0x3b);
    const name = names[store.source[i] ?? 0] ?? new Uint8Array(0);
    writeCsvField(w, name, 0, name.length);
    w.byte(0x3b);
    w.uint(store.line[i] ?? 0);
    w.byte(0x0a);
    if (w.blocked) await w.drain();
  }
  await w.end();
}
