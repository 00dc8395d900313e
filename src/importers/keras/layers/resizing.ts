// Resizing layers: UpSampling1D (each step repeated, with TILE), UpSampling2D and Resizing (RESIZE_NEAREST_NEIGHBOR
// or RESIZE_BILINEAR).

import { isDynamicDim, pair, requireRank, reshape, type ConvertContext } from '../emit.js';
import type { KerasLayerConverter, LayerConfig } from './layer.js';

/** The interpolations TFLite's resize ops compute as Keras does. */
function nearestOrBilinear(cfg: LayerConfig): string | null {
  return ['nearest', 'bilinear', undefined].includes(cfg.interpolation) ? null : `interpolation '${cfg.interpolation}'`;
}

const upSampling1d: KerasLayerConverter = {
  classNames: ['UpSampling1D'],
  convert(ctx, cfg, [x], path) {
    // Keras repeats each step `size` times: [n, len, c] -> [n, len, 1, c] tiled to [n, len, size, c] -> [n, len*size, c].
    const e = ctx.e;
    const name = path.join('/');
    requireRank(ctx, x, 3, path, 'UpSampling1D');
    const f = pair(cfg.size, 2)[0];
    const [n, len, c] = e.shape(x);
    const x4 = reshape(ctx, x, [n, len, 1, c], `${name}/expand`);
    const t = e.op('TILE', [x4, e.constI(`${name}/multiples`, [4], [1, 1, f, 1])], `${name}/tile`, [n, len, f, c]);
    return [reshape(ctx, t, [n, len * f, c], name)];
  },
};

/**
 * The output size [h * fh, w * fw] of an image whose size is known only at run time, computed in the graph as TF's
 * converter writes it: SHAPE -> STRIDED_SLICE [1:3] -> MUL by the factors.
 */
function scaledSpatialSize(ctx: ConvertContext, x: number, factors: [number, number], name: string): number {
  const e = ctx.e;
  const shape = e.opUnbatched('SHAPE', [x], `${name}/shape`, [4], { outType: 'int32' });
  const hw = e.opUnbatched('STRIDED_SLICE', [shape, e.constI(`${name}/hw_begin`, [1], [1]), e.constI(`${name}/hw_end`, [1], [3]),
    e.constI(`${name}/hw_strides`, [1], [1])], `${name}/hw`, [2]);
  return e.opUnbatched('MUL', [hw, e.constI(`${name}/factors`, [2], factors)], `${name}/size`, [2]);
}

const upSampling2d: KerasLayerConverter = {
  classNames: ['UpSampling2D'],
  unsupportedReason: nearestOrBilinear,
  convert(ctx, cfg, [x], path) {
    const e = ctx.e;
    const name = path.join('/');
    requireRank(ctx, x, 4, path, 'UpSampling2D');
    const [fh, fw] = pair(cfg.size, 2);
    const [n, h, w, c] = e.shape(x);
    const size = isDynamicDim(h) || isDynamicDim(w) ? scaledSpatialSize(ctx, x, [fh, fw], name) : e.constI(`${name}/size`, [2], [h * fh, w * fw]);
    if (cfg.interpolation === 'bilinear') {
      return [e.op('RESIZE_BILINEAR', [x, size], name, [n, h * fh, w * fw, c], { halfPixelCenters: true })];
    }
    return [e.op('RESIZE_NEAREST_NEIGHBOR', [x, size], name, [n, h * fh, w * fw, c])];
  },
};

const resizing: KerasLayerConverter = {
  classNames: ['Resizing'],
  unsupportedReason(cfg) {
    return nearestOrBilinear(cfg)
      ?? (cfg.crop_to_aspect_ratio || cfg.pad_to_aspect_ratio ? 'crop_to_aspect_ratio / pad_to_aspect_ratio' : null);
  },
  convert(ctx, cfg, [x], path) {
    // Keras resizes with tf.image.resize: half-pixel centers, for nearest as for bilinear.
    const e = ctx.e;
    const name = path.join('/');
    requireRank(ctx, x, 4, path, 'Resizing');
    const [n, , , c] = e.shape(x);
    const oh = Number(cfg.height), ow = Number(cfg.width);
    const size = e.constI(`${name}/size`, [2], [oh, ow]);
    const op = cfg.interpolation === 'nearest' ? 'RESIZE_NEAREST_NEIGHBOR' : 'RESIZE_BILINEAR';
    return [e.op(op, [x, size], name, [n, oh, ow, c], { halfPixelCenters: true })];
  },
};

export const RESIZING_LAYERS: readonly KerasLayerConverter[] = [upSampling1d, upSampling2d, resizing];
