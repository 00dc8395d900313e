// HASHTABLE_LOOKUP: for each int32 lookup key, the row of `values` whose key matches (keys searched by binary search,
// so they must be sorted ascending, as TF's converter writes them), and a uint8 hit flag; a missing key gives a row
// of zeros and flag 0. The search halves as C's bsearch does (the official runtime's libc), so even unsorted keys
// find the same rows. String values are not supported here.

import type { Kernel } from '../kernel.js';
import { requireDtype, requireInput, sizeOf } from './shape-util.js';

interface HashtableLookupPlan { rowSize: number }

/** Index of `key` in `keys` by bsearch's halving, or -1. */
function bsearch(keys: Int32Array, key: number): number {
  let base = 0;
  let n = keys.length;
  while (n > 0) {
    const probe = base + (n >>> 1);
    const k = keys[probe];
    if (key < k) n >>>= 1;
    else if (key > k) {
      base = probe + 1;
      n -= (n >>> 1) + 1;
    } else return probe;
  }
  return -1;
}

export const hashtableLookupKernel: Kernel<HashtableLookupPlan> = {
  op: 'HASHTABLE_LOOKUP',
  maxVersion: 1,
  prepare(ctx) {
    const lookup = requireInput(ctx, 0);
    const keys = requireInput(ctx, 1);
    const values = requireInput(ctx, 2);
    requireDtype(ctx, lookup, ['int32']);
    requireDtype(ctx, keys, ['int32']);
    requireDtype(ctx, values, ['float32', 'int32', 'uint8', 'int8', 'int16', 'int64', 'bool']);
    if (lookup.shape.length !== 1 || keys.shape.length !== 1) ctx.unsupported('HASHTABLE_LOOKUP lookups and keys must be 1-D');
    if (values.shape.length < 1 || values.shape[0] !== keys.shape[0]) ctx.unsupported(`HASHTABLE_LOOKUP values [${values.shape}] need one row per key (${keys.shape[0]})`);
    const [out, hits] = ctx.outputs;
    if (!hits) ctx.unsupported('HASHTABLE_LOOKUP needs two outputs (values, hits)');
    out.dtype = values.dtype;
    out.shape = [lookup.shape[0], ...values.shape.slice(1)];
    hits.dtype = 'uint8';
    hits.shape = [lookup.shape[0]];
    return { rowSize: sizeOf(values.shape.slice(1)) };
  },
  eval(p, inputs, outputs) {
    const lookup = inputs[0]!.data as Int32Array;
    const keys = inputs[1]!.data as Int32Array;
    const values = inputs[2]!.data as Float32Array;
    const out = outputs[0].data as Float32Array;
    const hits = outputs[1].data as Uint8Array;
    const zero = (out instanceof BigInt64Array ? 0n : 0) as unknown as number;
    const { rowSize } = p;
    for (let i = 0; i < lookup.length; i++) {
      const row = bsearch(keys, lookup[i]);
      const to = i * rowSize;
      if (row < 0) {
        hits[i] = 0;
        for (let k = 0; k < rowSize; k++) out[to + k] = zero;
      } else {
        hits[i] = 1;
        const from = row * rowSize;
        for (let k = 0; k < rowSize; k++) out[to + k] = values[from + k];
      }
    }
  },
};
