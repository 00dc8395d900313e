// SCATTER_ND: a zero tensor of the given (constant) shape into which each update slice is added at its index tuple:
// out[indices[i, 0..K-1], ...] += updates[i, ...]. Repeated tuples accumulate; sums wrap in the element type as
// TFLite's (integer types) and round to float32 per addition. A tuple outside the output fails the invoke.

import { InputError } from '../../errors.js';
import type { Kernel } from '../kernel.js';
import { checkGeneratedShape, constIntValues, requireDtype, requireInput, sizeOf, stridesOf, type Elements } from './shape-util.js';

interface ScatterNdPlan { count: number; k: number; slice: number; strides: number[]; dims: number[]; name: string; big: boolean; bool: boolean }

export const scatterNdKernel: Kernel<ScatterNdPlan> = {
  op: 'SCATTER_ND',
  maxVersion: 1,
  prepare(ctx) {
    const indices = requireInput(ctx, 0);
    const updates = requireInput(ctx, 1);
    const shapeT = requireInput(ctx, 2);
    requireDtype(ctx, indices, ['int32']);
    requireDtype(ctx, updates, ['float32', 'int32', 'int64', 'int8', 'uint8', 'bool']);
    const shape = constIntValues(ctx, shapeT, 'SCATTER_ND shape');
    checkGeneratedShape(ctx, shape, 'SCATTER_ND output');
    if (indices.shape.length < 1) ctx.unsupported('SCATTER_ND indices must have rank 1 or more');
    const k = indices.shape[indices.shape.length - 1];
    if (k > shape.length) ctx.unsupported(`SCATTER_ND index depth ${k} exceeds the output rank ${shape.length}`);
    const outer = indices.shape.slice(0, -1);
    const expected = [...outer, ...shape.slice(k)];
    if (expected.length !== updates.shape.length || expected.some((d, i) => d !== updates.shape[i])) {
      ctx.unsupported(`SCATTER_ND updates [${updates.shape}] do not match indices [${indices.shape}] and shape [${shape}] (expected [${expected}])`);
    }
    const out = ctx.outputs[0];
    out.dtype = updates.dtype;
    out.shape = shape;
    return {
      count: sizeOf(outer), k, slice: sizeOf(shape.slice(k)), strides: stridesOf(shape).slice(0, k), dims: shape.slice(0, k),
      name: indices.name, big: updates.dtype === 'int64', bool: updates.dtype === 'bool',
    };
  },
  eval(p, inputs, outputs) {
    const idx = inputs[0]!.data as Int32Array;
    const upd = inputs[1]!.data as Elements;
    const out = outputs[0].data as Elements & { fill(v: number | bigint): void };
    out.fill(p.big ? 0n : 0);
    const { count, k, slice, strides, dims } = p;
    for (let i = 0; i < count; i++) {
      let to = 0;
      for (let d = 0; d < k; d++) {
        const v = idx[i * k + d];
        if (v < 0 || v >= dims[d]) throw new InputError(`SCATTER_ND index tuple ${i} of '${p.name}' is outside the output (index ${v} in dimension ${d} of size ${dims[d]})`);
        to += v * strides[d];
      }
      const from = i * slice;
      if (p.big) for (let r = 0; r < slice; r++) out[to + r] = BigInt.asIntN(64, (out[to + r] as bigint) + (upd[from + r] as bigint));
      else if (p.bool) for (let r = 0; r < slice; r++) out[to + r] = (out[to + r] as number) | (upd[from + r] as number);
      else for (let r = 0; r < slice; r++) out[to + r] = (out[to + r] as number) + (upd[from + r] as number);
    }
  },
};
