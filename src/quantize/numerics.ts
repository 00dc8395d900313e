// Numbers a quantized file cannot hold as they are: what the quantizer does with them, decided here, the way
// TFLite's converter decides, and the check every quantized model passes before the quantizer returns it.
// - A float constant the quantizer converts holds Inf or NaN: refused, naming the tensor (the float model is
//   broken; no scale can represent it).
// - float16: values beyond +-65504 become +-65504 (TFLite's float16 quantization clamps the same way), with a
//   warning naming the tensor; without the clamp they would become Inf.
// - A range narrower than 1e-6 (TFLite's kNearZeroTolerance) is widened: a calibrated one by 1e-6 on each side (its
//   calibrator's TensorRangeSanityCheck), a constant's to at least +-5e-7 (ExpandVerySmallRange). So no scale is 0 or
//   denormal, and a bias scale (input scale x weight scale) cannot underflow. An all-zero weight channel keeps
//   scale 1 (its values are 0 whatever the scale).
// - A bias too large for input scale x weight scale raises the weight scale until the quantized bias uses at most
//   half of int32 (TFLite's AdjustWeightsForBiasScale, for int32 and int64 biases alike), so neither the bias nor
//   the integer accumulator it starts overflows.
// - Kernel limits (kernelOutputScaleFloor / Ceiling, hybridWeightScaleCeiling): an output scale below what its
//   integer kernel accepts is raised to it; an ADD/SUB whose output scale is above TFLite's limit, or a hybrid
//   CONV_2D whose weight scale could overflow its float32 rescale, stays float. Only degenerate ranges reach them.
// - verifyQuantizedModel: every scale a finite normal float32, every zero point in its type's range, every float
//   constant the quantizer wrote finite; otherwise nothing is written.

import type { DType, Subgraph, Tensor } from '../graph/model.js';
import { elementCount } from '../graph/model.js';
import { ModelFormatError, UnsupportedError } from '../errors.js';
import { float16BitsToFloat } from '../graph/float16.js';

/** TFLite's kNearZeroTolerance: ranges narrower than this are widened. */
export const NEAR_ZERO_TOLERANCE = 1e-6;
/** Largest finite float16. */
export const FLOAT16_MAX = 65504;
/** Smallest normal float32: a smaller scale loses precision (and 1/scale overflows). */
const FLOAT32_MIN_NORMAL = 2 ** -126;
const FLOAT32_MAX = 3.4028234663852886e38;
const INT32_MAX = 2147483647;

/** Float values of a float32 or float16 constant tensor. */
export function floatValues(t: Tensor): Float32Array {
  if (!t.data) throw new UnsupportedError(`tensor '${t.name}' has no constant data`);
  const n = elementCount(t.shape);
  const bytes = t.data;
  if (t.dtype === 'float32') {
    if (bytes.byteLength < n * 4) throw new UnsupportedError(`tensor '${t.name}': ${bytes.byteLength} bytes for ${n} float32 values`);
    const out = new Float32Array(n);
    new Uint8Array(out.buffer).set(bytes.subarray(0, n * 4));
    return out;
  }
  if (t.dtype === 'float16') {
    if (bytes.byteLength < n * 2) throw new UnsupportedError(`tensor '${t.name}': ${bytes.byteLength} bytes for ${n} float16 values`);
    const out = new Float32Array(n);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) out[i] = float16BitsToFloat(dv.getUint16(2 * i, true));
    return out;
  }
  throw new UnsupportedError(`tensor '${t.name}' is ${t.dtype}, not float`);
}

/** Where a range comes from: calibration statistics, or a constant's own values. */
export type RangeOrigin = 'calibrated' | 'constant';

/**
 * [lo, hi] (already containing 0) widened as TFLite widens a range narrower than NEAR_ZERO_TOLERANCE, or null when
 * it is wide enough. Calibrated: 1e-6 more on each side; constant: at least +-5e-7.
 */
export function widenedRange(lo: number, hi: number, origin: RangeOrigin): [number, number] | null {
  const width = hi - lo;
  if (origin === 'calibrated') return width < NEAR_ZERO_TOLERANCE ? [lo - NEAR_ZERO_TOLERANCE, hi + NEAR_ZERO_TOLERANCE] : null;
  const half = NEAR_ZERO_TOLERANCE / 2;
  return width > NEAR_ZERO_TOLERANCE ? null : [Math.min(lo, -half), Math.max(hi, half)];
}

/** The smallest max|w| a non-zero symmetric weight channel is quantized over (a constant's +-5e-7 floor). */
export const WEIGHT_HALF_RANGE_FLOOR = Math.fround(NEAR_ZERO_TOLERANCE / 2);

/**
 * Per-channel (or, for one scale, per-tensor) weight scales the bias needs so that bias / (inputScale x weightScale)
 * stays within half of int32, as TFLite's AdjustWeightsForBiasScale raises them; null when the scales suffice.
 */
export function biasWeightScales(bias: Float32Array, inputScale: number, weightScales: readonly number[]): number[] | null {
  const raised = (absBias: number) => {
    const max = Math.fround(((2 * absBias) / INT32_MAX) * (127 / inputScale));
    const s = Math.fround(max / 127);
    // An input scale so small that no float32 weight scale fits: the largest one (the bias then saturates).
    return Number.isFinite(s) ? s : Math.fround(FLOAT32_MAX / 127);
  };
  if (weightScales.length > 1) {
    let changed = false;
    const out = weightScales.map((s, c) => {
      const b = Math.abs(bias[c] ?? 0);
      if (b >= 0.5 * inputScale * s * INT32_MAX) { changed = true; return Math.max(s, raised(b)); }
      return s;
    });
    return changed ? out : null;
  }
  let half = 0;
  for (let i = 0; i < bias.length; i++) half = Math.max(half, Math.abs(bias[i]));
  if (half / INT32_MAX >= 0.5 * inputScale * weightScales[0]) return [Math.max(weightScales[0], raised(half))];
  return null;
}

/** What an integer kernel needs of its output scale, from the scales of its operands. */
export interface KernelScales {
  op: string;
  fusedActivation?: string;
  /** Scales of the quantized activation inputs, in input order. */
  inputs: number[];
  /** Weight scales (one, or one per channel) and bias scales, for ops that have them. */
  weights?: number[];
  bias?: number[];
  /** Left shift of the rescaled ADD/SUB (20 for 8-bit, 15 for int16). */
  addLeftShift: number;
}

/**
 * The smallest output scale the integer kernel accepts, with the reason, or null when there is no such limit. Only
 * degenerate ranges come near these (TFLite's converter writes such files and its runtime refuses them or overflows):
 * - a fused RELU6 / RELU_N1_TO_1 bound must quantize within int32 (TFLite's activation range check);
 * - per-tensor FULLY_CONNECTED: |input scale x weight scale - bias scale| <= 0.02 x output scale (its Prepare);
 * - ADD / SUB: the rescaled sum's output multiplier 2 max(input scales) / (2^shift x output scale) must stay below 1.
 */
export function kernelOutputScaleFloor(k: KernelScales): { floor: number; why: string } | null {
  let floor = 0, why = '';
  const raise = (f: number, reason: string) => { if (f > floor) { floor = f; why = reason; } };
  const bound = k.op === 'RELU6' || k.fusedActivation === 'RELU6' ? 6 : k.fusedActivation === 'RELU_N1_TO_1' ? 1 : 0;
  if (bound) raise(bound / 2 ** 30, `the ${k.op === 'RELU6' ? 'RELU6' : `fused ${k.fusedActivation}`} bound ${bound} must quantize within int32`);
  if (k.op === 'FULLY_CONNECTED' && k.weights?.length === 1 && k.bias?.length && k.inputs.length) {
    const product = k.inputs[0] * k.weights[0];
    raise(Math.abs(product - k.bias[0]) / 0.02, 'FULLY_CONNECTED needs |input scale x weight scale - bias scale| <= 0.02 output scale');
  }
  if ((k.op === 'ADD' || k.op === 'SUB') && k.inputs.length === 2) {
    raise((2 * Math.max(k.inputs[0], k.inputs[1]) / 2 ** k.addLeftShift) * (1 + 2 ** -20), `${k.op}'s output multiplier must stay below 1`);
  }
  return floor > 0 ? { floor, why } : null;
}

/**
 * The largest output scale the integer kernel takes, or null: TFLite's ADD / SUB multiply the output scale by 2^shift
 * in float32, which overflows (and aborts the runtime) above FLOAT32_MAX / 2^shift. Such an op stays float.
 */
export function kernelOutputScaleCeiling(op: string, addLeftShift: number): number | null {
  return op === 'ADD' || op === 'SUB' ? FLOAT32_MAX / 2 ** addLeftShift : null;
}

/**
 * The largest weight scale whose product with any int32 accumulator of a hybrid kernel stays a finite float32: the
 * accumulator sums `depth` products of an int8 weight (|q| <= 127) and an asymmetrically quantized input (|q - zero
 * point| <= 255).
 */
export function hybridWeightScaleCeiling(depth: number): number {
  return FLOAT32_MAX / (255 * 127 * Math.max(1, depth));
}

/** The smallest float32 that is >= x. */
export function float32AtLeast(x: number): number {
  const f = Math.fround(x);
  if (f >= x) return f;
  const a = new Float32Array([f]);
  const u = new Uint32Array(a.buffer);
  u[0] += f > 0 ? 1 : -1;
  return a[0];
}

/**
 * float16-clamp: values beyond +-65504 set to +-65504; narrow-range: a range below 1e-6 widened; bias-weight-scale:
 * weight scales raised for a large bias; cell-state-clamp: an LSTM cell range beyond what the integer LSTM takes;
 * kernel-scale-floor: an output scale raised to what its integer kernel accepts (kernelOutputScaleFloor);
 * densify: a sparse constant stored dense before quantizing (graph/sparsity.ts, densifyModel).
 */
export type NumericAction = 'float16-clamp' | 'narrow-range' | 'bias-weight-scale' | 'cell-state-clamp' | 'kernel-scale-floor' | 'densify';

/** One value the quantizer changed so the file could hold it, and why (the report lists them). */
export interface NumericAdjustment {
  tensor: string;
  action: NumericAction;
  detail: string;
}

/** The adjustments of one quantization, one per tensor and action. */
export class NumericLog {
  private readonly byKey = new Map<string, NumericAdjustment>();
  add(tensor: string, action: NumericAction, detail: string): void {
    const key = `${action}:${tensor}`;
    if (!this.byKey.has(key)) this.byKey.set(key, { tensor, action, detail });
  }
  get adjustments(): NumericAdjustment[] {
    return [...this.byKey.values()];
  }
  /** Adjustments that change what the model computes, beyond rounding: also warnings. */
  get warnings(): string[] {
    return this.adjustments.filter((a) => a.action !== 'narrow-range').map((a) => `tensor '${a.tensor}': ${a.detail}`);
  }
}

const where = (modelName: string | undefined) => (modelName ? `${modelName}: ` : '');

/** A value for a message: 6 significant digits. */
export const fmt = (x: number): string => String(Number(x.toPrecision(6)));

/** The values of a float constant the quantizer converts; Inf or NaN anywhere is refused, naming the tensor. */
export function finiteConstant(t: Tensor, index: number, modelName?: string): Float32Array {
  const v = floatValues(t);
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new ModelFormatError(`${where(modelName)}tensor '${t.name}' (index ${index}) holds ${v[i]} at element ${i}: `
        + 'a constant with Inf or NaN cannot be quantized (the float model is broken)');
    }
  }
  return v;
}

/** float16 copies of `values`, values beyond +-65504 clamped to it; returns how many were clamped and the largest. */
export function clampToFloat16(values: Float32Array): { values: Float32Array; clamped: number; largest: number } {
  let clamped = 0, largest = 0;
  let out = values;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (a > FLOAT16_MAX) {
      if (out === values) out = values.slice();
      out[i] = values[i] > 0 ? FLOAT16_MAX : -FLOAT16_MAX;
      clamped++;
      if (a > largest) largest = a;
    }
  }
  return { values: out, clamped, largest };
}

const INTEGER_RANGE: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/**
 * The last check before a quantized model is returned: every quantization parameter a runtime can use (finite
 * normal float32 scales, zero points in the type's range, one scale per channel along a dimension the tensor has),
 * and every float constant the quantizer wrote (not the float model's own, left as they were) finite.
 */
export function verifyQuantizedModel(sg: Subgraph, source: Subgraph, modelName?: string): void {
  const original = new Set(source.tensors.map((t) => t.data).filter((d): d is Uint8Array => !!d));
  const refuse = (t: Tensor, what: string) => {
    throw new UnsupportedError(`${where(modelName)}quantization would write tensor '${t.name}' with ${what}: nothing written`);
  };
  for (const t of sg.tensors) {
    const qz = t.quantization;
    if (qz && qz.scale.length > 0) {
      qz.scale.forEach((s, c) => {
        if (!(Number.isFinite(s) && s >= FLOAT32_MIN_NORMAL && s <= FLOAT32_MAX && Math.fround(s) === s)) refuse(t, `scale ${s}${qz.scale.length > 1 ? ` (channel ${c})` : ''}`);
      });
      const range = INTEGER_RANGE[t.dtype];
      if (range) {
        qz.zeroPoint.forEach((z) => {
          if (!Number.isInteger(z) || z < range[0] || z > range[1]) refuse(t, `zero point ${z} (${t.dtype})`);
        });
      }
      if (qz.zeroPoint.length !== qz.scale.length) refuse(t, `${qz.scale.length} scales and ${qz.zeroPoint.length} zero points`);
      if (qz.scale.length > 1 && t.shape[qz.quantizedDimension] !== qz.scale.length) {
        refuse(t, `${qz.scale.length} scales along dimension ${qz.quantizedDimension} of shape [${t.shape.join(',')}]`);
      }
    }
    if (t.data && !original.has(t.data) && (t.dtype === 'float32' || t.dtype === 'float16') && elementCount(t.shape) > 0) {
      const v = floatValues(t);
      for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) refuse(t, `${v[i]} at element ${i}`);
    }
  }
}
