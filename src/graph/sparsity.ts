// Sparse constants (TFLite's SparsityParameters): what the encoding means, whether one is consistent with its
// tensor, and the one conversion to and from dense bytes that the interpreter, the DENSIFY kernel, the quantizer
// and the tests all use.
//
// The encoding. A tensor of rank n, optionally split into blocks along some dimensions, is seen as n + k "expanded"
// dimensions: d0..dn-1 (dimension i counts blocks along it when a block dimension maps to it, else elements) and
// the k block dimensions dn..dn+k-1 (block_map[b] is the original dimension block dimension n+b divides). The
// stored values are the leaves of a tree walked in traversal_order, one level per expanded dimension: a DENSE
// level has every index 0..dense_size-1; a SPARSE_CSR level has, for parent p, the indices
// array_indices[array_segments[p] .. array_segments[p+1]). A child's parent number is its position in its level
// (for a dense level: parent * dense_size + index). Values absent from the tree are zero.

import type { DType, Model, Operator, Tensor } from './model.js';
import { float16BitsToFloat } from './float16.js';
import { DTYPE_BYTES } from './model.js';
import { ModelFormatError } from '../errors.js';

export type DimensionFormat = 'DENSE' | 'SPARSE_CSR';
/** Index vector element types (the schema's SparseIndexVector union: Int32Vector, Uint16Vector, Uint8Vector). */
export type SparseIndexType = 'int32' | 'uint16' | 'uint8';
export const SPARSE_INDEX_TYPES: readonly SparseIndexType[] = ['int32', 'uint16', 'uint8'];
export const DIMENSION_FORMATS: readonly DimensionFormat[] = ['DENSE', 'SPARSE_CSR'];

export interface SparseIndexVector {
  type: SparseIndexType;
  values: Int32Array | Uint16Array | Uint8Array;
}

export interface DimensionMetadata {
  format: DimensionFormat;
  /** Size of a DENSE level (and of a block dimension); unused by a SPARSE_CSR level, kept for round trips. */
  denseSize: number;
  /** Present for SPARSE_CSR levels (a DENSE level's are ignored, kept for round trips). */
  arraySegments?: SparseIndexVector;
  arrayIndices?: SparseIndexVector;
}

export interface Sparsity {
  traversalOrder: number[];
  /** One entry per block dimension: the original dimension it divides. */
  blockMap: number[];
  /** One per level, in traversal order. */
  dimMetadata: DimensionMetadata[];
}

/** Counts beyond this cannot be a buffer of a FlatBuffer (2 GiB), so a larger product is refused, not computed on. */
const MAX_COUNT = 2 ** 32;

/** Where the encoding is described and how big things are, once it is known to be consistent. */
interface Layout {
  /** Size of each expanded dimension (original dims first, then block dims). */
  expanded: number[];
  /** Flat dense index step of one unit of each expanded dimension. */
  step: number[];
  /** Values the encoding stores. */
  stored: number;
}

/** A problem with a tensor's sparsity: the field (schema names: 'sparsity.dim_metadata[1].array_indices', 'buffer') and what is wrong. */
export interface SparsityProblem {
  field: string;
  message: string;
}

/** Bytes per stored value of a dtype sparse tensors may have, or 0 when it has no whole-byte size (int4, string). */
function valueBytes(dtype: DType): number {
  const b = DTYPE_BYTES[dtype];
  return Number.isInteger(b) ? b : 0;
}

/**
 * Checks the encoding against the shape as TFLite's verifier does (traversal order a permutation of the original
 * dims then of the block dims, block map in range, dense sizes matching, segments non-negative and non-decreasing,
 * as many segments as parents, the last one the number of indices, indices inside their dimension), and, given
 * the constant's byte count, that the buffer holds exactly the stored values. Linear in the metadata's size.
 */
export function sparsityProblem(shape: readonly number[], dtype: DType, sp: Sparsity, dataBytes: number | null): SparsityProblem | null {
  const r = analyze(shape, dtype, sp);
  if ('field' in r) return r;
  if (dataBytes !== null && dataBytes > 0) {
    const need = r.stored * valueBytes(dtype);
    if (dataBytes !== need) {
      return { field: 'buffer', message: `holds ${dataBytes} bytes, the sparsity stores ${r.stored} ${dtype} values (${need} bytes)` };
    }
  }
  return null;
}

/** Number of values the encoding stores (the encoding must be consistent: sparsityProblem() is null). */
export function storedValueCount(shape: readonly number[], dtype: DType, sp: Sparsity): number {
  const r = analyze(shape, dtype, sp);
  if ('field' in r) throw new Error(`inconsistent ${r.field}: ${r.message}`);
  return r.stored;
}

function analyze(shape: readonly number[], dtype: DType, sp: Sparsity): Layout | SparsityProblem {
  const fail = (field: string, message: string): SparsityProblem => ({ field: field === 'sparsity' ? field : `sparsity.${field}`, message });
  if (valueBytes(dtype) === 0) return fail('sparsity', `${dtype} tensors cannot be sparse`);
  const n = shape.length;
  const order = sp.traversalOrder;
  const total = order.length;
  if (total < n) return fail('traversal_order', `has ${total} entries, fewer than the rank ${n}`);
  if (sp.dimMetadata.length !== total) return fail('dim_metadata', `has ${sp.dimMetadata.length} entries, traversal_order ${total}`);
  const k = total - n;
  if (sp.blockMap.length !== k) return fail('block_map', `has ${sp.blockMap.length} entries for ${k} block dimension(s)`);
  // The first n entries a permutation of 0..n-1, the last k of n..n+k-1.
  const seen = new Uint8Array(total);
  for (let p = 0; p < total; p++) {
    const d = order[p];
    const lo = p < n ? 0 : n;
    const hi = p < n ? n : total;
    if (!Number.isInteger(d) || d < lo || d >= hi || seen[d]) {
      return fail('traversal_order', `[${order.join(',')}] is not a permutation of the ${n} dimension(s) followed by the ${k} block dimension(s)`);
    }
    seen[d] = 1;
  }
  for (const [i, m] of sp.dimMetadata.entries()) {
    if (!(DIMENSION_FORMATS as readonly string[]).includes(m.format)) return fail(`dim_metadata[${i}].format`, `unknown format '${m.format}'`);
  }
  const levelOf = new Array<number>(total);
  order.forEach((d, p) => { levelOf[d] = p; });
  const expanded = shape.slice();
  const blockSize = new Array<number>(n).fill(1);
  for (let b = 0; b < k; b++) {
    const target = sp.blockMap[b];
    if (!Number.isInteger(target) || target < 0 || target >= n) return fail(`block_map[${b}]`, `${target} is not a dimension of the rank-${n} tensor`);
    if (blockSize[target] !== 1 || sp.blockMap.indexOf(target) !== b) return fail(`block_map[${b}]`, `dimension ${target} is blocked twice`);
    const level = levelOf[n + b];
    const size = sp.dimMetadata[level].denseSize;
    if (!Number.isInteger(size) || size <= 0) return fail(`dim_metadata[${level}].dense_size`, `block size ${size} is not a positive integer`);
    blockSize[target] = size;
    // As TFLite: a dimension not a multiple of its block size has its last partial block dropped (left zero).
    expanded[target] = Math.floor(shape[target] / size);
    expanded[n + b] = size;
  }
  // Dense index step of each expanded dimension.
  const stride = new Array<number>(n);
  let s = 1;
  for (let d = n - 1; d >= 0; d--) { stride[d] = s; s *= shape[d]; }
  const step = new Array<number>(total);
  for (let d = 0; d < n; d++) step[d] = stride[d] * blockSize[d];
  for (let b = 0; b < k; b++) step[n + b] = stride[sp.blockMap[b]];

  let count = 1;
  for (let p = 0; p < total; p++) {
    const m = sp.dimMetadata[p];
    const d = order[p];
    const where = `dim_metadata[${p}]`;
    if (m.format === 'DENSE') {
      if (m.denseSize !== expanded[d]) return fail(`${where}.dense_size`, `${m.denseSize}, but dimension ${d} of the ${k ? 'blocked ' : ''}shape is ${expanded[d]}`);
      count *= m.denseSize;
      if (count > MAX_COUNT) return fail(`${where}.dense_size`, `the dense levels hold more than ${MAX_COUNT} values`);
      continue;
    }
    const seg = m.arraySegments?.values;
    const idx = m.arrayIndices?.values;
    if (!seg) return fail(`${where}.array_segments`, 'missing on a SPARSE_CSR dimension');
    if (!idx) return fail(`${where}.array_indices`, 'missing on a SPARSE_CSR dimension');
    if (seg.length !== count + 1) return fail(`${where}.array_segments`, `has ${seg.length} entries, the level has ${count} parent(s) (needs ${count + 1})`);
    for (let j = 0; j < seg.length; j++) {
      if (seg[j] < 0) return fail(`${where}.array_segments`, `entry ${j} is negative (${seg[j]})`);
      if (j > 0 && seg[j] < seg[j - 1]) return fail(`${where}.array_segments`, `decreases at entry ${j} (${seg[j - 1]} -> ${seg[j]})`);
    }
    if (seg[seg.length - 1] !== idx.length) return fail(`${where}.array_segments`, `ends at ${seg[seg.length - 1]}, array_indices has ${idx.length} entries`);
    const size = expanded[d];
    for (let j = 0; j < idx.length; j++) {
      if (idx[j] < 0 || idx[j] >= size) return fail(`${where}.array_indices`, `entry ${j} (${idx[j]}) outside dimension ${d} of size ${size}`);
    }
    count = idx.length;
  }
  return { expanded, step, stored: count };
}

/** Options of densify(). */
export interface DensifyOptions {
  /** Largest dense result in bytes (default 2 GiB); a larger one is refused before allocating. */
  maxBytes?: number;
}

/**
 * The dense little-endian bytes of a sparse constant (its `data` holds the stored values). Throws a
 * ModelFormatError naming the tensor and field when the encoding is inconsistent (the reader and the validity pass
 * refuse such a model before this runs) or the dense result exceeds `maxBytes`.
 */
export function densify(t: Pick<Tensor, 'name' | 'shape' | 'dtype' | 'data' | 'sparsity'>, options: DensifyOptions = {}): Uint8Array {
  const sp = t.sparsity;
  if (!sp) throw new ModelFormatError(`tensor '${t.name}' is not sparse`);
  const r = analyze(t.shape, t.dtype, sp);
  if ('field' in r) throw new ModelFormatError(`tensor '${t.name}': ${r.field}: ${r.message}`);
  const eb = valueBytes(t.dtype);
  const data = t.data ?? new Uint8Array(0);
  if (data.length !== r.stored * eb) throw new ModelFormatError(`tensor '${t.name}': buffer holds ${data.length} bytes, the sparsity stores ${r.stored} values`);
  let denseCount = 1;
  for (const d of t.shape) denseCount *= d;
  const maxBytes = options.maxBytes ?? 2 ** 31;
  if (denseCount * eb > maxBytes) throw new ModelFormatError(`tensor '${t.name}': dense [${t.shape}] ${t.dtype} would take ${denseCount * eb} bytes, more than ${maxBytes}`);
  const out = new Uint8Array(denseCount * eb);
  const total = sp.traversalOrder.length;
  if (total === 0) {
    out.set(data.subarray(0, eb));
    return out;
  }
  // Walk the tree without recursion (the rank comes from the file): per level, the current child position, the end
  // of the parent's children, where the parent's children start (dense) and the flat offset so far.
  const pos = new Array<number>(total);
  const end = new Array<number>(total);
  const first = new Array<number>(total);
  const offset = new Array<number>(total + 1).fill(0);
  const levelStep = sp.traversalOrder.map((d) => r.step[d]);
  const enter = (level: number, parent: number) => {
    const m = sp.dimMetadata[level];
    if (m.format === 'DENSE') {
      pos[level] = first[level] = parent * m.denseSize;
      end[level] = pos[level] + m.denseSize;
    } else {
      const seg = m.arraySegments!.values;
      pos[level] = seg[parent];
      end[level] = seg[parent + 1];
    }
  };
  let src = 0;
  let level = 0;
  enter(0, 0);
  while (level >= 0) {
    if (pos[level] >= end[level]) {
      level--;
      if (level >= 0) pos[level]++;
      continue;
    }
    const m = sp.dimMetadata[level];
    const coord = m.format === 'DENSE' ? pos[level] - first[level] : m.arrayIndices!.values[pos[level]];
    const at = offset[level] + coord * levelStep[level];
    if (level === total - 1) {
      out.set(data.subarray(src * eb, src * eb + eb), at * eb);
      src++;
      pos[level]++;
    } else {
      offset[level + 1] = at;
      level++;
      enter(level, pos[level - 1]);
    }
  }
  return out;
}

/** How to sparsify: per level of the traversal order, dense or CSR, with one index type for every CSR level. */
export interface SparsifySpec {
  /** Defaults to the identity over the original dims then the block dims. */
  traversalOrder?: number[];
  /** Original dimension each block dimension divides (default none). */
  blockMap?: number[];
  /** Size of each block dimension (same length as blockMap); every blocked dimension must be a multiple of it. */
  blockSize?: number[];
  /** Format per level, in traversal order. */
  formats: DimensionFormat[];
  indexType?: SparseIndexType;
}

/**
 * The sparse encoding of dense bytes (for writing fixtures and tests), as TF's converter builds it: a CSR level
 * keeps only the indices under which some value is non-zero; below a DENSE last level, zeros inside a kept block
 * are stored. Returns the stored bytes and the parameters.
 */
export function sparsify(shape: readonly number[], dtype: DType, dense: Uint8Array, spec: SparsifySpec): { data: Uint8Array; sparsity: Sparsity } {
  const eb = valueBytes(dtype);
  if (eb === 0) throw new Error(`${dtype} tensors cannot be sparse`);
  const n = shape.length;
  const blockMap = spec.blockMap ?? [];
  const blockSize = spec.blockSize ?? [];
  const k = blockMap.length;
  if (blockSize.length !== k) throw new Error('blockSize and blockMap differ in length');
  const total = n + k;
  const order = spec.traversalOrder ?? Array.from({ length: total }, (_, i) => i);
  if (order.length !== total || spec.formats.length !== total) throw new Error(`traversalOrder and formats need ${total} entries`);
  const expanded = shape.slice();
  const bs = new Array<number>(n).fill(1);
  blockMap.forEach((d, b) => {
    if (shape[d] % blockSize[b] !== 0) throw new Error(`dimension ${d} (${shape[d]}) is not a multiple of block size ${blockSize[b]}`);
    bs[d] = blockSize[b];
    expanded[d] = shape[d] / blockSize[b];
    expanded[n + b] = blockSize[b];
  });
  const stride = new Array<number>(n);
  let s = 1;
  for (let d = n - 1; d >= 0; d--) { stride[d] = s; s *= shape[d]; }
  const step = (d: number) => (d < n ? stride[d] * bs[d] : stride[blockMap[d - n]]);
  const isZero = (flat: number) => { for (let b = 0; b < eb; b++) if (dense[flat * eb + b] !== 0) return false; return true; };

  // Whether the subtree below (level, flat offset) holds a non-zero value.
  const nonZero = (level: number, at: number): boolean => {
    if (level === total) return !isZero(at);
    const d = order[level];
    for (let i = 0; i < expanded[d]; i++) if (nonZero(level + 1, at + i * step(d))) return true;
    return false;
  };
  const segments: number[][] = order.map(() => [0]);
  const indices: number[][] = order.map(() => []);
  const values: number[] = [];
  const walk = (level: number, at: number) => {
    if (level === total) { values.push(at); return; }
    const d = order[level];
    const csr = spec.formats[level] === 'SPARSE_CSR';
    for (let i = 0; i < expanded[d]; i++) {
      const child = at + i * step(d);
      if (csr) {
        if (!nonZero(level + 1, child)) continue;
        indices[level].push(i);
      }
      walk(level + 1, child);
    }
    if (csr) segments[level].push(indices[level].length);
  };
  walk(0, 0);
  const type = spec.indexType ?? 'int32';
  const vector = (v: number[]): SparseIndexVector => {
    const max = type === 'uint8' ? 255 : type === 'uint16' ? 65535 : 2 ** 31 - 1;
    if (v.some((x) => x > max)) throw new Error(`an index or segment exceeds ${type}`);
    return { type, values: type === 'uint8' ? Uint8Array.from(v) : type === 'uint16' ? Uint16Array.from(v) : Int32Array.from(v) };
  };
  const dimMetadata: DimensionMetadata[] = order.map((d, p) => (spec.formats[p] === 'DENSE'
    ? { format: 'DENSE', denseSize: expanded[d] }
    : { format: 'SPARSE_CSR', denseSize: 0, arraySegments: vector(segments[p]), arrayIndices: vector(indices[p]) }));
  const data = new Uint8Array(values.length * eb);
  values.forEach((flat, j) => data.set(dense.subarray(flat * eb, flat * eb + eb), j * eb));
  return { data, sparsity: { traversalOrder: order.slice(), blockMap: blockMap.slice(), dimMetadata } };
}

/** Stored / dense values of a consistent sparse tensor, for reports. */
export function sparsityStats(t: Pick<Tensor, 'shape' | 'dtype' | 'sparsity'>): { stored: number; dense: number; density: number } | null {
  if (!t.sparsity) return null;
  const r = analyze(t.shape, t.dtype, t.sparsity);
  if ('field' in r) return null;
  let dense = 1;
  for (const d of t.shape) dense *= d;
  return { stored: r.stored, dense, density: dense > 0 ? r.stored / dense : 0 };
}

/** What densifyModel() did to one sparse constant. */
export interface DensifiedTensor {
  tensor: string;
  /** e.g. "SPARSE_CSR, 55 of 128 values stored, int32 indices" */
  encoding: string;
  /** Ops folded into the dense constant (DENSIFY, DEQUANTIZE of float16 weights). */
  folded: string[];
  /** The constant the ops now read. */
  result: string;
}

function describeEncoding(t: Tensor, sp: Sparsity): string {
  const stats = sparsityStats(t);
  const formats = sp.dimMetadata.map((m) => (m.format === 'DENSE' ? 'D' : 'CSR')).join('/');
  const blocks = sp.blockMap.length ? `, block ${sp.blockMap.map((d, b) => `${sp.dimMetadata[sp.traversalOrder.indexOf(t.shape.length + b)].denseSize} on dim ${d}`).join(', ')}` : '';
  const types = [...new Set(sp.dimMetadata.flatMap((m) => [m.arraySegments?.type, m.arrayIndices?.type]).filter((x) => x))].join('/');
  return `${formats}${blocks}${types ? `, ${types} indices` : ''}${stats ? `, ${stats.stored} of ${stats.dense} values stored` : ''}`;
}

/**
 * The model with every sparse constant stored dense, as the quantizer needs it (it reads and rewrites weights as
 * dense arrays): each DENSIFY of a sparse constant becomes the dense constant, and a DEQUANTIZE of that float16
 * constant to float32 becomes a float32 constant (TF's converter writes sparse float16 weights as sparse ->
 * DENSIFY -> DEQUANTIZE -> op: the result is the float model, as if never sparse). The input model is not changed.
 */
export function densifyModel(model: Model, options: DensifyOptions = {}): { model: Model; densified: DensifiedTensor[] } {
  const densified: DensifiedTensor[] = [];
  const subgraphs = model.subgraphs.map((sg) => {
    if (!sg.tensors.some((t) => t.sparsity)) return sg;
    const tensors = sg.tensors.map((t) => ({ ...t }));
    const records = new Map<number, DensifiedTensor>();
    tensors.forEach((t, i) => {
      if (!t.sparsity) return;
      const encoding = describeEncoding(t, t.sparsity);
      if (t.data && t.data.length > 0) t.data = densify(t, options);
      delete t.sparsity;
      const rec = { tensor: t.name, encoding, folded: [], result: t.name };
      records.set(i, rec);
      densified.push(rec);
    });
    const isConst = (i: number) => i >= 0 && tensors[i].data !== null && tensors[i].data!.length > 0 && !tensors[i].isVariable;
    const operators: Operator[] = [];
    // Which record (if any) a constant derives from, as folding goes on in graph order.
    const origin = new Map(records);
    for (const op of sg.operators) {
      const src = op.inputs[0];
      const rec = src !== undefined ? origin.get(src) : undefined;
      const out = op.outputs[0];
      if (rec && isConst(src) && op.outputs.length === 1) {
        const from = tensors[src];
        const to = tensors[out];
        if (op.op === 'DENSIFY' && to.dtype === from.dtype) {
          to.data = from.data;
          rec.folded.push('DENSIFY');
          rec.result = to.name;
          origin.set(out, rec);
          continue;
        }
        if (op.op === 'DEQUANTIZE' && from.dtype === 'float16' && to.dtype === 'float32') {
          const half = new Uint16Array(from.data!.buffer.slice(from.data!.byteOffset, from.data!.byteOffset + from.data!.byteLength));
          const f = Float32Array.from(half, (h) => float16BitsToFloat(h));
          to.data = new Uint8Array(f.buffer);
          rec.folded.push('DEQUANTIZE');
          rec.result = to.name;
          origin.set(out, rec);
          continue;
        }
      }
      operators.push(op);
    }
    // Constants no op, input or output reads any more (the sparse originals) are dropped from the file.
    const used = new Set<number>([...sg.inputs, ...sg.outputs]);
    for (const op of operators) for (const i of [...op.inputs, ...op.outputs, ...op.intermediates]) used.add(i);
    tensors.forEach((t, i) => { if (!used.has(i) && records.has(i)) t.data = null; });
    return { ...sg, tensors, operators };
  });
  return { model: { ...model, subgraphs }, densified };
}
