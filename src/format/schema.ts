// Table layouts of the TFLite model schema (version 3c) as the reader, writer and verifier need them:
// field ids (vtable slots, in declaration order, union fields taking two slots: type then value) and field kinds.

import { optionsTableByIndex, type OptionsTable } from '../graph/ops.js';

/** Field ids of the core tables. */
export const F = {
  Model: { version: 0, operatorCodes: 1, subgraphs: 2, description: 3, buffers: 4, metadataBuffer: 5, metadata: 6, signatureDefs: 7 },
  SubGraph: { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 },
  Tensor: {
    shape: 0, type: 1, buffer: 2, name: 3, quantization: 4, isVariable: 5, sparsity: 6, shapeSignature: 7, hasRank: 8,
    variantTensors: 9,
  },
  SparsityParameters: { traversalOrder: 0, blockMap: 1, dimMetadata: 2 },
  DimensionMetadata: { format: 0, denseSize: 1, arraySegmentsType: 2, arraySegments: 3, arrayIndicesType: 4, arrayIndices: 5 },
  /** Int32Vector, Uint16Vector and Uint8Vector alike. */
  IndexVector: { values: 0 },
  QuantizationParameters: { min: 0, max: 1, scale: 2, zeroPoint: 3, detailsType: 4, details: 5, quantizedDimension: 6 },
  OperatorCode: { deprecatedBuiltinCode: 0, customCode: 1, version: 2, builtinCode: 3 },
  Operator: {
    opcodeIndex: 0, inputs: 1, outputs: 2, builtinOptionsType: 3, builtinOptions: 4, customOptions: 5,
    customOptionsFormat: 6, mutatingVariableInputs: 7, intermediates: 8, largeCustomOptionsOffset: 9,
    largeCustomOptionsSize: 10, builtinOptions2Type: 11, builtinOptions2: 12,
  },
  Buffer: { data: 0, offset: 1, size: 2 },
  Metadata: { name: 0, buffer: 1 },
  TensorMap: { name: 0, tensorIndex: 1 },
  SignatureDef: { inputs: 0, outputs: 1, signatureKey: 2, deprecatedTag: 3, subgraphIndex: 4 },
} as const;

/** What a field holds, for the structural verifier. 'opaque' tables are checked as tables but not walked into. */
export type FieldKind =
  | { kind: 'scalar'; size: 1 | 2 | 4 | 8 }
  | { kind: 'string' }
  | { kind: 'vector'; elemSize: 1 | 2 | 4 | 8 }
  | { kind: 'strings' }
  | { kind: 'table'; table: () => TableLayout | 'opaque' }
  | { kind: 'tables'; table: () => TableLayout | 'opaque' }
  /** Union value; its type byte is the field just before (id - 1). */
  | { kind: 'union'; resolve: (type: number) => TableLayout | 'opaque' | undefined };

export interface TableLayout {
  name: string;
  fields: readonly ({ id: number; name: string } & FieldKind)[];
}

const s1 = { kind: 'scalar', size: 1 } as const;
const s4 = { kind: 'scalar', size: 4 } as const;
const s8 = { kind: 'scalar', size: 8 } as const;
const str = { kind: 'string' } as const;
const v1 = { kind: 'vector', elemSize: 1 } as const;
const v2 = { kind: 'vector', elemSize: 2 } as const;
const v4 = { kind: 'vector', elemSize: 4 } as const;
const v8 = { kind: 'vector', elemSize: 8 } as const;
const opaque = () => 'opaque' as const;

function layout(name: string, fields: Record<string, FieldKind>, ids: Record<string, number>): TableLayout {
  return { name, fields: Object.entries(fields).map(([n, k]) => ({ id: ids[n], name: n, ...k })) };
}

const optionsLayouts = new Map<OptionsTable, TableLayout>();

/** Structural layout of a builtin options table, from the op catalogue. */
export function optionsLayout(table: OptionsTable): TableLayout {
  let l = optionsLayouts.get(table);
  if (!l) {
    l = {
      name: table.name,
      fields: table.fields.map((f) => ({ id: f.id, name: f.name, ...fieldKindOf(f.type) })),
    };
    optionsLayouts.set(table, l);
  }
  return l;
}

/** Storage of an option field type: enums and TensorType are bytes. */
export function fieldKindOf(type: string): FieldKind {
  switch (type) {
    case 'short': return { kind: 'scalar', size: 2 };
    case 'int': case 'uint': case 'float': return s4;
    case 'long': return s8;
    case 'string': return str;
    case '[int]': case '[float]': return v4;
    case '[long]': return v8;
    default: return s1; // bool, byte, ubyte, enums, TensorType
  }
}

export const QUANTIZATION_LAYOUT: TableLayout = layout('QuantizationParameters', {
  min: v4, max: v4, scale: v4, zeroPoint: v8, detailsType: s1,
  details: { kind: 'union', resolve: (t) => (t === 1 ? 'opaque' : undefined) },
  quantizedDimension: s4,
}, F.QuantizationParameters);

/** SparseIndexVector union members, by union type (1 Int32Vector, 2 Uint16Vector, 3 Uint8Vector). */
const INDEX_VECTOR_LAYOUTS: readonly TableLayout[] = [
  layout('Int32Vector', { values: v4 }, F.IndexVector),
  layout('Uint16Vector', { values: v2 }, F.IndexVector),
  layout('Uint8Vector', { values: v1 }, F.IndexVector),
];
/** Union type codes of SparseIndexVector, by index element type. */
export const SPARSE_INDEX_VECTOR_CODES = { int32: 1, uint16: 2, uint8: 3 } as const;
const indexVector = { kind: 'union', resolve: (t: number) => INDEX_VECTOR_LAYOUTS[t - 1] } as const;

export const DIMENSION_METADATA_LAYOUT: TableLayout = layout('DimensionMetadata', {
  format: s1, denseSize: s4, arraySegmentsType: s1, arraySegments: indexVector, arrayIndicesType: s1, arrayIndices: indexVector,
}, F.DimensionMetadata);

export const SPARSITY_LAYOUT: TableLayout = layout('SparsityParameters', {
  traversalOrder: v4, blockMap: v4, dimMetadata: { kind: 'tables', table: () => DIMENSION_METADATA_LAYOUT },
}, F.SparsityParameters);

export const TENSOR_LAYOUT: TableLayout = layout('Tensor', {
  shape: v4, type: s1, buffer: s4, name: str, quantization: { kind: 'table', table: () => QUANTIZATION_LAYOUT },
  isVariable: s1, sparsity: { kind: 'table', table: () => SPARSITY_LAYOUT }, shapeSignature: v4, hasRank: s1,
  variantTensors: { kind: 'tables', table: opaque },
}, F.Tensor);

export const OPERATOR_LAYOUT: TableLayout = layout('Operator', {
  opcodeIndex: s4, inputs: v4, outputs: v4, builtinOptionsType: s1,
  builtinOptions: { kind: 'union', resolve: (t) => { const o = optionsTableByIndex(t); return o ? optionsLayout(o) : undefined; } },
  customOptions: v1, customOptionsFormat: s1, mutatingVariableInputs: v1, intermediates: v4,
  largeCustomOptionsOffset: s8, largeCustomOptionsSize: s8, builtinOptions2Type: s1,
  builtinOptions2: { kind: 'union', resolve: (t) => (t >= 1 && t <= 21 ? 'opaque' : undefined) },
}, F.Operator);

export const SUBGRAPH_LAYOUT: TableLayout = layout('SubGraph', {
  tensors: { kind: 'tables', table: () => TENSOR_LAYOUT }, inputs: v4, outputs: v4,
  operators: { kind: 'tables', table: () => OPERATOR_LAYOUT }, name: str,
}, F.SubGraph);

export const OPERATOR_CODE_LAYOUT: TableLayout = layout('OperatorCode', {
  deprecatedBuiltinCode: s1, customCode: str, version: s4, builtinCode: s4,
}, F.OperatorCode);

export const BUFFER_LAYOUT: TableLayout = layout('Buffer', { data: v1, offset: s8, size: s8 }, F.Buffer);
export const METADATA_LAYOUT: TableLayout = layout('Metadata', { name: str, buffer: s4 }, F.Metadata);
const TENSOR_MAP_LAYOUT: TableLayout = layout('TensorMap', { name: str, tensorIndex: s4 }, F.TensorMap);
export const SIGNATURE_DEF_LAYOUT: TableLayout = layout('SignatureDef', {
  inputs: { kind: 'tables', table: () => TENSOR_MAP_LAYOUT }, outputs: { kind: 'tables', table: () => TENSOR_MAP_LAYOUT },
  signatureKey: str, deprecatedTag: str, subgraphIndex: s4,
}, F.SignatureDef);

export const MODEL_LAYOUT: TableLayout = layout('Model', {
  version: s4, operatorCodes: { kind: 'tables', table: () => OPERATOR_CODE_LAYOUT },
  subgraphs: { kind: 'tables', table: () => SUBGRAPH_LAYOUT }, description: str,
  buffers: { kind: 'tables', table: () => BUFFER_LAYOUT }, metadataBuffer: v4,
  metadata: { kind: 'tables', table: () => METADATA_LAYOUT },
  signatureDefs: { kind: 'tables', table: () => SIGNATURE_DEF_LAYOUT },
}, F.Model);
