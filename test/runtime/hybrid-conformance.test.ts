// Hybrid (dynamic-range: float activations, int8 weights) CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, and the
// float convolutions that feed them, vs the official TFLite runtime on seeded one-op models: both our kernel paths
// ('wasm' and 'typescript') must give the official runtime's float32 values bit for bit.
//
// Why bit for bit: a hybrid op quantizes its float input per batch, so a one-ulp difference in an upstream float
// op can move an input value across a rounding boundary, which changes the quantized input by one step and the
// output by a whole input-scale x weight-scale product; over a network's chain of hybrid ops such flips compound
// (BlazeFace: ~2 % of the output range from ulp-level float differences). The cases cover what the official
// runtime computes differently from a naive kernel: TFLite's float order of the hybrid rescale (per-tensor conv and
// FC: float32(sum) x (input scale x weight scale); per-channel conv: float32(sum) x (weight scale x input scale);
// depthwise: (float32(sum) x input scale) x weight scale), asymmetric per-batch input quantization with nonzero zero
// points (all-positive inputs after a ReLU, all-negative, all-zero batches) padded with the zero point, sums past
// 2^24 (rounded to float32 before scaling), and the tap order of float depthwise sums (column-major in XNNPACK's
// 2x2/3x3/5x5 dwconv tiles, row-major elsewhere).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DType } from '../../src/graph/model.js';
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { ACTIVATIONS, PADDINGS, Rng, randomWeights, runReference, singleOpModel, type OpSpec } from '../helpers/conformance.js';

type Kernels = 'wasm' | 'typescript';

function runOurs(bytes: Uint8Array, input: Float32Array, kernels: Kernels): { out: Float32Array; paths: string[] } {
  const it = Interpreter.fromBytes(bytes, { kernels });
  it.setInput(0, input);
  it.invoke();
  return { out: Float32Array.from(it.getOutput(0) as Float32Array), paths: it.kernelPaths().map((p) => p.path) };
}

/** Elements that differ from the reference (as bits: NaN never expected), and the worst one for the message. */
function mismatches(ours: Float32Array, ref: Float32Array): { count: number; message: string } {
  let count = 0;
  let worst = -1;
  for (let i = 0; i < ref.length; i++) {
    if (!Object.is(ours[i], ref[i]) && !(ours[i] === 0 && ref[i] === 0)) {
      count++;
      if (worst < 0 || Math.abs(ours[i] - ref[i]) > Math.abs(ours[worst] - ref[worst])) worst = i;
    }
  }
  const message = worst < 0 ? 'identical' : `${count}/${ref.length} differ; worst at ${worst}: ours ${ours[worst]} vs official ${ref[worst]}`;
  return { count, message };
}

/** Official runtime vs both our paths, bit for bit; the 'wasm' run must really take the WebAssembly path. */
async function checkExact(name: string, spec: OpSpec, input: Float32Array): Promise<void> {
  const bytes = writeModel(singleOpModel(spec));
  const [ref] = await runReference(bytes, [input]);
  assert.equal(ref.dtype, 'float32', `${name}: official output dtype`);
  const refData = Float32Array.from(ref.data);
  for (const kernels of ['wasm', 'typescript'] as const) {
    const { out, paths } = runOurs(bytes, input, kernels);
    assert.equal(out.length, refData.length, `${name} (${kernels}): output length`);
    assert.deepEqual(paths, [kernels === 'wasm' ? 'wasm' : 'js'], `${name} (${kernels}): kernel path`);
    const m = mismatches(out, refData);
    assert.equal(m.count, 0, `${name} (${kernels}): ${m.message}`);
  }
}

/** Input values of one of the ranges that matter for asymmetric per-batch quantization. */
type InputRange = 'symmetric' | 'positive' | 'negative' | 'offset' | 'zeroBatch';
const RANGES: InputRange[] = ['symmetric', 'positive', 'negative', 'offset', 'zeroBatch'];

function inputValues(rng: Rng, batches: number, perBatch: number, range: InputRange): Float32Array {
  const x = new Float32Array(batches * perBatch);
  for (let b = 0; b < batches; b++) {
    const scale = rng.float(0.2, 30);
    for (let i = 0; i < perBatch; i++) {
      let v: number;
      switch (range) {
        case 'symmetric': v = rng.float(-1, 1); break;
        // After a ReLU: zero point -128, so quantized 0 is not the real 0 (padding must use the zero point).
        case 'positive': v = rng.bool(0.3) ? 0 : rng.float(0, 1); break;
        case 'negative': v = rng.float(-1, 0); break;
        case 'offset': v = rng.float(-0.15, 1); break;
        // Batch 0 all zeros (min = max: scale 1, every value 0), the others positive.
        case 'zeroBatch': v = b === 0 ? 0 : rng.float(0, 1); break;
      }
      x[b * perBatch + i] = v * scale;
    }
  }
  return x;
}

interface ConvCase { depthwise: boolean; perChannel: boolean; range: InputRange; seed: number }

function convSpec(rng: Rng, c: ConvCase): { spec: OpSpec; input: Float32Array; label: string } {
  const batches = c.range === 'zeroBatch' ? 2 : rng.pick([1, 1, 2, 3]);
  const inH = rng.int(4, 11), inW = rng.int(4, 11);
  const inC = rng.int(1, 7);
  const k = rng.pick([1, 2, 3, 3, 5]);
  const stride = rng.pick([1, 2]);
  const dilation = k > 1 && rng.bool(0.2) ? 2 : 1;
  const dm = c.depthwise ? rng.pick([1, 1, 2, 3]) : 1;
  const outC = c.depthwise ? inC * dm : rng.int(1, 9);
  let padding: string = rng.pick(PADDINGS);
  if ((k - 1) * dilation + 1 > Math.min(inH, inW)) padding = 'SAME';
  const act = rng.pick(ACTIVATIONS);
  const wShape = c.depthwise ? [1, k, k, outC] : [outC, k, k, inC];
  // Hybrid DEPTHWISE_CONV_2D reads one scale per channel (the official runtime requires per-channel weights there).
  const wt = randomWeights(rng, wShape, c.perChannel ? (c.depthwise ? 3 : 0) : null, 0.02);
  const options: Record<string, string | number> = {
    padding, strideH: stride, strideW: stride, dilationHFactor: dilation, dilationWFactor: dilation, fusedActivationFunction: act,
  };
  if (c.depthwise) options.depthMultiplier = dm;
  const spec: OpSpec = {
    op: c.depthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D',
    // As TFLite's op versions: hybrid conv 2 (per-tensor) / 5 (per-channel), hybrid per-channel depthwise 6.
    version: c.depthwise ? 6 : c.perChannel ? 5 : 2,
    options,
    inputs: [
      { dtype: 'float32', shape: [batches, inH, inW, inC] },
      { dtype: 'int8', shape: wShape, data: wt.values, quantization: wt.quantization },
      { dtype: 'float32', shape: [outC], data: rng.floats(outC, -1, 1) },
    ],
    outputs: [{ dtype: 'float32', shape: [1] }],
  };
  const label = `${spec.op} ${c.perChannel ? 'per-channel' : 'per-tensor'} ${c.range} seed ${c.seed}: [${batches},${inH},${inW},${inC}] ` +
    `${k}x${k} s${stride} d${dilation} m${dm} ${padding} ${act}`;
  return { spec, input: inputValues(rng, batches, inH * inW * inC, c.range), label };
}

test('hybrid CONV_2D (per-channel and per-tensor int8 filters) gives the official runtime\'s floats on both kernel paths', async () => {
  let n = 0;
  for (const perChannel of [true, false]) {
    for (const range of RANGES) {
      for (let seed = 0; seed < 4; seed++) {
        const rng = new Rng(0x4b1d + seed * 31 + RANGES.indexOf(range) * 7 + (perChannel ? 1000 : 0));
        const { spec, input, label } = convSpec(rng, { depthwise: false, perChannel, range, seed });
        await checkExact(label, spec, input);
        n++;
      }
    }
  }
  assert.equal(n, 40);
});

test('hybrid DEPTHWISE_CONV_2D (per-channel int8 filter, depth multipliers) gives the official runtime\'s floats on both kernel paths', async () => {
  for (const range of RANGES) {
    for (let seed = 0; seed < 5; seed++) {
      const rng = new Rng(0xd3e9 + seed * 17 + RANGES.indexOf(range) * 5);
      const { spec, input, label } = convSpec(rng, { depthwise: true, perChannel: true, range, seed });
      await checkExact(label, spec, input);
    }
  }
});

test('hybrid FULLY_CONNECTED (symmetric and asymmetric inputs) gives the official runtime\'s floats on both kernel paths', async () => {
  for (const asymmetric of [false, true]) {
    for (const range of RANGES) {
      for (let seed = 0; seed < 3; seed++) {
        const rng = new Rng(0xfc + seed * 13 + RANGES.indexOf(range) * 3 + (asymmetric ? 500 : 0));
        const depth = rng.int(1, 70);
        const units = rng.int(1, 20);
        const rows = range === 'zeroBatch' ? 2 : rng.int(1, 4);
        // Per-tensor weights: this official runtime build returns zeros for hybrid FC with per-channel weights.
        const wt = randomWeights(rng, [units, depth], null, 0.02);
        const spec: OpSpec = {
          op: 'FULLY_CONNECTED', version: asymmetric ? 9 : 3,
          options: { fusedActivationFunction: rng.pick(ACTIVATIONS), keepNumDims: false, asymmetricQuantizeInputs: asymmetric },
          inputs: [
            { dtype: 'float32', shape: [rows, depth] },
            { dtype: 'int8', shape: [units, depth], data: wt.values, quantization: wt.quantization },
            { dtype: 'float32', shape: [units], data: rng.floats(units, -1, 1) },
          ],
          outputs: [{ dtype: 'float32', shape: [1] }],
        };
        await checkExact(`FULLY_CONNECTED ${asymmetric ? 'asymmetric' : 'symmetric'} ${range} seed ${seed}: [${rows},${depth}] x ${units}`,
          spec, inputValues(rng, rows, depth, range));
      }
    }
  }
});

test('hybrid sums past 2^24 are rounded to float32 before scaling, as the official runtime converts them', async () => {
  // Large same-sign weights and inputs: sums of 2400 products near 127 x 127 (or x 255 asymmetric) pass 2^24, where
  // float32 is no longer exact; 16 channels of random such sums, so rounding them first shows on some.
  const depth = 2400;
  const units = 16;
  const rng = new Rng(0x2424);
  for (const asymmetric of [false, true]) {
    const fc: OpSpec = {
      op: 'FULLY_CONNECTED', version: asymmetric ? 9 : 3,
      options: { fusedActivationFunction: 'NONE', keepNumDims: false, asymmetricQuantizeInputs: asymmetric },
      inputs: [
        { dtype: 'float32', shape: [2, depth] },
        { dtype: 'int8', shape: [units, depth], data: rng.ints(units * depth, 90, 127), quantization: { scale: [Math.fround(0.0123)], zeroPoint: [0], quantizedDimension: 0 } },
        { dtype: 'float32', shape: [units], data: rng.floats(units, -1, 1) },
      ],
      outputs: [{ dtype: 'float32', shape: [1] }],
    };
    await checkExact(`FULLY_CONNECTED ${asymmetric ? 'asymmetric' : 'symmetric'} with sums past 2^24`, fc, rng.floats(2 * depth, 0.8, 1));
  }
  // The same through a 1x1 CONV_2D with per-channel weights (asymmetric input) and a 5x5 per-tensor one.
  for (const [k, inC, perChannel] of [[1, 2400, true], [5, 96, false]] as const) {
    const wShape = [units, k, k, inC];
    const n = units * k * k * inC;
    const conv: OpSpec = {
      op: 'CONV_2D', version: perChannel ? 5 : 2,
      options: { padding: 'SAME', strideH: 1, strideW: 1, dilationHFactor: 1, dilationWFactor: 1, fusedActivationFunction: 'NONE' },
      inputs: [
        { dtype: 'float32', shape: [1, 3, 3, inC] },
        {
          dtype: 'int8', shape: wShape, data: rng.ints(n, 90, 127),
          quantization: perChannel
            ? { scale: Array.from({ length: units }, () => Math.fround(rng.float(0.005, 0.02))), zeroPoint: new Array(units).fill(0), quantizedDimension: 0 }
            : { scale: [Math.fround(0.0071)], zeroPoint: [0], quantizedDimension: 0 },
        },
        { dtype: 'float32', shape: [units], data: rng.floats(units, -1, 1) },
      ],
      outputs: [{ dtype: 'float32', shape: [1] }],
    };
    await checkExact(`CONV_2D ${perChannel ? 'per-channel' : 'per-tensor'} ${k}x${k} with sums past 2^24`, conv, rng.floats(9 * inC, 0.8, 1));
  }
});

test('float DEPTHWISE_CONV_2D sums its taps in the official runtime\'s order on both kernel paths', async () => {
  // Column-major XNNPACK dwconv tiles (2x2, 3x3, 5x5, constant bias, multiplier 1) and every row-major case:
  // depth multipliers, other filter sizes, no bias (TFLite's own kernel).
  const shapes: [number, number][] = [[2, 2], [3, 3], [5, 5], [4, 4], [3, 5], [2, 3], [6, 6], [1, 4], [7, 7]];
  let seed = 0;
  for (const [fh, fw] of shapes) {
    for (const [dm, withBias, stride, dilation] of [[1, true, 1, 1], [1, true, 2, 1], [2, true, 1, 1], [1, false, 1, 1], [1, true, 1, 2]] as const) {
      // This official runtime build returns zeros for non-square filters with strides > 1 (see conv-conformance).
      if (stride > 1 && fh !== fw) continue;
      const rng = new Rng(0xdd + seed++);
      const inC = rng.int(1, 9);
      const C = inC * dm;
      const batches = rng.int(1, 2);
      const inH = rng.int(8, 12), inW = rng.int(8, 12);
      const padding = rng.pick(PADDINGS);
      const spec: OpSpec = {
        op: 'DEPTHWISE_CONV_2D', version: dilation > 1 ? 2 : 1,
        options: {
          padding, strideH: stride, strideW: stride, dilationHFactor: dilation, dilationWFactor: dilation,
          fusedActivationFunction: rng.pick(ACTIVATIONS), depthMultiplier: dm,
        },
        inputs: [
          { dtype: 'float32', shape: [batches, inH, inW, inC] },
          { dtype: 'float32', shape: [1, fh, fw, C], data: rng.floats(fh * fw * C, -1, 1) },
          ...(withBias ? [{ dtype: 'float32' as DType, shape: [C], data: rng.floats(C, -1, 1) }] : []),
        ],
        outputs: [{ dtype: 'float32', shape: [1] }],
      };
      await checkExact(`float DEPTHWISE_CONV_2D ${fh}x${fw} m${dm} s${stride} d${dilation} ${padding}${withBias ? '' : ' no bias'}`,
        spec, rng.floats(batches * inH * inW * inC, -3, 3));
    }
  }
});

test('float CONV_2D gives the official runtime\'s floats on both kernel paths (float32 sums from the bias)', async () => {
  for (let seed = 0; seed < 12; seed++) {
    const rng = new Rng(0xc2d + seed);
    const inC = rng.int(1, 12), outC = rng.int(1, 12);
    const k = rng.pick([1, 2, 3, 5]);
    const stride = rng.pick([1, 2]);
    const batches = rng.int(1, 2);
    const inH = rng.int(6, 10), inW = rng.int(6, 10);
    const padding = rng.pick(PADDINGS);
    const spec: OpSpec = {
      op: 'CONV_2D', version: 1,
      options: { padding, strideH: stride, strideW: stride, dilationHFactor: 1, dilationWFactor: 1, fusedActivationFunction: rng.pick(ACTIVATIONS) },
      inputs: [
        { dtype: 'float32', shape: [batches, inH, inW, inC] },
        { dtype: 'float32', shape: [outC, k, k, inC], data: rng.floats(outC * k * k * inC, -1, 1) },
        { dtype: 'float32', shape: [outC], data: rng.floats(outC, -1, 1) },
      ],
      outputs: [{ dtype: 'float32', shape: [1] }],
    };
    await checkExact(`float CONV_2D seed ${seed}: [${batches},${inH},${inW},${inC}] ${k}x${k} s${stride} ${padding} -> ${outC}`,
      spec, rng.floats(batches * inH * inW * inC, -2, 2));
  }
});
