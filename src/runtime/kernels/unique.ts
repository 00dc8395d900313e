// UNIQUE: the distinct values of a 1-D tensor in order of first occurrence, and for every element the index of its
// value among them (int32 or int64, idx_out_type). The first output's length depends on the values: TFLite sizes
// it at eval; here the input must be a constant or a model input, whose values the interpreter supplies at
// preparation (and prepares again when they change). Values compare as numbers (float -0 equals 0, NaN never
// equals NaN, as C++'s ==).

import type { Kernel, RuntimeTensor } from '../kernel.js';
import { requireDtype, requireInput, type Elements } from './shape-util.js';

export interface UniquePlan {
  count: number;
}

export const uniqueKernel: Kernel<UniquePlan> = {
  op: 'UNIQUE',
  maxVersion: 1,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    requireDtype(ctx, input, ['float32', 'int8', 'uint8', 'int16', 'int32', 'int64']);
    if (input.shape.length !== 1) ctx.unsupported(`input '${input.name}' must be 1-D, got [${input.shape}]`);
    const [values, idx] = ctx.outputs;
    if (!values || !idx) ctx.unsupported('needs 2 outputs');
    if (values.dtype !== input.dtype) ctx.unsupported(`output '${values.name}' must be ${input.dtype}`);
    const idxType = String(ctx.options.idxOutType ?? idx.dtype);
    if ((idxType !== 'int32' && idxType !== 'int64') || idx.dtype !== idxType) ctx.unsupported(`index output '${idx.name}' must be ${idxType} (int32 or int64)`);
    const data = ctx.valuesForShape?.(input);
    if (data === undefined) ctx.unsupported(`input '${input.name}' must be a constant or a model input (its values size the output)`);
    // Values not known yet: plan the declared length; the interpreter prepares again with them.
    const count = data === null ? values.shape[0] ?? 0 : uniqueInto(data as unknown as Elements, null, null);
    values.shape = [count];
    idx.shape = input.shape.slice();
    return { count };
  },
  eval(p: UniquePlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]) {
    uniqueInto(inputs[0]!.data as unknown as Elements, outputs[0].data as unknown as Elements, outputs[1].data as unknown as Elements);
  },
};

/** Writes the distinct values and indices when given outputs; returns the number of distinct values. */
function uniqueInto(x: Elements, values: Elements | null, idx: Elements | null): number {
  const seen = new Map<number | bigint, number>();
  let count = 0;
  for (let i = 0; i < x.length; i++) {
    let v = x[i];
    if (typeof v === 'number' && v === 0) v = 0; // -0 and 0 are one value
    let k = typeof v === 'number' && Number.isNaN(v) ? undefined : seen.get(v);
    if (k === undefined) {
      k = count++;
      if (!(typeof v === 'number' && Number.isNaN(v))) seen.set(v, k);
      if (values) values[k] = x[i];
    }
    if (idx) idx[i] = typeof idx[0] === 'bigint' ? BigInt(k) : k;
  }
  return count;
}
