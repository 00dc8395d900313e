// Recurrent layers: LSTM (as TFLite's fused UNIDIRECTIONAL_SEQUENCE_LSTM when it can express it), GRU and SimpleRNN
// (unrolled into plain ops: rnn-unrolled.ts), and Bidirectional around any of them. The other recurrent layers are
// listed so that the refusal says which RNNs do convert.

import { ModelFormatError, UnsupportedError } from '../../../errors.js';
import type { WeightArray } from '../source.js';
import { ACTIVATIONS, activationName, expectShape, requireRank, weightsOf, type ConvertContext } from '../emit.js';
import type { KerasLayerConverter, LayerConfig } from './layer.js';
import { UNROLLED_CELLS, recurrentUnsupportedReason, recurrentVariables, unrolledRecurrent } from './rnn-unrolled.js';

const LSTM_CLASS_NAMES = ['LSTM', 'LSTMV1', 'CuDNNLSTM'];

/** Recurrent classes by the cell they compute. */
const CELL_OF: Readonly<Record<string, string>> = {
  LSTM: 'LSTM', LSTMV1: 'LSTM', CuDNNLSTM: 'LSTM', GRU: 'GRU', GRUV1: 'GRU', SimpleRNN: 'SimpleRNN',
};

/** Why a recurrent layer's config cannot be converted, or null (activations are checked here: the gates have one too). */
function rnnUnsupportedReason(cfg: LayerConfig): string | null {
  const why = recurrentUnsupportedReason(cfg);
  if (why) return why;
  for (const key of ['activation', 'recurrent_activation']) {
    if (cfg[key] === undefined) continue;
    const a = activationName(cfg[key]);
    if (!ACTIVATIONS.has(a)) return `${key} '${a}' not supported`;
  }
  return null;
}

/**
 * TFLite's fused LSTM computes sigmoid gates and a tanh cell/output activation and exposes the output sequence only;
 * other LSTMs (other activations, return_state: the final cell state is an output) are unrolled.
 */
function fusedLstmFits(cfg: LayerConfig): boolean {
  return activationName(cfg.activation ?? 'tanh') === 'tanh' && activationName(cfg.recurrent_activation ?? 'sigmoid') === 'sigmoid'
    && !cfg.return_state;
}

/** Rows [gate*units, (gate+1)*units) of a Keras packed [rows, 4*units] matrix, transposed to TFLite's [units, rows]. */
function gateBlock(w: WeightArray, gate: number, units: number): Float32Array {
  const rows = w.shape[0];
  const cols = 4 * units;
  const out = new Float32Array(units * rows);
  for (let r = 0; r < rows; r++) for (let u = 0; u < units; u++) out[u * rows + r] = w.values[r * cols + gate * units + u];
  return out;
}

/**
 * Keras LSTM -> UNIDIRECTIONAL_SEQUENCE_LSTM, laid out as TF's converter lays it out: the packed kernel
 * [in, 4u] / recurrent kernel [u, 4u] / bias [4u] (gate order i, f, c, o) split into per-gate [u, in] / [u, u] / [u]
 * tensors, no peephole / projection / layer norm, zero-initialized variable tensors for the output and cell states,
 * TANH, cell clip 10 (TF's fixed choice), batch-major. return_sequences=False takes the last step with
 * STRIDED_SLICE (begin [0,-1,0], begin/end masks 5, shrink axis 1), as TF does.
 */
function lstm(ctx: ConvertContext, xIn: number, cfg: LayerConfig, path: string[]): number {
  const e = ctx.e;
  const name = path.join('/');
  requireRank(ctx, xIn, 3, path, 'LSTM');
  const [n, steps, inDim] = e.shape(xIn);
  // go_backwards: Keras reads the sequence last step first and returns its outputs in that (reversed) order;
  // TF's converter writes REVERSE_V2 on the time axis in front of the fused op.
  const x = cfg.go_backwards ? e.op('REVERSE_V2', [xIn, e.constI(`${name}/time_axis`, [1], [1])], `${name}/reversed_input`, [n, steps, inDim]) : xIn;
  const units = Number(cfg.units);
  if (!Number.isInteger(units) || units <= 0) throw new ModelFormatError(`${ctx.src.file}: layer '${name}' has units ${cfg.units}`);
  const w = weightsOf(ctx, path, recurrentVariables(cfg));
  const kernel = w.get('kernel')!;
  const recurrent = w.get('recurrent_kernel')!;
  expectShape(ctx, path, kernel, [inDim, 4 * units], 'kernel');
  expectShape(ctx, path, recurrent, [units, 4 * units], 'recurrent_kernel');
  const bias = w.get('bias');
  if (bias) expectShape(ctx, path, bias, [4 * units], 'bias');
  const gates = ['input', 'forget', 'cell', 'output'];
  const inputW = gates.map((g, k) => e.constF(`${name}/input_to_${g}_weights`, [units, inDim], gateBlock(kernel, k, units)));
  const recurrentW = gates.map((g, k) => e.constF(`${name}/recurrent_to_${g}_weights`, [units, units], gateBlock(recurrent, k, units)));
  const biases = gates.map((g, k) => e.constF(`${name}/${g}_gate_bias`, [units],
    bias ? bias.values.subarray(k * units, (k + 1) * units) : new Float32Array(units)));
  // Keras starts every sequence from zero state; TFLite keeps it in variable tensors the runtime zero-fills.
  const state = (what: string) => e.b.addTensor({ name: `${name}/${what}`, shape: [n, units], dtype: 'float32', isVariable: true });
  const outputState = state('output_state');
  const cellState = state('cell_state');
  const none = [-1, -1, -1];
  const inputs = [x, ...inputW, ...recurrentW, ...none, ...biases, -1, -1, outputState, cellState, -1, -1, -1, -1];
  const options = { fusedActivationFunction: 'TANH', cellClip: 10, projClip: 0, timeMajor: false };
  if (cfg.return_sequences) return e.op('UNIDIRECTIONAL_SEQUENCE_LSTM', inputs, name, [n, steps, units], options);
  const seq = e.op('UNIDIRECTIONAL_SEQUENCE_LSTM', inputs, `${name}/sequence`, [n, steps, units], options);
  return e.op('STRIDED_SLICE', [seq, e.constI(`${name}/last_begin`, [3], [0, -1, 0]), e.constI(`${name}/last_end`, [3], [0, 0, 0]),
    e.constI(`${name}/last_strides`, [3], [1, 1, 1])], name, [n, units], { beginMask: 5, endMask: 5, shrinkAxisMask: 2 });
}


/** A recurrent layer of any supported class on `x`: Keras's outputs (sequence or last step, then return_state's states). */
function recurrentLayer(ctx: ConvertContext, className: string, x: number, cfg: LayerConfig, path: string[]): number[] {
  const cell = CELL_OF[className];
  if (cell === 'LSTM' && fusedLstmFits(cfg)) return [lstm(ctx, x, cfg, path)];
  const spec = cell ? UNROLLED_CELLS[cell] : undefined;
  if (!spec) throw new UnsupportedError(`${ctx.src.file}: layer '${path.join('/')}' (${className}) is not a recurrent layer that converts`);
  return unrolledRecurrent(ctx, spec, x, cfg, path);
}

const recurrentConverter = (classNames: string[]): KerasLayerConverter => ({
  classNames,
  variables: recurrentVariables,
  unsupportedReason: rnnUnsupportedReason,
  convert: (ctx, cfg, [x], path) => recurrentLayer(ctx, classNames[0], x, cfg, path),
});

/** A Bidirectional layer's two copies of its wrapped layer, as Keras builds them: forward_<name>, then the backward one. */
export function bidirectionalSublayers(cfg: LayerConfig): { name: string; cls: string; cfg: LayerConfig }[] {
  const inner = cfg.layer?.config ?? {};
  // Keras 3 configs already name the wrapped layer forward_<name>; Keras 2 and TF.js store the plain name.
  const innerName = String(inner.name ?? 'lstm');
  const baseName = innerName.startsWith('forward_') ? innerName.slice('forward_'.length) : innerName;
  const cls = String(cfg.layer?.class_name ?? 'LSTM');
  const backward = cfg.backward_layer?.config
    ? { ...cfg.backward_layer.config }
    : { ...inner, name: `backward_${baseName}`, go_backwards: !inner.go_backwards };
  return [
    { name: `forward_${baseName}`, cls, cfg: { ...inner, name: `forward_${baseName}` } },
    { name: String(backward.name), cls: String(cfg.backward_layer?.class_name ?? cls), cfg: backward },
  ];
}

const MERGE_MODES = new Set(['concat', 'sum', 'mul', 'ave']);

function bidirectionalUnsupportedReason(cfg: LayerConfig): string | null {
  if (!cfg.layer) return 'no wrapped layer in its config';
  const mode = cfg.merge_mode === null ? null : cfg.merge_mode ?? 'concat';
  if (mode !== null && !MERGE_MODES.has(mode)) return `merge_mode '${mode}'`;
  for (const sub of [cfg.layer, cfg.backward_layer]) {
    if (!sub) continue;
    const cls = String(sub.class_name);
    if (!CELL_OF[cls]) return `wrapped ${cls} (LSTM, GRU and SimpleRNN convert)`;
    if (sub.config?.return_state) return 'wrapped layer with return_state=True';
    const why = rnnUnsupportedReason(sub.config ?? {});
    if (why) return why;
  }
  return null;
}

/**
 * Keras Bidirectional: a forward and a backward copy of the wrapped RNN (Keras names them forward_<name> and
 * backward_<name>, the backward one with go_backwards flipped), each converted as above; with return_sequences the
 * backward outputs are reversed back to input time order (Keras does so), then merged: concat on the last axis,
 * sum, mul, ave, or none (merge_mode=None: the two outputs). return_sequences=False merges each copy's last step.
 */
function bidirectional(ctx: ConvertContext, x: number, cfg: LayerConfig, path: string[]): number[] {
  const e = ctx.e;
  const name = path.join('/');
  const inner = cfg.layer?.config ?? {};
  const [forward, backward] = bidirectionalSublayers(cfg);
  const fwd = recurrentLayer(ctx, forward.cls, x, forward.cfg, [...path, forward.name])[0];
  let bwd = recurrentLayer(ctx, backward.cls, x, backward.cfg, [...path, backward.name])[0];
  const s = e.shape(fwd);
  if (inner.return_sequences) bwd = e.op('REVERSE_V2', [bwd, e.constI(`${name}/time_axis`, [1], [1])], `${name}/backward_in_time_order`, s);
  const mode = cfg.merge_mode === null ? null : cfg.merge_mode ?? 'concat';
  switch (mode) {
    case null: return [fwd, bwd];
    case 'concat': {
      const out = [...s];
      out[out.length - 1] *= 2;
      return [e.op('CONCATENATION', [fwd, bwd], name, out, { axis: s.length - 1 })];
    }
    case 'sum': return [e.op('ADD', [fwd, bwd], name, s)];
    case 'mul': return [e.op('MUL', [fwd, bwd], name, s)];
    case 'ave': {
      const sum = e.op('ADD', [fwd, bwd], `${name}/sum`, s);
      return [e.op('MUL', [sum, e.constF(`${name}/half`, [], [0.5])], name, s)];
    }
    default: throw new UnsupportedError(`${ctx.src.file}: layer '${name}' (Bidirectional) merge_mode '${mode}' is not supported`);
  }
}

const bidirectionalLayer: KerasLayerConverter = {
  classNames: ['Bidirectional'],
  unsupportedReason: bidirectionalUnsupportedReason,
  convert: (ctx, cfg, [x], path) => bidirectional(ctx, x, cfg, path),
};

const OTHER_RNNS_REASON = 'recurrent layer not supported (LSTM, GRU and SimpleRNN convert)';

/** Recurrent layers with no converter: refused, with a reason that names those that convert. */
const otherRecurrent: KerasLayerConverter = {
  classNames: ['RNN', 'ConvLSTM1D', 'ConvLSTM2D', 'ConvLSTM3D', 'CuDNNGRU'],
  unsupportedReason: () => OTHER_RNNS_REASON,
  convert: (ctx, _cfg, _inputs, path) => {
    throw new UnsupportedError(`${ctx.src.file}: layer '${path.join('/')}': ${OTHER_RNNS_REASON}`);
  },
};

export const RECURRENT_LAYERS: readonly KerasLayerConverter[] = [
  recurrentConverter(LSTM_CLASS_NAMES), recurrentConverter(['GRU', 'GRUV1']), recurrentConverter(['SimpleRNN']),
  bidirectionalLayer, otherRecurrent,
];
