// 8-bit CONV_2D and FULLY_CONNECTED (int8 or uint8, one filter group) as an int16 GEMM with exact int32 sums.
//
// Per block of output pixels, each pixel's receptive field becomes one int16 row of A: the raw input values, and the
// input's zero point where the window leaves the image. The input offset is folded into the bias at prepare
// (sum_k (x_k - zx) w_k = sum_k x_k w_k - zx sum_k w_k), so a tap outside the image contributes exactly nothing, as
// the reference kernels skip it. A 1x1 stride-1 convolution just widens its input.
// The filter was packed once at prepare: per block of 8 output channels and per pair of k, two vectors
// [c0k0 c0k1 c1k0 c1k1 c2k0 c2k1 c3k0 c3k1] and the same for c4..c7, int16 with the filter offset applied. So with
// A's pair (x_k, x_k+1) splatted to all four i32 lanes, i32x4.dot_i16x8_s gives four channels' partial sums at once:
// no horizontal sums at the end. A tile is 4 pixels x 8 channels (8 accumulators, started at the bias), requantized
// and stored as soon as its sums are done. Sums wrap modulo 2^32 like int32; the prepare side only uses this kernel
// when every true sum fits int32 (so they are exact).
//
// A FULLY_CONNECTED is the same thing with rows = batches (a 1x1 convolution over a 1 x batches image).

import {
  byteMax, byteMin, fp32Hi, fp32Lanes, fp32Lo, fp32Magic, fp32MagicZp, fp32Round, packBytes, packClamp, storeBytes,
  storeBytesHigh, storeFixed, RQ_BIAS, RQ_BLOCKS, RQ_CHANNELS, RQ_FIXED, RQ_LANES, RQ_ROUND_ONLY, RQ_SCALE, RQ_SIGNED,
} from './requantize';

// Descriptor words after the requantization block (byte offsets; written by quant8-wasm.ts).
const CV_BATCHES: usize = 192;
const CV_IN_H: usize = 196;
const CV_IN_W: usize = 200;
const CV_IN_C: usize = 204;
const CV_OUT_H: usize = 208;
const CV_OUT_W: usize = 212;
const CV_FH: usize = 216;
const CV_FW: usize = 220;
const CV_SH: usize = 224;
const CV_SW: usize = 228;
const CV_DH: usize = 232;
const CV_DW: usize = 236;
const CV_PH: usize = 240;
const CV_PW: usize = 244;
const CV_KPAIRS: usize = 248; // A's row length in pairs of int16 (K rounded up to even, / 2)
const CV_W: usize = 252; // packed filter
const CV_ROWS: usize = 256; // scratch for one block of A rows (+ 64 spare bytes)
const CV_BLOCK_PIXELS: usize = 260; // pixels per block (a multiple of 4)
const CV_IN_ZP: usize = 264; // input zero point (the value of taps outside the image)
const CV_ONE_ROW: usize = 268; // 1: a single output pixel of a 1x1 window
const CV_W8: usize = 272; // one row: the filter as int8 in 8-channel x 8-k tiles (0: the int16 GEMM instead)
const CV_K8: usize = 276; // one row with CV_W8: K rounded up to a multiple of 8, / 8

/** The convolution described at d, from the 8-bit tensor at `input` into the one at `output` (byte offsets). */
export function convQ8(d: usize, input: usize, output: usize): void {
  if (load<i32>(d + RQ_SIGNED) != 0) conv<i8>(d, input, output);
  else conv<u8>(d, input, output);
}

function conv<T>(d: usize, input: usize, output: usize): void {
  if (load<i32>(d + CV_ONE_ROW) != 0) {
    // One row of a 1x1 window (a FULLY_CONNECTED with one batch, a 1x1 image): widened as it is.
    const rows = load<usize>(d + CV_ROWS);
    const end = input + <usize>load<i32>(d + CV_IN_C);
    for (let s = input, o = rows; s < end; s += 8, o += 16) v128.store(o, v128.load_ext<T>(s));
    if (load<usize>(d + CV_W8) != 0) gemv8<T>(d, rows, output);
    else gemm<T>(d, rows, 1, output);
    return;
  }
  const total = load<i32>(d + CV_BATCHES) * load<i32>(d + CV_OUT_H) * load<i32>(d + CV_OUT_W);
  const blockPixels = load<i32>(d + CV_BLOCK_PIXELS);
  const outC = <usize>load<i32>(d + RQ_CHANNELS);
  const rows = load<usize>(d + CV_ROWS);
  for (let p0 = 0; p0 < total; p0 += blockPixels) {
    const count = min(blockPixels, total - p0);
    packRows<T>(d, input, p0, count, rows);
    gemm<T>(d, rows, count, output + <usize>p0 * outC);
  }
}

/**
 * A rows for output pixels [p0, p0 + count) (flattened over batch, y, x) at dst, 4 * kPairs bytes apart. Each tap
 * is written as whole vectors of 8: lanes past the channels are rewritten by the next tap or row (or land in the
 * row's padding lane, which meets zero weights, or in the spare bytes after the last row).
 */
function packRows<T>(d: usize, input: usize, p0: i32, count: i32, dst: usize): void {
  const inC = load<i32>(d + CV_IN_C);
  const kPairs = load<i32>(d + CV_KPAIRS);
  const fh = load<i32>(d + CV_FH);
  const fw = load<i32>(d + CV_FW);
  const sh = load<i32>(d + CV_SH);
  const sw = load<i32>(d + CV_SW);
  if (fh == 1 && fw == 1 && sh == 1 && sw == 1 && (inC == kPairs << 1 || count == 1)) {
    // Contiguous rows (or one row; an odd K's padding lane meets zero weights): widen the block's input in one run.
    let s = input + <usize>p0 * <usize>inC;
    let o = dst;
    const end = s + <usize>count * <usize>inC;
    for (; s < end; s += 8, o += 16) v128.store(o, v128.load_ext<T>(s));
    return;
  }
  const inH = load<i32>(d + CV_IN_H);
  const inW = load<i32>(d + CV_IN_W);
  const outH = load<i32>(d + CV_OUT_H);
  const outW = load<i32>(d + CV_OUT_W);
  const dh = load<i32>(d + CV_DH);
  const dw = load<i32>(d + CV_DW);
  const ph = load<i32>(d + CV_PH);
  const pw = load<i32>(d + CV_PW);
  const rowBytes = <usize>kPairs << 2;
  const tapBytes = <usize>inC << 1;
  // With dilation 1, a window row of an interior pixel is one contiguous run of fw * inC input bytes, and so is its
  // place in the A row: copied as a whole, 16 bytes at a time.
  const run = dw == 1 ? fw * inC : 0;
  const runBytes = <usize>run << 1;
  const lineBytes = <usize>(dh * inW * inC);
  const lastX = (fw - 1) * dw;
  const lastY = (fh - 1) * dh;
  const outside = i16x8.splat(<i16>load<i32>(d + CV_IN_ZP));
  const plane = outH * outW;
  let b = 0;
  let oy = 0;
  let ox = 0;
  if (p0 != 0) {
    b = p0 / plane;
    oy = (p0 - b * plane) / outW;
    ox = p0 - b * plane - oy * outW;
  }
  let iy0 = oy * sh - ph;
  let rowsOk = run != 0 && iy0 >= 0 && iy0 + lastY < inH;
  let row = dst;
  for (let i = 0; i < count; i++) {
    let o = row;
    const ix0 = ox * sw - pw;
    if (rowsOk && ix0 >= 0 && ix0 + lastX < inW) {
      let s = input + <usize>(((b * inH + iy0) * inW + ix0) * inC);
      for (let fy = 0; fy < fh; fy++, s += lineBytes, o += runBytes) {
        for (let c = 0; c < run; c += 16) {
          const v = v128.load(s + <usize>c);
          const to = o + (<usize>c << 1);
          if (isSigned<T>()) {
            v128.store(to, i16x8.extend_low_i8x16_s(v));
            v128.store(to, i16x8.extend_high_i8x16_s(v), 16);
          } else {
            v128.store(to, i16x8.extend_low_i8x16_u(v));
            v128.store(to, i16x8.extend_high_i8x16_u(v), 16);
          }
        }
      }
    } else {
      for (let fy = 0; fy < fh; fy++) {
        const iy = iy0 + fy * dh;
        const inside = <u32>iy < <u32>inH;
        const line = input + <usize>((b * inH + iy) * inW) * <usize>inC;
        for (let fx = 0; fx < fw; fx++) {
          const ix = ix0 + fx * dw;
          if (inside && <u32>ix < <u32>inW) {
            const s = line + <usize>ix * <usize>inC;
            for (let c = 0; c < inC; c += 8) v128.store(o + (<usize>c << 1), v128.load_ext<T>(s + <usize>c));
          } else {
            for (let c = 0; c < inC; c += 8) v128.store(o + (<usize>c << 1), outside);
          }
          o += tapBytes;
        }
      }
    }
    row += rowBytes;
    if (++ox == outW) {
      ox = 0;
      if (++oy == outH) {
        oy = 0;
        b++;
      }
      iy0 = oy * sh - ph;
      rowsOk = run != 0 && iy0 >= 0 && iy0 + lastY < inH;
    }
  }
}

/**
 * Four output pixels x 8 channels: A rows (kPairs k-pairs each) at p0..p3 against the block's packed filter at w;
 * requantized and stored at q, q + outStride, ...
 */
// @ts-ignore: decorator
@inline
function tile4<T>(d: usize, p0: usize, p1: usize, p2: usize, p3: usize, w: usize, kPairs: i32, bias: usize, scale: usize,
  n: i32, c0: i32, q: usize, outStride: usize): void {
  const b0 = v128.load(bias);
  const b1 = v128.load(bias, 16);
  let a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
  let wp = w;
  let j = kPairs;
  for (; j >= 2; j -= 2) {
    let w0 = v128.load(wp);
    let w1 = v128.load(wp, 16);
    let x = v128.load32_splat(p0);
    a00 = i32x4.add(a00, i32x4.dot_i16x8_s(x, w0));
    a01 = i32x4.add(a01, i32x4.dot_i16x8_s(x, w1));
    x = v128.load32_splat(p1);
    a10 = i32x4.add(a10, i32x4.dot_i16x8_s(x, w0));
    a11 = i32x4.add(a11, i32x4.dot_i16x8_s(x, w1));
    x = v128.load32_splat(p2);
    a20 = i32x4.add(a20, i32x4.dot_i16x8_s(x, w0));
    a21 = i32x4.add(a21, i32x4.dot_i16x8_s(x, w1));
    x = v128.load32_splat(p3);
    a30 = i32x4.add(a30, i32x4.dot_i16x8_s(x, w0));
    a31 = i32x4.add(a31, i32x4.dot_i16x8_s(x, w1));
    w0 = v128.load(wp, 32);
    w1 = v128.load(wp, 48);
    x = v128.load32_splat(p0, 4);
    a00 = i32x4.add(a00, i32x4.dot_i16x8_s(x, w0));
    a01 = i32x4.add(a01, i32x4.dot_i16x8_s(x, w1));
    x = v128.load32_splat(p1, 4);
    a10 = i32x4.add(a10, i32x4.dot_i16x8_s(x, w0));
    a11 = i32x4.add(a11, i32x4.dot_i16x8_s(x, w1));
    x = v128.load32_splat(p2, 4);
    a20 = i32x4.add(a20, i32x4.dot_i16x8_s(x, w0));
    a21 = i32x4.add(a21, i32x4.dot_i16x8_s(x, w1));
    x = v128.load32_splat(p3, 4);
    a30 = i32x4.add(a30, i32x4.dot_i16x8_s(x, w0));
    a31 = i32x4.add(a31, i32x4.dot_i16x8_s(x, w1));
    p0 += 8;
    p1 += 8;
    p2 += 8;
    p3 += 8;
    wp += 64;
  }
  if (j != 0) {
    const w0 = v128.load(wp);
    const w1 = v128.load(wp, 16);
    let x = v128.load32_splat(p0);
    a00 = i32x4.add(a00, i32x4.dot_i16x8_s(x, w0));
    a01 = i32x4.add(a01, i32x4.dot_i16x8_s(x, w1));
    x = v128.load32_splat(p1);
    a10 = i32x4.add(a10, i32x4.dot_i16x8_s(x, w0));
    a11 = i32x4.add(a11, i32x4.dot_i16x8_s(x, w1));
    x = v128.load32_splat(p2);
    a20 = i32x4.add(a20, i32x4.dot_i16x8_s(x, w0));
    a21 = i32x4.add(a21, i32x4.dot_i16x8_s(x, w1));
    x = v128.load32_splat(p3);
    a30 = i32x4.add(a30, i32x4.dot_i16x8_s(x, w0));
    a31 = i32x4.add(a31, i32x4.dot_i16x8_s(x, w1));
  }
  if (load<i32>(d + RQ_FIXED) != 0) {
    const lanes = d + RQ_LANES;
    v128.store(lanes, a00);
    v128.store(lanes, a01, 16);
    v128.store(lanes, a10, 32);
    v128.store(lanes, a11, 48);
    v128.store(lanes, a20, 64);
    v128.store(lanes, a21, 80);
    v128.store(lanes, a30, 96);
    v128.store(lanes, a31, 112);
    storeFixed(d, 4, n, c0, q, outStride);
  } else if (load<i32>(d + RQ_ROUND_ONLY) != 0) {
    const s0 = v128.load(scale);
    const s1 = v128.load(scale, 16);
    const magic = fp32Magic();
    const magicZp = fp32MagicZp(d);
    const qmin = byteMin(d);
    const qmax = byteMax(d);
    const v01 = packClamp<T>(fp32Round(a00, s0, magic, magicZp), fp32Round(a01, s1, magic, magicZp),
      fp32Round(a10, s0, magic, magicZp), fp32Round(a11, s1, magic, magicZp), qmin, qmax);
    const v23 = packClamp<T>(fp32Round(a20, s0, magic, magicZp), fp32Round(a21, s1, magic, magicZp),
      fp32Round(a30, s0, magic, magicZp), fp32Round(a31, s1, magic, magicZp), qmin, qmax);
    storeBytes(q, v01, n);
    storeBytesHigh(q + outStride, v01, n);
    storeBytes(q + 2 * outStride, v23, n);
    storeBytesHigh(q + 3 * outStride, v23, n);
  } else {
    const s0 = v128.load(scale);
    const s1 = v128.load(scale, 16);
    const lo = fp32Lo(d);
    const hi = fp32Hi(d);
    const magic = fp32Magic();
    const magicZp = fp32MagicZp(d);
    storeBytes(q, packBytes<T>(fp32Lanes(a00, s0, lo, hi, magic, magicZp), fp32Lanes(a01, s1, lo, hi, magic, magicZp)), n);
    storeBytes(q + outStride, packBytes<T>(fp32Lanes(a10, s0, lo, hi, magic, magicZp), fp32Lanes(a11, s1, lo, hi, magic, magicZp)), n);
    storeBytes(q + 2 * outStride, packBytes<T>(fp32Lanes(a20, s0, lo, hi, magic, magicZp), fp32Lanes(a21, s1, lo, hi, magic, magicZp)), n);
    storeBytes(q + 3 * outStride, packBytes<T>(fp32Lanes(a30, s0, lo, hi, magic, magicZp), fp32Lanes(a31, s1, lo, hi, magic, magicZp)), n);
  }
}

/** One output pixel x 8 channels (as tile4): a FULLY_CONNECTED row, a block's leftover pixels. */
// @ts-ignore: decorator
@inline
function tile1<T>(d: usize, p0: usize, w: usize, kPairs: i32, bias: usize, scale: usize, n: i32, c0: i32, q: usize): void {
  let a00 = v128.load(bias), a01 = v128.load(bias, 16), c00 = i32x4.splat(0), c01 = i32x4.splat(0);
  let wp = w;
  let j = kPairs;
  // Two independent chains per half hide the add latency.
  for (; j >= 2; j -= 2) {
    let x = v128.load32_splat(p0);
    a00 = i32x4.add(a00, i32x4.dot_i16x8_s(x, v128.load(wp)));
    a01 = i32x4.add(a01, i32x4.dot_i16x8_s(x, v128.load(wp, 16)));
    x = v128.load32_splat(p0, 4);
    c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x, v128.load(wp, 32)));
    c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x, v128.load(wp, 48)));
    p0 += 8;
    wp += 64;
  }
  if (j != 0) {
    const x = v128.load32_splat(p0);
    a00 = i32x4.add(a00, i32x4.dot_i16x8_s(x, v128.load(wp)));
    a01 = i32x4.add(a01, i32x4.dot_i16x8_s(x, v128.load(wp, 16)));
  }
  a00 = i32x4.add(a00, c00);
  a01 = i32x4.add(a01, c01);
  if (load<i32>(d + RQ_FIXED) != 0) {
    const lanes = d + RQ_LANES;
    v128.store(lanes, a00);
    v128.store(lanes, a01, 16);
    storeFixed(d, 1, n, c0, q, 0);
  } else if (load<i32>(d + RQ_ROUND_ONLY) != 0) {
    const magic = fp32Magic();
    const magicZp = fp32MagicZp(d);
    const q0 = fp32Round(a00, v128.load(scale), magic, magicZp);
    const q1 = fp32Round(a01, v128.load(scale, 16), magic, magicZp);
    storeBytes(q, packClamp<T>(q0, q1, q0, q1, byteMin(d), byteMax(d)), n);
  } else {
    const lo = fp32Lo(d);
    const hi = fp32Hi(d);
    const magic = fp32Magic();
    const magicZp = fp32MagicZp(d);
    storeBytes(q, packBytes<T>(fp32Lanes(a00, v128.load(scale), lo, hi, magic, magicZp),
      fp32Lanes(a01, v128.load(scale, 16), lo, hi, magic, magicZp)), n);
  }
}

/** Output pixels [0, count) of a block from its A rows at a, into out (the block's first output pixel). */
function gemm<T>(d: usize, a: usize, count: i32, out: usize): void {
  const kPairs = load<i32>(d + CV_KPAIRS);
  const rowBytes = <usize>kPairs << 2;
  const blocks = load<i32>(d + RQ_BLOCKS);
  const outC = load<i32>(d + RQ_CHANNELS);
  const outStride = <usize>outC;
  const wBlockBytes = <usize>kPairs << 5;
  let w = load<usize>(d + CV_W);
  let bias = load<usize>(d + RQ_BIAS);
  let scale = load<usize>(d + RQ_SCALE);
  for (let cb = 0; cb < blocks; cb++, w += wBlockBytes, bias += 32, scale += 32) {
    const c0 = cb << 3;
    const n = min(8, outC - c0);
    const o = out + <usize>c0;
    let r = 0;
    for (; r + 4 <= count; r += 4) {
      const p0 = a + <usize>r * rowBytes;
      tile4<T>(d, p0, p0 + rowBytes, p0 + 2 * rowBytes, p0 + 3 * rowBytes, w, kPairs, bias, scale, n, c0,
        o + <usize>r * outStride, outStride);
    }
    for (; r < count; r++) tile1<T>(d, a + <usize>r * rowBytes, w, kPairs, bias, scale, n, c0, o + <usize>r * outStride);
  }
}

/** Per-channel totals of four accumulators of four partial sums each: [sum a0, sum a1, sum a2, sum a3]. */
// @ts-ignore: decorator
@inline
function totals4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const t0 = i32x4.add(i32x4.shuffle(a0, a1, 0, 4, 1, 5), i32x4.shuffle(a0, a1, 2, 6, 3, 7));
  const t1 = i32x4.add(i32x4.shuffle(a2, a3, 0, 4, 1, 5), i32x4.shuffle(a2, a3, 2, 6, 3, 7));
  return i32x4.add(i32x4.shuffle(t0, t1, 0, 1, 4, 5), i32x4.shuffle(t0, t1, 2, 3, 6, 7));
}

/**
 * One output row from its int16 A row at x (K rounded up to 8; lanes past K meet zero weights) with the filter
 * kept as int8: per block of 8 channels and 8 k, each channel's 8 weights (64 bytes per tile), sign-extended as they
 * are loaded and multiplied against the same 8 inputs. A one-row GEMM reads every weight once: half the bytes of the
 * int16 filter (a 1280 x 1000 classifier: 1.3 MB instead of 2.6 MB of arena, and of cache traffic per invoke).
 */
function gemv8<T>(d: usize, x: usize, out: usize): void {
  const chunks = load<i32>(d + CV_K8);
  const blocks = load<i32>(d + RQ_BLOCKS);
  const outC = load<i32>(d + RQ_CHANNELS);
  const fixed = load<i32>(d + RQ_FIXED) != 0;
  const lo = fp32Lo(d);
  const hi = fp32Hi(d);
  const magic = fp32Magic();
  const magicZp = fp32MagicZp(d);
  let w = load<usize>(d + CV_W8);
  let bias = load<usize>(d + RQ_BIAS);
  let scale = load<usize>(d + RQ_SCALE);
  for (let cb = 0; cb < blocks; cb++, bias += 32, scale += 32) {
    const zero = i32x4.splat(0);
    let a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero;
    let xp = x;
    for (let j = 0; j < chunks; j++, xp += 16, w += 64) {
      const xv = v128.load(xp);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(xv, v128.load8x8_s(w)));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(xv, v128.load8x8_s(w, 8)));
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(xv, v128.load8x8_s(w, 16)));
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(xv, v128.load8x8_s(w, 24)));
      a4 = i32x4.add(a4, i32x4.dot_i16x8_s(xv, v128.load8x8_s(w, 32)));
      a5 = i32x4.add(a5, i32x4.dot_i16x8_s(xv, v128.load8x8_s(w, 40)));
      a6 = i32x4.add(a6, i32x4.dot_i16x8_s(xv, v128.load8x8_s(w, 48)));
      a7 = i32x4.add(a7, i32x4.dot_i16x8_s(xv, v128.load8x8_s(w, 56)));
    }
    const c0 = cb << 3;
    const n = min(8, outC - c0);
    const s0 = i32x4.add(totals4(a0, a1, a2, a3), v128.load(bias));
    const s1 = i32x4.add(totals4(a4, a5, a6, a7), v128.load(bias, 16));
    if (fixed) {
      v128.store(d + RQ_LANES, s0);
      v128.store(d + RQ_LANES, s1, 16);
      storeFixed(d, 1, n, c0, out + <usize>c0, 0);
    } else if (load<i32>(d + RQ_ROUND_ONLY) != 0) {
      const q0 = fp32Round(s0, v128.load(scale), magic, magicZp);
      const q1 = fp32Round(s1, v128.load(scale, 16), magic, magicZp);
      storeBytes(out + <usize>c0, packClamp<T>(q0, q1, q0, q1, byteMin(d), byteMax(d)), n);
    } else {
      storeBytes(out + <usize>c0, packBytes<T>(fp32Lanes(s0, v128.load(scale), lo, hi, magic, magicZp),
        fp32Lanes(s1, v128.load(scale, 16), lo, hi, magic, magicZp)), n);
    }
  }
}
