// Shared by the quantizer's model tests and scripts/verify-quantize.ts: run a .tflite in the OFFICIAL runtime over
// labelled float samples (converted to the file's input type with the file's own parameters) and in our interpreter.
import { readModel } from '../../src/format/index.js';
import { Interpreter, type KernelImplementation } from '../../src/runtime/interpreter.js';
import { createOfficialRunner } from '../../src/runtime/official.js';
import type { Model, Tensor } from '../../src/graph/model.js';
import { mulberry32 } from '../../src/util/random.js';

export interface LabelledSample { inputs: Float32Array[]; label?: number }

/** Float input values -> the raw values a tensor of the file takes (quantized with its scale / zero point). */
export function toInputValues(t: Tensor, values: Float32Array): ArrayLike<number> {
  if (t.dtype === 'float32') return values;
  const s = t.quantization!.scale[0], zp = t.quantization!.zeroPoint[0];
  const [lo, hi] = t.dtype === 'uint8' ? [0, 255] : t.dtype === 'int8' ? [-128, 127] : [-32768, 32767];
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const qv = Math.round(values[i] / s) + zp;
    out[i] = qv < lo ? lo : qv > hi ? hi : qv;
  }
  return out;
}

/** Output values as floats (dequantized with the file's parameters). */
export function toFloat(t: Tensor, raw: ArrayLike<number | bigint>): Float32Array {
  const out = new Float32Array(raw.length);
  const qz = t.quantization;
  for (let i = 0; i < raw.length; i++) {
    const v = Number(raw[i]);
    out[i] = t.dtype === 'float32' || !qz ? v : (v - qz.zeroPoint[0]) * qz.scale[0];
  }
  return out;
}

export function argmax(a: ArrayLike<number>): number {
  let k = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[k]) k = i;
  return k;
}

export interface RunResult {
  /** Raw output 0 per sample (in the file's output type). */
  raw: number[][];
  top1: number[];
}

/**
 * Run every sample in the official runtime. `freshState`: a new runner per sample (recurrent state reset, since
 * the official runtime cannot reset variables).
 */
export async function runOfficialOn(bytes: Uint8Array, samples: LabelledSample[], freshState = false): Promise<RunResult> {
  const model = readModel(bytes, 'quantized.tflite');
  const sg = model.subgraphs[0];
  const ins = sg.inputs.map((i) => sg.tensors[i]);
  const outT = sg.tensors[sg.outputs[0]];
  const raw: number[][] = [];
  const top1: number[] = [];
  let runner = await createOfficialRunner(bytes);
  try {
    for (let k = 0; k < samples.length; k++) {
      if (freshState && k > 0) { runner.delete(); runner = await createOfficialRunner(bytes); }
      samples[k].inputs.forEach((v, i) => runner.setInput(i, toInputValues(ins[i], v)));
      runner.invoke();
      const o = Array.from(runner.getOutputs()[0].data as ArrayLike<number>, Number);
      raw.push(o);
      top1.push(argmax(toFloat(outT, o)));
    }
  } finally {
    runner.delete();
  }
  return { raw, top1 };
}

/** The same in our interpreter (variables reset per sample when asked). */
export function runOursOn(model: Model, samples: LabelledSample[], freshState = false): RunResult {
  const interp = Interpreter.fromModel(model);
  const sg = model.subgraphs[0];
  const ins = sg.inputs.map((i) => sg.tensors[i]);
  const outT = sg.tensors[sg.outputs[0]];
  const raw: number[][] = [];
  const top1: number[] = [];
  for (const s of samples) {
    if (freshState) interp.resetVariables();
    s.inputs.forEach((v, i) => interp.setInput(i, toInputValues(ins[i], v)));
    interp.invoke();
    const o = Array.from(interp.getOutput(0) as ArrayLike<number>, Number);
    raw.push(o);
    top1.push(argmax(toFloat(outT, o)));
  }
  return { raw, top1 };
}

export function accuracy(top1: number[], samples: LabelledSample[]): number {
  let ok = 0;
  top1.forEach((p, k) => { if (p === samples[k].label) ok++; });
  return (100 * ok) / samples.length;
}

export function agreement(a: number[], b: number[]): number {
  let same = 0;
  a.forEach((p, k) => { if (p === b[k]) same++; });
  return (100 * same) / a.length;
}

/** Largest absolute difference between two runs' raw outputs. */
export function maxRawDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((row, k) => row.forEach((v, i) => { m = Math.max(m, Math.abs(v - b[k][i])); }));
  return m;
}

/** Whole-model agreement as the interpreter issue defines it: share of raw output values within 1 LSB, largest diff. */
export function rawAgreement(a: number[][], b: number[][]): { within1: number; max: number } {
  let n = 0, ok = 0, m = 0;
  a.forEach((row, k) => row.forEach((v, i) => {
    const d = Math.abs(v - b[k][i]);
    n++;
    if (d <= 1) ok++;
    if (d > m) m = d;
  }));
  return { within1: (100 * ok) / n, max: m };
}

/** Collect the first `n` samples of a dataset. */
export async function take(ds: AsyncIterable<{ inputs: Float32Array[]; label?: number }>, n: number): Promise<LabelledSample[]> {
  const out: LabelledSample[] = [];
  for await (const s of ds) {
    out.push({ inputs: s.inputs, label: s.label });
    if (out.length >= n) break;
  }
  return out;
}

/** Seeded uniform [0, 1) images (the ResNet calibration set of the acceptance criteria). */
export function seededImages(n: number, size: number, seed: number): Float32Array[][] {
  const next = mulberry32(seed);
  return Array.from({ length: n }, () => [Float32Array.from({ length: size }, next)]);
}

/** Raw outputs (every output, as numbers) of a one-input file in the official runtime, per float input. */
export async function officialRawOutputs(bytes: Uint8Array, model: Model, inputs: Float32Array[]): Promise<number[][][]> {
  const sg = model.subgraphs[0];
  const r = await createOfficialRunner(bytes);
  try {
    return inputs.map((x) => {
      r.setInput(0, toInputValues(sg.tensors[sg.inputs[0]], x));
      r.invoke();
      return r.getOutputs().map((o) => Array.from(o.data as ArrayLike<number>, Number));
    });
  } finally {
    r.delete();
  }
}

/** The same in our interpreter (on the kernels asked for). */
export function ourRawOutputs(model: Model, inputs: Float32Array[], kernels: KernelImplementation = 'wasm'): number[][][] {
  const sg = model.subgraphs[0];
  const it = Interpreter.fromModel(model, { kernels });
  return inputs.map((x) => {
    it.setInput(0, toInputValues(sg.tensors[sg.inputs[0]], x) as any);
    it.invoke();
    return sg.outputs.map((_, k) => Array.from(it.getOutput(k) as ArrayLike<number>, Number));
  });
}
