// Image resizing and depth/space rearrangement (NHWC; sizes and block sizes are constants).

import { isDynamicDim, out, type OpMapper } from './context.js';

const RESIZE: Readonly<Record<string, string>> = { ResizeBilinear: 'RESIZE_BILINEAR', ResizeNearestNeighbor: 'RESIZE_NEAREST_NEIGHBOR' };

const resize: OpMapper = {
  ops: Object.keys(RESIZE),
  map(ctx) {
    const s = ctx.shape(0);
    if (s.length !== 4) ctx.fail(`images must be rank 4 (NHWC), they are [${s}]`);
    // A size computed from the input's run-time size stays a tensor; the entries fixed whatever the size are known.
    const known = ctx.knownValue(1) ?? ctx.fail('its size (input 1) is computed at run time from values, not sizes');
    const size = Array.from(known.values, (v, i) => (known.unknown?.[i] ? NaN : Number(v)));
    if (size.length !== 2 || size.some((d) => !(d > 0) && !isDynamicDim(d))) ctx.fail(`size [${size}]`);
    const alignCorners = ctx.attr.bool('align_corners'), halfPixelCenters = ctx.attr.bool('half_pixel_centers');
    if (alignCorners && halfPixelCenters) ctx.fail('align_corners and half_pixel_centers both set');
    const sizeT = ctx.isConst(1) ? ctx.constI('size', [2], size) : ctx.tensor(1);
    return [out(ctx.emit(RESIZE[ctx.node.op], [ctx.tensor(0), sizeT], [s[0], size[0], size[1], s[3]], { alignCorners, halfPixelCenters }))];
  },
};

const depthSpace: OpMapper = {
  ops: ['DepthToSpace', 'SpaceToDepth'],
  map(ctx) {
    const s = ctx.shape(0);
    if (s.length !== 4) ctx.fail(`input must be rank 4 (NHWC), it is [${s}]`);
    const k = ctx.attr.int('block_size');
    if (!(k >= 2)) ctx.fail(`block_size ${k}`);
    const [n, h, w, c] = s;
    if (ctx.node.op === 'DepthToSpace') {
      if (c % (k * k) !== 0) ctx.fail(`${c} channels do not divide by block_size^2 = ${k * k}`);
      return [out(ctx.emit('DEPTH_TO_SPACE', [ctx.tensor(0)], [n, h * k, w * k, c / (k * k)], { blockSize: k }))];
    }
    if (h % k !== 0 || w % k !== 0) ctx.fail(`height ${h} / width ${w} do not divide by block_size ${k}`);
    return [out(ctx.emit('SPACE_TO_DEPTH', [ctx.tensor(0)], [n, h / k, w / k, c * k * k], { blockSize: k }))];
  },
};

export const IMAGE_MAPPERS: readonly OpMapper[] = [resize, depthSpace];
