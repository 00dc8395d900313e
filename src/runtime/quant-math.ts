// TFLite's fixed-point arithmetic (quantization_util.cc, common.h, gemmlowp fixedpoint), bit-exact in JS.
// JS numbers are doubles: the product of two int32 values can exceed 2^53, so 64-bit products are built from
// exact partial products (each below 2^53). No BigInt here: these functions run in hot loops.

import type { DType } from '../graph/model.js';

const TWO_31 = 2147483648;
const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

/** std::round / TfLiteRound: halves away from zero (Math.round sends -2.5 to -2). */
export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? 0 - Math.round(-x) : Math.round(x);
}

/** C's frexp: x = mantissa * 2^exponent with 0.5 <= |mantissa| < 1 (0 for 0). */
export function frexp(x: number): { mantissa: number; exponent: number } {
  if (x === 0 || !Number.isFinite(x)) return { mantissa: x, exponent: 0 };
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a)) + 1;
  let m = a * Math.pow(2, -e);
  // log2 may be off by one near powers of two (and 2^-e underflows for subnormals): fix up exactly.
  while (m >= 1) { m /= 2; e++; }
  while (m < 0.5) { m *= 2; e--; }
  return { mantissa: x < 0 ? -m : m, exponent: e };
}

export interface QuantizedMultiplier {
  /** Q0.31 significand (int32). */
  multiplier: number;
  /** Power-of-two exponent: positive = left shift, negative = right shift. */
  shift: number;
}

/** QuantizeMultiplier: real = multiplier * 2^(shift - 31), tiny multipliers (shift < -31) flushed to 0. */
export function quantizeMultiplier(realMultiplier: number): QuantizedMultiplier {
  if (realMultiplier === 0) return { multiplier: 0, shift: 0 };
  const { mantissa, exponent } = frexp(realMultiplier);
  let shift = exponent;
  let qFixed = roundHalfAwayFromZero(mantissa * TWO_31);
  if (qFixed === TWO_31) {
    qFixed /= 2;
    shift++;
  }
  if (shift < -31) {
    shift = 0;
    qFixed = 0;
  }
  return { multiplier: qFixed, shift };
}

/** QuantizeMultiplierSmallerThanOneExp: requires 0 < real < 1; the shift is <= 0 (a left-shift exponent). */
export function quantizeMultiplierSmallerThanOneExp(realMultiplier: number): QuantizedMultiplier {
  if (!(realMultiplier > 0 && realMultiplier < 1)) {
    throw new RangeError(`quantizeMultiplierSmallerThanOneExp: multiplier ${realMultiplier} not in (0, 1)`);
  }
  return quantizeMultiplier(realMultiplier);
}

/** QuantizeMultiplierGreaterThanOne: requires real > 1; shift >= 0. */
export function quantizeMultiplierGreaterThanOne(realMultiplier: number): QuantizedMultiplier {
  if (!(realMultiplier > 1)) throw new RangeError(`quantizeMultiplierGreaterThanOne: multiplier ${realMultiplier} not > 1`);
  return quantizeMultiplier(realMultiplier);
}

/**
 * gemmlowp SaturatingRoundingDoublingHighMul: (a*b + nudge) / 2^31 truncated toward zero, with the single
 * overflow case (INT32_MIN * INT32_MIN) saturated. a and b are int32.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a >= -2097152 && a <= 2097152) {
    // Fast path: |a*b| < 2^52, so the product, the nudge and the power-of-two division are all exact.
    const ab = a * b;
    return ((ab + (ab >= 0 ? 1073741824 : -1073741823)) / TWO_31) | 0;
  }
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  // Double-precision estimate: |a*b| < 2^62, so the product and the nudged sum are each off by at most 2^8 and the
  // quotient by less than 2^-22. Truncating it is exact unless the true quotient lies that close to an integer.
  const t = (a * b + ((a < 0) === (b < 0) ? 1073741824 : -1073741823)) / TWO_31;
  const r = Math.trunc(t);
  const frac = t - r;
  if (frac > 1e-6 || frac < -1e-6) {
    if (frac < 0.999999 && frac > -0.999999) return r | 0;
  }
  // a*b = ah*b*2^16 + al*b with al in [0, 65536): both partial products are exact (< 2^47).
  const al = a & 0xffff;
  const ah = (a - al) / 65536;
  const hi = ah * b; // |hi| <= 2^46
  const lo = al * b; // |lo| < 2^47
  const positive = (a < 0) === (b < 0) || a === 0 || b === 0;
  const nudge = positive ? 1073741824 : -1073741823;
  // hi*2^16 = hq*2^31 + hr*2^16 with hr in [0, 2^15).
  const hq = Math.floor(hi / 32768);
  const hr = hi - hq * 32768;
  const rest = hr * 65536 + lo + nudge; // exact: |rest| < 2^49
  const rq = Math.floor(rest / TWO_31);
  const floorQ = hq + rq;
  const remainder = rest - rq * TWO_31;
  // floor -> truncation toward zero for negative non-integral quotients.
  return floorQ < 0 && remainder !== 0 ? floorQ + 1 : floorQ;
}

/** gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero. exponent in [0, 31]. */
export function roundingDivideByPOT(x: number, exponent: number): number {
  const mask = ((1 << exponent) - 1) | 0; // exponent 31: (-2^31 - 1) | 0 = 2^31 - 1
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** TFLite's MultiplyByQuantizedMultiplier (double rounding), int32 x. */
export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const leftShift = shift > 0 ? shift : 0;
  const rightShift = shift > 0 ? 0 : -shift;
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(leftShift ? (x << leftShift) : x, multiplier), rightShift);
}

/** MultiplyByQuantizedMultiplierSmallerThanOneExp: leftShift <= 0. */
export function multiplyByQuantizedMultiplierSmallerThanOneExp(x: number, multiplier: number, leftShift: number): number {
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, multiplier), -leftShift);
}

/** MultiplyByQuantizedMultiplierGreaterThanOne: leftShift >= 0. */
export function multiplyByQuantizedMultiplierGreaterThanOne(x: number, multiplier: number, leftShift: number): number {
  return saturatingRoundingDoublingHighMul(x << leftShift, multiplier);
}

/**
 * TFLite's MultiplyByQuantizedMultiplier for an int64 accumulator (int16x8 kernels): the multiplier is reduced
 * to 16 bits and one rounding shift is applied. x is an integer with |x| < 2^47 held in a double.
 */
export function multiplyByQuantizedMultiplierInt64(x: number, multiplier: number, shift: number): number {
  const reduced = multiplier < 0x7fff0000 ? (multiplier + 32768) >> 16 : 0x7fff;
  const totalShift = 15 - shift;
  const round = Math.pow(2, totalShift - 1);
  // floor((x*reduced + round) / 2^totalShift) exactly: x = xh*2^24 + xl with xl in [0, 2^24).
  const xl = x - Math.floor(x / 16777216) * 16777216;
  const xh = (x - xl) / 16777216;
  const a = xh * reduced; // < 2^40
  const b = xl * reduced + round; // < 2^47
  let result: number;
  if (totalShift <= 24) {
    result = a * Math.pow(2, 24 - totalShift) + Math.floor(b / Math.pow(2, totalShift));
  } else {
    const bq = Math.floor(b / 16777216);
    result = Math.floor((a + bq) / Math.pow(2, totalShift - 24));
  }
  return result;
}

/** Integer range of a quantized dtype. */
export function dtypeRange(dtype: DType): [number, number] {
  switch (dtype) {
    case 'int8': return [-128, 127];
    case 'uint8': return [0, 255];
    case 'int16': return [-32768, 32767];
    case 'int32': return [INT32_MIN, INT32_MAX];
    default: throw new RangeError(`no quantized integer range for dtype ${dtype}`);
  }
}

export type FusedActivation = 'NONE' | 'RELU' | 'RELU_N1_TO_1' | 'RELU6' | 'TANH' | 'SIGN_BIT' | string;

/**
 * CalculateActivationRangeQuantized: the clamp [min, max] of a quantized output with a fused activation.
 * f / scale is evaluated in float32 as TFLite does (both are floats there).
 */
export function activationRange(act: FusedActivation, dtype: DType, scale: number, zeroPoint: number): [number, number] {
  const [qmin, qmax] = dtypeRange(dtype);
  const s = Math.fround(scale);
  const quantize = (f: number) => zeroPoint + roundHalfAwayFromZero(Math.fround(f / s));
  switch (act) {
    case 'NONE': return [qmin, qmax];
    case 'RELU': return [Math.max(qmin, quantize(0)), qmax];
    case 'RELU6': return [Math.max(qmin, quantize(0)), Math.min(qmax, quantize(6))];
    case 'RELU_N1_TO_1': return [Math.max(qmin, quantize(-1)), Math.min(qmax, quantize(1))];
    default: throw new RangeError(`fused activation ${act} is not supported on quantized outputs`);
  }
}

/** CalculateActivationRange for float outputs. */
export function activationRangeFloat(act: FusedActivation): [number, number] {
  switch (act) {
    case 'NONE': return [-Infinity, Infinity];
    case 'RELU': return [0, Infinity];
    case 'RELU6': return [0, 6];
    case 'RELU_N1_TO_1': return [-1, 1];
    default: throw new RangeError(`fused activation ${act} is not supported as a clamp`);
  }
}

/**
 * Per-channel multipliers as PopulateConvolutionQuantizationParams computes them:
 * double(input_scale) * double(filter_scale[c]) / double(output_scale); a per-tensor filter scale is broadcast.
 */
export function getQuantizedConvolutionMultipliers(
  inputScale: number, filterScales: readonly number[], outputScale: number, channels: number,
): { multipliers: Int32Array; shifts: Int32Array } {
  const multipliers = new Int32Array(channels);
  const shifts = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    const fs = filterScales.length > 1 ? filterScales[c] : filterScales[0];
    const q = quantizeMultiplier((inputScale * fs) / outputScale);
    multipliers[c] = q.multiplier;
    shifts[c] = q.shift;
  }
  return { multipliers, shifts };
}

/**
 * The per-tensor legacy multiplier (GetQuantizedConvolutionMultipler): the input*filter product is a float32
 * product there, then divided by the output scale in double.
 */
export function getQuantizedConvolutionMultiplier(inputScale: number, filterScale: number, outputScale: number): QuantizedMultiplier {
  return quantizeMultiplier(Math.fround(inputScale * filterScale) / outputScale);
}

/** Quantize a real value with the given params and clamp to the dtype (as TFLite's reference Quantize). */
export function quantizeValue(x: number, scale: number, zeroPoint: number, dtype: DType): number {
  const [qmin, qmax] = dtypeRange(dtype);
  const q = roundHalfAwayFromZero(x / scale) + zeroPoint;
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

/**
 * gemmlowp's saturating rounding shift-left-or-right used by int16 LSTM / logistic helpers:
 * x * 2^exponent, saturated to int32 for left shifts, rounding for right shifts.
 */
export function saturatingRoundingMultiplyByPOT(x: number, exponent: number, bits = 32): number {
  if (exponent >= 0) {
    const min = -Math.pow(2, bits - 1);
    const max = Math.pow(2, bits - 1) - 1;
    const v = x * Math.pow(2, exponent);
    return v < min ? min : v > max ? max : v;
  }
  return roundingDivideByPOT(x, -exponent);
}

/** int16 gemmlowp SaturatingRoundingDoublingHighMul (for int16 fixed-point LUT math). */
export function saturatingRoundingDoublingHighMulInt16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  const ab = a * b; // exact
  const nudge = ab >= 0 ? 16384 : 1 - 16384;
  return Math.trunc((ab + nudge) / 32768);
}

/** Clamp helper. */
export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * tensor_utils::SymmetricQuantizeFloats (hybrid kernels): int8 in [-127, 127] with scale range/127, float32 math.
 * Returns the scaling factor (1 for an all-zero input).
 */
export function symmetricQuantizeFloats(values: Float32Array, start: number, size: number, out: Int8Array, outStart: number): number {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < size; i++) {
    const v = values[start + i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = Math.max(Math.abs(min), Math.abs(max));
  if (range === 0 || size === 0) {
    out.fill(0, outStart, outStart + size);
    return 1;
  }
  const scale = Math.fround(range / 127);
  const inv = Math.fround(127 / range);
  for (let i = 0; i < size; i++) {
    const q = roundHalfAwayFromZero(Math.fround(values[start + i] * inv));
    out[outStart + i] = q > 127 ? 127 : q < -127 ? -127 : q;
  }
  return scale;
}

/**
 * tensor_utils::AsymmetricQuantizeFloats: int8 in [-128, 127] with a nudged zero point (the range always holds 0).
 * Writes scale and offset (zero point) into `result[0..1]`.
 */
export function asymmetricQuantizeFloats(values: Float32Array, start: number, size: number, out: Int8Array, outStart: number,
  result: Float64Array): void {
  let min = 0;
  let max = 0;
  for (let i = 0; i < size; i++) {
    const v = values[start + i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (asymmetricQuantizeParameters(min, max, result)) {
    out.fill(0, outStart, outStart + size);
    return;
  }
  const zp = result[1];
  const inv = Math.fround(1 / result[0]);
  for (let i = 0; i < size; i++) {
    const q = roundHalfAwayFromZero(Math.fround(zp + Math.fround(values[start + i] * inv)));
    out[outStart + i] = q > 127 ? 127 : q < -128 ? -128 : q;
  }
}

/**
 * AsymmetricQuantizeFloats' parameters from the values' min and max (both starting from 0): result[0] = scale
 * (float32), result[1] = zero point; values quantize with float32(1 / scale). True when min === max (every value
 * quantizes to 0; scale 1, zero point 0).
 */
export function asymmetricQuantizeParameters(min: number, max: number, result: Float64Array): boolean {
  if (min === max) {
    result[0] = 1;
    result[1] = 0;
    return true;
  }
  const scale = (max - min) / 255;
  const zpFromMin = -128 - min / scale;
  const zpFromMax = 127 - max / scale;
  const errMin = 128 + Math.abs(min / scale);
  const errMax = 127 + Math.abs(max / scale);
  const zpDouble = errMin < errMax ? zpFromMin : zpFromMax;
  const sf = Math.fround(scale);
  result[0] = sf;
  result[1] = zpDouble <= -128 ? -128 : zpDouble >= 127 ? 127 : roundHalfAwayFromZero(zpDouble);
  return false;
}
