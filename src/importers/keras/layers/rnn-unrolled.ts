// Keras recurrent layers as an unrolled sequence of plain TFLite ops: SimpleRNN, GRU, and LSTMs the fused
// UNIDIRECTIONAL_SEQUENCE_LSTM cannot express (other activations, return_state). TFLite has no fused GRU and its
// UNIDIRECTIONAL_SEQUENCE_RNN has float and hybrid kernels only, while FULLY_CONNECTED / ADD / SUB / MUL / LOGISTIC /
// TANH / UNPACK / PACK all have int8 kernels: so one op chain per time step, every step reading the same weight
// constants (the quantizer quantizes a shared constant once). TF's converter writes a WHILE loop for these layers
// (a fully unrolled graph when the layer has unroll=True); the result is the same.
//
// Cell equations and weight layouts follow Keras's cells (keras/src/layers/rnn/simple_rnn.py, gru.py, lstm.py):
// kernel [in, G*units] and recurrent_kernel [units, G*units] with the G gates side by side (GRU: z, r, h; LSTM:
// i, f, c, o), bias [G*units]; a GRU built with reset_after=True has bias [2, 3*units] (input bias; recurrent bias)
// and applies its reset gate after the recurrent matmul: hh = act(x·Wh + bx_h + r ⊙ (h·Uh + bh_h)); with
// reset_after=False: hh = act(x·Wh + b_h + (r ⊙ h)·Uh). Every sequence starts from the zero state.

import { ModelFormatError, UnsupportedError } from '../../../errors.js';
import type { WeightArray } from '../source.js';
import { activationName, applyActivation, expectShape, isDynamicDim, requireRank, weightsOf, type ConvertContext } from '../emit.js';
import { biasVariable, trainable, type LayerConfig, type LayerVariable } from './layer.js';

/** Most time steps a layer is unrolled over (each step is some twenty ops). */
export const MAX_UNROLLED_STEPS = 4096;

export const recurrentVariables = (cfg: LayerConfig): LayerVariable[] => [trainable('kernel'), trainable('recurrent_kernel'), ...biasVariable(cfg)];

/** What none of the recurrent layers converts. */
export function recurrentUnsupportedReason(cfg: LayerConfig): string | null {
  if (cfg.stateful) return 'stateful=True (the state carried from one batch to the next has no TFLite equivalent; convert a stateless copy of the model)';
  if (cfg.time_major) return 'time_major=True';
  return null;
}

/** Columns [gate*units, (gate+1)*units) of a packed Keras [rows, G*units] matrix, as TFLite's FC weights [units, rows]. */
function gateMatrix(w: WeightArray, gate: number, units: number, gates: number): Float32Array {
  const rows = w.shape[0];
  const cols = gates * units;
  const out = new Float32Array(units * rows);
  for (let r = 0; r < rows; r++) for (let u = 0; u < units; u++) out[u * rows + r] = w.values[r * cols + gate * units + u];
  return out;
}

/** How one cell family computes a step: its gates and the ops of one step given the gates' input projections. */
interface CellSpec {
  className: string;
  gates: number;
  /** State tensors beyond h (LSTM: c). */
  extraStates: number;
  /**
   * Bias per gate added to the input projection, and the recurrent biases kept apart (GRU reset_after's h gate):
   * from the stored bias, whose shape the spec checks.
   */
  biases(ctx: ConvertContext, path: string[], bias: WeightArray | undefined, units: number, cfg: LayerConfig): { input: Float32Array[]; recurrentH: Float32Array | null };
  /** One step: x projections per gate (with input biases), the previous states (null at the first step). */
  step(s: StepContext, xs: number[], prev: number[] | null): number[];
}

/** What a step emits with: the emitter, the gates' recurrent weight constants, activations, names. */
interface StepContext {
  ctx: ConvertContext;
  units: number;
  batch: number;
  recurrentW: number[];
  recurrentHBias: number;
  act: string;
  recAct: string;
  name: string;
}

const stepShape = (s: StepContext) => [s.batch, s.units];
const op = (s: StepContext, kind: string, inputs: number[], what: string) => s.ctx.e.op(kind, inputs, `${s.name}/${what}`, stepShape(s));
const recurrentFc = (s: StepContext, h: number, gate: number, what: string) => op(s, 'FULLY_CONNECTED', [h, s.recurrentW[gate], -1], what);
const activate = (s: StepContext, x: number, act: string, what: string) => applyActivation(s.ctx, x, act, `${s.name}/${what}`);

/** Keras's packed bias split per gate; zeros without one. */
function splitBias(values: Float32Array | null, gates: number, units: number): Float32Array[] {
  return Array.from({ length: gates }, (_, g) => (values ? values.slice(g * units, (g + 1) * units) : new Float32Array(units)));
}

const simpleRnnCell: CellSpec = {
  className: 'SimpleRNN',
  gates: 1,
  extraStates: 0,
  biases(ctx, path, bias, units) {
    if (bias) expectShape(ctx, path, bias, [units], 'bias');
    return { input: splitBias(bias?.values ?? null, 1, units), recurrentH: null };
  },
  // h = act(x·W + b + h·U)
  step(s, [x], prev) {
    const pre = prev ? op(s, 'ADD', [x, recurrentFc(s, prev[0], 0, 'recurrent')], 'pre_activation') : x;
    return [activate(s, pre, s.act, 'h')];
  },
};

function gruResetAfter(cfg: LayerConfig, bias: WeightArray | undefined): boolean {
  // TF.js and Keras 1 default to False, Keras 2 and 3 to True; both always write it. A config without it is read
  // from the stored bias: [2, 3u] is reset_after's.
  if (cfg.reset_after !== undefined && cfg.reset_after !== null) return Boolean(cfg.reset_after);
  return bias?.shape.length === 2;
}

const gruCell: CellSpec = {
  className: 'GRU',
  gates: 3,
  extraStates: 0,
  biases(ctx, path, bias, units, cfg) {
    if (!bias) return { input: splitBias(null, 3, units), recurrentH: null };
    if (!gruResetAfter(cfg, bias)) {
      expectShape(ctx, path, bias, [3 * units], 'bias');
      return { input: splitBias(bias.values, 3, units), recurrentH: null };
    }
    expectShape(ctx, path, bias, [2, 3 * units], 'bias (reset_after=True: input and recurrent biases)');
    const input = splitBias(bias.values.subarray(0, 3 * units), 3, units);
    const recurrent = splitBias(bias.values.subarray(3 * units), 3, units);
    // The z and r gates add both biases to the same sum: folded into the input projection's bias.
    for (const g of [0, 1]) for (let u = 0; u < units; u++) input[g][u] += recurrent[g][u];
    return { input, recurrentH: recurrent[2] };
  },
  step(s, [xz, xr, xh], prev) {
    const resetAfter = s.recurrentHBias !== -2;
    if (!prev) {
      // h0 = 0: z = ract(xz), hh = act(xh [+ r ⊙ bh_h]), h = (1 - z) ⊙ hh = hh - z ⊙ hh.
      const z = activate(s, xz, s.recAct, 'z');
      let pre = xh;
      if (resetAfter && s.recurrentHBias >= 0) {
        const r = activate(s, xr, s.recAct, 'r');
        pre = op(s, 'ADD', [xh, op(s, 'MUL', [r, s.recurrentHBias], 'reset_recurrent')], 'candidate_pre_activation');
      }
      const hh = activate(s, pre, s.act, 'candidate');
      return [op(s, 'SUB', [hh, op(s, 'MUL', [z, hh], 'z_candidate')], 'h')];
    }
    const [h] = prev;
    const z = activate(s, op(s, 'ADD', [xz, recurrentFc(s, h, 0, 'recurrent_z')], 'z_pre_activation'), s.recAct, 'z');
    const r = activate(s, op(s, 'ADD', [xr, recurrentFc(s, h, 1, 'recurrent_r')], 'r_pre_activation'), s.recAct, 'r');
    let rec: number;
    if (resetAfter) {
      let uh = recurrentFc(s, h, 2, 'recurrent_h');
      if (s.recurrentHBias >= 0) uh = op(s, 'ADD', [uh, s.recurrentHBias], 'recurrent_h_biased');
      rec = op(s, 'MUL', [r, uh], 'reset_recurrent');
    } else {
      rec = recurrentFc(s, op(s, 'MUL', [r, h], 'reset_h'), 2, 'recurrent_h');
    }
    const hh = activate(s, op(s, 'ADD', [xh, rec], 'candidate_pre_activation'), s.act, 'candidate');
    // z ⊙ h + (1 - z) ⊙ hh, written as hh + z ⊙ (h - hh).
    const mix = op(s, 'MUL', [z, op(s, 'SUB', [h, hh], 'h_minus_candidate')], 'z_mix');
    return [op(s, 'ADD', [hh, mix], 'h')];
  },
};

const lstmCell: CellSpec = {
  className: 'LSTM',
  gates: 4,
  extraStates: 1,
  biases(ctx, path, bias, units) {
    if (bias) expectShape(ctx, path, bias, [4 * units], 'bias');
    return { input: splitBias(bias?.values ?? null, 4, units), recurrentH: null };
  },
  // i, f, o = ract(x·W + b + h·U); c = f ⊙ c + i ⊙ act(x·Wc + bc + h·Uc); h = o ⊙ act(c).
  step(s, [xi, xf, xc, xo], prev) {
    const gate = (x: number, g: number, act: string, what: string) =>
      activate(s, prev ? op(s, 'ADD', [x, recurrentFc(s, prev[0], g, `recurrent_${what}`)], `${what}_pre_activation`) : x, act, what);
    const i = gate(xi, 0, s.recAct, 'i');
    const cc = gate(xc, 2, s.act, 'candidate');
    const o = gate(xo, 3, s.recAct, 'o');
    let c = op(s, 'MUL', [i, cc], prev ? 'i_candidate' : 'c');
    if (prev) {
      const f = gate(xf, 1, s.recAct, 'f');
      c = op(s, 'ADD', [op(s, 'MUL', [f, prev[1]], 'f_c'), c], 'c');
    }
    return [op(s, 'MUL', [o, activate(s, c, s.act, 'c_activation')], 'h'), c];
  },
};

export const UNROLLED_CELLS: Readonly<Record<string, CellSpec>> = { SimpleRNN: simpleRnnCell, GRU: gruCell, LSTM: lstmCell };

/**
 * Emit a recurrent layer unrolled over its (static) time steps. Returns Keras's outputs: the sequence (or last
 * step), then with return_state the final states (h; LSTM: h, c).
 */
export function unrolledRecurrent(ctx: ConvertContext, cell: CellSpec, x: number, cfg: LayerConfig, path: string[]): number[] {
  const e = ctx.e;
  const name = path.join('/');
  requireRank(ctx, x, 3, path, cell.className);
  const [n, steps, inDim] = e.shape(x);
  // The unrolled graph is fixed to its number of steps: a length known only at run time cannot be unrolled.
  if (isDynamicDim(steps)) throw e.dynamicSizeError(`'${name}' (${cell.className}) is unrolled over a fixed number of time steps`);
  if (steps > MAX_UNROLLED_STEPS) {
    throw new UnsupportedError(`${ctx.src.file}: layer '${name}' (${cell.className}) has ${steps} time steps; at most ${MAX_UNROLLED_STEPS} are unrolled`);
  }
  const units = Number(cfg.units);
  if (!Number.isSafeInteger(units) || units <= 0) throw new ModelFormatError(`${ctx.src.file}: layer '${name}' has units ${cfg.units}`);
  const G = cell.gates;
  const w = weightsOf(ctx, path, recurrentVariables(cfg));
  const kernel = w.get('kernel')!;
  const recurrent = w.get('recurrent_kernel')!;
  expectShape(ctx, path, kernel, [inDim, G * units], 'kernel');
  expectShape(ctx, path, recurrent, [units, G * units], 'recurrent_kernel');
  const { input: inputBias, recurrentH } = cell.biases(ctx, path, w.get('bias'), units, cfg);
  const act = activationName(cfg.activation ?? 'tanh');
  const recAct = activationName(cfg.recurrent_activation ?? 'sigmoid');

  // The input projections of all steps at once, one FC per gate over [n, steps, in], then one tensor per step.
  const stepInputs: number[][] = Array.from({ length: steps }, () => []);
  for (let g = 0; g < G; g++) {
    const wg = e.constF(`${name}/kernel_${g}`, [units, inDim], gateMatrix(kernel, g, units, G));
    const bg = e.constF(`${name}/bias_${g}`, [units], inputBias[g]);
    const proj = e.op('FULLY_CONNECTED', [x, wg, bg], `${name}/input_projection_${g}`, [n, steps, units], { keepNumDims: true });
    const outs = Array.from({ length: steps }, (_, t) => e.act(`${name}/input_projection_${g}/step${t}`, [n, units]));
    e.b.addOp('UNPACK', [proj], outs, { num: steps, axis: 1 });
    outs.forEach((t, k) => stepInputs[k].push(t));
  }
  const recurrentW = Array.from({ length: G }, (_, g) => e.constF(`${name}/recurrent_kernel_${g}`, [units, units], gateMatrix(recurrent, g, units, G)));
  // -2: reset before the matmul (GRU reset_after=False); -1: reset after, no recurrent bias.
  const resetAfter = cell === gruCell ? gruResetAfter(cfg, w.get('bias')) : false;
  const recurrentHBias = recurrentH ? e.constF(`${name}/recurrent_bias_h`, [units], recurrentH) : resetAfter ? -1 : -2;

  // go_backwards: Keras reads the last step first and returns the outputs in that order.
  const order = Array.from({ length: steps }, (_, t) => (cfg.go_backwards ? steps - 1 - t : t));
  let state: number[] | null = null;
  const outputs: number[] = [];
  order.forEach((t, k) => {
    const s: StepContext = { ctx, units, batch: n, recurrentW, recurrentHBias, act, recAct, name: `${name}/step${k}` };
    state = cell.step(s, stepInputs[t], state);
    outputs.push(state[0]);
  });
  const final = state! as number[];
  const seq = cfg.return_sequences
    ? e.op('PACK', outputs, name, [n, steps, units], { valuesCount: steps, axis: 1 })
    : final[0];
  return cfg.return_state ? [seq, ...final] : [seq];
}
