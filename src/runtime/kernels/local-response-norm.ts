// LOCAL_RESPONSE_NORMALIZATION (float32, 4-D NHWC): across channels, out = x / (bias + alpha * sum of x^2 over the
// window [c - radius, c + radius] clipped to the channels) ^ beta. TFLite applies alpha as given (not divided by
// the window size, unlike some frameworks).

import type { Kernel, RuntimeTensor } from '../kernel.js';
import { requireDtype, requireInput } from './shape-util.js';

export interface LrnPlan {
  depth: number;
  radius: number; bias: number; alpha: number; beta: number;
}

export const localResponseNormalizationKernel: Kernel<LrnPlan> = {
  op: 'LOCAL_RESPONSE_NORMALIZATION',
  maxVersion: 1,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    requireDtype(ctx, input, ['float32']);
    if (input.shape.length !== 4) ctx.unsupported(`input '${input.name}' must be 4-D, got [${input.shape}]`);
    const out = ctx.outputs[0];
    if (out.dtype !== 'float32') ctx.unsupported(`output '${out.name}' must be float32`);
    out.shape = input.shape.slice();
    const o = ctx.options;
    const radius = Number(o.radius ?? 0);
    if (!Number.isInteger(radius) || radius < 0) ctx.unsupported(`radius ${radius} must be a non-negative integer`);
    return { depth: input.shape[3], radius, bias: Number(o.bias ?? 0), alpha: Number(o.alpha ?? 0), beta: Number(o.beta ?? 0) };
  },
  eval(p: LrnPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]) {
    const x = inputs[0]!.data as Float32Array;
    const y = outputs[0].data as Float32Array;
    const { depth, radius, bias, alpha, beta } = p;
    for (let base = 0; base < x.length; base += depth) {
      for (let c = 0; c < depth; c++) {
        const lo = Math.max(0, c - radius), hi = Math.min(depth - 1, c + radius);
        let s = 0;
        for (let k = lo; k <= hi; k++) s += x[base + k] * x[base + k];
        y[base + c] = x[base + c] * Math.pow(bias + alpha * s, -beta);
      }
    }
  },
};
