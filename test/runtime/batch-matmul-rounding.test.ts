// int8 BATCH_MATMUL requantization as the official runtime does it: its optimized kernel goes through its GEMM
// library, which rounds (acc * multiplier) once, not twice as TFLite's reference MultiplyByQuantizedMultiplier
// does; the two differ by 1 on a few outputs per thousand at attention-like sizes (depth 32, zero points on both
// operands, a small multiplier), which this case has enough outputs to show.
import { test } from 'node:test';
import { Rng, checkOp, perTensor } from '../helpers/conformance.js';

test('int8 BATCH_MATMUL [1,64,32] x [1,64,32]^T and x [1,32,48]: bit-exact with the official runtime (one rounding)', async () => {
  const rng = new Rng(0x5eed);
  for (const adjY of [true, false]) {
    const lhs = { dtype: 'int8' as const, shape: [1, 64, 32], quantization: perTensor(0.0262, 6) };
    const rhsShape = adjY ? [1, 64, 32] : [1, 32, 48];
    const rhs = { dtype: 'int8' as const, shape: rhsShape, quantization: perTensor(0.0260, 2) };
    const n = adjY ? 64 : 48;
    const out = { dtype: 'int8' as const, shape: [1, 64, n], quantization: perTensor(0.226, -9) };
    const inputs = [rng.ints(64 * 32, -40, 40), rng.ints(rhsShape.reduce((a, b) => a * b, 1), -40, 40)];
    await checkOp(`BATCH_MATMUL int8 adjY=${adjY}`, { op: 'BATCH_MATMUL', version: 2, options: { adjX: false, adjY, asymmetricQuantizeInputs: false }, inputs: [lhs, rhs], outputs: [out] }, inputs, { lsb: 0 });
  }
});
