// FrozenGraph -> our graph IR -> float TFLite: normalise the GraphDef (normalize/), map every node with the
// mapper registered for its op (ops/), then run the float conversion passes (bias / batch-norm folding,
// activation fusion), as TensorFlow's converter does. Constants stay values while they can fold; a node whose
// inputs are all constants is evaluated instead of emitted.

import { InputError, LitequantError, ModelFormatError, UnsupportedError } from '../../errors.js';
import { GraphBuilder, encodeValues } from '../../graph/builder.js';
import type { DType, Model } from '../../graph/model.js';
import { FLOAT_CONVERSION_PASSES, runPasses } from '../../graph/passes/index.js';
import { evaluateConst } from './normalize/const-eval.js';
import { dtypeOfTf, hasUnknown, type ConstValue } from './normalize/const-value.js';
import { normalizeGraph, type ConstStore } from './normalize/index.js';
import { flattenFunction } from './freeze.js';
import type { AttrValue } from './proto/index.js';
import type { FunctionArg, FunctionConverter } from './ops/index.js';
import { refKey, refText, topologicalOrder, type TfGraph, type TfNode } from './normalize/graph.js';
import { MapContext, OP_MAPPERS, ShapeState, type TfValue } from './ops/index.js';
import type { FrozenGraph, FrozenGraphInput } from './types.js';

export interface GraphImportOptions {
  /** Shapes for inputs with unknown dimensions, by input name (or placeholder node name). */
  inputShapes?: Record<string, number[]>;
}

export interface GraphImportResult {
  model: Model;
  /** TensorFlow ops of the normalised graph (what was converted) and how many of each. */
  opCounts: Record<string, number>;
  /** Nodes of the normalised graph. */
  nodeCount: number;
  /** Float passes that changed the graph. */
  passes: string[];
}

/** Ops the importer handles without a mapper. */
const STRUCTURAL = new Set(['Const', 'Placeholder']);

function countOps(g: TfGraph): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of g.nodes.values()) counts[n.op] = (counts[n.op] ?? 0) + 1;
  return counts;
}

/** Every op without a mapper, in one error with counts and a few node names each. */
function checkSupported(g: TfGraph): void {
  const missing = new Map<string, string[]>();
  const inputs = new Set(g.inputs.map((i) => i.node));
  for (const n of g.nodes.values()) {
    if (n.op === 'Placeholder' && !inputs.has(n.name)) {
      throw new InputError(`${g.label}: placeholder '${n.name}' feeds the outputs but is not a model input (list it in --inputs)`);
    }
    if (STRUCTURAL.has(n.op) || OP_MAPPERS.has(n.op)) continue;
    const l = missing.get(n.op) ?? [];
    l.push(n.name);
    missing.set(n.op, l);
  }
  if (missing.size === 0) return;
  const parts = [...missing].sort((a, b) => b[1].length - a[1].length)
    .map(([op, names]) => `${op} x${names.length} ('${names.slice(0, 2).join("', '")}'${names.length > 2 ? ', ...' : ''})`);
  const total = [...missing.values()].reduce((s, l) => s + l.length, 0);
  throw new UnsupportedError(`${g.label}: ${total} node${total > 1 ? 's' : ''} of ${missing.size} unsupported op${missing.size > 1 ? 's' : ''}: ${parts.join(', ')}`);
}

/** Concrete shape and signature of an input: unknown dimensions are 1 (or the given shape), -1 in the signature. */
function inputShape(g: TfGraph, input: FrozenGraphInput, given: Record<string, number[]> | undefined): { shape: number[]; signature?: number[] } {
  const override = given?.[input.name] ?? given?.[input.node];
  if (override) {
    if (!Array.isArray(override) || !override.every((d) => Number.isSafeInteger(d) && d > 0)) {
      throw new InputError(`${g.label}: input shape for '${input.name}' is [${override}] (want positive integers)`);
    }
    if (input.shape && (input.shape.length !== override.length || input.shape.some((d, i) => d >= 0 && d !== override[i]))) {
      throw new InputError(`${g.label}: input '${input.name}' has shape [${input.shape.map((d) => (d < 0 ? '?' : d))}]; the given shape [${override}] does not fit it`);
    }
    return { shape: [...override] };
  }
  if (!input.shape) {
    throw new UnsupportedError(`${g.label}: input '${input.name}' has an unknown rank; give its shape (--input-shape ${input.name}:d0,d1,...)`);
  }
  const shape = input.shape.map((d) => (d < 0 ? 1 : d));
  return input.shape.some((d) => d < 0) ? { shape, signature: [...input.shape] } : { shape };
}

/**
 * Fold a node from what is known of its inputs' values. All constants: the result (entries flagged unknown where
 * they hold a free batch). Some inputs computed from run-time sizes: the result when every entry is known whatever
 * the size (a channel count read from a SHAPE), else null with what is known kept in `partial`.
 */
function foldKnown(node: TfNode, ins: TfValue[], label: string): { outs: TfValue[] | null; partial: ConstValue[] | null } {
  if (ins.every((v) => v.const)) {
    const folded = evaluateConst(node, ins.map((v) => v.const!), label);
    return { outs: folded ? folded.map((c) => ({ const: c })) : null, partial: null };
  }
  if (!ins.every((v) => v.const || v.known)) return { outs: null, partial: null };
  let folded: ConstValue[] | null = null;
  try {
    folded = evaluateConst(node, ins.map((v) => (v.const ?? v.known)!), label);
  } catch {
    // The assumed values of unknown entries need not make sense to the evaluator: nothing is known then.
    return { outs: null, partial: null };
  }
  if (!folded) return { outs: null, partial: null };
  if (folded.every((c) => !hasUnknown(c))) return { outs: folded.map((c) => ({ const: c })), partial: null };
  return { outs: null, partial: folded };
}

/** Maximum nesting of loops and conditionals (a function that reaches itself would recurse without end). */
const MAX_FUNCTION_DEPTH = 32;

/**
 * The subgraphs of the model being built: the main graph first, then one per function a loop or conditional
 * calls, converted with the same mappers as the main graph.
 */
class FunctionSubgraphs implements FunctionConverter {
  readonly builders: GraphBuilder[] = [];
  readonly opCounts: Record<string, number> = {};
  private depth = 0;

  constructor(private readonly root: FrozenGraph) {}

  flatten(name: string, attrs: Record<string, AttrValue>): FrozenGraph {
    return flattenFunction(this.root.graph, name, attrs, this.root.label, this.root.source);
  }

  convert(flat: FrozenGraph, args: FunctionArg[], boolOutput = false): { index: number; b: GraphBuilder } {
    if (this.depth >= MAX_FUNCTION_DEPTH) throw new UnsupportedError(`${flat.label}: loops and conditionals nested deeper than ${MAX_FUNCTION_DEPTH} (a function calling itself?)`);
    if (flat.inputs.length !== args.length) throw new ModelFormatError(`${flat.label}: takes ${flat.inputs.length} arguments, its caller passes ${args.length}`);
    const presets = new Map<string, ConstValue>();
    const inputs: FrozenGraphInput[] = [];
    flat.inputs.forEach((input, k) => {
      const a = args[k];
      const dtype = dtypeOfTf(input.dtype);
      // A variable handle arrives as the variable's value (bound by freezing): the function reads it as a constant.
      if (input.dtype === 'DT_RESOURCE' && !a.const) throw new UnsupportedError(`${flat.label}: argument '${input.name}' is a resource that is not a saved variable (only variables of a SavedModel can be read inside loops and conditionals)`);
      if (input.dtype !== 'DT_RESOURCE' && dtype !== a.dtype) throw new ModelFormatError(`${flat.label}: argument '${input.name}' is ${input.dtype}, its caller passes ${a.dtype}`);
      if (a.const) presets.set(input.node, a.const);
      else inputs.push({ ...input, shape: [...(a.shapeSignature ?? a.shape)] });
    });
    const { graph, consts } = normalizeGraph({ ...flat, inputs }, presets);
    checkSupported(graph);
    // Function args are Placeholders only in the flattened form: not counted as graph inputs.
    for (const [op, c] of Object.entries(countOps(graph))) if (op !== 'Placeholder') this.opCounts[op] = (this.opCounts[op] ?? 0) + c;
    const index = this.builders.length;
    const b = new GraphBuilder(flat.label.slice(flat.label.lastIndexOf("function '") + 10).replace(/'$/, '') || `subgraph${index}`);
    this.builders.push(b);
    this.depth++;
    try {
      build(graph, consts, {}, b, this, true);
    } finally {
      this.depth--;
    }
    if (boolOutput) toBoolOutput(b, flat.label);
    return { index, b };
  }
}

/** A loop condition's first output as a bool: a numeric scalar compared with zero, as TensorFlow does. */
function toBoolOutput(b: GraphBuilder, label: string): void {
  const t = b.outputs[0];
  const src = b.tensors[t];
  if (src.dtype === 'bool') return;
  if (src.shape.reduce((p, d) => p * d, 1) !== 1) throw new UnsupportedError(`${label}: a loop condition of shape [${src.shape}] (want a scalar)`);
  if (src.dtype !== 'float32' && src.dtype !== 'int32') throw new UnsupportedError(`${label}: a loop condition of type ${src.dtype}`);
  const zero = b.addConstant(`${src.name}/zero`, src.dtype, [], src.dtype === 'float32' ? Float32Array.of(0) : Int32Array.of(0));
  const truth = b.addTensor({ name: `${src.name}/bool`, dtype: 'bool', shape: [...src.shape] });
  b.addOp('NOT_EQUAL', [t, zero], [truth]);
  b.outputs[0] = truth;
}

function build(g: TfGraph, consts: ConstStore, options: GraphImportOptions, b: GraphBuilder, functions: FunctionSubgraphs, functionBody: boolean): GraphBuilder {
  const values = new Map<string, TfValue>();
  const shapes = new ShapeState();
  for (const input of g.inputs) {
    const dtype = dtypeOfTf(input.dtype);
    if (!dtype) throw new UnsupportedError(`${g.label}: input '${input.name}' has type ${input.dtype}`);
    const { shape, signature } = inputShape(g, input, options.inputShapes);
    const t = b.addInput({ name: input.name, shape, dtype, ...(signature ? { shapeSignature: signature } : {}) });
    if (signature && signature[0] === -1) shapes.dynamicBatch.add(t);
    if (signature && signature.slice(1).some((d) => d < 0)) {
      // Unknown sizes past the batch stay dynamic through the graph.
      shapes.symbolic.set(t, shape.map((d, i) => (i > 0 && signature[i] < 0 ? NaN : d)));
      shapes.dynamicInputs.push({ name: input.name, signature });
    }
    values.set(refKey({ node: input.node, index: 0 }), { tensor: t });
  }
  const written = new Map<ConstValue, number>();
  const materialize = (c: ConstValue, name: string): number => {
    let t = written.get(c);
    if (t === undefined) {
      t = b.addTensor({ name, shape: c.shape, dtype: c.dtype as DType, data: encodeValues(c.dtype as DType, c.values) });
      written.set(c, t);
    }
    return t;
  };
  const inputNodes = new Set(g.inputs.map((i) => i.node));
  for (const name of topologicalOrder(g, g.outputs.map((o) => o.ref.node))) {
    if (inputNodes.has(name)) continue;
    const node = g.nodes.get(name)!;
    if (node.op === 'Const') {
      values.set(refKey({ node: name, index: 0 }), { const: consts.constOf(name) });
      continue;
    }
    const ins = node.inputs.map((r) => {
      const v = values.get(refKey(r));
      if (!v) throw new ModelFormatError(`${g.label}: node '${name}' reads '${refText(r)}', an output its producer does not have`);
      return v;
    });
    let { outs, partial } = foldKnown(node, ins, g.label);
    if (!outs) {
      const mapper = OP_MAPPERS.get(node.op)!;
      outs = mapper.map(new MapContext(b, g.label, node, ins, materialize, shapes, functions));
      if (partial) outs = outs.map((v, k) => (v.tensor !== undefined && partial![k] && !v.known ? { tensor: v.tensor, known: partial![k] } : v));
    }
    outs.forEach((v, k) => values.set(refKey({ node: name, index: k }), v));
  }
  for (const o of g.outputs) {
    const v = values.get(refKey(o.ref));
    if (!v) throw new ModelFormatError(`${g.label}: output '${o.name}' reads '${refText(o.ref)}', which its node does not produce`);
    let t = v.tensor ?? materialize(v.const!, `${o.name}/value`);
    // A function returning its argument (a loop value passed through) returns the input tensor itself, as TFLite
    // subgraphs may; the main graph's outputs are their own tensors, named after the output.
    const isInput = b.inputs.includes(t) && !functionBody;
    if (isInput || b.outputs.includes(t) || b.tensors[t].data) {
      // An output that is an input, a constant or another output: copied through a RESHAPE so it is its own tensor.
      const src = b.tensors[t];
      const copy = b.addTensor({ name: `${o.name}/copy`, shape: src.shape, dtype: src.dtype, ...(src.shapeSignature ? { shapeSignature: src.shapeSignature } : {}) });
      const free = (src.shapeSignature ?? []).filter((d) => d < 0).length;
      let shapeT: number;
      if (free > 1) {
        // More than one run-time size: the new shape is the source's own, read when the model runs.
        shapeT = b.addTensor({ name: `${o.name}/copy_shape`, shape: [src.shape.length], dtype: 'int32' });
        b.addOp('SHAPE', [t], [shapeT], { outType: 'int32' });
      } else {
        shapeT = b.addConstant(`${o.name}/copy_shape`, 'int32', [src.shape.length], Int32Array.from(src.shapeSignature ?? src.shape));
      }
      b.addOp('RESHAPE', [t, shapeT], [copy]);
      t = copy;
    }
    b.markOutput(t);
  }
  // Outputs carry the names the model gives them.
  for (const [k, o] of g.outputs.entries()) {
    if (functionBody) break;
    const t = b.tensors[b.outputs[k]];
    if (!b.tensors.some((x) => x !== t && x.name === o.name)) t.name = o.name;
  }
  return b;
}

/** Convert a FrozenGraph to a float TFLite model (passes applied). */
export function frozenGraphToModel(frozen: FrozenGraph, options: GraphImportOptions = {}): GraphImportResult {
  try {
    const { graph, consts } = normalizeGraph(frozen);
    checkSupported(graph);
    const functions = new FunctionSubgraphs(frozen);
    const main = new GraphBuilder('main');
    functions.builders.push(main);
    build(graph, consts, options, main, functions, false);
    const model: Model = {
      version: 3, description: `litequant: converted from ${frozen.source}`,
      subgraphs: functions.builders.map((x) => x.subgraph()), metadata: [], signatureDefs: [],
    };
    const passes = runPasses(model, FLOAT_CONVERSION_PASSES);
    const sg = model.subgraphs[0];
    model.signatureDefs = [{
      key: 'serving_default', subgraphIndex: 0,
      inputs: sg.inputs.map((i, k) => ({ name: graph.inputs[k].name, tensorIndex: i })),
      outputs: sg.outputs.map((i, k) => ({ name: graph.outputs[k].name, tensorIndex: i })),
    }];
    const opCounts = countOps(graph);
    for (const [op, c] of Object.entries(functions.opCounts)) opCounts[op] = (opCounts[op] ?? 0) + c;
    return { model, opCounts, nodeCount: graph.nodes.size, passes };
  } catch (e) {
    if (e instanceof LitequantError) throw e;
    // A value the checks did not anticipate (a malformed attribute, an inconsistent shape) must still be a typed
    // one-line error naming the file.
    const what = e instanceof Error ? `${e.name}: ${e.message.split('\n')[0].slice(0, 200)}` : String(e);
    throw new ModelFormatError(`${frozen.label}: malformed graph (${what})`);
  }
}
