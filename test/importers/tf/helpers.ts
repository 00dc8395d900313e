// Test-only writers for TensorFlow's checkpoint files, SavedModels built from plain objects, and a bridge that runs
// a FrozenGraph with TF.js's graph-model executor (an independent implementation of TF op semantics).
//
// The table writer follows the layout TF's table builder produces (restart every 16 keys, one uncompressed data
// block per 256 KiB, an index block keyed by the shortest successor of each block's last key, an empty metaindex
// block, the 48-byte footer); the bundle tests check it against the corpus index byte for byte.

import { crc32cExtend, maskCrc } from '../../../src/importers/tf/bundle/crc32c.js';
import { memoryModelFiles } from '../../../src/importers/tf/memory-files.js';
import { encodeMessage, type GraphDef, type NodeDef, type TensorProto } from '../../../src/importers/tf/proto/index.js';
import type { FrozenGraph, ModelFiles } from '../../../src/importers/tf/types.js';

// ------------------------------------------------------------------------------------------------ table writer

function putVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function putU32(out: number[], v: number): void {
  out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
}

const utf8 = (s: string) => new TextEncoder().encode(s);

function buildBlock(entries: [Uint8Array, Uint8Array][], restartInterval: number): number[] {
  const out: number[] = [];
  const restarts: number[] = [];
  let prev: Uint8Array = new Uint8Array(0);
  entries.forEach(([key, value], i) => {
    let shared = 0;
    if (i % restartInterval === 0) restarts.push(out.length);
    else while (shared < prev.length && shared < key.length && prev[shared] === key[shared]) shared++;
    putVarint(out, shared);
    putVarint(out, key.length - shared);
    putVarint(out, value.length);
    for (let k = shared; k < key.length; k++) out.push(key[k]);
    for (const b of value) out.push(b);
    prev = key;
  });
  if (!restarts.length) restarts.push(0);
  for (const r of restarts) putU32(out, r);
  putU32(out, restarts.length);
  return out;
}

/** The first key >= `key` that is as short as possible: its first byte that is not 0xff, incremented. */
function shortSuccessor(key: Uint8Array): Uint8Array {
  for (let i = 0; i < key.length; i++) {
    if (key[i] !== 0xff) {
      const out = key.slice(0, i + 1);
      out[i]++;
      return out;
    }
  }
  return key;
}

/** A short key k with start <= k < limit: start's prefix up to where they differ, that byte incremented when it fits. */
function shortestSeparator(start: Uint8Array, limit: Uint8Array): Uint8Array {
  let d = 0;
  while (d < start.length && d < limit.length && start[d] === limit[d]) d++;
  if (d < start.length && d < limit.length && start[d] < 0xff && start[d] + 1 < limit[d]) {
    const out = start.slice(0, d + 1);
    out[d]++;
    return out;
  }
  return start;
}

export interface TableOptions {
  restartInterval?: number;
  blockSize?: number;
  /** Compression type byte written in every trailer (0 none, 1 snappy: the bytes stay raw, for refusal tests). */
  compressionType?: number;
}

/** A table file of the entries (keys sorted by the caller, as TF's builder requires). */
export function writeTable(entries: [string | Uint8Array, Uint8Array][], options: TableOptions = {}): Uint8Array {
  const restartInterval = options.restartInterval ?? 16;
  const blockSize = options.blockSize ?? 262144;
  const type = options.compressionType ?? 0;
  const file: number[] = [];
  const writeBlock = (contents: number[]): { offset: number; size: number } => {
    const offset = file.length;
    for (const b of contents) file.push(b);
    const typed = new Uint8Array([...contents, type]);
    file.push(type);
    putU32(file, maskCrc(crc32cExtend(0, typed)));
    return { offset, size: contents.length };
  };
  const index: [Uint8Array, Uint8Array][] = [];
  let pending: [Uint8Array, Uint8Array][] = [];
  let pendingBytes = 0;
  const flush = (last: boolean, nextKey?: Uint8Array) => {
    if (!pending.length) return;
    const h = writeBlock(buildBlock(pending, restartInterval));
    const lastKey = pending[pending.length - 1][0];
    const sep = last || !nextKey ? shortSuccessor(lastKey) : shortestSeparator(lastKey, nextKey);
    const handle: number[] = [];
    putVarint(handle, h.offset);
    putVarint(handle, h.size);
    index.push([sep, new Uint8Array(handle)]);
    pending = [];
    pendingBytes = 0;
  };
  for (const [k, v] of entries) {
    const key = typeof k === 'string' ? utf8(k) : k;
    if (pendingBytes >= blockSize) flush(false, key);
    pending.push([key, v]);
    pendingBytes += key.length + v.length + 3;
  }
  flush(true);
  const meta = writeBlock(buildBlock([], restartInterval));
  const idx = writeBlock(buildBlock(index, 1));
  const footer: number[] = [];
  putVarint(footer, meta.offset);
  putVarint(footer, meta.size);
  putVarint(footer, idx.offset);
  putVarint(footer, idx.size);
  while (footer.length < 40) footer.push(0);
  putU32(footer, 0x8b80fb57);
  putU32(footer, 0xdb477524);
  for (const b of footer) file.push(b);
  return new Uint8Array(file);
}

// ----------------------------------------------------------------------------------------------- bundle writer

export interface BundleTensorSpec {
  key: string;
  dtype: string;
  shape: number[];
  /** Raw little-endian bytes, or the strings of a DT_STRING tensor. */
  bytes?: Uint8Array;
  strings?: Uint8Array[];
}

/** Bytes and entry checksum of a string tensor as TF's bundle writer lays it out. */
export function stringTensorBytes(strings: Uint8Array[]): { bytes: Uint8Array; crc: number } {
  const out: number[] = [];
  let crc = 0;
  const le = new Uint8Array(4);
  for (const s of strings) {
    putVarint(out, s.length);
    new DataView(le.buffer).setUint32(0, s.length, true);
    crc = crc32cExtend(crc, le);
  }
  const lengthsChecksum: number[] = [];
  putU32(lengthsChecksum, maskCrc(crc));
  out.push(...lengthsChecksum);
  crc = crc32cExtend(crc, new Uint8Array(lengthsChecksum));
  for (const s of strings) {
    out.push(...s);
    crc = crc32cExtend(crc, s);
  }
  return { bytes: new Uint8Array(out), crc };
}

/** variables.index and one data shard for the tensors. */
export function writeBundle(tensors: BundleTensorSpec[], options: TableOptions = {}): { index: Uint8Array; data: Uint8Array } {
  const parts: Uint8Array[] = [];
  let offset = 0;
  const entries: [string, Uint8Array][] = [];
  for (const t of [...tensors].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    const { bytes, crc } = t.strings ? stringTensorBytes(t.strings) : { bytes: t.bytes!, crc: crc32cExtend(0, t.bytes!) };
    entries.push([t.key, encodeMessage('BundleEntryProto', {
      dtype: t.dtype, shape: { dim: t.shape.map((size) => ({ size })) }, shardId: 0, offset, size: bytes.length, crc32c: maskCrc(crc),
    })]);
    parts.push(bytes);
    offset += bytes.length;
  }
  const header = encodeMessage('BundleHeaderProto', { numShards: 1, endianness: 'LITTLE', version: { producer: 1 } });
  const index = writeTable([['', header], ...entries], options);
  const data = new Uint8Array(offset);
  let o = 0;
  for (const p of parts) { data.set(p, o); o += p.length; }
  return { index, data };
}

export const f32bytes = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);

// ------------------------------------------------------------------------------------------- SavedModel builder

export function savedModelFiles(label: string, savedModel: unknown, bundle?: { index: Uint8Array; data: Uint8Array }): ModelFiles {
  const files: Record<string, Uint8Array> = { 'saved_model.pb': encodeMessage('SavedModel', savedModel) };
  if (bundle) {
    files['variables/variables.index'] = bundle.index;
    files['variables/variables.data-00000-of-00001'] = bundle.data;
  }
  return memoryModelFiles(label, files);
}

const str = (s: string) => ({ s: utf8(s) });
export const attrs = {
  type: (t: string) => ({ type: t }),
  s: str,
  i: (i: number) => ({ i }),
  f: (f: number) => ({ f }),
  b: (b: boolean) => ({ b }),
  shape: (dims: number[] | null) => ({ shape: dims === null ? { unknownRank: true } : { dim: dims.map((size) => ({ size })) } }),
  ints: (i: number[]) => ({ list: { i } }),
  func: (name: string, attr: Record<string, unknown> = {}) => ({ func: { name, attr } }),
  types: (type: string[]) => ({ list: { type } }),
};

export function floatConst(name: string, shape: number[], values: number[]): NodeDef {
  return { name, op: 'Const', attr: { dtype: attrs.type('DT_FLOAT'), value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: shape.map((size) => ({ size })) }, tensorContent: f32bytes(values) } } } };
}

export function intConst(name: string, shape: number[], values: number[]): NodeDef {
  return { name, op: 'Const', attr: { dtype: attrs.type('DT_INT32'), value: { tensor: { dtype: 'DT_INT32', tensorShape: { dim: shape.map((size) => ({ size })) }, intVal: values } } } };
}

// ------------------------------------------------------------------------------------------- TF.js execution

function base64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/** Our plain protobuf objects as protobuf JSON (bytes as base64), the form TF.js model.json holds. */
function toProtoJson(v: unknown): unknown {
  if (v instanceof Uint8Array) return base64(v);
  if (Array.isArray(v)) return v.map(toProtoJson);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toProtoJson(x);
    return out;
  }
  return v;
}

/** Const values of a GraphDef as float32/int32 arrays. */
function constValues(t: TensorProto): { dtype: 'float32' | 'int32'; data: Float32Array | Int32Array } {
  const n = (t.tensorShape?.dim ?? []).reduce((a, d) => a * (d.size ?? 0), 1);
  if (t.dtype === 'DT_FLOAT') {
    if (t.tensorContent) return { dtype: 'float32', data: new Float32Array(t.tensorContent.slice().buffer) };
    const v = t.floatVal ?? [];
    return { dtype: 'float32', data: Float32Array.from({ length: n }, (_, i) => v[Math.min(i, v.length - 1)] ?? 0) };
  }
  if (t.dtype === 'DT_INT32') {
    if (t.tensorContent) return { dtype: 'int32', data: new Int32Array(t.tensorContent.slice().buffer) };
    const v = t.intVal ?? [];
    return { dtype: 'int32', data: Int32Array.from({ length: n }, (_, i) => v[Math.min(i, v.length - 1)] ?? 0) };
  }
  throw new Error(`constValues: dtype ${t.dtype}`);
}

/**
 * Attribute defaults (from the ops' definitions) of the ops these tests run: SavedModels are saved with default
 * attributes stripped, and TF.js's executor reads some of them without a default of its own.
 */
const OP_DEFAULTS: Record<string, Record<string, unknown>> = {
  Conv2D: { dilations: attrs.ints([1, 1, 1, 1]), data_format: attrs.s('NHWC') },
  DepthwiseConv2dNative: { dilations: attrs.ints([1, 1, 1, 1]), data_format: attrs.s('NHWC') },
  AvgPool: { data_format: attrs.s('NHWC') },
  MaxPool: { data_format: attrs.s('NHWC') },
  BiasAdd: { data_format: attrs.s('NHWC') },
  FusedBatchNormV3: { data_format: attrs.s('NHWC'), epsilon: attrs.f(1e-4) },
  MatMul: { transpose_a: attrs.b(false), transpose_b: attrs.b(false) },
};

/** A GraphDef as TF.js graph-model artifacts: the topology in protobuf JSON, Const values as weights. */
export function graphToTfjsArtifacts(graph: GraphDef) {
  const specs: { name: string; shape: number[]; dtype: string }[] = [];
  const parts: Uint8Array[] = [];
  const nodes = (graph.node ?? []).map((n) => {
    if (n.op !== 'Const') return toProtoJson({ ...n, attr: { ...OP_DEFAULTS[n.op ?? ''], ...n.attr } });
    const t = n.attr!.value!.tensor!;
    const { dtype, data } = constValues(t);
    specs.push({ name: n.name!, shape: (t.tensorShape?.dim ?? []).map((d) => d.size ?? 0), dtype });
    parts.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return toProtoJson({ ...n, attr: { dtype: n.attr!.dtype, value: { tensor: { dtype: t.dtype, tensorShape: t.tensorShape } } } });
  });
  const total = parts.reduce((s, p) => s + p.length, 0);
  const weightData = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { weightData.set(p, o); o += p.length; }
  return { modelTopology: { node: nodes, versions: graph.versions ?? {}, library: {} }, weightSpecs: specs, weightData: weightData.buffer };
}

/** Run a FrozenGraph with TF.js's graph executor on float inputs (one per FrozenGraph input, with its shape). */
export async function runFrozenWithTfjs(fg: FrozenGraph, inputs: { data: Float32Array; shape: number[] }[][]): Promise<Float32Array[][]> {
  const { loadTf } = await import('../tfjs-reference.js');
  const tf = await loadTf();
  const model = await tf.loadGraphModel(tf.io.fromMemory(graphToTfjsArtifacts(fg.graph) as any));
  try {
    return inputs.map((ins) => {
      const feeds: Record<string, any> = {};
      fg.inputs.forEach((inp, k) => { feeds[inp.node] = tf.tensor(ins[k].data, ins[k].shape); });
      const outs = model.execute(feeds, fg.outputs.map((o) => o.tensor)) as any;
      const list = Array.isArray(outs) ? outs : [outs];
      const values = list.map((t: any) => Float32Array.from(t.dataSync() as Float32Array));
      for (const t of [...Object.values(feeds), ...list]) t.dispose();
      return values;
    });
  } finally {
    model.dispose();
  }
}
