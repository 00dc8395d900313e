// Normalization through L2_NORMALIZATION. A LayerNorm (or RMSNorm) divides d = x - mean by sqrt(mean(d^2) + eps).
// Computed op by op in int8, the squared deviations d^2 are one int8 tensor whose range is set by the largest
// deviations of any row: a row with small deviations squares to a few quantization steps and its variance loses
// most of its relative precision, which RSQRT then turns into a large error in every normalized value of that row.
// (The E[x^2] - E[x]^2 form Keras 3 writes is worse still: a difference of two int8 means.) L2_NORMALIZATION sums
// the squares of its int8 input in int32, so no precision is lost there. Since
//   d / sqrt(mean(d^2) + eps) = sqrt(C) * [d, c] / ||[d, c]||  (first C entries, c = sqrt(C * eps)),
// the normalization becomes PADV2 (one extra channel holding c) -> L2_NORMALIZATION -> STRIDED_SLICE (drop the extra
// channel) -> MUL by sqrt(C) * gamma -> ADD beta (when the model has one). The float model computes the same
// function (to float rounding); only its quantization changes.
//
// The variance is recognised in the three forms importers meet (all over the last axis, keepDims):
//   mean(d*d) or mean(square(d)), d given (Keras layers, RMSNorm with d = x);
//   mean(squared_difference(x, mean(x)))                   (tf.nn.moments);
//   mean(square(x)) - square(mean(x))                      (Keras 3's moments);
// and the result either as d * rsqrt(..) [* gamma], or as batch normalization writes it:
//   x * inv + (beta - mean * inv),  x * inv - mean * inv,  x * inv + (-mean * inv [+ beta]),  inv = rsqrt(..) [* gamma].

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
  /** d, the tensor normalized: one the graph has, or x - mean, which the rewrite adds. */
  centered: { tensor: number } | { x: number; mean: number };
  /** d's channel count (last dimension) and the variance's epsilon. */
  channels: number;
  epsilon: number;
  /** The op computing the normalization's result: the rewrite computes its output tensor instead. */
  replaces: Operator;
  /** Float constants multiplying the normalized values and added after, when the match includes them. */
  gamma: number | null;
  beta: number | null;
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
function squaredTensor(op: Operator | undefined): number | null {
  if (op?.op === 'SQUARE') return op.inputs[0];
  if (op?.op === 'MUL' && op.inputs[0] === op.inputs[1] && noActivation(op)) return op.inputs[0];
  return null;
}

/** The other input of a two-input op reading `t`, or null when it does not read it (or reads it twice). */
function otherInput(op: Operator, t: number): number | null {
  if (op.inputs.length !== 2 || op.inputs[0] === op.inputs[1]) return null;
  return op.inputs[0] === t ? op.inputs[1] : op.inputs[1] === t ? op.inputs[0] : null;
}

/** What the graph around one RSQRT is, seen from it: producers, readers, constants, last-axis means. */
class GraphView {
  readonly made: Map<number, Operator>;
  readonly uses: Map<number, Operator[]>;
  private readonly graphOutputs: Set<number>;
  constructor(readonly sg: Subgraph) {
    this.made = producers(sg);
    this.uses = consumers(sg);
    this.graphOutputs = new Set(sg.outputs);
  }
  /** The op reading `t`, when it is the only reader and `t` is not a graph output. */
  onlyReader(t: number): Operator | null {
    const r = this.uses.get(t) ?? [];
    return r.length === 1 && !this.graphOutputs.has(t) ? r[0] : null;
  }
  floatConstant(t: number | null): t is number {
    return t !== null && isFloatConstant(this.sg.tensors[t]);
  }
  /** x when `t` is mean(x) over x's last axis, kept as a dimension. */
  meanOf(t: number): number | null {
    const m = this.made.get(t);
    return m?.op === 'MEAN' && reducesLastAxisOnly(this.sg, m) ? m.inputs[0] : null;
  }
  /** A fusion-free op of the given kind. */
  is(op: Operator | null | undefined, kind: string): op is Operator {
    return !!op && op.op === kind && noActivation(op);
  }
}

/** How a variance tensor was computed: from a given d, or from x and its mean (d = x - mean, to be added). */
type Variance = { d: number } | { x: number; mean: number };

function varianceForm(g: GraphView, v: number): Variance | null {
  const op = g.made.get(v);
  if (op?.op === 'MEAN' && reducesLastAxisOnly(g.sg, op)) {
    const inner = g.made.get(op.inputs[0]);
    const d = squaredTensor(inner);
    if (d !== null) return { d };
    if (inner?.op === 'SQUARED_DIFFERENCE') {
      for (const [x, m] of [inner.inputs, [...inner.inputs].reverse()]) if (g.meanOf(m) === x) return { x, mean: m };
    }
    return null;
  }
  if (g.is(op, 'SUB')) {
    const x = g.meanOf(op.inputs[0]) !== null ? squaredTensor(g.made.get(g.meanOf(op.inputs[0])!)) : null;
    const m = squaredTensor(g.made.get(op.inputs[1]));
    if (x !== null && m !== null && g.meanOf(m) === x) return { x, mean: m };
  }
  return null;
}

/** d * rsqrt [* gamma]: the op whose output is the result, and gamma when the match takes it in. */
function centeredTail(g: GraphView, rsqrt: Operator, d: number): Pick<NormMatch, 'replaces' | 'gamma' | 'beta'> | null {
  const normalize = g.onlyReader(rsqrt.outputs[0]);
  if (!g.is(normalize, 'MUL') || otherInput(normalize, rsqrt.outputs[0]) !== d) return null;
  // The normalized values' only reader a MUL by a constant: sqrt(C) folds into it.
  const next = g.onlyReader(normalize.outputs[0]);
  const gamma = next?.op === 'MUL' ? otherInput(next, normalize.outputs[0]) : null;
  if (next && g.floatConstant(gamma)) return { replaces: next, gamma, beta: null };
  return { replaces: normalize, gamma: null, beta: null };
}

/** Batch normalization's x * inv + (beta - mean * inv) and its variants, inv = rsqrt [* gamma]. */
function affineTail(g: GraphView, rsqrt: Operator, x: number, mean: number): Pick<NormMatch, 'replaces' | 'gamma' | 'beta'> | null {
  let inv = rsqrt.outputs[0];
  let gamma: number | null = null;
  const scaled = g.onlyReader(inv);
  if (g.is(scaled, 'MUL') && g.floatConstant(otherInput(scaled, inv))) {
    gamma = otherInput(scaled, inv);
    inv = scaled.outputs[0];
  }
  const readers = g.uses.get(inv) ?? [];
  if (readers.length !== 2 || !readers.every((r) => g.is(r, 'MUL'))) return null;
  const xTerm = readers.find((r) => otherInput(r, inv) === x);
  const meanTerm = readers.find((r) => r !== xTerm);
  if (!xTerm || !meanTerm) return null;
  const factor = otherInput(meanTerm, inv);
  if (factor === null) return null;
  const negatedMean = g.is(g.made.get(factor), 'NEG') && g.made.get(factor)!.inputs[0] === mean;
  if (factor !== mean && !negatedMean) return null;
  // res: the -mean * inv [+ beta] term, and beta.
  const m = meanTerm.outputs[0];
  const after = g.onlyReader(m);
  let res = m, beta: number | null = null;
  if (factor === mean) {
    if (g.is(after, 'SUB') && after.inputs[1] === m && g.floatConstant(after.inputs[0])) [res, beta] = [after.outputs[0], after.inputs[0]];
    else if (g.is(after, 'NEG')) res = after.outputs[0];
    else return null;
  } else if (g.is(after, 'ADD') && g.floatConstant(otherInput(after, m))) [res, beta] = [after.outputs[0], otherInput(after, m)];
  const sum = g.onlyReader(xTerm.outputs[0]);
  if (sum?.op !== 'ADD' || otherInput(sum, xTerm.outputs[0]) !== res) return null;
  return { replaces: sum, gamma, beta };
}

function findNormalizations(sg: Subgraph): NormMatch[] {
  const g = new GraphView(sg);
  const matches: NormMatch[] = [];
  for (const rsqrt of sg.operators) {
    if (rsqrt.op !== 'RSQRT') continue;
    // rsqrt(variance + eps), or rsqrt(variance) when eps is 0.
    let variance = rsqrt.inputs[0];
    let epsilon = 0;
    const beforeRsqrt = g.made.get(variance);
    if (g.is(beforeRsqrt, 'ADD')) {
      const k = beforeRsqrt.inputs.findIndex((i) => isFloatConstant(sg.tensors[i]) && floatValues(sg.tensors[i]).length === 1);
      if (k < 0) continue;
      epsilon = floatValues(sg.tensors[beforeRsqrt.inputs[k]])[0];
      variance = beforeRsqrt.inputs[1 - k];
    }
    if (!(epsilon >= 0) || !Number.isFinite(epsilon)) continue;
    const form = varianceForm(g, variance);
    if (!form) continue;
    const like = sg.tensors['d' in form ? form.d : form.x];
    const rank = like.shape.length, channels = like.shape[rank - 1];
    if (like.dtype !== 'float32' || rank < 1 || rank > MAX_RANK || !(channels > 0) || (like.shapeSignature && like.shapeSignature[rank - 1] < 0)) continue;
    const tail = 'd' in form ? centeredTail(g, rsqrt, form.d) : affineTail(g, rsqrt, form.x, form.mean);
    if (!tail) continue;
    matches.push({ centered: 'd' in form ? { tensor: form.d } : form, channels, epsilon, ...tail });
  }
  return matches;
}

/** Rewrite one subgraph's normalizations; returns how many. */
function rewriteSubgraph(sg: Subgraph): { subgraph: Subgraph; count: number } {
  const matches = findNormalizations(sg);
  if (!matches.length) return { subgraph: sg, count: 0 };
  const tensors = [...sg.tensors];
  const addTensor = (t: Tensor) => tensors.push(t) - 1;
  const constant = (name: string, dtype: 'float32' | 'int32', shape: number[], values: ArrayLike<number>) =>
    addTensor({ name, shape, dtype, data: encodeValues(dtype, Array.from(values)), quantization: null, isVariable: false });
  const op = (name: string, inputs: number[], outputs: number[], options: Operator['options'] = {}): Operator => {
    const d = defaultOptions(name);
    return { op: name, version: 1, inputs, outputs, intermediates: [], options: { ...d.options, ...options }, optionsType: d.optionsType };
  };
  const replaced = new Map<Operator, Operator[]>();
  for (const m of matches) {
    const out = m.replaces.outputs[0];
    const base = tensors[out].name;
    const like = tensors['tensor' in m.centered ? m.centered.tensor : m.centered.x];
    const rank = like.shape.length, C = m.channels;
    const lead = like.shape.slice(0, rank - 1);
    const withChannels = (c: number): Pick<Tensor, 'shape' | 'shapeSignature'> => ({
      shape: [...lead, c],
      ...(like.shapeSignature ? { shapeSignature: [...like.shapeSignature.slice(0, rank - 1), c] } : {}),
    });
    const floatTensor = (name: string, c: number) => addTensor({ name, ...withChannels(c), dtype: 'float32', data: null, quantization: null, isVariable: false });
    const ops: Operator[] = [];
    let d: number;
    if ('tensor' in m.centered) d = m.centered.tensor;
    else {
      d = floatTensor(`${base}/l2_centered`, C);
      ops.push(op('SUB', [m.centered.x, m.centered.mean], [d]));
    }
    let unit: number;
    if (m.epsilon > 0) {
      // One extra channel holding sqrt(C * eps): its square adds C * eps to the sum, i.e. eps to the mean.
      const paddings = new Array<number>(2 * rank).fill(0);
      paddings[2 * rank - 1] = 1;
      const padded = floatTensor(`${base}/l2_padded`, C + 1);
      const paddingsT = constant(`${base}/l2_paddings`, 'int32', [rank, 2], paddings);
      const fill = constant(`${base}/l2_epsilon_channel`, 'float32', [], [Math.sqrt(C * m.epsilon)]);
      ops.push(op('PADV2', [d, paddingsT, fill], [padded]));
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
      ops.push(op('L2_NORMALIZATION', [d], [unit]));
    }
    // sqrt(C) goes into gamma, a new constant under a new name (its values differ from the model's gamma).
    const sqrtC = Math.fround(Math.sqrt(C));
    const scale = m.gamma !== null
      ? constant(`${tensors[m.gamma].name}_times_sqrt_channels`, 'float32', [...tensors[m.gamma].shape], floatValues(tensors[m.gamma]).map((v) => Math.fround(v * sqrtC)))
      : constant(`${base}/l2_sqrt_channels`, 'float32', [], [sqrtC]);
    // The replaced op's fused activation, if any, goes to the last op.
    const activation = { fusedActivationFunction: m.replaces.options.fusedActivationFunction ?? 'NONE' };
    if (m.beta !== null) {
      const scaled = addTensor({ ...tensors[out], name: `${base}/l2_scaled`, data: null, quantization: null, isVariable: false });
      ops.push(op('MUL', [unit, scale], [scaled]), op('ADD', [scaled, m.beta], [out], activation));
    } else {
      ops.push(op('MUL', [unit, scale], [out], activation));
    }
    replaced.set(m.replaces, ops);
  }
  // Copies: dead-code removal drops what the old computation leaves unread and renumbers the operators' tensor
  // lists, and the input model must stay as it was.
  const operators = sg.operators.flatMap((o) => replaced.get(o) ?? [{ ...o }]);
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
    : 'norm-l2: no LayerNorm/RMSNorm over the last axis (a variance of the last axis -> [ADD eps] -> RSQRT -> MUL): nothing changed');
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
