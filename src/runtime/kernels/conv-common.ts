// Shared by the convolution-like kernels: output sizes and padding as TFLite computes them
// (ComputeOutSize / ComputePaddingWithOffset), activation clamps, and the quantized output parameters.

import type { PrepareContext, RuntimeTensor } from '../kernel.js';
import { activationRange, activationRangeFloat, getQuantizedConvolutionMultiplier, getQuantizedConvolutionMultipliers } from '../quant-math.js';

export function computeOutSize(padding: string, imageSize: number, filterSize: number, stride: number, dilation: number): number {
  const effective = (filterSize - 1) * dilation + 1;
  if (stride === 0) return 0;
  if (padding === 'SAME') return Math.trunc((imageSize + stride - 1) / stride);
  return Math.trunc((imageSize + stride - effective) / stride);
}

/** Padding before the first element (total / 2; the odd extra element goes after). */
export function computePadding(stride: number, dilation: number, inSize: number, filterSize: number, outSize: number): number {
  const effective = (filterSize - 1) * dilation + 1;
  const total = Math.max(0, (outSize - 1) * stride + effective - inSize);
  return Math.trunc(total / 2);
}

export interface Geometry2D {
  batches: number; inH: number; inW: number; inC: number;
  outH: number; outW: number; outC: number;
  filterH: number; filterW: number;
  strideH: number; strideW: number; dilationH: number; dilationW: number;
  padH: number; padW: number;
}

/** Spatial geometry of a conv-like op from NHWC input and the filter's spatial size. */
export function geometry(ctx: PrepareContext, input: RuntimeTensor, filterH: number, filterW: number, outC: number,
  dilated = true): Geometry2D {
  if (input.shape.length !== 4) ctx.unsupported(`input '${input.name}' must be 4-D NHWC, got [${input.shape}]`);
  const o = ctx.options;
  const strideH = Number(o.strideH ?? 1);
  const strideW = Number(o.strideW ?? 1);
  const dilationH = dilated ? Number(o.dilationHFactor ?? 1) : 1;
  const dilationW = dilated ? Number(o.dilationWFactor ?? 1) : 1;
  if (!(strideH > 0 && strideW > 0 && dilationH > 0 && dilationW > 0)) {
    ctx.unsupported(`strides (${strideH}, ${strideW}) and dilations (${dilationH}, ${dilationW}) must be positive`);
  }
  const padding = String(o.padding ?? 'SAME');
  if (padding !== 'SAME' && padding !== 'VALID') ctx.unsupported(`padding ${padding}`);
  const [batches, inH, inW, inC] = input.shape;
  const outH = computeOutSize(padding, inH, filterH, strideH, dilationH);
  const outW = computeOutSize(padding, inW, filterW, strideW, dilationW);
  if (outH <= 0 || outW <= 0) ctx.unsupported(`filter ${filterH}x${filterW} does not fit the ${inH}x${inW} input with ${padding} padding`);
  return {
    batches, inH, inW, inC, outH, outW, outC, filterH, filterW, strideH, strideW, dilationH, dilationW,
    padH: computePadding(strideH, dilationH, inH, filterH, outH),
    padW: computePadding(strideW, dilationW, inW, filterW, outW),
  };
}

export function fusedActivation(ctx: PrepareContext): string {
  return String(ctx.options.fusedActivationFunction ?? 'NONE');
}

export function floatClamp(ctx: PrepareContext): [number, number] {
  const act = fusedActivation(ctx);
  try {
    return activationRangeFloat(act);
  } catch {
    return ctx.unsupported(`fused activation ${act}`);
  }
}

export function quantClamp(ctx: PrepareContext, output: RuntimeTensor): [number, number] {
  const act = fusedActivation(ctx);
  if (!output.scale.length) ctx.unsupported(`output '${output.name}' of dtype ${output.dtype} has no quantization parameters`);
  try {
    return activationRange(act, output.dtype, output.scale[0], output.zeroPoint[0] ?? 0);
  } catch {
    return ctx.unsupported(`fused activation ${act} on a quantized output`);
  }
}

export function requireQuantized(ctx: PrepareContext, t: RuntimeTensor): void {
  if (!t.scale.length) ctx.unsupported(`tensor '${t.name}' (${t.dtype}) needs quantization parameters`);
}

/**
 * Output multipliers per output channel. int8/int16 use the per-channel path (double products, broadcast of a
 * per-tensor filter scale); legacy uint8 the per-tensor GetQuantizedConvolutionMultipler (float32 product).
 */
export function outputMultipliers(ctx: PrepareContext, input: RuntimeTensor, filter: RuntimeTensor, output: RuntimeTensor,
  channels: number): { multipliers: Int32Array; shifts: Int32Array } {
  requireQuantized(ctx, input);
  requireQuantized(ctx, filter);
  requireQuantized(ctx, output);
  if (filter.scale.length !== 1 && filter.scale.length !== channels) {
    ctx.unsupported(`filter '${filter.name}' has ${filter.scale.length} scales for ${channels} output channels`);
  }
  if (input.dtype === 'uint8') {
    const q = getQuantizedConvolutionMultiplier(input.scale[0], filter.scale[0], output.scale[0]);
    return { multipliers: new Int32Array(channels).fill(q.multiplier), shifts: new Int32Array(channels).fill(q.shift) };
  }
  return getQuantizedConvolutionMultipliers(input.scale[0], filter.scale, output.scale[0], channels);
}

/** Bias values as plain numbers (int32, int64 or float32), or zeros. */
export function biasValues(ctx: PrepareContext, bias: RuntimeTensor | null, channels: number): Float64Array {
  const out = new Float64Array(channels);
  if (!bias) return out;
  if (bias.data.length !== channels) ctx.unsupported(`bias '${bias.name}' has ${bias.data.length} values for ${channels} channels`);
  if (!bias.isConstant) return out; // read at eval time
  for (let i = 0; i < channels; i++) out[i] = Number(bias.data[i]);
  return out;
}
