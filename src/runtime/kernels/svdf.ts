// SVDF (a fully connected layer factored into rank-r feature and time filters, with a memory of past
// activations): inputs (input [batch, in], weights_feature [filters, in], weights_time [filters, memory],
// optional bias [units], activation state [batch, memory * filters] — a variable tensor that persists across
// invocations and that resetVariables() restores). Each invocation, as TFLite's reference svdf.h:
//   shift every filter's memory left by one; the newest slot := weights_feature . input;
//   per filter: weights_time . memory; per unit: bias + the sum of its `rank` filters; activation.
// Variants: float32 (any of TFLite's vector activations), and fully integer int8 (int8 input / feature weights /
// output, int16 time weights and state, int32 bias; two multipliers from float32 scale products as in
// svdf.cc's Prepare); and hybrid (float input, state and output; int8 weights_feature applied to the input
// quantized per batch as hybrid-matvec.ts, int8 weights_time dequantized once, the rest float). TFLite's integer path requires RELU yet applies no clamp beyond the int8 range: we do the
// same (and accept NONE, which means exactly that).

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../quant-math.js';
import { requireQuantized } from './conv-common.js';
import { accumulateProduct, hybridOperand, quantizeRows, rowSums, type HybridOperand } from './hybrid-matvec.js';

const IN = { input: 0, weightsFeature: 1, weightsTime: 2, bias: 3, state: 4 } as const;

export interface SvdfPlan {
  integer: boolean;
  batches: number; inputSize: number; filters: number; units: number; rank: number; memory: number;
  activation: string;
  bias: Float64Array;
  /** One value per (batch, filter): the feature and then the time products. */
  scratch: Float64Array;
  inputZp: number; outputZp: number;
  m1: number; s1: number; m2: number; s2: number;
  /** Hybrid: the quantized input, weights_feature's scale and row sums, weights_time dequantized, a float32 row. */
  hybrid: HybridOperand | null;
  wfScale: number;
  wfSums: Int32Array;
  wtFloat: Float32Array | null;
  newest: Float32Array;
}

const FLOAT_ACTIVATIONS = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1', 'TANH', 'SIGN_BIT'];

function prepareSvdf(ctx: PrepareContext): SvdfPlan {
  if (ctx.inputs.length !== 5) ctx.unsupported(`needs 5 inputs, got ${ctx.inputs.length}`);
  const input = ctx.inputs[IN.input];
  const wf = ctx.inputs[IN.weightsFeature];
  const wt = ctx.inputs[IN.weightsTime];
  const bias = ctx.inputs[IN.bias] ?? null;
  const state = ctx.inputs[IN.state];
  const output = ctx.outputs[0];
  if (!input || !wf || !wt || !state) ctx.unsupported('input, weights_feature, weights_time and the state are required');
  if (!state.isVariable) ctx.unsupported(`state '${state.name}' must be a variable tensor`);
  if (input.shape.length !== 2 || wf.shape.length !== 2 || wt.shape.length !== 2) {
    ctx.unsupported(`input [${input.shape}], weights_feature [${wf.shape}] and weights_time [${wt.shape}] must be 2-D`);
  }
  const rank = Number(ctx.options.rank ?? 0);
  const [batches, inputSize] = input.shape;
  const [filters, wfIn] = wf.shape;
  const memory = wt.shape[1];
  if (!(Number.isInteger(rank) && rank > 0) || filters % rank !== 0) ctx.unsupported(`rank ${rank} does not divide ${filters} filters`);
  if (wfIn !== inputSize) ctx.unsupported(`weights_feature depth ${wfIn} does not match input size ${inputSize}`);
  if (wt.shape[0] !== filters) ctx.unsupported(`weights_time has ${wt.shape[0]} rows for ${filters} filters`);
  if (!(memory > 0)) ctx.unsupported(`weights_time memory size ${memory} must be positive`);
  const units = filters / rank;
  if (bias && bias.data.length !== units) ctx.unsupported(`bias '${bias.name}' has ${bias.data.length} values for ${units} units`);
  if (state.data.length !== batches * memory * filters) {
    ctx.unsupported(`state '${state.name}' [${state.shape}] must hold batch ${batches} x memory ${memory} x filters ${filters} values`);
  }
  output.shape = [batches, units];
  const activation = String(ctx.options.fusedActivationFunction ?? 'NONE');

  const plan: SvdfPlan = {
    integer: false, batches, inputSize, filters, units, rank, memory, activation,
    bias: new Float64Array(units), scratch: new Float64Array(batches * filters),
    inputZp: 0, outputZp: 0, m1: 0, s1: 0, m2: 0, s2: 0,
    hybrid: null, wfScale: 1, wfSums: new Int32Array(0), wtFloat: null, newest: new Float32Array(0),
  };
  if (bias) for (let u = 0; u < units; u++) plan.bias[u] = Number(bias.data[u]);

  if (input.dtype === 'float32' && wf.dtype === 'float32') {
    for (const t of [wt, state, output]) if (t.dtype !== 'float32') ctx.unsupported(`'${t.name}' must be float32, got ${t.dtype}`);
    if (bias && bias.dtype !== 'float32') ctx.unsupported(`bias '${bias.name}' must be float32, got ${bias.dtype}`);
    if (!FLOAT_ACTIVATIONS.includes(activation)) ctx.unsupported(`fused activation ${activation}`);
  } else if (input.dtype === 'int8' && wf.dtype === 'int8') {
    plan.integer = true;
    if (wt.dtype !== 'int16') ctx.unsupported(`weights_time '${wt.name}' must be int16, got ${wt.dtype}`);
    if (state.dtype !== 'int16') ctx.unsupported(`state '${state.name}' must be int16, got ${state.dtype}`);
    if (output.dtype !== 'int8') ctx.unsupported(`output '${output.name}' must be int8, got ${output.dtype}`);
    if (bias && bias.dtype !== 'int32') ctx.unsupported(`bias '${bias.name}' must be int32, got ${bias.dtype}`);
    if (activation !== 'RELU' && activation !== 'NONE') ctx.unsupported(`fused activation ${activation} on the integer SVDF`);
    for (const t of [input, wf, wt, state, output]) requireQuantized(ctx, t);
    if ((state.zeroPoint[0] ?? 0) !== 0) ctx.unsupported(`state '${state.name}' must be symmetric (zero point 0)`);
    // float32 arithmetic, as svdf.cc computes these from the tensors' float scales.
    const eff1 = Math.fround(Math.fround(input.scale[0] * wf.scale[0]) / state.scale[0]);
    const eff2 = Math.fround(Math.fround(state.scale[0] * wt.scale[0]) / output.scale[0]);
    const q1 = quantizeMultiplier(eff1);
    const q2 = quantizeMultiplier(eff2);
    plan.m1 = q1.multiplier; plan.s1 = q1.shift;
    plan.m2 = q2.multiplier; plan.s2 = q2.shift;
    plan.inputZp = input.zeroPoint[0] ?? 0;
    plan.outputZp = output.zeroPoint[0] ?? 0;
  } else if (input.dtype === 'float32' && wf.dtype === 'int8') {
    if (wt.dtype !== 'int8') ctx.unsupported(`hybrid SVDF needs int8 weights_time, '${wt.name}' is ${wt.dtype}`);
    for (const t of [state, output]) if (t.dtype !== 'float32') ctx.unsupported(`'${t.name}' must be float32, got ${t.dtype}`);
    if (bias && bias.dtype !== 'float32') ctx.unsupported(`bias '${bias.name}' must be float32, got ${bias.dtype}`);
    if (!wf.isConstant || !wt.isConstant) ctx.unsupported('hybrid SVDF needs constant weights');
    if (!FLOAT_ACTIVATIONS.includes(activation)) ctx.unsupported(`fused activation ${activation}`);
    plan.hybrid = hybridOperand(batches, inputSize, ctx.options.asymmetricQuantizeInputs === true);
    plan.wfScale = wf.scale[0] ?? 1;
    plan.wfSums = rowSums(wf.data as Int8Array, filters, inputSize);
    const wtScale = Math.fround(wt.scale[0] ?? 1);
    plan.wtFloat = Float32Array.from(wt.data as Int8Array, (v) => v * wtScale);
    plan.newest = new Float32Array(batches * filters);
  } else {
    ctx.unsupported(`input ${input.dtype} with weights_feature ${wf.dtype} is not supported`);
  }
  return plan;
}

function activate(act: string, v: number): number {
  switch (act) {
    case 'RELU': return v < 0 ? 0 : v;
    case 'RELU6': return v < 0 ? 0 : v > 6 ? 6 : v;
    case 'RELU_N1_TO_1': return v < -1 ? -1 : v > 1 ? 1 : v;
    case 'TANH': return Math.tanh(v);
    // 1 where the sign bit is set (negative numbers and -0), as std::signbit.
    case 'SIGN_BIT': return v < 0 || Object.is(v, -0) ? 1 : 0;
    default: return v;
  }
}

function evalSvdf(p: SvdfPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const x = inputs[IN.input]!.data as Float32Array;
  const wf = inputs[IN.weightsFeature]!.data as Float32Array;
  const wt = p.wtFloat ?? inputs[IN.weightsTime]!.data as Float32Array;
  const state = inputs[IN.state]!.data as Float32Array;
  const out = outputs[0].data as Float32Array;
  const { batches, inputSize, filters, units, rank, memory, scratch, bias } = p;
  const M = memory;

  // The whole state moves left by one; each filter's newest slot is overwritten below.
  state.copyWithin(0, 1);

  const zp = p.inputZp;
  if (p.hybrid) {
    const newest = p.newest;
    newest.fill(0);
    if (quantizeRows(p.hybrid, x, 0, inputSize, p.wfScale)) {
      accumulateProduct(p.hybrid, inputs[IN.weightsFeature]!.data as Int8Array, filters, p.wfSums, newest, 0, filters);
    }
    for (let i = 0; i < batches * filters; i++) state[i * M + M - 1] = newest[i];
  } else for (let b = 0; b < batches; b++) {
    const xb = b * inputSize;
    for (let f = 0; f < filters; f++) {
      const wb = f * inputSize;
      let s = 0;
      for (let i = 0; i < inputSize; i++) s += wf[wb + i] * (x[xb + i] - zp);
      const slot = (b * filters + f) * M + M - 1;
      if (p.integer) {
        const v = multiplyByQuantizedMultiplier(s | 0, p.m1, p.s1);
        state[slot] = v < -32768 ? -32768 : v > 32767 ? 32767 : v;
      } else {
        state[slot] = s;
      }
    }
  }

  for (let b = 0; b < batches; b++) {
    for (let f = 0; f < filters; f++) {
      const sb = (b * filters + f) * M;
      const wb = f * M;
      let s = 0;
      for (let m = 0; m < M; m++) s += wt[wb + m] * state[sb + m];
      // int32 arithmetic wraps in TFLite; float state keeps float32 sums.
      scratch[b * filters + f] = p.integer ? s | 0 : Math.fround(s);
    }
  }

  for (let b = 0; b < batches; b++) {
    for (let u = 0; u < units; u++) {
      let s = bias[u];
      const base = b * filters + u * rank;
      for (let r = 0; r < rank; r++) s += scratch[base + r];
      if (p.integer) {
        const v = multiplyByQuantizedMultiplier(s | 0, p.m2, p.s2) + p.outputZp;
        out[b * units + u] = v < -128 ? -128 : v > 127 ? 127 : v;
      } else {
        out[b * units + u] = activate(p.activation, Math.fround(s));
      }
    }
  }
}

export const svdfKernel: Kernel<SvdfPlan> = {
  op: 'SVDF',
  // v1 float, v2 hybrid, v3 int8, v4 asymmetric hybrid inputs.
  maxVersion: 4,
  prepare: prepareSvdf,
  eval: evalSvdf,
};
