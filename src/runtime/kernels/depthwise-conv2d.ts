// DEPTHWISE_CONV_2D: NHWC input, [1, FH, FW, C*M] filter; output channel c*M + m reads input channel c.
// Variants as TFLite's depthwise_conv.cc: float32; hybrid (float input, int8 filter, input asymmetrically
// quantized per batch, per-channel filter scales); int8 per-channel; legacy uint8; int16x8.
// Float32 sums are the official runtime's: float32, bias first, then each tap's product in its order (tapOrder).

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { asymmetricQuantizeFloats } from '../quant-math.js';
import { planRequantization, requantizeRow, type Requantization } from '../requantize.js';
import { biasValues, floatClamp, geometry, requireQuantized, type Geometry2D } from './conv-common.js';
import { prepareQuant8Depthwise, type Quant8Wasm } from './quant8-wasm.js';
import { loadDepthwiseBias, planDepthwiseWasm, runDepthwiseFloat, runDepthwiseHybrid, type DepthwiseWasm } from './depthwise-float-wasm.js';
import { arenaFor } from './unary-wasm.js';

type Variant = 'float' | 'hybrid' | 'int8' | 'uint8' | 'int16';

export interface DepthwisePlan {
  variant: Variant;
  g: Geometry2D;
  depthMultiplier: number;
  bias: Float64Array;
  biasTensor: RuntimeTensor | null;
  /** Float outputs: the fused activation's clamp. */
  actMin: number;
  actMax: number;
  inputOffset: number;
  filterOffset: number;
  /** Quantized outputs: XNNPACK fp32 or TFLite fixed-point requantization (see requantize.ts). */
  requant: Requantization | null;
  qInput: Int8Array;
  filterScales: Float32Array;
  asymResult: Float64Array;
  acc: Float64Array;
  /** Float64 operands of the hot loop (offsets applied): the whole input and the filter. */
  x: Float64Array;
  w: Float64Array;
  /** Taps inside the image, per output row (fy range) and column (fx range): no division per pixel. */
  fyStart: Int32Array;
  fyEnd: Int32Array;
  fxStart: Int32Array;
  fxEnd: Int32Array;
  /** Input channel of each output channel (c / depth multiplier). */
  inChannel: Int32Array;
  /** Float sums: taps column-major (fx then fy) instead of row-major (see tapOrder). */
  columnMajorTaps: boolean;
  /**
   * int8/uint8 with a constant filter and bias: the WebAssembly kernel (quant8-wasm.ts; exact int32 sums,
   * requantization bit-identical to requantizeRow), reading the input and writing the output in place; or null for
   * the TypeScript loop.
   */
  wasm: Quant8Wasm | null;
  /** Float and hybrid variants with a constant filter: the WebAssembly kernel (depthwise-float-wasm.ts). */
  floatWasm: DepthwiseWasm | null;
}

function prepareDepthwise(ctx: PrepareContext): DepthwisePlan {
  const input = ctx.inputs[0];
  const filter = ctx.inputs[1];
  const bias = ctx.inputs[2] ?? null;
  const output = ctx.outputs[0];
  if (!input || !filter) ctx.unsupported('needs an input and a filter');
  if (filter.shape.length !== 4 || filter.shape[0] !== 1) ctx.unsupported(`filter '${filter.name}' must be [1, H, W, C], got [${filter.shape}]`);
  const [, filterH, filterW, outC] = filter.shape;
  const g = geometry(ctx, input, filterH, filterW, outC);
  if (g.inC <= 0 || outC % g.inC !== 0) ctx.unsupported(`filter channels ${outC} are not a multiple of input channels ${g.inC}`);
  const depthMultiplier = outC / g.inC;
  output.shape = [g.batches, g.outH, g.outW, outC];

  let variant: Variant;
  if (input.dtype === 'float32' && filter.dtype === 'float32') variant = 'float';
  else if (input.dtype === 'float32' && filter.dtype === 'int8') variant = 'hybrid';
  else if (input.dtype === 'int8' && filter.dtype === 'int8') variant = 'int8';
  else if (input.dtype === 'uint8' && filter.dtype === 'uint8') variant = 'uint8';
  else if (input.dtype === 'int16' && filter.dtype === 'int8') variant = 'int16';
  else return ctx.unsupported(`input ${input.dtype} with filter ${filter.dtype} is not supported`);
  const isFloatOut = variant === 'float' || variant === 'hybrid';
  if (isFloatOut ? output.dtype !== 'float32' : output.dtype !== input.dtype) {
    ctx.unsupported(`output '${output.name}' has dtype ${output.dtype}`);
  }
  if (bias) {
    const ok = isFloatOut ? ['float32'] : variant === 'int16' ? ['int64', 'int32'] : ['int32'];
    if (!ok.includes(bias.dtype)) ctx.unsupported(`bias '${bias.name}' must be ${ok.join(' or ')}, got ${bias.dtype}`);
  }
  const plan: DepthwisePlan = {
    variant, g, depthMultiplier, bias: biasValues(ctx, bias, outC), biasTensor: bias && !bias.isConstant ? bias : null,
    actMin: -Infinity, actMax: Infinity, inputOffset: 0, filterOffset: 0, requant: null,
    qInput: new Int8Array(0), filterScales: new Float32Array(0), asymResult: new Float64Array(2), acc: new Float64Array(outC),
    x: new Float64Array(g.batches * g.inH * g.inW * g.inC), w: new Float64Array(filterH * filterW * outC),
    fyStart: new Int32Array(g.outH), fyEnd: new Int32Array(g.outH), fxStart: new Int32Array(g.outW), fxEnd: new Int32Array(g.outW),
    inChannel: Int32Array.from({ length: outC }, (_, c) => Math.floor(c / depthMultiplier)),
    columnMajorTaps: tapOrder(filterH, filterW, depthMultiplier, filter.isConstant, bias !== null && bias.isConstant) === 'columns',
    wasm: null, floatWasm: null,
  };
  for (let oy = 0; oy < g.outH; oy++) {
    const iy0 = oy * g.strideH - g.padH;
    plan.fyStart[oy] = iy0 >= 0 ? 0 : Math.ceil(-iy0 / g.dilationH);
    plan.fyEnd[oy] = Math.min(g.filterH, Math.ceil((g.inH - iy0) / g.dilationH));
  }
  for (let ox = 0; ox < g.outW; ox++) {
    const ix0 = ox * g.strideW - g.padW;
    plan.fxStart[ox] = ix0 >= 0 ? 0 : Math.ceil(-ix0 / g.dilationW);
    plan.fxEnd[ox] = Math.min(g.filterW, Math.ceil((g.inW - ix0) / g.dilationW));
  }
  if (variant === 'float') {
    [plan.actMin, plan.actMax] = floatClamp(ctx);
  } else if (variant === 'hybrid') {
    requireQuantized(ctx, filter);
    [plan.actMin, plan.actMax] = floatClamp(ctx);
    plan.qInput = new Int8Array(g.batches * g.inH * g.inW * g.inC);
    plan.filterScales = Float32Array.from({ length: outC }, (_, c) => filter.scale[filter.scale.length > 1 ? c : 0]);
  } else {
    // The official runtime's XNNPACK delegate needs the bias input: without one TFLite's own kernel runs.
    plan.requant = planRequantization(bias ? ctx : { ...ctx, arithmetic: 'reference' }, input, filter, output, outC,
      { legacyPerTensor: variant === 'uint8', wide: variant === 'int16' && bias?.dtype === 'int64' });
    plan.inputOffset = -(input.zeroPoint[0] ?? 0);
    if (variant === 'uint8') plan.filterOffset = -(filter.zeroPoint[0] ?? 0);
  }
  if (filter.isConstant) filterValues(plan, filter.data as Float32Array);
  if (filter.isConstant && !plan.biasTensor && (variant === 'int8' || variant === 'uint8')) {
    plan.wasm = prepareQuant8Depthwise(ctx, g, depthMultiplier, filter.data as Int8Array, plan.filterOffset, plan.bias,
      plan.requant!, plan.inputOffset, variant === 'int8');
    // The module holds everything it needs; the TypeScript operands are not used.
    if (plan.wasm) plan.x = plan.w = plan.acc = new Float64Array(0);
  }
  const arena = isFloatOut && filter.isConstant ? arenaFor(ctx) : null;
  if (arena) {
    plan.floatWasm = planDepthwiseWasm(arena, g, depthMultiplier, variant === 'hybrid', filter.data as Float32Array | Int8Array,
      plan.bias, plan.filterScales, plan.actMin, plan.actMax, plan.columnMajorTaps);
    // The TypeScript loops' operands are only needed if a tensor turns out to live outside the arena.
    if (plan.floatWasm) plan.x = new Float64Array(0);
  }
  return plan;
}

/**
 * The order in which the official runtime sums a float pixel's taps (each in float32, after the bias). Its XNNPACK
 * delegate takes depthwise convolutions with a constant filter and bias; XNNPACK's dwconv microkernels (2x2, 3x3
 * and 5x5 filters, one output channel per input channel) read their taps column-major, fx then fy. Everything
 * else sums row-major, fy then fx: XNNPACK's GEMM fallback (depth multipliers, other filter sizes) and TFLite's
 * own kernel alike. Measured against the official runtime on one-op models (hybrid-conformance.test.ts).
 */
export function tapOrder(filterH: number, filterW: number, depthMultiplier: number, constantFilter: boolean,
  constantBias: boolean): 'rows' | 'columns' {
  const dwconvTile = filterH === filterW && (filterH === 2 || filterH === 3 || filterH === 5);
  return constantFilter && constantBias && depthMultiplier === 1 && dwconvTile ? 'columns' : 'rows';
}

function filterValues(p: DepthwisePlan, filter: ArrayLike<number>): void {
  for (let i = 0; i < p.w.length; i++) p.w[i] = filter[i] + p.filterOffset;
}

/**
 * Accumulate one output pixel (all channels) into p.acc: sum of (filter + fOff) * (input + inOff) over the taps inside
 * the image. Four output channels at a time with the taps inner (the sums stay in registers); output channel c reads
 * input channel floor(c / depthMultiplier).
 */
function accumulatePixel(p: DepthwisePlan, b: number, oy: number, ox: number): void {
  const g = p.g;
  const { acc, x: input, w: filter, inChannel } = p;
  const C = g.outC;
  const iy0 = oy * g.strideH - g.padH;
  const ix0 = ox * g.strideW - g.padW;
  const fyStart = p.fyStart[oy];
  const fyEnd = p.fyEnd[oy];
  const fxStart = p.fxStart[ox];
  const fxEnd = p.fxEnd[ox];
  const inRow0 = ((b * g.inH + iy0) * g.inW + ix0) * g.inC;
  const inStepY = g.dilationH * g.inW * g.inC;
  const inStepX = g.dilationW * g.inC;
  let c = 0;
  for (; c + 3 < C; c += 4) {
    const d0 = inChannel[c], d1 = inChannel[c + 1], d2 = inChannel[c + 2], d3 = inChannel[c + 3];
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let fy = fyStart; fy < fyEnd; fy++) {
      let i = inRow0 + fy * inStepY + fxStart * inStepX;
      let f = (fy * g.filterW + fxStart) * C + c;
      for (let fx = fxStart; fx < fxEnd; fx++, i += inStepX, f += C) {
        s0 += filter[f] * input[i + d0];
        s1 += filter[f + 1] * input[i + d1];
        s2 += filter[f + 2] * input[i + d2];
        s3 += filter[f + 3] * input[i + d3];
      }
    }
    acc[c] = s0; acc[c + 1] = s1; acc[c + 2] = s2; acc[c + 3] = s3;
  }
  for (; c < C; c++) {
    const d0 = inChannel[c];
    let s0 = 0;
    for (let fy = fyStart; fy < fyEnd; fy++) {
      let i = inRow0 + fy * inStepY + fxStart * inStepX;
      let f = (fy * g.filterW + fxStart) * C + c;
      for (let fx = fxStart; fx < fxEnd; fx++, i += inStepX, f += C) s0 += filter[f] * input[i + d0];
    }
    acc[c] = s0;
  }
}

/**
 * One float output pixel (all channels, clamped) into out: bias first, then each tap's float32 product inside the
 * image, in the plan's tap order, every sum rounded to float32.
 */
function floatPixel(p: DepthwisePlan, b: number, oy: number, ox: number, out: Float32Array, outBase: number): void {
  const g = p.g;
  const { x: input, w: filter, inChannel, bias, actMin, actMax } = p;
  const C = g.outC;
  const f = Math.fround;
  const fy0 = p.fyStart[oy], fy1 = p.fyEnd[oy], fx0 = p.fxStart[ox], fx1 = p.fxEnd[ox];
  const inRow0 = ((b * g.inH + oy * g.strideH - g.padH) * g.inW + ox * g.strideW - g.padW) * g.inC;
  const inStepY = g.dilationH * g.inW * g.inC;
  const inStepX = g.dilationW * g.inC;
  for (let c = 0; c < C; c++) {
    const d = inRow0 + inChannel[c];
    let acc = f(bias[c]);
    if (p.columnMajorTaps) {
      for (let fx = fx0; fx < fx1; fx++) {
        for (let fy = fy0; fy < fy1; fy++) acc = f(acc + f(filter[(fy * g.filterW + fx) * C + c] * input[d + fy * inStepY + fx * inStepX]));
      }
    } else {
      for (let fy = fy0; fy < fy1; fy++) {
        for (let fx = fx0; fx < fx1; fx++) acc = f(acc + f(filter[(fy * g.filterW + fx) * C + c] * input[d + fy * inStepY + fx * inStepX]));
      }
    }
    out[outBase + c] = acc < actMin ? actMin : acc > actMax ? actMax : acc;
  }
}

function evalDepthwise(p: DepthwisePlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  if (p.wasm) {
    p.wasm.run(p.wasm.desc, inputs[0]!.data.byteOffset, outputs[0].data.byteOffset);
    return;
  }
  const g = p.g;
  const input = inputs[0]!.data as Float32Array;
  const filter = inputs[1]!.data as Float32Array;
  const out = outputs[0].data as Float32Array;
  if (p.biasTensor) for (let c = 0; c < g.outC; c++) p.bias[c] = Number(p.biasTensor.data[c]);
  if (!inputs[1]!.isConstant) filterValues(p, filter);
  const { bias, acc, actMin, actMax, x } = p;

  if (p.floatWasm && isFloatOut(p) && p.floatWasm.arena.holds(input) && p.floatWasm.arena.holds(out)) {
    if (p.biasTensor) loadDepthwiseBias(p.floatWasm, p.bias, p.variant === 'hybrid');
    if (p.variant === 'float') runDepthwiseFloat(p.floatWasm, g, p.depthMultiplier, input, out);
    else runDepthwiseHybrid(p.floatWasm, g, p.depthMultiplier, input, out, actMin, actMax);
    return;
  }
  if (isFloatOut(p) && x.length !== input.length) p.x = new Float64Array(input.length);

  if (p.variant === 'float') {
    p.x.set(input);
    for (let b = 0; b < g.batches; b++) {
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) floatPixel(p, b, oy, ox, out, ((b * g.outH + oy) * g.outW + ox) * g.outC);
      }
    }
    return;
  }

  if (p.variant === 'hybrid') {
    const perBatch = g.inH * g.inW * g.inC;
    for (let b = 0; b < g.batches; b++) {
      asymmetricQuantizeFloats(input, b * perBatch, perBatch, p.qInput, b * perBatch, p.asymResult);
      const sf = p.asymResult[0];
      const offset = p.asymResult[1];
      for (let i = b * perBatch; i < (b + 1) * perBatch; i++) p.x[i] = p.qInput[i] - offset;
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          accumulatePixel(p, b, oy, ox);
          const outBase = ((b * g.outH + oy) * g.outW + ox) * g.outC;
          for (let c = 0; c < g.outC; c++) {
            // As TFLite's optimized kernel: float32(sum) x input scale x filter scale, left to right, then the bias.
            const v = Math.fround(Math.fround(Math.fround(Math.fround(acc[c]) * sf) * p.filterScales[c]) + bias[c]);
            out[outBase + c] = v < actMin ? actMin : v > actMax ? actMax : v;
          }
        }
      }
    }
    return;
  }

  const qOut = outputs[0].data as Int8Array;
  const r = p.requant!;
  for (let i = 0; i < x.length; i++) x[i] = input[i] + p.inputOffset;
  for (let b = 0; b < g.batches; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        accumulatePixel(p, b, oy, ox);
        requantizeRow(r, acc, 0, bias, qOut, ((b * g.outH + oy) * g.outW + ox) * g.outC, g.outC);
      }
    }
  }
}

function isFloatOut(p: DepthwisePlan): boolean {
  return p.variant === 'float' || p.variant === 'hybrid';
}

export const depthwiseConv2dKernel: Kernel<DepthwisePlan> = {
  op: 'DEPTHWISE_CONV_2D',
  // v1 float/uint8, v2 dilation, v3 int8 per-channel, v4 hybrid, v5 int16x8, v6 hybrid per-channel.
  maxVersion: 6,
  prepare: prepareDepthwise,
  eval: evalDepthwise,
  path: (p) => (p.wasm || p.floatWasm ? 'wasm' : 'js'),
};
