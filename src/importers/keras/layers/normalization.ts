// Normalization layers: BatchNormalization (folded at conversion into one per-channel MUL and ADD, which the
// graph passes then fold into the convolution before it) and LayerNormalization (MEAN / SUB / RSQRT steps).

import { ModelFormatError } from '../../../errors.js';
import { lastAxis, weightsOf, type ConvertContext } from '../emit.js';
import { nonTrainable, trainable, type KerasLayerConverter, type LayerConfig, type LayerVariable } from './layer.js';

/** Per-channel constant of `values` broadcast along `axis` of an input of rank `rank` (shape [C] on the last axis). */
function channelConst(ctx: ConvertContext, name: string, values: ArrayLike<number>, axis: number, rank: number): number {
  const shape = axis === rank - 1 ? [values.length] : Array.from({ length: rank - axis }, (_, i) => (i === 0 ? values.length : 1));
  return ctx.e.constF(name, shape, values);
}

/** gamma unless scale=False, beta unless center=False. */
const affineVariables = (cfg: LayerConfig): LayerVariable[] =>
  [...(cfg.scale !== false ? [trainable('gamma')] : []), ...(cfg.center !== false ? [trainable('beta')] : [])];

const batchNormVariables = (cfg: LayerConfig): LayerVariable[] => [...affineVariables(cfg), nonTrainable('moving_mean'), nonTrainable('moving_variance')];

const batchNormalization: KerasLayerConverter = {
  classNames: ['BatchNormalization', 'BatchNormalizationV1', 'BatchNormalizationV2'],
  variables: batchNormVariables,
  convert(ctx, cfg, [x], path) {
    const e = ctx.e;
    const name = path.join('/');
    const s = e.shape(x);
    const axis = lastAxis(cfg.axis, s.length, `layer '${name}'`);
    const w = weightsOf(ctx, path, batchNormVariables(cfg));
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
  },
};

const layerNormalization: KerasLayerConverter = {
  classNames: ['LayerNormalization'],
  variables: affineVariables,
  unsupportedReason: (cfg) => (cfg.rms_scaling ? 'rms_scaling=True' : null),
  convert(ctx, cfg, [x], path) {
    const e = ctx.e;
    const name = path.join('/');
    const s = e.shape(x);
    const axes = (Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1]).map((a: number) => (a < 0 ? a + s.length : a)).sort();
    const w = weightsOf(ctx, path, affineVariables(cfg));
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
  },
};

export const NORMALIZATION_LAYERS: readonly KerasLayerConverter[] = [batchNormalization, layerNormalization];
