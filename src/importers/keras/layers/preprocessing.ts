// Preprocessing layers that are affine per-channel maps: Rescaling (x * scale + offset) and Normalization
// ((x - mean) / std, from its config or its stored mean and variance).

import { ModelFormatError } from '../../../errors.js';
import { prod, weightsOf, type Shape } from '../emit.js';
import { nonTrainable, type KerasLayerConverter, type LayerConfig, type LayerVariable } from './layer.js';

const rescaling: KerasLayerConverter = {
  classNames: ['Rescaling'],
  convert(ctx, cfg, [x], path) {
    const e = ctx.e;
    const name = path.join('/');
    const s = e.shape(x);
    const vec = (v: unknown, d: number) => (Array.isArray(v) ? v.map(Number) : [v == null ? d : Number(v)]);
    const scale = vec(cfg.scale, 1);
    const offset = vec(cfg.offset, 0);
    const cshape = (v: number[]) => (v.length === 1 ? [] : [v.length]);
    const hasOffset = offset.some((v) => v !== 0);
    let y = x;
    if (scale.some((v) => v !== 1)) y = e.op('MUL', [y, e.constF(`${name}/scale`, cshape(scale), scale)], hasOffset ? `${name}/scaled` : name, s);
    if (hasOffset) y = e.op('ADD', [y, e.constF(`${name}/offset`, cshape(offset), offset)], name, s);
    return [y];
  },
};

/** Stored statistics, unless the config carries them (Normalization(mean=..., variance=...)). */
const normalizationVariables = (cfg: LayerConfig): LayerVariable[] => (cfg.mean != null ? [] : [nonTrainable('mean'), nonTrainable('variance')]);

const normalization: KerasLayerConverter = {
  classNames: ['Normalization'],
  variables: normalizationVariables,
  unsupportedReason: (cfg) => (cfg.invert ? 'Normalization with invert=True' : null),
  convert(ctx, cfg, [x], path) {
    const e = ctx.e;
    const name = path.join('/');
    const s = e.shape(x);
    const axes = (Array.isArray(cfg.axis) ? cfg.axis : cfg.axis == null ? [] : [cfg.axis]).map((a: number) => (a < 0 ? a + s.length : a));
    let mean: Float32Array, variance: Float32Array;
    if (cfg.mean != null) {
      mean = Float32Array.from([].concat(cfg.mean));
      variance = Float32Array.from([].concat(cfg.variance));
    } else {
      const w = weightsOf(ctx, path, normalizationVariables(cfg));
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
  },
};

export const PREPROCESSING_LAYERS: readonly KerasLayerConverter[] = [rescaling, normalization];
