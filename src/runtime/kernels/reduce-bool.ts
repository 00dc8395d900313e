// REDUCE_ANY and REDUCE_ALL: logical OR / AND of a bool tensor over constant axes (negative and repeated axes,
// keep_dims), as TFLite's reduce.cc. An empty reduction gives false (ANY) and true (ALL).

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { chargeActive } from '../budget.js';
import { constIntValues, normalizeAxis, requireDtype, requireInput, sizeOf, stridesOf } from './shape-util.js';

export interface BoolReducePlan {
  any: boolean;
  /** For each input element, the output element it reduces into. */
  target: Int32Array;
}

function prepareBoolReduce(ctx: PrepareContext, any: boolean): BoolReducePlan {
  const input = requireInput(ctx, 0);
  requireDtype(ctx, input, ['bool']);
  const output = ctx.outputs[0];
  if (output.dtype !== 'bool') ctx.unsupported(`output '${output.name}' must be bool, got ${output.dtype}`);
  const rank = input.shape.length;
  const axes = new Set(constIntValues(ctx, requireInput(ctx, 1), 'axis').map((a) => normalizeAxis(ctx, a, rank)));
  const outFull = input.shape.map((d, i) => (axes.has(i) ? 1 : d));
  output.shape = ctx.options.keepDims === true ? outFull : input.shape.filter((_, i) => !axes.has(i));
  const outStrides = stridesOf(outFull);
  const total = sizeOf(input.shape);
  chargeActive(4 * total, 'the reduction index map');
  const target = new Int32Array(total);
  const counter = new Array<number>(rank).fill(0);
  for (let k = 0; k < total; k++) {
    let t = 0;
    for (let d = 0; d < rank; d++) if (!axes.has(d)) t += counter[d] * outStrides[d];
    target[k] = t;
    for (let d = rank - 1; d >= 0; d--) {
      if (++counter[d] < input.shape[d]) break;
      counter[d] = 0;
    }
  }
  return { any, target };
}

function evalBoolReduce(p: BoolReducePlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const x = inputs[0]!.data as Uint8Array;
  const y = outputs[0].data as Uint8Array;
  y.fill(p.any ? 0 : 1);
  const { target } = p;
  if (p.any) { for (let k = 0; k < target.length; k++) if (x[k]) y[target[k]] = 1; } else {
    for (let k = 0; k < target.length; k++) if (!x[k]) y[target[k]] = 0;
  }
}

export const reduceAnyKernel: Kernel<BoolReducePlan> = { op: 'REDUCE_ANY', maxVersion: 1, prepare: (ctx) => prepareBoolReduce(ctx, true), eval: evalBoolReduce };
export const reduceAllKernel: Kernel<BoolReducePlan> = { op: 'REDUCE_ALL', maxVersion: 1, prepare: (ctx) => prepareBoolReduce(ctx, false), eval: evalBoolReduce };
