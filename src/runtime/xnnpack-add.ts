// 8-bit ADD/SUB as the official runtime's XNNPACK delegate computes them (qs8/qu8 vadd), measured bit-exact against
// it on full 256x256 input sweeps (int8 and uint8, ADD and SUB, every fused activation):
//   r_a = float32(s_a / s_out), r_b = ±float32(s_b / s_out) (negated for SUB);
//   shift = 20 - exponent(max(|r_a|, |r_b|)), so the larger multiplier lies in [2^20, 2^21);
//   m_a = lrintf(float32(r_a * 2^shift)), m_b likewise;
//   out = floor(((a - z_a) * m_a + (b - z_b) * m_b + 2^(shift-1)) / 2^shift) + z_out, clamped to the activation range
//   quantized as XNNPACK does (see requantize.ts outputRange).
// TFLite's reference arithmetic (20-bit left shift, three Q31 multipliers) differs from it by 1 on rare near-ties.
// The delegate takes the op only when each input-to-output scale ratio lies in [2^-10, 2^8].

import { roundHalfEven } from './requantize.js';

const f32 = Math.fround;

export interface XnnpackAddParams {
  multiplierA: number;
  multiplierB: number;
  shift: number;
  /** 2^shift. */
  divisor: number;
  /** 2^(shift-1) - m_a * z_a - m_b * z_b: everything but the two products. */
  bias: number;
  outputZeroPoint: number;
  /** Output clamp in quantized units (zero point and fused activation included). */
  min: number;
  max: number;
}

/** Exponent of a positive float32 (its unbiased binary exponent). */
function float32Exponent(x: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, x);
  return ((view.getUint32(0) >>> 23) & 0xff) - 127;
}

/** XNNPACK's parameters, or null where the delegate refuses the scales (TFLite's own kernel runs then). */
export function planXnnpackAdd(
  scaleA: number, zeroPointA: number, scaleB: number, zeroPointB: number, scaleOut: number, zeroPointOut: number,
  subtract: boolean, min: number, max: number,
): XnnpackAddParams | null {
  const ratioA = f32(f32(scaleA) / f32(scaleOut));
  const ratioB = f32(f32(scaleB) / f32(scaleOut));
  const inRange = (r: number) => r >= 2 ** -10 && r <= 2 ** 8;
  if (!inRange(ratioA) || !inRange(ratioB)) return null;
  const shift = 20 - float32Exponent(Math.max(ratioA, ratioB));
  const scaleMultiplier = 2 ** shift;
  const multiplierA = roundHalfEven(f32(ratioA * scaleMultiplier));
  const multiplierB = (subtract ? -1 : 1) * roundHalfEven(f32(ratioB * scaleMultiplier));
  return {
    multiplierA, multiplierB, shift, divisor: scaleMultiplier,
    bias: 2 ** (shift - 1) - multiplierA * zeroPointA - multiplierB * zeroPointB,
    outputZeroPoint: zeroPointOut, min, max,
  };
}

/** One output value from raw quantized inputs (all intermediate values are exact integers below 2^31). */
export function xnnpackAddValue(p: XnnpackAddParams, a: number, b: number): number {
  const v = Math.floor((p.bias + a * p.multiplierA + b * p.multiplierB) / p.divisor) + p.outputZeroPoint;
  return v < p.min ? p.min : v > p.max ? p.max : v;
}
