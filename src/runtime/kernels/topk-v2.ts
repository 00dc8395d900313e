// TOPK_V2: the k largest values along the last dimension (k a constant scalar), in descending order, with their
// int32 indices; equal values keep the lower index first, as TFLite's top-k container orders them. Quantized inputs
// are ranked by raw value and keep their quantization (the output takes the input's parameters).

import type { Kernel } from '../kernel.js';
import { constIntScalar, requireDtype, requireInput, sizeOf, type Elements } from './shape-util.js';

interface TopKPlan { rows: number; n: number; k: number; order: Int32Array }

export const topkV2Kernel: Kernel<TopKPlan> = {
  op: 'TOPK_V2',
  maxVersion: 3,
  prepare(ctx) {
    const x = requireInput(ctx, 0);
    requireDtype(ctx, x, ['float32', 'int8', 'uint8', 'int16', 'int32', 'int64']);
    if (x.shape.length < 1) ctx.unsupported('TOPK_V2 input must have rank 1 or more');
    const k = constIntScalar(ctx, requireInput(ctx, 1), 'TOPK_V2 k');
    const n = x.shape[x.shape.length - 1];
    if (k < 0 || k > n) ctx.unsupported(`TOPK_V2 k ${k} is outside [0, ${n}]`);
    const [values, indices] = ctx.outputs;
    if (!indices) ctx.unsupported('TOPK_V2 needs two outputs (values, indices)');
    requireDtype(ctx, indices, ['int32']);
    values.dtype = x.dtype;
    values.shape = [...x.shape.slice(0, -1), k];
    indices.shape = values.shape.slice();
    return { rows: sizeOf(x.shape.slice(0, -1)), n, k, order: new Int32Array(n) };
  },
  eval(p, inputs, outputs) {
    const X = inputs[0]!.data as Elements;
    const V = outputs[0].data as Elements;
    const I = outputs[1].data as Int32Array;
    const { rows, n, k, order } = p;
    for (let r = 0; r < rows; r++) {
      const base = r * n;
      for (let i = 0; i < n; i++) order[i] = i;
      // Descending by value, ascending by index among equals (a stable order of a total comparison).
      order.sort((a, b) => {
        const va = X[base + a], vb = X[base + b];
        return va > vb ? -1 : va < vb ? 1 : a - b;
      });
      for (let j = 0; j < k; j++) {
        V[r * k + j] = X[base + order[j]];
        I[r * k + j] = order[j];
      }
    }
  },
};
