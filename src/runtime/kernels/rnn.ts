// RNN and UNIDIRECTIONAL_SEQUENCE_RNN (a fully connected recurrent cell): h = activation(bias + W x + R h), with
// inputs (input, weights [units, in], recurrent weights [units, units], bias [units], hidden state [batch, units]:
// a variable tensor that persists across invocations). RNN runs one step on [batch, in]; the sequence op runs every
// step of [batch, time, in] (or [time, batch, in] with time_major) and outputs each step's h.
// Variants: float32; hybrid (int8 weights, per-tensor scales: x and h quantized per batch and per step as
// hybrid-matvec.ts, the sum and activation in float32), as TFLite's RnnBatchStep.

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { accumulateProduct, hybridOperand, quantizeRows, rowSums, type HybridOperand } from './hybrid-matvec.js';

const f32 = Math.fround;
const IN = { input: 0, weights: 1, recurrent: 2, bias: 3, state: 4 } as const;
const ACTIVATIONS = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGMOID', 'SIGN_BIT'];

export interface RnnPlan {
  sequence: boolean;
  timeMajor: boolean;
  batches: number; steps: number; inputSize: number; units: number;
  activation: string;
  bias: Float32Array;
  /** One step's outputs (float32 accumulation as TFLite). */
  acc: Float32Array;
  /** Hybrid: quantized x and h rows, scales and row sums; null for float. */
  hx: HybridOperand | null; hh: HybridOperand | null;
  wScale: number; rScale: number;
  wSums: Int32Array; rSums: Int32Array;
}

function prepareRnn(ctx: PrepareContext, sequence: boolean): RnnPlan {
  if (ctx.inputs.length !== 5) ctx.unsupported(`needs 5 inputs, got ${ctx.inputs.length}`);
  const input = ctx.inputs[IN.input], w = ctx.inputs[IN.weights], r = ctx.inputs[IN.recurrent];
  const bias = ctx.inputs[IN.bias], state = ctx.inputs[IN.state];
  if (!input || !w || !r || !bias || !state) ctx.unsupported('input, weights, recurrent weights, bias and hidden state are required');
  if (!state.isVariable) ctx.unsupported(`hidden state '${state.name}' must be a variable tensor`);
  const timeMajor = sequence && ctx.options.timeMajor === true;
  if (input.shape.length !== (sequence ? 3 : 2)) ctx.unsupported(`input '${input.name}' must be ${sequence ? 3 : 2}-D, got [${input.shape}]`);
  const batches = sequence ? (timeMajor ? input.shape[1] : input.shape[0]) : input.shape[0];
  const steps = sequence ? (timeMajor ? input.shape[0] : input.shape[1]) : 1;
  const inputSize = input.shape[input.shape.length - 1];
  if (w.shape.length !== 2 || w.shape[1] !== inputSize) ctx.unsupported(`weights '${w.name}' [${w.shape}] do not match input size ${inputSize}`);
  const units = w.shape[0];
  if (r.shape.length !== 2 || r.shape[0] !== units || r.shape[1] !== units) ctx.unsupported(`recurrent weights '${r.name}' must be [${units}, ${units}], got [${r.shape}]`);
  if (bias.data.length !== units || bias.dtype !== 'float32') ctx.unsupported(`bias '${bias.name}' must be float32 [${units}]`);
  if (state.data.length !== batches * units || state.dtype !== 'float32') ctx.unsupported(`hidden state '${state.name}' must be float32 [${batches}, ${units}]`);
  if (input.dtype !== 'float32') ctx.unsupported(`input '${input.name}' must be float32, got ${input.dtype}`);
  const output = ctx.outputs[0];
  if (output.dtype !== 'float32') ctx.unsupported(`output '${output.name}' must be float32`);
  output.shape = sequence ? (timeMajor ? [steps, batches, units] : [batches, steps, units]) : [batches, units];
  const activation = String(ctx.options.fusedActivationFunction ?? 'NONE');
  if (!ACTIVATIONS.includes(activation)) ctx.unsupported(`fused activation ${activation}`);
  const plan: RnnPlan = {
    sequence, timeMajor, batches, steps, inputSize, units, activation,
    bias: Float32Array.from(bias.data as Float32Array), acc: new Float32Array(batches * units),
    hx: null, hh: null, wScale: 1, rScale: 1, wSums: new Int32Array(0), rSums: new Int32Array(0),
  };
  if (w.dtype === 'int8' && r.dtype === 'int8') {
    if (!w.isConstant || !r.isConstant) ctx.unsupported('hybrid RNN needs constant weights');
    const asymmetric = ctx.options.asymmetricQuantizeInputs === true;
    plan.hx = hybridOperand(batches, inputSize, asymmetric);
    plan.hh = hybridOperand(batches, units, asymmetric);
    plan.wScale = w.scale[0] ?? 1;
    plan.rScale = r.scale[0] ?? 1;
    plan.wSums = rowSums(w.data as Int8Array, units, inputSize);
    plan.rSums = rowSums(r.data as Int8Array, units, units);
  } else if (w.dtype !== 'float32' || r.dtype !== 'float32') {
    ctx.unsupported(`weights ${w.dtype} / ${r.dtype} (supported: float32, or int8 for the hybrid op)`);
  }
  return plan;
}

function activate(act: string, v: number): number {
  switch (act) {
    case 'RELU': return v < 0 ? 0 : v;
    case 'RELU_N1_TO_1': return v < -1 ? -1 : v > 1 ? 1 : v;
    case 'RELU6': return v < 0 ? 0 : v > 6 ? 6 : v;
    case 'TANH': return Math.tanh(v);
    case 'SIGMOID': return 1 / (1 + Math.exp(-v));
    case 'SIGN_BIT': return v < 0 || Object.is(v, -0) ? 1 : 0;
    default: return v;
  }
}

/** One step for every batch: x rows at xOff + b * xStride; h (the state) updated; outputs written by the caller. */
function step(p: RnnPlan, x: Float32Array, xOff: number, xStride: number, w: Float32Array | Int8Array, r: Float32Array | Int8Array, h: Float32Array): void {
  const { batches, inputSize, units, acc, bias } = p;
  for (let b = 0; b < batches; b++) acc.set(bias, b * units);
  if (p.hx && p.hh) {
    if (quantizeRows(p.hx, x, xOff, xStride, p.wScale)) accumulateProduct(p.hx, w as Int8Array, units, p.wSums, acc, 0, units);
    if (quantizeRows(p.hh, h, 0, units, p.rScale)) accumulateProduct(p.hh, r as Int8Array, units, p.rSums, acc, 0, units);
  } else {
    for (let b = 0; b < batches; b++) {
      const xb = xOff + b * xStride, hb = b * units;
      for (let u = 0; u < units; u++) {
        let s = 0;
        for (let k = 0; k < inputSize; k++) s += w[u * inputSize + k] * x[xb + k];
        let t = 0;
        for (let k = 0; k < units; k++) t += r[u * units + k] * h[hb + k];
        acc[hb + u] = f32(f32(acc[hb + u] + f32(s)) + f32(t));
      }
    }
  }
  for (let i = 0; i < batches * units; i++) h[i] = activate(p.activation, acc[i]);
}

function evalRnn(p: RnnPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const x = inputs[IN.input]!.data as Float32Array;
  const w = inputs[IN.weights]!.data as Float32Array | Int8Array;
  const r = inputs[IN.recurrent]!.data as Float32Array | Int8Array;
  const h = inputs[IN.state]!.data as Float32Array;
  const out = outputs[0].data as Float32Array;
  const { batches, steps, inputSize, units } = p;
  for (let t = 0; t < steps; t++) {
    // Batch-major sequences: row b of step t starts at (b * steps + t) * inputSize.
    const xOff = p.timeMajor || !p.sequence ? t * batches * inputSize : t * inputSize;
    const xStride = p.timeMajor || !p.sequence ? inputSize : steps * inputSize;
    step(p, x, xOff, xStride, w, r, h);
    for (let b = 0; b < batches; b++) {
      const dst = p.timeMajor || !p.sequence ? (t * batches + b) * units : (b * steps + t) * units;
      for (let u = 0; u < units; u++) out[dst + u] = h[b * units + u];
    }
  }
}

export const rnnKernel: Kernel<RnnPlan> = {
  op: 'RNN',
  // v1 float, v2 hybrid, v3 asymmetric hybrid inputs.
  maxVersion: 3,
  prepare: (ctx) => prepareRnn(ctx, false),
  eval: evalRnn,
};

export const unidirectionalSequenceRnnKernel: Kernel<RnnPlan> = {
  op: 'UNIDIRECTIONAL_SEQUENCE_RNN',
  // v1 float, v2 hybrid, v3 asymmetric hybrid inputs.
  maxVersion: 3,
  prepare: (ctx) => prepareRnn(ctx, true),
  eval: evalRnn,
};
