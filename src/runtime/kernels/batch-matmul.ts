// BATCH_MATMUL: out[..., i, j] = sum_k lhs[..., i, k] * rhs[..., k, j], with adj_x / adj_y transposing the last
// two dimensions of an operand, ranks 2 to 5 and NumPy broadcasting of the leading (batch) dimensions.
// Variants as TFLite's batch_matmul.cc: float32; int8 (per-tensor scales and zero points, one multiplier from
// lhs_scale * rhs_scale / out_scale, no fused activation); int8 with an int32 output (the zero-point-corrected
// products, as the official runtime computes them); int16 (zero points 0, 64-bit accumulation); hybrid (float lhs,
// constant int8 rhs: each lhs row quantized to int8 on the fly, symmetric or asymmetric_quantize_inputs;
// per-tensor or per-column rhs scales). Each lhs row uses its own scaling factor; TFLite's reference indexes the
// factors wrongly when the lhs has two or more non-broadcast batch dimensions, which we do not reproduce.

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import {
  asymmetricQuantizeFloats, getQuantizedConvolutionMultiplier, multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplierInt64, symmetricQuantizeFloats,
} from '../quant-math.js';
import { requireQuantized } from './conv-common.js';
import { inArena, prepareFloatBatchMatMul, runFloatBatchMatMul, type FloatBatchMatMulWasm } from './float-gemm.js';

type Variant = 'float' | 'int8' | 'int8to32' | 'int16' | 'hybrid';

export interface BatchMatMulPlan {
  variant: Variant;
  /** Output batches (product of the broadcast leading dimensions) and, per output batch, each operand's offset. */
  batches: number;
  lhsOffsets: Int32Array;
  rhsOffsets: Int32Array;
  m: number; k: number; n: number;
  /** Element strides inside one matrix: lhs (row i, depth k), rhs (depth k, column j). */
  lhsRowStride: number; lhsDepthStride: number;
  rhsDepthStride: number; rhsColStride: number;
  lhsOffset: number; rhsOffset: number; outputOffset: number;
  multiplier: number; shift: number;
  /**
   * int8 requantization with one rounding, (acc * multiplier + half) >> (31 - shift): the official runtime's
   * optimized kernel goes through its GEMM library (ruy), which rounds once; TFLite's reference kernel rounds twice
   * (MultiplyByQuantizedMultiplier), and the two differ by 1 on some values.
   */
  singleRounding: boolean;
  actMin: number; actMax: number;
  /** Hybrid: one lhs row quantized, its scale and zero point; rhs column sums per rhs matrix; column scales. */
  asymmetric: boolean;
  qRow: Int8Array;
  /** One lhs row gathered contiguously (adj_x). */
  lhsRow: Float32Array;
  asymResult: Float64Array;
  rhsScale: number;
  columnScales: Float32Array | null;
  columnSums: Float64Array;
  /** float32 with the lhs (and a non-constant rhs) in the arena: the WebAssembly float32 GEMM, or null. */
  floatWasm: FloatBatchMatMulWasm | null;
}

function prepareBatchMatMul(ctx: PrepareContext): BatchMatMulPlan {
  const lhs = ctx.inputs[0];
  const rhs = ctx.inputs[1];
  const output = ctx.outputs[0];
  if (ctx.inputs.length !== 2 || !lhs || !rhs) ctx.unsupported('needs exactly two inputs');
  const lr = lhs.shape.length;
  const rr = rhs.shape.length;
  if (lr < 2 || lr > 5 || rr < 2 || rr > 5) ctx.unsupported(`operand ranks must be 2 to 5, got [${lhs.shape}] and [${rhs.shape}]`);
  const adjX = ctx.options.adjX === true;
  const adjY = ctx.options.adjY === true;
  const rank = Math.max(lr, rr);
  const L = [...new Array<number>(rank - lr).fill(1), ...lhs.shape];
  const R = [...new Array<number>(rank - rr).fill(1), ...rhs.shape];
  const m = adjX ? L[rank - 1] : L[rank - 2];
  const k = adjX ? L[rank - 2] : L[rank - 1];
  const kr = adjY ? R[rank - 1] : R[rank - 2];
  const n = adjY ? R[rank - 2] : R[rank - 1];
  if (k !== kr) ctx.unsupported(`inner dimensions differ: lhs [${lhs.shape}] (adj_x ${adjX}) vs rhs [${rhs.shape}] (adj_y ${adjY})`);
  const batchShape: number[] = [];
  for (let d = 0; d < rank - 2; d++) {
    if (L[d] !== R[d] && L[d] !== 1 && R[d] !== 1) ctx.unsupported(`batch dimensions [${lhs.shape}] and [${rhs.shape}] cannot be broadcast`);
    batchShape.push(L[d] === 1 ? R[d] : L[d]);
  }
  output.shape = [...batchShape, m, n];

  // Per output batch, the flat offset of each operand's matrix (a broadcast dimension does not advance).
  const batches = batchShape.reduce((a, d) => a * d, 1);
  const lhsOffsets = new Int32Array(batches);
  const rhsOffsets = new Int32Array(batches);
  const matL = m * k;
  const matR = k * n;
  for (let b = 0; b < batches; b++) {
    let rest = b;
    let lo = 0, ro = 0, lStride = matL, rStride = matR;
    for (let d = rank - 3; d >= 0; d--) {
      const idx = rest % batchShape[d];
      rest = (rest - idx) / batchShape[d];
      if (L[d] !== 1) lo += idx * lStride;
      if (R[d] !== 1) ro += idx * rStride;
      lStride *= L[d];
      rStride *= R[d];
    }
    lhsOffsets[b] = lo;
    rhsOffsets[b] = ro;
  }

  let variant: Variant;
  if (lhs.dtype === 'float32' && rhs.dtype === 'float32') variant = 'float';
  else if (lhs.dtype === 'float32' && rhs.dtype === 'int8') variant = 'hybrid';
  else if (lhs.dtype === 'int8' && rhs.dtype === 'int8') variant = output.dtype === 'int32' ? 'int8to32' : 'int8';
  else if (lhs.dtype === 'int16' && rhs.dtype === 'int16') variant = 'int16';
  else return ctx.unsupported(`lhs ${lhs.dtype} with rhs ${rhs.dtype} is not supported`);
  const outDtype = variant === 'float' || variant === 'hybrid' ? 'float32' : variant === 'int8to32' ? 'int32' : lhs.dtype;
  if (output.dtype !== outDtype) ctx.unsupported(`output '${output.name}' must be ${outDtype}, got ${output.dtype}`);

  const plan: BatchMatMulPlan = {
    variant, batches, lhsOffsets, rhsOffsets, m, k, n,
    lhsRowStride: adjX ? 1 : k, lhsDepthStride: adjX ? m : 1,
    rhsDepthStride: adjY ? 1 : n, rhsColStride: adjY ? k : 1,
    lhsOffset: 0, rhsOffset: 0, outputOffset: 0, multiplier: 0, shift: 0, singleRounding: false, actMin: -Infinity, actMax: Infinity,
    asymmetric: ctx.options.asymmetricQuantizeInputs === true, qRow: new Int8Array(0), lhsRow: new Float32Array(0), asymResult: new Float64Array(2),
    rhsScale: 1, columnScales: null, columnSums: new Float64Array(0), floatWasm: null,
  };
  if (variant === 'float' && ctx.wasm && inArena(lhs, output) && (rhs.isConstant || inArena(rhs)) && batches * m * n > 0) {
    plan.floatWasm = prepareFloatBatchMatMul(ctx.wasm, plan, rhs.isConstant ? rhs.data as Float32Array : null);
  }
  if (variant === 'int8to32') {
    plan.lhsOffset = -(lhs.zeroPoint[0] ?? 0);
    plan.rhsOffset = -(rhs.zeroPoint[0] ?? 0);
  } else if (variant === 'int8' || variant === 'int16') {
    requireQuantized(ctx, lhs);
    requireQuantized(ctx, rhs);
    requireQuantized(ctx, output);
    if (rhs.scale.length > 1 || lhs.scale.length > 1) ctx.unsupported('quantized BATCH_MATMUL needs per-tensor scales');
    const q = getQuantizedConvolutionMultiplier(lhs.scale[0], rhs.scale[0], output.scale[0]);
    plan.multiplier = q.multiplier;
    plan.shift = q.shift;
    plan.singleRounding = variant === 'int8' && ctx.arithmetic === 'xnnpack';
    plan.lhsOffset = -(lhs.zeroPoint[0] ?? 0);
    plan.rhsOffset = -(rhs.zeroPoint[0] ?? 0);
    plan.outputOffset = output.zeroPoint[0] ?? 0;
    [plan.actMin, plan.actMax] = variant === 'int8' ? [-128, 127] : [-32768, 32767];
    if (variant === 'int16' && (plan.lhsOffset !== 0 || plan.rhsOffset !== 0 || plan.outputOffset !== 0)) {
      ctx.unsupported('int16 BATCH_MATMUL needs zero points 0');
    }
  } else if (variant === 'hybrid') {
    requireQuantized(ctx, rhs);
    if (!rhs.isConstant) ctx.unsupported(`hybrid BATCH_MATMUL needs a constant int8 rhs, '${rhs.name}' is not`);
    if (rhs.scale.length > 1) {
      // Per-channel scales run along the output columns (the rhs dimension that becomes N).
      const colDim = rr - (adjY ? 2 : 1);
      if (rhs.quantizedDimension !== colDim || rhs.scale.length !== n) {
        ctx.unsupported(`rhs '${rhs.name}' has ${rhs.scale.length} scales on axis ${rhs.quantizedDimension}; per-channel scales must run along its ${n} output columns (axis ${colDim})`);
      }
      plan.columnScales = Float32Array.from(rhs.scale);
    }
    plan.rhsScale = rhs.scale[0];
    plan.qRow = new Int8Array(k);
    plan.lhsRow = new Float32Array(k);
    // Column sums of every rhs matrix (for the asymmetric input offset).
    const rhsMats = rhs.data.length / matR;
    plan.columnSums = new Float64Array(rhsMats * n);
    const r = rhs.data as Int8Array;
    for (let mat = 0; mat < rhsMats; mat++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let d = 0; d < k; d++) s += r[mat * matR + d * plan.rhsDepthStride + j * plan.rhsColStride];
        plan.columnSums[mat * n + j] = s;
      }
    }
  }
  return plan;
}

function evalBatchMatMul(p: BatchMatMulPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const L = inputs[0]!.data as Float32Array;
  const R = inputs[1]!.data as Float32Array;
  if (p.floatWasm) {
    runFloatBatchMatMul(p.floatWasm, p, inputs[0]!, inputs[1]!, outputs[0]);
    return;
  }
  const { m, k, n, lhsRowStride, lhsDepthStride, rhsDepthStride, rhsColStride, lhsOffset, rhsOffset } = p;
  const matN = k * n;

  if (p.variant === 'hybrid') {
    const out = outputs[0].data as Float32Array;
    const q = p.qRow;
    const lhsContiguous = lhsDepthStride === 1;
    for (let b = 0; b < p.batches; b++) {
      const lBase = p.lhsOffsets[b];
      const rBase = p.rhsOffsets[b];
      const sumBase = (rBase / matN) * n;
      for (let i = 0; i < m; i++) {
        // One lhs row, quantized on its own (TFLite quantizes each row of the [.., M, K] lhs).
        let row: Float32Array = L;
        let rowStart = lBase + i * lhsRowStride;
        if (!lhsContiguous) {
          row = p.lhsRow;
          for (let d = 0; d < k; d++) row[d] = L[lBase + i * lhsRowStride + d * lhsDepthStride];
          rowStart = 0;
        }
        let sf: number;
        let offset = 0;
        if (p.asymmetric) {
          asymmetricQuantizeFloats(row, rowStart, k, q, 0, p.asymResult);
          sf = p.asymResult[0];
          offset = p.asymResult[1];
        } else {
          sf = symmetricQuantizeFloats(row, rowStart, k, q, 0);
        }
        if (!p.columnScales) sf = Math.fround(sf * p.rhsScale);
        for (let j = 0; j < n; j++) {
          const rCol = rBase + j * rhsColStride;
          let total = 0;
          for (let d = 0; d < k; d++) total += q[d] * R[rCol + d * rhsDepthStride];
          if (offset !== 0) total = Math.trunc(Math.fround(Math.fround(total) - Math.fround(p.columnSums[sumBase + j] * offset)));
          const scale = p.columnScales ? Math.fround(sf * p.columnScales[j]) : sf;
          out[(b * m + i) * n + j] = Math.fround(scale * total);
        }
      }
    }
    return;
  }

  const out = outputs[0].data as Float32Array;
  const { multiplier, shift, outputOffset, actMin, actMax, singleRounding } = p;
  const half = 2 ** (30 - shift), unit = 2 ** (31 - shift);
  const variant = p.variant;
  for (let b = 0; b < p.batches; b++) {
    const lBase = p.lhsOffsets[b];
    const rBase = p.rhsOffsets[b];
    for (let i = 0; i < m; i++) {
      const lRow = lBase + i * lhsRowStride;
      const oRow = (b * m + i) * n;
      for (let j = 0; j < n; j++) {
        const rCol = rBase + j * rhsColStride;
        let acc = 0;
        if (lhsOffset === 0 && rhsOffset === 0) {
          for (let d = 0; d < k; d++) acc += L[lRow + d * lhsDepthStride] * R[rCol + d * rhsDepthStride];
        } else {
          for (let d = 0; d < k; d++) acc += (L[lRow + d * lhsDepthStride] + lhsOffset) * (R[rCol + d * rhsDepthStride] + rhsOffset);
        }
        if (variant === 'float' || variant === 'int8to32') {
          out[oRow + j] = acc;
          continue;
        }
        let v = variant === 'int16' ? multiplyByQuantizedMultiplierInt64(acc, multiplier, shift)
          : singleRounding ? roundOnce(acc, multiplier, half, unit) : multiplyByQuantizedMultiplier(acc | 0, multiplier, shift);
        v += outputOffset;
        out[oRow + j] = v < actMin ? actMin : v > actMax ? actMax : v;
      }
    }
  }
}

/** floor((acc * multiplier + half) / unit): in doubles while the product is exact (< 2^53), else in BigInt. */
function roundOnce(acc: number, multiplier: number, half: number, unit: number): number {
  if (Math.abs(acc) < 2 ** 21) return Math.floor((acc * multiplier + half) / unit);
  const num = BigInt(acc) * BigInt(multiplier) + BigInt(half);
  const u = BigInt(unit);
  // BigInt division truncates toward zero; floor for negative numerators.
  const q = num / u;
  return Number(num < 0n && q * u !== num ? q - 1n : q);
}

export const batchMatMulKernel: Kernel<BatchMatMulPlan> = {
  op: 'BATCH_MATMUL',
  // v1 float, v2 int8 (and hybrid), v3 int16, v4 asymmetric hybrid inputs.
  maxVersion: 4,
  prepare: prepareBatchMatMul,
  eval: evalBatchMatMul,
  path: (p) => (p.floatWasm ? 'wasm' : 'js'),
};
