// WHERE: the coordinates of the true (nonzero) elements of its one input, as int64 [count, rank] in row-major
// order. The count depends on the values, so the output's shape is decided in one of three ways:
// - a constant input: counted here (the node is folded into a constant anyway);
// - a model input: the interpreter supplies its values at preparation and prepares again when they change, so
//   later nodes see a known shape (as for UNIQUE);
// - a tensor computed by another node: the output gets its shape when the node runs (dynamic, as TFLite's
//   SetTensorToDynamic); the interpreter then refuses nodes that read it, so it may only be a model output.
// Nonzero follows C++'s `x != 0`: NaN is true, -0 is false.

import type { Kernel, RuntimeTensor } from '../kernel.js';
import { requireDtype, requireInput } from './shape-util.js';

interface WherePlan {
  /** The output's shape is set at eval (the input is computed by another node). */
  dynamic: boolean;
}

type Condition = ArrayLike<number | bigint>;

export const whereKernel: Kernel<WherePlan> = {
  op: 'WHERE',
  maxVersion: 1,
  prepare(ctx) {
    if (ctx.inputs.length !== 1) ctx.unsupported(`needs 1 input, got ${ctx.inputs.length}`);
    const input = requireInput(ctx, 0);
    requireDtype(ctx, input, ['bool', 'float32', 'int8', 'uint8', 'int32', 'uint32', 'int64']);
    if (input.shape.length === 0) ctx.unsupported(`input '${input.name}' must have rank 1 or more, it is a scalar`);
    const output = ctx.outputs[0];
    if (!output || ctx.outputs.length !== 1) ctx.unsupported(`needs 1 output, got ${ctx.outputs.length}`);
    if (output.dtype !== 'int64') ctx.unsupported(`output '${output.name}' must be int64, it is ${output.dtype}`);
    const rank = input.shape.length;
    const values = ctx.valuesForShape?.(input);
    if (values === undefined) {
      output.isDynamic = true;
      return { dynamic: true };
    }
    // Values not known yet (a model input before the first invoke): a plan for the declared count, never run; the
    // interpreter prepares again with the values.
    const count = values === null ? Math.max(0, output.shape[0] ?? 0) : countTrue(values as unknown as Condition);
    output.shape = [count, rank];
    return { dynamic: false };
  },
  eval(plan, inputs, outputs) {
    const input = inputs[0] as RuntimeTensor;
    const output = outputs[0];
    const cond = input.data as unknown as Condition;
    if (plan.dynamic) {
      const count = countTrue(cond);
      const rank = input.shape.length;
      if (output.shape.length !== 2 || output.shape[0] !== count || output.shape[1] !== rank) output.shape = [count, rank];
      if (output.data.length !== count * rank || !(output.data instanceof BigInt64Array)) output.data = new BigInt64Array(count * rank);
    }
    writeCoordinates(cond, input.shape, output.data as BigInt64Array);
  },
};

function countTrue(cond: Condition): number {
  let n = 0;
  // Loose comparison: a bigint 0n equals 0, NaN differs from 0.
  for (let i = 0; i < cond.length; i++) if (cond[i] != 0) n++;
  return n;
}

/**
 * Row-major walk with a running coordinate (no division per element). Coordinates are below 2^31: written as the
 * low 32-bit word of each little-endian int64 (high word 0), which avoids a BigInt per element.
 */
function writeCoordinates(cond: Condition, shape: readonly number[], out: BigInt64Array): void {
  const rank = shape.length;
  const words = new Int32Array(out.buffer, out.byteOffset, out.length * 2);
  const coord = new Int32Array(rank);
  const last = rank - 1;
  const lastSize = shape[last];
  const limit = words.length;
  let o = 0;
  for (let i = 0; i < cond.length; i++) {
    if (cond[i] != 0) {
      if (o + 2 * rank > limit) throw new RangeError(`WHERE: more true elements than the output holds (${out.length / rank})`);
      for (let d = 0; d < rank; d++) {
        words[o++] = coord[d];
        words[o++] = 0;
      }
    }
    if (++coord[last] < lastSize) continue;
    coord[last] = 0;
    for (let d = last - 1; d >= 0; d--) {
      if (++coord[d] < shape[d]) break;
      coord[d] = 0;
    }
  }
}
