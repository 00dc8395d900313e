// The arithmetic of TFLite's hybrid (dynamic-range) recurrent kernels (RNN, SVDF, LSTM): each batch row of a float
// operand is quantized to int8 on the fly (BatchQuantizeFloats: symmetric [-127, 127] or, with
// asymmetric_quantize_inputs, asymmetric with a zero point), its scaling factor multiplied by the weights' scale,
// and MatrixBatchVectorMultiplyAccumulate adds float32(int32 dot) x factor to float outputs (the dot corrected by
// row sum x zero point when asymmetric). A block that is all zeros is skipped, as TFLite's IsZeroVector check does.

import type { RuntimeTensor } from '../kernel.js';
import { asymmetricQuantizeFloats, symmetricQuantizeFloats } from '../quant-math.js';

const f32 = Math.fround;

export interface HybridOperand {
  size: number;
  batches: number;
  q: Int8Array;
  factor: Float32Array;
  zeroPoint: Int32Array;
  asymmetric: boolean;
  asymResult: Float64Array;
  /** One row gathered from a strided operand. */
  row: Float32Array;
}

export function hybridOperand(batches: number, size: number, asymmetric: boolean): HybridOperand {
  return {
    size, batches, q: new Int8Array(batches * size), factor: new Float32Array(batches), zeroPoint: new Int32Array(batches),
    asymmetric, asymResult: new Float64Array(2), row: new Float32Array(size),
  };
}

/**
 * Quantize `batches` rows of `size` values from x (row b at xOff + b * xStride), factors times weightScale.
 * False when every value is 0 (the product is then skipped).
 */
export function quantizeRows(op: HybridOperand, x: ArrayLike<number>, xOff: number, xStride: number, weightScale: number): boolean {
  const { size, batches, q } = op;
  let any = false;
  for (let b = 0; b < batches && !any; b++) {
    for (let i = 0; i < size; i++) if (x[xOff + b * xStride + i] !== 0) { any = true; break; }
  }
  if (!any) return false;
  const row = x instanceof Float32Array && xStride === size ? x : null;
  for (let b = 0; b < batches; b++) {
    let src: Float32Array;
    let start: number;
    if (row) { src = row; start = xOff + b * size; } else {
      src = op.row;
      for (let i = 0; i < size; i++) src[i] = x[xOff + b * xStride + i];
      start = 0;
    }
    if (op.asymmetric) {
      asymmetricQuantizeFloats(src, start, size, q, b * size, op.asymResult);
      op.factor[b] = f32(op.asymResult[0] * weightScale);
      op.zeroPoint[b] = op.asymResult[1];
    } else {
      op.factor[b] = f32(symmetricQuantizeFloats(src, start, size, q, b * size) * weightScale);
      op.zeroPoint[b] = 0;
    }
  }
  return true;
}

/** Row sums of int8 weights [rows, cols] (the asymmetric correction). */
export function rowSums(w: ArrayLike<number>, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += w[r * cols + c];
    out[r] = s;
  }
  return out;
}

/** out[outOff + b * outStride + r * rowStride] += float32(dot(w[r], q[b])) x factor[b], in float32. */
export function accumulateProduct(op: HybridOperand, w: ArrayLike<number>, rows: number, sums: Int32Array,
  out: Float32Array, outOff: number, outStride: number, rowStride = 1): void {
  const { size, batches, q } = op;
  for (let b = 0; b < batches; b++) {
    const factor = op.factor[b];
    const zp = op.zeroPoint[b];
    const qb = b * size;
    for (let r = 0; r < rows; r++) {
      const wb = r * size;
      let dot = 0;
      for (let k = 0; k < size; k++) dot += w[wb + k] * q[qb + k];
      if (op.asymmetric) dot -= sums[r] * zp;
      const at = outOff + b * outStride + r * rowStride;
      out[at] = f32(out[at] + f32(f32(dot | 0) * factor));
    }
  }
}

/** Int8 weights of a hybrid op: the values and their per-tensor scale (TFLite's hybrid kernels read one scale). */
export function hybridWeights(t: RuntimeTensor): { w: Int8Array; scale: number } {
  return { w: t.data as Int8Array, scale: t.scale[0] ?? 1 };
}
