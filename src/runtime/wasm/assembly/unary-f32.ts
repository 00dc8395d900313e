// Float32 activations, pooling and reductions. All but LOGISTIC, TANH and HARD_SWISH are computed with the
// roundings of the TypeScript loops they replace (bit-identical to them):
// - activations: clamps (RELU family), LEAKY_RELU x > 0 ? x : x * alpha with every step rounded to float32;
//   HARD_SWISH x * min(6, max(0, x + 3)) * float32(1/6) (the TypeScript loop divides by 6); LOGISTIC and TANH from a
//   float32 exp polynomial, within a few float32 roundings of the correctly rounded values the TypeScript loops
//   compute in double;
// - AVERAGE_POOL_2D sums in float64 in window order and divides in float64 (f64x2 lanes); MAX_POOL_2D keeps the
//   first maximum of the window, NaN never taken;
// - MEAN/SUM/REDUCE_MAX/REDUCE_MIN over a contiguous block of axes ([outer, reduce, inner] view): float32 running
//   sums in input order (MEAN divides once at the end), or the running extreme from the first element.

const ACT_CLAMP: i32 = 0;
const ACT_LEAKY: i32 = 1;
const ACT_HARD_SWISH: i32 = 2;
const ACT_LOGISTIC: i32 = 3;
const ACT_TANH: i32 = 4;
const SIXTH: f32 = 1.0 / 6.0;

// exp(-z) for z >= 0 (NaN stays NaN): z = -n ln2 + t (n an integer, |t| <= ln2 / 2, ln2 split in a high part
// with few bits so n * ln2hi is exact), e^t from its Taylor polynomial to degree 6 (truncation below 1.2e-7 of
// the result), times 2^n built in the exponent bits; 0 beyond z = 87 (where 2^n leaves the normal range).
// NaN: n and t are NaN, so is the product.
const LOG2E: f32 = 1.44269504;
const LN2_HI: f32 = 0.693145752;
const LN2_LO: f32 = 1.42860677e-6;

/** 1.5 * 2^23 + 127: adding it rounds to an integer n and leaves n + 127 in the low mantissa bits. */
const EXP_MAGIC: f32 = 12583039.0;

@inline function expNegF32x4(z: v128): v128 {
  const biased = f32x4.add(f32x4.mul(z, f32x4.splat(-LOG2E)), f32x4.splat(EXP_MAGIC));
  const n = f32x4.sub(biased, f32x4.splat(EXP_MAGIC));
  const t = f32x4.add(f32x4.add(f32x4.neg(z), f32x4.mul(n, f32x4.splat(-LN2_HI))), f32x4.mul(n, f32x4.splat(-LN2_LO)));
  let p = f32x4.add(f32x4.mul(t, f32x4.splat(1.0 / 720.0)), f32x4.splat(1.0 / 120.0));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.0 / 24.0));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.0 / 6.0));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1));
  // 2^n: the biased exponent n + 127 shifted from the low mantissa bits into the exponent field.
  const scale = i32x4.shl(biased, 23);
  const e = f32x4.mul(p, scale);
  return v128.andnot(e, f32x4.gt(z, f32x4.splat(87)));
}

@inline function expNegF32(z: f32): f32 {
  return f32x4.extract_lane(expNegF32x4(f32x4.splat(z)), 0);
}

/** 1 / (1 + e^-x) as num / (1 + e^-|x|), num = 1 for x > 0 (no cancellation either side), else e^-|x|. */
@inline function logisticF32x4(x: v128): v128 {
  const e = expNegF32x4(f32x4.abs(x));
  const num = v128.bitselect(f32x4.splat(1), e, f32x4.gt(x, f32x4.splat(0)));
  return f32x4.div(num, f32x4.add(f32x4.splat(1), e));
}

/**
 * tanh: an odd Taylor polynomial below |x| = 0.25 (to x^11: truncation below 1e-9 relative), else
 * sign(x) (1 - e) / (1 + e) with e = e^-2|x|.
 */
@inline function tanhF32x4(x: v128): v128 {
  const a = f32x4.abs(x);
  const e = expNegF32x4(f32x4.add(a, a));
  const big = f32x4.div(f32x4.sub(f32x4.splat(1), e), f32x4.add(f32x4.splat(1), e));
  const x2 = f32x4.mul(x, x);
  let q = f32x4.add(f32x4.mul(x2, f32x4.splat(-1382.0 / 155925.0)), f32x4.splat(62.0 / 2835.0));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(-17.0 / 315.0));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(2.0 / 15.0));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(-1.0 / 3.0));
  const small = f32x4.add(x, f32x4.mul(f32x4.mul(x2, x), q));
  const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  // NaN fails the comparison and takes the polynomial (NaN).
  return v128.bitselect(signed, small, f32x4.ge(a, f32x4.splat(0.25)));
}

@inline function actF32x4(kind: i32, x: v128, vlo: v128, vhi: v128, valpha: v128): v128 {
  if (kind == ACT_CLAMP) return f32x4.pmin(f32x4.pmax(x, vlo), vhi);
  if (kind == ACT_LEAKY) return v128.bitselect(x, f32x4.mul(x, valpha), f32x4.gt(x, f32x4.splat(0)));
  if (kind == ACT_LOGISTIC) return logisticF32x4(x);
  if (kind == ACT_TANH) return tanhF32x4(x);
  // Math.min(6, Math.max(0, t)): NaN stays NaN (pmax/pmin keep their first operand when the compare fails).
  const t = f32x4.add(x, f32x4.splat(3));
  const m = f32x4.pmin(f32x4.pmax(t, f32x4.splat(0)), f32x4.splat(6));
  // Times float32(1/6) where the TypeScript loop divides by 6 (a division costs as much as the rest): at most
  // two float32 roundings apart.
  return f32x4.mul(f32x4.mul(x, m), f32x4.splat(SIXTH));
}

@inline function actF32(kind: i32, x: f32, lo: f32, hi: f32, alpha: f32): f32 {
  if (kind == ACT_CLAMP) return x < lo ? lo : x > hi ? hi : x;
  if (kind == ACT_LEAKY) return x > 0 ? x : x * alpha;
  if (kind == ACT_LOGISTIC) return f32x4.extract_lane(logisticF32x4(f32x4.splat(x)), 0);
  if (kind == ACT_TANH) return f32x4.extract_lane(tanhF32x4(f32x4.splat(x)), 0);
  const t = x + 3;
  const m: f32 = t != t ? t : t < 0 ? 0 : t > 6 ? 6 : t;
  return (x * m) * SIXTH;
}

@inline function activationLoop(kind: i32, input: usize, out: usize, n: i32, lo: f32, hi: f32, alpha: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const valpha = f32x4.splat(alpha);
  let i: i32 = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const x0 = v128.load(input + o);
    const x1 = v128.load(input + o, 16);
    const x2 = v128.load(input + o, 32);
    const x3 = v128.load(input + o, 48);
    v128.store(out + o, actF32x4(kind, x0, vlo, vhi, valpha));
    v128.store(out + o, actF32x4(kind, x1, vlo, vhi, valpha), 16);
    v128.store(out + o, actF32x4(kind, x2, vlo, vhi, valpha), 32);
    v128.store(out + o, actF32x4(kind, x3, vlo, vhi, valpha), 48);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, actF32x4(kind, v128.load(input + o), vlo, vhi, valpha));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, actF32(kind, load<f32>(input + o), lo, hi, alpha));
  }
}

// One function per kind: the optimizer folds inlined copies that differ only in a constant back into one loop
// testing that constant at run time (measured: 1.7x slower clamps); separate functions are specialized first.
function clampLoop(input: usize, out: usize, n: i32, lo: f32, hi: f32, alpha: f32): void {
  activationLoop(ACT_CLAMP, input, out, n, lo, hi, alpha);
}
function leakyLoop(input: usize, out: usize, n: i32, lo: f32, hi: f32, alpha: f32): void {
  activationLoop(ACT_LEAKY, input, out, n, lo, hi, alpha);
}
function logisticLoop(input: usize, out: usize, n: i32, lo: f32, hi: f32, alpha: f32): void {
  activationLoop(ACT_LOGISTIC, input, out, n, lo, hi, alpha);
}
function tanhLoop(input: usize, out: usize, n: i32, lo: f32, hi: f32, alpha: f32): void {
  activationLoop(ACT_TANH, input, out, n, lo, hi, alpha);
}
function hardSwishLoop(input: usize, out: usize, n: i32, lo: f32, hi: f32, alpha: f32): void {
  activationLoop(ACT_HARD_SWISH, input, out, n, lo, hi, alpha);
}

/**
 * Element-wise activation over n float32 values (kind: 0 clamp to [lo, hi], 1 LEAKY_RELU, 2 HARD_SWISH,
 * 3 LOGISTIC, 4 TANH).
 */
export function activationF32(kind: i32, input: usize, out: usize, n: i32, lo: f32, hi: f32, alpha: f32): void {
  if (kind == ACT_CLAMP) clampLoop(input, out, n, lo, hi, alpha);
  else if (kind == ACT_LEAKY) leakyLoop(input, out, n, lo, hi, alpha);
  else if (kind == ACT_LOGISTIC) logisticLoop(input, out, n, lo, hi, alpha);
  else if (kind == ACT_TANH) tanhLoop(input, out, n, lo, hi, alpha);
  else hardSwishLoop(input, out, n, lo, hi, alpha);
}

// ---------------------------------------------------------------- pooling

/**
 * One average-pooled output pixel: window rows [fy0, fy1), columns [fx0, fx1) from `at` (the window's first
 * pixel, channel 0). float64 sums (two channels per f64x2), one float64 division, the clamp, then float32.
 */
function averagePixel(at: usize, out: usize, C: i32, rows: i32, cols: i32, rowBytes: usize, pixelBytes: usize,
  count: f64, lo: f64, hi: f64): void {
  const vcount = f64x2.splat(count);
  const vlo = f64x2.splat(lo);
  const vhi = f64x2.splat(hi);
  let c: i32 = 0;
  for (; c + 4 <= C; c += 4) {
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let row = at + (<usize>c << 2);
    for (let y = 0; y < rows; y++, row += rowBytes) {
      let x = row;
      for (let k = 0; k < cols; k++, x += pixelBytes) {
        const v = v128.load(x);
        s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
        s1 = f64x2.add(s1, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
      }
    }
    const m0 = f64x2.pmin(f64x2.pmax(f64x2.div(s0, vcount), vlo), vhi);
    const m1 = f64x2.pmin(f64x2.pmax(f64x2.div(s1, vcount), vlo), vhi);
    const f0 = f32x4.demote_f64x2_zero(m0);
    const f1 = f32x4.demote_f64x2_zero(m1);
    v128.store(out + (<usize>c << 2), i32x4.shuffle(f0, f1, 0, 1, 4, 5));
  }
  for (; c < C; c++) {
    let s: f64 = 0;
    let row = at + (<usize>c << 2);
    for (let y = 0; y < rows; y++, row += rowBytes) {
      let x = row;
      for (let k = 0; k < cols; k++, x += pixelBytes) s += <f64>load<f32>(x);
    }
    const m = s / count;
    store<f32>(out + (<usize>c << 2), <f32>(m < lo ? lo : m > hi ? hi : m));
  }
}

/** One max-pooled output pixel (as averagePixel; the running maximum starts at -infinity). */
function maxPixel(at: usize, out: usize, C: i32, rows: i32, cols: i32, rowBytes: usize, pixelBytes: usize, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let c: i32 = 0;
  for (; c + 4 <= C; c += 4) {
    let m = f32x4.splat(-Infinity);
    let row = at + (<usize>c << 2);
    for (let y = 0; y < rows; y++, row += rowBytes) {
      let x = row;
      // pmax(m, v) = m < v ? v : m: the TypeScript loop's `if (v > m) m = v`.
      for (let k = 0; k < cols; k++, x += pixelBytes) m = f32x4.pmax(m, v128.load(x));
    }
    v128.store(out + (<usize>c << 2), f32x4.pmin(f32x4.pmax(m, vlo), vhi));
  }
  for (; c < C; c++) {
    let m: f32 = -Infinity;
    let row = at + (<usize>c << 2);
    for (let y = 0; y < rows; y++, row += rowBytes) {
      let x = row;
      for (let k = 0; k < cols; k++, x += pixelBytes) {
        const v = load<f32>(x);
        if (v > m) m = v;
      }
    }
    store<f32>(out + (<usize>c << 2), m < lo ? lo : m > hi ? hi : m);
  }
}

/**
 * AVERAGE_POOL_2D (isMax 0) or MAX_POOL_2D (isMax 1), NHWC float32, padding cells skipped (not counted).
 * Parameter block (i32): batches, inH, inW, C, outH, outW, filterH, filterW, strideH, strideW, padH, padW, then
 * lo and hi as f32.
 */
export function poolF32(isMax: i32, params: usize, input: usize, output: usize): void {
  const batches = load<i32>(params);
  const inH = load<i32>(params, 4);
  const inW = load<i32>(params, 8);
  const C = load<i32>(params, 12);
  const outH = load<i32>(params, 16);
  const outW = load<i32>(params, 20);
  const fH = load<i32>(params, 24);
  const fW = load<i32>(params, 28);
  const sH = load<i32>(params, 32);
  const sW = load<i32>(params, 36);
  const padH = load<i32>(params, 40);
  const padW = load<i32>(params, 44);
  const lo = load<f32>(params, 48);
  const hi = load<f32>(params, 52);
  const pixelBytes = <usize>C << 2;
  const rowBytes = <usize>inW * pixelBytes;
  let out = output;
  for (let b = 0; b < batches; b++) {
    const image = input + <usize>b * <usize>inH * rowBytes;
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * sH - padH;
      const fy0 = iy0 < 0 ? -iy0 : 0;
      const fy1 = fH < inH - iy0 ? fH : inH - iy0;
      for (let ox = 0; ox < outW; ox++, out += pixelBytes) {
        const ix0 = ox * sW - padW;
        const fx0 = ix0 < 0 ? -ix0 : 0;
        const fx1 = fW < inW - ix0 ? fW : inW - ix0;
        const rows = fy1 - fy0;
        const cols = fx1 - fx0;
        const at = image + <usize>(iy0 + fy0) * rowBytes + <usize>(ix0 + fx0) * pixelBytes;
        if (isMax) maxPixel(at, out, C, rows, cols, rowBytes, pixelBytes, lo, hi);
        else averagePixel(at, out, C, rows, cols, rowBytes, pixelBytes, <f64>(rows * cols), <f64>lo, <f64>hi);
      }
    }
  }
}

// ---------------------------------------------------------------- reductions

const REDUCE_SUM: i32 = 0;
const REDUCE_MEAN: i32 = 1;
const REDUCE_MAX: i32 = 2;
const REDUCE_MIN: i32 = 3;

@inline function reduceLoop(op: i32, input: usize, out: usize, outer: i32, reduce: i32, inner: i32): void {
  const innerBytes = <usize>inner << 2;
  const count = <f32>reduce;
  const vcount = f32x4.splat(count);
  for (let o = 0; o < outer; o++) {
    const base = input + <usize>o * <usize>reduce * innerBytes;
    const dst = out + <usize>o * innerBytes;
    let i: i32 = 0;
    for (; i + 4 <= inner; i += 4) {
      let x = base + (<usize>i << 2);
      let acc = op == REDUCE_SUM || op == REDUCE_MEAN ? f32x4.splat(0) : v128.load(x);
      let r = op == REDUCE_SUM || op == REDUCE_MEAN ? 0 : 1;
      if (r == 1) x += innerBytes;
      for (; r < reduce; r++, x += innerBytes) {
        const v = v128.load(x);
        if (op == REDUCE_SUM || op == REDUCE_MEAN) acc = f32x4.add(acc, v);
        // The TypeScript loop replaces the running value when v > acc (v < acc): NaN never replaces.
        else if (op == REDUCE_MAX) acc = f32x4.pmax(acc, v);
        else acc = f32x4.pmin(acc, v);
      }
      v128.store(dst + (<usize>i << 2), op == REDUCE_MEAN ? f32x4.div(acc, vcount) : acc);
    }
    for (; i < inner; i++) {
      let x = base + (<usize>i << 2);
      let acc: f32 = op == REDUCE_SUM || op == REDUCE_MEAN ? 0 : load<f32>(x);
      let r = op == REDUCE_SUM || op == REDUCE_MEAN ? 0 : 1;
      if (r == 1) x += innerBytes;
      for (; r < reduce; r++, x += innerBytes) {
        const v = load<f32>(x);
        if (op == REDUCE_SUM || op == REDUCE_MEAN) acc += v;
        else if (op == REDUCE_MAX) acc = v > acc ? v : acc;
        else acc = v < acc ? v : acc;
      }
      store<f32>(dst + (<usize>i << 2), op == REDUCE_MEAN ? acc / count : acc);
    }
  }
}

// One function per op (see clampLoop).
function reduceSum(input: usize, out: usize, outer: i32, reduce: i32, inner: i32): void {
  reduceLoop(REDUCE_SUM, input, out, outer, reduce, inner);
}
function reduceMean(input: usize, out: usize, outer: i32, reduce: i32, inner: i32): void {
  reduceLoop(REDUCE_MEAN, input, out, outer, reduce, inner);
}
function reduceMax(input: usize, out: usize, outer: i32, reduce: i32, inner: i32): void {
  reduceLoop(REDUCE_MAX, input, out, outer, reduce, inner);
}
function reduceMin(input: usize, out: usize, outer: i32, reduce: i32, inner: i32): void {
  reduceLoop(REDUCE_MIN, input, out, outer, reduce, inner);
}

/** out[o][i] = reduction over r of input[o][r][i] (op: 0 SUM, 1 MEAN, 2 MAX, 3 MIN). */
export function reduceF32(op: i32, input: usize, out: usize, outer: i32, reduce: i32, inner: i32): void {
  if (op == REDUCE_SUM) reduceSum(input, out, outer, reduce, inner);
  else if (op == REDUCE_MEAN) reduceMean(input, out, outer, reduce, inner);
  else if (op == REDUCE_MAX) reduceMax(input, out, outer, reduce, inner);
  else reduceMin(input, out, outer, reduce, inner);
}

// ---------------------------------------------------------------- quantized pooling

const Q_INT8: i32 = 0;
const Q_UINT8: i32 = 1;

/** Four channels' values widened to int32 (int8, uint8 or int16 elements). */
@inline function load4(kind: i32, p: usize): v128 {
  if (kind == Q_INT8) return i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(p)));
  if (kind == Q_UINT8) return i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p)));
  return i32x4.extend_low_i16x8_s(v128.load64_zero(p));
}

@inline function loadQ(kind: i32, p: usize): i32 {
  if (kind == Q_INT8) return <i32>load<i8>(p);
  if (kind == Q_UINT8) return <i32>load<u8>(p);
  return <i32>load<i16>(p);
}

@inline function storeQ(kind: i32, p: usize, v: i32): void {
  if (kind == Q_INT8 || kind == Q_UINT8) store<u8>(p, <u8>v);
  else store<i16>(p, <i16>v);
}

/** The rounded average of an int32 sum as the TypeScript loop: trunc((sum +- trunc(count / 2)) / count) in float64. */
@inline function roundedAverage(sum: i32, count: i32, lo: i32, hi: i32): i32 {
  const half = count >> 1;
  const v = <i32>Math.trunc(<f64>(sum > 0 ? sum + half : sum - half) / <f64>count);
  return v < lo ? lo : v > hi ? hi : v;
}

@inline function poolQPixel(kind: i32, isMax: bool, at: usize, out: usize, C: i32, rows: i32, cols: i32, rowBytes: usize,
  pixelBytes: usize, elem: usize, lo: i32, hi: i32): void {
  const count = rows * cols;
  let c: i32 = 0;
  for (; c + 4 <= C; c += 4) {
    let acc = isMax ? i32x4.splat(-2147483648) : i32x4.splat(0);
    let row = at + <usize>c * elem;
    for (let y = 0; y < rows; y++, row += rowBytes) {
      let x = row;
      for (let k = 0; k < cols; k++, x += pixelBytes) {
        acc = isMax ? i32x4.max_s(acc, load4(kind, x)) : i32x4.add(acc, load4(kind, x));
      }
    }
    const o = out + <usize>c * elem;
    if (isMax) {
      const v = i32x4.min_s(i32x4.max_s(acc, i32x4.splat(lo)), i32x4.splat(hi));
      storeQ(kind, o, i32x4.extract_lane(v, 0));
      storeQ(kind, o + elem, i32x4.extract_lane(v, 1));
      storeQ(kind, o + 2 * elem, i32x4.extract_lane(v, 2));
      storeQ(kind, o + 3 * elem, i32x4.extract_lane(v, 3));
    } else {
      storeQ(kind, o, roundedAverage(i32x4.extract_lane(acc, 0), count, lo, hi));
      storeQ(kind, o + elem, roundedAverage(i32x4.extract_lane(acc, 1), count, lo, hi));
      storeQ(kind, o + 2 * elem, roundedAverage(i32x4.extract_lane(acc, 2), count, lo, hi));
      storeQ(kind, o + 3 * elem, roundedAverage(i32x4.extract_lane(acc, 3), count, lo, hi));
    }
  }
  for (; c < C; c++) {
    let acc: i32 = isMax ? -2147483648 : 0;
    let row = at + <usize>c * elem;
    for (let y = 0; y < rows; y++, row += rowBytes) {
      let x = row;
      for (let k = 0; k < cols; k++, x += pixelBytes) {
        const v = loadQ(kind, x);
        acc = isMax ? (v > acc ? v : acc) : acc + v;
      }
    }
    const o = out + <usize>c * elem;
    if (isMax) storeQ(kind, o, acc < lo ? lo : acc > hi ? hi : acc);
    else storeQ(kind, o, roundedAverage(acc, count, lo, hi));
  }
}

@inline function poolQLoop(kind: i32, isMax: bool, params: usize, input: usize, output: usize): void {
  const batches = load<i32>(params);
  const inH = load<i32>(params, 4);
  const inW = load<i32>(params, 8);
  const C = load<i32>(params, 12);
  const outH = load<i32>(params, 16);
  const outW = load<i32>(params, 20);
  const fH = load<i32>(params, 24);
  const fW = load<i32>(params, 28);
  const sH = load<i32>(params, 32);
  const sW = load<i32>(params, 36);
  const padH = load<i32>(params, 40);
  const padW = load<i32>(params, 44);
  const lo = load<i32>(params, 48);
  const hi = load<i32>(params, 52);
  const elem: usize = kind == Q_INT8 || kind == Q_UINT8 ? 1 : 2;
  const pixelBytes = <usize>C * elem;
  const rowBytes = <usize>inW * pixelBytes;
  let out = output;
  for (let b = 0; b < batches; b++) {
    const image = input + <usize>b * <usize>inH * rowBytes;
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * sH - padH;
      const fy0 = iy0 < 0 ? -iy0 : 0;
      const fy1 = fH < inH - iy0 ? fH : inH - iy0;
      for (let ox = 0; ox < outW; ox++, out += pixelBytes) {
        const ix0 = ox * sW - padW;
        const fx0 = ix0 < 0 ? -ix0 : 0;
        const fx1 = fW < inW - ix0 ? fW : inW - ix0;
        const at = image + <usize>(iy0 + fy0) * rowBytes + <usize>(ix0 + fx0) * pixelBytes;
        poolQPixel(kind, isMax, at, out, C, fy1 - fy0, fx1 - fx0, rowBytes, pixelBytes, elem, lo, hi);
      }
    }
  }
}

// One function per element type and pooling (see clampLoop).
function maxPoolS8(params: usize, input: usize, output: usize): void { poolQLoop(Q_INT8, true, params, input, output); }
function averagePoolS8(params: usize, input: usize, output: usize): void { poolQLoop(Q_INT8, false, params, input, output); }
function maxPoolU8(params: usize, input: usize, output: usize): void { poolQLoop(Q_UINT8, true, params, input, output); }
function averagePoolU8(params: usize, input: usize, output: usize): void { poolQLoop(Q_UINT8, false, params, input, output); }
function maxPoolS16(params: usize, input: usize, output: usize): void { poolQLoop(2, true, params, input, output); }
function averagePoolS16(params: usize, input: usize, output: usize): void { poolQLoop(2, false, params, input, output); }

/**
 * Quantized AVERAGE_POOL_2D (isMax 0) / MAX_POOL_2D (1) as the TypeScript loops: int32 window sums, the average
 * rounded half away from zero by integer division (float64, exact for these magnitudes), or the window maximum,
 * clamped to the activation range. kind: 0 int8, 1 uint8, 2 int16. Parameter block as poolF32's, lo and hi int32.
 */
export function poolQ(kind: i32, isMax: i32, params: usize, input: usize, output: usize): void {
  if (kind == Q_INT8) {
    if (isMax) maxPoolS8(params, input, output);
    else averagePoolS8(params, input, output);
  } else if (kind == Q_UINT8) {
    if (isMax) maxPoolU8(params, input, output);
    else averagePoolU8(params, input, output);
  } else {
    if (isMax) maxPoolS16(params, input, output);
    else averagePoolS16(params, input, output);
  }
}
