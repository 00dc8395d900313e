// SparsityParameters tables <-> the in-memory Sparsity (graph/sparsity.ts). Reading assumes bytes the structural
// verifier accepted (every vector and sub-table in range); index vectors are copied into typed arrays of their own
// element type, so writing them back gives the same encoding.

import type { Builder } from 'flatbuffers';
import type { DimensionFormat, DimensionMetadata, SparseIndexType, SparseIndexVector, Sparsity } from '../graph/sparsity.js';
import { DIMENSION_FORMATS, SPARSE_INDEX_TYPES } from '../graph/sparsity.js';
import type { FbView } from './flatbuf.js';
import { F, SPARSE_INDEX_VECTOR_CODES } from './schema.js';

const D = F.DimensionMetadata;

/** The format code of each level that is not a known DimensionType, for the verifier: [level, code] or null. */
export function unknownDimensionFormat(fb: FbView, sp: number): [number, number] | null {
  const dims = fb.tables(sp, F.SparsityParameters.dimMetadata);
  for (let i = 0; i < dims.length; i++) {
    const code = fb.i8(dims[i], D.format, 0);
    if (DIMENSION_FORMATS[code] === undefined) return [i, code];
  }
  return null;
}

/**
 * Bytes of the table's vectors (what reading and checking it costs). Tensors may share one table, so the verifier
 * bounds the sum of this over tensors before it reads any.
 */
export function sparsityMetadataBytes(fb: FbView, sp: number): number {
  const S = F.SparsityParameters;
  let bytes = 4 * (fb.vectorLength(fb.vector(sp, S.traversalOrder)) + fb.vectorLength(fb.vector(sp, S.blockMap)));
  for (const m of fb.tables(sp, S.dimMetadata)) {
    bytes += 16;
    for (const [typeId, valueId] of [[D.arraySegmentsType, D.arraySegments], [D.arrayIndicesType, D.arrayIndices]]) {
      const code = fb.u8(m, typeId, 0);
      const table = fb.table(m, valueId);
      if (code < 1 || code > 3 || table === 0) continue;
      bytes += fb.vectorLength(fb.vector(table, F.IndexVector.values)) * (code === 1 ? 4 : code === 2 ? 2 : 1);
    }
  }
  return bytes;
}

/** Decode a SparsityParameters table (formats already checked by unknownDimensionFormat). */
export function readSparsity(fb: FbView, sp: number): Sparsity {
  return {
    traversalOrder: fb.int32s(sp, F.SparsityParameters.traversalOrder),
    blockMap: fb.int32s(sp, F.SparsityParameters.blockMap),
    dimMetadata: fb.tables(sp, F.SparsityParameters.dimMetadata).map((m): DimensionMetadata => {
      const out: DimensionMetadata = {
        format: DIMENSION_FORMATS[fb.i8(m, D.format, 0)] as DimensionFormat,
        denseSize: fb.i32(m, D.denseSize, 0),
      };
      const segments = readIndexVector(fb, m, D.arraySegmentsType, D.arraySegments);
      const indices = readIndexVector(fb, m, D.arrayIndicesType, D.arrayIndices);
      if (segments) out.arraySegments = segments;
      if (indices) out.arrayIndices = indices;
      return out;
    }),
  };
}

/** A SparseIndexVector union field; absent when its type is NONE, its table is missing or the table has no values. */
function readIndexVector(fb: FbView, m: number, typeId: number, valueId: number): SparseIndexVector | undefined {
  const code = fb.u8(m, typeId, 0);
  const type: SparseIndexType | undefined = SPARSE_INDEX_TYPES[code - 1];
  const table = fb.table(m, valueId);
  if (!type || table === 0) return undefined;
  const v = fb.vector(table, F.IndexVector.values);
  if (v === 0) return undefined;
  const n = fb.vectorLength(v);
  const bytes = fb.bytes.slice(v + 4, v + 4 + n * (type === 'int32' ? 4 : type === 'uint16' ? 2 : 1));
  const values = type === 'int32' ? new Int32Array(bytes.buffer, 0, n) : type === 'uint16' ? new Uint16Array(bytes.buffer, 0, n) : bytes;
  return { type, values };
}

/** Write a SparsityParameters table; returns its offset. */
export function writeSparsity(b: Builder, sp: Sparsity): number {
  const int32s = (values: ArrayLike<number>) => {
    b.startVector(4, values.length, 4);
    for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
    return b.endVector();
  };
  const indexVector = (iv: SparseIndexVector): number => {
    const { type, values } = iv;
    let vec: number;
    if (type === 'int32') vec = int32s(values);
    else {
      // The schema aligns the uint16 and uint8 vectors to 4 bytes (force_align: 4).
      const size = type === 'uint16' ? 2 : 1;
      b.startVector(size, values.length, 4);
      for (let i = values.length - 1; i >= 0; i--) {
        if (size === 2) b.addInt16(values[i]); else b.addInt8(values[i]);
      }
      vec = b.endVector();
    }
    b.startObject(1);
    b.addFieldOffset(F.IndexVector.values, vec, 0);
    return b.endObject();
  };
  const dims = sp.dimMetadata.map((m) => {
    const segments = m.arraySegments ? indexVector(m.arraySegments) : 0;
    const indices = m.arrayIndices ? indexVector(m.arrayIndices) : 0;
    b.startObject(6);
    b.addFieldInt8(D.format, DIMENSION_FORMATS.indexOf(m.format), 0);
    b.addFieldInt32(D.denseSize, m.denseSize, 0);
    if (segments) {
      b.addFieldInt8(D.arraySegmentsType, SPARSE_INDEX_VECTOR_CODES[m.arraySegments!.type], 0);
      b.addFieldOffset(D.arraySegments, segments, 0);
    }
    if (indices) {
      b.addFieldInt8(D.arrayIndicesType, SPARSE_INDEX_VECTOR_CODES[m.arrayIndices!.type], 0);
      b.addFieldOffset(D.arrayIndices, indices, 0);
    }
    return b.endObject();
  });
  const traversal = int32s(sp.traversalOrder);
  const blockMap = int32s(sp.blockMap);
  b.startVector(4, dims.length, 4);
  for (let i = dims.length - 1; i >= 0; i--) b.addOffset(dims[i]);
  const dimsVec = b.endVector();
  b.startObject(3);
  b.addFieldOffset(F.SparsityParameters.traversalOrder, traversal, 0);
  b.addFieldOffset(F.SparsityParameters.blockMap, blockMap, 0);
  b.addFieldOffset(F.SparsityParameters.dimMetadata, dimsVec, 0);
  return b.endObject();
}
