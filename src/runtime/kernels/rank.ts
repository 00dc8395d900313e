// RANK: the input's number of dimensions as an int32 scalar, known at prepare (the output becomes a constant, as
// SHAPE's does).

import type { Kernel } from '../kernel.js';
import { requireInput } from './shape-util.js';

export const rankKernel: Kernel<null> = {
  op: 'RANK',
  maxVersion: 1,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const out = ctx.outputs[0];
    if (out.dtype !== 'int32') ctx.unsupported(`output '${out.name}' must be int32, got ${out.dtype}`);
    out.shape = [];
    out.data = Int32Array.of(input.shape.length);
    out.isConstant = true;
    return null;
  },
  eval() {
    // The output was written at prepare.
  },
};
