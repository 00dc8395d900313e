// Cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization Through Weight Equalization and Bias
// Correction"): where layer A's output channel c reaches layer B only through positively homogeneous ops
// (f(x / s) = f(x) / s for s > 0: ReLU, max/average pooling, zero padding, reshapes that keep channels apart),
// A's channel c is divided by s_c and B's input channel c multiplied by it, with s_c = sqrt(r1_c * r2_c) / r2_c
// (r1: range of A's output channel, r2: range of B's input channel). The float model computes the same function,
// but both channels then span sqrt(r1_c * r2_c): per-tensor and depthwise weights lose far less to quantization.
// Pairs that share a layer (conv -> depthwise -> conv) are equalized in turn until the scales settle.

import type { Model, Operator, Subgraph, Tensor } from '../../graph/model.js';
import { UsageError } from '../../errors.js';
import { registerAlgorithm, type AlgorithmContext, type PtqAlgorithm } from './index.js';

/** Ops a channel scale passes through unchanged (output channel c = input channel c, scaled alike). */
const HOMOGENEOUS = new Set(['RELU', 'LEAKY_RELU', 'MAX_POOL_2D', 'AVERAGE_POOL_2D', 'PAD', 'RESHAPE']);
/** Fused activations that commute with a positive scale (RELU6 / RELU_N1_TO_1 clamp at fixed values: they do not). */
const HOMOGENEOUS_ACTIVATIONS = new Set([undefined, 'NONE', 'RELU']);
const LAYERS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);

/** A pair of layers equalized together: A's output channel c meets B's input elements k with k % channels === c. */
interface Pair {
  a: number;
  b: number;
  channels: number;
}

/** Float32 weights and bias of a layer, edited in place during the iterations. */
interface LayerWeights {
  op: string;
  weights: Float32Array;
  shape: number[];
  bias: Float32Array | null;
  weightTensor: number;
  biasTensor: number;
  /** Depthwise: output channels per input channel. */
  multiplier?: number;
}

function floats(t: Tensor): Float32Array {
  const d = t.data!;
  const out = new Float32Array(d.length / 4);
  new Uint8Array(out.buffer).set(d);
  return out;
}

const isFloatConst = (t: Tensor | undefined) => !!t && t.dtype === 'float32' && !!t.data && !t.isVariable && !t.sparsity;

/** Output channels of a layer's weights (CONV / FC: dimension 0, DEPTHWISE: the last). */
function outChannels(op: string, shape: number[]): number {
  return op === 'DEPTHWISE_CONV_2D' ? shape[shape.length - 1] : shape[0];
}

/** The equalizable pairs of one subgraph. */
function findPairs(sg: Subgraph): Pair[] {
  const consumers = new Map<number, number[]>();
  const uses = new Map<number, number>();
  sg.operators.forEach((node, n) => node.inputs.forEach((i) => {
    if (i < 0) return;
    uses.set(i, (uses.get(i) ?? 0) + 1);
    const list = consumers.get(i) ?? [];
    list.push(n);
    consumers.set(i, list);
  }));
  const outputs = new Set(sg.outputs);
  const ownWeights = (node: Operator) => {
    const w = node.inputs[1], b = node.inputs[2];
    if (!isFloatConst(sg.tensors[w]) || uses.get(w) !== 1 || sg.tensors[w].shape.length < 2) return false;
    return b === undefined || b < 0 || (isFloatConst(sg.tensors[b]) && uses.get(b) === 1);
  };
  const pairs: Pair[] = [];
  sg.operators.forEach((node, a) => {
    if (node.op !== 'CONV_2D' && node.op !== 'DEPTHWISE_CONV_2D') return;
    if (!HOMOGENEOUS_ACTIVATIONS.has(node.options.fusedActivationFunction as string | undefined) || !ownWeights(node)) return;
    const channels = outChannels(node.op, sg.tensors[node.inputs[1]].shape);
    let t = node.outputs[0];
    for (;;) {
      const next = consumers.get(t);
      if (outputs.has(t) || !next || next.length !== 1) return;
      const c = sg.operators[next[0]];
      const lastDim = sg.tensors[t].shape[sg.tensors[t].shape.length - 1];
      if (c.inputs[0] !== t || c.inputs.slice(1).includes(t) || lastDim % channels !== 0) return;
      if (LAYERS.has(c.op)) {
        if (!ownWeights(c)) return;
        const w = sg.tensors[c.inputs[1]].shape;
        // The weights' input extent: CONV's last dimension, FC's second; a depthwise layer reads channel d as d.
        const inner = c.op === 'FULLY_CONNECTED' ? w[1] : c.op === 'CONV_2D' ? w[w.length - 1] : lastDim;
        if (inner % channels !== 0) return;
        pairs.push({ a, b: next[0], channels });
        return;
      }
      if (!HOMOGENEOUS.has(c.op) || !HOMOGENEOUS_ACTIVATIONS.has(c.options.fusedActivationFunction as string | undefined)) return;
      // PAD adds zeros (0 / s = 0); PADV2's constant would not scale.
      t = c.outputs[0];
    }
  });
  return pairs;
}

/** |max| per output channel of A. */
function outputRanges(l: LayerWeights, channels: number): Float64Array {
  const r = new Float64Array(channels);
  const w = l.weights;
  if (l.op === 'DEPTHWISE_CONV_2D') {
    for (let i = 0; i < w.length; i++) { const c = i % channels, v = Math.abs(w[i]); if (v > r[c]) r[c] = v; }
  } else {
    const inner = w.length / channels;
    for (let i = 0; i < w.length; i++) { const c = Math.floor(i / inner), v = Math.abs(w[i]); if (v > r[c]) r[c] = v; }
  }
  return r;
}

/** The input element (of B's weights' input extent) that weight index i reads, as a channel of A. */
function inputChannelOf(l: LayerWeights, channels: number): (i: number) => number {
  const s = l.shape;
  if (l.op === 'DEPTHWISE_CONV_2D') {
    // Weights [1, kh, kw, D * M]: output d * M + m reads input channel d.
    return (i) => Math.floor((i % s[3]) / l.multiplier!) % channels;
  }
  const inner = s[s.length - 1];
  return (i) => (i % inner) % channels;
}

function inputRanges(l: LayerWeights, channels: number): Float64Array {
  const r = new Float64Array(channels);
  const of = inputChannelOf(l, channels);
  const w = l.weights;
  for (let i = 0; i < w.length; i++) { const c = of(i), v = Math.abs(w[i]); if (v > r[c]) r[c] = v; }
  return r;
}

/** Ratio of the largest to the smallest non-zero channel range (1 = perfectly equalized). */
function spread(r: Float64Array): number {
  let lo = Infinity, hi = 0;
  for (const v of r) if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return hi > 0 ? hi / lo : 1;
}

function equalize(model: Model, ctx: AlgorithmContext, maxIterations: number, tolerance: number): Model {
  let pairsTotal = 0, iterationsMax = 0;
  const before: number[] = [], after: number[] = [];
  const subgraphs = model.subgraphs.map((sg) => {
    const pairs = findPairs(sg);
    if (!pairs.length) return sg;
    const layers = new Map<number, LayerWeights>();
    const layer = (n: number): LayerWeights => {
      let l = layers.get(n);
      if (!l) {
        const node = sg.operators[n];
        const wt = sg.tensors[node.inputs[1]];
        const b = node.inputs[2];
        l = {
          op: node.op, weights: floats(wt), shape: [...wt.shape], weightTensor: node.inputs[1],
          bias: b !== undefined && b >= 0 ? floats(sg.tensors[b]) : null, biasTensor: b ?? -1,
        };
        if (node.op === 'DEPTHWISE_CONV_2D') {
          const inC = sg.tensors[node.inputs[0]].shape[3];
          l.multiplier = Math.max(1, wt.shape[3] / inC);
        }
        layers.set(n, l);
      }
      return l;
    };
    for (const p of pairs) before.push(spread(outputRanges(layer(p.a), p.channels)));
    let it = 0;
    for (; it < maxIterations; it++) {
      let change = 0;
      for (const p of pairs) {
        const A = layer(p.a), B = layer(p.b);
        const r1 = outputRanges(A, p.channels), r2 = inputRanges(B, p.channels);
        const s = Float64Array.from(r1, (v, c) => (v > 0 && r2[c] > 0 ? Math.sqrt(v * r2[c]) / r2[c] : 1));
        for (const v of s) change = Math.max(change, Math.abs(Math.log(v)));
        if (A.op === 'DEPTHWISE_CONV_2D') for (let i = 0; i < A.weights.length; i++) A.weights[i] /= s[i % p.channels];
        else {
          const inner = A.weights.length / p.channels;
          for (let i = 0; i < A.weights.length; i++) A.weights[i] /= s[Math.floor(i / inner)];
        }
        if (A.bias) for (let c = 0; c < p.channels; c++) A.bias[c] /= s[c];
        const of = inputChannelOf(B, p.channels);
        for (let i = 0; i < B.weights.length; i++) B.weights[i] *= s[of(i)];
      }
      if (change < tolerance) break;
    }
    iterationsMax = Math.max(iterationsMax, it + 1);
    pairsTotal += pairs.length;
    for (const p of pairs) after.push(spread(outputRanges(layer(p.a), p.channels)));
    const tensors = sg.tensors.map((t) => t);
    const bytes = (v: Float32Array) => new Uint8Array(v.buffer.slice(0));
    for (const l of layers.values()) {
      tensors[l.weightTensor] = { ...tensors[l.weightTensor], data: bytes(l.weights) };
      if (l.bias) tensors[l.biasTensor] = { ...tensors[l.biasTensor], data: bytes(l.bias) };
    }
    return { ...sg, tensors };
  });
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
  ctx.notes.push(pairsTotal
    ? `cle: ${pairsTotal} layer pair(s) equalized (${iterationsMax} iteration(s)); mean channel range spread of the first layers `
      + `${mean(before).toFixed(1)}x -> ${mean(after).toFixed(1)}x`
    : 'cle: no conv/depthwise pair joined by ReLU, pooling or reshape: nothing equalized');
  return { ...model, subgraphs };
}

export function makeCle(options: Record<string, number | string | boolean>): PtqAlgorithm {
  const maxIterations = Number(options.iterations ?? 100);
  const tolerance = Number(options.tolerance ?? 1e-4);
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new UsageError(`cle: iterations must be a positive integer, got ${options.iterations}`);
  if (!(tolerance > 0)) throw new UsageError(`cle: tolerance must be a positive number, got ${options.tolerance}`);
  return {
    name: 'cle',
    summary: 'cross-layer equalization: rescale channels of consecutive conv/depthwise layers to equal weight ranges',
    transformFloat: (model, ctx) => equalize(model, ctx, maxIterations, tolerance),
  };
}

registerAlgorithm('cle', makeCle);
