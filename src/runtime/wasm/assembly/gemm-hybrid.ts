// Hybrid (dynamic-range) CONV_2D and FULLY_CONNECTED: float32 activations quantized to int8 per batch (TFLite's
// quantizers, bit for bit as quant-math.ts computes them), int8 weights, exact int32 sums, then the float32 rescale ops of the
// TypeScript kernels (TFLite's) in the same order (so the results are bit-identical).
//
// The GEMM takes int16 A rows (input - zero point; zero where a window leaves the image) of Kp = K rounded up to
// even, and weights widened to int16 at prepare, per block of 8 channels as [Kp / 2][8 channels][2 k]: one
// i32x4.dot_i16x8_s of a splatted pair of A values (a broadcast load, as in gemm-f32.ts) with a weight vector adds
// two products into each channel's lane.
// Tiles are 6 rows x 8 channels (4, 2 and 1 for leftover rows), like the float32 kernels (gemm-f32.ts).

// @ts-ignore: decorator
@inline function dot(acc: v128, a: v128, w: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(a, w));
}

function tile6x8I16(mr: i32, nc: i32, kp: i32, a: usize, aStride: usize, w: usize, c: usize, cStride: usize): void {
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
  const pairs = kp >> 1;
  const pairs4 = pairs & ~3;
  const block = <usize>pairs << 5;
  for (let n = 0; n < nc; n += 8) {
    let wp = w + (<usize>(n >> 3)) * block;
    let x00 = i32x4.splat(0);
    let x01 = x00, x10 = x00, x11 = x00, x20 = x00, x21 = x00, x30 = x00, x31 = x00, x40 = x00, x41 = x00, x50 = x00, x51 = x00;
    let q = 0;
    for (; q < pairs4; q += 4) {
      const o = <usize>q << 2;
      let w0 = v128.load(wp);
      let w1 = v128.load(wp, 16);
      let s0 = v128.load32_splat(a0 + o);
      let s1 = v128.load32_splat(a1 + o);
      let s2 = v128.load32_splat(a2 + o);
      let s3 = v128.load32_splat(a3 + o);
      let s4 = v128.load32_splat(a4 + o);
      let s5 = v128.load32_splat(a5 + o);
      x00 = dot(x00, s0, w0); x01 = dot(x01, s0, w1);
      x10 = dot(x10, s1, w0); x11 = dot(x11, s1, w1);
      x20 = dot(x20, s2, w0); x21 = dot(x21, s2, w1);
      x30 = dot(x30, s3, w0); x31 = dot(x31, s3, w1);
      x40 = dot(x40, s4, w0); x41 = dot(x41, s4, w1);
      x50 = dot(x50, s5, w0); x51 = dot(x51, s5, w1);
      w0 = v128.load(wp, 32);
      w1 = v128.load(wp, 48);
      s0 = v128.load32_splat(a0 + o, 4);
      s1 = v128.load32_splat(a1 + o, 4);
      s2 = v128.load32_splat(a2 + o, 4);
      s3 = v128.load32_splat(a3 + o, 4);
      s4 = v128.load32_splat(a4 + o, 4);
      s5 = v128.load32_splat(a5 + o, 4);
      x00 = dot(x00, s0, w0); x01 = dot(x01, s0, w1);
      x10 = dot(x10, s1, w0); x11 = dot(x11, s1, w1);
      x20 = dot(x20, s2, w0); x21 = dot(x21, s2, w1);
      x30 = dot(x30, s3, w0); x31 = dot(x31, s3, w1);
      x40 = dot(x40, s4, w0); x41 = dot(x41, s4, w1);
      x50 = dot(x50, s5, w0); x51 = dot(x51, s5, w1);
      w0 = v128.load(wp, 64);
      w1 = v128.load(wp, 80);
      s0 = v128.load32_splat(a0 + o, 8);
      s1 = v128.load32_splat(a1 + o, 8);
      s2 = v128.load32_splat(a2 + o, 8);
      s3 = v128.load32_splat(a3 + o, 8);
      s4 = v128.load32_splat(a4 + o, 8);
      s5 = v128.load32_splat(a5 + o, 8);
      x00 = dot(x00, s0, w0); x01 = dot(x01, s0, w1);
      x10 = dot(x10, s1, w0); x11 = dot(x11, s1, w1);
      x20 = dot(x20, s2, w0); x21 = dot(x21, s2, w1);
      x30 = dot(x30, s3, w0); x31 = dot(x31, s3, w1);
      x40 = dot(x40, s4, w0); x41 = dot(x41, s4, w1);
      x50 = dot(x50, s5, w0); x51 = dot(x51, s5, w1);
      w0 = v128.load(wp, 96);
      w1 = v128.load(wp, 112);
      s0 = v128.load32_splat(a0 + o, 12);
      s1 = v128.load32_splat(a1 + o, 12);
      s2 = v128.load32_splat(a2 + o, 12);
      s3 = v128.load32_splat(a3 + o, 12);
      s4 = v128.load32_splat(a4 + o, 12);
      s5 = v128.load32_splat(a5 + o, 12);
      x00 = dot(x00, s0, w0); x01 = dot(x01, s0, w1);
      x10 = dot(x10, s1, w0); x11 = dot(x11, s1, w1);
      x20 = dot(x20, s2, w0); x21 = dot(x21, s2, w1);
      x30 = dot(x30, s3, w0); x31 = dot(x31, s3, w1);
      x40 = dot(x40, s4, w0); x41 = dot(x41, s4, w1);
      x50 = dot(x50, s5, w0); x51 = dot(x51, s5, w1);
      wp += 128;
    }
    for (; q < pairs; q++) {
      const o = <usize>q << 2;
      const w0 = v128.load(wp);
      const w1 = v128.load(wp, 16);
      const s0 = v128.load32_splat(a0 + o);
      const s1 = v128.load32_splat(a1 + o);
      const s2 = v128.load32_splat(a2 + o);
      const s3 = v128.load32_splat(a3 + o);
      const s4 = v128.load32_splat(a4 + o);
      const s5 = v128.load32_splat(a5 + o);
      x00 = dot(x00, s0, w0); x01 = dot(x01, s0, w1);
      x10 = dot(x10, s1, w0); x11 = dot(x11, s1, w1);
      x20 = dot(x20, s2, w0); x21 = dot(x21, s2, w1);
      x30 = dot(x30, s3, w0); x31 = dot(x31, s3, w1);
      x40 = dot(x40, s4, w0); x41 = dot(x41, s4, w1);
      x50 = dot(x50, s5, w0); x51 = dot(x51, s5, w1);
      wp += 32;
    }
    // The sums' rows are padded to a multiple of 8 channels: whole-vector stores.
    v128.store(c5, x50); v128.store(c5, x51, 16); c5 += 32;
    v128.store(c4, x40); v128.store(c4, x41, 16); c4 += 32;
    v128.store(c3, x30); v128.store(c3, x31, 16); c3 += 32;
    v128.store(c2, x20); v128.store(c2, x21, 16); c2 += 32;
    v128.store(c1, x10); v128.store(c1, x11, 16); c1 += 32;
    v128.store(c0, x00); v128.store(c0, x01, 16); c0 += 32;
  }
}

function tile4x8I16(mr: i32, nc: i32, kp: i32, a: usize, aStride: usize, w: usize, c: usize, cStride: usize): void {
  // Rows past mr repeat the last row (computed twice, stored twice with the same values).
  const a0 = a;
  const a1 = mr > 1 ? a0 + aStride : a0;
  const a2 = mr > 2 ? a1 + aStride : a1;
  const a3 = mr > 3 ? a2 + aStride : a2;
  let c0 = c;
  let c1 = mr > 1 ? c0 + cStride : c0;
  let c2 = mr > 2 ? c1 + cStride : c1;
  let c3 = mr > 3 ? c2 + cStride : c2;
  const pairs = kp >> 1;
  const pairs4 = pairs & ~3;
  const block = <usize>pairs << 5;
  for (let n = 0; n < nc; n += 8) {
    let wp = w + (<usize>(n >> 3)) * block;
    let x00 = i32x4.splat(0);
    let x01 = x00, x10 = x00, x11 = x00, x20 = x00, x21 = x00, x30 = x00, x31 = x00;
    let q = 0;
    for (; q < pairs4; q += 4) {
      const o = <usize>q << 2;
      let w0 = v128.load(wp);
      let w1 = v128.load(wp, 16);
      let s0 = v128.load32_splat(a0 + o);
      let s1 = v128.load32_splat(a1 + o);
      let s2 = v128.load32_splat(a2 + o);
      let s3 = v128.load32_splat(a3 + o);
      x00 = dot(x00, s0, w0); x01 = dot(x01, s0, w1);
      x10 = dot(x10, s1, w0); x11 = dot(x11, s1, w1);
      x20 = dot(x20, s2, w0); x21 = dot(x21, s2, w1);
      x30 = dot(x30, s3, w0); x31 = dot(x31, s3, w1);
      w0 = v128.load(wp, 32);
      w1 = v128.load(wp, 48);
      s0 = v128.load32_splat(a0 + o, 4);
      s1 = v128.load32_splat(a1 + o, 4);
      s2 = v128.load32_splat(a2 + o, 4);
      s3 = v128.load32_splat(a3 + o, 4);
      x00 = dot(x00, s0, w0); x01 = dot(x01, s0, w1);
      x10 = dot(x10, s1, w0); x11 = dot(x11, s1, w1);
      x20 = dot(x20, s2, w0); x21 = dot(x21, s2, w1);
      x30 = dot(x30, s3, w0); x31 = dot(x31, s3, w1);
      w0 = v128.load(wp, 64);
      w1 = v128.load(wp, 80);
      s0 = v128.load32_splat(a0 + o, 8);
      s1 = v128.load32_splat(a1 + o, 8);
      s2 = v128.load32_splat(a2 + o, 8);
      s3 = v128.load32_splat(a3 + o, 8);
      x00 = dot(x00, s0, w0); x01 = dot(x01, s0, w1);
      x10 = dot(x10, s1, w0); x11 = dot(x11, s1, w1);
      x20 = dot(x20, s2, w0); x21 = dot(x21, s2, w1);
      x30 = dot(x30, s3, w0); x31 = dot(x31, s3, w1);
      w0 = v128.load(wp, 96);
      w1 = v128.load(wp, 112);
      s0 = v128.load32_splat(a0 + o, 12);
      s1 = v128.load32_splat(a1 + o, 12);
      s2 = v128.load32_splat(a2 + o, 12);
      s3 = v128.load32_splat(a3 + o, 12);
      x00 = dot(x00, s0, w0); x01 = dot(x01, s0, w1);
      x10 = dot(x10, s1, w0); x11 = dot(x11, s1, w1);
      x20 = dot(x20, s2, w0); x21 = dot(x21, s2, w1);
      x30 = dot(x30, s3, w0); x31 = dot(x31, s3, w1);
      wp += 128;
    }
    for (; q < pairs; q++) {
      const o = <usize>q << 2;
      const w0 = v128.load(wp);
      const w1 = v128.load(wp, 16);
      const s0 = v128.load32_splat(a0 + o);
      const s1 = v128.load32_splat(a1 + o);
      const s2 = v128.load32_splat(a2 + o);
      const s3 = v128.load32_splat(a3 + o);
      x00 = dot(x00, s0, w0); x01 = dot(x01, s0, w1);
      x10 = dot(x10, s1, w0); x11 = dot(x11, s1, w1);
      x20 = dot(x20, s2, w0); x21 = dot(x21, s2, w1);
      x30 = dot(x30, s3, w0); x31 = dot(x31, s3, w1);
      wp += 32;
    }
    // The sums' rows are padded to a multiple of 8 channels: whole-vector stores.
    v128.store(c3, x30); v128.store(c3, x31, 16); c3 += 32;
    v128.store(c2, x20); v128.store(c2, x21, 16); c2 += 32;
    v128.store(c1, x10); v128.store(c1, x11, 16); c1 += 32;
    v128.store(c0, x00); v128.store(c0, x01, 16); c0 += 32;
  }
}

function tile2x8I16(mr: i32, nc: i32, kp: i32, a: usize, aStride: usize, w: usize, c: usize, cStride: usize): void {
  const a0 = a;
  const a1 = mr > 1 ? a0 + aStride : a0;
  let c0 = c;
  let c1 = mr > 1 ? c0 + cStride : c0;
  const pairs = kp >> 1;
  const pairs4 = pairs & ~3;
  const block = <usize>pairs << 5;
  for (let n = 0; n < nc; n += 8) {
    let wp = w + (<usize>(n >> 3)) * block;
    let x00 = i32x4.splat(0);
    let x01 = x00, x10 = x00, x11 = x00;
    let q = 0;
    for (; q < pairs4; q += 4) {
      const o = <usize>q << 2;
      let w0 = v128.load(wp);
      let w1 = v128.load(wp, 16);
      let s0 = v128.load32_splat(a0 + o);
      let s1 = v128.load32_splat(a1 + o);
      x00 = dot(x00, s0, w0); x01 = dot(x01, s0, w1);
      x10 = dot(x10, s1, w0); x11 = dot(x11, s1, w1);
      w0 = v128.load(wp, 32);
      w1 = v128.load(wp, 48);
      s0 = v128.load32_splat(a0 + o, 4);
      s1 = v128.load32_splat(a1 + o, 4);
      x00 = dot(x00, s0, w0); x01 = dot(x01, s0, w1);
      x10 = dot(x10, s1, w0); x11 = dot(x11, s1, w1);
      w0 = v128.load(wp, 64);
      w1 = v128.load(wp, 80);
      s0 = v128.load32_splat(a0 + o, 8);
      s1 = v128.load32_splat(a1 + o, 8);
      x00 = dot(x00, s0, w0); x01 = dot(x01, s0, w1);
      x10 = dot(x10, s1, w0); x11 = dot(x11, s1, w1);
      w0 = v128.load(wp, 96);
      w1 = v128.load(wp, 112);
      s0 = v128.load32_splat(a0 + o, 12);
      s1 = v128.load32_splat(a1 + o, 12);
      x00 = dot(x00, s0, w0); x01 = dot(x01, s0, w1);
      x10 = dot(x10, s1, w0); x11 = dot(x11, s1, w1);
      wp += 128;
    }
    for (; q < pairs; q++) {
      const o = <usize>q << 2;
      const w0 = v128.load(wp);
      const w1 = v128.load(wp, 16);
      const s0 = v128.load32_splat(a0 + o);
      const s1 = v128.load32_splat(a1 + o);
      x00 = dot(x00, s0, w0); x01 = dot(x01, s0, w1);
      x10 = dot(x10, s1, w0); x11 = dot(x11, s1, w1);
      wp += 32;
    }
    // The sums' rows are padded to a multiple of 8 channels: whole-vector stores.
    v128.store(c1, x10); v128.store(c1, x11, 16); c1 += 32;
    v128.store(c0, x00); v128.store(c0, x01, 16); c0 += 32;
  }
}

function tile1x8I16(nc: i32, kp: i32, a: usize, w: usize, c: usize): void {
  const pairs = kp >> 1;
  const pairs4 = pairs & ~3;
  const block = <usize>pairs << 5;
  for (let n = 0; n < nc; n += 8) {
    let wp = w + (<usize>(n >> 3)) * block;
    // Four independent pairs of sums, added at the end (integer sums: the order does not matter).
    let x0 = i32x4.splat(0);
    let x1 = x0, y0 = x0, y1 = x0, z0 = x0, z1 = x0, u0 = x0, u1 = x0;
    let q = 0;
    for (; q < pairs4; q += 4) {
      const v = v128.load(a + (<usize>q << 2));
      let s = i32x4.shuffle(v, v, 0, 0, 0, 0);
      x0 = dot(x0, s, v128.load(wp)); x1 = dot(x1, s, v128.load(wp, 16));
      s = i32x4.shuffle(v, v, 1, 1, 1, 1);
      y0 = dot(y0, s, v128.load(wp, 32)); y1 = dot(y1, s, v128.load(wp, 48));
      s = i32x4.shuffle(v, v, 2, 2, 2, 2);
      z0 = dot(z0, s, v128.load(wp, 64)); z1 = dot(z1, s, v128.load(wp, 80));
      s = i32x4.shuffle(v, v, 3, 3, 3, 3);
      u0 = dot(u0, s, v128.load(wp, 96)); u1 = dot(u1, s, v128.load(wp, 112));
      wp += 128;
    }
    for (; q < pairs; q++) {
      const s = v128.load32_splat(a + (<usize>q << 2));
      x0 = dot(x0, s, v128.load(wp)); x1 = dot(x1, s, v128.load(wp, 16));
      wp += 32;
    }
    v128.store(c, i32x4.add(i32x4.add(x0, y0), i32x4.add(z0, u0)));
    v128.store(c, i32x4.add(i32x4.add(x1, y1), i32x4.add(z1, u1)), 16);
    c += 32;
  }
}

/** Bytes of packed weights a chunk of channels may span (as gemm-f32.ts's CHUNK_BYTES). */
const CHUNK_BYTES: usize = 128 << 10;

/**
 * int32 C[m][nc rounded up to 8] = A W for int16 A rows of kp (even) at aStride bytes, C rows at cStride. As
 * gemmF32: channel chunks of about CHUNK_BYTES of weights over all rows, 6-row tiles, leftover rows on the smallest
 * tile that holds them.
 */
export function gemmI16(m: i32, nc: i32, kp: i32, a: usize, aStride: usize, w: usize, c: usize, cStride: usize): void {
  const block = <usize>(kp >> 1) << 5;
  const chunk = <i32>max<usize>(1, CHUNK_BYTES / block) << 3;
  for (let n = 0; n < nc; n += chunk) {
    const ncn = min(chunk, nc - n);
    const wn = w + <usize>(n >> 3) * block;
    const cn = c + (<usize>n << 2);
    let i = 0;
    for (; i + 5 <= m; i += 6) tile6x8I16(min(6, m - i), ncn, kp, a + <usize>i * aStride, aStride, wn, cn + <usize>i * cStride, cStride);
    const rest = m - i;
    const ai = a + <usize>i * aStride;
    const ci = cn + <usize>i * cStride;
    if (rest >= 3) tile4x8I16(rest, ncn, kp, ai, aStride, wn, ci, cStride);
    else if (rest == 2) tile2x8I16(2, ncn, kp, ai, aStride, wn, ci, cStride);
    else if (rest == 1) tile1x8I16(ncn, kp, ai, wn, ci);
  }
}

// Record fields: the same indexes as gemm-f32.ts's convolution record.
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
const DEPTH = 16;
const OUT_PER_GROUP = 17;
const WEIGHTS = 18;
const GROUP_BYTES = 19;
const SCRATCH = 20;
const BLOCK_PIXELS = 21;
const ACT_MIN = 22;
const ACT_MAX = 23;
const ACC = 24;
const BIAS = 25;
const CHANNEL_SCALES = 26;
const SCALE_MODE = 27;
const BATCH_SCALES = 28;
const BATCH_OFFSETS = 29;
const QINPUT = 30; // int8 rows quantized from the float input
const ASYMMETRIC = 31; // 1: asymmetricQuantizeF32 per row, 0: symmetricQuantizeF32
const FOLD_SCALE = 32; // 1: each row's scale is multiplied by TENSOR_SCALE (per-tensor weights)
const F32_RESCALE = 33; // 1: rescaleRowsF32 gives the same floats (see there)
const TENSOR_SCALE = 34; // f64 (8-byte aligned)
const BIAS_F32 = 36; // f32 per output channel
const CHANNEL_SCALES_F32 = 37; // f32 per output channel

// How a sum becomes a float (TFLite's float ops: the int32 sum converted to f32 first, then f32 products):
const SCALE_ROW = 0; //     f32(sum) * rowScale                        (per-tensor weights)
const SCALE_ROW_CHANNEL = 1; // f32(sum) * (rowScale * channelScale)  (per-channel weights, CONV_2D and FULLY_CONNECTED)

// @ts-ignore: decorator
@inline function field(d: usize, i: i32): i32 {
  return load<i32>(d + (<usize>i << 2));
}

/** n int8 values minus off as int16 (|q - off| <= 255). */
// @ts-ignore: decorator
@inline function widen(dst: usize, src: usize, n: i32, voff: v128, off: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) v128.store(dst + (<usize>i << 1), i16x8.sub(v128.load8x8_s(src + <usize>i), voff));
  if (i + 4 <= n) {
    v128.store64_lane(dst + (<usize>i << 1), i16x8.sub(i16x8.extend_low_i8x16_s(v128.load32_zero(src + <usize>i)), voff), 0);
    i += 4;
  }
  for (; i < n; i++) store<i16>(dst + (<usize>i << 1), <i32>load<i8>(src + <usize>i) - off);
}

// @ts-ignore: decorator
@inline function zeroI16(dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<i16>(dst + (<usize>i << 1), 0);
}

/** im2colF32 (gemm-f32.ts) for int8 images: rows of kp int16 (value - off; zeros outside the image and past K). */
function im2colI8(d: usize, image: usize, c0: i32, p0: i32, np: i32, off: i32, dst: usize, kp: i32): void {
  const inH = field(d, IN_H), inW = field(d, IN_W), inC = field(d, IN_C);
  const outW = field(d, OUT_W);
  const fh = field(d, FILTER_H), fw = field(d, FILTER_W);
  const sh = field(d, STRIDE_H), sw = field(d, STRIDE_W);
  const dh = field(d, DILATION_H), dw = field(d, DILATION_W);
  const ph = field(d, PAD_H), pw = field(d, PAD_W);
  const depth = field(d, DEPTH);
  const voff = i16x8.splat(<i16>off);
  const runs = dw == 1 && depth == inC;
  const K = fh * fw * depth;
  let oy = p0 / outW;
  let ox = p0 - oy * outW;
  for (let p = 0; p < np; p++) {
    const rowStart = dst;
    const iy0 = oy * sh - ph;
    const ix0 = ox * sw - pw;
    for (let fy = 0; fy < fh; fy++) {
      const iy = iy0 + fy * dh;
      if (iy < 0 || iy >= inH) {
        zeroI16(dst, fw * depth);
        dst += <usize>(fw * depth) << 1;
        continue;
      }
      const row = image + <usize>(iy * inW) * inC + c0;
      if (runs && ix0 >= 0 && ix0 + fw <= inW) {
        widen(dst, row + <usize>(ix0 * inC), fw * depth, voff, off);
        dst += <usize>(fw * depth) << 1;
        continue;
      }
      for (let fx = 0; fx < fw; fx++) {
        const ix = ix0 + fx * dw;
        if (ix < 0 || ix >= inW) zeroI16(dst, depth);
        else widen(dst, row + <usize>(ix * inC), depth, voff, off);
        dst += <usize>depth << 1;
      }
    }
    if (kp > K) store<i16>(dst, 0);
    dst = rowStart + (<usize>kp << 1);
    if (++ox == outW) {
      ox = 0;
      oy++;
    }
  }
}

// ---- input quantization: quant-math.ts's symmetricQuantizeFloats / asymmetricQuantizeFloats, bit for bit ------

/** Round half away from zero (JavaScript's x < 0 ? -Math.round(-x) : Math.round(x)), exact for |x| < 2^52. */
// @ts-ignore: decorator
@inline function roundHalfAway(x: f64): f64 {
  const t = trunc(x);
  const d = x - t;
  return d >= 0.5 ? t + 1 : d <= -0.5 ? t - 1 : t;
}

/** Lane-wise round half away from zero of f32 values (x - trunc(x) is exact). */
// @ts-ignore: decorator
@inline function roundHalfAwayF32x4(x: v128): v128 {
  const t = f32x4.trunc(x);
  const half = v128.and(f32x4.ge(f32x4.abs(f32x4.sub(x, t)), f32x4.splat(0.5)), f32x4.splat(1));
  // + 1 with x's sign where |x - trunc(x)| >= 0.5.
  return f32x4.add(t, v128.or(half, v128.and(x, i32x4.splat(0x80000000))));
}

/**
 * q[i] = clamp(roundHalfAway(f32(bias + f32(x[i] * inv))), qmin, 127) for i < n (bias 0: no add). NaN becomes 0,
 * as storing NaN into an Int8Array does.
 */
function quantizeRowF32(src: usize, n: i32, dst: usize, inv: f32, bias: f32, qmin: f32): void {
  const vinv = f32x4.splat(inv);
  const vbias = f32x4.splat(bias);
  const vlo = f32x4.splat(qmin);
  const vhi = f32x4.splat(127);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = src + (<usize>i << 2);
    let r0 = roundHalfAwayF32x4(f32x4.add(vbias, f32x4.mul(v128.load(p), vinv)));
    let r1 = roundHalfAwayF32x4(f32x4.add(vbias, f32x4.mul(v128.load(p, 16), vinv)));
    let r2 = roundHalfAwayF32x4(f32x4.add(vbias, f32x4.mul(v128.load(p, 32), vinv)));
    let r3 = roundHalfAwayF32x4(f32x4.add(vbias, f32x4.mul(v128.load(p, 48), vinv)));
    r0 = i32x4.trunc_sat_f32x4_s(f32x4.pmin(f32x4.pmax(r0, vlo), vhi));
    r1 = i32x4.trunc_sat_f32x4_s(f32x4.pmin(f32x4.pmax(r1, vlo), vhi));
    r2 = i32x4.trunc_sat_f32x4_s(f32x4.pmin(f32x4.pmax(r2, vlo), vhi));
    r3 = i32x4.trunc_sat_f32x4_s(f32x4.pmin(f32x4.pmax(r3, vlo), vhi));
    v128.store(dst + <usize>i, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(r0, r1), i16x8.narrow_i32x4_s(r2, r3)));
  }
  for (; i < n; i++) {
    // bias + product: an f32 add of f32 values (the double sum rounded, as Math.fround does).
    const v = <f64>(bias + load<f32>(src + (<usize>i << 2)) * inv);
    let q: i32 = 0;
    if (v == v) {
      const r = roundHalfAway(v);
      q = r > 127 ? 127 : r < <f64>qmin ? <i32>qmin : <i32>r;
    }
    store<i8>(dst + <usize>i, <i8>q);
  }
}

/** symmetricQuantizeFloats: int8 in [-127, 127], returns the scale (1 for an all-zero or empty row). */
export function symmetricQuantizeF32(src: usize, n: i32, dst: usize): f64 {
  let lo = f32x4.splat(Infinity);
  let hi = f32x4.splat(-Infinity);
  let i = 0;
  // pmin/pmax skip NaN as the scalar comparisons do.
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(src + (<usize>i << 2));
    lo = f32x4.pmin(lo, v);
    hi = f32x4.pmax(hi, v);
  }
  let lowest = f32x4.extract_lane(lo, 0);
  let highest = f32x4.extract_lane(hi, 0);
  for (let l = 1; l < 4; l++) {
    const a = l == 1 ? f32x4.extract_lane(lo, 1) : l == 2 ? f32x4.extract_lane(lo, 2) : f32x4.extract_lane(lo, 3);
    const b = l == 1 ? f32x4.extract_lane(hi, 1) : l == 2 ? f32x4.extract_lane(hi, 2) : f32x4.extract_lane(hi, 3);
    if (a < lowest) lowest = a;
    if (b > highest) highest = b;
  }
  for (; i < n; i++) {
    const v = load<f32>(src + (<usize>i << 2));
    if (v < lowest) lowest = v;
    if (v > highest) highest = v;
  }
  const range = max<f64>(abs<f64>(lowest), abs<f64>(highest));
  if (range == 0 || n == 0) {
    for (let j = 0; j < n; j++) store<i8>(dst + <usize>j, 0);
    return 1;
  }
  quantizeRowF32(src, n, dst, <f32>(127 / range), 0, -127);
  return <f64><f32>(range / 127);
}

/** asymmetricQuantizeFloats: int8 in [-128, 127] with a nudged zero point; writes scale (f64) and zero point (i32). */
export function asymmetricQuantizeF32(src: usize, n: i32, dst: usize, scaleOut: usize, zeroPointOut: usize): void {
  let lo = f32x4.splat(0);
  let hi = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(src + (<usize>i << 2));
    lo = f32x4.pmin(lo, v);
    hi = f32x4.pmax(hi, v);
  }
  let lowest: f32 = 0;
  let highest: f32 = 0;
  for (let l = 0; l < 4; l++) {
    const a = l == 0 ? f32x4.extract_lane(lo, 0) : l == 1 ? f32x4.extract_lane(lo, 1) : l == 2 ? f32x4.extract_lane(lo, 2) : f32x4.extract_lane(lo, 3);
    const b = l == 0 ? f32x4.extract_lane(hi, 0) : l == 1 ? f32x4.extract_lane(hi, 1) : l == 2 ? f32x4.extract_lane(hi, 2) : f32x4.extract_lane(hi, 3);
    if (a < lowest) lowest = a;
    if (b > highest) highest = b;
  }
  for (; i < n; i++) {
    const v = load<f32>(src + (<usize>i << 2));
    if (v < lowest) lowest = v;
    if (v > highest) highest = v;
  }
  if (lowest == highest) {
    for (let j = 0; j < n; j++) store<i8>(dst + <usize>j, 0);
    store<f64>(scaleOut, 1);
    store<i32>(zeroPointOut, 0);
    return;
  }
  const scale: f64 = (<f64>highest - <f64>lowest) / 255;
  const zpFromMin = -128 - <f64>lowest / scale;
  const zpFromMax = 127 - <f64>highest / scale;
  const errMin = 128 + abs<f64>(<f64>lowest / scale);
  const errMax = 127 + abs<f64>(<f64>highest / scale);
  const zpDouble = errMin < errMax ? zpFromMin : zpFromMax;
  const zp: i32 = zpDouble <= -128 ? -128 : zpDouble >= 127 ? 127 : <i32>roundHalfAway(zpDouble);
  const sf = <f32>scale;
  quantizeRowF32(src, n, dst, <f32>(1 / sf), <f32>zp, -128);
  store<f64>(scaleOut, <f64>sf);
  store<i32>(zeroPointOut, zp);
}

/** Quantize `rows` float rows of rowSize at input into QINPUT, with each row's scale and zero point. */
function quantizeRows(d: usize, input: usize, rows: i32, rowSize: i32): void {
  const q = <usize>field(d, QINPUT);
  const scales = <usize>field(d, BATCH_SCALES);
  const offsets = <usize>field(d, BATCH_OFFSETS);
  const asymmetric = field(d, ASYMMETRIC) != 0;
  const fold = field(d, FOLD_SCALE) != 0;
  const tensorScale = load<f64>(d + (<usize>TENSOR_SCALE << 2));
  for (let r = 0; r < rows; r++) {
    const src = input + (<usize>(r * rowSize) << 2);
    const dst = q + <usize>(r * rowSize);
    const scaleAt = scales + (<usize>r << 3);
    const offsetAt = offsets + (<usize>r << 2);
    if (asymmetric) {
      asymmetricQuantizeF32(src, rowSize, dst, scaleAt, offsetAt);
    } else {
      store<f64>(scaleAt, symmetricQuantizeF32(src, rowSize, dst));
      store<i32>(offsetAt, 0);
    }
    if (fold) store<f64>(scaleAt, <f64><f32>(load<f64>(scaleAt) * tensorScale));
  }
}

/**
 * out[r][c0 + j] = clamp(f32(scaled sum + bias)) for rows r < m and j < nc, from int32 sums acc (rows of accStride
 * bytes); row r's scale is rowScale (f64 of an f32); channel scales and biases (f64) from channel c0. The sum is
 * rounded to f32 first (as TFLite converts it), so a product of two f32 values is exact in f64 and rounds once.
 */
function rescaleRows(m: i32, nc: i32, acc: usize, accStride: usize, out: usize, outStride: usize, rowScales: usize,
  rowStep: i32, mode: i32, channelScales: usize, bias: usize, lo: f32, hi: f32): void {
  for (let r = 0; r < m; r++) {
    const s = load<f64>(rowScales + <usize>(r * rowStep) * 8);
    const sums = acc + <usize>r * accStride;
    const o = out + <usize>r * outStride;
    for (let j = 0; j < nc; j++) {
      const sum = <f64><f32>load<i32>(sums + (<usize>j << 2));
      let t: f32;
      if (mode == SCALE_ROW) {
        t = <f32>(sum * s);
      } else {
        t = <f32>(sum * <f64><f32>(s * load<f64>(channelScales + (<usize>j << 3))));
      }
      const v = <f32>(<f64>t + load<f64>(bias + (<usize>j << 3)));
      store<f32>(o + (<usize>j << 2), v < lo ? lo : v > hi ? hi : v);
    }
  }
}

/**
 * rescaleRows in float32 SIMD, for records whose biases and channel scales are float32 values: the conversion of a
 * sum to f32 rounds as rescaleRows' does, each f64 product of two f32 values is exact and its rounding to f32 is the
 * f32 product, each f64 sum of two f32 values rounded to f32 is the f32 sum: the same floats.
 */
function rescaleRowsF32(m: i32, nc: i32, acc: usize, accStride: usize, out: usize, outStride: usize, rowScales: usize,
  rowStep: i32, mode: i32, channelScales: usize, bias: usize, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  for (let r = 0; r < m; r++) {
    const s = <f32>load<f64>(rowScales + <usize>(r * rowStep) * 8);
    const vs = f32x4.splat(s);
    const sums = acc + <usize>r * accStride;
    const o = out + <usize>r * outStride;
    let j = 0;
    for (; j + 4 <= nc; j += 4) {
      const off = <usize>j << 2;
      const a = f32x4.convert_i32x4_s(v128.load(sums + off));
      let t: v128;
      if (mode == SCALE_ROW) t = f32x4.mul(a, vs);
      else t = f32x4.mul(a, f32x4.mul(vs, v128.load(channelScales + off)));
      const v = f32x4.add(t, v128.load(bias + off));
      v128.store(o + off, f32x4.pmin(f32x4.pmax(v, vlo), vhi));
    }
    for (; j < nc; j++) {
      const off = <usize>j << 2;
      const a = <f32>load<i32>(sums + off);
      let t: f32;
      if (mode == SCALE_ROW) t = a * s;
      else t = a * (s * load<f32>(channelScales + off));
      const v = t + load<f32>(bias + off);
      store<f32>(o + off, v < lo ? lo : v > hi ? hi : v);
    }
  }
}

/** Hybrid CONV_2D (record d): float32 NHWC input quantized per batch, output float32 NHWC. */
export function convHybrid(d: usize, input: usize, output: usize): void {
  const batches = field(d, BATCHES);
  const inH = field(d, IN_H), inW = field(d, IN_W), inC = field(d, IN_C);
  const outH = field(d, OUT_H), outW = field(d, OUT_W), outC = field(d, OUT_C);
  const fh = field(d, FILTER_H), fw = field(d, FILTER_W);
  const groups = field(d, GROUPS), depth = field(d, DEPTH), opg = field(d, OUT_PER_GROUP);
  const weights = <usize>field(d, WEIGHTS);
  const groupBytes = <usize>field(d, GROUP_BYTES);
  const scratch = <usize>field(d, SCRATCH);
  const blockPixels = field(d, BLOCK_PIXELS);
  const acc = <usize>field(d, ACC);
  const bias = <usize>field(d, BIAS);
  const channelScales = <usize>field(d, CHANNEL_SCALES);
  const mode = field(d, SCALE_MODE);
  const batchScales = <usize>field(d, BATCH_SCALES);
  const batchOffsets = <usize>field(d, BATCH_OFFSETS);
  const lo = load<f32>(d + (<usize>ACT_MIN << 2));
  const hi = load<f32>(d + (<usize>ACT_MAX << 2));
  quantizeRows(d, input, batches, inH * inW * inC);
  const qinput = <usize>field(d, QINPUT);
  const f32Rescale = field(d, F32_RESCALE) != 0;
  const biasF32 = <usize>field(d, BIAS_F32);
  const channelScalesF32 = <usize>field(d, CHANNEL_SCALES_F32);
  const K = fh * fw * depth;
  const kp = (K + 1) & ~1;
  const accStride = <usize>((opg + 7) & ~7) << 2;
  const pixels = outH * outW;
  const cStride = <usize>outC << 2;
  for (let b = 0; b < batches; b++) {
    const image = qinput + <usize>(b * inH * inW * inC);
    const out = output + (<usize>(b * pixels * outC) << 2);
    const off = load<i32>(batchOffsets + (<usize>b << 2));
    const scale = batchScales + (<usize>b << 3);
    for (let p0 = 0; p0 < pixels; p0 += blockPixels) {
      const np = min(blockPixels, pixels - p0);
      for (let g = 0; g < groups; g++) {
        im2colI8(d, image, g * depth, p0, np, off, scratch, kp);
        gemmI16(np, opg, kp, scratch, <usize>kp << 1, weights + <usize>g * groupBytes, acc, accStride);
        const c0 = <usize>(g * opg);
        if (f32Rescale) {
          rescaleRowsF32(np, opg, acc, accStride, out + <usize>p0 * cStride + (c0 << 2), cStride, scale, 0, mode,
            channelScalesF32 + (c0 << 2), biasF32 + (c0 << 2), lo, hi);
        } else {
          rescaleRows(np, opg, acc, accStride, out + <usize>p0 * cStride + (c0 << 2), cStride, scale, 0, mode,
            channelScales + (c0 << 3), bias + (c0 << 3), lo, hi);
        }
      }
    }
  }
}

/**
 * Hybrid FULLY_CONNECTED: BATCHES float32 rows of DEPTH at input, each quantized with its own scale and zero point;
 * OUT_C units; float32 rows at output.
 */
export function fullyConnectedHybrid(d: usize, input: usize, output: usize): void {
  const rows = field(d, BATCHES);
  const depth = field(d, DEPTH);
  const units = field(d, OUT_C);
  const weights = <usize>field(d, WEIGHTS);
  const scratch = <usize>field(d, SCRATCH);
  const acc = <usize>field(d, ACC);
  const bias = <usize>field(d, BIAS);
  const channelScales = <usize>field(d, CHANNEL_SCALES);
  const mode = field(d, SCALE_MODE);
  const batchScales = <usize>field(d, BATCH_SCALES);
  const batchOffsets = <usize>field(d, BATCH_OFFSETS);
  const lo = load<f32>(d + (<usize>ACT_MIN << 2));
  const hi = load<f32>(d + (<usize>ACT_MAX << 2));
  quantizeRows(d, input, rows, depth);
  const qinput = <usize>field(d, QINPUT);
  const kp = (depth + 1) & ~1;
  const accStride = <usize>((units + 7) & ~7) << 2;
  for (let r = 0; r < rows; r++) {
    const off = load<i32>(batchOffsets + (<usize>r << 2));
    const dst = scratch + (<usize>(r * kp) << 1);
    widen(dst, qinput + <usize>(r * depth), depth, i16x8.splat(<i16>off), off);
    if (kp > depth) store<i16>(dst + (<usize>depth << 1), 0);
  }
  gemmI16(rows, units, kp, scratch, <usize>kp << 1, weights, acc, accStride);
  if (field(d, F32_RESCALE) != 0) {
    rescaleRowsF32(rows, units, acc, accStride, output, <usize>units << 2, batchScales, 1, mode,
      <usize>field(d, CHANNEL_SCALES_F32), <usize>field(d, BIAS_F32), lo, hi);
  } else {
    rescaleRows(rows, units, acc, accStride, output, <usize>units << 2, batchScales, 1, mode, channelScales, bias, lo, hi);
  }
}
