// Integer (8x8_16) UNIDIRECTIONAL_SEQUENCE_LSTM, bit for bit the TypeScript specification in kernels/lstm.ts:
// int8 input and output state, int16 cell state, Q3.12 gates through int16 lookup tables, TFLite's fixed-point
// requantization. The int8 x int8 products run as i32x4.dot_i16x8_s over weights widened to int16 at prepare;
// everything after the sums is scalar integer arithmetic, the same operations in the same order as the
// TypeScript loops (sums fit int32: the TypeScript side checks the bound at prepare).
//
// Gate rows are in the order forget, cell, output, input (input last: CIFG has three gates), each gate padded to
// a multiple of 4 rows. Weights are packed per block of 4 rows and pair of columns: 8 int16 values
// [r0 k, r0 k+1, r1 k, r1 k+1, r2 k, r2 k+1, r3 k, r3 k+1] at block*pairs*16 + pair*16 bytes, so one dot
// instruction against the splatted pair (x[k], x[k+1]) adds two columns to 4 rows.
//
// The parameter block (i32 slots) is described by the LSTM_I8_* indices on the TypeScript side.

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
const P_CHUNK = 11;
const P_WX = 12;
const P_WH = 13;
const P_EFF_BIAS_X = 14;
const P_EFF_BIAS_H = 15;
const P_MX = 16;
const P_SX = 17;
const P_MH = 18;
const P_SH = 19;
const P_PEEP_F = 20;
const P_PEEP_O = 21;
const P_PEEP_I = 22;
const P_MC_F = 23;
const P_SC_F = 24;
const P_MC_O = 25;
const P_SC_O = 26;
const P_MC_I = 27;
const P_SC_I = 28;
const P_SIGMOID = 29;
const P_TANH_GATE = 30;
const P_TANH_CELL = 31;
const P_CELL_SHIFT = 32;
const P_CELL_CLIP = 33;
const P_HIDDEN_M = 34;
const P_HIDDEN_S = 35;
const P_HIDDEN_ZP = 36;
const P_PROJ = 37;
const P_PROJ_BIAS = 38;
const P_PROJ_M = 39;
const P_PROJ_S = 40;
const P_STATE_ZP = 41;
const P_PROJ_CLIP = 42;
const P_XG = 43;
const P_WIDE = 44;
const P_ACC = 45;
const P_GATE_OUT = 46;

@inline function param(p: usize, slot: i32): i32 {
  return load<i32>(p + (<usize>slot << 2));
}

@inline function ldI32(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}

/** gemmlowp SaturatingRoundingDoublingHighMul: (a*b + nudge) / 2^31 truncated toward zero, saturated. */
@inline function srdhm(a: i32, b: i32): i32 {
  if (a == b && a == i32.MIN_VALUE) return i32.MAX_VALUE;
  const ab = <i64>a * <i64>b;
  const n = ab + (ab >= 0 ? <i64>0x40000000 : <i64>(1 - 0x40000000));
  // Division by 2^31 truncating toward zero: negative numerators are biased by 2^31 - 1 before the shift.
  return <i32>((n + ((n >> 63) & 0x7fffffff)) >> 31);
}

/** gemmlowp RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from zero; e in [0, 31]. */
@inline function rdbpot(x: i32, e: i32): i32 {
  const mask = (1 << e) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
}

/** TFLite's MultiplyByQuantizedMultiplier (shift > 0: left shift first). */
@inline function mbqm(x: i32, m: i32, s: i32): i32 {
  return s > 0 ? rdbpot(srdhm(x << s, m), 0) : rdbpot(srdhm(x, m), -s);
}

@inline function clamp16(x: i32): i32 {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : x;
}

@inline function table16(table: usize, v: i32): i32 {
  return <i32>load<i16>(table + (<usize>(v + 32768) << 1));
}

/** Widen n int8 values to int16 at dst, zero-padded to an even count. */
@inline function widenI8(src: usize, n: i32, dst: usize): void {
  for (let i = 0; i < n; i++) store<i16>(dst + (<usize>i << 1), <i16>load<i8>(src + <usize>i));
  if (n & 1) store<i16>(dst + (<usize>n << 1), 0);
}

/**
 * out[r] = sum_k w[r][k] * x[k] (int32) for the 4*blocks rows of an int16 matrix packed as in the file comment;
 * xw holds the int16 vector in `pairs` pairs (zero-padded to an even length).
 */
export function gemvPackedI16(xw: usize, pairs: i32, w: usize, blocks: i32, out: usize): void {
  const blockBytes = <usize>pairs << 4;
  let b = 0;
  for (; b + 4 <= blocks; b += 4) {
    let a0 = i32x4.splat(0);
    let a1 = i32x4.splat(0);
    let a2 = i32x4.splat(0);
    let a3 = i32x4.splat(0);
    let w0 = w + <usize>b * blockBytes;
    for (let j = 0; j < pairs; j++) {
      const xv = v128.load32_splat(xw + (<usize>j << 2));
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v128.load(w0), xv));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v128.load(w0 + blockBytes), xv));
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(v128.load(w0 + 2 * blockBytes), xv));
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(v128.load(w0 + 3 * blockBytes), xv));
      w0 += 16;
    }
    const o = out + (<usize>b << 4);
    v128.store(o, a0);
    v128.store(o + 16, a1);
    v128.store(o + 32, a2);
    v128.store(o + 48, a3);
  }
  for (; b < blocks; b++) {
    let a0 = i32x4.splat(0);
    let w0 = w + <usize>b * blockBytes;
    for (let j = 0; j < pairs; j++) {
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v128.load(w0), v128.load32_splat(xw + (<usize>j << 2))));
      w0 += 16;
    }
    v128.store(out + (<usize>b << 4), a0);
  }
}

/** Runs the whole sequence described by the parameter block at p; the state rows (H/C io) are updated in place. */
export function lstmI8(p: usize): void {
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
  const chunk = param(p, P_CHUNK);
  const wx = <usize>param(p, P_WX);
  const wh = <usize>param(p, P_WH);
  const effBiasX = <usize>param(p, P_EFF_BIAS_X);
  const effBiasH = <usize>param(p, P_EFF_BIAS_H);
  const mx = <usize>param(p, P_MX);
  const sx = <usize>param(p, P_SX);
  const mh = <usize>param(p, P_MH);
  const sh = <usize>param(p, P_SH);
  const peepF = <usize>param(p, P_PEEP_F);
  const peepO = <usize>param(p, P_PEEP_O);
  const peepI = <usize>param(p, P_PEEP_I);
  const mcF = param(p, P_MC_F);
  const scF = param(p, P_SC_F);
  const mcO = param(p, P_MC_O);
  const scO = param(p, P_SC_O);
  const mcI = param(p, P_MC_I);
  const scI = param(p, P_SC_I);
  const sigmoid = <usize>param(p, P_SIGMOID);
  const tanhGate = <usize>param(p, P_TANH_GATE);
  const tanhCell = <usize>param(p, P_TANH_CELL);
  const shiftIG = 30 + param(p, P_CELL_SHIFT);
  const cellClip = param(p, P_CELL_CLIP);
  const hiddenM = param(p, P_HIDDEN_M);
  const hiddenS = param(p, P_HIDDEN_S);
  const hiddenZp = param(p, P_HIDDEN_ZP);
  const proj = <usize>param(p, P_PROJ);
  const projBias = <usize>param(p, P_PROJ_BIAS);
  const projM = param(p, P_PROJ_M);
  const projS = param(p, P_PROJ_S);
  const stateZp = param(p, P_STATE_ZP);
  const projClip = param(p, P_PROJ_CLIP);
  const xg = <usize>param(p, P_XG);
  const wide = <usize>param(p, P_WIDE);
  const acc = <usize>param(p, P_ACC);
  const gout = <usize>param(p, P_GATE_OUT);

  const ncp = (nCell + 3) & ~3;
  const nop = (nOutput + 3) & ~3;
  const rows = gates * ncp;
  const blocks = rows >> 2;
  const pairsX = (nInput + 1) >> 1;
  const pairsH = (nOutput + 1) >> 1;
  const pairsC = (nCell + 1) >> 1;
  const cifg = gates == 3;
  const rowF = 0, rowC = ncp, rowO = 2 * ncp, rowI = 3 * ncp;

  for (let t0 = 0; t0 < steps; t0 += chunk) {
    const tn = min(chunk, steps - t0);
    // Input-to-gate values of this chunk, already requantized and saturated to int16 (they do not depend on h).
    for (let tt = 0; tt < tn; tt++) {
      const t = t0 + tt;
      for (let b = 0; b < batches; b++) {
        const row = timeMajor ? t * batches + b : b * steps + t;
        widenI8(input + <usize>(row * nInput), nInput, wide);
        gemvPackedI16(wide, pairsX, wx, blocks, acc);
        const dst = xg + (<usize>((tt * batches + b) * rows) << 2);
        for (let r = 0; r < rows; r++) {
          const v = clamp16(mbqm(ldI32(effBiasX, r) + ldI32(acc, r), ldI32(mx, r), ldI32(sx, r)));
          store<i32>(dst + (<usize>r << 2), v);
        }
      }
    }
    for (let tt = 0; tt < tn; tt++) {
      const t = t0 + tt;
      for (let b = 0; b < batches; b++) {
        const h = hIo + <usize>(b * nOutput);
        const cell = cIo + (<usize>(b * nCell) << 1);
        const xgRow = xg + (<usize>((tt * batches + b) * rows) << 2);
        widenI8(h, nOutput, wide);
        gemvPackedI16(wide, pairsH, wh, blocks, acc);
        // Forget, cell and (unless CIFG) input gates: x part + h part (+ peephole), each step saturated.
        for (let r = 0; r < nCell; r++) {
          const c = <i32>load<i16>(cell + (<usize>r << 1));
          let row = rowF + r;
          let v = clamp16(mbqm(ldI32(effBiasH, row) + ldI32(acc, row), ldI32(mh, row), ldI32(sh, row)) + ldI32(xgRow, row));
          if (peepF) v = clamp16(mbqm(ldI32(peepF, r) * c, mcF, scF) + v);
          store<i32>(gout + (<usize>row << 2), table16(sigmoid, v));
          row = rowC + r;
          v = clamp16(mbqm(ldI32(effBiasH, row) + ldI32(acc, row), ldI32(mh, row), ldI32(sh, row)) + ldI32(xgRow, row));
          store<i32>(gout + (<usize>row << 2), table16(tanhGate, v));
          if (!cifg) {
            row = rowI + r;
            v = clamp16(mbqm(ldI32(effBiasH, row) + ldI32(acc, row), ldI32(mh, row), ldI32(sh, row)) + ldI32(xgRow, row));
            if (peepI) v = clamp16(mbqm(ldI32(peepI, r) * c, mcI, scI) + v);
            store<i32>(gout + (<usize>row << 2), table16(sigmoid, v));
          }
        }
        // Cell: c = f*c >> 15 + i*g >> (30 + cell scale exponent), saturated, clipped.
        for (let r = 0; r < nCell; r++) {
          const cp = cell + (<usize>r << 1);
          const f = ldI32(gout, rowF + r);
          const fc = rdbpot(f * <i32>load<i16>(cp), 15);
          const ig = cifg ? 32767 - f : ldI32(gout, rowI + r);
          const igc = rdbpot(ig * ldI32(gout, rowC + r), shiftIG);
          let v = clamp16(fc + igc);
          if (cellClip > 0) v = v > cellClip ? cellClip : v < -cellClip ? -cellClip : v;
          store<i16>(cp, <i16>v);
        }
        // Output gate (peephole on the new cell), then hidden = o * tanh(c) requantized to int8 (minus the
        // hidden zero point, as TFLite's CwiseMul), widened in place for the projection.
        for (let r = 0; r < nCell; r++) {
          const c = <i32>load<i16>(cell + (<usize>r << 1));
          const row = rowO + r;
          let v = clamp16(mbqm(ldI32(effBiasH, row) + ldI32(acc, row), ldI32(mh, row), ldI32(sh, row)) + ldI32(xgRow, row));
          if (peepO) v = clamp16(mbqm(ldI32(peepO, r) * c, mcO, scO) + v);
          const o = table16(sigmoid, v);
          let hv = mbqm(o * table16(tanhCell, c), hiddenM, hiddenS) - hiddenZp;
          hv = hv > 127 ? 127 : hv < -128 ? -128 : hv;
          if (proj) store<i16>(wide + (<usize>r << 1), <i16>hv);
          else store<i8>(h + <usize>r, <i8>hv);
        }
        if (proj) {
          if (nCell & 1) store<i16>(wide + (<usize>nCell << 1), 0);
          gemvPackedI16(wide, pairsC, proj, nop >> 2, acc);
          for (let r = 0; r < nOutput; r++) {
            let v = mbqm(ldI32(projBias, r) + ldI32(acc, r), projM, projS) + stateZp;
            v = v > 127 ? 127 : v < -128 ? -128 : v;
            if (projClip > 0) v = v > projClip ? projClip : v < -projClip ? -projClip : v;
            store<i8>(h + <usize>r, <i8>v);
          }
        }
        const row = timeMajor ? t * batches + b : b * steps + t;
        memory.copy(output + <usize>(row * nOutput), h, <usize>nOutput);
      }
    }
  }
}
