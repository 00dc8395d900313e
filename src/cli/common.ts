// What several commands share: loading a model from any supported source, and the dataset flags.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { Model } from '../graph/model.js';
import { readModelFile } from '../format/index.js';
import { datasetOptionsFromFlags, type DatasetFlags, type DatasetOptions } from '../evaluate/datasets/index.js';
import { ModelFormatError, UsageError } from '../errors.js';
import { requireResolvedInputs } from '../importers/input-shapes.js';
import { isTflite, sourceOptions, type SourceFlags } from './source-flags.js';

/** Adds --threads N (parsed to a number); `note` says what runs on one thread regardless. */
export function addThreadsFlag(cmd: Command, what: string, note = ''): Command {
  return cmd.option('--threads <n>', `threads ${what} (default: the machine's cores, ${os.availableParallelism()} here)${note}`, parseThreads);
}

export function parseThreads(v: string): number {
  if (!/^\s*\d+\s*$/.test(v) || Number(v) < 1) throw new UsageError(`--threads takes a positive integer, got '${v}'`);
  return Number(v);
}

/**
 * What eval/compare take: a .tflite path as it is, or a Keras / TF.js model converted to float in memory (with the
 * source flags). Either is refused when an input's size is still unknown: running it at size 1 would be wrong.
 */
export async function evaluationSource(file: string, flags: SourceFlags = {}): Promise<string | { name: string; bytes: Uint8Array }> {
  if (isTflite(file)) {
    requireResolvedInputs(readModelFile(file), file, false);
    return file;
  }
  const { model, bytes } = await convertSource(file, flags);
  requireResolvedInputs(model, file, true);
  return { name: `${path.basename(file)} (converted to float)`, bytes };
}

/** A .tflite is read as it is; Keras and TF.js models are converted to float first (with the source flags). */
export async function loadSourceModel(file: string, flags: SourceFlags = {}): Promise<Model> {
  if (isTflite(file)) return readModelFile(file);
  return (await convertSource(file, flags)).model;
}

async function convertSource(file: string, flags: SourceFlags) {
  if (!fs.existsSync(file)) throw new ModelFormatError(`${file}: file not found`);
  const { convert } = await import('../convert.js');
  return convert(file, sourceOptions(flags));
}

export type { DatasetFlags };

/** Preprocessing flags shared by quantize (calibration data), eval and compare; parsed by datasetOptionsFromFlags. */
export function addDatasetFlags(cmd: Command, { limit = true, shuffle = true } = {}): Command {
  cmd.option('--scale <x>', 'multiply raw values by x, e.g. 1/255 (default 1/255 for image datasets, 1 for npy/csv)')
    .option('--offset <x>', 'add x after scaling')
    .option('--mean <m>', 'per-channel mean to subtract (comma-separated)')
    .option('--std <s>', 'per-channel std to divide by (comma-separated)')
    .option('--size <HxW>', 'resize images to HxW (default: the model input size)')
    .option('--channels <n>', 'image channels: 1 or 3')
    .option('--layout <layout>', 'NHWC (default) or NCHW')
    .option('--on-decode-error <what>', 'an image that fails to decode: fail (default) or skip');
  if (limit) cmd.option('--limit <n>', 'use only the first n samples');
  if (shuffle) cmd.option('--shuffle <seed>', 'seeded random order (with --limit/--samples: a random subset)');
  return cmd;
}

/** Dataset options from the flags, for a model with these input shapes and names. */
export function datasetOptions(flags: DatasetFlags, inputShapes: number[][], inputNames: string[]): DatasetOptions {
  return { ...datasetOptionsFromFlags(flags), inputShapes, inputNames };
}

/** Input shapes/names of a model's first subgraph. */
export function modelInputs(model: Model): { shapes: number[][]; names: string[] } {
  const sg = model.subgraphs[0];
  return { shapes: sg.inputs.map((i) => sg.tensors[i].shape), names: sg.inputs.map((i) => sg.tensors[i].name) };
}
