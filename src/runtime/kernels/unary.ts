// Element-wise math: EXP, LOG, SQRT, RSQRT, ABS, NEG, SQUARE, FLOOR, CEIL, ROUND, SIN, COS (float32).
// ABS and NEG also run on int32. Quantized variants as TFLite's elementwise.cc (GenericPrepare / *EvalQuantized):
// - ABS int8, int16 (zero points 0): |q - zp_in|, rescaled by s_in/s_out (QuantizeMultiplier) unless the scales are
//   equal, plus zp_out, clamped;
// - RSQRT int8: per value 1/sqrt(q - zp_in) by GetInvSqrtQuantizedMultiplierExp, shifted up 20 bits, then the
//   multiplier 1/(sqrt(s_in) s_out) shifted back; q == zp_in gives 127; q < zp_in is an error (RSQRT of a negative).
// Every quantized variant is a function of the raw input value alone, so prepare tabulates it over the dtype's range.

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { InputError } from '../../errors.js';
import { dtypeRange, multiplyByQuantizedMultiplier, quantizeMultiplier } from '../quant-math.js';
import { invSqrtQuantizedMultiplier } from './l2-normalization.js';
import { isQuant, requireDtype, requireInput } from './shape-util.js';

const f32 = Math.fround;

interface UnaryPlan {
  fn: (x: number) => number;
  /** Quantized: output raw value by (input raw value - tableBase); null for float/int32. */
  table: Int32Array | null;
  tableBase: number;
  /** Smallest raw input the op is defined for (RSQRT: the input zero point). */
  minValid: number;
  op: string;
}

/** std::round / roundf: halves away from zero. ROUND in TFLite rounds halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

type QuantizedPrepare = (ctx: PrepareContext, input: RuntimeTensor, output: RuntimeTensor) => (q: number) => number;

/** ABS (elementwise.cc AbsEvalQuantized). */
const absQuantized: QuantizedPrepare = (ctx, input, output) => {
  const inZp = input.zeroPoint[0], outZp = output.zeroPoint[0];
  const [lo, hi] = dtypeRange(output.dtype);
  const si = f32(input.scale[0]), so = f32(output.scale[0]);
  const { multiplier, shift } = quantizeMultiplier(f32(si / so));
  const rescale = si !== so;
  return (q) => {
    const value = Math.abs(q - inZp);
    const v = (rescale ? multiplyByQuantizedMultiplier(value, multiplier, shift) : value) + outZp;
    return v < lo ? lo : v > hi ? hi : v;
  };
};

/** RSQRT int8 (elementwise.cc RsqrtEvalQuantizedInt8). */
const rsqrtQuantized: QuantizedPrepare = (ctx, input, output) => {
  if (input.dtype !== 'int8') ctx.unsupported(`quantized RSQRT on ${input.dtype} (int8 only)`);
  const inZp = input.zeroPoint[0], outZp = output.zeroPoint[0];
  const kShift = 20;
  // The multiplier from the double 1/(sqrt(s_in) s_out) of the float32 scales.
  const { multiplier, shift } = quantizeMultiplier(1 / (Math.sqrt(f32(input.scale[0])) * f32(output.scale[0])));
  if (shift - kShift < -31) ctx.unsupported(`RSQRT output scale ${output.scale[0]} is too large for input scale ${input.scale[0]}`);
  const inv = new Int32Array(2);
  return (q) => {
    const value = q - inZp;
    if (value <= 0) return 127; // value < 0 never reaches the table (eval rejects it)
    invSqrtQuantizedMultiplier(value, inv);
    const data = multiplyByQuantizedMultiplier(1, inv[0], inv[1] + kShift);
    const v = multiplyByQuantizedMultiplier(data, multiplier, shift - kShift) + outZp;
    return v < -128 ? -128 : v > 127 ? 127 : v;
  };
};

function makeUnary(op: string, maxVersion: number, fn: (x: number) => number, dtypes: string[] = ['float32'],
  quantized?: { dtypes: string[]; prepare: QuantizedPrepare }): Kernel<UnaryPlan> {
  const allDtypes = [...dtypes, ...(quantized?.dtypes ?? [])];
  return {
    op, maxVersion,
    prepare(ctx) {
      const input = requireInput(ctx, 0);
      requireDtype(ctx, input, allDtypes);
      const out = ctx.outputs[0];
      if (out.dtype !== input.dtype) ctx.unsupported(`${op} output is ${out.dtype}, input is ${input.dtype}`);
      out.shape = input.shape.slice();
      const plan: UnaryPlan = { fn, table: null, tableBase: 0, minValid: -Infinity, op };
      if (quantized && quantized.dtypes.includes(input.dtype)) {
        if (!isQuant(input) || !isQuant(out)) ctx.unsupported(`${op} on ${input.dtype} needs quantization parameters`);
        if (input.dtype === 'int16' && (input.zeroPoint[0] !== 0 || out.zeroPoint[0] !== 0)) ctx.unsupported(`int16 ${op} needs zero points 0`);
        const f = quantized.prepare(ctx, input, out);
        const [lo, hi] = dtypeRange(input.dtype);
        plan.table = new Int32Array(hi - lo + 1);
        for (let q = lo; q <= hi; q++) plan.table[q - lo] = f(q);
        plan.tableBase = lo;
        if (op === 'RSQRT') plan.minValid = input.zeroPoint[0];
        return plan;
      }
      if (input.dtype === 'int32' && op === 'NEG') plan.fn = (x: number) => -x | 0;
      return plan;
    },
    eval(p, inputs, outputs) {
      const X = inputs[0]!.data as Float32Array;
      const Y = outputs[0].data as Float32Array;
      const n = Y.length;
      const table = p.table;
      if (table) {
        const base = p.tableBase;
        for (let i = 0; i < n; i++) {
          const x = X[i];
          if (x < p.minValid) throw new InputError(`${p.op}: input value ${x} is below the zero point ${p.minValid} (${p.op} is only defined for non-negative values)`);
          Y[i] = table[x - base];
        }
        return;
      }
      const fn = p.fn;
      for (let i = 0; i < n; i++) Y[i] = fn(X[i]);
    },
  };
}

export const expKernel = makeUnary('EXP', 1, Math.exp);
export const logKernel = makeUnary('LOG', 1, Math.log);
export const sqrtKernel = makeUnary('SQRT', 1, Math.sqrt);
// Versions (op_version.cc): RSQRT int8 2; ABS int8/uint8 2, quantized int16 3.
export const rsqrtKernel = makeUnary('RSQRT', 2, (x) => 1 / f32(Math.sqrt(x)), ['float32'], { dtypes: ['int8'], prepare: rsqrtQuantized });
export const absKernel = makeUnary('ABS', 3, Math.abs, ['float32', 'int32'], { dtypes: ['int8', 'int16'], prepare: absQuantized });
export const negKernel = makeUnary('NEG', 1, (x) => -x, ['float32', 'int32']);
export const squareKernel = makeUnary('SQUARE', 1, (x) => x * x);
export const floorKernel = makeUnary('FLOOR', 1, Math.floor);
export const ceilKernel = makeUnary('CEIL', 1, Math.ceil);
export const roundKernel = makeUnary('ROUND', 1, roundHalfEven);
export const sinKernel = makeUnary('SIN', 1, Math.sin);
export const cosKernel = makeUnary('COS', 1, Math.cos);
