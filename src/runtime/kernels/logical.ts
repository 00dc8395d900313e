// LOGICAL_AND, LOGICAL_OR (broadcasting) and LOGICAL_NOT on bool tensors (stored as 0/1 bytes).

import type { Kernel } from '../kernel.js';
import { broadcastIndexMap, broadcastShapes, requireDtype, requireInput, sizeOf } from './shape-util.js';

interface LogicalPlan {
  n: number;
  mapA: Int32Array | null;
  mapB: Int32Array | null;
}

function makeLogical(op: string, and: boolean): Kernel<LogicalPlan> {
  return {
    op,
    maxVersion: 1,
    prepare(ctx) {
      const a = requireInput(ctx, 0);
      const b = requireInput(ctx, 1);
      requireDtype(ctx, a, ['bool']);
      requireDtype(ctx, b, ['bool']);
      const shape = broadcastShapes(ctx, a.shape, b.shape);
      const out = ctx.outputs[0];
      out.dtype = 'bool';
      out.shape = shape;
      return { n: sizeOf(shape), mapA: broadcastIndexMap(a.shape, shape), mapB: broadcastIndexMap(b.shape, shape) };
    },
    eval(p, inputs, outputs) {
      const A = inputs[0]!.data as Uint8Array;
      const B = inputs[1]!.data as Uint8Array;
      const Y = outputs[0].data as Uint8Array;
      const { n, mapA, mapB } = p;
      for (let k = 0; k < n; k++) {
        const x = A[mapA === null ? k : mapA[k]] !== 0;
        const y = B[mapB === null ? k : mapB[k]] !== 0;
        Y[k] = (and ? x && y : x || y) ? 1 : 0;
      }
    },
  };
}

export const logicalAndKernel = makeLogical('LOGICAL_AND', true);
export const logicalOrKernel = makeLogical('LOGICAL_OR', false);

export const logicalNotKernel: Kernel<null> = {
  op: 'LOGICAL_NOT',
  maxVersion: 1,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    requireDtype(ctx, input, ['bool']);
    const out = ctx.outputs[0];
    out.dtype = 'bool';
    out.shape = input.shape.slice();
    return null;
  },
  eval(_p, inputs, outputs) {
    const X = inputs[0]!.data as Uint8Array;
    const Y = outputs[0].data as Uint8Array;
    for (let k = 0; k < Y.length; k++) Y[k] = X[k] === 0 ? 1 : 0;
  },
};
