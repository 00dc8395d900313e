// The in-memory model: what a .tflite file holds, in plain objects.
// Importers build it, passes and the quantizer rewrite it, the writer serializes it, the interpreter runs it.
// Buffers are not a separate list here: each tensor owns its constant bytes (`data`), and the writer lays them out.

import type { Sparsity } from './sparsity.js';

/** Element types of the TFLite schema (enum TensorType), by lower-case name. */
export type DType =
  | 'float32' | 'float16' | 'int32' | 'uint8' | 'int64' | 'string' | 'bool' | 'int16' | 'complex64'
  | 'int8' | 'float64' | 'complex128' | 'uint64' | 'resource' | 'variant' | 'uint32' | 'uint16' | 'int4' | 'bfloat16';

/** Schema enum value of each DType (TensorType). */
export const DTYPE_CODES: Readonly<Record<DType, number>> = {
  float32: 0, float16: 1, int32: 2, uint8: 3, int64: 4, string: 5, bool: 6, int16: 7, complex64: 8, int8: 9,
  float64: 10, complex128: 11, uint64: 12, resource: 13, variant: 14, uint32: 15, uint16: 16, int4: 17, bfloat16: 18,
};

export const DTYPE_BY_CODE: readonly DType[] = (Object.keys(DTYPE_CODES) as DType[])
  .sort((a, b) => DTYPE_CODES[a] - DTYPE_CODES[b]);

/** Bytes per element; 0 for types without a fixed size (string, resource, variant). int4 is packed: 0.5. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  float32: 4, float16: 2, int32: 4, uint8: 1, int64: 8, string: 0, bool: 1, int16: 2, complex64: 8, int8: 1,
  float64: 8, complex128: 16, uint64: 8, resource: 0, variant: 0, uint32: 4, uint16: 2, int4: 0.5, bfloat16: 2,
};

/** Affine quantization of a tensor: real = scale * (q - zeroPoint), per tensor or per channel along quantizedDimension. */
export interface Quantization {
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
  /** Float range recorded by the converter (informational; TFLite ignores it at run time). */
  min?: number[];
  max?: number[];
}

export interface Tensor {
  name: string;
  /** Concrete shape; a dynamic dimension is 1 here and -1 in shapeSignature, as TF writes it. */
  shape: number[];
  shapeSignature?: number[];
  dtype: DType;
  /** Constant bytes (little-endian), or null for activations, inputs and variables without an initial value. */
  data: Uint8Array | null;
  quantization: Quantization | null;
  isVariable: boolean;
  /** Schema's has_rank flag, kept for round trips. */
  hasRank?: boolean;
  /** A sparse constant: `data` holds only the stored values, in the encoding's order (graph/sparsity.ts). */
  sparsity?: Sparsity;
}

/** Option values: numbers, booleans, enum names (strings), DType names, int vectors. */
export type OptionValue = number | boolean | string | number[];
export type OpOptions = Record<string, OptionValue>;

export interface Operator {
  /** Builtin operator name as in the schema (e.g. 'CONV_2D'), or 'CUSTOM'. */
  op: string;
  customCode?: string;
  version: number;
  /** Tensor indices; -1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  intermediates: number[];
  /**
   * Builtin options with camelCase names of the schema's fields, every field present (defaults filled in).
   * Enums are their schema names ('SAME', 'RELU6'); TensorType fields are DType names.
   */
  options: OpOptions;
  /** Name of the schema's options table (e.g. 'Conv2DOptions'); null when the op has none. */
  optionsType: string | null;
  customOptions?: Uint8Array;
}

export interface Subgraph {
  name: string;
  tensors: Tensor[];
  inputs: number[];
  outputs: number[];
  operators: Operator[];
}

export interface MetadataEntry {
  name: string;
  data: Uint8Array;
}

export interface TensorMapEntry {
  name: string;
  tensorIndex: number;
}

export interface SignatureDef {
  key: string;
  subgraphIndex: number;
  inputs: TensorMapEntry[];
  outputs: TensorMapEntry[];
}

export interface Model {
  /** Schema version (3). */
  version: number;
  description: string;
  subgraphs: Subgraph[];
  metadata: MetadataEntry[];
  signatureDefs: SignatureDef[];
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function isQuantized(t: Tensor): boolean {
  return t.quantization !== null && t.quantization.scale.length > 0;
}
