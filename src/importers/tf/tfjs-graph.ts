// TF.js graph models: model.json with "format": "graph-model", `modelTopology` a GraphDef in protobuf JSON (weights
// left out of its Const nodes) and `weightsManifest` groups of binary shards holding the weights, each named after
// its Const node. Weights are decoded as TF.js decodes them (uint8/uint16-quantized: q * scale + min, float32,
// rounded for int32; float16: the half value) and put back into their Const nodes, giving a FrozenGraph.
// Inputs and outputs come from the signature (userDefinedMetadata.signature wins, as in TF.js), else the
// placeholders and the sink nodes.

import { ModelFormatError, UnsupportedError } from '../../errors.js';
import { float16BitsToFloat } from '../../graph/float16.js';
import { graphDefFromJson, type GraphDef, type NodeDef, type TensorProto } from './proto/index.js';
import { chooseIo, outputName, placeholderInput, shapeOf } from './graph-io.js';
import { parseTensorName } from './normalize/graph.js';
import type { FrozenGraph, FrozenGraphInput, FrozenGraphOutput, ModelFiles } from './types.js';

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number };
}

/** The in-memory form tf.io hands around: `{modelTopology, weightSpecs, weightData, signature}`. */
export interface TfjsGraphArtifacts {
  modelTopology: unknown;
  weightSpecs?: TfjsWeightSpec[];
  weightData?: ArrayBuffer | Uint8Array;
  signature?: unknown;
  userDefinedMetadata?: { signature?: unknown };
}

const STORED_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };
const TF_TYPE: Record<string, string> = { float32: 'DT_FLOAT', int32: 'DT_INT32', bool: 'DT_BOOL' };

function checkSpec(spec: unknown, i: number, file: string): TfjsWeightSpec {
  if (spec === null || typeof spec !== 'object') throw new ModelFormatError(`${file}: weight manifest entry ${i} is not an object`);
  const s = spec as Record<string, unknown>;
  if (typeof s.name !== 'string') throw new ModelFormatError(`${file}: weight manifest entry ${i} has no string name`);
  if (!Array.isArray(s.shape) || !s.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw new ModelFormatError(`${file}: weight '${s.name}' has shape ${JSON.stringify(s.shape)} (want non-negative integers)`);
  }
  if (typeof s.dtype !== 'string') throw new ModelFormatError(`${file}: weight '${s.name}' has no string dtype`);
  const q = s.quantization as Record<string, unknown> | undefined;
  if (q !== undefined) {
    if (q === null || typeof q !== 'object' || typeof q.dtype !== 'string') throw new ModelFormatError(`${file}: weight '${s.name}' has quantization ${JSON.stringify(q)}`);
    if ((q.dtype === 'uint8' || q.dtype === 'uint16') && (typeof q.min !== 'number' || typeof q.scale !== 'number')) {
      throw new ModelFormatError(`${file}: weight '${s.name}' is ${q.dtype}-quantized without min and scale`);
    }
    if (!['uint8', 'uint16', 'float16'].includes(q.dtype)) throw new UnsupportedError(`${file}: weight '${s.name}' has quantization dtype '${q.dtype}' (TF.js knows uint8, uint16, float16)`);
    if (q.dtype === 'float16' && s.dtype !== 'float32') throw new ModelFormatError(`${file}: weight '${s.name}' of dtype ${s.dtype} is float16-quantized`);
  }
  return s as unknown as TfjsWeightSpec;
}

function elementCount(shape: number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** Bytes one weight takes in its shard (strings are length-prefixed, so read from the data). */
function storedLength(spec: TfjsWeightSpec, data: Uint8Array, offset: number, file: string): number {
  if (spec.dtype === 'string' && !spec.quantization) {
    let o = offset;
    for (let i = 0; i < elementCount(spec.shape); i++) {
      if (o + 4 > data.length) return Infinity;
      o += 4 + new DataView(data.buffer, data.byteOffset + o, 4).getUint32(0, true);
    }
    return o - offset;
  }
  const per = STORED_BYTES[spec.quantization?.dtype ?? spec.dtype];
  if (!per) throw new UnsupportedError(`${file}: weight '${spec.name}' has dtype '${spec.dtype}'`);
  return elementCount(spec.shape) * per;
}

/** One weight's bytes -> a TensorProto (float32 / int32 / bool tensor_content), dequantized as TF.js does. */
function weightTensor(spec: TfjsWeightSpec, bytes: Uint8Array): TensorProto | null {
  if (spec.dtype === 'string') return null;
  const n = elementCount(spec.shape);
  const q = spec.quantization;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let content: Uint8Array;
  if (q) {
    const values = spec.dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) {
      if (q.dtype === 'float16') values[i] = float16BitsToFloat(view.getUint16(2 * i, true));
      else {
        const v = q.dtype === 'uint8' ? bytes[i] : view.getUint16(2 * i, true);
        const real = v * q.scale! + q.min!;
        values[i] = spec.dtype === 'int32' ? Math.round(real) : real;
      }
    }
    content = new Uint8Array(values.buffer);
  } else {
    content = bytes.slice();
  }
  const dtype = TF_TYPE[spec.dtype];
  if (!dtype) return null;
  return { dtype, tensorShape: { dim: spec.shape.map((size) => ({ size })) }, tensorContent: content };
}

function hasValues(t: TensorProto): boolean {
  if (t.tensorContent && t.tensorContent.length) return true;
  const lists = [t.floatVal, t.doubleVal, t.intVal, t.stringVal, t.int64Val, t.boolVal, t.halfVal, t.uint32Val, t.uint64Val];
  if (lists.some((l) => l && l.length)) return true;
  // An empty tensor needs no values.
  return (t.tensorShape?.dim ?? []).some((d) => Number(d.size ?? 0) === 0);
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Decode the weights of one manifest group (data = its shards, concatenated) into the Const nodes by name. */
function attachWeights(nodes: Map<string, NodeDef[]>, specs: unknown, data: Uint8Array, file: string, where: string): void {
  if (!Array.isArray(specs)) throw new ModelFormatError(`${file}: the weights of ${where} are not a list`);
  let offset = 0;
  for (const [i, raw] of specs.entries()) {
    const spec = checkSpec(raw, i, file);
    const len = storedLength(spec, data, offset, file);
    // Checked before anything is sized from the spec: a shape never allocates more than the data holds.
    if (!(offset + len <= data.length)) {
      throw new ModelFormatError(`${file}: ${where} hold${where.includes(',') ? '' : 's'} ${data.length} bytes, but weight '${spec.name}' needs bytes up to ${Number.isFinite(len) ? offset + len : 'beyond the end'} (a shard is truncated or missing)`);
    }
    const tensor = weightTensor(spec, data.subarray(offset, offset + len));
    if (tensor) for (const node of nodes.get(spec.name) ?? []) node.attr = { ...(node.attr ?? {}), value: { tensor } };
    offset += len;
  }
}

function ioFromSignature(sig: any, nodes: Map<string, NodeDef>, file: string): { inputs: FrozenGraphInput[]; outputs: FrozenGraphOutput[] } | null {
  if (!sig || typeof sig !== 'object' || !sig.inputs || !sig.outputs) return null;
  const inputs: FrozenGraphInput[] = [];
  for (const [key, info] of Object.entries<any>(sig.inputs)) {
    const tensor = typeof info?.name === 'string' ? info.name : key;
    const ref = parseTensorName(tensor);
    const node = ref ? nodes.get(ref.node) : undefined;
    if (!node) throw new ModelFormatError(`${file}: signature input '${key}' names tensor '${tensor}', which is not in the graph`);
    const base = placeholderInput(node, outputName(key));
    const sigShape = shapeOf(info?.tensorShape);
    inputs.push({ ...base, dtype: typeof info?.dtype === 'string' ? info.dtype : base.dtype, shape: sigShape ?? base.shape });
  }
  const outputs: FrozenGraphOutput[] = [];
  for (const [key, info] of Object.entries<any>(sig.outputs)) {
    const tensor = typeof info?.name === 'string' ? info.name : key;
    outputs.push({ name: outputName(key), tensor });
  }
  return inputs.length && outputs.length ? { inputs, outputs } : null;
}

function frozenFrom(topology: unknown, groups: { specs: unknown; data: Uint8Array; where: string }[], signature: unknown, label: string): FrozenGraph {
  if (!topology || typeof topology !== 'object') throw new ModelFormatError(`${label}: no modelTopology`);
  const graph: GraphDef = graphDefFromJson(topology, label);
  const list = graph.node ?? [];
  if (list.length === 0) throw new ModelFormatError(`${label}: modelTopology has no nodes`);
  const nodes = new Map<string, NodeDef>();
  for (const [i, n] of list.entries()) {
    if (!n.name || !n.op) throw new ModelFormatError(`${label}: modelTopology node ${i} has no ${n.name ? 'op' : 'name'}`);
    nodes.set(n.name, n);
  }
  // The converter leaves only dtype and shape in a Const's tensor, its values being in the weights: a weight
  // missing from the manifest must not read as zeros (the value is deleted below, before weights are attached).
  // Const nodes of library functions (loop bodies, branches) take their weights by node name too, as TF.js
  // looks them up in the one weight map.
  const consts = new Map<string, NodeDef[]>();
  for (const n of [...list, ...(graph.library?.function ?? []).flatMap((f) => f.nodeDef ?? [])]) {
    if (n.op !== 'Const' || !n.name) continue;
    const t = n.attr?.value?.tensor;
    if (t && !hasValues(t)) delete n.attr!.value;
    const l = consts.get(n.name);
    if (l) l.push(n);
    else consts.set(n.name, [n]);
  }
  for (const g of groups) attachWeights(consts, g.specs, g.data, label, g.where);
  const io = ioFromSignature(signature, nodes, label) ?? chooseIo(list, label, {});
  return { label, source: 'tfjs-graph', graph, ...io };
}

/** model.json (parsed) of a TF.js graph model, its weight shards read through `files`. */
export function loadTfjsGraphModel(json: unknown, files: ModelFiles, label: string): FrozenGraph {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new ModelFormatError(`${label}: not a TF.js model.json (not a JSON object)`);
  const j = json as Record<string, any>;
  if (j.format !== undefined && j.format !== 'graph-model') throw new ModelFormatError(`${label}: format is '${j.format}', not 'graph-model'`);
  const manifest = j.weightsManifest ?? [];
  if (!Array.isArray(manifest)) throw new ModelFormatError(`${label}: weightsManifest is not a list`);
  const groups = manifest.map((group: any, gi: number) => {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights) || !group.paths.every((p: unknown) => typeof p === 'string')) {
      throw new ModelFormatError(`${label}: weightsManifest entry ${gi} lacks a list of paths or weights`);
    }
    const parts = group.paths.map((p: string) => {
      try {
        return files.read(p);
      } catch (e) {
        if (e instanceof ModelFormatError) throw e;
        throw new ModelFormatError(`${label}: cannot read weight shard ${p} (${e instanceof Error ? e.message : String(e)})`);
      }
    });
    return { specs: group.weights, data: concatBytes(parts), where: `shard${group.paths.length > 1 ? 's' : ''} ${group.paths.join(', ')}` };
  });
  return frozenFrom(j.modelTopology, groups, j.userDefinedMetadata?.signature ?? j.signature, label);
}

/** The in-memory artifacts form (as tf.io.fromMemory takes). */
export function tfjsGraphFromArtifacts(a: TfjsGraphArtifacts, label = 'tfjs-artifacts'): FrozenGraph {
  const wd = a.weightData;
  const data = wd === undefined ? new Uint8Array(0) : wd instanceof Uint8Array ? wd : new Uint8Array(wd);
  return frozenFrom(a.modelTopology, [{ specs: a.weightSpecs ?? [], data, where: 'weightData' }], a.userDefinedMetadata?.signature ?? a.signature, label);
}
