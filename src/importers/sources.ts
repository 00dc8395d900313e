// Which importer reads a model: recognised by content, not by name. Every source ends as one of two things, a
// KerasSource (Keras .h5/.keras, TF.js Layers, a Keras-made SavedModel) for the layer converter, or a FrozenGraph
// (SavedModel, frozen GraphDef, TF.js graph model) for the TensorFlow graph importer. No file system here: paths
// are resolved by the caller into bytes or ModelFiles, so this runs in a browser too.

import { ModelFormatError, UnsupportedError, UsageError } from '../errors.js';
import { importKerasH5, importKerasZip, importTfjsArtifacts, importTfjsModelJson, type KerasSource, type TfjsArtifactsInput } from './keras/index.js';
import { readSavedModel } from './tf/saved-model.js';
import { loadFrozenGraphDef } from './tf/graphdef.js';
import { loadTfjsGraphModel, tfjsGraphFromArtifacts } from './tf/tfjs-graph.js';
import type { FrozenGraph, ModelFiles } from './tf/types.js';

export type SourceFormat = 'keras-h5' | 'keras-zip' | 'tfjs-layers' | 'tfjs-graph' | 'tf-savedmodel' | 'tf-graphdef';

/** Which converter a SavedModel goes through: its Keras config when it has one ('auto'), or always the graph. */
export type ImporterChoice = 'auto' | 'keras' | 'graph';

export interface SourceOptions {
  /** Force the source format instead of recognising it. */
  format?: SourceFormat;
  /** SavedModel: 'keras' requires the Keras path, 'graph' takes the TensorFlow graph even when a Keras config exists. */
  importer?: ImporterChoice;
  /** SavedModel signature to convert (default serving_default); implies the graph path. */
  signature?: string;
  /** Graph inputs (Placeholder node names) and outputs ("node" or "node:k"), for graphs without a signature. */
  inputs?: string[];
  outputs?: string[];
  /** SavedModel MetaGraphDef tags (default: 'serve', or the only MetaGraphDef). */
  tags?: string[];
}

export type LoadedSource =
  | { kind: 'keras'; format: SourceFormat; keras: KerasSource; tfVersion?: string | null }
  | { kind: 'graph'; format: SourceFormat; frozen: FrozenGraph; tfVersion?: string | null };

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const SAVED_MODEL_PB = 'saved_model.pb';

export function isModelFiles(v: unknown): v is ModelFiles {
  return typeof v === 'object' && v !== null && typeof (v as ModelFiles).read === 'function' && typeof (v as ModelFiles).exists === 'function';
}

function firstNonSpace(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && [0x20, 0x0a, 0x0d, 0x09, 0xef, 0xbb, 0xbf].includes(bytes[i])) i++;
  return bytes[i];
}

/**
 * A protobuf file: a SavedModel starts with field 1 (schema version, varint) or field 2 (meta graphs); a GraphDef
 * with field 1 (nodes, length-delimited), 2 (library) or 4 (versions).
 */
function protobufKind(bytes: Uint8Array): 'tf-savedmodel' | 'tf-graphdef' | null {
  const b = bytes[0];
  if (b === 0x08) return 'tf-savedmodel';
  if (b === 0x0a || b === 0x22) return 'tf-graphdef';
  if (b === 0x12) return 'tf-savedmodel'; // meta_graphs (SavedModel) or library (GraphDef): tried as SavedModel first
  return null;
}

/** The format of a single file's bytes. */
export function detectFormat(bytes: Uint8Array, label: string): SourceFormat {
  if (bytes.length === 0) throw new ModelFormatError(`${label}: empty file`);
  if (HDF5_MAGIC.every((b, i) => bytes[i] === b)) return 'keras-h5';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return 'keras-zip';
  if (firstNonSpace(bytes) === 0x7b) return 'tfjs-layers'; // a model.json: layers or graph, told apart by its content
  if (bytes.length >= 8 && String.fromCharCode(...bytes.subarray(4, 8)) === 'TFL3') {
    throw new UnsupportedError(`${label}: already a .tflite model; convert takes Keras .h5 / .keras, TF.js model.json, a SavedModel or a frozen GraphDef .pb`);
  }
  const pb = protobufKind(bytes);
  if (pb) return pb;
  throw new ModelFormatError(`${label}: not a Keras .h5 (HDF5), .keras (zip), TF.js model.json, SavedModel or GraphDef (.pb) file`);
}

function parseJson(bytes: Uint8Array, label: string): Record<string, any> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ModelFormatError(`${label}: not valid JSON`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new ModelFormatError(`${label}: not a TF.js model.json (not a JSON object)`);
  return json as Record<string, any>;
}

/** A model.json is a graph model when it says so, or when its topology is a GraphDef (a node list). */
function isGraphModelJson(j: Record<string, any>): boolean {
  if (j.format === 'graph-model') return true;
  if (j.format === 'layers-model') return false;
  return Array.isArray(j.modelTopology?.node);
}

function checkGraphFlags(options: SourceOptions, label: string, what: string): void {
  if (options.importer === 'keras') throw new UsageError(`--importer keras: ${label} is ${what}, which has no Keras config`);
}

function checkKerasFlags(options: SourceOptions, label: string): void {
  const flags = [options.signature && '--signature', options.inputs?.length && '--inputs', options.outputs?.length && '--outputs']
    .filter(Boolean);
  if (flags.length) throw new UsageError(`${flags.join(', ')}: ${label} is a Keras model, not a TensorFlow graph`);
  if (options.importer === 'graph') throw new UsageError(`--importer graph: ${label} is a Keras model, not a TensorFlow graph`);
}

/** A SavedModel: its Keras config when it has one and nothing asks for the graph, else the frozen signature graph. */
function fromSavedModel(files: ModelFiles, options: SourceOptions): LoadedSource {
  const sm = readSavedModel(files, { tags: options.tags });
  const wantsGraph = options.importer === 'graph' || !!options.signature || !!options.inputs?.length || !!options.outputs?.length;
  if (!wantsGraph) {
    const keras = sm.kerasSource();
    if (keras) return { kind: 'keras', format: 'tf-savedmodel', keras, tfVersion: sm.tensorflowVersion };
    if (options.importer === 'keras') throw new UnsupportedError(`${files.label}: this SavedModel holds no Keras Functional or Sequential config (use --importer graph)`);
  } else if (options.importer === 'keras') {
    throw new UsageError('--importer keras cannot be combined with --signature, --inputs or --outputs');
  }
  const frozen = sm.freeze({ signature: options.signature, inputs: options.inputs, outputs: options.outputs });
  return { kind: 'graph', format: 'tf-savedmodel', frozen, tfVersion: sm.tensorflowVersion };
}

/** A single file's bytes; `files` reaches what it refers to (weight shards, a SavedModel's variables/). */
export async function loadSourceBytes(bytes: Uint8Array, label: string, files: ModelFiles | null, options: SourceOptions = {}): Promise<LoadedSource> {
  const format = options.format ?? detectFormat(bytes, label);
  switch (format) {
    case 'keras-h5': checkKerasFlags(options, label); return { kind: 'keras', format, keras: await importKerasH5(bytes, label) };
    case 'keras-zip': checkKerasFlags(options, label); return { kind: 'keras', format, keras: await importKerasZip(bytes, label) };
    case 'tfjs-layers':
    case 'tfjs-graph': {
      const json = parseJson(bytes, label);
      if (isGraphModelJson(json)) {
        checkGraphFlags(options, label, 'a TF.js graph model');
        if (!files) throw new UsageError(`${label}: a TF.js graph model given as bytes needs its weight files`);
        return { kind: 'graph', format: 'tfjs-graph', frozen: loadTfjsGraphModel(json, files, label) };
      }
      checkKerasFlags(options, label);
      const reader = files;
      return {
        kind: 'keras', format: 'tfjs-layers',
        keras: importTfjsModelJson({
          modelJson: json,
          readShard: (rel) => {
            if (!reader) throw new ModelFormatError(`${label}: weight shard ${rel} cannot be read (no directory given)`);
            return reader.read(rel);
          },
        }, label),
      };
    }
    case 'tf-savedmodel':
    case 'tf-graphdef': {
      // A saved_model.pb beside its variables/ is a SavedModel; any other .pb that parses as one is too.
      if (format === 'tf-savedmodel' && files?.exists(SAVED_MODEL_PB)) return fromSavedModel(files, options);
      checkGraphFlags(options, label, 'a TensorFlow graph');
      if (format === 'tf-savedmodel' && looksLikeSavedModel(bytes)) {
        return fromSavedModel(singleFile(label, bytes), options);
      }
      if (options.signature) throw new UsageError(`--signature: ${label} is a frozen GraphDef, which has no signatures (use --inputs/--outputs)`);
      return { kind: 'graph', format: 'tf-graphdef', frozen: loadFrozenGraphDef(bytes, label, { inputs: options.inputs, outputs: options.outputs }) };
    }
  }
}

/** Files of a model (a SavedModel directory, or a folder holding model.json and its shards). */
export async function loadSourceFiles(files: ModelFiles, options: SourceOptions = {}): Promise<LoadedSource> {
  if (files.exists(SAVED_MODEL_PB)) return fromSavedModel(files, options);
  if (files.exists('model.json')) return loadSourceBytes(files.read('model.json'), `${files.label}/model.json`, files, options);
  throw new ModelFormatError(`${files.label}: no saved_model.pb or model.json: not a SavedModel or TF.js model directory`);
}

/** TF.js in-memory artifacts `{modelTopology, weightSpecs, weightData}`: Layers or graph model. */
export function loadSourceArtifacts(a: TfjsArtifactsInput, label: string, options: SourceOptions = {}): LoadedSource {
  if (Array.isArray(a.modelTopology?.node)) {
    checkGraphFlags(options, label, 'a TF.js graph model');
    return { kind: 'graph', format: 'tfjs-graph', frozen: tfjsGraphFromArtifacts(a as Parameters<typeof tfjsGraphFromArtifacts>[0], label) };
  }
  checkKerasFlags(options, label);
  return { kind: 'keras', format: 'tfjs-layers', keras: importTfjsArtifacts(a, label) };
}

function looksLikeSavedModel(bytes: Uint8Array): boolean {
  return bytes[0] === 0x08 || bytes[0] === 0x12;
}

/** A lone saved_model.pb (no variables directory): only graphs without variables convert from it. */
function singleFile(label: string, bytes: Uint8Array): ModelFiles {
  return {
    label,
    exists: (rel) => rel === SAVED_MODEL_PB,
    read: (rel) => {
      if (rel === SAVED_MODEL_PB) return bytes;
      throw new ModelFormatError(`${label}: no ${rel} beside it (a SavedModel's variables/ directory is needed)`);
    },
  };
}
