// ONE_HOT: indices (int32/int64) grow a new axis of `depth` entries holding on_value where the entry equals the
// index and off_value elsewhere; an index outside [0, depth) gives a row of off values (TF's semantics).
// depth must be constant (it sets the output shape); on/off values are scalars read at eval. Quantized outputs copy
// the raw on/off values (they share the output's quantization).

import type { Kernel } from '../kernel.js';
import { checkGeneratedShape, constIntScalar, requireDtype, requireInput, sizeOf, type Elements } from './shape-util.js';

const VALUE_DTYPES = ['float32', 'int32', 'int64', 'int8', 'uint8', 'int16', 'bool'];

interface OneHotPlan {
  /** Index elements before the new axis, the new axis, index elements after it. */
  outer: number;
  depth: number;
  inner: number;
}

export const oneHotKernel: Kernel<OneHotPlan> = {
  op: 'ONE_HOT',
  maxVersion: 1,
  prepare(ctx) {
    const indices = requireInput(ctx, 0);
    requireDtype(ctx, indices, ['int32', 'int64']);
    const depth = constIntScalar(ctx, requireInput(ctx, 1), 'ONE_HOT depth');
    if (depth < 0) ctx.unsupported(`ONE_HOT depth ${depth} is negative`);
    const on = requireInput(ctx, 2);
    const off = requireInput(ctx, 3);
    requireDtype(ctx, on, VALUE_DTYPES);
    if (off.dtype !== on.dtype) ctx.unsupported(`ONE_HOT on_value is ${on.dtype}, off_value is ${off.dtype}`);
    if (sizeOf(on.shape) !== 1 || sizeOf(off.shape) !== 1) ctx.unsupported('ONE_HOT on_value and off_value must be scalars');
    const rank = indices.shape.length;
    const given = Number(ctx.options.axis ?? -1);
    if (!Number.isInteger(given) || given < -1 || given > rank) ctx.unsupported(`ONE_HOT axis ${given} out of range for indices of rank ${rank}`);
    const axis = given === -1 ? rank : given;
    const shape = indices.shape.slice();
    shape.splice(axis, 0, depth);
    checkGeneratedShape(ctx, shape, 'ONE_HOT output');
    const out = ctx.outputs[0];
    out.dtype = on.dtype;
    out.shape = shape;
    return { outer: sizeOf(indices.shape.slice(0, axis)), depth, inner: sizeOf(indices.shape.slice(axis)) };
  },
  eval(plan, inputs, outputs) {
    const idx = inputs[0]!.data as Elements;
    const on = (inputs[2]!.data as Elements)[0];
    const off = (inputs[3]!.data as Elements)[0];
    const out = outputs[0].data as Elements;
    const { outer, depth, inner } = plan;
    let k = 0;
    for (let o = 0; o < outer; o++) {
      for (let d = 0; d < depth; d++) {
        const base = o * inner;
        for (let i = 0; i < inner; i++) out[k++] = Number(idx[base + i]) === d ? on : off;
      }
    }
  },
};
