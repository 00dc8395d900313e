// --input-shape: a TF.js Layers model whose input has unknown height and width ([null, null, null, 3]), converted at
// two sizes and checked against TF.js model.predict at each size (official runtime and ours); without the flag the
// file holds shape [1,1,1,3] / signature [-1,-1,-1,3] and the commands that must run the model refuse it; malformed
// or contradicting flags fail with their exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../helpers/cli.js';
import { mulberry32 } from '../helpers/random.js';
import { readModelFile } from '../../src/format/index.js';
import { encodeNpy } from '../../src/evaluate/npy.js';
import { maxAbsDiff, runOfficialMany, runOursMany } from '../importers/helpers.js';
import { loadTf, saveArtifacts, seedWeights } from '../importers/tfjs-reference.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-input-shape-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const MODEL = path.join(tmp, 'model.json');

/** conv (same) -> conv (stride 2, same) -> global average pooling -> dense softmax, on an image of any size. */
async function buildModel() {
  const tf = await loadTf();
  const L = tf.layers;
  const input = tf.input({ shape: [null, null, 3], name: 'image' });
  const c1 = L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv1' }).apply(input) as any;
  const c2 = L.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'conv2' }).apply(c1) as any;
  const gap = L.globalAveragePooling2d({ name: 'gap' }).apply(c2) as any;
  const out = L.dense({ units: 5, activation: 'softmax', name: 'dense' }).apply(gap) as any;
  const model = tf.model({ inputs: input, outputs: out });
  await seedWeights(model, 7);
  const a = await saveArtifacts(model);
  fs.writeFileSync(path.join(tmp, 'weights.bin'), new Uint8Array(a.weightData));
  fs.writeFileSync(MODEL, JSON.stringify({
    format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
  }));
  return { tf, model };
}

const built = buildModel();

test('--input-shape at two sizes: outputs equal TF.js model.predict at that size (official runtime and ours)', async () => {
  const { tf, model } = await built;
  const rnd = mulberry32(3);
  for (const [h, w] of [[12, 10], [7, 9]]) {
    const out = path.join(tmp, `model_${h}x${w}.tflite`);
    const r = cli(['convert', MODEL, '-o', out, '--input-shape', `image:1,${h},${w},3`, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).inputs, [{ name: 'image', shape: [-1, h, w, 3], dtype: 'float32' }]);
    const m = readModelFile(out);
    const sg = m.subgraphs[0];
    assert.deepEqual(sg.tensors[sg.inputs[0]].shape, [1, h, w, 3]);
    const inputs = Array.from({ length: 4 }, () => [Float32Array.from({ length: h * w * 3 }, () => 2 * rnd() - 1)]);
    const expected = inputs.map(([x]) => (model.predict(tf.tensor(x, [1, h, w, 3])) as any).dataSync() as Float32Array);
    const official = await runOfficialMany(fs.readFileSync(out), inputs);
    const ours = await runOursMany(m, inputs);
    const dOfficial = Math.max(...expected.map((e, i) => maxAbsDiff(e, official[i][0])));
    const dOurs = Math.max(...expected.map((e, i) => maxAbsDiff(e, ours[i][0])));
    console.log(`# ${h}x${w}: max abs diff vs TF.js predict: official ${dOfficial.toExponential(2)}, ours ${dOurs.toExponential(2)}`);
    assert.ok(dOfficial < 1e-5, `official runtime at ${h}x${w}: ${dOfficial}`);
    assert.ok(dOurs < 1e-5, `our interpreter at ${h}x${w}: ${dOurs}`);
  }
});

test('without --input-shape: shape [1,1,1,3], signature [-1,-1,-1,3]; quantize, eval and compare run it at the samples\' size', async () => {
  await built;
  const out = path.join(tmp, 'model_unknown.tflite');
  const r = cli(['convert', MODEL, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  const sg = readModelFile(out).subgraphs[0];
  const input = sg.tensors[sg.inputs[0]];
  assert.deepEqual(input.shape, [1, 1, 1, 3]);
  assert.deepEqual(input.shapeSignature, [-1, -1, -1, 3]);

  const calib = path.join(tmp, 'calib.npy');
  fs.writeFileSync(calib, encodeNpy(Float32Array.from({ length: 4 * 12 * 10 * 3 }, (_, i) => Math.sin(i)), [4, 12, 10, 3]));
  const q = path.join(tmp, 'q.tflite');
  // The .npy samples [12,10,3] fit the signature: calibration, eval and compare run the model at 12x10.
  for (const src of [MODEL, out]) {
    const made = cli(['quantize', src, '-o', q, '--mode', 'int8', '--calibration', `npy:${calib}`, '--samples', '4']);
    assert.equal(made.code, 0, made.stderr);
    const qIn = readModelFile(q).subgraphs[0];
    assert.deepEqual(qIn.tensors[qIn.inputs[0]].shape, [1, 12, 10, 3]);
    assert.deepEqual(qIn.tensors[qIn.inputs[0]].shapeSignature, [-1, -1, -1, 3]);
    fs.rmSync(q);
  }
  const atSamples = cli(['eval', MODEL, '--dataset', `npy:${calib}`, '--json']);
  assert.equal(atSamples.code, 0, atSamples.stderr);
  assert.deepEqual(JSON.parse(atSamples.stdout).inputs[0].shape, [1, 12, 10, 3]);
  const cmp = cli(['compare', out, MODEL, '--dataset', `npy:${calib}`, '--json']);
  assert.equal(cmp.code, 0, cmp.stderr);
  // Samples that do not fit the signature (flat vectors for an image) are refused, naming the dataset.
  const flat = path.join(tmp, 'flat.npy');
  fs.writeFileSync(flat, encodeNpy(Float32Array.from({ length: 2 * 36 }, (_, i) => Math.cos(i)), [2, 36]));
  const bad = cli(['eval', out, '--dataset', `npy:${flat}`]);
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr.trim(), /flat\.npy: samples of shape \[36\] do not fit the input of model_unknown\.tflite: input 'image' has rank 4/);
  // Weights-only quantization does not run the model: allowed.
  assert.equal(cli(['quantize', MODEL, '-o', q, '--mode', 'dynamic']).code, 0);
  fs.rmSync(q);

  // With the flag, calibration runs at that size.
  const ok = cli(['quantize', MODEL, '-o', q, '--mode', 'int8', '--calibration', `npy:${calib}`, '--samples', '4', '--input-shape', 'image:1,12,10,3', '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).report.calibration.samples, 4);
  const qsg = readModelFile(q).subgraphs[0];
  assert.deepEqual(qsg.tensors[qsg.inputs[0]].shape, [1, 12, 10, 3]);
  const labels = path.join(tmp, 'labels.npy');
  fs.writeFileSync(labels, encodeNpy(Int32Array.from([0, 1, 2, 3]), [4]));
  const ev = cli(['eval', MODEL, '--dataset', `npy:${calib},${labels}`, '--input-shape', 'image:1,12,10,3', '--json']);
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal(JSON.parse(ev.stdout).samples, 4);
});

test('--input-shape errors: malformed values exit 2, names and shapes that do not fit the model exit 1', async () => {
  await built;
  const out = path.join(tmp, 'bad.tflite');
  const usage: string[][] = [
    ['--input-shape', 'image'],
    ['--input-shape', 'image:1,a,4,3'],
    ['--input-shape', 'image:1,0,4,3'],
    ['--input-shape', ':1,4,4,3'],
    ['--input-shape', 'image:1,4,4,3', '--input-shape', 'image:1,5,5,3'],
  ];
  for (const flags of usage) {
    const r = cli(['convert', MODEL, '-o', out, ...flags]);
    assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /--input-shape/);
  }
  const misfits: [string, RegExp][] = [
    ['nope:1,4,4,3', /'nope', which the model does not have \(its inputs: 'image' \[-1,-1,-1,3\]\)/],
    ['image:1,4,4', /\[1,4,4\] given for input 'image' has rank 3 where the input has rank 4 \(its inputs: 'image' \[-1,-1,-1,3\]\)/],
    ['image:1,4,4,5', /\[1,4,4,5\] given for input 'image' has 5 in dimension 3 where the input has 3/],
  ];
  for (const [flag, pattern] of misfits) {
    const r = cli(['convert', MODEL, '-o', out, '--input-shape', flag]);
    assert.equal(r.code, 1, `${flag}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], pattern);
  }
  assert.ok(!fs.existsSync(out), 'no output written');
  // A .tflite keeps its own shapes.
  const tflite = path.join(tmp, 'fixed.tflite');
  assert.equal(cli(['convert', MODEL, '-o', tflite, '--input-shape', 'image:1,4,4,3']).code, 0);
  const r = cli(['convert', tflite, '-o', out, '--input-shape', 'image:1,4,4,3']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /is a \.tflite file/);
});
