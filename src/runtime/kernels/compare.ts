// Broadcasting comparisons (EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL) -> bool (SELECT and
// SELECT_V2 are in select.ts).
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
      const A = inputs[0]!.data as Float32Array | BigInt64Array;
      const B = inputs[1]!.data as Float32Array;
      const Y = outputs[0].data as Uint8Array;
      const { n, mapA, mapB } = p;
      if (A instanceof BigInt64Array) {
        // int64: compared as numbers (exact below 2^53, which covers indices and shapes).
        const Bb = B as unknown as BigInt64Array;
        for (let k = 0; k < n; k++) Y[k] = cmp(Number(A[mapA === null ? k : mapA[k]]), Number(Bb[mapB === null ? k : mapB[k]])) ? 1 : 0;
        return;
      }
      for (let k = 0; k < n; k++) {
        const x = (A[mapA === null ? k : mapA[k]] - p.za) * p.sa;
        const y = (B[mapB === null ? k : mapB[k]] - p.zb) * p.sb;
        Y[k] = cmp(x, y) ? 1 : 0;
      }
    },
  };
}

export const equalKernel = makeCompare('EQUAL', 4, (a, b) => a === b);
export const notEqualKernel = makeCompare('NOT_EQUAL', 3, (a, b) => a !== b);
export const lessKernel = makeCompare('LESS', 3, (a, b) => a < b);
export const lessEqualKernel = makeCompare('LESS_EQUAL', 3, (a, b) => a <= b);
export const greaterKernel = makeCompare('GREATER', 3, (a, b) => a > b);
export const greaterEqualKernel = makeCompare('GREATER_EQUAL', 3, (a, b) => a >= b);
