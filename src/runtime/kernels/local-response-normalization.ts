// LOCAL_RESPONSE_NORMALIZATION (float32, 4-D NHWC): each value divided by (bias + alpha x the sum of squares of the
// channels within `radius` of it) to the power beta, as TFLite's kernel: out = x * (bias + alpha * sum)^-beta, alpha
// applied to the plain sum (not divided by the window size). Sums accumulate in float32.

import type { Kernel } from '../kernel.js';
import { requireDtype, requireInput, sizeOf } from './shape-util.js';

interface LrnPlan { rows: number; depth: number; radius: number; bias: number; alpha: number; beta: number }

export const localResponseNormalizationKernel: Kernel<LrnPlan> = {
  op: 'LOCAL_RESPONSE_NORMALIZATION',
  maxVersion: 1,
  prepare(ctx) {
    const x = requireInput(ctx, 0);
    requireDtype(ctx, x, ['float32']);
    if (x.shape.length !== 4) ctx.unsupported(`input '${x.name}' must be 4-D, got [${x.shape}]`);
    const out = ctx.outputs[0];
    out.dtype = 'float32';
    out.shape = x.shape.slice();
    const o = ctx.options;
    const f = Math.fround;
    return { rows: sizeOf(x.shape.slice(0, 3)), depth: x.shape[3], radius: Number(o.radius), bias: f(Number(o.bias)), alpha: f(Number(o.alpha)), beta: f(Number(o.beta)) };
  },
  eval(p, inputs, outputs) {
    const X = inputs[0]!.data as Float32Array;
    const Y = outputs[0].data as Float32Array;
    const f = Math.fround;
    const { rows, depth, radius, bias, alpha, beta } = p;
    for (let r = 0; r < rows; r++) {
      const base = r * depth;
      for (let c = 0; c < depth; c++) {
        const lo = Math.max(0, c - radius), hi = Math.min(depth - 1, c + radius);
        let sum = 0;
        for (let j = lo; j <= hi; j++) sum = f(sum + f(X[base + j] * X[base + j]));
        const multiplier = f(Math.pow(f(bias + f(alpha * sum)), -beta));
        Y[base + c] = X[base + c] * multiplier;
      }
    }
  },
};
