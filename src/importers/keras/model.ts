// The one Keras-config -> graph converter shared by the .h5, .keras and TF.js Layers importers.
// It emits plain TFLite ops layer by layer (a BatchNormalization becomes MUL+ADD, an activation its own op);
// the graph passes then fold and fuse them as TensorFlow's converter does.

import { ModelFormatError, UnsupportedError } from '../../errors.js';
import { GraphBuilder } from '../../graph/builder.js';
import type { DType, Model, OpOptions } from '../../graph/model.js';
import {
  MODEL_CLASSES, WeightStore, layerName, modelLayers, shortVarName,
  type KerasLayerJson, type KerasSource, type WeightArray,
} from './source.js';

// ---------------------------------------------------------------------------------------------------------------
// Layer catalogue: variables and support checks

export interface LayerVariable {
  name: string;
  trainable: boolean;
}

const IDENTITY_LAYERS = new Set([
  'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'GaussianNoise', 'GaussianDropout',
  'AlphaDropout', 'ActivityRegularization', 'Identity',
]);

const SUPPORTED_LAYERS = new Set([
  'InputLayer', 'Dense', 'Conv1D', 'Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose',
  'BatchNormalization', 'Activation', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'Softmax', 'MaxPooling1D', 'MaxPooling2D',
  'AveragePooling1D', 'AveragePooling2D', 'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalMaxPooling1D',
  'GlobalMaxPooling2D', 'Flatten', 'Reshape', 'Permute', 'Add', 'Subtract', 'Multiply', 'Average', 'Maximum',
  'Minimum', 'Concatenate', 'ZeroPadding2D', 'Cropping2D', 'UpSampling2D', 'Rescaling', 'Normalization',
  'LayerNormalization', 'Embedding', 'ThresholdedReLU', 'ZeroPadding1D', 'Cropping1D',
  'UpSampling1D', 'RepeatVector', 'Resizing', 'LSTM', 'Bidirectional', ...IDENTITY_LAYERS,
]);

/** Recurrent layers other than LSTM: named in the error so users know which RNNs convert. */
const UNSUPPORTED_RNNS = new Set(['GRU', 'SimpleRNN', 'RNN', 'ConvLSTM1D', 'ConvLSTM2D', 'ConvLSTM3D', 'CuDNNGRU']);

/** Keras class aliases (Keras 2 short names, TF.js names). */
const CLASS_ALIASES: Record<string, string> = {
  Convolution1D: 'Conv1D', Convolution2D: 'Conv2D', Conv2DTranspose: 'Conv2DTranspose', Deconvolution2D: 'Conv2DTranspose',
  SeparableConvolution2D: 'SeparableConv2D', MaxPool1D: 'MaxPooling1D', MaxPool2D: 'MaxPooling2D',
  AvgPool1D: 'AveragePooling1D', AvgPool2D: 'AveragePooling2D', GlobalAvgPool1D: 'GlobalAveragePooling1D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D', GlobalMaxPool1D: 'GlobalMaxPooling1D', GlobalMaxPool2D: 'GlobalMaxPooling2D',
  BatchNormalizationV1: 'BatchNormalization', BatchNormalizationV2: 'BatchNormalization',
  LSTMV1: 'LSTM', CuDNNLSTM: 'LSTM',
};

function canonicalClass(cls: string): string {
  return CLASS_ALIASES[cls] ?? cls;
}

/** The variables a layer stores, in Keras's own order (trainable first, as layers create them). */
export function layerVariables(className: string, cfg: Record<string, any>): LayerVariable[] {
  const t = (name: string): LayerVariable => ({ name, trainable: true });
  const n = (name: string): LayerVariable => ({ name, trainable: false });
  const bias = cfg.use_bias !== false ? [t('bias')] : [];
  switch (canonicalClass(className)) {
    case 'Dense': case 'Conv1D': case 'Conv2D': case 'Conv2DTranspose': return [t('kernel'), ...bias];
    case 'DepthwiseConv2D': return [t('depthwise_kernel'), ...bias];
    case 'SeparableConv2D': return [t('depthwise_kernel'), t('pointwise_kernel'), ...bias];
    case 'BatchNormalization':
      return [...(cfg.scale !== false ? [t('gamma')] : []), ...(cfg.center !== false ? [t('beta')] : []), n('moving_mean'), n('moving_variance')];
    case 'LayerNormalization':
      return [...(cfg.scale !== false ? [t('gamma')] : []), ...(cfg.center !== false ? [t('beta')] : [])];
    case 'PReLU': return [t('alpha')];
    case 'Embedding': return [t('embeddings')];
    case 'LSTM': return [t('kernel'), t('recurrent_kernel'), ...bias];
    case 'Normalization': return cfg.mean != null ? [] : [n('mean'), n('variance')];
    default: return [];
  }
}

/**
 * Spread a nested model's stored weights (one flat list, as Keras's legacy HDF5 writer stores them) over its layers:
 * by name when the stored names say which layer each belongs to ('dense_1/kernel:0'), else by Keras's order
 * (every layer's trainable variables in layer order, then every layer's non-trainable ones).
 */
export function assignNestedWeights(file: string, model: KerasLayerJson, path: string[], arrays: { name: string; w: WeightArray }[], store: WeightStore): void {
  const leaves: { path: string[]; cls: string; cfg: any; vars: LayerVariable[]; trainable: boolean }[] = [];
  const walk = (m: KerasLayerJson, p: string[], trainable: boolean) => {
    for (const l of modelLayers(m)) {
      const name = layerName(l);
      const tr = trainable && l.config?.trainable !== false;
      if (MODEL_CLASSES.has(l.class_name)) walk(l, [...p, name], tr);
      else leaves.push({ path: [...p, name], cls: l.class_name, cfg: l.config, vars: layerVariables(l.class_name, l.config ?? {}), trainable: tr });
    }
  };
  walk(model, path, model.config?.trainable !== false);
  const withVars = leaves.filter((l) => l.vars.length > 0);
  const byName = new Map(withVars.map((l) => [l.path[l.path.length - 1], l]));
  const named = arrays.map((a) => {
    const parts = a.name.split('/');
    return parts.length >= 2 ? byName.get(parts[parts.length - 2]) : undefined;
  });
  if (named.every((l) => l !== undefined)) {
    arrays.forEach((a, i) => store.set(named[i]!.path, shortVarName(a.name), a.w));
    return;
  }
  const order: { path: string[]; v: string }[] = [];
  for (const pass of [true, false]) {
    for (const l of withVars) for (const v of l.vars) if ((l.trainable && v.trainable) === pass) order.push({ path: l.path, v: v.name });
  }
  if (order.length !== arrays.length) {
    throw new ModelFormatError(`${file}: nested model '${path.join('/')}' stores ${arrays.length} weights, its layers need ${order.length}`);
  }
  order.forEach((o, i) => store.set(o.path, o.v, arrays[i].w));
}

const ACTIVATIONS = new Set([
  'linear', 'relu', 'relu6', 'sigmoid', 'hard_sigmoid', 'tanh', 'softmax', 'swish', 'silu', 'gelu', 'elu', 'selu',
  'softplus', 'softsign', 'exponential', 'leaky_relu', 'hard_swish', 'hard_silu', 'log_softmax', 'mish',
]);

function activationName(a: unknown): string {
  if (a === null || a === undefined) return 'linear';
  // TF.js writes camelCase identifiers ('hardSigmoid'); Keras snake_case.
  if (typeof a === 'string') return a.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  if (typeof a === 'object' && typeof (a as any).class_name === 'string') {
    const c = (a as any).class_name as string;
    return c === 'function' ? String((a as any).config).toLowerCase() : c.toLowerCase();
  }
  return String(a);
}

/** Why a layer cannot be converted, or null when it can. */
function unsupportedReason(cls: string, cfg: Record<string, any>): string | null {
  const c = canonicalClass(cls);
  if (UNSUPPORTED_RNNS.has(c)) return 'recurrent layer not supported (only LSTM converts, as UNIDIRECTIONAL_SEQUENCE_LSTM)';
  if (!SUPPORTED_LAYERS.has(c)) return 'layer type not supported';
  if (c === 'LSTM') {
    const why = lstmUnsupportedReason(cfg);
    if (why) return why;
  }
  if (c === 'Bidirectional') {
    const why = bidirectionalUnsupportedReason(cfg);
    if (why) return why;
  }
  if (cfg.data_format === 'channels_first') return 'data_format channels_first (convert the model to channels_last)';
  if ((c === 'Conv1D' || c === 'Conv2D') && (cfg.groups ?? 1) !== 1) return `grouped convolution (groups=${cfg.groups})`;
  if ('activation' in cfg) {
    const a = activationName(cfg.activation);
    if (!ACTIVATIONS.has(a)) return `activation '${a}' not supported`;
  }
  if (c === 'Normalization' && cfg.invert) return 'Normalization with invert=True';
  if (c === 'LayerNormalization' && cfg.rms_scaling) return 'rms_scaling=True';
  if (cfg.lora_rank) return `LoRA-enabled layer (lora_rank=${cfg.lora_rank})`;
  const policy = typeof cfg.dtype === 'object' && cfg.dtype ? String(cfg.dtype.config?.name ?? '') : '';
  if (/int8|int4|float8/.test(policy)) return `Keras-quantized layer (dtype policy '${policy}')`;
  if (c === 'UpSampling2D' && !['nearest', 'bilinear', undefined].includes(cfg.interpolation)) return `interpolation '${cfg.interpolation}'`;
  if (c === 'Conv2DTranspose' && cfg.output_padding != null) return 'output_padding';
  if (c === 'Resizing' && !['nearest', 'bilinear', undefined].includes(cfg.interpolation)) return `interpolation '${cfg.interpolation}'`;
  if (c === 'Resizing' && (cfg.crop_to_aspect_ratio || cfg.pad_to_aspect_ratio)) return 'crop_to_aspect_ratio / pad_to_aspect_ratio';
  if (c === 'Conv2DTranspose' && [].concat(cfg.dilation_rate ?? 1).some((d: number) => d !== 1)) return 'dilated Conv2DTranspose';
  return null;
}

/** TFLite's fused LSTM computes sigmoid gates and a tanh cell/output activation, one sequence from zero state. */
function lstmUnsupportedReason(cfg: Record<string, any>): string | null {
  const act = activationName(cfg.activation ?? 'tanh');
  const rec = activationName(cfg.recurrent_activation ?? 'sigmoid');
  if (act !== 'tanh') return `activation '${act}' (the fused LSTM has tanh only)`;
  if (rec !== 'sigmoid') return `recurrent_activation '${rec}' (the fused LSTM has sigmoid gates only)`;
  if (cfg.return_state) return 'return_state=True';
  if (cfg.stateful) return 'stateful=True';
  if (cfg.time_major) return 'time_major=True';
  return null;
}

const MERGE_MODES = new Set(['concat', 'sum', 'mul', 'ave']);

function bidirectionalUnsupportedReason(cfg: Record<string, any>): string | null {
  const inner = canonicalClass(String(cfg.layer?.class_name ?? ''));
  if (inner !== 'LSTM') return cfg.layer ? `wrapped ${cfg.layer.class_name} (only a wrapped LSTM converts)` : 'no wrapped layer in its config';
  if (cfg.merge_mode === null) return 'merge_mode=None (two separate outputs)';
  const mode = cfg.merge_mode ?? 'concat';
  if (!MERGE_MODES.has(mode)) return `merge_mode '${mode}'`;
  for (const sub of [cfg.layer, cfg.backward_layer]) {
    if (!sub) continue;
    if (canonicalClass(String(sub.class_name)) !== 'LSTM') return `backward layer ${sub.class_name} (only LSTM converts)`;
    const why = lstmUnsupportedReason(sub.config ?? {});
    if (why) return why;
  }
  return null;
}

/** All unsupported layers of a model (nested models included), one line each. */
function collectUnsupported(model: KerasLayerJson, prefix: string[], out: string[]): void {
  for (const l of modelLayers(model)) {
    const name = [...prefix, layerName(l)].join('/');
    if (MODEL_CLASSES.has(l.class_name)) { collectUnsupported(l, [...prefix, layerName(l)], out); continue; }
    const why = unsupportedReason(l.class_name, l.config ?? {});
    if (why) out.push(`${name} (${l.class_name}: ${why})`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Emitting TFLite ops with shapes

type Shape = number[];

class Emitter {
  readonly b = new GraphBuilder('main');
  constructor(readonly file: string) {}

  shape(t: number): Shape {
    return this.b.tensors[t].shape;
  }

  dtype(t: number): DType {
    return this.b.tensors[t].dtype;
  }

  /** An activation tensor; batch (dim 0) is dynamic, as Keras models are: shape 1, signature -1. */
  act(name: string, shape: Shape, dtype: DType = 'float32'): number {
    const sig = shape.length > 0 ? [-1, ...shape.slice(1)] : undefined;
    return this.b.addTensor({ name, shape, dtype, shapeSignature: sig });
  }

  constF(name: string, shape: Shape, values: ArrayLike<number>): number {
    return this.b.addConstant(name, 'float32', shape, Float32Array.from(values));
  }

  constI(name: string, shape: Shape, values: number[]): number {
    return this.b.addConstant(name, 'int32', shape, Int32Array.from(values));
  }

  op(op: string, inputs: number[], outName: string, outShape: Shape, options: OpOptions = {}, dtype: DType = 'float32'): number {
    const out = this.act(outName, outShape, dtype);
    this.b.addOp(op, inputs, [out], options);
    return out;
  }
}

function broadcastShapes(a: Shape, b: Shape, what: string): Shape {
  const n = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new UnsupportedError(`${what}: shapes [${a}] and [${b}] do not broadcast`);
    out.push(Math.max(x, y));
  }
  return out;
}

function pair(v: unknown, dflt: number): [number, number] {
  if (v === null || v === undefined) return [dflt, dflt];
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return a.length === 1 ? [a[0], a[0]] : [a[0], a[1]];
}

function convOutSize(n: number, k: number, s: number, d: number, padding: string): number {
  const eff = (k - 1) * d + 1;
  return padding === 'same' ? Math.ceil(n / s) : Math.floor((n - eff) / s) + 1;
}

function prod(a: number[]): number {
  let p = 1;
  for (const x of a) p *= x;
  return p;
}

/** Keras kernel [kh, kw, in, out] -> TFLite [out, kh, kw, in] (OHWI). */
function hwioToOhwi(w: WeightArray): Float32Array {
  const [kh, kw, ci, co] = w.shape;
  const out = new Float32Array(w.values.length);
  const src = w.values;
  for (let h = 0; h < kh; h++) for (let x = 0; x < kw; x++) for (let i = 0; i < ci; i++) {
    const base = ((h * kw + x) * ci + i) * co;
    for (let o = 0; o < co; o++) out[((o * kh + h) * kw + x) * ci + i] = src[base + o];
  }
  return out;
}

/** Keras Dense kernel [in, out] -> TFLite [out, in]. */
function transpose2d(w: WeightArray): Float32Array {
  const [r, c] = w.shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = w.values[i * c + j];
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Layer conversion

interface Ctx {
  e: Emitter;
  src: KerasSource;
  keras3: boolean;
}

function weightsOf(ctx: Ctx, path: string[], cls: string, cfg: any): Map<string, WeightArray> {
  return ctx.src.layerWeights(path, layerVariables(cls, cfg).map((v) => v.name));
}

function expectShape(ctx: Ctx, path: string[], w: WeightArray, shape: Shape, what: string): void {
  if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
    throw new ModelFormatError(`${ctx.src.file}: layer '${path.join('/')}' ${what} has shape [${w.shape}], expected [${shape}]`);
  }
}

/** Apply a Keras activation to x; the result is named `name`. */
function applyActivation(ctx: Ctx, x: number, act: string, name: string): number {
  const e = ctx.e;
  const s = e.shape(x);
  const scalar = (n: string, v: number) => e.constF(`${name}/${n}`, [], [v]);
  switch (act) {
    case 'linear': return x;
    case 'relu': return e.op('RELU', [x], name, s);
    case 'relu6': return e.op('RELU6', [x], name, s);
    case 'sigmoid': return e.op('LOGISTIC', [x], name, s);
    case 'tanh': return e.op('TANH', [x], name, s);
    case 'softmax': return e.op('SOFTMAX', [x], name, s, { beta: 1 });
    case 'log_softmax': return e.op('LOG_SOFTMAX', [x], name, s);
    case 'elu': return e.op('ELU', [x], name, s);
    case 'exponential': return e.op('EXP', [x], name, s);
    case 'gelu': return e.op('GELU', [x], name, s, { approximate: false });
    case 'hard_swish': case 'hard_silu': return e.op('HARD_SWISH', [x], name, s);
    case 'leaky_relu': return e.op('LEAKY_RELU', [x], name, s, { alpha: 0.2 });
    case 'swish': case 'silu': {
      const sig = e.op('LOGISTIC', [x], `${name}/sigmoid`, s);
      return e.op('MUL', [x, sig], name, s);
    }
    case 'hard_sigmoid': {
      // Keras 2 and TF.js: clip(0.2x + 0.5, 0, 1); Keras 3: relu6(x + 3) / 6 = clip(x/6 + 0.5, 0, 1).
      const slope = ctx.keras3 ? 1 / 6 : 0.2;
      const m = e.op('MUL', [x, scalar('slope', slope)], `${name}/mul`, s);
      const a = e.op('ADD', [m, scalar('offset', 0.5)], `${name}/add`, s);
      const lo = e.op('MINIMUM', [a, scalar('one', 1)], `${name}/min`, s);
      return e.op('RELU', [lo], name, s);
    }
    case 'selu': {
      const alpha = 1.6732632423543772, scale = 1.0507009873554805;
      const pos = e.op('RELU', [x], `${name}/pos`, s);
      const elu = e.op('ELU', [x], `${name}/elu`, s);
      const neg = e.op('MINIMUM', [elu, scalar('zero', 0)], `${name}/neg`, s);
      const negS = e.op('MUL', [neg, scalar('alpha_scale', alpha * scale)], `${name}/neg_scaled`, s);
      const posS = e.op('MUL', [pos, scalar('scale', scale)], `${name}/pos_scaled`, s);
      return e.op('ADD', [posS, negS], name, s);
    }
    case 'softplus': {
      // Stable form: relu(x) + log(1 + exp(-|x|)).
      const ab = e.op('ABS', [x], `${name}/abs`, s);
      const ng = e.op('NEG', [ab], `${name}/neg`, s);
      const ex = e.op('EXP', [ng], `${name}/exp`, s);
      const p1 = e.op('ADD', [ex, scalar('one', 1)], `${name}/add1`, s);
      const lg = e.op('LOG', [p1], `${name}/log`, s);
      const rl = e.op('RELU', [x], `${name}/relu`, s);
      return e.op('ADD', [rl, lg], name, s);
    }
    case 'mish': {
      // x * tanh(softplus(x)), softplus in its stable form.
      const sp = applyActivation(ctx, x, 'softplus', `${name}/softplus`);
      const th = e.op('TANH', [sp], `${name}/tanh`, s);
      return e.op('MUL', [x, th], name, s);
    }
    case 'softsign': {
      const ab = e.op('ABS', [x], `${name}/abs`, s);
      const p1 = e.op('ADD', [ab, scalar('one', 1)], `${name}/add1`, s);
      return e.op('DIV', [x, p1], name, s);
    }
    default: throw new UnsupportedError(`activation '${act}' is not supported`);
  }
}

/** ELU with any alpha: alpha == 1 is TFLite's ELU; else relu(x) + alpha * min(elu(x), 0). */
function eluWithAlpha(ctx: Ctx, x: number, alpha: number, name: string): number {
  const e = ctx.e;
  const s = e.shape(x);
  if (alpha === 1) return e.op('ELU', [x], name, s);
  const elu = e.op('ELU', [x], `${name}/elu`, s);
  const neg = e.op('MINIMUM', [elu, e.constF(`${name}/zero`, [], [0])], `${name}/neg`, s);
  const negS = e.op('MUL', [neg, e.constF(`${name}/alpha`, [], [alpha])], `${name}/neg_scaled`, s);
  const pos = e.op('RELU', [x], `${name}/pos`, s);
  return e.op('ADD', [pos, negS], name, s);
}

function lastAxis(axis: unknown, rank: number, what: string): number {
  const a = Array.isArray(axis) ? axis : [axis ?? -1];
  if (a.length !== 1) throw new UnsupportedError(`${what}: axis ${JSON.stringify(axis)} (one axis only)`);
  const v = Number(a[0]);
  return v < 0 ? v + rank : v;
}

/** Per-channel constant of `values` broadcast along `axis` of an input of rank `rank` (shape [C] on the last axis). */
function channelConst(ctx: Ctx, name: string, values: ArrayLike<number>, axis: number, rank: number): number {
  const shape = axis === rank - 1 ? [values.length] : Array.from({ length: rank - axis }, (_, i) => (i === 0 ? values.length : 1));
  return ctx.e.constF(name, shape, values);
}

function conv2dCore(ctx: Ctx, x: number, kernelOhwi: Float32Array, kshape: Shape, bias: Float32Array | null,
  strides: [number, number], dil: [number, number], padding: string, name: string): number {
  const e = ctx.e;
  const [n, h, w] = e.shape(x);
  const [co, kh, kw] = kshape;
  const k = e.constF(`${name}/kernel`, kshape, kernelOhwi);
  // Like TF's converter, convolutions always get a bias (zeros when the layer has none): runtimes expect it.
  const b = e.constF(`${name}/bias`, [co], bias ?? new Float32Array(co));
  const outShape = [n, convOutSize(h, kh, strides[0], dil[0], padding), convOutSize(w, kw, strides[1], dil[1], padding), co];
  return e.op('CONV_2D', [x, k, b], name, outShape, {
    padding: padding === 'same' ? 'SAME' : 'VALID', strideH: strides[0], strideW: strides[1],
    dilationHFactor: dil[0], dilationWFactor: dil[1],
  });
}

function depthwiseCore(ctx: Ctx, x: number, dk: WeightArray, bias: Float32Array | null, strides: [number, number],
  dil: [number, number], padding: string, name: string): number {
  const e = ctx.e;
  const [n, h, w] = e.shape(x);
  const [kh, kw, ci, mult] = dk.shape;
  // Keras [kh, kw, in, mult] and TFLite [1, kh, kw, in*mult] have the same element order.
  const k = e.constF(`${name}/depthwise_kernel`, [1, kh, kw, ci * mult], dk.values);
  const b = e.constF(`${name}/bias`, [ci * mult], bias ?? new Float32Array(ci * mult));
  const outShape = [n, convOutSize(h, kh, strides[0], dil[0], padding), convOutSize(w, kw, strides[1], dil[1], padding), ci * mult];
  return e.op('DEPTHWISE_CONV_2D', [x, k, b], name, outShape, {
    padding: padding === 'same' ? 'SAME' : 'VALID', strideH: strides[0], strideW: strides[1], depthMultiplier: mult,
    dilationHFactor: dil[0], dilationWFactor: dil[1],
  });
}

function reshape(ctx: Ctx, x: number, shape: Shape, name: string): number {
  // Batch stays dynamic (-1) in the new-shape constant, as TF writes it.
  const newShape = [-1, ...shape.slice(1)];
  return ctx.e.op('RESHAPE', [x, ctx.e.constI(`${name}/shape`, [newShape.length], newShape)], name, shape);
}

function pool2d(ctx: Ctx, op: string, x: number, pool: [number, number], strides: [number, number], padding: string, name: string): number {
  const [n, h, w, c] = ctx.e.shape(x);
  const out = [n, convOutSize(h, pool[0], strides[0], 1, padding), convOutSize(w, pool[1], strides[1], 1, padding), c];
  return ctx.e.op(op, [x], name, out, {
    padding: padding === 'same' ? 'SAME' : 'VALID', strideH: strides[0], strideW: strides[1], filterHeight: pool[0], filterWidth: pool[1],
  });
}

/** The config's depth_multiplier, else the kernel's last dimension (TF.js leaves it out of SeparableConv2D configs). */
function depthMultiplier(cfg: Record<string, any>, dk: WeightArray): number {
  return cfg.depth_multiplier != null ? Number(cfg.depth_multiplier) : dk.shape[dk.shape.length - 1];
}

function requireRank(ctx: Ctx, x: number, rank: number, path: string[], cls: string): void {
  const r = ctx.e.shape(x).length;
  if (r !== rank) throw new UnsupportedError(`${ctx.src.file}: layer '${path.join('/')}' (${cls}) needs a rank-${rank} input, got rank ${r}`);
}

function convertLayer(ctx: Ctx, clsIn: string, cfg: Record<string, any>, inputs: number[], path: string[]): number[] {
  const e = ctx.e;
  const cls = canonicalClass(clsIn);
  const name = path.join('/');
  const x = inputs[0];
  const xs = () => e.shape(x);
  const withAct = (y: number, yName: string) => applyActivation(ctx, y, activationName(cfg.activation), yName);
  // The layer's main op gets the layer's name unless an activation follows (then the activation does).
  const mainName = () => (activationName(cfg.activation) === 'linear' ? name : `${name}/pre_activation`);
  if (IDENTITY_LAYERS.has(cls)) return [x];

  switch (cls) {
    case 'Dense': {
      const w = weightsOf(ctx, path, cls, cfg);
      const kernel = w.get('kernel')!;
      const s = xs();
      const inDim = s[s.length - 1];
      const units = Number(cfg.units);
      expectShape(ctx, path, kernel, [inDim, units], 'kernel');
      const k = e.constF(`${name}/kernel`, [units, inDim], transpose2d(kernel));
      const b = w.has('bias') ? e.constF(`${name}/bias`, [units], w.get('bias')!.values) : -1;
      const keep = s.length > 2;
      const y = e.op('FULLY_CONNECTED', [x, k, b], mainName(), [...s.slice(0, -1), units], keep ? { keepNumDims: true } : {});
      return [withAct(y, name)];
    }
    case 'Conv2D': {
      requireRank(ctx, x, 4, path, cls);
      const w = weightsOf(ctx, path, cls, cfg);
      const kernel = w.get('kernel')!;
      const [kh, kw] = pair(cfg.kernel_size, 1);
      expectShape(ctx, path, kernel, [kh, kw, xs()[3], Number(cfg.filters)], 'kernel');
      const y = conv2dCore(ctx, x, hwioToOhwi(kernel), [cfg.filters, kh, kw, xs()[3]], w.get('bias')?.values ?? null,
        pair(cfg.strides, 1), pair(cfg.dilation_rate, 1), cfg.padding, mainName());
      return [withAct(y, name)];
    }
    case 'Conv1D': {
      requireRank(ctx, x, 3, path, cls);
      const w = weightsOf(ctx, path, cls, cfg);
      const kernel = w.get('kernel')!;
      const [n, len, ci] = xs();
      const k = pair(cfg.kernel_size, 1)[0];
      const stride = pair(cfg.strides, 1)[0];
      const dil = pair(cfg.dilation_rate, 1)[0];
      expectShape(ctx, path, kernel, [k, ci, Number(cfg.filters)], 'kernel');
      let inp = x;
      let padding = cfg.padding;
      if (padding === 'causal') {
        const padLen = (k - 1) * dil;
        const pads = e.constI(`${name}/causal_pad`, [3, 2], [0, 0, padLen, 0, 0, 0]);
        inp = e.op('PAD', [x, pads], `${name}/causal_padded`, [n, len + padLen, ci]);
        padding = 'valid';
      }
      const x4 = reshape(ctx, inp, [n, 1, e.shape(inp)[1], ci], `${name}/expand`);
      const kern = hwioToOhwi({ shape: [1, k, ci, cfg.filters], values: kernel.values });
      const y4 = conv2dCore(ctx, x4, kern, [cfg.filters, 1, k, ci], w.get('bias')?.values ?? null, [1, stride], [1, dil], padding, `${name}/conv2d`);
      const s4 = e.shape(y4);
      const y = reshape(ctx, y4, [n, s4[2], s4[3]], mainName());
      return [withAct(y, name)];
    }
    case 'DepthwiseConv2D': {
      requireRank(ctx, x, 4, path, cls);
      const w = weightsOf(ctx, path, cls, cfg);
      const dk = w.get('depthwise_kernel')!;
      const [kh, kw] = pair(cfg.kernel_size, 1);
      expectShape(ctx, path, dk, [kh, kw, xs()[3], depthMultiplier(cfg, dk)], 'depthwise_kernel');
      const y = depthwiseCore(ctx, x, dk, w.get('bias')?.values ?? null, pair(cfg.strides, 1), pair(cfg.dilation_rate, 1), cfg.padding, mainName());
      return [withAct(y, name)];
    }
    case 'SeparableConv2D': {
      requireRank(ctx, x, 4, path, cls);
      const w = weightsOf(ctx, path, cls, cfg);
      const dk = w.get('depthwise_kernel')!;
      const pk = w.get('pointwise_kernel')!;
      const [kh, kw] = pair(cfg.kernel_size, 1);
      const mult = depthMultiplier(cfg, dk);
      expectShape(ctx, path, dk, [kh, kw, xs()[3], mult], 'depthwise_kernel');
      expectShape(ctx, path, pk, [1, 1, xs()[3] * mult, Number(cfg.filters)], 'pointwise_kernel');
      const d = depthwiseCore(ctx, x, dk, null, pair(cfg.strides, 1), pair(cfg.dilation_rate, 1), cfg.padding, `${name}/depthwise`);
      const y = conv2dCore(ctx, d, hwioToOhwi(pk), [cfg.filters, 1, 1, xs()[3] * mult], w.get('bias')?.values ?? null, [1, 1], [1, 1], 'valid', mainName());
      return [withAct(y, name)];
    }
    case 'Conv2DTranspose': {
      requireRank(ctx, x, 4, path, cls);
      const w = weightsOf(ctx, path, cls, cfg);
      const kernel = w.get('kernel')!;
      const [kh, kw] = pair(cfg.kernel_size, 1);
      const [sh, sw] = pair(cfg.strides, 1);
      const [n, h, wd, ci] = xs();
      const co = Number(cfg.filters);
      expectShape(ctx, path, kernel, [kh, kw, co, ci], 'kernel');
      // Keras [kh, kw, out, in] -> TFLite [out, kh, kw, in].
      const t = new Float32Array(kernel.values.length);
      for (let a = 0; a < kh; a++) for (let b2 = 0; b2 < kw; b2++) for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) {
        t[((o * kh + a) * kw + b2) * ci + i] = kernel.values[((a * kw + b2) * co + o) * ci + i];
      }
      const same = cfg.padding === 'same';
      // Keras's deconv_output_length: 'same' n*s; 'valid' n*s + max(k - s, 0).
      const oh = same ? h * sh : h * sh + Math.max(kh - sh, 0);
      const ow = same ? wd * sw : wd * sw + Math.max(kw - sw, 0);
      const outShape = [n, oh, ow, co];
      const shapeT = e.constI(`${name}/output_shape`, [4], [1, oh, ow, co]);
      const k = e.constF(`${name}/kernel`, [co, kh, kw, ci], t);
      const b = w.has('bias') ? e.constF(`${name}/bias`, [co], w.get('bias')!.values) : -1;
      const y = e.op('TRANSPOSE_CONV', [shapeT, k, x, b], mainName(), outShape, {
        padding: same ? 'SAME' : 'VALID', strideH: sh, strideW: sw,
      });
      return [withAct(y, name)];
    }
    case 'BatchNormalization': {
      const s = xs();
      const axis = lastAxis(cfg.axis, s.length, `layer '${name}'`);
      const w = weightsOf(ctx, path, cls, cfg);
      const mean = w.get('moving_mean')!.values;
      const variance = w.get('moving_variance')!.values;
      const c = s[axis];
      if (mean.length !== c) throw new ModelFormatError(`${ctx.src.file}: layer '${name}' moving_mean has ${mean.length} values for ${c} channels`);
      const gamma = w.get('gamma')?.values;
      const beta = w.get('beta')?.values;
      const eps = Number(cfg.epsilon ?? 1e-3);
      const scale = new Float32Array(c);
      const offset = new Float32Array(c);
      const f = Math.fround;
      for (let i = 0; i < c; i++) {
        const inv = f(1 / Math.sqrt(f(variance[i] + eps)));
        scale[i] = gamma ? f(gamma[i] * inv) : inv;
        offset[i] = f((beta ? beta[i] : 0) - f(mean[i] * scale[i]));
      }
      const m = e.op('MUL', [x, channelConst(ctx, `${name}/scale`, scale, axis, s.length)], `${name}/mul`, s);
      return [e.op('ADD', [m, channelConst(ctx, `${name}/offset`, offset, axis, s.length)], name, s)];
    }
    case 'LayerNormalization': {
      const s = xs();
      const axes = (Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1]).map((a: number) => (a < 0 ? a + s.length : a)).sort();
      const w = weightsOf(ctx, path, cls, cfg);
      const eps = Number(cfg.epsilon ?? 1e-3);
      const reducedShape = s.map((d, i) => (axes.includes(i) ? 1 : d));
      const axesT = e.constI(`${name}/axes`, [axes.length], axes);
      const mean = e.op('MEAN', [x, axesT], `${name}/mean`, reducedShape, { keepDims: true });
      const diff = e.op('SUB', [x, mean], `${name}/centered`, s);
      const sq = e.op('MUL', [diff, diff], `${name}/squared`, s);
      const vari = e.op('MEAN', [sq, axesT], `${name}/variance`, reducedShape, { keepDims: true });
      const ve = e.op('ADD', [vari, e.constF(`${name}/epsilon`, [], [eps])], `${name}/variance_eps`, reducedShape);
      const inv = e.op('RSQRT', [ve], `${name}/rsqrt`, reducedShape);
      const paramShape = s.slice(1).map((d, i) => (axes.includes(i + 1) ? d : 1));
      while (paramShape.length > 1 && paramShape[0] === 1) paramShape.shift();
      let y = e.op('MUL', [diff, inv], w.size ? `${name}/normalized` : name, s);
      const gamma = w.get('gamma');
      const beta = w.get('beta');
      if (gamma) y = e.op('MUL', [y, e.constF(`${name}/gamma`, paramShape, gamma.values)], beta ? `${name}/scaled` : name, s);
      if (beta) y = e.op('ADD', [y, e.constF(`${name}/beta`, paramShape, beta.values)], name, s);
      return [y];
    }
    case 'Activation': return [applyActivation(ctx, x, activationName(cfg.activation), name)];
    case 'ReLU': {
      const s = xs();
      const maxValue = cfg.max_value == null ? null : Number(cfg.max_value);
      const slope = Number(cfg.negative_slope ?? 0);
      const threshold = Number(cfg.threshold ?? 0);
      if (threshold === 0 && slope === 0) {
        if (maxValue === null) return [e.op('RELU', [x], name, s)];
        if (maxValue === 6) return [e.op('RELU6', [x], name, s)];
        const r = e.op('RELU', [x], `${name}/relu`, s);
        return [e.op('MINIMUM', [r, e.constF(`${name}/max_value`, [], [maxValue])], name, s)];
      }
      if (threshold === 0 && maxValue === null && slope < 1) return [e.op('LEAKY_RELU', [x], name, s, { alpha: slope })];
      // Keras's general relu, step by step: y = threshold != 0 ? x * (x > threshold) : relu(x);
      // y = clip(y, 0, max_value) when max_value is set; y -= slope * relu(threshold - x) when slope != 0.
      const zero = e.constF(`${name}/zero`, [], [0]);
      const thr = e.constF(`${name}/threshold`, [], [threshold]);
      const last = (step: 'base' | 'clip' | 'leak') => (step === 'leak' || (step === 'clip' && slope === 0) || (step === 'base' && slope === 0 && maxValue === null));
      let y: number;
      if (threshold !== 0) {
        const cond = e.op('GREATER', [x, thr], `${name}/above`, s, {}, 'bool');
        y = e.op('SELECT_V2', [cond, x, zero], last('base') ? name : `${name}/gated`, s);
        if (maxValue !== null) y = e.op('RELU', [y], `${name}/nonneg`, s);
      } else y = e.op('RELU', [x], last('base') ? name : `${name}/relu`, s);
      if (maxValue !== null) y = e.op('MINIMUM', [y, e.constF(`${name}/max_value`, [], [maxValue])], last('clip') ? name : `${name}/clipped`, s);
      if (slope !== 0) {
        const below = e.op('MINIMUM', [e.op('SUB', [x, thr], `${name}/shifted`, s), zero], `${name}/below`, s);
        y = e.op('ADD', [y, e.op('MUL', [below, e.constF(`${name}/slope`, [], [slope])], `${name}/leak`, s)], name, s);
      }
      return [y];
    }
    case 'LeakyReLU': {
      const alpha = Number(cfg.negative_slope ?? cfg.alpha ?? 0.3);
      return [e.op('LEAKY_RELU', [x], name, xs(), { alpha })];
    }
    case 'PReLU': {
      const w = weightsOf(ctx, path, cls, cfg);
      const alpha = w.get('alpha')!;
      return [e.op('PRELU', [x, e.constF(`${name}/alpha`, alpha.shape, alpha.values)], name, xs())];
    }
    case 'ThresholdedReLU': {
      // Keras: x where x > theta, else 0.
      const s = xs();
      const theta = Number(cfg.theta ?? 1);
      const cond = e.op('GREATER', [x, e.constF(`${name}/theta`, [], [theta])], `${name}/above`, s, {}, 'bool');
      return [e.op('SELECT_V2', [cond, x, e.constF(`${name}/zero`, [], [0])], name, s)];
    }
    case 'ELU': return [eluWithAlpha(ctx, x, Number(cfg.alpha ?? 1), name)];
    case 'Softmax': {
      const s = xs();
      const axis = lastAxis(cfg.axis, s.length, `layer '${name}'`);
      if (axis === s.length - 1) return [e.op('SOFTMAX', [x], name, s, { beta: 1 })];
      // TFLite's SOFTMAX works on the last axis: swap the softmax axis there and back (TF.js defaults to axis 1).
      const perm = s.map((_, i) => (i === axis ? s.length - 1 : i === s.length - 1 ? axis : i));
      const permT = e.constI(`${name}/perm`, [perm.length], perm);
      const ts = perm.map((p) => s[p]);
      const t = e.op('TRANSPOSE', [x, permT], `${name}/to_last`, ts);
      const sm = e.op('SOFTMAX', [t], `${name}/softmax`, ts, { beta: 1 });
      return [e.op('TRANSPOSE', [sm, permT], name, s)];
    }
    case 'MaxPooling2D': case 'AveragePooling2D': {
      requireRank(ctx, x, 4, path, cls);
      const pool = pair(cfg.pool_size, 2);
      const strides = cfg.strides == null ? pool : pair(cfg.strides, 1);
      return [pool2d(ctx, cls === 'MaxPooling2D' ? 'MAX_POOL_2D' : 'AVERAGE_POOL_2D', x, pool, strides, cfg.padding ?? 'valid', name)];
    }
    case 'MaxPooling1D': case 'AveragePooling1D': {
      requireRank(ctx, x, 3, path, cls);
      const [n, len, c] = xs();
      const p = pair(cfg.pool_size, 2)[0];
      const st = cfg.strides == null ? p : pair(cfg.strides, 1)[0];
      const x4 = reshape(ctx, x, [n, 1, len, c], `${name}/expand`);
      const y4 = pool2d(ctx, cls === 'MaxPooling1D' ? 'MAX_POOL_2D' : 'AVERAGE_POOL_2D', x4, [1, p], [1, st], cfg.padding ?? 'valid', `${name}/pool`);
      return [reshape(ctx, y4, [n, e.shape(y4)[2], c], name)];
    }
    case 'GlobalAveragePooling2D': case 'GlobalMaxPooling2D': case 'GlobalAveragePooling1D': case 'GlobalMaxPooling1D': {
      const two = cls.endsWith('2D');
      requireRank(ctx, x, two ? 4 : 3, path, cls);
      const s = xs();
      const axes = two ? [1, 2] : [1];
      const keep = cfg.keepdims === true;
      const out = keep ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));
      const op = cls.startsWith('GlobalMax') ? 'REDUCE_MAX' : 'MEAN';
      return [e.op(op, [x, e.constI(`${name}/axes`, [axes.length], axes)], name, out, { keepDims: keep })];
    }
    case 'Flatten': {
      const s = xs();
      if (s.length === 2) return [x];
      return [reshape(ctx, x, [s[0], prod(s.slice(1))], name)];
    }
    case 'Reshape': {
      const s = xs();
      const target = (cfg.target_shape as (number | null)[]).map((d) => (d === null ? -1 : Number(d)));
      const total = prod(s.slice(1));
      const known = prod(target.filter((d) => d !== -1));
      const resolved = target.map((d) => (d === -1 ? total / known : d));
      if (prod(resolved) !== total || !Number.isInteger(prod(resolved))) {
        throw new ModelFormatError(`${ctx.src.file}: layer '${name}' reshapes [${s.slice(1)}] to [${target}]`);
      }
      return [reshape(ctx, x, [s[0], ...resolved], name)];
    }
    case 'Permute': {
      const s = xs();
      const perm = [0, ...(cfg.dims as number[]).map(Number)];
      return [e.op('TRANSPOSE', [x, e.constI(`${name}/perm`, [perm.length], perm)], name, perm.map((p) => s[p]))];
    }
    case 'Add': case 'Subtract': case 'Multiply': case 'Maximum': case 'Minimum': case 'Average': {
      if (inputs.length < 2) throw new ModelFormatError(`${ctx.src.file}: layer '${name}' (${cls}) has ${inputs.length} input(s)`);
      if (cls === 'Subtract' && inputs.length !== 2) throw new ModelFormatError(`${ctx.src.file}: layer '${name}' (Subtract) needs exactly 2 inputs`);
      const op = { Add: 'ADD', Subtract: 'SUB', Multiply: 'MUL', Maximum: 'MAXIMUM', Minimum: 'MINIMUM', Average: 'ADD' }[cls]!;
      // Keras gives lower-rank inputs new axes right after the batch axis (not numpy's leading axes), so the batch
      // axes stay aligned whatever the batch size.
      const rank = Math.max(...inputs.map((t) => e.shape(t).length));
      inputs = inputs.map((t, i) => {
        const s = e.shape(t);
        return s.length === rank ? t : reshape(ctx, t, [s[0], ...new Array(rank - s.length).fill(1), ...s.slice(1)], `${name}/expand_${i}`);
      });
      let acc = inputs[0];
      for (let i = 1; i < inputs.length; i++) {
        const last = i === inputs.length - 1 && cls !== 'Average';
        const outShape = broadcastShapes(e.shape(acc), e.shape(inputs[i]), `layer '${name}'`);
        acc = e.op(op, [acc, inputs[i]], last ? name : `${name}/${i}`, outShape);
      }
      if (cls === 'Average') acc = e.op('MUL', [acc, e.constF(`${name}/inv_count`, [], [1 / inputs.length])], name, e.shape(acc));
      return [acc];
    }
    case 'Concatenate': {
      const s0 = xs();
      const axis = lastAxis(cfg.axis ?? -1, s0.length, `layer '${name}'`);
      const out = [...s0];
      out[axis] = inputs.reduce((sum, t) => sum + e.shape(t)[axis], 0);
      return [e.op('CONCATENATION', inputs, name, out, { axis })];
    }
    case 'ZeroPadding2D': {
      requireRank(ctx, x, 4, path, cls);
      const [[t, b], [l, r]] = padPairs(cfg.padding);
      const [n, h, w, c] = xs();
      const pads = e.constI(`${name}/paddings`, [4, 2], [0, 0, t, b, l, r, 0, 0]);
      return [e.op('PAD', [x, pads], name, [n, h + t + b, w + l + r, c])];
    }
    case 'Cropping2D': {
      requireRank(ctx, x, 4, path, cls);
      const [[t, b], [l, r]] = padPairs(cfg.cropping);
      const [n, h, w, c] = xs();
      const out = [n, h - t - b, w - l - r, c];
      // As TF writes it: STRIDED_SLICE, batch and channel axes masked (taken whole).
      const begin = e.constI(`${name}/begin`, [4], [0, t, l, 0]);
      const end = e.constI(`${name}/end`, [4], [0, h - b, w - r, 0]);
      const stridesT = e.constI(`${name}/strides`, [4], [1, 1, 1, 1]);
      return [e.op('STRIDED_SLICE', [x, begin, end, stridesT], name, out, { beginMask: 0b1001, endMask: 0b1001 })];
    }
    case 'ZeroPadding1D': {
      requireRank(ctx, x, 3, path, cls);
      const [l, r] = pair(cfg.padding, 1);
      const [n, len, c] = xs();
      return [e.op('PAD', [x, e.constI(`${name}/paddings`, [3, 2], [0, 0, l, r, 0, 0])], name, [n, len + l + r, c])];
    }
    case 'Cropping1D': {
      requireRank(ctx, x, 3, path, cls);
      const [l, r] = pair(cfg.cropping, 1);
      const [n, len, c] = xs();
      const begin = e.constI(`${name}/begin`, [3], [0, l, 0]);
      const end = e.constI(`${name}/end`, [3], [0, len - r, 0]);
      return [e.op('STRIDED_SLICE', [x, begin, end, e.constI(`${name}/strides`, [3], [1, 1, 1])], name, [n, len - l - r, c], { beginMask: 0b101, endMask: 0b101 })];
    }
    case 'UpSampling1D': {
      // Keras repeats each step `size` times: [n, len, c] -> [n, len, 1, c] tiled to [n, len, size, c] -> [n, len*size, c].
      requireRank(ctx, x, 3, path, cls);
      const f = pair(cfg.size, 2)[0];
      const [n, len, c] = xs();
      const x4 = reshape(ctx, x, [n, len, 1, c], `${name}/expand`);
      const t = e.op('TILE', [x4, e.constI(`${name}/multiples`, [4], [1, 1, f, 1])], `${name}/tile`, [n, len, f, c]);
      return [reshape(ctx, t, [n, len * f, c], name)];
    }
    case 'RepeatVector': {
      requireRank(ctx, x, 2, path, cls);
      const k = Number(cfg.n);
      const [n, f] = xs();
      const x3 = reshape(ctx, x, [n, 1, f], `${name}/expand`);
      return [e.op('TILE', [x3, e.constI(`${name}/multiples`, [3], [1, k, 1])], name, [n, k, f])];
    }
    case 'Resizing': {
      // Keras resizes with tf.image.resize: half-pixel centers, for nearest as for bilinear.
      requireRank(ctx, x, 4, path, cls);
      const [n, , , c] = xs();
      const oh = Number(cfg.height), ow = Number(cfg.width);
      const size = e.constI(`${name}/size`, [2], [oh, ow]);
      const op = cfg.interpolation === 'nearest' ? 'RESIZE_NEAREST_NEIGHBOR' : 'RESIZE_BILINEAR';
      return [e.op(op, [x, size], name, [n, oh, ow, c], { halfPixelCenters: true })];
    }
    case 'UpSampling2D': {
      requireRank(ctx, x, 4, path, cls);
      const [fh, fw] = pair(cfg.size, 2);
      const [n, h, w, c] = xs();
      const size = e.constI(`${name}/size`, [2], [h * fh, w * fw]);
      if (cfg.interpolation === 'bilinear') {
        return [e.op('RESIZE_BILINEAR', [x, size], name, [n, h * fh, w * fw, c], { halfPixelCenters: true })];
      }
      return [e.op('RESIZE_NEAREST_NEIGHBOR', [x, size], name, [n, h * fh, w * fw, c])];
    }
    case 'Rescaling': {
      const s = xs();
      const vec = (v: unknown, d: number) => (Array.isArray(v) ? v.map(Number) : [v == null ? d : Number(v)]);
      const scale = vec(cfg.scale, 1);
      const offset = vec(cfg.offset, 0);
      const cshape = (v: number[]) => (v.length === 1 ? [] : [v.length]);
      const hasOffset = offset.some((v) => v !== 0);
      let y = x;
      if (scale.some((v) => v !== 1)) y = e.op('MUL', [y, e.constF(`${name}/scale`, cshape(scale), scale)], hasOffset ? `${name}/scaled` : name, s);
      if (hasOffset) y = e.op('ADD', [y, e.constF(`${name}/offset`, cshape(offset), offset)], name, s);
      return [y];
    }
    case 'Normalization': {
      const s = xs();
      const axes = (Array.isArray(cfg.axis) ? cfg.axis : cfg.axis == null ? [] : [cfg.axis]).map((a: number) => (a < 0 ? a + s.length : a));
      let mean: Float32Array, variance: Float32Array;
      if (cfg.mean != null) {
        mean = Float32Array.from([].concat(cfg.mean));
        variance = Float32Array.from([].concat(cfg.variance));
      } else {
        const w = weightsOf(ctx, path, cls, cfg);
        mean = w.get('mean')!.values;
        variance = w.get('variance')!.values;
      }
      // Keras: (x - mean) / max(sqrt(variance), epsilon), epsilon = 1e-7.
      const inv = Float32Array.from(variance, (v) => 1 / Math.max(Math.sqrt(v), 1e-7));
      const negMeanInv = Float32Array.from(mean, (m, i) => -m * inv[i]);
      let cshape: Shape;
      if (mean.length === 1) cshape = [];
      else {
        cshape = s.slice(1).map((d, i) => (axes.includes(i + 1) ? d : 1));
        while (cshape.length > 1 && cshape[0] === 1) cshape.shift();
        if (prod(cshape) !== mean.length) throw new ModelFormatError(`${ctx.src.file}: layer '${name}' has ${mean.length} means for axes [${axes}] of [${s}]`);
      }
      const m = e.op('MUL', [x, e.constF(`${name}/inv_std`, cshape, inv)], `${name}/scaled`, s);
      return [e.op('ADD', [m, e.constF(`${name}/offset`, cshape, negMeanInv)], name, s)];
    }
    case 'LSTM': return [lstm(ctx, x, cfg, path)];
    case 'Bidirectional': return [bidirectional(ctx, x, cfg, path)];
    case 'Embedding': {
      const w = weightsOf(ctx, path, cls, cfg);
      const table = w.get('embeddings')!;
      const s = xs();
      let idx = x;
      if (e.dtype(x) !== 'int32') idx = e.op('CAST', [x], `${name}/indices`, s, { inDataType: e.dtype(x), outDataType: 'int32' }, 'int32');
      const t = e.constF(`${name}/embeddings`, table.shape, table.values);
      return [e.op('GATHER', [t, idx], name, [...s, table.shape[1]], { axis: 0 })];
    }
    default:
      throw new UnsupportedError(`${ctx.src.file}: layer '${name}' (${clsIn}) is not supported`);
  }
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
function lstm(ctx: Ctx, xIn: number, cfg: Record<string, any>, path: string[]): number {
  const e = ctx.e;
  const name = path.join('/');
  requireRank(ctx, xIn, 3, path, 'LSTM');
  const [n, steps, inDim] = e.shape(xIn);
  // go_backwards: Keras reads the sequence last step first and returns its outputs in that (reversed) order;
  // TF's converter writes REVERSE_V2 on the time axis in front of the fused op.
  const x = cfg.go_backwards ? e.op('REVERSE_V2', [xIn, e.constI(`${name}/time_axis`, [1], [1])], `${name}/reversed_input`, [n, steps, inDim]) : xIn;
  const units = Number(cfg.units);
  if (!Number.isInteger(units) || units <= 0) throw new ModelFormatError(`${ctx.src.file}: layer '${name}' has units ${cfg.units}`);
  const w = weightsOf(ctx, path, 'LSTM', cfg);
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

/** A Bidirectional layer's two copies of its wrapped layer, as Keras builds them: forward_<name>, then the backward one. */
export function bidirectionalSublayers(cfg: Record<string, any>): { name: string; cls: string; cfg: Record<string, any> }[] {
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

/**
 * A Bidirectional layer's stored arrays (.h5: 'bidirectional/forward_lstm/lstm_cell/kernel:0', ...) to its two copies.
 * Keras lists the forward copy's variables, then the backward copy's, each in the wrapped layer's own order.
 */
export function assignBidirectionalWeights(file: string, layer: KerasLayerJson, path: string[], arrays: { name: string; w: WeightArray }[], store: WeightStore): void {
  const subs = bidirectionalSublayers(layer.config ?? {});
  const vars = subs.map((s) => layerVariables(s.cls, s.cfg));
  if (arrays.length !== vars[0].length + vars[1].length) {
    throw new ModelFormatError(`${file}: Bidirectional layer '${path.join('/')}' stores ${arrays.length} weights, its forward and backward ${subs[0].cls} need ${vars[0].length} + ${vars[1].length}`);
  }
  let k = 0;
  subs.forEach((s, i) => { for (const v of vars[i]) store.set([...path, s.name], v.name, arrays[k++].w); });
}

/**
 * Keras Bidirectional(LSTM): a forward and a backward copy of the LSTM (Keras names them forward_<name> and
 * backward_<name>, the backward one with go_backwards flipped), each converted as above; with return_sequences the
 * backward outputs are reversed back to input time order (Keras does so), then merged: concat on the last axis,
 * sum, mul, or ave. return_sequences=False merges each copy's last step.
 */
function bidirectional(ctx: Ctx, x: number, cfg: Record<string, any>, path: string[]): number {
  const e = ctx.e;
  const name = path.join('/');
  const inner = cfg.layer?.config ?? {};
  const [forward, backward] = bidirectionalSublayers(cfg);
  const fwd = lstm(ctx, x, forward.cfg, [...path, forward.name]);
  let bwd = lstm(ctx, x, backward.cfg, [...path, backward.name]);
  const s = e.shape(fwd);
  if (inner.return_sequences) bwd = e.op('REVERSE_V2', [bwd, e.constI(`${name}/time_axis`, [1], [1])], `${name}/backward_in_time_order`, s);
  const mode = cfg.merge_mode ?? 'concat';
  switch (mode) {
    case 'concat': {
      const out = [...s];
      out[out.length - 1] *= 2;
      return e.op('CONCATENATION', [fwd, bwd], name, out, { axis: s.length - 1 });
    }
    case 'sum': return e.op('ADD', [fwd, bwd], name, s);
    case 'mul': return e.op('MUL', [fwd, bwd], name, s);
    case 'ave': {
      const sum = e.op('ADD', [fwd, bwd], `${name}/sum`, s);
      return e.op('MUL', [sum, e.constF(`${name}/half`, [], [0.5])], name, s);
    }
    default: throw new UnsupportedError(`${ctx.src.file}: layer '${name}' (Bidirectional) merge_mode '${mode}' is not supported`);
  }
}

function padPairs(v: unknown): [[number, number], [number, number]] {
  if (typeof v === 'number') return [[v, v], [v, v]];
  const a = v as any[];
  if (typeof a[0] === 'number') return [[a[0], a[0]], [a[1], a[1]]];
  return [[a[0][0], a[0][1]], [a[1][0], a[1][1]]];
}

// ---------------------------------------------------------------------------------------------------------------
// Model structure: Sequential, Functional, nested models

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

function toDType(ctx: Ctx, d: string, where: string): DType {
  if (d === 'float32' || d === 'int32') return d;
  if (d === 'float16' || d === 'float64' || d === 'mixed_float16') return 'float32';
  if (d === 'int64') return 'int32';
  throw new UnsupportedError(`${ctx.src.file}: ${where} has dtype ${d}`);
}

function makeGraphInput(ctx: Ctx, name: string, cfg: Record<string, any>): number {
  const { shape, dtype } = inputSpec(cfg);
  if (!shape) throw new ModelFormatError(`${ctx.src.file}: input '${name}' has no shape (batch_input_shape / batch_shape)`);
  if (!Array.isArray(shape) || !shape.every((d) => d === null || d === undefined || (Number.isSafeInteger(d) && d >= 0))) {
    throw new ModelFormatError(`${ctx.src.file}: input '${name}' has shape ${JSON.stringify(shape)} (want a list of non-negative integers or nulls)`);
  }
  const rest = shape.slice(1);
  if (rest.some((d) => d === null || d === undefined)) {
    throw new UnsupportedError(`${ctx.src.file}: input '${name}' has unknown dimensions [${shape.map((d) => d ?? 'None')}]; only the batch dimension may be unknown`);
  }
  const dims = [1, ...(rest as number[])];
  const t = ctx.e.b.addInput({ name, shape: dims, dtype: toDType(ctx, dtype, `input '${name}'`), shapeSignature: [-1, ...(rest as number[])] });
  return t;
}

/**
 * How a nested model's calls are numbered in references to it. A nested Functional model's own construction is its
 * node 0, so its calls count from 1: Keras 3 for every Functional (not Sequential); Keras 2 for models whose first
 * layer is an InputLayer (Sequential included); TF.js also for Sequential models that list no InputLayer. So call
 * i of `inbound_nodes` is node i + 1 when that rule says so, or when references name a node past the last call.
 */
/** Keras 3 writes inbound nodes as {args, kwargs} objects (Keras 2 and TF.js: lists). */
function isKeras3Config(layers: KerasLayerJson[]): boolean {
  return layers.some((l) => (l.inbound_nodes ?? []).some((n) => n !== null && typeof n === 'object' && !Array.isArray(n)));
}

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

/** Convert a model config; `inputs` are the tensors it is called on (null at the top level: make graph inputs). */
function convertModel(ctx: Ctx, model: KerasLayerJson, inputs: number[] | null, prefix: string[]): number[] {
  const layers = modelLayers(model);
  const isSequential = model.class_name === 'Sequential' || Array.isArray(model.config);
  if (isSequential) {
    let body = layers;
    let x: number;
    if (inputs) {
      if (inputs[0] === undefined) throw new ModelFormatError(`${ctx.src.file}: nested model '${prefix.join('/')}' is called with no input`);
      x = inputs[0];
      if (body[0]?.class_name === 'InputLayer') body = body.slice(1);
    } else if (body[0]?.class_name === 'InputLayer') {
      x = makeGraphInput(ctx, layerName(body[0]), body[0].config);
      body = body.slice(1);
    } else {
      const first = body[0];
      if (!first) throw new ModelFormatError(`${ctx.src.file}: Sequential model '${layerName(model)}' has no layers`);
      const cfg = { ...first.config };
      if (!cfg.batch_input_shape && !cfg.batch_shape && !cfg.input_shape && (model.config as any).build_input_shape) {
        cfg.batch_input_shape = (model.config as any).build_input_shape;
      }
      x = makeGraphInput(ctx, `${layerName(first)}_input`, cfg);
    }
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
    const t = inputs ? inputs[i] : makeGraphInput(ctx, r[0], l.config ?? {});
    if (t === undefined) throw new ModelFormatError(`${ctx.src.file}: nested model '${prefix.join('/')}' called with ${inputs?.length} inputs, needs ${inputRefs.length}`);
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

/** Build the (unoptimized) TFLite graph of a Keras model. */
export function kerasToGraph(src: KerasSource): KerasConversion {
  if (!MODEL_CLASSES.has(src.model.class_name)) {
    throw new UnsupportedError(`${src.file}: top-level config is a '${src.model.class_name}', not a Sequential or Functional model`);
  }
  const problems: string[] = [];
  collectUnsupported(src.model, [], problems);
  if (problems.length) {
    throw new UnsupportedError(`${src.file}: ${problems.length} unsupported layer${problems.length > 1 ? 's' : ''}: ${problems.join('; ')}`);
  }
  const ctx: Ctx = { e: new Emitter(src.file), src, keras3: /^3\./.test(src.kerasVersion ?? '') };
  const outs = convertModel(ctx, src.model, null, []);
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
