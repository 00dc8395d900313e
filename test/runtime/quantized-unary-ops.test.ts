// Quantized ABS (int8, int16) and RSQRT (int8) vs the official TFLite runtime: every raw input value, over seeded
// random input/output quantizations. ELU and GELU int8 are covered by activation-ops / int16-gelu-div-ops.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DType } from '../../src/graph/model.js';
import { ConformanceStats, Rng, perTensor, runOurs, singleOpModel, type OpSpec } from '../helpers/conformance.js';
import { writeModel } from '../../src/format/index.js';
import { InputError } from '../../src/errors.js';
import { checkCase } from '../helpers/op-cases.js';

const stats = new ConformanceStats();
after(() => stats.print());

const CASES = 12;

function spec(op: string, version: number, dtype: DType, n: number, si: number, zi: number, so: number, zo: number): OpSpec {
  return {
    op, version,
    inputs: [{ dtype, shape: [n], quantization: perTensor(si, zi) }],
    outputs: [{ dtype, shape: [n], quantization: perTensor(so, zo) }],
  };
}

test('ABS int8 (version 2): every input value, rescaled and same-scale', async () => {
  for (let c = 0; c < CASES; c++) {
    const rng = new Rng(9100 + c);
    const si = rng.float(0.005, 0.1), zi = rng.int(-60, 60);
    // Every 4th case keeps the input's scale (no rescale); the others take the output range |x| needs, +-50 %.
    const so = c % 4 === 0 ? si : (si * rng.float(0.5, 1.5)) / 2;
    const zo = c % 4 === 0 ? zi : rng.int(-128, -100);
    const values = Array.from({ length: 256 }, (_, i) => i - 128);
    await checkCase(`ABS int8 case ${c}`, spec('ABS', 2, 'int8', 256, si, zi, so, zo), [values], stats, 'ABS int8', 0);
  }
});

test('ABS int16 (version 3, zero points 0): random values', async () => {
  for (let c = 0; c < CASES; c++) {
    const rng = new Rng(9200 + c);
    const si = rng.float(0.005, 0.1) / 256;
    const so = c % 4 === 0 ? si : si * rng.float(0.3, 1.5);
    const values = Array.from({ length: 512 }, () => rng.int(-32768, 32767));
    await checkCase(`ABS int16 case ${c}`, spec('ABS', 3, 'int16', 512, si, 0, so, 0), [values], stats, 'ABS int16', 0);
  }
});

test('RSQRT int8 (version 2): every non-negative input value', async () => {
  for (let c = 0; c < CASES; c++) {
    const rng = new Rng(9300 + c);
    const si = rng.float(0.001, 0.1), zi = c % 3 === 0 ? -128 : rng.int(-128, 60);
    // Output covering 1/sqrt over the positive inputs from about 2 LSB up (the zero input saturates to 127).
    const hi = 1 / Math.sqrt(si * rng.float(1, 4));
    const so = hi / 255, zo = -128;
    const values = Array.from({ length: 128 - zi }, (_, i) => zi + i);
    await checkCase(`RSQRT int8 case ${c}`, spec('RSQRT', 2, 'int8', values.length, si, zi, so, zo), [values], stats, 'RSQRT int8', 0);
  }
});

test('RSQRT int8 of a value below the zero point is a typed error (the official runtime fails too)', () => {
  const bytes = writeModel(singleOpModel(spec('RSQRT', 2, 'int8', 2, 0.05, 0, 0.01, -128)));
  assert.throws(() => runOurs(bytes, [[3, -1]]), (e: Error) => e instanceof InputError && /RSQRT/.test(e.message));
});
