// float32 GEMM micro-kernels and the CONV_2D / FULLY_CONNECTED / BATCH_MATMUL drivers built on them.
//
// C[m][n] = clamp(bias[n] + sum_k A[m][k] * W[k][n]). A rows are float32 at any byte stride (pixels of an NHWC
// image read in place, or im2col rows), or lists of pointers, one per filter tap (the indirect convolution);
// C rows are at any byte stride. W is packed once at prepare, per block of 8 output
// channels: 8 biases, then K rows of 8 weights (zeros past the last channel), so a tile's inner step is one splat
// of an A value per row and two aligned weight loads shared by every row of the tile. The splats are load32_splat
// (a broadcast load: measured ~12% faster than one vector load per row and lane shuffles, which compete with the
// multiplies and adds for the vector ALUs), four K steps per loop iteration.
//
// Tiles are 6 rows x 8 channels: 12 accumulators + 2 weights + a splat, about x86's 16 vector registers (measured
// faster than 4x8, 5x8, and on par with 7x8 and 8x8: fewer weight loads per product; spills are cheap).
// Leftover rows take a 4-row tile (3 or 4 rows; a 3rd row repeated is computed twice, stored twice with the same
// values), a 2-row tile, or for a single row (a GEMV: fully-connected batch 1) a 1x8 tile whose K loop keeps four
// accumulator pairs live, so the adds do not wait on one another.

// @ts-ignore: decorator
@inline function fma(acc: v128, a: v128, b: v128): v128 {
  return f32x4.add(acc, f32x4.mul(a, b));
}

// @ts-ignore: decorator
@inline function clamp(v: v128, lo: v128, hi: v128): v128 {
  // pmax/pmin keep NaN (as the scalar `v < lo ? lo : v > hi ? hi : v`).
  return f32x4.pmin(f32x4.pmax(v, lo), hi);
}

/** Store the first n (1..8) lanes of v0:v1 at c. */
// @ts-ignore: decorator
@inline function storePartial(c: usize, v0: v128, v1: v128, n: i32): void {
  if (n & 4) {
    v128.store(c, v0);
    v0 = v1;
    c += 16;
  }
  if (n & 2) {
    v128.store64_lane(c, v0, 0);
    v0 = i64x2.shuffle(v0, v0, 1, 1);
    c += 8;
  }
  if (n & 1) v128.store32_lane(c, v0, 0);
}

/** Bytes of one packed block of 8 channels over depth kc (8 biases + kc rows of 8). */
// @ts-ignore: decorator
@inline function blockBytes(kc: i32): usize {
  return (<usize>kc + 1) << 5;
}

function tile6x8F32(mr: i32, nc: i32, kc: i32, a: usize, aStride: usize, w: usize, c: usize, cStride: usize,
  lo: v128, hi: v128): void {
  // Rows past mr repeat the last row (computed twice, stored twice with the same values).
  const a0 = a;
  const a1 = mr > 1 ? a0 + aStride : a0;
  const a2 = mr > 2 ? a1 + aStride : a1;
  const a3 = mr > 3 ? a2 + aStride : a2;
  const a4 = mr > 4 ? a3 + aStride : a3;
  const a5 = mr > 5 ? a4 + aStride : a4;
  let c0 = c;
  let c1 = mr > 1 ? c0 + cStride : c0;
  let c2 = mr > 2 ? c1 + cStride : c1;
  let c3 = mr > 3 ? c2 + cStride : c2;
  let c4 = mr > 4 ? c3 + cStride : c3;
  let c5 = mr > 5 ? c4 + cStride : c4;
  const kc4 = kc & ~3;
  for (let n = 0; n < nc; n += 8) {
    let wp = w + (<usize>(n >> 3)) * blockBytes(kc);
    let x00 = v128.load(wp);
    let x01 = v128.load(wp, 16);
    let x10 = x00, x11 = x01, x20 = x00, x21 = x01, x30 = x00, x31 = x01, x40 = x00, x41 = x01, x50 = x00, x51 = x01;
    wp += 32;
    let k = 0;
    for (; k < kc4; k += 4) {
      const o = <usize>k << 2;
      let w0 = v128.load(wp);
      let w1 = v128.load(wp, 16);
      let s0 = v128.load32_splat(a0 + o);
      let s1 = v128.load32_splat(a1 + o);
      let s2 = v128.load32_splat(a2 + o);
      let s3 = v128.load32_splat(a3 + o);
      let s4 = v128.load32_splat(a4 + o);
      let s5 = v128.load32_splat(a5 + o);
      x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
      x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
      x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
      x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
      x40 = fma(x40, s4, w0); x41 = fma(x41, s4, w1);
      x50 = fma(x50, s5, w0); x51 = fma(x51, s5, w1);
      w0 = v128.load(wp, 32);
      w1 = v128.load(wp, 48);
      s0 = v128.load32_splat(a0 + o, 4);
      s1 = v128.load32_splat(a1 + o, 4);
      s2 = v128.load32_splat(a2 + o, 4);
      s3 = v128.load32_splat(a3 + o, 4);
      s4 = v128.load32_splat(a4 + o, 4);
      s5 = v128.load32_splat(a5 + o, 4);
      x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
      x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
      x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
      x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
      x40 = fma(x40, s4, w0); x41 = fma(x41, s4, w1);
      x50 = fma(x50, s5, w0); x51 = fma(x51, s5, w1);
      w0 = v128.load(wp, 64);
      w1 = v128.load(wp, 80);
      s0 = v128.load32_splat(a0 + o, 8);
      s1 = v128.load32_splat(a1 + o, 8);
      s2 = v128.load32_splat(a2 + o, 8);
      s3 = v128.load32_splat(a3 + o, 8);
      s4 = v128.load32_splat(a4 + o, 8);
      s5 = v128.load32_splat(a5 + o, 8);
      x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
      x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
      x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
      x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
      x40 = fma(x40, s4, w0); x41 = fma(x41, s4, w1);
      x50 = fma(x50, s5, w0); x51 = fma(x51, s5, w1);
      w0 = v128.load(wp, 96);
      w1 = v128.load(wp, 112);
      s0 = v128.load32_splat(a0 + o, 12);
      s1 = v128.load32_splat(a1 + o, 12);
      s2 = v128.load32_splat(a2 + o, 12);
      s3 = v128.load32_splat(a3 + o, 12);
      s4 = v128.load32_splat(a4 + o, 12);
      s5 = v128.load32_splat(a5 + o, 12);
      x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
      x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
      x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
      x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
      x40 = fma(x40, s4, w0); x41 = fma(x41, s4, w1);
      x50 = fma(x50, s5, w0); x51 = fma(x51, s5, w1);
      wp += 128;
    }
    for (; k < kc; k++) {
      const o = <usize>k << 2;
      const w0 = v128.load(wp);
      const w1 = v128.load(wp, 16);
      const s0 = v128.load32_splat(a0 + o);
      const s1 = v128.load32_splat(a1 + o);
      const s2 = v128.load32_splat(a2 + o);
      const s3 = v128.load32_splat(a3 + o);
      const s4 = v128.load32_splat(a4 + o);
      const s5 = v128.load32_splat(a5 + o);
      x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
      x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
      x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
      x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
      x40 = fma(x40, s4, w0); x41 = fma(x41, s4, w1);
      x50 = fma(x50, s5, w0); x51 = fma(x51, s5, w1);
      wp += 32;
    }
    x00 = clamp(x00, lo, hi); x01 = clamp(x01, lo, hi);
    x10 = clamp(x10, lo, hi); x11 = clamp(x11, lo, hi);
    x20 = clamp(x20, lo, hi); x21 = clamp(x21, lo, hi);
    x30 = clamp(x30, lo, hi); x31 = clamp(x31, lo, hi);
    x40 = clamp(x40, lo, hi); x41 = clamp(x41, lo, hi);
    x50 = clamp(x50, lo, hi); x51 = clamp(x51, lo, hi);
    if (nc - n >= 8) {
      v128.store(c5, x50); v128.store(c5, x51, 16); c5 += 32;
      v128.store(c4, x40); v128.store(c4, x41, 16); c4 += 32;
      v128.store(c3, x30); v128.store(c3, x31, 16); c3 += 32;
      v128.store(c2, x20); v128.store(c2, x21, 16); c2 += 32;
      v128.store(c1, x10); v128.store(c1, x11, 16); c1 += 32;
      v128.store(c0, x00); v128.store(c0, x01, 16); c0 += 32;
    } else {
      const rest = nc - n;
      storePartial(c5, x50, x51, rest);
      storePartial(c4, x40, x41, rest);
      storePartial(c3, x30, x31, rest);
      storePartial(c2, x20, x21, rest);
      storePartial(c1, x10, x11, rest);
      storePartial(c0, x00, x01, rest);
    }
  }
}

function tile4x8F32(mr: i32, nc: i32, kc: i32, a: usize, aStride: usize, w: usize, c: usize, cStride: usize,
  lo: v128, hi: v128): void {
  // Rows past mr repeat the last row (computed twice, stored twice with the same values).
  const a0 = a;
  const a1 = mr > 1 ? a0 + aStride : a0;
  const a2 = mr > 2 ? a1 + aStride : a1;
  const a3 = mr > 3 ? a2 + aStride : a2;
  let c0 = c;
  let c1 = mr > 1 ? c0 + cStride : c0;
  let c2 = mr > 2 ? c1 + cStride : c1;
  let c3 = mr > 3 ? c2 + cStride : c2;
  const kc4 = kc & ~3;
  for (let n = 0; n < nc; n += 8) {
    let wp = w + (<usize>(n >> 3)) * blockBytes(kc);
    let x00 = v128.load(wp);
    let x01 = v128.load(wp, 16);
    let x10 = x00, x11 = x01, x20 = x00, x21 = x01, x30 = x00, x31 = x01;
    wp += 32;
    let k = 0;
    for (; k < kc4; k += 4) {
      const o = <usize>k << 2;
      let w0 = v128.load(wp);
      let w1 = v128.load(wp, 16);
      let s0 = v128.load32_splat(a0 + o);
      let s1 = v128.load32_splat(a1 + o);
      let s2 = v128.load32_splat(a2 + o);
      let s3 = v128.load32_splat(a3 + o);
      x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
      x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
      x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
      x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
      w0 = v128.load(wp, 32);
      w1 = v128.load(wp, 48);
      s0 = v128.load32_splat(a0 + o, 4);
      s1 = v128.load32_splat(a1 + o, 4);
      s2 = v128.load32_splat(a2 + o, 4);
      s3 = v128.load32_splat(a3 + o, 4);
      x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
      x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
      x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
      x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
      w0 = v128.load(wp, 64);
      w1 = v128.load(wp, 80);
      s0 = v128.load32_splat(a0 + o, 8);
      s1 = v128.load32_splat(a1 + o, 8);
      s2 = v128.load32_splat(a2 + o, 8);
      s3 = v128.load32_splat(a3 + o, 8);
      x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
      x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
      x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
      x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
      w0 = v128.load(wp, 96);
      w1 = v128.load(wp, 112);
      s0 = v128.load32_splat(a0 + o, 12);
      s1 = v128.load32_splat(a1 + o, 12);
      s2 = v128.load32_splat(a2 + o, 12);
      s3 = v128.load32_splat(a3 + o, 12);
      x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
      x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
      x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
      x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
      wp += 128;
    }
    for (; k < kc; k++) {
      const o = <usize>k << 2;
      const w0 = v128.load(wp);
      const w1 = v128.load(wp, 16);
      const s0 = v128.load32_splat(a0 + o);
      const s1 = v128.load32_splat(a1 + o);
      const s2 = v128.load32_splat(a2 + o);
      const s3 = v128.load32_splat(a3 + o);
      x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
      x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
      x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
      x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
      wp += 32;
    }
    x00 = clamp(x00, lo, hi); x01 = clamp(x01, lo, hi);
    x10 = clamp(x10, lo, hi); x11 = clamp(x11, lo, hi);
    x20 = clamp(x20, lo, hi); x21 = clamp(x21, lo, hi);
    x30 = clamp(x30, lo, hi); x31 = clamp(x31, lo, hi);
    if (nc - n >= 8) {
      v128.store(c3, x30); v128.store(c3, x31, 16); c3 += 32;
      v128.store(c2, x20); v128.store(c2, x21, 16); c2 += 32;
      v128.store(c1, x10); v128.store(c1, x11, 16); c1 += 32;
      v128.store(c0, x00); v128.store(c0, x01, 16); c0 += 32;
    } else {
      const rest = nc - n;
      storePartial(c3, x30, x31, rest);
      storePartial(c2, x20, x21, rest);
      storePartial(c1, x10, x11, rest);
      storePartial(c0, x00, x01, rest);
    }
  }
}

function tile2x8F32(mr: i32, nc: i32, kc: i32, a: usize, aStride: usize, w: usize, c: usize, cStride: usize,
  lo: v128, hi: v128): void {
  const a0 = a;
  const a1 = mr > 1 ? a0 + aStride : a0;
  let c0 = c;
  let c1 = mr > 1 ? c0 + cStride : c0;
  const kc4 = kc & ~3;
  for (let n = 0; n < nc; n += 8) {
    let wp = w + (<usize>(n >> 3)) * blockBytes(kc);
    let x00 = v128.load(wp);
    let x01 = v128.load(wp, 16);
    let x10 = x00, x11 = x01;
    wp += 32;
    let k = 0;
    for (; k < kc4; k += 4) {
      const o = <usize>k << 2;
      let w0 = v128.load(wp);
      let w1 = v128.load(wp, 16);
      let s0 = v128.load32_splat(a0 + o);
      let s1 = v128.load32_splat(a1 + o);
      x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
      x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
      w0 = v128.load(wp, 32);
      w1 = v128.load(wp, 48);
      s0 = v128.load32_splat(a0 + o, 4);
      s1 = v128.load32_splat(a1 + o, 4);
      x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
      x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
      w0 = v128.load(wp, 64);
      w1 = v128.load(wp, 80);
      s0 = v128.load32_splat(a0 + o, 8);
      s1 = v128.load32_splat(a1 + o, 8);
      x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
      x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
      w0 = v128.load(wp, 96);
      w1 = v128.load(wp, 112);
      s0 = v128.load32_splat(a0 + o, 12);
      s1 = v128.load32_splat(a1 + o, 12);
      x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
      x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
      wp += 128;
    }
    for (; k < kc; k++) {
      const o = <usize>k << 2;
      const w0 = v128.load(wp);
      const w1 = v128.load(wp, 16);
      const s0 = v128.load32_splat(a0 + o);
      const s1 = v128.load32_splat(a1 + o);
      x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
      x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
      wp += 32;
    }
    x00 = clamp(x00, lo, hi); x01 = clamp(x01, lo, hi);
    x10 = clamp(x10, lo, hi); x11 = clamp(x11, lo, hi);
    if (nc - n >= 8) {
      v128.store(c1, x10); v128.store(c1, x11, 16); c1 += 32;
      v128.store(c0, x00); v128.store(c0, x01, 16); c0 += 32;
    } else {
      const rest = nc - n;
      storePartial(c1, x10, x11, rest);
      storePartial(c0, x00, x01, rest);
    }
  }
}

function tile1x8F32(nc: i32, kc: i32, a: usize, w: usize, c: usize, lo: v128, hi: v128): void {
  const kc4 = kc & ~3;
  for (let n = 0; n < nc; n += 8) {
    let wp = w + (<usize>(n >> 3)) * blockBytes(kc);
    // Four independent pairs of sums (k mod 4), added at the end.
    let x0 = v128.load(wp);
    let x1 = v128.load(wp, 16);
    let y0 = f32x4.splat(0), y1 = y0, z0 = y0, z1 = y0, u0 = y0, u1 = y0;
    wp += 32;
    let k = 0;
    for (; k < kc4; k += 4) {
      const ak = a + (<usize>k << 2);
      let s = v128.load32_splat(ak);
      x0 = fma(x0, s, v128.load(wp)); x1 = fma(x1, s, v128.load(wp, 16));
      s = v128.load32_splat(ak, 4);
      y0 = fma(y0, s, v128.load(wp, 32)); y1 = fma(y1, s, v128.load(wp, 48));
      s = v128.load32_splat(ak, 8);
      z0 = fma(z0, s, v128.load(wp, 64)); z1 = fma(z1, s, v128.load(wp, 80));
      s = v128.load32_splat(ak, 12);
      u0 = fma(u0, s, v128.load(wp, 96)); u1 = fma(u1, s, v128.load(wp, 112));
      wp += 128;
    }
    for (; k < kc; k++) {
      const s = v128.load32_splat(a + (<usize>k << 2));
      x0 = fma(x0, s, v128.load(wp)); x1 = fma(x1, s, v128.load(wp, 16));
      wp += 32;
    }
    x0 = clamp(f32x4.add(f32x4.add(x0, y0), f32x4.add(z0, u0)), lo, hi);
    x1 = clamp(f32x4.add(f32x4.add(x1, y1), f32x4.add(z1, u1)), lo, hi);
    if (nc - n >= 8) {
      v128.store(c, x0);
      v128.store(c, x1, 16);
      c += 32;
    } else {
      storePartial(c, x0, x1, nc - n);
    }
  }
}

/** The sums of the four lanes of a, b, c, d as one vector [sum a, sum b, sum c, sum d]. */
// @ts-ignore: decorator
@inline function laneSums(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(i32x4.shuffle(a, b, 0, 4, 1, 5), i32x4.shuffle(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(i32x4.shuffle(c, d, 0, 4, 1, 5), i32x4.shuffle(c, d, 2, 6, 3, 7));
  return f32x4.add(i32x4.shuffle(ab, cd, 0, 1, 4, 5), i32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

/** Bytes of one block of 8 channels packed for gemvF32 (8 biases, K & ~3 values per channel, 8 per leftover k). */
// @ts-ignore: decorator
@inline function gemvBlockBytes(kc: i32): usize {
  return (<usize>kc + 1) << 5;
}

/**
 * c[n] = clamp(bias[n] + sum_k a[k] W[k][n]) for one row a (FULLY_CONNECTED batch 1) as dot products: per block of
 * 8 channels, each channel's weights come in runs of 4 consecutive k (w packed per block: 8 biases, then per 4 k
 * the 8 channels' 4 weights, then the last kc % 4 k as rows of 8), so a step is one vector of a times 8 weight
 * vectors into 8 accumulators of partial sums, reduced across lanes at the end: no splats (a splat per 2 products
 * costs the broadcast GEMV tile a fifth of its vector work).
 */
export function gemvF32(nc: i32, kc: i32, a: usize, w: usize, c: usize, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const kc4 = kc & ~3;
  const bb = gemvBlockBytes(kc);
  for (let n = 0; n < nc; n += 8) {
    let wp = w + (<usize>(n >> 3)) * bb;
    const bias0 = v128.load(wp);
    const bias1 = v128.load(wp, 16);
    wp += 32;
    const z = f32x4.splat(0);
    let x0 = z, x1 = z, x2 = z, x3 = z, x4 = z, x5 = z, x6 = z, x7 = z;
    for (let k = 0; k < kc4; k += 4) {
      const v = v128.load(a + (<usize>k << 2));
      x0 = fma(x0, v, v128.load(wp));
      x1 = fma(x1, v, v128.load(wp, 16));
      x2 = fma(x2, v, v128.load(wp, 32));
      x3 = fma(x3, v, v128.load(wp, 48));
      x4 = fma(x4, v, v128.load(wp, 64));
      x5 = fma(x5, v, v128.load(wp, 80));
      x6 = fma(x6, v, v128.load(wp, 96));
      x7 = fma(x7, v, v128.load(wp, 112));
      wp += 128;
    }
    let y0 = f32x4.add(bias0, laneSums(x0, x1, x2, x3));
    let y1 = f32x4.add(bias1, laneSums(x4, x5, x6, x7));
    for (let k = kc4; k < kc; k++) {
      const s = v128.load32_splat(a + (<usize>k << 2));
      y0 = fma(y0, s, v128.load(wp));
      y1 = fma(y1, s, v128.load(wp, 16));
      wp += 32;
    }
    y0 = clamp(y0, vlo, vhi);
    y1 = clamp(y1, vlo, vhi);
    if (nc - n >= 8) {
      v128.store(c, y0);
      v128.store(c, y1, 16);
      c += 32;
    } else {
      storePartial(c, y0, y1, nc - n);
    }
  }
}

/** Rows [0, m) of one chunk of channels: 6-row tiles, then the leftover rows with the smallest tile that holds them. */
function rowsF32(m: i32, nc: i32, kc: i32, a: usize, aStride: usize, w: usize, c: usize, cStride: usize,
  lo: v128, hi: v128): void {
  let i = 0;
  for (; i + 5 <= m; i += 6) {
    tile6x8F32(min(6, m - i), nc, kc, a + <usize>i * aStride, aStride, w, c + <usize>i * cStride, cStride, lo, hi);
  }
  const rest = m - i;
  const ai = a + <usize>i * aStride;
  const ci = c + <usize>i * cStride;
  if (rest >= 3) tile4x8F32(rest, nc, kc, ai, aStride, w, ci, cStride, lo, hi);
  else if (rest == 2) tile2x8F32(2, nc, kc, ai, aStride, w, ci, cStride, lo, hi);
  else if (rest == 1) tile1x8F32(nc, kc, ai, w, ci, lo, hi);
}

/** Bytes of packed weights a chunk of channels may span, so that it stays in cache while every row passes. */
const CHUNK_BYTES: usize = 128 << 10;

/**
 * C = clamp(A W + bias) for m rows of depth kc and nc channels: A rows at byte stride aStride, C rows at cStride,
 * W packed as the file comment says. Channels go in chunks of about CHUNK_BYTES of weights, each chunk over all
 * rows: weights larger than the cache are then read once, not once per row tile (few rows, large layers).
 */
export function gemmF32(m: i32, nc: i32, kc: i32, a: usize, aStride: usize, w: usize, c: usize, cStride: usize,
  lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const block = blockBytes(kc);
  const chunk = <i32>max<usize>(1, CHUNK_BYTES / block) << 3;
  for (let n = 0; n < nc; n += chunk) {
    rowsF32(m, min(chunk, nc - n), kc, a, aStride, w + <usize>(n >> 3) * block, c + (<usize>n << 2), cStride, vlo, vhi);
  }
}

// ---- convolution -------------------------------------------------------------------------------------------------
// A convolution is described by an i32 record the TypeScript side writes at prepare (field indexes below).

const BATCHES = 0;
const IN_H = 1;
const IN_W = 2;
const IN_C = 3;
const OUT_H = 4;
const OUT_W = 5;
const OUT_C = 6;
const FILTER_H = 7;
const FILTER_W = 8;
const STRIDE_H = 9;
const STRIDE_W = 10;
const DILATION_H = 11;
const DILATION_W = 12;
const PAD_H = 13;
const PAD_W = 14;
const GROUPS = 15;
const DEPTH = 16; // input channels per group
const OUT_PER_GROUP = 17;
const WEIGHTS = 18; // packed weights (float: per group; hybrid: per group)
const GROUP_BYTES = 19; // bytes of one group's packed weights
const SCRATCH = 20; // im2col rows (float32, or int16 for hybrid)
const BLOCK_PIXELS = 21; // output pixels per im2col block
const ACT_MIN = 22; // f32
const ACT_MAX = 23; // f32
// Hybrid only.
const ACC = 24; // int32 sums of one block, rows of OUT_PER_GROUP rounded up to 8
const BIAS = 25; // f32 per output channel
const CHANNEL_SCALES = 26; // f64 per output channel
const SCALE_MODE = 27;
const BATCH_SCALES = 28; // f32 per batch (or per row for fully-connected)
const BATCH_OFFSETS = 29; // i32 per batch (or per row)

// @ts-ignore: decorator
@inline function field(d: usize, i: i32): i32 {
  return load<i32>(d + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function copyF32(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

// @ts-ignore: decorator
@inline function zeroF32(dst: usize, n: i32): void {
  let i = 0;
  const z = i32x4.splat(0);
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}

/**
 * Receptive fields of output pixels [p0, p0 + np) of one image (group channels [c0, c0 + depth)) as rows of
 * K = FH * FW * depth float32 at dst, zeros where the window leaves the image (a padded tap adds nothing).
 */
function im2colF32(d: usize, image: usize, c0: i32, p0: i32, np: i32, dst: usize): void {
  const inH = field(d, IN_H), inW = field(d, IN_W), inC = field(d, IN_C);
  const outW = field(d, OUT_W);
  const fh = field(d, FILTER_H), fw = field(d, FILTER_W);
  const sh = field(d, STRIDE_H), sw = field(d, STRIDE_W);
  const dh = field(d, DILATION_H), dw = field(d, DILATION_W);
  const ph = field(d, PAD_H), pw = field(d, PAD_W);
  const depth = field(d, DEPTH);
  // Taps of one filter row are contiguous in the image when they are adjacent pixels with all channels.
  const runs = dw == 1 && depth == inC;
  let oy = p0 / outW;
  let ox = p0 - oy * outW;
  for (let p = 0; p < np; p++) {
    const iy0 = oy * sh - ph;
    const ix0 = ox * sw - pw;
    for (let fy = 0; fy < fh; fy++) {
      const iy = iy0 + fy * dh;
      if (iy < 0 || iy >= inH) {
        zeroF32(dst, fw * depth);
        dst += <usize>(fw * depth) << 2;
        continue;
      }
      const row = image + (<usize>(iy * inW) * inC + c0) * 4;
      if (runs && ix0 >= 0 && ix0 + fw <= inW) {
        copyF32(dst, row + (<usize>(ix0 * inC) << 2), fw * depth);
        dst += <usize>(fw * depth) << 2;
        continue;
      }
      for (let fx = 0; fx < fw; fx++) {
        const ix = ix0 + fx * dw;
        if (ix < 0 || ix >= inW) zeroF32(dst, depth);
        else copyF32(dst, row + (<usize>(ix * inC) << 2), depth);
        dst += <usize>depth << 2;
      }
    }
    if (++ox == outW) {
      ox = 0;
      oy++;
    }
  }
}

/** float32 CONV_2D over NHWC input/output at the given byte offsets (record d; see the field indexes). */
export function convF32(d: usize, input: usize, output: usize): void {
  const batches = field(d, BATCHES);
  const inH = field(d, IN_H), inW = field(d, IN_W), inC = field(d, IN_C);
  const outH = field(d, OUT_H), outW = field(d, OUT_W), outC = field(d, OUT_C);
  const fh = field(d, FILTER_H), fw = field(d, FILTER_W);
  const sh = field(d, STRIDE_H), sw = field(d, STRIDE_W);
  const groups = field(d, GROUPS), depth = field(d, DEPTH), opg = field(d, OUT_PER_GROUP);
  const weights = <usize>field(d, WEIGHTS);
  const groupBytes = <usize>field(d, GROUP_BYTES);
  const scratch = <usize>field(d, SCRATCH);
  const blockPixels = field(d, BLOCK_PIXELS);
  const lo = load<f32>(d + (<usize>ACT_MIN << 2));
  const hi = load<f32>(d + (<usize>ACT_MAX << 2));
  const inBatch = <usize>(inH * inW * inC) << 2;
  const outBatch = <usize>(outH * outW * outC) << 2;
  const pixels = outH * outW;
  const K = fh * fw * depth;
  const cStride = <usize>outC << 2;
  for (let b = 0; b < batches; b++) {
    const image = input + <usize>b * inBatch;
    const out = output + <usize>b * outBatch;
    for (let g = 0; g < groups; g++) {
      const w = weights + <usize>g * groupBytes;
      const a = image + (<usize>(g * depth) << 2);
      const c = out + (<usize>(g * opg) << 2);
      if (fh == 1 && fw == 1 && sh == 1 && sw == 1) {
        // Pixels are the A rows, read in place.
        gemmF32(pixels, opg, depth, a, <usize>inC << 2, w, c, cStride, lo, hi);
      } else if (fh == 1 && fw == 1) {
        // Strided 1x1 windows never leave the image: each output row reads every sw-th pixel of an input row.
        for (let oy = 0; oy < outH; oy++) {
          gemmF32(outW, opg, depth, a + (<usize>(oy * sh * inW * inC) << 2), <usize>(sw * inC) << 2,
            w, c + <usize>(oy * outW) * cStride, cStride, lo, hi);
        }
      }
    }
    if (fh == 1 && fw == 1) continue;
    for (let p0 = 0; p0 < pixels; p0 += blockPixels) {
      const np = min(blockPixels, pixels - p0);
      for (let g = 0; g < groups; g++) {
        im2colF32(d, image, g * depth, p0, np, scratch);
        gemmF32(np, opg, K, scratch, <usize>K << 2, weights + <usize>g * groupBytes,
          out + <usize>p0 * cStride + (<usize>(g * opg) << 2), cStride, lo, hi);
      }
    }
  }
}

// ---- indirect convolution: no im2col copies (float-gemm.ts chooses between the two) -------------------------------

const INDIRECTION = 38; // u32 per output pixel per tap: the input pixel, or ZERO_ROW
const INDIRECTION_IMAGE = 39; // the image the indirection was built for (0: none; rebuilt when the image moves)
const ZERO_ROW = 40; // IN_C zero floats (FILTER_W * IN_C with ROW_RUNS)
// Row runs (groups of 1, horizontal dilation 1): the taps of one filter row are FILTER_W adjacent pixels, so
// FILTER_W * IN_C contiguous floats of the image; the indirection then holds one pointer per filter row (the GEMM
// runs over FILTER_H "taps" of that depth: fewer, longer runs). Windows crossing the left or right edge read
// their rows from EDGE_SCRATCH, refilled per image (zeros outside).
const ROW_RUNS = 42;
const EDGE_SCRATCH = 43; // per output row, per edge column, per filter row: FILTER_W * IN_C floats
const EDGE_LO = 44; // output columns [0, EDGE_LO) and [EDGE_HI, OUT_W) cross an edge
const EDGE_HI = 45;

/**
 * One tile of an indirect GEMM: rows are output pixels, each a list of `taps` pointers (one input pixel's `depth`
 * channels per filter tap, or a zero row where the window leaves the image) at ind (row r's list at ind + r * taps * 4),
 * each plus goff (the group's first channel). The packed weights are the im2col layout (tap-major, channel-minor
 * K = taps * depth). Rows past mr repeat the last row; 4- and 2-row versions below take the leftover pixels.
 */
function itile6x8F32(mr: i32, nc: i32, taps: i32, depth: i32, ind: usize, goff: usize, w: usize, c: usize, cStride: usize,
  lo: v128, hi: v128): void {
  const indStride = <usize>taps << 2;
  const i0 = ind;
  const i1 = mr > 1 ? i0 + indStride : i0;
  const i2 = mr > 2 ? i1 + indStride : i1;
  const i3 = mr > 3 ? i2 + indStride : i2;
  const i4 = mr > 4 ? i3 + indStride : i3;
  const i5 = mr > 5 ? i4 + indStride : i4;
  let c0 = c;
  let c1 = mr > 1 ? c0 + cStride : c0;
  let c2 = mr > 2 ? c1 + cStride : c1;
  let c3 = mr > 3 ? c2 + cStride : c2;
  let c4 = mr > 4 ? c3 + cStride : c3;
  let c5 = mr > 5 ? c4 + cStride : c4;
  const kc = taps * depth;
  const d4 = depth & ~3;
  for (let n = 0; n < nc; n += 8) {
    let wp = w + (<usize>(n >> 3)) * blockBytes(kc);
    let x00 = v128.load(wp);
    let x01 = v128.load(wp, 16);
    let x10 = x00, x11 = x01, x20 = x00, x21 = x01, x30 = x00, x31 = x01, x40 = x00, x41 = x01, x50 = x00, x51 = x01;
    wp += 32;
    for (let t = 0; t < taps; t++) {
      const to = <usize>t << 2;
      const a0 = <usize>load<u32>(i0 + to) + goff;
      const a1 = <usize>load<u32>(i1 + to) + goff;
      const a2 = <usize>load<u32>(i2 + to) + goff;
      const a3 = <usize>load<u32>(i3 + to) + goff;
      const a4 = <usize>load<u32>(i4 + to) + goff;
      const a5 = <usize>load<u32>(i5 + to) + goff;
      let k = 0;
      for (; k < d4; k += 4) {
        const o = <usize>k << 2;
        let w0 = v128.load(wp);
        let w1 = v128.load(wp, 16);
        let s0 = v128.load32_splat(a0 + o);
        let s1 = v128.load32_splat(a1 + o);
        let s2 = v128.load32_splat(a2 + o);
        let s3 = v128.load32_splat(a3 + o);
        let s4 = v128.load32_splat(a4 + o);
        let s5 = v128.load32_splat(a5 + o);
        x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
        x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
        x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
        x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
        x40 = fma(x40, s4, w0); x41 = fma(x41, s4, w1);
        x50 = fma(x50, s5, w0); x51 = fma(x51, s5, w1);
        w0 = v128.load(wp, 32);
        w1 = v128.load(wp, 48);
        s0 = v128.load32_splat(a0 + o, 4);
        s1 = v128.load32_splat(a1 + o, 4);
        s2 = v128.load32_splat(a2 + o, 4);
        s3 = v128.load32_splat(a3 + o, 4);
        s4 = v128.load32_splat(a4 + o, 4);
        s5 = v128.load32_splat(a5 + o, 4);
        x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
        x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
        x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
        x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
        x40 = fma(x40, s4, w0); x41 = fma(x41, s4, w1);
        x50 = fma(x50, s5, w0); x51 = fma(x51, s5, w1);
        w0 = v128.load(wp, 64);
        w1 = v128.load(wp, 80);
        s0 = v128.load32_splat(a0 + o, 8);
        s1 = v128.load32_splat(a1 + o, 8);
        s2 = v128.load32_splat(a2 + o, 8);
        s3 = v128.load32_splat(a3 + o, 8);
        s4 = v128.load32_splat(a4 + o, 8);
        s5 = v128.load32_splat(a5 + o, 8);
        x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
        x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
        x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
        x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
        x40 = fma(x40, s4, w0); x41 = fma(x41, s4, w1);
        x50 = fma(x50, s5, w0); x51 = fma(x51, s5, w1);
        w0 = v128.load(wp, 96);
        w1 = v128.load(wp, 112);
        s0 = v128.load32_splat(a0 + o, 12);
        s1 = v128.load32_splat(a1 + o, 12);
        s2 = v128.load32_splat(a2 + o, 12);
        s3 = v128.load32_splat(a3 + o, 12);
        s4 = v128.load32_splat(a4 + o, 12);
        s5 = v128.load32_splat(a5 + o, 12);
        x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
        x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
        x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
        x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
        x40 = fma(x40, s4, w0); x41 = fma(x41, s4, w1);
        x50 = fma(x50, s5, w0); x51 = fma(x51, s5, w1);
        wp += 128;
      }
      for (; k < depth; k++) {
        const o = <usize>k << 2;
        const w0 = v128.load(wp);
        const w1 = v128.load(wp, 16);
        const s0 = v128.load32_splat(a0 + o);
        const s1 = v128.load32_splat(a1 + o);
        const s2 = v128.load32_splat(a2 + o);
        const s3 = v128.load32_splat(a3 + o);
        const s4 = v128.load32_splat(a4 + o);
        const s5 = v128.load32_splat(a5 + o);
        x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
        x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
        x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
        x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
        x40 = fma(x40, s4, w0); x41 = fma(x41, s4, w1);
        x50 = fma(x50, s5, w0); x51 = fma(x51, s5, w1);
        wp += 32;
      }
    }
    x00 = clamp(x00, lo, hi); x01 = clamp(x01, lo, hi);
    x10 = clamp(x10, lo, hi); x11 = clamp(x11, lo, hi);
    x20 = clamp(x20, lo, hi); x21 = clamp(x21, lo, hi);
    x30 = clamp(x30, lo, hi); x31 = clamp(x31, lo, hi);
    x40 = clamp(x40, lo, hi); x41 = clamp(x41, lo, hi);
    x50 = clamp(x50, lo, hi); x51 = clamp(x51, lo, hi);
    if (nc - n >= 8) {
      v128.store(c5, x50); v128.store(c5, x51, 16); c5 += 32;
      v128.store(c4, x40); v128.store(c4, x41, 16); c4 += 32;
      v128.store(c3, x30); v128.store(c3, x31, 16); c3 += 32;
      v128.store(c2, x20); v128.store(c2, x21, 16); c2 += 32;
      v128.store(c1, x10); v128.store(c1, x11, 16); c1 += 32;
      v128.store(c0, x00); v128.store(c0, x01, 16); c0 += 32;
    } else {
      const rest = nc - n;
      storePartial(c5, x50, x51, rest);
      storePartial(c4, x40, x41, rest);
      storePartial(c3, x30, x31, rest);
      storePartial(c2, x20, x21, rest);
      storePartial(c1, x10, x11, rest);
      storePartial(c0, x00, x01, rest);
    }
  }
}

function itile4x8F32(mr: i32, nc: i32, taps: i32, depth: i32, ind: usize, goff: usize, w: usize, c: usize, cStride: usize,
  lo: v128, hi: v128): void {
  const indStride = <usize>taps << 2;
  const i0 = ind;
  const i1 = mr > 1 ? i0 + indStride : i0;
  const i2 = mr > 2 ? i1 + indStride : i1;
  const i3 = mr > 3 ? i2 + indStride : i2;
  let c0 = c;
  let c1 = mr > 1 ? c0 + cStride : c0;
  let c2 = mr > 2 ? c1 + cStride : c1;
  let c3 = mr > 3 ? c2 + cStride : c2;
  const kc = taps * depth;
  const d4 = depth & ~3;
  for (let n = 0; n < nc; n += 8) {
    let wp = w + (<usize>(n >> 3)) * blockBytes(kc);
    let x00 = v128.load(wp);
    let x01 = v128.load(wp, 16);
    let x10 = x00, x11 = x01, x20 = x00, x21 = x01, x30 = x00, x31 = x01;
    wp += 32;
    for (let t = 0; t < taps; t++) {
      const to = <usize>t << 2;
      const a0 = <usize>load<u32>(i0 + to) + goff;
      const a1 = <usize>load<u32>(i1 + to) + goff;
      const a2 = <usize>load<u32>(i2 + to) + goff;
      const a3 = <usize>load<u32>(i3 + to) + goff;
      let k = 0;
      for (; k < d4; k += 4) {
        const o = <usize>k << 2;
        let w0 = v128.load(wp);
        let w1 = v128.load(wp, 16);
        let s0 = v128.load32_splat(a0 + o);
        let s1 = v128.load32_splat(a1 + o);
        let s2 = v128.load32_splat(a2 + o);
        let s3 = v128.load32_splat(a3 + o);
        x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
        x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
        x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
        x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
        w0 = v128.load(wp, 32);
        w1 = v128.load(wp, 48);
        s0 = v128.load32_splat(a0 + o, 4);
        s1 = v128.load32_splat(a1 + o, 4);
        s2 = v128.load32_splat(a2 + o, 4);
        s3 = v128.load32_splat(a3 + o, 4);
        x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
        x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
        x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
        x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
        w0 = v128.load(wp, 64);
        w1 = v128.load(wp, 80);
        s0 = v128.load32_splat(a0 + o, 8);
        s1 = v128.load32_splat(a1 + o, 8);
        s2 = v128.load32_splat(a2 + o, 8);
        s3 = v128.load32_splat(a3 + o, 8);
        x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
        x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
        x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
        x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
        w0 = v128.load(wp, 96);
        w1 = v128.load(wp, 112);
        s0 = v128.load32_splat(a0 + o, 12);
        s1 = v128.load32_splat(a1 + o, 12);
        s2 = v128.load32_splat(a2 + o, 12);
        s3 = v128.load32_splat(a3 + o, 12);
        x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
        x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
        x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
        x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
        wp += 128;
      }
      for (; k < depth; k++) {
        const o = <usize>k << 2;
        const w0 = v128.load(wp);
        const w1 = v128.load(wp, 16);
        const s0 = v128.load32_splat(a0 + o);
        const s1 = v128.load32_splat(a1 + o);
        const s2 = v128.load32_splat(a2 + o);
        const s3 = v128.load32_splat(a3 + o);
        x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
        x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
        x20 = fma(x20, s2, w0); x21 = fma(x21, s2, w1);
        x30 = fma(x30, s3, w0); x31 = fma(x31, s3, w1);
        wp += 32;
      }
    }
    x00 = clamp(x00, lo, hi); x01 = clamp(x01, lo, hi);
    x10 = clamp(x10, lo, hi); x11 = clamp(x11, lo, hi);
    x20 = clamp(x20, lo, hi); x21 = clamp(x21, lo, hi);
    x30 = clamp(x30, lo, hi); x31 = clamp(x31, lo, hi);
    if (nc - n >= 8) {
      v128.store(c3, x30); v128.store(c3, x31, 16); c3 += 32;
      v128.store(c2, x20); v128.store(c2, x21, 16); c2 += 32;
      v128.store(c1, x10); v128.store(c1, x11, 16); c1 += 32;
      v128.store(c0, x00); v128.store(c0, x01, 16); c0 += 32;
    } else {
      const rest = nc - n;
      storePartial(c3, x30, x31, rest);
      storePartial(c2, x20, x21, rest);
      storePartial(c1, x10, x11, rest);
      storePartial(c0, x00, x01, rest);
    }
  }
}

function itile2x8F32(mr: i32, nc: i32, taps: i32, depth: i32, ind: usize, goff: usize, w: usize, c: usize, cStride: usize,
  lo: v128, hi: v128): void {
  const indStride = <usize>taps << 2;
  const i0 = ind;
  const i1 = mr > 1 ? i0 + indStride : i0;
  let c0 = c;
  let c1 = mr > 1 ? c0 + cStride : c0;
  const kc = taps * depth;
  const d4 = depth & ~3;
  for (let n = 0; n < nc; n += 8) {
    let wp = w + (<usize>(n >> 3)) * blockBytes(kc);
    let x00 = v128.load(wp);
    let x01 = v128.load(wp, 16);
    let x10 = x00, x11 = x01;
    wp += 32;
    for (let t = 0; t < taps; t++) {
      const to = <usize>t << 2;
      const a0 = <usize>load<u32>(i0 + to) + goff;
      const a1 = <usize>load<u32>(i1 + to) + goff;
      let k = 0;
      for (; k < d4; k += 4) {
        const o = <usize>k << 2;
        let w0 = v128.load(wp);
        let w1 = v128.load(wp, 16);
        let s0 = v128.load32_splat(a0 + o);
        let s1 = v128.load32_splat(a1 + o);
        x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
        x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
        w0 = v128.load(wp, 32);
        w1 = v128.load(wp, 48);
        s0 = v128.load32_splat(a0 + o, 4);
        s1 = v128.load32_splat(a1 + o, 4);
        x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
        x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
        w0 = v128.load(wp, 64);
        w1 = v128.load(wp, 80);
        s0 = v128.load32_splat(a0 + o, 8);
        s1 = v128.load32_splat(a1 + o, 8);
        x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
        x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
        w0 = v128.load(wp, 96);
        w1 = v128.load(wp, 112);
        s0 = v128.load32_splat(a0 + o, 12);
        s1 = v128.load32_splat(a1 + o, 12);
        x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
        x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
        wp += 128;
      }
      for (; k < depth; k++) {
        const o = <usize>k << 2;
        const w0 = v128.load(wp);
        const w1 = v128.load(wp, 16);
        const s0 = v128.load32_splat(a0 + o);
        const s1 = v128.load32_splat(a1 + o);
        x00 = fma(x00, s0, w0); x01 = fma(x01, s0, w1);
        x10 = fma(x10, s1, w0); x11 = fma(x11, s1, w1);
        wp += 32;
      }
    }
    x00 = clamp(x00, lo, hi); x01 = clamp(x01, lo, hi);
    x10 = clamp(x10, lo, hi); x11 = clamp(x11, lo, hi);
    if (nc - n >= 8) {
      v128.store(c1, x10); v128.store(c1, x11, 16); c1 += 32;
      v128.store(c0, x00); v128.store(c0, x01, 16); c0 += 32;
    } else {
      const rest = nc - n;
      storePartial(c1, x10, x11, rest);
      storePartial(c0, x00, x01, rest);
    }
  }
}

/** Indirection pointers of one image: per output pixel, per tap, the input pixel or the zero row. */
function buildIndirection(d: usize, image: usize): void {
  const inH = field(d, IN_H), inW = field(d, IN_W), inC = field(d, IN_C);
  const outH = field(d, OUT_H), outW = field(d, OUT_W);
  const fh = field(d, FILTER_H), fw = field(d, FILTER_W);
  const sh = field(d, STRIDE_H), sw = field(d, STRIDE_W);
  const dh = field(d, DILATION_H), dw = field(d, DILATION_W);
  const ph = field(d, PAD_H), pw = field(d, PAD_W);
  const zero = <u32>field(d, ZERO_ROW);
  let at = <usize>field(d, INDIRECTION);
  if (field(d, ROW_RUNS)) {
    const edgeLo = field(d, EDGE_LO), edgeHi = field(d, EDGE_HI);
    const edges = edgeLo + outW - edgeHi;
    const slotBytes = <usize>(fw * inC) << 2;
    const scratch = <usize>field(d, EDGE_SCRATCH);
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const ix = ox * sw - pw;
        // The edge column's slot index among this output row's edge columns.
        const edge = ox < edgeLo ? ox : ox >= edgeHi ? ox - edgeHi + edgeLo : -1;
        for (let fy = 0; fy < fh; fy++) {
          const iy = oy * sh - ph + fy * dh;
          let p: u32 = zero;
          if (iy >= 0 && iy < inH) {
            p = edge >= 0
              ? <u32>(scratch + <usize>((oy * edges + edge) * fh + fy) * slotBytes)
              : <u32>(image + (<usize>((iy * inW + ix) * inC) << 2));
          }
          store<u32>(at, p);
          at += 4;
        }
      }
    }
    store<i32>(d + (<usize>INDIRECTION_IMAGE << 2), <i32>image);
    return;
  }
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let fy = 0; fy < fh; fy++) {
        const iy = oy * sh - ph + fy * dh;
        for (let fx = 0; fx < fw; fx++) {
          const ix = ox * sw - pw + fx * dw;
          const inside = iy >= 0 && iy < inH && ix >= 0 && ix < inW;
          store<u32>(at, inside ? <u32>(image + (<usize>((iy * inW + ix) * inC) << 2)) : zero);
          at += 4;
        }
      }
    }
  }
  store<i32>(d + (<usize>INDIRECTION_IMAGE << 2), <i32>image);
}

/** The edge slots of ROW_RUNS (see buildIndirection): each window row crossing an edge, zeros outside the image. */
function fillEdges(d: usize, image: usize): void {
  const inH = field(d, IN_H), inW = field(d, IN_W), inC = field(d, IN_C);
  const outH = field(d, OUT_H), outW = field(d, OUT_W);
  const fh = field(d, FILTER_H), fw = field(d, FILTER_W);
  const sh = field(d, STRIDE_H), sw = field(d, STRIDE_W);
  const dh = field(d, DILATION_H);
  const ph = field(d, PAD_H), pw = field(d, PAD_W);
  const edgeLo = field(d, EDGE_LO), edgeHi = field(d, EDGE_HI);
  const pixelBytes = <usize>inC << 2;
  let slot = <usize>field(d, EDGE_SCRATCH);
  for (let oy = 0; oy < outH; oy++) {
    for (let e = 0, edges = edgeLo + outW - edgeHi; e < edges; e++) {
      const ox = e < edgeLo ? e : edgeHi + e - edgeLo;
      const ix0 = ox * sw - pw;
      for (let fy = 0; fy < fh; fy++) {
        const iy = oy * sh - ph + fy * dh;
        if (iy >= 0 && iy < inH) {
          const row = image + <usize>(iy * inW) * pixelBytes;
          for (let fx = 0; fx < fw; fx++) {
            const ix = ix0 + fx;
            const dst = slot + <usize>fx * pixelBytes;
            // Short copies inline (memory.copy and memory.fill of a variable size are calls).
            if (ix >= 0 && ix < inW) copyF32(dst, row + <usize>ix * pixelBytes, inC);
            else zeroF32(dst, inC);
          }
        }
        slot += <usize>fw * pixelBytes;
      }
    }
  }
}

/** convF32 through an indirection buffer instead of im2col rows (any filter size). */
export function convF32Indirect(d: usize, input: usize, output: usize): void {
  const batches = field(d, BATCHES);
  const inH = field(d, IN_H), inW = field(d, IN_W), inC = field(d, IN_C);
  const outH = field(d, OUT_H), outW = field(d, OUT_W), outC = field(d, OUT_C);
  const rowRuns = field(d, ROW_RUNS) != 0;
  const taps = rowRuns ? field(d, FILTER_H) : field(d, FILTER_H) * field(d, FILTER_W);
  const groups = field(d, GROUPS), opg = field(d, OUT_PER_GROUP);
  const depth = rowRuns ? field(d, FILTER_W) * inC : field(d, DEPTH);
  const edges = rowRuns && field(d, EDGE_LO) + outW - field(d, EDGE_HI) > 0;
  const weights = <usize>field(d, WEIGHTS);
  const groupBytes = <usize>field(d, GROUP_BYTES);
  const ind = <usize>field(d, INDIRECTION);
  const lo = f32x4.splat(load<f32>(d + (<usize>ACT_MIN << 2)));
  const hi = f32x4.splat(load<f32>(d + (<usize>ACT_MAX << 2)));
  const inBatch = <usize>(inH * inW * inC) << 2;
  const pixels = outH * outW;
  const cStride = <usize>outC << 2;
  const rowBytes = <usize>taps << 2;
  const block = blockBytes(taps * depth);
  const chunk = <i32>max<usize>(1, CHUNK_BYTES / block) << 3;
  for (let b = 0; b < batches; b++) {
    const image = input + <usize>b * inBatch;
    if (<usize>field(d, INDIRECTION_IMAGE) != image) buildIndirection(d, image);
    if (edges) fillEdges(d, image);
    const out = output + <usize>(b * pixels) * cStride;
    for (let g = 0; g < groups; g++) {
      const goff = <usize>(g * depth) << 2;
      const w = weights + <usize>g * groupBytes;
      const c = out + (<usize>(g * opg) << 2);
      // Channel chunks over all pixels, as gemmF32.
      for (let n = 0; n < opg; n += chunk) {
        const nc = min(chunk, opg - n);
        const wn = w + <usize>(n >> 3) * block;
        const cn = c + (<usize>n << 2);
        let p = 0;
        for (; p + 5 <= pixels; p += 6) {
          itile6x8F32(min(6, pixels - p), nc, taps, depth, ind + <usize>p * rowBytes, goff, wn, cn + <usize>p * cStride, cStride, lo, hi);
        }
        // Leftover pixels on the smallest tile that holds them (as rowsF32).
        const rest = pixels - p;
        const ip = ind + <usize>p * rowBytes;
        const cp = cn + <usize>p * cStride;
        if (rest >= 3) itile4x8F32(rest, nc, taps, depth, ip, goff, wn, cp, cStride, lo, hi);
        else if (rest > 0) itile2x8F32(rest, nc, taps, depth, ip, goff, wn, cp, cStride, lo, hi);
      }
    }
  }
}

// ---- BATCH_MATMUL ------------------------------------------------------------------------------------------------

/**
 * Pack a k x n float32 matrix (element (kk, j) at src + (kk * depthStride + j * colStride) * 4) for gemmF32, with
 * zero biases: per block of 8 columns, 8 zeros then k rows of 8 values (zeros past column n).
 */
export function packF32(src: usize, k: i32, n: i32, depthStride: i32, colStride: i32, dst: usize): void {
  for (let j0 = 0; j0 < n; j0 += 8) {
    v128.store(dst, i32x4.splat(0));
    v128.store(dst, i32x4.splat(0), 16);
    dst += 32;
    const cols = min(8, n - j0);
    if (cols == 8 && colStride == 1) {
      for (let kk = 0; kk < k; kk++) {
        const p = src + (<usize>(kk * depthStride + j0) << 2);
        v128.store(dst, v128.load(p));
        v128.store(dst, v128.load(p, 16), 16);
        dst += 32;
      }
      continue;
    }
    for (let kk = 0; kk < k; kk++) {
      for (let j = 0; j < 8; j++) {
        store<f32>(dst + (<usize>j << 2), j < cols ? load<f32>(src + (<usize>(kk * depthStride + (j0 + j) * colStride) << 2)) : 0);
      }
      dst += 32;
    }
  }
}

/** dst[i][kk] = src[i * rowStride + kk * depthStride] (float32) for i < m, kk < k: lhs rows made contiguous. */
export function gatherRowsF32(src: usize, m: i32, k: i32, rowStride: i32, depthStride: i32, dst: usize): void {
  for (let i = 0; i < m; i++) {
    for (let kk = 0; kk < k; kk++) {
      store<f32>(dst, load<f32>(src + (<usize>(i * rowStride + kk * depthStride) << 2)));
      dst += 4;
    }
  }
}
