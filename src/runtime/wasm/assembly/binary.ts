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
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const x0 = aStep ? v128.load(a + o) : va;
    const x1 = aStep ? v128.load(a + o, 16) : va;
    const x2 = aStep ? v128.load(a + o, 32) : va;
    const x3 = aStep ? v128.load(a + o, 48) : va;
    const y0 = bStep ? v128.load(b + o) : vb;
    const y1 = bStep ? v128.load(b + o, 16) : vb;
    const y2 = bStep ? v128.load(b + o, 32) : vb;
    const y3 = bStep ? v128.load(b + o, 48) : vb;
    v128.store(out + o, f32x4.pmin(f32x4.pmax(opF32x4(op, x0, y0), vlo), vhi));
    v128.store(out + o, f32x4.pmin(f32x4.pmax(opF32x4(op, x1, y1), vlo), vhi), 16);
    v128.store(out + o, f32x4.pmin(f32x4.pmax(opF32x4(op, x2, y2), vlo), vhi), 32);
    v128.store(out + o, f32x4.pmin(f32x4.pmax(opF32x4(op, x3, y3), vlo), vhi), 48);
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

// The optimizer folds inlined copies of a loop that differ only in constants back into one loop testing them at
// run time; each specialization is therefore its own function, chosen once per call through a function reference.
type RowF32 = (a: usize, b: usize, out: usize, n: i32, lo: f32, hi: f32) => void;

function addVVF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_ADD, a, true, b, true, o, n, lo, hi); }
function addVSF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_ADD, a, true, b, false, o, n, lo, hi); }
function addSVF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_ADD, a, false, b, true, o, n, lo, hi); }
function subVVF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_SUB, a, true, b, true, o, n, lo, hi); }
function subVSF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_SUB, a, true, b, false, o, n, lo, hi); }
function subSVF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_SUB, a, false, b, true, o, n, lo, hi); }
function mulVVF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_MUL, a, true, b, true, o, n, lo, hi); }
function mulVSF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_MUL, a, true, b, false, o, n, lo, hi); }
function mulSVF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_MUL, a, false, b, true, o, n, lo, hi); }
function divVVF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_DIV, a, true, b, true, o, n, lo, hi); }
function divVSF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_DIV, a, true, b, false, o, n, lo, hi); }
function divSVF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_DIV, a, false, b, true, o, n, lo, hi); }
function maxVVF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_MAX, a, true, b, true, o, n, lo, hi); }
function maxVSF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_MAX, a, true, b, false, o, n, lo, hi); }
function maxSVF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_MAX, a, false, b, true, o, n, lo, hi); }
function minVVF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_MIN, a, true, b, true, o, n, lo, hi); }
function minVSF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_MIN, a, true, b, false, o, n, lo, hi); }
function minSVF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_MIN, a, false, b, true, o, n, lo, hi); }
function sqdiffVVF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_SQDIFF, a, true, b, true, o, n, lo, hi); }
function sqdiffVSF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_SQDIFF, a, true, b, false, o, n, lo, hi); }
function sqdiffSVF32(a: usize, b: usize, o: usize, n: i32, lo: f32, hi: f32): void { rowF32(OP_SQDIFF, a, false, b, true, o, n, lo, hi); }

/** The row loop of an op whose operands both stream, only a streams, or only b streams. */
function rowF32For(op: i32, aStream: bool, bStream: bool): RowF32 {
  if (op == OP_ADD) return aStream && bStream ? addVVF32 : aStream ? addVSF32 : addSVF32;
  if (op == OP_SUB) return aStream && bStream ? subVVF32 : aStream ? subVSF32 : subSVF32;
  if (op == OP_MUL) return aStream && bStream ? mulVVF32 : aStream ? mulVSF32 : mulSVF32;
  if (op == OP_DIV) return aStream && bStream ? divVVF32 : aStream ? divVSF32 : divSVF32;
  if (op == OP_MAX) return aStream && bStream ? maxVVF32 : aStream ? maxVSF32 : maxSVF32;
  if (op == OP_MIN) return aStream && bStream ? minVVF32 : aStream ? minVSF32 : minSVF32;
  if (op == OP_SQDIFF) return aStream && bStream ? sqdiffVVF32 : aStream ? sqdiffVSF32 : sqdiffSVF32;
  return addVVF32;
}

/**
 * float32 out = clamp(a op b) over [outer, inner] (op: 0 ADD, 1 SUB, 2 MUL, 3 DIV, 4 MAX, 5 MIN, 6 SQDIFF). At least
 * one operand streams.
 */
export function binaryF32(op: i32, a: usize, b: usize, out: usize, outer: i32, inner: i32, aMode: i32, bMode: i32,
  lo: f32, hi: f32): void {
  const row = rowF32For(op, isStream(aMode), isStream(bMode));
  for (let r = 0; r < outer; r++) {
    row(rowPointer(a, aMode, r, inner, 4), rowPointer(b, bMode, r, inner, 4), out + <usize>r * <usize>inner * 4, inner, lo, hi);
  }
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

type RowAddQ8 = (a: usize, b: usize, out: usize, n: i32, ma: i32, mb: i32, shift: i32, bias: i32, zp: i32, lo: i32, hi: i32) => void;

function addSVV(a: usize, b: usize, o: usize, n: i32, ma: i32, mb: i32, shift: i32, bias: i32, zp: i32, lo: i32, hi: i32): void {
  rowAddQ8(true, a, true, b, true, o, n, ma, mb, shift, bias, zp, lo, hi);
}
function addSVS(a: usize, b: usize, o: usize, n: i32, ma: i32, mb: i32, shift: i32, bias: i32, zp: i32, lo: i32, hi: i32): void {
  rowAddQ8(true, a, true, b, false, o, n, ma, mb, shift, bias, zp, lo, hi);
}
function addSSV(a: usize, b: usize, o: usize, n: i32, ma: i32, mb: i32, shift: i32, bias: i32, zp: i32, lo: i32, hi: i32): void {
  rowAddQ8(true, a, false, b, true, o, n, ma, mb, shift, bias, zp, lo, hi);
}
function addUVV(a: usize, b: usize, o: usize, n: i32, ma: i32, mb: i32, shift: i32, bias: i32, zp: i32, lo: i32, hi: i32): void {
  rowAddQ8(false, a, true, b, true, o, n, ma, mb, shift, bias, zp, lo, hi);
}
function addUVS(a: usize, b: usize, o: usize, n: i32, ma: i32, mb: i32, shift: i32, bias: i32, zp: i32, lo: i32, hi: i32): void {
  rowAddQ8(false, a, true, b, false, o, n, ma, mb, shift, bias, zp, lo, hi);
}
function addUSV(a: usize, b: usize, o: usize, n: i32, ma: i32, mb: i32, shift: i32, bias: i32, zp: i32, lo: i32, hi: i32): void {
  rowAddQ8(false, a, false, b, true, o, n, ma, mb, shift, bias, zp, lo, hi);
}

/**
 * 8-bit ADD/SUB as XNNPACK: out = clamp(((bias + a * ma + b * mb) >> shift) + zp, lo, hi) over [outer, inner]
 * (SUB: mb negated). At least one operand streams.
 */
export function addQ8(signed: i32, a: usize, b: usize, out: usize, outer: i32, inner: i32, aMode: i32, bMode: i32,
  ma: i32, mb: i32, shift: i32, bias: i32, zp: i32, lo: i32, hi: i32): void {
  const aStream = isStream(aMode);
  const bStream = isStream(bMode);
  const row: RowAddQ8 = signed
    ? (aStream && bStream ? addSVV : aStream ? addSVS : addSSV)
    : (aStream && bStream ? addUVV : aStream ? addUVS : addUSV);
  for (let r = 0; r < outer; r++) {
    row(rowPointer(a, aMode, r, inner, 1), rowPointer(b, bMode, r, inner, 1), out + <usize>r * <usize>inner, inner,
      ma, mb, shift, bias, zp, lo, hi);
  }
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

type RowMulQ8 = (a: usize, b: usize, out: usize, n: i32, za: i32, zb: i32, scale: f32, zp: i32, lo: f32, hi: f32) => void;

function mulSVV(a: usize, b: usize, o: usize, n: i32, za: i32, zb: i32, scale: f32, zp: i32, lo: f32, hi: f32): void {
  rowMulQ8(true, a, true, b, true, o, n, za, zb, scale, zp, lo, hi);
}
function mulSVS(a: usize, b: usize, o: usize, n: i32, za: i32, zb: i32, scale: f32, zp: i32, lo: f32, hi: f32): void {
  rowMulQ8(true, a, true, b, false, o, n, za, zb, scale, zp, lo, hi);
}
function mulSSV(a: usize, b: usize, o: usize, n: i32, za: i32, zb: i32, scale: f32, zp: i32, lo: f32, hi: f32): void {
  rowMulQ8(true, a, false, b, true, o, n, za, zb, scale, zp, lo, hi);
}
function mulUVV(a: usize, b: usize, o: usize, n: i32, za: i32, zb: i32, scale: f32, zp: i32, lo: f32, hi: f32): void {
  rowMulQ8(false, a, true, b, true, o, n, za, zb, scale, zp, lo, hi);
}
function mulUVS(a: usize, b: usize, o: usize, n: i32, za: i32, zb: i32, scale: f32, zp: i32, lo: f32, hi: f32): void {
  rowMulQ8(false, a, true, b, false, o, n, za, zb, scale, zp, lo, hi);
}
function mulUSV(a: usize, b: usize, o: usize, n: i32, za: i32, zb: i32, scale: f32, zp: i32, lo: f32, hi: f32): void {
  rowMulQ8(false, a, false, b, true, o, n, za, zb, scale, zp, lo, hi);
}

/**
 * 8-bit MUL as XNNPACK: out = round half to even of clamp(float32((a - za) * (b - zb)) * scale, lo, hi) + zp over
 * [outer, inner] (lo, hi: the output range minus zp; the product is exact in float32). At least one operand streams.
 */
export function mulQ8(signed: i32, a: usize, b: usize, out: usize, outer: i32, inner: i32, aMode: i32, bMode: i32,
  za: i32, zb: i32, scale: f32, zp: i32, lo: f32, hi: f32): void {
  const aStream = isStream(aMode);
  const bStream = isStream(bMode);
  const row: RowMulQ8 = signed
    ? (aStream && bStream ? mulSVV : aStream ? mulSVS : mulSSV)
    : (aStream && bStream ? mulUVV : aStream ? mulUVS : mulUSV);
  for (let r = 0; r < outer; r++) {
    row(rowPointer(a, aMode, r, inner, 1), rowPointer(b, bMode, r, inner, 1), out + <usize>r * <usize>inner, inner,
      za, zb, scale, zp, lo, hi);
  }
}
