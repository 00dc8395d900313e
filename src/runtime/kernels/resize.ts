// RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR on NHWC tensors (align_corners, half_pixel_centers).
// Float bilinear as TFLite's reference (float32 weights); int8/uint8/int16 bilinear as ResizeBilinearInteger:
// 10-bit fixed-point source coordinates, 20-bit weighted sum, rounded half away from zero.
// arithmetic 'xnnpack': int8/uint8 bilinear as XNNPACK's resize (float32 coordinates, 11-bit weights) when the output
// keeps the input's quantization (the delegate's condition); otherwise TFLite's optimized kernels (uint8: float weights).
// Nearest neighbour is an index map (GetNearestNeighbor).

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { roundHalfEven, usesXnnpack } from '../requantize.js';
import { buildIndexMap, gatherEval, type GatherPlan } from './index-map.js';
import { constIntValues, requireDtype, requireInput } from './shape-util.js';

const f32 = Math.fround;

function outputSize(ctx: PrepareContext): { input: RuntimeTensor; oh: number; ow: number } {
  const input = requireInput(ctx, 0);
  if (input.shape.length !== 4) ctx.unsupported(`resize needs a 4-D NHWC input, got [${input.shape}]`);
  const size = constIntValues(ctx, requireInput(ctx, 1), 'resize size');
  if (size.length !== 2 || size[0] <= 0 || size[1] <= 0) ctx.unsupported(`resize size [${size}] invalid`);
  if (ctx.options.alignCorners === true && ctx.options.halfPixelCenters === true) {
    ctx.unsupported('align_corners and half_pixel_centers cannot both be true');
  }
  const out = ctx.outputs[0];
  out.dtype = input.dtype;
  out.shape = [input.shape[0], size[0], size[1], input.shape[3]];
  return { input, oh: size[0], ow: size[1] };
}

/**
 * float: TFLite's float kernel; fixed10: ResizeBilinearInteger (ys/xs are 10-bit fixed-point coordinates);
 * xnn11: XNNPACK's ibilinear (ys/xs are 11-bit fixed-point fractions); float8: TFLite's optimized uint8 kernel
 * (float32 weights on float coordinates, + 0.5 and truncated).
 */
type BilinearKind = 'float' | 'fixed10' | 'xnn11' | 'float8';

interface BilinearPlan {
  kind: BilinearKind;
  batch: number; ih: number; iw: number; oh: number; ow: number; depth: number;
  /** Per output row/column: lower and upper source index, and the source coordinate (float, or 10-bit fixed). */
  y0: Int32Array; y1: Int32Array; ys: Float64Array;
  x0: Int32Array; x1: Int32Array; xs: Float64Array;
}

function axisFloat(outSize: number, inSize: number, align: boolean, half: boolean) {
  let scale = f32(inSize / outSize);
  if (align && outSize > 1) scale = f32((inSize - 1) / (outSize - 1));
  const lo = new Int32Array(outSize), hi = new Int32Array(outSize), v = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const s = half ? f32(f32(f32(i + 0.5) * scale) - 0.5) : f32(i * scale);
    v[i] = s;
    lo[i] = Math.max(Math.floor(s), 0);
    hi[i] = Math.min(Math.ceil(s), inSize - 1);
  }
  return { lo, hi, v };
}

function axisInteger(outSize: number, inSize: number, align: boolean, half: boolean) {
  let scale10 = Math.trunc((1024 * inSize + Math.trunc(outSize / 2)) / outSize);
  if (align && outSize > 1) scale10 = Math.trunc((1024 * (inSize - 1) + Math.trunc((outSize - 1) / 2)) / (outSize - 1));
  const lo = new Int32Array(outSize), hi = new Int32Array(outSize), v = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const s = half ? i * scale10 + Math.trunc(scale10 / 2) - 512 : i * scale10;
    v[i] = s;
    lo[i] = Math.max(Math.trunc(s / 1024), 0);
    hi[i] = Math.min(Math.trunc((s + 1023) / 1024), inSize - 1);
  }
  return { lo, hi, v };
}

/**
 * XNNPACK's resize indirection (xnn_indirection_init_resize_bilinear2d_hwc_q11): float32 source coordinates (legacy
 * and align_corners: i * scale; half-pixel: i * scale + (scale/2 - 1/2), clamped to [0, in - 1]), the upper neighbour
 * min(lower + 1, in - 1), and the fraction as an 11-bit weight rounded half to even.
 */
function axisXnnpack(outSize: number, inSize: number, align: boolean, half: boolean) {
  const adjust = align && outSize !== 1 ? 1 : 0;
  const scale = f32((inSize - adjust) / (outSize - adjust));
  const offset = f32(f32(0.5 * scale) - 0.5);
  const lo = new Int32Array(outSize), hi = new Int32Array(outSize), v = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) {
    let s = f32(i * scale);
    if (half) {
      s = f32(s + offset);
      s = s < 0 ? 0 : s > inSize - 1 ? inSize - 1 : s;
    }
    lo[i] = Math.trunc(s);
    hi[i] = Math.min(lo[i] + 1, inSize - 1);
    v[i] = roundHalfEven(f32(s - lo[i]) * 2048);
  }
  return { lo, hi, v };
}

export const resizeBilinearKernel: Kernel<BilinearPlan> = {
  op: 'RESIZE_BILINEAR',
  maxVersion: 4,
  prepare(ctx) {
    const { input, oh, ow } = outputSize(ctx);
    requireDtype(ctx, input, ['float32', 'int8', 'uint8', 'int16']);
    const align = ctx.options.alignCorners === true;
    const half = ctx.options.halfPixelCenters === true;
    // The XNNPACK delegate takes an 8-bit RESIZE_BILINEAR (4-D, constant positive size) whose output keeps the input's
    // quantization (as the quantizer always writes it); otherwise TFLite's own kernel runs.
    const out = ctx.outputs[0];
    const sameQuant = input.scale.length > 0 && out.scale.length > 0 && f32(input.scale[0]) === f32(out.scale[0]) &&
      input.zeroPoint[0] === out.zeroPoint[0];
    let kind: BilinearKind = input.dtype === 'float32' ? 'float' : 'fixed10';
    if (ctx.arithmetic === 'xnnpack' && usesXnnpack(input.dtype)) kind = sameQuant ? 'xnn11' : input.dtype === 'uint8' ? 'float8' : 'fixed10';
    const axis = kind === 'xnn11' ? axisXnnpack : kind === 'fixed10' ? axisInteger : axisFloat;
    const [batch, ih, iw, depth] = input.shape;
    const Y = axis(oh, ih, align, half);
    const X = axis(ow, iw, align, half);
    return { kind, batch, ih, iw, oh, ow, depth, y0: Y.lo, y1: Y.hi, ys: Y.v, x0: X.lo, x1: X.hi, xs: X.v };
  },
  eval(p, inputs, outputs) {
    const I = inputs[0]!.data as Float32Array;
    const O = outputs[0].data as Float32Array;
    const { batch, ih, iw, oh, ow, depth } = p;
    let o = 0;
    for (let b = 0; b < batch; b++) {
      for (let y = 0; y < oh; y++) {
        const y0 = p.y0[y], y1 = p.y1[y], ys = p.ys[y];
        for (let x = 0; x < ow; x++) {
          const x0 = p.x0[x], x1 = p.x1[x], xs = p.xs[x];
          const r0 = ((b * ih + y0) * iw) * depth, r1 = ((b * ih + y1) * iw) * depth;
          const i00 = r0 + x0 * depth, i10 = r1 + x0 * depth, i01 = r0 + x1 * depth, i11 = r1 + x1 * depth;
          if (p.kind === 'xnn11') {
            // s8/u8 ibilinear: horizontal then vertical interpolation in 11-bit fixed point, rounded (ties up)
            // by an arithmetic shift of 22.
            for (let c = 0; c < depth; c++) {
              const tl = I[i00 + c], bl = I[i10 + c];
              const t = tl * 2048 + (I[i01 + c] - tl) * xs;
              const bt = bl * 2048 + (I[i11 + c] - bl) * xs;
              O[o++] = Math.floor((t * 2048 + (bt - t) * ys + 2097152) / 4194304);
            }
          } else if (p.kind === 'fixed10') {
            const dy = ys - 1024 * y0, dx = xs - 1024 * x0;
            const wll = (1024 - dy) * (1024 - dx), wlu = dy * (1024 - dx), wrl = (1024 - dy) * dx, wru = dy * dx;
            for (let c = 0; c < depth; c++) {
              const s = I[i00 + c] * wll + I[i10 + c] * wlu + I[i01 + c] * wrl + I[i11 + c] * wru;
              O[o++] = Math.trunc((s + (s > 0 ? 524288 : -524288)) / 1048576);
            }
          } else if (p.kind === 'float8') {
            const dy = f32(ys - y0), dx = f32(xs - x0);
            const ny = f32(1 - dy), nx = f32(1 - dx);
            const w00 = f32(ny * nx), w01 = f32(ny * dx), w10 = f32(dy * nx), w11 = f32(dy * dx);
            for (let c = 0; c < depth; c++) {
              const v = f32(f32(f32(f32(I[i00 + c] * w00) + f32(I[i01 + c] * w01)) + f32(I[i10 + c] * w10)) + f32(I[i11 + c] * w11));
              O[o++] = Math.trunc(f32(v + 0.5));
            }
          } else {
            const dy = f32(ys - y0), dx = f32(xs - x0);
            const ny = f32(1 - dy), nx = f32(1 - dx);
            for (let c = 0; c < depth; c++) {
              const a = f32(f32(I[i00 + c] * ny) * nx);
              const bb = f32(f32(I[i10 + c] * dy) * nx);
              const cc = f32(f32(I[i01 + c] * ny) * dx);
              const d = f32(f32(I[i11 + c] * dy) * dx);
              O[o++] = f32(f32(f32(a + bb) + cc) + d);
            }
          }
        }
      }
    }
  },
};

function nearest(i: number, inSize: number, outSize: number, align: boolean, half: boolean): number {
  const scale = align && outSize > 1 ? f32((inSize - 1) / f32(outSize - 1)) : f32(inSize / f32(outSize));
  const v = f32(f32(i + (half ? 0.5 : 0)) * scale);
  let r = Math.min(align ? (v < 0 ? -Math.round(-v) : Math.round(v)) : Math.floor(v), inSize - 1);
  if (half) r = Math.max(0, r);
  return r;
}

export const resizeNearestNeighborKernel: Kernel<GatherPlan> = {
  op: 'RESIZE_NEAREST_NEIGHBOR',
  maxVersion: 4,
  prepare(ctx) {
    const { input, oh, ow } = outputSize(ctx);
    requireDtype(ctx, input, ['float32', 'int8', 'uint8', 'int16']);
    const align = ctx.options.alignCorners === true;
    const half = ctx.options.halfPixelCenters === true;
    const [batch, ih, iw, depth] = input.shape;
    const along = [
      (b: number) => b * ih * iw * depth,
      (y: number) => nearest(y, ih, oh, align, half) * iw * depth,
      (x: number) => nearest(x, iw, ow, align, half) * depth,
      (c: number) => c,
    ];
    const offsets = (size: number, d: number) => Int32Array.from({ length: size }, (_, j) => along[d](j));
    return { map: buildIndexMap(ctx.outputs[0].shape, offsets), fill: 0 };
  },
  eval: gatherEval,
};
