// Float32 3x3 CONV_2D, stride 1, no dilation, no groups, as Winograd F(2x2, 3x3): each 2x2 block of output pixels
// (a tile) comes from the 4x4 input window around it through
//   Y = A^T [ U (.) V ] A,   V = B^T d B (per input channel),   U = G g G^T (per channel pair, transformed once),
// the elementwise products summed over input channels as 16 GEMMs (one per position of the 4x4 transformed tile:
// rows are tiles, K the input channels, N the output channels): 16 products per tile and channel pair instead of
// 36. The matrices (F(2,3) of Lavin & Gray):
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   A^T = [1 1 1 0; 0 1 -1 -1]
// Tiles go in blocks (transformed inputs and products of a block stay in cache); per block: the input transform
// (4 channels at a time; window positions outside the image are zeros), the 16 GEMMs (gemm-f32.ts, weights packed
// at prepare with zero biases, no clamp), the output transform with bias and clamp (outputs past the image's last
// row or column are not stored).
//
// The record (i32 slots unless noted), written at prepare (float-gemm.ts):
//   0 batches  1 inH  2 inW  3 inC  4 outH  5 outW  6 outC  7 padTop  8 padLeft  9 tilesH  10 tilesW
//   11 tiles per block  12 packed U (16 matrices)  13 bytes between U matrices  14 V (16 x block x inC4 floats)
//   15 M (16 x block x outC4 floats)  16 bias (outC4 floats)  17 lo (f32)  18 hi (f32)  19 bytes between V
//   matrices  20 bytes between M matrices
// inC4 and outC4 are the channel counts rounded up to 4 (row strides of V and M; V's extra columns are zeros).

import { gemmF32 } from './gemm-f32';

// @ts-ignore: decorator
@inline function field(d: usize, i: i32): i32 {
  return load<i32>(d + (<usize>i << 2));
}

/** Lanes [0, n) of v (n in 1..4), zeros above: a partial channel group never brings its neighbours' values. */
// @ts-ignore: decorator
@inline function keepLanes(v: v128, mask: v128): v128 {
  return v128.and(v, mask);
}

/**
 * The transformed inputs of tiles [t0, t0 + nt) of one image into V (matrix xi at v + xi * vMatrix, row t - t0).
 */
function inputTransform(d: usize, image: usize, t0: i32, nt: i32, v: usize, vMatrix: usize): void {
  const inH = field(d, 1), inW = field(d, 2), inC = field(d, 3);
  const padTop = field(d, 7), padLeft = field(d, 8), tilesW = field(d, 10);
  const inC4 = (inC + 3) & ~3;
  const pixel = <usize>inC << 2;
  const row = <usize>inW * pixel;
  const rem = inC & 3;
  // Lanes of the last partial group.
  const mask = rem == 0 ? i32x4.splat(-1)
    : rem == 1 ? i32x4(-1, 0, 0, 0) : rem == 2 ? i32x4(-1, -1, 0, 0) : i32x4(-1, -1, -1, 0);
  const zero = f32x4.splat(0);
  for (let t = 0; t < nt; t++) {
    const tile = t0 + t;
    const ty = tile / tilesW;
    const tx = tile - ty * tilesW;
    const iy0 = 2 * ty - padTop;
    const ix0 = 2 * tx - padLeft;
    const inside = iy0 >= 0 && iy0 + 4 <= inH && ix0 >= 0 && ix0 + 4 <= inW;
    const at = image + <usize>iy0 * row + <usize>ix0 * pixel;
    const out = v + (<usize>t * <usize>inC4 << 2);
    for (let c = 0; c < inC; c += 4) {
      const cb = <usize>c << 2;
      let d00: v128, d01: v128, d02: v128, d03: v128, d10: v128, d11: v128, d12: v128, d13: v128;
      let d20: v128, d21: v128, d22: v128, d23: v128, d30: v128, d31: v128, d32: v128, d33: v128;
      if (inside) {
        const p = at + cb;
        d00 = v128.load(p); d01 = v128.load(p + pixel); d02 = v128.load(p + 2 * pixel); d03 = v128.load(p + 3 * pixel);
        const p1 = p + row;
        d10 = v128.load(p1); d11 = v128.load(p1 + pixel); d12 = v128.load(p1 + 2 * pixel); d13 = v128.load(p1 + 3 * pixel);
        const p2 = p1 + row;
        d20 = v128.load(p2); d21 = v128.load(p2 + pixel); d22 = v128.load(p2 + 2 * pixel); d23 = v128.load(p2 + 3 * pixel);
        const p3 = p2 + row;
        d30 = v128.load(p3); d31 = v128.load(p3 + pixel); d32 = v128.load(p3 + 2 * pixel); d33 = v128.load(p3 + 3 * pixel);
      } else {
        // Window positions outside the image are zeros.
        const r0 = iy0 >= 0 && iy0 < inH, r1 = iy0 + 1 >= 0 && iy0 + 1 < inH;
        const r2 = iy0 + 2 >= 0 && iy0 + 2 < inH, r3 = iy0 + 3 >= 0 && iy0 + 3 < inH;
        const c0 = ix0 >= 0 && ix0 < inW, c1 = ix0 + 1 >= 0 && ix0 + 1 < inW;
        const c2 = ix0 + 2 >= 0 && ix0 + 2 < inW, c3 = ix0 + 3 >= 0 && ix0 + 3 < inW;
        const p = at + cb;
        const p1 = p + row, p2 = p1 + row, p3 = p2 + row;
        d00 = r0 && c0 ? v128.load(p) : zero; d01 = r0 && c1 ? v128.load(p + pixel) : zero;
        d02 = r0 && c2 ? v128.load(p + 2 * pixel) : zero; d03 = r0 && c3 ? v128.load(p + 3 * pixel) : zero;
        d10 = r1 && c0 ? v128.load(p1) : zero; d11 = r1 && c1 ? v128.load(p1 + pixel) : zero;
        d12 = r1 && c2 ? v128.load(p1 + 2 * pixel) : zero; d13 = r1 && c3 ? v128.load(p1 + 3 * pixel) : zero;
        d20 = r2 && c0 ? v128.load(p2) : zero; d21 = r2 && c1 ? v128.load(p2 + pixel) : zero;
        d22 = r2 && c2 ? v128.load(p2 + 2 * pixel) : zero; d23 = r2 && c3 ? v128.load(p2 + 3 * pixel) : zero;
        d30 = r3 && c0 ? v128.load(p3) : zero; d31 = r3 && c1 ? v128.load(p3 + pixel) : zero;
        d32 = r3 && c2 ? v128.load(p3 + 2 * pixel) : zero; d33 = r3 && c3 ? v128.load(p3 + 3 * pixel) : zero;
      }
      if (c + 4 > inC) {
        d00 = keepLanes(d00, mask); d01 = keepLanes(d01, mask); d02 = keepLanes(d02, mask); d03 = keepLanes(d03, mask);
        d10 = keepLanes(d10, mask); d11 = keepLanes(d11, mask); d12 = keepLanes(d12, mask); d13 = keepLanes(d13, mask);
        d20 = keepLanes(d20, mask); d21 = keepLanes(d21, mask); d22 = keepLanes(d22, mask); d23 = keepLanes(d23, mask);
        d30 = keepLanes(d30, mask); d31 = keepLanes(d31, mask); d32 = keepLanes(d32, mask); d33 = keepLanes(d33, mask);
      }
      // B^T d: rows d0 - d2, d1 + d2, d2 - d1, d1 - d3.
      const a00 = f32x4.sub(d00, d20), a01 = f32x4.sub(d01, d21), a02 = f32x4.sub(d02, d22), a03 = f32x4.sub(d03, d23);
      const a10 = f32x4.add(d10, d20), a11 = f32x4.add(d11, d21), a12 = f32x4.add(d12, d22), a13 = f32x4.add(d13, d23);
      const a20 = f32x4.sub(d20, d10), a21 = f32x4.sub(d21, d11), a22 = f32x4.sub(d22, d12), a23 = f32x4.sub(d23, d13);
      const a30 = f32x4.sub(d10, d30), a31 = f32x4.sub(d11, d31), a32 = f32x4.sub(d12, d32), a33 = f32x4.sub(d13, d33);
      // (B^T d) B: the same combinations of columns; position xi = 4 * row + column.
      const o = out + cb;
      v128.store(o, f32x4.sub(a00, a02));
      v128.store(o + vMatrix, f32x4.add(a01, a02));
      v128.store(o + 2 * vMatrix, f32x4.sub(a02, a01));
      v128.store(o + 3 * vMatrix, f32x4.sub(a01, a03));
      v128.store(o + 4 * vMatrix, f32x4.sub(a10, a12));
      v128.store(o + 5 * vMatrix, f32x4.add(a11, a12));
      v128.store(o + 6 * vMatrix, f32x4.sub(a12, a11));
      v128.store(o + 7 * vMatrix, f32x4.sub(a11, a13));
      v128.store(o + 8 * vMatrix, f32x4.sub(a20, a22));
      v128.store(o + 9 * vMatrix, f32x4.add(a21, a22));
      v128.store(o + 10 * vMatrix, f32x4.sub(a22, a21));
      v128.store(o + 11 * vMatrix, f32x4.sub(a21, a23));
      v128.store(o + 12 * vMatrix, f32x4.sub(a30, a32));
      v128.store(o + 13 * vMatrix, f32x4.add(a31, a32));
      v128.store(o + 14 * vMatrix, f32x4.sub(a32, a31));
      v128.store(o + 15 * vMatrix, f32x4.sub(a31, a33));
    }
  }
}

/** Y = A^T m A + bias, clamped, for tiles [t0, t0 + nt) (products in M, matrix xi at mm + xi * mMatrix). */
function outputTransform(d: usize, out: usize, t0: i32, nt: i32, mm: usize, mMatrix: usize): void {
  const outH = field(d, 4), outW = field(d, 5), outC = field(d, 6), tilesW = field(d, 10);
  const bias = <usize>field(d, 16);
  const lo = f32x4.splat(load<f32>(d, 68));
  const hi = f32x4.splat(load<f32>(d, 72));
  const outC4 = (outC + 3) & ~3;
  const pixel = <usize>outC << 2;
  const row = <usize>outW * pixel;
  for (let t = 0; t < nt; t++) {
    const tile = t0 + t;
    const ty = tile / tilesW;
    const tx = tile - ty * tilesW;
    const oy = 2 * ty, ox = 2 * tx;
    const right = ox + 1 < outW;
    const below = oy + 1 < outH;
    const y00 = out + <usize>oy * row + <usize>ox * pixel;
    const src = mm + (<usize>t * <usize>outC4 << 2);
    for (let c = 0; c < outC; c += 4) {
      const cb = <usize>c << 2;
      const p = src + cb;
      const m00 = v128.load(p), m01 = v128.load(p + mMatrix), m02 = v128.load(p + 2 * mMatrix), m03 = v128.load(p + 3 * mMatrix);
      const m10 = v128.load(p + 4 * mMatrix), m11 = v128.load(p + 5 * mMatrix), m12 = v128.load(p + 6 * mMatrix), m13 = v128.load(p + 7 * mMatrix);
      const m20 = v128.load(p + 8 * mMatrix), m21 = v128.load(p + 9 * mMatrix), m22 = v128.load(p + 10 * mMatrix), m23 = v128.load(p + 11 * mMatrix);
      const m30 = v128.load(p + 12 * mMatrix), m31 = v128.load(p + 13 * mMatrix), m32 = v128.load(p + 14 * mMatrix), m33 = v128.load(p + 15 * mMatrix);
      // A^T m: rows m0 + m1 + m2 and m1 - m2 - m3.
      const s0 = f32x4.add(f32x4.add(m00, m10), m20), s1 = f32x4.add(f32x4.add(m01, m11), m21);
      const s2 = f32x4.add(f32x4.add(m02, m12), m22), s3 = f32x4.add(f32x4.add(m03, m13), m23);
      const u0 = f32x4.sub(f32x4.sub(m10, m20), m30), u1 = f32x4.sub(f32x4.sub(m11, m21), m31);
      const u2 = f32x4.sub(f32x4.sub(m12, m22), m32), u3 = f32x4.sub(f32x4.sub(m13, m23), m33);
      const b = v128.load(bias + cb);
      const y0 = f32x4.pmin(f32x4.pmax(f32x4.add(f32x4.add(f32x4.add(s0, s1), s2), b), lo), hi);
      const y1 = f32x4.pmin(f32x4.pmax(f32x4.add(f32x4.sub(f32x4.sub(s1, s2), s3), b), lo), hi);
      const y2 = f32x4.pmin(f32x4.pmax(f32x4.add(f32x4.add(f32x4.add(u0, u1), u2), b), lo), hi);
      const y3 = f32x4.pmin(f32x4.pmax(f32x4.add(f32x4.sub(f32x4.sub(u1, u2), u3), b), lo), hi);
      const o = y00 + cb;
      if (c + 4 <= outC) {
        v128.store(o, y0);
        if (right) v128.store(o + pixel, y1);
        if (below) {
          v128.store(o + row, y2);
          if (right) v128.store(o + row + pixel, y3);
        }
      } else {
        const n = outC - c;
        storeLanes(o, y0, n);
        if (right) storeLanes(o + pixel, y1, n);
        if (below) {
          storeLanes(o + row, y2, n);
          if (right) storeLanes(o + row + pixel, y3, n);
        }
      }
    }
  }
}

/** The first n (1..3) lanes of v at p. */
// @ts-ignore: decorator
@inline function storeLanes(p: usize, v: v128, n: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** The whole convolution (every batch) described by the record at d. */
export function convWinogradF32(d: usize, input: usize, output: usize): void {
  const batches = field(d, 0);
  const inH = field(d, 1), inW = field(d, 2), inC = field(d, 3);
  const outH = field(d, 4), outW = field(d, 5), outC = field(d, 6);
  const tiles = field(d, 9) * field(d, 10);
  const block = field(d, 11);
  const u = <usize>field(d, 12);
  const uMatrix = <usize>field(d, 13);
  const v = <usize>field(d, 14);
  const mm = <usize>field(d, 15);
  const inC4 = (inC + 3) & ~3;
  const outC4 = (outC + 3) & ~3;
  const vMatrix = <usize>field(d, 19);
  const mMatrix = <usize>field(d, 20);
  const inBatch = <usize>(inH * inW * inC) << 2;
  const outBatch = <usize>(outH * outW * outC) << 2;
  for (let b = 0; b < batches; b++) {
    const image = input + <usize>b * inBatch;
    const out = output + <usize>b * outBatch;
    for (let t0 = 0; t0 < tiles; t0 += block) {
      const nt = min(block, tiles - t0);
      inputTransform(d, image, t0, nt, v, vMatrix);
      for (let xi = 0; xi < 16; xi++) {
        gemmF32(nt, outC, inC4, v + <usize>xi * vMatrix, <usize>inC4 << 2, u + <usize>xi * uMatrix,
          mm + <usize>xi * mMatrix, <usize>outC4 << 2, -Infinity, Infinity);
      }
      outputTransform(d, out, t0, nt, mm, mMatrix);
    }
  }
}
