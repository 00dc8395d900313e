// HOW numbers are quantized (TFLite 8-bit quantization spec): symmetric int8 weights, per channel or per tensor;
// int32/int64 biases at input_scale x weight_scale; asymmetric int8 / symmetric int16 activation parameters
// (float16 conversion: graph/float16.ts). Pure functions over typed arrays; the rewrite decides where they apply.

import type { DType } from '../graph/model.js';
import { roundHalfAwayFromZero } from '../runtime/quant-math.js';
import type { RangeOrigin } from './numerics.js';
import { WEIGHT_HALF_RANGE_FLOOR, widenedRange } from './numerics.js';

export { floatValues } from './numerics.js';

export interface QuantParams {
  scale: number;
  zeroPoint: number;
}

/**
 * Asymmetric parameters for a float range, as TF nudges them: the range is widened to contain 0,
 * scale = (max - min) / (qmax - qmin), zero point = round(qmin - min / scale) clamped to [qmin, qmax].
 * A zero-width range gets scale 1 (activationParams widens narrow ranges before they get here).
 */
export function asymmetricParams(min: number, max: number, qmin: number, qmax: number): QuantParams {
  const lo = Math.min(min, 0), hi = Math.max(max, 0);
  const scale = Math.fround((hi - lo) / (qmax - qmin));
  if (!(scale > 0) || !Number.isFinite(scale)) return { scale: 1, zeroPoint: qmin < 0 ? 0 : qmin };
  const zpFromMin = qmin - lo / scale;
  const zeroPoint = zpFromMin < qmin ? qmin : zpFromMin > qmax ? qmax : roundHalfAwayFromZero(zpFromMin);
  return { scale: dequantizableScale(scale, Math.max(qmax - zeroPoint, zeroPoint - qmin)), zeroPoint };
}

/** Symmetric parameters (zero point 0): scale = max|x| / qmax (qmax = 127 for int8, 32767 for int16). */
export function symmetricParams(min: number, max: number, qmax: number): QuantParams {
  const m = Math.max(Math.abs(min), Math.abs(max));
  const scale = Math.fround(m / qmax);
  return { scale: scale > 0 && Number.isFinite(scale) ? dequantizableScale(scale, qmax + 1) : 1, zeroPoint: 0 };
}

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The scale, lowered by the least needed for scale x `steps` (the farthest integer from the zero point) to stay a
 * finite float32: a range reaching +-3.4e38 would otherwise dequantize its end to Inf. Other scales are unchanged.
 */
function dequantizableScale(scale: number, steps: number): number {
  if (Number.isFinite(Math.fround(scale * steps))) return scale;
  let s = Math.fround(FLOAT32_MAX / steps);
  if (!Number.isFinite(Math.fround(s * steps))) s = Math.fround(s * (1 - 2 ** -23));
  return s;
}

/** [lo, hi] an activation is quantized over: containing 0, symmetric for int16, narrow ranges widened (numerics.ts). */
export function activationRange(min: number, max: number, dtype: 'int8' | 'int16' | 'uint8', origin: RangeOrigin = 'calibrated'): { lo: number; hi: number; widened: boolean } {
  let lo = Math.min(min, 0), hi = Math.max(max, 0);
  if (dtype === 'int16') {
    hi = Math.max(-lo, hi);
    lo = -hi;
  }
  const w = widenedRange(lo, hi, origin);
  return w ? { lo: w[0], hi: w[1], widened: true } : { lo, hi, widened: false };
}

/** Activation parameters of an integer dtype: int8 asymmetric, int16 symmetric, uint8 asymmetric. */
export function activationParams(min: number, max: number, dtype: 'int8' | 'int16' | 'uint8', origin: RangeOrigin = 'calibrated'): QuantParams {
  const { lo, hi } = activationRange(min, max, dtype, origin);
  if (dtype === 'int16') return symmetricParams(lo, hi, 32767);
  if (dtype === 'uint8') return asymmetricParams(lo, hi, 0, 255);
  return asymmetricParams(lo, hi, -128, 127);
}

export interface QuantizedWeights {
  values: Int8Array;
  scales: number[];
  /** Channel dimension, or 0 for per-tensor (the schema's default). */
  quantizedDimension: number;
  /** Channels (or the tensor) whose max|w| was below the +-5e-7 floor (numerics.ts): quantized over the floor. */
  narrowChannels: number;
}

/**
 * Symmetric int8 in [-127, 127], zero point 0: per channel along `channelDim` (scale_c = max|w_c| / 127),
 * or per tensor when channelDim is undefined. An all-zero channel gets scale 1; a non-zero max|w| below +-5e-7 is
 * quantized over +-5e-7. `minScales` (per channel, or one): scales the bias needs (numerics.ts biasWeightScales).
 */
export function quantizeWeights(values: Float32Array, shape: readonly number[], channelDim?: number, minScales?: readonly number[]): QuantizedWeights {
  const n = values.length;
  const out = new Int8Array(n);
  let narrowChannels = 0;
  const scaleOf = (m: number, c: number) => {
    if (m > 0 && m < WEIGHT_HALF_RANGE_FLOOR) narrowChannels++;
    const s = m > 0 ? dequantizableScale(Math.fround(Math.max(m, WEIGHT_HALF_RANGE_FLOOR) / 127), 127) : 1;
    const floor = minScales?.[c];
    return floor !== undefined && floor > s ? floor : s;
  };
  if (channelDim === undefined || shape.length === 0) {
    let m = 0;
    for (let i = 0; i < n; i++) { const a = Math.abs(values[i]); if (a > m) m = a; }
    const scale = scaleOf(m, 0);
    for (let i = 0; i < n; i++) out[i] = clampWeight(roundHalfAwayFromZero(values[i] / scale));
    return { values: out, scales: [scale], quantizedDimension: 0, narrowChannels };
  }
  const channels = shape[channelDim];
  let inner = 1;
  for (let d = channelDim + 1; d < shape.length; d++) inner *= shape[d];
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / inner) % channels;
    const a = Math.abs(values[i]);
    if (a > maxAbs[c]) maxAbs[c] = a;
  }
  const scales = Array.from(maxAbs, scaleOf);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / inner) % channels;
    out[i] = clampWeight(roundHalfAwayFromZero(values[i] / scales[c]));
  }
  return { values: out, scales, quantizedDimension: channelDim, narrowChannels };
}

const INT64_MAX = 2n ** 63n - 1n;

function clampWeight(q: number): number {
  return q < -127 ? -127 : q > 127 ? 127 : q;
}

/**
 * Bias at scale input_scale x weight_scale[c] (the product in float32, as TFLite computes it), zero point 0.
 * int32 for 8-bit models, int64 for 16x8, both saturated (the weight scales normally leave room: numerics.ts).
 */
export function quantizeBias(values: Float32Array, inputScale: number, weightScales: readonly number[], dtype: 'int32' | 'int64'): { data: Int32Array | BigInt64Array; scales: number[] } {
  const n = values.length;
  const scales = weightScales.length === 1
    ? [Math.fround(inputScale * weightScales[0])]
    : weightScales.map((s) => Math.fround(inputScale * s));
  const at = (i: number) => (scales.length === 1 ? scales[0] : scales[i]);
  if (dtype === 'int32') {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const q = roundHalfAwayFromZero(values[i] / at(i));
      out[i] = q > 2147483647 ? 2147483647 : q < -2147483648 ? -2147483648 : q;
    }
    return { data: out, scales };
  }
  const out = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const q = roundHalfAwayFromZero(values[i] / at(i));
    // 2^63 is exact in float64; beyond it a BigInt64Array would wrap the value around.
    out[i] = q >= 2 ** 63 ? INT64_MAX : q <= -(2 ** 63) ? -INT64_MAX : BigInt(q);
  }
  return { data: out, scales };
}

/** Quantize float values with fixed (activation) parameters into `dtype`. */
export function quantizeWithParams(values: Float32Array, p: QuantParams, dtype: 'int8' | 'int16' | 'uint8'): Int8Array | Int16Array | Uint8Array {
  const out = dtype === 'int8' ? new Int8Array(values.length) : dtype === 'int16' ? new Int16Array(values.length) : new Uint8Array(values.length);
  const [qmin, qmax] = dtype === 'int8' ? [-128, 127] : dtype === 'int16' ? [-32768, 32767] : [0, 255];
  for (let i = 0; i < values.length; i++) {
    const q = roundHalfAwayFromZero(values[i] / p.scale) + p.zeroPoint;
    out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
  }
  return out;
}

/** Little-endian bytes of a typed array (a copy the tensor owns). */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

/** Integer dtypes the quantizer writes for activations. */
export type ActivationDType = Extract<DType, 'int8' | 'int16' | 'uint8'>;
