// Keeping the data of different roles apart (calibration, selection, test): two specs that read the same source
// (the same MNIST part, or the same file or folder however it is spelled) must select disjoint ranges of samples.

import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { datasetSampleCount } from './index.js';
import { mnistDir, parseDatasetSpec, resolveRange, type DatasetSource, type DatasetSpec } from './spec.js';

export interface DatasetRole {
  /** How the spec was given, for messages: a flag such as '--calibration'. */
  role: string;
  spec: DatasetSpec;
}

function canonicalPath(p: string): string {
  try { return fs.realpathSync(p); } catch { return path.resolve(p); }
}

/** What identifies the samples a spec reads: its sample file (or folder), whatever kind of spec names it. */
function sourceKey(src: DatasetSource): string {
  switch (src.kind) {
    case 'mnist': {
      const prefix = src.part === 'train' ? 'train' : 't10k';
      try { return canonicalPath(path.join(mnistDir(), `${prefix}-images-idx3-ubyte`)); } catch { return `mnist:${src.part}`; }
    }
    case 'fashion-mnist': return `fashion-mnist:${src.part}`;
    case 'idx': return canonicalPath(src.images);
    case 'npy': return canonicalPath(src.x);
    case 'npz': case 'csv': return canonicalPath(src.file);
    case 'images': return canonicalPath(src.dir);
  }
}

/**
 * Refuses (UsageError) two specs whose ranges of one source overlap, naming both roles and the shared samples.
 * Ranges counted from the start need no size; others are resolved against the source's sample count, read once
 * per source (`sampleCount` is replaceable for tests).
 */
export function assertDisjoint(specs: DatasetRole[], sampleCount: (spec: DatasetSpec) => number = datasetSampleCount): void {
  const sizes = new Map<string, number>();
  const parsed = specs.map((s) => {
    const src = parseDatasetSpec(s.spec);
    return { ...s, src, key: sourceKey(src) };
  });
  const windowOf = (p: (typeof parsed)[number]): { start: number; end: number } => {
    const r = p.src.range;
    if (r && r.end !== undefined && r.end >= 0 && (r.start ?? 0) >= 0) return { start: r.start ?? 0, end: r.end };
    let size = sizes.get(p.key);
    if (size === undefined) sizes.set(p.key, size = sampleCount(p.spec));
    return resolveRange(p.spec, r, size);
  };
  for (let i = 0; i < parsed.length; i++) {
    for (let j = i + 1; j < parsed.length; j++) {
      const a = parsed[i], b = parsed[j];
      if (a.key !== b.key) continue;
      const wa = windowOf(a), wb = windowOf(b);
      const from = Math.max(wa.start, wb.start), to = Math.min(wa.end, wb.end);
      if (from < to) {
        const samples = to - from === 1 ? `sample ${from}` : `samples ${from}–${to - 1}`;
        throw new UsageError(`${a.role} ${a.spec} and ${b.role} ${b.spec} overlap in ${samples}: give them disjoint ranges of the same data, e.g. ${suggestion(a.spec, b.spec, wa, wb)}`);
      }
    }
  }
}

function suggestion(a: string, b: string, wa: { start: number; end: number }, wb: { start: number; end: number }): string {
  const base = (s: string) => { const src = parseDatasetSpec(s); return src.range ? s.slice(0, s.lastIndexOf('[')) : s; };
  const lo = Math.min(wa.start, wb.start), hi = Math.max(wa.end, wb.end);
  const mid = lo + Math.floor((hi - lo) / 2);
  return `${base(a)}[${lo}:${mid}] and ${base(b)}[${mid}:${hi}]`;
}
