// What every Keras layer converter shares: the emitter that adds TFLite ops with their shapes, the conversion
// context, weight lookup and shape checks, Keras activations, and the convolution / pooling / reshape cores that
// several layer families emit.

import { ModelFormatError, UnsupportedError } from '../../errors.js';
import { GraphBuilder } from '../../graph/builder.js';
import type { DType, OpOptions } from '../../graph/model.js';
import type { KerasSource, WeightArray } from './source.js';
import type { LayerVariable } from './layers/layer.js';
import { inputShapeHint, type DeclaredInput } from '../input-shapes.js';

/**
 * A tensor's shape as the layer converters compute it. A dimension that depends on an input's unknown size is NaN:
 * NaN propagates through the shape arithmetic (convOutSize, sums, products), so every layer's output shape says which
 * of its dimensions are dynamic without a rule per layer. The batch (dimension 0) is always concrete here (it is
 * dynamic in every signature anyway). A NaN that reaches a constant or an op option means the layer folded an unknown
 * size into the file: the emitter refuses it (dynamicSizeError).
 */
export type Shape = number[];

/** True for a dimension that depends on an unknown input size. */
export const isDynamicDim = (d: number): boolean => Number.isNaN(d);

/** Whether two dimensions may be equal: the same number, or either one unknown until run time. */
export const dimsMayMatch = (a: number, b: number): boolean => a === b || isDynamicDim(a) || isDynamicDim(b);

export class Emitter {
  readonly b = new GraphBuilder('main');
  /** Inputs whose unknown dimensions stay dynamic (NaN in the layers' shapes): named when a layer needs their size. */
  readonly dynamicInputs: DeclaredInput[] = [];
  /** The layer being converted ('path' (Class)), for errors about what it emits. */
  layer = '';
  /** Shapes with NaN for dynamic dimensions, where they differ from the builder's concrete shape. */
  private readonly symbolic = new Map<number, Shape>();
  constructor(readonly file: string) {}

  shape(t: number): Shape {
    return this.symbolic.get(t) ?? this.b.tensors[t].shape;
  }

  dtype(t: number): DType {
    return this.b.tensors[t].dtype;
  }

  /** A graph input whose unknown dimensions (-1 past the batch in `signature`) stay dynamic in every layer's shape. */
  dynamicInput(name: string, shape: Shape, signature: number[], dtype: DType): number {
    const t = this.b.addInput({ name, shape, dtype, shapeSignature: signature });
    this.dynamicInputs.push({ name, signature });
    this.symbolic.set(t, shape.map((d, i) => (i > 0 && signature[i] < 0 ? NaN : d)));
    return t;
  }

  /**
   * An activation tensor; batch (dim 0) is dynamic, as Keras models are: shape 1, signature -1. A dynamic dimension
   * (NaN) is written as TF's converter writes it: 1 in the shape, -1 in the signature.
   */
  act(name: string, shape: Shape, dtype: DType = 'float32'): number {
    if (!shape.every((d) => isDynamicDim(d) || (Number.isSafeInteger(d) && d >= 1))) throw this.badShape(name, shape);
    const concrete = shape.map((d) => (isDynamicDim(d) ? 1 : d));
    const sig = shape.length > 0 ? [-1, ...shape.slice(1).map((d) => (isDynamicDim(d) ? -1 : d))] : undefined;
    const t = this.b.addTensor({ name, shape: concrete, dtype, shapeSignature: sig });
    if (shape.some(isDynamicDim)) this.symbolic.set(t, [...shape]);
    return t;
  }

  /** A layer output with an empty or invalid dimension: the config is inconsistent, or the input size assumed is too small. */
  private badShape(name: string, shape: Shape): Error {
    const what = `${this.file}: layer output '${name}' would have shape [${shape}]`;
    return new ModelFormatError(`${what}: the layer does not fit its input`);
  }

  /**
   * The layer needs a size that is only known at run time (it would write it into a constant, an option or a
   * static reshape): UnsupportedError naming the layer and the flag that fixes the input's size.
   */
  dynamicSizeError(what: string): UnsupportedError {
    const [input] = this.dynamicInputs;
    const fix = input ? `; give the size of input '${input.name}' [${input.signature}] with ${inputShapeHint(input.name, input.signature)}` : '';
    return new UnsupportedError(`${this.file}: layer ${this.layer || '(model)'} cannot take inputs of unknown size: ${what}${fix}`);
  }

  private checkStatic(name: string, shape: Shape, values: ArrayLike<number>): void {
    if (this.dynamicInputs.length === 0) return;
    if (shape.some(isDynamicDim)) throw this.dynamicSizeError(`constant '${name}' would have shape [${shape.map((d) => (isDynamicDim(d) ? '?' : d))}]`);
    for (let i = 0; i < values.length; i++) {
      if (isDynamicDim(values[i])) throw this.dynamicSizeError(`constant '${name}' would hold a size known only at run time`);
    }
  }

  constF(name: string, shape: Shape, values: ArrayLike<number>): number {
    this.checkStatic(name, shape, values);
    return this.b.addConstant(name, 'float32', shape, Float32Array.from(values));
  }

  constI(name: string, shape: Shape, values: number[]): number {
    this.checkStatic(name, shape, values);
    return this.b.addConstant(name, 'int32', shape, Int32Array.from(values));
  }

  op(op: string, inputs: number[], outName: string, outShape: Shape, options: OpOptions = {}, dtype: DType = 'float32'): number {
    for (const [k, v] of Object.entries(options)) {
      if (typeof v === 'number' && isDynamicDim(v)) throw this.dynamicSizeError(`${op} '${outName}' would take option ${k} from a size known only at run time`);
    }
    const out = this.act(outName, outShape, dtype);
    this.b.addOp(op, inputs, [out], options);
    return out;
  }

  /** An op computing a small tensor with no batch axis (a shape or a size vector): its signature is its shape. */
  opUnbatched(op: string, inputs: number[], outName: string, outShape: Shape, options: OpOptions = {}, dtype: DType = 'int32'): number {
    const out = this.b.addTensor({ name: outName, shape: outShape, dtype });
    this.b.addOp(op, inputs, [out], options);
    return out;
  }
}

export function pair(v: unknown, dflt: number): [number, number] {
  if (v === null || v === undefined) return [dflt, dflt];
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return a.length === 1 ? [a[0], a[0]] : [a[0], a[1]];
}

export function convOutSize(n: number, k: number, s: number, d: number, padding: string): number {
  const eff = (k - 1) * d + 1;
  return padding === 'same' ? Math.ceil(n / s) : Math.floor((n - eff) / s) + 1;
}

export function prod(a: number[]): number {
  let p = 1;
  for (const x of a) p *= x;
  return p;
}

/** Keras kernel [kh, kw, in, out] -> TFLite [out, kh, kw, in] (OHWI). */
export function hwioToOhwi(w: WeightArray): Float32Array {
  const [kh, kw, ci, co] = w.shape;
  const out = new Float32Array(w.values.length);
  const src = w.values;
  for (let h = 0; h < kh; h++) for (let x = 0; x < kw; x++) for (let i = 0; i < ci; i++) {
    const base = ((h * kw + x) * ci + i) * co;
    for (let o = 0; o < co; o++) out[((o * kh + h) * kw + x) * ci + i] = src[base + o];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Layer conversion
/** What every layer converter works with. */
export interface ConvertContext {
  e: Emitter;
  src: KerasSource;
  /** Keras 3 semantics where they differ from Keras 2 / TF.js (hard_sigmoid). */
  keras3: boolean;
}

/** A layer's stored weights, by the variable names its converter declares. */
export function weightsOf(ctx: ConvertContext, path: string[], variables: LayerVariable[]): Map<string, WeightArray> {
  return ctx.src.layerWeights(path, variables.map((v) => v.name));
}

export function expectShape(ctx: ConvertContext, path: string[], w: WeightArray, shape: Shape, what: string): void {
  if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
    throw new ModelFormatError(`${ctx.src.file}: layer '${path.join('/')}' ${what} has shape [${w.shape}], expected [${shape}]`);
  }
}

export function requireRank(ctx: ConvertContext, x: number, rank: number, path: string[], cls: string): void {
  const r = ctx.e.shape(x).length;
  if (r !== rank) throw new UnsupportedError(`${ctx.src.file}: layer '${path.join('/')}' (${cls}) needs a rank-${rank} input, got rank ${r}`);
}

export function lastAxis(axis: unknown, rank: number, what: string): number {
  const a = Array.isArray(axis) ? axis : [axis ?? -1];
  if (a.length !== 1) throw new UnsupportedError(`${what}: axis ${JSON.stringify(axis)} (one axis only)`);
  const v = Number(a[0]);
  return v < 0 ? v + rank : v;
}

// ---------------------------------------------------------------------------------------------------------------
// Activations

/** Activation names the converter emits (applyActivation). */
export const ACTIVATIONS = new Set([
  'linear', 'relu', 'relu6', 'sigmoid', 'hard_sigmoid', 'tanh', 'softmax', 'swish', 'silu', 'gelu', 'elu', 'selu',
  'softplus', 'softsign', 'exponential', 'leaky_relu', 'hard_swish', 'hard_silu', 'log_softmax', 'mish',
]);


export function activationName(a: unknown): string {
  if (a === null || a === undefined) return 'linear';
  // TF.js writes camelCase identifiers ('hardSigmoid'); Keras snake_case.
  if (typeof a === 'string') return a.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  if (typeof a === 'object' && typeof (a as any).class_name === 'string') {
    const c = (a as any).class_name as string;
    return c === 'function' ? String((a as any).config).toLowerCase() : c.toLowerCase();
  }
  return String(a);
}


/** A layer's `activation` applied to its main op's output `y`; the result takes the layer's name. */
export function withActivation(ctx: ConvertContext, y: number, cfg: Record<string, any>, name: string): number {
  return applyActivation(ctx, y, activationName(cfg.activation), name);
}

/** The name of a layer's main op: the layer's own unless an activation follows (then the activation takes it). */
export function mainOpName(cfg: Record<string, any>, name: string): string {
  return activationName(cfg.activation) === 'linear' ? name : `${name}/pre_activation`;
}

/** Apply a Keras activation to x; the result is named `name`. */
export function applyActivation(ctx: ConvertContext, x: number, act: string, name: string): number {
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
export function eluWithAlpha(ctx: ConvertContext, x: number, alpha: number, name: string): number {
  const e = ctx.e;
  const s = e.shape(x);
  if (alpha === 1) return e.op('ELU', [x], name, s);
  const elu = e.op('ELU', [x], `${name}/elu`, s);
  const neg = e.op('MINIMUM', [elu, e.constF(`${name}/zero`, [], [0])], `${name}/neg`, s);
  const negS = e.op('MUL', [neg, e.constF(`${name}/alpha`, [], [alpha])], `${name}/neg_scaled`, s);
  const pos = e.op('RELU', [x], `${name}/pos`, s);
  return e.op('ADD', [pos, negS], name, s);
}

// ---------------------------------------------------------------------------------------------------------------
// Cores several layer families emit

export function conv2dCore(ctx: ConvertContext, x: number, kernelOhwi: Float32Array, kshape: Shape, bias: Float32Array | null,
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

export function depthwiseCore(ctx: ConvertContext, x: number, dk: WeightArray, bias: Float32Array | null, strides: [number, number],
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

export function reshape(ctx: ConvertContext, x: number, shape: Shape, name: string): number {
  if (shape.some(isDynamicDim)) return reshapeDynamic(ctx, x, shape, name);
  // Batch stays dynamic (-1) in the new-shape constant, as TF writes it.
  const newShape = [-1, ...shape.slice(1)];
  return ctx.e.op('RESHAPE', [x, ctx.e.constI(`${name}/shape`, [newShape.length], newShape)], name, shape);
}

/**
 * A reshape whose shape has dimensions known only at run time, where a RESHAPE constant would need two -1s (the
 * batch and the unknown size): only inserting or removing one size-1 axis can be written without the size, as
 * EXPAND_DIMS or SQUEEZE (TF's converter writes the same for expand_dims / squeeze).
 */
function reshapeDynamic(ctx: ConvertContext, x: number, shape: Shape, name: string): number {
  const e = ctx.e;
  const s = e.shape(x);
  const same = (a: Shape, b: Shape) => a.length === b.length && a.every((d, i) => d === b[i] || (isDynamicDim(d) && isDynamicDim(b[i])));
  for (let axis = 1; axis <= s.length && shape.length === s.length + 1; axis++) {
    if (shape[axis] === 1 && same([...shape.slice(0, axis), ...shape.slice(axis + 1)], s)) {
      return e.op('EXPAND_DIMS', [x, e.constI(`${name}/axis`, [], [axis])], name, shape);
    }
  }
  for (let axis = 1; axis < s.length && shape.length === s.length - 1; axis++) {
    if (s[axis] === 1 && same([...s.slice(0, axis), ...s.slice(axis + 1)], shape)) {
      return e.op('SQUEEZE', [x], name, shape, { squeezeDims: [axis] });
    }
  }
  const show = (a: Shape) => `[${a.map((d) => (isDynamicDim(d) ? '?' : d))}]`;
  throw e.dynamicSizeError(`it reshapes ${show(s.slice(1))} to ${show(shape.slice(1))}, which needs sizes known only at run time`);
}
