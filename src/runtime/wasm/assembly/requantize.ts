// Requantization of int32 sums (bias included) to 8-bit outputs, shared by the 8-bit accumulating kernels.
// Two arithmetics, chosen per node (one branch per tile, none per element):
//  - XNNPACK fp32: out = round_half_even(clamp(f32(f32(acc) * scale), lo, hi)) + zp, with lo/hi already offset by
//    -zp. Same float32 operations in the same order as requantizeRow's fp32 loop (requantize.ts): the int32 -> f32
//    conversion rounds to nearest even as Math.fround does, and the rounding is the magic-bias addition
//    bits(f32(v + 1.5 * 2^23)) - bits(1.5 * 2^23) = round_half_even(v) for |v| < 2^22.
//  - TFLite reference fixed point: MultiplyByQuantizedMultiplier (Q31 multiplier, shift) per channel, + zp, clamped;
//    int64 products here where the TypeScript version splits doubles, same results.
//
// Every 8-bit kernel descriptor starts with these i32 words (byte offsets; the TypeScript side writes them, see
// src/runtime/kernels/quant8-wasm.ts):
export const RQ_FIXED: usize = 0; // 0: XNNPACK fp32, 1: reference fixed point
export const RQ_LO: usize = 4; // fp32: f32 lower clamp (min - zp); fixed: i32 min
export const RQ_HI: usize = 8; // fp32: f32 upper clamp (max - zp); fixed: i32 max
export const RQ_ZP: usize = 12; // output zero point
export const RQ_BIAS: usize = 16; // i32 per channel (whole blocks of 8), the sums' starting values
export const RQ_SCALE: usize = 20; // fp32: f32 per channel; fixed: i32 multiplier per channel
export const RQ_SHIFT: usize = 24; // fixed: i32 shift per channel
export const RQ_BLOCKS: usize = 28; // blocks of 8 output channels
export const RQ_CHANNELS: usize = 32; // output channels (the output tensor's pixel stride)
export const RQ_SIGNED: usize = 36; // 1: int8 input and output, 0: uint8
export const RQ_ROUND_ONLY: usize = 40; // fp32: 1 when every |f32(acc) * scale| < 2^21 (see fp32Round)
export const RQ_QMIN: usize = 44; // i32 output min (zero point included)
export const RQ_QMAX: usize = 48; // i32 output max (zero point included)
export const RQ_LANES: usize = 64; // 32 i32 of scratch (fixed point: sums of a tile, 8 per pixel)
// Kernel-specific words start at byte 192.

const MAGIC: f32 = 12582912.0;
const MAGIC_BITS: i32 = 0x4b400000;

/** Four lanes of fp32 requantization: int32 sums (bias included) -> int32 outputs (zero point included). */
// @ts-ignore: decorator
@inline
export function fp32Lanes(acc: v128, scale: v128, lo: v128, hi: v128, magic: v128, magicZp: v128): v128 {
  let f = f32x4.mul(f32x4.convert_i32x4_s(acc), scale);
  f = f32x4.pmin(f32x4.pmax(f, lo), hi);
  return i32x4.sub(f32x4.add(f, magic), magicZp);
}

/**
 * Four lanes of fp32 requantization without the float clamp, for descriptors with RQ_ROUND_ONLY: the magic bias
 * rounds exactly while |f| < 2^22, which the prepare side proved for every sum; the clamp then happens on the bytes
 * (packClamp): rounding fixes the integer bounds, so round(clamp(f)) + zp = clamp(round(f) + zp), and the saturating
 * narrowings keep out-of-range values on the right side of the bounds.
 */
// @ts-ignore: decorator
@inline
export function fp32Round(acc: v128, scale: v128, magic: v128, magicZp: v128): v128 {
  return i32x4.sub(f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc), scale), magic), magicZp);
}

/** Two rows of eight int32 (q0 q1: row 0, q2 q3: row 1) -> 16 bytes (row 0 low, row 1 high) clamped to the bounds. */
// @ts-ignore: decorator
@inline
export function packClamp<T>(q0: v128, q1: v128, q2: v128, q3: v128, qmin: v128, qmax: v128): v128 {
  const h0 = i16x8.narrow_i32x4_s(q0, q1);
  const h1 = i16x8.narrow_i32x4_s(q2, q3);
  if (isSigned<T>()) return i8x16.min_s(i8x16.max_s(i8x16.narrow_i16x8_s(h0, h1), qmin), qmax);
  return i8x16.min_u(i8x16.max_u(i8x16.narrow_i16x8_u(h0, h1), qmin), qmax);
}

/** The byte bounds of a descriptor, splatted (packClamp). */
// @ts-ignore: decorator
@inline
export function byteMin(d: usize): v128 {
  return i8x16.splat(<i8>load<i32>(d + RQ_QMIN));
}

// @ts-ignore: decorator
@inline
export function byteMax(d: usize): v128 {
  return i8x16.splat(<i8>load<i32>(d + RQ_QMAX));
}

/** Store the high `n` (1..8) bytes of v at out. */
// @ts-ignore: decorator
@inline
export function storeBytesHigh(out: usize, v: v128, n: i32): void {
  if (n == 8) {
    v128.store64_lane(out, v, 1);
    return;
  }
  let bits = i64x2.extract_lane(v, 1);
  for (let i = 0; i < n; i++) {
    store<u8>(out + <usize>i, <u8>bits);
    bits >>= 8;
  }
}

/** The fp32 constants of a descriptor: clamp bounds, magic bias, magic bits minus the zero point. */
// @ts-ignore: decorator
@inline
export function fp32Lo(d: usize): v128 {
  return v128.load32_splat(d + RQ_LO);
}

// @ts-ignore: decorator
@inline
export function fp32Hi(d: usize): v128 {
  return v128.load32_splat(d + RQ_HI);
}

// @ts-ignore: decorator
@inline
export function fp32Magic(): v128 {
  return f32x4.splat(MAGIC);
}

// @ts-ignore: decorator
@inline
export function fp32MagicZp(d: usize): v128 {
  return i32x4.splat(MAGIC_BITS - load<i32>(d + RQ_ZP));
}

/** Eight int32 lanes (in range) -> eight bytes in the low half (int8 when T is i8, uint8 when u8). */
// @ts-ignore: decorator
@inline
export function packBytes<T>(q0: v128, q1: v128): v128 {
  const h = i16x8.narrow_i32x4_s(q0, q1);
  if (isSigned<T>()) return i8x16.narrow_i16x8_s(h, h);
  return i8x16.narrow_i16x8_u(h, h);
}

/** Store the low `n` (1..8) bytes of v at out. */
// @ts-ignore: decorator
@inline
export function storeBytes(out: usize, v: v128, n: i32): void {
  if (n == 8) {
    v128.store64_lane(out, v, 0);
    return;
  }
  let bits = i64x2.extract_lane(v, 0);
  for (let i = 0; i < n; i++) {
    store<u8>(out + <usize>i, <u8>bits);
    bits >>= 8;
  }
}

/** TFLite's SaturatingRoundingDoublingHighMul then RoundingDivideByPOT (MultiplyByQuantizedMultiplier). */
export function multiplyByQuantizedMultiplier(x: i32, multiplier: i32, shift: i32): i32 {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  const a = x << left;
  let high: i32;
  if (a == i32.MIN_VALUE && multiplier == i32.MIN_VALUE) {
    high = i32.MAX_VALUE;
  } else {
    const ab = <i64>a * <i64>multiplier;
    const nudge: i64 = ab >= 0 ? 1073741824 : -1073741823;
    // Division truncating toward zero, as C++'s.
    high = <i32>((ab + nudge) / 2147483648);
  }
  const mask = (1 << right) - 1;
  const remainder = high & mask;
  const threshold = (mask >> 1) + (high < 0 ? 1 : 0);
  return (high >> right) + (remainder > threshold ? 1 : 0);
}

/**
 * Fixed-point requantization of `rows` pixels x `n` channels whose sums are at d + RQ_LANES (8 per pixel), the
 * channels' multipliers and shifts from channel `c0`, outputs at out + row * outStride.
 */
export function storeFixed(d: usize, rows: i32, n: i32, c0: i32, out: usize, outStride: usize): void {
  const lanes = d + RQ_LANES;
  const mult = load<usize>(d + RQ_SCALE) + (<usize>c0 << 2);
  const shift = load<usize>(d + RQ_SHIFT) + (<usize>c0 << 2);
  const zp = load<i32>(d + RQ_ZP);
  const min = load<i32>(d + RQ_LO);
  const max = load<i32>(d + RQ_HI);
  for (let r = 0; r < rows; r++) {
    const o = out + <usize>r * outStride;
    for (let i = 0; i < n; i++) {
      const k = <usize>i << 2;
      let v = multiplyByQuantizedMultiplier(load<i32>(lanes + (<usize>r << 5) + k), load<i32>(mult + k), load<i32>(shift + k)) + zp;
      v = v < min ? min : v > max ? max : v;
      store<u8>(o + <usize>i, <u8>v);
    }
  }
}
