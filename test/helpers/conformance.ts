// Op conformance harness: build a one-op model with GraphBuilder, serialize it with our writer, run it in our
// Interpreter and in the official TFLite runtime, and compare with the tolerances:
//   float:     |ours - ref| <= 1e-5 * |ref| + 1e-6 per element
//   quantized: |ours - ref| <= 1 LSB per element (and we report the fraction that is exact).
import assert from 'node:assert/strict';
import type { DType, Model, OpOptions, Quantization } from '../../src/graph/model.js';
import { elementCount } from '../../src/graph/model.js';
import { GraphBuilder, encodeValues, type NumericArray } from '../../src/graph/builder.js';
import { modelProblems, readModel, writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { createOfficialRunner } from './oracle.js';
import { Rng } from './random.js';

export { mulberry32, Rng } from './random.js';

export const FLOAT_RTOL = 1e-5;
export const FLOAT_ATOL = 1e-6;

// ---------------------------------------------------------------- building one-op models

export interface TensorArg {
  name?: string;
  dtype: DType;
  shape: number[];
  quantization?: Quantization | null;
  /** Constant values; absent = a model input. */
  data?: NumericArray;
  isVariable?: boolean;
  shapeSignature?: number[];
}

export interface OpSpec {
  op: string;
  version?: number;
  options?: OpOptions;
  /** null = omitted optional input (-1). */
  inputs: (TensorArg | null)[];
  outputs: TensorArg[];
  intermediates?: TensorArg[];
}

/** A one-op model: non-constant, non-variable inputs become model inputs (in order); all outputs model outputs. */
export function singleOpModel(spec: OpSpec): Model {
  const b = new GraphBuilder();
  const add = (t: TensorArg, i: number, kind: string): number => {
    const base = { name: t.name ?? `${kind}${i}`, dtype: t.dtype, shape: t.shape, quantization: t.quantization ?? null, shapeSignature: t.shapeSignature };
    if (t.data !== undefined) return b.addTensor({ ...base, data: encodeValues(t.dtype, t.data), isVariable: t.isVariable ?? false });
    if (t.isVariable) return b.addTensor({ ...base, isVariable: true });
    return b.addInput(base);
  };
  const ins = spec.inputs.map((t, i) => (t === null ? -1 : add(t, i, 'in')));
  const outs = spec.outputs.map((t, i) => b.addTensor({ name: t.name ?? `out${i}`, dtype: t.dtype, shape: t.shape, quantization: t.quantization ?? null }));
  const mids = (spec.intermediates ?? []).map((t, i) => b.addTensor({ name: t.name ?? `mid${i}`, dtype: t.dtype, shape: t.shape, quantization: t.quantization ?? null }));
  for (const o of outs) b.markOutput(o);
  b.addOp(spec.op, ins, outs, spec.options ?? {}, spec.version ?? 1, mids);
  return b.model();
}

export function perTensor(scale: number, zeroPoint: number): Quantization {
  return { scale: [Math.fround(scale)], zeroPoint: [zeroPoint], quantizedDimension: 0 };
}

export function perChannel(scales: number[], zeroPoints: number[], axis: number): Quantization {
  return { scale: scales.map(Math.fround), zeroPoint: zeroPoints, quantizedDimension: axis };
}

export function qRange(dtype: DType): [number, number] {
  switch (dtype) {
    case 'int8': return [-128, 127];
    case 'uint8': return [0, 255];
    case 'int16': return [-32768, 32767];
    case 'int32': return [-2147483648, 2147483647];
    default: throw new Error(`qRange: ${dtype}`);
  }
}

/** Asymmetric (scale, zero point) covering [min, max] (0 included), as the TFLite quantizer chooses them. */
export function chooseQuantParams(min: number, max: number, dtype: DType): { scale: number; zeroPoint: number } {
  const [qmin, qmax] = qRange(dtype);
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  if (dtype === 'int16') {
    // int16 activations are symmetric (zero point 0).
    const s = Math.max(Math.abs(lo), Math.abs(hi)) / 32767 || 1;
    return { scale: Math.fround(s), zeroPoint: 0 };
  }
  const scale = Math.fround((hi - lo) / (qmax - qmin) || 1);
  const zp = Math.round(qmin - lo / scale);
  return { scale, zeroPoint: Math.max(qmin, Math.min(qmax, zp)) };
}

/** Random quantized activation values of a dtype, full range. */
export function randomQuantized(rng: Rng, n: number, dtype: DType): number[] {
  const [lo, hi] = qRange(dtype);
  return rng.ints(n, lo, hi);
}

/**
 * Symmetric int8 weights with per-channel (or per-tensor) scales: values in [-127, 127] (the quantizer's range),
 * scales drawn around `scaleMagnitude`.
 */
export function randomWeights(rng: Rng, shape: number[], axis: number | null, scaleMagnitude = 0.02, dtype: DType = 'int8'):
  { values: number[]; quantization: Quantization } {
  const n = elementCount(shape);
  const lim = dtype === 'int16' ? 32767 : 127;
  const values = rng.ints(n, -lim, lim);
  const channels = axis === null ? 1 : shape[axis];
  const scales = Array.from({ length: channels }, () => Math.fround(scaleMagnitude * rng.float(0.3, 1.5)));
  return { values, quantization: { scale: scales, zeroPoint: new Array(channels).fill(0), quantizedDimension: axis ?? 0 } };
}

/** Random int32 bias values with scale input_scale * weight_scale[c] (as the quantizer writes them). */
export function randomBias(rng: Rng, channels: number, inputScale: number, weightScales: number[], magnitude = 2000, dtype: DType = 'int32'):
  { values: number[]; quantization: Quantization } {
  const scales = Array.from({ length: channels }, (_, c) => Math.fround(inputScale * (weightScales.length > 1 ? weightScales[c] : weightScales[0])));
  return {
    values: rng.ints(channels, -magnitude, magnitude),
    quantization: { scale: weightScales.length > 1 ? scales : [scales[0]], zeroPoint: new Array(weightScales.length > 1 ? channels : 1).fill(0), quantizedDimension: 0 },
  };
}

// ---------------------------------------------------------------- running and comparing

export interface RunResult {
  dtype: string;
  shape: number[];
  data: ArrayLike<number>;
}

/** Run in our interpreter (from the serialized bytes, so the reader and writer are part of the path). */
export function runOurs(bytes: Uint8Array, inputs: ArrayLike<number>[], invocations = 1): RunResult[] {
  const it = Interpreter.fromBytes(bytes);
  inputs.forEach((v, k) => it.setInput(k, v));
  for (let i = 0; i < invocations; i++) it.invoke();
  return it.outputDetails().map((d, k) => ({ dtype: d.dtype, shape: d.shape, data: it.getOutput(k) as unknown as ArrayLike<number> }));
}

export async function runReference(bytes: Uint8Array, inputs: ArrayLike<number>[], invocations = 1): Promise<RunResult[]> {
  const r = await createOfficialRunner(bytes);
  try {
    inputs.forEach((v, k) => r.setInput(k, v));
    for (let i = 0; i < invocations; i++) r.invoke();
    return r.getOutputs().map((o) => ({ dtype: o.dtype, shape: o.shape, data: o.data as unknown as ArrayLike<number> }));
  } finally {
    r.delete();
  }
}

export interface Comparison {
  ok: boolean;
  elements: number;
  exact: number;
  maxAbsDiff: number;
  /** Index and values of the worst element. */
  worst: { index: number; ours: number; ref: number } | null;
  message: string;
}

const QUANTIZED_DTYPES = new Set(['int8', 'uint8', 'int16', 'int32', 'int64']);

/** Compare one output: floats with relative+absolute tolerance, integers within `lsb` units. */
export function compareArrays(ours: ArrayLike<number>, ref: ArrayLike<number>, dtype: string, lsb = 1): Comparison {
  if (ours.length !== ref.length) {
    return { ok: false, elements: ref.length, exact: 0, maxAbsDiff: Infinity, worst: null, message: `length ${ours.length} != reference ${ref.length}` };
  }
  const quantized = QUANTIZED_DTYPES.has(dtype);
  let exact = 0;
  let maxAbs = 0;
  let worst: Comparison['worst'] = null;
  let ok = true;
  let worstExcess = -Infinity;
  for (let i = 0; i < ref.length; i++) {
    const a = Number(ours[i]);
    const b = Number(ref[i]);
    // Equal values are exact (infinities included, whose difference is NaN).
    const d = a === b ? 0 : Math.abs(a - b);
    if (d === 0 || (Number.isNaN(a) && Number.isNaN(b))) exact++;
    if (d > maxAbs || Number.isNaN(d)) maxAbs = Number.isNaN(d) ? Infinity : d;
    const tol = quantized ? lsb : FLOAT_RTOL * Math.abs(b) + FLOAT_ATOL;
    const excess = Number.isNaN(d) && !(Number.isNaN(a) && Number.isNaN(b)) ? Infinity : d - tol;
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = { index: i, ours: a, ref: b };
    }
    if (excess > 0) ok = false;
  }
  const pct = ref.length ? ((100 * exact) / ref.length).toFixed(1) : '100.0';
  const message = `${dtype}: ${ref.length} elements, ${pct}% exact, max |diff| ${maxAbs}` +
    (worst && !ok ? `; worst at ${worst.index}: ours ${worst.ours} vs official ${worst.ref}` : '');
  return { ok, elements: ref.length, exact, maxAbsDiff: maxAbs, worst, message };
}

/** Aggregates of many cases, per label (e.g. 'CONV_2D int8'), for the "% exact" report. */
export class ConformanceStats {
  private readonly rows = new Map<string, { cases: number; elements: number; exact: number; maxAbsDiff: number }>();
  add(label: string, c: Comparison): void {
    const r = this.rows.get(label) ?? { cases: 0, elements: 0, exact: 0, maxAbsDiff: 0 };
    r.cases++;
    r.elements += c.elements;
    r.exact += c.exact;
    r.maxAbsDiff = Math.max(r.maxAbsDiff, c.maxAbsDiff);
    this.rows.set(label, r);
  }
  lines(): string[] {
    return [...this.rows].map(([label, r]) =>
      `${label}: ${r.cases} cases, ${r.elements} elements, ${((100 * r.exact) / Math.max(1, r.elements)).toFixed(2)}% exact, max |diff| ${r.maxAbsDiff}`);
  }
  print(): void {
    for (const l of this.lines()) console.log(`[conformance] ${l}`);
  }
}

export interface CaseOptions {
  /** Extra LSB allowed (default 1). */
  lsb?: number;
  invocations?: number;
  stats?: ConformanceStats;
  label?: string;
}

/**
 * Build, serialize, run both runtimes and assert agreement on every output. Returns the comparisons.
 * `name` appears in assertion messages so a failing seed can be reproduced.
 */
export async function checkOp(name: string, spec: OpSpec, inputs: ArrayLike<number>[], opts: CaseOptions = {}): Promise<Comparison[]> {
  const bytes = writeModel(singleOpModel(spec));
  return checkBytes(name, bytes, inputs, opts);
}

export async function checkBytes(name: string, bytes: Uint8Array, inputs: ArrayLike<number>[], opts: CaseOptions = {}): Promise<Comparison[]> {
  const ref = await runReference(bytes, inputs, opts.invocations ?? 1);
  // The official runtime ran this model, so the validity pass must accept it (runOurs would refuse it otherwise;
  // said here so that a refusal reads as what it is).
  assert.deepEqual(modelProblems(readModel(bytes, name, { validate: false })).map((p) => p.message), [], `${name}: validity pass`);
  const ours = runOurs(bytes, inputs, opts.invocations ?? 1);
  assert.equal(ours.length, ref.length, `${name}: output count`);
  const out: Comparison[] = [];
  ours.forEach((o, k) => {
    assert.deepEqual(o.shape, ref[k].shape, `${name}: output ${k} shape`);
    assert.equal(o.dtype, ref[k].dtype, `${name}: output ${k} dtype`);
    const c = compareArrays(o.data, ref[k].data, ref[k].dtype, opts.lsb ?? 1);
    if (opts.stats) opts.stats.add(opts.label ?? name.split(' ')[0], c);
    assert.ok(c.ok, `${name}: output ${k}: ${c.message}`);
    out.push(c);
  });
  return out;
}

// ---------------------------------------------------------------- random shapes and options

export const PADDINGS = ['SAME', 'VALID'] as const;
export const ACTIVATIONS = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'] as const;

/** Output spatial size as TFLite computes it (ComputeOutSize with dilation). */
export function convOutSize(padding: string, size: number, filter: number, stride: number, dilation = 1): number {
  const eff = (filter - 1) * dilation + 1;
  return padding === 'SAME' ? Math.floor((size + stride - 1) / stride) : Math.floor((size - eff + stride) / stride);
}

/** Float values for a quantized tensor's real range, then quantized with its params (for float-in cases). */
export function quantizeAll(x: ArrayLike<number>, scale: number, zeroPoint: number, dtype: DType): number[] {
  const [lo, hi] = qRange(dtype);
  const out = new Array<number>(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.max(lo, Math.min(hi, Math.round(x[i] / scale) + zeroPoint));
  return out;
}
