// Float element-wise math: EXP, LOG, SQRT, RSQRT, ABS, NEG, SQUARE, FLOOR, CEIL, ROUND, SIN, COS.
// ABS and NEG also run on int32 (and ABS on quantized tensors that share the input's quantization).

import type { Kernel } from '../kernel.js';
import { requireDtype, requireInput } from './shape-util.js';

const f32 = Math.fround;

interface UnaryPlan {
  fn: (x: number) => number;
}

/** std::round / roundf: halves away from zero. ROUND in TFLite rounds halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function makeUnary(op: string, maxVersion: number, fn: (x: number) => number, dtypes: string[] = ['float32']): Kernel<UnaryPlan> {
  return {
    op, maxVersion,
    prepare(ctx) {
      const input = requireInput(ctx, 0);
      requireDtype(ctx, input, dtypes);
      const out = ctx.outputs[0];
      if (out.dtype !== input.dtype) ctx.unsupported(`${op} output is ${out.dtype}, input is ${input.dtype}`);
      if (input.dtype !== 'float32' && input.scale.length > 0 &&
        (input.scale[0] !== out.scale[0] || input.zeroPoint[0] !== out.zeroPoint[0])) {
        ctx.unsupported(`${op} on ${input.dtype} with different input and output quantization`);
      }
      out.shape = input.shape.slice();
      return { fn: input.dtype === 'int32' && op === 'NEG' ? (x: number) => -x | 0 : fn };
    },
    eval(p, inputs, outputs) {
      const X = inputs[0]!.data as Float32Array;
      const Y = outputs[0].data as Float32Array;
      const fn = p.fn;
      for (let i = 0; i < Y.length; i++) Y[i] = fn(X[i]);
    },
  };
}

export const expKernel = makeUnary('EXP', 1, Math.exp);
export const logKernel = makeUnary('LOG', 1, Math.log);
export const sqrtKernel = makeUnary('SQRT', 1, Math.sqrt);
export const rsqrtKernel = makeUnary('RSQRT', 1, (x) => 1 / f32(Math.sqrt(x)));
export const absKernel = makeUnary('ABS', 1, Math.abs, ['float32', 'int32']);
export const negKernel = makeUnary('NEG', 1, (x) => -x, ['float32', 'int32']);
export const squareKernel = makeUnary('SQUARE', 1, (x) => x * x);
export const floorKernel = makeUnary('FLOOR', 1, Math.floor);
export const ceilKernel = makeUnary('CEIL', 1, Math.ceil);
export const roundKernel = makeUnary('ROUND', 1, roundHalfEven);
export const sinKernel = makeUnary('SIN', 1, Math.sin);
export const cosKernel = makeUnary('COS', 1, Math.cos);
