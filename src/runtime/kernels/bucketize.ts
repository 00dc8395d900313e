// BUCKETIZE: the index of each value's bucket among sorted boundaries (an option): the count of boundaries <= x,
// i.e. the first boundary greater than x, as std::upper_bound in TFLite's kernel. int32 output.

import type { Kernel } from '../kernel.js';
import { requireDtype, requireInput } from './shape-util.js';

interface BucketizePlan { boundaries: Float64Array }

export const bucketizeKernel: Kernel<BucketizePlan> = {
  op: 'BUCKETIZE',
  maxVersion: 1,
  prepare(ctx) {
    const x = requireInput(ctx, 0);
    requireDtype(ctx, x, ['float32', 'int32', 'int64', 'float64']);
    const raw = ctx.options.boundaries;
    const list = Array.isArray(raw) ? raw.map(Number) : [];
    // Float boundaries are stored as float32 in the options.
    const boundaries = Float64Array.from(list, Math.fround);
    for (let i = 1; i < boundaries.length; i++) if (boundaries[i] < boundaries[i - 1]) ctx.unsupported('BUCKETIZE boundaries must be sorted ascending');
    const out = ctx.outputs[0];
    requireDtype(ctx, out, ['int32']);
    out.shape = x.shape.slice();
    return { boundaries };
  },
  eval(p, inputs, outputs) {
    const X = inputs[0]!.data;
    const Y = outputs[0].data as Int32Array;
    const b = p.boundaries;
    for (let i = 0; i < Y.length; i++) {
      const v = Number(X[i]);
      let lo = 0, hi = b.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (b[mid] <= v) lo = mid + 1;
        else hi = mid;
      }
      Y[i] = lo;
    }
  },
};
