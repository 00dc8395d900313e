// Pooling layers: max and average pooling in 1D (over a height-1 image) and 2D, and their global forms
// (MEAN / REDUCE_MAX over the spatial axes).

import { convOutSize, pair, requireRank, reshape, type ConvertContext } from '../emit.js';
import type { KerasLayerConverter } from './layer.js';

function pool2d(ctx: ConvertContext, op: string, x: number, pool: [number, number], strides: [number, number], padding: string, name: string): number {
  const [n, h, w, c] = ctx.e.shape(x);
  const out = [n, convOutSize(h, pool[0], strides[0], 1, padding), convOutSize(w, pool[1], strides[1], 1, padding), c];
  return ctx.e.op(op, [x], name, out, {
    padding: padding === 'same' ? 'SAME' : 'VALID', strideH: strides[0], strideW: strides[1], filterHeight: pool[0], filterWidth: pool[1],
  });
}

function pooling2d(className: string, alias: string, op: string): KerasLayerConverter {
  return {
    classNames: [className, alias],
    convert(ctx, cfg, [x], path) {
      requireRank(ctx, x, 4, path, className);
      const pool = pair(cfg.pool_size, 2);
      const strides = cfg.strides == null ? pool : pair(cfg.strides, 1);
      return [pool2d(ctx, op, x, pool, strides, cfg.padding ?? 'valid', path.join('/'))];
    },
  };
}

function pooling1d(className: string, alias: string, op: string): KerasLayerConverter {
  return {
    classNames: [className, alias],
    convert(ctx, cfg, [x], path) {
      const name = path.join('/');
      requireRank(ctx, x, 3, path, className);
      const [n, len, c] = ctx.e.shape(x);
      const p = pair(cfg.pool_size, 2)[0];
      const st = cfg.strides == null ? p : pair(cfg.strides, 1)[0];
      const x4 = reshape(ctx, x, [n, 1, len, c], `${name}/expand`);
      const y4 = pool2d(ctx, op, x4, [1, p], [1, st], cfg.padding ?? 'valid', `${name}/pool`);
      return [reshape(ctx, y4, [n, ctx.e.shape(y4)[2], c], name)];
    },
  };
}

function globalPooling(className: string, alias: string, op: 'MEAN' | 'REDUCE_MAX', axes: number[]): KerasLayerConverter {
  return {
    classNames: [className, alias],
    convert(ctx, cfg, [x], path) {
      const name = path.join('/');
      requireRank(ctx, x, axes.length + 2, path, className);
      const s = ctx.e.shape(x);
      const keep = cfg.keepdims === true;
      const out = keep ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));
      return [ctx.e.op(op, [x, ctx.e.constI(`${name}/axes`, [axes.length], axes)], name, out, { keepDims: keep })];
    },
  };
}

export const POOLING_LAYERS: readonly KerasLayerConverter[] = [
  pooling2d('MaxPooling2D', 'MaxPool2D', 'MAX_POOL_2D'),
  pooling2d('AveragePooling2D', 'AvgPool2D', 'AVERAGE_POOL_2D'),
  pooling1d('MaxPooling1D', 'MaxPool1D', 'MAX_POOL_2D'),
  pooling1d('AveragePooling1D', 'AvgPool1D', 'AVERAGE_POOL_2D'),
  globalPooling('GlobalAveragePooling2D', 'GlobalAvgPool2D', 'MEAN', [1, 2]),
  globalPooling('GlobalMaxPooling2D', 'GlobalMaxPool2D', 'REDUCE_MAX', [1, 2]),
  globalPooling('GlobalAveragePooling1D', 'GlobalAvgPool1D', 'MEAN', [1]),
  globalPooling('GlobalMaxPooling1D', 'GlobalMaxPool1D', 'REDUCE_MAX', [1]),
];
