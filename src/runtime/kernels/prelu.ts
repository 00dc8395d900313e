// PRELU: x >= 0 ? x : alpha * x, alpha broadcast against the input. Quantized as TFLite's prelu.cc:
// identity branch (x - zx) * (sx/so); negative branch (x - zx) * (a - za) * (sx*sa/so).

import type { Kernel, RuntimeTensor } from '../kernel.js';
import { dtypeRange, multiplyByQuantizedMultiplier, quantizeMultiplier } from '../quant-math.js';
import { broadcastIndexMap, broadcastShapes, isQuant, requireDtype, requireInput, sizeOf } from './shape-util.js';

const f32 = Math.fround;

interface PreluPlan {
  quantized: boolean;
  n: number;
  mapX: Int32Array | null;
  mapA: Int32Array | null;
  zx: number; za: number; zo: number;
  m1: number; s1: number; m2: number; s2: number;
  lo: number; hi: number;
}

export const preluKernel: Kernel<PreluPlan> = {
  op: 'PRELU',
  maxVersion: 1,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const alpha = requireInput(ctx, 1);
    const output = ctx.outputs[0];
    requireDtype(ctx, input, ['float32', 'int8', 'uint8']);
    if (alpha.dtype !== input.dtype) ctx.unsupported(`PRELU alpha is ${alpha.dtype}, input is ${input.dtype}`);
    const shape = broadcastShapes(ctx, input.shape, alpha.shape);
    output.shape = shape;
    const plan: PreluPlan = {
      quantized: input.dtype !== 'float32', n: sizeOf(shape),
      mapX: broadcastIndexMap(input.shape, shape), mapA: broadcastIndexMap(alpha.shape, shape),
      zx: 0, za: 0, zo: 0, m1: 0, s1: 0, m2: 0, s2: 0, lo: 0, hi: 0,
    };
    if (!plan.quantized) return plan;
    if (!isQuant(input) || !isQuant(alpha) || !isQuant(output)) ctx.unsupported('quantized PRELU needs quantization parameters');
    const sx = f32(input.scale[0]), sa = f32(alpha.scale[0]), so = f32(output.scale[0]);
    const q1 = quantizeMultiplier(f32(sx / so));
    const q2 = quantizeMultiplier(f32(f32(sx * sa) / so));
    plan.m1 = q1.multiplier; plan.s1 = q1.shift;
    plan.m2 = q2.multiplier; plan.s2 = q2.shift;
    plan.zx = input.zeroPoint[0]; plan.za = alpha.zeroPoint[0]; plan.zo = output.zeroPoint[0];
    [plan.lo, plan.hi] = dtypeRange(output.dtype);
    return plan;
  },
  eval(p, inputs: (RuntimeTensor | null)[], outputs) {
    const X = inputs[0]!.data as Float32Array;
    const A = inputs[1]!.data as Float32Array;
    const Y = outputs[0].data as Float32Array;
    const { n, mapX, mapA } = p;
    if (!p.quantized) {
      for (let k = 0; k < n; k++) {
        const x = X[mapX === null ? k : mapX[k]];
        Y[k] = x >= 0 ? x : x * A[mapA === null ? k : mapA[k]];
      }
      return;
    }
    for (let k = 0; k < n; k++) {
      const x = X[mapX === null ? k : mapX[k]] - p.zx;
      const v = p.zo + (x >= 0
        ? multiplyByQuantizedMultiplier(x, p.m1, p.s1)
        : multiplyByQuantizedMultiplier(x * (A[mapA === null ? k : mapA[k]] - p.za), p.m2, p.s2));
      Y[k] = v < p.lo ? p.lo : v > p.hi ? p.hi : v;
    }
  },
};
