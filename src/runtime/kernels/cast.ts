// CAST between numeric dtypes and bool, and SHAPE (the input's shape as int32/int64).

import type { Kernel, TypedArray } from '../kernel.js';
import { requireDtype, requireInput } from './shape-util.js';

const INT64_MIN = -(2n ** 63n);

const CASTABLE = ['float32', 'float64', 'int32', 'int64', 'uint8', 'int8', 'int16', 'uint16', 'uint32', 'bool'];

interface CastPlan {
  toBool: boolean;
  toInt: boolean;
}

export const castKernel: Kernel<CastPlan> = {
  // Version 5 covers float64 (and float16, which this kernel refuses by dtype); 3 int8, 4 uint16, 2 uint32.
  op: 'CAST',
  maxVersion: 5,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const out = ctx.outputs[0];
    requireDtype(ctx, input, CASTABLE);
    requireDtype(ctx, out, CASTABLE);
    out.shape = input.shape.slice();
    return { toBool: out.dtype === 'bool', toInt: out.dtype !== 'float32' && out.dtype !== 'float64' && out.dtype !== 'bool' };
  },
  eval(plan, inputs, outputs) {
    const src = inputs[0]!.data;
    const out: TypedArray = outputs[0].data;
    const n = out.length;
    if (out instanceof BigInt64Array) {
      // static_cast<int64>: truncation toward zero; NaN and infinities (undefined in C++) give INT64_MIN as x86 does.
      for (let i = 0; i < n; i++) {
        const x = Number(src[i]);
        out[i] = Number.isFinite(x) ? BigInt(Math.trunc(x)) : INT64_MIN;
      }
      return;
    }
    const o = out as Float32Array;
    if (plan.toBool) {
      for (let i = 0; i < n; i++) o[i] = Number(src[i]) !== 0 ? 1 : 0;
    } else if (plan.toInt) {
      // Typed-array stores wrap modulo 2^bits like the C++ integer conversions.
      for (let i = 0; i < n; i++) o[i] = Math.trunc(Number(src[i]));
    } else {
      for (let i = 0; i < n; i++) o[i] = Number(src[i]);
    }
  },
};

// SHAPE's value is known at prepare, so its output is a constant from then on: shape arithmetic downstream
// (STRIDED_SLICE, PACK, ... feeding RESHAPE, FILL, RANGE) is computed at prepare too, as TFLite does for static
// shapes, and kernels that need constant shape inputs get them. A resized input re-prepares it.
export const shapeKernel: Kernel<null> = {
  op: 'SHAPE',
  maxVersion: 1,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const out = ctx.outputs[0];
    const want = String(ctx.options.outType ?? out.dtype);
    if (want !== 'int32' && want !== 'int64') ctx.unsupported(`SHAPE out_type ${want}`);
    out.dtype = want as 'int32' | 'int64';
    out.shape = [input.shape.length];
    out.data = want === 'int64' ? BigInt64Array.from(input.shape, (d) => BigInt(d)) : Int32Array.from(input.shape);
    out.isConstant = true;
    return null;
  },
  eval() {
    // The output was written at prepare.
  },
};
