// Float32 SOFTMAX over rows: the max, e_j = exp(-(max - x_j) * beta) from a float32 polynomial (the one of
// unary-f32.ts, within a few float32 roundings of the correctly rounded value), their sum in float64 (as the
// TypeScript loop sums), then e_j * (1 / sum) in float64 rounded to float32 (the TypeScript loop: double exps,
// e_j / sum). NaN inputs never become the max (as the TypeScript loop's `>`); their exp is NaN, so is the row.

const LOG2E: f32 = 1.44269504;
const LN2_HI: f32 = 0.693145752;
const LN2_LO: f32 = 1.42860677e-6;
const EXP_MAGIC: f32 = 12583039.0;

/** exp(-z) for z >= 0 (unary-f32.ts's expNegF32x4: Taylor degree 6 after ln2 range reduction; 0 past 87). */
// @ts-ignore: decorator
@inline function expNeg(z: v128): v128 {
  const biased = f32x4.add(f32x4.mul(z, f32x4.splat(-LOG2E)), f32x4.splat(EXP_MAGIC));
  const n = f32x4.sub(biased, f32x4.splat(EXP_MAGIC));
  const t = f32x4.add(f32x4.add(f32x4.neg(z), f32x4.mul(n, f32x4.splat(-LN2_HI))), f32x4.mul(n, f32x4.splat(-LN2_LO)));
  let p = f32x4.add(f32x4.mul(t, f32x4.splat(1.0 / 720.0)), f32x4.splat(1.0 / 120.0));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.0 / 24.0));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.0 / 6.0));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1));
  const e = f32x4.mul(p, i32x4.shl(biased, 23));
  return v128.andnot(e, f32x4.gt(z, f32x4.splat(87)));
}

/** SOFTMAX of `outer` rows of `depth` float32 at input into out (beta > 0). */
export function softmaxF32(input: usize, out: usize, outer: i32, depth: i32, beta: f32): void {
  const vbeta = f32x4.splat(beta);
  const d4 = depth & ~3;
  for (let r = 0; r < outer; r++) {
    const x = input + (<usize>(r * depth) << 2);
    const y = out + (<usize>(r * depth) << 2);
    let vmax = f32x4.splat(-Infinity);
    let j = 0;
    for (; j < d4; j += 4) vmax = f32x4.pmax(vmax, v128.load(x + (<usize>j << 2)));
    let max = f32x4.extract_lane(vmax, 0);
    const m1 = f32x4.extract_lane(vmax, 1), m2 = f32x4.extract_lane(vmax, 2), m3 = f32x4.extract_lane(vmax, 3);
    if (m1 > max) max = m1;
    if (m2 > max) max = m2;
    if (m3 > max) max = m3;
    for (; j < depth; j++) {
      const v = load<f32>(x + (<usize>j << 2));
      if (v > max) max = v;
    }
    const m = f32x4.splat(max);
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    j = 0;
    for (; j < d4; j += 4) {
      const o = <usize>j << 2;
      const e = expNeg(f32x4.mul(f32x4.sub(m, v128.load(x + o)), vbeta));
      v128.store(y + o, e);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(e));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(e, e, 2, 3, 0, 1)));
    }
    let sum = f64x2.extract_lane(lo, 0) + f64x2.extract_lane(hi, 0) + f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 1);
    for (; j < depth; j++) {
      const o = <usize>j << 2;
      const e = f32x4.extract_lane(expNeg(f32x4.splat((max - load<f32>(x + o)) * beta)), 0);
      store<f32>(y + o, e);
      sum += <f64>e;
    }
    const inv = f64x2.splat(1 / sum);
    j = 0;
    for (; j < d4; j += 4) {
      const o = <usize>j << 2;
      const e = v128.load(y + o);
      const a = f64x2.mul(f64x2.promote_low_f32x4(e), inv);
      const b = f64x2.mul(f64x2.promote_low_f32x4(i32x4.shuffle(e, e, 2, 3, 0, 1)), inv);
      v128.store(y + o, i32x4.shuffle(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5));
    }
    const invS = 1 / sum;
    for (; j < depth; j++) {
      const o = <usize>j << 2;
      store<f32>(y + o, <f32>(<f64>load<f32>(y + o) * invS));
    }
  }
}
