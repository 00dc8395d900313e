// CONV_2D: NHWC input, OHWI filter (grouped when the filter's depth divides the input's), optional bias.
// Variants, as TFLite's conv.cc dispatches them:
//   float32 (summed as the official runtime's XNNPACK GEMMs sum: float32, bias first, then each product in filter
//   order); hybrid (float input, int8 filter: input quantized per batch, symmetric for a per-tensor filter,
//   asymmetric for per-channel or grouped); int8 per-channel; legacy uint8 per-tensor; int16x8 (int64 or int32 bias).

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { asymmetricQuantizeFloats, symmetricQuantizeFloats } from '../quant-math.js';
import { planRequantization, requantizeRow, type Requantization } from '../requantize.js';
import { biasValues, floatClamp, geometry, requireQuantized, type Geometry2D } from './conv-common.js';
import { prepareQuant8Conv, type Quant8Wasm } from './quant8-wasm.js';
import {
  inArena, prepareFloatConv, prepareHybridConv, runFloatConv, runHybrid, type FloatConvWasm, type HybridWasm,
} from './float-gemm.js';

type Variant = 'float' | 'hybrid' | 'hybridPerChannel' | 'int8' | 'uint8' | 'int16';

export interface ConvPlan {
  variant: Variant;
  g: Geometry2D;
  groups: number;
  filterDepth: number;
  outPerGroup: number;
  bias: Float64Array;
  /** Non-constant bias: refreshed at eval. */
  biasTensor: RuntimeTensor | null;
  /** Float outputs: the fused activation's clamp. */
  actMin: number;
  actMax: number;
  inputOffset: number;
  filterOffset: number;
  /** Quantized outputs: XNNPACK fp32 or TFLite fixed-point requantization (see requantize.ts). */
  requant: Requantization | null;
  /** Hybrid: quantized input, per-batch scaling factors and offsets, per-channel filter scales. */
  qInput: Int8Array;
  batchScale: Float64Array;
  batchOffset: Int32Array;
  filterScales: Float64Array;
  asymResult: Float64Array;
  /** Float64 operands of the hot loop: input (offset applied), filter rows, one output row's receptive fields, sums. */
  x: Float64Array;
  w: Float64Array;
  patch: Float64Array;
  acc: Float64Array;
  /**
   * 8-bit variants: filter rows of channel pairs packed into one double, w[2j] + w[2j+1] * pack, so each multiply
   * computes two products (null when the sums could exceed 2^53; see packFilter).
   */
  wPacked: Float64Array | null;
  pack: number;
  /** Output rows per block of the hot loop (narrow outputs are blocked so each pass has enough pixels). */
  rowsPerBlock: number;
  /**
   * int8/uint8 with a constant filter and bias, one group: the WebAssembly kernel (quant8-wasm.ts; exact int32 sums,
   * requantization bit-identical to requantizeRow), reading the input and writing the output in place; or null for
   * the TypeScript loops.
   */
  wasm: Quant8Wasm | null;
  /** float32 with a constant filter: the WebAssembly float32 GEMM (see float-gemm.ts), or null. */
  floatWasm: FloatConvWasm | null;
  /** Hybrid with a constant filter: the WebAssembly int16 GEMM + float rescale (bit-identical), or null. */
  hybridWasm: HybridWasm | null;
}

function prepareConv(ctx: PrepareContext): ConvPlan {
  const input = ctx.inputs[0];
  const filter = ctx.inputs[1];
  const bias = ctx.inputs[2] ?? null;
  const output = ctx.outputs[0];
  if (!input || !filter) ctx.unsupported('needs an input and a filter');
  if (filter.shape.length !== 4) ctx.unsupported(`filter '${filter.name}' must be 4-D OHWI, got [${filter.shape}]`);
  if (!filter.isConstant && input.dtype !== 'float32') ctx.unsupported('quantized CONV_2D needs a constant filter');
  const [outC, filterH, filterW, filterDepth] = filter.shape;
  const g = geometry(ctx, input, filterH, filterW, outC);
  if (filterDepth <= 0 || g.inC % filterDepth !== 0) ctx.unsupported(`input depth ${g.inC} is not a multiple of the filter depth ${filterDepth}`);
  const groups = g.inC / filterDepth;
  if (outC % groups !== 0) ctx.unsupported(`${outC} output channels do not split into ${groups} groups`);
  output.shape = [g.batches, g.outH, g.outW, outC];

  let variant: Variant;
  if (input.dtype === 'float32' && filter.dtype === 'float32') variant = 'float';
  else if (input.dtype === 'float32' && filter.dtype === 'int8') {
    const perChannel = filter.scale.length > 1 && filter.scale.some((s) => s !== filter.scale[0]);
    variant = perChannel || groups !== 1 ? 'hybridPerChannel' : 'hybrid';
  } else if (input.dtype === 'int8' && filter.dtype === 'int8') variant = 'int8';
  else if (input.dtype === 'uint8' && filter.dtype === 'uint8') variant = 'uint8';
  else if (input.dtype === 'int16' && filter.dtype === 'int8') variant = 'int16';
  else return ctx.unsupported(`input ${input.dtype} with filter ${filter.dtype} is not supported`);
  if (variant === 'float' || variant === 'hybrid' || variant === 'hybridPerChannel') {
    if (output.dtype !== 'float32') ctx.unsupported(`output '${output.name}' must be float32, got ${output.dtype}`);
    if (bias && bias.dtype !== 'float32') ctx.unsupported(`bias '${bias.name}' must be float32, got ${bias.dtype}`);
  } else {
    if (output.dtype !== input.dtype) ctx.unsupported(`output '${output.name}' must be ${input.dtype}, got ${output.dtype}`);
    const biasTypes = variant === 'int16' ? ['int64', 'int32'] : ['int32'];
    if (bias && !biasTypes.includes(bias.dtype)) ctx.unsupported(`bias '${bias.name}' must be ${biasTypes.join(' or ')}, got ${bias.dtype}`);
  }

  const plan: ConvPlan = {
    variant, g, groups, filterDepth, outPerGroup: outC / groups,
    bias: biasValues(ctx, bias, outC), biasTensor: bias && !bias.isConstant ? bias : null,
    actMin: -Infinity, actMax: Infinity, inputOffset: 0, filterOffset: 0, requant: null,
    qInput: new Int8Array(0), batchScale: new Float64Array(0), batchOffset: new Int32Array(0),
    filterScales: new Float64Array(0), asymResult: new Float64Array(2),
    x: new Float64Array(g.batches * g.inH * g.inW * g.inC), w: new Float64Array(outC * filterH * filterW * filterDepth),
    patch: new Float64Array(0), acc: new Float64Array(0),
    wPacked: null, pack: 0, rowsPerBlock: 1, wasm: null, floatWasm: null, hybridWasm: null,
  };
  // 1x1 stride-1 windows: the whole image is one run of contiguous pixels. Others: blocks of >= 32 pixels.
  const contiguous = filterH === 1 && filterW === 1 && g.strideH === 1 && g.strideW === 1;
  plan.rowsPerBlock = contiguous ? g.outH : filterH === 1 && filterW === 1 ? 1 : Math.min(g.outH, Math.ceil(32 / g.outW));
  plan.acc = new Float64Array(plan.rowsPerBlock * g.outW * outC);
  if (filterH !== 1 || filterW !== 1) plan.patch = new Float64Array(plan.rowsPerBlock * g.outW * filterH * filterW * filterDepth);
  if (variant === 'float') {
    [plan.actMin, plan.actMax] = floatClamp(ctx);
  } else if (variant === 'hybrid' || variant === 'hybridPerChannel') {
    requireQuantized(ctx, filter);
    [plan.actMin, plan.actMax] = floatClamp(ctx);
    plan.qInput = new Int8Array(g.batches * g.inH * g.inW * g.inC);
    plan.batchScale = new Float64Array(g.batches);
    plan.batchOffset = new Int32Array(g.batches);
    // Scales as the file stores them (float32), also for a model built in memory.
    plan.filterScales = Float64Array.from({ length: outC }, (_, c) => Math.fround(filter.scale[filter.scale.length > 1 ? c : 0]));
  } else {
    plan.requant = planRequantization(ctx, input, filter, output, outC,
      { legacyPerTensor: variant === 'uint8', wide: variant === 'int16' && bias?.dtype === 'int64' });
    plan.inputOffset = -(input.zeroPoint[0] ?? 0);
    if (variant === 'uint8') plan.filterOffset = -(filter.zeroPoint[0] ?? 0);
  }
  if (filter.isConstant) {
    filterRows(plan, filter.data as Float32Array);
    if ((variant === 'int8' || variant === 'uint8') && groups === 1) {
      if (!plan.biasTensor) {
        plan.wasm = prepareQuant8Conv(ctx, g, filter.data as Int8Array, plan.filterOffset, plan.bias, plan.requant!,
          plan.inputOffset, variant === 'int8');
      }
      if (plan.wasm) {
        // The module holds everything it needs; the TypeScript operands are not used.
        plan.x = plan.w = plan.patch = plan.acc = new Float64Array(0);
      } else {
        packFilter(plan);
      }
    }
    if (ctx.wasm && inArena(input, output) && (variant === 'float' || variant === 'hybrid' || variant === 'hybridPerChannel')) {
      if (variant === 'float') {
        plan.floatWasm = prepareFloatConv(ctx.wasm, g, groups, filter.data as Float32Array, plan.bias, plan.actMin, plan.actMax);
      } else {
        plan.hybridWasm = prepareHybridConv(ctx.wasm, g, groups, filter.data as Int8Array, plan.bias, plan.actMin, plan.actMax,
          variant === 'hybrid', plan.filterScales);
      }
      if (plan.floatWasm || plan.hybridWasm) {
        plan.x = new Float64Array(0);
        plan.w = new Float64Array(0);
        plan.patch = new Float64Array(0);
        plan.acc = new Float64Array(0);
        plan.qInput = new Int8Array(0);
      }
    }
  }
  return plan;
}

/**
 * Pack channel pairs when every sum stays exact: with |input - zp| <= 255, channel c's partial sums are bounded by
 * B = 255 * sum|w_c|. With pack = 2^S > 2 * B, a pair's sum lo + hi * pack (|lo| < pack / 2) splits back exactly as
 * hi = round(sum / pack), provided |sum| < 2^53 (then every product and partial sum is an exact integer in a double).
 */
function packFilter(p: ConvPlan): void {
  const C = p.g.outC;
  const K = p.g.filterH * p.g.filterW * p.filterDepth;
  const w = p.w;
  let bound = 0;
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let i = 0; i < K; i++) sum += Math.abs(w[c * K + i]);
    bound = Math.max(bound, 255 * sum);
  }
  const pack = Math.pow(2, Math.floor(Math.log2(Math.max(1, bound))) + 2);
  if (C < 2 || bound + bound * pack >= Math.pow(2, 53)) return;
  const pairs = C >> 1;
  const wp = new Float64Array(pairs * K);
  for (let j = 0; j < pairs; j++) {
    for (let i = 0; i < K; i++) wp[j * K + i] = w[2 * j * K + i] + w[(2 * j + 1) * K + i] * pack;
  }
  p.wPacked = wp;
  p.pack = pack;
}

/** Filter rows as float64 (filter offset applied), one row of K = FH*FW*depth per output channel. */
function filterRows(p: ConvPlan, filter: ArrayLike<number>): void {
  const w = p.w;
  const off = p.filterOffset;
  for (let i = 0; i < w.length; i++) w[i] = filter[i] + off;
}

/**
 * The hot loop shared by every variant: x holds the input (offset applied, float64; products and sums of 8/16-bit
 * integers stay exact), w the filter rows (one row of K = FH*FW*depth per output channel). Per output row and group,
 * the receptive fields are laid out as rows of K (1x1 filters read the input in place; others are gathered, with
 * zeros where the window leaves the image: a padded tap contributes nothing, as the reference kernels skip it), then
 * a blocked dot-product loop (2 pixels x 4 channels share each load) fills acc[px * outC + oc]; `emit` gets each
 * pixel's sums (float32: sums in float32 from the bias, see dotRowsF32).
 */
function convolve(p: ConvPlan, emit: (b: number, outBase: number, acc: Float64Array, accBase: number) => void): void {
  const g = p.g;
  const { x, w, patch, acc } = p;
  const depth = p.filterDepth;
  const K = g.filterH * g.filterW * depth;
  const pointwise = g.filterH === 1 && g.filterW === 1;
  const outC = g.outC;
  for (let b = 0; b < g.batches; b++) {
    for (let oy0 = 0; oy0 < g.outH; oy0 += p.rowsPerBlock) {
      const rows = Math.min(p.rowsPerBlock, g.outH - oy0);
      const pixels = rows * g.outW;
      for (let grp = 0; grp < p.groups; grp++) {
        const icStart = grp * depth;
        let src: Float64Array;
        let base: number;
        let pixelStride: number;
        if (pointwise) {
          // 1x1 windows never leave the image (padding is 0 for them): read the input in place (one row, or the
          // whole image when the strides are 1).
          src = x;
          base = ((b * g.inH + oy0 * g.strideH - g.padH) * g.inW - g.padW) * g.inC + icStart;
          pixelStride = g.strideW * g.inC;
        } else {
          src = patch;
          base = 0;
          pixelStride = K;
          for (let r = 0; r < rows; r++) gatherRow(p, b, (oy0 + r) * g.strideH - g.padH, icStart, r * g.outW * K);
        }
        const ocStart = grp * p.outPerGroup;
        if (p.variant === 'float') {
          dotRowsF32(src, base, pixelStride, K, pixels, w, ocStart, ocStart + p.outPerGroup, acc, outC, p.bias);
        } else if (p.wPacked) {
          const paired = dotRowsPacked(src, base, pixelStride, K, pixels, p.wPacked, outC >> 1, p.pack, acc, outC);
          if (paired < outC) dotRows(src, base, pixelStride, K, pixels, w, paired, outC, acc, outC);
        } else {
          dotRows(src, base, pixelStride, K, pixels, w, ocStart, ocStart + p.outPerGroup, acc, outC);
        }
      }
      const blockOut = (b * g.outH + oy0) * g.outW * outC;
      for (let k = 0; k < pixels; k++) emit(b, blockOut + k * outC, acc, k * outC);
    }
  }
}

/** Receptive fields of one output row (one group) into patch, K values per pixel, zeros outside the image. */
function gatherRow(p: ConvPlan, b: number, iy0: number, icStart: number, at: number): void {
  const g = p.g;
  const { x, patch } = p;
  const depth = p.filterDepth;
  let k = at;
  for (let ox = 0; ox < g.outW; ox++) {
    const ix0 = ox * g.strideW - g.padW;
    for (let fy = 0; fy < g.filterH; fy++) {
      const iy = iy0 + fy * g.dilationH;
      const rowOk = iy >= 0 && iy < g.inH;
      const row = (b * g.inH + iy) * g.inW;
      for (let fx = 0; fx < g.filterW; fx++) {
        const ix = ix0 + fx * g.dilationW;
        if (rowOk && ix >= 0 && ix < g.inW) {
          const from = (row + ix) * g.inC + icStart;
          for (let ic = 0; ic < depth; ic++) patch[k++] = x[from + ic];
        } else {
          for (let ic = 0; ic < depth; ic++) patch[k++] = 0;
        }
      }
    }
  }
}

/**
 * acc[px * outC + oc] = sum_i w[oc * K + i] * src[base + px * pixelStride + i] for px < pixels, oc in [ocStart, ocEnd).
 * Register-blocked: two pixels by four channels (eight sums) per pass over K.
 */
function dotRows(src: Float64Array, base: number, pixelStride: number, K: number, pixels: number, w: Float64Array,
  ocStart: number, ocEnd: number, acc: Float64Array, outC: number): void {
  let px = 0;
  for (; px + 1 < pixels; px += 2) {
    const sa = base + px * pixelStride;
    const sb = sa + pixelStride;
    const aa = px * outC;
    const ab = aa + outC;
    let oc = ocStart;
    for (; oc + 3 < ocEnd; oc += 4) {
      const o0 = oc * K, o1 = o0 + K, o2 = o1 + K, o3 = o2 + K;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      for (let i = 0; i < K; i++) {
        const va = src[sa + i];
        const vb = src[sb + i];
        const w0 = w[o0 + i], w1 = w[o1 + i], w2 = w[o2 + i], w3 = w[o3 + i];
        a0 += w0 * va; b0 += w0 * vb;
        a1 += w1 * va; b1 += w1 * vb;
        a2 += w2 * va; b2 += w2 * vb;
        a3 += w3 * va; b3 += w3 * vb;
      }
      acc[aa + oc] = a0; acc[aa + oc + 1] = a1; acc[aa + oc + 2] = a2; acc[aa + oc + 3] = a3;
      acc[ab + oc] = b0; acc[ab + oc + 1] = b1; acc[ab + oc + 2] = b2; acc[ab + oc + 3] = b3;
    }
    for (; oc < ocEnd; oc++) {
      const o = oc * K;
      let a0 = 0, b0 = 0;
      for (let i = 0; i < K; i++) {
        const wi = w[o + i];
        a0 += wi * src[sa + i];
        b0 += wi * src[sb + i];
      }
      acc[aa + oc] = a0;
      acc[ab + oc] = b0;
    }
  }
  for (; px < pixels; px++) {
    const sa = base + px * pixelStride;
    const aa = px * outC;
    let oc = ocStart;
    for (; oc + 3 < ocEnd; oc += 4) {
      const o0 = oc * K, o1 = o0 + K, o2 = o1 + K, o3 = o2 + K;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let i = 0; i < K; i++) {
        const va = src[sa + i];
        a0 += w[o0 + i] * va;
        a1 += w[o1 + i] * va;
        a2 += w[o2 + i] * va;
        a3 += w[o3 + i] * va;
      }
      acc[aa + oc] = a0; acc[aa + oc + 1] = a1; acc[aa + oc + 2] = a2; acc[aa + oc + 3] = a3;
    }
    for (; oc < ocEnd; oc++) {
      const o = oc * K;
      let a0 = 0;
      for (let i = 0; i < K; i++) a0 += w[o + i] * src[sa + i];
      acc[aa + oc] = a0;
    }
  }
}

/**
 * dotRows for float32 operands, summed in float32 as the official runtime does: each sum starts from the channel's
 * bias and adds each product (rounded to float32) in filter order, rounding every addition to float32.
 */
function dotRowsF32(src: Float64Array, base: number, pixelStride: number, K: number, pixels: number, w: Float64Array,
  ocStart: number, ocEnd: number, acc: Float64Array, outC: number, bias: Float64Array): void {
  const f = Math.fround;
  let px = 0;
  for (; px + 1 < pixels; px += 2) {
    const sa = base + px * pixelStride;
    const sb = sa + pixelStride;
    const aa = px * outC;
    const ab = aa + outC;
    let oc = ocStart;
    for (; oc + 1 < ocEnd; oc += 2) {
      const o0 = oc * K, o1 = o0 + K;
      let a0 = f(bias[oc]), a1 = f(bias[oc + 1]), b0 = a0, b1 = a1;
      for (let i = 0; i < K; i++) {
        const va = src[sa + i];
        const vb = src[sb + i];
        const w0 = w[o0 + i], w1 = w[o1 + i];
        a0 = f(a0 + f(w0 * va)); b0 = f(b0 + f(w0 * vb));
        a1 = f(a1 + f(w1 * va)); b1 = f(b1 + f(w1 * vb));
      }
      acc[aa + oc] = a0; acc[aa + oc + 1] = a1;
      acc[ab + oc] = b0; acc[ab + oc + 1] = b1;
    }
    for (; oc < ocEnd; oc++) {
      const o = oc * K;
      let a0 = f(bias[oc]), b0 = a0;
      for (let i = 0; i < K; i++) {
        const wi = w[o + i];
        a0 = f(a0 + f(wi * src[sa + i]));
        b0 = f(b0 + f(wi * src[sb + i]));
      }
      acc[aa + oc] = a0;
      acc[ab + oc] = b0;
    }
  }
  for (; px < pixels; px++) {
    const sa = base + px * pixelStride;
    const aa = px * outC;
    for (let oc = ocStart; oc < ocEnd; oc++) {
      const o = oc * K;
      let a0 = f(bias[oc]);
      for (let i = 0; i < K; i++) a0 = f(a0 + f(w[o + i] * src[sa + i]));
      acc[aa + oc] = a0;
    }
  }
}

/** Split a packed pair's sum lo + hi * pack (|lo| < pack / 2) into acc[at] = lo, acc[at + 1] = hi. */
function unpack(sum: number, pack: number, acc: Float64Array, at: number): void {
  const hi = Math.round(sum / pack);
  acc[at] = sum - hi * pack;
  acc[at + 1] = hi;
}

/**
 * dotRows over packed channel pairs (see packFilter): two pixels by four pairs (eight channels) per pass over K.
 * Returns the number of channels filled (2 * pairs).
 */
function dotRowsPacked(src: Float64Array, base: number, pixelStride: number, K: number, pixels: number, wp: Float64Array,
  pairs: number, pack: number, acc: Float64Array, outC: number): number {
  let px = 0;
  for (; px + 1 < pixels; px += 2) {
    const sa = base + px * pixelStride;
    const sb = sa + pixelStride;
    const aa = px * outC;
    const ab = aa + outC;
    let j = 0;
    for (; j + 3 < pairs; j += 4) {
      const o0 = j * K, o1 = o0 + K, o2 = o1 + K, o3 = o2 + K;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      for (let i = 0; i < K; i++) {
        const va = src[sa + i];
        const vb = src[sb + i];
        const w0 = wp[o0 + i], w1 = wp[o1 + i], w2 = wp[o2 + i], w3 = wp[o3 + i];
        a0 += w0 * va; b0 += w0 * vb;
        a1 += w1 * va; b1 += w1 * vb;
        a2 += w2 * va; b2 += w2 * vb;
        a3 += w3 * va; b3 += w3 * vb;
      }
      const c = 2 * j;
      unpack(a0, pack, acc, aa + c); unpack(a1, pack, acc, aa + c + 2); unpack(a2, pack, acc, aa + c + 4); unpack(a3, pack, acc, aa + c + 6);
      unpack(b0, pack, acc, ab + c); unpack(b1, pack, acc, ab + c + 2); unpack(b2, pack, acc, ab + c + 4); unpack(b3, pack, acc, ab + c + 6);
    }
    for (; j < pairs; j++) {
      const o = j * K;
      let a0 = 0, b0 = 0;
      for (let i = 0; i < K; i++) {
        const wi = wp[o + i];
        a0 += wi * src[sa + i];
        b0 += wi * src[sb + i];
      }
      unpack(a0, pack, acc, aa + 2 * j);
      unpack(b0, pack, acc, ab + 2 * j);
    }
  }
  for (; px < pixels; px++) {
    const sa = base + px * pixelStride;
    const aa = px * outC;
    let j = 0;
    for (; j + 3 < pairs; j += 4) {
      const o0 = j * K, o1 = o0 + K, o2 = o1 + K, o3 = o2 + K;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let i = 0; i < K; i++) {
        const va = src[sa + i];
        a0 += wp[o0 + i] * va;
        a1 += wp[o1 + i] * va;
        a2 += wp[o2 + i] * va;
        a3 += wp[o3 + i] * va;
      }
      const c = 2 * j;
      unpack(a0, pack, acc, aa + c); unpack(a1, pack, acc, aa + c + 2); unpack(a2, pack, acc, aa + c + 4); unpack(a3, pack, acc, aa + c + 6);
    }
    for (; j < pairs; j++) {
      const o = j * K;
      let a0 = 0;
      for (let i = 0; i < K; i++) a0 += wp[o + i] * src[sa + i];
      unpack(a0, pack, acc, aa + 2 * j);
    }
  }
  return 2 * pairs;
}

function evalConv(p: ConvPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  if (p.wasm) {
    p.wasm.run(p.wasm.desc, inputs[0]!.data.byteOffset, outputs[0].data.byteOffset);
    return;
  }
  if (p.floatWasm) {
    runFloatConv(p.floatWasm, inputs[0]!, outputs[0], p.biasTensor);
    return;
  }
  if (p.hybridWasm) {
    runHybrid(p.hybridWasm, inputs[0]!, outputs[0], p.biasTensor);
    return;
  }
  const g = p.g;
  const input = inputs[0]!.data as Float32Array;
  const filterT = inputs[1]!;
  const out = outputs[0].data as Float32Array;
  if (!filterT.isConstant) filterRows(p, filterT.data as Float32Array);
  if (p.biasTensor) for (let c = 0; c < g.outC; c++) p.bias[c] = Number(p.biasTensor.data[c]);
  const bias = p.bias;
  const { actMin, actMax, x } = p;
  const C = g.outC;

  if (p.variant === 'float') {
    x.set(input);
    convolve(p, (_b, outBase, acc, a) => {
      for (let oc = 0; oc < C; oc++) {
        const v = acc[a + oc];
        out[outBase + oc] = v < actMin ? actMin : v > actMax ? actMax : v;
      }
    });
    return;
  }

  if (p.variant === 'hybrid' || p.variant === 'hybridPerChannel') {
    const perBatch = g.inH * g.inW * g.inC;
    for (let b = 0; b < g.batches; b++) {
      if (p.variant === 'hybrid') {
        p.batchScale[b] = Math.fround(symmetricQuantizeFloats(input, b * perBatch, perBatch, p.qInput, b * perBatch) * p.filterScales[0]);
        p.batchOffset[b] = 0;
      } else {
        asymmetricQuantizeFloats(input, b * perBatch, perBatch, p.qInput, b * perBatch, p.asymResult);
        p.batchScale[b] = p.asymResult[0];
        p.batchOffset[b] = p.asymResult[1];
      }
      const off = p.batchOffset[b];
      for (let i = b * perBatch; i < (b + 1) * perBatch; i++) x[i] = p.qInput[i] - off;
    }
    // As TFLite's optimized kernels: the int32 sum converted to float32, times the batch factor (per-tensor: input
    // scale x filter scale) or times float32(filter scale x input scale) (per-channel), then the bias.
    const perTensor = p.variant === 'hybrid';
    const fs = p.filterScales;
    convolve(p, (b, outBase, acc, a) => {
      const sf = p.batchScale[b];
      for (let oc = 0; oc < C; oc++) {
        const v = perTensor
          ? Math.fround(Math.fround(Math.fround(acc[a + oc]) * sf) + bias[oc])
          : Math.fround(Math.fround(Math.fround(acc[a + oc]) * Math.fround(fs[oc] * sf)) + bias[oc]);
        out[outBase + oc] = v < actMin ? actMin : v > actMax ? actMax : v;
      }
    });
    return;
  }

  const inOff = p.inputOffset;
  const qOut = outputs[0].data as Int8Array;
  const r = p.requant!;
  for (let i = 0; i < x.length; i++) x[i] = input[i] + inOff;
  convolve(p, (_b, outBase, acc, a) => requantizeRow(r, acc, a, bias, qOut, outBase, C));
}

export const conv2dKernel: Kernel<ConvPlan> = {
  op: 'CONV_2D',
  // v1 float/uint8, v2 hybrid, v3 int8 per-channel, v4 int16x8, v5 hybrid per-channel, v6 grouped.
  maxVersion: 6,
  prepare: prepareConv,
  eval: evalConv,
  path: (p) => (p.wasm || p.floatWasm || p.hybridWasm ? 'wasm' : 'js'),
};
