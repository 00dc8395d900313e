// Extension points of the PTQ bench: rows that come from other parts of the library. The bench calls every
// provider below for every model, after its own rows, and prints what they return in the same table.

import type { Model } from '../../src/graph/model.js';
import type { BenchModel, BenchSplits } from './models.js';

/** What a provider gets for one model: the float model, its data roles and the bench's measuring tools. */
export interface BenchContext {
  bench: BenchModel;
  /** The float model (converted from its source). */
  float: Model;
  /** The splits in use (--quick shortens validation). */
  splits: BenchSplits;
  /** The calibration samples (one Float32Array per model input), first `bench.calibrationSamples` of the range. */
  calibration: Float32Array[][];
  /** The calibration method the bench found best on validation among the existing ones (e.g. 'mse'). */
  bestCalibration: string;
  /** Measures a quantized model on validation and test exactly as the bench's own rows (size, drops, agreement). */
  measure(label: string, model: Model, notes?: string): Promise<BenchRowResult>;
}

export interface BenchRowResult {
  config: string;
  bytes: number;
  validationAcc: number;
  testAcc: number;
  /** Float minus quantized test accuracy, in points, and 2 paired standard errors of it. */
  testDrop: number;
  testDrop2se: number;
  /** Share of test images where the quantized top-1 equals the float top-1. */
  agreement: number;
  notes?: string;
}

export type BenchRowProvider = (ctx: BenchContext) => Promise<BenchRowResult[]>;

/**
 * The automatic mode (`autoQuantize` with --max-drop on the validation split, then its test figure) and the fixed
 * reference grid (full int8; int8 with the k = 1..3 worst layers in float; 16x8; dynamic; float16) it is judged
 * against. Not wired yet: returns no rows.
 */
export const automaticModeRows: BenchRowProvider = async () => [];

/** Every provider the bench runs, in order. */
export const EXTRA_ROW_PROVIDERS: readonly { name: string; rows: BenchRowProvider }[] = [
  { name: 'automatic mode and reference grid', rows: automaticModeRows },
];
