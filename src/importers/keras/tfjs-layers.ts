// TF.js Layers models: model.json (`modelTopology` = Keras config, `weightsManifest` = groups of shard files and
// the weights laid out in them, in order) plus binary shards. Also the in-memory ModelArtifacts form
// `{modelTopology, weightSpecs, weightData}` that tf.io.withSaveHandler hands over.
// Quantized weights are dequantized exactly as TF.js does when it loads them:
//   uint8/uint16: value = q * scale + min (computed in double, stored as float32);
//   float16: the IEEE half value, exactly.

import { ModelFormatError, UnsupportedError } from '../../errors.js';
import { float16BitsToFloat } from '../../graph/float16.js';
import { WeightStore, checkModelConfig, type KerasLayerJson, type KerasSource, type WeightArray } from './source.js';

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number };
}

interface ManifestGroup {
  paths: string[];
  weights: TfjsWeightSpec[];
}

/** model.json parsed, with a reader for shard files named in its manifest (paths relative to the json). */
export interface TfjsModelJsonInput {
  modelJson: any;
  readShard(relPath: string): Uint8Array;
}

/** The in-memory artifacts form (what tf.io.withSaveHandler receives). */
export interface TfjsArtifactsInput {
  modelTopology: any;
  weightSpecs?: TfjsWeightSpec[];
  weightData?: ArrayBuffer | ArrayBuffer[] | Uint8Array;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };

function elementCount(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Decode one weight from its bytes (length already checked). */
function decodeWeight(spec: TfjsWeightSpec, bytes: Uint8Array, file: string): Float32Array {
  const n = elementCount(spec.shape);
  const q = spec.quantization;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  if (q) {
    if (q.dtype === 'uint8' || q.dtype === 'uint16') {
      if (typeof q.min !== 'number' || typeof q.scale !== 'number') {
        throw new ModelFormatError(`${file}: weight ${spec.name} is ${q.dtype}-quantized without min and scale`);
      }
      const wide = q.dtype === 'uint16';
      for (let i = 0; i < n; i++) {
        const v = wide ? view.getUint16(2 * i, true) : bytes[i];
        out[i] = v * q.scale + q.min;
      }
      if (spec.dtype === 'int32') for (let i = 0; i < n; i++) out[i] = Math.round(out[i]);
    } else if (q.dtype === 'float16') {
      for (let i = 0; i < n; i++) out[i] = float16BitsToFloat(view.getUint16(2 * i, true));
    } else {
      throw new UnsupportedError(`${file}: weight ${spec.name} has quantization dtype '${q.dtype}' (TF.js knows uint8, uint16, float16)`);
    }
    return out;
  }
  switch (spec.dtype) {
    case 'float32': for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true); break;
    case 'int32': for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true); break;
    case 'bool': for (let i = 0; i < n; i++) out[i] = bytes[i] ? 1 : 0; break;
    default: throw new UnsupportedError(`${file}: weight ${spec.name} has dtype '${spec.dtype}'`);
  }
  return out;
}

/** A manifest entry from an untrusted file, checked field by field before anything is sized from it. */
function checkSpec(spec: unknown, i: number, file: string): asserts spec is TfjsWeightSpec {
  if (spec === null || typeof spec !== 'object') throw new ModelFormatError(`${file}: weight manifest entry ${i} is not an object`);
  const s = spec as Record<string, unknown>;
  if (typeof s.name !== 'string') throw new ModelFormatError(`${file}: weight manifest entry ${i} has no string name`);
  if (!Array.isArray(s.shape) || !s.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw new ModelFormatError(`${file}: weight ${s.name} has shape ${JSON.stringify(s.shape)} (want a list of non-negative integers)`);
  }
  if (typeof s.dtype !== 'string') throw new ModelFormatError(`${file}: weight ${s.name} has no string dtype`);
  const q = s.quantization;
  if (q !== undefined && (q === null || typeof q !== 'object' || typeof (q as Record<string, unknown>).dtype !== 'string')) {
    throw new ModelFormatError(`${file}: weight ${s.name} has quantization ${JSON.stringify(q)} (want {dtype, ...})`);
  }
}

function weightByteLength(spec: TfjsWeightSpec, file: string): number {
  const dt = spec.quantization?.dtype ?? spec.dtype;
  const b = BYTES[dt];
  if (!b) throw new UnsupportedError(`${file}: weight ${spec.name} has dtype '${dt}'`);
  return elementCount(spec.shape) * b;
}

function topologyToModel(topology: any, file: string): { model: KerasLayerJson; kerasVersion: string | null } {
  if (!topology || typeof topology !== 'object') throw new ModelFormatError(`${file}: no modelTopology`);
  const model: unknown = topology.model_config ?? topology;
  checkModelConfig(model, file, 'modelTopology');
  return { model, kerasVersion: typeof topology.keras_version === 'string' ? topology.keras_version : null };
}

/** Store a decoded weight under its layer: 'conv2d/kernel' -> layer 'conv2d', 'outer/dense/kernel' also -> 'outer/dense'. */
function storeWeight(store: WeightStore, spec: TfjsWeightSpec, w: WeightArray): void {
  const parts = spec.name.split('/');
  const varName = (parts.pop() ?? spec.name).replace(/:\d+$/, '');
  if (parts.length === 0) return;
  store.set(parts, varName, w);
  if (parts.length > 1) store.set([parts[parts.length - 1]], varName, w);
}

function decodeAll(specs: unknown, data: Uint8Array, file: string, store: WeightStore, where: string): void {
  if (!Array.isArray(specs)) throw new ModelFormatError(`${file}: the weight specs of ${where} are not a list`);
  let offset = 0;
  for (const [i, spec] of specs.entries()) {
    checkSpec(spec, i, file);
    const len = weightByteLength(spec, file);
    // Compared before decoding allocates: a declared shape never sizes more than the data present.
    if (!(offset + len <= data.length)) {
      throw new ModelFormatError(`${file}: ${where} holds ${data.length} bytes, but the manifest needs ${offset + len} by weight ${spec.name} (a shard is truncated or missing)`);
    }
    storeWeight(store, spec, { shape: [...spec.shape], values: decodeWeight(spec, data.subarray(offset, offset + len), file) });
    offset += len;
  }
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function makeSource(file: string, model: KerasLayerJson, kerasVersion: string | null, store: WeightStore): KerasSource {
  return {
    file, format: 'tfjs-layers', kerasVersion, model,
    layerWeights: (path, varNames) => store.lookup(path, varNames),
  };
}

/** model.json + shards. */
export function importTfjsModelJson(input: TfjsModelJsonInput, file: string): KerasSource {
  const j = input.modelJson;
  if (j === null || typeof j !== 'object' || Array.isArray(j)) throw new ModelFormatError(`${file}: not a TF.js model.json (not a JSON object)`);
  if (j.format === 'graph-model') throw new UnsupportedError(`${file}: a TF.js graph model (format 'graph-model'); only TF.js Layers models convert`);
  const { model, kerasVersion } = topologyToModel(j?.modelTopology, file);
  const manifest: ManifestGroup[] = j.weightsManifest ?? [];
  if (!Array.isArray(manifest)) throw new ModelFormatError(`${file}: weightsManifest is not a list`);
  const store = new WeightStore(file);
  for (const group of manifest) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) throw new ModelFormatError(`${file}: a weightsManifest entry lacks paths or weights`);
    if (!group.paths.every((p) => typeof p === 'string')) throw new ModelFormatError(`${file}: a weightsManifest entry has non-string paths`);
    const shards = group.paths.map((p) => {
      try {
        return input.readShard(p);
      } catch (e) {
        throw new ModelFormatError(`${file}: cannot read weight shard ${p} (${e instanceof Error ? e.message : String(e)})`);
      }
    });
    decodeAll(group.weights, concatBytes(shards), file, store, `shards ${group.paths.join(', ')}`);
  }
  return makeSource(file, model, kerasVersion, store);
}

/** In-memory artifacts `{modelTopology, weightSpecs, weightData}`. */
export function importTfjsArtifacts(input: TfjsArtifactsInput, file = 'tfjs-artifacts'): KerasSource {
  const { model, kerasVersion } = topologyToModel(input.modelTopology, file);
  const store = new WeightStore(file);
  const wd = input.weightData;
  const isBuffer = (b: unknown): b is ArrayBuffer => b instanceof ArrayBuffer;
  if (!(wd === undefined || wd instanceof Uint8Array || isBuffer(wd) || (Array.isArray(wd) && wd.every(isBuffer)))) {
    throw new ModelFormatError(`${file}: weightData is not an ArrayBuffer, a list of them or a Uint8Array`);
  }
  const data = wd === undefined ? new Uint8Array(0)
    : wd instanceof Uint8Array ? wd
    : Array.isArray(wd) ? concatBytes(wd.map((b) => new Uint8Array(b)))
    : new Uint8Array(wd);
  decodeAll(input.weightSpecs ?? [], data, file, store, 'weightData');
  return makeSource(file, model, kerasVersion, store);
}
