// REVERSE_V2: reverse the input along the axes listed in a constant int32 tensor. Pure data movement (quantized
// tensors keep their scale and zero point), so it is one more index map over the shared gather loop.

import type { Kernel } from '../kernel.js';
import { buildIndexMap, gatherEval, type GatherPlan } from './index-map.js';
import { constIntValues, normalizeAxis, requireDtype, requireInput, stridesOf } from './shape-util.js';

export const reverseV2Kernel: Kernel<GatherPlan> = {
  op: 'REVERSE_V2',
  // op_version.cc: 1 for float32/uint8/int16/int32/int64, 2 for bool, 3 for int8.
  maxVersion: 3,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const axisTensor = requireInput(ctx, 1);
    requireDtype(ctx, input, ['float32', 'int8', 'uint8', 'int16', 'int32', 'int64', 'bool']);
    if (axisTensor.dtype !== 'int32') ctx.unsupported(`REVERSE_V2 axis tensor '${axisTensor.name}' must be int32, not ${axisTensor.dtype}`);
    if (axisTensor.shape.length !== 1) ctx.unsupported(`REVERSE_V2 axis tensor '${axisTensor.name}' must be 1-D, has shape [${axisTensor.shape}]`);
    const rank = input.shape.length;
    const raw = constIntValues(ctx, axisTensor, 'REVERSE_V2 axis');
    if (raw.length > rank) ctx.unsupported(`REVERSE_V2 lists ${raw.length} axes for a rank-${rank} input`);
    const reversed = new Array<boolean>(rank).fill(false);
    for (const a of raw) {
      const axis = normalizeAxis(ctx, a, rank, 'REVERSE_V2 axis');
      if (reversed[axis]) ctx.unsupported(`REVERSE_V2 axis ${a} listed twice`);
      reversed[axis] = true;
    }
    const out = ctx.outputs[0];
    if (out.dtype !== input.dtype) ctx.unsupported(`REVERSE_V2 output dtype ${out.dtype} differs from input ${input.dtype}`);
    out.shape = input.shape.slice();
    const strides = stridesOf(input.shape);
    const dimOffsets = input.shape.map((size, d) =>
      Int32Array.from({ length: size }, (_, j) => (reversed[d] ? size - 1 - j : j) * strides[d]));
    return { map: buildIndexMap(out.shape, dimOffsets), fill: 0 };
  },
  eval: gatherEval,
};
