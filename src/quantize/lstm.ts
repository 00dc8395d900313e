// The LSTM's quantization layout (TFLite's integer 8x8->16 LSTM, as Google's converter writes
// UNIDIRECTIONAL_SEQUENCE_LSTM): int8 symmetric per-tensor weights, int32 gate biases at input_scale x
// input-weight scale, int8 hidden state sharing the output's parameters, int16 symmetric cell state with a
// power-of-two scale covering the calibrated cell range, and five intermediates (four unused float ones without
// layer normalization, one int8 carrying the hidden state's parameters).
// The cell state never appears as an op output, so calibration re-runs the float recurrence here to measure it.

import type { Model, Operator, Subgraph } from '../graph/model.js';
import { floatValues } from './numerics.js';

/** log2 of the widest cell range: TFLite's integer LSTM requires log2(cell scale) <= -9, i.e. a range of +-2^6. */
const MAX_CELL_EXPONENT = 6;

/** Input slots of the TFLite LSTM. */
export const LSTM = {
  input: 0,
  inputWeights: [1, 2, 3, 4], // input_to_{input, forget, cell, output}
  recurrentWeights: [5, 6, 7, 8], // recurrent_to_{input, forget, cell, output}
  peephole: [9, 10, 11],
  biases: [12, 13, 14, 15], // {input_gate, forget_gate, cell_gate, output_gate}
  projectionWeights: 16,
  projectionBias: 17,
  outputState: 18,
  cellState: 19,
  layerNorm: [20, 21, 22, 23],
} as const;

export const LSTM_INTERMEDIATE_NAMES = [
  'input_to_input_intermediate', 'input_to_forget_intermediate', 'input_to_cell_intermediate',
  'input_to_output_intermediate', 'effective_hidden_scale_intermediate',
];

const present = (node: Operator, i: number) => i < node.inputs.length && node.inputs[i] >= 0;

/**
 * The variant the integer rewrite supports: no peephole, no projection, optional layer normalization, float weights,
 * batch-major or time-major input, TANH (or no) activation. Others stay float (with a warning).
 */
export function isQuantizableLstm(model: Model, node: Operator): boolean {
  if (node.op !== 'UNIDIRECTIONAL_SEQUENCE_LSTM') return false;
  const sg = model.subgraphs[0];
  if (node.inputs.length < 20) return false;
  if (LSTM.peephole.some((i) => present(node, i)) || present(node, LSTM.projectionWeights)) return false;
  // Layer normalization: all gates' coefficients (the input gate's absent under CIFG), float constants.
  const cifg = !present(node, 1);
  const ln = LSTM.layerNorm.filter((i) => present(node, i));
  if (ln.length > 0) {
    if (ln.length !== (cifg ? 3 : 4) || (cifg && present(node, LSTM.layerNorm[0]))) return false;
    for (const i of ln) {
      const t = sg.tensors[node.inputs[i]];
      if (t.dtype !== 'float32' || !t.data) return false;
    }
  }
  if (!present(node, LSTM.outputState) || !present(node, LSTM.cellState)) return false;
  for (const i of [...LSTM.inputWeights, ...LSTM.recurrentWeights, ...LSTM.biases]) {
    if (!present(node, i)) {
      if (i === 1 || i === 5 || i === 12) continue; // CIFG: no input gate
      return false;
    }
    const t = sg.tensors[node.inputs[i]];
    if (t.dtype !== 'float32' || !t.data) return false;
  }
  const act = node.options.fusedActivationFunction;
  return act === 'TANH' || act === 'NONE' || act === undefined;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Float re-run of one LSTM node's recurrence, tracking the largest |cell state|. */
export class LstmCellObserver {
  maxAbsCell = 0;
  /** Largest |gate pre-activation| before layer normalization, per gate (input, forget, cell, output). */
  readonly maxAbsGate = [0, 0, 0, 0];
  private readonly ln: (Float32Array | null)[];
  private readonly nCell: number;
  private readonly nInput: number;
  private readonly w: (Float32Array | null)[];
  private readonly r: (Float32Array | null)[];
  private readonly b: (Float32Array | null)[];
  private readonly cellClip: number;
  private readonly timeMajor: boolean;
  private readonly tanhAct: boolean;

  constructor(sg: Subgraph, node: Operator) {
    const get = (i: number) => (present(node, i) ? floatValues(sg.tensors[node.inputs[i]]) : null);
    this.w = LSTM.inputWeights.map(get);
    this.r = LSTM.recurrentWeights.map(get);
    this.b = LSTM.biases.map(get);
    this.ln = LSTM.layerNorm.map(get);
    const wShape = sg.tensors[node.inputs[LSTM.inputWeights[1]]].shape;
    this.nCell = wShape[0];
    this.nInput = wShape[1];
    this.cellClip = Number(node.options.cellClip ?? 0);
    this.timeMajor = node.options.timeMajor === true;
    this.tanhAct = node.options.fusedActivationFunction !== 'NONE';
  }

  observe(x: Float32Array, shape: readonly number[]): void {
    const { nCell, nInput } = this;
    const [d0, d1] = shape.length === 3 ? [shape[0], shape[1]] : [1, shape[0]];
    const batches = this.timeMajor ? d1 : d0;
    const steps = this.timeMajor ? d0 : d1;
    const gates = [new Float64Array(nCell), new Float64Array(nCell), new Float64Array(nCell), new Float64Array(nCell)];
    const act = this.tanhAct ? Math.tanh : (v: number) => v;
    for (let b = 0; b < batches; b++) {
      const h = new Float64Array(nCell);
      const c = new Float64Array(nCell);
      for (let t = 0; t < steps; t++) {
        const off = (this.timeMajor ? t * batches + b : b * steps + t) * nInput;
        for (let g = 0; g < 4; g++) {
          const W = this.w[g], R = this.r[g], B = this.b[g], out = gates[g];
          if (!W) continue;
          const L = this.ln[g];
          for (let j = 0; j < nCell; j++) {
            let s = B && !L ? B[j] : 0;
            for (let k = 0; k < nInput; k++) s += W[j * nInput + k] * x[off + k];
            if (R) for (let k = 0; k < nCell; k++) s += R[j * nCell + k] * h[k];
            out[j] = s;
            if (L && Math.abs(s) > this.maxAbsGate[g]) this.maxAbsGate[g] = Math.abs(s);
          }
          if (L) {
            // MeanStddevNormalization, then coefficients and the bias (added after normalization).
            let mean = 0;
            for (let j = 0; j < nCell; j++) mean += out[j];
            mean /= nCell;
            let v = 0;
            for (let j = 0; j < nCell; j++) v += (out[j] - mean) ** 2;
            const inv = 1 / Math.sqrt(v / nCell + 1e-8);
            for (let j = 0; j < nCell; j++) out[j] = (out[j] - mean) * inv * L[j] + (B ? B[j] : 0);
          }
        }
        for (let j = 0; j < nCell; j++) {
          const f = sigmoid(gates[1][j]);
          const i = this.w[0] ? sigmoid(gates[0][j]) : 1 - f;
          const gg = act(gates[2][j]);
          const o = sigmoid(gates[3][j]);
          let cj = f * c[j] + i * gg;
          if (this.cellClip > 0) cj = Math.max(-this.cellClip, Math.min(this.cellClip, cj));
          c[j] = cj;
          const a = Math.abs(cj);
          if (a > this.maxAbsCell) this.maxAbsCell = a;
          h[j] = o * act(cj);
        }
      }
    }
  }

  /**
   * int16 symmetric scale: the range rounded up to a power of two, over 2^15 (TF's extend_to_power_of_two), between
   * +-1 and +-64: TFLite's integer LSTM computes tanh of the cell state with 0 to 6 integer bits (log2 of the scale
   * in [-15, -9]); TF's quantizer also starts its power of two at 2^0. A wider cell state saturates.
   */
  cellScale(): number {
    const m = this.maxAbsCell;
    const exponent = m > 1 ? Math.min(Math.ceil(Math.log2(m)), MAX_CELL_EXPONENT) : 0;
    return Math.pow(2, exponent) / 32768;
  }
}
