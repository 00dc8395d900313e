// The 8-bit WebAssembly kernels (src/runtime/wasm/assembly/gemm-i16.ts, depthwise-i16.ts, requantize.ts) against
// the TypeScript loops they replace, through the interpreter: seeded random int8/uint8 CONV_2D, DEPTHWISE_CONV_2D and
// FULLY_CONNECTED models run with kernels 'wasm' and 'typescript', in both arithmetics, must agree bit for bit, and
// kernelPaths() must show the node ran in WebAssembly (a silent fallback to the TypeScript loops fails the test).
// Shapes reach the kernels' special paths: 1x1 stride-1 widening, 3x3 interior windows, border windows, odd channel
// counts (partial 8-channel blocks), odd K, several pixel blocks, batches, dilation, depth multipliers.
import assert from 'node:assert/strict';
import test from 'node:test';
import type { DType, Quantization } from '../../src/graph/model.js';
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import {
  ACTIVATIONS, PADDINGS, Rng, chooseQuantParams, perTensor, randomQuantized, randomWeights, singleOpModel, type OpSpec, type TensorArg,
} from '../helpers/conformance.js';

type Q8 = 'int8' | 'uint8';

interface Case { name: string; spec: OpSpec; inputs: ArrayLike<number>[] }

function activationQuant(rng: Rng, dtype: DType): Quantization {
  const { scale, zeroPoint } = chooseQuantParams(-rng.float(0.5, 4), rng.float(0.5, 4), dtype);
  return perTensor(scale, zeroPoint);
}

/** Output scale so that typical sums land inside the output range (and some saturate). */
function outputQuant(rng: Rng, dtype: Q8, inScale: number, wScale: number, taps: number): Quantization {
  const s = ((inScale * wScale * Math.sqrt(taps) * 80 * 127) / 128) * rng.float(0.3, 1.5);
  return perTensor(s, dtype === 'uint8' ? rng.int(90, 160) : rng.int(-30, 30));
}

/** Filter (int8 symmetric, per-channel or per-tensor; uint8 per-tensor with a zero point) and int32 bias. */
function filterAndBias(rng: Rng, dtype: Q8, shape: number[], channels: number, axis: number, inQ: Quantization):
  { w: TensorArg; bias: TensorArg } {
  const n = shape.reduce((a, b) => a * b, 1);
  let w: TensorArg;
  if (dtype === 'uint8') {
    w = { dtype, shape, data: rng.ints(n, 0, 255), quantization: perTensor(rng.float(0.005, 0.03), rng.int(90, 160)) };
  } else {
    const r = randomWeights(rng, shape, rng.bool(0.7) ? axis : null, 0.02);
    w = { dtype, shape, data: r.values, quantization: r.quantization };
  }
  const ws = w.quantization!.scale;
  const perChannel = ws.length > 1;
  const bias: TensorArg = {
    dtype: 'int32', shape: [channels], data: rng.ints(channels, -5000, 5000),
    quantization: {
      scale: perChannel ? ws.map((s) => Math.fround(inQ.scale[0] * s)) : [Math.fround(inQ.scale[0] * ws[0])],
      zeroPoint: new Array(perChannel ? channels : 1).fill(0), quantizedDimension: 0,
    },
  };
  return { w, bias };
}

interface ConvShape {
  batches: number; inH: number; inW: number; inC: number; outC: number; fh: number; fw: number;
  stride: [number, number]; dilation: [number, number]; padding: string; multiplier: number;
}

function convCase(rng: Rng, dtype: Q8, depthwise: boolean, s: ConvShape, name: string): Case {
  const inQ = activationQuant(rng, dtype);
  const outC = depthwise ? s.inC * s.multiplier : s.outC;
  const wShape = depthwise ? [1, s.fh, s.fw, outC] : [outC, s.fh, s.fw, s.inC];
  const { w, bias } = filterAndBias(rng, dtype, wShape, outC, depthwise ? 3 : 0, inQ);
  const taps = s.fh * s.fw * (depthwise ? 1 : s.inC);
  const options: Record<string, string | number> = {
    padding: s.padding, strideH: s.stride[0], strideW: s.stride[1], dilationHFactor: s.dilation[0],
    dilationWFactor: s.dilation[1], fusedActivationFunction: rng.pick(ACTIVATIONS),
  };
  if (depthwise) options.depthMultiplier = s.multiplier;
  const input: TensorArg = { dtype, shape: [s.batches, s.inH, s.inW, s.inC], quantization: inQ };
  return {
    name: `${name} ${JSON.stringify(s)}`,
    spec: {
      op: depthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D', version: dtype === 'int8' ? 3 : 2, options,
      inputs: [input, w, bias],
      outputs: [{ dtype, shape: [1], quantization: outputQuant(rng, dtype, inQ.scale[0], w.quantization!.scale[0], taps) }],
    },
    inputs: [randomQuantized(rng, s.batches * s.inH * s.inW * s.inC, dtype)],
  };
}

function randomConvShape(rng: Rng, depthwise: boolean): ConvShape {
  const fh = rng.pick([1, 1, 2, 3, 3, 3, 5]);
  const fw = rng.bool(0.8) ? fh : rng.int(1, 4);
  const dilation: [number, number] = rng.bool(0.2) ? [rng.int(1, 2), rng.int(1, 2)] : [1, 1];
  const inH = rng.int(Math.max(1, (fh - 1) * dilation[0] + 1), 14);
  const inW = rng.int(Math.max(1, (fw - 1) * dilation[1] + 1), 14);
  return {
    batches: rng.int(1, 2), inH, inW, inC: rng.pick([1, 2, 3, 5, 8, 11, 16, 19]), outC: rng.pick([1, 3, 8, 9, 16, 21]),
    fh, fw, stride: [rng.int(1, 2), rng.int(1, 2)], dilation, padding: rng.pick(PADDINGS),
    multiplier: depthwise ? rng.pick([1, 1, 1, 2, 3, 8]) : 1,
  };
}

function fcCase(rng: Rng, dtype: Q8, batches: number, depth: number, units: number, name: string): Case {
  const inQ = activationQuant(rng, dtype);
  const { w, bias } = filterAndBias(rng, dtype, [units, depth], units, 0, inQ);
  return {
    name: `${name} batches ${batches} depth ${depth} units ${units}`,
    spec: {
      op: 'FULLY_CONNECTED', version: dtype === 'int8' ? 4 : 1, options: { fusedActivationFunction: rng.pick(ACTIVATIONS) },
      inputs: [{ dtype, shape: [batches, depth], quantization: inQ }, w, bias],
      outputs: [{ dtype, shape: [1], quantization: outputQuant(rng, dtype, inQ.scale[0], w.quantization!.scale[0], depth) }],
    },
    inputs: [randomQuantized(rng, batches * depth, dtype)],
  };
}

/** Run with both kernel implementations in both arithmetics; assert identical outputs and the expected path. */
function checkCase(c: Case, expectWasm = true): void {
  const bytes = writeModel(singleOpModel(c.spec));
  for (const arithmetic of ['xnnpack', 'reference'] as const) {
    const outputs: number[][] = [];
    for (const kernels of ['wasm', 'typescript'] as const) {
      const it = Interpreter.fromBytes(bytes, { kernels, arithmetic });
      c.inputs.forEach((v, k) => it.setInput(k, v));
      // Twice: nothing may depend on state left by the previous invocation.
      it.invoke();
      it.invoke();
      outputs.push(Array.from(it.getOutput(0) as ArrayLike<number>));
      const paths = it.kernelPaths();
      const want = kernels === 'wasm' && expectWasm ? 'wasm' : 'js';
      assert.deepEqual(paths.map((p) => p.path), [want], `${c.name} (${arithmetic}, ${kernels}): kernel path`);
    }
    assert.deepEqual(outputs[0], outputs[1], `${c.name} (${arithmetic}): wasm vs typescript`);
  }
}

for (const dtype of ['int8', 'uint8'] as const) {
  test(`CONV_2D ${dtype}: WebAssembly kernel bit-identical to the TypeScript loops`, () => {
    const rng = new Rng(dtype === 'int8' ? 0x8c1 : 0x8c2);
    for (let i = 0; i < 40; i++) checkCase(convCase(rng, dtype, false, randomConvShape(rng, false), `CONV_2D ${dtype} case ${i}`));
    // 1x1 stride 1 (the input widened in one run), several pixel blocks; odd K (per-pixel packing); a first layer.
    const fixed: ConvShape[] = [
      { batches: 1, inH: 40, inW: 40, inC: 8, outC: 16, fh: 1, fw: 1, stride: [1, 1], dilation: [1, 1], padding: 'SAME', multiplier: 1 },
      { batches: 2, inH: 9, inW: 7, inC: 5, outC: 13, fh: 1, fw: 1, stride: [1, 1], dilation: [1, 1], padding: 'VALID', multiplier: 1 },
      { batches: 1, inH: 33, inW: 31, inC: 3, outC: 8, fh: 3, fw: 3, stride: [2, 2], dilation: [1, 1], padding: 'SAME', multiplier: 1 },
      { batches: 1, inH: 20, inW: 18, inC: 32, outC: 24, fh: 3, fw: 3, stride: [1, 1], dilation: [1, 1], padding: 'SAME', multiplier: 1 },
      { batches: 1, inH: 24, inW: 10, inC: 1, outC: 64, fh: 10, fw: 4, stride: [2, 2], dilation: [1, 1], padding: 'SAME', multiplier: 1 },
      // One output pixel of a 1x1 window (a classifier head), from a 1x1 image and from a strided 2x2 one.
      { batches: 1, inH: 1, inW: 1, inC: 37, outC: 21, fh: 1, fw: 1, stride: [1, 1], dilation: [1, 1], padding: 'SAME', multiplier: 1 },
      { batches: 1, inH: 2, inW: 2, inC: 6, outC: 5, fh: 1, fw: 1, stride: [2, 2], dilation: [1, 1], padding: 'VALID', multiplier: 1 },
      // ResNet's 3x3 layers over several pixel blocks, strided and batched, a dilated height, a strided 1x1, VALID
      // windows that leave the last column and row unread, a 1-row output.
      { batches: 1, inH: 32, inW: 32, inC: 16, outC: 16, fh: 3, fw: 3, stride: [1, 1], dilation: [1, 1], padding: 'SAME', multiplier: 1 },
      { batches: 2, inH: 15, inW: 13, inC: 16, outC: 32, fh: 3, fw: 3, stride: [2, 2], dilation: [1, 1], padding: 'SAME', multiplier: 1 },
      { batches: 1, inH: 12, inW: 9, inC: 6, outC: 11, fh: 3, fw: 2, stride: [1, 2], dilation: [2, 1], padding: 'SAME', multiplier: 1 },
      { batches: 2, inH: 9, inW: 9, inC: 16, outC: 19, fh: 1, fw: 1, stride: [2, 2], dilation: [1, 1], padding: 'SAME', multiplier: 1 },
      { batches: 1, inH: 10, inW: 12, inC: 4, outC: 8, fh: 3, fw: 3, stride: [2, 2], dilation: [1, 1], padding: 'VALID', multiplier: 1 },
      { batches: 1, inH: 3, inW: 20, inC: 2, outC: 3, fh: 3, fw: 5, stride: [1, 1], dilation: [1, 1], padding: 'VALID', multiplier: 1 },
    ];
    fixed.forEach((s, k) => checkCase(convCase(rng, dtype, false, s, `CONV_2D ${dtype} fixed ${k}`)));
  });

  test(`DEPTHWISE_CONV_2D ${dtype}: WebAssembly kernel bit-identical to the TypeScript loops`, () => {
    const rng = new Rng(dtype === 'int8' ? 0xd51 : 0xd52);
    for (let i = 0; i < 40; i++) checkCase(convCase(rng, dtype, true, randomConvShape(rng, true), `DEPTHWISE_CONV_2D ${dtype} case ${i}`));
    const fixed: ConvShape[] = [
      // 3x3 interior windows, whole and partial channel blocks, strides 1 and 2.
      { batches: 1, inH: 16, inW: 16, inC: 32, outC: 0, fh: 3, fw: 3, stride: [1, 1], dilation: [1, 1], padding: 'SAME', multiplier: 1 },
      { batches: 2, inH: 11, inW: 9, inC: 13, outC: 0, fh: 3, fw: 3, stride: [2, 2], dilation: [1, 1], padding: 'VALID', multiplier: 1 },
      // A 10x8 filter on a 1-channel input with multiplier 8 (micro_speech), and multiplier 16.
      { batches: 1, inH: 25, inW: 20, inC: 1, outC: 0, fh: 10, fw: 8, stride: [2, 2], dilation: [1, 1], padding: 'SAME', multiplier: 8 },
      { batches: 1, inH: 12, inW: 12, inC: 2, outC: 0, fh: 3, fw: 3, stride: [2, 2], dilation: [1, 1], padding: 'SAME', multiplier: 16 },
      { batches: 1, inH: 10, inW: 12, inC: 8, outC: 0, fh: 3, fw: 3, stride: [1, 1], dilation: [2, 2], padding: 'SAME', multiplier: 1 },
    ];
    fixed.forEach((s, k) => checkCase(convCase(rng, dtype, true, s, `DEPTHWISE_CONV_2D ${dtype} fixed ${k}`)));
  });

  test(`FULLY_CONNECTED ${dtype}: WebAssembly kernel bit-identical to the TypeScript loops`, () => {
    const rng = new Rng(dtype === 'int8' ? 0xfc1 : 0xfc2);
    for (let i = 0; i < 30; i++) {
      checkCase(fcCase(rng, dtype, rng.pick([1, 1, 2, 3, 5, 9]), rng.int(1, 80), rng.int(1, 40), `FULLY_CONNECTED ${dtype} case ${i}`));
    }
    // hello_world's shapes (depth 1, one unit), a long GEMV, many rows.
    checkCase(fcCase(rng, dtype, 1, 1, 16, `FULLY_CONNECTED ${dtype} fixed`));
    checkCase(fcCase(rng, dtype, 1, 16, 1, `FULLY_CONNECTED ${dtype} fixed`));
    checkCase(fcCase(rng, dtype, 1, 4000, 4, `FULLY_CONNECTED ${dtype} fixed`));
    checkCase(fcCase(rng, dtype, 300, 24, 10, `FULLY_CONNECTED ${dtype} fixed`));
  });
}

test('sums that could leave int32 stay on the TypeScript loops (reported as js), with the same results', () => {
  // uint8 weights all 0 with zero point 255: |w - zp| = 255 on 40000 inputs, 255 * 255 * 40000 >= 2^31.
  const rng = new Rng(5);
  const depth = 40000;
  const inQ = perTensor(0.02, 128);
  const c: Case = {
    name: 'FULLY_CONNECTED uint8 beyond int32',
    spec: {
      op: 'FULLY_CONNECTED', version: 1, options: { fusedActivationFunction: 'NONE' },
      inputs: [{ dtype: 'uint8', shape: [1, depth], quantization: inQ },
        { dtype: 'uint8', shape: [2, depth], data: new Array(2 * depth).fill(0), quantization: perTensor(0.01, 255) },
        { dtype: 'int32', shape: [2], data: [10, -10], quantization: perTensor(0.0002, 0) }],
      outputs: [{ dtype: 'uint8', shape: [1], quantization: perTensor(20, 128) }],
    },
    inputs: [randomQuantized(rng, depth, 'uint8')],
  };
  checkCase(c, false);
});

test('outputs far beyond the output range (the float clamp kept: sums times scale can pass 2^21) stay bit-identical', () => {
  // Output scales a thousandth to a tenth of s_in * s_w: most outputs saturate, sums near zero do not.
  const rng = new Rng(0x5a7);
  for (const dtype of ['int8', 'uint8'] as const) {
    for (let i = 0; i < 12; i++) {
      const depthwise = i % 3 === 1;
      const c = i % 3 === 2
        ? fcCase(rng, dtype, rng.pick([1, 3]), rng.int(1, 60), rng.int(1, 30), `FULLY_CONNECTED ${dtype} saturating ${i}`)
        : convCase(rng, dtype, depthwise, randomConvShape(rng, depthwise), `${depthwise ? 'DEPTHWISE_' : ''}CONV_2D ${dtype} saturating ${i}`);
      const inS = c.spec.inputs[0]!.quantization!.scale[0];
      const wS = c.spec.inputs[1]!.quantization!.scale[0];
      const out = c.spec.outputs[0].quantization!;
      c.spec.outputs[0].quantization = perTensor(inS * wS * rng.pick([0.001, 0.01, 0.1]), out.zeroPoint[0]);
      checkCase(c);
    }
  }
});
