// The WebAssembly float32 and hybrid CONV_2D / FULLY_CONNECTED paths against the TypeScript loops (the
// specification), on seeded random one-op models run through the interpreter with kernels 'wasm' vs 'typescript':
// filter sizes 1/3/5, strides, dilations, SAME/VALID padding, odd channel counts, groups, batches, fused clamps.
//   float32: the WebAssembly GEMM sums in float32 (the TypeScript loops in float64), so per element
//            |wasm - typescript| <= 1e-5 * (sum_k |x_k * w_k| + |bias|) + 1e-6.
//   hybrid:  bit-identical (the same input quantization, exact integer sums, then the same float32 ops in the
//            same order); the module's input quantizers are also checked against quant-math.ts's directly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeModel } from '../../src/format/index.js';
import type { Quantization } from '../../src/graph/model.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { asymmetricQuantizeFloats, symmetricQuantizeFloats } from '../../src/runtime/quant-math.js';
import { WasmArena } from '../../src/runtime/wasm/index.js';
import { winogradApplies } from '../../src/runtime/kernels/float-gemm.js';
import { Rng, randomWeights, singleOpModel, type OpSpec, type TensorArg } from '../helpers/conformance.js';

const ACTS = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'] as const;
const REL = 1e-5;
const ABS = 1e-6;

function run(spec: OpSpec, inputs: ArrayLike<number>[], kernels: 'wasm' | 'typescript'): { out: Float32Array; paths: string[] } {
  const it = Interpreter.fromBytes(writeModel(singleOpModel(spec)), { kernels });
  inputs.forEach((v, k) => it.setInput(k, v));
  it.invoke();
  const out = it.getOutput(0) as Float32Array;
  // Again: state kept between invocations (the indirection buffer) must not change the result.
  it.invoke();
  assert.deepEqual(it.getOutput(0), out, 'a second invocation gives the same output');
  return { out, paths: it.kernelPaths().map((p) => p.path) };
}

const absAll = (v: ArrayLike<number>) => Float32Array.from(v, Math.abs);

/** The spec with |inputs|, |weights|, |bias| and no clamp: its TypeScript output is sum |x w| + |bias| per element. */
function magnitudeSpec(spec: OpSpec): OpSpec {
  return {
    ...spec,
    options: spec.options && 'fusedActivationFunction' in spec.options ? { ...spec.options, fusedActivationFunction: 'NONE' } : spec.options,
    inputs: spec.inputs.map((t) => (t && t.data !== undefined ? { ...t, data: absAll(t.data as ArrayLike<number>) } : t)),
  };
}

function checkFloat(name: string, spec: OpSpec, inputs: ArrayLike<number>[]): void {
  const wasm = run(spec, inputs, 'wasm');
  const ts = run(spec, inputs, 'typescript');
  assert.deepEqual(wasm.paths, ['wasm'], `${name}: the WebAssembly path runs`);
  assert.deepEqual(ts.paths, ['js'], `${name}: the TypeScript path runs`);
  const mag = run(magnitudeSpec(spec), inputs.map(absAll), 'typescript').out;
  assert.equal(wasm.out.length, ts.out.length);
  for (let i = 0; i < ts.out.length; i++) {
    const d = Math.abs(wasm.out[i] - ts.out[i]);
    assert.ok(d <= REL * mag[i] + ABS, `${name}: element ${i}: wasm ${wasm.out[i]} vs typescript ${ts.out[i]} (sum |x w| ${mag[i]})`);
  }
}

function checkExact(name: string, spec: OpSpec, inputs: ArrayLike<number>[]): void {
  const wasm = run(spec, inputs, 'wasm');
  const ts = run(spec, inputs, 'typescript');
  assert.deepEqual(wasm.paths, ['wasm'], `${name}: the WebAssembly path runs`);
  assert.deepEqual(ts.paths, ['js'], `${name}: the TypeScript path runs`);
  assert.equal(wasm.out.length, ts.out.length);
  for (let i = 0; i < ts.out.length; i++) {
    if (!Object.is(wasm.out[i], ts.out[i])) assert.fail(`${name}: element ${i}: wasm ${wasm.out[i]} vs typescript ${ts.out[i]}`);
  }
}

type Kind = 'float' | 'hybrid' | 'hybridPerChannel';

interface ConvCase { spec: OpSpec; inputs: ArrayLike<number>[]; name: string }

function convCase(rng: Rng, kind: Kind, i: number, over: Partial<{ f: number; stride: number; groups: number; pointwise: boolean }> = {}): ConvCase {
  const batches = rng.int(1, 3);
  const f = over.f ?? rng.pick([1, 1, 3, 3, 5]);
  const fh = f;
  const fw = rng.bool(0.2) ? rng.pick([1, 3]) : f;
  const groups = over.groups ?? (rng.bool(0.15) ? rng.int(2, 3) : 1);
  const depth = rng.int(1, groups > 1 ? 9 : 37);
  const inC = depth * groups;
  const outC = groups * rng.int(1, groups > 1 ? 9 : 37);
  const stride = over.stride ?? rng.pick([1, 1, 2, 3]);
  const strides = [stride, rng.bool(0.2) ? rng.int(1, 3) : stride];
  const dilation = rng.bool(0.2) ? [rng.int(1, 2), rng.int(1, 3)] : [1, 1];
  const inH = rng.int(Math.max(1, (fh - 1) * dilation[0] + 1), 14);
  const inW = rng.int(Math.max(1, (fw - 1) * dilation[1] + 1), 14);
  const padding = rng.pick(['SAME', 'VALID']);
  const act = rng.pick(ACTS);
  const wShape = [outC, fh, fw, depth];
  const wCount = outC * fh * fw * depth;
  let w: TensorArg;
  if (kind === 'float') {
    w = { dtype: 'float32', shape: wShape, data: rng.floats(wCount, -1, 1) };
  } else {
    const wt = randomWeights(rng, wShape, kind === 'hybridPerChannel' ? 0 : null, 0.02);
    // Full int8 range, -128 included.
    if (rng.bool(0.5)) wt.values[0] = -128;
    w = { dtype: 'int8', shape: wShape, data: wt.values, quantization: wt.quantization as Quantization };
  }
  const biasKind = rng.pick(['const', 'const', 'none'] as const);
  const bias: TensorArg | null = biasKind === 'none' ? null : { dtype: 'float32', shape: [outC], data: rng.floats(outC, -1, 1) };
  const input: TensorArg = { dtype: 'float32', shape: [batches, inH, inW, inC] };
  const spec: OpSpec = {
    op: 'CONV_2D', version: kind === 'float' ? 1 : kind === 'hybrid' ? 2 : 6,
    options: { padding, strideH: strides[0], strideW: strides[1], dilationHFactor: dilation[0], dilationWFactor: dilation[1], fusedActivationFunction: act },
    inputs: [input, w, bias],
    outputs: [{ dtype: 'float32', shape: [1] }],
  };
  const range = rng.pick([1, 1, 10, 0.01]);
  const inputs: ArrayLike<number>[] = [rng.floats(batches * inH * inW * inC, -range, range)];
  // An all-zero batch (quantizes with scale 1 and zero point 0).
  if (kind !== 'float' && rng.bool(0.1)) (inputs[0] as Float32Array).fill(0, 0, inH * inW * inC);
  const name = `CONV_2D ${kind} case ${i}: batches ${batches} in ${inH}x${inW}x${inC} filter ${outC}x${fh}x${fw}x${depth} groups ${groups} ` +
    `strides ${strides} dilation ${dilation} ${padding} ${act} bias ${biasKind}`;
  return { spec, inputs, name };
}

test('float32 CONV_2D: WebAssembly GEMM vs TypeScript loops (random geometries)', () => {
  const rng = new Rng(0xf6e1);
  for (let i = 0; i < 120; i++) {
    const c = convCase(rng, 'float', i);
    checkFloat(c.name, c.spec, c.inputs);
  }
});

test('float32 CONV_2D: 1x1 stride 1 and strided (A rows read in place), 3x3, 5x5, grouped', () => {
  const rng = new Rng(0xf6e2);
  let i = 0;
  for (const f of [1, 3, 5]) {
    for (const stride of [1, 2, 3]) {
      for (const groups of [1, 1, 2]) {
        const c = convCase(rng, 'float', i++, { f, stride, groups });
        checkFloat(c.name, c.spec, c.inputs);
      }
    }
  }
});

test('float32 CONV_2D row runs: stems of 1 and 3 channels, windows crossing both edges, vertical dilation, batches', () => {
  const rng = new Rng(0xf6e3);
  const shapes: [number, number, number, number, number, number, 'SAME' | 'VALID', number][] = [
    // inH, inW, inC, outC, filter, stride, padding, dilationH
    [13, 13, 3, 16, 3, 2, 'SAME', 1], [14, 14, 3, 16, 3, 2, 'SAME', 1], [28, 28, 1, 8, 3, 2, 'VALID', 1],
    [9, 9, 1, 20, 3, 1, 'SAME', 1], [6, 4, 5, 12, 5, 1, 'SAME', 1], [3, 2, 7, 9, 5, 2, 'SAME', 1],
    [11, 10, 6, 17, 3, 1, 'SAME', 2], [8, 8, 16, 16, 3, 1, 'SAME', 1], [7, 9, 2, 40, 3, 3, 'SAME', 1],
  ];
  shapes.forEach(([inH, inW, inC, outC, f, stride, padding, dh], i) => {
    const batches = 1 + (i % 3);
    const spec: OpSpec = {
      op: 'CONV_2D', version: 1,
      options: { padding, strideH: stride, strideW: stride, dilationHFactor: dh, dilationWFactor: 1, fusedActivationFunction: rng.pick(ACTS) },
      inputs: [{ dtype: 'float32', shape: [batches, inH, inW, inC] }, { dtype: 'float32', shape: [outC, f, f, inC], data: rng.floats(outC * f * f * inC, -1, 1) },
        { dtype: 'float32', shape: [outC], data: rng.floats(outC, -1, 1) }],
      outputs: [{ dtype: 'float32', shape: [1] }],
    };
    checkFloat(`row runs case ${i}: ${batches}x${inH}x${inW}x${inC} -> ${outC} ${f}x${f} stride ${stride} ${padding} dilation ${dh}`, spec,
      [rng.floats(batches * inH * inW * inC, -1, 1)]);
  });
});

// Winograd F(2x2, 3x3) (3x3, stride 1, no dilation or groups, >= 8 channels in and out): the input and output
// transforms add and subtract up to 9 values, the filter transform is rounded once to float32; the same bound as
// the GEMM holds: measured worst |wasm - typescript| / (sum |x w| + |bias|) over these cases 2.3e-7 (the direct
// GEMM's random cases above reach 1e-6).
test('float32 CONV_2D Winograd F(2x2, 3x3): odd sizes, partial channel groups, edges, batches', () => {
  const rng = new Rng(0xf6e4);
  for (let i = 0; i < 40; i++) {
    const inC = i < 4 ? [8, 9, 16, 64][i] : rng.pick([8, 9, 12, 13, 16, 17, 24, 31, 32, 33, 40, 64]);
    const outC = i < 4 ? [8, 11, 16, 64][i] : rng.pick([8, 9, 10, 15, 16, 17, 23, 32, 33, 48, 64]);
    const inH = i < 4 ? [2, 5, 8, 32][i] : rng.int(2, 19);
    const inW = i < 4 ? [3, 4, 9, 32][i] : rng.int(2, 19);
    const padding = inH < 4 || inW < 4 || rng.bool(0.7) ? 'SAME' : 'VALID';
    const batches = rng.pick([1, 1, 2, 3]);
    const range = rng.pick([1, 1, 10, 0.01]);
    const bias: TensorArg | null = i % 5 === 4 ? null : { dtype: 'float32', shape: [outC], data: rng.floats(outC, -1, 1) };
    const spec: OpSpec = {
      op: 'CONV_2D', version: 1,
      options: { padding, strideH: 1, strideW: 1, dilationHFactor: 1, dilationWFactor: 1, fusedActivationFunction: rng.pick(ACTS) },
      inputs: [{ dtype: 'float32', shape: [batches, inH, inW, inC] }, { dtype: 'float32', shape: [outC, 3, 3, inC], data: rng.floats(outC * 9 * inC, -1, 1) }, bias],
      outputs: [{ dtype: 'float32', shape: [1] }],
    };
    const inputs: ArrayLike<number>[] = [rng.floats(batches * inH * inW * inC, -range, range)];
    const outH = padding === 'SAME' ? inH : inH - 2, outW = padding === 'SAME' ? inW : inW - 2;
    assert.ok(winogradApplies({ batches, inH, inW, inC, outH, outW, outC, filterH: 3, filterW: 3, strideH: 1, strideW: 1,
      dilationH: 1, dilationW: 1, padH: 1, padW: 1 }, 1), `Winograd case ${i} takes the Winograd path`);
    checkFloat(`Winograd case ${i}: ${batches}x${inH}x${inW}x${inC} -> ${outC} ${padding} bias ${bias ? 'const' : 'none'}`, spec, inputs);
  }
});

test('hybrid CONV_2D per-tensor and per-channel: WebAssembly bit-identical to TypeScript', () => {
  const rng = new Rng(0xb1d);
  for (let i = 0; i < 80; i++) {
    const c = convCase(rng, i % 2 ? 'hybrid' : 'hybridPerChannel', i);
    checkExact(c.name, c.spec, c.inputs);
  }
  for (const f of [1, 3]) {
    for (const groups of [1, 2]) {
      for (const kind of ['hybrid', 'hybridPerChannel'] as const) {
        const c = convCase(rng, kind, 100 + f * 10 + groups, { f, groups, stride: 1 });
        checkExact(c.name, c.spec, c.inputs);
      }
    }
  }
});

function fcCase(rng: Rng, kind: 'float' | 'hybrid', i: number, rows?: number): ConvCase {
  // Depths past ~1030 take the f64 rescale (the bound 255 * sum |w| passes 2^24 with |w| ~ 64 on average).
  const depth = rng.pick([1, 3, 4, 7, 8, 16, rng.int(1, 70), rng.int(60, 300), rng.int(1100, 1300)]);
  const units = rng.int(1, 37);
  const keep = rng.bool(0.3);
  const lead = rows !== undefined ? [rows] : keep ? [rng.int(1, 3), rng.int(1, 3)] : [rng.pick([1, 1, 2, 3, 5])];
  const act = rng.pick(ACTS);
  let w: TensorArg;
  let asymmetric = false;
  if (kind === 'float') {
    w = { dtype: 'float32', shape: [units, depth], data: rng.floats(units * depth, -1, 1) };
  } else {
    const perChannel = rng.bool(0.5);
    const wt = randomWeights(rng, [units, depth], perChannel ? 0 : null, 0.02);
    if (rng.bool(0.5)) wt.values[0] = -128;
    w = { dtype: 'int8', shape: [units, depth], data: wt.values, quantization: wt.quantization as Quantization };
    asymmetric = rng.bool(0.5);
  }
  const biasKind = rng.pick(['const', 'const', 'none'] as const);
  const bias: TensorArg | null = biasKind === 'none' ? null : { dtype: 'float32', shape: [units], data: rng.floats(units, -1, 1) };
  const spec: OpSpec = {
    op: 'FULLY_CONNECTED', version: kind === 'hybrid' ? (asymmetric ? 9 : 3) : keep ? 5 : 1,
    options: { fusedActivationFunction: act, keepNumDims: keep, asymmetricQuantizeInputs: asymmetric },
    inputs: [{ dtype: 'float32', shape: [...lead, depth] }, w, bias],
    outputs: [{ dtype: 'float32', shape: [1] }],
  };
  const n = lead.reduce((a, b) => a * b, 1) * depth;
  const range = rng.pick([1, 10, 0.01]);
  const inputs: ArrayLike<number>[] = [rng.floats(n, -range, range)];
  if (kind === 'hybrid' && rng.bool(0.1)) (inputs[0] as Float32Array).fill(0, 0, depth);
  const name = `FULLY_CONNECTED ${kind} case ${i}: input [${lead},${depth}] units ${units} keep ${keep} ${act} bias ${biasKind} asym ${asymmetric}`;
  return { spec, inputs, name };
}

test('float32 FULLY_CONNECTED batch 1 (GEMV) and batch > 1: WebAssembly vs TypeScript', () => {
  const rng = new Rng(0xfc1);
  for (let i = 0; i < 60; i++) {
    const c = fcCase(rng, 'float', i, i < 20 ? 1 : undefined);
    checkFloat(c.name, c.spec, c.inputs);
  }
});

test('hybrid FULLY_CONNECTED symmetric/asymmetric, per-tensor/per-channel: WebAssembly bit-identical', () => {
  const rng = new Rng(0xfc2);
  for (let i = 0; i < 80; i++) {
    const c = fcCase(rng, 'hybrid', i, i < 20 ? 1 : undefined);
    checkExact(c.name, c.spec, c.inputs);
  }
});

test('hybrid input quantizers in WebAssembly are bit-identical to quant-math.ts', () => {
  const arena = WasmArena.create();
  assert.ok(arena, 'the kernels module is available');
  const rng = new Rng(0x9a7);
  const maxN = 300;
  const src = arena.alloc(maxN * 4, 16);
  const dst = arena.alloc(maxN, 16);
  const res = arena.alloc(16, 16);
  const sym = arena.exports.symmetricQuantizeF32;
  const asym = arena.exports.asymmetricQuantizeF32;
  const rows: Float32Array[] = [];
  for (let i = 0; i < 300; i++) {
    const n = rng.pick([0, 1, 2, 3, 4, 5, 15, 16, 17, 33, rng.int(1, maxN)]);
    const range = rng.pick([1, 1e-3, 100, 1e-30]);
    const row = rng.floats(n, rng.bool(0.2) ? 0 : -range, range);
    if (n > 0 && rng.bool(0.1)) row.fill(0);
    if (n > 2 && rng.bool(0.3)) {
      // Ties of the rounding: the range 127 makes the symmetric factor 1; x.5 values round away from zero.
      row[0] = 127;
      for (let k = 1; k < n; k++) row[k] = rng.int(-254, 254) / 2;
    }
    if (n > 3 && rng.bool(0.1)) row[rng.int(0, n - 1)] = NaN;
    rows.push(row);
  }
  for (const [i, row] of rows.entries()) {
    const n = row.length;
    arena.f32.set(row, src / 4);
    const want = new Int8Array(n);
    const wantScale = symmetricQuantizeFloats(row, 0, n, want, 0);
    const scale = sym(src, n, dst) as number;
    assert.ok(Object.is(scale, wantScale), `row ${i}: symmetric scale ${scale} vs ${wantScale}`);
    assert.deepEqual(arena.i8.slice(dst, dst + n), want, `row ${i}: symmetric values`);
    const wantAsym = new Int8Array(n);
    const r = new Float64Array(2);
    asymmetricQuantizeFloats(row, 0, n, wantAsym, 0, r);
    asym(src, n, dst, res, res + 8);
    assert.ok(Object.is(new Float64Array(arena.buffer, res, 1)[0], r[0]), `row ${i}: asymmetric scale`);
    assert.equal(arena.i32[(res + 8) / 4], r[1], `row ${i}: asymmetric zero point`);
    assert.deepEqual(arena.i8.slice(dst, dst + n), wantAsym, `row ${i}: asymmetric values`);
  }
});

test('float32 BATCH_MATMUL (adj_x, adj_y, broadcast batches, constant or computed rhs): WebAssembly vs TypeScript', () => {
  const rng = new Rng(0xb3a);
  for (let i = 0; i < 60; i++) {
    const m = rng.int(1, 13), k = rng.int(1, 40), n = rng.int(1, 21);
    const rank = rng.int(2, 4);
    const batch = Array.from({ length: rank - 2 }, () => rng.int(1, 3));
    const side = () => {
      const keep = rng.int(0, batch.length);
      return batch.slice(batch.length - keep).map((d) => (rng.bool(0.3) ? 1 : d));
    };
    const adjX = rng.bool(0.4), adjY = rng.bool(0.4);
    const lhsShape = [...side(), ...(adjX ? [k, m] : [m, k])];
    const rhsShape = [...side(), ...(adjY ? [n, k] : [k, n])];
    const count = (sh: number[]) => sh.reduce((a, b) => a * b, 1);
    const constantRhs = rng.bool(0.5);
    const rhsValues = rng.floats(count(rhsShape), -1, 1);
    const rhs: TensorArg = constantRhs ? { dtype: 'float32', shape: rhsShape, data: rhsValues } : { dtype: 'float32', shape: rhsShape };
    const spec: OpSpec = {
      op: 'BATCH_MATMUL', version: 1, options: { adjX, adjY },
      inputs: [{ dtype: 'float32', shape: lhsShape }, rhs], outputs: [{ dtype: 'float32', shape: [1] }],
    };
    const inputs: ArrayLike<number>[] = [rng.floats(count(lhsShape), -2, 2)];
    if (!constantRhs) inputs.push(rhsValues);
    checkFloat(`BATCH_MATMUL case ${i}: lhs [${lhsShape}] rhs [${rhsShape}] adj ${adjX} ${adjY} constant rhs ${constantRhs}`, spec, inputs);
  }
});
