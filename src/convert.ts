// Library entry for conversion: Keras .h5 / .keras, TF.js Layers and graph models, TensorFlow SavedModels and frozen
// GraphDefs -> float TFLite, like TensorFlow's TFLiteConverter (batch norm folded, activations fused, float weights).

import fs from 'node:fs';
import path from 'node:path';
import { LitequantError, ModelFormatError, UnsupportedError } from './errors.js';
import { writeModel } from './format/index.js';
import { writeFileAtomic } from './util/atomic-write.js';
import { checkOutputs } from './util/in-place.js';
import { sourceFiles } from './importers/source-files.js';
import type { Model } from './graph/model.js';
import { FLOAT_CONVERSION_PASSES, runPasses } from './graph/passes/index.js';
import { kerasToGraph, type TfjsArtifactsInput } from './importers/keras/index.js';
import { isModelFiles, loadSourceArtifacts, loadSourceBytes, loadSourceFiles, type LoadedSource, type SourceFormat, type SourceOptions } from './importers/sources.js';
import { frozenGraphToModel } from './importers/tf/import-graph.js';
import { directoryModelFiles } from './importers/tf/node-files.js';
import type { ModelFiles } from './importers/tf/types.js';

export type { ImporterChoice, SourceFormat, SourceOptions } from './importers/sources.js';
import { checkInputShapes } from './importers/input-shapes.js';
import { readFileChecked } from './util/read-file.js';

/** A model path (file or SavedModel directory), its bytes, TF.js in-memory artifacts, or a folder's files. */
export type ConvertSource = string | Uint8Array | TfjsArtifactsInput | ModelFiles;

export interface ConvertOptions extends SourceOptions {
  /** Write the .tflite here (atomically: nothing is left behind on failure). */
  output?: string;
  /** Name used in messages when `source` is bytes or artifacts. */
  label?: string;
  /** For model.json given as bytes: where its weight shards are (default: the current directory). */
  baseDir?: string;
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
  output?: string;
}

export interface ConvertResult {
  model: Model;
  bytes: Uint8Array;
  summary: ConvertSummary;
}

async function loadSource(source: ConvertSource, options: ConvertOptions): Promise<LoadedSource> {
  if (isModelFiles(source)) return loadSourceFiles(source, options);
  if (typeof source === 'object' && !(source instanceof Uint8Array)) {
    return loadSourceArtifacts(source, options.label ?? 'tfjs-artifacts', options);
  }
  if (typeof source === 'string') {
    const label = options.label ?? source;
    let stat: fs.Stats;
    try {
      stat = fs.statSync(source);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ModelFormatError(code === 'ENOENT' ? `${label}: file not found` : `${label}: cannot read (${code ?? (e as Error).message})`);
    }
    if (stat.isDirectory()) return loadSourceFiles(directoryModelFiles(source), options);
    const bytes = readFileChecked(source, { error: ModelFormatError, label, kind: 'a model file' });
    return loadSourceBytes(bytes, label, directoryModelFiles(path.dirname(source)), options);
  }
  const label = options.label ?? '<buffer>';
  return loadSourceBytes(source, label, directoryModelFiles(options.baseDir ?? process.cwd()), options);
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
async function convertChecked(source: ConvertSource, options: ConvertOptions) {
  try {
    const inputShapes = checkInputShapes(options.inputShapes);
    const src = await loadSource(source, options);
    if (src.kind === 'keras') {
      const { model, layerClasses, layerCount } = kerasToGraph(src.keras, { inputShapes });
      runPasses(model, FLOAT_CONVERSION_PASSES);
      return { src, model, layerClasses, layerCount, bytes: writeModel(model) };
    }
    const { model, opCounts, nodeCount } = frozenGraphToModel(src.frozen, { inputShapes });
    return { src, model, layerClasses: opCounts, layerCount: nodeCount, bytes: writeModel(model) };
  } catch (e) {
    if (e instanceof LitequantError) throw e;
    const label = options.label ?? (typeof source === 'string' ? source : source instanceof Uint8Array ? '<buffer>' : 'tfjs-artifacts');
    const what = e instanceof Error ? `${e.name}: ${e.message.split('\n')[0].slice(0, 200)}` : String(e);
    throw new ModelFormatError(`${label}: malformed model: its config or weights do not fit together (${what})`);
  }
}

/** Convert a Keras, TF.js or TensorFlow model to a float TFLite model (and write it when `options.output` is set). */
export async function convert(source: ConvertSource, options: ConvertOptions = {}): Promise<ConvertResult> {
  if (options.output) {
    // The source is never replaced; an unwritable output fails before the conversion.
    const inputs = typeof source === 'string' ? sourceFiles(source).map((file) => ({ role: 'the source', file })) : [];
    checkOutputs([{ role: 'output', file: options.output }], inputs);
  }
  const { src, model, layerClasses, layerCount, bytes } = await convertChecked(source, options);
  if (options.output) await writeFileAtomic(options.output, bytes);
  const sg = model.subgraphs[0];
  // Ops and parameters of every subgraph: a loop body's ops and weights are the model's too.
  const operators = model.subgraphs.flatMap((g) => g.operators);
  const opCounts: Record<string, number> = {};
  for (const op of operators) opCounts[op.op] = (opCounts[op.op] ?? 0) + 1;
  let params = 0;
  for (const t of model.subgraphs.flatMap((g) => g.tensors)) if (t.data && (t.dtype === 'float32' || t.dtype === 'float16')) params += t.data.length / (t.dtype === 'float32' ? 4 : 2);
  return {
    model,
    bytes,
    summary: {
      source: src.kind === 'keras' ? src.keras.file : src.frozen.label, format: src.format, importer: src.kind,
      kerasVersion: src.kind === 'keras' ? src.keras.kerasVersion : null, tensorflowVersion: src.tfVersion ?? null,
      layers: layerCount, layerClasses,
      ops: operators.length, opList: operators.map((o) => o.op), opCounts,
      params, sizeBytes: bytes.length,
      inputs: sg.inputs.map((i) => tensorInfo(model, i)),
      outputs: sg.outputs.map((i) => tensorInfo(model, i)),
      ...(options.output ? { output: options.output } : {}),
    },
  };
}
