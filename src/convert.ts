// Library entry for conversion: Keras .h5 / .keras and TF.js Layers models -> float TFLite, like
// TensorFlow's TFLiteConverter.from_keras_model (BatchNormalization folded, activations fused, float weights).

import fs from 'node:fs';
import path from 'node:path';
import { LitequantError, ModelFormatError, UnsupportedError } from './errors.js';
import { writeModel, writeModelFile } from './format/index.js';
import type { Model } from './graph/model.js';
import { FLOAT_CONVERSION_PASSES, runPasses } from './graph/passes/index.js';
import {
  importKerasH5, importKerasZip, importTfjsArtifacts, importTfjsModelJson, kerasToGraph,
  type KerasSource, type TfjsArtifactsInput,
} from './importers/keras/index.js';
import { checkInputShapes } from './importers/input-shapes.js';

export type SourceFormat = 'keras-h5' | 'keras-zip' | 'tfjs-layers';

/** A model path, its bytes, or TF.js in-memory artifacts `{modelTopology, weightSpecs, weightData}`. */
export type ConvertSource = string | Uint8Array | TfjsArtifactsInput;

export interface ConvertOptions {
  /** Write the .tflite here (atomically: nothing is left behind on failure). */
  output?: string;
  /** Force the source format instead of detecting it from the bytes. */
  format?: SourceFormat;
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
  format: KerasSource['format'];
  kerasVersion: string | null;
  /** Keras layers in the source (nested models flattened) and how many of each class. */
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

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function detectFormat(bytes: Uint8Array, label: string): SourceFormat {
  if (HDF5_MAGIC.every((b, i) => bytes[i] === b)) return 'keras-h5';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return 'keras-zip';
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09 || bytes[i] === 0xef || bytes[i] === 0xbb || bytes[i] === 0xbf)) i++;
  if (bytes[i] === 0x7b) return 'tfjs-layers';
  if (bytes.length >= 8 && String.fromCharCode(...bytes.subarray(4, 8)) === 'TFL3') {
    throw new UnsupportedError(`${label}: already a .tflite model; convert takes Keras .h5 / .keras or TF.js model.json`);
  }
  throw new ModelFormatError(`${label}: not a Keras .h5 (HDF5), .keras (zip) or TF.js model.json file`);
}

async function loadSource(source: ConvertSource, options: ConvertOptions): Promise<KerasSource> {
  if (typeof source === 'object' && !(source instanceof Uint8Array)) {
    return importTfjsArtifacts(source, options.label ?? 'tfjs-artifacts');
  }
  let bytes: Uint8Array;
  let label: string;
  let baseDir: string;
  if (typeof source === 'string') {
    label = options.label ?? source;
    baseDir = path.dirname(path.resolve(source));
    try {
      bytes = new Uint8Array(fs.readFileSync(source));
    } catch (e) {
      throw new ModelFormatError(`${label}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  } else {
    bytes = source;
    label = options.label ?? '<buffer>';
    baseDir = options.baseDir ?? process.cwd();
  }
  if (bytes.length === 0) throw new ModelFormatError(`${label}: empty file`);
  const format = options.format ?? detectFormat(bytes, label);
  switch (format) {
    case 'keras-h5': return importKerasH5(bytes, label);
    case 'keras-zip': return importKerasZip(bytes, label);
    case 'tfjs-layers': {
      let json: any;
      try {
        json = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        throw new ModelFormatError(`${label}: not valid JSON`);
      }
      return importTfjsModelJson({
        modelJson: json,
        readShard: (rel) => new Uint8Array(fs.readFileSync(path.resolve(baseDir, rel))),
      }, label);
    }
  }
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
    const { model, layerClasses, layerCount } = kerasToGraph(src, { inputShapes });
    runPasses(model, FLOAT_CONVERSION_PASSES);
    const bytes = writeModel(model);
    return { src, model, layerClasses, layerCount, bytes };
  } catch (e) {
    if (e instanceof LitequantError) throw e;
    const label = options.label ?? (typeof source === 'string' ? source : source instanceof Uint8Array ? '<buffer>' : 'tfjs-artifacts');
    const what = e instanceof Error ? `${e.name}: ${e.message.split('\n')[0].slice(0, 200)}` : String(e);
    throw new ModelFormatError(`${label}: malformed model: its config or weights do not fit together (${what})`);
  }
}

/** Convert a Keras / TF.js Layers model to a float TFLite model (and write it when `options.output` is set). */
export async function convert(source: ConvertSource, options: ConvertOptions = {}): Promise<ConvertResult> {
  const { src, model, layerClasses, layerCount, bytes } = await convertChecked(source, options);
  if (options.output) writeModelFile(options.output, model);
  const sg = model.subgraphs[0];
  const opCounts: Record<string, number> = {};
  for (const op of sg.operators) opCounts[op.op] = (opCounts[op.op] ?? 0) + 1;
  let params = 0;
  for (const t of sg.tensors) if (t.data && (t.dtype === 'float32' || t.dtype === 'float16')) params += t.data.length / (t.dtype === 'float32' ? 4 : 2);
  return {
    model,
    bytes,
    summary: {
      source: src.file, format: src.format, kerasVersion: src.kerasVersion,
      layers: layerCount, layerClasses,
      ops: sg.operators.length, opList: sg.operators.map((o) => o.op), opCounts,
      params, sizeBytes: bytes.length,
      inputs: sg.inputs.map((i) => tensorInfo(model, i)),
      outputs: sg.outputs.map((i) => tensorInfo(model, i)),
      ...(options.output ? { output: options.output } : {}),
    },
  };
}
