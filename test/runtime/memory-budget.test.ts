// The interpreter's memory budget: a model whose tensors (or arena, or kernel plans) need more than the limit is
// refused while it is prepared, before the memory is allocated, with a MemoryLimitError naming the tensor; a
// model within it runs as before. Sizes are the tensors' shapes times their element sizes, counted by hand.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, MemoryLimitError } from '../../src/errors.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { DEFAULT_MAX_MEMORY_BYTES, MemoryBudget, parseByteSize, formatByteSize } from '../../src/runtime/budget.js';
import { corpusPath, NO_CORPUS, readCorpus } from '../helpers/corpus.js';
import { fourLiveModel, reluModel, tileModel, variableModel } from '../helpers/hostile-files.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import { writeModel } from '../../src/format/index.js';

const GiB = 1024 ** 3;

/** Builds the interpreter, expecting a MemoryLimitError; returns it with the time taken and the memory grown. */
function refused(bytes: Uint8Array, opts: { maxMemoryBytes?: number; label?: string } = {}) {
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let error: unknown;
  try {
    Interpreter.fromBytes(bytes, opts);
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.ok(error instanceof MemoryLimitError, `expected MemoryLimitError, got ${String(error)}`);
  assert.ok(error instanceof InputError, 'a MemoryLimitError is an InputError (exit 1)');
  const message = (error as Error).message;
  assert.ok(!message.includes('\n'), 'one line');
  return { message, ms, grown };
}

test('an input of [65536, 65536] float32 (16 GiB) is refused at once, naming it, nothing allocated', () => {
  const r = refused(reluModel([65536, 65536]), { label: 'big.tflite' });
  assert.match(r.message, /^big\.tflite: tensor 'x' \[65536,65536\] float32 needs 16 GiB, above the memory limit of 2 GiB/);
  assert.match(r.message, /--max-memory/);
  assert.ok(r.ms < 1000, `${r.ms} ms`);
  assert.ok(r.grown < 64 * 1024 * 1024, `array buffers grew by ${r.grown}`);
});

test('an output set by a kernel (TILE of 8 values x 2^27 = 4 GiB) is refused when its shape is set, before its index map', () => {
  const bytes = tileModel(2 ** 27);
  assert.ok(bytes.length < 600, `the model is ${bytes.length} bytes`);
  const r = refused(bytes);
  assert.match(r.message, /tensor 'tiled' \[1,1073741824\] float32 needs 4 GiB/);
  assert.ok(r.ms < 1000, `${r.ms} ms`);
  assert.ok(r.grown < 64 * 1024 * 1024, `array buffers grew by ${r.grown}`);
});

test('plans count: an int8 TILE output of 1.5 GiB fits as a tensor, not with the 8 bytes per element kernels may plan for it', () => {
  // 8 x 201326592 = 1610612736 int8 elements = 1.5 GiB; index maps and float64 copies take up to 8 bytes each: 12 GiB.
  const r = refused(tileModel(201326592, 'int8'));
  assert.match(r.message, /tensor 'tiled' \[1,1610612736\] int8 \(1\.5 GiB\) with the plans kernels make for it \(8 bytes per element\) needs 12 GiB/);
  assert.ok(r.ms < 1000, `${r.ms} ms`);
  assert.ok(r.grown < 64 * 1024 * 1024, `array buffers grew by ${r.grown}`);
});

test('a kernel\'s index map is counted with the arena: TILE to 1.5 MiB under a 4 MiB limit', () => {
  // Output [1, 393216] float32 = 1.5 MiB. The TypeScript TILE plan holds an int32 map of 393216 entries plus the
  // offsets along each output dimension (1 + 393216 entries): 4 x 786433 bytes = 3 MiB + 4 B. The output itself
  // (1.5 MiB, in the arena) then passes 4 MiB.
  const bytes = tileModel(49152);
  const r = refused(bytes, { maxMemoryBytes: 4 * 1024 * 1024 });
  assert.match(r.message, /tensor 'tiled' \[1,393216\] float32 needs 1\.5 MiB, above the memory limit of 4 MiB with the 3 MiB the model already holds/);
  const it = Interpreter.fromBytes(bytes, { maxMemoryBytes: 5 * 1024 * 1024, kernels: 'typescript' });
  it.setInput(0, [1, 2, 3, 4, 5, 6, 7, 8]);
  it.invoke();
  const out = it.getOutput(0) as Float32Array;
  assert.deepEqual(Array.from(out.subarray(393200)), [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
});

test('activations that are each 1 GiB but live together: the arena is refused at the tensor that passes 2 GiB', () => {
  // x (input, kept to the end), a, c and d are all live at the ADD: placed largest first (all equal, then by first
  // use: x, a, c), the arena reaches 3 GiB at c.
  const bytes = fourLiveModel([1, 256, 1024, 1024]);
  assert.ok(bytes.length < 600, `the model is ${bytes.length} bytes`);
  const r = refused(bytes);
  assert.match(r.message, /the activation arena, up to tensor 'c' \[1,256,1024,1024\] float32, needs 3 GiB, above the memory limit of 2 GiB/);
  assert.ok(r.ms < 1000, `${r.ms} ms`);
  // With the limit raised above 4 GiB the plan would be accepted; a lower limit refuses smaller models the same way.
  const small = refused(fourLiveModel([1, 64, 64, 16]), { maxMemoryBytes: 512 * 1024 });
  assert.match(small.message, /the activation arena, up to tensor 'c' \[1,64,64,16\] float32, needs 768 KiB, above the memory limit of 512 KiB/);
  const fits = Interpreter.fromBytes(fourLiveModel([1, 64, 64, 16]), { maxMemoryBytes: 1024 * 1024 });
  assert.equal(fits.arenaBytes, 4 * 64 * 64 * 16 * 4);
});

test('weights packed into WebAssembly memory are counted beside the constants they come from', (t) => {
  // FULLY_CONNECTED [1,1024] x [1024,1024] float32: the weights are 4 MiB in the file, 4 MiB decoded, and packed
  // again (4 MiB) for the WebAssembly GEMM.
  const b = new GraphBuilder();
  const x = b.addInput({ name: 'x', dtype: 'float32', shape: [1, 1024] });
  const w = b.addConstant('weights', 'float32', [1024, 1024], new Float32Array(1024 * 1024).fill(1 / 1024));
  const y = b.addTensor({ name: 'y', dtype: 'float32', shape: [1, 1024] });
  b.addOp('FULLY_CONNECTED', [x, w, -1], [y]);
  b.markOutput(y);
  const bytes = writeModel(b.model());
  const it = Interpreter.fromBytes(bytes, { maxMemoryBytes: 9 * 1024 * 1024 });
  if (it.kernelPaths()[0].path !== 'wasm') return t.skip('the WebAssembly kernels are unavailable');
  const r = refused(bytes, { maxMemoryBytes: 6 * 1024 * 1024 });
  assert.match(r.message, /the WebAssembly data of node 0 \(FULLY_CONNECTED -> 'y'\) needs 4 MiB, above the memory limit of 6 MiB with the 4 MiB the model already holds/);
  it.setInput(0, new Float32Array(1024).fill(2));
  it.invoke();
  assert.ok(Array.from(it.getOutput(0) as Float32Array).every((v) => Math.abs(v - 2) < 1e-5));
});

test('a variable tensor without data is counted before its storage is made', () => {
  const r = refused(variableModel([1024, 1024, 1024]));
  assert.match(r.message, /tensor 'state' \[1024,1024,1024\] float32 needs 4 GiB/);
});

test('resizeInput is checked at the call; the interpreter keeps working at its old size', () => {
  const it = Interpreter.fromBytes(reluModel([1, 4], [-1, 4]));
  assert.throws(() => it.resizeInput(0, [2 ** 28, 4]), (e: Error) => e instanceof MemoryLimitError && /tensor 'x' \[268435456,4\] float32 needs 4 GiB/.test(e.message));
  it.setInput(0, [-1, 2, -3, 4]);
  it.invoke();
  assert.deepEqual(Array.from(it.getOutput(0) as Float32Array), [0, 2, 0, 4]);
  // A resize within the limit still works.
  it.resizeInput(0, [2, 4]);
  it.setInput(0, [1, -1, 1, -1, 2, -2, 2, -2]);
  it.invoke();
  assert.deepEqual(Array.from(it.getOutput(0) as Float32Array), [1, 0, 1, 0, 2, 0, 2, 0]);
});

test('maxMemoryBytes on a real model: below what it needs is refused naming a tensor, enough runs it', { skip: NO_CORPUS }, () => {
  const bytes = readCorpus('tflite/mlcommons-tiny/pretrainedResnet.tflite');
  const r = refused(bytes, { maxMemoryBytes: 64 * 1024, label: corpusPath('tflite/mlcommons-tiny/pretrainedResnet.tflite') });
  assert.match(r.message, /pretrainedResnet\.tflite: tensor '[^']+' \[[\d,]+\] float32 needs [\d.]+ KiB, above the memory limit of 64 KiB/);
  // Its weights alone are 78,666 float32 values (ResNet-8 for CIFAR-10); 8 MiB holds them, the arena and the plans.
  const it = Interpreter.fromBytes(bytes, { maxMemoryBytes: 8 * 1024 * 1024 });
  it.setInput(0, new Float32Array(32 * 32 * 3).fill(0.5));
  it.invoke();
  assert.equal(it.getOutput(0).length, 10);
});

test('the limit option is checked; sizes parse as the flag takes them', () => {
  assert.throws(() => Interpreter.fromBytes(reluModel([1, 4]), { maxMemoryBytes: 0 }), MemoryLimitError);
  assert.throws(() => Interpreter.fromBytes(reluModel([1, 4]), { maxMemoryBytes: 1.5 }), MemoryLimitError);
  assert.equal(DEFAULT_MAX_MEMORY_BYTES, 2 * GiB);
  assert.equal(parseByteSize('512M'), 512 * 1024 * 1024);
  assert.equal(parseByteSize('4G'), 4 * GiB);
  assert.equal(parseByteSize('1.5GiB'), 1.5 * GiB);
  assert.equal(parseByteSize('100000'), 100000);
  for (const bad of ['', 'abc', '-1G', '0', '4X', '1e9']) assert.equal(parseByteSize(bad), null, bad);
  assert.equal(formatByteSize(3 * GiB), '3 GiB');
  assert.equal(formatByteSize(1536), '1.5 KiB');
  const b = new MemoryBudget(1000);
  b.charge(600, 'first');
  assert.throws(() => b.charge(401, 'second'), /second needs 401 B, above the memory limit of 1000 B with the 600 B the model already holds/);
  b.charge(400, 'third');
  assert.equal(b.used, 1000);
});
