// The rewrite: a new Model from the float one, a recipe, and (full-integer modes) calibration ranges.
// WHAT to quantize comes from rules.ts, HOW numbers are quantized from weights.ts; this file only rebuilds the graph:
// tensors get integer types and parameters, weights are replaced by quantized copies, QUANTIZE/DEQUANTIZE are put
// where a float op meets an integer one and at the model's edges, and tensors nothing uses any more are dropped.

import type { DType, Model, Operator, Quantization, Subgraph, Tensor } from '../graph/model.js';
import { elementCount } from '../graph/model.js';
import { defaultOptions } from '../graph/ops.js';
import { floatToFloat16Bits } from '../graph/float16.js';
import { UnsupportedError } from '../errors.js';
import type { Recipe } from './recipe.js';
import type { CalibrationResult } from './calibrate.js';
import type { OpRule, Variant, WeightRule } from './rules.js';
import {
  QUANTIZE_RULES, HYBRID_RULES, HYBRID_MIN_ELEMENTS, INTEGER_LSTM_VERSION, fixedOutput, quantizeOpVersion, dequantizeOpVersion,
} from './rules.js';
import type { QuantParams, QuantizedWeights } from './weights.js';
import {
  activationParams, activationRange, bytesOf, quantizeBias, quantizeWeights, quantizeWithParams,
} from './weights.js';
import type { NumericAdjustment, RangeOrigin } from './numerics.js';
import {
  NumericLog, biasWeightScales, clampToFloat16, finiteConstant, float32AtLeast, fmt, hybridWeightScaleCeiling, kernelOutputScaleCeiling,
  kernelOutputScaleFloor, verifyQuantizedModel,
} from './numerics.js';
import { LSTM, LSTM_INTERMEDIATE_NAMES, isQuantizableLstm } from './lstm.js';
import { tensorKey } from './tensor-key.js';
import { CallBoundaries, isCallOp } from './call-boundaries.js';
import { nodeChoice } from './scopes.js';
import { ADD_LEFT_SHIFT, TensorDomains, requantizesDirectly, type ActType } from './domains.js';
import type { WeightRounder, WeightSite } from './algorithms/index.js';

export interface OpSummary {
  index: number;
  /** The subgraph of the node when it is not the entry subgraph (a WHILE body, an IF branch). */
  subgraph?: number;
  op: string;
  /** int8 / int16 / hybrid for quantized ops. */
  variant?: Variant | 'float16';
  version?: number;
  reason?: string;
}

export interface RewriteReport {
  quantizedOps: OpSummary[];
  floatOps: OpSummary[];
  warnings: string[];
  /** QUANTIZE / DEQUANTIZE nodes the rewrite added. */
  conversionOps: number;
  /** Values changed so the file can hold them (numerics.ts), one per tensor and kind. */
  adjustments: NumericAdjustment[];
}

/** What the rewrite needs besides the recipe: the model's file name, for messages. */
export interface RewriteContext {
  modelName?: string;
  /** Chooses integer weight values (algorithms/: GPTQ, AdaRound); round to nearest where absent or it returns null. */
  weightRounder?: WeightRounder;
}

const isFloat = (t: Tensor) => t.dtype === 'float32';
/** The outputs a rule quantizes: all, or those it lists (TOPK_V2's indices are int32). */
const realOutputs = (rule: OpRule, node: Operator): number[] => (rule.outputs ? rule.outputs.map((k) => node.outputs[k]) : node.outputs);
const isConst = (t: Tensor) => t.data !== null && !t.isVariable;

function q(scale: number[], zeroPoint: number[], quantizedDimension = 0): Quantization {
  return { scale, zeroPoint, quantizedDimension };
}

function sameParams(a: Quantization | null, b: Quantization | null): boolean {
  if (!a || !b) return false;
  return a.scale.length === b.scale.length && a.scale.every((s, i) => s === b.scale[i])
    && a.zeroPoint.every((z, i) => z === b.zeroPoint[i]);
}

/** Graph under construction: the original tensors (copied) plus new ones; operators in their new order. */
class GraphEdit {
  readonly tensors: Tensor[];
  readonly operators: Operator[] = [];
  private readonly names: Set<string>;
  /** Derived tensors that take their source's name once the source is no longer used (quantized weights). */
  private readonly inheritName = new Map<number, number>();
  conversionOps = 0;

  constructor(readonly source: Subgraph) {
    this.tensors = source.tensors.map((t) => ({ ...t, shape: [...t.shape], quantization: t.quantization ? { ...t.quantization } : null }));
    this.names = new Set(this.tensors.map((t) => t.name));
  }

  uniqueName(base: string): string {
    let name = base;
    for (let k = 1; this.names.has(name); k++) name = `${base}_${k}`;
    this.names.add(name);
    return name;
  }

  /** Give tensor `index` a new unique name based on `base`; its old name is free again. Returns the old name. */
  rename(index: number, base: string): string {
    const old = this.tensors[index].name;
    this.tensors[index].name = this.uniqueName(base);
    this.names.delete(old);
    return old;
  }

  add(t: Omit<Tensor, 'name'> & { name: string }): number {
    const tensor: Tensor = { ...t, name: this.uniqueName(t.name) };
    this.tensors.push(tensor);
    return this.tensors.length - 1;
  }

  /** A tensor like `like` (shape) with a new dtype / quantization / data. */
  derive(like: number, suffix: string, dtype: DType, quantization: Quantization | null, data: Uint8Array | null = null): number {
    const src = this.tensors[like];
    const t: Tensor = { name: `${src.name}${suffix}`, shape: [...src.shape], dtype, data, quantization, isVariable: false };
    if (src.shapeSignature) t.shapeSignature = [...src.shapeSignature];
    const index = this.add(t);
    if (suffix === '' && like < this.source.tensors.length) this.inheritName.set(index, like);
    return index;
  }

  addOp(op: string, inputs: number[], outputs: number[], version: number): void {
    const d = defaultOptions(op);
    this.operators.push({ op, version, inputs, outputs, intermediates: [], options: { ...d.options }, optionsType: d.optionsType });
    if (op === 'QUANTIZE' || op === 'DEQUANTIZE') this.conversionOps++;
  }

  /** Drop tensors nothing refers to and renumber; returns the subgraph. */
  finish(inputs: number[], outputs: number[]): { subgraph: Subgraph; remap: Int32Array } {
    const used = new Uint8Array(this.tensors.length);
    const mark = (i: number) => { if (i >= 0) used[i] = 1; };
    inputs.forEach(mark);
    outputs.forEach(mark);
    for (const op of this.operators) { op.inputs.forEach(mark); op.outputs.forEach(mark); op.intermediates.forEach(mark); }
    for (const [index, source] of this.inheritName) {
      if (used[index] && !used[source]) {
        this.tensors[index].name = this.tensors[source].name;
        used[source] = 2; // name taken
      }
    }
    for (let i = 0; i < used.length; i++) if (used[i] === 2) used[i] = 0;
    const remap = new Int32Array(this.tensors.length).fill(-1);
    const tensors: Tensor[] = [];
    this.tensors.forEach((t, i) => { if (used[i]) { remap[i] = tensors.length; tensors.push(t); } });
    const m = (i: number) => (i < 0 ? i : remap[i]);
    for (const op of this.operators) {
      op.inputs = op.inputs.map(m);
      op.outputs = op.outputs.map(m);
      op.intermediates = op.intermediates.map(m);
    }
    return {
      subgraph: { name: this.source.name, tensors, inputs: inputs.map(m), outputs: outputs.map(m), operators: this.operators },
      remap,
    };
  }
}

/** The shape signature of a tensor, for a new tensor that stands in for it (dynamic batch stays -1). */
function signatureOf(t: Tensor): { shapeSignature?: number[] } {
  return t.shapeSignature ? { shapeSignature: [...t.shapeSignature] } : {};
}

/** One rewritten subgraph before its unused tensors are dropped. */
interface SubgraphEdit {
  edit: GraphEdit;
  inputs: number[];
  outputs: number[];
}

/** The new model: subgraph s from parts[s] (subgraphs without a part are kept as they are). */
function finishModel(model: Model, parts: SubgraphEdit[], description: string, ctx: RewriteContext): Model {
  const finished = parts.map((p, s) => {
    const { subgraph } = p.edit.finish(p.inputs, p.outputs);
    verifyQuantizedModel(subgraph, model.subgraphs[s], ctx.modelName);
    return subgraph;
  });
  const subgraph = finished[0];
  const sg0 = model.subgraphs[0];
  const signatureDefs = model.signatureDefs.map((s) => {
    if (s.subgraphIndex !== 0) return s;
    const mapEntry = (list: number[], newList: number[]) => (e: { name: string; tensorIndex: number }) => {
      const k = list.indexOf(e.tensorIndex);
      return { name: e.name, tensorIndex: k >= 0 ? newList[k] : e.tensorIndex };
    };
    return {
      ...s,
      inputs: s.inputs.map(mapEntry(sg0.inputs, subgraph.inputs)),
      outputs: s.outputs.map(mapEntry(sg0.outputs, subgraph.outputs)),
    };
  });
  return { ...model, description, subgraphs: [...finished, ...model.subgraphs.slice(finished.length)], signatureDefs };
}

/** The bias a weight's scales must leave room for: its values and the scale of the node's input. */
interface BiasNeed {
  values: Float32Array;
  inputScale: number;
}

/** Quantized weight tensors, shared between the nodes that use the same weights the same way. */
class WeightCache {
  private readonly computed = new Map<string, QuantizedWeights>();
  private readonly cache = new Map<string, { index: number; scales: number[] }>();
  constructor(private readonly edit: GraphEdit, private readonly log: NumericLog, private readonly ctx: RewriteContext) {}

  values(orig: number): Float32Array {
    return finiteConstant(this.edit.source.tensors[orig], orig, this.ctx.modelName);
  }

  /** `repeatAlong`: per-tensor weights written with their scale repeated along this dimension. */
  /** `site`: where the weight is used, for a weight rounder (ctx.weightRounder) that rounds for that node's inputs. */
  weight(orig: number, channelDim: number | undefined, bias?: BiasNeed, repeatAlong?: number, site?: WeightSite): { index: number; scales: number[] } {
    const src = this.edit.source.tensors[orig];
    let key = `w:${orig}:${channelDim ?? 't'}`;
    let w = this.computed.get(key);
    if (!w) {
      w = quantizeWeights(this.values(orig), src.shape, channelDim);
      this.computed.set(key, w);
      if (w.narrowChannels) {
        this.log.add(src.name, 'narrow-range', `max|w| below 5e-7 in ${w.narrowChannels} of ${w.scales.length} channel(s): `
          + 'quantized over +-5e-7 (TFLite widens ranges narrower than 1e-6)');
      }
    }
    const floors = bias ? biasWeightScales(bias.values, bias.inputScale, w.scales) : null;
    if (floors) {
      key += `:${floors.join(',')}`;
      const base = w;
      w = this.computed.get(key) ?? quantizeWeights(this.values(orig), src.shape, channelDim, floors);
      this.computed.set(key, w);
      const raised = w.scales.filter((s, c) => s !== base.scales[c]).length;
      this.log.add(src.name, 'bias-weight-scale', `scale raised on ${raised} of ${w.scales.length} channel(s) so the bias fits `
        + 'in half of int32 at input scale x weight scale (TFLite adjusts weight scales for the bias the same way)');
    }
    const rounder = this.ctx.weightRounder;
    if (rounder && site) {
      const rounded = rounder(site, this.values(orig), src.shape, channelDim, w.scales);
      if (rounded) {
        key += `:n${site.subgraph}.${site.node}`;
        w = { ...w, values: rounded };
      }
    }
    if (repeatAlong !== undefined && w.scales.length === 1) {
      key += `:r${repeatAlong}`;
      w = { ...w, scales: new Array<number>(src.shape[repeatAlong]).fill(w.scales[0]), quantizedDimension: repeatAlong };
    }
    const hit = this.cache.get(key);
    if (hit) return hit;
    const index = this.edit.derive(orig, '', 'int8', q(w.scales, w.scales.map(() => 0), w.quantizedDimension), bytesOf(w.values));
    const entry = { index, scales: w.scales };
    this.cache.set(key, entry);
    return entry;
  }

  bias(orig: number, inputScale: number, weightScales: number[], dtype: 'int32' | 'int64'): number {
    const key = `b:${orig}:${inputScale}:${weightScales.join(',')}:${dtype}`;
    const hit = this.cache.get(key);
    if (hit) return hit.index;
    const b = quantizeBias(this.values(orig), inputScale, weightScales, dtype);
    const index = this.edit.derive(orig, '', dtype, q(b.scales, b.scales.map(() => 0), 0), bytesOf(b.data));
    this.cache.set(key, { index, scales: b.scales });
    return index;
  }
}

function excluded(recipe: Recipe, node: Operator, n: number, sg: Subgraph, s = 0): string | null {
  const c = nodeChoice(recipe, sg, node, n, s);
  return c.precision === 'float' ? c.floatReason ?? 'left in float by the recipe' : null;
}

/** Per-channel weights for a weight rule at node n: the node's scope granularity, else the recipe's global flags. */
function perChannelFor(recipe: Recipe, w: WeightRule, node: Operator, n: number, sg: Subgraph, s = 0): boolean {
  if (w.channelDim === undefined) return false;
  const g = nodeChoice(recipe, sg, node, n, s).granularity;
  if (g) return g === 'channel';
  return w.perChannelByDefault ? !recipe.perTensor : recipe.perChannelDense;
}

/** Does a node touch real-valued (float32) tensors at all? Integer-only nodes (shape arithmetic) are left alone. */
function touchesFloat(sg: Subgraph, node: Operator): boolean {
  return [...node.inputs, ...node.outputs].some((i) => i >= 0 && isFloat(sg.tensors[i]));
}

// ---------------------------------------------------------------------------------------------------------------
// Full integer (int8, int16x8, and mixes of both: a recipe scope moves nodes to the other width)

/** The model's activation type: the recipe's mode. */
function modeActType(recipe: Recipe): ActType {
  return recipe.mode === 'int16x8' ? 'int16' : 'int8';
}

/** Node n's activation type: its scope's precision, else the mode's. */
function nodeActType(recipe: Recipe, sg: Subgraph, node: Operator, n: number, s: number): ActType {
  const p = nodeChoice(recipe, sg, node, n, s).precision;
  return p === 'int16x8' ? 'int16' : p === 'int8' ? 'int8' : modeActType(recipe);
}

/**
 * The float constants of every node a full-integer rewrite may quantize, checked before calibration runs the float
 * model: an Inf or NaN weight is named as such, not as the Inf activation it would make somewhere downstream.
 */
export function checkQuantizableConstants(model: Model, recipe: Recipe, ctx: RewriteContext = {}): void {
  model.subgraphs.forEach((sg, s) => checkSubgraphConstants(model, sg, s, recipe, ctx));
}

function checkSubgraphConstants(model: Model, sg: Subgraph, s: number, recipe: Recipe, ctx: RewriteContext): void {
  sg.operators.forEach((node, n) => {
    if (!touchesFloat(sg, node) || excluded(recipe, node, n, sg, s)) return;
    const int16 = nodeActType(recipe, sg, node, n, s) === 'int16';
    const rule = QUANTIZE_RULES.get(node.op);
    const candidate = node.op === 'UNIDIRECTIONAL_SEQUENCE_LSTM' ? !int16 && isQuantizableLstm(model, node) : !!rule && (!int16 || rule.int16);
    if (!candidate) return;
    for (const i of node.inputs) {
      if (i >= 0 && isFloat(sg.tensors[i]) && isConst(sg.tensors[i])) finiteConstant(sg.tensors[i], i, ctx.modelName);
    }
  });
}

/**
 * The range a float tensor is quantized over in activation type `act`: a constant's values, or what calibration
 * observed for that many levels (int16: 65535 symmetric; null: nothing observed).
 */
function ownRange(model: Model, s: number, i: number, calib: CalibrationResult, act: ActType, ctx: RewriteContext): [number, number] | null {
  const t = model.subgraphs[s].tensors[i];
  if (isConst(t)) {
    const v = finiteConstant(t, i, ctx.modelName);
    let lo = Infinity, hi = -Infinity;
    for (let k = 0; k < v.length; k++) { if (v[k] < lo) lo = v[k]; if (v[k] > hi) hi = v[k]; }
    return v.length ? [lo, hi] : [0, 0];
  }
  const obs = calib.observers.get(tensorKey(s, i));
  return obs ? obs.range(act === 'int16' ? 65535 : 256, act === 'int16') : null;
}

export function rewriteFullInteger(model: Model, recipe: Recipe, calib: CalibrationResult, description: string,
  ctx: RewriteContext = {}): { model: Model; report: RewriteReport } {
  const report: RewriteReport = { quantizedOps: [], floatOps: [], warnings: [], conversionOps: 0, adjustments: [] };
  const log = new NumericLog();
  // Tensors passed across WHILE / IF / CALL share one range (values are copied, not requantized, between them), in
  // the mode's activation type.
  const boundaries = new CallBoundaries(model, (s, i) => ownRange(model, s, i, calib, modeActType(recipe), ctx),
    (s, node, n) => excluded(recipe, node, n, model.subgraphs[s], s) !== null);
  const parts = model.subgraphs.map((_, s) => new FullIntegerSubgraph(model, s, recipe, calib, boundaries, report, log, ctx).rewrite());
  report.conversionOps = parts.reduce((sum, p) => sum + p.edit.conversionOps, 0);
  const result = finishModel(model, parts, description, ctx);
  report.adjustments = log.adjustments;
  report.warnings.push(...log.warnings);
  return { model: result, report };
}

/** What the rewrite does with one node. */
type NodePlan =
  /** No float tensor: copied as it is. */
  | { kind: 'untouched' }
  /** Stays float (the reason is in the report). */
  | { kind: 'float' }
  /** A QUANTIZE_RULES op in activation type `act`. */
  | { kind: 'op'; rule: OpRule; act: ActType }
  /** The integer LSTM (int8 activations, int16 cell state). */
  | { kind: 'lstm' }
  /** WHILE / IF / CALL: operands and results in their boundary group's parameters. */
  | { kind: 'call'; act: ActType };

/**
 * Subgraph s of the full-integer rewrite. The entry subgraph's inputs and outputs take the recipe's types; a called
 * subgraph's take the parameters of their boundary group (integer when the group has a range, else float).
 */
class FullIntegerSubgraph {
  private readonly sg: Subgraph;
  /** The mode's activation type: model inputs and outputs, call boundaries. */
  private readonly modeAct: ActType;
  private readonly where: string;
  private readonly edit: GraphEdit;
  private readonly weights: WeightCache;
  private readonly T: Tensor[];
  private readonly domains: TensorDomains;

  constructor(private readonly model: Model, private readonly s: number, private readonly recipe: Recipe,
    private readonly calib: CalibrationResult, private readonly boundaries: CallBoundaries, private readonly report: RewriteReport,
    private readonly log: NumericLog, private readonly ctx: RewriteContext) {
    this.sg = model.subgraphs[s];
    this.modeAct = modeActType(recipe);
    this.where = s ? ` of subgraph ${s}` : '';
    this.edit = new GraphEdit(this.sg);
    this.weights = new WeightCache(this.edit, log, ctx);
    this.T = this.edit.tensors;
    this.domains = new TensorDomains(this.sg.tensors.length);
  }

  rewrite(): SubgraphEdit {
    const { report, sg, s } = this;
    const firstQuantized = report.quantizedOps.length, firstFloat = report.floatOps.length;
    const plan = sg.operators.map((node, n) => this.planNode(node, n));
    this.reportFloatNodes(firstFloat);
    const inputs = this.rewriteInputs();
    this.startDomains(plan);
    sg.operators.forEach((node, n) => this.rewriteNode(node, n, plan[n]));
    const outputs = s !== 0 ? sg.outputs.map((o) => this.boundaryOutput(o)) : sg.outputs.map((o) => this.modelOutput(o));
    if (s !== 0) {
      for (const o of report.quantizedOps.slice(firstQuantized)) o.subgraph = s;
      for (const o of report.floatOps.slice(firstFloat)) o.subgraph = s;
    }
    return { edit: this.edit, inputs, outputs };
  }

  // ---- ranges and parameters

  private rangeOf(i: number, act: ActType): [number, number] | null {
    return this.boundaries.has(this.s, i) ? this.boundaries.range(this.s, i) : ownRange(this.model, this.s, i, this.calib, act, this.ctx);
  }

  /** `reachable`: bounds the widened range (values the op cannot produce need no room). */
  private calibratedParams(i: number, act: ActType, headroom = 0, reachable?: [number, number]): QuantParams | null {
    const r = this.rangeOf(i, act);
    if (!r) return null;
    const margin = headroom * (Math.max(r[1], 0) - Math.min(r[0], 0));
    let lo = r[0] < 0 ? r[0] - margin : r[0];
    let hi = r[1] > 0 ? r[1] + margin : r[1];
    if (reachable) {
      lo = Math.min(r[0], Math.max(lo, reachable[0]));
      hi = Math.max(r[1], Math.min(hi, reachable[1]));
    }
    return this.paramsOver(i, lo, hi, isConst(this.sg.tensors[i]) ? 'constant' : 'calibrated', act);
  }

  /** Activation parameters of tensor i over [lo, hi]; a range too narrow to quantize is widened and reported. */
  private paramsOver(i: number, lo: number, hi: number, origin: RangeOrigin, act: ActType): QuantParams {
    const r = activationRange(lo, hi, act, origin);
    if (r.widened) {
      this.log.add(this.sg.tensors[i].name, 'narrow-range', `${origin} range [${fmt(lo)}, ${fmt(hi)}] narrower than 1e-6: quantized over `
        + `[${fmt(r.lo)}, ${fmt(r.hi)}] (TFLite's ${origin === 'calibrated' ? 'calibrator widens it by 1e-6 on each side' : 'converter widens it to +-5e-7'})`);
    }
    return activationParams(lo, hi, act, origin);
  }

  private paramsOf(ti: number): QuantParams {
    const qz = this.T[ti].quantization!;
    return { scale: qz.scale[0], zeroPoint: qz.zeroPoint[0] };
  }

  /** The scale asInt(i, act) gives original tensor i, before it is made (a bias's weight scales depend on it). */
  private intScaleOf(i: number, act: ActType): number {
    const cur = this.domains.get(i, act);
    return cur >= 0 && !isConst(this.sg.tensors[i]) ? this.T[cur].quantization!.scale[0] : this.calibratedParams(i, act)!.scale;
  }

  // ---- 1. plan: which nodes become integer (in which activation type), and why the others do not

  private planNode(node: Operator, n: number): NodePlan {
    const { sg, s, recipe, report } = this;
    if (!touchesFloat(sg, node)) return { kind: 'untouched' };
    const why = (reason: string): NodePlan => { report.floatOps.push({ index: n, op: node.op, reason }); return { kind: 'float' }; };
    const ex = excluded(recipe, node, n, sg, s);
    if (ex) return why(ex);
    if (isCallOp(node)) return { kind: 'call', act: this.modeAct };
    const act = nodeActType(recipe, sg, node, n, s);
    if (node.op === 'UNIDIRECTIONAL_SEQUENCE_LSTM') {
      if (act !== 'int8') return why('no 16x8 LSTM kernel');
      if (s !== 0) return why('the LSTM cell range is calibrated in the entry subgraph only');
      if (!isQuantizableLstm(this.model, node) || !this.calib.lstmCells.has(n)) return why('only the LSTM without peephole and projection has an integer rewrite');
      if (!this.calib.observers.has(node.inputs[0]) || !this.calib.observers.has(node.outputs[0])) return why('no calibration range');
      return { kind: 'lstm' };
    }
    const rule = QUANTIZE_RULES.get(node.op);
    if (!rule) return why(`no ${act} kernel for ${node.op}`);
    if (act === 'int16' && !rule.int16) return why(`no 16x8 kernel for ${node.op}`);
    const reason = this.unquantizable(node, rule, act);
    return reason ? why(reason) : { kind: 'op', rule, act };
  }

  /** Why a node with a rule cannot be rewritten in `act` (operands of the wrong kind, no range, kernel limits), or null. */
  private unquantizable(node: Operator, rule: OpRule, act: ActType): string | null {
    const { sg } = this;
    const weightInputs = new Set((rule.weights ?? []).map((w) => w.input));
    for (const w of rule.weights ?? []) {
      const ti = node.inputs[w.input];
      if (ti === undefined || ti < 0) return 'weights missing';
      const t = sg.tensors[ti];
      if (!isFloat(t) || !isConst(t)) return `weights '${t.name}' are not float constants`;
    }
    if (rule.bias) {
      const ti = node.inputs[rule.bias.input];
      if (ti !== undefined && ti >= 0 && (!isFloat(sg.tensors[ti]) || !isConst(sg.tensors[ti]))) return 'bias is not a float constant';
    }
    for (const k of activationSlots(rule, node)) {
      const ti = node.inputs[k];
      if (ti === undefined || ti < 0 || weightInputs.has(k)) continue;
      const t = sg.tensors[ti];
      if (!isFloat(t)) return `input '${t.name}' is ${t.dtype}, not float`;
      if (!this.rangeOf(ti, act)) return `no calibration range for input '${t.name}'`;
    }
    if (rule.output.kind === 'none') return null;
    for (const o of realOutputs(rule, node)) {
      if (!isFloat(sg.tensors[o])) return `output '${sg.tensors[o].name}' is not float`;
      if ((rule.output.kind === 'calibrated' || rule.output.kind === 'shared') && !this.rangeOf(o, act)) return `no calibration range for output '${sg.tensors[o].name}'`;
    }
    if (rule.output.kind === 'fixed' && !fixedOutput(rule, act)) return `no fixed ${act} output parameters`;
    const ceiling = kernelOutputScaleCeiling(node.op, ADD_LEFT_SHIFT[act]);
    for (const o of realOutputs(rule, node)) {
      const r = ceiling === null ? null : this.rangeOf(o, act);
      if (r && activationParams(r[0], r[1], act).scale > ceiling!) {
        return `output range [${fmt(r[0])}, ${fmt(r[1])}] too wide for TFLite's integer ${node.op} (output scale above ${fmt(ceiling!)})`;
      }
    }
    return null;
  }

  /** Float nodes are warnings (errors with --strict). */
  private reportFloatNodes(firstFloat: number): void {
    const floatHere = this.report.floatOps.slice(firstFloat);
    if (this.recipe.strict && floatHere.length) {
      throw new UnsupportedError(`--strict: ${floatHere.length} op(s)${this.where} cannot be quantized to ${this.modeAct}: `
        + floatHere.map((o) => `${o.op} (#${o.index}: ${o.reason})`).join('; '));
    }
    for (const o of floatHere) this.report.warnings.push(`${o.op} (node #${o.index}${this.where}) stays float: ${o.reason}`);
  }

  // ---- 2. domains: the tensor holding each original tensor in int8, int16 and float32

  /** Tensor i becomes an integer tensor of type `dtype` (its producer's output) with these parameters. */
  private setInt(i: number, params: QuantParams, dtype: ActType): void {
    const t = this.T[i];
    t.dtype = dtype;
    t.quantization = q([params.scale], [params.zeroPoint]);
    t.data = null;
    this.domains.setHome(i, dtype, i);
  }

  /** The entry subgraph's inputs in the recipe's input type; a called subgraph's in their boundary group's. */
  private rewriteInputs(): number[] {
    const { sg, s, recipe, T, edit, domains } = this;
    const newInputs = [...sg.inputs];
    for (const [k, i] of sg.inputs.entries()) {
      const t = sg.tensors[i];
      if (!isFloat(t)) continue;
      const p = this.calibratedParams(i, this.modeAct);
      if (s !== 0) {
        // A called subgraph's input holds what its caller passes: the boundary group's parameters.
        if (p) this.setInt(i, p, this.modeAct);
        else domains.setHome(i, 'float32', i);
        continue;
      }
      if (recipe.inputType === 'float32' || !p) { domains.setHome(i, 'float32', i); continue; }
      if (recipe.inputType === 'uint8') {
        // uint8 at the edge, as TF writes it: the same scale, zero point + 128, then QUANTIZE to int8.
        T[i].dtype = 'uint8';
        T[i].quantization = q([p.scale], [p.zeroPoint + 128]);
        const j = edit.derive(i, '_int8', 'int8', q([p.scale], [p.zeroPoint]));
        edit.addOp('QUANTIZE', [i], [j], quantizeOpVersion('int8'));
        domains.setHome(i, 'int8', j);
      } else {
        this.setInt(i, p, this.modeAct);
      }
      newInputs[k] = i;
    }
    return newInputs;
  }

  /** Constants and tensors produced by float nodes start in the float domain; rewritten nodes set their outputs'. */
  private startDomains(plan: NodePlan[]): void {
    const { sg, domains } = this;
    sg.tensors.forEach((t, i) => { if (domains.home(i) === undefined && isFloat(t)) domains.setHome(i, 'float32', i); });
    sg.operators.forEach((node, n) => {
      const k = plan[n].kind;
      if (k === 'op' || k === 'lstm' || k === 'call') for (const o of node.outputs) domains.clear(o);
    });
  }

  /**
   * The `act` tensor for original tensor i, with the given params (QUANTIZE inserted if needed). A float value is
   * quantized with its calibrated parameters (then requantized to `want`); an integer value of the other width is
   * converted straight to `want` (or its calibrated parameters in `act`).
   */
  private asInt(i: number, act: ActType, want?: Quantization): number {
    const { sg, edit, domains, T } = this;
    const t = sg.tensors[i];
    if (isConst(t) && isFloat(t)) {
      // A real-valued constant used as an activation: quantized with its own range (or the wanted params).
      const p = want ? { scale: want.scale[0], zeroPoint: want.zeroPoint[0] } : this.calibratedParams(i, act)!;
      const data = quantizeWithParams(this.weights.values(i), p, act);
      return edit.derive(i, `_${act}`, act, q([p.scale], [p.zeroPoint]), bytesOf(data));
    }
    let cur = domains.get(i, act);
    if (cur < 0) {
      const home = domains.home(i)!;
      if (home !== 'float32') {
        const p = want ? { scale: want.scale[0], zeroPoint: want.zeroPoint[0] } : this.calibratedParams(i, act)!;
        const j = this.convert(i, home, act, p);
        if (want) return j;
        domains.set(i, act, j);
        return j;
      }
      const p = this.calibratedParams(i, act)!;
      cur = edit.derive(i, `_${act}`, act, q([p.scale], [p.zeroPoint]));
      edit.addOp('QUANTIZE', [domains.get(i, 'float32')], [cur], quantizeOpVersion(act));
      domains.set(i, act, cur);
    }
    if (want && !sameParams(T[cur].quantization, want)) {
      // Requantize to the parameters a same-scale op needs.
      const j = edit.derive(i, '_requantized', act, { ...want });
      edit.addOp('QUANTIZE', [cur], [j], quantizeOpVersion(act));
      return j;
    }
    return cur;
  }

  /** A new `to` tensor with parameters p holding original tensor i, from its value in integer domain `from`. */
  private convert(i: number, from: ActType, to: ActType, p: QuantParams): number {
    const src = requantizesDirectly(from, to) ? this.domains.get(i, from) : this.asFloat(i);
    const j = this.edit.derive(i, `_${to}`, to, q([p.scale], [p.zeroPoint]));
    this.edit.addOp('QUANTIZE', [src], [j], quantizeOpVersion(to));
    return j;
  }

  private asFloat(i: number): number {
    const { edit, domains, T } = this;
    const cur = domains.get(i, 'float32');
    if (cur >= 0) return cur;
    const src = domains.homeTensor(i);
    const j = edit.derive(i, '_dequantized', 'float32', null);
    edit.addOp('DEQUANTIZE', [src], [j], dequantizeOpVersion(T[src].dtype));
    domains.set(i, 'float32', j);
    return j;
  }

  // ---- 3. nodes in order

  private rewriteNode(node: Operator, n: number, plan: NodePlan): void {
    const { sg, edit, domains } = this;
    switch (plan.kind) {
      case 'untouched':
      case 'float': {
        const inputs = node.inputs.map((i) => (i < 0 || !isFloat(sg.tensors[i]) ? i : this.asFloat(i)));
        edit.operators.push({ ...node, inputs, outputs: [...node.outputs], intermediates: [...node.intermediates] });
        for (const o of node.outputs) if (isFloat(sg.tensors[o])) domains.setHome(o, 'float32', o);
        return;
      }
      case 'lstm': return this.rewriteLstm(n, node);
      case 'call': return this.rewriteCall(n, node, plan.act);
      case 'op': return this.rewriteOp(n, node, plan.rule, plan.act);
    }
  }

  /** A QUANTIZE_RULES op: weights, activations, bias, then output parameters, all in activation type `act`. */
  private rewriteOp(n: number, node: Operator, rule: OpRule, act: ActType): void {
    const { sg, s, recipe, weights, T } = this;
    const biasType = act === 'int16' ? 'int64' : 'int32';
    const inputs = [...node.inputs];
    const weightScales = new Map<number, number[]>();
    const biasIndex = rule.bias ? node.inputs[rule.bias.input] : undefined;
    const biasNeed = rule.bias && biasIndex !== undefined && biasIndex >= 0
      ? { weight: rule.bias.weight, values: weights.values(biasIndex), inputScale: this.intScaleOf(node.inputs[rule.bias.activation], act) }
      : null;
    for (const w of rule.weights ?? []) {
      const perChannel = perChannelFor(recipe, w, node, n, sg, s);
      const qw = weights.weight(node.inputs[w.input], perChannel ? w.channelDim : undefined, biasNeed?.weight === w.input ? biasNeed : undefined,
        undefined, { subgraph: s, node: n, input: w.input, tensor: node.inputs[w.input] });
      inputs[w.input] = qw.index;
      weightScales.set(w.input, qw.scales);
    }
    const weightSet = new Set((rule.weights ?? []).map((w) => w.input));
    const shared = rule.output.kind === 'shared';
    const sharedParams = shared ? this.calibratedParams(node.outputs[0], act)! : null;
    const acts = activationSlots(rule, node);
    for (const k of acts) {
      const ti = node.inputs[k];
      if (ti === undefined || ti < 0 || weightSet.has(k) || !isFloat(sg.tensors[ti])) continue;
      const valueOf = rule.valueInputs?.includes(k) ? acts.map((j) => inputs[j]).find((i) => i !== undefined && i >= 0 && T[i].quantization) : undefined;
      const want = sharedParams ?? (valueOf !== undefined ? this.paramsOf(valueOf) : null);
      inputs[k] = this.asInt(ti, act, want ? q([want.scale], [want.zeroPoint]) : undefined);
    }
    if (rule.bias) {
      const bi = node.inputs[rule.bias.input];
      if (bi !== undefined && bi >= 0) {
        const inScale = this.paramsOf(inputs[rule.bias.activation]).scale;
        inputs[rule.bias.input] = weights.bias(bi, inScale, weightScales.get(rule.bias.weight)!, biasType);
      }
    }
    if (rule.output.kind !== 'none') {
      const firstAct = acts.map((k) => inputs[k]).find((i) => i !== undefined && i >= 0 && T[i].quantization);
      for (const o of realOutputs(rule, node)) {
        this.setInt(o, this.outputParams(node, rule, act, inputs, acts, o, firstAct, sharedParams), act);
      }
    }
    const version = rule.version(act, node);
    this.edit.operators.push({
      ...node, inputs, outputs: [...node.outputs], intermediates: [...node.intermediates], version,
      options: { ...node.options, ...(rule.options?.(act) ?? {}) },
    });
    this.report.quantizedOps.push({ index: n, op: node.op, variant: act, version });
  }

  /** Parameters of output o by the rule's output kind. */
  private outputParams(node: Operator, rule: OpRule, act: ActType, inputs: number[], acts: number[], o: number,
    firstAct: number | undefined, sharedParams: QuantParams | null): QuantParams {
    const out = rule.output;
    if (out.kind === 'fixed') {
      const [scale, zeroPoint] = fixedOutput(rule, act)!;
      return { scale, zeroPoint };
    }
    if (out.kind === 'same-as-input' && firstAct !== undefined) return this.paramsOf(firstAct);
    if (out.kind === 'shared') return sharedParams!;
    if (out.kind !== 'calibrated') return this.calibratedParams(o, act)!;
    const p = this.calibratedParams(o, act, out.headroom, out.sumOfInputs && firstAct !== undefined ? this.sumReach(firstAct, o) : undefined)!;
    return this.withKernelFloor(node, inputs, acts, rule, o, p, act);
  }

  /** The range a sum of (input elements / output elements) values of the quantized input `ti` can reach. */
  private sumReach(ti: number, out: number): [number, number] | undefined {
    const { T, sg } = this;
    const inCount = elementCount(T[ti].shape), outCount = elementCount(sg.tensors[out].shape);
    if (!(inCount > 0 && outCount > 0) || [...T[ti].shape, ...sg.tensors[out].shape].some((d) => d < 0)) return undefined;
    const { scale, zeroPoint } = this.paramsOf(ti);
    const [qmin, qmax] = T[ti].dtype === 'int16' ? [-32768, 32767] : T[ti].dtype === 'uint8' ? [0, 255] : [-128, 127];
    const count = inCount / outCount;
    return [count * scale * (qmin - zeroPoint), count * scale * (qmax - zeroPoint)];
  }

  /**
   * Output parameters raised to the smallest scale the integer kernel accepts (numerics.ts kernelOutputScaleFloor):
   * the zero point stays, so the representable range only grows.
   */
  private withKernelFloor(node: Operator, inputs: number[], acts: number[], rule: OpRule, o: number, p: QuantParams, act: ActType): QuantParams {
    const { T } = this;
    const scalesOf = (i: number | undefined) => (i !== undefined && i >= 0 ? T[i].quantization?.scale ?? [] : []);
    const limit = kernelOutputScaleFloor({
      op: node.op, fusedActivation: node.options.fusedActivationFunction as string | undefined,
      inputs: acts.map((k) => scalesOf(inputs[k])[0]).filter((s) => s !== undefined),
      weights: rule.weights?.length ? scalesOf(inputs[rule.weights[0].input]) : undefined,
      bias: rule.bias ? scalesOf(inputs[rule.bias.input]) : undefined,
      addLeftShift: ADD_LEFT_SHIFT[act],
    });
    if (!limit || p.scale >= limit.floor) return p;
    const scale = float32AtLeast(limit.floor);
    this.log.add(this.sg.tensors[o].name, 'kernel-scale-floor', `output scale ${fmt(p.scale)} raised to ${fmt(scale)}: ${limit.why} `
      + '(TFLite\'s runtime refuses the model otherwise)');
    return { scale, zeroPoint: p.zeroPoint };
  }

  /** WHILE / IF / CALL: operands and results in their boundary group's domain (integer with the group's parameters). */
  private rewriteCall(n: number, node: Operator, act: ActType): void {
    const { sg } = this;
    const inputs = node.inputs.map((i) => {
      if (i < 0 || !isFloat(sg.tensors[i])) return i;
      const p = this.calibratedParams(i, act);
      return p ? this.asInt(i, act, q([p.scale], [p.zeroPoint])) : this.asFloat(i);
    });
    for (const o of node.outputs) {
      if (!isFloat(sg.tensors[o])) continue;
      const p = this.calibratedParams(o, act);
      if (p) this.setInt(o, p, act);
      else this.domains.setHome(o, 'float32', o);
    }
    this.edit.operators.push({ ...node, inputs, outputs: [...node.outputs], intermediates: [...node.intermediates] });
    this.report.quantizedOps.push({ index: n, op: node.op, variant: act, version: node.version });
  }

  private rewriteLstm(n: number, node: Operator): void {
    const { edit, weights, T, log } = this;
    const inputs = [...node.inputs];
    const x = this.asInt(node.inputs[LSTM.input], 'int8');
    inputs[LSTM.input] = x;
    const inScale = this.paramsOf(x).scale;
    const out = node.outputs[0];
    // TFLite's integer LSTM subtracts the hidden zero point where it should add it (CwiseMul: value -= zp), so TF
    // quantizes the hidden state over a symmetric range (zero point 0 or -1); an asymmetric one shifts every output.
    const outRange = this.rangeOf(out, 'int8')!;
    const outMax = Math.max(-outRange[0], outRange[1]);
    const outP = this.paramsOver(out, -outMax, outMax, 'calibrated', 'int8');
    const gateWeightScale: number[] = [];
    for (let g = 0; g < 4; g++) {
      for (const slot of [LSTM.inputWeights[g], LSTM.recurrentWeights[g]]) {
        const ti = node.inputs[slot];
        if (ti < 0) continue;
        const w = weights.weight(ti, undefined);
        inputs[slot] = w.index;
        if (slot === LSTM.inputWeights[g]) gateWeightScale[g] = w.scales[0];
      }
    }
    // With layer normalization (TF's LSTM quantization spec): int16 symmetric coefficients; the gate bias, added
    // after normalization, at coefficient scale x 2^-10; the gates' pre-normalization values (intermediates 0..3)
    // int16 symmetric over their calibrated range.
    const cell = this.calib.lstmCells.get(n)!;
    const layerNorm = LSTM.layerNorm.some((slot) => slot < node.inputs.length && node.inputs[slot] >= 0);
    const lnScale: number[] = [];
    if (layerNorm) {
      LSTM.layerNorm.forEach((slot, g) => {
        const ti = node.inputs[slot];
        if (ti === undefined || ti < 0) return;
        const v = weights.values(ti);
        let m = 0;
        for (let k = 0; k < v.length; k++) m = Math.max(m, Math.abs(v[k]));
        const scale = Math.fround(m / 32767 || 1);
        const qv = Int16Array.from(v, (x) => Math.max(-32767, Math.min(32767, Math.round(x / scale))));
        inputs[slot] = edit.derive(ti, '', 'int16', q([scale], [0]), bytesOf(qv));
        lnScale[g] = scale;
      });
    }
    LSTM.biases.forEach((slot, g) => {
      const ti = node.inputs[slot];
      if (ti >= 0) inputs[slot] = layerNorm ? weights.bias(ti, lnScale[g], [2 ** -10], 'int32') : weights.bias(ti, inScale, [gateWeightScale[g]], 'int32');
    });
    // Hidden state: int8 with the output's parameters. Cell state: int16, power-of-two scale.
    const h = node.inputs[LSTM.outputState];
    const c = node.inputs[LSTM.cellState];
    Object.assign(T[h], { dtype: 'int8', data: null, quantization: q([outP.scale], [outP.zeroPoint]) });
    const cellScale = cell.cellScale();
    if (cell.maxAbsCell > cellScale * 32768) {
      log.add(T[c].name, 'cell-state-clamp', `cell state reached ${fmt(cell.maxAbsCell)}: int16 over +-${cellScale * 32768}, the widest `
        + 'TFLite\'s integer LSTM takes (cell scale at most 2^-9)');
    }
    Object.assign(T[c], { dtype: 'int16', data: null, quantization: q([cellScale], [0]) });
    const intermediates = LSTM_INTERMEDIATE_NAMES.map((name, k) => edit.add(k < 4
      ? layerNorm
        ? { name, shape: [0], dtype: 'int16', data: null, quantization: q([Math.fround(cell.maxAbsGate[k] / 32767 || 2 ** -12)], [0]), isVariable: false }
        : { name, shape: [0], dtype: 'float32', data: null, quantization: null, isVariable: false }
      : { name, shape: [0], dtype: 'int8', data: null, quantization: q([outP.scale], [outP.zeroPoint]), isVariable: false }));
    this.setInt(out, outP, 'int8');
    edit.operators.push({ ...node, inputs, outputs: [...node.outputs], intermediates, version: INTEGER_LSTM_VERSION,
      options: { ...node.options, asymmetricQuantizeInputs: false } });
    this.report.quantizedOps.push({ index: n, op: node.op, variant: 'int8', version: INTEGER_LSTM_VERSION });
  }

  // ---- 4. outputs: the model's in the requested type; a called subgraph's in its boundary group's parameters

  private boundaryOutput(o: number): number {
    if (!isFloat(this.sg.tensors[o])) return o;
    const p = this.calibratedParams(o, this.modeAct);
    if (!p) return this.asFloat(o);
    return this.asInt(o, this.modeAct, q([p.scale], [p.zeroPoint]));
  }

  private modelOutput(o: number): number {
    const { sg, edit, domains, T, recipe } = this;
    const t = sg.tensors[o];
    if (!isFloat(t)) return o;
    const want = recipe.outputType;
    const home = domains.home(o);
    if (home !== undefined && home !== 'float32' && domains.get(o, home) === o) {
      if (want === home) return o;
      // The model output keeps its name; the internal integer tensor gets a suffix (as TF's `Identity_int8`).
      const name = edit.rename(o, `${T[o].name}_${home}`);
      if (want === 'float32') {
        const j = edit.add({ name, shape: [...T[o].shape], ...signatureOf(T[o]), dtype: 'float32', data: null, quantization: null, isVariable: false });
        edit.addOp('DEQUANTIZE', [o], [j], dequantizeOpVersion(home));
        return j;
      }
      // An integer output of the other width: the value in the output's width (zero point + 128 for uint8).
      const src = want === 'uint8' && home === 'int8' ? o : this.asInt(o, want === 'uint8' ? 'int8' : want);
      if (want !== 'uint8') { edit.rename(src, name); return src; }
      const p = this.paramsOf(src);
      const j = edit.add({ name, shape: [...T[o].shape], ...signatureOf(T[o]), dtype: 'uint8', data: null, quantization: q([p.scale], [p.zeroPoint + 128]), isVariable: false });
      edit.addOp('QUANTIZE', [src], [j], quantizeOpVersion('uint8'));
      return j;
    }
    // Produced in float.
    if (want === 'float32') return this.asFloat(o);
    const dtype = want === 'uint8' ? 'uint8' : want;
    const p = this.calibratedParams(o, dtype === 'uint8' ? 'int8' : dtype);
    if (!p) { this.report.warnings.push(`output '${t.name}' has no calibration range: left float`); return o; }
    const j = edit.derive(o, `_${dtype}`, dtype, q([p.scale], [dtype === 'uint8' ? p.zeroPoint + 128 : p.zeroPoint]));
    edit.addOp('QUANTIZE', [o], [j], quantizeOpVersion(dtype));
    return j;
  }
}

/** The input slots a rule quantizes as activations. */
function activationSlots(rule: OpRule, node: Operator): number[] {
  return rule.activations === 'all' ? node.inputs.map((_, k) => k) : rule.activations;
}

// ---------------------------------------------------------------------------------------------------------------
// Dynamic range: int8 weights, float activations, hybrid kernels.

export function rewriteDynamic(model: Model, recipe: Recipe, description: string, ctx: RewriteContext = {}): { model: Model; report: RewriteReport } {
  const sg = model.subgraphs[0];
  const report: RewriteReport = { quantizedOps: [], floatOps: [], warnings: [], conversionOps: 0, adjustments: [] };
  const log = new NumericLog();
  const edit = new GraphEdit(sg);
  const weights = new WeightCache(edit, log, ctx);
  sg.operators.forEach((node, n) => {
    const copy: Operator = { ...node, inputs: [...node.inputs], outputs: [...node.outputs], intermediates: [...node.intermediates], options: { ...node.options } };
    edit.operators.push(copy);
    if (!touchesFloat(sg, node)) return;
    const rule = HYBRID_RULES.get(node.op);
    const ex = excluded(recipe, node, n, sg);
    const keep = (reason: string) => report.floatOps.push({ index: n, op: node.op, reason });
    if (ex) return keep(ex);
    if (!rule) return keep('no hybrid kernel: computes in float');
    const slots: WeightRule[] = rule.weights.filter((w) => w.input < node.inputs.length && node.inputs[w.input] >= 0);
    if (slots.some((w) => { const t = sg.tensors[node.inputs[w.input]]; return !isFloat(t) || !isConst(t); })) return keep('weights are not float constants');
    if (!isFloat(sg.tensors[node.inputs[0]])) return keep('input is not float');
    const largest = Math.max(...slots.map((w) => elementCount(sg.tensors[node.inputs[w.input]].shape)));
    if (largest < HYBRID_MIN_ELEMENTS) return keep(`weights have fewer than ${HYBRID_MIN_ELEMENTS} elements`);
    for (const w of slots) {
      const pc = perChannelFor(recipe, w, node, n, sg);
      if (!pc || !rule.accumulatorTimesWeightScale) continue;
      const ti = node.inputs[w.input], t = sg.tensors[ti];
      const values = weights.values(ti);
      let m = 0;
      for (let k = 0; k < values.length; k++) m = Math.max(m, Math.abs(values[k]));
      const ceiling = hybridWeightScaleCeiling(values.length / t.shape[w.channelDim!]);
      if (m / 127 > ceiling) return keep(`weights up to ${fmt(m)}: the hybrid kernel's float32 accumulator x weight scale could overflow`);
    }
    let perChannel = false;
    for (const w of slots) {
      const pc = perChannelFor(recipe, w, node, n, sg);
      const repeat = !pc && rule.scalePerChannel ? w.channelDim : undefined;
      perChannel ||= pc || repeat !== undefined;
      copy.inputs[w.input] = weights.weight(node.inputs[w.input], pc ? w.channelDim : undefined, undefined, repeat).index;
    }
    if (rule.asymmetricOption) copy.options[rule.asymmetricOption] = true;
    copy.version = rule.version(node, perChannel);
    report.quantizedOps.push({ index: n, op: node.op, variant: 'hybrid', version: copy.version });
  });
  const result = finishModel(model, [{ edit, inputs: [...sg.inputs], outputs: [...sg.outputs] }], description, ctx);
  report.adjustments = log.adjustments;
  report.warnings.push(...log.warnings);
  return { model: result, report };
}

// ---------------------------------------------------------------------------------------------------------------
// float16: every float32 constant stored as float16 and turned back into float32 by a DEQUANTIZE at the start.

export function rewriteFloat16(model: Model, recipe: Recipe, description: string, ctx: RewriteContext = {}): { model: Model; report: RewriteReport } {
  const sg = model.subgraphs[0];
  const report: RewriteReport = { quantizedOps: [], floatOps: [], warnings: [], conversionOps: 0, adjustments: [] };
  const log = new NumericLog();
  const edit = new GraphEdit(sg);
  const skip = new Set<number>();
  sg.operators.forEach((node, n) => { if (excluded(recipe, node, n, sg)) node.inputs.forEach((i) => skip.add(i)); });
  const used = new Set<number>();
  for (const node of sg.operators) for (const i of node.inputs) if (i >= 0) used.add(i);
  for (const i of used) {
    const t = sg.tensors[i];
    if (!isFloat(t) || !isConst(t) || skip.has(i) || elementCount(t.shape) === 0) continue;
    // Beyond +-65504 float16 has only Inf: clamped instead, as TFLite's float16 quantization does.
    const { values: v, clamped, largest } = clampToFloat16(finiteConstant(t, i, ctx.modelName));
    if (clamped) {
      log.add(t.name, 'float16-clamp', `${clamped} value(s) beyond float16's range (largest |x| ${fmt(largest)}) clamped to +-65504, `
        + 'as TFLite\'s float16 quantization does');
    }
    const half = new Uint16Array(v.length);
    for (let k = 0; k < v.length; k++) half[k] = floatToFloat16Bits(v[k]);
    // The float16 copy is the new constant; the original name stays on the float32 tensor the ops read.
    const h = edit.derive(i, '_fp16', 'float16', null, bytesOf(half));
    edit.tensors[i].data = null;
    edit.addOp('DEQUANTIZE', [h], [i], dequantizeOpVersion('float16'));
  }
  sg.operators.forEach((node, n) => {
    edit.operators.push({ ...node, inputs: [...node.inputs], outputs: [...node.outputs], intermediates: [...node.intermediates] });
    if (touchesFloat(sg, node)) report.quantizedOps.push({ index: n, op: node.op, variant: 'float16', version: node.version });
  });
  report.conversionOps = edit.conversionOps;
  const result = finishModel(model, [{ edit, inputs: [...sg.inputs], outputs: [...sg.outputs] }], description, ctx);
  report.adjustments = log.adjustments;
  report.warnings.push(...log.warnings);
  return { model: result, report };
}
