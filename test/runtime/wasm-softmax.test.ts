// Float SOFTMAX in WebAssembly (float32 exp polynomial, float64 row sum) against the TypeScript loop (double exps):
// random rows of 1 to 1100 values, several rows, beta 0.5 / 1 / 2 / 0.01, wide and narrow ranges, and -Infinity,
// +Infinity and NaN inputs. Stated tolerance: |wasm - ts| <= 1e-6 * |ts| + 1e-7 (the exp's argument (max - x) * beta
// is rounded to float32 first: an absolute error of z * 6e-8 in the exponent, at most 2.2e-8 of the result z e^-z);
// NaN exactly where the TypeScript loop gives NaN.
import assert from 'node:assert/strict';
import test from 'node:test';
import { Rng } from '../helpers/conformance.js';
import { runBoth } from '../helpers/wasm-vs-ts.js';

test('float SOFTMAX: WebAssembly within 1e-6 relative + 1e-7 of the TypeScript loop', () => {
  const rng = new Rng(0x50f7);
  for (let t = 0; t < 120; t++) {
    const depth = t < 8 ? t + 1 : rng.pick([3, 4, 5, 16, 17, 100, 257, 1000, 1001, rng.int(1, 1100)]);
    const outer = rng.pick([1, 1, 2, 3, 5]);
    const beta = rng.pick([1, 1, 0.5, 2, 0.01]);
    const range = rng.pick([1, 10, 100]);
    const x = rng.floats(outer * depth, -range, range);
    if (t % 10 === 9) for (let i = 0; i < x.length; i++) if (rng.bool(0.05)) x[i] = rng.pick([-Infinity, Infinity, NaN, -1e30]);
    const shape = outer === 1 && rng.bool(0.5) ? [depth] : [outer, depth];
    const { wasm, ts, paths } = runBoth({
      op: 'SOFTMAX', options: { beta }, inputs: [{ dtype: 'float32', shape }], outputs: [{ dtype: 'float32', shape }],
    }, [x]);
    assert.deepEqual(paths, ['wasm']);
    for (let i = 0; i < ts.length; i++) {
      const what = `case ${t}: ${outer} x ${depth} beta ${beta} element ${i}: wasm ${wasm[i]} vs ts ${ts[i]}`;
      if (Number.isNaN(ts[i])) assert.ok(Number.isNaN(wasm[i]), what);
      else assert.ok(Math.abs(wasm[i] - ts[i]) <= 1e-6 * Math.abs(ts[i]) + 1e-7, what);
    }
  }
});
