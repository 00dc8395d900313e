// 8-bit MEAN as XNNPACK's global average pooling (the delegate's choice for a 4-D MEAN over W or H and W):
// per output, the int32 sum of its `length` inputs plus bias (-length * input zero point), times the float32 scale,
// clamped, rounded half to even (magic bias), plus the output zero point. The prepare side (kernels/reduce.ts) uses
// it only where every |sum + bias| <= 2^24, so f32(sum + bias) is exact and the float32 product equals the
// TypeScript loop's double product rounded to float32.

const MAGIC: f32 = 12582912.0;
const MAGIC_BITS: i32 = 0x4b400000;

/** One output: sum + bias -> 8-bit value (int32, zero point included). */
// @ts-ignore: decorator
@inline
function scalarMean(sum: i32, scale: f32, lo: f32, hi: f32, zp: i32): i32 {
  let v = <f32>sum * scale;
  v = v < lo ? lo : v > hi ? hi : v;
  return reinterpret<i32>(v + MAGIC) - MAGIC_BITS + zp;
}

/**
 * input [outer, length, inner] of int8 (signed != 0) or uint8 -> output [outer, inner]: the mean over `length`.
 */
export function globalAverageQ8(signed: i32, input: usize, output: usize, outer: i32, length: i32, inner: i32,
  bias: i32, scale: f32, lo: f32, hi: f32, zp: i32): void {
  const vbias = i32x4.splat(bias);
  const vscale = f32x4.splat(scale);
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const magic = f32x4.splat(MAGIC);
  const magicZp = i32x4.splat(MAGIC_BITS - zp);
  const rowBytes = <usize>inner;
  for (let o = 0; o < outer; o++) {
    const base = input + <usize>o * <usize>length * rowBytes;
    const out = output + <usize>o * rowBytes;
    let c = 0;
    for (; c + 16 <= inner; c += 16) {
      let a0 = vbias, a1 = vbias, a2 = vbias, a3 = vbias;
      let p = base + <usize>c;
      for (let l = 0; l < length; l++, p += rowBytes) {
        const x = v128.load(p);
        const lo16 = signed != 0 ? i16x8.extend_low_i8x16_s(x) : i16x8.extend_low_i8x16_u(x);
        const hi16 = signed != 0 ? i16x8.extend_high_i8x16_s(x) : i16x8.extend_high_i8x16_u(x);
        a0 = i32x4.add(a0, i32x4.extend_low_i16x8_s(lo16));
        a1 = i32x4.add(a1, i32x4.extend_high_i16x8_s(lo16));
        a2 = i32x4.add(a2, i32x4.extend_low_i16x8_s(hi16));
        a3 = i32x4.add(a3, i32x4.extend_high_i16x8_s(hi16));
      }
      const q0 = i32x4.sub(f32x4.add(f32x4.pmin(f32x4.pmax(f32x4.mul(f32x4.convert_i32x4_s(a0), vscale), vlo), vhi), magic), magicZp);
      const q1 = i32x4.sub(f32x4.add(f32x4.pmin(f32x4.pmax(f32x4.mul(f32x4.convert_i32x4_s(a1), vscale), vlo), vhi), magic), magicZp);
      const q2 = i32x4.sub(f32x4.add(f32x4.pmin(f32x4.pmax(f32x4.mul(f32x4.convert_i32x4_s(a2), vscale), vlo), vhi), magic), magicZp);
      const q3 = i32x4.sub(f32x4.add(f32x4.pmin(f32x4.pmax(f32x4.mul(f32x4.convert_i32x4_s(a3), vscale), vlo), vhi), magic), magicZp);
      const h0 = i16x8.narrow_i32x4_s(q0, q1);
      const h1 = i16x8.narrow_i32x4_s(q2, q3);
      v128.store(out + <usize>c, signed != 0 ? i8x16.narrow_i16x8_s(h0, h1) : i8x16.narrow_i16x8_u(h0, h1));
    }
    for (; c < inner; c++) {
      let sum = bias;
      let p = base + <usize>c;
      for (let l = 0; l < length; l++, p += rowBytes) sum += signed != 0 ? <i32>load<i8>(p) : <i32>load<u8>(p);
      store<u8>(out + <usize>c, <u8>scalarMean(sum, scale, lo, hi, zp));
    }
  }
}
