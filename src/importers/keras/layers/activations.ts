// Activation layers: Activation (any Keras activation by name) and the parameterized ones, ReLU, LeakyReLU,
// PReLU, ELU, ThresholdedReLU, Softmax.

import { applyActivation, activationName, eluWithAlpha, lastAxis, weightsOf } from '../emit.js';
import { trainable, type KerasLayerConverter, type LayerVariable } from './layer.js';

const activation: KerasLayerConverter = {
  classNames: ['Activation'],
  convert: (ctx, cfg, [x], path) => [applyActivation(ctx, x, activationName(cfg.activation), path.join('/'))],
};

const relu: KerasLayerConverter = {
  classNames: ['ReLU'],
  convert(ctx, cfg, [x], path) {
    const e = ctx.e;
    const name = path.join('/');
    const s = e.shape(x);
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
  },
};

const leakyRelu: KerasLayerConverter = {
  classNames: ['LeakyReLU'],
  convert(ctx, cfg, [x], path) {
    const alpha = Number(cfg.negative_slope ?? cfg.alpha ?? 0.3);
    return [ctx.e.op('LEAKY_RELU', [x], path.join('/'), ctx.e.shape(x), { alpha })];
  },
};

const preluVariables = (): LayerVariable[] => [trainable('alpha')];

const prelu: KerasLayerConverter = {
  classNames: ['PReLU'],
  variables: preluVariables,
  convert(ctx, _cfg, [x], path) {
    const name = path.join('/');
    const alpha = weightsOf(ctx, path, preluVariables()).get('alpha')!;
    return [ctx.e.op('PRELU', [x, ctx.e.constF(`${name}/alpha`, alpha.shape, alpha.values)], name, ctx.e.shape(x))];
  },
};

const thresholdedRelu: KerasLayerConverter = {
  classNames: ['ThresholdedReLU'],
  convert(ctx, cfg, [x], path) {
    // Keras: x where x > theta, else 0.
    const e = ctx.e;
    const name = path.join('/');
    const s = e.shape(x);
    const theta = Number(cfg.theta ?? 1);
    const cond = e.op('GREATER', [x, e.constF(`${name}/theta`, [], [theta])], `${name}/above`, s, {}, 'bool');
    return [e.op('SELECT_V2', [cond, x, e.constF(`${name}/zero`, [], [0])], name, s)];
  },
};

const elu: KerasLayerConverter = {
  classNames: ['ELU'],
  convert: (ctx, cfg, [x], path) => [eluWithAlpha(ctx, x, Number(cfg.alpha ?? 1), path.join('/'))],
};

const softmax: KerasLayerConverter = {
  classNames: ['Softmax'],
  convert(ctx, cfg, [x], path) {
    const e = ctx.e;
    const name = path.join('/');
    const s = e.shape(x);
    const axis = lastAxis(cfg.axis, s.length, `layer '${name}'`);
    if (axis === s.length - 1) return [e.op('SOFTMAX', [x], name, s, { beta: 1 })];
    // TFLite's SOFTMAX works on the last axis: swap the softmax axis there and back (TF.js defaults to axis 1).
    const perm = s.map((_, i) => (i === axis ? s.length - 1 : i === s.length - 1 ? axis : i));
    const permT = e.constI(`${name}/perm`, [perm.length], perm);
    const ts = perm.map((p) => s[p]);
    const t = e.op('TRANSPOSE', [x, permT], `${name}/to_last`, ts);
    const sm = e.op('SOFTMAX', [t], `${name}/softmax`, ts, { beta: 1 });
    return [e.op('TRANSPOSE', [sm, permT], name, s)];
  },
};

export const ACTIVATION_LAYERS: readonly KerasLayerConverter[] = [activation, relu, leakyRelu, prelu, thresholdedRelu, elu, softmax];
