// Broadcasting binary arithmetic: ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE.
// Quantized arithmetic follows TFLite's reference kernels:
// - ADD/SUB (int8, uint8, int16 general scale): both inputs are shifted left (20 bits, 15 for int16), rescaled to
//   twice the larger input scale, summed, then rescaled to the output (add.cc / sub.cc Prepare).
// - ADD/SUB int16 with pot_scale_int16 and power-of-two scales: one input is shifted right, saturating int16 sum.
// - MUL: (a - za) * (b - zb) * (sa*sb/so) with TFLite's float32 scale product.
// - SQUARED_DIFFERENCE int8: inputs shifted by 7 bits, difference squared, rescaled.
// - DIV uint8 (TFLite has no int8/int16 DIV): the divisor's Q0 reciprocal (GetReciprocal), the dividend shifted to
//   full headroom, one fixed-point multiplier s1/(s2*so) (div.h DivElementwise).
// - MAXIMUM/MINIMUM compare raw values (inputs and output share quantization).

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import {
  activationRange, activationRangeFloat, multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierSmallerThanOneExp,
  quantizeMultiplier, quantizeMultiplierSmallerThanOneExp, roundingDivideByPOT, saturatingRoundingDoublingHighMul,
} from '../quant-math.js';
import { outputRange, usesXnnpack } from '../requantize.js';
import { planXnnpackAdd, xnnpackAddValue, type XnnpackAddParams } from '../xnnpack-add.js';
import { planAddQ8, planBinaryF32, planMulQ8, runBinaryWasm, type BinaryWasm } from './binary-wasm.js';
import { arenaFor } from './unary-wasm.js';
import { checkedLog2, countLeadingSignBits32, getReciprocal } from '../fixed-point.js';
import { broadcastIndexMap, broadcastShapes, isQuant, requireInput, sizeOf } from './shape-util.js';

type BinaryOp = 'ADD' | 'SUB' | 'MUL' | 'DIV' | 'MAXIMUM' | 'MINIMUM' | 'SQUARED_DIFFERENCE';
type Mode = 'float' | 'int' | 'quantAddSub' | 'quantAddSubPot' | 'quantMul' | 'xnnMul' | 'quantDiv' | 'quantSqDiff' | 'raw';

interface BinaryPlan {
  op: BinaryOp;
  mode: Mode;
  n: number;
  mapA: Int32Array | null;
  mapB: Int32Array | null;
  /** The maps are built on first use when the WebAssembly path makes them unnecessary (operand shapes kept here). */
  mapsPending: { a: number[]; b: number[]; out: number[] } | null;
  min: number;
  max: number;
  offsetA: number;
  offsetB: number;
  outOffset: number;
  leftShift: number;
  multA: number; shiftA: number;
  multB: number; shiftB: number;
  multOut: number; shiftOut: number;
  /** 8-bit ADD/SUB: each input's rescaled value for every raw value (index raw + lutBase). */
  lutA: Int32Array | null;
  lutB: Int32Array | null;
  lutBase: number;
  /**
   * 8-bit ADD/SUB over many elements: the clamped output for every pair of raw inputs, index (a << 8) | b with both
   * raw values shifted to [0, 256). 65,536 evaluations at prepare, one lookup per element at eval.
   */
  pairTable: Int16Array | null;
  /** xnnMul: XNNPACK's float32 product-to-output scale. */
  scaleOut: number;
  /** 8-bit ADD/SUB in xnnpack mode: XNNPACK's parameters (the pair table is built from them when needed). */
  xnnAdd: XnnpackAddParams | null;
  /** The WebAssembly path (float ops; XNNPACK 8-bit ADD/SUB) for broadcasts it covers, or null. */
  wasm: BinaryWasm | null;
  name: string;
}

const f32 = Math.fround;
/** 8-bit ADD/SUB with at least this many output elements use the 256x256 pair table. */
const PAIR_TABLE_MIN_ELEMENTS = 4096;

function prepareBinary(ctx: PrepareContext, op: BinaryOp): BinaryPlan {
  const plan = planBinary(ctx, op);
  if (!plan.wasm) buildMaps(plan);
  return plan;
}

function buildMaps(p: BinaryPlan): void {
  const m = p.mapsPending;
  if (!m) return;
  p.mapA = broadcastIndexMap(m.a, m.out);
  p.mapB = broadcastIndexMap(m.b, m.out);
  p.mapsPending = null;
}

function planBinary(ctx: PrepareContext, op: BinaryOp): BinaryPlan {
  const a = requireInput(ctx, 0);
  const b = requireInput(ctx, 1);
  const out = ctx.outputs[0];
  if (a.dtype !== b.dtype) ctx.unsupported(`${op} inputs differ in dtype (${a.dtype}, ${b.dtype})`);
  const shape = broadcastShapes(ctx, a.shape, b.shape);
  out.shape = shape;
  const plan: BinaryPlan = {
    op, mode: 'float', n: sizeOf(shape), mapA: null, mapB: null, mapsPending: { a: a.shape.slice(), b: b.shape.slice(), out: shape },
    min: -Infinity, max: Infinity, offsetA: 0, offsetB: 0, outOffset: 0, leftShift: 0,
    multA: 0, shiftA: 0, multB: 0, shiftB: 0, multOut: 0, shiftOut: 0, scaleOut: 0, lutA: null, lutB: null, lutBase: 0, pairTable: null, xnnAdd: null, wasm: null, name: out.name,
  };
  const hasActivation = op === 'ADD' || op === 'SUB' || op === 'MUL' || op === 'DIV';
  const act = hasActivation ? String(ctx.options.fusedActivationFunction ?? 'NONE') : 'NONE';
  if (act !== 'NONE' && act !== 'RELU' && act !== 'RELU6' && act !== 'RELU_N1_TO_1') ctx.unsupported(`fused activation ${act}`);
  const dtype = a.dtype;
  if (out.dtype !== dtype) ctx.unsupported(`${op} output is ${out.dtype}, inputs are ${dtype}`);

  if (dtype === 'float32') {
    [plan.min, plan.max] = activationRangeFloat(act);
    const arena = arenaFor(ctx);
    if (arena) plan.wasm = planBinaryF32(arena, op, a, b, out, plan.min, plan.max);
    return plan;
  }
  if (dtype === 'int32' || dtype === 'int64') {
    if (op === 'SQUARED_DIFFERENCE' && dtype === 'int64') ctx.unsupported('int64 SQUARED_DIFFERENCE');
    plan.mode = dtype === 'int64' ? 'raw' : 'int';
    if (dtype === 'int64' && op !== 'MAXIMUM' && op !== 'MINIMUM') ctx.unsupported(`int64 ${op}`);
    [plan.min, plan.max] = act === 'NONE' ? [-2147483648, 2147483647] : activationRangeFloat(act);
    plan.min = Math.max(plan.min, -2147483648);
    plan.max = Math.min(plan.max, 2147483647);
    return plan;
  }
  if (dtype !== 'int8' && dtype !== 'uint8' && dtype !== 'int16') ctx.unsupported(`${op} on ${dtype}`);
  if (op === 'MAXIMUM' || op === 'MINIMUM') {
    plan.mode = 'raw';
    return plan;
  }
  if (!isQuant(a) || !isQuant(b) || !isQuant(out)) ctx.unsupported(`${op} on ${dtype} needs quantized tensors`);
  const sa = a.scale[0], sb = b.scale[0], so = out.scale[0];
  plan.offsetA = -a.zeroPoint[0];
  plan.offsetB = -b.zeroPoint[0];
  plan.outOffset = out.zeroPoint[0];
  [plan.min, plan.max] = activationRange(act, dtype, so, out.zeroPoint[0]);

  if (op === 'ADD' || op === 'SUB') {
    let general = true;
    if (dtype === 'int16') {
      if (a.zeroPoint[0] !== 0 || b.zeroPoint[0] !== 0 || out.zeroPoint[0] !== 0) ctx.unsupported(`int16 ${op} needs zero points 0`);
      if (ctx.options.potScaleInt16 !== false) {
        const la = checkedLog2(sa), lb = checkedLog2(sb), lo = checkedLog2(so);
        if (la.pot && lb.pot && lo.pot) {
          general = false;
          plan.mode = 'quantAddSubPot';
          plan.shiftA = la.log2 - lo.log2;
          plan.shiftB = lb.log2 - lo.log2;
          if (!(plan.shiftA === 0 || plan.shiftB === 0) || plan.shiftA > 0 || plan.shiftB > 0) {
            ctx.unsupported(`int16 ${op} with power-of-two scales needs one input at the output scale and the other finer`);
          }
        }
      }
    }
    // The official runtime's XNNPACK delegate takes 8-bit ADD/SUB within its scale limits; its arithmetic differs
    // from TFLite's on rare near-ties, so in xnnpack mode the whole op becomes its 256x256 table of outputs.
    const xnn = general && ctx.arithmetic === 'xnnpack' && usesXnnpack(dtype)
      ? planXnnpackAdd(sa, a.zeroPoint[0], sb, b.zeroPoint[0], so, out.zeroPoint[0], op === 'SUB', ...outputRange(ctx, 'xnnpack', out))
      : null;
    if (xnn) {
      plan.mode = 'quantAddSub';
      plan.lutBase = dtype === 'int8' ? 128 : 0;
      plan.xnnAdd = xnn;
      const arena = arenaFor(ctx);
      if (arena) plan.wasm = planAddQ8(arena, dtype === 'int8', xnn, a, b, out);
      if (!plan.wasm) plan.pairTable = xnnpackPairTable(xnn, plan.lutBase);
      return plan;
    }
    if (general) {
      plan.mode = 'quantAddSub';
      plan.leftShift = dtype === 'int16' ? 15 : 20;
      const twiceMax = 2 * Math.max(sa, sb);
      const qa = quantizeMultiplierSmallerThanOneExp(sa / twiceMax);
      const qb = quantizeMultiplierSmallerThanOneExp(sb / twiceMax);
      const qo = quantizeMultiplierSmallerThanOneExp(twiceMax / (Math.pow(2, plan.leftShift) * so));
      plan.multA = qa.multiplier; plan.shiftA = qa.shift;
      plan.multB = qb.multiplier; plan.shiftB = qb.shift;
      plan.multOut = qo.multiplier; plan.shiftOut = qo.shift;
      if (dtype !== 'int16') {
        // 256 raw values per input: the left shift and input rescale become one table lookup per element.
        const lo = dtype === 'int8' ? -128 : 0;
        const ls = Math.pow(2, plan.leftShift);
        plan.lutBase = -lo;
        plan.lutA = new Int32Array(256);
        plan.lutB = new Int32Array(256);
        for (let v = 0; v < 256; v++) {
          plan.lutA[v] = multiplyByQuantizedMultiplierSmallerThanOneExp((v + lo + plan.offsetA) * ls, plan.multA, plan.shiftA);
          plan.lutB[v] = multiplyByQuantizedMultiplierSmallerThanOneExp((v + lo + plan.offsetB) * ls, plan.multB, plan.shiftB);
        }
        // The pair table costs 65,536 element evaluations: worth it once an invoke has a few thousand elements.
        if (plan.n >= PAIR_TABLE_MIN_ELEMENTS) {
          const sign = op === 'SUB' ? -1 : 1;
          const table = new Int16Array(65536);
          for (let x = 0; x < 256; x++) {
            for (let y = 0; y < 256; y++) {
              const sum = plan.lutA[x] + sign * plan.lutB[y];
              const v = multiplyByQuantizedMultiplierSmallerThanOneExp(sum, plan.multOut, plan.shiftOut) + plan.outOffset;
              table[(x << 8) | y] = v < plan.min ? plan.min : v > plan.max ? plan.max : v;
            }
          }
          plan.pairTable = table;
        }
      }
    }
    return plan;
  }
  if (op === 'MUL') {
    // The official runtime's XNNPACK delegate takes 8-bit MUL when the product-to-output scale is in [2^-16, 2^8):
    // fp32 requantization, the activation clamp quantized as XNNPACK does.
    const productScale = f32(f32(f32(sa) * f32(sb)) / f32(so));
    if (ctx.arithmetic === 'xnnpack' && usesXnnpack(dtype) && productScale >= 1 / 65536 && productScale < 256) {
      plan.mode = 'xnnMul';
      plan.scaleOut = productScale;
      [plan.min, plan.max] = outputRange(ctx, 'xnnpack', out);
      const arena = arenaFor(ctx);
      if (arena) {
        plan.wasm = planMulQ8(arena, dtype === 'int8', a, b, out, productScale, plan.outOffset, plan.min - plan.outOffset, plan.max - plan.outOffset);
      }
      return plan;
    }
    plan.mode = 'quantMul';
    const q = quantizeMultiplier(f32(f32(f32(sa) * f32(sb)) / f32(so)));
    plan.multOut = q.multiplier; plan.shiftOut = q.shift;
    return plan;
  }
  if (op === 'DIV') {
    if (dtype !== 'uint8') ctx.unsupported(`DIV on ${dtype} (TFLite's DIV is quantized for uint8 only)`);
    plan.mode = 'quantDiv';
    const q = quantizeMultiplier(f32(f32(sa) / f32(f32(sb) * f32(so))));
    plan.multOut = q.multiplier; plan.shiftOut = q.shift;
    return plan;
  }
  if (op === 'SQUARED_DIFFERENCE') {
    if (dtype !== 'int8') ctx.unsupported(`SQUARED_DIFFERENCE on ${dtype}`);
    plan.mode = 'quantSqDiff';
    plan.leftShift = 7;
    const twiceMax = 2 * Math.max(sa, sb);
    const qa = quantizeMultiplierSmallerThanOneExp(sa / twiceMax);
    const qb = quantizeMultiplierSmallerThanOneExp(sb / twiceMax);
    const qo = quantizeMultiplier((twiceMax * twiceMax) / (Math.pow(2, 2 * plan.leftShift) * so));
    plan.multA = qa.multiplier; plan.shiftA = qa.shift;
    plan.multB = qb.multiplier; plan.shiftB = qb.shift;
    plan.multOut = qo.multiplier; plan.shiftOut = qo.shift;
    return plan;
  }
  return ctx.unsupported(`quantized ${op} on ${dtype}`);
}

/** XNNPACK's 8-bit ADD/SUB output for every pair of raw inputs, index (a << 8) | b with both shifted to [0, 256). */
function xnnpackPairTable(xnn: XnnpackAddParams, lutBase: number): Int16Array {
  const lo = -lutBase;
  const table = new Int16Array(65536);
  for (let x = 0; x < 256; x++) {
    for (let y = 0; y < 256; y++) table[(x << 8) | y] = xnnpackAddValue(xnn, x + lo, y + lo);
  }
  return table;
}

function floatOp(op: BinaryOp, x: number, y: number): number {
  switch (op) {
    case 'ADD': return x + y;
    case 'SUB': return x - y;
    case 'MUL': return x * y;
    case 'DIV': return x / y;
    case 'MAXIMUM': return x > y || Number.isNaN(x) ? x : y;
    case 'MINIMUM': return x < y || Number.isNaN(x) ? x : y;
    case 'SQUARED_DIFFERENCE': { const d = Math.fround(x - y); return d * d; }
  }
}

function intOp(op: BinaryOp, x: number, y: number): number {
  switch (op) {
    case 'ADD': return (x + y) | 0;
    case 'SUB': return (x - y) | 0;
    case 'MUL': return Math.imul(x, y);
    case 'DIV': return y === 0 ? 0 : (x / y) | 0;
    case 'MAXIMUM': return x > y ? x : y;
    case 'MINIMUM': return x < y ? x : y;
    case 'SQUARED_DIFFERENCE': { const d = (x - y) | 0; return Math.imul(d, d); }
  }
}

function evalBinary(p: BinaryPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const A = inputs[0]!.data as Float32Array;
  const B = inputs[1]!.data as Float32Array;
  const O = outputs[0].data as Float32Array;
  if (p.wasm && runBinaryWasm(p.wasm, inputs[0]!, inputs[1]!, outputs[0])) return;
  // An operand outside the arena (a variable tensor): the TypeScript loops, with the maps and table they need.
  if (p.mapsPending) buildMaps(p);
  if (p.xnnAdd && !p.pairTable) p.pairTable = xnnpackPairTable(p.xnnAdd, p.lutBase);
  const { n, mapA, mapB, min, max, op } = p;
  switch (p.mode) {
    case 'float':
      for (let k = 0; k < n; k++) {
        const v = floatOp(op, A[mapA === null ? k : mapA[k]], B[mapB === null ? k : mapB[k]]);
        O[k] = v < min ? min : v > max ? max : v;
      }
      return;
    case 'int':
      if (op === 'DIV') {
        for (let k = 0; k < n; k++) {
          if (B[mapB === null ? k : mapB[k]] === 0) throw new RangeError(`DIV by zero computing '${p.name}'`);
        }
      }
      for (let k = 0; k < n; k++) {
        const v = intOp(op, A[mapA === null ? k : mapA[k]], B[mapB === null ? k : mapB[k]]);
        O[k] = v < min ? min : v > max ? max : v;
      }
      return;
    case 'raw': {
      const isMax = op === 'MAXIMUM';
      for (let k = 0; k < n; k++) {
        const x = A[mapA === null ? k : mapA[k]];
        const y = B[mapB === null ? k : mapB[k]];
        O[k] = isMax ? (x > y ? x : y) : (x < y ? x : y);
      }
      return;
    }
    case 'quantAddSub': {
      const sign = op === 'SUB' ? -1 : 1;
      const { lutA, lutB, lutBase, multOut, shiftOut, outOffset, pairTable } = p;
      if (pairTable) {
        if (mapA === null && mapB === null) {
          for (let k = 0; k < n; k++) O[k] = pairTable[((A[k] + lutBase) << 8) | (B[k] + lutBase)];
        } else {
          for (let k = 0; k < n; k++) {
            O[k] = pairTable[((A[mapA === null ? k : mapA[k]] + lutBase) << 8) | (B[mapB === null ? k : mapB[k]] + lutBase)];
          }
        }
        return;
      }
      if (lutA && lutB) {
        for (let k = 0; k < n; k++) {
          const sum = lutA[A[mapA === null ? k : mapA[k]] + lutBase] + sign * lutB[B[mapB === null ? k : mapB[k]] + lutBase];
          const v = multiplyByQuantizedMultiplierSmallerThanOneExp(sum, multOut, shiftOut) + outOffset;
          O[k] = v < min ? min : v > max ? max : v;
        }
        return;
      }
      const ls = Math.pow(2, p.leftShift);
      for (let k = 0; k < n; k++) {
        const x = (A[mapA === null ? k : mapA[k]] + p.offsetA) * ls;
        const y = (B[mapB === null ? k : mapB[k]] + p.offsetB) * ls;
        const sx = multiplyByQuantizedMultiplierSmallerThanOneExp(x, p.multA, p.shiftA);
        const sy = multiplyByQuantizedMultiplierSmallerThanOneExp(y, p.multB, p.shiftB);
        const v = multiplyByQuantizedMultiplierSmallerThanOneExp(sx + sign * sy, p.multOut, p.shiftOut) + p.outOffset;
        O[k] = v < min ? min : v > max ? max : v;
      }
      return;
    }
    case 'quantAddSubPot': {
      const sub = op === 'SUB';
      const ra = -p.shiftA, rb = -p.shiftB;
      for (let k = 0; k < n; k++) {
        const x = roundingDivideByPOT(A[mapA === null ? k : mapA[k]], ra);
        const y = roundingDivideByPOT(B[mapB === null ? k : mapB[k]], rb);
        let v = sub ? x - y : x + y;
        v = v < -32768 ? -32768 : v > 32767 ? 32767 : v;
        O[k] = v < min ? min : v > max ? max : v;
      }
      return;
    }
    case 'quantMul':
      for (let k = 0; k < n; k++) {
        const x = A[mapA === null ? k : mapA[k]] + p.offsetA;
        const y = B[mapB === null ? k : mapB[k]] + p.offsetB;
        const v = multiplyByQuantizedMultiplier(x * y, p.multOut, p.shiftOut) + p.outOffset;
        O[k] = v < min ? min : v > max ? max : v;
      }
      return;
    case 'xnnMul': {
      const scale = p.scaleOut;
      const zp = p.outOffset;
      const lo = min - zp, hi = max - zp;
      for (let k = 0; k < n; k++) {
        const x = A[mapA === null ? k : mapA[k]] + p.offsetA;
        const y = B[mapB === null ? k : mapB[k]] + p.offsetB;
        let v = f32(x * y * scale);
        v = v < lo ? lo : v > hi ? hi : v;
        // Round half to even through float32 (XNNPACK's magic bias 1.5 * 2^23).
        O[k] = f32(v + 12582912) - 12582912 + zp;
      }
      return;
    }
    case 'quantDiv':
      for (let k = 0; k < n; k++) {
        let x = A[mapA === null ? k : mapA[k]] + p.offsetA;
        let y = B[mapB === null ? k : mapB[k]] + p.offsetB;
        let v: number;
        if (y === 0) {
          // Division by a real zero: TFLite leaves it undefined; saturate by the dividend's sign.
          v = x > 0 ? max : x < 0 ? min : p.outOffset;
        } else {
          if (y < 0) { x = -x; y = -y; }
          const { reciprocal, numBitsOverUnit } = getReciprocal(y, 31);
          const headroom = countLeadingSignBits32(x);
          const unscaled = saturatingRoundingDoublingHighMul(x * Math.pow(2, headroom), reciprocal);
          const totalShift = p.shiftOut - numBitsOverUnit - headroom;
          v = p.outOffset + multiplyByQuantizedMultiplierSmallerThanOneExp(unscaled, p.multOut, totalShift);
        }
        O[k] = v < min ? min : v > max ? max : v;
      }
      return;
    case 'quantSqDiff': {
      const ls = Math.pow(2, p.leftShift);
      for (let k = 0; k < n; k++) {
        const x = (A[mapA === null ? k : mapA[k]] + p.offsetA) * ls;
        const y = (B[mapB === null ? k : mapB[k]] + p.offsetB) * ls;
        const d = multiplyByQuantizedMultiplierSmallerThanOneExp(x, p.multA, p.shiftA) -
          multiplyByQuantizedMultiplierSmallerThanOneExp(y, p.multB, p.shiftB);
        const v = multiplyByQuantizedMultiplier(d * d, p.multOut, p.shiftOut) + p.outOffset;
        O[k] = v < min ? min : v > max ? max : v;
      }
      return;
    }
  }
}

function makeBinary(op: BinaryOp, maxVersion: number): Kernel<BinaryPlan> {
  return { op, maxVersion, prepare: (ctx) => prepareBinary(ctx, op), eval: evalBinary, path: (p) => (p.wasm ? 'wasm' : 'js') };
}

export const addKernel = makeBinary('ADD', 4);
export const subKernel = makeBinary('SUB', 5);
export const mulKernel = makeBinary('MUL', 6);
export const divKernel = makeBinary('DIV', 2);
export const maximumKernel = makeBinary('MAXIMUM', 4);
export const minimumKernel = makeBinary('MINIMUM', 4);
export const squaredDifferenceKernel = makeBinary('SQUARED_DIFFERENCE', 2);
