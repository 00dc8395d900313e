// Per-layer error between a reference model (usually float) and a candidate (usually its quantized conversion):
// both run on the same samples, every activation is captured as it is produced, tensors are matched by name and
// the candidate's values (dequantized) are compared with the reference's.
//
// RMSE / scale measures the error in units of the candidate tensor's quantization step: rounding alone gives
// 1/sqrt(12) ~ 0.289, so a layer near 0.29 is "as good as rounding"; errors that grow through the network show up as
// layers far above it. Errors are accumulated over all samples and elements (sums in float64).

import type { Model, Subgraph } from '../graph/model.js';
import { elementCount } from '../graph/model.js';
import type { RuntimeTensor, TypedArray } from '../runtime/kernel.js';
import { ERROR_SUMS, TensorErrorAccumulator, type TensorErrorStats } from './metrics.js';

/** RMSE of uniform rounding error, in units of the step: 1/sqrt(12). */
export const ROUNDING_RMSE_OVER_SCALE = 1 / Math.sqrt(12);

/** An activation of a subgraph: a model input or an op output. */
export interface ActivationTensor {
  index: number;
  name: string;
  /** Producing op ('CONV_2D'), or 'INPUT' for a model input. */
  op: string;
  /** Producing node index; -1 for a model input. */
  node: number;
  dtype: string;
  shape: number[];
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
}

/** Inputs and op outputs of a subgraph in execution order (no constants, variables or unused intermediates). */
export function activationTensors(model: Model, subgraph = 0): ActivationTensor[] {
  const sg: Subgraph | undefined = model.subgraphs[subgraph];
  if (!sg) return [];
  const out: ActivationTensor[] = [];
  const seen = new Set<number>();
  const add = (i: number, op: string, node: number) => {
    const t = sg.tensors[i];
    if (!t || seen.has(i) || t.isVariable || (t.data !== null && t.data.length > 0)) return;
    seen.add(i);
    const q = t.quantization;
    out.push({
      index: i, name: t.name, op, node, dtype: t.dtype, shape: [...t.shape],
      scale: q ? [...q.scale] : [], zeroPoint: q ? q.zeroPoint.map(Number) : [], quantizedDimension: q ? q.quantizedDimension : 0,
    });
  };
  for (const i of sg.inputs) add(i, 'INPUT', -1);
  sg.operators.forEach((node, k) => {
    for (const i of node.outputs) if (i >= 0) add(i, node.op === 'CUSTOM' ? `CUSTOM(${node.customCode ?? ''})` : node.op, k);
  });
  return out;
}

/**
 * A name without the suffixes converters add to the quantized copy of a tensor ('input_1_int8', 'Identity_int8').
 * Only these dtype suffixes are stripped: trailing digits ('Conv2D1') are how the converter keeps distinct tensors apart.
 */
export function baseTensorName(name: string): string {
  return name.replace(/(_u?int(8|16)|_quantized|\/quantize)$/i, '');
}

export interface TensorMatch {
  reference: ActivationTensor;
  candidate: ActivationTensor;
}

export interface TensorMatching {
  matches: TensorMatch[];
  /** Reference activations with no candidate of the same name and element count. */
  unmatched: string[];
}

/**
 * Pairs each reference activation with the candidate activation of the same name (exact first, then with dtype
 * suffixes stripped on both sides) and the same number of elements. Each candidate tensor is used at most once.
 */
export function matchTensors(reference: ActivationTensor[], candidate: ActivationTensor[]): TensorMatching {
  const byName = new Map<string, ActivationTensor[]>();
  const byBase = new Map<string, ActivationTensor[]>();
  for (const c of candidate) {
    (byName.get(c.name) ?? byName.set(c.name, []).get(c.name)!).push(c);
    const b = baseTensorName(c.name);
    (byBase.get(b) ?? byBase.set(b, []).get(b)!).push(c);
  }
  const used = new Set<number>();
  const matches: TensorMatch[] = [];
  const unmatched: string[] = [];
  for (const r of reference) {
    const n = elementCount(r.shape);
    const pick = (list: ActivationTensor[] | undefined) => list?.find((c) => !used.has(c.index) && elementCount(c.shape) === n);
    const c = pick(byName.get(r.name)) ?? pick(byBase.get(baseTensorName(r.name)));
    if (c) {
      used.add(c.index);
      matches.push({ reference: r, candidate: c });
    } else unmatched.push(r.name);
  }
  return { matches, unmatched };
}

/** Real values of a runtime tensor into `out` (dequantized per tensor or per channel; float16 not supported). */
export function realValuesInto(t: { dtype: string; data: TypedArray; shape: number[]; scale: number[]; zeroPoint: number[]; quantizedDimension: number }, out: Float64Array): void {
  const data = t.data;
  const n = out.length;
  const float = t.dtype === 'float32' || t.dtype === 'float64';
  if (float || t.scale.length === 0) {
    for (let i = 0; i < n; i++) out[i] = Number(data[i]);
    return;
  }
  if (t.scale.length === 1) {
    const s = t.scale[0], z = t.zeroPoint[0] ?? 0;
    for (let i = 0; i < n; i++) out[i] = s * (Number(data[i]) - z);
    return;
  }
  const { inner, channels } = channelLayout(t.shape, t.quantizedDimension, t.scale.length);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / inner) % channels;
    out[i] = t.scale[c] * (Number(data[i]) - (t.zeroPoint[c] ?? 0));
  }
}

function channelLayout(shape: number[], dim: number, count: number): { inner: number; channels: number } {
  let inner = 1;
  for (let d = dim + 1; d < shape.length; d++) inner *= shape[d];
  return { inner, channels: shape[dim] ?? count };
}

/** Error sums of one matched tensor pair, in units of the candidate's quantization step when it is quantized. */
interface MatchedError {
  match: TensorMatch;
  error: TensorErrorAccumulator;
}

function isQuantized(t: ActivationTensor): boolean {
  return t.scale.length > 0 && t.dtype !== 'float32' && t.dtype !== 'float64';
}

function matchedError(match: TensorMatch): MatchedError {
  const c = match.candidate;
  const scale = isQuantized(c) ? { scale: c.scale, axis: c.quantizedDimension, shape: c.shape } : undefined;
  return { match, error: new TensorErrorAccumulator(scale) };
}

/** One row of the per-layer error table. */
export interface LayerErrorRow {
  /** Tensor name in the candidate model. */
  name: string;
  reference_name: string;
  /** Producing op in the candidate model ('INPUT' for a model input). */
  op: string;
  node: number;
  dtype: string;
  shape: number[];
  /** Per-tensor scale of the candidate tensor (first scale if per channel); null when it is not quantized. */
  scale: number | null;
  rmse: number;
  /** RMSE in units of the quantization step; ~0.289 = rounding error only. null for unquantized tensors. */
  rmse_over_scale: number | null;
  max_abs_error: number;
  /** Mean of (candidate - reference): a systematic bias. */
  mean_error: number;
  /** RMSE relative to the reference's RMS value (0 = exact). */
  relative_rmse: number;
  elements: number;
  /** What to try when this layer hurts, e.g. "--exclude-tensor NAME"; null when nothing applies (a model input). */
  suggestion: string | null;
}

export function layerErrorRow(match: TensorMatch, stats: TensorErrorStats): LayerErrorRow {
  const { reference: r, candidate: c } = match;
  const rmse = stats.rmse;
  return {
    name: c.name,
    reference_name: r.name,
    op: c.op,
    node: c.node,
    dtype: c.dtype,
    shape: c.shape,
    scale: isQuantized(c) ? c.scale[0] : null,
    rmse,
    rmse_over_scale: stats.rmseOverScale,
    max_abs_error: stats.maxAbsError,
    mean_error: stats.meanError,
    relative_rmse: stats.refRms > 0 ? rmse / stats.refRms : rmse === 0 ? 0 : Infinity,
    elements: stats.count,
    suggestion: PASS_THROUGH_OPS.has(c.op) ? null : `--exclude-tensor ${quoteArg(c.name)}`,
  };
}

/**
 * Ops whose output only moves, selects or copies input values with the input's scale: their error is inherited,
 * excluding them would not help. Model inputs carry only the input rounding.
 */
export const PASS_THROUGH_OPS: ReadonlySet<string> = new Set([
  'INPUT', 'RESHAPE', 'SQUEEZE', 'EXPAND_DIMS', 'QUANTIZE', 'DEQUANTIZE', 'TRANSPOSE', 'GATHER', 'GATHER_ND', 'SLICE',
  'STRIDED_SLICE', 'PAD', 'PADV2', 'MIRROR_PAD', 'SPLIT', 'SPLIT_V', 'PACK', 'UNPACK', 'MAX_POOL_2D', 'SPACE_TO_DEPTH',
  'DEPTH_TO_SPACE', 'TILE', 'BROADCAST_TO', 'REVERSE_V2',
]);

/** Shell-quotes a tensor name when it needs it (names hold ';', '/', ':'). */
function quoteArg(s: string): string {
  return /^[\w./:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Worst first: by RMSE/scale, unquantized layers (no scale) after, by relative RMSE. */
export function sortWorstFirst(rows: LayerErrorRow[]): LayerErrorRow[] {
  return [...rows].sort((a, b) => {
    if (a.rmse_over_scale !== null && b.rmse_over_scale !== null) return b.rmse_over_scale - a.rmse_over_scale;
    if (a.rmse_over_scale !== null) return -1;
    if (b.rmse_over_scale !== null) return 1;
    return b.relative_rmse - a.relative_rmse;
  });
}

/**
 * Collects the per-layer error of one reference/candidate pair, one sample at a time.
 * Usage per sample: run the reference with `referenceHook()` as onTensor, then the candidate with `candidateHook()`.
 */
export class LayerErrorCollector {
  readonly matching: TensorMatching;
  private readonly accumulators: MatchedError[];
  /** Reference values of the current sample, by reference tensor index. */
  private readonly captured = new Map<number, Float64Array>();
  private readonly byReference = new Map<number, MatchedError>();
  private readonly byCandidate = new Map<number, MatchedError>();
  /** Accumulator position by candidate tensor index. */
  private readonly slots = new Map<number, number>();
  private scratch = new Float64Array(0);
  samples = 0;

  constructor(reference: Model, candidate: Model) {
    this.matching = matchTensors(activationTensors(reference), activationTensors(candidate));
    this.accumulators = this.matching.matches.map(matchedError);
    for (const a of this.accumulators) {
      this.byReference.set(a.match.reference.index, a);
      this.byCandidate.set(a.match.candidate.index, a);
      this.slots.set(a.match.candidate.index, this.slots.size);
      this.captured.set(a.match.reference.index, new Float64Array(elementCount(a.match.reference.shape)));
    }
  }

  /** onTensor for the reference run: copies the values of matched tensors (the arena reuses memory). */
  referenceHook(): (index: number, t: RuntimeTensor) => void {
    return (index, t) => {
      const buf = this.captured.get(index);
      if (buf && this.byReference.has(index)) realValuesInto(t, buf);
    };
  }

  /** onTensor for the candidate run: compares with the captured reference values of the same sample. */
  candidateHook(): (index: number, t: RuntimeTensor) => void {
    return (index, t) => {
      const acc = this.byCandidate.get(index);
      if (!acc) return;
      const ref = this.captured.get(acc.match.reference.index)!;
      if (this.scratch.length < ref.length) this.scratch = new Float64Array(ref.length);
      const cand = this.scratch.subarray(0, ref.length);
      realValuesInto(t, cand);
      acc.error.add(ref, cand);
    };
  }

  /** Marks the end of one sample (both models ran). */
  endSample(): void {
    this.samples++;
  }

  /** Length of the row sampleSumsHook() fills: ERROR_SUMS numbers per matched tensor. */
  get sumsLength(): number {
    return this.accumulators.length * ERROR_SUMS;
  }

  /**
   * onTensor for the candidate run that writes this sample's error sums into `row` (zeroed, sumsLength long) instead
   * of accumulating them, for another thread to add with addSampleSums().
   */
  sampleSumsHook(row: Float64Array): (index: number, t: RuntimeTensor) => void {
    return (index, t) => {
      const k = this.slots.get(index);
      if (k === undefined) return;
      const acc = this.accumulators[k];
      const ref = this.captured.get(acc.match.reference.index)!;
      if (this.scratch.length < ref.length) this.scratch = new Float64Array(ref.length);
      const cand = this.scratch.subarray(0, ref.length);
      realValuesInto(t, cand);
      acc.error.sampleSums(ref, cand, row, k * ERROR_SUMS);
    };
  }

  /** Adds one sample's row from sampleSumsHook() (rows in sample order give exactly the sums of candidateHook). */
  addSampleSums(row: ArrayLike<number>): void {
    this.accumulators.forEach((a, k) => {
      // A tensor the candidate did not produce in that sample has count 0: candidateHook never saw it either.
      if (row[k * ERROR_SUMS] > 0) a.error.addSums(row, k * ERROR_SUMS);
    });
    this.samples++;
  }

  /** Rows in graph order of the candidate. */
  rows(): LayerErrorRow[] {
    return this.accumulators.filter((a) => a.error.count > 0).map((a) => layerErrorRow(a.match, a.error.result())).sort((a, b) => a.node - b.node);
  }
}
