// Post-training quantization, as TFLiteConverter does it with Optimize.DEFAULT (dynamic range), float16,
// a representative dataset + TFLITE_BUILTINS_INT8 (full int8, int8/uint8/float I/O) and the 16x8 mode.
// quantize() validates everything first, calibrates (full-integer modes), rewrites, and reports what it did.
// The CLI (`litequant quantize`) is a thin wrapper: its flags are these options.

import type { Model } from '../graph/model.js';
import { DatasetError, UnsupportedError, UsageError } from '../errors.js';
import { describeMethod } from './observers.js';
import type { IOType, QuantizeMode, Recipe, RecipeOptions } from './recipe.js';
import { makeRecipe, needsCalibration } from './recipe.js';
import type { Progress, RepresentativeDataset } from './calibrate.js';
import { calibrate, collectSamples, inputSizes, MAX_CALIBRATED_SUBGRAPHS } from './calibrate.js';
import type { OpSummary } from './rewrite.js';
import { checkQuantizableConstants, rewriteDynamic, rewriteFloat16, rewriteFullInteger } from './rewrite.js';
import type { NumericAdjustment } from './numerics.js';
import { checkThreads } from '../parallel/pool.js';
import { validateModel } from '../graph/validate.js';
import { densifyModel } from '../graph/sparsity.js';
import { checkMemoryLimit, formatByteSize, MemoryBudget } from '../runtime/budget.js';
import type { AlgorithmContext, PtqAlgorithm, WeightRounder } from './algorithms/index.js';
import { makeAlgorithms } from './algorithms/index.js';
import './algorithms/registry.js';

export type { QuantizeMode, IOType, Recipe } from './recipe.js';
export type { ScopeRule, ScopePrecision, WeightGranularity } from './scopes.js';
export type { AlgorithmSpec, PtqAlgorithm } from './algorithms/index.js';
export { algorithmNames, parseAlgorithmSpec } from './algorithms/index.js';
export type { RepresentativeDataset, Progress } from './calibrate.js';
export type { OpSummary } from './rewrite.js';
export type { NumericAdjustment, NumericAction } from './numerics.js';
export { parseCalibrationMethod } from './observers.js';

/** The recipe's options (mode, I/O types, per-tensor/per-channel, calibration method, exclusions, strict) and the data. */
export interface QuantizeOptions extends RecipeOptions {
  /** (Async) iterable of samples: one array per model input (or { inputs }), like TF's representative_dataset. */
  representativeDataset?: RepresentativeDataset;
  /** How many samples calibrate (default: up to 100, the seed's .take(100); a shorter dataset is used whole). */
  samples?: number;
  /** Pick a seeded random `samples` from the whole dataset instead of the first ones. */
  shuffleSeed?: number;
  /** Threads calibration spreads the samples over (default: the machine's cores); the file is the same for any number. */
  threads?: number;
  /** Most bytes the calibration interpreter may hold (InterpreterOptions.maxMemoryBytes; default 2 GiB). */
  maxMemoryBytes?: number;
  /** Names the model (its file) in calibration errors. */
  modelLabel?: string;
  onProgress?: (p: Progress) => void;
  /** The model's file name, for error messages. */
  modelName?: string;
}

export interface QuantizeReport {
  mode: QuantizeMode;
  inputType: IOType;
  outputType: IOType;
  /** `threads`: what calibration ran on (the file does not depend on it). */
  calibration: { samples: number; method: string; threads: number } | null;
  quantizedOps: OpSummary[];
  /** Ops left in float (with the reason); in full-integer modes each is also a warning. */
  floatOps: OpSummary[];
  warnings: string[];
  /** QUANTIZE / DEQUANTIZE nodes added. */
  conversionOps: number;
  /**
   * Values a quantized file cannot hold as they were, and what was done, as TFLite's converter does it (README,
   * "Numbers a quantized file cannot hold"): float16 values beyond +-65504 clamped, ranges narrower than 1e-6
   * widened, weight scales raised for a large bias, LSTM cell ranges capped. Inf/NaN constants are refused instead.
   */
  adjustments: NumericAdjustment[];
  /** What each PTQ algorithm of the recipe did, one line each. */
  algorithms: string[];
  /** What the model description records. */
  description: string;
}

export const DEFAULT_SAMPLES = 100;

/** Quantize a float model. Throws UsageError / DatasetError / InputError before any work when the request is wrong. */
export async function quantize(model: Model, options: QuantizeOptions): Promise<{ model: Model; report: QuantizeReport }> {
  const recipe: Recipe = makeRecipe(options);
  const algorithms: PtqAlgorithm[] = makeAlgorithms(recipe.algorithms);
  checkThreads(options.threads);
  const samples = options.samples ?? DEFAULT_SAMPLES;
  if (!Number.isInteger(samples) || samples < 1) throw new UsageError(`--samples ${options.samples}: must be a positive integer`);
  if (!model.subgraphs.length) throw new UnsupportedError('the model has no subgraph');
  // A read file was validated by the reader; a model built in memory is checked here, before the rewrite indexes it.
  validateModel(model, 'model');
  if (model.subgraphs.length > MAX_CALIBRATED_SUBGRAPHS) {
    throw new UnsupportedError(`the model has ${model.subgraphs.length} subgraphs: at most ${MAX_CALIBRATED_SUBGRAPHS} can be quantized`);
  }
  // Sparse weights are quantized as the dense weights they stand for; the report says which.
  const dense = densifyModel(model, { maxBytes: checkMemoryLimit(options.maxMemoryBytes) });
  model = dense.model;
  const densified: NumericAdjustment[] = dense.densified.map((d) => ({
    tensor: d.tensor, action: 'densify',
    detail: `sparse weights (${d.encoding}) densified before quantizing${d.folded.length ? `; ${d.folded.join(' and ')} folded into '${d.result}'` : ''}`,
  }));
  const withDensified = <R extends { report: { adjustments: NumericAdjustment[] } }>(r: R): R => {
    r.report.adjustments = [...densified, ...r.report.adjustments];
    return r;
  };
  const tensors = model.subgraphs.flatMap((g) => g.tensors);
  const alreadyQuantized = tensors.some((t) => t.quantization && t.quantization.scale.length > 0 && t.dtype !== 'float32');
  if (alreadyQuantized) throw new UnsupportedError('the model is already quantized: quantize its float version');
  if (!tensors.some((t) => t.dtype === 'float32')) throw new UnsupportedError('the model has no float tensors to quantize');

  const base = { mode: recipe.mode, inputType: recipe.inputType, outputType: recipe.outputType };
  const ctx: { modelName?: string; weightRounder?: WeightRounder } = { modelName: options.modelName };
  const notes: string[] = [];
  const algoCtx = (samples: Float32Array[][]): AlgorithmContext => ({
    samples, threads: options.threads, maxMemoryBytes: options.maxMemoryBytes, label: options.modelLabel, notes,
  });
  const algoSuffix = recipe.algorithms.length ? ` algorithms=${recipe.algorithms.map((a) => a.name).join(',')}` : '';
  const transformed = async (samples: Float32Array[][]) => {
    for (const a of algorithms) if (a.transformFloat) model = await a.transformFloat(model, algoCtx(samples));
  };
  // Corrections compare against the float model the rewrite quantized: the transformed one (after equalization).
  const corrected = async (quantized: Model, samples: Float32Array[][]) => {
    for (const a of algorithms) if (a.correctQuantized) quantized = await a.correctQuantized(model, quantized, algoCtx(samples));
    return quantized;
  };
  if (!needsCalibration(recipe.mode)) {
    await transformed([]);
    const description = `litequant quantize: mode=${recipe.mode}${algoSuffix}`;
    const r = withDensified(recipe.mode === 'dynamic' ? rewriteDynamic(model, recipe, description, ctx) : rewriteFloat16(model, recipe, description, ctx));
    if (model.subgraphs.length > 1) {
      r.report.warnings.push(`--mode ${recipe.mode} rewrites the entry subgraph only: the ${model.subgraphs.length - 1} subgraph(s) it calls stay float`);
    }
    const out = await corrected(r.model, []);
    return { model: out, report: { ...base, calibration: null, ...r.report, algorithms: notes, description } };
  }

  if (!options.representativeDataset) {
    throw new DatasetError(`--mode ${recipe.mode} needs a representative dataset (--calibration DATASET) to calibrate activation ranges`);
  }
  checkQuantizableConstants(model, recipe, ctx);
  const { sizes, names } = inputSizes(model);
  // Calibration holds its samples (every pass reads them all): they count against the memory limit, checked before
  // the first is read (a dataset resized to a model's huge input would allocate that much per sample).
  const sampleBytes = 4 * sizes.reduce((a, b) => a + b, 0);
  new MemoryBudget(checkMemoryLimit(options.maxMemoryBytes), options.modelLabel)
    .check(samples * sampleBytes, `the calibration data (${samples} samples of ${formatByteSize(sampleBytes)})`);
  const picked = await collectSamples(options.representativeDataset, {
    samples, shuffleSeed: options.shuffleSeed, inputSizes: sizes, inputNames: names, exact: options.samples !== undefined,
  });
  await transformed(picked);
  const rounders = await Promise.all(algorithms.filter((a) => a.weightRounder).map((a) => a.weightRounder!(model, algoCtx(picked))));
  if (rounders.length) {
    ctx.weightRounder = (site, values, shape, channelDim, scales) => {
      for (const r of rounders) {
        const v = r(site, values, shape, channelDim, scales);
        if (v) return v;
      }
      return null;
    };
  }
  const tuners = algorithms.filter((a) => a.tuneRanges);
  let calib = await calibrate(model, picked, recipe.calibration, {
    threads: options.threads, maxMemoryBytes: options.maxMemoryBytes, label: options.modelLabel, onProgress: options.onProgress,
    histograms: tuners.length > 0,
  });
  const method = describeMethod(recipe.calibration);
  const description = `litequant quantize: mode=${recipe.mode} input=${recipe.inputType} output=${recipe.outputType} `
    + `samples=${calib.samples} calibration=${method}${options.shuffleSeed !== undefined ? ` shuffle=${options.shuffleSeed}` : ''}${algoSuffix}`;
  // Range tuning measures models with float I/O and weights rounded to nearest (what it tunes does not change either).
  const floatIo: Recipe = { ...recipe, inputType: 'float32', outputType: 'float32' };
  for (const a of tuners) {
    calib = await a.tuneRanges!(model, calib, (c) => rewriteFullInteger(model, floatIo, c, description, { modelName: options.modelName }).model, algoCtx(picked));
  }
  const r = withDensified(rewriteFullInteger(model, recipe, calib, description, ctx));
  const out = await corrected(r.model, picked);
  return {
    model: out,
    report: { ...base, calibration: { samples: calib.samples, method, threads: calib.threads }, ...r.report, algorithms: notes, description },
  };
}
