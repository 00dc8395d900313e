// Rearrangements between space, depth and batch (NHWC): DEPTH_TO_SPACE, SPACE_TO_DEPTH, SPACE_TO_BATCH_ND and
// BATCH_TO_SPACE_ND. Each is an index map built at prepare (one gather per element at eval), so every dtype moves
// raw values; quantized outputs share the input's parameters, and SPACE_TO_BATCH_ND's padding is the output's zero
// point (a real 0), as TFLite pads.
//   DEPTH_TO_SPACE: out[n, h*b + dy, w*b + dx, c] = in[n, h, w, (dy*b + dx)*C_out + c]
//   SPACE_TO_DEPTH: the inverse.
//   SPACE_TO_BATCH_ND: out[(offset)*N + n, o_i, ...rest] = padded[n, o_i*block_i + off_i, ...rest], offsets row-major.
//   BATCH_TO_SPACE_ND: the inverse, then `crops` removed from each spatial dimension.

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { chargeActive } from '../budget.js';
import { gatherEval, type GatherPlan } from './index-map.js';
import { checkGeneratedShape, constIntValues, isQuant, requireDtype, requireInput, sizeOf, stridesOf } from './shape-util.js';

const DTYPES = ['float32', 'int32', 'int64', 'int8', 'uint8', 'int16'];

function nhwcInput(ctx: PrepareContext, op: string): { input: RuntimeTensor; block: number } {
  const input = requireInput(ctx, 0);
  requireDtype(ctx, input, DTYPES);
  if (input.shape.length !== 4) ctx.unsupported(`${op} needs a 4-D NHWC input, got [${input.shape}]`);
  const block = Number(ctx.options.blockSize ?? 0);
  if (!Number.isInteger(block) || block < 1) ctx.unsupported(`${op} block_size ${ctx.options.blockSize} must be a positive integer`);
  return { input, block };
}

/** For every element of `shape` (row-major), `source(coords)`: the input flat index or -1 (padding). */
function mapOver(shape: readonly number[], source: (c: Int32Array) => number): Int32Array {
  const total = sizeOf(shape);
  chargeActive(4 * total, 'the index map');
  const map = new Int32Array(total);
  const c = new Int32Array(shape.length);
  for (let k = 0; k < total; k++) {
    map[k] = source(c);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++c[d] < shape[d]) break;
      c[d] = 0;
    }
  }
  return map;
}

export const depthToSpaceKernel: Kernel<GatherPlan> = {
  op: 'DEPTH_TO_SPACE',
  maxVersion: 2,
  prepare(ctx) {
    const { input, block } = nhwcInput(ctx, 'DEPTH_TO_SPACE');
    const [n, h, w, c] = input.shape;
    if (c % (block * block) !== 0) ctx.unsupported(`DEPTH_TO_SPACE depth ${c} is not a multiple of block_size² ${block * block}`);
    const oc = c / (block * block);
    const shape = [n, h * block, w * block, oc];
    checkGeneratedShape(ctx, shape, 'DEPTH_TO_SPACE output');
    const out = ctx.outputs[0];
    out.dtype = input.dtype;
    out.shape = shape;
    const s = stridesOf(input.shape);
    const map = mapOver(shape, ([b, y, x, ch]) =>
      b * s[0] + Math.floor(y / block) * s[1] + Math.floor(x / block) * s[2] + (((y % block) * block + (x % block)) * oc + ch));
    return { map, fill: 0 };
  },
  eval: gatherEval,
};

export const spaceToDepthKernel: Kernel<GatherPlan> = {
  op: 'SPACE_TO_DEPTH',
  maxVersion: 2,
  prepare(ctx) {
    const { input, block } = nhwcInput(ctx, 'SPACE_TO_DEPTH');
    const [n, h, w, c] = input.shape;
    if (h % block !== 0 || w % block !== 0) ctx.unsupported(`SPACE_TO_DEPTH height ${h} and width ${w} must be multiples of block_size ${block}`);
    const shape = [n, h / block, w / block, c * block * block];
    const out = ctx.outputs[0];
    out.dtype = input.dtype;
    out.shape = shape;
    const s = stridesOf(input.shape);
    const map = mapOver(shape, ([b, y, x, ch]) => {
      const k = Math.floor(ch / c);
      return b * s[0] + (y * block + Math.floor(k / block)) * s[1] + (x * block + (k % block)) * s[2] + (ch % c);
    });
    return { map, fill: 0 };
  },
  eval: gatherEval,
};

/** Input with batch + M spatial dims (+ rest), the block shape and the [M, 2] pad/crop amounts. */
function batchSpaceArgs(ctx: PrepareContext, op: string, what: string) {
  const input = requireInput(ctx, 0);
  requireDtype(ctx, input, DTYPES);
  const block = constIntValues(ctx, requireInput(ctx, 1), `${op} block_shape`);
  const amounts = constIntValues(ctx, requireInput(ctx, 2), `${op} ${what}`);
  const m = block.length;
  // TFLite's kernels take 3-D and 4-D inputs: batch, rank - 2 spatial dimensions, depth.
  if (input.shape.length < 3 || input.shape.length > 4) ctx.unsupported(`${op} needs a 3-D or 4-D input, got [${input.shape}]`);
  if (m !== input.shape.length - 2) ctx.unsupported(`${op} block_shape [${block}] needs ${input.shape.length - 2} values for input [${input.shape}]`);
  if (amounts.length !== 2 * m) ctx.unsupported(`${op} ${what} hold ${amounts.length} values, need ${m}x2`);
  if (block.some((b) => b < 1)) ctx.unsupported(`${op} block_shape [${block}] must be positive`);
  if (amounts.some((p) => p < 0)) ctx.unsupported(`${op} ${what} [${amounts}] must not be negative`);
  return { input, block, amounts, m };
}

/** Offsets within one block, row-major over the block dims, for block offset index `k`. */
function blockOffsets(block: readonly number[], k: number): number[] {
  const off = new Array<number>(block.length);
  for (let i = block.length - 1; i >= 0; i--) {
    off[i] = k % block[i];
    k = Math.floor(k / block[i]);
  }
  return off;
}

export const spaceToBatchNdKernel: Kernel<GatherPlan> = {
  op: 'SPACE_TO_BATCH_ND',
  maxVersion: 4,
  prepare(ctx) {
    const { input, block, amounts: pads, m } = batchSpaceArgs(ctx, 'SPACE_TO_BATCH_ND', 'paddings');
    const batch = input.shape[0];
    const blocks = sizeOf(block);
    const shape = input.shape.slice();
    shape[0] = batch * blocks;
    for (let i = 0; i < m; i++) {
      const padded = input.shape[i + 1] + pads[2 * i] + pads[2 * i + 1];
      if (padded % block[i] !== 0) ctx.unsupported(`SPACE_TO_BATCH_ND padded dimension ${padded} is not a multiple of block ${block[i]}`);
      shape[i + 1] = padded / block[i];
    }
    checkGeneratedShape(ctx, shape, 'SPACE_TO_BATCH_ND output');
    const out = ctx.outputs[0];
    out.dtype = input.dtype;
    out.shape = shape;
    const s = stridesOf(input.shape);
    const offsets = Array.from({ length: blocks }, (_, k) => blockOffsets(block, k));
    const map = mapOver(shape, (c) => {
      const off = offsets[Math.floor(c[0] / batch)];
      let idx = (c[0] % batch) * s[0];
      for (let d = 1; d < shape.length; d++) {
        if (d <= m) {
          const x = c[d] * block[d - 1] + off[d - 1] - pads[2 * (d - 1)];
          if (x < 0 || x >= input.shape[d]) return -1;
          idx += x * s[d];
        } else {
          idx += c[d] * s[d];
        }
      }
      return idx;
    });
    return { map, fill: isQuant(out) && input.dtype !== 'float32' ? out.zeroPoint[0] : 0 };
  },
  eval: gatherEval,
};

export const batchToSpaceNdKernel: Kernel<GatherPlan> = {
  op: 'BATCH_TO_SPACE_ND',
  maxVersion: 4,
  prepare(ctx) {
    const { input, block, amounts: crops, m } = batchSpaceArgs(ctx, 'BATCH_TO_SPACE_ND', 'crops');
    const blocks = sizeOf(block);
    if (input.shape[0] % blocks !== 0) ctx.unsupported(`BATCH_TO_SPACE_ND batch ${input.shape[0]} is not a multiple of the block size ${blocks}`);
    const batch = input.shape[0] / blocks;
    const shape = input.shape.slice();
    shape[0] = batch;
    for (let i = 0; i < m; i++) {
      const size = input.shape[i + 1] * block[i] - crops[2 * i] - crops[2 * i + 1];
      if (size < 0) ctx.unsupported(`BATCH_TO_SPACE_ND crops [${crops}] exceed dimension ${input.shape[i + 1] * block[i]}`);
      shape[i + 1] = size;
    }
    const out = ctx.outputs[0];
    out.dtype = input.dtype;
    out.shape = shape;
    const s = stridesOf(input.shape);
    const map = mapOver(shape, (c) => {
      let k = 0;
      let idx = 0;
      for (let d = 1; d < shape.length; d++) {
        if (d <= m) {
          const x = c[d] + crops[2 * (d - 1)];
          k = k * block[d - 1] + (x % block[d - 1]);
          idx += Math.floor(x / block[d - 1]) * s[d];
        } else {
          idx += c[d] * s[d];
        }
      }
      return idx + (k * batch + c[0]) * s[0];
    });
    return { map, fill: 0 };
  },
  eval: gatherEval,
};
