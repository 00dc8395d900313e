// Per-tensor range search: every calibration method (minmax, percentile, MSE, KL) judges a tensor by its own
// values, but what matters is the model's output. A variance inside a LayerNorm, say, is best clipped for the
// RSQRT after it, which no method over the variance alone can know. So each activation tensor, in model order,
// tries the ranges the other methods propose from the same histogram, and keeps the one that most lowers the
// quantized model's output error against the float model on the calibration samples (greedy coordinate descent,
// one pass, as NNCF's and AIMET's range searches judge clipping by a downstream loss).
// Weights are rounded to nearest while searching: the ranges are activation choices, and the weight rounders'
// work does not depend on them.

import type { Model } from '../../graph/model.js';
import { UsageError } from '../../errors.js';
import { Interpreter } from '../../runtime/interpreter.js';
import type { CalibrationResult } from '../calibrate.js';
import { tensorKey } from '../tensor-key.js';
import type { CalibrationMethod, Observer } from '../observers.js';
import { HistogramObserver, describeMethod, parseCalibrationMethod } from '../observers.js';
import { optionReader } from './layer-rounding.js';
import { registerAlgorithm, type AlgorithmContext, type QuantizeWithRanges } from './index.js';

export interface RangeSearchOptions {
  /** Methods whose ranges each tensor tries (default: minmax, percentile:99.99, percentile:99.9, mse, kl). */
  methods?: CalibrationMethod[];
  /** Calibration samples the output error is measured on (default: all of them). */
  samples?: number;
  /** A change is kept only when it lowers the output error by more than this fraction (default 0.002). */
  minGain?: number;
}

const DEFAULT_METHODS = ['minmax', 'percentile:99.99', 'percentile:99.9', 'mse', 'kl'];

/** The model's outputs on each sample, concatenated (one Float32Array per sample). */
function outputsOn(model: Model, samples: Float32Array[][], ctx: AlgorithmContext): Float32Array[] {
  const interp = Interpreter.fromModel(model, { maxMemoryBytes: ctx.maxMemoryBytes, label: ctx.label });
  const outs = model.subgraphs[0].outputs.length;
  const hasVariables = model.subgraphs.some((g) => g.tensors.some((t) => t.isVariable));
  return samples.map((sample) => {
    if (hasVariables) interp.resetVariables();
    sample.forEach((a, i) => interp.setInput(i, a));
    interp.invoke();
    const parts: ArrayLike<number>[] = [];
    for (let o = 0; o < outs; o++) parts.push(interp.getOutput(o) as ArrayLike<number>);
    const n = parts.reduce((a, p) => a + p.length, 0);
    const out = new Float32Array(n);
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  });
}

/**
 * Output error of a quantized model: the squared error against the float outputs, per output element, relative to
 * that element's variance over the samples (so outputs of any scale weigh alike), averaged.
 */
class OutputError {
  private readonly weights: Float64Array;
  constructor(private readonly reference: Float32Array[]) {
    const n = reference[0]?.length ?? 0;
    const mean = new Float64Array(n), sq = new Float64Array(n);
    for (const r of reference) for (let j = 0; j < n; j++) { mean[j] += r[j]; sq[j] += r[j] * r[j]; }
    const m = reference.length || 1;
    let total = 0;
    const variance = Float64Array.from(mean, (s, j) => Math.max(0, sq[j] / m - (s / m) ** 2));
    for (const v of variance) total += v;
    const floor = Math.max(1e-12, (total / (n || 1)) * 1e-3);
    this.weights = Float64Array.from(variance, (v) => 1 / Math.max(v, floor));
  }

  of(outputs: Float32Array[]): number {
    let err = 0, count = 0;
    outputs.forEach((o, k) => {
      const r = this.reference[k];
      for (let j = 0; j < r.length; j++) { const d = o[j] - r[j]; err += d * d * this.weights[j]; count++; }
    });
    return err / (count || 1);
  }
}

/** Activation tensors in the order the model computes them: subgraph 0's inputs, then each node's outputs. */
function modelOrder(model: Model, keys: Iterable<number>): number[] {
  const wanted = new Set(keys);
  const order: number[] = [];
  const take = (k: number) => { if (wanted.delete(k)) order.push(k); };
  const sg = model.subgraphs[0];
  for (const i of sg.inputs) take(tensorKey(0, i));
  for (const node of sg.operators) for (const i of node.outputs) take(tensorKey(0, i));
  return [...order, ...[...wanted].sort((a, b) => a - b)];
}

/** Every tensor's quantization in a model, as one comparable string: trials that change nothing are skipped. */
function quantizationFingerprint(model: Model): string {
  return model.subgraphs.map((g) => g.tensors.map((t) => t.quantization ? `${t.quantization.scale.join(',')}/${t.quantization.zeroPoint.join(',')}` : '').join(';')).join('|');
}

const sameRange = (a: [number, number], b: [number, number]) =>
  Math.abs(a[0] - b[0]) <= 1e-9 * Math.max(1, Math.abs(a[0])) && Math.abs(a[1] - b[1]) <= 1e-9 * Math.max(1, Math.abs(a[1]));

export async function searchRanges(model: Model, calibration: CalibrationResult, quantizeWith: QuantizeWithRanges,
  ctx: AlgorithmContext, options: RangeSearchOptions = {}): Promise<CalibrationResult> {
  const started = Date.now();
  const methods = options.methods ?? DEFAULT_METHODS.map(parseCalibrationMethod);
  const minGain = options.minGain ?? 0.002;
  const samples = ctx.samples.slice(0, options.samples ?? ctx.samples.length);
  if (!samples.length) {
    ctx.notes.push('range-search: no calibration samples: ranges left as calibrated');
    return calibration;
  }
  const error = new OutputError(outputsOn(model, samples, ctx));
  const current = new Map<number, Observer>(calibration.observers);
  const build = (observers: Map<number, Observer>) => quantizeWith({ ...calibration, observers });
  let best = build(current);
  let bestPrint = quantizationFingerprint(best);
  const initial = error.of(outputsOn(best, samples, ctx));
  let bestError = initial;
  const tensors = modelOrder(model, [...current.keys()].filter((k) => current.get(k) instanceof HistogramObserver));
  const changed = new Map<string, number>();
  let evaluations = 1;
  for (let t = 0; t < tensors.length; t++) {
    ctx.onProgress?.(t, tensors.length, 'range search');
    const key = tensors[t];
    const base = current.get(key) as HistogramObserver;
    // The ranges the rewrite may ask for (8 bits, or 16 symmetric); a method proposing ranges already tried is skipped.
    const tried: [number, number][][] = [];
    const proposed = (o: HistogramObserver) => [o.range(256, false), o.range(65535, true)].filter((r): r is [number, number] => r !== null);
    tried.push(proposed(base));
    let pick: { observer: HistogramObserver; error: number; model: Model; print: string } | null = null;
    for (const method of methods) {
      const candidate = base.withMethod(method);
      const ranges = proposed(candidate);
      if (tried.some((rs) => rs.length === ranges.length && rs.every((r, k) => sameRange(r, ranges[k])))) continue;
      tried.push(ranges);
      const trial = new Map(current);
      trial.set(key, candidate);
      const m = build(trial);
      const print = quantizationFingerprint(m);
      if (print === bestPrint) continue;
      const e = error.of(outputsOn(m, samples, ctx));
      evaluations++;
      if (e < (pick?.error ?? bestError * (1 - minGain))) pick = { observer: candidate, error: e, model: m, print };
    }
    if (pick) {
      current.set(key, pick.observer);
      best = pick.model;
      bestPrint = pick.print;
      bestError = pick.error;
      const name = describeMethod(pick.observer.method);
      changed.set(name, (changed.get(name) ?? 0) + 1);
    }
  }
  ctx.onProgress?.(tensors.length, tensors.length, 'range search');
  const moved = [...changed.values()].reduce((a, b) => a + b, 0);
  const fmt = (x: number) => x.toExponential(2);
  ctx.notes.push(`range-search: ${moved} of ${tensors.length} activation ranges changed`
    + `${moved ? ` (${[...changed].map(([m, n]) => `${m} x${n}`).join(', ')})` : ''}; output error on ${samples.length} calibration samples `
    + `${fmt(initial)} -> ${fmt(bestError)}${initial > 0 ? ` (${(((bestError - initial) / initial) * 100).toFixed(0)} %)` : ''}; `
    + `${evaluations} evaluations, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { ...calibration, observers: current };
}

function rangeSearchOptions(o: Record<string, number | string | boolean>): RangeSearchOptions {
  const { methods, ...numbers } = o;
  const num = optionReader('range-search', numbers, ['samples', 'minGain']);
  const out: RangeSearchOptions = {
    samples: num('samples', (x) => Number.isInteger(x) && x >= 1, 'a positive integer'),
    minGain: num('minGain', (x) => x >= 0 && x < 1, 'in [0, 1)'),
  };
  if (methods !== undefined) {
    if (typeof methods !== 'string' || !methods.trim()) throw new UsageError(`range-search option methods=${String(methods)}: list methods separated by '+', e.g. minmax+mse`);
    out.methods = methods.split('+').map((m) => parseCalibrationMethod(m));
  }
  return out;
}

registerAlgorithm('range-search', (raw) => {
  const o = rangeSearchOptions(raw);
  return {
    name: 'range-search',
    summary: 'per-tensor activation ranges: each tensor keeps the calibration method whose range most lowers the model output error on calibration data',
    tuneRanges: (model, calibration, quantizeWith, ctx) => searchRanges(model, calibration, quantizeWith, ctx, o),
  };
});
