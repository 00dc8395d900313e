// FULLY_CONNECTED: output[b, n] = sum_k input[b, k] * weights[n, k] + bias[n], with TFLite's batching
// (batches = elements / weights' K; keep_num_dims keeps the input's leading dimensions).
// Variants as fully_connected.cc: float32; hybrid (float input, int8 weights: per-batch input quantization,
// symmetric or asymmetric_quantize_inputs; per-tensor or per-channel weight scales); int8 (per-tensor or
// per-channel); legacy uint8; int16x8 (int64 or int32 bias).

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import {
  asymmetricQuantizeFloats, getQuantizedConvolutionMultiplier, getQuantizedConvolutionMultipliers,
  multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierInt64, symmetricQuantizeFloats,
} from '../quant-math.js';
import { biasValues, floatClamp, quantClamp, requireQuantized } from './conv-common.js';

type Variant = 'float' | 'hybrid' | 'int8' | 'uint8' | 'int16';

export interface FullyConnectedPlan {
  variant: Variant;
  batches: number;
  depth: number;
  units: number;
  bias: Float64Array;
  biasTensor: RuntimeTensor | null;
  actMin: number;
  actMax: number;
  inputOffset: number;
  filterOffset: number;
  outputOffset: number;
  multipliers: Int32Array;
  shifts: Int32Array;
  wideAccumulator: boolean;
  asymmetric: boolean;
  /** Hybrid: per-channel weight scales (null = per-tensor scale folded into the batch factor). */
  channelScales: Float32Array | null;
  filterScale: number;
  qInput: Int8Array;
  rowSums: Float64Array;
  asymResult: Float64Array;
}

function prepareFullyConnected(ctx: PrepareContext): FullyConnectedPlan {
  const input = ctx.inputs[0];
  const weights = ctx.inputs[1];
  const bias = ctx.inputs[2] ?? null;
  const output = ctx.outputs[0];
  if (!input || !weights) ctx.unsupported('needs an input and weights');
  if (String(ctx.options.weightsFormat ?? 'DEFAULT') !== 'DEFAULT') ctx.unsupported(`weights format ${ctx.options.weightsFormat}`);
  if (weights.shape.length !== 2) ctx.unsupported(`weights '${weights.name}' must be 2-D [units, depth], got [${weights.shape}]`);
  const [units, depth] = weights.shape;
  const total = input.shape.reduce((a, d) => a * d, 1);
  if (depth <= 0 || total % depth !== 0) ctx.unsupported(`input [${input.shape}] does not split into rows of ${depth}`);
  const batches = total / depth;
  if (ctx.options.keepNumDims === true) {
    if (input.shape[input.shape.length - 1] !== depth) ctx.unsupported(`keep_num_dims needs input depth ${depth}, got [${input.shape}]`);
    output.shape = [...input.shape.slice(0, -1), units];
  } else {
    output.shape = [batches, units];
  }

  let variant: Variant;
  if (input.dtype === 'float32' && weights.dtype === 'float32') variant = 'float';
  else if (input.dtype === 'float32' && weights.dtype === 'int8') variant = 'hybrid';
  else if (input.dtype === 'int8' && weights.dtype === 'int8') variant = 'int8';
  else if (input.dtype === 'uint8' && weights.dtype === 'uint8') variant = 'uint8';
  else if (input.dtype === 'int16' && weights.dtype === 'int8') variant = 'int16';
  else return ctx.unsupported(`input ${input.dtype} with weights ${weights.dtype} is not supported`);
  const floatOut = variant === 'float' || variant === 'hybrid';
  if (floatOut ? output.dtype !== 'float32' : output.dtype !== input.dtype) ctx.unsupported(`output '${output.name}' has dtype ${output.dtype}`);
  if (bias) {
    const ok = floatOut ? ['float32'] : variant === 'int16' ? ['int64', 'int32'] : ['int32'];
    if (!ok.includes(bias.dtype)) ctx.unsupported(`bias '${bias.name}' must be ${ok.join(' or ')}, got ${bias.dtype}`);
  }

  const plan: FullyConnectedPlan = {
    variant, batches, depth, units, bias: biasValues(ctx, bias, units), biasTensor: bias && !bias.isConstant ? bias : null,
    actMin: -Infinity, actMax: Infinity, inputOffset: 0, filterOffset: 0, outputOffset: 0,
    multipliers: new Int32Array(0), shifts: new Int32Array(0), wideAccumulator: bias?.dtype === 'int64',
    asymmetric: ctx.options.asymmetricQuantizeInputs === true, channelScales: null, filterScale: 1,
    qInput: new Int8Array(0), rowSums: new Float64Array(0), asymResult: new Float64Array(2),
  };
  if (variant === 'float') {
    [plan.actMin, plan.actMax] = floatClamp(ctx);
  } else if (variant === 'hybrid') {
    requireQuantized(ctx, weights);
    [plan.actMin, plan.actMax] = floatClamp(ctx);
    if (weights.scale.length > 1) {
      if (weights.scale.length !== units) ctx.unsupported(`weights '${weights.name}' have ${weights.scale.length} scales for ${units} units`);
      plan.channelScales = Float32Array.from(weights.scale);
    }
    plan.filterScale = weights.scale[0];
    plan.qInput = new Int8Array(batches * depth);
    plan.rowSums = new Float64Array(units);
    if (weights.isConstant) {
      const w = weights.data as Int8Array;
      for (let n = 0; n < units; n++) {
        let s = 0;
        for (let k = 0; k < depth; k++) s += w[n * depth + k];
        plan.rowSums[n] = s;
      }
    }
  } else {
    requireQuantized(ctx, input);
    requireQuantized(ctx, weights);
    requireQuantized(ctx, output);
    if (weights.scale.length > 1) {
      if (variant === 'uint8') ctx.unsupported('per-channel uint8 weights');
      if (weights.scale.length !== units) ctx.unsupported(`weights '${weights.name}' have ${weights.scale.length} scales for ${units} units`);
      const m = getQuantizedConvolutionMultipliers(input.scale[0], weights.scale, output.scale[0], units);
      plan.multipliers = m.multipliers;
      plan.shifts = m.shifts;
    } else {
      // Per-tensor: GetQuantizedConvolutionMultipler (float32 product of the scales).
      const q = getQuantizedConvolutionMultiplier(input.scale[0], weights.scale[0], output.scale[0]);
      plan.multipliers = new Int32Array(units).fill(q.multiplier);
      plan.shifts = new Int32Array(units).fill(q.shift);
    }
    [plan.actMin, plan.actMax] = quantClamp(ctx, output);
    plan.inputOffset = -(input.zeroPoint[0] ?? 0);
    plan.outputOffset = output.zeroPoint[0] ?? 0;
    if (variant === 'uint8') plan.filterOffset = -(weights.zeroPoint[0] ?? 0);
  }
  return plan;
}

function evalFullyConnected(p: FullyConnectedPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const { batches, depth, units, bias, actMin, actMax } = p;
  const input = inputs[0]!.data as Float32Array;
  const w = inputs[1]!.data as Float32Array;
  const out = outputs[0].data as Float32Array;
  if (p.biasTensor) for (let n = 0; n < units; n++) bias[n] = Number(p.biasTensor.data[n]);

  if (p.variant === 'float') {
    for (let b = 0; b < batches; b++) {
      const inBase = b * depth;
      for (let n = 0; n < units; n++) {
        const wBase = n * depth;
        let sum = 0;
        for (let k = 0; k < depth; k++) sum += w[wBase + k] * input[inBase + k];
        const v = sum + bias[n];
        out[b * units + n] = v < actMin ? actMin : v > actMax ? actMax : v;
      }
    }
    return;
  }

  if (p.variant === 'hybrid') {
    const q = p.qInput;
    if (!inputs[1]!.isConstant) {
      for (let n = 0; n < units; n++) {
        let s = 0;
        for (let k = 0; k < depth; k++) s += w[n * depth + k];
        p.rowSums[n] = s;
      }
    }
    for (let b = 0; b < batches; b++) {
      let sf: number;
      let offset = 0;
      if (p.asymmetric) {
        asymmetricQuantizeFloats(input, b * depth, depth, q, b * depth, p.asymResult);
        sf = p.asymResult[0];
        offset = p.asymResult[1];
      } else {
        sf = symmetricQuantizeFloats(input, b * depth, depth, q, b * depth);
      }
      // Per-tensor weights: the weight scale is folded into the batch factor (as TFLite does).
      if (!p.channelScales) sf = Math.fround(sf * p.filterScale);
      const inBase = b * depth;
      for (let n = 0; n < units; n++) {
        const wBase = n * depth;
        let dot = 0;
        for (let k = 0; k < depth; k++) dot += w[wBase + k] * q[inBase + k];
        if (p.asymmetric) dot -= p.rowSums[n] * offset;
        const scale = p.channelScales ? Math.fround(sf * p.channelScales[n]) : sf;
        const v = Math.fround(bias[n] + Math.fround(dot * scale));
        out[b * units + n] = v < actMin ? actMin : v > actMax ? actMax : v;
      }
    }
    return;
  }

  const qOut = outputs[0].data as Int8Array;
  const { multipliers, shifts, outputOffset, inputOffset, filterOffset } = p;
  const wide = p.variant === 'int16' && p.wideAccumulator;
  for (let b = 0; b < batches; b++) {
    const inBase = b * depth;
    for (let n = 0; n < units; n++) {
      const wBase = n * depth;
      let acc = 0;
      if (filterOffset === 0) {
        for (let k = 0; k < depth; k++) acc += w[wBase + k] * (input[inBase + k] + inputOffset);
      } else {
        for (let k = 0; k < depth; k++) acc += (w[wBase + k] + filterOffset) * (input[inBase + k] + inputOffset);
      }
      acc += bias[n];
      let v = wide ? multiplyByQuantizedMultiplierInt64(acc, multipliers[n], shifts[n])
        : multiplyByQuantizedMultiplier(acc | 0, multipliers[n], shifts[n]);
      v += outputOffset;
      qOut[b * units + n] = v < actMin ? actMin : v > actMax ? actMax : v;
    }
  }
}

export const fullyConnectedKernel: Kernel<FullyConnectedPlan> = {
  op: 'FULLY_CONNECTED',
  // v1 float/uint8, v3 hybrid, v4 int8, v5 keep_num_dims, v7 int16x8, v9 asymmetric hybrid inputs, ...
  maxVersion: 9,
  prepare: prepareFullyConnected,
  eval: evalFullyConnected,
};
