// SELECT and SELECT_V2: out = condition ? x : y, values copied raw (quantized x, y and output share parameters,
// as TFLite copies without rescaling).
// - SELECT (TF's Select, TFLite version 1 kernel): x and y have one shape, the output's; the condition has that
//   shape too (element-wise), or is a scalar (picks all of x or all of y), or is rank 1 with one entry per row
//   (slice along dimension 0).
// - SELECT_V2: condition, x and y broadcast against each other (NumPy rules).

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { broadcastIndexMap, broadcastShapes, requireDtype, requireInput, sameShape, sizeOf, type Elements } from './shape-util.js';

const VALUE_DTYPES = ['float32', 'int32', 'int64', 'int8', 'uint8', 'int16', 'uint32', 'bool'];

function selectInputs(ctx: PrepareContext, op: string): [RuntimeTensor, RuntimeTensor, RuntimeTensor] {
  const c = requireInput(ctx, 0);
  const x = requireInput(ctx, 1);
  const y = requireInput(ctx, 2);
  requireDtype(ctx, c, ['bool']);
  requireDtype(ctx, x, VALUE_DTYPES);
  if (x.dtype !== y.dtype) ctx.unsupported(`${op} value inputs differ in dtype (${x.dtype}, ${y.dtype})`);
  ctx.outputs[0].dtype = x.dtype;
  return [c, x, y];
}

interface RowSelectPlan {
  /** Condition entries (1 for a scalar condition) and output elements each one selects. */
  rows: number;
  rowSize: number;
}

export const selectKernel: Kernel<RowSelectPlan> = {
  op: 'SELECT',
  maxVersion: 4,
  prepare(ctx) {
    const [c, x, y] = selectInputs(ctx, 'SELECT');
    if (!sameShape(x.shape, y.shape)) ctx.unsupported(`SELECT x [${x.shape}] and y [${y.shape}] differ in shape`);
    const n = sizeOf(x.shape);
    ctx.outputs[0].shape = x.shape.slice();
    if (sameShape(c.shape, x.shape)) return { rows: n, rowSize: 1 };
    if (c.shape.length === 0) return { rows: 1, rowSize: n };
    if (c.shape.length === 1 && x.shape.length >= 1 && c.shape[0] === x.shape[0]) {
      return { rows: c.shape[0], rowSize: x.shape[0] === 0 ? 0 : n / x.shape[0] };
    }
    return ctx.unsupported(`SELECT condition [${c.shape}] must have x's shape [${x.shape}], be a scalar, or be rank 1 of size ${x.shape[0] ?? 1}`);
  },
  eval(p, inputs, outputs) {
    const C = inputs[0]!.data as Uint8Array;
    const X = inputs[1]!.data as Elements;
    const Y = inputs[2]!.data as Elements;
    const O = outputs[0].data as Elements;
    const { rows, rowSize } = p;
    for (let r = 0; r < rows; r++) {
      const src = C[r] ? X : Y;
      for (let k = r * rowSize, end = k + rowSize; k < end; k++) O[k] = src[k];
    }
  },
};

interface BroadcastSelectPlan {
  n: number;
  maps: (Int32Array | null)[];
}

export const selectV2Kernel: Kernel<BroadcastSelectPlan> = {
  op: 'SELECT_V2',
  maxVersion: 2,
  prepare(ctx) {
    const [c, x, y] = selectInputs(ctx, 'SELECT_V2');
    const shape = broadcastShapes(ctx, broadcastShapes(ctx, c.shape, x.shape), y.shape);
    ctx.outputs[0].shape = shape;
    return { n: sizeOf(shape), maps: [c, x, y].map((t) => broadcastIndexMap(t.shape, shape)) };
  },
  eval(p, inputs, outputs) {
    const C = inputs[0]!.data as Uint8Array;
    const X = inputs[1]!.data as Elements;
    const Y = inputs[2]!.data as Elements;
    const O = outputs[0].data as Elements;
    const [mc, mx, my] = p.maps;
    for (let k = 0; k < p.n; k++) {
      O[k] = C[mc === null ? k : mc[k]] ? X[mx === null ? k : mx[k]] : Y[my === null ? k : my[k]];
    }
  },
};
