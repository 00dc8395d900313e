// Interpreter behaviour: errors at construction and on bad input, LSTM state across invocations (vs the official
// runtime run twice), resetVariables, the onTensor hook, resizing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnsupportedError, InputError } from '../../src/errors.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { writeModel } from '../../src/format/index.js';
import { createOfficialRunner, runOfficial } from '../helpers/oracle.js';
import { NO_CORPUS, readCorpus } from '../helpers/corpus.js';
import { Rng, singleOpModel } from '../helpers/conformance.js';
import { GraphBuilder } from '../../src/graph/builder.js';

test('unsupported ops and versions are all reported at construction, naming node, op and version', () => {
  const b = new GraphBuilder();
  const x = b.addInput({ name: 'x', dtype: 'float32', shape: [1, 4] });
  const y = b.addTensor({ name: 'y', dtype: 'float32', shape: [1, 4] });
  const z = b.addTensor({ name: 'z', dtype: 'float32', shape: [1, 4] });
  b.addOp('FULLY_CONNECTED', [x, b.addConstant('w', 'float32', [4, 4], new Float32Array(16))], [y], {}, 99);
  b.addOp('SVDF', [y], [z], {}, 9);
  b.markOutput(z);
  assert.throws(() => Interpreter.fromModel(b.model()), (e: Error) =>
    e instanceof UnsupportedError && /node 0: op FULLY_CONNECTED version 99 is not supported \(supported up to \d+\)/.test(e.message) &&
    /node 1: op SVDF/.test(e.message));
});

test('setInput checks element count and integer range, naming the input', async () => {
  const model = singleOpModel({
    op: 'QUANTIZE', inputs: [{ name: 'img', dtype: 'float32', shape: [1, 3] }],
    outputs: [{ dtype: 'int8', shape: [1, 3], quantization: { scale: [0.5], zeroPoint: [0], quantizedDimension: 0 } }],
  });
  const it = Interpreter.fromModel(model, { arithmetic: 'reference' });
  assert.throws(() => it.setInput(0, [1, 2]), (e: Error) => e instanceof InputError && /'img'.*needs 3 values, got 2/.test(e.message));
  assert.throws(() => it.setInput('nope', [1, 2, 3]), InputError);
  it.setInput('img', [1, -1.25, 100]);
  it.invoke();
  // TFLite's reference QUANTIZE: 1/0.5 = 2; -1.25/0.5 = -2.5 -> -3 (half away from zero); 200 -> clamped 127.
  assert.deepEqual(Array.from(it.getOutput(0) as Int8Array), [2, -3, 127]);
  // The default arithmetic is the official runtime's (XNNPACK: x * float32(1/scale), rounded half to even).
  const xnn = Interpreter.fromModel(model);
  xnn.setInput('img', [1, -1.25, 100]);
  xnn.invoke();
  const [official] = await runOfficial(writeModel(model), [Float32Array.from([1, -1.25, 100])]);
  assert.deepEqual(Array.from(xnn.getOutput(0) as Int8Array), Array.from(official.data as Int8Array));
  assert.deepEqual(Array.from(official.data as Int8Array), [2, -2, 127]);
});

test('onTensor sees the inputs first, then every op output', () => {
  const b = new GraphBuilder();
  const x = b.addInput({ name: 'x', dtype: 'float32', shape: [2] });
  const q = b.addTensor({ name: 'q', dtype: 'int8', shape: [2], quantization: { scale: [0.1], zeroPoint: [0], quantizedDimension: 0 } });
  const d = b.addTensor({ name: 'd', dtype: 'float32', shape: [2] });
  b.addOp('QUANTIZE', [x], [q], {}, 2);
  b.addOp('DEQUANTIZE', [q], [d], {}, 2);
  b.markOutput(d);
  const it = Interpreter.fromModel(b.model());
  it.setInput(0, [0.26, -0.04]);
  const seen: [number, number[]][] = [];
  it.invoke({ onTensor: (i, t) => seen.push([i, Array.from(t.data as Float32Array, Number)]) });
  assert.deepEqual(seen.map((s) => s[0]), [x, q, d]);
  assert.deepEqual(seen[1][1], [3, 0]);
  assert.ok(Math.abs(seen[2][1][0] - 0.3) < 1e-6);
});

test('resizeInput changes only dynamic dimensions and re-plans', () => {
  const model = singleOpModel({
    op: 'FULLY_CONNECTED', inputs: [
      { name: 'x', dtype: 'float32', shape: [1, 3], shapeSignature: [-1, 3] },
      { dtype: 'float32', shape: [2, 3], data: [1, 0, 0, 0, 1, 1] },
    ], outputs: [{ dtype: 'float32', shape: [1, 2] }],
  });
  const it = Interpreter.fromModel(model);
  assert.throws(() => it.resizeInput(0, [2, 4]), InputError);
  it.resizeInput(0, [2, 3]);
  it.setInput(0, [1, 2, 3, 4, 5, 6]);
  it.invoke();
  assert.deepEqual(it.outputDetails()[0].shape, [2, 2]);
  assert.deepEqual(Array.from(it.getOutput(0) as Float32Array), [1, 5, 4, 11]);
});

for (const rel of ['tflite/tflite-micro/trained_lstm.tflite', 'tflite/tflite-micro/trained_lstm_int8.tflite']) {
  test(`LSTM state persists across invocations, resetVariables restores the fresh-state result (${rel})`, { skip: NO_CORPUS }, async () => {
    const bytes = readCorpus(rel);
    const ours = Interpreter.fromBytes(bytes);
    const d = ours.inputDetails()[0];
    const rng = new Rng(11);
    const n = d.shape.reduce((a, b) => a * b, 1);
    // MNIST-like: mostly background, some strokes.
    const x = Array.from({ length: n }, () => { const v = rng.bool(0.2) ? rng.float(0.5, 1) : 0; return d.dtype === 'int8' ? Math.round(v * 255) - 128 : v; });
    const ref = await createOfficialRunner(bytes);
    try {
      ref.setInput(0, x);
      ref.invoke();
      const first = Array.from(ref.getOutputs()[0].data as ArrayLike<number>, Number);
      ours.setInput(0, x);
      ours.invoke();
      const o1 = Array.from(ours.getOutput(0) as ArrayLike<number>, Number);
      const close = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) <= (d.dtype === 'int8' ? 1 : 1e-5));
      assert.ok(close(o1, first), `first invoke ${o1} vs official ${first}`);
      // State carries over: a second invoke on the same input differs, exactly as in the official runtime.
      ref.invoke();
      const second = Array.from(ref.getOutputs()[0].data as ArrayLike<number>, Number);
      ours.invoke();
      const o2 = Array.from(ours.getOutput(0) as ArrayLike<number>, Number);
      assert.notDeepEqual(second, first, 'the official runtime carries state');
      assert.ok(close(o2, second), `second invoke ${o2} vs official ${second}`);
      ours.resetVariables();
      ours.invoke();
      assert.deepEqual(Array.from(ours.getOutput(0) as ArrayLike<number>, Number), o1);
    } finally {
      ref.delete();
    }
  });
}

test('a written and re-read model runs the same (bytes path)', () => {
  const model = singleOpModel({
    op: 'DEQUANTIZE', inputs: [{ dtype: 'int8', shape: [3], quantization: { scale: [0.25], zeroPoint: [1], quantizedDimension: 0 } }],
    outputs: [{ dtype: 'float32', shape: [3] }],
  });
  const it = Interpreter.fromBytes(writeModel(model));
  it.setInput(0, [1, 5, -3]);
  it.invoke();
  assert.deepEqual(Array.from(it.getOutput(0) as Float32Array), [0, 1, -1]);
});
