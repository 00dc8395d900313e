// The WebAssembly path of float32 and hybrid DEPTHWISE_CONV_2D (assembly/depthwise-f32.ts): the plan packs the
// constant filter and bias at prepare; eval passes byte offsets.
// Float: float32 sums, bias first, taps in the official runtime's order (row- or column-major, see tapOrder in
// depthwise-conv2d.ts), as the TypeScript path sums them: bit-identical.
// Hybrid (float input, int8 filter): the input is quantized per batch exactly as the TypeScript path does (in the
// module: min/max, AsymmetricQuantizeFloats' parameters here, each value's rounding there), the convolution runs on
// the integer values (q - zero point) held as float32, whose sums are exact integers while taps * 128 * 255 < 2^24
// (checked here), then each sum is scaled as the TypeScript path scales it: bit-identical.

import { asymmetricQuantizeParameters } from '../quant-math.js';
import type { WasmArena } from '../wasm/arena.js';
import type { Geometry2D } from './conv-common.js';

type Fn = (...args: number[]) => void;

export interface DepthwiseWasm {
  arena: WasmArena;
  depthwise: Fn;
  expand: Fn;
  hybridOutput: Fn;
  /** Parameter block (see depthwise-f32.ts). */
  params: number;
  weights: number;
  /** Bytes per packed block of 4 channels. */
  blockBytes: number;
  /** Depth multiplier > 1: scratch for the input with each channel repeated (float), else 0. */
  expanded: number;
  /** Hybrid: the quantized input minus its zero point, as float32 (expanded to the output channels). */
  hybridInput: number;
  filterScales: number;
  hybridBias: number;
  /** Hybrid: minMaxF32's result (two float32) and, with a depth multiplier, one batch's quantized input. */
  minMaxAt: number;
  quantized: number;
  minMax: Fn;
  quantize: Fn;
  asymResult: Float64Array;
  /** Hybrid: each batch's input scale. */
  inputScales: Float64Array;
}

const MAX_EXACT_FLOAT32_INTEGER = 2 ** 24;

/**
 * Plan the WebAssembly path, or null where it does not apply (a filter computed at run time; a hybrid filter too
 * large for exact float32 sums).
 */
export function planDepthwiseWasm(arena: WasmArena, g: Geometry2D, depthMultiplier: number, hybrid: boolean,
  filter: Float32Array | Int8Array | null, bias: Float64Array, filterScales: Float32Array, lo: number, hi: number,
  columnMajor: boolean): DepthwiseWasm | null {
  if (!filter) return null;
  const taps = g.filterH * g.filterW;
  if (hybrid && taps * 128 * 255 >= MAX_EXACT_FLOAT32_INTEGER) return null;
  const C = g.outC;
  const blocks = Math.ceil(C / 4);
  const blockBytes = (taps + 1) * 16;
  const weights = arena.alloc(blocks * blockBytes, 64);
  const params = arena.alloc(24 * 4, 16);
  const zeroRow = g.filterH === 3 && g.filterW === 3 ? arena.alloc(g.inW * C * 4, 16) : 0;
  const expanded = depthMultiplier > 1 && !hybrid ? arena.alloc(g.batches * g.inH * g.inW * C * 4, 16) : 0;
  const hybridInput = hybrid ? arena.alloc(g.batches * g.inH * g.inW * C * 4, 16) : 0;
  const filterScalesAt = hybrid ? arena.alloc(C * 4, 16) : 0;
  const hybridBias = hybrid ? arena.alloc(C * 4, 16) : 0;
  const minMaxAt = hybrid ? arena.alloc(8, 16) : 0;
  const quantized = hybrid && depthMultiplier > 1 ? arena.alloc(g.inH * g.inW * g.inC * 4, 16) : 0;

  const f32 = arena.f32;
  const w0 = weights >> 2;
  for (let c = 0; c < C; c++) {
    const block = w0 + (c >> 2) * (blockBytes >> 2) + (c & 3);
    // Hybrid sums start at 0: the bias is added after scaling.
    f32[block] = hybrid ? 0 : bias[c];
    // Slots in summation order: tap (fy, fx) of the row-major filter goes to fx * FH + fy when column-major.
    for (let fy = 0; fy < g.filterH; fy++) {
      for (let fx = 0; fx < g.filterW; fx++) {
        const slot = columnMajor ? fx * g.filterH + fy : fy * g.filterW + fx;
        f32[block + 4 * (slot + 1)] = filter[(fy * g.filterW + fx) * C + c];
      }
    }
  }
  if (hybrid) {
    f32.set(filterScales, filterScalesAt >> 2);
    for (let c = 0; c < C; c++) f32[(hybridBias >> 2) + c] = bias[c];
  }
  const i32 = arena.i32;
  const p = params >> 2;
  // Interior output columns: every horizontal tap inside the image.
  const oxLo = Math.min(g.outW, Math.ceil(g.padW / g.strideW));
  const oxHi = Math.max(oxLo, Math.min(g.outW, Math.floor((g.inW - 1 - (g.filterW - 1) * g.dilationW + g.padW) / g.strideW) + 1));
  i32.set([g.batches, g.inH, g.inW, C, g.outH, g.outW, g.filterH, g.filterW, g.strideH, g.strideW,
    g.dilationH, g.dilationW, g.padH, g.padW, 0, 0, weights, oxLo, oxHi, zeroRow, columnMajor ? 1 : 0], p);
  f32[p + 14] = hybrid ? -Infinity : lo;
  f32[p + 15] = hybrid ? Infinity : hi;
  const ex = arena.exports;
  return {
    arena, depthwise: ex.depthwiseF32 as Fn, expand: ex.expandChannelsF32 as Fn, hybridOutput: ex.hybridDepthwiseOutput as Fn,
    params, weights, blockBytes, expanded, hybridInput, filterScales: filterScalesAt, hybridBias,
    minMaxAt, quantized, minMax: ex.minMaxF32 as Fn, quantize: ex.quantizeHybridF32 as Fn, asymResult: new Float64Array(2),
    inputScales: new Float64Array(hybrid ? g.batches : 0),
  };
}

/** A bias computed at run time: into the packed blocks (float) or the hybrid bias row. */
export function loadDepthwiseBias(k: DepthwiseWasm, bias: Float64Array, hybrid: boolean): void {
  const f32 = k.arena.f32;
  if (hybrid) {
    for (let c = 0; c < bias.length; c++) f32[(k.hybridBias >> 2) + c] = bias[c];
    return;
  }
  const w0 = k.weights >> 2;
  for (let c = 0; c < bias.length; c++) f32[w0 + (c >> 2) * (k.blockBytes >> 2) + (c & 3)] = bias[c];
}

export function runDepthwiseFloat(k: DepthwiseWasm, g: Geometry2D, depthMultiplier: number, input: Float32Array, out: Float32Array): void {
  let src = input.byteOffset;
  if (depthMultiplier > 1) {
    k.expand(src, k.expanded, g.batches * g.inH * g.inW, g.inC, depthMultiplier);
    src = k.expanded;
  }
  k.depthwise(k.params, src, out.byteOffset);
}

export function runDepthwiseHybrid(k: DepthwiseWasm, g: Geometry2D, depthMultiplier: number, input: Float32Array,
  out: Float32Array, lo: number, hi: number): void {
  const perBatch = g.inH * g.inW * g.inC;
  const pixels = g.outH * g.outW;
  const C = g.outC;
  const r = k.asymResult;
  const f32 = k.arena.f32;
  for (let b = 0; b < g.batches; b++) {
    // Each batch quantized as AsymmetricQuantizeFloats: min and max, its parameters, then every value.
    const from = input.byteOffset + b * perBatch * 4;
    const to = depthMultiplier > 1 ? k.quantized : k.hybridInput + b * perBatch * 4;
    k.minMax(from, perBatch, k.minMaxAt);
    if (asymmetricQuantizeParameters(f32[k.minMaxAt >> 2], f32[(k.minMaxAt >> 2) + 1], r)) {
      f32.fill(0, to >> 2, (to >> 2) + perBatch);
    } else {
      k.quantize(from, perBatch, to, Math.fround(1 / r[0]), r[1]);
    }
    k.inputScales[b] = r[0];
    if (depthMultiplier > 1) k.expand(to, k.hybridInput + b * perBatch * depthMultiplier * 4, g.inH * g.inW, g.inC, depthMultiplier);
  }
  k.depthwise(k.params, k.hybridInput, out.byteOffset);
  for (let b = 0; b < g.batches; b++) {
    k.hybridOutput(out.byteOffset + b * pixels * C * 4, pixels, C, k.filterScales, k.inputScales[b], k.hybridBias, lo, hi);
  }
}
