// Padding and cropping layers: ZeroPadding1D/2D (PAD) and Cropping1D/2D (STRIDED_SLICE, as TF writes them).

import { isDynamicDim, pair, requireRank } from '../emit.js';
import type { KerasLayerConverter } from './layer.js';

/** Keras's 2D padding / cropping forms: n, [h, w] or [[top, bottom], [left, right]]. */
function padPairs(v: unknown): [[number, number], [number, number]] {
  if (typeof v === 'number') return [[v, v], [v, v]];
  const a = v as any[];
  if (typeof a[0] === 'number') return [[a[0], a[0]], [a[1], a[1]]];
  return [[a[0][0], a[0][1]], [a[1][0], a[1][1]]];
}

const zeroPadding2d: KerasLayerConverter = {
  classNames: ['ZeroPadding2D'],
  convert(ctx, cfg, [x], path) {
    const name = path.join('/');
    requireRank(ctx, x, 4, path, 'ZeroPadding2D');
    const [[t, b], [l, r]] = padPairs(cfg.padding);
    const [n, h, w, c] = ctx.e.shape(x);
    const pads = ctx.e.constI(`${name}/paddings`, [4, 2], [0, 0, t, b, l, r, 0, 0]);
    return [ctx.e.op('PAD', [x, pads], name, [n, h + t + b, w + l + r, c])];
  },
};

const cropping2d: KerasLayerConverter = {
  classNames: ['Cropping2D'],
  convert(ctx, cfg, [x], path) {
    const e = ctx.e;
    const name = path.join('/');
    requireRank(ctx, x, 4, path, 'Cropping2D');
    const [[t, b], [l, r]] = padPairs(cfg.cropping);
    const [n, h, w, c] = e.shape(x);
    const out = [n, h - t - b, w - l - r, c];
    // As TF writes it: STRIDED_SLICE, batch and channel axes masked (taken whole).
    const begin = e.constI(`${name}/begin`, [4], [0, t, l, 0]);
    const stridesT = e.constI(`${name}/strides`, [4], [1, 1, 1, 1]);
    if (isDynamicDim(h) || isDynamicDim(w)) {
      // A size known only at run time: end counted from the end (-b), an axis not cropped at its end masked.
      const end = e.constI(`${name}/end`, [4], [0, -b, -r, 0]);
      const endMask = 0b1001 | (b === 0 ? 0b10 : 0) | (r === 0 ? 0b100 : 0);
      return [e.op('STRIDED_SLICE', [x, begin, end, stridesT], name, out, { beginMask: 0b1001, endMask })];
    }
    const end = e.constI(`${name}/end`, [4], [0, h - b, w - r, 0]);
    return [e.op('STRIDED_SLICE', [x, begin, end, stridesT], name, out, { beginMask: 0b1001, endMask: 0b1001 })];
  },
};

const zeroPadding1d: KerasLayerConverter = {
  classNames: ['ZeroPadding1D'],
  convert(ctx, cfg, [x], path) {
    const name = path.join('/');
    requireRank(ctx, x, 3, path, 'ZeroPadding1D');
    const [l, r] = pair(cfg.padding, 1);
    const [n, len, c] = ctx.e.shape(x);
    return [ctx.e.op('PAD', [x, ctx.e.constI(`${name}/paddings`, [3, 2], [0, 0, l, r, 0, 0])], name, [n, len + l + r, c])];
  },
};

const cropping1d: KerasLayerConverter = {
  classNames: ['Cropping1D'],
  convert(ctx, cfg, [x], path) {
    const e = ctx.e;
    const name = path.join('/');
    requireRank(ctx, x, 3, path, 'Cropping1D');
    const [l, r] = pair(cfg.cropping, 1);
    const [n, len, c] = e.shape(x);
    const begin = e.constI(`${name}/begin`, [3], [0, l, 0]);
    const dynamic = isDynamicDim(len);
    // A length known only at run time: end counted from the end (-r), masked when nothing is cropped there.
    const end = e.constI(`${name}/end`, [3], [0, dynamic ? -r : len - r, 0]);
    const endMask = 0b101 | (dynamic && r === 0 ? 0b10 : 0);
    return [e.op('STRIDED_SLICE', [x, begin, end, e.constI(`${name}/strides`, [3], [1, 1, 1])], name, [n, len - l - r, c], { beginMask: 0b101, endMask })];
  },
};

export const PADDING_LAYERS: readonly KerasLayerConverter[] = [zeroPadding1d, zeroPadding2d, cropping1d, cropping2d];
