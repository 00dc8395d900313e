// Models with sparse weights written by our format layer, in the encodings TF's converter writes (its DenseToSparse
// pass: traversal order the identity, every original dimension DENSE but the last one SPARSE_CSR, block dimensions
// appended DENSE; a CSR level's dense_size 0), for the sparsity tests.
import { GraphBuilder, encodeValues } from '../../src/graph/builder.js';
import { floatToFloat16Bits } from '../../src/graph/float16.js';
import type { DType, Model } from '../../src/graph/model.js';
import { sparsify, type SparseIndexType, type SparsifySpec } from '../../src/graph/sparsity.js';
import { Rng } from './random.js';

export interface SparseVariant {
  name: string;
  indexType: SparseIndexType;
  /** Block size per original dimension of a 2-D weight [out, in] (1 = not blocked), e.g. [1, 4] or [4, 1]. */
  block?: [number, number];
}

export const CSR_VARIANTS: readonly SparseVariant[] = [
  { name: 'CSR int32', indexType: 'int32' },
  { name: 'CSR uint16', indexType: 'uint16' },
  { name: 'CSR uint8', indexType: 'uint8' },
];
export const BLOCK_VARIANTS: readonly SparseVariant[] = [
  { name: 'block 1x4 uint8', indexType: 'uint8', block: [1, 4] },
  { name: 'block 4x1 uint16', indexType: 'uint16', block: [4, 1] },
  { name: 'block 1x4 int32', indexType: 'int32', block: [1, 4] },
];

/** The converter's encoding of a weight of this rank with an optional block per dimension. */
export function converterSpec(rank: number, indexType: SparseIndexType, block: number[] = []): SparsifySpec {
  const blockMap: number[] = [];
  const blockSize: number[] = [];
  block.forEach((b, d) => { if (b !== 1) { blockMap.push(d); blockSize.push(b); } });
  const formats: SparsifySpec['formats'] = [];
  for (let d = 0; d < rank; d++) formats.push(d === rank - 1 ? 'SPARSE_CSR' : 'DENSE');
  for (let b = 0; b < blockMap.length; b++) formats.push('DENSE');
  return { blockMap, blockSize, formats, indexType };
}

/**
 * Weights with about `zeroFraction` zeros; with a block, whole blocks are zero (so the block encoding is what the
 * converter would pick), and some values inside kept blocks are zero too.
 */
export function sparseWeights(rng: Rng, shape: number[], zeroFraction: number, block: number[] = []): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const w = new Float32Array(n);
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const blockKept = new Map<string, boolean>();
  for (let i = 0; i < n; i++) {
    const coord = shape.map((s, d) => Math.floor(i / strides[d]) % s);
    const key = coord.map((c, d) => Math.floor(c / (block[d] ?? 1))).join(',');
    if (!blockKept.has(key)) blockKept.set(key, rng.float(0, 1) >= zeroFraction);
    const keep = block.length ? blockKept.get(key)! && rng.float(0, 1) > 0.1 : rng.float(0, 1) >= zeroFraction;
    // Values exactly representable in float16, so float32 and float16 models hold the same numbers.
    w[i] = keep ? Math.round(rng.float(-1, 1) * 512) / 512 : 0;
  }
  return w;
}

export function float16Bits(values: Float32Array): Uint16Array {
  return Uint16Array.from(values, (x) => floatToFloat16Bits(x));
}

export interface SparseModel {
  model: Model;
  /** Dense weight values (float), for checking densify against independent arithmetic. */
  dense: Float32Array;
  inputShape: number[];
  stored: number;
}

/**
 * input [batch, inDim] float32 -> FULLY_CONNECTED with weights [units, inDim] stored sparse:
 * 'float16-densify': float16 sparse -> DENSIFY -> DEQUANTIZE -> FC (what the converter writes for float16 models);
 * 'float32-densify': float32 sparse -> DENSIFY -> FC;
 * 'float32-direct':  the float32 sparse weight read by FC itself (TFLite's sparse FULLY_CONNECTED path).
 */
export function sparseFcModel(variant: SparseVariant, kind: 'float16-densify' | 'float32-densify' | 'float32-direct',
  seed: number, units = 8, inDim = 16, batch = 2): SparseModel {
  const rng = new Rng(seed);
  const block = variant.block ?? [1, 1];
  const dense = sparseWeights(rng, [units, inDim], 0.6, variant.block ? block : []);
  const wDtype: DType = kind === 'float16-densify' ? 'float16' : 'float32';
  const denseBytes = wDtype === 'float16' ? encodeValues('float16', float16Bits(dense)) : encodeValues('float32', dense);
  const { data, sparsity } = sparsify([units, inDim], wDtype, denseBytes, converterSpec(2, variant.indexType, block));
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', dtype: 'float32', shape: [batch, inDim] });
  const w = g.addTensor({ name: 'w_sparse', dtype: wDtype, shape: [units, inDim], data });
  g.tensors[w].sparsity = sparsity;
  const bias = g.addConstant('bias', 'float32', [units], Float32Array.from({ length: units }, (_, i) => (i - units / 2) / 8));
  let weight = w;
  if (kind !== 'float32-direct') {
    const d = g.addTensor({ name: 'w_dense', dtype: wDtype, shape: [units, inDim] });
    g.addOp('DENSIFY', [w], [d]);
    weight = d;
    if (wDtype === 'float16') {
      const f = g.addTensor({ name: 'w_float', dtype: 'float32', shape: [units, inDim] });
      g.addOp('DEQUANTIZE', [d], [f], {}, 3);
      weight = f;
    }
  }
  const y = g.addTensor({ name: 'y', dtype: 'float32', shape: [batch, units] });
  g.addOp('FULLY_CONNECTED', [x, weight, bias], [y], { fusedActivationFunction: 'NONE' });
  g.markOutput(y);
  return { model: g.model(), dense, inputShape: [batch, inDim], stored: data.length / (wDtype === 'float16' ? 2 : 4) };
}

/** input [1, h, w, cin] -> CONV_2D 3x3 with float16 weights [cout, 3, 3, cin] random-sparse -> DENSIFY -> DEQUANTIZE. */
export function sparseConvModel(indexType: SparseIndexType, seed: number, cin = 4, cout = 6, size = 7): SparseModel {
  const rng = new Rng(seed);
  const shape = [cout, 3, 3, cin];
  const dense = sparseWeights(rng, shape, 0.6);
  const { data, sparsity } = sparsify(shape, 'float16', encodeValues('float16', float16Bits(dense)), converterSpec(4, indexType));
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', dtype: 'float32', shape: [1, size, size, cin] });
  const w = g.addTensor({ name: 'filter_sparse', dtype: 'float16', shape, data });
  g.tensors[w].sparsity = sparsity;
  const d = g.addTensor({ name: 'filter_fp16', dtype: 'float16', shape });
  g.addOp('DENSIFY', [w], [d]);
  const f = g.addTensor({ name: 'filter', dtype: 'float32', shape });
  g.addOp('DEQUANTIZE', [d], [f], {}, 3);
  const bias = g.addConstant('bias', 'float32', [cout], Float32Array.from({ length: cout }, (_, i) => i / 10));
  const y = g.addTensor({ name: 'y', dtype: 'float32', shape: [1, size, size, cout] });
  g.addOp('CONV_2D', [x, f, bias], [y], { padding: 'SAME', strideW: 1, strideH: 1, fusedActivationFunction: 'RELU' });
  g.markOutput(y);
  return { model: g.model(), dense, inputShape: [1, size, size, cin], stored: data.length / 2 };
}

/** int8 input [2, inDim] -> FULLY_CONNECTED int8 whose int8 weights are sparse -> DENSIFY (TF's sparse QConst path). */
export function sparseInt8FcModel(indexType: SparseIndexType, seed: number, units = 8, inDim = 16): SparseModel {
  const rng = new Rng(seed);
  const dense = Int8Array.from({ length: units * inDim }, () => (rng.bool(0.35) ? rng.int(-127, 127) : 0));
  const { data, sparsity } = sparsify([units, inDim], 'int8', new Uint8Array(dense.buffer), converterSpec(2, indexType));
  const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint], quantizedDimension: 0 });
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', dtype: 'int8', shape: [2, inDim], quantization: q(0.05, 3) });
  const w = g.addTensor({ name: 'w_sparse', dtype: 'int8', shape: [units, inDim], data, quantization: q(0.01, 0) });
  g.tensors[w].sparsity = sparsity;
  const d = g.addTensor({ name: 'w', dtype: 'int8', shape: [units, inDim], quantization: q(0.01, 0) });
  g.addOp('DENSIFY', [w], [d]);
  const b = g.addConstant('b', 'int32', [units], Int32Array.from({ length: units }, () => rng.int(-3000, 3000)), q(0.0005, 0));
  const y = g.addTensor({ name: 'y', dtype: 'int8', shape: [2, units], quantization: q(0.1, -2) });
  g.addOp('FULLY_CONNECTED', [x, d, b], [y], {}, 4);
  g.markOutput(y);
  return { model: g.model(), dense: Float32Array.from(dense), inputShape: [2, inDim], stored: data.length };
}
