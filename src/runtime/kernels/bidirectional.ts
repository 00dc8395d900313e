// BIDIRECTIONAL_SEQUENCE_LSTM and BIDIRECTIONAL_SEQUENCE_RNN: two independent sequence cells over the same input,
// the backward one reading the steps in reverse (its output at step t is written at step t, as TFLite does). Each
// direction is prepared and run by the unidirectional kernel (lstm.ts / rnn.ts, float or hybrid) on its slice of
// the node's inputs and its own state tensors; merge_outputs concatenates both along the last dimension into one
// output, otherwise forward and backward outputs are separate. The auxiliary input is not supported.
// Two behaviours of TFLite's kernels (the official runtime's) are reproduced or noted:
// - hybrid BIDIRECTIONAL_SEQUENCE_RNN with time-major input runs each direction's whole sequence max_time times
//   (an outer loop over time around the sequence loop), the state carried through: the outputs are the last pass's.
//   We run it the same way.
// - BIDIRECTIONAL_SEQUENCE_LSTM with batch-major input and merge_outputs leaves part of the official runtime's
//   output unwritten (NaN or stale values); ours writes the layout TFLite documents (forward then backward units per
//   step). TF's converter writes time-major bidirectional LSTMs.

import type { Kernel, PrepareContext, RuntimeTensor, TypedArray } from '../kernel.js';
import { unidirectionalSequenceLstmKernel } from './lstm.js';
import { unidirectionalSequenceRnnKernel } from './rnn.js';

interface Direction {
  plan: unknown;
  inputs: (RuntimeTensor | null)[];
  output: RuntimeTensor;
  units: number;
}

export interface BidirectionalPlan {
  cell: Kernel<unknown>;
  fw: Direction;
  bw: Direction;
  /** The input with its steps reversed (the backward direction's input). */
  reversed: RuntimeTensor;
  timeMajor: boolean;
  merge: boolean;
  /** How many times each direction runs its sequence per invocation (see above). */
  passes: number;
  batches: number; steps: number; inputSize: number;
}

/** A tensor owned by the plan (never in the interpreter's arena). */
function ownTensor(name: string, shape: number[], data: TypedArray, like: RuntimeTensor): RuntimeTensor {
  return { index: -1, name, dtype: like.dtype, shape, data, scale: [], zeroPoint: [], quantizedDimension: 0, isConstant: false, isVariable: false };
}

interface Layout {
  cell: Kernel<unknown>;
  /** Slots of the cell's inputs, by direction (the input itself first); -1 = absent. */
  fw: number[]; bw: number[];
  aux: number[];
}

/** bidirectional_sequence_lstm.cc: 48 inputs (no layer norm); the cell takes 24 (18, 19 the states). */
const LSTM_LAYOUT: Layout = {
  cell: unidirectionalSequenceLstmKernel as Kernel<unknown>,
  fw: [0, ...range(1, 17), 35, 36, -1, -1, -1, -1],
  bw: [0, ...range(18, 34), 37, 38, -1, -1, -1, -1],
  aux: range(39, 47),
};

/** bidirectional_sequence_rnn.cc: 12 inputs; the cell takes 5 (4 the hidden state). */
const RNN_LAYOUT: Layout = {
  cell: unidirectionalSequenceRnnKernel as Kernel<unknown>,
  fw: [0, 1, 2, 3, 4],
  bw: [0, 5, 6, 7, 8],
  aux: [9, 10, 11],
};

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

function prepareBidirectional(ctx: PrepareContext, layout: Layout, lstm: boolean): BidirectionalPlan {
  const need = lstm ? 48 : 12;
  if (ctx.inputs.length < need - layout.aux.length) ctx.unsupported(`needs ${need} inputs, got ${ctx.inputs.length}`);
  if (layout.aux.some((k) => ctx.inputs[k])) ctx.unsupported('the auxiliary input is not supported');
  const input = ctx.inputs[0];
  if (!input || input.shape.length !== 3) ctx.unsupported('input must be 3-D');
  const timeMajor = lstm ? ctx.options.timeMajor !== false : ctx.options.timeMajor === true;
  const merge = ctx.options.mergeOutputs === true;
  if (ctx.outputs.length !== (merge ? 1 : 2)) ctx.unsupported(`needs ${merge ? 1 : 2} outputs with merge_outputs ${merge}, got ${ctx.outputs.length}`);
  const [d0, d1, inputSize] = input.shape;
  const steps = timeMajor ? d0 : d1, batches = timeMajor ? d1 : d0;
  const reversed = ownTensor(`${input.name} (reversed steps)`, input.shape.slice(), new Float32Array(batches * steps * inputSize), input);
  reversed.scale = input.scale; reversed.zeroPoint = input.zeroPoint;
  const options = { ...ctx.options, timeMajor };
  const direction = (slots: number[], which: string, source: RuntimeTensor): Direction => {
    const inputs = slots.map((k, i) => (i === 0 ? source : k < 0 ? null : ctx.inputs[k] ?? null));
    const output = ownTensor(`${which} output`, [], new Float32Array(0), ctx.outputs[0]);
    const sub: PrepareContext = {
      ...ctx, options, inputs, outputs: [output], intermediates: [], wasm: null,
      unsupported: (what: string) => ctx.unsupported(`${which} direction: ${what}`),
    };
    const plan = layout.cell.prepare(sub);
    output.data = new Float32Array(output.shape.reduce((a, b) => a * b, 1));
    return { plan, inputs, output, units: output.shape[2] };
  };
  const fw = direction(layout.fw, 'forward', input);
  const bw = direction(layout.bw, 'backward', reversed);
  const outShape = (n: number) => (timeMajor ? [steps, batches, n] : [batches, steps, n]);
  for (const o of ctx.outputs) if (o.dtype !== 'float32') ctx.unsupported(`output '${o.name}' must be float32`);
  if (merge) ctx.outputs[0].shape = outShape(fw.units + bw.units);
  else { ctx.outputs[0].shape = outShape(fw.units); ctx.outputs[1].shape = outShape(bw.units); }
  const hybrid = ctx.inputs[1]?.dtype === 'int8';
  const passes = !lstm && hybrid && timeMajor ? steps : 1;
  return { cell: layout.cell, fw, bw, reversed, timeMajor, merge, passes, batches, steps, inputSize };
}

/** Row offset of (step, batch) in a [steps, batches, n] or [batches, steps, n] tensor. */
function rowOf(p: BidirectionalPlan, t: number, b: number): number {
  return p.timeMajor ? t * p.batches + b : b * p.steps + t;
}

function evalBidirectional(p: BidirectionalPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const x = inputs[0]!.data as Float32Array;
  const rev = p.reversed.data as Float32Array;
  const { steps, batches, inputSize } = p;
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < batches; b++) {
      const src = rowOf(p, steps - 1 - t, b) * inputSize, dst = rowOf(p, t, b) * inputSize;
      for (let k = 0; k < inputSize; k++) rev[dst + k] = x[src + k];
    }
  }
  for (let pass = 0; pass < p.passes; pass++) {
    p.cell.eval(p.fw.plan, p.fw.inputs, [p.fw.output], []);
    p.cell.eval(p.bw.plan, p.bw.inputs, [p.bw.output], []);
  }
  const fwOut = p.fw.output.data as Float32Array, bwOut = p.bw.output.data as Float32Array;
  const nf = p.fw.units, nb = p.bw.units;
  const out0 = outputs[0].data as Float32Array;
  const out1 = p.merge ? out0 : outputs[1].data as Float32Array;
  const width0 = p.merge ? nf + nb : nf;
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < batches; b++) {
      const row = rowOf(p, t, b);
      for (let k = 0; k < nf; k++) out0[row * width0 + k] = fwOut[row * nf + k];
      // The backward cell's step t read input step steps-1-t: its output belongs there.
      const bwRow = rowOf(p, steps - 1 - t, b);
      const at = p.merge ? row * width0 + nf : row * nb;
      for (let k = 0; k < nb; k++) out1[at + k] = bwOut[bwRow * nb + k];
    }
  }
}

export const bidirectionalSequenceLstmKernel: Kernel<BidirectionalPlan> = {
  op: 'BIDIRECTIONAL_SEQUENCE_LSTM',
  // v1 float, v2 hybrid, v3 asymmetric hybrid inputs.
  maxVersion: 3,
  prepare: (ctx) => prepareBidirectional(ctx, LSTM_LAYOUT, true),
  eval: evalBidirectional,
};

export const bidirectionalSequenceRnnKernel: Kernel<BidirectionalPlan> = {
  op: 'BIDIRECTIONAL_SEQUENCE_RNN',
  // v1 float, v2 hybrid, v3 asymmetric hybrid inputs.
  maxVersion: 3,
  prepare: (ctx) => prepareBidirectional(ctx, RNN_LAYOUT, false),
  eval: evalBidirectional,
};
