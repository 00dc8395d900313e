// Output requantization of the accumulating kernels (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED): int32
// accumulators (held exactly in doubles) to quantized outputs, in one of two arithmetics planned at prepare time:
//  - XNNPACK "fp32" (the official runtime's default delegate, int8/uint8 only): scale = float32(float32(s_in * s_w[c])
//    / s_out); out = round_half_even(float32(float32(acc) * scale)), clamped to [min - zp, max - zp], plus zp; the clamp
//    comes from the fused activation's float range quantized as XNNPACK does (lrintf(f / s_out + zp), saturated).
//  - TFLite reference fixed point: Q31 multiplier and shift per channel (MultiplyByQuantizedMultiplier), or its
//    64-bit form for int16 activations with an int64 bias.

import type { DType } from '../graph/model.js';
import type { Arithmetic, PrepareContext, RuntimeTensor } from './kernel.js';
import {
  activationRange, activationRangeFloat, dtypeRange, getQuantizedConvolutionMultiplier, getQuantizedConvolutionMultipliers,
  multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierInt64,
} from './quant-math.js';

const f32 = Math.fround;
/** 1.5 * 2^23: adding it to a float32 |x| < 2^22 rounds x to an integer, ties to even (XNNPACK's "magic bias"). */
const MAGIC = 12582912;

export type RequantKind = 'fp32' | 'fixed' | 'fixed64';

export interface Requantization {
  kind: RequantKind;
  /** fp32: float32 scale per channel. */
  scales: Float32Array;
  /** fixed / fixed64: Q31 multiplier and shift per channel. */
  multipliers: Int32Array;
  shifts: Int32Array;
  zeroPoint: number;
  /** Output clamp (quantized units, fused activation included). */
  min: number;
  max: number;
}

/** lrintf: round to nearest, ties to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

/** XNNPACK's quantization of an activation bound: lrintf(clamp(float32(f / scale) + zp)) in float32. */
function xnnQuantize(f: number, scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  const v = f32(f32(f / f32(scale)) + zeroPoint);
  return roundHalfEven(v < qmin ? qmin : v > qmax ? qmax : v);
}

/** The output clamp of a fused activation in the given arithmetic. */
export function outputRange(ctx: PrepareContext, arithmetic: Arithmetic, output: RuntimeTensor): [number, number] {
  const act = String(ctx.options.fusedActivationFunction ?? 'NONE');
  if (!output.scale.length) ctx.unsupported(`output '${output.name}' of dtype ${output.dtype} has no quantization parameters`);
  const zp = output.zeroPoint[0] ?? 0;
  try {
    if (arithmetic === 'xnnpack' && usesXnnpack(output.dtype)) {
      const [qmin, qmax] = dtypeRange(output.dtype);
      const [lo, hi] = activationRangeFloat(act);
      return [xnnQuantize(lo, output.scale[0], zp, qmin, qmax), xnnQuantize(hi, output.scale[0], zp, qmin, qmax)];
    }
    return activationRange(act, output.dtype, output.scale[0], zp);
  } catch {
    return ctx.unsupported(`fused activation ${act} on a quantized output`);
  }
}

/** XNNPACK handles 8-bit activations only; int16 kernels always run TFLite's own arithmetic. */
export function usesXnnpack(dtype: DType): boolean {
  return dtype === 'int8' || dtype === 'uint8';
}

/**
 * Plan the requantization of a conv-like op with `channels` outputs. `legacyPerTensor`: the reference multiplier is
 * GetQuantizedConvolutionMultipler's (float32 product of the scales), as TFLite uses for uint8 convolutions and
 * per-tensor fully-connected weights; otherwise the per-channel double-precision multipliers.
 */
export function planRequantization(ctx: PrepareContext, input: RuntimeTensor, filter: RuntimeTensor, output: RuntimeTensor,
  channels: number, opts: { legacyPerTensor: boolean; wide: boolean }): Requantization {
  for (const t of [input, filter, output]) {
    if (!t.scale.length) ctx.unsupported(`tensor '${t.name}' (${t.dtype}) needs quantization parameters`);
  }
  if (filter.scale.length !== 1 && filter.scale.length !== channels) {
    ctx.unsupported(`filter '${filter.name}' has ${filter.scale.length} scales for ${channels} output channels`);
  }
  const [min, max] = outputRange(ctx, ctx.arithmetic, output);
  const r: Requantization = {
    kind: 'fixed', scales: new Float32Array(0), multipliers: new Int32Array(0), shifts: new Int32Array(0),
    zeroPoint: output.zeroPoint[0] ?? 0, min, max,
  };
  if (ctx.arithmetic === 'xnnpack' && usesXnnpack(input.dtype)) {
    r.kind = 'fp32';
    r.scales = new Float32Array(channels);
    const sIn = f32(input.scale[0]);
    const sOut = f32(output.scale[0]);
    for (let c = 0; c < channels; c++) {
      const sW = f32(filter.scale[filter.scale.length > 1 ? c : 0]);
      r.scales[c] = f32(f32(sIn * sW) / sOut);
    }
    return r;
  }
  r.kind = opts.wide ? 'fixed64' : 'fixed';
  if (opts.legacyPerTensor && filter.scale.length === 1) {
    const q = getQuantizedConvolutionMultiplier(input.scale[0], filter.scale[0], output.scale[0]);
    r.multipliers = new Int32Array(channels).fill(q.multiplier);
    r.shifts = new Int32Array(channels).fill(q.shift);
  } else {
    const m = getQuantizedConvolutionMultipliers(input.scale[0], filter.scale, output.scale[0], channels);
    r.multipliers = m.multipliers;
    r.shifts = m.shifts;
  }
  return r;
}

/**
 * out[outBase + c] = requantize(acc[accBase + c] + bias[c]) for c in [0, count): the mode is chosen once per row,
 * each loop is straight-line per element.
 */
export function requantizeRow(r: Requantization, acc: Float64Array | Int32Array, accBase: number, bias: Float64Array,
  out: Int8Array | Uint8Array | Int16Array, outBase: number, count: number): void {
  const zp = r.zeroPoint;
  if (r.kind === 'fp32') {
    const scales = r.scales;
    // Clamp before rounding (as XNNPACK's scalar "fmagic" kernels): the same result as clamping after.
    const lo = r.min - zp;
    const hi = r.max - zp;
    for (let c = 0; c < count; c++) {
      let v = f32(f32(acc[accBase + c] + bias[c]) * scales[c]);
      v = v < lo ? lo : v > hi ? hi : v;
      out[outBase + c] = f32(v + MAGIC) - MAGIC + zp;
    }
    return;
  }
  const { multipliers, shifts, min, max } = r;
  if (r.kind === 'fixed') {
    for (let c = 0; c < count; c++) {
      const v = multiplyByQuantizedMultiplier((acc[accBase + c] + bias[c]) | 0, multipliers[c], shifts[c]) + zp;
      out[outBase + c] = v < min ? min : v > max ? max : v;
    }
    return;
  }
  for (let c = 0; c < count; c++) {
    const v = multiplyByQuantizedMultiplierInt64(acc[accBase + c] + bias[c], multipliers[c], shifts[c]) + zp;
    out[outBase + c] = v < min ? min : v > max ? max : v;
  }
}
