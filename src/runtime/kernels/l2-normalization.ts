// L2_NORMALIZATION over the last dimension. Float: x / max(sqrt(sum x^2), 1e-6).
// Quantized (output scale 1/128): the inverse square root of the integer sum of squares as a fixed-point
// multiplier (GetInvSqrtQuantizedMultiplierExp: 5 Newton-Raphson steps in Q3.28), then per element
// uint8: 128 + (128 * d) * m >> s; int8: d * m << (s + 7).

import type { Kernel, RuntimeTensor } from '../kernel.js';
import {
  multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierSmallerThanOneExp, roundingDivideByPOT, saturatingRoundingDoublingHighMul,
} from '../quant-math.js';
import { isQuant, requireDtype, requireInput } from './shape-util.js';

const f32 = Math.fround;
const INT32_MAX = 2147483647;

/** gemmlowp SaturatingRoundingMultiplyByPOT for int32 raw values. */
function satMulPOT(x: number, exponent: number): number {
  if (exponent > 0) {
    const v = x * Math.pow(2, exponent);
    return v > INT32_MAX ? INT32_MAX : v < -2147483648 ? -2147483648 : v;
  }
  return exponent < 0 ? roundingDivideByPOT(x, -exponent) : x;
}

/** GetInvSqrtQuantizedMultiplierExp with reverse_shift = -1: returns [multiplier, left shift]. */
export function invSqrtQuantizedMultiplier(input: number, out: Int32Array): void {
  if (input <= 1) {
    out[0] = INT32_MAX;
    out[1] = 0;
    return;
  }
  let shift = 11;
  while (input >= 1 << 29) {
    input = Math.trunc(input / 4);
    shift++;
  }
  const maxLeftShiftBits = Math.clz32(input) - 1;
  const leftShiftBitPairs = Math.trunc(maxLeftShiftBits / 2) - 1;
  shift -= leftShiftBitPairs;
  input = input << (2 * leftShiftBitPairs);
  const mul = saturatingRoundingDoublingHighMul;
  const fixedInput = input >> 1; // Q3.28
  const halfInput = roundingDivideByPOT(fixedInput, 1);
  const halfThree = (1 << 28) + (1 << 27);
  let x = 1 << 28; // 1.0 in Q3.28
  for (let i = 0; i < 5; i++) {
    const x3 = satMulPOT(mul(mul(x, x), x), 6); // Q9 -> Q3
    x = satMulPOT((mul(halfThree, x) - mul(halfInput, x3)) | 0, 3); // Q6 -> Q3
  }
  x = mul(x, 1518500250); // * sqrt(2)/2 in Q0.31, result Q3.28
  if (shift < 0) {
    x = x << -shift;
    shift = 0;
  }
  out[0] = x;
  out[1] = -shift;
}

interface L2Plan {
  quantized: boolean;
  uint8: boolean;
  outer: number;
  depth: number;
  zp: number;
  scratch: Int32Array;
}

export const l2NormalizationKernel: Kernel<L2Plan> = {
  op: 'L2_NORMALIZATION',
  maxVersion: 2,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const output = ctx.outputs[0];
    requireDtype(ctx, input, ['float32', 'int8', 'uint8']);
    if (String(ctx.options.fusedActivationFunction ?? 'NONE') !== 'NONE') ctx.unsupported('L2_NORMALIZATION with a fused activation');
    output.shape = input.shape.slice();
    const rank = input.shape.length;
    const depth = rank ? input.shape[rank - 1] : 1;
    const outer = input.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const quantized = input.dtype !== 'float32';
    if (quantized) {
      if (!isQuant(input) || !isQuant(output)) ctx.unsupported('quantized L2_NORMALIZATION needs quantization parameters');
      const zp = input.dtype === 'int8' ? 0 : 128;
      if (output.scale[0] !== f32(1 / 128) || output.zeroPoint[0] !== zp) ctx.unsupported(`L2_NORMALIZATION output must have scale 1/128 and zero point ${zp}`);
    }
    return { quantized, uint8: input.dtype === 'uint8', outer, depth, zp: quantized ? input.zeroPoint[0] : 0, scratch: new Int32Array(2) };
  },
  eval(p, inputs: (RuntimeTensor | null)[], outputs) {
    const X = inputs[0]!.data as Float32Array;
    const Y = outputs[0].data as Float32Array;
    const { outer, depth, zp } = p;
    for (let b = 0; b < outer; b++) {
      const base = b * depth;
      if (!p.quantized) {
        let sq = 0;
        for (let c = 0; c < depth; c++) sq = f32(sq + f32(X[base + c] * X[base + c]));
        const norm = Math.max(f32(Math.sqrt(sq)), f32(1e-6));
        for (let c = 0; c < depth; c++) Y[base + c] = X[base + c] / norm;
        continue;
      }
      let acc = 0;
      for (let c = 0; c < depth; c++) {
        const d = X[base + c] - zp;
        acc += d * d;
      }
      invSqrtQuantizedMultiplier(acc | 0, p.scratch);
      const m = p.scratch[0], s = p.scratch[1];
      for (let c = 0; c < depth; c++) {
        const d = X[base + c] - zp;
        if (p.uint8) {
          const v = 128 + multiplyByQuantizedMultiplierSmallerThanOneExp(128 * d, m, s);
          Y[base + c] = v < 0 ? 0 : v > 255 ? 255 : v;
        } else {
          const v = multiplyByQuantizedMultiplier(d, m, s + 7);
          Y[base + c] = v < -128 ? -128 : v > 127 ? 127 : v;
        }
      }
    }
  },
};
