// Library entry for conversion: Keras .h5 / .keras, TF.js Layers and graph models, TensorFlow SavedModels and frozen
// GraphDefs -> float TFLite, like TensorFlow's TFLiteConverter (batch norm folded, activations fused, float weights).
// This is the Node side (paths, writing the output); convert-core.ts converts what is in memory, in browsers too.

import fs from 'node:fs';
import path from 'node:path';
import { ModelFormatError } from './errors.js';
import { writeFileAtomic } from './util/atomic-write.js';
import { checkOutputs } from './util/in-place.js';
import { sourceFiles } from './importers/source-files.js';
import type { TfjsArtifactsInput } from './importers/keras/index.js';
import { directoryModelFiles } from './importers/tf/node-files.js';
import type { ModelFiles } from './importers/tf/types.js';
import { convertSource, type ConvertResult, type ConvertSourceOptions, type MemorySource } from './convert-core.js';
import { readFileChecked } from './util/read-file.js';

export type { ImporterChoice, SourceFormat, SourceOptions } from './importers/sources.js';
export type { ConvertResult, ConvertSummary } from './convert-core.js';

/** A model path (file or SavedModel directory), its bytes, TF.js in-memory artifacts, or a folder's files. */
export type ConvertSource = string | Uint8Array | TfjsArtifactsInput | ModelFiles;

export interface ConvertOptions extends Omit<ConvertSourceOptions, 'files'> {
  /** Write the .tflite here (atomically: nothing is left behind on failure). */
  output?: string;
  /** For model.json given as bytes: where its weight shards are (default: the current directory). */
  baseDir?: string;
}

/** A path becomes the bytes or folder it names, with the files beside it; bytes read their siblings from baseDir. */
function memorySource(source: ConvertSource, options: ConvertOptions): { source: MemorySource; options: ConvertSourceOptions } {
  const { output: _output, baseDir, ...rest } = options;
  if (typeof source !== 'string') {
    if (!(source instanceof Uint8Array)) return { source, options: rest };
    return { source, options: { ...rest, files: directoryModelFiles(baseDir ?? process.cwd()) } };
  }
  const label = options.label ?? source;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelFormatError(code === 'ENOENT' ? `${label}: file not found` : `${label}: cannot read (${code ?? (e as Error).message})`);
  }
  if (stat.isDirectory()) return { source: directoryModelFiles(source), options: { ...rest, label } };
  const bytes = readFileChecked(source, { error: ModelFormatError, label, kind: 'a model file' });
  return { source: bytes, options: { ...rest, label, files: directoryModelFiles(path.dirname(source)) } };
}

/** Convert a Keras, TF.js or TensorFlow model to a float TFLite model (and write it when `options.output` is set). */
export async function convert(source: ConvertSource, options: ConvertOptions = {}): Promise<ConvertResult> {
  if (options.output) {
    // The source is never replaced; an unwritable output fails before the conversion.
    const inputs = typeof source === 'string' ? sourceFiles(source).map((file) => ({ role: 'the source', file })) : [];
    checkOutputs([{ role: 'output', file: options.output }], inputs);
  }
  const memory = memorySource(source, options);
  const result = await convertSource(memory.source, memory.options);
  if (options.output) {
    await writeFileAtomic(options.output, result.bytes);
    result.summary.output = options.output;
  }
  return result;
}
