// Fixed-point helpers against independent BigInt arithmetic (the 64-bit C++ formulas evaluated exactly)
// and hand-computed values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  activationRange, frexp, multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierInt64, quantizeMultiplier,
  roundHalfAwayFromZero, roundingDivideByPOT, saturatingRoundingDoublingHighMul,
} from '../../src/runtime/quant-math.js';
import { mulberry32 } from '../helpers/random.js';

function srdhmBig(a: number, b: number): number {
  if (a === -2147483648 && b === -2147483648) return 2147483647;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n)); // BigInt division truncates toward zero, as C++
}
function rdpotBig(x: number, e: number): number {
  const mask = (1n << BigInt(e)) - 1n;
  const X = BigInt(x);
  const rem = X & mask;
  const thr = (mask >> 1n) + (X < 0n ? 1n : 0n);
  return Number((X >> BigInt(e)) + (rem > thr ? 1n : 0n));
}
function mbqm64Big(x: bigint, m: number, shift: number): number {
  const reduced = m < 0x7fff0000 ? (m + (1 << 15)) >> 16 : 0x7fff;
  const total = BigInt(15 - shift);
  return Number((x * BigInt(reduced) + (1n << (total - 1n))) >> total);
}

test('saturatingRoundingDoublingHighMul matches 64-bit arithmetic', () => {
  const r = mulberry32(1);
  const edge = [0, 1, -1, 2147483647, -2147483648, 1073741824, -1073741824, 65535, -65536, 12345];
  for (const a of edge) for (const b of edge) assert.equal(saturatingRoundingDoublingHighMul(a, b), srdhmBig(a, b), `${a}*${b}`);
  for (let i = 0; i < 20000; i++) {
    const a = (r() * 4294967296) | 0;
    const b = i % 3 === 0 ? ((r() * 65536) | 0) - 32768 : (r() * 4294967296) | 0;
    assert.equal(saturatingRoundingDoublingHighMul(a, b), srdhmBig(a, b), `${a}*${b}`);
  }
});

test('roundingDivideByPOT matches 64-bit arithmetic, ties away from zero', () => {
  assert.equal(roundingDivideByPOT(5, 1), 3);
  assert.equal(roundingDivideByPOT(-5, 1), -3);
  assert.equal(roundingDivideByPOT(-6, 2), -2);
  const r = mulberry32(2);
  for (let i = 0; i < 20000; i++) {
    const x = (r() * 4294967296) | 0;
    const e = (r() * 32) | 0;
    assert.equal(roundingDivideByPOT(x, e), rdpotBig(x, e));
  }
});

test('quantizeMultiplier: frexp decomposition, rounding and flush', () => {
  assert.deepEqual(quantizeMultiplier(0), { multiplier: 0, shift: 0 });
  assert.deepEqual(quantizeMultiplier(0.5), { multiplier: 1073741824, shift: 0 });
  assert.deepEqual(quantizeMultiplier(1), { multiplier: 1073741824, shift: 1 });
  assert.deepEqual(quantizeMultiplier(0.75), { multiplier: 1610612736, shift: 0 });
  assert.deepEqual(quantizeMultiplier(2 ** -40), { multiplier: 0, shift: 0 });
  // mantissa that rounds up to 2^31 moves to the next exponent
  assert.deepEqual(quantizeMultiplier(1 - 2 ** -40), { multiplier: 1073741824, shift: 1 });
  const r = mulberry32(3);
  for (let i = 0; i < 2000; i++) {
    const x = Math.exp((r() - 0.8) * 30);
    const { multiplier, shift } = quantizeMultiplier(x);
    const fr = frexp(x);
    assert.ok(fr.mantissa >= 0.5 && fr.mantissa < 1 && fr.mantissa * 2 ** fr.exponent === x);
    if (fr.exponent < -31) assert.deepEqual({ multiplier, shift }, { multiplier: 0, shift: 0 });
    else assert.ok(Math.abs(multiplier * 2 ** (shift - 31) - x) <= x * 2 ** -30, `${x}`);
  }
});

test('multiplyByQuantizedMultiplier equals the BigInt formula', () => {
  const r = mulberry32(4);
  for (let i = 0; i < 20000; i++) {
    const { multiplier, shift } = quantizeMultiplier(Math.exp((r() - 0.7) * 20));
    const x = ((r() * 2 ** 24) | 0) - 2 ** 23;
    const ls = shift > 0 ? shift : 0;
    const want = rdpotBig(srdhmBig(Number(BigInt.asIntN(32, BigInt(x) << BigInt(ls))), multiplier), shift > 0 ? 0 : -shift);
    assert.equal(multiplyByQuantizedMultiplier(x, multiplier, shift), want);
  }
  // 0.5 * 7 = 3.5 -> 4; -3.5 -> -3 (the high-mul nudge rounds negative ties toward zero)
  assert.equal(multiplyByQuantizedMultiplier(7, 1073741824, 0), 4);
  assert.equal(multiplyByQuantizedMultiplier(-7, 1073741824, 0), -3);
});

test('multiplyByQuantizedMultiplierInt64 equals the BigInt formula', () => {
  const r = mulberry32(5);
  for (let i = 0; i < 20000; i++) {
    const { multiplier, shift } = quantizeMultiplier(Math.exp((r() - 0.9) * 25));
    if (shift < -31 || shift >= 8) continue;
    const x = Math.floor((r() - 0.5) * 2 ** 47);
    assert.equal(multiplyByQuantizedMultiplierInt64(x, multiplier, shift), mbqm64Big(BigInt(x), multiplier, shift), `${x} ${multiplier} ${shift}`);
  }
});

test('rounding and activation ranges', () => {
  assert.equal(roundHalfAwayFromZero(-2.5), -3);
  assert.equal(roundHalfAwayFromZero(2.5), 3);
  assert.equal(roundHalfAwayFromZero(-0.4), 0);
  // scale 0.1, zp -128: relu6 -> [-128, -128 + 60]
  assert.deepEqual(activationRange('RELU6', 'int8', 0.1, -128), [-128, -68]);
  assert.deepEqual(activationRange('RELU', 'int8', 0.1, 10), [10, 127]);
  assert.deepEqual(activationRange('NONE', 'uint8', 0.1, 10), [0, 255]);
  assert.deepEqual(activationRange('RELU_N1_TO_1', 'int16', 0.001, 0), [-1000, 1000]);
});
