// What `inspect` reports: TF's interpreter.get_input_details()/get_output_details() plus a model summary.
// Field names follow TF's Python API (snake_case) so users can compare with what they know.

import type { DType, Model, Subgraph } from '../graph/model.js';
import { DTYPE_BYTES } from '../graph/model.js';
import { sparsityStats, type DimensionFormat } from '../graph/sparsity.js';
import { subgraphCallers } from '../graph/subgraphs.js';

export interface TensorDetails {
  name: string;
  index: number;
  shape: number[];
  shape_signature: number[];
  dtype: DType;
  /** The scalar (scale, zero_point) pair of element 0; [0, 0] when not quantized (as TF reports it). */
  quantization: [number, number];
  quantization_parameters: { scales: number[]; zero_points: number[]; quantized_dimension: number };
}

export function tensorDetails(sg: Subgraph, index: number): TensorDetails {
  const t = sg.tensors[index];
  const q = t.quantization;
  const scales = q ? [...q.scale] : [];
  const zeroPoints = q ? [...q.zeroPoint] : [];
  return {
    name: t.name,
    index,
    shape: [...t.shape],
    shape_signature: [...(t.shapeSignature ?? t.shape)],
    dtype: t.dtype,
    quantization: scales.length ? [scales[0], zeroPoints[0] ?? 0] : [0, 0],
    quantization_parameters: { scales, zero_points: zeroPoints, quantized_dimension: q ? q.quantizedDimension : 0 },
  };
}

export interface OpSummary {
  op: string;
  version: number;
  count: number;
}

/** A sparse constant: its encoding (TFLite's SparsityParameters) and how much of it is stored. */
export interface SparseTensorSummary {
  subgraph: number;
  index: number;
  name: string;
  dtype: DType;
  shape: number[];
  traversal_order: number[];
  block_map: number[];
  /** Size of each block dimension, in block_map's order. */
  block_size: number[];
  /** Format of each level, in traversal order. */
  formats: DimensionFormat[];
  /** Index vector element types used (int32, uint16, uint8). */
  index_types: string[];
  stored_values: number;
  dense_values: number;
  /** stored_values / dense_values. */
  density: number;
}

export interface ModelSummary {
  file: string;
  file_bytes: number;
  schema_version: number;
  description: string;
  subgraphs: number;
  tensors: number;
  /** Constant tensors, i.e. tensors whose data lives in a non-empty buffer. */
  constant_tensors: number;
  inputs: TensorDetails[];
  outputs: TensorDetails[];
  /** Op list of all subgraphs: one row per (op, version), in order of first use. */
  ops: OpSummary[];
  operator_count: number;
  /** Bytes of constant data by dtype. */
  weight_bytes: Record<string, number>;
  /** Number of constant elements (parameters) by dtype. */
  weight_elements: Record<string, number>;
  /** Sparse constants (an empty list when none). */
  sparse_tensors: SparseTensorSummary[];
  metadata: { name: string; bytes: number; text?: string }[];
  signature_defs: { key: string; subgraph_index: number; inputs: string[]; outputs: string[] }[];
  /** One entry per subgraph: what it takes and gives, its ops, and which control-flow ops run it. */
  subgraph_details: SubgraphSummary[];
}

export interface SubgraphSummary {
  index: number;
  name: string;
  inputs: TensorDetails[];
  outputs: TensorDetails[];
  tensors: number;
  operator_count: number;
  /** Op counts in order of first use (versions are in the model's op list). */
  ops: { op: string; count: number }[];
  /** Each op that runs this subgraph, e.g. "subgraph 0 op 3 WHILE (body)"; empty for the entry subgraph. */
  called_by: string[];
}

/** Role of the subgraph in the calling op, from the options field that names it. */
const CALL_ROLES: Readonly<Record<string, string>> = {
  condSubgraphIndex: 'cond', bodySubgraphIndex: 'body', thenSubgraphIndex: 'then', elseSubgraphIndex: 'else',
  initSubgraphIndex: 'init', subgraph: 'callee',
};

export function summarizeSubgraphs(model: Model): SubgraphSummary[] {
  const callers = subgraphCallers(model);
  return model.subgraphs.map((g, index) => {
    const ops = new Map<string, number>();
    for (const node of g.operators) {
      const name = node.op === 'CUSTOM' ? `CUSTOM(${node.customCode ?? ''})` : node.op;
      ops.set(name, (ops.get(name) ?? 0) + 1);
    }
    return {
      index,
      name: g.name,
      inputs: g.inputs.map((i) => tensorDetails(g, i)),
      outputs: g.outputs.map((i) => tensorDetails(g, i)),
      tensors: g.tensors.length,
      operator_count: g.operators.length,
      ops: [...ops].map(([op, count]) => ({ op, count })),
      called_by: callers[index].map((c) => `subgraph ${c.subgraph} op ${c.operator} ${c.op} (${CALL_ROLES[c.field] ?? c.field})`),
    };
  });
}

/** Printable text of a metadata buffer (e.g. min_runtime_version "1.14.0"), or undefined for binary data. */
function metadataText(data: Uint8Array): string | undefined {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  if (end === 0 || end > 256) return undefined;
  for (let i = 0; i < end; i++) if (data[i] < 0x20 || data[i] > 0x7e) return undefined;
  // Printable ASCII only (checked above), so one char per byte.
  return String.fromCharCode(...data.subarray(0, end));
}

export function summarizeModel(model: Model, file: string, fileBytes: number): ModelSummary {
  const sg = model.subgraphs[0];
  const ops = new Map<string, OpSummary>();
  const weightBytes: Record<string, number> = {};
  const weightElements: Record<string, number> = {};
  let tensors = 0;
  let constants = 0;
  let operatorCount = 0;
  const sparse: SparseTensorSummary[] = [];
  model.subgraphs.forEach((g, s) => {
    tensors += g.tensors.length;
    g.tensors.forEach((t, index) => {
      const sp = t.sparsity;
      if (!sp) return;
      const stats = sparsityStats(t);
      const n = t.shape.length;
      sparse.push({
        subgraph: s, index, name: t.name, dtype: t.dtype, shape: [...t.shape],
        traversal_order: [...sp.traversalOrder], block_map: [...sp.blockMap],
        block_size: sp.blockMap.map((_, b) => sp.dimMetadata[sp.traversalOrder.indexOf(n + b)]?.denseSize ?? 0),
        formats: sp.dimMetadata.map((m) => m.format),
        index_types: [...new Set(sp.dimMetadata.flatMap((m) => [m.arraySegments?.type, m.arrayIndices?.type]).filter((x): x is NonNullable<typeof x> => x !== undefined))],
        stored_values: stats?.stored ?? 0, dense_values: stats?.dense ?? 0, density: stats?.density ?? 0,
      });
    });
  });
  for (const g of model.subgraphs) {
    for (const t of g.tensors) {
      if (!t.data || t.data.length === 0) continue;
      constants++;
      weightBytes[t.dtype] = (weightBytes[t.dtype] ?? 0) + t.data.length;
      const per = DTYPE_BYTES[t.dtype];
      weightElements[t.dtype] = (weightElements[t.dtype] ?? 0) + (per > 0 ? Math.round(t.data.length / per) : 0);
    }
    for (const node of g.operators) {
      operatorCount++;
      const name = node.op === 'CUSTOM' ? `CUSTOM(${node.customCode ?? ''})` : node.op;
      const key = `${name}/${node.version}`;
      const row = ops.get(key);
      if (row) row.count++;
      else ops.set(key, { op: name, version: node.version, count: 1 });
    }
  }
  return {
    file,
    file_bytes: fileBytes,
    schema_version: model.version,
    description: model.description,
    subgraphs: model.subgraphs.length,
    tensors,
    constant_tensors: constants,
    inputs: sg ? sg.inputs.map((i) => tensorDetails(sg, i)) : [],
    outputs: sg ? sg.outputs.map((i) => tensorDetails(sg, i)) : [],
    ops: [...ops.values()],
    operator_count: operatorCount,
    weight_bytes: weightBytes,
    weight_elements: weightElements,
    sparse_tensors: sparse,
    metadata: model.metadata.map((m) => ({ name: m.name, bytes: m.data.length, text: metadataText(m.data) })),
    signature_defs: model.signatureDefs.map((s) => ({
      key: s.key, subgraph_index: s.subgraphIndex,
      inputs: s.inputs.map((e) => e.name), outputs: s.outputs.map((e) => e.name),
    })),
    subgraph_details: summarizeSubgraphs(model),
  };
}
