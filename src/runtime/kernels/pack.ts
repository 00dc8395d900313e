// PACK (stack N tensors along a new axis) and UNPACK (the inverse).

import type { Kernel, RuntimeTensor } from '../kernel.js';
import { normalizeAxis, requireInput, sameShape, sizeOf } from './shape-util.js';

interface PackPlan {
  outer: number;
  /** Elements of one input per outer step. */
  inner: number;
}

export const packKernel: Kernel<PackPlan> = {
  op: 'PACK',
  maxVersion: 4,
  prepare(ctx) {
    const first = requireInput(ctx, 0);
    const n = ctx.inputs.length;
    for (let k = 1; k < n; k++) {
      const t = requireInput(ctx, k);
      if (!sameShape(t.shape, first.shape) || t.dtype !== first.dtype) ctx.unsupported(`PACK input '${t.name}' differs from input 0`);
    }
    const axis = normalizeAxis(ctx, Number(ctx.options.axis ?? 0), first.shape.length + 1);
    const shape = first.shape.slice();
    shape.splice(axis, 0, n);
    ctx.outputs[0].shape = shape;
    ctx.outputs[0].dtype = first.dtype;
    return { outer: sizeOf(first.shape.slice(0, axis)), inner: sizeOf(first.shape.slice(axis)) };
  },
  eval(plan, inputs, outputs) {
    const out = outputs[0].data as Float32Array;
    const n = inputs.length;
    const { outer, inner } = plan;
    for (let b = 0; b < outer; b++) {
      for (let k = 0; k < n; k++) {
        const src = (inputs[k] as RuntimeTensor).data as Float32Array;
        out.set(src.subarray(b * inner, (b + 1) * inner), (b * n + k) * inner);
      }
    }
  },
};

export const unpackKernel: Kernel<PackPlan> = {
  op: 'UNPACK',
  maxVersion: 4,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const axis = normalizeAxis(ctx, Number(ctx.options.axis ?? 0), input.shape.length);
    const n = input.shape[axis];
    if (ctx.outputs.length !== n) ctx.unsupported(`UNPACK of dimension ${n} needs ${n} outputs, has ${ctx.outputs.length}`);
    const shape = input.shape.slice();
    shape.splice(axis, 1);
    for (const out of ctx.outputs) {
      out.shape = shape.slice();
      out.dtype = input.dtype;
    }
    return { outer: sizeOf(input.shape.slice(0, axis)), inner: sizeOf(input.shape.slice(axis + 1)) };
  },
  eval(plan, inputs, outputs) {
    const src = inputs[0]!.data as Float32Array;
    const n = outputs.length;
    const { outer, inner } = plan;
    for (let b = 0; b < outer; b++) {
      for (let k = 0; k < n; k++) {
        const s = (b * n + k) * inner;
        (outputs[k].data as Float32Array).set(src.subarray(s, s + inner), b * inner);
      }
    }
  },
};
