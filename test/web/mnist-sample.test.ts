// The page's bundled MNIST sample (web/scripts/mnist-asset.mjs, read by web/src/mnist-sample.ts) against the CLI's
// datasets: calibration samples equal `mnist:train`'s first 100 float for float (so the page writes the CLI's file),
// and the test part equals `mnist:test[:1000]` with its labels.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openDataset, type Dataset } from '../../src/evaluate/index.js';
import { mnistDataset, mnistPart } from '../../web/src/mnist-sample.js';
import { PROJECT_ROOT } from '../helpers/corpus.js';

async function buildAsset(): Promise<Uint8Array> {
  const mod = await import(pathToFileURL(path.join(PROJECT_ROOT, 'web', 'scripts', 'mnist-asset.mjs')).href) as { buildAsset(): Uint8Array };
  return mod.buildAsset();
}

async function collect(d: Dataset) {
  const out: { inputs: Float32Array[]; label?: number }[] = [];
  for await (const s of d) out.push(s);
  return out;
}

const SHAPES = [[1, 28, 28, 1]];

test('bundled MNIST sample: calibration and test samples equal the CLI datasets', async () => {
  const asset = await buildAsset();
  assert.equal(asset.length, 24 + 1100 * 785, 'header + 1,100 images of 784 pixels and a label');
  for (const [part, spec, n] of [['train', 'mnist:train', 100], ['test', 'mnist:test', 1000]] as const) {
    const ours = await collect(await mnistDataset(asset, part, { inputShapes: SHAPES, inputNames: ['x'] }));
    const cli = await collect(await openDataset(spec, { inputShapes: SHAPES, inputNames: ['x'], limit: n }));
    assert.equal(ours.length, n);
    assert.equal(cli.length, n);
    for (let i = 0; i < n; i++) {
      assert.equal(ours[i].label, cli[i].label, `${spec} sample ${i} label`);
      assert.deepEqual(ours[i].inputs[0], cli[i].inputs[0], `${spec} sample ${i} pixels`);
    }
  }
  // Independent arithmetic on one pixel: the stored byte over 255.
  const train = mnistPart(asset, 'train');
  const first = (await collect(await mnistDataset(asset, 'train', { inputShapes: SHAPES, inputNames: ['x'], limit: 1 })))[0];
  const k = train.pixels.findIndex((v) => v > 0 && v < 255);
  assert.equal(first.inputs[0][k], Math.fround(train.pixels[k] / 255));
});

test('bundled MNIST sample: a corrupt asset is refused with a DatasetError', async () => {
  const asset = await buildAsset();
  assert.throws(() => mnistPart(asset.subarray(0, 1000), 'train'), { name: 'DatasetError', message: /truncated/ });
  const bad = asset.slice();
  bad[0] = 0;
  assert.throws(() => mnistPart(bad, 'train'), { name: 'DatasetError', message: /not the page's MNIST sample/ });
});
