// Reductions over constant axes: MEAN, SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD (keep_dims, negative and repeated axes).
// Float sums accumulate in float32 in input order, as TFLite's reference ReduceGeneric.
// Quantized MEAN/SUM follow TFLite's reduce.cc choices:
// - MEAN, keep_dims, rank 4, axes {1, 2}: integer sum, one fixed-point multiplier s_in/(n*s_out), float32 bias;
// - same input/output quantization: integer sum, MEAN truncates sum / n;
// - otherwise (QuantizedMeanOrSum): float32 rescale round(sum/n * s + bias) + zp (SUM: round(sum * s + bias*n) + zp).
// int16 (zero points 0) has no spatial special case (measured: the official runtime's spatial int16 MEAN is the
// float32 rescale); int16 SUM needs equal input/output quantization (as TFLite).
// The spatial special case is chosen on the axis values as written (1 and 2, in either order), as TFLite does.
// arithmetic 'xnnpack': the delegate runs an 8-bit 4-D MEAN over axes {2} or {1, 2} (as written, any keep_dims) as
// XNNPACK global average pooling (float32 scale, round half to even); other MEANs fall back to the choices above.
// WebAssembly: float32 SUM/MEAN/MAX/MIN over one block of axes (unary-f32.ts) and the 8-bit global average
// (reduce-q8.ts).

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { chargeActive } from '../budget.js';
import { roundHalfEven, usesXnnpack } from '../requantize.js';
import { dtypeRange, multiplyByQuantizedMultiplier, quantizeMultiplier } from '../quant-math.js';
import { constIntValues, isQuant, normalizeAxis, requireDtype, requireInput, sizeOf, stridesOf } from './shape-util.js';
import { arenaFor, runUnaryWasm, type UnaryWasm, type WasmFn } from './unary-wasm.js';

const f32 = Math.fround;

type ReduceOp = 'MEAN' | 'SUM' | 'REDUCE_MAX' | 'REDUCE_MIN' | 'REDUCE_PROD';
type Mode = 'float' | 'int' | 'extreme' | 'quantSpatialMean' | 'quantSame' | 'quantRescale' | 'xnnGlobalAvg';

interface ReducePlan {
  op: ReduceOp;
  mode: Mode;
  /** For each input element, the output element it reduces into. */
  target: Int32Array;
  count: number;
  acc: Float64Array;
  /** Per output: whether an element has been seen (REDUCE_MAX/MIN). */
  seen: Uint8Array;
  mult: number; shift: number; bias: number;
  scale: number; inZp: number; outZp: number;
  qmin: number; qmax: number;
  /** float32 SUM/MEAN/REDUCE_MAX/REDUCE_MIN over one block of axes: the WebAssembly loop (bit-identical), or null. */
  wasm: UnaryWasm | null;
}

const f32Sum = (a: number, b: number) => f32(a + b);

/**
 * Which output element each input element reduces into, over `axes` (negative and repeated axes allowed): the reduced dims, the keep_dims output shape, and the map.
 */
export function reductionMap(ctx: PrepareContext, input: RuntimeTensor, axes: readonly number[]): { reduced: boolean[]; outFull: number[]; target: Int32Array } {
  const rank = input.shape.length;
  const reduced = new Array<boolean>(rank).fill(false);
  for (const a of axes) reduced[normalizeAxis(ctx, a, rank)] = true;
  const outFull = input.shape.map((d, i) => (reduced[i] ? 1 : d));
  const outStrides = stridesOf(outFull);
  const total = sizeOf(input.shape);
  chargeActive(4 * total, 'the reduction index map');
  const target = new Int32Array(total);
  const counter = new Array<number>(rank).fill(0);
  for (let k = 0; k < total; k++) {
    let o = 0;
    for (let d = 0; d < rank; d++) if (!reduced[d]) o += counter[d] * outStrides[d];
    target[k] = o;
    for (let d = rank - 1; d >= 0; d--) {
      if (++counter[d] < input.shape[d]) break;
      counter[d] = 0;
    }
  }
  return { reduced, outFull, target };
}

function prepareReduce(ctx: PrepareContext, op: ReduceOp): ReducePlan {
  const input = requireInput(ctx, 0);
  const output = ctx.outputs[0];
  requireDtype(ctx, input, op === 'MEAN' || op === 'SUM' ? ['float32', 'int32', 'int8', 'uint8', 'int16'] : ['float32', 'int32', 'int64', 'int8', 'uint8', 'int16']);
  const rank = input.shape.length;
  const rawAxes = constIntValues(ctx, requireInput(ctx, 1), `${op} axis`);
  const keep = ctx.options.keepDims === true;
  const { reduced, outFull, target } = reductionMap(ctx, input, rawAxes);
  output.shape = keep ? outFull : input.shape.filter((_, i) => !reduced[i]);
  const total = target.length;
  const outCount = sizeOf(outFull);
  const count = outCount === 0 ? 0 : total / outCount;
  const plan: ReducePlan = {
    op, mode: 'float', target, count, acc: new Float64Array(outCount), seen: new Uint8Array(outCount),
    mult: 0, shift: 0, bias: 0, scale: 0, inZp: 0, outZp: 0, qmin: 0, qmax: 0, wasm: null,
  };
  if (output.dtype !== input.dtype) ctx.unsupported(`${op} output is ${output.dtype}, input is ${input.dtype}`);
  const wasmCode = { SUM: 0, MEAN: 1, REDUCE_MAX: 2, REDUCE_MIN: 3, REDUCE_PROD: -1 }[op];
  const arena = arenaFor(ctx);
  if (input.dtype === 'float32' && arena && wasmCode >= 0 && total > 0) {
    const view = reductionView(input.shape, reduced);
    if (view) {
      const f = arena.exports.reduceF32 as WasmFn;
      const [outer, length, inner] = view;
      plan.wasm = { arena, call: (x, y) => f(wasmCode, x, y, outer, length, inner) };
    }
  }
  if (op === 'REDUCE_MAX' || op === 'REDUCE_MIN') {
    plan.mode = 'extreme';
    return plan;
  }
  if (input.dtype === 'float32') return plan;
  if (input.dtype === 'int32') {
    plan.mode = 'int';
    return plan;
  }
  if (op === 'REDUCE_PROD') ctx.unsupported(`quantized REDUCE_PROD`);
  if (!isQuant(input) || !isQuant(output)) ctx.unsupported(`${op} on ${input.dtype} needs quantization parameters`);
  const si = f32(input.scale[0]), so = f32(output.scale[0]);
  plan.inZp = input.zeroPoint[0];
  plan.outZp = output.zeroPoint[0];
  [plan.qmin, plan.qmax] = dtypeRange(input.dtype);
  if (input.dtype === 'int16' && (plan.inZp !== 0 || plan.outZp !== 0)) ctx.unsupported(`int16 ${op} needs zero points 0`);
  if (op === 'MEAN' && ctx.arithmetic === 'xnnpack' && usesXnnpack(input.dtype) && rank === 4 &&
    ((rawAxes.length === 1 && rawAxes[0] === 2) ||
     (rawAxes.length === 2 && Math.min(rawAxes[0], rawAxes[1]) === 1 && Math.max(rawAxes[0], rawAxes[1]) === 2))) {
    // The XNNPACK delegate takes a 4-D MEAN over W or H and W (either keep_dims) as global average pooling:
    // int32 sum - n * zp_in, times the float32 scale s_in / (s_out * n), rounded half to even, plus zp_out.
    plan.mode = 'xnnGlobalAvg';
    plan.bias = -count * plan.inZp;
    plan.scale = f32(si / f32(so * count));
    // The module sums in int32 and multiplies in float32: the same results while |sum + bias| <= 2^24 (exact in f32).
    const view = reductionView(input.shape, reduced);
    if (arena && view && total > 0 && count * 255 <= 2 ** 24) {
      const f = arena.exports.globalAverageQ8 as WasmFn;
      const [outer, length, inner] = view;
      const signed = input.dtype === 'int8' ? 1 : 0;
      const { bias, scale, outZp } = plan;
      const lo = plan.qmin - outZp, hi = plan.qmax - outZp;
      plan.wasm = { arena, call: (x, y) => f(signed, x, y, outer, length, inner, bias, scale, lo, hi, outZp) };
    }
    return plan;
  }
  const spatial = rank === 4 && rawAxes.length === 2 && input.dtype !== 'int16' &&
    ((rawAxes[0] === 1 && rawAxes[1] === 2) || (rawAxes[0] === 2 && rawAxes[1] === 1));
  if (op === 'MEAN' && keep && spatial) {
    plan.mode = 'quantSpatialMean';
    let temp = f32(f32(plan.inZp * si) / so);
    temp = temp > 0 ? f32(temp + 0.5) : f32(temp - 0.5);
    plan.bias = plan.outZp - Math.trunc(temp);
    const q = quantizeMultiplier(f32(si / f32(count * so)));
    plan.mult = q.multiplier; plan.shift = q.shift;
  } else if (si === so && plan.inZp === plan.outZp) {
    plan.mode = 'quantSame';
  } else if (op === 'SUM' && input.dtype === 'int16') {
    ctx.unsupported('int16 SUM with different input and output quantization (TFLite requires them equal)');
  } else {
    plan.mode = 'quantRescale';
    plan.scale = f32(si / so);
    plan.bias = op === 'SUM' ? f32(f32(f32(-plan.inZp * plan.scale)) * count) : f32(-plan.inZp * plan.scale);
  }
  return plan;
}

/**
 * [outer, reduced, inner] sizes when the reduced axes form one block once size-1 dimensions are dropped (their
 * elements are then visited in input order per output, as the TypeScript loop visits them), else null.
 */
function reductionView(shape: readonly number[], reduced: readonly boolean[]): [number, number, number] | null {
  let outer = 1, length = 1, inner = 1;
  let phase = 0; // 0: before the reduced block, 1: inside it, 2: after it
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    if (reduced[d]) {
      if (phase === 2) return null;
      phase = 1;
      length *= shape[d];
    } else if (phase === 0) {
      outer *= shape[d];
    } else {
      phase = 2;
      inner *= shape[d];
    }
  }
  return [outer, length, inner];
}

function roundAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

function evalReduce(p: ReducePlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const X = inputs[0]!.data as Float32Array;
  const Y = outputs[0].data as Float32Array;
  const { target, acc, op, count } = p;
  if (p.wasm && runUnaryWasm(p.wasm, inputs[0]!, outputs[0])) return;
  const n = target.length;
  const m = acc.length;
  if (p.mode === 'extreme') {
    const isMax = op === 'REDUCE_MAX';
    const seen = p.seen;
    seen.fill(0);
    for (let k = 0; k < n; k++) {
      const t = target[k];
      const v = X[k];
      if (seen[t] === 0 || (isMax ? v > Y[t] : v < Y[t])) {
        Y[t] = v;
        seen[t] = 1;
      }
    }
    return;
  }
  if (op === 'REDUCE_PROD') {
    acc.fill(1);
    for (let k = 0; k < n; k++) acc[target[k]] = p.mode === 'float' ? f32(acc[target[k]] * X[k]) : Math.imul(acc[target[k]], X[k]);
    for (let i = 0; i < m; i++) Y[i] = acc[i];
    return;
  }
  acc.fill(0);
  if (p.mode === 'float') {
    for (let k = 0; k < n; k++) acc[target[k]] = f32Sum(acc[target[k]], X[k]);
    if (op === 'MEAN') for (let i = 0; i < m; i++) Y[i] = f32(acc[i] / count);
    else for (let i = 0; i < m; i++) Y[i] = acc[i];
    return;
  }
  for (let k = 0; k < n; k++) acc[target[k]] += X[k];
  switch (p.mode) {
    case 'int':
      for (let i = 0; i < m; i++) Y[i] = op === 'MEAN' ? Math.trunc(acc[i] / count) : acc[i];
      return;
    case 'quantSame':
      // Stored through the typed array: SUM wraps like TFLite's accumulation in the element type.
      for (let i = 0; i < m; i++) Y[i] = op === 'MEAN' ? Math.trunc(acc[i] / count) : acc[i];
      return;
    case 'quantSpatialMean':
      for (let i = 0; i < m; i++) {
        const v = multiplyByQuantizedMultiplier(acc[i], p.mult, p.shift) + p.bias;
        Y[i] = v < p.qmin ? p.qmin : v > p.qmax ? p.qmax : v;
      }
      return;
    case 'xnnGlobalAvg': {
      const lo = p.qmin - p.outZp, hi = p.qmax - p.outZp;
      for (let i = 0; i < m; i++) {
        let v = f32((acc[i] + p.bias) * p.scale);
        v = v < lo ? lo : v > hi ? hi : v;
        Y[i] = roundHalfEven(v) + p.outZp;
      }
      return;
    }
    case 'quantRescale':
      for (let i = 0; i < m; i++) {
        if (op === 'SUM') {
          Y[i] = roundAway(f32(f32(f32(acc[i]) * p.scale) + p.bias)) + p.outZp;
        } else {
          const mean = f32(f32(acc[i]) / count);
          let r = roundAway(f32(f32(mean * p.scale) + p.bias)) + p.outZp;
          r = r < p.qmin ? p.qmin : r > p.qmax ? p.qmax : r;
          Y[i] = r;
        }
      }
      return;
  }
}

function makeReduce(op: ReduceOp, maxVersion: number): Kernel<ReducePlan> {
  return { op, maxVersion, prepare: (ctx) => prepareReduce(ctx, op), eval: evalReduce, path: (p) => (p.wasm ? 'wasm' : 'js') };
}

export const meanKernel = makeReduce('MEAN', 3);
export const sumKernel = makeReduce('SUM', 2);
export const reduceMaxKernel = makeReduce('REDUCE_MAX', 3);
export const reduceMinKernel = makeReduce('REDUCE_MIN', 3);
export const reduceProdKernel = makeReduce('REDUCE_PROD', 2);
