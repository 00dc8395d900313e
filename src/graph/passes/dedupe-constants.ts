// Make operators share one tensor for identical constants (same dtype, shape, quantization and bytes),
// so the file stores each constant once. The orphaned duplicates are removed by dead-code.

import type { Pass } from './index.js';
import { isConstant } from './util.js';

function fingerprint(d: Uint8Array): string {
  // FNV-1a over the bytes; equality is then confirmed byte by byte.
  let h = 0x811c9dc5;
  for (let i = 0; i < d.length; i++) h = Math.imul(h ^ d[i], 0x01000193);
  return `${d.length}:${(h >>> 0).toString(16)}`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const dedupeConstants: Pass = {
  name: 'dedupe-constants',
  run(sg) {
    const seen = new Map<string, number[]>();
    const replace = new Map<number, number>();
    sg.tensors.forEach((t, i) => {
      if (!isConstant(t) || sg.outputs.includes(i)) return;
      const key = `${t.dtype}|${t.shape.join(',')}|${JSON.stringify(t.quantization)}|${fingerprint(t.data!)}`;
      const same = seen.get(key) ?? [];
      const match = same.find((j) => sameBytes(sg.tensors[j].data!, t.data!));
      if (match !== undefined) replace.set(i, match);
      else seen.set(key, [...same, i]);
    });
    if (replace.size === 0) return false;
    let changed = false;
    for (const op of sg.operators) {
      op.inputs = op.inputs.map((i) => {
        const j = replace.get(i);
        if (j === undefined) return i;
        changed = true;
        return j;
      });
    }
    return changed;
  },
};
