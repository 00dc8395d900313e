// RANGE: start, start + delta, ... up to (excluding) limit. All three inputs are constant scalars (they set the
// output length). As TFLite: the length is ceil(|limit - start| / |delta|) (integer division rounding up for
// integer types, float32 arithmetic for float), and each element is the previous one plus delta, accumulated in the
// output dtype (float32 values therefore drift exactly as TFLite's do).

import type { Kernel } from '../kernel.js';
import { checkGeneratedShape, requireDtype, requireInput, sizeOf } from './shape-util.js';

interface RangePlan {
  start: number;
  delta: number;
  count: number;
}

export const rangeKernel: Kernel<RangePlan> = {
  op: 'RANGE',
  maxVersion: 2,
  prepare(ctx) {
    const [start, limit, delta] = [0, 1, 2].map((k) => requireInput(ctx, k));
    requireDtype(ctx, start, ['float32', 'int32', 'int64']);
    for (const t of [start, limit, delta]) {
      if (t.dtype !== start.dtype) ctx.unsupported(`RANGE inputs differ in dtype (${start.dtype}, ${t.dtype})`);
      if (!t.isConstant) ctx.unsupported(`RANGE input '${t.name}' must be constant (it sets the output length)`);
      if (sizeOf(t.shape) !== 1) ctx.unsupported(`RANGE input '${t.name}' must be a scalar`);
    }
    const s = Number(start.data[0]), l = Number(limit.data[0]), d = Number(delta.data[0]);
    if (d === 0) ctx.unsupported('RANGE delta is 0');
    if ((s > l && d > 0) || (s < l && d < 0)) ctx.unsupported(`RANGE from ${s} to ${l} by ${d} never ends`);
    const f = Math.fround;
    const count = start.dtype === 'float32'
      ? Math.ceil(Math.abs(f(f(l - s) / d)))
      : Math.floor((Math.abs(l - s) + Math.abs(d) - 1) / Math.abs(d));
    checkGeneratedShape(ctx, [count], 'RANGE output');
    const out = ctx.outputs[0];
    out.dtype = start.dtype;
    out.shape = [count];
    return { start: s, delta: d, count };
  },
  eval(plan, _inputs, outputs) {
    const out = outputs[0].data;
    if (out instanceof BigInt64Array) {
      const d = BigInt(plan.delta);
      let v = BigInt(plan.start);
      for (let i = 0; i < plan.count; i++, v += d) out[i] = v;
      return;
    }
    const o = out as Float32Array;
    const isFloat = o instanceof Float32Array;
    let v = plan.start;
    for (let i = 0; i < plan.count; i++) {
      o[i] = v;
      v = isFloat ? Math.fround(v + plan.delta) : (v + plan.delta) | 0;
    }
  },
};
