// What several commands share: loading a model from any supported source, and the dataset flags.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { Model } from '../graph/model.js';
import { readModelFile } from '../format/index.js';
import type { DatasetOptions } from '../evaluate/datasets/index.js';
import { DATASET_FLAG_PARSERS, datasetFiles, type DatasetFlagValues } from '../evaluate/datasets/spec.js';
import { sourceFiles } from '../importers/source-files.js';
import type { RolePath } from '../util/in-place.js';
import { ModelFormatError } from '../errors.js';
import { isTflite, sourceOptions, type SourceFlags } from './source-flags.js';
import { datasetFlag, positiveInt } from './flags.js';

/** Adds --threads N (parsed to a number); `note` says what runs on one thread regardless. */
export function addThreadsFlag(cmd: Command, what: string, note = ''): Command {
  return cmd.option('--threads <n>', `threads ${what} (default: the machine's cores, ${os.availableParallelism()} here)${note}`, positiveInt('--threads'));
}

/**
 * What eval/compare take: a .tflite path as it is, or a Keras / TF.js model converted to float in memory (with the
 * source flags). A model whose input size is unknown runs at the dataset's size (evaluate's sizeToDataset).
 */
export async function evaluationSource(file: string, flags: SourceFlags = {}): Promise<string | { name: string; bytes: Uint8Array }> {
  if (isTflite(file)) return file;
  const { bytes } = await convertSource(file, flags);
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

/** The dataset flags, parsed (by the flags' argParsers). */
export type DatasetFlags = DatasetFlagValues;

/** Preprocessing flags shared by quantize (calibration data), eval and compare; each parsed by its argParser. */
export function addDatasetFlags(cmd: Command, { limit = true, shuffle = true } = {}): Command {
  cmd.option('--scale <x>', 'multiply raw values by x, e.g. 1/255 (default 1/255 for image datasets, 1 for npy/csv)', datasetFlag('--scale', 'scale'))
    .option('--offset <x>', 'add x after scaling', datasetFlag('--offset', 'offset'))
    .option('--mean <m>', 'per-channel mean to subtract (comma-separated)', datasetFlag('--mean', 'mean'))
    .option('--std <s>', 'per-channel std to divide by (comma-separated)', datasetFlag('--std', 'std'))
    .option('--size <HxW>', 'resize images to HxW (default: the model input size)', datasetFlag('--size', 'size'))
    .option('--channels <n>', 'image channels: 1 or 3', datasetFlag('--channels', 'channels'))
    .option('--layout <layout>', 'NHWC (default) or NCHW', datasetFlag('--layout', 'layout'))
    .option('--on-decode-error <what>', 'an image that fails to decode: fail (default) or skip', datasetFlag('--on-decode-error', 'onDecodeError'));
  if (limit) cmd.option('--limit <n>', 'use only the first n samples', datasetFlag('--limit', 'limit'));
  if (shuffle) cmd.option('--shuffle <seed>', 'seeded random order (with --limit/--samples: a random subset)', datasetFlag('--shuffle', 'shuffle'));
  return cmd;
}

/** The dataset options among a command's parsed flags. */
export function datasetFlagValues(flags: DatasetFlags): DatasetFlagValues {
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(DATASET_FLAG_PARSERS)) {
    const v = (flags as Record<string, unknown>)[k];
    if (v !== undefined) o[k] = v;
  }
  return o as DatasetFlagValues;
}

/** Dataset options from the flags, for a model with these input shapes and names. */
export function datasetOptions(flags: DatasetFlags, inputShapes: number[][], inputNames: string[]): DatasetOptions {
  return { ...datasetFlagValues(flags), inputShapes, inputNames };
}

/** Input shapes/names of a model's first subgraph. */
export function modelInputs(model: Model): { shapes: number[][]; names: string[] } {
  const sg = model.subgraphs[0];
  return { shapes: sg.inputs.map((i) => sg.tensors[i].shape), names: sg.inputs.map((i) => sg.tensors[i].name) };
}

/** The files a model source is read from, named for messages ('the input model m.h5', 'part of ...'). */
export function modelInputPaths(role: string, source: string): RolePath[] {
  return sourceFiles(source).map((file, i) => ({ role: i === 0 ? role : `part of ${role} ${source}:`, file }));
}

/** The files a dataset spec reads, named for messages. */
export function datasetInputPaths(role: string, spec: string | undefined): RolePath[] {
  return spec === undefined ? [] : datasetFiles(spec).map((file) => ({ role, file }));
}
