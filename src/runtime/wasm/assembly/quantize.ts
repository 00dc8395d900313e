// QUANTIZE and DEQUANTIZE over contiguous arrays, with the roundings of the TypeScript loops (bit-identical):
// - float32 -> 8-bit as XNNPACK's convert: round half to even of clamp(float32(x * (1 / scale)), lo, hi), plus zp
//   (NaN stores 0, as the typed-array store of NaN does);
// - 8-bit -> same 8-bit type as XNNPACK's requantizing convert: floor(((x - zpIn) * m + 128) / 256) + zpOut,
//   saturated (the product fits int32: |x - zpIn| <= 255, m <= 2^15);
// - 8/16-bit -> float32 per tensor: float32(q - zp) * scale (the product of two float32 values rounded once, as
//   the TypeScript loop's double product rounded to float32).

/**
 * Four values: clamp(x * scale) rounded half to even by the magic bias (exact: the clamped |v| < 2^22), plus zp,
 * as bits(v + 1.5 * 2^23) - (bits(1.5 * 2^23) - zp); NaN lanes masked to 0. (nearest + trunc_sat: several times the
 * instructions on x64.)
 */
@inline function quantizeBlock(x: v128, vscale: v128, vlo: v128, vhi: v128, magic: v128, magicZp: v128): v128 {
  const v = f32x4.pmin(f32x4.pmax(f32x4.mul(x, vscale), vlo), vhi);
  return v128.and(i32x4.sub(f32x4.add(v, magic), magicZp), f32x4.eq(v, v));
}

@inline function quantizeLoop(signed: bool, input: usize, out: usize, n: i32, scale: f32, lo: f32, hi: f32, zp: i32): void {
  const vscale = f32x4.splat(scale);
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const magic = f32x4.splat(12582912.0);
  const magicZp = i32x4.splat(0x4b400000 - zp);
  let i: i32 = 0;
  for (; i + 16 <= n; i += 16) {
    const from = input + (<usize>i << 2);
    const s0 = quantizeBlock(v128.load(from), vscale, vlo, vhi, magic, magicZp);
    const s1 = quantizeBlock(v128.load(from, 16), vscale, vlo, vhi, magic, magicZp);
    const s2 = quantizeBlock(v128.load(from, 32), vscale, vlo, vhi, magic, magicZp);
    const s3 = quantizeBlock(v128.load(from, 48), vscale, vlo, vhi, magic, magicZp);
    const a = i16x8.narrow_i32x4_s(s0, s1);
    const b = i16x8.narrow_i32x4_s(s2, s3);
    v128.store(out + <usize>i, signed ? i8x16.narrow_i16x8_s(a, b) : i8x16.narrow_i16x8_u(a, b));
  }
  for (; i < n; i++) {
    let v = load<f32>(input + (<usize>i << 2)) * scale;
    v = v < lo ? lo : v > hi ? hi : v;
    store<u8>(out + <usize>i, v != v ? 0 : <u8>(<i32>f32.nearest(v) + zp));
  }
}

// One function per specialization (the optimizer would fold inlined copies back into one loop testing `signed`).
function quantizeS8(input: usize, out: usize, n: i32, scale: f32, lo: f32, hi: f32, zp: i32): void {
  quantizeLoop(true, input, out, n, scale, lo, hi, zp);
}
function quantizeU8(input: usize, out: usize, n: i32, scale: f32, lo: f32, hi: f32, zp: i32): void {
  quantizeLoop(false, input, out, n, scale, lo, hi, zp);
}

/** float32 -> int8 (signed 1) or uint8: scale is float32(1 / output scale); lo, hi the output range minus zp. */
export function quantizeF32Q8(signed: i32, input: usize, out: usize, n: i32, scale: f32, lo: f32, hi: f32, zp: i32): void {
  if (signed) quantizeS8(input, out, n, scale, lo, hi, zp);
  else quantizeU8(input, out, n, scale, lo, hi, zp);
}

@inline function requantizeLoop(signed: bool, input: usize, out: usize, n: i32, zpIn: i32, m: i32, zpOut: i32): void {
  const vzpIn = i16x8.splat(<i16>zpIn);
  const vm = i32x4.splat(m);
  const round = i32x4.splat(128);
  const vzp = i32x4.splat(zpOut);
  let i: i32 = 0;
  for (; i + 16 <= n; i += 16) {
    const x = v128.load(input + <usize>i);
    const lo = i16x8.sub(signed ? i16x8.extend_low_i8x16_s(x) : i16x8.extend_low_i8x16_u(x), vzpIn);
    const hi = i16x8.sub(signed ? i16x8.extend_high_i8x16_s(x) : i16x8.extend_high_i8x16_u(x), vzpIn);
    const s0 = i32x4.add(i32x4.shr_s(i32x4.add(i32x4.mul(i32x4.extend_low_i16x8_s(lo), vm), round), 8), vzp);
    const s1 = i32x4.add(i32x4.shr_s(i32x4.add(i32x4.mul(i32x4.extend_high_i16x8_s(lo), vm), round), 8), vzp);
    const s2 = i32x4.add(i32x4.shr_s(i32x4.add(i32x4.mul(i32x4.extend_low_i16x8_s(hi), vm), round), 8), vzp);
    const s3 = i32x4.add(i32x4.shr_s(i32x4.add(i32x4.mul(i32x4.extend_high_i16x8_s(hi), vm), round), 8), vzp);
    const a = i16x8.narrow_i32x4_s(s0, s1);
    const b = i16x8.narrow_i32x4_s(s2, s3);
    v128.store(out + <usize>i, signed ? i8x16.narrow_i16x8_s(a, b) : i8x16.narrow_i16x8_u(a, b));
  }
  const qmin: i32 = signed ? -128 : 0;
  const qmax: i32 = signed ? 127 : 255;
  for (; i < n; i++) {
    const x: i32 = signed ? <i32>load<i8>(input + <usize>i) : <i32>load<u8>(input + <usize>i);
    let q = (((x - zpIn) * m + 128) >> 8) + zpOut;
    q = q < qmin ? qmin : q > qmax ? qmax : q;
    store<u8>(out + <usize>i, <u8>q);
  }
}

function requantizeS8(input: usize, out: usize, n: i32, zpIn: i32, m: i32, zpOut: i32): void {
  requantizeLoop(true, input, out, n, zpIn, m, zpOut);
}
function requantizeU8(input: usize, out: usize, n: i32, zpIn: i32, m: i32, zpOut: i32): void {
  requantizeLoop(false, input, out, n, zpIn, m, zpOut);
}

/** int8 -> int8 (signed 1) or uint8 -> uint8 with an 8-bit fraction multiplier m. */
export function requantizeQ8(signed: i32, input: usize, out: usize, n: i32, zpIn: i32, m: i32, zpOut: i32): void {
  if (signed) requantizeS8(input, out, n, zpIn, m, zpOut);
  else requantizeU8(input, out, n, zpIn, m, zpOut);
}

const KIND_INT8: i32 = 0;
const KIND_UINT8: i32 = 1;

@inline function dequantizeLoop(kind: i32, input: usize, out: usize, n: i32, scale: f32, zp: i32): void {
  const vscale = f32x4.splat(scale);
  const vzp = i32x4.splat(zp);
  const bytes: usize = kind == KIND_INT8 || kind == KIND_UINT8 ? 1 : 2;
  let i: i32 = 0;
  for (; i + 8 <= n; i += 8) {
    const from = input + <usize>i * bytes;
    const w = kind == KIND_INT8 ? v128.load8x8_s(from) : kind == KIND_UINT8 ? v128.load8x8_u(from) : v128.load(from);
    const o = out + (<usize>i << 2);
    v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_low_i16x8_s(w), vzp)), vscale));
    v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_high_i16x8_s(w), vzp)), vscale), 16);
  }
  for (; i < n; i++) {
    const from = input + <usize>i * bytes;
    const q: i32 = kind == KIND_INT8 ? <i32>load<i8>(from) : kind == KIND_UINT8 ? <i32>load<u8>(from) : <i32>load<i16>(from);
    store<f32>(out + (<usize>i << 2), <f32>(q - zp) * scale);
  }
}

function dequantizeS8(input: usize, out: usize, n: i32, scale: f32, zp: i32): void {
  dequantizeLoop(KIND_INT8, input, out, n, scale, zp);
}
function dequantizeU8(input: usize, out: usize, n: i32, scale: f32, zp: i32): void {
  dequantizeLoop(KIND_UINT8, input, out, n, scale, zp);
}
function dequantizeS16(input: usize, out: usize, n: i32, scale: f32, zp: i32): void {
  dequantizeLoop(2, input, out, n, scale, zp);
}

/** int8 (kind 0), uint8 (1) or int16 (2) -> float32, one scale and zero point. */
export function dequantizeQ8F32(kind: i32, input: usize, out: usize, n: i32, scale: f32, zp: i32): void {
  if (kind == KIND_INT8) dequantizeS8(input, out, n, scale, zp);
  else if (kind == KIND_UINT8) dequantizeU8(input, out, n, scale, zp);
  else dequantizeS16(input, out, n, scale, zp);
}
