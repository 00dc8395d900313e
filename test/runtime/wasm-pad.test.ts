// PAD / PADV2 in WebAssembly (row copies and block fills) against the TypeScript index-map gather: bit-identical on
// random shapes of rank 1 to 6, paddings of 0 to 3 per side, every arena dtype width, zero-point and constant
// fills; the WebAssembly path must run wherever the shape reduces to four dimensions.
import assert from 'node:assert/strict';
import test from 'node:test';
import type { DType } from '../../src/graph/model.js';
import { Rng, perTensor, type TensorArg } from '../helpers/conformance.js';
import { runBoth } from '../helpers/wasm-vs-ts.js';

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Dimensions left after merging each unpadded dimension into the one before it. */
function mergedRank(pads: number[]): number {
  let rank = 0;
  for (let i = 0; i < pads.length / 2; i++) if (i === 0 || pads[2 * i] !== 0 || pads[2 * i + 1] !== 0) rank++;
  return rank;
}

function values(rng: Rng, dtype: DType, n: number): number[] {
  switch (dtype) {
    case 'float32': return Array.from(rng.floats(n, -5, 5));
    case 'int8': return rng.ints(n, -128, 127);
    case 'uint8': return rng.ints(n, 0, 255);
    case 'int16': return rng.ints(n, -32768, 32767);
    default: return rng.ints(n, -100000, 100000);
  }
}

test('PAD / PADV2: WebAssembly block copies bit-identical to the TypeScript gather', () => {
  const rng = new Rng(0x9ad);
  const dtypes: DType[] = ['float32', 'int8', 'uint8', 'int16', 'int32'];
  let wasmCases = 0;
  for (let t = 0; t < 240; t++) {
    const dtype = dtypes[t % dtypes.length];
    const op = rng.bool(0.3) ? 'PADV2' : 'PAD';
    const rank = rng.int(1, 6);
    const shape = Array.from({ length: rank }, () => rng.int(1, 6));
    const pads = shape.flatMap(() => (rng.bool(0.4) ? [0, 0] : [rng.int(0, 3), rng.int(0, 3)]));
    const q = dtype === 'int8' || dtype === 'uint8' || dtype === 'int16'
      ? perTensor(0.05, dtype === 'int16' ? 0 : rng.int(dtype === 'int8' ? -128 : 0, dtype === 'int8' ? 127 : 255)) : null;
    const inputs: TensorArg[] = [{ dtype, shape, quantization: q }, { dtype: 'int32', shape: [rank, 2], data: pads }];
    if (op === 'PADV2') {
      const fill = dtype === 'float32' ? Math.fround(rng.float(-2, 2)) : values(rng, dtype, 1)[0];
      inputs.push({ dtype, shape: [], quantization: q, data: [fill] });
    }
    const outShape = shape.map((d, i) => d + pads[2 * i] + pads[2 * i + 1]);
    const { wasm, ts, paths } = runBoth({ op, inputs, outputs: [{ dtype, shape: outShape, quantization: q }] },
      [values(rng, dtype, count(shape))]);
    const what = `${op} ${dtype} [${shape}] pads [${pads}]`;
    if (mergedRank(pads) <= 4) {
      assert.equal(paths[0], 'wasm', `${what}: the WebAssembly path should run`);
      wasmCases++;
    }
    assert.equal(wasm.length, ts.length, what);
    for (let i = 0; i < ts.length; i++) if (!Object.is(wasm[i], ts[i])) assert.fail(`${what}: element ${i}: wasm ${wasm[i]} vs ts ${ts[i]}`);
  }
  assert.ok(wasmCases > 150, `only ${wasmCases} cases ran in WebAssembly`);
});
