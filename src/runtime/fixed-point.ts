// TFLite's GetReciprocal (common.h) on gemmlowp's 32-bit fixed point (fixedpoint.h one_over_one_plus_x_for_x_in_0_1),
// CountLeadingSignBits and CheckedLog2, bit-exact. (The int16 logistic/tanh live in kernels/fixed-point-int16.ts.)

import { roundingDivideByPOT, saturatingRoundingDoublingHighMul } from './quant-math.js';

const INT32_MAX = 2147483647;
const ONE_Q0 = INT32_MAX;
const ONE_Q2 = 1 << 29;

/** SaturatingRoundingMultiplyByPOT on int32 raw values. */
function mulByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  if (exponent < 0) return roundingDivideByPOT(x, -exponent);
  const threshold = (1 << (31 - exponent)) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return -2147483648;
  return x << exponent;
}

/** RoundingHalfSum on int32: (a + b) / 2 rounded away from zero. */
function roundingHalfSum(a: number, b: number): number {
  const sum = a + b;
  return Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/** gemmlowp one_over_one_plus_x_for_x_in_0_1: 1 / (1 + a) for a Q0.31 value a in [0, 1); Q0.31 result. */
export function oneOverOnePlusX32(a: number): number {
  const mul = saturatingRoundingDoublingHighMul;
  const halfDenominator = roundingHalfSum(a, ONE_Q0);
  // Newton-Raphson in Q2.29 from 48/17 - 32/17 * d.
  let x = (1515870810 + mul(halfDenominator, -1010580540)) | 0;
  for (let i = 0; i < 3; i++) {
    const oneMinus = (ONE_Q2 - mul(halfDenominator, x)) | 0;
    x = (x + mulByPOT(mul(x, oneMinus), 2)) | 0;
  }
  // x / 2 read as Q1, rescaled to Q0.
  return mulByPOT(x, 1);
}

/** CountLeadingSignBits of an int32: redundant sign bits below the sign bit (31 for 0 and -1). */
export function countLeadingSignBits32(x: number): number {
  if (x >= 0) return Math.clz32(x) - 1;
  if (x === -2147483648) return 0;
  return Math.clz32(2 * -x - 1);
}

/**
 * TFLite's GetReciprocal: a Q0.31 reciprocal of x (x > 0 with `integerDigits` integer bits) and the number of bits
 * the result must be shifted by (`numBitsOverUnit`).
 */
export function getReciprocal(x: number, integerDigits: number): { reciprocal: number; numBitsOverUnit: number } {
  const headroomPlusOne = Math.clz32(x);
  const numBitsOverUnit = integerDigits - headroomPlusOne;
  // (uint32(x) << headroom_plus_one) - 2^31, as an int32.
  const shiftedSumMinusOne = ((x << headroomPlusOne) - 0x80000000) | 0;
  return { reciprocal: oneOverOnePlusX32(shiftedSumMinusOne), numBitsOverUnit };
}

/**
 * CheckedLog2 (kernel_util): log2 of a float scale rounded to an integer (float32 math, std::round), and whether
 * the scale is a power of two within 1e-3 in log2.
 */
export function checkedLog2(x: number): { log2: number; pot: boolean } {
  const f32 = Math.fround;
  const l = f32(f32(Math.log(f32(x))) * f32(1 / f32(Math.log(2))));
  const r = l < 0 ? -Math.round(-l) : Math.round(l);
  return { log2: r, pot: Math.abs(f32(l - r)) < 1e-3 };
}
