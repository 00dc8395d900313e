// Activations. Those TFLite has as builtins map one to one (declared as data); Selu has none and is written with
// builtins. applyActivation is shared with the fused conv / matmul mappers (grappler's fused_ops).

import type { OpOptions } from '../../../graph/model.js';
import type { Attrs } from '../attrs.js';
import { out, type MapContext, type OpMapper } from './context.js';

interface UnarySpec {
  tf: string;
  tflite: string;
  options?: (a: Attrs) => OpOptions;
}

/** One-input ops whose output has the input's shape and type. */
const UNARY: readonly UnarySpec[] = [
  { tf: 'Relu', tflite: 'RELU' },
  { tf: 'Relu6', tflite: 'RELU6' },
  { tf: 'Elu', tflite: 'ELU' },
  { tf: 'Sigmoid', tflite: 'LOGISTIC' },
  { tf: 'Tanh', tflite: 'TANH' },
  { tf: 'LeakyRelu', tflite: 'LEAKY_RELU', options: (a) => ({ alpha: a.float('alpha') }) },
  // TF's Softmax and LogSoftmax work on the last axis, as TFLite's do.
  { tf: 'Softmax', tflite: 'SOFTMAX', options: () => ({ beta: 1 }) },
  { tf: 'LogSoftmax', tflite: 'LOG_SOFTMAX' },
  { tf: 'Abs', tflite: 'ABS' },
  { tf: 'Neg', tflite: 'NEG' },
  { tf: 'Exp', tflite: 'EXP' },
  { tf: 'Log', tflite: 'LOG' },
  { tf: 'Sqrt', tflite: 'SQRT' },
  { tf: 'Rsqrt', tflite: 'RSQRT' },
  { tf: 'Square', tflite: 'SQUARE' },
  { tf: 'Floor', tflite: 'FLOOR' },
  { tf: 'Ceil', tflite: 'CEIL' },
];

const unaryMappers: OpMapper[] = UNARY.map((s) => ({
  ops: [s.tf],
  map: (ctx) => [out(ctx.emit(s.tflite, [ctx.tensor(0)], [...ctx.shape(0)], s.options?.(ctx.attr) ?? {}))],
}));

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** Activations by TensorFlow op name applied to tensor x (the last op writes `suffix`, '' = the node's name). */
export function applyActivation(ctx: MapContext, x: number, act: string, suffix: string, params: { alpha?: number; preluAlpha?: number } = {}): number {
  const s = [...ctx.shapeOf(x)];
  const sub = (k: string) => (suffix ? `${suffix}/${k}` : k);
  switch (act) {
    case 'Relu': return ctx.emit('RELU', [x], s, {}, undefined, suffix);
    case 'Relu6': return ctx.emit('RELU6', [x], s, {}, undefined, suffix);
    case 'Elu': return ctx.emit('ELU', [x], s, {}, undefined, suffix);
    case 'Sigmoid': return ctx.emit('LOGISTIC', [x], s, {}, undefined, suffix);
    case 'Tanh': return ctx.emit('TANH', [x], s, {}, undefined, suffix);
    case 'LeakyRelu': return ctx.emit('LEAKY_RELU', [x], s, { alpha: params.alpha ?? 0.2 }, undefined, suffix);
    case 'Prelu': return ctx.emit('PRELU', [x, params.preluAlpha!], s, {}, undefined, suffix);
    case 'Selu': {
      // scale * (max(x, 0) + alpha * min(elu(x), 0)): TFLite has no SELU.
      const pos = ctx.emit('RELU', [x], s, {}, undefined, sub('pos'));
      const elu = ctx.emit('ELU', [x], s, {}, undefined, sub('elu'));
      const neg = ctx.emit('MINIMUM', [elu, ctx.constF(sub('zero'), [], [0])], s, {}, undefined, sub('neg'));
      const negS = ctx.emit('MUL', [neg, ctx.constF(sub('alpha_scale'), [], [SELU_ALPHA * SELU_SCALE])], s, {}, undefined, sub('neg_scaled'));
      const posS = ctx.emit('MUL', [pos, ctx.constF(sub('scale'), [], [SELU_SCALE])], s, {}, undefined, sub('pos_scaled'));
      return ctx.emit('ADD', [posS, negS], s, {}, undefined, suffix);
    }
    default: return ctx.fail(`activation '${act}' is not supported`);
  }
}

const selu: OpMapper = { ops: ['Selu'], map: (ctx) => [out(applyActivation(ctx, ctx.tensor(0), 'Selu', ''))] };

export const ACTIVATION_MAPPERS: readonly OpMapper[] = [...unaryMappers, selu];
