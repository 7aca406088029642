/**
 * One linkage run, independent of where the files live (a folder, S3): read every partner's files
 * in a fixed order, link, and summarise. The callers write the outputs.
 */
import { type Linkage, linkSignals } from './link.ts';
import type { PartnerSummary } from './outputs.ts';
import { type Project, projectArea } from './project.ts';
import { type FileResult, type ReaderLimits, readSignalFile } from './signals.ts';
import { SignalStore } from './store.ts';

export interface SignalInput {
  /** The file name shown in reports (relative to the partner's folder). */
  readonly name: string;
  readonly open: () => AsyncIterable<Uint8Array>;
  /** Size in bytes, if known: lets the store reserve room once instead of growing. */
  readonly size?: number;
}

export interface LinkRun {
  readonly linkage: Linkage;
  /** Partner ids in linkage order (sorted). */
  readonly partnerIds: readonly string[];
  readonly files: ReadonlyMap<string, FileResult[]>;
  readonly partners: PartnerSummary[];
  readonly missing: readonly string[];
  /** Time spent reading and validating the files, and linking (ms). */
  readonly readMs: number;
  readonly linkMs: number;
}

export interface LinkOptions {
  readonly project: Project;
  /** Each partner's files; a partner of the project without files is missing. */
  readonly inputs: ReadonlyMap<string, readonly SignalInput[]>;
  readonly limits?: ReaderLimits;
  /** Called after each file, for progress. */
  readonly onFile?: (partner: string, result: FileResult) => void;
}

/** Reads and links. Partners in id order, files in name order: the result never depends on listing order. */
export async function runLink(opts: LinkOptions): Promise<LinkRun> {
  const t0 = performance.now();
  const partnerIds = opts.project.partners.map((p) => p.id).sort();
  const store = new SignalStore(partnerIds);
  let bytes = 0;
  for (const list of opts.inputs.values()) for (const i of list) bytes += i.size ?? 0;
  store.reserve(Math.ceil(bytes / 40));
  const area = projectArea(opts.project);
  const files = new Map<string, FileResult[]>();
  const partners: PartnerSummary[] = [];
  const missing: string[] = [];
  for (const [index, id] of partnerIds.entries()) {
    const inputs = [...(opts.inputs.get(id) ?? [])].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    const results: FileResult[] = [];
    for (const input of inputs) {
      const r = await readSignalFile({
        name: input.name,
        partner: index,
        open: input.open,
        store,
        area,
        ...(opts.limits ? { limits: opts.limits } : {}),
      });
      results.push(r);
      opts.onFile?.(id, r);
    }
    files.set(id, results);
    const summary = { id, rows: 0, accepted: 0, rejected: 0 };
    for (const r of results) {
      summary.rows += r.rows;
      summary.accepted += r.accepted;
      summary.rejected += r.rejected;
    }
    if (inputs.length === 0) {
      missing.push(id);
      partners.push({ ...summary, missing: true });
    } else {
      partners.push(summary);
    }
  }
  const readMs = performance.now() - t0;
  const linkage = linkSignals(store, opts.project.selection.minPartners, { releaseKeys: true });
  return { linkage, partnerIds, files, partners, missing, readMs, linkMs: performance.now() - t0 - readMs };
}
