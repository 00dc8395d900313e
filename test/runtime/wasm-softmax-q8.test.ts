// 8-bit SOFTMAX in WebAssembly (assembly/softmax-q8.ts) against the TypeScript loop: seeded random int8 -> int8 and
// uint8 -> uint8 rows (uint8's truncating rounding), depths off the 16-lane blocks, several rows, betas and scales,
// bit-identical outputs, and kernelPaths() showing the WebAssembly path ran (int8 -> int16 stays on js).
import assert from 'node:assert/strict';
import test from 'node:test';
import type { DType } from '../../src/graph/model.js';
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { Rng, perTensor, randomQuantized, singleOpModel, type OpSpec } from '../helpers/conformance.js';

function check(spec: OpSpec, input: number[], name: string, expect: 'wasm' | 'js'): void {
  const bytes = writeModel(singleOpModel(spec));
  const outputs: number[][] = [];
  for (const kernels of ['wasm', 'typescript'] as const) {
    const it = Interpreter.fromBytes(bytes, { kernels });
    it.setInput(0, input);
    it.invoke();
    it.invoke();
    outputs.push(Array.from(it.getOutput(0) as ArrayLike<number>));
    assert.deepEqual(it.kernelPaths().map((p) => p.path), [kernels === 'wasm' ? expect : 'js'], `${name} (${kernels}): kernel path`);
  }
  assert.deepEqual(outputs[0], outputs[1], `${name}: wasm vs typescript`);
}

test('SOFTMAX int8/uint8: WebAssembly bit-identical to the TypeScript loop', () => {
  const rng = new Rng(0x50f);
  for (let i = 0; i < 40; i++) {
    const dtype: DType = rng.bool() ? 'int8' : 'uint8';
    const shape = i === 0 ? [1, 1000] : rng.bool(0.5) ? [rng.int(1, 4), rng.int(1, 70)] : [2, rng.int(1, 3), rng.int(1, 40)];
    const n = shape.reduce((a, b) => a * b, 1);
    // Narrow inputs (many equal maxima, outputs saturating) to wide ones.
    const inScale = rng.pick([0.005, 0.05, 0.2, 1]);
    const spec: OpSpec = {
      op: 'SOFTMAX', options: { beta: rng.pick([1, 1, 0.5, 2.3]) },
      inputs: [{ dtype, shape, quantization: perTensor(inScale, dtype === 'int8' ? rng.int(-20, 20) : rng.int(100, 150)) }],
      outputs: [{ dtype, shape, quantization: perTensor(rng.pick([1 / 256, 1 / 256, 1 / 100]), dtype === 'int8' ? -128 : 0) }],
    };
    const input = rng.bool(0.2) ? new Array<number>(n).fill(dtype === 'int8' ? 5 : 130) : randomQuantized(rng, n, dtype);
    check(spec, input, `SOFTMAX ${dtype} [${shape}] case ${i}`, 'wasm');
  }
  const int16Out: OpSpec = {
    op: 'SOFTMAX', options: { beta: 1 },
    inputs: [{ dtype: 'int8', shape: [1, 20], quantization: perTensor(0.1, 0) }],
    outputs: [{ dtype: 'int16', shape: [1, 20], quantization: perTensor(1 / 32768, 0) }],
  };
  check(int16Out, randomQuantized(rng, 20, 'int8'), 'SOFTMAX int8 -> int16', 'js');
});
