// PAD / PADV2 in WebAssembly (assembly/pad.ts: runs of the input copied, fill between) against the TypeScript
// gather, through the interpreter: seeded random shapes and paddings over every element size the module pads,
// identical outputs, and kernelPaths() showing the WebAssembly path ran (int64 stays on the gather).
import assert from 'node:assert/strict';
import test from 'node:test';
import type { DType } from '../../src/graph/model.js';
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { Rng, perTensor, singleOpModel, type OpSpec } from '../helpers/conformance.js';

function values(rng: Rng, dtype: DType, n: number): number[] {
  if (dtype === 'float32') return Array.from({ length: n }, () => rng.float(-3, 3));
  const [lo, hi] = dtype === 'int8' ? [-128, 127] : dtype === 'uint8' ? [0, 255] : dtype === 'int16' ? [-32768, 32767] : [-100000, 100000];
  return rng.ints(n, lo, hi);
}

function check(spec: OpSpec, input: number[], name: string, expect: 'wasm' | 'js'): void {
  const bytes = writeModel(singleOpModel(spec));
  const outputs: number[][] = [];
  for (const kernels of ['wasm', 'typescript'] as const) {
    const it = Interpreter.fromBytes(bytes, { kernels });
    it.setInput(0, input);
    it.invoke();
    it.invoke();
    outputs.push(Array.from(it.getOutput(0) as ArrayLike<number | bigint>, Number));
    assert.deepEqual(it.kernelPaths().map((p) => p.path), [kernels === 'wasm' ? expect : 'js'], `${name} (${kernels}): kernel path`);
  }
  assert.deepEqual(outputs[0], outputs[1], `${name}: wasm vs typescript`);
}

test('PAD / PADV2: WebAssembly runs identical to the TypeScript gather, every element size', () => {
  const rng = new Rng(0x9ad);
  const dtypes: DType[] = ['int8', 'uint8', 'int16', 'int32', 'float32'];
  const shapes = [[1, 48, 48, 48], [2, 5, 7, 3], [1, 1, 1, 1], [37], [3, 4], [2, 3, 1, 5, 2], [1, 7, 9, 1], [2, 0, 3, 2]];
  for (let i = 0; i < 60; i++) {
    const dtype = rng.pick(dtypes);
    const shape = i < shapes.length ? shapes[i] : Array.from({ length: rng.int(1, 5) }, () => rng.int(1, 6));
    // MobileNet's stride-2 padding (bottom/right by one) first, then random ones, some all zero.
    const pads = i === 0 ? [0, 0, 0, 1, 0, 1, 0, 0] : shape.flatMap(() => (rng.bool(0.3) ? [0, 0] : [rng.int(0, 3), rng.int(0, 3)]));
    const q = dtype === 'float32' || dtype === 'int32' ? null : perTensor(0.05, dtype === 'uint8' ? 131 : dtype === 'int8' ? -7 : 0);
    const padV2 = rng.bool(0.3);
    const inputs: OpSpec['inputs'] = [
      { dtype, shape, quantization: q },
      { dtype: 'int32', shape: [shape.length, 2], data: pads },
    ];
    if (padV2) inputs.push({ dtype, shape: [], quantization: q, data: dtype === 'float32' ? [rng.float(-2, 2)] : [rng.int(-100, 100)] });
    const outShape = shape.map((d, k) => d + pads[2 * k] + pads[2 * k + 1]);
    const spec: OpSpec = { op: padV2 ? 'PADV2' : 'PAD', inputs, outputs: [{ dtype, shape: outShape, quantization: q }] };
    check(spec, values(rng, dtype, shape.reduce((a, b) => a * b, 1)), `${spec.op} ${dtype} [${shape}] pads [${pads}]`, 'wasm');
  }
});

test('PAD of int64 stays on the TypeScript gather (reported as js)', () => {
  const spec: OpSpec = {
    op: 'PAD',
    inputs: [{ dtype: 'int64', shape: [2, 3] }, { dtype: 'int32', shape: [2, 2], data: [1, 0, 0, 2] }],
    outputs: [{ dtype: 'int64', shape: [3, 5] }],
  };
  check(spec, [1, -2, 3, 4, 5, -6], 'PAD int64', 'js');
});
