// Normalization through L2_NORMALIZATION. A LayerNorm (or RMSNorm) divides d = x - mean by sqrt(mean(d^2) + eps).
// Computed op by op in int8, the squared deviations d^2 are one int8 tensor whose range is set by the largest
// deviations of any row: a row with small deviations squares to a few quantization steps and its variance loses
// most of its relative precision, which RSQRT then turns into a large error in every normalized value of that row.
// L2_NORMALIZATION sums the squares of its int8 input in int32, so no precision is lost there. Since
//   d / sqrt(mean(d^2) + eps) = sqrt(C) * [d, c] / ||[d, c]||  (first C entries, c = sqrt(C * eps)),
// the chain SQUARE -> MEAN -> ADD eps -> RSQRT -> MUL becomes PADV2 (one extra channel holding c) ->
// L2_NORMALIZATION -> STRIDED_SLICE (drop the extra channel) -> scale by sqrt(C), folded into the gamma that follows when
// there is one. The float model computes the same function (to float rounding); only its quantization changes.

import type { Model, Operator, Subgraph, Tensor } from '../../graph/model.js';
import { encodeValues } from '../../graph/builder.js';
import { defaultOptions } from '../../graph/ops.js';
import { consumers, floatValues, int32Values, isConstant, producers } from '../../graph/passes/util.js';
import { removeDeadCode } from '../../graph/passes/dead-code.js';
import { UsageError } from '../../errors.js';
import { registerAlgorithm, type AlgorithmContext, type PtqAlgorithm } from './index.js';

/** TFLite's L2_NORMALIZATION takes at most 4 dimensions. */
const MAX_RANK = 4;

/** One normalization found in the float graph. */
interface NormMatch {
  /** The tensor normalized (d), its channel count (last dimension) and the variance's epsilon. */
  centered: number;
  channels: number;
  epsilon: number;
  /** The ops computing d^2, mean(d^2), + eps (absent when eps is 0), rsqrt and d * rsqrt. */
  square: Operator;
  variance: Operator;
  addEpsilon: Operator | null;
  rsqrt: Operator;
  normalize: Operator;
  /** The MUL by a constant gamma right after, and its constant's input slot, when sqrt(C) can be folded into it. */
  gamma: { op: Operator; slot: number } | null;
}

const noActivation = (op: Operator) => {
  const a = op.options.fusedActivationFunction;
  return a === undefined || a === 'NONE';
};

const isFloatConstant = (t: Tensor | undefined): t is Tensor => !!t && t.dtype === 'float32' && isConstant(t) && !t.sparsity;

/** The axes of a MEAN node when they are exactly the last dimension of a rank-r input (given as r - 1 or -1). */
function reducesLastAxisOnly(sg: Subgraph, mean: Operator): boolean {
  const input = sg.tensors[mean.inputs[0]], axes = sg.tensors[mean.inputs[1]];
  if (!input || !axes || axes.dtype !== 'int32' || !isConstant(axes) || mean.options.keepDims !== true) return false;
  const a = int32Values(axes), r = input.shape.length;
  return a.length === 1 && (a[0] === r - 1 || a[0] === -1);
}

/** The tensor squared by `op`, when it squares one tensor (MUL(d, d), SQUARE(d)). */
function squaredTensor(op: Operator): number | null {
  if (op.op === 'SQUARE') return op.inputs[0];
  if (op.op === 'MUL' && op.inputs[0] === op.inputs[1] && noActivation(op)) return op.inputs[0];
  return null;
}

function findNormalizations(sg: Subgraph): NormMatch[] {
  const made = producers(sg), uses = consumers(sg);
  const graphOutputs = new Set(sg.outputs);
  /** A tensor read only by `reader` and not a graph output: the chain may drop it. */
  const private_ = (t: number, reader: Operator) => !graphOutputs.has(t) && (uses.get(t) ?? []).length === 1 && uses.get(t)![0] === reader;
  const matches: NormMatch[] = [];
  for (const rsqrt of sg.operators) {
    if (rsqrt.op !== 'RSQRT') continue;
    const readers = uses.get(rsqrt.outputs[0]) ?? [];
    if (readers.length !== 1 || graphOutputs.has(rsqrt.outputs[0])) continue;
    const normalize = readers[0];
    if (normalize.op !== 'MUL' || !noActivation(normalize)) continue;
    const centered = normalize.inputs[0] === rsqrt.outputs[0] ? normalize.inputs[1] : normalize.inputs[0];
    if (centered === rsqrt.outputs[0]) continue;
    // rsqrt(variance + eps), or rsqrt(variance) when eps is 0.
    let varianceTensor = rsqrt.inputs[0];
    let addEpsilon: Operator | null = null;
    let epsilon = 0;
    const beforeRsqrt = made.get(varianceTensor);
    if (beforeRsqrt?.op === 'ADD' && noActivation(beforeRsqrt) && private_(varianceTensor, rsqrt)) {
      const k = beforeRsqrt.inputs.findIndex((i) => isFloatConstant(sg.tensors[i]) && floatValues(sg.tensors[i]).length === 1);
      if (k < 0) continue;
      epsilon = floatValues(sg.tensors[beforeRsqrt.inputs[k]])[0];
      addEpsilon = beforeRsqrt;
      varianceTensor = beforeRsqrt.inputs[1 - k];
    }
    if (!(epsilon >= 0) || !Number.isFinite(epsilon)) continue;
    const variance = made.get(varianceTensor);
    if (variance?.op !== 'MEAN' || !private_(varianceTensor, addEpsilon ?? rsqrt) || !reducesLastAxisOnly(sg, variance)) continue;
    const square = made.get(variance.inputs[0]);
    if (!square || squaredTensor(square) !== centered || !private_(variance.inputs[0], variance)) continue;
    const d = sg.tensors[centered];
    const rank = d.shape.length, channels = d.shape[rank - 1];
    if (d.dtype !== 'float32' || rank < 1 || rank > MAX_RANK || !(channels > 0) || (d.shapeSignature && d.shapeSignature[rank - 1] < 0)) continue;
    // The normalized values' only reader a MUL by a constant gamma (its own constant): sqrt(C) folds into it.
    let gamma: NormMatch['gamma'] = null;
    const out = normalize.outputs[0];
    const next = uses.get(out) ?? [];
    if (!graphOutputs.has(out) && next.length === 1 && next[0].op === 'MUL' && next[0].inputs[0] !== next[0].inputs[1]) {
      const slot = next[0].inputs[0] === out ? 1 : 0;
      const g = next[0].inputs[slot];
      if (isFloatConstant(sg.tensors[g]) && (uses.get(g) ?? []).length === 1 && !graphOutputs.has(g)) gamma = { op: next[0], slot };
    }
    matches.push({ centered, channels, epsilon, square, variance, addEpsilon, rsqrt, normalize, gamma });
  }
  return matches;
}

/** Rewrite one subgraph's normalizations; returns how many. */
function rewriteSubgraph(sg: Subgraph): { subgraph: Subgraph; count: number } {
  const matches = findNormalizations(sg);
  if (!matches.length) return { subgraph: sg, count: 0 };
  const tensors = [...sg.tensors];
  const addTensor = (t: Tensor) => tensors.push(t) - 1;
  const constant = (name: string, dtype: 'float32' | 'int32', shape: number[], values: number[]) =>
    addTensor({ name, shape, dtype, data: encodeValues(dtype, values), quantization: null, isVariable: false });
  const op = (name: string, inputs: number[], outputs: number[], options: Operator['options'] = {}): Operator => {
    const d = defaultOptions(name);
    return { op: name, version: 1, inputs, outputs, intermediates: [], options: { ...d.options, ...options }, optionsType: d.optionsType };
  };
  const replaced = new Map<Operator, Operator[]>();
  const dropped = new Set<Operator>();
  for (const m of matches) {
    const d = tensors[m.centered];
    const base = tensors[m.normalize.outputs[0]].name;
    const rank = d.shape.length, C = m.channels;
    const lead = d.shape.slice(0, rank - 1);
    const withChannels = (c: number): Pick<Tensor, 'shape' | 'shapeSignature'> => ({
      shape: [...lead, c],
      ...(d.shapeSignature ? { shapeSignature: [...d.shapeSignature.slice(0, rank - 1), c] } : {}),
    });
    const floatTensor = (name: string, c: number) => addTensor({ name, ...withChannels(c), dtype: 'float32', data: null, quantization: null, isVariable: false });
    const ops: Operator[] = [];
    let unit: number;
    if (m.epsilon > 0) {
      // One extra channel holding sqrt(C * eps): its square adds C * eps to the sum, i.e. eps to the mean.
      const paddings = new Array<number>(2 * rank).fill(0);
      paddings[2 * rank - 1] = 1;
      const padded = floatTensor(`${base}/l2_padded`, C + 1);
      const paddingsT = constant(`${base}/l2_paddings`, 'int32', [rank, 2], paddings);
      const fill = constant(`${base}/l2_epsilon_channel`, 'float32', [], [Math.sqrt(C * m.epsilon)]);
      ops.push(op('PADV2', [m.centered, paddingsT, fill], [padded]));
      const l2 = floatTensor(`${base}/l2_normalized`, C + 1);
      ops.push(op('L2_NORMALIZATION', [padded], [l2]));
      unit = floatTensor(`${base}/l2_unit`, C);
      // STRIDED_SLICE, not SLICE: under a dynamic batch dimension the official runtime's XNNPACK delegate leaves
      // the op after a SLICE to TFLite's own kernel (other arithmetic); after a STRIDED_SLICE it takes it.
      const leading = (1 << (rank - 1)) - 1;
      ops.push(op('STRIDED_SLICE', [l2, constant(`${base}/l2_begin`, 'int32', [rank], new Array(rank).fill(0)),
        constant(`${base}/l2_end`, 'int32', [rank], [...new Array(rank - 1).fill(0), C]),
        constant(`${base}/l2_strides`, 'int32', [rank], new Array(rank).fill(1))], [unit], { beginMask: leading, endMask: leading }));
    } else {
      unit = floatTensor(`${base}/l2_unit`, C);
      ops.push(op('L2_NORMALIZATION', [m.centered], [unit]));
    }
    const out = m.normalize.outputs[0];
    const sqrtC = Math.fround(Math.sqrt(C));
    if (m.gamma) {
      // gamma carries sqrt(C) and reads the unit vector; the old normalized tensor goes (its values were sqrt(C)
      // times larger, so a per-layer comparison by name must not pair it with the unit vector).
      const g = m.gamma.op.inputs[m.gamma.slot];
      const scaled = floatValues(tensors[g]).map((v) => Math.fround(v * sqrtC));
      tensors[g] = { ...tensors[g], name: `${tensors[g].name}_times_sqrt_channels`, data: encodeValues('float32', scaled) };
      const inputs = [...m.gamma.op.inputs];
      inputs[1 - m.gamma.slot] = unit;
      replaced.set(m.gamma.op, [{ ...m.gamma.op, inputs }]);
    } else {
      ops.push(op('MUL', [unit, constant(`${base}/l2_sqrt_channels`, 'float32', [], [sqrtC])], [out]));
    }
    replaced.set(m.normalize, ops);
    for (const o of [m.square, m.variance, m.addEpsilon, m.rsqrt]) if (o) dropped.add(o);
  }
  // Copies: dead-code removal renumbers the operators' tensor lists, and the input model must stay as it was.
  const operators = sg.operators.flatMap((o) => replaced.get(o) ?? (dropped.has(o) ? [] : [{ ...o }]));
  const subgraph: Subgraph = { ...sg, tensors, operators };
  removeDeadCode.run(subgraph);
  return { subgraph, count: matches.length };
}

/** The float model with every matched normalization computed through L2_NORMALIZATION. */
export function normalizeThroughL2(model: Model, ctx?: Pick<AlgorithmContext, 'notes'>): Model {
  let total = 0;
  const subgraphs = model.subgraphs.map((sg) => {
    const r = rewriteSubgraph(sg);
    total += r.count;
    return r.subgraph;
  });
  ctx?.notes.push(total
    ? `norm-l2: ${total} normalization(s) (x * rsqrt(mean(x^2) + eps) over the last axis) computed through L2_NORMALIZATION`
    : 'norm-l2: no LayerNorm/RMSNorm over the last axis (SQUARE/MUL -> MEAN -> ADD eps -> RSQRT -> MUL): nothing changed');
  return { ...model, subgraphs };
}

export function makeNormL2(options: Record<string, number | string | boolean>): PtqAlgorithm {
  const unknown = Object.keys(options);
  if (unknown.length) throw new UsageError(`norm-l2: takes no options, got '${unknown[0]}'`);
  return {
    name: 'norm-l2',
    summary: 'compute LayerNorm/RMSNorm variances inside L2_NORMALIZATION (int32 sum of squares), not in an int8 squared tensor',
    transformFloat: (model, ctx) => normalizeThroughL2(model, ctx),
  };
}

registerAlgorithm('norm-l2', makeNormL2);
