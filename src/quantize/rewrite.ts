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
// Full integer (int8, int16x8)

/**
 * The float constants of every node a full-integer rewrite may quantize, checked before calibration runs the float
 * model: an Inf or NaN weight is named as such, not as the Inf activation it would make somewhere downstream.
 */
export function checkQuantizableConstants(model: Model, recipe: Recipe, ctx: RewriteContext = {}): void {
  model.subgraphs.forEach((sg, s) => checkSubgraphConstants(model, sg, s, recipe, ctx));
}

function checkSubgraphConstants(model: Model, sg: Subgraph, s: number, recipe: Recipe, ctx: RewriteContext): void {
  const int16 = recipe.mode === 'int16x8';
  sg.operators.forEach((node, n) => {
    if (!touchesFloat(sg, node) || excluded(recipe, node, n, sg, s)) return;
    const rule = QUANTIZE_RULES.get(node.op);
    const candidate = node.op === 'UNIDIRECTIONAL_SEQUENCE_LSTM' ? !int16 && isQuantizableLstm(model, node) : !!rule && (!int16 || rule.int16);
    if (!candidate) return;
    for (const i of node.inputs) {
      if (i >= 0 && isFloat(sg.tensors[i]) && isConst(sg.tensors[i])) finiteConstant(sg.tensors[i], i, ctx.modelName);
    }
  });
}

/** The range a float tensor is quantized over: a constant's values, or what calibration observed (null: nothing). */
function ownRange(model: Model, s: number, i: number, calib: CalibrationResult, actType: 'int8' | 'int16', ctx: RewriteContext): [number, number] | null {
  const t = model.subgraphs[s].tensors[i];
  if (isConst(t)) {
    const v = finiteConstant(t, i, ctx.modelName);
    let lo = Infinity, hi = -Infinity;
    for (let k = 0; k < v.length; k++) { if (v[k] < lo) lo = v[k]; if (v[k] > hi) hi = v[k]; }
    return v.length ? [lo, hi] : [0, 0];
  }
  const obs = calib.observers.get(tensorKey(s, i));
  return obs ? obs.range(actType === 'int16' ? 65535 : 256, actType === 'int16') : null;
}

export function rewriteFullInteger(model: Model, recipe: Recipe, calib: CalibrationResult, description: string,
  ctx: RewriteContext = {}): { model: Model; report: RewriteReport } {
  const actType: 'int8' | 'int16' = recipe.mode === 'int16x8' ? 'int16' : 'int8';
  const report: RewriteReport = { quantizedOps: [], floatOps: [], warnings: [], conversionOps: 0, adjustments: [] };
  const log = new NumericLog();
  // Tensors passed across WHILE / IF / CALL share one range (values are copied, not requantized, between them).
  const boundaries = new CallBoundaries(model, (s, i) => ownRange(model, s, i, calib, actType, ctx),
    (s, node, n) => excluded(recipe, node, n, model.subgraphs[s], s) !== null);
  const parts = model.subgraphs.map((_, s) => rewriteSubgraphFullInteger(model, s, recipe, calib, boundaries, report, log, ctx));
  report.conversionOps = parts.reduce((sum, p) => sum + p.edit.conversionOps, 0);
  const result = finishModel(model, parts, description, ctx);
  report.adjustments = log.adjustments;
  report.warnings.push(...log.warnings);
  return { model: result, report };
}

/**
 * Subgraph s of the full-integer rewrite. The entry subgraph's inputs and outputs take the recipe's types; a called
 * subgraph's take the parameters of their boundary group (integer when the group has a range, else float).
 */
function rewriteSubgraphFullInteger(model: Model, s: number, recipe: Recipe, calib: CalibrationResult, boundaries: CallBoundaries,
  report: RewriteReport, log: NumericLog, ctx: RewriteContext): SubgraphEdit {
  const sg = model.subgraphs[s];
  const variant: Variant = recipe.mode === 'int16x8' ? 'int16' : 'int8';
  const actType: 'int8' | 'int16' = variant === 'int16' ? 'int16' : 'int8';
  const biasType: 'int32' | 'int64' = variant === 'int16' ? 'int64' : 'int32';
  const firstQuantized = report.quantizedOps.length, firstFloat = report.floatOps.length;
  const where = s ? ` of subgraph ${s}` : '';

  const rangeOf = (i: number): [number, number] | null =>
    boundaries.has(s, i) ? boundaries.range(s, i) : ownRange(model, s, i, calib, actType, ctx);
  /** `reachable`: bounds the widened range (values the op cannot produce need no room). */
  const calibratedParams = (i: number, headroom = 0, reachable?: [number, number]): QuantParams | null => {
    const r = rangeOf(i);
    if (!r) return null;
    const margin = headroom * (Math.max(r[1], 0) - Math.min(r[0], 0));
    let lo = r[0] < 0 ? r[0] - margin : r[0];
    let hi = r[1] > 0 ? r[1] + margin : r[1];
    if (reachable) {
      lo = Math.min(r[0], Math.max(lo, reachable[0]));
      hi = Math.max(r[1], Math.min(hi, reachable[1]));
    }
    return paramsOver(i, lo, hi, isConst(sg.tensors[i]) ? 'constant' : 'calibrated');
  };
  /** Activation parameters of tensor i over [lo, hi]; a range too narrow to quantize is widened and reported. */
  const paramsOver = (i: number, lo: number, hi: number, origin: RangeOrigin): QuantParams => {
    const r = activationRange(lo, hi, actType, origin);
    if (r.widened) {
      log.add(sg.tensors[i].name, 'narrow-range', `${origin} range [${fmt(lo)}, ${fmt(hi)}] narrower than 1e-6: quantized over `
        + `[${fmt(r.lo)}, ${fmt(r.hi)}] (TFLite's ${origin === 'calibrated' ? 'calibrator widens it by 1e-6 on each side' : 'converter widens it to +-5e-7'})`);
    }
    return activationParams(lo, hi, actType, origin);
  };

  // 1. Which nodes become integer, and why the others do not.
  const plan: (OpRule | 'lstm' | 'call' | null)[] = sg.operators.map((node, n) => {
    if (!touchesFloat(sg, node)) return null;
    const why = (reason: string) => { report.floatOps.push({ index: n, op: node.op, reason }); return null; };
    const ex = excluded(recipe, node, n, sg, s);
    if (ex) return why(ex);
    if (isCallOp(node)) return 'call';
    if (node.op === 'UNIDIRECTIONAL_SEQUENCE_LSTM') {
      if (variant !== 'int8') return why('no 16x8 LSTM kernel');
      if (s !== 0) return why('the LSTM cell range is calibrated in the entry subgraph only');
      if (!isQuantizableLstm(model, node) || !calib.lstmCells.has(n)) return why('only the LSTM without peephole and projection has an integer rewrite');
      if (!calib.observers.has(node.inputs[0]) || !calib.observers.has(node.outputs[0])) return why('no calibration range');
      return 'lstm';
    }
    const rule = QUANTIZE_RULES.get(node.op);
    if (!rule) return why(`no ${variant} kernel for ${node.op}`);
    if (variant === 'int16' && !rule.int16) return why(`no 16x8 kernel for ${node.op}`);
    const weightInputs = new Set((rule.weights ?? []).map((w) => w.input));
    for (const w of rule.weights ?? []) {
      const ti = node.inputs[w.input];
      if (ti === undefined || ti < 0) return why('weights missing');
      const t = sg.tensors[ti];
      if (!isFloat(t) || !isConst(t)) return why(`weights '${t.name}' are not float constants`);
    }
    if (rule.bias) {
      const ti = node.inputs[rule.bias.input];
      if (ti !== undefined && ti >= 0 && (!isFloat(sg.tensors[ti]) || !isConst(sg.tensors[ti]))) return why('bias is not a float constant');
    }
    const acts = rule.activations === 'all' ? node.inputs.map((_, k) => k) : rule.activations;
    for (const k of acts) {
      const ti = node.inputs[k];
      if (ti === undefined || ti < 0 || weightInputs.has(k)) continue;
      const t = sg.tensors[ti];
      if (!isFloat(t)) return why(`input '${t.name}' is ${t.dtype}, not float`);
      if (!rangeOf(ti)) return why(`no calibration range for input '${t.name}'`);
    }
    if (rule.output.kind !== 'none') {
      for (const o of realOutputs(rule, node)) {
        if (!isFloat(sg.tensors[o])) return why(`output '${sg.tensors[o].name}' is not float`);
        if ((rule.output.kind === 'calibrated' || rule.output.kind === 'shared') && !rangeOf(o)) return why(`no calibration range for output '${sg.tensors[o].name}'`);
      }
      if (rule.output.kind === 'fixed' && !fixedOutput(rule, variant)) return why(`no fixed ${variant} output parameters`);
      const ceiling = kernelOutputScaleCeiling(node.op, actType === 'int16' ? 15 : 20);
      for (const o of realOutputs(rule, node)) {
        const r = ceiling === null ? null : rangeOf(o);
        if (r && activationParams(r[0], r[1], actType).scale > ceiling!) {
          return why(`output range [${fmt(r[0])}, ${fmt(r[1])}] too wide for TFLite's integer ${node.op} (output scale above ${fmt(ceiling!)})`);
        }
      }
    }
    return rule;
  });
  const floatHere = report.floatOps.slice(firstFloat);
  if (recipe.strict && floatHere.length) {
    throw new UnsupportedError(`--strict: ${floatHere.length} op(s)${where} cannot be quantized to ${actType}: `
      + floatHere.map((o) => `${o.op} (#${o.index}: ${o.reason})`).join('; '));
  }
  for (const o of floatHere) report.warnings.push(`${o.op} (node #${o.index}${where}) stays float: ${o.reason}`);

  const edit = new GraphEdit(sg);
  const weights = new WeightCache(edit, log, ctx);
  const T = edit.tensors;

  // 2. Domains. intOf[i] / floatOf[i]: the tensor holding original tensor i in each domain (-1 = not yet made).
  const intOf = new Int32Array(sg.tensors.length).fill(-1);
  const floatOf = new Int32Array(sg.tensors.length).fill(-1);
  const setInt = (i: number, params: QuantParams, dtype: DType = actType) => {
    T[i].dtype = dtype;
    T[i].quantization = q([params.scale], [params.zeroPoint]);
    T[i].data = null;
    intOf[i] = i;
  };

  const newInputs = [...sg.inputs];
  for (const [k, i] of sg.inputs.entries()) {
    const t = sg.tensors[i];
    if (!isFloat(t)) continue;
    const p = calibratedParams(i);
    if (s !== 0) {
      // A called subgraph's input holds what its caller passes: the boundary group's parameters.
      if (p) setInt(i, p);
      else floatOf[i] = i;
      continue;
    }
    if (recipe.inputType === 'float32' || !p) { floatOf[i] = i; continue; }
    if (recipe.inputType === 'uint8') {
      // uint8 at the edge, as TF writes it: the same scale, zero point + 128, then QUANTIZE to int8.
      T[i].dtype = 'uint8';
      T[i].quantization = q([p.scale], [p.zeroPoint + 128]);
      const j = edit.derive(i, '_int8', 'int8', q([p.scale], [p.zeroPoint]));
      edit.addOp('QUANTIZE', [i], [j], quantizeOpVersion('int8'));
      intOf[i] = j;
    } else {
      setInt(i, p);
    }
    newInputs[k] = i;
  }
  // Constants and tensors produced by float nodes start in the float domain.
  sg.tensors.forEach((t, i) => { if (intOf[i] < 0 && floatOf[i] < 0 && isFloat(t)) floatOf[i] = i; });
  sg.operators.forEach((node, n) => {
    if (plan[n]) for (const o of node.outputs) floatOf[o] = -1;
  });

  /** The integer tensor for original tensor i, with the given params (QUANTIZE inserted if needed). */
  const asInt = (i: number, want?: Quantization): number => {
    const t = sg.tensors[i];
    if (isConst(t) && isFloat(t)) {
      // A real-valued constant used as an activation: quantized with its own range (or the wanted params).
      const p = want ? { scale: want.scale[0], zeroPoint: want.zeroPoint[0] } : calibratedParams(i)!;
      const data = quantizeWithParams(weights.values(i), p, actType);
      return edit.derive(i, `_${actType}`, actType, q([p.scale], [p.zeroPoint]), bytesOf(data));
    }
    let cur = intOf[i];
    if (cur < 0) {
      const p = calibratedParams(i)!;
      cur = edit.derive(i, `_${actType}`, actType, q([p.scale], [p.zeroPoint]));
      edit.addOp('QUANTIZE', [floatOf[i]], [cur], quantizeOpVersion(actType));
      intOf[i] = cur;
    }
    if (want && !sameParams(T[cur].quantization, want)) {
      // Requantize to the parameters a same-scale op needs.
      const j = edit.derive(i, '_requantized', actType, { ...want });
      edit.addOp('QUANTIZE', [cur], [j], quantizeOpVersion(actType));
      return j;
    }
    return cur;
  };
  const asFloat = (i: number): number => {
    if (floatOf[i] >= 0) return floatOf[i];
    const src = intOf[i];
    const j = edit.derive(i, '_dequantized', 'float32', null);
    edit.addOp('DEQUANTIZE', [src], [j], dequantizeOpVersion(T[src].dtype));
    floatOf[i] = j;
    return j;
  };
  const paramsOf = (ti: number): QuantParams => {
    const qz = T[ti].quantization!;
    return { scale: qz.scale[0], zeroPoint: qz.zeroPoint[0] };
  };
  /** The scale asInt(i) gives original tensor i, before it is made (a bias's weight scales depend on it). */
  const intScaleOf = (i: number): number => {
    const cur = intOf[i];
    return cur >= 0 && !isConst(sg.tensors[i]) ? T[cur].quantization!.scale[0] : calibratedParams(i)!.scale;
  };

  /** The range a sum of (input elements / output elements) values of the quantized input `ti` can reach. */
  const sumReach = (ti: number, out: number): [number, number] | undefined => {
    const inCount = elementCount(T[ti].shape), outCount = elementCount(sg.tensors[out].shape);
    if (!(inCount > 0 && outCount > 0) || [...T[ti].shape, ...sg.tensors[out].shape].some((d) => d < 0)) return undefined;
    const { scale, zeroPoint } = paramsOf(ti);
    const [qmin, qmax] = T[ti].dtype === 'int16' ? [-32768, 32767] : T[ti].dtype === 'uint8' ? [0, 255] : [-128, 127];
    const count = inCount / outCount;
    return [count * scale * (qmin - zeroPoint), count * scale * (qmax - zeroPoint)];
  };

  /**
   * Output parameters raised to the smallest scale the integer kernel accepts (numerics.ts kernelOutputScaleFloor):
   * the zero point stays, so the representable range only grows.
   */
  const withKernelFloor = (node: Operator, inputs: number[], acts: number[], rule: OpRule, o: number, p: QuantParams): QuantParams => {
    const scalesOf = (i: number | undefined) => (i !== undefined && i >= 0 ? T[i].quantization?.scale ?? [] : []);
    const limit = kernelOutputScaleFloor({
      op: node.op, fusedActivation: node.options.fusedActivationFunction as string | undefined,
      inputs: acts.map((k) => scalesOf(inputs[k])[0]).filter((s) => s !== undefined),
      weights: rule.weights?.length ? scalesOf(inputs[rule.weights[0].input]) : undefined,
      bias: rule.bias ? scalesOf(inputs[rule.bias.input]) : undefined,
      addLeftShift: actType === 'int16' ? 15 : 20,
    });
    if (!limit || p.scale >= limit.floor) return p;
    const scale = float32AtLeast(limit.floor);
    log.add(sg.tensors[o].name, 'kernel-scale-floor', `output scale ${fmt(p.scale)} raised to ${fmt(scale)}: ${limit.why} `
      + '(TFLite\'s runtime refuses the model otherwise)');
    return { scale, zeroPoint: p.zeroPoint };
  };

  // 3. Nodes in order.
  sg.operators.forEach((node, n) => {
    const rule = plan[n];
    if (!rule) {
      const inputs = node.inputs.map((i) => (i < 0 || !isFloat(sg.tensors[i]) ? i : asFloat(i)));
      edit.operators.push({ ...node, inputs, outputs: [...node.outputs], intermediates: [...node.intermediates] });
      for (const o of node.outputs) if (isFloat(sg.tensors[o])) floatOf[o] = o;
      return;
    }
    if (rule === 'lstm') {
      rewriteLstm(n, node);
      return;
    }
    if (rule === 'call') {
      rewriteCall(n, node);
      return;
    }
    const inputs = [...node.inputs];
    const weightScales = new Map<number, number[]>();
    const biasIndex = rule.bias ? node.inputs[rule.bias.input] : undefined;
    const biasNeed = rule.bias && biasIndex !== undefined && biasIndex >= 0
      ? { weight: rule.bias.weight, values: weights.values(biasIndex), inputScale: intScaleOf(node.inputs[rule.bias.activation]) }
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
    const sharedParams = shared ? calibratedParams(node.outputs[0])! : null;
    const acts = rule.activations === 'all' ? node.inputs.map((_, k) => k) : rule.activations;
    for (const k of acts) {
      const ti = node.inputs[k];
      if (ti === undefined || ti < 0 || weightSet.has(k) || !isFloat(sg.tensors[ti])) continue;
      inputs[k] = asInt(ti, sharedParams ? q([sharedParams.scale], [sharedParams.zeroPoint]) : undefined);
    }
    if (rule.bias) {
      const bi = node.inputs[rule.bias.input];
      if (bi !== undefined && bi >= 0) {
        const inScale = paramsOf(inputs[rule.bias.activation]).scale;
        inputs[rule.bias.input] = weights.bias(bi, inScale, weightScales.get(rule.bias.weight)!, biasType);
      }
    }
    // Output parameters.
    if (rule.output.kind !== 'none') {
      const firstAct = acts.map((k) => inputs[k]).find((i) => i !== undefined && i >= 0 && T[i].quantization);
      for (const o of realOutputs(rule, node)) {
        let p: QuantParams;
        if (rule.output.kind === 'fixed') {
          const [scale, zeroPoint] = fixedOutput(rule, variant)!;
          p = { scale, zeroPoint };
        } else if (rule.output.kind === 'same-as-input' && firstAct !== undefined) p = paramsOf(firstAct);
        else if (shared) p = sharedParams!;
        else if (rule.output.kind === 'calibrated') {
          p = calibratedParams(o, rule.output.headroom, rule.output.sumOfInputs && firstAct !== undefined ? sumReach(firstAct, o) : undefined)!;
        } else p = calibratedParams(o)!;
        if (rule.output.kind === 'calibrated') p = withKernelFloor(node, inputs, acts, rule, o, p);
        setInt(o, p);
      }
    }
    const version = rule.version(variant, node);
    edit.operators.push({
      ...node, inputs, outputs: [...node.outputs], intermediates: [...node.intermediates], version,
      options: { ...node.options, ...(rule.options?.(variant) ?? {}) },
    });
    report.quantizedOps.push({ index: n, op: node.op, variant, version });
  });

  /** WHILE / IF / CALL: operands and results in their boundary group's domain (integer with the group's parameters). */
  function rewriteCall(n: number, node: Operator): void {
    const inputs = node.inputs.map((i) => {
      if (i < 0 || !isFloat(sg.tensors[i])) return i;
      const p = calibratedParams(i);
      return p ? asInt(i, q([p.scale], [p.zeroPoint])) : asFloat(i);
    });
    for (const o of node.outputs) {
      if (!isFloat(sg.tensors[o])) continue;
      const p = calibratedParams(o);
      if (p) setInt(o, p);
      else floatOf[o] = o;
    }
    edit.operators.push({ ...node, inputs, outputs: [...node.outputs], intermediates: [...node.intermediates] });
    report.quantizedOps.push({ index: n, op: node.op, variant, version: node.version });
  }

  function rewriteLstm(n: number, node: Operator): void {
    const inputs = [...node.inputs];
    const x = asInt(node.inputs[LSTM.input]);
    inputs[LSTM.input] = x;
    const inScale = paramsOf(x).scale;
    const out = node.outputs[0];
    // TFLite's integer LSTM subtracts the hidden zero point where it should add it (CwiseMul: value -= zp), so TF
    // quantizes the hidden state over a symmetric range (zero point 0 or -1); an asymmetric one shifts every output.
    const outRange = rangeOf(out)!;
    const outMax = Math.max(-outRange[0], outRange[1]);
    const outP = paramsOver(out, -outMax, outMax, 'calibrated');
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
    const cell = calib.lstmCells.get(n)!;
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
    setInt(out, outP);
    edit.operators.push({ ...node, inputs, outputs: [...node.outputs], intermediates, version: INTEGER_LSTM_VERSION,
      options: { ...node.options, asymmetricQuantizeInputs: false } });
    report.quantizedOps.push({ index: n, op: node.op, variant: 'int8', version: INTEGER_LSTM_VERSION });
  }

  // 4. Model outputs in the requested type; a called subgraph's in its boundary group's parameters.
  const boundaryOutput = (o: number): number => {
    if (!isFloat(sg.tensors[o])) return o;
    const p = calibratedParams(o);
    if (!p) return floatOf[o] >= 0 ? floatOf[o] : asFloat(o);
    return asInt(o, q([p.scale], [p.zeroPoint]));
  };
  const newOutputs = s !== 0 ? sg.outputs.map(boundaryOutput) : sg.outputs.map((o) => {
    const t = sg.tensors[o];
    if (!isFloat(t)) return o;
    const want = recipe.outputType;
    if (intOf[o] === o) {
      if (want === actType) return o;
      // The model output keeps its name; the internal integer tensor gets a suffix (as TF's `Identity_int8`).
      const name = edit.rename(o, `${T[o].name}_${actType}`);
      if (want === 'float32') {
        const j = edit.add({ name, shape: [...T[o].shape], ...signatureOf(T[o]), dtype: 'float32', data: null, quantization: null, isVariable: false });
        edit.addOp('DEQUANTIZE', [o], [j], dequantizeOpVersion(actType));
        return j;
      }
      // uint8: same scale, zero point + 128.
      const p = paramsOf(o);
      const j = edit.add({ name, shape: [...T[o].shape], ...signatureOf(T[o]), dtype: 'uint8', data: null, quantization: q([p.scale], [p.zeroPoint + 128]), isVariable: false });
      edit.addOp('QUANTIZE', [o], [j], quantizeOpVersion('uint8'));
      return j;
    }
    // Produced in float.
    if (want === 'float32') return floatOf[o] >= 0 ? floatOf[o] : asFloat(o);
    const p = calibratedParams(o);
    if (!p) { report.warnings.push(`output '${t.name}' has no calibration range: left float`); return o; }
    const dtype: DType = want === 'uint8' ? 'uint8' : actType;
    const j = edit.derive(o, `_${dtype}`, dtype, q([p.scale], [dtype === 'uint8' ? p.zeroPoint + 128 : p.zeroPoint]));
    edit.addOp('QUANTIZE', [o], [j], quantizeOpVersion(dtype));
    return j;
  });

  if (s !== 0) {
    for (const o of report.quantizedOps.slice(firstQuantized)) o.subgraph = s;
    for (const o of report.floatOps.slice(firstFloat)) o.subgraph = s;
  }
  return { edit, inputs: newInputs, outputs: newOutputs };
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
