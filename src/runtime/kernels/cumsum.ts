// CUMSUM: running sums along one axis (a constant scalar), optionally exclusive (each sum leaves its own element
// out) and/or reversed (summing from the end). float32 accumulates in float32 as TFLite does; int32 wraps; int64 in
// bigints. TFLite has no quantized CUMSUM.

import type { Kernel } from '../kernel.js';
import { constIntScalar, normalizeAxis, requireDtype, requireInput, sizeOf } from './shape-util.js';

interface CumsumPlan { outer: number; len: number; inner: number; exclusive: boolean; reverse: boolean; dtype: string }

export const cumsumKernel: Kernel<CumsumPlan> = {
  op: 'CUMSUM',
  maxVersion: 1,
  prepare(ctx) {
    const x = requireInput(ctx, 0);
    requireDtype(ctx, x, ['float32', 'int32', 'int64']);
    const axisT = requireInput(ctx, 1);
    requireDtype(ctx, axisT, ['int32']);
    if (x.shape.length === 0) ctx.unsupported('CUMSUM of a scalar');
    const axis = normalizeAxis(ctx, constIntScalar(ctx, axisT, 'CUMSUM axis'), x.shape.length);
    const out = ctx.outputs[0];
    out.dtype = x.dtype;
    out.shape = x.shape.slice();
    return {
      outer: sizeOf(x.shape.slice(0, axis)), len: x.shape[axis], inner: sizeOf(x.shape.slice(axis + 1)),
      exclusive: ctx.options.exclusive === true, reverse: ctx.options.reverse === true, dtype: x.dtype,
    };
  },
  eval(p, inputs, outputs) {
    const { outer, len, inner, exclusive, reverse } = p;
    const X = inputs[0]!.data;
    const Y = outputs[0].data;
    const big = p.dtype === 'int64';
    const f32 = p.dtype === 'float32';
    for (let o = 0; o < outer; o++) {
      for (let r = 0; r < inner; r++) {
        const base = o * len * inner + r;
        let acc: number | bigint = big ? 0n : 0;
        for (let k = 0; k < len; k++) {
          const idx = base + (reverse ? len - 1 - k : k) * inner;
          if (exclusive) Y[idx] = acc as never;
          if (big) acc = BigInt.asIntN(64, (acc as bigint) + (X[idx] as bigint));
          else if (f32) acc = Math.fround((acc as number) + (X[idx] as number));
          else acc = ((acc as number) + (X[idx] as number)) | 0;
          if (!exclusive) Y[idx] = acc as never;
        }
      }
    }
  },
};
