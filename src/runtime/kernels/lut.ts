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
