// The commands on models of unknown height/width (shape_signature [-1,-1,-1,3]): run --input-shape (by name or
// position) against the official runtime on a copy of the file at that size; its refusals (rank, fixed dimension:
// exit 2; a size past the memory limit: exit 1 before any big allocation); eval and compare on an image folder at
// the images' own size and at --size, against the official runtime's predictions; quantize calibrated on the folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { cli } from '../helpers/cli.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { mulberry32 } from '../helpers/random.js';
import { convert } from '../../src/convert.js';
import { readModelFile, writeModel } from '../../src/format/index.js';
import { tensorDetails } from '../../src/format/details.js';
import { deterministicValues } from '../../src/runtime/io.js';
import { checkInputResize, modelWithInputShapes } from '../../src/runtime/input-resize.js';
import { buildDynamicModel } from '../runtime/dynamic-models.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-dynamic-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

async function writeModelFile(kind: 'classifier' | 'fully-conv'): Promise<string> {
  const { artifacts } = await buildDynamicModel(kind);
  const file = path.join(tmp, `${kind}.tflite`);
  await convert(artifacts as any, { output: file, label: kind });
  return file;
}

/** An image folder with two class folders of 40x48 RGB PNGs. */
function writeImages(): string {
  const dir = path.join(tmp, 'images');
  const rnd = mulberry32(5);
  for (const cls of ['a', 'b']) {
    fs.mkdirSync(path.join(dir, cls), { recursive: true });
    for (let k = 0; k < 3; k++) {
      const png = new PNG({ width: 48, height: 40 });
      for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : Math.floor(rnd() * 256);
      fs.writeFileSync(path.join(dir, cls, `${k}.png`), PNG.sync.write(png));
    }
  }
  return dir;
}

const files = (async () => ({ classifier: await writeModelFile('classifier'), fullyConv: await writeModelFile('fully-conv'), images: writeImages() }))();

async function officialAt(file: string, shape: number[], input: ArrayLike<number>) {
  const model = readModelFile(file);
  const r = await createOfficialRunner(writeModel(modelWithInputShapes(model, checkInputResize(model, { 0: shape }, file))));
  try {
    r.setInput(0, input);
    r.invoke();
    const o = r.getOutputs()[0];
    return { shape: o.shape, data: Array.from(o.data as ArrayLike<number>) };
  } finally {
    r.delete();
  }
}

test('run --input-shape by name and by position: outputs equal the official runtime on a copy at that size', async () => {
  const { classifier, fullyConv } = await files;
  for (const [file, flag, shape] of [
    [classifier, 'image:1,40,48,3', [1, 40, 48, 3]],
    [fullyConv, '0:1,32,36,3', [1, 32, 36, 3]],
  ] as [string, string, number[]][]) {
    const r = cli(['run', file, '--input-shape', flag, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout).outputs[0];
    // run fills inputs deterministically from the details at the resized shape: the same values for the oracle.
    const sg = readModelFile(file).subgraphs[0];
    const d = { ...tensorDetails(sg, sg.inputs[0]), shape };
    const x = deterministicValues(d, shape.reduce((a, b) => a * b, 1));
    const ref = await officialAt(file, shape, x as ArrayLike<number>);
    assert.deepEqual(out.shape, ref.shape);
    let diff = 0;
    for (let i = 0; i < ref.data.length; i++) diff = Math.max(diff, Math.abs(out.data[i] - ref.data[i]));
    console.log(`run ${path.basename(file)} --input-shape ${flag}: output [${out.shape}], max abs diff vs official ${diff.toExponential(1)}`);
    assert.ok(diff <= 1e-5, `${flag}: ${diff}`);
  }
});

test('run --input-shape refusals: rank or fixed dimension exit 2; past the memory limit exit 1 at once; no size for a model that needs one exit 1', async () => {
  const { classifier, fullyConv } = await files;
  const usage: [string, RegExp][] = [
    ['image:1,40,48', /input 'image' has rank 4 \(shape_signature \[-1,-1,-1,3\]\); the shape given, \[1,40,48\], has rank 3/],
    ['image:1,40,48,4', /input 'image' has dimension 3 fixed at 3 \(shape_signature \[-1,-1,-1,3\]\)/],
  ];
  for (const [flag, pattern] of usage) {
    const r = cli(['run', classifier, '--input-shape', flag]);
    assert.equal(r.code, 2, `${flag}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, pattern);
  }
  const unknown = cli(['run', classifier, '--input-shape', 'photo:1,4,4,3']);
  assert.equal(unknown.code, 1, unknown.stderr);
  assert.match(unknown.stderr, /no input 'photo' \(its inputs: 0 'image' \[-1,-1,-1,3\]\)/);
  const t0 = performance.now();
  const huge = cli(['run', classifier, '--input-shape', 'image:1,100000,100000,3']);
  const ms = performance.now() - t0;
  assert.equal(huge.code, 1, huge.stderr);
  assert.match(huge.stderr, /above the memory limit/);
  assert.ok(ms < 20_000, `refused after ${ms} ms`);
  // The same limit at a resize that would fit only a larger --max-memory.
  const small = cli(['run', classifier, '--input-shape', 'image:1,512,512,3', '--max-memory', '1MB']);
  assert.equal(small.code, 1, small.stderr);
  assert.match(small.stderr, /above the memory limit of 1/);
  // A model that does not fit the placeholder size 1 says which flag sizes it.
  const unsized = cli(['run', fullyConv]);
  assert.equal(unsized.code, 1, unsized.stderr);
  assert.match(unsized.stderr, /input 'image' has unknown dimensions \(shape_signature \[-1,-1,-1,3\]\).*--input-shape image:1,<d1>,<d2>,3/);
});

test('eval and compare on an image folder: at the images\' size (40x48) and at --size, the same predictions as the official runtime; quantize calibrates on it', async () => {
  const { classifier, images } = await files;
  for (const extra of [[], ['--size', '32x24']]) {
    const size = extra.length ? [32, 24] : [40, 48];
    const ours = cli(['eval', classifier, '--dataset', `images:${images}`, ...extra, '--json']);
    assert.equal(ours.code, 0, ours.stderr);
    const official = cli(['eval', classifier, '--dataset', `images:${images}`, ...extra, '--runtime', 'tflite', '--json']);
    assert.equal(official.code, 0, official.stderr);
    const a = JSON.parse(ours.stdout), b = JSON.parse(official.stdout);
    assert.deepEqual(a.inputs[0].shape, [1, ...size, 3]);
    assert.equal(a.samples, 6);
    assert.deepEqual(a.confusion, b.confusion, 'same predictions as the official runtime');
    console.log(`eval at ${size.join('x')}: top1 ${a.top1} (official runtime ${b.top1})`);
  }
  const q = path.join(tmp, 'classifier_int8.tflite');
  const made = cli(['quantize', classifier, '-o', q, '--mode', 'int8', '--calibration', `images:${images}`, '--samples', '6', '--size', '36x36']);
  assert.equal(made.code, 0, made.stderr);
  const qsg = readModelFile(q).subgraphs[0];
  assert.deepEqual(qsg.tensors[qsg.inputs[0]].shape, [1, 36, 36, 3]);
  assert.deepEqual(qsg.tensors[qsg.inputs[0]].shapeSignature, [-1, -1, -1, 3]);
  const cmp = cli(['compare', classifier, q, '--dataset', `images:${images}`, '--json']);
  assert.equal(cmp.code, 0, cmp.stderr);
  const result = JSON.parse(cmp.stdout);
  for (const m of result.models) assert.deepEqual(m.evaluation.inputs[0].shape, [1, 40, 48, 3]);
  console.log(`compare float vs int8 at 40x48: agreement ${result.models[1].agreement_top1}`);
});
