// Weight rounding that minimises a layer's output error on calibration data, shared by GPTQ and AdaRound: the
// layer's input Gram matrix (layer-inputs.ts), its weights cut into least-squares problems (all output channels of a
// convolution / fully-connected layer share one; each depthwise input channel is its own tiny one), a solver per
// algorithm, and the output error before (round to nearest) and after, measured on the same rows, for the report.
//
// Inputs are the FLOAT model's activations: the rewrite asks for weights one node at a time while it builds the
// integer model, so the partially quantized model does not exist yet; running it once per layer would cost a
// calibration pass per layer. The float inputs make each layer reproduce the float layer's output, which is what
// the quantized model is compared against; the quantization noise of earlier layers is left to later steps
// (bias correction).

import type { Model } from '../../graph/model.js';
import { UsageError } from '../../errors.js';
import { roundHalfAwayFromZero } from '../../runtime/quant-math.js';
import type { AlgorithmContext, WeightRounder } from './index.js';
import type { LayerGram, LayerInputOptions } from './layer-inputs.js';
import { collectLayerInputs } from './layer-inputs.js';

/** One least-squares problem: `n` weight rows of length `k` (row-major), their scales, the rows' Gram matrix. */
export interface RoundingProblem {
  w: Float64Array;
  scales: Float64Array;
  n: number;
  k: number;
  /** k x k, symmetric positive semi-definite: sum of x xᵀ over the calibration rows. */
  gram: Float64Array;
  rows: number;
}

/** Integers in [-127, 127] for the n x k weights (null: keep round to nearest), within about `workBudget` multiply-adds. */
export type RoundingSolver = (p: RoundingProblem, workBudget: number) => Int32Array | null;

export function clampWeight(q: number): number {
  return q < -127 ? -127 : q > 127 ? 127 : q;
}

/** Round to nearest, as the rewrite does (half away from zero, clamped to [-127, 127]). */
export function roundToNearest(p: Pick<RoundingProblem, 'w' | 'scales' | 'n' | 'k'>): Int32Array {
  const q = new Int32Array(p.n * p.k);
  for (let r = 0; r < p.n; r++) for (let j = 0; j < p.k; j++) q[r * p.k + j] = clampWeight(roundHalfAwayFromZero(p.w[r * p.k + j] / p.scales[r]));
  return q;
}

/** Output error of one row's integers: (w - s q)ᵀ G (w - s q), summed over the rows of the calibration data. */
export function rowOutputError(p: RoundingProblem, q: Int32Array, r: number): number {
  const k = p.k, s = p.scales[r], g = p.gram;
  const d = new Float64Array(k);
  for (let j = 0; j < k; j++) d[j] = p.w[r * k + j] - s * q[r * k + j];
  let total = 0;
  for (let i = 0; i < k; i++) {
    if (d[i] === 0) continue;
    let acc = 0;
    for (let j = 0; j < k; j++) acc += g[i * k + j] * d[j];
    total += d[i] * acc;
  }
  return total;
}

export interface LayerRoundingOptions {
  /** How the layer inputs are collected (row and size caps). */
  inputs?: LayerInputOptions;
  /** Multiply-adds the solver may spend on one layer (default 3e9, a few seconds): larger layers stay round-to-nearest. */
  maxSolveWork?: number;
  /** Keep round-to-nearest for an output channel whose calibration error the solver did not lower (default true). */
  keepBetter?: boolean;
}

/** Problems of one layer's weights: the weights of the output channels of each group, in the Gram matrix's order. */
function problemsOf(layer: LayerGram, values: Float32Array, shape: readonly number[], scales: readonly number[]):
  { problems: RoundingProblem[]; channelOf: (group: number, row: number, j: number) => number } | null {
  const channels = layer.groups * layer.perGroup;
  if (values.length !== channels * layer.k) return null;
  if (scales.length !== 1 && scales.length !== channels) return null;
  const scaleOf = (c: number) => (scales.length === 1 ? scales[0] : scales[c]);
  const depthwise = layer.op === 'DEPTHWISE_CONV_2D';
  if (depthwise && shape[shape.length - 1] !== channels) return null;
  if (!depthwise && shape[0] !== channels) return null;
  // Conv / FC: channel c's weights are row c (k contiguous values). Depthwise [1, kh, kw, C]: tap t of channel c is
  // at t*C + c, channel c = group * multiplier + row.
  const channelOf = (group: number, row: number, j: number) => (depthwise ? j * channels + group * layer.perGroup + row : (group * layer.perGroup + row) * layer.k + j);
  const problems: RoundingProblem[] = [];
  for (let g = 0; g < layer.groups; g++) {
    const n = layer.perGroup, k = layer.k;
    const w = new Float64Array(n * k);
    const s = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      s[r] = scaleOf(g * n + r);
      for (let j = 0; j < k; j++) w[r * k + j] = values[channelOf(g, r, j)];
    }
    problems.push({ w, scales: s, n, k, gram: layer.gram.subarray(g * k * k, (g + 1) * k * k), rows: layer.rows });
  }
  return { problems, channelOf };
}

/** Reads numeric options of an algorithm's recipe entry; unknown keys and bad values are UsageErrors. */
export function optionReader(algorithm: string, o: Record<string, number | string | boolean>, known: readonly string[]):
  (key: string, ok: (x: number) => boolean, what: string) => number | undefined {
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) throw new UsageError(`${algorithm}: unknown option '${key}' (known: ${known.join(', ')})`);
  }
  return (key, ok, what) => {
    const x = o[key];
    if (x === undefined) return undefined;
    if (typeof x !== 'number' || !ok(x)) throw new UsageError(`${algorithm} option ${key}=${String(x)}: must be ${what}`);
    return x;
  };
}

function fmt(x: number): string {
  return x === 0 ? '0' : x.toExponential(2);
}

/**
 * A WeightRounder for `algorithm`: collects the layer inputs once (float model, calibration samples), then rounds
 * each CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED filter the rewrite asks for with `solve`; everything else
 * (other ops, other inputs, layers not collected) is left to round to nearest. One note per layer rounded.
 */
export function layerRounder(algorithm: string, solve: RoundingSolver, model: Model, ctx: AlgorithmContext, options: LayerRoundingOptions = {}): WeightRounder {
  const started = Date.now();
  const collected = collectLayerInputs(model, ctx.samples, {
    ...options.inputs, maxMemoryBytes: ctx.maxMemoryBytes, label: ctx.label,
  });
  const budget = options.maxSolveWork ?? 3e9;
  const keepBetter = options.keepBetter ?? true;
  ctx.notes.push(`${algorithm}: input statistics of ${collected.layers.size} layer(s) from ${collected.samples} calibration samples `
    + `(float model) in ${((Date.now() - started) / 1000).toFixed(1)} s`
    + (collected.skipped.length ? `; not rounded: ${collected.skipped.join('; ')}` : ''));
  const done = new Map<string, Int8Array | null>();
  return (site, values, shape, _channelDim, scales) => {
    if (site.subgraph !== 0 || site.input !== 1) return null;
    const layer = collected.layers.get(site.node);
    if (!layer) return null;
    const key = `${site.node}:${scales.join(',')}`;
    if (done.has(key)) return done.get(key)!;
    const cut = problemsOf(layer, values, shape, scales);
    if (!cut) {
      done.set(key, null);
      return null;
    }
    const t0 = Date.now();
    const out = new Int8Array(values.length);
    let before = 0, after = 0, kept = 0, failed = 0;
    cut.problems.forEach((p, g) => {
      const nearest = roundToNearest(p);
      const solved = solve(p, budget / cut.problems.length);
      if (!solved) failed++;
      for (let r = 0; r < p.n; r++) {
        const e0 = rowOutputError(p, nearest, r);
        let q = solved ?? nearest, e1 = solved ? rowOutputError(p, solved, r) : e0;
        if (solved && keepBetter && e1 > e0) {
          q = nearest;
          e1 = e0;
          kept++;
        }
        before += e0;
        after += e1;
        for (let j = 0; j < p.k; j++) out[cut.channelOf(g, r, j)] = clampWeight(q[r * p.k + j]);
      }
    });
    const outputs = layer.rows * layer.groups * layer.perGroup;
    if (failed === cut.problems.length) {
      ctx.notes.push(`${algorithm}: ${layer.op} '${layer.name}' left round-to-nearest (over the ${budget.toPrecision(2)} multiply-add budget per layer, or no solution)`);
      done.set(key, null);
      return null;
    }
    ctx.notes.push(`${algorithm}: ${layer.op} '${layer.name}' (${layer.k} columns, ${layer.rows} rows): output MSE on calibration data `
      + `${fmt(before / outputs)} -> ${fmt(after / outputs)}${before > 0 ? ` (${(100 * (after - before) / before).toFixed(1)} %)` : ''}`
      + `${kept ? `, ${kept} channel(s) kept round-to-nearest` : ''}${failed ? `, ${failed} group(s) not solved` : ''}, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    done.set(key, out);
    return out;
  };
}
