// TILE (repeat along each dimension) and BROADCAST_TO.

import type { Kernel } from '../kernel.js';
import { buildIndexMap, gatherEval, type GatherPlan } from './index-map.js';
import { broadcastShapes, constIntValues, requireInput, stridesOf } from './shape-util.js';

export const tileKernel: Kernel<GatherPlan> = {
  op: 'TILE',
  maxVersion: 3,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const rank = input.shape.length;
    const multiples = constIntValues(ctx, requireInput(ctx, 1), 'TILE multiples');
    if (multiples.length !== rank || multiples.some((m) => m < 0)) ctx.unsupported(`TILE multiples [${multiples}] invalid for rank ${rank}`);
    const out = ctx.outputs[0];
    out.dtype = input.dtype;
    out.shape = input.shape.map((d, i) => d * multiples[i]);
    const strides = stridesOf(input.shape);
    const dimOffsets = (size: number, d: number) => Int32Array.from({ length: size }, (_, j) => (j % input.shape[d]) * strides[d]);
    return { map: buildIndexMap(out.shape, dimOffsets), fill: 0 };
  },
  eval: gatherEval,
};

export const broadcastToKernel: Kernel<GatherPlan> = {
  op: 'BROADCAST_TO',
  maxVersion: 3,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const target = constIntValues(ctx, requireInput(ctx, 1), 'BROADCAST_TO shape');
    const shape = broadcastShapes(ctx, input.shape, target);
    if (shape.length !== target.length || shape.some((d, i) => d !== target[i])) {
      ctx.unsupported(`cannot broadcast [${input.shape}] to [${target}]`);
    }
    const out = ctx.outputs[0];
    out.dtype = input.dtype;
    out.shape = shape;
    const off = shape.length - input.shape.length;
    const strides = stridesOf(input.shape);
    const dimOffsets = (size: number, d: number) => {
      const k = d - off;
      return Int32Array.from({ length: size }, (_, j) => (k < 0 || input.shape[k] === 1 ? 0 : j * strides[k]));
    };
    return { map: buildIndexMap(shape, dimOffsets), fill: 0 };
  },
  eval: gatherEval,
};
