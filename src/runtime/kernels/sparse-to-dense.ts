// SPARSE_TO_DENSE: a tensor of output_shape filled with default_value, then values written at indices ([N, rank]
// or [N] for a 1-D output; int32 or int64), one value per index (a scalar only for one index, as TFLite checks). output_shape decides the
// output's shape (a constant, or a model input whose values the interpreter supplies). Indices outside the shape
// are skipped (TFLite refuses them when validate_indices is set; they are never written out of bounds here).

import type { Kernel, RuntimeTensor } from '../kernel.js';
import { checkGeneratedShape, requireDtype, requireInput, shapeDecidingValues, sizeOf, stridesOf, type Elements } from './shape-util.js';

export interface SparseToDensePlan {
  shape: number[];
  strides: number[];
  count: number;
  rank: number;
  scalarValues: boolean;
}

export const sparseToDenseKernel: Kernel<SparseToDensePlan> = {
  op: 'SPARSE_TO_DENSE',
  // v1 float32/int32/int64, v2 int8/uint8, v3 (our kernel takes all of these).
  maxVersion: 3,
  prepare(ctx) {
    const indices = requireInput(ctx, 0);
    const shapeT = requireInput(ctx, 1);
    const values = requireInput(ctx, 2);
    const fallback = requireInput(ctx, 3);
    requireDtype(ctx, indices, ['int32', 'int64']);
    requireDtype(ctx, values, ['float32', 'int32', 'int64', 'int8', 'uint8']);
    const out = ctx.outputs[0];
    if (out.dtype !== values.dtype || fallback.dtype !== values.dtype) ctx.unsupported(`values, default value and output must share one dtype`);
    if (sizeOf(fallback.shape) !== 1) ctx.unsupported(`default value '${fallback.name}' must be a scalar`);
    const shapeValues = shapeDecidingValues(ctx, shapeT, 'output_shape');
    const shape = shapeValues ?? out.shape.slice();
    checkGeneratedShape(ctx, shape, `output_shape '${shapeT.name}'`);
    out.shape = shape;
    if (indices.shape.length > 2) ctx.unsupported(`indices '${indices.name}' must be 0-, 1- or 2-D, got [${indices.shape}]`);
    const count = indices.shape.length === 0 ? 1 : indices.shape[0];
    const rank = indices.shape.length === 2 ? indices.shape[1] : 1;
    if (shapeValues && rank !== shape.length && !(indices.shape.length < 2 && shape.length === 1)) {
      ctx.unsupported(`indices '${indices.name}' [${indices.shape}] do not address a rank-${shape.length} output`);
    }
    // As TFLite: a scalar value only with a single index, otherwise one value per index.
    const scalarValues = values.shape.length === 0;
    if (scalarValues ? count !== 1 : values.shape.length !== 1 || values.shape[0] !== count) {
      ctx.unsupported(`values '${values.name}' [${values.shape}] must hold one value per index (${count})`);
    }
    return { shape, strides: stridesOf(shape), count, rank, scalarValues };
  },
  eval(p: SparseToDensePlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]) {
    const idx = inputs[0]!.data as unknown as Elements;
    const values = inputs[2]!.data as unknown as Elements;
    const y = outputs[0].data as unknown as Elements & { fill(v: number | bigint): void };
    y.fill(inputs[3]!.data[0]);
    const { shape, strides, rank } = p;
    for (let i = 0; i < p.count; i++) {
      let at = 0;
      let inside = true;
      for (let d = 0; d < rank; d++) {
        const c = Number(idx[i * rank + d]);
        if (c < 0 || c >= shape[d]) { inside = false; break; }
        at += c * strides[d];
      }
      if (inside) y[at] = values[p.scalarValues ? 0 : i];
    }
  },
};
