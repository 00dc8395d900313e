// Float32 UNIDIRECTIONAL_SEQUENCE_LSTM (see kernels/lstm.ts for the TypeScript specification). One call runs a
// whole sequence: the input-to-gate products of a chunk of timesteps first (independent of the recurrence, one
// pass over the packed input weights per row), then per step and batch the recurrent matrix-vector product, the
// gate activations, the cell update and the optional projection.
//
// Gate rows are packed in the order forget, cell, output, input (input last, so CIFG just has three gates), each
// gate padded to a multiple of 4 cells. Weights are packed in blocks of 4 rows: block b, column k holds the 4 row
// values at b*K*16 + k*16 bytes, so one f32x4 multiply-add covers 4 rows of one column.
//
// The parameter block (i32 slots, written by the TypeScript side) is described by the LSTM_F32_* indices there.

const P_INPUT = 0;
const P_OUTPUT = 1;
const P_H_IO = 2;
const P_C_IO = 3;
const P_BATCHES = 4;
const P_STEPS = 5;
const P_N_INPUT = 6;
const P_N_CELL = 7;
const P_N_OUTPUT = 8;
const P_TIME_MAJOR = 9;
const P_GATES = 10;
const P_ACTIVATION = 11;
const P_CELL_CLIP = 12;
const P_PROJ_CLIP = 13;
const P_WX = 14;
const P_WH = 15;
const P_BIAS_X = 16;
const P_PEEP_I = 17;
const P_PEEP_F = 18;
const P_PEEP_O = 19;
const P_LN = 20;
const P_LN_BIAS = 21;
const P_PROJ = 22;
const P_PROJ_BIAS = 23;
const P_XG = 24;
const P_CHUNK = 25;
const P_H_WORK = 26;
const P_C_WORK = 27;
const P_GATE_BUF = 28;
const P_HIDDEN = 29;

// Activation codes (TypeScript side: LSTM_ACTIVATION_CODES).
const ACT_NONE = 0;
const ACT_RELU = 1;
const ACT_RELU6 = 2;
const ACT_TANH = 3;
const ACT_SIGMOID = 4;

@inline function param(p: usize, slot: i32): i32 {
  return load<i32>(p + (<usize>slot << 2));
}

// exp(x) for 4 lanes: x = n ln2 + r with |r| <= ln2/2 (ln2 split in two so n*ln2 is exact), e^r by a degree-6
// polynomial fitted for relative error (1 + r + r^2 q(r)), 2^n through the exponent bits. Within 2 ulp of exp
// for x in [-87.3, 88.3]; arguments are clamped to that range (n stays a normal exponent).
@inline function expV(x: v128): v128 {
  const xc = f32x4.max(f32x4.min(x, f32x4.splat(88.3)), f32x4.splat(-87.3));
  const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(1.44269502)));
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(0.693145751953125)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(1.42860677e-6)));
  let q = f32x4.splat(0.00137488241);
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(0.00836962834));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(0.0416696444));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(0.166665122));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(0.499999881));
  const p = f32x4.add(f32x4.add(f32x4.splat(1.0), r), f32x4.mul(f32x4.mul(r, r), q));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

/** 1 / (1 + e^-x): within 4 ulp of the exact logistic for x >= -87 (below, a value under 1e-38 for a smaller one). */
@inline function sigmoidV(x: v128): v128 {
  return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), expV(f32x4.neg(x))));
}

// tanh: below |x| = 0.625 an odd polynomial x + x^3 p(x^2) fitted for relative error (1 - 2/(e^2x + 1) would
// lose the small values to cancellation), above it 1 - 2/(e^2|x| + 1) (|x| clamped at 9, where tanh is 1 in
// float32); the sign copied back. Within 2 ulp everywhere.
@inline function tanhV(x: v128): v128 {
  const a = f32x4.abs(x);
  const u = f32x4.mul(a, a);
  let p = f32x4.splat(-0.00569198653);
  p = f32x4.add(f32x4.mul(p, u), f32x4.splat(0.0206262916));
  p = f32x4.add(f32x4.mul(p, u), f32x4.splat(-0.0537353195));
  p = f32x4.add(f32x4.mul(p, u), f32x4.splat(0.133313820));
  p = f32x4.add(f32x4.mul(p, u), f32x4.splat(-0.333332807));
  const small = f32x4.add(a, f32x4.mul(f32x4.mul(a, u), p));
  const e = expV(f32x4.add(f32x4.min(a, f32x4.splat(9.0)), f32x4.min(a, f32x4.splat(9.0))));
  const big = f32x4.sub(f32x4.splat(1.0), f32x4.div(f32x4.splat(2.0), f32x4.add(e, f32x4.splat(1.0))));
  const y = v128.bitselect(small, big, f32x4.lt(a, f32x4.splat(0.625)));
  return v128.or(y, v128.and(x, f32x4.splat(-0.0)));
}

@inline function activationV(x: v128, code: i32): v128 {
  if (code == ACT_TANH) return tanhV(x);
  if (code == ACT_SIGMOID) return sigmoidV(x);
  if (code == ACT_RELU) return f32x4.max(x, f32x4.splat(0));
  if (code == ACT_RELU6) return f32x4.min(f32x4.max(x, f32x4.splat(0)), f32x4.splat(6.0));
  return x;
}

/** Element-wise activation of n (a multiple of 4) floats in place. */
export function lstmActivationF32(ptr: usize, n: i32, code: i32): void {
  for (let i = 0; i < n; i += 4) {
    const q = ptr + (<usize>i << 2);
    v128.store(q, activationV(v128.load(q), code));
  }
}

/**
 * out[r] = init[r] + sum_k w[r][k] * x[k] for the 4*blocks rows of a weight matrix packed in blocks of 4 rows
 * (see the file comment); x has k floats (no alignment needed), init and out 4*blocks floats. out may be init.
 */
export function gemvPackedF32(x: usize, k: i32, w: usize, blocks: i32, init: usize, out: usize): void {
  const blockBytes = <usize>k << 4;
  let b = 0;
  for (; b + 4 <= blocks; b += 4) {
    const o = <usize>b << 4;
    let a0 = v128.load(init + o);
    let a1 = v128.load(init + o + 16);
    let a2 = v128.load(init + o + 32);
    let a3 = v128.load(init + o + 48);
    let w0 = w + <usize>b * blockBytes;
    for (let j = 0; j < k; j++) {
      const xv = v128.load32_splat(x + (<usize>j << 2));
      a0 = f32x4.add(a0, f32x4.mul(v128.load(w0), xv));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(w0 + blockBytes), xv));
      a2 = f32x4.add(a2, f32x4.mul(v128.load(w0 + 2 * blockBytes), xv));
      a3 = f32x4.add(a3, f32x4.mul(v128.load(w0 + 3 * blockBytes), xv));
      w0 += 16;
    }
    v128.store(out + o, a0);
    v128.store(out + o + 16, a1);
    v128.store(out + o + 32, a2);
    v128.store(out + o + 48, a3);
  }
  for (; b < blocks; b++) {
    const o = <usize>b << 4;
    // Two partial sums (even and odd columns) so consecutive adds do not wait on each other.
    let a0 = v128.load(init + o);
    let a1 = f32x4.splat(0);
    let w0 = w + <usize>b * blockBytes;
    let j = 0;
    for (; j + 2 <= k; j += 2) {
      a0 = f32x4.add(a0, f32x4.mul(v128.load(w0), v128.load32_splat(x + (<usize>j << 2))));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(w0 + 16), v128.load32_splat(x + (<usize>(j + 1) << 2))));
      w0 += 32;
    }
    if (j < k) a0 = f32x4.add(a0, f32x4.mul(v128.load(w0), v128.load32_splat(x + (<usize>j << 2))));
    v128.store(out + o, f32x4.add(a0, a1));
  }
}

/**
 * Layer normalization of one gate's n values (padded lanes untouched): (x - mean) / stddev * coefficient + bias,
 * the variance floored at 1e-8 when it is 0, as TFLite's MeanStddevNormalization; sums in double.
 */
function layerNormF32(g: usize, n: i32, coef: usize, bias: usize): void {
  let sum: f64 = 0;
  for (let r = 0; r < n; r++) sum += <f64>load<f32>(g + (<usize>r << 2));
  const mean = sum / <f64>n;
  let v: f64 = 0;
  for (let r = 0; r < n; r++) {
    const d = <f64>load<f32>(g + (<usize>r << 2)) - mean;
    v += d * d;
  }
  v /= <f64>n;
  const inv = 1.0 / Math.sqrt(v == 0 ? 1e-8 : v);
  for (let r = 0; r < n; r++) {
    const o = <usize>r << 2;
    const x = (<f64>load<f32>(g + o) - mean) * inv;
    store<f32>(g + o, <f32>(x * <f64>load<f32>(coef + o) + <f64>load<f32>(bias + o)));
  }
}

/** g += peephole * c over n (a multiple of 4) lanes. */
@inline function addPeephole(g: usize, peep: usize, c: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    v128.store(g + o, f32x4.add(v128.load(g + o), f32x4.mul(v128.load(peep + o), v128.load(c + o))));
  }
}

/** Runs the whole sequence described by the parameter block at p (state in and out through the H/C io rows). */
export function lstmF32(p: usize): void {
  const input = <usize>param(p, P_INPUT);
  const output = <usize>param(p, P_OUTPUT);
  const hIo = <usize>param(p, P_H_IO);
  const cIo = <usize>param(p, P_C_IO);
  const batches = param(p, P_BATCHES);
  const steps = param(p, P_STEPS);
  const nInput = param(p, P_N_INPUT);
  const nCell = param(p, P_N_CELL);
  const nOutput = param(p, P_N_OUTPUT);
  const timeMajor = param(p, P_TIME_MAJOR) != 0;
  const gates = param(p, P_GATES);
  const act = param(p, P_ACTIVATION);
  const cellClip = reinterpret<f32>(param(p, P_CELL_CLIP));
  const projClip = reinterpret<f32>(param(p, P_PROJ_CLIP));
  const wx = <usize>param(p, P_WX);
  const wh = <usize>param(p, P_WH);
  const biasX = <usize>param(p, P_BIAS_X);
  const peepI = <usize>param(p, P_PEEP_I);
  const peepF = <usize>param(p, P_PEEP_F);
  const peepO = <usize>param(p, P_PEEP_O);
  const ln = <usize>param(p, P_LN);
  const lnBias = <usize>param(p, P_LN_BIAS);
  const proj = <usize>param(p, P_PROJ);
  const projBias = <usize>param(p, P_PROJ_BIAS);
  const xg = <usize>param(p, P_XG);
  const chunk = param(p, P_CHUNK);
  const hWork = <usize>param(p, P_H_WORK);
  const cWork = <usize>param(p, P_C_WORK);
  const gate = <usize>param(p, P_GATE_BUF);
  const hidden = <usize>param(p, P_HIDDEN);

  const ncp = (nCell + 3) & ~3;
  const nop = (nOutput + 3) & ~3;
  const rows = gates * ncp;
  const gateBytes = <usize>ncp << 2;
  const rowBytes = <usize>rows << 2;
  const gF = gate;
  const gC = gate + gateBytes;
  const gO = gate + 2 * gateBytes;
  const gI = gate + 3 * gateBytes;
  const cifg = gates == 3;
  const clipC = cellClip > 0;
  const clipP = projClip > 0;
  const vCellClip = f32x4.splat(cellClip);
  const vProjClip = f32x4.splat(projClip);

  // State in (padded rows; padding lanes start at 0).
  for (let b = 0; b < batches; b++) {
    const h = hWork + (<usize>(b * nop) << 2);
    const c = cWork + (<usize>(b * ncp) << 2);
    for (let r = 0; r < nop; r++) store<f32>(h + (<usize>r << 2), r < nOutput ? load<f32>(hIo + (<usize>(b * nOutput + r) << 2)) : 0);
    for (let r = 0; r < ncp; r++) store<f32>(c + (<usize>r << 2), r < nCell ? load<f32>(cIo + (<usize>(b * nCell + r) << 2)) : 0);
  }

  for (let t0 = 0; t0 < steps; t0 += chunk) {
    const tn = min(chunk, steps - t0);
    // Input-to-gate products (+ bias) of every row of this chunk.
    for (let tt = 0; tt < tn; tt++) {
      const t = t0 + tt;
      for (let b = 0; b < batches; b++) {
        const row = timeMajor ? t * batches + b : b * steps + t;
        gemvPackedF32(input + (<usize>(row * nInput) << 2), nInput, wx, rows >> 2, biasX, xg + <usize>(tt * batches + b) * rowBytes);
      }
    }
    for (let tt = 0; tt < tn; tt++) {
      const t = t0 + tt;
      for (let b = 0; b < batches; b++) {
        const h = hWork + (<usize>(b * nop) << 2);
        const c = cWork + (<usize>(b * ncp) << 2);
        gemvPackedF32(h, nOutput, wh, rows >> 2, xg + <usize>(tt * batches + b) * rowBytes, gate);
        if (peepF) addPeephole(gF, peepF, c, ncp);
        if (!cifg && peepI) addPeephole(gI, peepI, c, ncp);
        if (ln) {
          layerNormF32(gF, nCell, ln, lnBias);
          layerNormF32(gC, nCell, ln + gateBytes, lnBias + gateBytes);
          if (!cifg) layerNormF32(gI, nCell, ln + 3 * gateBytes, lnBias + 3 * gateBytes);
        }
        // Gate activations and the cell update: c = f*c + i*g (CIFG: i = 1 - f), clipped.
        for (let i = 0; i < ncp; i += 4) {
          const o = <usize>i << 2;
          const f = sigmoidV(v128.load(gF + o));
          const g = activationV(v128.load(gC + o), act);
          const ig = cifg ? f32x4.sub(f32x4.splat(1.0), f) : sigmoidV(v128.load(gI + o));
          let cv = f32x4.add(f32x4.mul(f, v128.load(c + o)), f32x4.mul(ig, g));
          if (clipC) cv = f32x4.max(f32x4.min(cv, vCellClip), f32x4.neg(vCellClip));
          v128.store(c + o, cv);
        }
        if (peepO) addPeephole(gO, peepO, c, ncp);
        if (ln) layerNormF32(gO, nCell, ln + 2 * gateBytes, lnBias + 2 * gateBytes);
        const hOut = proj ? hidden : h;
        for (let i = 0; i < ncp; i += 4) {
          const o = <usize>i << 2;
          v128.store(hOut + o, f32x4.mul(sigmoidV(v128.load(gO + o)), activationV(v128.load(c + o), act)));
        }
        if (proj) {
          gemvPackedF32(hidden, nCell, proj, nop >> 2, projBias, h);
          if (clipP) {
            for (let i = 0; i < nop; i += 4) {
              const o = <usize>i << 2;
              v128.store(h + o, f32x4.max(f32x4.min(v128.load(h + o), vProjClip), f32x4.neg(vProjClip)));
            }
          }
        }
        const row = timeMajor ? t * batches + b : b * steps + t;
        const dst = output + (<usize>(row * nOutput) << 2);
        let r = 0;
        for (; r + 4 <= nOutput; r += 4) v128.store(dst + (<usize>r << 2), v128.load(h + (<usize>r << 2)));
        for (; r < nOutput; r++) store<f32>(dst + (<usize>r << 2), load<f32>(h + (<usize>r << 2)));
      }
    }
  }

  // State out.
  for (let b = 0; b < batches; b++) {
    const h = hWork + (<usize>(b * nop) << 2);
    const c = cWork + (<usize>(b * ncp) << 2);
    for (let r = 0; r < nOutput; r++) store<f32>(hIo + (<usize>(b * nOutput + r) << 2), load<f32>(h + (<usize>r << 2)));
    for (let r = 0; r < nCell; r++) store<f32>(cIo + (<usize>(b * nCell + r) << 2), load<f32>(c + (<usize>r << 2)));
  }
}
