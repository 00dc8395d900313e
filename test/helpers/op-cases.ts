// Random case ingredients shared by the element-wise / activation / data-movement conformance tests.
import type { DType, Quantization } from '../../src/graph/model.js';
import { ConformanceStats, Rng, checkOp, perTensor, randomQuantized, type OpSpec, type TensorArg } from './conformance.js';

export function count(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Random shape of the given rank with dims in [1, maxDim]. */
export function randomShape(rng: Rng, rank: number, maxDim = 5): number[] {
  return Array.from({ length: rank }, () => rng.int(1, maxDim));
}

/** A shape that broadcasts to `shape`: some leading dims dropped, some dims set to 1. */
export function broadcastable(rng: Rng, shape: number[]): number[] {
  const drop = rng.bool(0.3) ? rng.int(0, shape.length) : 0;
  return shape.slice(drop).map((d) => (rng.bool(0.3) ? 1 : d));
}

/** Random activation quantization: asymmetric for 8-bit, symmetric (zp 0) for int16. */
export function randomQuant(rng: Rng, dtype: DType, lo = 0.005, hi = 0.1): Quantization {
  const scale = dtype === 'int16' ? rng.float(lo, hi) / 256 : rng.float(lo, hi);
  const zp = dtype === 'int8' ? rng.int(-30, 30) : dtype === 'uint8' ? rng.int(100, 156) : 0;
  return perTensor(scale, zp);
}

/** Random values for a dtype (quantized: full range; float: [-range, range]). */
export function randomValues(rng: Rng, dtype: DType, n: number, range = 3): number[] | Float32Array {
  switch (dtype) {
    case 'float32': return rng.floats(n, -range, range);
    case 'int32': return rng.ints(n, -100, 100);
    case 'int64': return rng.ints(n, -100, 100);
    case 'bool': return rng.ints(n, 0, 1);
    default: return randomQuantized(rng, n, dtype);
  }
}

/** A model-input tensor arg (with quantization for 8/16-bit dtypes). */
export function inputArg(rng: Rng, dtype: DType, shape: number[], q?: Quantization | null): TensorArg {
  const quant = q !== undefined ? q : dtype === 'int8' || dtype === 'uint8' || dtype === 'int16' ? randomQuant(rng, dtype) : null;
  return { dtype, shape, quantization: quant };
}

/** checkOp with the case description attached to any error (including the official runtime aborting). */
export async function checkCase(name: string, spec: OpSpec, inputs: ArrayLike<number>[], stats: ConformanceStats, label: string, lsb = 1): Promise<void> {
  const desc = `${name} ${JSON.stringify(spec.options ?? {})} inputs ${JSON.stringify(spec.inputs.map((t) => t && [t.dtype, t.shape, t.quantization?.scale[0], t.quantization?.zeroPoint[0]]))} out ${JSON.stringify(spec.outputs.map((t) => [t.shape, t.quantization?.scale[0], t.quantization?.zeroPoint[0]]))}`;
  try {
    await checkOp(desc, spec, inputs, { stats, label, lsb });
  } catch (e) {
    if (e instanceof Error && !e.message.includes(name)) e.message = `${desc}: ${e.message}`;
    throw e;
  }
}
