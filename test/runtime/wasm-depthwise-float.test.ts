// Float and hybrid DEPTHWISE_CONV_2D: the WebAssembly kernel (kernels: 'wasm') against the TypeScript loops
// (kernels: 'typescript') on seeded random one-op models: shapes incl. odd channel counts, batches, strides,
// dilations, SAME/VALID padding, depth multipliers, fused activations, bias or none, 3x3 and other filters.
// Float tolerance: the WebAssembly kernel sums in float32 (bias first, taps in order) where the TypeScript loops sum
// in float64, so per element |wasm - ts| <= 1e-6 * (|b| + sum over taps |w x|) + 1e-7 * |ts| (a few float32
// roundings of the terms' magnitude). Hybrid outputs (int8 filter) are bit-identical.
import assert from 'node:assert/strict';
import test from 'node:test';
import { writeModel } from '../../src/format/index.js';
import { GraphBuilder, encodeValues } from '../../src/graph/builder.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { asymmetricQuantizeFloats, roundHalfAwayFromZero } from '../../src/runtime/quant-math.js';
import { WasmArena } from '../../src/runtime/wasm/index.js';
import { Rng, singleOpModel, type OpSpec } from '../helpers/conformance.js';
import { runBoth } from '../helpers/wasm-vs-ts.js';

interface Case {
  spec: OpSpec;
  input: Float32Array;
  /** Per output element: sum of |w x| over its taps plus |bias| (the float tolerance's scale). */
  magnitude: Float64Array;
}

function buildCase(rng: Rng, hybrid: boolean, big = false): Case {
  const batches = rng.int(1, 2);
  const inH = big ? rng.int(8, 20) : rng.int(1, 9);
  const inW = big ? rng.int(8, 20) : rng.int(1, 9);
  const inC = big ? rng.pick([8, 16, 24, 13]) : rng.int(1, 11);
  const M = rng.pick([1, 1, 1, 2, 3, 4, 5]);
  const C = inC * M;
  const square = rng.bool(0.6);
  const fh = square ? rng.pick([1, 3, 3, 5]) : rng.int(1, 4);
  const fw = square ? fh : rng.int(1, 4);
  const sh = rng.int(1, 2), sw = rng.int(1, 2);
  const dh = rng.bool(0.25) ? rng.int(1, 3) : 1;
  const dw = rng.bool(0.25) ? rng.int(1, 3) : 1;
  let padding = rng.pick(['SAME', 'VALID']);
  if ((fh - 1) * dh + 1 > inH || (fw - 1) * dw + 1 > inW) padding = 'SAME';
  const act = rng.pick(['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1']);
  const taps = fh * fw;
  const hasBias = rng.bool(0.8);
  const wValues = hybrid ? rng.ints(taps * C, -127, 127) : Array.from(rng.floats(taps * C, -1, 1));
  const scales = Array.from({ length: C }, () => Math.fround(rng.float(0.005, 0.03)));
  const bias = hasBias ? rng.floats(C, -1, 1) : null;
  const input = rng.floats(batches * inH * inW * inC, -1, 1);
  const spec: OpSpec = {
    op: 'DEPTHWISE_CONV_2D', version: hybrid ? 6 : 2,
    options: { padding, strideH: sh, strideW: sw, dilationHFactor: dh, dilationWFactor: dw, depthMultiplier: M, fusedActivationFunction: act },
    inputs: [
      { dtype: 'float32', shape: [batches, inH, inW, inC] },
      hybrid
        ? { dtype: 'int8', shape: [1, fh, fw, C], data: wValues, quantization: { scale: scales, zeroPoint: new Array(C).fill(0), quantizedDimension: 3 } }
        : { dtype: 'float32', shape: [1, fh, fw, C], data: wValues },
      ...(bias ? [{ dtype: 'float32' as const, shape: [C], data: bias }] : []),
    ],
    outputs: [{ dtype: 'float32', shape: [1] }],
  };
  // Tolerance scale: the magnitude of every term of each output's sum (output geometry as TFLite computes it).
  const outH = padding === 'SAME' ? Math.ceil(inH / sh) : Math.floor((inH - (fh - 1) * dh - 1) / sh) + 1;
  const outW = padding === 'SAME' ? Math.ceil(inW / sw) : Math.floor((inW - (fw - 1) * dw - 1) / sw) + 1;
  const padH = Math.max(0, Math.floor(((outH - 1) * sh + (fh - 1) * dh + 1 - inH) / 2));
  const padW = Math.max(0, Math.floor(((outW - 1) * sw + (fw - 1) * dw + 1 - inW) / 2));
  const magnitude = new Float64Array(batches * outH * outW * C);
  for (let b = 0; b < batches; b++) for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++) for (let c = 0; c < C; c++) {
    let m = bias ? Math.abs(bias[c]) : 0;
    for (let fy = 0; fy < fh; fy++) for (let fx = 0; fx < fw; fx++) {
      const iy = oy * sh - padH + fy * dh, ix = ox * sw - padW + fx * dw;
      if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue;
      m += Math.abs(wValues[(fy * fw + fx) * C + c] * input[((b * inH + iy) * inW + ix) * inC + Math.floor(c / M)]);
    }
    magnitude[((b * outH + oy) * outW + ox) * C + c] = m;
  }
  return { spec, input, magnitude };
}

test('float DEPTHWISE_CONV_2D: WebAssembly within float32 rounding of the TypeScript loops', () => {
  const rng = new Rng(20250611);
  for (let t = 0; t < 160; t++) {
    const { spec, input, magnitude } = buildCase(rng, false, t % 8 === 7);
    const { wasm, ts, paths } = runBoth(spec, [input]);
    assert.deepEqual(paths, ['wasm'], 'the WebAssembly kernel ran');
    assert.equal(wasm.length, ts.length);
    for (let i = 0; i < ts.length; i++) {
      const tol = 1e-6 * magnitude[i] + 1e-7 * Math.abs(ts[i]);
      if (!(Math.abs(wasm[i] - ts[i]) <= tol)) {
        assert.fail(`case ${t} ${JSON.stringify(spec.options)} [${spec.inputs[0]!.shape}] filter [${spec.inputs[1]!.shape}]: element ${i}: wasm ${wasm[i]} vs ts ${ts[i]} (tolerance ${tol})`);
      }
    }
  }
});

test('hybrid DEPTHWISE_CONV_2D (float input, int8 filter): WebAssembly bit-identical to the TypeScript loops', () => {
  const rng = new Rng(977);
  for (let t = 0; t < 80; t++) {
    const { spec, input } = buildCase(rng, true, t % 8 === 7);
    const { wasm, ts, paths } = runBoth(spec, [input]);
    assert.deepEqual(paths, ['wasm'], 'the WebAssembly kernel ran');
    assert.deepEqual(Array.from(wasm), Array.from(ts), `case ${t} ${JSON.stringify(spec.options)} [${spec.inputs[0]!.shape}]`);
  }
});

test('hybrid input quantization in the module: ties, NaN, infinities, -0 and all-zero batches as the TypeScript loop', () => {
  const arena = WasmArena.create()!;
  const f = arena.exports as Record<string, (...a: number[]) => void>;
  const values = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, -128.5, 200, -300, NaN, Infinity, -Infinity, -0, 0, 0.49999997, -0.49999997, 7.25, 3];
  const n = values.length;
  const src = arena.alloc(n * 4), dst = arena.alloc(n * 4), mm = arena.alloc(8);
  arena.f32.set(values, src >> 2);
  for (const [inv, zp] of [[1, 0], [1, 3], [2, -5], [0.5, 127], [1, -128]]) {
    f.quantizeHybridF32(src, n, dst, inv, zp);
    for (let i = 0; i < n; i++) {
      const q = roundHalfAwayFromZero(Math.fround(zp + Math.fround(values[i] * inv)));
      const stored = Int8Array.of(q > 127 ? 127 : q < -128 ? -128 : q)[0];
      assert.equal(arena.f32[(dst >> 2) + i], stored - zp, `value ${values[i]} inv ${inv} zp ${zp}`);
    }
  }
  f.minMaxF32(src, n, mm);
  assert.deepEqual([arena.f32[mm >> 2], arena.f32[(mm >> 2) + 1]], [-Infinity, Infinity]);
  f.minMaxF32(src, 5, mm);
  assert.deepEqual([arena.f32[mm >> 2], arena.f32[(mm >> 2) + 1]], [-1.5, 2.5]);
  // All-zero input (min === max): every value quantizes to 0, as asymmetricQuantizeFloats.
  const spec: OpSpec = {
    op: 'DEPTHWISE_CONV_2D', version: 6, options: { padding: 'SAME', strideH: 1, strideW: 1, depthMultiplier: 2 },
    inputs: [{ dtype: 'float32', shape: [2, 3, 3, 2] },
      { dtype: 'int8', shape: [1, 3, 3, 4], data: Array.from({ length: 36 }, (_, i) => i - 18), quantization: { scale: [0.1, 0.2, 0.3, 0.4], zeroPoint: [0, 0, 0, 0], quantizedDimension: 3 } },
      { dtype: 'float32', shape: [4], data: [0.5, -1, 2, 0] }],
    outputs: [{ dtype: 'float32', shape: [1] }],
  };
  const input = Float32Array.from({ length: 36 }, (_, i) => (i < 18 ? 0 : Math.sin(i)));
  const { wasm, ts, paths } = runBoth(spec, [input]);
  assert.deepEqual(paths, ['wasm']);
  assert.deepEqual(Array.from(wasm), Array.from(ts));
  const check = new Float64Array(2);
  asymmetricQuantizeFloats(input, 0, 18, new Int8Array(18), 0, check);
  assert.deepEqual(Array.from(check), [1, 0]);
});

test('float DEPTHWISE_CONV_2D with a filter computed at run time keeps the TypeScript path', () => {
  const spec: OpSpec = {
    op: 'DEPTHWISE_CONV_2D', version: 1, options: { padding: 'SAME', strideH: 1, strideW: 1, depthMultiplier: 1 },
    inputs: [{ dtype: 'float32', shape: [1, 4, 4, 3] }, { dtype: 'float32', shape: [1, 3, 3, 3] }],
    outputs: [{ dtype: 'float32', shape: [1] }],
  };
  const it = Interpreter.fromBytes(writeModel(singleOpModel(spec)));
  assert.deepEqual(it.kernelPaths().map((p) => p.path), ['js']);
});

test('float16 weights: DEQUANTIZE folded at prepare, the depthwise runs in WebAssembly on the folded float32 filter', () => {
  const b = new GraphBuilder();
  const C = 8;
  // float16 bits of small integers k / 8 (exact in both formats).
  const half = (v: number) => { const f = new Float32Array([v]); const u = new Uint32Array(f.buffer)[0]; return v === 0 ? 0 : ((u >>> 16) & 0x8000) | ((((u >>> 23) & 0xff) - 112) << 10) | ((u >>> 13) & 0x3ff); };
  const wValues = Array.from({ length: 9 * C }, (_, i) => ((i % 13) - 6) / 8);
  const x = b.addInput({ name: 'x', dtype: 'float32', shape: [1, 6, 6, C], quantization: null });
  const w16 = b.addTensor({ name: 'w16', dtype: 'float16', shape: [1, 3, 3, C], data: encodeValues('float16', wValues.map(half)), quantization: null });
  const w = b.addTensor({ name: 'w', dtype: 'float32', shape: [1, 3, 3, C], quantization: null });
  const y = b.addTensor({ name: 'y', dtype: 'float32', shape: [1, 6, 6, C], quantization: null });
  b.addOp('DEQUANTIZE', [w16], [w], {}, 3);
  b.addOp('DEPTHWISE_CONV_2D', [x, w], [y], { padding: 'SAME', strideH: 1, strideW: 1, depthMultiplier: 1 }, 1);
  b.markOutput(y);
  const bytes = writeModel(b.model());
  const input = Float32Array.from({ length: 36 * C }, (_, i) => Math.sin(i));
  const outputs = (['wasm', 'typescript'] as const).map((kernels) => {
    const it = Interpreter.fromBytes(bytes, { kernels });
    if (kernels === 'wasm') assert.deepEqual(it.kernelPaths(), [{ node: 1, op: 'DEPTHWISE_CONV_2D', path: 'wasm' }]);
    it.setInput(0, input);
    it.invoke();
    return it.getOutput(0) as Float32Array;
  });
  // The folded filter is exact (k / 8): the sums differ by float32 rounding only.
  for (let i = 0; i < outputs[0].length; i++) assert.ok(Math.abs(outputs[0][i] - outputs[1][i]) <= 1e-5, `element ${i}`);
  // And equal the float32 filter's result.
  const ref = runBoth({
    op: 'DEPTHWISE_CONV_2D', version: 1, options: { padding: 'SAME', strideH: 1, strideW: 1, depthMultiplier: 1 },
    inputs: [{ dtype: 'float32', shape: [1, 6, 6, C] }, { dtype: 'float32', shape: [1, 3, 3, C], data: wValues }],
    outputs: [{ dtype: 'float32', shape: [1] }],
  }, [input]);
  assert.deepEqual(Array.from(outputs[0]), Array.from(ref.wasm));
});
