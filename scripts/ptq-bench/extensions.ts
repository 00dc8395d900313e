// Extension points of the PTQ bench: rows that come from other parts of the library. The bench calls every
// provider below for every model, after its own rows, and prints what they return in the same table.

import type { Model } from '../../src/graph/model.js';
import type { BenchModel, BenchSplits } from './models.js';
import { autoQuantize, referenceGrid } from '../../src/auto/index.js';
import { openDataset } from '../../src/evaluate/datasets/index.js';
import { quantize } from '../../src/quantize/index.js';

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
  /** A model in the official runtime against ours on 20 test samples, bit for bit (e.g. '20/20 samples bit-exact ...'). */
  officialCheck(model: Model): Promise<string>;
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

/** The allowed validation drop the automatic rows search for, in points (the acceptance target). */
export const MAX_DROP_POINTS = 0.2;

/**
 * The automatic mode (`autoQuantize` with --max-drop 0.2 on the validation split; its chosen model measured on test
 * like every other row) and the fixed reference grid (full int8; int8 with the k = 1..3 worst layers in float;
 * 16x8; dynamic; float16), whose smallest model meeting the target on validation the choice must not exceed.
 */
export const automaticModeRows: BenchRowProvider = async (ctx) => {
  const shapes = ctx.float.subgraphs[0].inputs.map((t) => ctx.float.subgraphs[0].tensors[t].shape);
  const options = {
    maxDropPoints: MAX_DROP_POINTS, calibration: ctx.calibration, samples: ctx.bench.calibrationSamples, threads: 1,
    validation: await openDataset(ctx.splits.validation, { inputShapes: shapes }),
  };
  const rows: BenchRowResult[] = [];
  const grid = await referenceGrid(ctx.float, options);
  const smallest = grid.smallest_meeting;
  const gridNote = smallest ? `smallest grid model meeting ${MAX_DROP_POINTS} on validation: ${smallest.name}, ${smallest.file_bytes} B`
    : `no grid model meets ${MAX_DROP_POINTS} on validation`;
  const auto = await autoQuantize(ctx.float, options);
  if (auto.model) {
    const chosen = auto.candidates.find((c) => c.chosen)!;
    const bytes = chosen.file_bytes!;
    const verdict = smallest ? (bytes <= smallest.file_bytes! ? 'no larger than the grid' : 'LARGER than the grid') : 'grid has none';
    rows.push(await ctx.measure(`auto --max-drop ${MAX_DROP_POINTS}: ${chosen.name}`, auto.model,
      `validation delta ${(100 * chosen.delta_top1!).toFixed(2)} pts; ${auto.candidates.filter((c) => c.top1 !== null).length} candidates evaluated; ${gridNote}; ${verdict}; ${await ctx.officialCheck(auto.model)}`));
  } else {
    rows.push({ config: `auto --max-drop ${MAX_DROP_POINTS}: none meets the target`, bytes: 0, validationAcc: NaN, testAcc: NaN,
      testDrop: NaN, testDrop2se: NaN, agreement: NaN, notes: gridNote });
  }
  const integerOnly = await autoQuantize(ctx.float, { ...options, integerOnly: true });
  if (integerOnly.model) {
    const chosen = integerOnly.candidates.find((c) => c.chosen)!;
    rows.push(await ctx.measure(`auto --max-drop ${MAX_DROP_POINTS} --integer-only: ${chosen.name}`, integerOnly.model,
      `validation delta ${(100 * chosen.delta_top1!).toFixed(2)} pts; ${await ctx.officialCheck(integerOnly.model)}`));
  } else {
    rows.push({ config: `auto --max-drop ${MAX_DROP_POINTS} --integer-only: none meets the target`, bytes: 0, validationAcc: NaN, testAcc: NaN,
      testDrop: NaN, testDrop2se: NaN, agreement: NaN });
  }
  // The grid's int8 rows with layers in float, measured on test too (the full-model rows are the bench's own).
  for (const r of grid.rows) {
    if (!r.name.includes('in float') || !r.file_bytes) continue;
    const q = await quantize(ctx.float, { ...r.options, representativeDataset: ctx.calibration, samples: ctx.bench.calibrationSamples, threads: 1 });
    rows.push(await ctx.measure(`grid: ${r.name}`, q.model, `validation delta ${(100 * r.delta_top1!).toFixed(2)} pts${r.meets ? ', meets' : ''}`));
  }
  return rows;
};

/** Every provider the bench runs, in order. */
export const EXTRA_ROW_PROVIDERS: readonly { name: string; rows: BenchRowProvider }[] = [
  { name: 'automatic mode and reference grid', rows: automaticModeRows },
];
