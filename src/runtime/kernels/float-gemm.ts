// The WebAssembly paths of float32 and hybrid (float activations, int8 weights) CONV_2D and FULLY_CONNECTED, and of
// float32 BATCH_MATMUL (assembly/gemm-f32.ts, assembly/gemm-hybrid.ts): weights packed once at prepare into the
// interpreter's memory, a convolution record the module reads, scratch for im2col rows, indirection and sums. The kernels' TypeScript loops stay the
// specification: float32 results differ from them only by float32 (vs float64) summation; hybrid results are
// bit-identical (the same input quantization, exact integer sums, then the same float ops in the same order).

import type { RuntimeTensor } from '../kernel.js';
import type { WasmArena } from '../wasm/arena.js';
import type { Geometry2D } from './conv-common.js';

type Fn = (...args: number[]) => number | void;

// Convolution record fields (i32; see assembly/gemm-f32.ts).
const F = {
  BATCHES: 0, IN_H: 1, IN_W: 2, IN_C: 3, OUT_H: 4, OUT_W: 5, OUT_C: 6, FILTER_H: 7, FILTER_W: 8, STRIDE_H: 9,
  STRIDE_W: 10, DILATION_H: 11, DILATION_W: 12, PAD_H: 13, PAD_W: 14, GROUPS: 15, DEPTH: 16, OUT_PER_GROUP: 17,
  WEIGHTS: 18, GROUP_BYTES: 19, SCRATCH: 20, BLOCK_PIXELS: 21, ACT_MIN: 22, ACT_MAX: 23, ACC: 24, BIAS: 25,
  CHANNEL_SCALES: 26, SCALE_MODE: 27, BATCH_SCALES: 28, BATCH_OFFSETS: 29, QINPUT: 30, ASYMMETRIC: 31, FOLD_SCALE: 32,
  F32_RESCALE: 33, BIAS_F32: 36, CHANNEL_SCALES_F32: 37, INDIRECTION: 38, INDIRECTION_IMAGE: 39, ZERO_ROW: 40,
  ROW_RUNS: 42, EDGE_SCRATCH: 43, EDGE_LO: 44, EDGE_HI: 45,
} as const;
/** f64 field (8-byte aligned, two i32 slots). */
const TENSOR_SCALE = 34;
const RECORD_FIELDS = 46;

/** How the hybrid kernels turn an int32 sum into a float (see assembly/gemm-hybrid.ts); the sum is f32(sum) first. */
export const enum HybridScaleMode {
  /** sum * rowScale: per-tensor weights (the weight scale folded into the row's scale). */
  Row = 0,
  /** sum * f32(rowScale * channelScale): per-channel weights (CONV_2D and FULLY_CONNECTED). */
  RowChannel = 1,
}

/** im2col block size: about 64 KiB of rows per block, at least 4 pixels (one tile), at most the image. */
function blockPixels(pixels: number, rowBytes: number): number {
  const fit = Math.max(4, Math.floor(65536 / rowBytes / 4) * 4);
  return Math.min(pixels, fit);
}

/**
 * Pack float32 weights rows (`rows` x K, row-major; a group's rows are consecutive) and biases for gemmF32: per group,
 * per block of 8 rows: 8 biases, then K rows of 8 weights, zeros past the group's last row. Returns the offset.
 */
function packF32(arena: WasmArena, weights: ArrayLike<number>, bias: ArrayLike<number>, groups: number, perGroup: number,
  K: number): { at: number; groupBytes: number } {
  const blocks = Math.ceil(perGroup / 8);
  const blockFloats = (K + 1) * 8;
  const groupBytes = blocks * blockFloats * 4;
  const at = arena.alloc(groups * groupBytes, 64);
  const f32 = arena.f32;
  for (let g = 0; g < groups; g++) {
    for (let blk = 0; blk < blocks; blk++) {
      const base = (at + g * groupBytes) / 4 + blk * blockFloats;
      for (let j = 0; j < 8; j++) {
        const r = blk * 8 + j;
        if (r >= perGroup) continue;
        const row = g * perGroup + r;
        f32[base + j] = bias[row];
        for (let k = 0; k < K; k++) f32[base + 8 + k * 8 + j] = weights[row * K + k];
      }
    }
  }
  return { at, groupBytes };
}

/** Rewrite the biases of weights packed by packF32 (a bias tensor computed at run time). */
function repackBiasF32(arena: WasmArena, at: number, groupBytes: number, bias: ArrayLike<number>, groups: number,
  perGroup: number, K: number): void {
  const f32 = arena.f32;
  const blockFloats = (K + 1) * 8;
  for (let g = 0; g < groups; g++) {
    for (let r = 0; r < perGroup; r++) f32[(at + g * groupBytes) / 4 + (r >> 3) * blockFloats + (r & 7)] = bias[g * perGroup + r];
  }
}

/**
 * Pack int8 weight rows (`rows` x K) for gemmI16: per group, per block of 8 rows, [Kp / 2][8 rows][2 k] int16
 * (Kp = K rounded up to even; zeros past K and past the group's last row).
 */
function packI16(arena: WasmArena, weights: ArrayLike<number>, groups: number, perGroup: number, K: number):
  { at: number; groupBytes: number } {
  const kp = (K + 1) & ~1;
  const blocks = Math.ceil(perGroup / 8);
  const blockShorts = kp * 8;
  const groupBytes = blocks * blockShorts * 2;
  const at = arena.alloc(groups * groupBytes, 64);
  const i16 = arena.i16;
  for (let g = 0; g < groups; g++) {
    for (let r = 0; r < perGroup; r++) {
      const base = (at + g * groupBytes) / 2 + (r >> 3) * blockShorts + (r & 7) * 2;
      const row = (g * perGroup + r) * K;
      for (let k = 0; k < K; k++) i16[base + (k >> 1) * 16 + (k & 1)] = weights[row + k];
    }
  }
  return { at, groupBytes };
}

/** Largest |sum| of a hybrid dot product: |q - zero point| <= 255 times the largest row sum of |w|. */
function hybridSumBound(weights: ArrayLike<number>, rows: number, K: number): number {
  let worst = 0;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.abs(weights[r * K + k]);
    worst = Math.max(worst, s);
  }
  return 255 * worst;
}

function writeRecord(arena: WasmArena, values: Partial<Record<keyof typeof F, number>>, lo: number, hi: number,
  tensorScale = 1): number {
  const at = arena.alloc(RECORD_FIELDS * 4, 16);
  const i32 = arena.i32;
  for (const [k, v] of Object.entries(values)) i32[at / 4 + F[k as keyof typeof F]] = v;
  const f32 = arena.f32;
  f32[at / 4 + F.ACT_MIN] = lo;
  f32[at / 4 + F.ACT_MAX] = hi;
  new Float64Array(arena.buffer, at + TENSOR_SCALE * 4, 1)[0] = tensorScale;
  return at;
}

function geometryFields(g: Geometry2D, groups: number) {
  return {
    BATCHES: g.batches, IN_H: g.inH, IN_W: g.inW, IN_C: g.inC, OUT_H: g.outH, OUT_W: g.outW, OUT_C: g.outC,
    FILTER_H: g.filterH, FILTER_W: g.filterW, STRIDE_H: g.strideH, STRIDE_W: g.strideW, DILATION_H: g.dilationH,
    DILATION_W: g.dilationW, PAD_H: g.padH, PAD_W: g.padW, GROUPS: groups, DEPTH: g.inC / groups,
    OUT_PER_GROUP: g.outC / groups,
  };
}

/** Tensors the module may read or write by offset: activations in the arena (not constants, not variables). */
export function inArena(...tensors: (RuntimeTensor | null)[]): boolean {
  return tensors.every((t) => t !== null && !t.isConstant && !t.isVariable);
}

// ---- float32 CONV_2D ------------------------------------------------------------------------------------------------

export interface FloatConvWasm {
  arena: WasmArena;
  run: Fn;
  record: number;
  weightsAt: number;
  groupBytes: number;
  groups: number;
  perGroup: number;
  K: number;
  /** Winograd: the biases' offset (float32 per output channel; the packed weights hold none), else -1. */
  biasAt: number;
}

/** Whether a float32 convolution takes the Winograd F(2x2, 3x3) path (assembly/winograd-f32.ts). */
export function winogradApplies(g: Geometry2D, groups: number): boolean {
  return g.filterH === 3 && g.filterW === 3 && g.strideH === 1 && g.strideW === 1 && g.dilationH === 1 &&
    g.dilationW === 1 && groups === 1 && g.inC >= 8 && g.outC >= 8 && g.outH >= 2 && g.outW >= 2;
}

/** Bytes of transformed inputs and products per block of tiles (they stay in cache between the three steps). */
const WINOGRAD_BLOCK_BYTES = 256 << 10;

/**
 * Winograd F(2x2, 3x3): the filter transformed (U = G g G^T, in float64, rounded once to float32) into 16 matrices
 * packed for gemmF32 (K = input channels rounded up to 4, zero biases), scratch for one block of tiles.
 */
function prepareWinograd(arena: WasmArena, g: Geometry2D, filter: Float32Array, bias: ArrayLike<number>,
  actMin: number, actMax: number): FloatConvWasm {
  const inC = g.inC, outC = g.outC;
  const inC4 = (inC + 3) & ~3;
  const outC4 = (outC + 3) & ~3;
  const u = Array.from({ length: 16 }, () => new Float32Array(outC * inC4));
  const gg = new Float64Array(12);
  for (let o = 0; o < outC; o++) {
    for (let c = 0; c < inC; c++) {
      const w = (fy: number, fx: number) => filter[((o * 3 + fy) * 3 + fx) * inC + c];
      // G g (4 x 3), then (G g) G^T (4 x 4).
      for (let fx = 0; fx < 3; fx++) {
        const g0 = w(0, fx), g1 = w(1, fx), g2 = w(2, fx);
        gg[fx] = g0;
        gg[3 + fx] = (g0 + g1 + g2) / 2;
        gg[6 + fx] = (g0 - g1 + g2) / 2;
        gg[9 + fx] = g2;
      }
      for (let r = 0; r < 4; r++) {
        const a = gg[3 * r], b = gg[3 * r + 1], cc = gg[3 * r + 2];
        const row = [a, (a + b + cc) / 2, (a - b + cc) / 2, cc];
        for (let s = 0; s < 4; s++) u[4 * r + s][o * inC4 + c] = row[s];
      }
    }
  }
  const zeroBias = new Float32Array(outC);
  const packed = u.map((m) => packF32(arena, m, zeroBias, 1, outC, inC4));
  // Consecutive allocations of one size: evenly spaced (the module steps from one matrix to the next).
  const uMatrix = packed[1].at - packed[0].at;
  if (packed.some((p, i) => p.at !== packed[0].at + i * uMatrix)) throw new Error('Winograd weights are not evenly spaced');
  const tilesH = Math.ceil(g.outH / 2), tilesW = Math.ceil(g.outW / 2);
  const tiles = tilesH * tilesW;
  // Blocks of equal size (a multiple of 6 rows, the GEMM's tile), as few as fit the budget.
  const fit = Math.max(6, Math.floor(WINOGRAD_BLOCK_BYTES / (16 * 4 * (inC4 + outC4))));
  const blocks = Math.ceil(tiles / fit);
  const block = Math.min(tiles, Math.ceil(tiles / blocks / 6) * 6);
  // Matrices one cache line past a multiple of 64 bytes apart: the 16 rows a transform reads or writes at once
  // fall in different cache sets (at a power-of-two distance they would evict one another).
  const vMatrix = Math.ceil(block * inC4 * 4 / 128) * 128 + 64;
  const mMatrix = Math.ceil(block * outC4 * 4 / 128) * 128 + 64;
  const v = arena.alloc(16 * vMatrix, 64);
  const m = arena.alloc(16 * mMatrix, 64);
  const biasAt = arena.alloc(outC4 * 4, 16);
  const f32 = arena.f32;
  for (let o = 0; o < outC; o++) f32[biasAt / 4 + o] = bias[o];
  const record = arena.alloc(24 * 4, 16);
  const padTop = g.padH, padLeft = g.padW;
  arena.i32.set([g.batches, g.inH, g.inW, inC, g.outH, g.outW, outC, padTop, padLeft, tilesH, tilesW, block,
    packed[0].at, uMatrix, v, m, biasAt, 0, 0, vMatrix, mMatrix], record / 4);
  arena.f32[record / 4 + 17] = actMin;
  arena.f32[record / 4 + 18] = actMax;
  return { arena, run: arena.exports.convWinogradF32, record, weightsAt: packed[0].at, groupBytes: 0, groups: 1,
    perGroup: outC, K: inC4, biasAt };
}

/**
 * Pack a constant OHWI float32 filter and its biases. 1x1 windows read the input in place; larger ones go through
 * an indirection buffer (pointers into the input, or to a zero row: no copies). Without groups and horizontal
 * dilation, a filter row's taps are contiguous in the image and the buffer holds one pointer per filter row (row
 * runs; windows crossing the left or right edge copy those rows into edge slots per run). Otherwise one pointer
 * per tap when a tap holds at least 4 channels or one block of 8 output channels suffices, else im2col rows (with 1
 * to 3 channels per tap and several channel blocks, the copy is cheaper than re-reading short taps for every block:
 * measured on 3x3 windows of 1..16 channels).
 */
export function prepareFloatConv(arena: WasmArena, g: Geometry2D, groups: number, filter: Float32Array,
  bias: ArrayLike<number>, actMin: number, actMax: number): FloatConvWasm {
  if (winogradApplies(g, groups)) return prepareWinograd(arena, g, filter, bias, actMin, actMax);
  const depth = g.inC / groups;
  const perGroup = g.outC / groups;
  const K = g.filterH * g.filterW * depth;
  const { at, groupBytes } = packF32(arena, filter, bias, groups, perGroup, K);
  const pointwise = g.filterH === 1 && g.filterW === 1;
  const rowRuns = !pointwise && groups === 1 && g.dilationW === 1;
  const indirect = !pointwise && (rowRuns || depth >= 4 || perGroup <= 8);
  const pixels = g.outH * g.outW;
  const block = blockPixels(pixels, K * 4);
  const scratch = pointwise || indirect ? 0 : arena.alloc(block * K * 4, 64);
  const pointers = rowRuns ? g.filterH : g.filterH * g.filterW;
  const indirection = indirect ? arena.alloc(pixels * pointers * 4, 64) : 0;
  const zeroRow = indirect ? arena.alloc((rowRuns ? g.filterW : 1) * g.inC * 4, 64) : 0;
  // Output columns whose window crosses the left or right edge of the image.
  let edgeLo = 0, edgeHi = g.outW;
  if (rowRuns) {
    while (edgeLo < g.outW && edgeLo * g.strideW - g.padW < 0) edgeLo++;
    while (edgeHi > edgeLo && (edgeHi - 1) * g.strideW - g.padW + g.filterW > g.inW) edgeHi--;
  }
  const edgeSlots = rowRuns ? g.outH * (edgeLo + g.outW - edgeHi) * g.filterH : 0;
  const edgeScratch = edgeSlots > 0 ? arena.alloc(edgeSlots * g.filterW * g.inC * 4, 64) : 0;
  const record = writeRecord(arena, {
    ...geometryFields(g, groups), WEIGHTS: at, GROUP_BYTES: groupBytes, SCRATCH: scratch, BLOCK_PIXELS: block,
    INDIRECTION: indirection, INDIRECTION_IMAGE: 0, ZERO_ROW: zeroRow, ROW_RUNS: rowRuns ? 1 : 0,
    EDGE_SCRATCH: edgeScratch, EDGE_LO: edgeLo, EDGE_HI: edgeHi,
  }, actMin, actMax);
  const run = indirect ? arena.exports.convF32Indirect : arena.exports.convF32;
  return { arena, run, record, weightsAt: at, groupBytes, groups, perGroup, K, biasAt: -1 };
}

export function runFloatConv(w: FloatConvWasm, input: RuntimeTensor, output: RuntimeTensor, biasTensor: RuntimeTensor | null): void {
  if (biasTensor && w.biasAt >= 0) w.arena.f32.set(biasTensor.data as Float32Array, w.biasAt / 4);
  else if (biasTensor) repackBiasF32(w.arena, w.weightsAt, w.groupBytes, biasTensor.data as Float32Array, w.groups, w.perGroup, w.K);
  w.run(w.record, input.data.byteOffset, output.data.byteOffset);
}

// ---- float32 FULLY_CONNECTED ---------------------------------------------------------------------------------------

export interface FloatFullyConnectedWasm {
  arena: WasmArena;
  gemm: Fn;
  weightsAt: number;
  rows: number;
  units: number;
  depth: number;
  actMin: number;
  actMax: number;
}

/**
 * Pack weight rows (units x K) and biases for gemvF32 (one input row): per block of 8 units, 8 biases, then per 4 k
 * each unit's 4 weights (unit-major), then the last K % 4 k as rows of 8 (zeros past the last unit). The block size
 * is packF32's.
 */
function packGemvF32(arena: WasmArena, weights: ArrayLike<number>, bias: ArrayLike<number>, units: number, K: number): number {
  const blocks = Math.ceil(units / 8);
  const blockFloats = (K + 1) * 8;
  const at = arena.alloc(blocks * blockFloats * 4, 64);
  const f32 = arena.f32;
  const k4 = K & ~3;
  for (let u = 0; u < units; u++) {
    const base = at / 4 + (u >> 3) * blockFloats;
    const j = u & 7;
    f32[base + j] = bias[u];
    for (let k = 0; k < k4; k++) f32[base + 8 + (k >> 2) * 32 + j * 4 + (k & 3)] = weights[u * K + k];
    for (let k = k4; k < K; k++) f32[base + 8 + k4 * 8 + (k - k4) * 8 + j] = weights[u * K + k];
  }
  return at;
}

export function prepareFloatFullyConnected(arena: WasmArena, rows: number, units: number, depth: number,
  weights: Float32Array, bias: ArrayLike<number>, actMin: number, actMax: number): FloatFullyConnectedWasm {
  if (rows === 1) {
    const at = packGemvF32(arena, weights, bias, units, depth);
    return { arena, gemm: arena.exports.gemvF32, weightsAt: at, rows, units, depth, actMin, actMax };
  }
  const { at } = packF32(arena, weights, bias, 1, units, depth);
  return { arena, gemm: arena.exports.gemmF32, weightsAt: at, rows, units, depth, actMin, actMax };
}

export function runFloatFullyConnected(w: FloatFullyConnectedWasm, input: RuntimeTensor, output: RuntimeTensor,
  biasTensor: RuntimeTensor | null): void {
  // Both packings keep the 8 biases of a block at its start, blocks of the same size.
  if (biasTensor) repackBiasF32(w.arena, w.weightsAt, 0, biasTensor.data as Float32Array, 1, w.units, w.depth);
  if (w.rows === 1) {
    w.gemm(w.units, w.depth, input.data.byteOffset, w.weightsAt, output.data.byteOffset, w.actMin, w.actMax);
    return;
  }
  w.gemm(w.rows, w.units, w.depth, input.data.byteOffset, w.depth * 4, w.weightsAt, output.data.byteOffset, w.units * 4,
    w.actMin, w.actMax);
}

// ---- float32 BATCH_MATMUL ------------------------------------------------------------------------------------------

/** The BatchMatMulPlan fields the WebAssembly path reads. */
export interface MatMulShape {
  batches: number;
  lhsOffsets: Int32Array;
  rhsOffsets: Int32Array;
  m: number; k: number; n: number;
  lhsRowStride: number; lhsDepthStride: number;
  rhsDepthStride: number; rhsColStride: number;
}

export interface FloatBatchMatMulWasm {
  gemm: Fn;
  pack: Fn;
  gather: Fn;
  /** Constant rhs: its matrices packed at prepare (bytes apart); else one packed matrix of scratch. */
  constantRhs: boolean;
  packedAt: number;
  packedBytes: number;
  /** Contiguous lhs rows (adj_x), or 0 when the lhs rows are read in place. */
  lhsAt: number;
}

export function prepareFloatBatchMatMul(arena: WasmArena, s: MatMulShape, constantRhs: Float32Array | null): FloatBatchMatMulWasm {
  const { k, n } = s;
  const packedBytes = Math.ceil(n / 8) * (k + 1) * 32;
  let packedAt: number;
  if (constantRhs) {
    const mats = Math.max(1, Math.round(constantRhs.length / (k * n)));
    packedAt = arena.alloc(mats * packedBytes, 64);
    const f32 = arena.f32;
    for (let mat = 0; mat < mats; mat++) {
      for (let j = 0; j < n; j++) {
        const base = (packedAt + mat * packedBytes) / 4 + (j >> 3) * (k + 1) * 8 + (j & 7);
        for (let d = 0; d < k; d++) f32[base + 8 + d * 8] = constantRhs[mat * k * n + d * s.rhsDepthStride + j * s.rhsColStride];
      }
    }
  } else {
    packedAt = arena.alloc(packedBytes, 64);
  }
  const lhsAt = s.lhsDepthStride === 1 ? 0 : arena.alloc(s.m * k * 4, 64);
  return {
    gemm: arena.exports.gemmF32, pack: arena.exports.packF32, gather: arena.exports.gatherRowsF32,
    constantRhs: constantRhs !== null, packedAt, packedBytes, lhsAt,
  };
}

export function runFloatBatchMatMul(w: FloatBatchMatMulWasm, s: MatMulShape, lhs: RuntimeTensor, rhs: RuntimeTensor,
  output: RuntimeTensor): void {
  const { m, k, n } = s;
  const lhsAt = lhs.data.byteOffset;
  const rhsAt = rhs.data.byteOffset;
  const outAt = output.data.byteOffset;
  const matN = k * n;
  for (let b = 0; b < s.batches; b++) {
    let packed = w.packedAt;
    if (w.constantRhs) packed += (s.rhsOffsets[b] / matN) * w.packedBytes;
    else w.pack(rhsAt + s.rhsOffsets[b] * 4, k, n, s.rhsDepthStride, s.rhsColStride, packed);
    let a = lhsAt + s.lhsOffsets[b] * 4;
    if (w.lhsAt) {
      w.gather(a, m, k, s.lhsRowStride, s.lhsDepthStride, w.lhsAt);
      a = w.lhsAt;
    }
    w.gemm(m, n, k, a, k * 4, packed, outAt + b * m * n * 4, n * 4, -Infinity, Infinity);
  }
}

// ---- hybrid CONV_2D and FULLY_CONNECTED ----------------------------------------------------------------------------

export interface HybridWasm {
  arena: WasmArena;
  run: Fn;
  record: number;
  /** Biases per output channel: f64 and f32. */
  biasAt: number;
  biasF32At: number;
  channels: number;
}

/**
 * Per-row and per-channel buffers of the hybrid kernels. The float32 rescale (rescaleRowsF32) applies when biases
 * and channel scales are float32 values (a bias tensor computed at run time is float32 too).
 */
function hybridBuffers(arena: WasmArena, rows: number, rowSize: number, channels: number, bias: ArrayLike<number>,
  channelScales: ArrayLike<number> | null) {
  const qAt = arena.alloc(rows * rowSize + 16, 16);
  const scalesAt = arena.alloc(rows * 8, 8);
  const offsetsAt = arena.alloc(rows * 4, 4);
  const biasAt = arena.alloc(channels * 8, 8);
  const scalesOfChannels = arena.alloc(channels * 8, 8);
  const biasF32At = arena.alloc(channels * 4, 16);
  const scalesOfChannelsF32 = arena.alloc(channels * 4, 16);
  const f64 = new Float64Array(arena.buffer);
  const f32 = arena.f32;
  let f32Rescale = true;
  for (let c = 0; c < channels; c++) {
    const scale = channelScales ? channelScales[c] : 1;
    f64[biasAt / 8 + c] = bias[c];
    f64[scalesOfChannels / 8 + c] = scale;
    f32[biasF32At / 4 + c] = bias[c];
    f32[scalesOfChannelsF32 / 4 + c] = scale;
    if (Math.fround(bias[c]) !== bias[c] || Math.fround(scale) !== scale) f32Rescale = false;
  }
  return {
    qAt, scalesAt, offsetsAt, biasAt, channelScalesAt: scalesOfChannels, biasF32At, channelScalesF32At: scalesOfChannelsF32,
    f32Rescale,
  };
}

/**
 * Hybrid CONV_2D: input quantized per batch, symmetric (per-tensor weights: scale x weight scale) or asymmetric
 * (per-channel weights or groups), as the TypeScript kernel does. Null when a sum could overflow int32.
 */
export function prepareHybridConv(arena: WasmArena, g: Geometry2D, groups: number, filter: Int8Array,
  bias: ArrayLike<number>, actMin: number, actMax: number, perTensor: boolean, filterScales: ArrayLike<number>): HybridWasm | null {
  const depth = g.inC / groups;
  const perGroup = g.outC / groups;
  const K = g.filterH * g.filterW * depth;
  const sumBound = hybridSumBound(filter, g.outC, K);
  if (sumBound >= 2 ** 31) return null;
  const kp = (K + 1) & ~1;
  const { at, groupBytes } = packI16(arena, filter, groups, perGroup, K);
  const pixels = g.outH * g.outW;
  const block = blockPixels(pixels, kp * 2 + Math.ceil(perGroup / 8) * 32);
  const scratch = arena.alloc(block * kp * 2, 64);
  const acc = arena.alloc(block * Math.ceil(perGroup / 8) * 32, 64);
  const rowSize = g.inH * g.inW * g.inC;
  const buf = hybridBuffers(arena, g.batches, rowSize, g.outC, bias, perTensor ? null : filterScales);
  const record = writeRecord(arena, {
    ...geometryFields(g, groups), WEIGHTS: at, GROUP_BYTES: groupBytes, SCRATCH: scratch, BLOCK_PIXELS: block,
    ACC: acc, BIAS: buf.biasAt, CHANNEL_SCALES: buf.channelScalesAt,
    SCALE_MODE: perTensor ? HybridScaleMode.Row : HybridScaleMode.RowChannel,
    BATCH_SCALES: buf.scalesAt, BATCH_OFFSETS: buf.offsetsAt, QINPUT: buf.qAt, ASYMMETRIC: perTensor ? 0 : 1,
    FOLD_SCALE: perTensor ? 1 : 0, F32_RESCALE: buf.f32Rescale ? 1 : 0, BIAS_F32: buf.biasF32At,
    CHANNEL_SCALES_F32: buf.channelScalesF32At,
  }, actMin, actMax, filterScales[0]);
  return { arena, run: arena.exports.convHybrid, record, biasAt: buf.biasAt, biasF32At: buf.biasF32At, channels: g.outC };
}

/**
 * Hybrid FULLY_CONNECTED: each of `rows` rows quantized on its own (symmetric, or asymmetric_quantize_inputs);
 * per-tensor or per-unit weight scales. Null when a sum could overflow int32.
 */
export function prepareHybridFullyConnected(arena: WasmArena, rows: number, units: number, depth: number,
  weights: Int8Array, bias: ArrayLike<number>, actMin: number, actMax: number, asymmetric: boolean,
  channelScales: Float32Array | null, filterScale: number): HybridWasm | null {
  const sumBound = hybridSumBound(weights, units, depth);
  if (sumBound >= 2 ** 31) return null;
  const kp = (depth + 1) & ~1;
  const { at } = packI16(arena, weights, 1, units, depth);
  const scratch = arena.alloc(rows * kp * 2, 64);
  const acc = arena.alloc(rows * Math.ceil(units / 8) * 32, 64);
  const buf = hybridBuffers(arena, rows, depth, units, bias, channelScales);
  const record = writeRecord(arena, {
    BATCHES: rows, DEPTH: depth, OUT_C: units, WEIGHTS: at, SCRATCH: scratch, ACC: acc, BIAS: buf.biasAt,
    CHANNEL_SCALES: buf.channelScalesAt, SCALE_MODE: channelScales ? HybridScaleMode.RowChannel : HybridScaleMode.Row,
    BATCH_SCALES: buf.scalesAt, BATCH_OFFSETS: buf.offsetsAt, QINPUT: buf.qAt, ASYMMETRIC: asymmetric ? 1 : 0,
    FOLD_SCALE: channelScales ? 0 : 1, F32_RESCALE: buf.f32Rescale ? 1 : 0, BIAS_F32: buf.biasF32At,
    CHANNEL_SCALES_F32: buf.channelScalesF32At,
  }, actMin, actMax, filterScale);
  return { arena, run: arena.exports.fullyConnectedHybrid, record, biasAt: buf.biasAt, biasF32At: buf.biasF32At, channels: units };
}

/** The module quantizes each row (as quant-math.ts's quantizers do), sums, rescales. */
export function runHybrid(w: HybridWasm, input: RuntimeTensor, output: RuntimeTensor, biasTensor: RuntimeTensor | null): void {
  if (biasTensor) {
    const b = new Float64Array(w.arena.buffer, w.biasAt, w.channels);
    const f32 = w.arena.f32;
    for (let c = 0; c < w.channels; c++) {
      b[c] = biasTensor.data[c] as number;
      f32[w.biasF32At / 4 + c] = b[c];
    }
  }
  w.run(w.record, input.data.byteOffset, output.data.byteOffset);
}
