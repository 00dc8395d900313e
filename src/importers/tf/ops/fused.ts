// Grappler's fused ops (_FusedConv2D, FusedDepthwiseConv2dNative, _FusedMatMul, as TF.js graph models carry
// them): a linear op followed by `fused_ops` applied in order, their extra operands in `args`. Here the tail is
// written as plain ops (bias into the linear op, a batch norm as per-channel MUL + ADD, the activation); the float
// passes then fold and fuse them as TensorFlow's converter does.

import { applyActivation } from './activations.js';
import type { MapContext } from './context.js';

const ACTIVATIONS = new Set(['Relu', 'Relu6', 'Elu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Prelu']);

export interface FusedPlan {
  /** Bias constant for the linear op (from BiasAdd), or null. */
  bias: Float32Array | null;
  /** Batch norm folded to y * scale + offset, or null. */
  affine: { scale: Float32Array; offset: Float32Array } | null;
  activation: string | null;
  /** Input index of PReLU's alpha. */
  preluArg: number;
}

/** Read `fused_ops` and `args` (inputs from `firstArg` on) of a fused node; refused when unsupported. */
export function planFusedOps(ctx: MapContext, firstArg: number, channels: number): FusedPlan {
  const ops = ctx.attr.strings('fused_ops');
  const numArgs = ctx.attr.int('num_args');
  if (ctx.inputCount !== firstArg + numArgs) ctx.fail(`num_args ${numArgs} but ${ctx.inputCount - firstArg} extra inputs`);
  const plan: FusedPlan = { bias: null, affine: null, activation: null, preluArg: -1 };
  const channelArg = (k: number, what: string): Float32Array => {
    const c = ctx.constant(firstArg + k, what);
    if (c.values.length !== channels && c.values.length !== 1) ctx.fail(`${what} has ${c.values.length} values for ${channels} channels`);
    return Float32Array.from({ length: channels }, (_, i) => c.values[c.values.length === 1 ? 0 : i]);
  };
  let k = 0;
  let argsUsed = 0;
  if (ops[k] === 'BiasAdd') {
    plan.bias = channelArg(0, 'bias');
    argsUsed = 1;
    k++;
  } else if (ops[k] === 'FusedBatchNorm') {
    const [scale, offset, mean, variance] = ['scale', 'offset', 'mean', 'variance'].map((w, i) => channelArg(i, w));
    plan.affine = batchNormAffine(scale, offset, mean, variance, ctx.attr.float('epsilon'));
    argsUsed = 4;
    k++;
  }
  if (k < ops.length && ACTIVATIONS.has(ops[k])) {
    plan.activation = ops[k];
    if (ops[k] === 'Prelu') {
      plan.preluArg = firstArg + argsUsed;
      argsUsed++;
    }
    k++;
  }
  if (k !== ops.length) ctx.fail(`fused_ops [${ops.join(', ')}] is not a supported combination`);
  if (argsUsed !== numArgs) ctx.fail(`fused_ops [${ops.join(', ')}] take ${argsUsed} args, num_args is ${numArgs}`);
  return plan;
}

/** Inference batch norm as y = x * scale' + offset' (computed in double, rounded once). */
export function batchNormAffine(scale: ArrayLike<number>, offset: ArrayLike<number>, mean: ArrayLike<number>, variance: ArrayLike<number>, epsilon: number) {
  const n = scale.length;
  const s = new Float32Array(n), o = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const k = scale[i] / Math.sqrt(variance[i] + epsilon);
    s[i] = k;
    o[i] = offset[i] - mean[i] * k;
  }
  return { scale: s, offset: o };
}

/** Apply the planned batch norm and activation to y (the linear op's output, bias already in it). */
export function applyFusedTail(ctx: MapContext, y: number, plan: FusedPlan): number {
  const shape = [...ctx.shapeOf(y)];
  const c = shape[shape.length - 1];
  let x = y;
  if (plan.affine) {
    const last = !plan.activation;
    const m = ctx.emit('MUL', [x, ctx.constF('bn_scale', [c], plan.affine.scale)], shape, {}, undefined, 'bn_mul');
    x = ctx.emit('ADD', [m, ctx.constF('bn_offset', [c], plan.affine.offset)], shape, {}, undefined, last ? '' : 'bn_add');
  }
  if (plan.activation) {
    const alpha = plan.activation === 'LeakyRelu' ? ctx.attr.float('leakyrelu_alpha') : undefined;
    let preluAlpha: number | undefined;
    if (plan.preluArg >= 0) {
      const a = ctx.constant(plan.preluArg, 'PReLU alpha');
      // PReLU's alpha broadcasts over the input without its batch: shape [1, ..., 1, C] (rank - 1).
      const rank = shape.length;
      const aShape = a.values.length === 1 ? [1] : [...new Array(Math.max(rank - 2, 0)).fill(1), a.values.length];
      preluAlpha = ctx.constF('prelu_alpha', aShape, a.values);
    }
    x = applyActivation(ctx, x, plan.activation, '', { alpha, preluAlpha });
  }
  return x;
}

