// Broadcasting binary arithmetic over an output viewed as [outer, inner]: each operand is, per output row r,
// either a stream of `inner` values (mode FULL: row r of a same-shaped tensor; mode ROW: the same `inner` values for
// every row) or one value repeated (mode SCALAR: element 0; mode COLUMN: element r). The TypeScript side finds the
// view at prepare (shapes like [N,H,W,C] with [C], [1,1,1,C], [N,H,W,1] or a scalar); other broadcasts stay there.
//
// float32: ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE then the fused activation's clamp, each step one
// float32 operation as the TypeScript loops round it (bit-identical to them, NaN propagation included).
// 8-bit ADD/SUB: XNNPACK's arithmetic (see xnnpack-add.ts): ((bias + a * ma + b * mb) >> shift) + zp, clamped; the
// sum fits int32 by construction of the multipliers, so int32 SIMD arithmetic gives the exact integer.
// 8-bit MUL: XNNPACK's fp32 requantization of (a - za) * (b - zb) (see binary.ts 'xnnMul').

const MODE_FULL: i32 = 0;
const MODE_ROW: i32 = 1;
const MODE_SCALAR: i32 = 2;
const MODE_COLUMN: i32 = 3;

const OP_ADD: i32 = 0;
const OP_SUB: i32 = 1;
const OP_MUL: i32 = 2;
const OP_DIV: i32 = 3;
const OP_MAX: i32 = 4;
const OP_MIN: i32 = 5;
const OP_SQDIFF: i32 = 6;

@inline function opF32x4(op: i32, x: v128, y: v128): v128 {
  if (op == OP_ADD) return f32x4.add(x, y);
  if (op == OP_SUB) return f32x4.sub(x, y);
  if (op == OP_MUL) return f32x4.mul(x, y);
  if (op == OP_DIV) return f32x4.div(x, y);
  // MAXIMUM / MINIMUM as the TypeScript loops: x when x > y (x < y) or x is NaN, else y.
  if (op == OP_MAX) return v128.bitselect(x, y, v128.or(f32x4.gt(x, y), f32x4.ne(x, x)));
  if (op == OP_MIN) return v128.bitselect(x, y, v128.or(f32x4.lt(x, y), f32x4.ne(x, x)));
  const d = f32x4.sub(x, y);
  return f32x4.mul(d, d);
}

@inline function opF32(op: i32, x: f32, y: f32): f32 {
  if (op == OP_ADD) return x + y;
  if (op == OP_SUB) return x - y;
  if (op == OP_MUL) return x * y;
  if (op == OP_DIV) return x / y;
  if (op == OP_MAX) return x > y || x != x ? x : y;
  if (op == OP_MIN) return x < y || x != x ? x : y;
  const d = x - y;
  return d * d;
}

/** n outputs of `op` then the clamp; an operand with step 0 is the value at its pointer repeated. */
@inline function rowF32(op: i32, a: usize, aStep: bool, b: usize, bStep: bool, out: usize, n: i32, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const sa = load<f32>(a);
  const sb = load<f32>(b);
  const va = f32x4.splat(sa);
  const vb = f32x4.splat(sb);
  let i: i32 = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const x0 = aStep ? v128.load(a + o) : va;
    const x1 = aStep ? v128.load(a + o, 16) : va;
    const y0 = bStep ? v128.load(b + o) : vb;
    const y1 = bStep ? v128.load(b + o, 16) : vb;
    v128.store(out + o, f32x4.pmin(f32x4.pmax(opF32x4(op, x0, y0), vlo), vhi));
    v128.store(out + o, f32x4.pmin(f32x4.pmax(opF32x4(op, x1, y1), vlo), vhi), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const x = aStep ? v128.load(a + o) : va;
    const y = bStep ? v128.load(b + o) : vb;
    v128.store(out + o, f32x4.pmin(f32x4.pmax(opF32x4(op, x, y), vlo), vhi));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = opF32(op, aStep ? load<f32>(a + o) : sa, bStep ? load<f32>(b + o) : sb);
    store<f32>(out + o, v < lo ? lo : v > hi ? hi : v);
  }
}

/** Operand pointer of row r (element size `bytes`). */
@inline function rowPointer(p: usize, mode: i32, r: i32, inner: i32, bytes: usize): usize {
  if (mode == MODE_FULL) return p + <usize>r * <usize>inner * bytes;
  if (mode == MODE_COLUMN) return p + <usize>r * bytes;
  return p;
}

@inline function isStream(mode: i32): bool {
  return mode == MODE_FULL || mode == MODE_ROW;
}

@inline function binaryF32Op(op: i32, a: usize, b: usize, out: usize, outer: i32, inner: i32, aMode: i32, bMode: i32,
  lo: f32, hi: f32): void {
  const aStream = isStream(aMode);
  const bStream = isStream(bMode);
  for (let r = 0; r < outer; r++) {
    const pa = rowPointer(a, aMode, r, inner, 4);
    const pb = rowPointer(b, bMode, r, inner, 4);
    const po = out + <usize>r * <usize>inner * 4;
    if (aStream && bStream) rowF32(op, pa, true, pb, true, po, inner, lo, hi);
    else if (aStream) rowF32(op, pa, true, pb, false, po, inner, lo, hi);
    else if (bStream) rowF32(op, pa, false, pb, true, po, inner, lo, hi);
    else rowF32(op, pa, false, pb, false, po, inner, lo, hi);
  }
}

/** float32 out = clamp(a op b) over [outer, inner] (op: 0 ADD, 1 SUB, 2 MUL, 3 DIV, 4 MAX, 5 MIN, 6 SQDIFF). */
export function binaryF32(op: i32, a: usize, b: usize, out: usize, outer: i32, inner: i32, aMode: i32, bMode: i32,
  lo: f32, hi: f32): void {
  if (op == OP_ADD) binaryF32Op(OP_ADD, a, b, out, outer, inner, aMode, bMode, lo, hi);
  else if (op == OP_SUB) binaryF32Op(OP_SUB, a, b, out, outer, inner, aMode, bMode, lo, hi);
  else if (op == OP_MUL) binaryF32Op(OP_MUL, a, b, out, outer, inner, aMode, bMode, lo, hi);
  else if (op == OP_DIV) binaryF32Op(OP_DIV, a, b, out, outer, inner, aMode, bMode, lo, hi);
  else if (op == OP_MAX) binaryF32Op(OP_MAX, a, b, out, outer, inner, aMode, bMode, lo, hi);
  else if (op == OP_MIN) binaryF32Op(OP_MIN, a, b, out, outer, inner, aMode, bMode, lo, hi);
  else binaryF32Op(OP_SQDIFF, a, b, out, outer, inner, aMode, bMode, lo, hi);
}

// ---------------------------------------------------------------- 8-bit ADD/SUB (XNNPACK arithmetic)

/** Sixteen 8-bit values widened to four i32x4 (signed or unsigned). */
@inline function widen(signed: bool, v: v128, k: i32): v128 {
  const h = signed
    ? (k < 2 ? i16x8.extend_low_i8x16_s(v) : i16x8.extend_high_i8x16_s(v))
    : (k < 2 ? i16x8.extend_low_i8x16_u(v) : i16x8.extend_high_i8x16_u(v));
  return (k & 1) == 0 ? i32x4.extend_low_i16x8_s(h) : i32x4.extend_high_i16x8_s(h);
}

@inline function addQ8Block(signed: bool, x: v128, y: v128, vma: v128, vmb: v128, vbias: v128, shift: i32, vzp: v128,
  vlo: v128, vhi: v128): v128 {
  const s0 = i32x4.add(i32x4.shr_s(i32x4.add(vbias, i32x4.add(i32x4.mul(widen(signed, x, 0), vma), i32x4.mul(widen(signed, y, 0), vmb))), shift), vzp);
  const s1 = i32x4.add(i32x4.shr_s(i32x4.add(vbias, i32x4.add(i32x4.mul(widen(signed, x, 1), vma), i32x4.mul(widen(signed, y, 1), vmb))), shift), vzp);
  const s2 = i32x4.add(i32x4.shr_s(i32x4.add(vbias, i32x4.add(i32x4.mul(widen(signed, x, 2), vma), i32x4.mul(widen(signed, y, 2), vmb))), shift), vzp);
  const s3 = i32x4.add(i32x4.shr_s(i32x4.add(vbias, i32x4.add(i32x4.mul(widen(signed, x, 3), vma), i32x4.mul(widen(signed, y, 3), vmb))), shift), vzp);
  const lo16 = i16x8.narrow_i32x4_s(s0, s1);
  const hi16 = i16x8.narrow_i32x4_s(s2, s3);
  if (signed) return i8x16.min_s(i8x16.max_s(i8x16.narrow_i16x8_s(lo16, hi16), vlo), vhi);
  return i8x16.min_u(i8x16.max_u(i8x16.narrow_i16x8_u(lo16, hi16), vlo), vhi);
}

@inline function rowAddQ8(signed: bool, a: usize, aStep: bool, b: usize, bStep: bool, out: usize, n: i32, ma: i32, mb: i32,
  shift: i32, bias: i32, zp: i32, lo: i32, hi: i32): void {
  const vma = i32x4.splat(ma);
  const vmb = i32x4.splat(mb);
  const vbias = i32x4.splat(bias);
  const vzp = i32x4.splat(zp);
  const vlo = i8x16.splat(<i8>lo);
  const vhi = i8x16.splat(<i8>hi);
  const sa: i32 = signed ? <i32>load<i8>(a) : <i32>load<u8>(a);
  const sb: i32 = signed ? <i32>load<i8>(b) : <i32>load<u8>(b);
  const va = i8x16.splat(<i8>sa);
  const vb = i8x16.splat(<i8>sb);
  let i: i32 = 0;
  for (; i + 16 <= n; i += 16) {
    const x = aStep ? v128.load(a + <usize>i) : va;
    const y = bStep ? v128.load(b + <usize>i) : vb;
    v128.store(out + <usize>i, addQ8Block(signed, x, y, vma, vmb, vbias, shift, vzp, vlo, vhi));
  }
  for (; i < n; i++) {
    const x: i32 = aStep ? (signed ? <i32>load<i8>(a + <usize>i) : <i32>load<u8>(a + <usize>i)) : sa;
    const y: i32 = bStep ? (signed ? <i32>load<i8>(b + <usize>i) : <i32>load<u8>(b + <usize>i)) : sb;
    let v = ((bias + x * ma + y * mb) >> shift) + zp;
    v = v < lo ? lo : v > hi ? hi : v;
    store<u8>(out + <usize>i, <u8>v);
  }
}

@inline function addQ8Op(signed: bool, a: usize, b: usize, out: usize, outer: i32, inner: i32, aMode: i32, bMode: i32,
  ma: i32, mb: i32, shift: i32, bias: i32, zp: i32, lo: i32, hi: i32): void {
  const aStream = isStream(aMode);
  const bStream = isStream(bMode);
  for (let r = 0; r < outer; r++) {
    const pa = rowPointer(a, aMode, r, inner, 1);
    const pb = rowPointer(b, bMode, r, inner, 1);
    const po = out + <usize>r * <usize>inner;
    if (aStream && bStream) rowAddQ8(signed, pa, true, pb, true, po, inner, ma, mb, shift, bias, zp, lo, hi);
    else if (aStream) rowAddQ8(signed, pa, true, pb, false, po, inner, ma, mb, shift, bias, zp, lo, hi);
    else rowAddQ8(signed, pa, false, pb, true, po, inner, ma, mb, shift, bias, zp, lo, hi);
  }
}

/**
 * 8-bit ADD/SUB as XNNPACK: out = clamp(((bias + a * ma + b * mb) >> shift) + zp, lo, hi) over [outer, inner]
 * (SUB: mb negated). At least one operand streams.
 */
export function addQ8(signed: i32, a: usize, b: usize, out: usize, outer: i32, inner: i32, aMode: i32, bMode: i32,
  ma: i32, mb: i32, shift: i32, bias: i32, zp: i32, lo: i32, hi: i32): void {
  if (signed) addQ8Op(true, a, b, out, outer, inner, aMode, bMode, ma, mb, shift, bias, zp, lo, hi);
  else addQ8Op(false, a, b, out, outer, inner, aMode, bMode, ma, mb, shift, bias, zp, lo, hi);
}

// ---------------------------------------------------------------- 8-bit MUL (XNNPACK arithmetic)

/** Eight 8-bit values (low or high half of v) widened to int16 minus the zero point. */
@inline function centered16(signed: bool, v: v128, high: bool, zp: v128): v128 {
  const w = signed
    ? (high ? i16x8.extend_high_i8x16_s(v) : i16x8.extend_low_i8x16_s(v))
    : (high ? i16x8.extend_high_i8x16_u(v) : i16x8.extend_low_i8x16_u(v));
  return i16x8.sub(w, zp);
}

/** float32(product * scale), clamped to [lo, hi], rounded half to even, plus the output zero point. */
@inline function requantizeProducts(p: v128, vscale: v128, vlo: v128, vhi: v128, vzp: v128): v128 {
  const v = f32x4.pmin(f32x4.pmax(f32x4.mul(f32x4.convert_i32x4_s(p), vscale), vlo), vhi);
  return i32x4.add(i32x4.trunc_sat_f32x4_s(f32x4.nearest(v)), vzp);
}

@inline function mulQ8Block(signed: bool, x: v128, y: v128, za: v128, zb: v128, vscale: v128, vlo: v128, vhi: v128, vzp: v128): v128 {
  const x0 = centered16(signed, x, false, za);
  const x1 = centered16(signed, x, true, za);
  const y0 = centered16(signed, y, false, zb);
  const y1 = centered16(signed, y, true, zb);
  const s0 = requantizeProducts(i32x4.extmul_low_i16x8_s(x0, y0), vscale, vlo, vhi, vzp);
  const s1 = requantizeProducts(i32x4.extmul_high_i16x8_s(x0, y0), vscale, vlo, vhi, vzp);
  const s2 = requantizeProducts(i32x4.extmul_low_i16x8_s(x1, y1), vscale, vlo, vhi, vzp);
  const s3 = requantizeProducts(i32x4.extmul_high_i16x8_s(x1, y1), vscale, vlo, vhi, vzp);
  const lo16 = i16x8.narrow_i32x4_s(s0, s1);
  const hi16 = i16x8.narrow_i32x4_s(s2, s3);
  return signed ? i8x16.narrow_i16x8_s(lo16, hi16) : i8x16.narrow_i16x8_u(lo16, hi16);
}

@inline function rowMulQ8(signed: bool, a: usize, aStep: bool, b: usize, bStep: bool, out: usize, n: i32, za: i32, zb: i32,
  scale: f32, zp: i32, lo: f32, hi: f32): void {
  const vza = i16x8.splat(<i16>za);
  const vzb = i16x8.splat(<i16>zb);
  const vscale = f32x4.splat(scale);
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const vzp = i32x4.splat(zp);
  const sa: i32 = signed ? <i32>load<i8>(a) : <i32>load<u8>(a);
  const sb: i32 = signed ? <i32>load<i8>(b) : <i32>load<u8>(b);
  const va = i8x16.splat(<i8>sa);
  const vb = i8x16.splat(<i8>sb);
  let i: i32 = 0;
  for (; i + 16 <= n; i += 16) {
    const x = aStep ? v128.load(a + <usize>i) : va;
    const y = bStep ? v128.load(b + <usize>i) : vb;
    v128.store(out + <usize>i, mulQ8Block(signed, x, y, vza, vzb, vscale, vlo, vhi, vzp));
  }
  for (; i < n; i++) {
    const x: i32 = aStep ? (signed ? <i32>load<i8>(a + <usize>i) : <i32>load<u8>(a + <usize>i)) : sa;
    const y: i32 = bStep ? (signed ? <i32>load<i8>(b + <usize>i) : <i32>load<u8>(b + <usize>i)) : sb;
    let v = <f32>((x - za) * (y - zb)) * scale;
    v = v < lo ? lo : v > hi ? hi : v;
    store<u8>(out + <usize>i, <u8>(<i32>f32.nearest(v) + zp));
  }
}

@inline function mulQ8Op(signed: bool, a: usize, b: usize, out: usize, outer: i32, inner: i32, aMode: i32, bMode: i32,
  za: i32, zb: i32, scale: f32, zp: i32, lo: f32, hi: f32): void {
  const aStream = isStream(aMode);
  const bStream = isStream(bMode);
  for (let r = 0; r < outer; r++) {
    const pa = rowPointer(a, aMode, r, inner, 1);
    const pb = rowPointer(b, bMode, r, inner, 1);
    const po = out + <usize>r * <usize>inner;
    if (aStream && bStream) rowMulQ8(signed, pa, true, pb, true, po, inner, za, zb, scale, zp, lo, hi);
    else if (aStream) rowMulQ8(signed, pa, true, pb, false, po, inner, za, zb, scale, zp, lo, hi);
    else rowMulQ8(signed, pa, false, pb, true, po, inner, za, zb, scale, zp, lo, hi);
  }
}

/**
 * 8-bit MUL as XNNPACK: out = round half to even of clamp(float32((a - za) * (b - zb)) * scale, lo, hi) + zp over
 * [outer, inner] (lo, hi: the output range minus zp; the product is exact in float32). At least one operand streams.
 */
export function mulQ8(signed: i32, a: usize, b: usize, out: usize, outer: i32, inner: i32, aMode: i32, bMode: i32,
  za: i32, zb: i32, scale: f32, zp: i32, lo: f32, hi: f32): void {
  if (signed) mulQ8Op(true, a, b, out, outer, inner, aMode, bMode, za, zb, scale, zp, lo, hi);
  else mulQ8Op(false, a, b, out, outer, inner, aMode, bMode, za, zb, scale, zp, lo, hi);
}
