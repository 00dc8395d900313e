// What a dataset is to calibration and evaluation, apart from where its samples come from (files in Node: index.ts;
// bytes in memory, e.g. in a browser: memory.ts).

import type { PlanOptions } from './prepare.js';

export interface Sample {
  /** One flat Float32Array per model input. */
  inputs: Float32Array[];
  label?: number;
  id: string;
}

export interface Dataset extends AsyncIterable<Sample> {
  readonly spec: string;
  /** Samples one pass yields (after limit); image files that fail to decode with onDecodeError 'skip' yield none. */
  readonly size: number;
  readonly numClasses?: number;
  /** Per-sample shape of input 0, without batch. */
  readonly sampleShape: number[];
  readonly classNames?: string[];
  /** Image files skipped so far because they failed to decode (onDecodeError 'skip'). */
  readonly skipped?: number;
}

/** How samples become model inputs (scale, offset, mean/std, size, channels, layout: see prepare.ts) and which samples. */
export interface DatasetOptions extends PlanOptions {
  /** Model input shapes including batch, to reshape/resize/check against. */
  inputShapes?: number[][];
  inputNames?: string[];
  limit?: number;
  /** Seed of a deterministic shuffle (applied within the spec's range, before limit: limit takes a random subset). */
  shuffle?: number;
  /** What to do with an image file that fails to decode; default 'fail'. */
  onDecodeError?: 'skip' | 'fail';
  /**
   * The model's number of classes (scores of its output): a label at or above it is an error naming the sample,
   * found when the dataset is opened, before anything is sized by labels.
   */
  classCount?: number;
}
