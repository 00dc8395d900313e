// REDUCE_ANY and REDUCE_ALL: logical OR / AND of a bool tensor over constant axes (negative and repeated axes,
// keep_dims), as TFLite's reduce.cc. An empty reduction gives false (ANY) and true (ALL).

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { reductionMap } from './reduce.js';
import { constIntValues, requireDtype, requireInput } from './shape-util.js';

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
  const { reduced, outFull, target } = reductionMap(ctx, input, constIntValues(ctx, requireInput(ctx, 1), 'axis'));
  output.shape = ctx.options.keepDims === true ? outFull : input.shape.filter((_, i) => !reduced[i]);
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
