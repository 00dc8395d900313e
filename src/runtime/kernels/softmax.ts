// SOFTMAX and LOG_SOFTMAX over the last dimension.
// Float: max-subtracted exp, in double, rounded to float32 at the end (SOFTMAX in WebAssembly: float32 exps, see
// assembly/softmax-f32.ts).
// int8/uint8 as TFLite's builtin kernels: a float32 table exp(-s_in * beta * d) for d = max - x in [0, 255],
// a float32 running sum, then per element round(table * 1/(sum * s_out)) + zp (uint8 output: trunc(p + 0.5)).
// LOG_SOFTMAX quantized uses the same table: rint(s_in/s_out * x - (s_in * max + log(sum)) / s_out) + zp.
// SOFTMAX int16 (zero points 0, output 1/32768) as reference_ops::SoftmaxInt16: (x - max) rescaled so [-65535, 0]
// covers [-10, 0], exp from a 513-entry interpolated table, the Q16.15 sum normalized and inverted with a 1/(1+x)
// table, then each exp times the reciprocal with a rounding shift.

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { dtypeRange, multiplyByQuantizedMultiplier, quantizeMultiplier } from '../quant-math.js';
import { lookupInt16, populateLut16 } from './lut.js';
import { inArena } from './float-gemm.js';
import { isQuant, requireDtype, requireInput } from './shape-util.js';
import { arenaFor, runUnaryWasm, type UnaryWasm, type WasmFn } from './unary-wasm.js';

const f32 = Math.fround;

interface SoftmaxPlan {
  log: boolean;
  quantized: boolean;
  beta: number;
  outer: number;
  depth: number;
  /** table[255 - d] = exp(-s_in * beta * d). */
  table: Float32Array;
  inScale: number;
  outScale: number;
  outZp: number;
  qmin: number;
  qmax: number;
  /** uint8 outputs round by truncating p + 0.5 (TFLite's non-aarch64 path). */
  truncRound: boolean;
  /** int16 input: exp(x) on [-10, 0] and 1/(1+x) on [0, 1] tables, and the multiplier onto the exp table's input. */
  int16: { expLut: Int16Array; reciprocalLut: Int16Array; mult: number; shift: number } | null;
  /** Float: one row's exps. */
  exps: Float64Array;
  /** 8-bit SOFTMAX with 8-bit output: the WebAssembly loop (wasm/assembly/softmax-q8.ts, bit-identical), or null. */
  wasm: UnaryWasm | null;
  /** Float SOFTMAX in WebAssembly (assembly/softmax-f32.ts), or null. */
  floatWasm: ((input: number, out: number, outer: number, depth: number, beta: number) => void) | null;
}

/** The int16 tables depend on nothing: built once. */
let int16Tables: { expLut: Int16Array; reciprocalLut: Int16Array } | null = null;

function prepareSoftmax(ctx: PrepareContext, log: boolean): SoftmaxPlan {
  const input = requireInput(ctx, 0);
  const output = ctx.outputs[0];
  requireDtype(ctx, input, log ? ['float32', 'int8', 'uint8'] : ['float32', 'int8', 'uint8', 'int16']);
  output.shape = input.shape.slice();
  const rank = input.shape.length;
  if (rank === 0) ctx.unsupported('softmax of a scalar');
  const depth = input.shape[rank - 1];
  const outer = input.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const beta = log ? 1 : f32(Number(ctx.options.beta ?? 1));
  const plan: SoftmaxPlan = {
    log, quantized: input.dtype !== 'float32', beta, outer, depth, table: new Float32Array(256),
    inScale: 0, outScale: 0, outZp: 0, qmin: 0, qmax: 0, truncRound: false, int16: null,
    exps: new Float64Array(input.dtype === 'float32' ? depth : 0), wasm: null, floatWasm: null,
  };
  if (!plan.quantized) {
    if (output.dtype !== 'float32') ctx.unsupported(`float softmax with ${output.dtype} output`);
    if (!log && beta > 0 && ctx.wasm && inArena(input, output)) plan.floatWasm = ctx.wasm.exports.softmaxF32 as SoftmaxPlan['floatWasm'];
    return plan;
  }
  if (!isQuant(input) || !isQuant(output)) ctx.unsupported('quantized softmax needs quantization parameters');
  if (input.dtype === 'int16') {
    requireDtype(ctx, output, ['int16']);
    if (input.zeroPoint[0] !== 0 || output.zeroPoint[0] !== 0) ctx.unsupported('int16 SOFTMAX needs zero points 0');
    if (rank > 4) ctx.unsupported(`int16 SOFTMAX of rank ${rank} (TFLite supports ranks 1 to 4)`);
    if (Math.abs(output.scale[0] - 1 / 32768) > f32(0.001 / 32768)) ctx.unsupported('int16 SOFTMAX output must have scale 1/32768');
    int16Tables ??= {
      expLut: populateLut16(Math.exp, -10, 0, 513),
      reciprocalLut: populateLut16((x) => 1 / (1 + x), 0, 1, 513),
    };
    // Float scale times float beta, then in double: scales the input difference so [-65535, 0] is [-10, 0].
    const q = quantizeMultiplier(f32(f32(input.scale[0]) * beta) / (10 / 65535));
    plan.int16 = { ...int16Tables, mult: q.multiplier, shift: q.shift };
    return plan;
  }
  requireDtype(ctx, output, log ? [input.dtype] : ['int8', 'uint8', 'int16']);
  if (log) {
    const zp = output.dtype === 'int8' ? 127 : 255;
    if (Math.abs(output.scale[0] - 16 / 256) > 1e-9 || output.zeroPoint[0] !== zp) {
      ctx.unsupported(`LOG_SOFTMAX ${output.dtype} output must have scale 16/256 and zero point ${zp}`);
    }
  }
  plan.inScale = f32(input.scale[0]);
  plan.outScale = f32(output.scale[0]);
  plan.outZp = output.zeroPoint[0];
  [plan.qmin, plan.qmax] = dtypeRange(output.dtype);
  plan.truncRound = output.dtype === 'uint8' && !log;
  const scale = f32(-plan.inScale * beta);
  for (let val = 0; val <= 255; val++) plan.table[255 - val] = f32(Math.exp(f32(scale * val)));
  const arena = arenaFor(ctx);
  if (arena && !log && (output.dtype === 'int8' || output.dtype === 'uint8') && outer * depth > 0) {
    const tableAt = arena.alloc(256 * 4, 16);
    arena.f32.set(plan.table, tableAt >> 2);
    const f = arena.exports.softmaxQ8 as WasmFn;
    const signed = input.dtype === 'int8' ? 1 : 0;
    const { outScale, outZp, qmin, qmax } = plan;
    const truncRound = plan.truncRound ? 1 : 0;
    plan.wasm = { arena, call: (x, y) => f(signed, x, y, outer, depth, tableAt, outScale, outZp, qmin, qmax, truncRound) };
  }
  return plan;
}

function evalSoftmax(p: SoftmaxPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const X = inputs[0]!.data as Float32Array;
  const Y = outputs[0].data as Float32Array;
  const { outer, depth } = p;
  if (p.wasm && runUnaryWasm(p.wasm, inputs[0]!, outputs[0])) return;
  if (p.floatWasm) {
    p.floatWasm(X.byteOffset, Y.byteOffset, outer, depth, p.beta);
    return;
  }
  for (let b = 0; b < outer; b++) {
    const base = b * depth;
    let max = -Infinity;
    for (let j = 0; j < depth; j++) if (X[base + j] > max) max = X[base + j];
    if (p.int16 !== null) {
      softmaxInt16Row(p.int16, X, Y, base, depth, max);
      continue;
    }
    if (!p.quantized) {
      // Each exp once, kept in float64 for the division.
      const e = p.exps;
      let sum = 0;
      for (let j = 0; j < depth; j++) {
        const v = Math.exp((X[base + j] - max) * p.beta);
        e[j] = v;
        sum += v;
      }
      if (p.log) {
        const logSum = Math.log(sum);
        for (let j = 0; j < depth; j++) Y[base + j] = (X[base + j] - max) - logSum;
      } else {
        for (let j = 0; j < depth; j++) Y[base + j] = e[j] / sum;
      }
      continue;
    }
    const t = p.table;
    const off = 255 - max;
    let sum = 0;
    for (let j = 0; j < depth; j++) sum = f32(sum + t[off + X[base + j]]);
    const { qmin, qmax, outZp } = p;
    if (p.log) {
      const logSum = f32(Math.log(sum));
      const scale = f32(p.inScale / p.outScale);
      const pre = f32(f32(f32(p.inScale * max) + logSum) / p.outScale);
      for (let j = 0; j < depth; j++) {
        const lp = f32(f32(scale * X[base + j]) - pre);
        const v = roundHalfEven(lp) + outZp;
        Y[base + j] = v < qmin ? qmin : v > qmax ? qmax : v;
      }
    } else {
      const inv = f32(1 / f32(sum * p.outScale));
      for (let j = 0; j < depth; j++) {
        const pr = f32(t[off + X[base + j]] * inv);
        const v = (p.truncRound ? Math.trunc(f32(pr + 0.5)) : Math.round(pr)) + outZp;
        Y[base + j] = v < qmin ? qmin : v > qmax ? qmax : v;
      }
    }
  }
}

/**
 * One row of reference_ops::SoftmaxInt16. The exps are cached in the output row; the sum is Q16.15; its reciprocal
 * comes from the 1/(1+x) table after normalizing the sum to [1, 2) (x = sum - 1 recentered to int16).
 */
function softmaxInt16Row(t: NonNullable<SoftmaxPlan['int16']>, X: Float32Array, Y: Float32Array, base: number, depth: number, max: number): void {
  let sum = 0;
  for (let j = 0; j < depth; j++) {
    const scaled = multiplyByQuantizedMultiplier(X[base + j] - max, t.mult, t.shift) + 32767;
    const e = lookupInt16(scaled < -32768 ? -32768 : scaled > 32767 ? 32767 : scaled, t.expLut);
    Y[base + j] = e;
    sum += e;
  }
  sum |= 0;
  const headroomPlusOne = Math.clz32(sum);
  // (sum << (headroom_plus_one - 1)) in 64 bits, + 2^13, >> 14: exact in doubles (below 2^46).
  const shiftedSum = Math.floor((sum * Math.pow(2, headroomPlusOne - 1) + 8192) / 16384);
  const sym = shiftedSum - ((1 << 15) + (1 << 16));
  const reciprocal = lookupInt16(sym < -32768 ? -32768 : sym > 32767 ? 32767 : sym, t.reciprocalLut);
  const rightShift = 31 - headroomPlusOne;
  const round = Math.pow(2, rightShift - 1);
  const div = Math.pow(2, rightShift);
  for (let j = 0; j < depth; j++) {
    const r = Math.floor((Y[base + j] * reciprocal + round) / div);
    Y[base + j] = r < 0 ? 0 : r > 32767 ? 32767 : r;
  }
}

/** std::rint in the default rounding mode: halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export const softmaxKernel: Kernel<SoftmaxPlan> = {
  op: 'SOFTMAX', maxVersion: 3, prepare: (ctx) => prepareSoftmax(ctx, false), eval: evalSoftmax,
  path: (p) => (p.wasm || p.floatWasm ? 'wasm' : 'js'),
};

export const logSoftmaxKernel: Kernel<SoftmaxPlan> = {
  op: 'LOG_SOFTMAX', maxVersion: 2, prepare: (ctx) => prepareSoftmax(ctx, true), eval: evalSoftmax,
};
