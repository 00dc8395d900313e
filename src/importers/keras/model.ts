// Keras model structure -> TFLite graph: Sequential and Functional models, nested models inlined, each layer call
// (inbound node) converted by the layer registry once its inputs exist. Shared by the .h5, .keras and TF.js Layers
// importers. It emits plain TFLite ops layer by layer (a BatchNormalization becomes MUL+ADD, an activation its own
// op); the graph passes then fold and fuse them as TensorFlow's converter does.

import { ModelFormatError, UnsupportedError } from '../../errors.js';
import type { DType, Model } from '../../graph/model.js';
import { MODEL_CLASSES, layerName, modelLayers, type KerasLayerJson, type KerasSource } from './source.js';
import { Emitter, reshape, type ConvertContext } from './emit.js';
import { hasUnknownDims, resolveInputShapes, type DeclaredInput, type InputShapes } from '../input-shapes.js';
import { convertLayer, unsupportedReason } from './layers/index.js';

/** All unsupported layers of a model (nested models included), one line each. */
function collectUnsupported(model: KerasLayerJson, prefix: string[], out: string[]): void {
  for (const l of modelLayers(model)) {
    const name = [...prefix, layerName(l)].join('/');
    if (MODEL_CLASSES.has(l.class_name)) { collectUnsupported(l, [...prefix, layerName(l)], out); continue; }
    const why = unsupportedReason(l.class_name, l.config ?? {});
    if (why) out.push(`${name} (${l.class_name}: ${why})`);
  }
}

type Ref = [string, number, number];

/** Input references of each call (node) of a layer, in Keras 2 / TF.js and Keras 3 config formats. */
function parseInboundNodes(layer: KerasLayerJson): Ref[][] {
  const nodes = (layer.inbound_nodes ?? []) as unknown[];
  return nodes.map((node) => {
    if (Array.isArray(node)) return (node as unknown[]).map((r) => { const a = r as any[]; return [String(a[0]), Number(a[1] ?? 0), Number(a[2] ?? 0)] as Ref; });
    // Keras 3: {args: [...], kwargs: {...}} with {class_name: '__keras_tensor__', config: {keras_history: [...]}} leaves.
    const refs: Ref[] = [];
    const visit = (v: unknown) => {
      if (Array.isArray(v)) { v.forEach(visit); return; }
      if (v && typeof v === 'object') {
        const o = v as any;
        if (o.class_name === '__keras_tensor__' && Array.isArray(o.config?.keras_history)) {
          const h = o.config.keras_history;
          refs.push([String(h[0]), Number(h[1]), Number(h[2])]);
          return;
        }
        for (const k of Object.keys(o)) visit(o[k]);
      }
    };
    visit((node as any)?.args ?? []);
    return refs;
  });
}

function refList(v: unknown): Ref[] {
  if (!Array.isArray(v)) return [];
  if (v.length === 3 && typeof v[0] === 'string') return [[v[0], Number(v[1]), Number(v[2])]];
  return v.map((r: any) => [String(r[0]), Number(r[1] ?? 0), Number(r[2] ?? 0)] as Ref);
}

function inputSpec(cfg: Record<string, any>): { shape: (number | null)[] | null; dtype: string } {
  const s = cfg.batch_input_shape ?? cfg.batch_shape ?? (cfg.input_shape ? [null, ...cfg.input_shape] : null);
  return { shape: s, dtype: String(cfg.dtype ?? 'float32') };
}

function toDType(ctx: ConvertContext, d: string, where: string): DType {
  if (d === 'float32' || d === 'int32') return d;
  if (d === 'float16' || d === 'float64' || d === 'mixed_float16') return 'float32';
  if (d === 'int64') return 'int32';
  throw new UnsupportedError(`${ctx.src.file}: ${where} has dtype ${d}`);
}

/** A top-level model input: its name (the graph input's) and the layer config that declares its shape and dtype. */
interface KerasInput {
  name: string;
  cfg: Record<string, any>;
}

function isSequentialModel(model: KerasLayerJson): boolean {
  return model.class_name === 'Sequential' || Array.isArray(model.config);
}

/** The top-level model's inputs, in order: a Functional's input layers, a Sequential's InputLayer or first layer. */
function topLevelInputs(ctx: ConvertContext, model: KerasLayerJson): KerasInput[] {
  const layers = modelLayers(model);
  if (isSequentialModel(model)) {
    const first = layers[0];
    if (!first) throw new ModelFormatError(`${ctx.src.file}: Sequential model '${layerName(model)}' has no layers`);
    if (first.class_name === 'InputLayer') return [{ name: layerName(first), cfg: first.config }];
    const cfg = { ...first.config };
    if (!cfg.batch_input_shape && !cfg.batch_shape && !cfg.input_shape && (model.config as any).build_input_shape) {
      cfg.batch_input_shape = (model.config as any).build_input_shape;
    }
    return [{ name: `${layerName(first)}_input`, cfg }];
  }
  const byName = new Map(layers.map((l) => [layerName(l), l]));
  return refList((model.config as any).input_layers).map((r) => {
    const l = byName.get(r[0]);
    if (!l) throw new ModelFormatError(`${ctx.src.file}: model input '${r[0]}' is not a layer of the model`);
    return { name: r[0], cfg: l.config ?? {} };
  });
}

/** An input's declared signature (-1 for None; the batch is always dynamic, as in every converted model) and dtype. */
function declaredInput(ctx: ConvertContext, input: KerasInput): DeclaredInput & { dtype: DType } {
  const { name } = input;
  const { shape, dtype } = inputSpec(input.cfg);
  if (!shape) throw new ModelFormatError(`${ctx.src.file}: input '${name}' has no shape (batch_input_shape / batch_shape)`);
  if (!Array.isArray(shape) || !shape.every((d) => d === null || d === undefined || (Number.isSafeInteger(d) && d >= 0))) {
    throw new ModelFormatError(`${ctx.src.file}: input '${name}' has shape ${JSON.stringify(shape)} (want a list of non-negative integers or nulls)`);
  }
  return { name, signature: [-1, ...shape.slice(1).map((d) => d ?? -1)], dtype: toDType(ctx, dtype, `input '${name}'`) };
}

/**
 * The graph inputs of the top-level model, at the shapes the user gave (`inputShapes`) or with 1 in each unknown
 * dimension (kept -1 in the signature, and in the signature of every tensor that depends on it); see
 * ../input-shapes.ts.
 */
function makeGraphInputs(ctx: ConvertContext, model: KerasLayerJson, inputShapes: InputShapes | undefined): number[] {
  const declared = topLevelInputs(ctx, model).map((i) => declaredInput(ctx, i));
  return resolveInputShapes(ctx.src.file, declared, inputShapes).map((r, k) => {
    // Unknown sizes stay dynamic through every layer (see Shape in ./emit.ts), as TF's converter keeps them.
    if (hasUnknownDims(r.signature)) return ctx.e.dynamicInput(r.name, r.shape, r.signature, declared[k].dtype);
    return ctx.e.b.addInput({ name: r.name, shape: r.shape, dtype: declared[k].dtype, shapeSignature: r.signature });
  });
}

/** Keras 3 writes inbound nodes as {args, kwargs} objects (Keras 2 and TF.js: lists). */
function isKeras3Config(layers: KerasLayerJson[]): boolean {
  return layers.some((l) => (l.inbound_nodes ?? []).some((n) => n !== null && typeof n === 'object' && !Array.isArray(n)));
}

/**
 * How a nested model's calls are numbered in references to it. A nested Functional model's own construction is its
 * node 0, so its calls count from 1: Keras 3 for every Functional (not Sequential); Keras 2 for models whose first
 * layer is an InputLayer (Sequential included); TF.js also for Sequential models that list no InputLayer. So call
 * i of `inbound_nodes` is node i + 1 when that rule says so, or when references name a node past the last call.
 */
function nestedNodeOffsets(layers: KerasLayerJson[], refs: Ref[], keras3: boolean): Map<string, number> {
  const maxRef = new Map<string, number>();
  for (const r of refs) maxRef.set(r[0], Math.max(maxRef.get(r[0]) ?? -1, r[1]));
  const out = new Map<string, number>();
  for (const l of layers) {
    if (!MODEL_CLASSES.has(l.class_name)) continue;
    const name = layerName(l);
    const calls = parseInboundNodes(l).length;
    const builtInNode = keras3 ? l.class_name !== 'Sequential' : modelLayers(l)[0]?.class_name === 'InputLayer';
    out.set(name, builtInNode || (maxRef.get(name) ?? -1) >= calls ? 1 : 0);
  }
  return out;
}

/** Convert a model config called on the tensors `inputs` (the graph inputs for the top-level model). */
function convertModel(ctx: ConvertContext, model: KerasLayerJson, inputs: number[], prefix: string[]): number[] {
  const layers = modelLayers(model);
  if (isSequentialModel(model)) {
    let body = layers;
    if (inputs[0] === undefined) throw new ModelFormatError(`${ctx.src.file}: nested model '${prefix.join('/')}' is called with no input`);
    let x = inputs[0];
    // The InputLayer became `inputs` (a graph input, or the caller's tensor for a nested model).
    if (body[0]?.class_name === 'InputLayer') body = body.slice(1);
    for (const l of body) {
      const path = [...prefix, layerName(l)];
      x = MODEL_CLASSES.has(l.class_name) ? convertModel(ctx, l, [x], path)[0] : convertLayer(ctx, l.class_name, l.config ?? {}, [x], path)[0];
    }
    return [x];
  }

  // Functional: run every call (node) of every layer once its inputs exist.
  const tensors = new Map<string, number>();
  const key = (r: Ref) => `${r[0]}|${r[1]}|${r[2]}`;
  const inputRefs = refList((model.config as any).input_layers);
  const outputRefs = refList((model.config as any).output_layers);
  const byName = new Map(layers.map((l) => [layerName(l), l]));
  inputRefs.forEach((r, i) => {
    const l = byName.get(r[0]);
    if (!l) throw new ModelFormatError(`${ctx.src.file}: model input '${r[0]}' is not a layer of the model`);
    const t = inputs[i];
    if (t === undefined) throw new ModelFormatError(`${ctx.src.file}: nested model '${prefix.join('/')}' called with ${inputs.length} inputs, needs ${inputRefs.length}`);
    tensors.set(key(r), t);
  });
  const pending: { layer: KerasLayerJson; node: number; refs: Ref[] }[] = [];
  for (const l of layers) {
    if (l.class_name === 'InputLayer') continue;
    parseInboundNodes(l).forEach((refs, node) => pending.push({ layer: l, node, refs }));
  }
  const offsets = nestedNodeOffsets(layers, pending.flatMap((p) => p.refs).concat(outputRefs), ctx.keras3 || isKeras3Config(layers));
  let progress = true;
  while (pending.length && progress) {
    progress = false;
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i];
      if (p.refs.length === 0) throw new ModelFormatError(`${ctx.src.file}: layer '${[...prefix, layerName(p.layer)].join('/')}' is called with no inputs`);
      if (!p.refs.every((r) => tensors.has(key(r)))) continue;
      const ins = p.refs.map((r) => tensors.get(key(r))!);
      const name = layerName(p.layer);
      const path = [...prefix, name];
      const outs = MODEL_CLASSES.has(p.layer.class_name)
        ? convertModel(ctx, p.layer, ins, path)
        : convertLayer(ctx, p.layer.class_name, p.layer.config ?? {}, ins, path);
      const node = p.node + (offsets.get(name) ?? 0);
      outs.forEach((t, k) => tensors.set(key([name, node, k]), t));
      pending.splice(i--, 1);
      progress = true;
    }
  }
  return outputRefs.map((r) => {
    const t = tensors.get(key(r));
    if (t === undefined) {
      const stuck = pending.map((p) => layerName(p.layer)).slice(0, 5).join(', ');
      throw new ModelFormatError(`${ctx.src.file}: model output '${r[0]}' cannot be computed from the inputs${stuck ? ` (stuck at ${stuck})` : ''}`);
    }
    return t;
  });
}

export interface KerasConversion {
  model: Model;
  /** Keras layers by class, as found in the config (nested models flattened). */
  layerClasses: Record<string, number>;
  layerCount: number;
}

function countLayers(model: KerasLayerJson, out: Record<string, number>): number {
  let n = 0;
  for (const l of modelLayers(model)) {
    if (MODEL_CLASSES.has(l.class_name)) { n += countLayers(l, out); continue; }
    out[l.class_name] = (out[l.class_name] ?? 0) + 1;
    n++;
  }
  return n;
}

export interface KerasToGraphOptions {
  /** Concrete shapes of inputs by name (whole shape, batch first), for inputs with unknown dimensions. */
  inputShapes?: InputShapes;
}

/** Build the (unoptimized) TFLite graph of a Keras model. */
export function kerasToGraph(src: KerasSource, options: KerasToGraphOptions = {}): KerasConversion {
  if (!MODEL_CLASSES.has(src.model.class_name)) {
    throw new UnsupportedError(`${src.file}: top-level config is a '${src.model.class_name}', not a Sequential or Functional model`);
  }
  const problems: string[] = [];
  collectUnsupported(src.model, [], problems);
  if (problems.length) {
    throw new UnsupportedError(`${src.file}: ${problems.length} unsupported layer${problems.length > 1 ? 's' : ''}: ${problems.join('; ')}`);
  }
  const ctx: ConvertContext = { e: new Emitter(src.file), src, keras3: /^3\./.test(src.kerasVersion ?? '') };
  const outs = convertModel(ctx, src.model, makeGraphInputs(ctx, src.model, options.inputShapes), []);
  const b = ctx.e.b;
  for (const t of outs) {
    if (b.inputs.includes(t) || b.outputs.includes(t)) {
      // An output that is an input (or repeated): route it through a RESHAPE so each output is its own tensor.
      const s = b.tensors[t].shape;
      b.markOutput(reshape(ctx, t, s, `${b.tensors[t].name}/output`));
    } else b.markOutput(t);
  }
  const layerClasses: Record<string, number> = {};
  const layerCount = countLayers(src.model, layerClasses);
  return { model: b.model(`litequant: converted from ${src.format}`), layerClasses, layerCount };
}
