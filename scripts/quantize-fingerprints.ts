// SHA-256 of the files the quantizer writes for a fixed set of models and recipes: a refactoring of the rewrite
// must not change a byte. `--write FILE` records them, `--check FILE` compares (exit 1 on any difference).
//   npx tsc -p . && node dist/scripts/quantize-fingerprints.js --write /tmp/before.json
//   (change the code) && node dist/scripts/quantize-fingerprints.js --check /tmp/before.json
// Models: the tutorial CNN, the corpus moonflower MNIST .h5, trained_lstm.tflite and the ResNet-8 .h5 (skipped
// when the corpus is absent). Calibration data: MNIST train images, seeded random images for the ResNet.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { convert } from '../src/convert.js';
import { BUNDLED_MODEL } from '../src/cli/tutorial.js';
import { openDataset } from '../src/evaluate/datasets/index.js';
import { readModel, writeModel } from '../src/format/index.js';
import type { Model } from '../src/graph/model.js';
import { quantize, type QuantizeOptions } from '../src/quantize/index.js';
import { mulberry32 } from '../src/util/random.js';
import { ifModel, whileLoopModel } from '../test/helpers/control-flow-models.js';
import { mixedPrecisionModel, mixedPrecisionSamples } from '../test/helpers/mixed-precision-model.js';

const CORPUS = process.env.LITEQUANT_CORPUS ?? path.resolve('..', 'shared', 'corpus');

interface Case { name: string; model: () => Promise<Model>; data: () => Promise<Float32Array[][]>; options: Partial<QuantizeOptions>[] }

async function mnist(shape: number[], n: number): Promise<Float32Array[][]> {
  const ds = await openDataset('mnist:train', { inputShapes: [shape], limit: n });
  const out: Float32Array[][] = [];
  for await (const s of ds) { out.push(s.inputs); if (out.length >= n) break; }
  return out;
}

function randomImages(shape: number[], n: number): Float32Array[][] {
  const rng = mulberry32(1234);
  const size = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, () => [Float32Array.from({ length: size }, () => rng())]);
}

function loopSamples(): Float32Array[][] {
  const rng = mulberry32(99);
  return Array.from({ length: 12 }, (_, k) => [Float32Array.from({ length: 8 }, () => 2 * rng() - 1), Float32Array.of(k % 4)] as Float32Array[]);
}

function ifSamples(): Float32Array[][] {
  const rng = mulberry32(98);
  return Array.from({ length: 12 }, (_, k) => [Float32Array.of(k % 2), Float32Array.from({ length: 6 }, () => 2 * rng() - 1)]);
}

const FULL: Partial<QuantizeOptions>[] = [
  { mode: 'int8' },
  { mode: 'int8', inputType: 'uint8', outputType: 'uint8' },
  { mode: 'int8', inputType: 'int8', outputType: 'int8', perChannelDense: true },
  { mode: 'int8', perTensor: true, excludeOps: ['SOFTMAX'] },
  { mode: 'int8', calibrationMethod: 'mse' },
  { mode: 'int16x8' },
  { mode: 'int16x8', inputType: 'int16', outputType: 'int16' },
  { mode: 'dynamic' },
  { mode: 'float16' },
];

const corpusFile = (rel: string) => path.join(CORPUS, rel);

const CASES: Case[] = [
  { name: 'mixed-cnn', model: async () => mixedPrecisionModel(), data: async () => mixedPrecisionSamples(32, 5),
    options: [...FULL, { mode: 'int8', excludeOps: ['#1'] }, { mode: 'int8', excludeOps: ['ADD', 'CONCATENATION'] }, { mode: 'int16x8', excludeOps: ['#2', 'RESHAPE'] }] },
  { name: 'while-loop', model: async () => whileLoopModel(), data: async () => loopSamples(), options: [{ mode: 'int8' }, { mode: 'int16x8' }] },
  { name: 'if', model: async () => ifModel(), data: async () => ifSamples(), options: [{ mode: 'int8' }, { mode: 'int16x8' }] },
  { name: 'tutorial-cnn', model: async () => (await convert(BUNDLED_MODEL)).model, data: () => mnist([1, 28, 28, 1], 64), options: FULL },
  { name: 'moonflower-h5', model: async () => (await convert(corpusFile('keras/moonflower2022_mnist_model.h5'))).model,
    data: () => mnist([1, 28, 28, 1], 64), options: FULL },
  { name: 'trained-lstm', model: async () => readModel(fs.readFileSync(corpusFile('tflite/tflite-micro/trained_lstm.tflite'))),
    data: () => mnist([1, 28, 28], 24), options: [{ mode: 'int8' }, { mode: 'int8', inputType: 'int8', outputType: 'int8' }, { mode: 'int16x8' }, { mode: 'dynamic' }] },
  { name: 'resnet8-h5', model: async () => (await convert(corpusFile('keras/pretrainedResnet.h5'))).model,
    data: async () => randomImages([1, 32, 32, 3], 16), options: [{ mode: 'int8' }, { mode: 'int8', perTensor: true }, { mode: 'int16x8' }] },
];

async function fingerprints(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of CASES) {
    let model: Model;
    try { model = await c.model(); } catch (e) { console.error(`${c.name}: skipped (${(e as Error).message})`); continue; }
    const data = await c.data();
    for (const o of c.options) {
      const key = `${c.name} ${JSON.stringify(o)}`;
      const { model: q } = await quantize(model, { mode: 'int8', ...o, representativeDataset: data, samples: data.length, threads: 1 } as QuantizeOptions);
      out[key] = createHash('sha256').update(writeModel(q)).digest('hex');
      console.error(`${key} ${out[key].slice(0, 16)}`);
    }
  }
  return out;
}

const [flag, file] = process.argv.slice(2);
if (flag !== '--write' && flag !== '--check' || !file) {
  console.error('usage: quantize-fingerprints --write FILE | --check FILE');
  process.exit(2);
}
const now = await fingerprints();
if (flag === '--write') {
  fs.writeFileSync(file, JSON.stringify(now, null, 1));
} else {
  const before = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
  let bad = 0;
  for (const [k, h] of Object.entries(before)) {
    if (now[k] !== h) { bad++; console.log(`DIFFERENT ${k}`); }
  }
  console.log(`${Object.keys(before).length - bad} identical, ${bad} different`);
  process.exit(bad ? 1 : 0);
}
