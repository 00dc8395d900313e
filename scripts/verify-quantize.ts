// Full 10,000-image figures of the quantizer's acceptance criteria, all measured in the OFFICIAL runtime:
//   MNIST convnet (Keras .h5 -> our float conversion): int8 with uint8 / int8 / float I/O, dynamic, float16, int16x8
//   MNIST LSTM (trained_lstm.tflite): int8 with int8 I/O, fresh state per image
//   ResNet-8 (Keras .h5): int8 with int8 I/O, size vs Google's
// Usage: node --import tsx scripts/verify-quantize.ts [--limit N] [--only mnist|lstm|resnet]
import { convert } from '../src/convert.js';
import { readModel, writeModel } from '../src/format/index.js';
import type { Model } from '../src/graph/model.js';
import { openDataset } from '../src/evaluate/datasets/index.js';
import { quantize, type QuantizeOptions } from '../src/quantize/index.js';
import { corpusPath, readCorpus } from '../test/helpers/corpus.js';
import { accuracy, agreement, runOfficialOn, seededImages, take, type LabelledSample } from '../test/quantize/helpers.js';

const args = process.argv.slice(2);
const limit = args.includes('--limit') ? Number(args[args.indexOf('--limit') + 1]) : 10000;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;

const inputShapes = (m: Model) => m.subgraphs[0].inputs.map((i) => m.subgraphs[0].tensors[i].shape);

async function mnist(): Promise<void> {
  const { model: float, bytes: floatBytes } = await convert(corpusPath('keras/moonflower2022_mnist_model.h5'));
  const shapes = inputShapes(float);
  const testSet = await take(await openDataset('mnist:test', { inputShapes: shapes, limit }), limit);
  const calibration = await take(await openDataset('mnist:train', { inputShapes: shapes, limit: 100 }), 100);
  const floatRun = await runOfficialOn(floatBytes, testSet);
  const fAcc = accuracy(floatRun.top1, testSet);
  console.log(`MNIST convnet float: ${floatBytes.length} bytes, top-1 ${fAcc.toFixed(2)} % on ${testSet.length} test images`);
  const cases: [string, QuantizeOptions][] = [
    ['int8, uint8 I/O', { mode: 'int8', inputType: 'uint8', outputType: 'uint8' }],
    ['int8, int8 I/O', { mode: 'int8', inputType: 'int8', outputType: 'int8' }],
    ['int8, float I/O', { mode: 'int8' }],
    ['dynamic', { mode: 'dynamic' }],
    ['float16', { mode: 'float16' }],
    ['int16x8', { mode: 'int16x8' }],
  ];
  for (const [name, o] of cases) {
    const { model } = await quantize(float, { ...o, representativeDataset: calibration });
    const bytes = writeModel(model);
    const run = await runOfficialOn(bytes, testSet);
    const acc = accuracy(run.top1, testSet);
    const sg = model.subgraphs[0];
    console.log(`  ${name.padEnd(16)} ${String(bytes.length).padStart(7)} bytes (${(100 * bytes.length / floatBytes.length).toFixed(1)} %), `
      + `in ${sg.tensors[sg.inputs[0]].dtype}, out ${sg.tensors[sg.outputs[0]].dtype}, top-1 ${acc.toFixed(2)} % (${(acc - fAcc >= 0 ? '+' : '') + (acc - fAcc).toFixed(2)}), `
      + `agreement with float ${agreement(run.top1, floatRun.top1).toFixed(2)} %`);
  }
}

async function lstm(): Promise<void> {
  const floatRel = 'tflite/tflite-micro/trained_lstm.tflite';
  const float = readModel(readCorpus(floatRel), floatRel);
  const shapes = inputShapes(float);
  const testSet: LabelledSample[] = await take(await openDataset('mnist:test', { inputShapes: shapes, limit }), limit);
  const calibration = await take(await openDataset('mnist:train', { inputShapes: shapes, limit: 100 }), 100);
  const { model } = await quantize(float, { mode: 'int8', inputType: 'int8', outputType: 'int8', representativeDataset: calibration });
  const bytes = writeModel(model);
  const run = await runOfficialOn(bytes, testSet, true);
  console.log(`MNIST LSTM int8 (int8 I/O): ${bytes.length} bytes (Google's int8: 13,952), top-1 ${accuracy(run.top1, testSet).toFixed(2)} % `
    + `on ${testSet.length} images, fresh state per image (float 98.53 %, Google's int8 98.49 %)`);
}

async function resnet(): Promise<void> {
  const { model: float } = await convert(corpusPath('keras/pretrainedResnet.h5'));
  const { model } = await quantize(float, { mode: 'int8', inputType: 'int8', outputType: 'int8', representativeDataset: seededImages(100, 3072, 2024) });
  const bytes = writeModel(model);
  const images = seededImages(100, 3072, 7).map((inputs) => ({ inputs }));
  const run = await runOfficialOn(bytes, images);
  console.log(`ResNet-8 int8 (int8 I/O): ${bytes.length} bytes (Google's 98,496), ran ${run.top1.length} images in the official runtime`);
}

if (!only || only === 'mnist') await mnist();
if (!only || only === 'lstm') await lstm();
if (!only || only === 'resnet') await resnet();
