// The 8-bit CONV_2D / FULLY_CONNECTED / DEPTHWISE_CONV_2D kernels in WebAssembly (wasm/assembly/gemm-i16.ts,
// depthwise-i16.ts, requantize.ts): prepared here once into the interpreter's arena (packed int16 filter,
// per-channel bias, scales or fixed-point multipliers, scratch, and a descriptor of i32 words the module reads), then
// each eval is one call with the input and output tensors' byte offsets: the module reads the 8-bit input in place
// and writes the requantized output in place.
//
// The module's int32 sums wrap like int32; it is used only where every true sum provably fits int32 (255 times the
// largest per-channel sum of |weight - zero point| below 2^31, every weight within int16), so they are exact, and for
// XNNPACK fp32 requantization only where sum + bias fits int32 too (the TypeScript loops add them in doubles). Both
// kernels fold the input offset into the bias (modulo 2^32, which the wrapping sums undo exactly). Results are then
// bit-identical to the TypeScript loops (requantizeRow).

import type { PrepareContext, RuntimeTensor } from '../kernel.js';
import type { Requantization } from '../requantize.js';
import type { WasmArena } from '../wasm/arena.js';
import type { Geometry2D } from './conv-common.js';

/** A prepared 8-bit kernel: call run(desc, input byte offset, output byte offset). */
export interface Quant8Wasm {
  run: (desc: number, input: number, output: number) => void;
  desc: number;
}

// Descriptor layout (i32 word indices), mirrored in wasm/assembly/requantize.ts, gemm-i16.ts and depthwise-i16.ts.
const RQ_FIXED = 0, RQ_LO = 1, RQ_HI = 2, RQ_ZP = 3, RQ_BIAS = 4, RQ_SCALE = 5, RQ_SHIFT = 6, RQ_BLOCKS = 7;
const RQ_CHANNELS = 8, RQ_SIGNED = 9, RQ_ROUND_ONLY = 10, RQ_QMIN = 11, RQ_QMAX = 12;
// Words 16..47: the module's scratch lanes; kernel-specific words from 48 (byte 192).
const CV = 48;
const DESC_BYTES = 320;

/** max over channels of sum_k |values[c * K + k] + offset|, or Infinity when a weight does not fit int16. */
function maxAbsRowSum(values: ArrayLike<number>, offset: number, K: number, channels: number): number {
  let worst = 0;
  for (let c = 0; c < channels; c++) {
    let s = 0;
    for (let k = 0; k < K; k++) {
      const a = Math.abs(values[c * K + k] + offset);
      if (a > 32767) return Infinity;
      s += a;
    }
    if (s > worst) worst = s;
  }
  return worst;
}

/** Whether every values[i] + offset (i < n) fits int8. */
function fitsInt8(values: ArrayLike<number>, offset: number, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const v = values[i] + offset;
    if (v < -128 || v > 127) return false;
  }
  return true;
}

/** Whether a tensor is an activation the arena holds (its bytes are addressable by the module at eval). */
function inArena(t: RuntimeTensor | null | undefined): boolean {
  return !!t && !t.isConstant && !t.isVariable;
}

/**
 * Whether the module reproduces the TypeScript requantization for these biases: integers; for fp32, |bias| + the
 * bound on |sum| below 2^31 (the module adds in int32, the TypeScript loop in doubles). Fixed point adds in int32 in
 * both ((acc + bias) | 0).
 */
function biasFits(r: Requantization, bias: Float64Array, sumBound: number): boolean {
  if (r.kind === 'fixed64') return false;
  for (let c = 0; c < bias.length; c++) {
    if (!Number.isInteger(bias[c])) return false;
    if (r.kind === 'fp32' && Math.abs(bias[c]) + sumBound >= 2 ** 31) return false;
  }
  return true;
}

/**
 * Whether fp32 requantization may round without its float clamp (requantize.ts fp32Round): every channel's
 * |sum| <= 255 * sum_k |w_k| + |bias| times its scale stays below 2^21 (the magic bias is exact below 2^22).
 */
function roundOnly(r: Requantization, absSums: Float64Array, bias: Float64Array): boolean {
  if (r.kind !== 'fp32') return false;
  for (let c = 0; c < absSums.length; c++) {
    if ((255 * absSums[c] + Math.abs(bias[c])) * Math.abs(r.scales[c]) >= 2 ** 21) return false;
  }
  return true;
}

/**
 * Allocate a descriptor with its requantization block; `start` = the sums' per-channel starting values, `absSums`
 * = per channel sum_k |w_k| (with the filter offset).
 */
function requantDescriptor(arena: WasmArena, r: Requantization, start: Int32Array, channels: number, signed: boolean,
  absSums: Float64Array, bias: Float64Array): number {
  const blocks = Math.ceil(channels / 8);
  const desc = arena.alloc(DESC_BYTES, 64);
  const biasAt = arena.alloc(blocks * 32, 16);
  const scaleAt = arena.alloc(blocks * 32, 16);
  const shiftAt = r.kind === 'fp32' ? 0 : arena.alloc(blocks * 32, 16);
  const i32 = arena.i32;
  const f32 = arena.f32;
  const d = desc >> 2;
  i32[d + RQ_FIXED] = r.kind === 'fp32' ? 0 : 1;
  if (r.kind === 'fp32') {
    f32[d + RQ_LO] = r.min - r.zeroPoint;
    f32[d + RQ_HI] = r.max - r.zeroPoint;
    f32.set(r.scales.subarray(0, channels), scaleAt >> 2);
  } else {
    i32[d + RQ_LO] = r.min;
    i32[d + RQ_HI] = r.max;
    i32.set(r.multipliers.subarray(0, channels), scaleAt >> 2);
    i32.set(r.shifts.subarray(0, channels), shiftAt >> 2);
  }
  i32[d + RQ_ZP] = r.zeroPoint;
  i32[d + RQ_BIAS] = biasAt;
  i32[d + RQ_SCALE] = scaleAt;
  i32[d + RQ_SHIFT] = shiftAt;
  i32[d + RQ_BLOCKS] = blocks;
  i32[d + RQ_CHANNELS] = channels;
  i32[d + RQ_SIGNED] = signed ? 1 : 0;
  i32[d + RQ_ROUND_ONLY] = roundOnly(r, absSums, bias) ? 1 : 0;
  i32[d + RQ_QMIN] = r.min;
  i32[d + RQ_QMAX] = r.max;
  i32.set(start, biasAt >> 2);
  return desc;
}

/**
 * An 8-bit convolution with one filter group (OHWI filter, K = FH * FW * inC per output channel) on the module, or
 * null where it does not apply (TypeScript path). FULLY_CONNECTED passes a 1 x batches image of 1x1 windows.
 */
export function prepareQuant8Conv(ctx: PrepareContext, g: Geometry2D, filter: ArrayLike<number>, filterOffset: number,
  bias: Float64Array, r: Requantization, inputOffset: number, signed: boolean): Quant8Wasm | null {
  const arena = ctx.wasm;
  if (!arena || !inArena(ctx.inputs[0]) || !inArena(ctx.outputs[0])) return null;
  const outC = g.outC;
  const K = g.filterH * g.filterW * g.inC;
  // |input - zero point| <= 255 for 8-bit inputs.
  const sumBound = 255 * maxAbsRowSum(filter, filterOffset, K, outC);
  if (!(sumBound < 2 ** 31) || !biasFits(r, bias, sumBound)) return null;

  const blocks = Math.ceil(outC / 8);
  const kPairs = Math.ceil(K / 2);
  const rowBytes = 4 * kPairs;
  const pixels = g.batches * g.outH * g.outW;
  // Blocks of A rows of about 16 KiB (stay in L1 while each 8-channel slice of the filter passes over them).
  const blockPixels = Math.min(Math.max(4, Math.floor(16384 / rowBytes / 4) * 4), Math.ceil(pixels / 4) * 4);
  // sum_k (x_k + off) w_k + bias = sum_k x_k w_k + (bias + off * sum_k w_k), modulo 2^32 as the module adds.
  const start = new Int32Array(blocks * 8);
  const absSums = new Float64Array(outC);
  for (let c = 0; c < outC; c++) {
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const v = filter[c * K + k] + filterOffset;
      sum += v;
      absSums[c] += Math.abs(v);
    }
    start[c] = (bias[c] + inputOffset * sum) | 0;
  }
  const desc = requantDescriptor(arena, r, start, outC, signed, absSums, bias);
  const oneRow = pixels === 1 && g.filterH === 1 && g.filterW === 1;
  // One row reads each weight once: int8 weights (when they fit) halve the bytes. See gemv8 in gemm-i16.ts.
  let w8At = 0;
  const k8 = Math.ceil(K / 8);
  if (oneRow && fitsInt8(filter, filterOffset, K * outC)) {
    w8At = arena.alloc(blocks * k8 * 64, 16);
    const w8 = arena.i8;
    for (let c = 0; c < outC; c++) {
      const base = w8At + (c >> 3) * k8 * 64 + (c & 7) * 8;
      for (let k = 0; k < K; k++) w8[base + (k >> 3) * 64 + (k & 7)] = filter[c * K + k] + filterOffset;
    }
  }
  // Spare bytes after the last row: the packing writes whole vectors.
  const rowsAt = arena.alloc(Math.max(blockPixels * rowBytes, 16 * k8) + 64, 16);
  const wAt = w8At ? 0 : arena.alloc(blocks * kPairs * 32, 16);
  if (!w8At) {
    const w = arena.i16;
    const w0 = wAt >> 1;
    for (let c = 0; c < outC; c++) {
      const lane = ((c & 7) >> 2) * 8 + (c & 3) * 2;
      const blockBase = w0 + (c >> 3) * kPairs * 16 + lane;
      for (let k = 0; k < K; k++) w[blockBase + (k >> 1) * 16 + (k & 1)] = filter[c * K + k] + filterOffset;
    }
  }
  const i32 = arena.i32;
  const d = (desc >> 2) + CV;
  const words = [g.batches, g.inH, g.inW, g.inC, g.outH, g.outW, g.filterH, g.filterW, g.strideH, g.strideW,
    g.dilationH, g.dilationW, g.padH, g.padW, kPairs, wAt, rowsAt, blockPixels, -inputOffset, oneRow ? 1 : 0,
    w8At, k8];
  words.forEach((v, i) => { i32[d + i] = v; });
  return { run: arena.exports.convQ8 as Quant8Wasm['run'], desc };
}

/**
 * An 8-bit depthwise convolution ([1, FH, FW, C] filter, depth multiplier M = C / inC) on the module, or null where
 * it does not apply. The input offset is folded into the bias (see depthwise-i16.ts).
 */
export function prepareQuant8Depthwise(ctx: PrepareContext, g: Geometry2D, multiplier: number, filter: ArrayLike<number>,
  filterOffset: number, bias: Float64Array, r: Requantization, inputOffset: number, signed: boolean): Quant8Wasm | null {
  const arena = ctx.wasm;
  if (!arena || !inArena(ctx.inputs[0]) || !inArena(ctx.outputs[0])) return null;
  const C = g.outC;
  const taps = g.filterH * g.filterW;
  const channelSums = new Float64Array(C);
  const absSums = new Float64Array(C);
  let sumBound = 0;
  for (let c = 0; c < C; c++) {
    let abs = 0;
    for (let t = 0; t < taps; t++) {
      const v = filter[t * C + c] + filterOffset;
      if (Math.abs(v) > 32767) return null;
      abs += Math.abs(v);
      channelSums[c] += v;
    }
    absSums[c] = abs;
    sumBound = Math.max(sumBound, 255 * abs);
  }
  if (!(sumBound < 2 ** 31) || !biasFits(r, bias, sumBound)) return null;

  const blocks = Math.ceil(C / 8);
  const pairs = Math.ceil(taps / 2);
  // sum_t (x_t + off) w_t + bias = sum_t x_t w_t + (bias + off * sum_t w_t), modulo 2^32 as the module adds.
  const start = new Int32Array(blocks * 8);
  for (let c = 0; c < C; c++) start[c] = (bias[c] + inputOffset * channelSums[c]) | 0;
  const desc = requantDescriptor(arena, r, start, C, signed, absSums, bias);
  const wAt = arena.alloc(blocks * pairs * 32, 16);
  const tapsAt = arena.alloc(pairs * 8, 16);
  const zpAt = arena.alloc(blocks * 8 + 16, 16);
  const expandedAt = multiplier > 1 ? arena.alloc(g.inH * g.inW * C + 16, 16) : 0;
  const offsetsAt = arena.alloc(pairs * 8, 16);
  const w = arena.i16;
  const w0 = wAt >> 1;
  for (let c = 0; c < C; c++) {
    const lane = ((c & 7) >> 2) * 8 + (c & 3) * 2;
    const blockBase = w0 + (c >> 3) * pairs * 16 + lane;
    for (let t = 0; t < taps; t++) w[blockBase + (t >> 1) * 16 + (t & 1)] = filter[t * C + c] + filterOffset;
  }
  // Interior windows: each tap's byte offset from the window's corner (the spare tap of an odd count reads the corner).
  const offsets = arena.i32;
  for (let fy = 0; fy < g.filterH; fy++) {
    for (let fx = 0; fx < g.filterW; fx++) {
      offsets[(offsetsAt >> 2) + fy * g.filterW + fx] = (fy * g.dilationH * g.inW + fx * g.dilationW) * C;
    }
  }
  // A pixel of the input's zero point (raw bytes: value + offset = 0).
  arena.u8.fill(-inputOffset & 0xff, zpAt, zpAt + blocks * 8 + 16);
  const i32 = arena.i32;
  const d = (desc >> 2) + CV;
  const words = [g.batches, g.inH, g.inW, g.inC, multiplier, g.outH, g.outW, g.filterH, g.filterW, g.strideH, g.strideW,
    g.dilationH, g.dilationW, g.padH, g.padW, wAt, tapsAt, zpAt, expandedAt, offsetsAt];
  words.forEach((v, i) => { i32[d + i] = v; });
  return { run: arena.exports.depthwiseQ8 as Quant8Wasm['run'], desc };
}
