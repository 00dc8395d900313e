// CAST between numeric dtypes and bool, and SHAPE (the input's shape as int32/int64).

import type { Kernel, TypedArray } from '../kernel.js';
import { requireDtype, requireInput } from './shape-util.js';

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
      // static_cast<int64>: truncation toward zero.
      for (let i = 0; i < n; i++) out[i] = BigInt(Math.trunc(Number(src[i])));
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

export const shapeKernel: Kernel<number[]> = {
  op: 'SHAPE',
  maxVersion: 1,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const out = ctx.outputs[0];
    const want = String(ctx.options.outType ?? out.dtype);
    if (want !== 'int32' && want !== 'int64') ctx.unsupported(`SHAPE out_type ${want}`);
    out.dtype = want as 'int32' | 'int64';
    out.shape = [input.shape.length];
    return input.shape.slice();
  },
  eval(shape, _inputs, outputs) {
    const out = outputs[0].data;
    if (out instanceof BigInt64Array) for (let i = 0; i < shape.length; i++) out[i] = BigInt(shape[i]);
    else for (let i = 0; i < shape.length; i++) (out as Int32Array)[i] = shape[i];
  },
};
