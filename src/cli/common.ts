// What several commands share: loading a model from any supported source, and the dataset flags.

import fs from 'node:fs';
import type { Command } from 'commander';
import type { Model } from '../graph/model.js';
import { readModelFile } from '../format/index.js';
import type { DatasetOptions } from '../evaluate/datasets/index.js';
import { ModelFormatError, UsageError } from '../errors.js';

/** A .tflite is read as it is; Keras and TF.js models are converted to float first. */
export async function loadSourceModel(file: string): Promise<Model> {
  if (file.toLowerCase().endsWith('.tflite')) return readModelFile(file);
  if (!fs.existsSync(file)) throw new ModelFormatError(`${file}: file not found`);
  const { convert } = await import('../convert.js');
  return (await convert(file)).model;
}

export interface DatasetFlags {
  scale?: number;
  offset?: number;
  mean?: number[];
  std?: number[];
  size?: string;
  channels?: number;
  layout?: string;
  limit?: number;
  shuffle?: number;
  skipBadImages?: boolean;
}

const number = (name: string) => (v: string) => {
  const x = Number(v);
  if (!Number.isFinite(x)) throw new UsageError(`${name} takes a number, got '${v}'`);
  return x;
};
const numberList = (name: string) => (v: string) => v.split(',').map(number(name));

/** Preprocessing flags shared by quantize (calibration data), eval and compare. */
export function addDatasetFlags(cmd: Command, { limit = true, shuffle = true } = {}): Command {
  cmd.option('--scale <x>', 'multiply raw values by x (default 1/255 for image datasets, 1 for npy/csv)', number('--scale'))
    .option('--offset <x>', 'add x after scaling', number('--offset'))
    .option('--mean <m>', 'per-channel mean to subtract (comma-separated)', numberList('--mean'))
    .option('--std <s>', 'per-channel std to divide by (comma-separated)', numberList('--std'))
    .option('--size <HxW>', 'resize images to HxW (default: the model input size)')
    .option('--channels <n>', 'image channels: 1 or 3', number('--channels'))
    .option('--layout <layout>', 'NHWC (default) or NCHW')
    .option('--skip-bad-images', 'skip images that fail to decode (default: stop with an error)');
  if (limit) cmd.option('--limit <n>', 'use only the first n samples', number('--limit'));
  if (shuffle) cmd.option('--shuffle <seed>', 'seeded random order (with --limit/--samples: a random subset)', number('--shuffle'));
  return cmd;
}

export function datasetOptions(flags: DatasetFlags, inputShapes: number[][], inputNames: string[]): DatasetOptions {
  let size: [number, number] | undefined;
  if (flags.size !== undefined) {
    const m = /^(\d+)x(\d+)$/i.exec(flags.size);
    if (!m) throw new UsageError(`--size takes HxW, e.g. 28x28; got '${flags.size}'`);
    size = [Number(m[1]), Number(m[2])];
  }
  if (flags.channels !== undefined && flags.channels !== 1 && flags.channels !== 3) throw new UsageError('--channels takes 1 or 3');
  if (flags.layout !== undefined && flags.layout !== 'NHWC' && flags.layout !== 'NCHW') throw new UsageError('--layout takes NHWC or NCHW');
  return {
    inputShapes, inputNames, scale: flags.scale, offset: flags.offset, mean: flags.mean, std: flags.std, size,
    channels: flags.channels as 1 | 3 | undefined, layout: flags.layout as DatasetOptions['layout'],
    limit: flags.limit, shuffle: flags.shuffle, onDecodeError: flags.skipBadImages ? 'skip' : 'fail',
  };
}

/** Input shapes/names of a model's first subgraph. */
export function modelInputs(model: Model): { shapes: number[][]; names: string[] } {
  const sg = model.subgraphs[0];
  return { shapes: sg.inputs.map((i) => sg.tensors[i].shape), names: sg.inputs.map((i) => sg.tensors[i].name) };
}
