// Broadcasting comparisons (EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL) -> bool, and SELECT_V2.
// Quantized inputs with different quantization are compared on their real values (as TFLite rescales both).

import type { Kernel, RuntimeTensor } from '../kernel.js';
import { broadcastIndexMap, broadcastShapes, requireDtype, requireInput, sizeOf } from './shape-util.js';

interface ComparePlan {
  n: number;
  mapA: Int32Array | null;
  mapB: Int32Array | null;
  /** Real value = (q - zp) * scale; identity for unquantized inputs. */
  za: number; sa: number; zb: number; sb: number;
}

type Cmp = (a: number, b: number) => boolean;

function makeCompare(op: string, maxVersion: number, cmp: Cmp): Kernel<ComparePlan> {
  return {
    op, maxVersion,
    prepare(ctx) {
      const a = requireInput(ctx, 0);
      const b = requireInput(ctx, 1);
      requireDtype(ctx, a, ['float32', 'int32', 'int64', 'int8', 'uint8', 'int16', 'bool']);
      if (a.dtype !== b.dtype) ctx.unsupported(`${op} inputs differ in dtype`);
      const out = ctx.outputs[0];
      out.dtype = 'bool';
      const shape = broadcastShapes(ctx, a.shape, b.shape);
      out.shape = shape;
      const q = (a.dtype === 'int8' || a.dtype === 'uint8' || a.dtype === 'int16') && a.scale.length > 0 && b.scale.length > 0;
      return {
        n: sizeOf(shape), mapA: broadcastIndexMap(a.shape, shape), mapB: broadcastIndexMap(b.shape, shape),
        za: q ? a.zeroPoint[0] : 0, sa: q ? a.scale[0] : 1, zb: q ? b.zeroPoint[0] : 0, sb: q ? b.scale[0] : 1,
      };
    },
    eval(p, inputs: (RuntimeTensor | null)[], outputs) {
      const A = inputs[0]!.data as Float32Array;
      const B = inputs[1]!.data as Float32Array;
      const Y = outputs[0].data as Uint8Array;
      const { n, mapA, mapB } = p;
      for (let k = 0; k < n; k++) {
        const x = (A[mapA === null ? k : mapA[k]] - p.za) * p.sa;
        const y = (B[mapB === null ? k : mapB[k]] - p.zb) * p.sb;
        Y[k] = cmp(x, y) ? 1 : 0;
      }
    },
  };
}

export const equalKernel = makeCompare('EQUAL', 3, (a, b) => a === b);
export const notEqualKernel = makeCompare('NOT_EQUAL', 3, (a, b) => a !== b);
export const lessKernel = makeCompare('LESS', 3, (a, b) => a < b);
export const lessEqualKernel = makeCompare('LESS_EQUAL', 3, (a, b) => a <= b);
export const greaterKernel = makeCompare('GREATER', 3, (a, b) => a > b);
export const greaterEqualKernel = makeCompare('GREATER_EQUAL', 3, (a, b) => a >= b);

interface SelectPlan {
  n: number;
  maps: (Int32Array | null)[];
}

export const selectV2Kernel: Kernel<SelectPlan> = {
  op: 'SELECT_V2',
  maxVersion: 1,
  prepare(ctx) {
    const c = requireInput(ctx, 0);
    const a = requireInput(ctx, 1);
    const b = requireInput(ctx, 2);
    requireDtype(ctx, c, ['bool']);
    if (a.dtype !== b.dtype) ctx.unsupported('SELECT_V2 value inputs differ in dtype');
    const shape = broadcastShapes(ctx, broadcastShapes(ctx, c.shape, a.shape), b.shape);
    const out = ctx.outputs[0];
    out.dtype = a.dtype;
    out.shape = shape;
    return { n: sizeOf(shape), maps: [c, a, b].map((t) => broadcastIndexMap(t.shape, shape)) };
  },
  eval(p, inputs, outputs) {
    const C = inputs[0]!.data as Uint8Array;
    const A = inputs[1]!.data as Float32Array;
    const B = inputs[2]!.data as Float32Array;
    const Y = outputs[0].data as Float32Array;
    const [mc, ma, mb] = p.maps;
    for (let k = 0; k < p.n; k++) {
      Y[k] = C[mc === null ? k : mc[k]] ? A[ma === null ? k : ma[k]] : B[mb === null ? k : mb[k]];
    }
  },
};
