// gemmlowp's 16-bit fixed-point logistic and tanh (FixedPoint<int16_t, N>), which TFLite's integer LSTM applies
// to its int16 gates. All raw arithmetic wraps or saturates exactly as the int16 C++ code does; the functions are
// evaluated once per possible input to build 65536-entry tables.

const wrap16 = (x: number): number => (x << 16) >> 16;

function srdhm16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  const ab = a * b;
  const nudge = ab >= 0 ? 16384 : 1 - 16384;
  return wrap16(Math.trunc((ab + nudge) / 32768));
}

function rdpot16(x: number, exponent: number): number {
  const mask = (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** SaturatingRoundingMultiplyByPOT on int16 raw values. */
function srmpot16(x: number, exponent: number): number {
  if (exponent === 0) return x;
  if (exponent < 0) return rdpot16(x, -exponent);
  const threshold = (1 << (15 - exponent)) - 1;
  if (x > threshold) return 32767;
  if (x < -threshold) return -32768;
  return wrap16(x << exponent);
}

/** A 32-bit raw constant rescaled to 16 bits (RescaleConstantInitializer). */
function constant16(raw32: number): number {
  const mask = 65535;
  const remainder = raw32 & mask;
  const threshold = (mask >> 1) + (raw32 < 0 ? 1 : 0);
  return wrap16((raw32 >> 16) + (remainder > threshold ? 1 : 0));
}

const ONE_F0 = 32767;

function expOnIntervalNegQuarterTo0(a: number): number {
  const constantTerm = constant16(1895147668);
  const oneThird = constant16(715827883);
  const x = wrap16(a + (1 << 12)); // a + 1/8 in Q0.15
  const x2 = srdhm16(x, x);
  const x3 = srdhm16(x2, x);
  const x4 = srdhm16(x2, x2);
  const x4over4 = srmpot16(x4, -2);
  const poly = srmpot16(wrap16(srdhm16(wrap16(x4over4 + x3), oneThird) + x2), -1);
  const sum = constantTerm + srdhm16(constantTerm, wrap16(x + poly));
  return sum > 32767 ? 32767 : sum < -32768 ? -32768 : sum;
}

const BARREL: [number, number][] = [[-2, 1672461947], [-1, 1302514674], [0, 790015084], [1, 290630308], [2, 39332535], [3, 720401], [4, 242]];

/** exp(a) for a <= 0, a in Q(integerBits).(15-integerBits); result Q0.15. */
function expOnNegativeValues(a: number, integerBits: number): number {
  const frac = 15 - integerBits;
  const oneQuarter = 1 << (frac - 2);
  const mask = oneQuarter - 1;
  const aModQuarterMinusQuarter = wrap16((a & mask) - oneQuarter);
  let result = expOnIntervalNegQuarterTo0(srmpot16(aModQuarterMinusQuarter, integerBits));
  const remainder = wrap16(aModQuarterMinusQuarter - a);
  for (const [exponent, multiplier] of BARREL) {
    if (integerBits > exponent) {
      const shift = frac + exponent;
      if (remainder & wrap16(1 << shift)) result = srdhm16(result, constant16(multiplier));
    }
  }
  if (integerBits > 5) {
    const clamp = constant16(-(2 ** (36 - integerBits)) | 0);
    if (a < clamp) result = 0;
  }
  if (a === 0) result = ONE_F0;
  return result;
}

function newtonReciprocalHalf(halfDenominator: number): number {
  const c48over17 = constant16(1515870810);
  const cNeg32over17 = constant16(-1010580540);
  const oneF2 = 1 << 13;
  let x = wrap16(c48over17 + srdhm16(halfDenominator, cNeg32over17));
  for (let i = 0; i < 3; i++) {
    const hdx = srdhm16(halfDenominator, x);
    const oneMinus = wrap16(oneF2 - hdx);
    x = wrap16(x + srmpot16(srdhm16(x, oneMinus), 2));
  }
  return x;
}

function roundingHalfSum16(a: number, b: number): number {
  const sum = a + b;
  return wrap16(Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2));
}

/** gemmlowp::logistic on a Q(integerBits) int16 input; Q0.15 output. */
export function logisticInt16(a: number, integerBits: number): number {
  const positive = a > 0;
  const absInput = positive ? a : wrap16(-a);
  const e = expOnNegativeValues(wrap16(-absInput), integerBits);
  const x = newtonReciprocalHalf(roundingHalfSum16(e, ONE_F0));
  const resultIfPositive = srmpot16(x, 1); // Rescale<0>(ExactMulByPot<-1>(x)): F1 -> F0
  if (a === 0) return constant16(1 << 30);
  return positive ? resultIfPositive : wrap16(ONE_F0 - resultIfPositive);
}

/** gemmlowp::tanh on a Q(integerBits) int16 input; Q0.15 output. */
export function tanhInt16(a: number, integerBits: number): number {
  const negative = a < 0;
  const n = negative ? a : wrap16(-a);
  const e = expOnNegativeValues(n, integerBits + 1); // ExactMulByPot<1>: same raw, one more integer bit
  const x = newtonReciprocalHalf(roundingHalfSum16(e, ONE_F0));
  const t = srmpot16(wrap16(x - (1 << 13)), 2); // Rescale<0>(x - F2::One())
  if (a === 0) return 0;
  return negative ? wrap16(-t) : t;
}

const tableCache = new Map<string, Int16Array>();

/** 65536-entry table of f over every int16 input (index = input + 32768). */
export function int16Table(kind: 'logistic' | 'tanh', integerBits: number): Int16Array {
  const key = `${kind}${integerBits}`;
  let t = tableCache.get(key);
  if (!t) {
    t = new Int16Array(65536);
    const f = kind === 'logistic' ? logisticInt16 : tanhInt16;
    for (let i = 0; i < 65536; i++) t[i] = f(i - 32768, integerBits);
    tableCache.set(key, t);
  }
  return t;
}
