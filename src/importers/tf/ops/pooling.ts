// MaxPool / AvgPool (NHWC, ksize and strides [1, h, w, 1]) -> MAX_POOL_2D / AVERAGE_POOL_2D.

import { out, type OpMapper } from './context.js';
import { readWindow, spatialPair, windowOutSize } from './conv.js';

const POOLS: Readonly<Record<string, string>> = { MaxPool: 'MAX_POOL_2D', AvgPool: 'AVERAGE_POOL_2D' };

const pool: OpMapper = {
  ops: Object.keys(POOLS),
  map(ctx) {
    const [kh, kw] = spatialPair(ctx, 'ksize');
    // Explicit pool padding is not zero padding (a max pool ignores it): refused rather than emulated wrongly.
    if (ctx.attr.string('padding') === 'EXPLICIT') ctx.fail('explicit padding');
    const win = readWindow(ctx, ctx.tensor(0), false);
    const s = ctx.shapeOf(win.x);
    if (s.length !== 4) ctx.fail(`input must be rank 4 (NHWC), it is [${s}]`);
    const shape = [s[0], windowOutSize(s[1], kh, win.strides[0], 1, win.padding), windowOutSize(s[2], kw, win.strides[1], 1, win.padding), s[3]];
    return [out(ctx.emit(POOLS[ctx.node.op], [win.x], shape, {
      padding: win.padding, strideH: win.strides[0], strideW: win.strides[1], filterHeight: kh, filterWidth: kw,
    }))];
  },
};

export const POOLING_MAPPERS: readonly OpMapper[] = [pool];
