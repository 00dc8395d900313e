// QUANTIZE (float32 -> int8/uint8/int16, and requantization between integer types) and DEQUANTIZE
// (int8/uint8/int16 per-tensor or per-channel, float16 -> float32), as TFLite's quantize.cc / dequantize.cc.
// QUANTIZE picks one of four arithmetics at prepare (measured bit-exact against the official runtime):
//  - 'xnnpack' mode, float32 -> int8/uint8: the XNNPACK delegate's f32->qs8/qu8 convert: x * float32(1 / scale) in
//    float32, clamped to [qmin - zp, qmax - zp], rounded half to even, plus zp.
//  - 'xnnpack' mode, int8 -> int8 / uint8 -> uint8 with float32(s_in / s_out) in [2^-8, 2^7] (the delegate's limits):
//    XNNPACK's qs8/qu8 convert with an 8-bit fixed-point multiplier m = lrintf(256 * s_in / s_out):
//    floor(((x - zp_in) * m + 128) / 256) + zp_out, saturated.
//  - 'xnnpack' mode, float32 -> int16 (not delegated): TFLite's optimized AffineQuantize, x / scale in double
//    precision rounded half away from zero.
//  - otherwise (all of 'reference', and the requantizations the delegate refuses): TFLite's reference arithmetic,
//    round(float32(x / scale)) half away from zero, or MultiplyByQuantizedMultiplier(x - zp_in, s_in / s_out) + zp_out.

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { dtypeRange, multiplyByQuantizedMultiplier, quantizeMultiplier, roundHalfAwayFromZero } from '../quant-math.js';
import { roundHalfEven } from '../requantize.js';
import { requireQuantized } from './conv-common.js';
import { arenaFor, runUnaryWasm, type UnaryWasm, type WasmFn } from './unary-wasm.js';

const INTEGER_TYPES = ['int8', 'uint8', 'int16'];
const f32 = Math.fround;
/** 1.5 * 2^23: adding it to a float32 |x| < 2^22 rounds x to an integer, ties to even (XNNPACK's "magic bias"). */
const MAGIC = 12582912;

export type QuantizeArithmetic = 'float-reference' | 'float-xnnpack' | 'float-double' | 'requantize-fixed' | 'requantize-xnnpack';

export interface QuantizePlan {
  arithmetic: QuantizeArithmetic;
  /** Output scale (float paths); float-xnnpack: float32(1 / scale). */
  scale: number;
  inputZeroPoint: number;
  outputZeroPoint: number;
  /** requantize-fixed: Q31 multiplier and shift; requantize-xnnpack: 8-bit fraction multiplier (shift unused). */
  multiplier: number;
  shift: number;
  qmin: number;
  qmax: number;
  /** The XNNPACK arithmetics on 8-bit outputs: the WebAssembly loop (bit-identical), or null. */
  wasm: UnaryWasm | null;
}

function prepareQuantize(ctx: PrepareContext): QuantizePlan {
  const input = ctx.inputs[0];
  const output = ctx.outputs[0];
  if (!input) ctx.unsupported('needs an input');
  output.shape = [...input.shape];
  if (!INTEGER_TYPES.includes(output.dtype)) ctx.unsupported(`output dtype ${output.dtype} (supported: ${INTEGER_TYPES.join(', ')})`);
  requireQuantized(ctx, output);
  if (output.scale.length > 1) ctx.unsupported('per-channel output quantization');
  const [qmin, qmax] = dtypeRange(output.dtype);
  const xnnpack = ctx.arithmetic === 'xnnpack';
  const eightBit = output.dtype === 'int8' || output.dtype === 'uint8';
  const plan: QuantizePlan = {
    arithmetic: 'float-reference', scale: output.scale[0], inputZeroPoint: 0, outputZeroPoint: output.zeroPoint[0] ?? 0,
    multiplier: 0, shift: 0, qmin, qmax, wasm: null,
  };
  const n = output.shape.reduce((a, b) => a * b, 1);
  const signed = output.dtype === 'int8' ? 1 : 0;
  const arena = arenaFor(ctx);
  if (input.dtype === 'float32') {
    if (xnnpack && eightBit) {
      plan.arithmetic = 'float-xnnpack';
      plan.scale = f32(1 / f32(output.scale[0]));
      if (arena) {
        const f = arena.exports.quantizeF32Q8 as WasmFn;
        const { scale, outputZeroPoint: zp } = plan;
        plan.wasm = { arena, call: (x, y) => f(signed, x, y, n, scale, qmin - zp, qmax - zp, zp) };
      }
    } else if (xnnpack) {
      plan.arithmetic = 'float-double';
    }
    return plan;
  }
  if (!INTEGER_TYPES.includes(input.dtype)) ctx.unsupported(`input dtype ${input.dtype}`);
  requireQuantized(ctx, input);
  plan.inputZeroPoint = input.zeroPoint[0] ?? 0;
  const ratio = f32(f32(input.scale[0]) / f32(output.scale[0]));
  if (xnnpack && eightBit && input.dtype === output.dtype && ratio >= 2 ** -8 && ratio <= 2 ** 7) {
    plan.arithmetic = 'requantize-xnnpack';
    plan.multiplier = roundHalfEven(f32(256 * ratio));
    if (arena) {
      const f = arena.exports.requantizeQ8 as WasmFn;
      const { inputZeroPoint, multiplier, outputZeroPoint } = plan;
      plan.wasm = { arena, call: (x, y) => f(signed, x, y, n, inputZeroPoint, multiplier, outputZeroPoint) };
    }
    return plan;
  }
  plan.arithmetic = 'requantize-fixed';
  const q = quantizeMultiplier(input.scale[0] / output.scale[0]);
  plan.multiplier = q.multiplier;
  plan.shift = q.shift;
  return plan;
}

function evalQuantize(p: QuantizePlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  if (p.wasm && runUnaryWasm(p.wasm, inputs[0]!, outputs[0])) return;
  const input = inputs[0]!.data as Float32Array;
  const out = outputs[0].data as Int8Array;
  const n = out.length;
  const { qmin, qmax, outputZeroPoint: zp, inputZeroPoint, multiplier, shift, scale } = p;
  switch (p.arithmetic) {
    case 'float-reference':
      for (let i = 0; i < n; i++) {
        const q = roundHalfAwayFromZero(f32(input[i] / scale)) + zp;
        out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
      }
      return;
    case 'float-double':
      for (let i = 0; i < n; i++) {
        const q = roundHalfAwayFromZero(input[i] / scale) + zp;
        out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
      }
      return;
    case 'float-xnnpack': {
      // Clamp before rounding, as XNNPACK does (the same result as clamping after).
      const lo = qmin - zp, hi = qmax - zp;
      for (let i = 0; i < n; i++) {
        let v = f32(input[i] * scale);
        v = v < lo ? lo : v > hi ? hi : v;
        out[i] = f32(v + MAGIC) - MAGIC + zp;
      }
      return;
    }
    case 'requantize-xnnpack':
      for (let i = 0; i < n; i++) {
        const q = Math.floor(((input[i] - inputZeroPoint) * multiplier + 128) / 256) + zp;
        out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
      }
      return;
    case 'requantize-fixed':
      for (let i = 0; i < n; i++) {
        const q = multiplyByQuantizedMultiplier(input[i] - inputZeroPoint, multiplier, shift) + zp;
        out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
      }
  }
}

export const quantizeKernel: Kernel<QuantizePlan> = {
  op: 'QUANTIZE',
  // v1 float->uint8, v2 int8 / requantize, v3 int16.
  maxVersion: 3,
  prepare: prepareQuantize,
  eval: evalQuantize,
  path: (p) => (p.wasm ? 'wasm' : 'js'),
};

/** IEEE half-precision bits to a number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export interface DequantizePlan {
  half: boolean;
  /** Per element block: scale/zero point of each channel; inner = elements per channel step. */
  scales: Float64Array;
  zeroPoints: Int32Array;
  perChannel: boolean;
  channels: number;
  inner: number;
  /** Per tensor from 8/16 bits with a float32 scale: the WebAssembly loop (bit-identical), or null. */
  wasm: UnaryWasm | null;
}

function prepareDequantize(ctx: PrepareContext): DequantizePlan {
  const input = ctx.inputs[0];
  const output = ctx.outputs[0];
  if (!input) ctx.unsupported('needs an input');
  output.shape = [...input.shape];
  if (output.dtype !== 'float32') ctx.unsupported(`output dtype ${output.dtype} (only float32)`);
  const plan: DequantizePlan = { half: false, scales: new Float64Array(1), zeroPoints: new Int32Array(1), perChannel: false, channels: 1, inner: 1, wasm: null };
  if (input.dtype === 'float16') {
    plan.half = true;
    return plan;
  }
  if (!INTEGER_TYPES.includes(input.dtype)) ctx.unsupported(`input dtype ${input.dtype} (supported: float16, ${INTEGER_TYPES.join(', ')})`);
  requireQuantized(ctx, input);
  if (input.scale.length > 1) {
    const axis = input.quantizedDimension;
    if (axis < 0 || axis >= input.shape.length || input.shape[axis] !== input.scale.length) {
      ctx.unsupported(`tensor '${input.name}': ${input.scale.length} scales do not match dimension ${axis} of [${input.shape}]`);
    }
    plan.perChannel = true;
    plan.channels = input.scale.length;
    plan.inner = input.shape.slice(axis + 1).reduce((a, d) => a * d, 1);
  }
  plan.scales = Float64Array.from(input.scale);
  plan.zeroPoints = Int32Array.from(input.scale.map((_, i) => input.zeroPoint[i] ?? input.zeroPoint[0] ?? 0));
  const scale = plan.scales[0];
  // The module multiplies in float32: the same single rounding only when the scale is a float32 value.
  const arena = arenaFor(ctx);
  if (arena && !plan.perChannel && f32(scale) === scale) {
    const f = arena.exports.dequantizeQ8F32 as WasmFn;
    const kind = input.dtype === 'int8' ? 0 : input.dtype === 'uint8' ? 1 : 2;
    const zp = plan.zeroPoints[0];
    const n = output.shape.reduce((a, b) => a * b, 1);
    plan.wasm = { arena, call: (x, y) => f(kind, x, y, n, scale, zp) };
  }
  return plan;
}

function evalDequantize(p: DequantizePlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  if (p.wasm && runUnaryWasm(p.wasm, inputs[0]!, outputs[0])) return;
  const input = inputs[0]!.data as Int8Array;
  const out = outputs[0].data as Float32Array;
  const n = out.length;
  if (p.half) {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(input[i]);
    return;
  }
  if (!p.perChannel) {
    const scale = p.scales[0];
    const zp = p.zeroPoints[0];
    for (let i = 0; i < n; i++) out[i] = scale * (input[i] - zp);
    return;
  }
  // PerChannelDequantize: float arithmetic (value - zero point) * scale.
  const { channels, inner } = p;
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / inner) % channels;
    out[i] = Math.fround((input[i] - p.zeroPoints[c]) * Math.fround(p.scales[c]));
  }
}

export const dequantizeKernel: Kernel<DequantizePlan> = {
  op: 'DEQUANTIZE',
  // v1 uint8, v2 int8 / float16, v3 per-channel, v4 int16, v5 ...
  maxVersion: 5,
  prepare: prepareDequantize,
  eval: evalDequantize,
  path: (p) => (p.wasm ? 'wasm' : 'js'),
};
