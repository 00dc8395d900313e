// Model I/O values: quantizing float inputs the way the seed does (x / scale + zero_point, rounded, clamped),
// dequantizing outputs, deterministic fills, and checking raw values against an input's dtype.

import type { DType } from '../graph/model.js';
import { InputError } from '../errors.js';
import type { TensorDetails } from '../format/details.js';

export const INTEGER_RANGES: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535],
  int32: [-2147483648, 2147483647], uint32: [0, 4294967295], bool: [0, 1], int64: [-(2 ** 53), 2 ** 53],
};

export function isQuantizedDetails(d: TensorDetails): boolean {
  return d.quantization_parameters.scales.length > 0 && d.dtype !== 'float32';
}

/** A zeroed typed array for n elements of dtype (float16 as raw Uint16 bits). */
export function typedArrayFor(dtype: DType, n: number) {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    case 'int16': return new Int16Array(n);
    case 'uint16': case 'float16': return new Uint16Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'int64': return new BigInt64Array(n);
    default: throw new InputError(`unsupported input dtype ${dtype}`);
  }
}

/** q = clamp(round(x / scale) + zero_point): the seed's input quantization, rounding half away from zero as TFLite's QUANTIZE op does. */
export function quantizeInto(out: { [i: number]: number } & { length: number }, floats: ArrayLike<number>, scale: number, zeroPoint: number, dtype: DType): void {
  const [lo, hi] = INTEGER_RANGES[dtype] ?? [-Infinity, Infinity];
  for (let i = 0; i < floats.length; i++) {
    const x = floats[i] / scale;
    const v = (x < 0 ? -Math.round(-x) : Math.round(x)) + zeroPoint;
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
}

/** Raw input values for a tensor from float values: quantized when the input is quantized, else as they are. */
export function valuesFromFloats(d: TensorDetails, floats: ArrayLike<number>) {
  const n = floats.length;
  const out = typedArrayFor(d.dtype, n);
  if (isQuantizedDetails(d)) {
    if (out instanceof BigInt64Array) throw new InputError(`input '${d.name}': int64 quantized inputs are not supported`);
    // NaN would quantize to an arbitrary integer and infinity to a range end: refused, as in calibration data.
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(floats[i])) throw new InputError(`input '${d.name}': element ${i} is ${floats[i]}, which cannot be quantized`);
    }
    quantizeInto(out, floats, d.quantization[0], d.quantization[1], d.dtype);
  } else if (out instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) out[i] = BigInt(Math.round(floats[i]));
  } else {
    (out as Float32Array).set(floats);
  }
  return out;
}

/** Check and convert raw values (already in the input's dtype domain): integers must be integers in range. */
export function rawValues(d: TensorDetails, values: ArrayLike<unknown>) {
  const out = typedArrayFor(d.dtype, values.length);
  const range = INTEGER_RANGES[d.dtype];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || Number.isNaN(v)) {
      throw new InputError(`input '${d.name}': element ${i} is ${JSON.stringify(v) ?? String(v)}, not a number`);
    }
    if (range) {
      if (!Number.isInteger(v) || v < range[0] || v > range[1]) {
        throw new InputError(`input '${d.name}': element ${i} = ${v} is not a ${d.dtype} value (integers ${range[0]}..${range[1]})`);
      }
    }
    if (out instanceof BigInt64Array) out[i] = BigInt(v);
    else out[i] = v;
  }
  return out;
}

/** Deterministic fill used when no input is given: float -> sin(i); integers spread over the dtype's range. */
export function deterministicValues(d: TensorDetails, n: number) {
  const out = typedArrayFor(d.dtype, n);
  const range = INTEGER_RANGES[d.dtype];
  for (let i = 0; i < n; i++) {
    if (out instanceof BigInt64Array) out[i] = BigInt(i % 1000);
    else if (range) {
      const [lo, hi] = d.dtype === 'int32' || d.dtype === 'int64' ? [-1000, 1000] : range;
      out[i] = lo + ((i * 37) % (hi - lo + 1));
    } else out[i] = Math.sin(i);
  }
  return out;
}

/** real = scale * (q - zero_point), per tensor. */
export function dequantizeValues(d: TensorDetails, raw: ArrayLike<number | bigint>): Float32Array {
  const out = new Float32Array(raw.length);
  const [scale, zp] = d.quantization;
  const quantized = isQuantizedDetails(d);
  for (let i = 0; i < raw.length; i++) {
    const v = Number(raw[i]);
    out[i] = quantized ? scale * (v - zp) : v;
  }
  return out;
}
