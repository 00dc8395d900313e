// 8-bit lookup tables as TFLite's LUTPopulate builds them for LOGISTIC, TANH, ELU, GELU (int8/uint8):
// dequantize in float32, apply the function, quantize with std::round, clamp. Indexed by (raw value - min).

import type { DType } from '../../graph/model.js';

const f32 = Math.fround;

export function populateLut8(
  dtype: DType, inScale: number, inZeroPoint: number, outScale: number, outZeroPoint: number, fn: (x: number) => number,
): Int32Array {
  const [minval, maxval] = dtype === 'int8' ? [-128, 127] : [0, 255];
  const inverseScale = f32(1 / f32(outScale));
  const s = f32(inScale);
  const table = new Int32Array(256);
  for (let val = minval; val <= maxval; val++) {
    const dequantized = f32(s * (val - inZeroPoint));
    const transformed = f32(fn(dequantized));
    const scaled = f32(transformed * inverseScale);
    const rescaled = scaled < 0 ? -Math.round(-scaled) : Math.round(scaled);
    const q = rescaled + outZeroPoint;
    table[val - minval] = q < minval ? minval : q > maxval ? maxval : q;
  }
  return table;
}

const wrap16 = (x: number) => (x << 16) >> 16;
const roundAway = (x: number) => (x < 0 ? -Math.round(-x) : Math.round(x));

/**
 * The 256-entry table TFLite's int16 LOGISTIC/TANH interpolate in (common.h sigmoid_table_uint16): about
 * sigmoid(i / 24) in unsigned Q0.16, entry i covering inputs [i/24, (i+1)/24). Its values are data, not a formula
 * (they differ from round/ceil of 65536 * sigmoid(i / 24) in the last place), so they are listed.
 */
export const SIGMOID_TABLE_UINT16: Uint16Array = Uint16Array.from([
  32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688,
  43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409,
  51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
  57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110,
  61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186,
  63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
  64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
  64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208,
  65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
  65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449,
  65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
  65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
  65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
  65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
  65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
  65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
]);

/**
 * TFLite's gen_lut (int16 softmax): `num` samples of fn on [min, max] in Q0.15, each biased by half the error
 * of linear interpolation at its interval's midpoint; the last entry only serves the last slope.
 */
export function populateLut16(fn: (x: number) => number, min: number, max: number, num: number): Int16Array {
  const table = new Int16Array(num);
  const step = (max - min) / (num - 1);
  const halfStep = step / 2;
  const clamp = (v: number) => (v < -32768 ? -32768 : v > 32767 ? 32767 : v);
  for (let i = 0; i < num - 1; i++) {
    const sample = roundAway(fn(min + i * step) * 32768);
    const midpointInterp = roundAway((fn(min + (i + 1) * step) * 32768 + sample) / 2);
    const midpoint = roundAway(fn(min + i * step + halfStep) * 32768);
    const bias = roundAway((midpointInterp - midpoint) / 2);
    table[i] = clamp(sample - bias);
  }
  table[num - 1] = clamp(roundAway(fn(max) * 32768));
  return table;
}

/** generic_int16_table_lookup: a 513-entry table over int16 inputs, 128 inputs per entry, linear interpolation. */
export function lookupInt16(value: number, lut: Int16Array): number {
  const index = 256 + (value >> 7);
  const offset = value & 0x7f;
  const base = lut[index];
  const slope = wrap16(lut[index + 1] - base);
  return wrap16(base + ((slope * offset + 64) >> 7));
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * The error function in double precision (JS has none): the Maclaurin series below |x| = 2.5 (relative error
 * ~1e-14 after cancellation), the continued fraction of erfc above it; exact saturation beyond |x| = 6.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const a = Math.abs(x);
  if (a >= 6) return x < 0 ? -1 : 1;
  let r: number;
  if (a < 2.5) {
    // erf(a) = 2/sqrt(pi) * sum_n (-1)^n a^(2n+1) / (n! (2n+1))
    const a2 = a * a;
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= -a2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = TWO_OVER_SQRT_PI * sum;
  } else {
    // erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...))))), evaluated bottom-up.
    let f = a;
    for (let k = 60; k >= 1; k--) f = a + k / 2 / f;
    r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -r : r;
}
