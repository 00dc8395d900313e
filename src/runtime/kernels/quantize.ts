// QUANTIZE (float32 -> int8/uint8/int16, and requantization between integer types) and DEQUANTIZE
// (int8/uint8/int16 per-tensor or per-channel, float16 -> float32), as TFLite's quantize.cc / dequantize.cc.

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { dtypeRange, multiplyByQuantizedMultiplier, quantizeMultiplier, roundHalfAwayFromZero } from '../quant-math.js';
import { requireQuantized } from './conv-common.js';

const INTEGER_TYPES = ['int8', 'uint8', 'int16'];

export interface QuantizePlan {
  fromFloat: boolean;
  scale: number;
  inputZeroPoint: number;
  outputZeroPoint: number;
  multiplier: number;
  shift: number;
  qmin: number;
  qmax: number;
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
  const plan: QuantizePlan = {
    fromFloat: input.dtype === 'float32', scale: output.scale[0], inputZeroPoint: 0, outputZeroPoint: output.zeroPoint[0] ?? 0,
    multiplier: 0, shift: 0, qmin, qmax,
  };
  if (!plan.fromFloat) {
    if (!INTEGER_TYPES.includes(input.dtype)) ctx.unsupported(`input dtype ${input.dtype}`);
    requireQuantized(ctx, input);
    plan.inputZeroPoint = input.zeroPoint[0] ?? 0;
    const q = quantizeMultiplier(input.scale[0] / output.scale[0]);
    plan.multiplier = q.multiplier;
    plan.shift = q.shift;
  }
  return plan;
}

function evalQuantize(p: QuantizePlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const input = inputs[0]!.data as Float32Array;
  const out = outputs[0].data as Int8Array;
  const n = out.length;
  const { qmin, qmax, outputZeroPoint } = p;
  if (p.fromFloat) {
    const scale = p.scale;
    for (let i = 0; i < n; i++) {
      const q = roundHalfAwayFromZero(Math.fround(input[i] / scale)) + outputZeroPoint;
      out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
    }
    return;
  }
  const { multiplier, shift, inputZeroPoint } = p;
  for (let i = 0; i < n; i++) {
    const q = multiplyByQuantizedMultiplier(input[i] - inputZeroPoint, multiplier, shift) + outputZeroPoint;
    out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
  }
}

export const quantizeKernel: Kernel<QuantizePlan> = {
  op: 'QUANTIZE',
  // v1 float->uint8, v2 int8 / requantize, v3 int16.
  maxVersion: 3,
  prepare: prepareQuantize,
  eval: evalQuantize,
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
}

function prepareDequantize(ctx: PrepareContext): DequantizePlan {
  const input = ctx.inputs[0];
  const output = ctx.outputs[0];
  if (!input) ctx.unsupported('needs an input');
  output.shape = [...input.shape];
  if (output.dtype !== 'float32') ctx.unsupported(`output dtype ${output.dtype} (only float32)`);
  const plan: DequantizePlan = { half: false, scales: new Float64Array(1), zeroPoints: new Int32Array(1), perChannel: false, channels: 1, inner: 1 };
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
  return plan;
}

function evalDequantize(p: DequantizePlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
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
};
