// TRANSPOSE by a constant permutation.

import type { Kernel } from '../kernel.js';
import { buildIndexMap, gatherEval, type GatherPlan } from './index-map.js';
import { constIntValues, normalizeAxis, requireInput, stridesOf } from './shape-util.js';

export const transposeKernel: Kernel<GatherPlan> = {
  op: 'TRANSPOSE',
  maxVersion: 6,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const rank = input.shape.length;
    const perm = constIntValues(ctx, requireInput(ctx, 1), 'TRANSPOSE perm').map((p) => normalizeAxis(ctx, p, rank, 'perm'));
    if (perm.length !== rank || new Set(perm).size !== rank) ctx.unsupported(`perm [${perm}] is not a permutation of rank ${rank}`);
    const out = ctx.outputs[0];
    out.dtype = input.dtype;
    out.shape = perm.map((p) => input.shape[p]);
    const strides = stridesOf(input.shape);
    const dimOffsets = perm.map((p) => Int32Array.from({ length: input.shape[p] }, (_, j) => j * strides[p]));
    return { map: buildIndexMap(out.shape, dimOffsets), fill: 0 };
  },
  eval: gatherEval,
};
