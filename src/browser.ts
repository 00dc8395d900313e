// litequant's library entry for browsers (and Web Workers): what the CLI does, on bytes the page holds. Nothing here
// reaches a file system, a process or Node's modules (the bundle check, scripts/check-browser-bundle.ts, holds it
// to that). Models come as bytes or as a folder's files (relative path -> bytes), datasets as in-memory sources;
// what the CLI writes to files (a .tflite, the report, a recipe) is returned as bytes or text.

import { readModel } from './format/reader.js';
import { writeModel } from './format/writer.js';
import { convertSource, type ConvertResult, type ConvertSourceOptions, type MemorySource } from './convert-core.js';
import { memoryModelFiles } from './importers/tf/memory-files.js';
import type { ModelFiles } from './importers/tf/types.js';
import { quantize, type QuantizeOptions, type QuantizeReport } from './quantize/index.js';
import type { Model } from './graph/model.js';
import { ModelFormatError } from './errors.js';

export * from './errors.js';
export type { Model, Subgraph, Tensor, Operator, Quantization, DType } from './graph/model.js';
export { readModel, verifyModel, type ReadOptions } from './format/reader.js';
export { writeModel } from './format/writer.js';
export { modelProblems, validateModel, type ModelProblem } from './graph/validate.js';
export { summarizeModel, tensorDetails, type ModelSummary, type TensorDetails } from './format/details.js';
export { inspectModelBytes, type InspectResult } from './format/inspect.js';
export { convertSource, type ConvertResult, type ConvertSummary, type ConvertSourceOptions, type MemorySource, type SourceFormat, type ImporterChoice } from './convert-core.js';
export { detectFormat } from './importers/sources.js';
export { memoryModelFiles } from './importers/tf/memory-files.js';
export type { ModelFiles } from './importers/tf/types.js';
export type { TfjsArtifactsInput } from './importers/keras/index.js';
export { quantize, DEFAULT_SAMPLES, algorithmNames, parseAlgorithmSpec, parseCalibrationMethod } from './quantize/index.js';
export type { QuantizeOptions, QuantizeReport, QuantizeMode, IOType, AlgorithmSpec, Progress } from './quantize/index.js';
export { parseRecipe, recipeToJson, recipeDocument, recipeOptions, RECIPE_FORMAT, RECIPE_VERSION } from './quantize/recipe-file.js';
export type { RecipeDocument, RecipeCalibration, RecipePreprocessing } from './quantize/recipe-file.js';
export { makeRecipe, MODES, IO_TYPES } from './quantize/recipe.js';
export { aeqFromJson, aeqScopes } from './quantize/aeq-recipe.js';
export { Interpreter } from './runtime/interpreter.js';
export { DEFAULT_MAX_MEMORY_BYTES } from './runtime/budget.js';
export { ready as wasmReady, kernelsUnavailableReason } from './runtime/wasm/index.js';
export { evaluate, formatEvaluation, loadModelSource, type EvaluateOptions, type EvaluationResult, type LoadedModel } from './evaluate/evaluate.js';
export { compare, formatComparison, type CompareOptions, type CompareProgress, type ComparisonResult, type LayerErrorReport } from './evaluate/compare.js';
export { renderReportHtml, comparisonFromEvaluation, type ReportOptions } from './evaluate/report-html.js';
export { openMemoryDataset, imageFolderEntries, type MemoryDatasetSource, type MemoryDatasetOptions } from './evaluate/datasets/memory.js';
export type { Dataset, DatasetOptions, Sample } from './evaluate/datasets/types.js';
export { decodeImageWeb } from './evaluate/datasets/decode-web.js';
export { parseNpy, parseNpz } from './evaluate/npy.js';
export { webThreadPlatform, useWebWorkers } from './parallel/web.js';
export { setThreadPlatform, type ThreadPlatform } from './parallel/pool.js';

const TFLITE_MAGIC = 'TFL3';

/** True when the bytes are a .tflite FlatBuffer (file identifier TFL3). */
export function isTfliteBytes(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && String.fromCharCode(...bytes.subarray(4, 8)) === TFLITE_MAGIC;
}

/** What a set of picked or dropped files holds: a .tflite, one model file, or a model folder (SavedModel, TF.js). */
export type PickedModel =
  | { kind: 'tflite'; label: string; bytes: Uint8Array }
  | { kind: 'file'; label: string; bytes: Uint8Array; files: ModelFiles }
  | { kind: 'folder'; label: string; files: ModelFiles };

const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

/** The files below `dir` (relative to it), as ModelFiles labelled `label`. */
function filesUnder(all: ReadonlyMap<string, Uint8Array>, dir: string, label: string): ModelFiles {
  const prefix = dir ? `${dir}/` : '';
  const sub = new Map<string, Uint8Array>();
  for (const [p, b] of all) if (p.startsWith(prefix)) sub.set(p.slice(prefix.length), b);
  return memoryModelFiles(label, sub);
}

/**
 * Finds the model among files (relative path -> bytes, '/'-separated, as a folder picker or a drop gives them):
 * a saved_model.pb (the SavedModel is its folder), a model.json (its shards beside it), or else the one file given.
 * `label` names it in messages (e.g. the folder's name).
 */
export function pickModel(files: ReadonlyMap<string, Uint8Array>, label = 'model'): PickedModel {
  const paths = [...files.keys()].map((p) => p.replace(/^\.?\/+/, ''));
  const norm = new Map([...files].map(([p, b]) => [p.replace(/^\.?\/+/, ''), b] as const));
  const shallowest = (name: string) => paths.filter((p) => p === name || p.endsWith(`/${name}`)).sort((a, b) => a.split('/').length - b.split('/').length)[0];
  const pb = shallowest('saved_model.pb');
  if (pb !== undefined) {
    const dir = dirOf(pb);
    return { kind: 'folder', label: dir ? `${label}/${dir}` : label, files: filesUnder(norm, dir, dir ? `${label}/${dir}` : label) };
  }
  const json = shallowest('model.json');
  if (json !== undefined) {
    const dir = dirOf(json);
    return { kind: 'folder', label: dir ? `${label}/${dir}` : label, files: filesUnder(norm, dir, dir ? `${label}/${dir}` : label) };
  }
  if (paths.length !== 1) {
    throw new ModelFormatError(`${label}: ${paths.length} files and no saved_model.pb or model.json among them: give one model file, or a SavedModel or TF.js folder`);
  }
  const bytes = norm.get(paths[0])!;
  if (isTfliteBytes(bytes)) return { kind: 'tflite', label: paths[0], bytes };
  return { kind: 'file', label: paths[0], bytes, files: filesUnder(norm, dirOf(paths[0]), label) };
}

/** A model ready to inspect, quantize or evaluate: the float .tflite the CLI would write (or the .tflite given). */
export interface OpenedModel {
  name: string;
  model: Model;
  bytes: Uint8Array;
  /** Present when the source was converted (Keras, TF.js, SavedModel, GraphDef): what convert reports. */
  conversion?: ConvertResult['summary'];
}

/**
 * Opens picked files as the CLI's commands open a model argument: a .tflite is read as it is (validity pass
 * included); anything else is converted to float first, to the same bytes `litequant convert` writes.
 */
export async function openModel(picked: PickedModel, options: Omit<ConvertSourceOptions, 'files' | 'label'> = {}): Promise<OpenedModel> {
  if (picked.kind === 'tflite') return { name: picked.label, model: readModel(picked.bytes, picked.label), bytes: picked.bytes };
  const source: MemorySource = picked.kind === 'folder' ? picked.files : picked.bytes;
  const r = await convertSource(source, { ...options, label: picked.label, ...(picked.kind === 'file' ? { files: picked.files } : {}) });
  return { name: picked.label, model: r.model, bytes: r.bytes, conversion: r.summary };
}

/** quantize() and the bytes of the written .tflite: what `litequant quantize -o` writes for the same options. */
export async function quantizeToBytes(model: Model, options: QuantizeOptions): Promise<{ model: Model; bytes: Uint8Array; report: QuantizeReport }> {
  const r = await quantize(model, options);
  return { ...r, bytes: writeModel(r.model) };
}
