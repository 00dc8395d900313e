import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { openDataset } from '../../src/evaluate/datasets/index.js';
import { corpusPath, readCorpus, NO_CORPUS } from '../helpers/corpus.js';
import { runOfficial } from '../helpers/oracle.js';

const MODEL = 'tflite/coral/mobilenet_v1_0.25_128_quant.tflite';

function top(scores: Uint8Array, k: number): number[] {
  return [...scores.keys()].sort((a, b) => scores[b] - scores[a] || a - b).slice(0, k);
}

// PROVENANCE: on images/cat.bmp resized bilinearly to 128x128, the official runtime's top-1 is "tiger cat"
// (88, vs Egyptian cat 78). The uint8 input takes the resized pixel values as they are (scale 1/128, zp 128).
test('mobilenet_v1_0.25_128_quant on cat.bmp: top-1 "tiger cat", same scores as the official runtime', { skip: NO_CORPUS }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-cat-'));
  fs.mkdirSync(path.join(dir, 'cat'));
  fs.copyFileSync(corpusPath('images/cat.bmp'), path.join(dir, 'cat', 'cat.bmp'));
  const ds = await openDataset(`images:${dir}`, { inputShapes: [[1, 128, 128, 3]], scale: 1, offset: 0 });
  const samples = [];
  for await (const s of ds) samples.push(s);
  assert.equal(samples.length, 1);
  const pixels = Uint8Array.from(samples[0].inputs[0], (v) => Math.min(255, Math.max(0, Math.round(v))));
  assert.equal(pixels.length, 128 * 128 * 3);

  const labels = fs.readFileSync(corpusPath('images/imagenet_labels.txt'), 'utf8').split('\n').map((l) => l.trim());
  const interp = Interpreter.fromBytes(readCorpus(MODEL));
  interp.setInput(0, pixels);
  interp.invoke();
  const ours = interp.getOutput(0) as Uint8Array;
  const [official] = await runOfficial(readCorpus(MODEL), [pixels]);
  const ref = official.data as Uint8Array;

  const ourTop = top(ours, 3);
  const refTop = top(ref, 3);
  console.log(`# ours: ${ourTop.map((i) => `${labels[i]} ${ours[i]}`).join(', ')}; official: ${refTop.map((i) => `${labels[i]} ${ref[i]}`).join(', ')}`);
  assert.equal(labels[refTop[0]], 'tiger cat');
  assert.equal(labels[ourTop[0]], 'tiger cat');
  let maxDiff = 0;
  for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - ref[i]));
  assert.ok(maxDiff <= 4, `max difference ${maxDiff} LSB`);
});
