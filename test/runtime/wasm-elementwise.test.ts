// Element-wise ops, pooling and reductions: the WebAssembly kernels (kernels: 'wasm') against the TypeScript loops
// (kernels: 'typescript') on seeded random one-op models. Every kernel here reproduces the TypeScript loops'
// roundings step by step, so outputs must be bit-identical (float and 8-bit alike): binary float ops with same
// shapes, scalars, per-channel and per-row broadcasts, odd lengths, constant operands, NaN / -0 / infinities and
// fused activations; XNNPACK's 8-bit ADD/SUB/MUL on full 256x256 sweeps; float clamps and LEAKY_RELU, float and
// quantized pooling, reductions; QUANTIZE / DEQUANTIZE. Except HARD_SWISH, LOGISTIC and TANH: tolerance stated at
// their test.
// Also: setInput's typed-array copies keep every check of the value loops.
import assert from 'node:assert/strict';
import test from 'node:test';
import type { DType } from '../../src/graph/model.js';
import { InputError } from '../../src/errors.js';
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { binaryView } from '../../src/runtime/kernels/binary-wasm.js';
import { Rng, perTensor, singleOpModel, type OpSpec } from '../helpers/conformance.js';
import { runBoth } from '../helpers/wasm-vs-ts.js';

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Floats in [-3, 3] with a few special values (NaN, -0, 0, +-Infinity) sprinkled in. */
function floatsWithSpecials(rng: Rng, n: number): Float32Array {
  const out = rng.floats(n, -3, 3);
  const specials = [NaN, -0, 0, Infinity, -Infinity, 6, -1, 1];
  for (let i = 0; i < n; i++) if (rng.bool(0.05)) out[i] = rng.pick(specials);
  return out;
}

function sameBits(wasm: Float64Array, ts: Float64Array, what: string): void {
  assert.equal(wasm.length, ts.length, what);
  for (let i = 0; i < ts.length; i++) {
    if (!Object.is(wasm[i], ts[i])) assert.fail(`${what}: element ${i}: wasm ${wasm[i]} vs ts ${ts[i]}`);
  }
}

/** Output shape and a pair of operand shapes with the broadcast kinds the module covers (and some it does not). */
function broadcastShapes(rng: Rng): { out: number[]; a: number[]; b: number[] } {
  const rank = rng.int(1, 4);
  const out = Array.from({ length: rank }, () => rng.pick([1, 2, 3, 5, 7, 8, 13, 16, 17, 33]));
  const kind = rng.int(0, 5);
  let b: number[];
  if (kind === 0) b = out.slice();
  else if (kind === 1) b = rng.bool(0.5) ? [1] : out.map(() => 1);
  else if (kind === 2) b = out.slice(rng.int(1, rank)); // trailing dims: per-channel
  else if (kind === 3) b = out.map((d, i) => (i === rank - 1 ? 1 : d)); // per-row value
  else if (kind === 4) b = out.map((d) => (rng.bool(0.5) ? 1 : d)); // anything
  else b = [];
  if (b.length === 0) b = [1];
  return rng.bool(0.5) ? { out, a: out.slice(), b } : { out, a: b, b: out.slice() };
}

test('float ADD/SUB/MUL/DIV/MAXIMUM/MINIMUM/SQUARED_DIFFERENCE: WebAssembly bit-identical to the TypeScript loops', () => {
  const rng = new Rng(4242);
  const ops = ['ADD', 'SUB', 'MUL', 'DIV', 'MAXIMUM', 'MINIMUM', 'SQUARED_DIFFERENCE'];
  let wasmCases = 0;
  for (let t = 0; t < 300; t++) {
    const op = ops[t % ops.length];
    const { a, b } = broadcastShapes(rng);
    const act = ['ADD', 'SUB', 'MUL', 'DIV'].includes(op) ? rng.pick(['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1']) : 'NONE';
    const constB = rng.bool(0.25);
    const va = floatsWithSpecials(rng, count(a));
    const vb = floatsWithSpecials(rng, count(b));
    const spec: OpSpec = {
      op, options: act === 'NONE' ? {} : { fusedActivationFunction: act },
      inputs: [{ dtype: 'float32', shape: a }, constB ? { dtype: 'float32', shape: b, data: Array.from(vb) } : { dtype: 'float32', shape: b }],
      outputs: [{ dtype: 'float32', shape: [1] }],
    };
    const out = a.length >= b.length ? a.map((d, i) => Math.max(d, b[i - (a.length - b.length)] ?? 1)) : b.map((d, i) => Math.max(d, a[i - (b.length - a.length)] ?? 1));
    const expected = binaryView(a, b, out) ? 'wasm' : 'js';
    const r = runBoth(spec, constB ? [va] : [va, vb]);
    assert.deepEqual(r.paths, [expected], `${op} [${a}] [${b}]`);
    if (expected === 'wasm') wasmCases++;
    sameBits(r.wasm, r.ts, `case ${t}: ${op} ${act} [${a}] with [${b}]${constB ? ' (constant)' : ''}`);
  }
  assert.ok(wasmCases > 200, `most cases run in WebAssembly (${wasmCases})`);
});

test('an operand held in a variable tensor (outside the arena) keeps the TypeScript loops, reported as such', () => {
  const spec: OpSpec = {
    op: 'ADD', options: { fusedActivationFunction: 'RELU' },
    inputs: [{ dtype: 'float32', shape: [2, 3] }, { dtype: 'float32', shape: [3], data: [0.5, -1, 2], isVariable: true }],
    outputs: [{ dtype: 'float32', shape: [2, 3] }],
  };
  const r = runBoth(spec, [[1, 2, 3, -4, 5, -6]]);
  assert.deepEqual(r.paths, ['js']);
  assert.deepEqual(Array.from(r.wasm), [1.5, 1, 5, 0, 4, 0]);
  assert.deepEqual(Array.from(r.ts), [1.5, 1, 5, 0, 4, 0]);
});

test('binaryView: same shapes, scalars, trailing per-channel vectors and per-row values; others left to TypeScript', () => {
  assert.deepEqual(binaryView([2, 3, 4], [2, 3, 4], [2, 3, 4]), { outer: 1, inner: 24, aMode: 0, bMode: 0 });
  assert.deepEqual(binaryView([2, 3, 4], [1], [2, 3, 4]), { outer: 1, inner: 24, aMode: 0, bMode: 2 });
  assert.deepEqual(binaryView([1, 5, 5, 8], [8], [1, 5, 5, 8]), { outer: 25, inner: 8, aMode: 0, bMode: 1 });
  assert.deepEqual(binaryView([1, 1, 1, 8], [1, 5, 5, 8], [1, 5, 5, 8]), { outer: 25, inner: 8, aMode: 1, bMode: 0 });
  assert.deepEqual(binaryView([1, 5, 5, 8], [1, 5, 5, 1], [1, 5, 5, 8]), { outer: 25, inner: 8, aMode: 0, bMode: 3 });
  assert.equal(binaryView([2, 5, 8], [2, 1, 8], [2, 5, 8]), null);
  assert.deepEqual(binaryView([5, 1], [1, 8], [5, 8]), { outer: 5, inner: 8, aMode: 3, bMode: 1 });
  assert.equal(binaryView([3, 1, 5], [1, 4, 5], [3, 4, 5]), null);
});

function quantizedCase(rng: Rng, dtype: 'int8' | 'uint8', op: 'ADD' | 'SUB' | 'MUL', a: number[], b: number[]): OpSpec {
  const zp = () => (dtype === 'int8' ? rng.int(-40, 40) : rng.int(90, 160));
  const act = rng.pick(['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1']);
  const out = a.length >= b.length ? a : b;
  return {
    op, options: { fusedActivationFunction: act },
    inputs: [
      { dtype, shape: a, quantization: perTensor(rng.float(0.005, 0.1), zp()) },
      { dtype, shape: b, quantization: perTensor(rng.float(0.005, 0.1), zp()) },
    ],
    outputs: [{ dtype, shape: out, quantization: perTensor(rng.float(0.01, 0.2), zp()) }],
  };
}

test('8-bit ADD/SUB/MUL (XNNPACK arithmetic): WebAssembly bit-identical to the TypeScript loops on full 256x256 sweeps', () => {
  const rng = new Rng(99);
  for (let t = 0; t < 36; t++) {
    const dtype = t % 2 === 0 ? 'int8' : 'uint8';
    const op = (['ADD', 'SUB', 'MUL'] as const)[Math.floor(t / 2) % 3];
    const lo = dtype === 'int8' ? -128 : 0;
    // Every (a, b) pair once, plus an odd tail.
    const n = 65536 + rng.int(0, 15);
    const va = Array.from({ length: n }, (_, i) => ((i >> 8) & 255) + lo);
    const vb = Array.from({ length: n }, (_, i) => (i & 255) + lo);
    const spec = quantizedCase(rng, dtype, op, [1, n], [1, n]);
    const r = runBoth(spec, [va, vb]);
    assert.deepEqual(r.paths, ['wasm']);
    sameBits(r.wasm, r.ts, `${dtype} ${op} ${JSON.stringify(spec.options)} scales ${spec.inputs.map((x) => x!.quantization!.scale[0])}`);
  }
});

test('8-bit ADD/SUB/MUL with broadcasts and odd lengths: WebAssembly bit-identical, constant operands included', () => {
  const rng = new Rng(123);
  for (let t = 0; t < 120; t++) {
    const dtype = rng.bool(0.5) ? 'int8' : 'uint8';
    const { a, b } = broadcastShapes(rng);
    const spec = quantizedCase(rng, dtype, rng.pick(['ADD', 'SUB', 'MUL'] as const), a, b);
    const out = a.length >= b.length ? a.map((d, i) => Math.max(d, b[i - (a.length - b.length)] ?? 1)) : b.map((d, i) => Math.max(d, a[i - (b.length - a.length)] ?? 1));
    spec.outputs[0].shape = out;
    const lo = dtype === 'int8' ? -128 : 0;
    const va = rng.ints(count(a), lo, lo + 255);
    const vb = rng.ints(count(b), lo, lo + 255);
    const constB = rng.bool(0.3);
    if (constB) spec.inputs[1] = { ...spec.inputs[1]!, data: vb };
    const r = runBoth(spec, constB ? [va] : [va, vb]);
    assert.deepEqual(r.paths, [binaryView(a, b, out) ? 'wasm' : 'js'], `[${a}] [${b}]`);
    sameBits(r.wasm, r.ts, `case ${t}: ${dtype} ${spec.op} [${a}] with [${b}]`);
  }
});

test('float RELU/RELU6/RELU_N1_TO_1/RELU_0_TO_1/LEAKY_RELU: WebAssembly bit-identical', () => {
  const rng = new Rng(5);
  const ops = ['RELU', 'RELU6', 'RELU_N1_TO_1', 'RELU_0_TO_1', 'LEAKY_RELU'];
  for (let t = 0; t < 50; t++) {
    const op = ops[t % ops.length];
    const shape = [1, rng.int(1, 9), rng.int(1, 9), rng.int(1, 19)];
    const x = floatsWithSpecials(rng, count(shape));
    const spec: OpSpec = {
      op, options: op === 'LEAKY_RELU' ? { alpha: rng.float(0.01, 0.5) } : {},
      inputs: [{ dtype: 'float32', shape }], outputs: [{ dtype: 'float32', shape }],
    };
    const r = runBoth(spec, [x]);
    assert.deepEqual(r.paths, ['wasm'], op);
    sameBits(r.wasm, r.ts, `${op} [${shape}]`);
  }
});

// HARD_SWISH multiplies by float32(1/6) where the TypeScript loop divides by 6 (1 float32 ulp apart at most);
// LOGISTIC and TANH use a float32 exp polynomial against the TypeScript loops' double Math.exp / Math.tanh (at most
// 4 ulps apart where the result is a normal float32; LOGISTIC below x = -87 gives 0 for subnormal results).
// Stated tolerance: |wasm - ts| <= 5e-7 * |ts| + 2e-38; NaN where the TypeScript loop gives NaN.
test('float HARD_SWISH / LOGISTIC / TANH: WebAssembly within 5e-7 relative of the TypeScript loops', () => {
  const rng = new Rng(6);
  for (const op of ['HARD_SWISH', 'LOGISTIC', 'TANH']) {
    // A dense sweep over the interesting range, the far tails, tiny magnitudes and special values.
    const xs: number[] = [];
    for (let x = -30; x <= 30; x += 0.00731) xs.push(x);
    for (let k = -40; k <= 2; k += 0.05) xs.push(10 ** k, -(10 ** k));
    xs.push(-3, 3, 0.25, -0.25, 87, -87, 88, -88, -100, 100, 1e30, -1e30, 0, -0, NaN, Infinity, -Infinity);
    for (let i = 0; i < 999; i++) xs.push(rng.float(-12, 12));
    const x = Float32Array.from(xs);
    const shape = [1, x.length];
    const r = runBoth({ op, inputs: [{ dtype: 'float32', shape }], outputs: [{ dtype: 'float32', shape }] }, [x]);
    assert.deepEqual(r.paths, ['wasm'], op);
    for (let i = 0; i < x.length; i++) {
      const a = r.wasm[i], b = r.ts[i];
      if (Number.isNaN(b)) {
        assert.ok(Number.isNaN(a), `${op}(${x[i]}): wasm ${a}, ts NaN`);
        continue;
      }
      if (!(a === b || Math.abs(a - b) <= 5e-7 * Math.abs(b) + 2e-38)) assert.fail(`${op}(${x[i]}): wasm ${a} vs ts ${b}`);
    }
  }
});

test('float AVERAGE_POOL_2D / MAX_POOL_2D: WebAssembly bit-identical (strides, SAME/VALID padding, activations)', () => {
  const rng = new Rng(31);
  for (let t = 0; t < 80; t++) {
    const op = t % 2 === 0 ? 'AVERAGE_POOL_2D' : 'MAX_POOL_2D';
    const shape = [rng.int(1, 2), rng.int(1, 12), rng.int(1, 12), rng.int(1, 21)];
    const fh = rng.int(1, Math.min(4, shape[1])), fw = rng.int(1, Math.min(4, shape[2]));
    const x = floatsWithSpecials(rng, count(shape));
    const spec: OpSpec = {
      op,
      options: { padding: rng.pick(['SAME', 'VALID']), strideH: rng.int(1, 3), strideW: rng.int(1, 3), filterHeight: fh, filterWidth: fw,
        fusedActivationFunction: rng.pick(['NONE', 'RELU', 'RELU6']) },
      inputs: [{ dtype: 'float32', shape }], outputs: [{ dtype: 'float32', shape: [1] }],
    };
    const r = runBoth(spec, [x]);
    assert.deepEqual(r.paths, ['wasm'], op);
    sameBits(r.wasm, r.ts, `${op} ${JSON.stringify(spec.options)} [${shape}]`);
  }
});

test('quantized AVERAGE_POOL_2D / MAX_POOL_2D (int8, uint8, int16): WebAssembly bit-identical', () => {
  const rng = new Rng(32);
  for (let t = 0; t < 90; t++) {
    const op = t % 2 === 0 ? 'AVERAGE_POOL_2D' : 'MAX_POOL_2D';
    const dtype = (['int8', 'uint8', 'int16'] as const)[Math.floor(t / 2) % 3];
    const shape = [rng.int(1, 2), rng.int(1, 12), rng.int(1, 12), rng.int(1, 21)];
    const fh = rng.int(1, Math.min(5, shape[1])), fw = rng.int(1, Math.min(5, shape[2]));
    const q = perTensor(rng.float(0.01, 0.1), dtype === 'int8' ? rng.int(-20, 20) : dtype === 'uint8' ? rng.int(100, 150) : 0);
    const [lo, hi] = dtype === 'int8' ? [-128, 127] : dtype === 'uint8' ? [0, 255] : [-32768, 32767];
    const spec: OpSpec = {
      op,
      options: { padding: rng.pick(['SAME', 'VALID']), strideH: rng.int(1, 3), strideW: rng.int(1, 3), filterHeight: fh, filterWidth: fw,
        fusedActivationFunction: rng.pick(['NONE', 'RELU', 'RELU6']) },
      inputs: [{ dtype, shape, quantization: q }], outputs: [{ dtype, shape: [1], quantization: q }],
    };
    const r = runBoth(spec, [rng.ints(count(shape), lo, hi)]);
    assert.deepEqual(r.paths, ['wasm'], `${op} ${dtype}`);
    sameBits(r.wasm, r.ts, `${op} ${dtype} ${JSON.stringify(spec.options)} [${shape}]`);
  }
});

test('float MEAN/SUM/REDUCE_MAX/REDUCE_MIN over a block of axes: WebAssembly bit-identical', () => {
  const rng = new Rng(77);
  const ops = ['MEAN', 'SUM', 'REDUCE_MAX', 'REDUCE_MIN'];
  let wasmCases = 0;
  for (let t = 0; t < 80; t++) {
    const op = ops[t % ops.length];
    const rank = rng.int(1, 4);
    const shape = Array.from({ length: rank }, () => rng.pick([1, 2, 3, 5, 8, 9, 17]));
    // Mostly global pooling (H, W of NHWC), then random axis sets (some not one block: the TypeScript loop).
    const axes = rank === 4 && rng.bool(0.5) ? [1, 2] : Array.from({ length: rng.int(1, rank) }, () => rng.int(-rank, rank - 1));
    const x = op === 'MEAN' || op === 'SUM' ? rng.floats(count(shape), -3, 3) : floatsWithSpecials(rng, count(shape));
    const spec: OpSpec = {
      op, options: { keepDims: rng.bool(0.5) },
      inputs: [{ dtype: 'float32', shape }, { dtype: 'int32', shape: [axes.length], data: axes }],
      outputs: [{ dtype: 'float32', shape: [1] }],
    };
    const r = runBoth(spec, [x]);
    if (rank === 4 && axes.length === 2 && axes[0] === 1 && axes[1] === 2) assert.deepEqual(r.paths, ['wasm'], `${op} [${shape}] axes ${axes}`);
    if (r.paths[0] === 'wasm') wasmCases++;
    sameBits(r.wasm, r.ts, `${op} [${shape}] axes ${axes}`);
  }
  assert.ok(wasmCases > 40, `most reductions run in WebAssembly (${wasmCases})`);
});

test('QUANTIZE (float32 and 8-bit inputs, XNNPACK arithmetic) and DEQUANTIZE: WebAssembly bit-identical', () => {
  const rng = new Rng(2024);
  for (let t = 0; t < 60; t++) {
    const shape = [1, rng.int(1, 7), rng.int(1, 7), rng.int(1, 13)];
    const n = count(shape);
    const kind = t % 3;
    const outType = rng.bool(0.5) ? 'int8' : 'uint8';
    const zp = () => (outType === 'int8' ? rng.int(-60, 60) : rng.int(60, 200));
    let spec: OpSpec;
    let x: ArrayLike<number>;
    if (kind === 0) {
      spec = { op: 'QUANTIZE', inputs: [{ dtype: 'float32', shape }], outputs: [{ dtype: outType, shape, quantization: perTensor(rng.float(0.002, 0.05), zp()) }] };
      x = floatsWithSpecials(rng, n);
      // Exact ties of x / scale are rounded to even.
      const s = Math.fround(1 / Math.fround(spec.outputs[0].quantization!.scale[0]));
      for (let i = 0; i < n; i++) if (rng.bool(0.1)) (x as Float32Array)[i] = (rng.int(-200, 200) + 0.5) / s;
    } else if (kind === 1) {
      spec = { op: 'QUANTIZE', inputs: [{ dtype: outType, shape, quantization: perTensor(rng.float(0.01, 0.1), zp()) }],
        outputs: [{ dtype: outType, shape, quantization: perTensor(rng.float(0.01, 0.1), zp()) }] };
      x = rng.ints(n, outType === 'int8' ? -128 : 0, outType === 'int8' ? 127 : 255);
    } else {
      const inType = rng.pick(['int8', 'uint8', 'int16'] as const);
      spec = { op: 'DEQUANTIZE', inputs: [{ dtype: inType, shape, quantization: perTensor(rng.float(0.001, 0.1), inType === 'int16' ? 0 : rng.int(-20, 20) + (inType === 'uint8' ? 128 : 0)) }],
        outputs: [{ dtype: 'float32', shape }] };
      x = inType === 'int16' ? rng.ints(n, -32768, 32767) : rng.ints(n, inType === 'int8' ? -128 : 0, inType === 'int8' ? 127 : 255);
    }
    const r = runBoth(spec, [x]);
    assert.deepEqual(r.paths, ['wasm'], `${spec.op} ${spec.inputs[0]!.dtype} -> ${spec.outputs[0].dtype}`);
    sameBits(r.wasm, r.ts, `${spec.op} ${spec.inputs[0]!.dtype} -> ${spec.outputs[0].dtype} [${shape}]`);
  }
});

function ioModel(dtype: DType, n: number): Interpreter {
  const q = dtype === 'float32' ? null : perTensor(0.1, 0);
  return Interpreter.fromBytes(writeModel(singleOpModel({
    op: 'RESHAPE', options: { newShape: [n] },
    inputs: [{ dtype, shape: [1, n], quantization: q }, { dtype: 'int32', shape: [1], data: [n] }],
    outputs: [{ dtype, shape: [n], quantization: q }],
  })));
}

test('setInput copies typed arrays as blocks only where every value passes its checks', () => {
  const n = 40;
  const int8 = ioModel('int8', n);
  const src = Int8Array.from({ length: n }, (_, i) => i * 6 - 120);
  int8.setInput(0, src);
  int8.invoke();
  assert.deepEqual(Array.from(int8.getOutput(0) as Int8Array), Array.from(src));
  // Uint8Array values can exceed int8: still checked value by value.
  assert.throws(() => int8.setInput(0, Uint8Array.from({ length: n }, (_, i) => 100 + i)), (e: Error) => e instanceof InputError && /value 128 at 28 is not an integer in \[-128, 127\]/.test(e.message));
  assert.throws(() => int8.setInput(0, new Float32Array(n).fill(0.5)), InputError);
  assert.throws(() => int8.setInput(0, new Int8Array(n - 1)), (e: Error) => e instanceof InputError && /needs 40 values, got 39/.test(e.message));
  const int16 = ioModel('int16', n);
  int16.setInput(0, Uint8Array.from({ length: n }, (_, i) => 200 + i));
  int16.invoke();
  assert.equal((int16.getOutput(0) as Int16Array)[n - 1], 239);
  const f32 = ioModel('float32', n);
  f32.setInput(0, Float64Array.from({ length: n }, (_, i) => i / 3));
  f32.invoke();
  const out = f32.getOutput(0) as Float32Array;
  assert.ok(out instanceof Float32Array);
  assert.equal(out[5], Math.fround(5 / 3));
  // getOutput returns a copy, not a view of the arena.
  out[5] = 99;
  assert.equal((f32.getOutput(0) as Float32Array)[5], Math.fround(5 / 3));
});
