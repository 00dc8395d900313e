// 8-bit MEAN as XNNPACK global average pooling in WebAssembly (assembly/reduce-q8.ts) against the TypeScript loop:
// seeded random int8/uint8 4-D MEANs over W or H and W (either keep_dims), channel counts off the 16-lane blocks,
// bit-identical outputs, and kernelPaths() showing the WebAssembly path ran ('reference' arithmetic stays on js).
import assert from 'node:assert/strict';
import test from 'node:test';
import type { DType } from '../../src/graph/model.js';
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { Rng, chooseQuantParams, perTensor, randomQuantized, singleOpModel, type OpSpec } from '../helpers/conformance.js';

test('MEAN int8/uint8 (XNNPACK global average): WebAssembly bit-identical to the TypeScript loop', () => {
  const rng = new Rng(0x3ea);
  const shapes = [[1, 3, 3, 1280], [1, 7, 7, 19], [2, 5, 4, 33], [1, 1, 1, 16], [3, 2, 9, 7]];
  for (let i = 0; i < 40; i++) {
    const dtype: DType = rng.bool() ? 'int8' : 'uint8';
    const shape = i < shapes.length ? shapes[i] : [rng.int(1, 3), rng.int(1, 8), rng.int(1, 8), rng.int(1, 70)];
    const axes = rng.bool(0.7) ? (rng.bool() ? [1, 2] : [2, 1]) : [2];
    const keepDims = rng.bool();
    const inQ = chooseQuantParams(-rng.float(0.5, 4), rng.float(0.5, 4), dtype);
    // Output scales from a little below to well above the input's: some outputs saturate.
    const outQ = perTensor(inQ.scale * rng.float(0.3, 2), dtype === 'uint8' ? rng.int(0, 255) : rng.int(-128, 127));
    const outFull = shape.map((d, k) => (axes.includes(k) ? 1 : d));
    const spec: OpSpec = {
      op: 'MEAN', version: 2, options: { keepDims },
      inputs: [{ dtype, shape, quantization: perTensor(inQ.scale, inQ.zeroPoint) }, { dtype: 'int32', shape: [axes.length], data: axes }],
      outputs: [{ dtype, shape: keepDims ? outFull : outFull.filter((_, k) => !axes.includes(k)), quantization: outQ }],
    };
    const bytes = writeModel(singleOpModel(spec));
    const input = randomQuantized(rng, shape.reduce((a, b) => a * b, 1), dtype);
    const name = `MEAN ${dtype} [${shape}] axes [${axes}] keepDims ${keepDims}`;
    for (const arithmetic of ['xnnpack', 'reference'] as const) {
      const outputs: number[][] = [];
      for (const kernels of ['wasm', 'typescript'] as const) {
        const it = Interpreter.fromBytes(bytes, { kernels, arithmetic });
        it.setInput(0, input);
        it.invoke();
        it.invoke();
        outputs.push(Array.from(it.getOutput(0) as ArrayLike<number>));
        const want = kernels === 'wasm' && arithmetic === 'xnnpack' ? 'wasm' : 'js';
        assert.deepEqual(it.kernelPaths().map((p) => p.path), [want], `${name} (${arithmetic}, ${kernels}): kernel path`);
      }
      assert.deepEqual(outputs[0], outputs[1], `${name} (${arithmetic}): wasm vs typescript`);
    }
  }
});
