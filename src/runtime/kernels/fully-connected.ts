// FULLY_CONNECTED: output[b, n] = sum_k input[b, k] * weights[n, k] + bias[n], with TFLite's batching
// (batches = elements / weights' K; keep_num_dims keeps the input's leading dimensions).
// Variants as fully_connected.cc: float32; hybrid (float input, int8 weights: per-batch input quantization,
// symmetric or asymmetric_quantize_inputs; per-tensor or per-channel weight scales); int8 (per-tensor or
// per-channel); legacy uint8; int16x8 (int64 or int32 bias).

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { asymmetricQuantizeFloats, symmetricQuantizeFloats } from '../quant-math.js';
import { planRequantization, requantizeRow, type Requantization } from '../requantize.js';
import { biasValues, floatClamp, requireQuantized } from './conv-common.js';
import { prepareQuant8Conv, type Quant8Wasm } from './quant8-wasm.js';
import {
  inArena, prepareFloatFullyConnected, prepareHybridFullyConnected, runFloatFullyConnected, runHybrid,
  type FloatFullyConnectedWasm, type HybridWasm,
} from './float-gemm.js';

type Variant = 'float' | 'hybrid' | 'int8' | 'uint8' | 'int16';

export interface FullyConnectedPlan {
  variant: Variant;
  batches: number;
  depth: number;
  units: number;
  bias: Float64Array;
  biasTensor: RuntimeTensor | null;
  /** Float outputs: the fused activation's clamp. */
  actMin: number;
  actMax: number;
  inputOffset: number;
  filterOffset: number;
  /** Quantized outputs: XNNPACK fp32 or TFLite fixed-point requantization (see requantize.ts). */
  requant: Requantization | null;
  /** Quantized: input rows (offset applied) and weights (offset applied) as float64, one output row's sums. */
  x: Float64Array;
  w: Float64Array;
  acc: Float64Array;
  asymmetric: boolean;
  /** Hybrid: per-channel weight scales (null = per-tensor scale folded into the batch factor). */
  channelScales: Float32Array | null;
  filterScale: number;
  qInput: Int8Array;
  rowSums: Float64Array;
  asymResult: Float64Array;
  /**
   * int8/uint8 with constant weights and bias: the WebAssembly kernel (quant8-wasm.ts: a 1 x batches image of 1x1
   * windows; exact int32 sums, requantization bit-identical to requantizeRow), reading the input and writing the
   * output in place; or null for the TypeScript loop.
   */
  wasm: Quant8Wasm | null;
  /** float32 with constant weights: the WebAssembly float32 GEMM / GEMV (see float-gemm.ts), or null. */
  floatWasm: FloatFullyConnectedWasm | null;
  /** Hybrid with constant weights: the WebAssembly int16 GEMM + float rescale (bit-identical), or null. */
  hybridWasm: HybridWasm | null;
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
    actMin: -Infinity, actMax: Infinity, inputOffset: 0, filterOffset: 0, requant: null,
    x: new Float64Array(0), w: new Float64Array(0), acc: new Float64Array(0),
    asymmetric: ctx.options.asymmetricQuantizeInputs === true, channelScales: null, filterScale: 1,
    qInput: new Int8Array(0), rowSums: new Float64Array(0), asymResult: new Float64Array(2), wasm: null,
    floatWasm: null, hybridWasm: null,
  };
  const wasm = ctx.wasm && weights.isConstant && inArena(input, output) ? ctx.wasm : null;
  if (variant === 'float') {
    [plan.actMin, plan.actMax] = floatClamp(ctx);
    if (wasm) {
      plan.floatWasm = prepareFloatFullyConnected(wasm, batches, units, depth, weights.data as Float32Array, plan.bias,
        plan.actMin, plan.actMax);
    }
  } else if (variant === 'hybrid') {
    requireQuantized(ctx, weights);
    [plan.actMin, plan.actMax] = floatClamp(ctx);
    if (weights.scale.length > 1) {
      if (weights.scale.length !== units) ctx.unsupported(`weights '${weights.name}' have ${weights.scale.length} scales for ${units} units`);
      plan.channelScales = Float32Array.from(weights.scale);
    }
    plan.filterScale = Math.fround(weights.scale[0]);
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
    if (wasm) {
      plan.hybridWasm = prepareHybridFullyConnected(wasm, batches, units, depth, weights.data as Int8Array, plan.bias,
        plan.actMin, plan.actMax, plan.asymmetric, plan.channelScales, plan.filterScale);
      if (plan.hybridWasm) plan.qInput = new Int8Array(0);
    }
  } else {
    requireQuantized(ctx, input);
    requireQuantized(ctx, weights);
    requireQuantized(ctx, output);
    if (weights.scale.length > 1) {
      if (variant === 'uint8') ctx.unsupported('per-channel uint8 weights');
      if (weights.scale.length !== units) ctx.unsupported(`weights '${weights.name}' have ${weights.scale.length} scales for ${units} units`);
    }
    // Reference: per-tensor weights use GetQuantizedConvolutionMultipler (float32 product of the scales).
    plan.requant = planRequantization(ctx, input, weights, output, units,
      { legacyPerTensor: true, wide: variant === 'int16' && bias?.dtype === 'int64' });
    plan.inputOffset = -(input.zeroPoint[0] ?? 0);
    if (variant === 'uint8') plan.filterOffset = -(weights.zeroPoint[0] ?? 0);
    plan.x = new Float64Array(batches * depth);
    plan.w = new Float64Array(units * depth);
    plan.acc = new Float64Array(units);
    if (weights.isConstant) weightRows(plan, weights.data as Int8Array);
    if (weights.isConstant && !plan.biasTensor && variant !== 'int16') {
      const rows = {
        batches: 1, inH: 1, inW: batches, inC: depth, outH: 1, outW: batches, outC: units, filterH: 1, filterW: 1,
        strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padH: 0, padW: 0,
      };
      plan.wasm = prepareQuant8Conv(ctx, rows, weights.data as Int8Array, plan.filterOffset, plan.bias, plan.requant,
        plan.inputOffset, variant === 'int8');
      // The module holds everything it needs; the TypeScript operands are not used.
      if (plan.wasm) plan.x = plan.w = plan.acc = new Float64Array(0);
    }
  }
  return plan;
}

function evalFullyConnected(p: FullyConnectedPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  if (p.wasm) {
    p.wasm.run(p.wasm.desc, inputs[0]!.data.byteOffset, outputs[0].data.byteOffset);
    return;
  }
  const { batches, depth, units, bias, actMin, actMax } = p;
  const input = inputs[0]!.data as Float32Array;
  const w = inputs[1]!.data as Float32Array;
  const out = outputs[0].data as Float32Array;
  if (p.floatWasm) {
    runFloatFullyConnected(p.floatWasm, inputs[0]!, outputs[0], p.biasTensor);
    return;
  }
  if (p.hybridWasm) {
    runHybrid(p.hybridWasm, inputs[0]!, outputs[0], p.biasTensor);
    return;
  }
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
        // The int32 sum converted to float32 first, as TFLite's MatrixBatchVectorMultiplyAccumulate does.
        const v = Math.fround(bias[n] + Math.fround(Math.fround(dot) * scale));
        out[b * units + n] = v < actMin ? actMin : v > actMax ? actMax : v;
      }
    }
    return;
  }

  const qOut = outputs[0].data as Int8Array;
  const { x, acc, inputOffset } = p;
  const wq = p.w;
  if (!inputs[1]!.isConstant) weightRows(p, w as unknown as Int8Array);
  for (let i = 0; i < x.length; i++) x[i] = input[i] + inputOffset;
  const r = p.requant!;
  for (let b = 0; b < batches; b++) {
    const inBase = b * depth;
    let n = 0;
    // Four units per pass share each input load.
    for (; n + 3 < units; n += 4) {
      const o0 = n * depth, o1 = o0 + depth, o2 = o1 + depth, o3 = o2 + depth;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < depth; k++) {
        const v = x[inBase + k];
        s0 += wq[o0 + k] * v;
        s1 += wq[o1 + k] * v;
        s2 += wq[o2 + k] * v;
        s3 += wq[o3 + k] * v;
      }
      acc[n] = s0; acc[n + 1] = s1; acc[n + 2] = s2; acc[n + 3] = s3;
    }
    for (; n < units; n++) {
      const o = n * depth;
      let s0 = 0;
      for (let k = 0; k < depth; k++) s0 += wq[o + k] * x[inBase + k];
      acc[n] = s0;
    }
    requantizeRow(r, acc, 0, bias, qOut, b * units, units);
  }
}

/** Quantized weights as float64 rows with the weight offset applied (uint8). */
function weightRows(p: FullyConnectedPlan, weights: ArrayLike<number>): void {
  const w = p.w;
  const off = p.filterOffset;
  for (let i = 0; i < w.length; i++) w[i] = weights[i] + off;
}

export const fullyConnectedKernel: Kernel<FullyConnectedPlan> = {
  op: 'FULLY_CONNECTED',
  // v1 float/uint8, v3 hybrid, v4 int8, v5 keep_num_dims, v7 int16x8, v9 asymmetric hybrid inputs, v11 int16x8
  // with an int32 bias, v12 hybrid with per-channel weights (v8 sparse and v10/v13 int4 weights are refused by dtype).
  maxVersion: 12,
  prepare: prepareFullyConnected,
  eval: evalFullyConnected,
  path: (p) => (p.wasm || p.floatWasm || p.hybridWasm ? 'wasm' : 'js'),
};
