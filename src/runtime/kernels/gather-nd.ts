// GATHER_ND: indices [..., K] address slices of params' first K dimensions:
// out[i..., r...] = params[indices[i..., 0], ..., indices[i..., K-1], r...].
// As TFLite checks indices: a negative index, or a slice whose flat position lies outside params, fails the invoke
// (InputError); an index past its own dimension whose slice still lands inside params reads the element there
// (TFLite does not check dimensions one by one).

import { InputError } from '../../errors.js';
import type { Kernel } from '../kernel.js';
import { requireDtype, requireInput, sizeOf, stridesOf, type Elements } from './shape-util.js';

interface GatherNdPlan {
  /** Index tuples, the tuple length K, elements per slice, params' strides of its first K dims. */
  count: number;
  k: number;
  slice: number;
  strides: number[];
  total: number;
  name: string;
}

export const gatherNdKernel: Kernel<GatherNdPlan> = {
  op: 'GATHER_ND',
  maxVersion: 5,
  prepare(ctx) {
    const params = requireInput(ctx, 0);
    const indices = requireInput(ctx, 1);
    requireDtype(ctx, params, ['float32', 'int32', 'int64', 'int8', 'uint8', 'int16', 'bool']);
    requireDtype(ctx, indices, ['int32', 'int64', 'int16']);
    if (indices.shape.length < 1) ctx.unsupported('GATHER_ND indices must have rank 1 or more');
    const k = indices.shape[indices.shape.length - 1];
    if (k > params.shape.length) ctx.unsupported(`GATHER_ND index depth ${k} exceeds params rank ${params.shape.length}`);
    const out = ctx.outputs[0];
    out.dtype = params.dtype;
    out.shape = [...indices.shape.slice(0, -1), ...params.shape.slice(k)];
    return {
      count: sizeOf(indices.shape.slice(0, -1)), k, slice: sizeOf(params.shape.slice(k)),
      strides: stridesOf(params.shape).slice(0, k), total: sizeOf(params.shape), name: indices.name,
    };
  },
  eval(p, inputs, outputs) {
    const src = inputs[0]!.data as Elements;
    const idx = inputs[1]!.data as Elements;
    const out = outputs[0].data as Elements;
    const { count, k, slice, strides, total } = p;
    for (let i = 0; i < idx.length; i++) {
      if (Number(idx[i]) < 0) throw new InputError(`GATHER_ND index ${Number(idx[i])} in '${p.name}' is negative`);
    }
    let o = 0;
    for (let i = 0; i < count; i++) {
      let from = 0;
      for (let d = 0; d < k; d++) from += Number(idx[i * k + d]) * strides[d];
      if (from < 0 || from + slice > total) throw new InputError(`GATHER_ND index tuple ${i} of '${p.name}' points outside params`);
      for (let r = 0; r < slice; r++) out[o++] = src[from + r];
    }
  },
};
