// 8-bit DEPTHWISE_CONV_2D (int8 or uint8) with exact int32 sums, read in place from the input tensor.
//
// The input's zero point is folded into the bias at prepare (sum_t (x_t - zx) w_t = sum_t x_t w_t - zx sum_t w_t),
// so raw input bytes are multiplied as they are; a tap outside the image reads a pixel of zero-point bytes instead,
// which the fold cancels exactly (the reference kernels skip such taps: same sums). Sums wrap modulo 2^32 like int32;
// the prepare side only uses this kernel when every true sum fits int32, so they are exact.
//
// Taps go in pairs: for 8 channels, the two taps' inputs (widened to int16) are interleaved as
// [x0c0 x1c0 x0c1 x1c1 ...] and i32x4.dot_i16x8_s against the filter packed the same way at prepare gives four
// channels' two-tap sums per instruction. An odd last tap is paired with a zero filter tap.
// Depth multiplier M > 1: each batch is first expanded (input channel c repeated M times) into scratch.

import {
  byteMax, byteMin, fp32Hi, fp32Lanes, fp32Lo, fp32Magic, fp32MagicZp, fp32Round, packBytes, packClamp, storeBytes,
  storeFixed, RQ_BIAS, RQ_BLOCKS, RQ_CHANNELS, RQ_FIXED, RQ_LANES, RQ_ROUND_ONLY, RQ_SCALE, RQ_SIGNED,
} from './requantize';

// Descriptor words after the requantization block (byte offsets; written by quant8-wasm.ts).
const DW_BATCHES: usize = 192;
const DW_IN_H: usize = 196;
const DW_IN_W: usize = 200;
const DW_IN_C: usize = 204; // input channels (output channels / M)
const DW_MULT: usize = 208; // depth multiplier M
const DW_OUT_H: usize = 212;
const DW_OUT_W: usize = 216;
const DW_FH: usize = 220;
const DW_FW: usize = 224;
const DW_SH: usize = 228;
const DW_SW: usize = 232;
const DW_DH: usize = 236;
const DW_DW: usize = 240;
const DW_PH: usize = 244;
const DW_PW: usize = 248;
const DW_W: usize = 252; // packed filter: per block of 8 channels, per tap pair, two vectors of 8 int16
const DW_TAPS: usize = 256; // scratch: one i32 input pointer per tap (rounded up to even)
const DW_ZP: usize = 260; // a pixel of zero-point bytes (blocks * 8)
const DW_EXPANDED: usize = 264; // scratch for one expanded batch (M > 1)
const DW_OFFSETS: usize = 268; // i32 per tap (rounded up to even): its offset from the window's corner

/** The depthwise convolution described at d, from the 8-bit tensor at `input` into `output` (byte offsets). */
export function depthwiseQ8(d: usize, input: usize, output: usize): void {
  if (load<i32>(d + RQ_SIGNED) != 0) depthwise<i8>(d, input, output);
  else depthwise<u8>(d, input, output);
}

/** Each of `pixels` pixels of inC bytes at src, every byte repeated m times, at dst. */
function expand(src: usize, pixels: i32, inC: i32, m: i32, dst: usize): void {
  const n = pixels * inC;
  if ((m & 7) == 0) {
    for (let i = 0; i < n; i++) {
      const v = i8x16.splat(load<i8>(src + <usize>i));
      for (let k = 0; k < m; k += 8, dst += 8) v128.store64_lane(dst, v, 0);
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = load<u8>(src + <usize>i);
    for (let k = 0; k < m; k++, dst++) store<u8>(dst, v);
  }
}

function depthwise<T>(d: usize, input: usize, output: usize): void {
  const batches = load<i32>(d + DW_BATCHES);
  const inH = load<i32>(d + DW_IN_H);
  const inW = load<i32>(d + DW_IN_W);
  const inC = load<i32>(d + DW_IN_C);
  const m = load<i32>(d + DW_MULT);
  const outH = load<i32>(d + DW_OUT_H);
  const outW = load<i32>(d + DW_OUT_W);
  const fh = load<i32>(d + DW_FH);
  const fw = load<i32>(d + DW_FW);
  const sh = load<i32>(d + DW_SH);
  const sw = load<i32>(d + DW_SW);
  const dh = load<i32>(d + DW_DH);
  const dw = load<i32>(d + DW_DW);
  const ph = load<i32>(d + DW_PH);
  const pw = load<i32>(d + DW_PW);
  const taps = load<usize>(d + DW_TAPS);
  const offsets = load<usize>(d + DW_OFFSETS);
  const zp = load<usize>(d + DW_ZP);
  const C = load<i32>(d + RQ_CHANNELS);
  const pixelBytes = <usize>C;
  const pairs = (fh * fw + 1) >> 1;
  // The spare tap of an odd count meets zero weights; any readable pixel does.
  store<usize>(taps + (<usize>(pairs * 2 - 1) << 2), zp);
  const lastY = (fh - 1) * dh;
  const lastX = (fw - 1) * dw;
  const is3x3 = fh == 3 && fw == 3;
  // Output columns [oxLo, oxHi) have every tap column inside the image.
  const oxLo = min((pw + sw - 1) / sw, outW);
  const oxHi = max(oxLo, min(inW - 1 - lastX + pw >= 0 ? (inW - 1 - lastX + pw) / sw + 1 : 0, outW));
  const rowStep = <usize>(dh * inW) * pixelBytes;
  const tapStep = <usize>dw * pixelBytes;
  const cornerStep = <usize>sw * pixelBytes;
  const inPlane = <usize>(inH * inW * inC);
  let out = output;
  for (let b = 0; b < batches; b++) {
    let image = input + <usize>b * inPlane;
    if (m > 1) {
      expand(image, inH * inW, inC, m, load<usize>(d + DW_EXPANDED));
      image = load<usize>(d + DW_EXPANDED);
    }
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * sh - ph;
      const rowsOk = iy0 >= 0 && iy0 + lastY < inH;
      for (let ox = 0; ox < outW; ox++, out += pixelBytes) {
        if (rowsOk && ox == oxLo && oxHi > oxLo) {
          // The row's interior run: every tap at a fixed offset from the window's corner.
          const corner = image + <usize>(iy0 * inW + ox * sw - pw) * pixelBytes;
          const count = oxHi - oxLo;
          if (is3x3) run3x3<T>(d, corner, cornerStep, count, rowStep, tapStep, out);
          else runTaps<T>(d, corner, cornerStep, count, offsets, pairs, out);
          ox = oxHi - 1;
          out += <usize>(count - 1) * pixelBytes;
          continue;
        }
        const ix0 = ox * sw - pw;
        let t = taps;
        for (let fy = 0; fy < fh; fy++) {
          const iy = iy0 + fy * dh;
          const inside = <u32>iy < <u32>inH;
          const line = image + <usize>(iy * inW) * pixelBytes;
          for (let fx = 0; fx < fw; fx++, t += 4) {
            const ix = ix0 + fx * dw;
            store<usize>(t, inside && <u32>ix < <u32>inW ? line + <usize>ix * pixelBytes : zp);
          }
        }
        runTaps<T>(d, 0, 0, 1, taps, pairs, out);
      }
    }
  }
}

/** Interleave two taps' 8 channels (int16) as [x0c0 x1c0 x0c1 x1c1 ...]: channels 0-3 (low) and 4-7 (high). */
// @ts-ignore: decorator
@inline
function pairLow(x0: v128, x1: v128): v128 {
  return i8x16.shuffle(x0, x1, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
}

// @ts-ignore: decorator
@inline
function pairHigh(x0: v128, x1: v128): v128 {
  return i8x16.shuffle(x0, x1, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
}

/** Requantize and store one pixel's 8 channels from block cb. */
// @ts-ignore: decorator
@inline
function storeBlock<T>(d: usize, acc0: v128, acc1: v128, scale: usize, cb: i32, out: usize, lo: v128, hi: v128,
  magic: v128, magicZp: v128, fixed: bool, C: i32): void {
  const n = min(8, C - (cb << 3));
  if (fixed) {
    v128.store(d + RQ_LANES, acc0);
    v128.store(d + RQ_LANES, acc1, 16);
    storeFixed(d, 1, n, cb << 3, out, 0);
  } else if (load<i32>(d + RQ_ROUND_ONLY) != 0) {
    const q0 = fp32Round(acc0, v128.load(scale), magic, magicZp);
    const q1 = fp32Round(acc1, v128.load(scale, 16), magic, magicZp);
    storeBytes(out, packClamp<T>(q0, q1, q0, q1, byteMin(d), byteMax(d)), n);
  } else {
    const q = packBytes<T>(fp32Lanes(acc0, v128.load(scale), lo, hi, magic, magicZp),
      fp32Lanes(acc1, v128.load(scale, 16), lo, hi, magic, magicZp));
    storeBytes(out, q, n);
  }
}

/**
 * `count` output pixels (consecutive in the output), any filter: tap k of a window is at base + table[k] (+ the
 * channel), the table holding offsets from the window's corner (interior pixels; base advances by baseStep) or
 * absolute pointers with base 0 (a border pixel).
 */
function runTaps<T>(d: usize, base: usize, baseStep: usize, count: i32, table: usize, pairs: i32, out: usize): void {
  const C = load<i32>(d + RQ_CHANNELS);
  const blocks = load<i32>(d + RQ_BLOCKS);
  const fixed = load<i32>(d + RQ_FIXED) != 0;
  const lo = fp32Lo(d);
  const hi = fp32Hi(d);
  const magic = fp32Magic();
  const magicZp = fp32MagicZp(d);
  const w0 = load<usize>(d + DW_W);
  const bias0 = load<usize>(d + RQ_BIAS);
  const scale0 = load<usize>(d + RQ_SCALE);
  for (let px = 0; px < count; px++, base += baseStep, out += <usize>C) {
    let wp = w0;
    let bias = bias0;
    let scale = scale0;
    for (let cb = 0; cb < blocks; cb++, bias += 32, scale += 32) {
      const at = base + <usize>(cb << 3);
      let acc0 = v128.load(bias);
      let acc1 = v128.load(bias, 16);
      let tp = table;
      for (let k = 0; k < pairs; k++, tp += 8, wp += 32) {
        const x0 = v128.load_ext<T>(at + load<usize>(tp));
        const x1 = v128.load_ext<T>(at + load<usize>(tp, 4));
        acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(pairLow(x0, x1), v128.load(wp)));
        acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(pairHigh(x0, x1), v128.load(wp, 16)));
      }
      storeBlock<T>(d, acc0, acc1, scale, cb, out + <usize>(cb << 3), lo, hi, magic, magicZp, fixed, C);
    }
  }
}

/**
 * `count` interior output pixels of a 3x3 filter: window corners `cornerStep` bytes apart, window rows `rowStep`
 * apart, taps in a row `tapStep` apart.
 */
function run3x3<T>(d: usize, corner: usize, cornerStep: usize, count: i32, rowStep: usize, tapStep: usize, out: usize): void {
  const C = load<i32>(d + RQ_CHANNELS);
  const blocks = load<i32>(d + RQ_BLOCKS);
  const fixed = load<i32>(d + RQ_FIXED) != 0;
  const lo = fp32Lo(d);
  const hi = fp32Hi(d);
  const magic = fp32Magic();
  const magicZp = fp32MagicZp(d);
  const w0 = load<usize>(d + DW_W);
  const bias0 = load<usize>(d + RQ_BIAS);
  const scale0 = load<usize>(d + RQ_SCALE);
  const tapStep2 = tapStep << 1;
  for (let px = 0; px < count; px++, corner += cornerStep, out += <usize>C) {
    let wp = w0;
    let bias = bias0;
    let scale = scale0;
    for (let cb = 0; cb < blocks; cb++, bias += 32, scale += 32, wp += 160) {
      const r0 = corner + <usize>(cb << 3);
      const r1 = r0 + rowStep;
      const r2 = r1 + rowStep;
      let acc0 = v128.load(bias);
      let acc1 = v128.load(bias, 16);
      let x0 = v128.load_ext<T>(r0);
      let x1 = v128.load_ext<T>(r0 + tapStep);
      acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(pairLow(x0, x1), v128.load(wp)));
      acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(pairHigh(x0, x1), v128.load(wp, 16)));
      x0 = v128.load_ext<T>(r0 + tapStep2);
      x1 = v128.load_ext<T>(r1);
      acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(pairLow(x0, x1), v128.load(wp, 32)));
      acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(pairHigh(x0, x1), v128.load(wp, 48)));
      x0 = v128.load_ext<T>(r1 + tapStep);
      x1 = v128.load_ext<T>(r1 + tapStep2);
      acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(pairLow(x0, x1), v128.load(wp, 64)));
      acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(pairHigh(x0, x1), v128.load(wp, 80)));
      x0 = v128.load_ext<T>(r2);
      x1 = v128.load_ext<T>(r2 + tapStep);
      acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(pairLow(x0, x1), v128.load(wp, 96)));
      acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(pairHigh(x0, x1), v128.load(wp, 112)));
      x0 = v128.load_ext<T>(r2 + tapStep2);
      // The ninth tap pairs with itself; the packed filter's second tap of this pair is zero.
      acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(pairLow(x0, x0), v128.load(wp, 128)));
      acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(pairHigh(x0, x0), v128.load(wp, 144)));
      storeBlock<T>(d, acc0, acc1, scale, cb, out + <usize>(cb << 3), lo, hi, magic, magicZp, fixed, C);
    }
  }
}
