// Element-wise activations: RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1, LEAKY_RELU, HARD_SWISH, LOGISTIC, TANH, ELU, GELU.
// Quantized arithmetic as TFLite's activations.cc:
// - RELU family: requantize (s_in/s_out) then clamp to the quantized activation range.
// - LEAKY_RELU: separate multipliers for the identity and alpha branches (reference: Q31 multipliers; xnnpack: 8.8
//   fixed-point multipliers, as the delegate runs it for 8-bit when the scale ratios are within its limits).
// - HARD_SWISH: the reference 16-bit fixed-point "reluish" computation.
// - LOGISTIC, TANH, ELU, GELU (int8/uint8): a 256-entry table (LUTPopulate).
// - LOGISTIC, TANH int16 (zero points 0, output scale 2^-15): input scales that are the power of two the
//   fixed-point functions expect (2^-12; TANH also 2^-11) run gemmlowp's int16 logistic/tanh on the raw value, as
//   TFLite's optimized kernel; any other scale is rescaled by an integer multiplier and shift to 1/(3*4096) and
//   interpolated in the 256-entry sigmoid table (reference_integer_ops::Logistic/Tanh).

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import {
  dtypeRange, multiplyByQuantizedMultiplier, quantizeMultiplier, roundingDivideByPOT, saturatingRoundingDoublingHighMulInt16,
} from '../quant-math.js';
import { checkedLog2 } from '../fixed-point.js';
import { roundHalfEven, usesXnnpack } from '../requantize.js';
import { int16Table } from './fixed-point-int16.js';
import { SIGMOID_TABLE_UINT16, erf, populateLut8 } from './lut.js';
import { isQuant, requireDtype, requireInput } from './shape-util.js';
import { arenaFor, runUnaryWasm, type UnaryWasm, type WasmFn } from './unary-wasm.js';

const f32 = Math.fround;

type Mode = 'float' | 'requant' | 'leaky' | 'leakyXnn' | 'hardswish' | 'lut' | 'logistic16Lut' | 'tanh16Lut' | 'fixed16';

interface ActPlan {
  mode: Mode;
  fn: (x: number) => number;
  lo: number;
  hi: number;
  inZp: number;
  outZp: number;
  mult: number; shift: number;
  mult2: number; shift2: number;
  lut: Int32Array | Int16Array | null;
  lutBase: number;
  /**
   * Float clamps, LEAKY_RELU (bit-identical to `fn`), HARD_SWISH, LOGISTIC and TANH (within a few float32 roundings
   * of `fn`): the WebAssembly loop, or null.
   */
  wasm: UnaryWasm | null;
}

function basePlan(fn: (x: number) => number): ActPlan {
  return { mode: 'float', fn, lo: -Infinity, hi: Infinity, inZp: 0, outZp: 0, mult: 0, shift: 0, mult2: 0, shift2: 0, lut: null, lutBase: 0, wasm: null };
}

/** Activation kinds of the module's activationF32. */
const ACT_CLAMP = 0, ACT_LEAKY = 1, ACT_HARD_SWISH = 2, ACT_LOGISTIC = 3, ACT_TANH = 4;

/** A float plan with its WebAssembly loop (activationF32 over every element) when the module is available. */
function floatPlan(ctx: PrepareContext, fn: (x: number) => number, kind: number, lo = 0, hi = 0, alpha = 0): ActPlan {
  const p = basePlan(fn);
  const arena = arenaFor(ctx);
  if (arena) {
    const f = arena.exports.activationF32 as WasmFn;
    const n = ctx.outputs[0].shape.reduce((a, b) => a * b, 1);
    p.wasm = { arena, call: (input, output) => f(kind, input, output, n, lo, hi, alpha) };
  }
  return p;
}

function io(ctx: PrepareContext, dtypes: string[]): { input: RuntimeTensor; output: RuntimeTensor; quantized: boolean } {
  const input = requireInput(ctx, 0);
  const output = ctx.outputs[0];
  requireDtype(ctx, input, dtypes);
  if (output.dtype !== input.dtype) ctx.unsupported(`output is ${output.dtype}, input is ${input.dtype}`);
  output.shape = input.shape.slice();
  const quantized = input.dtype !== 'float32';
  if (quantized && (!isQuant(input) || !isQuant(output))) ctx.unsupported(`${input.dtype} tensors need quantization parameters`);
  return { input, output, quantized };
}

function evalAct(p: ActPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const X = inputs[0]!.data as Float32Array;
  const Y = outputs[0].data as Float32Array;
  if (p.wasm && runUnaryWasm(p.wasm, inputs[0]!, outputs[0])) return;
  const n = Y.length;
  switch (p.mode) {
    case 'float': {
      const fn = p.fn;
      for (let i = 0; i < n; i++) Y[i] = fn(X[i]);
      return;
    }
    case 'requant': {
      const { lo, hi } = p;
      for (let i = 0; i < n; i++) {
        const v = p.outZp + multiplyByQuantizedMultiplier(X[i] - p.inZp, p.mult, p.shift);
        Y[i] = v < lo ? lo : v > hi ? hi : v;
      }
      return;
    }
    case 'leaky': {
      const { lo, hi } = p;
      for (let i = 0; i < n; i++) {
        const x = X[i] - p.inZp;
        const v = p.outZp + (x >= 0 ? multiplyByQuantizedMultiplier(x, p.mult, p.shift) : multiplyByQuantizedMultiplier(x, p.mult2, p.shift2));
        Y[i] = v < lo ? lo : v > hi ? hi : v;
      }
      return;
    }
    case 'leakyXnn': {
      // XNNPACK qs8/qu8 vlrelu: 8.8 fixed-point multiplier per sign, bias (zp_out << 8) + 128, arithmetic shift by 8.
      const { lo, hi } = p;
      const bias = p.outZp * 256 + 128;
      for (let i = 0; i < n; i++) {
        const x = X[i] - p.inZp;
        const v = (bias + x * (x >= 0 ? p.mult : p.mult2)) >> 8;
        Y[i] = v < lo ? lo : v > hi ? hi : v;
      }
      return;
    }
    case 'lut': {
      const lut = p.lut!;
      const base = p.lutBase;
      for (let i = 0; i < n; i++) Y[i] = lut[X[i] - base];
      return;
    }
    case 'logistic16Lut': {
      const { mult, shift } = p;
      const round = shift > 0 ? Math.pow(2, shift - 1) : 0;
      const div = Math.pow(2, shift);
      const T = SIGMOID_TABLE_UINT16;
      for (let i = 0; i < n; i++) {
        const x = Math.floor((X[i] * mult + round) / div);
        const abs = x < 0 ? -x : x;
        const uh = abs >>> 9;
        let r: number;
        if (uh >= 255) {
          r = 0x7fff << 10;
        } else {
          const ua = T[uh];
          r = ua * 512 + (abs & 0x1ff) * (T[uh + 1] - ua);
        }
        r = x >= 0 ? r + 512 : (1 << 25) - r + 511;
        Y[i] = r >>> 10;
      }
      return;
    }
    case 'tanh16Lut': {
      const { mult, shift } = p;
      const round = shift > 0 ? Math.pow(2, shift - 1) : 0;
      const div = Math.pow(2, shift);
      const T = SIGMOID_TABLE_UINT16;
      for (let i = 0; i < n; i++) {
        const x = Math.floor((X[i] * mult + round) / div);
        const abs = x < 0 ? -x : x;
        const uh = abs >>> 8;
        let r: number;
        if (uh >= 255) {
          r = 0xffff << 8;
        } else {
          const ua = T[uh];
          r = ua * 256 + (abs & 0xff) * (T[uh + 1] - ua);
        }
        r = x >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
        Y[i] = wrap16(r >> 8);
      }
      return;
    }
    case 'fixed16': {
      // gemmlowp's int16 logistic/tanh of the raw value read as Q3.12, tabulated over all inputs; TANH with
      // input_left_shift 1 first doubles the raw value (saturating).
      const t = p.lut!;
      const doubled = p.shift === 1;
      for (let i = 0; i < n; i++) Y[i] = t[(doubled ? satShiftLeft16(X[i], 1) : X[i]) + 32768];
      return;
    }
    case 'hardswish': {
      const { lo, hi } = p;
      for (let i = 0; i < n; i++) {
        const hires = wrap16((X[i] - p.inZp) * 128);
        const preshiftOut = saturatingRoundingDoublingHighMulInt16(hires, p.mult);
        let reluish = hires;
        if (p.shift2 > 0) reluish = satShiftLeft16(reluish, p.shift2 - 1);
        reluish = saturatingRoundingDoublingHighMulInt16(reluish, p.mult2);
        if (p.shift2 > 0) reluish = satShiftLeft16(reluish, 1);
        if (p.shift2 < 0) reluish = roundingDivideByPOT(reluish, -p.shift2);
        reluish = (reluish + 32768) >> 1;
        const pre = saturatingDoublingHighMul16(reluish, preshiftOut);
        const v = wrap16(roundingDivideByPOT(pre, -p.shift) + p.outZp);
        Y[i] = v < lo ? lo : v > hi ? hi : v;
      }
      return;
    }
  }
}

function actPath(p: ActPlan): 'wasm' | 'js' {
  return p.wasm ? 'wasm' : 'js';
}

function wrap16(x: number): number {
  return (x << 16) >> 16;
}

function satShiftLeft16(x: number, s: number): number {
  const v = x * (1 << s);
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/** TFLite's SaturatingDoublingHighMul on int16 (no rounding: C division truncates). */
function saturatingDoublingHighMul16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  return wrap16(Math.trunc((a * b) / 32768));
}

/** RELU-style ops: float clamp, or requantize and clamp to round(bound / s_out) + zp. */
function makeClampKernel(op: string, maxVersion: number, lo: number, hi: number): Kernel<ActPlan> {
  return {
    op, maxVersion,
    prepare(ctx) {
      const { input, output, quantized } = io(ctx, ['float32', 'int8', 'uint8', 'int16']);
      if (!quantized) return floatPlan(ctx, (x) => (x < lo ? lo : x > hi ? hi : x), ACT_CLAMP, lo, hi);
      const p = basePlan((x) => x);
      p.mode = 'requant';
      const q = quantizeMultiplier(f32(f32(input.scale[0]) / f32(output.scale[0])));
      p.mult = q.multiplier; p.shift = q.shift;
      p.inZp = input.zeroPoint[0];
      p.outZp = output.zeroPoint[0];
      const [qmin, qmax] = dtypeRange(output.dtype);
      const quantize = (f: number) => {
        const r = f32(f / f32(output.scale[0]));
        return p.outZp + (r < 0 ? -Math.round(-r) : Math.round(r));
      };
      p.lo = Math.max(qmin, quantize(lo));
      p.hi = hi === Infinity ? qmax : Math.min(qmax, quantize(hi));
      return p;
    },
    eval: evalAct,
    path: actPath,
  };
}

export const reluKernel = makeClampKernel('RELU', 3, 0, Infinity);
export const relu6Kernel = makeClampKernel('RELU6', 3, 0, 6);
export const reluN1To1Kernel = makeClampKernel('RELU_N1_TO_1', 1, -1, 1);
export const relu0To1Kernel = makeClampKernel('RELU_0_TO_1', 1, 0, 1);

export const leakyReluKernel: Kernel<ActPlan> = {
  op: 'LEAKY_RELU',
  maxVersion: 2,
  prepare(ctx) {
    const alpha = f32(Number(ctx.options.alpha ?? 0.2));
    const { input, output, quantized } = io(ctx, ['float32', 'int8', 'uint8', 'int16']);
    if (!quantized) return floatPlan(ctx, (x) => (x > 0 ? x : f32(x * alpha)), ACT_LEAKY, 0, 0, alpha);
    const p = basePlan((x) => x);
    const si = f32(input.scale[0]), so = f32(output.scale[0]);
    p.inZp = input.zeroPoint[0];
    p.outZp = output.zeroPoint[0];
    [p.lo, p.hi] = dtypeRange(output.dtype);
    if (ctx.arithmetic === 'xnnpack' && usesXnnpack(input.dtype)) {
      // XNNPACK takes the op when its scale ratios are in range (xnn_create_leaky_relu_nc_qs8/qu8); otherwise the
      // delegate's subgraph would fail and TFLite's own kernel (the reference arithmetic below) runs.
      const positive = f32(si / so);
      const negative = f32(positive * alpha);
      const inRange = positive >= 2 ** -8 && positive <= 2 ** 7 && negative >= -127.99609375 && negative <= 2 ** 7 &&
        Math.abs(negative) >= 2 ** -8;
      if (inRange) {
        p.mode = 'leakyXnn';
        p.mult = roundHalfEven(f32(256 * positive));
        p.mult2 = roundHalfEven(f32(256 * negative));
        return p;
      }
    }
    p.mode = 'leaky';
    const qi = quantizeMultiplier(f32(si / so));
    const qa = quantizeMultiplier(f32(f32(si * alpha) / so));
    p.mult = qi.multiplier; p.shift = qi.shift;
    p.mult2 = qa.multiplier; p.shift2 = qa.shift;
    return p;
  },
  eval: evalAct,
  path: actPath,
};

/** Int32 multiplier reduced to int16 with rounding, as DownScaleInt32ToInt16Multiplier. */
function downScaleToInt16(m: number): number {
  if (m >= 2147483647 - 32768) return 32767;
  return (m + 32768) >> 16;
}

export const hardSwishKernel: Kernel<ActPlan> = {
  op: 'HARD_SWISH',
  maxVersion: 1,
  prepare(ctx) {
    const { input, output, quantized } = io(ctx, ['float32', 'int8', 'uint8']);
    if (!quantized) return floatPlan(ctx, (x) => f32(f32(x * Math.min(6, Math.max(0, f32(x + 3)))) / 6), ACT_HARD_SWISH);
    const p = basePlan((x) => x);
    p.mode = 'hardswish';
    const hiresInputScale = f32(f32(1 / 128) * f32(input.scale[0]));
    const reluishScale = f32(3 / 32768);
    const qo = quantizeMultiplier(f32(hiresInputScale / f32(output.scale[0])));
    const qr = quantizeMultiplier(f32(hiresInputScale / reluishScale));
    if (qo.shift > 0) ctx.unsupported('HARD_SWISH output multiplier above 1');
    p.mult = downScaleToInt16(qo.multiplier); p.shift = qo.shift;
    p.mult2 = downScaleToInt16(qr.multiplier); p.shift2 = qr.shift;
    p.inZp = input.zeroPoint[0];
    p.outZp = output.zeroPoint[0];
    [p.lo, p.hi] = dtypeRange(output.dtype);
    return p;
  },
  eval: evalAct,
  path: actPath,
};

/**
 * int16 LOGISTIC/TANH Prepare (activations.cc): zero points 0, output scale 2^-15; a power-of-two input scale whose
 * left shift (12 + log2 scale) is 0 (TANH: 0 or 1) runs the fixed-point function; otherwise the input multiplier
 * rescales to 1/(3*4096): doubled with the shift until above 32767/2, then truncated.
 */
function prepareInt16(ctx: PrepareContext, op: 'LOGISTIC' | 'TANH', input: RuntimeTensor, output: RuntimeTensor): ActPlan {
  if (input.zeroPoint[0] !== 0 || output.zeroPoint[0] !== 0) ctx.unsupported(`int16 ${op} needs zero points 0`);
  const out = checkedLog2(output.scale[0]);
  if (!out.pot || out.log2 !== -15 || (op === 'LOGISTIC' && f32(output.scale[0]) !== 1 / 32768)) {
    ctx.unsupported(`int16 ${op} output must have scale 1/32768 and zero point 0`);
  }
  const p = basePlan((x) => x);
  const inLog2 = checkedLog2(input.scale[0]);
  const leftShift = 12 + inLog2.log2;
  const fixed16 = (shift: number): ActPlan => {
    p.mode = 'fixed16';
    p.shift = shift;
    p.lut = int16Table(op === 'LOGISTIC' ? 'logistic' : 'tanh', 3);
    return p;
  };
  if (inLog2.pot && (leftShift === 0 || (op === 'TANH' && leftShift === 1))) return fixed16(leftShift);
  let multiplier = f32(input.scale[0]) * 4096 * 3;
  let shift = 0;
  while (multiplier <= 32767 / 2 && shift <= 30) {
    shift++;
    multiplier *= 2;
  }
  if (multiplier >= 65536) ctx.unsupported(`int16 ${op} input scale ${input.scale[0]} is too large`);
  p.mult = Math.trunc(multiplier);
  // A multiplier truncated to 0 (input scale below ~2^-44) falls back to the fixed-point path, as in TFLite
  // (whose optimized TANH then doubles the input, its left shift being nonzero).
  if (p.mult === 0) return fixed16(op === 'TANH' ? 1 : 0);
  p.shift = shift;
  p.mode = op === 'LOGISTIC' ? 'logistic16Lut' : 'tanh16Lut';
  return p;
}

/** Ops that are a float function, with an 8-bit table for int8/uint8 (and int16 fixed-point for LOGISTIC/TANH). */
function makeLutKernel(op: string, maxVersion: number, fn: (x: number) => number,
  fixedOutput?: (dtype: string) => [number, number]): Kernel<ActPlan> {
  const int16 = op === 'LOGISTIC' || op === 'TANH';
  return {
    op, maxVersion,
    prepare(ctx) {
      const { input, output, quantized } = io(ctx, int16 ? ['float32', 'int8', 'uint8', 'int16'] : ['float32', 'int8', 'uint8']);
      if (!quantized) {
        const kind = op === 'LOGISTIC' ? ACT_LOGISTIC : op === 'TANH' ? ACT_TANH : -1;
        return kind >= 0 ? floatPlan(ctx, (x) => f32(fn(x)), kind) : basePlan((x) => f32(fn(x)));
      }
      if (input.dtype === 'int16') return prepareInt16(ctx, op as 'LOGISTIC' | 'TANH', input, output);
      if (fixedOutput) {
        const [scale, zp] = fixedOutput(output.dtype);
        if (Math.abs(output.scale[0] - scale) > 1e-9 || output.zeroPoint[0] !== zp) {
          ctx.unsupported(`${op} ${output.dtype} output must have scale ${scale} and zero point ${zp}`);
        }
      }
      const p = basePlan((x) => x);
      p.mode = 'lut';
      p.lut = populateLut8(input.dtype, input.scale[0], input.zeroPoint[0], output.scale[0], output.zeroPoint[0], fn);
      p.lutBase = input.dtype === 'int8' ? -128 : 0;
      return p;
    },
    eval: evalAct,
    path: actPath,
  };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
export const logisticKernel = makeLutKernel('LOGISTIC', 3, sigmoid, (d) => [1 / 256, d === 'int8' ? -128 : 0]);
export const tanhKernel = makeLutKernel('TANH', 3, Math.tanh, (d) => [1 / 128, d === 'int8' ? 0 : 128]);
export const eluKernel = makeLutKernel('ELU', 1, (x) => (x < 0 ? Math.expm1(x) : x));

/** GELU exact: 0.5 x (1 + erf(x / sqrt 2)), the erf term in double as TFLite's GeluTransform. */
const geluExact = (x: number) => f32(f32(0.5 * x) * (1 + erf(x * Math.SQRT1_2)));
const SQRT_2_OVER_PI = f32((2 / Math.sqrt(Math.PI)) * Math.SQRT1_2);
/** GELU approximate: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), all in float32 as TFLite's transform. */
const geluApproximate = (x: number) => {
  const cubic = f32(x + f32(f32(f32(f32(0.044715) * x) * x) * x));
  return f32(f32(0.5 * x) * f32(1 + f32(Math.tanh(f32(SQRT_2_OVER_PI * cubic)))));
};

/** GELU (options.approximate): float, or the 8-bit table of the same transform (activations.cc GeluPrepare). */
export const geluKernel: Kernel<ActPlan> = {
  op: 'GELU',
  maxVersion: 2,
  prepare(ctx) {
    const fn = ctx.options.approximate === true ? geluApproximate : geluExact;
    const { input, output, quantized } = io(ctx, ['float32', 'int8', 'uint8']);
    if (!quantized) return basePlan(fn);
    const p = basePlan((x) => x);
    p.mode = 'lut';
    p.lut = populateLut8(input.dtype, input.scale[0], input.zeroPoint[0], output.scale[0], output.zeroPoint[0], fn);
    p.lutBase = input.dtype === 'int8' ? -128 : 0;
    return p;
  },
  eval: evalAct,
  path: actPath,
};
