// Conversion from what is in memory: a model file's bytes, TF.js artifacts, or a folder's files (ModelFiles). No
// file system here: convert.ts resolves paths for Node; a browser page hands over the files it was given.

import { LitequantError, ModelFormatError } from './errors.js';
import { writeModel } from './format/writer.js';
import type { Model } from './graph/model.js';
import { FLOAT_CONVERSION_PASSES, runPasses } from './graph/passes/index.js';
import { kerasToGraph, type TfjsArtifactsInput } from './importers/keras/index.js';
import { isModelFiles, loadSourceArtifacts, loadSourceBytes, loadSourceFiles, type LoadedSource, type SourceFormat, type SourceOptions } from './importers/sources.js';
import { frozenGraphToModel } from './importers/tf/import-graph.js';
import type { ModelFiles } from './importers/tf/types.js';
import { checkInputShapes } from './importers/input-shapes.js';

export type { ImporterChoice, SourceFormat, SourceOptions } from './importers/sources.js';

/** A model in memory: one file's bytes, TF.js in-memory artifacts, or the files of a folder. */
export type MemorySource = Uint8Array | TfjsArtifactsInput | ModelFiles;

export interface ConvertSourceOptions extends SourceOptions {
  /** Name used in messages when `source` is bytes or artifacts. */
  label?: string;
  /** For a single file given as bytes: the files beside it (a model.json's weight shards, a saved_model.pb's variables/). */
  files?: ModelFiles;
  /**
   * Concrete shapes of model inputs, by input name (whole shape, batch first): for inputs whose height, width or
   * length the model leaves unknown. Without one, each unknown dimension is written as 1 (and kept -1 in the
   * shape_signature). A shape must fit the input's rank and known dimensions (InputError otherwise).
   */
  inputShapes?: Record<string, number[]>;
}

export interface ConvertSummary {
  source: string;
  format: SourceFormat;
  /** The converter that ran: Keras layers, or the TensorFlow graph importer. */
  importer: 'keras' | 'graph';
  kerasVersion: string | null;
  /** TensorFlow version that wrote a SavedModel, when recorded. */
  tensorflowVersion: string | null;
  /** Keras layers (nested models flattened), or TensorFlow graph nodes converted, and how many of each class / op. */
  layers: number;
  layerClasses: Record<string, number>;
  /** Operators in the written graph, in execution order, and how many of each. */
  ops: number;
  opList: string[];
  opCounts: Record<string, number>;
  /** Weight elements stored in the file (constants, after folding). */
  params: number;
  sizeBytes: number;
  inputs: { name: string; shape: number[]; dtype: string }[];
  outputs: { name: string; shape: number[]; dtype: string }[];
  /** Where convert() wrote it (Node). */
  output?: string;
}

export interface ConvertResult {
  model: Model;
  bytes: Uint8Array;
  summary: ConvertSummary;
}

async function loadMemorySource(source: MemorySource, options: ConvertSourceOptions): Promise<LoadedSource> {
  if (isModelFiles(source)) return loadSourceFiles(source, options);
  if (!(source instanceof Uint8Array)) return loadSourceArtifacts(source, options.label ?? 'tfjs-artifacts', options);
  return loadSourceBytes(source, options.label ?? '<buffer>', options.files ?? null, options);
}

function tensorInfo(model: Model, i: number) {
  const t = model.subgraphs[0].tensors[i];
  return { name: t.name, shape: t.shapeSignature ?? t.shape, dtype: t.dtype };
}

/**
 * Read, convert and serialize. The source is untrusted: the importers check what they read, and a config value they
 * could not anticipate (a list where a number belongs, a shape of the wrong rank) that still breaks the converter
 * becomes a ModelFormatError naming the file, never a bare TypeError / RangeError.
 */
async function convertChecked(source: MemorySource, options: ConvertSourceOptions) {
  try {
    const inputShapes = checkInputShapes(options.inputShapes);
    const src = await loadMemorySource(source, options);
    if (src.kind === 'keras') {
      const { model, layerClasses, layerCount } = kerasToGraph(src.keras, { inputShapes });
      runPasses(model, FLOAT_CONVERSION_PASSES);
      return { src, model, layerClasses, layerCount, bytes: writeModel(model) };
    }
    const { model, opCounts, nodeCount } = frozenGraphToModel(src.frozen, { inputShapes });
    return { src, model, layerClasses: opCounts, layerCount: nodeCount, bytes: writeModel(model) };
  } catch (e) {
    if (e instanceof LitequantError) throw e;
    const label = options.label ?? (source instanceof Uint8Array ? '<buffer>' : isModelFiles(source) ? source.label : 'tfjs-artifacts');
    const what = e instanceof Error ? `${e.name}: ${e.message.split('\n')[0].slice(0, 200)}` : String(e);
    throw new ModelFormatError(`${label}: malformed model: its config or weights do not fit together (${what})`);
  }
}

/** Convert a model held in memory to a float TFLite model: the bytes convert() writes for the same model on disk. */
export async function convertSource(source: MemorySource, options: ConvertSourceOptions = {}): Promise<ConvertResult> {
  const { src, model, layerClasses, layerCount, bytes } = await convertChecked(source, options);
  return { model, bytes, summary: convertSummary(src, model, layerClasses, layerCount, bytes) };
}

/** What convert reports of a conversion. */
function convertSummary(src: LoadedSource, model: Model, layerClasses: Record<string, number>, layerCount: number, bytes: Uint8Array): ConvertSummary {
  const sg = model.subgraphs[0];
  // Ops and parameters of every subgraph: a loop body's ops and weights are the model's too.
  const operators = model.subgraphs.flatMap((g) => g.operators);
  const opCounts: Record<string, number> = {};
  for (const op of operators) opCounts[op.op] = (opCounts[op.op] ?? 0) + 1;
  let params = 0;
  for (const t of model.subgraphs.flatMap((g) => g.tensors)) if (t.data && (t.dtype === 'float32' || t.dtype === 'float16')) params += t.data.length / (t.dtype === 'float32' ? 4 : 2);
  return {
    source: src.kind === 'keras' ? src.keras.file : src.frozen.label, format: src.format, importer: src.kind,
    kerasVersion: src.kind === 'keras' ? src.keras.kerasVersion : null, tensorflowVersion: src.tfVersion ?? null,
    layers: layerCount, layerClasses,
    ops: operators.length, opList: operators.map((o) => o.op), opCounts,
    params, sizeBytes: bytes.length,
    inputs: sg.inputs.map((i) => tensorInfo(model, i)),
    outputs: sg.outputs.map((i) => tensorInfo(model, i)),
  };
}
