// The interpreter's two integer arithmetics on one-op int8 FULLY_CONNECTED models:
// 'xnnpack' (default) must equal the official runtime (which runs it through XNNPACK) exactly; 'reference' must equal
// TFLite's reference arithmetic computed here independently with BigInt (MultiplyByQuantizedMultiplier, double rounding).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { Rng, perTensor, runReference, singleOpModel, type OpSpec } from '../helpers/conformance.js';

/** TFLite reference: (acc * 2^left) high-mul by q (round half away from zero), then rounding right shift. */
function referenceRequantize(acc: number, real: number): number {
  let shift = Math.floor(Math.log2(real)) + 1;
  let q = Math.round(real * Math.pow(2, 31 - shift));
  if (q === 2 ** 31) { q /= 2; shift++; }
  const left = BigInt(Math.max(shift, 0));
  const right = BigInt(Math.max(-shift, 0));
  const ab = (BigInt(acc) << left) * BigInt(q);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  const high = (ab + nudge) / (1n << 31n); // truncates toward zero
  if (right === 0n) return Number(high);
  const mask = (1n << right) - 1n;
  const rem = high & mask;
  const threshold = (mask >> 1n) + (high < 0n ? 1n : 0n);
  return Number((high >> right) + (rem > threshold ? 1n : 0n));
}

test('arithmetic option: xnnpack equals the official runtime, reference equals independent TFLite arithmetic', async () => {
  const rng = new Rng(0xa417);
  let elements = 0, refDiffersFromXnn = 0;
  for (let c = 0; c < 40; c++) {
    const depth = rng.int(4, 64), units = rng.int(8, 48);
    const si = Math.fround(rng.float(0.005, 0.05)), sw = Math.fround(rng.float(0.002, 0.02));
    const so = Math.fround(si * sw * Math.sqrt(depth) * rng.float(20, 60));
    const zi = rng.int(-20, 20), zo = rng.int(-20, 20);
    const w = rng.ints(units * depth, -127, 127);
    const bias = rng.ints(units, -2000, 2000);
    const x = rng.ints(depth, -128, 127);
    const spec: OpSpec = {
      op: 'FULLY_CONNECTED', version: 4, options: { fusedActivationFunction: 'NONE' },
      inputs: [{ dtype: 'int8', shape: [1, depth], quantization: perTensor(si, zi) },
        { dtype: 'int8', shape: [units, depth], data: w, quantization: perTensor(sw, 0) },
        { dtype: 'int32', shape: [units], data: bias, quantization: perTensor(si * sw, 0) }],
      outputs: [{ dtype: 'int8', shape: [1, units], quantization: perTensor(so, zo) }],
    };
    const bytes = writeModel(singleOpModel(spec));
    const official = (await runReference(bytes, [x]))[0].data;
    const run = (arithmetic: 'xnnpack' | 'reference') => {
      const it = Interpreter.fromBytes(bytes, { arithmetic });
      it.setInput(0, x);
      it.invoke();
      return it.getOutput(0);
    };
    const xnn = run('xnnpack');
    const ref = run('reference');
    const real = Math.fround(si * sw) / so; // GetQuantizedConvolutionMultipler: float32 product, double quotient
    for (let n = 0; n < units; n++) {
      let acc = bias[n];
      for (let k = 0; k < depth; k++) acc += (x[k] - zi) * w[n * depth + k];
      const expected = Math.max(-128, Math.min(127, referenceRequantize(acc, real) + zo));
      assert.equal(ref[n], expected, `case ${c} unit ${n}: reference arithmetic`);
      assert.equal(xnn[n], official[n], `case ${c} unit ${n}: xnnpack arithmetic vs official`);
      elements++;
      if (ref[n] !== xnn[n]) refDiffersFromXnn++;
    }
  }
  console.log(`[arithmetic] ${elements} elements; reference and xnnpack arithmetic differ on ${refDiffersFromXnn}`);
  assert.throws(() => Interpreter.fromBytes(writeModel(singleOpModel({
    op: 'ADD', inputs: [{ dtype: 'float32', shape: [1] }, { dtype: 'float32', shape: [1] }], outputs: [{ dtype: 'float32', shape: [1] }],
  })), { arithmetic: 'fast' as never }), /arithmetic must be/);
});
