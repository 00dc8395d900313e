// TF.js Layers models -> float .tflite, against TF.js's own predictions: the model as TF.js saved it, and the
// same model with its weight manifest rewritten as uint8- and float16-quantized, loaded back by TF.js itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { convert } from '../../src/convert.js';
import { ModelFormatError } from '../../src/errors.js';
import { floatToFloat16Bits } from '../../src/graph/float16.js';
import { mulberry32 } from '../helpers/random.js';
import { maxAbsDiff, runOfficialMany, runOursMany } from './helpers.js';
import { loadTf } from './tfjs-reference.js';

interface Artifacts { modelTopology: any; weightSpecs: any[]; weightData: ArrayBuffer }

async function buildAndSave(): Promise<{ artifacts: Artifacts; tf: Awaited<ReturnType<typeof loadTf>> }> {
  const tf = await loadTf();
  const L = tf.layers;
  const input = tf.input({ shape: [8, 8, 3], name: 'image' });
  const c1 = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv' }).apply(input) as any;
  const d1 = L.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw' }).apply(c1) as any;
  const b1 = L.batchNormalization({ name: 'bn' }).apply(d1) as any;
  const r1 = L.activation({ activation: 'relu6', name: 'relu6' }).apply(b1) as any;
  const sum = L.add({ name: 'add' }).apply([c1, r1]) as any;
  const cat = L.concatenate({ name: 'concat' }).apply([sum, c1]) as any;
  const mp = L.maxPooling2d({ poolSize: 2, name: 'maxpool' }).apply(cat) as any;
  const ap = L.averagePooling2d({ poolSize: 2, name: 'avgpool' }).apply(mp) as any;
  const fl = L.flatten({ name: 'flatten' }).apply(ap) as any;
  const out = L.dense({ units: 5, activation: 'softmax', name: 'dense' }).apply(fl) as any;
  const model = tf.model({ inputs: input, outputs: out });
  const rnd = mulberry32(11);
  for (const layer of model.layers) {
    layer.setWeights(layer.weights.map((w) => {
      const variance = w.name.includes('variance');
      const size = w.shape.reduce((p: number, d) => p * (d ?? 1), 1);
      return tf.tensor(Float32Array.from({ length: size }, () => (variance ? 0.5 + rnd() : rnd() - 0.5)), w.shape as number[]);
    }));
  }
  let artifacts: Artifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (a: any) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return { artifacts: artifacts!, tf };
}

/** Rewrite every float32 weight as TF.js's quantized manifest formats describe. */
function quantizeArtifacts(a: Artifacts, dtype: 'uint8' | 'float16'): Artifacts {
  const src = new Float32Array(a.weightData);
  const parts: Uint8Array[] = [];
  const specs: any[] = [];
  let offset = 0;
  for (const spec of a.weightSpecs) {
    const n = spec.shape.reduce((p: number, d: number) => p * d, 1);
    const v = src.subarray(offset, offset + n);
    offset += n;
    if (dtype === 'uint8') {
      let min = Infinity, max = -Infinity;
      for (const x of v) { min = Math.min(min, x); max = Math.max(max, x); }
      const scale = max > min ? (max - min) / 255 : 1;
      parts.push(Uint8Array.from(v, (x) => Math.round((x - min) / scale)));
      specs.push({ ...spec, quantization: { dtype: 'uint8', min, scale } });
    } else {
      const h = new Uint16Array(n);
      for (let i = 0; i < n; i++) h[i] = floatToFloat16Bits(v[i]);
      parts.push(new Uint8Array(h.buffer));
      specs.push({ ...spec, quantization: { dtype: 'float16' } });
    }
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const data = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { data.set(p, o); o += p.length; }
  return { modelTopology: a.modelTopology, weightSpecs: specs, weightData: data.buffer };
}

async function compareWithTfjs(tf: Awaited<ReturnType<typeof loadTf>>, a: Artifacts, label: string) {
  const reference = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: a.modelTopology, weightSpecs: a.weightSpecs, weightData: a.weightData }));
  const ours = await convert(a, { label });
  const rnd = mulberry32(5);
  const inputs = Array.from({ length: 4 }, () => [Float32Array.from({ length: 8 * 8 * 3 }, () => rnd())]);
  const expected = inputs.map((x) => Float32Array.from((reference.predict(tf.tensor(x[0], [1, 8, 8, 3])) as any).dataSync()));
  const off = await runOfficialMany(ours.bytes, inputs);
  const mine = await runOursMany(ours.model, inputs);
  let worst = 0, worstOurs = 0;
  expected.forEach((e, i) => {
    worst = Math.max(worst, maxAbsDiff(off[i][0], e));
    worstOurs = Math.max(worstOurs, maxAbsDiff(mine[i][0], e));
  });
  return { worst, worstOurs, summary: ours.summary };
}

test('a TF.js Layers model (conv, depthwise, BN, add, concat, pooling, dense) converts; float, uint8 and float16 manifests', async () => {
  const { artifacts, tf } = await buildAndSave();
  for (const [label, a] of [['float32', artifacts], ['uint8', quantizeArtifacts(artifacts, 'uint8')], ['float16', quantizeArtifacts(artifacts, 'float16')]] as const) {
    const r = await compareWithTfjs(tf, a, `tfjs-${label}`);
    assert.ok(r.worst <= 1e-5 && r.worstOurs <= 1e-5, `${label}: max abs diff vs TF.js official ${r.worst}, ours ${r.worstOurs}`);
    // The BatchNormalization folds into the depthwise conv, activations fuse, and nothing else is left over.
    assert.deepEqual(r.summary.opList, ['CONV_2D', 'DEPTHWISE_CONV_2D', 'ADD', 'CONCATENATION', 'MAX_POOL_2D', 'AVERAGE_POOL_2D', 'RESHAPE', 'FULLY_CONNECTED', 'SOFTMAX']);
    console.log(`tfjs ${label}: max abs diff vs TF.js official ${r.worst.toExponential(2)}, ours ${r.worstOurs.toExponential(2)}`);
  }
});

test('model.json + shard files on disk; a short shard is one clear error and writes nothing', async () => {
  const { artifacts, tf } = await buildAndSave();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-tfjs-'));
  try {
    const data = new Uint8Array(artifacts.weightData);
    const half = Math.ceil(data.length / 2);
    fs.writeFileSync(path.join(dir, 'group1-shard1of2.bin'), data.subarray(0, half));
    fs.writeFileSync(path.join(dir, 'group1-shard2of2.bin'), data.subarray(half));
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({
      format: 'layers-model', modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: artifacts.weightSpecs }],
    }));
    const out = path.join(dir, 'out.tflite');
    const r = await convert(path.join(dir, 'model.json'), { output: out });
    assert.ok(fs.existsSync(out));
    assert.equal(r.summary.format, 'tfjs-layers');
    const ref = await compareWithTfjs(tf, artifacts, 'mem');
    assert.ok(ref.worst <= 1e-5);

    fs.writeFileSync(path.join(dir, 'group1-shard2of2.bin'), data.subarray(half, data.length - 8));
    const out2 = path.join(dir, 'out2.tflite');
    await assert.rejects(convert(path.join(dir, 'model.json'), { output: out2 }),
      (e: Error) => e instanceof ModelFormatError && /model\.json/.test(e.message) && /truncated/.test(e.message) && !e.message.includes('\n'));
    assert.ok(!fs.existsSync(out2), 'no output file after a failed conversion');
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('out2')), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
