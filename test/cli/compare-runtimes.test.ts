// `compare --runtime litert` (LiteRT.js) against `--runtime tflite` (tfjs-tflite) through the real CLI: the same
// accuracy and agreement on the corpus ResNet-8 int8 file (seeded random images as an npy dataset) and on the
// tutorial's float/int8 MNIST pair (the first 50 test images). Both are Google's TFLite kernels, so any difference
// is in our plumbing. Also `--official-latency`: per model, a latency for ours and each installed official runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../helpers/cli.js';
import { corpusPath, NO_CORPUS } from '../helpers/corpus.js';
import { Rng } from '../helpers/random.js';
import { encodeNpy } from '../../src/evaluate/npy.js';
import { writeModelFile } from '../../src/format/index.js';
import { liteRtAvailable } from '../../src/runtime/litert.js';
import { officialRuntimeAvailable } from '../../src/runtime/official.js';
import { tutorialFloatModel, tutorialInt8Model } from '../../src/cli/tutorial.js';

const skip = NO_CORPUS || (!liteRtAvailable() && '@litertjs/core is not installed: LiteRT.js CLI tests skipped')
  || (!officialRuntimeAvailable() && '@tensorflow/tfjs-tflite is not installed: LiteRT.js CLI tests skipped');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-litert-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function compareJson(args: string[]) {
  const r = cli(['compare', ...args, '--layer-samples', '0', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function assertSameAccuracy(lite: any, tfl: any) {
  assert.equal(lite.runtime, 'litert');
  assert.equal(tfl.runtime, 'tflite');
  assert.equal(lite.models.length, tfl.models.length);
  for (let k = 0; k < tfl.models.length; k++) {
    const [a, b] = [lite.models[k], tfl.models[k]];
    assert.equal(a.evaluation.correct_top1, b.evaluation.correct_top1, `${b.model}: top-1 count`);
    assert.equal(a.evaluation.correct_top5, b.evaluation.correct_top5, `${b.model}: top-5 count`);
    assert.equal(a.agreement_top1, b.agreement_top1, `${b.model}: agreement with the first model`);
    assert.ok(a.latency_ms.p50 > 0);
  }
}

test('compare --runtime litert = --runtime tflite on the corpus ResNet-8 float/int8 pair', { skip }, () => {
  const n = 16;
  const rng = new Rng(0x2e5);
  const images = Uint8Array.from({ length: n * 32 * 32 * 3 }, () => rng.int(0, 255));
  const labels = Int32Array.from({ length: n }, () => rng.int(0, 9));
  fs.writeFileSync(path.join(tmp, 'x.npy'), encodeNpy(images, [n, 32, 32, 3]));
  fs.writeFileSync(path.join(tmp, 'y.npy'), encodeNpy(labels, [n]));
  const models = ['pretrainedResnet.tflite', 'pretrainedResnet_quant.tflite'].map((f) => corpusPath(`tflite/mlcommons-tiny/${f}`));
  const data = ['--dataset', `npy:${path.join(tmp, 'x.npy')},${path.join(tmp, 'y.npy')}`];
  const lite = compareJson([...models, ...data, '--runtime', 'litert']);
  const tfl = compareJson([...models, ...data, '--runtime', 'tflite']);
  assert.equal(lite.samples, n);
  assertSameAccuracy(lite, tfl);
});

test('compare --runtime litert = --runtime tflite on the tutorial MNIST pair (int8, uint8 I/O); --official-latency', { skip }, async () => {
  const floatPath = path.join(tmp, 'mnist_float.tflite');
  const int8Path = path.join(tmp, 'mnist_int8.tflite');
  const float = await tutorialFloatModel(undefined, floatPath);
  writeModelFile(int8Path, (await tutorialInt8Model(float.model)).model);
  const args = [floatPath, int8Path, '--dataset', 'mnist:test', '--limit', '50'];
  const lite = compareJson([...args, '--runtime', 'litert', '--official-latency', '5']);
  const tfl = compareJson([...args, '--runtime', 'tflite']);
  assert.equal(lite.samples, 50);
  assertSameAccuracy(lite, tfl);
  assert.ok(lite.models[1].top1 >= 0.9, `int8 top-1 ${lite.models[1].top1}`);

  // --official-latency: ours and both official runtimes timed on the same 5 samples, for each model.
  assert.equal(tfl.models[0].runtime_latency, undefined, 'off unless asked');
  for (const m of lite.models) {
    assert.equal(m.runtime_latency.samples, 5);
    assert.deepEqual(m.runtime_latency.runtimes.map((x: any) => x.runtime), ['builtin', 'tflite', 'litert']);
    for (const x of m.runtime_latency.runtimes) assert.ok(x.latency_ms.p50 > 0 && x.latency_ms.max >= x.latency_ms.p50, JSON.stringify(x));
  }
  const human = cli(['compare', ...args, '--layer-samples', '0', '--official-latency', '3']);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /latency by runtime: p50 per sample on the first 3 samples/);
  assert.match(human.stdout, /mnist_int8\.tflite +[\d.]+ ms +[\d.]+ ms +[\d.]+ ms +[\d.]+x/);
  const bad = cli(['compare', ...args, '--official-latency', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--official-latency takes a positive integer/);
});
