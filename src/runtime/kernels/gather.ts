// GATHER along `axis` with `batch_dims`: out[b, o, i..., r] = params[b, o, indices[b, i...], r].
// Indices are run-time data, so eval reads them; an index out of range is an InputError, as TFLite fails Invoke.

import { InputError } from '../../errors.js';
import type { Kernel } from '../kernel.js';
import { normalizeAxis, requireDtype, requireInput, sizeOf } from './shape-util.js';

interface GatherPlan {
  batch: number;
  /** Product of params dims between batch_dims and axis. */
  outer: number;
  axisSize: number;
  /** Indices per batch. */
  count: number;
  /** Elements per gathered slice. */
  inner: number;
  name: string;
}

export const gatherKernel: Kernel<GatherPlan> = {
  op: 'GATHER',
  maxVersion: 5,
  prepare(ctx) {
    const params = requireInput(ctx, 0);
    const indices = requireInput(ctx, 1);
    requireDtype(ctx, indices, ['int32', 'int64', 'int16']);
    const rank = params.shape.length;
    const axis = normalizeAxis(ctx, Number(ctx.options.axis ?? 0), rank);
    let batchDims = Number(ctx.options.batchDims ?? 0);
    if (batchDims < 0) batchDims += indices.shape.length;
    if (batchDims < 0 || batchDims > axis || batchDims > indices.shape.length) ctx.unsupported(`batch_dims ${ctx.options.batchDims} invalid`);
    for (let i = 0; i < batchDims; i++) {
      if (params.shape[i] !== indices.shape[i]) ctx.unsupported('GATHER batch dimensions of params and indices differ');
    }
    const out = ctx.outputs[0];
    out.dtype = params.dtype;
    out.shape = [...params.shape.slice(0, axis), ...indices.shape.slice(batchDims), ...params.shape.slice(axis + 1)];
    return {
      batch: sizeOf(params.shape.slice(0, batchDims)),
      outer: sizeOf(params.shape.slice(batchDims, axis)),
      axisSize: params.shape[axis],
      count: sizeOf(indices.shape.slice(batchDims)),
      inner: sizeOf(params.shape.slice(axis + 1)),
      name: indices.name,
    };
  },
  eval(plan, inputs, outputs) {
    const src = inputs[0]!.data as Float32Array;
    const idx = inputs[1]!.data;
    const out = outputs[0].data as Float32Array;
    const { batch, outer, axisSize, count, inner } = plan;
    let o = 0;
    for (let b = 0; b < batch; b++) {
      for (let r = 0; r < outer; r++) {
        const base = (b * outer + r) * axisSize;
        for (let i = 0; i < count; i++) {
          const k = Number(idx[b * count + i]);
          if (k < 0 || k >= axisSize) throw new InputError(`GATHER index ${k} out of range [0, ${axisSize}) in tensor '${plan.name}'`);
          const s = (base + k) * inner;
          out.set(src.subarray(s, s + inner), o);
          o += inner;
        }
      }
    }
  },
};
