// Shared by the PTQ algorithm tests: a small depthwise-separable CNN with unequal channel ranges (what makes
// per-tensor / depthwise quantization lose accuracy), float outputs in our interpreter, and official-runtime runs.
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../../src/graph/builder.js';
import type { Model } from '../../../src/graph/model.js';
import { Interpreter } from '../../../src/runtime/interpreter.js';
import { convert } from '../../../src/convert.js';
import { openDataset } from '../../../src/evaluate/datasets/index.js';
import { quantize, type QuantizeReport } from '../../../src/quantize/index.js';
import type { AlgorithmSpec } from '../../../src/quantize/algorithms/index.js';
import { readModel, writeModel } from '../../../src/format/index.js';
import { PROJECT_ROOT } from '../../helpers/corpus.js';
import { mulberry32 } from '../../helpers/random.js';
import { runOfficialOn, runOursOn, take, toFloat, type LabelledSample } from '../helpers.js';

/**
 * input [1,8,8,3] -> CONV 3x3 (8, RELU) -> DEPTHWISE 3x3 (RELU) -> CONV 1x1 (6) -> MAX_POOL 2x2 ->
 * RESHAPE [1,96] -> FULLY_CONNECTED (5, no bias). Output channels of the first two layers are scaled by 10^U(-1.2, 1.2).
 */
export function separableModel(seed: number): Model {
  const rnd = mulberry32(seed);
  const g = new GraphBuilder();
  const values = (n: number, scaleOf: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => (2 * rnd() - 1) * scaleOf(i));
  const channelScale = Array.from({ length: 8 }, () => 10 ** (2.4 * rnd() - 1.2));
  const x = g.addInput({ name: 'x', shape: [1, 8, 8, 3], dtype: 'float32' });
  const c1 = g.addTensor({ name: 'conv1', shape: [1, 8, 8, 8], dtype: 'float32' });
  g.addOp('CONV_2D', [x, g.addConstant('conv1/w', 'float32', [8, 3, 3, 3], values(216, (i) => channelScale[Math.floor(i / 27)] * 0.3)),
    g.addConstant('conv1/b', 'float32', [8], values(8, (c) => 0.1 * channelScale[c]))], [c1],
  { padding: 'SAME', strideW: 1, strideH: 1, fusedActivationFunction: 'RELU', dilationWFactor: 1, dilationHFactor: 1 });
  const dwScale = Array.from({ length: 8 }, () => 10 ** (2.4 * rnd() - 1.2));
  const d1 = g.addTensor({ name: 'dw', shape: [1, 8, 8, 8], dtype: 'float32' });
  g.addOp('DEPTHWISE_CONV_2D', [c1, g.addConstant('dw/w', 'float32', [1, 3, 3, 8], values(72, (i) => dwScale[i % 8] * 0.3)),
    g.addConstant('dw/b', 'float32', [8], values(8, (c) => 0.05 * dwScale[c]))], [d1],
  { padding: 'SAME', strideW: 1, strideH: 1, depthMultiplier: 1, fusedActivationFunction: 'RELU', dilationWFactor: 1, dilationHFactor: 1 });
  const p1 = g.addTensor({ name: 'pw', shape: [1, 8, 8, 6], dtype: 'float32' });
  g.addOp('CONV_2D', [d1, g.addConstant('pw/w', 'float32', [6, 1, 1, 8], values(48, () => 0.4)),
    g.addConstant('pw/b', 'float32', [6], values(6, () => 0.05))], [p1],
    { padding: 'VALID', strideW: 1, strideH: 1, fusedActivationFunction: 'NONE', dilationWFactor: 1, dilationHFactor: 1 });
  const m1 = g.addTensor({ name: 'pool', shape: [1, 4, 4, 6], dtype: 'float32' });
  g.addOp('MAX_POOL_2D', [p1], [m1], { padding: 'VALID', strideW: 2, strideH: 2, filterWidth: 2, filterHeight: 2, fusedActivationFunction: 'NONE' });
  const r1 = g.addTensor({ name: 'flat', shape: [1, 96], dtype: 'float32' });
  g.addOp('RESHAPE', [m1, g.addConstant('flat/shape', 'int32', [2], [1, 96])], [r1], { newShape: [1, 96] });
  const y = g.addTensor({ name: 'y', shape: [1, 5], dtype: 'float32' });
  g.addOp('FULLY_CONNECTED', [r1, g.addConstant('fc/w', 'float32', [5, 96], values(480, () => 0.2)), -1], [y],
    { fusedActivationFunction: 'NONE', weightsFormat: 'DEFAULT', keepNumDims: false, asymmetricQuantizeInputs: false });
  g.markOutput(y);
  return g.model();
}

/** Seeded inputs in [0, 1) for the separable model. */
export function separableSamples(n: number, seed: number): Float32Array[][] {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => [Float32Array.from({ length: 192 }, rnd)]);
}

/** Float outputs (output 0) of a float model in our interpreter. */
export function floatOutputs(model: Model, samples: Float32Array[][]): Float32Array[] {
  const interp = Interpreter.fromModel(model);
  return samples.map((s) => {
    s.forEach((v, i) => interp.setInput(i, v));
    interp.invoke();
    return Float32Array.from(interp.getOutput(0) as Float32Array);
  });
}

/** A committed MNIST benchmark model (models/NAME, or under $LITEQUANT_BENCH_MODELS) and the test's skip reason. */
export function mnistBenchModel(name: string): { file: string; skip: string | false } {
  const file = path.join(process.env.LITEQUANT_BENCH_MODELS ?? path.join(PROJECT_ROOT, 'models'), name, 'model.json');
  return { file, skip: fs.existsSync(file) ? false : `benchmark model ${file} absent` };
}

export interface HeldOutCase {
  model: Model;
  /** 100 training images. */
  calibration: Float32Array[][];
  /** 300 test images, which calibration never saw. */
  heldOut: LabelledSample[];
  /** The float model's outputs on them in the official runtime. */
  reference: Float32Array[];
}

export async function mnistHeldOutCase(file: string): Promise<HeldOutCase> {
  const { model } = await convert(file);
  const shapes = { inputShapes: [[1, 28, 28]] };
  const calibration = (await take(await openDataset('mnist:train[0:100]', shapes), 100)).map((s) => s.inputs);
  const heldOut = await take(await openDataset('mnist:test[0:300]', shapes), 300);
  const reference = (await runOfficialOn(writeModel(model), heldOut)).raw.map((r) => Float32Array.from(r as number[]));
  return { model, calibration, heldOut, reference };
}

/**
 * Full int8 with the given algorithms, run in the official runtime on the held-out images (ours asserted bit-exact
 * with it): the mean over images of the squared distance of output 0 from the float model's.
 */
export async function heldOutInt8Error(c: HeldOutCase, algorithms: AlgorithmSpec[]): Promise<{ error: number; report: QuantizeReport; file: Model }> {
  const { model: q, report } = await quantize(c.model, { mode: 'int8', representativeDataset: c.calibration, algorithms, threads: 1 });
  const bytes = writeModel(q);
  const file = readModel(bytes, 'benchmark.tflite');
  const official = await runOfficialOn(bytes, c.heldOut);
  assert.deepEqual(runOursOn(file, c.heldOut).raw, official.raw, 'ours bit-exact with the official runtime');
  const out = file.subgraphs[0].tensors[file.subgraphs[0].outputs[0]];
  let sq = 0;
  official.raw.forEach((r, k) => toFloat(out, r).forEach((v, j) => { sq += (v - c.reference[k][j]) ** 2; }));
  return { error: sq / c.heldOut.length, report, file };
}
