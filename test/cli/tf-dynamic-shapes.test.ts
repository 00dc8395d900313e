// The commands on a model the TF graph importer converted with unknown height/width: run --input-shape agrees with
// the official runtime on a copy at that size, and eval on an image folder runs it at the images' size with the
// official runtime's predictions. A file whose inner shapes were folded at the placeholder size (its input alone says
// -1) is refused by run --input-shape at another size, naming the input and the flag to convert it with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { cli } from '../helpers/cli.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { mulberry32 } from '../helpers/random.js';
import { readModelFile, writeModel } from '../../src/format/index.js';
import { tensorDetails } from '../../src/format/details.js';
import { frozenGraphToModel } from '../../src/importers/tf/import-graph.js';
import { tfjsGraphFromArtifacts } from '../../src/importers/tf/tfjs-graph.js';
import { deterministicValues } from '../../src/runtime/io.js';
import { checkInputResize, modelWithInputShapes } from '../../src/runtime/input-resize.js';
import { dynamicGraph } from '../importers/tf/dynamic-graph.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-tf-dynamic-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const art = dynamicGraph(['logits']).artifacts();
const dynamicFile = path.join(tmp, 'dynamic.tflite');
fs.writeFileSync(dynamicFile, writeModel(frozenGraphToModel(tfjsGraphFromArtifacts(art, 'dynamic.json')).model));
// What the importer wrote before unknown sizes reached the graph: converted at 16x16, only the input says -1.
const foldedFile = path.join(tmp, 'folded.tflite');
{
  const model = frozenGraphToModel(tfjsGraphFromArtifacts(art, 'folded.json'), { inputShapes: { image: [1, 16, 16, 3] } }).model;
  const sg = model.subgraphs[0];
  sg.tensors[sg.inputs[0]].shapeSignature = [-1, -1, -1, 3];
  fs.writeFileSync(foldedFile, writeModel(model));
}

test('run --input-shape on a TF graph model of unknown size: output equals the official runtime on a copy at that size', async () => {
  const shape = [1, 24, 20, 3];
  const r = cli(['run', dynamicFile, '--input-shape', 'image:1,24,20,3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout).outputs[0];
  const model = readModelFile(dynamicFile);
  const sg = model.subgraphs[0];
  const x = deterministicValues({ ...tensorDetails(sg, sg.inputs[0]), shape }, 24 * 20 * 3);
  const runner = await createOfficialRunner(writeModel(modelWithInputShapes(model, checkInputResize(model, { 0: shape }, 'x'))));
  try {
    runner.setInput(0, x as ArrayLike<number>);
    runner.invoke();
    const ref = runner.getOutputs()[0];
    assert.deepEqual(out.shape, ref.shape);
    const refData = Array.from(ref.data as ArrayLike<number>, Number);
    const diff = Math.max(...refData.map((v, i) => Math.abs(v - out.data[i])));
    console.log(`run --input-shape image:1,24,20,3: [${out.shape}], max abs diff vs official ${diff.toExponential(1)}`);
    assert.ok(diff <= 1e-5, String(diff));
  } finally {
    runner.delete();
  }
});

test('run --input-shape on a file folded at its placeholder size: exit 1, one line naming the input and --input-shape; at its own size it runs', () => {
  const r = cli(['run', foldedFile, '--input-shape', 'image:1,24,20,3']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /input 'image' has unknown dimensions \(shape_signature \[-1,-1,-1,3\]\); convert the source model with --input-shape image:1,<d1>,<d2>,3/);
  const same = cli(['run', foldedFile, '--input-shape', 'image:1,16,16,3']);
  assert.equal(same.code, 0, same.stderr);
});

test('eval on an image folder runs the TF graph model at the images\' size, with the official runtime\'s predictions', () => {
  const dir = path.join(tmp, 'images');
  const rnd = mulberry32(8);
  for (const cls of ['a', 'b']) {
    fs.mkdirSync(path.join(dir, cls), { recursive: true });
    for (let k = 0; k < 3; k++) {
      const png = new PNG({ width: 28, height: 36 });
      for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : Math.floor(rnd() * 256);
      fs.writeFileSync(path.join(dir, cls, `${k}.png`), PNG.sync.write(png));
    }
  }
  const ours = cli(['eval', dynamicFile, '--dataset', `images:${dir}`, '--json']);
  assert.equal(ours.code, 0, ours.stderr);
  const official = cli(['eval', dynamicFile, '--dataset', `images:${dir}`, '--runtime', 'tflite', '--json']);
  assert.equal(official.code, 0, official.stderr);
  const a = JSON.parse(ours.stdout), b = JSON.parse(official.stdout);
  assert.deepEqual(a.inputs[0].shape, [1, 36, 28, 3]);
  assert.deepEqual(a.confusion, b.confusion);
  const folded = cli(['eval', foldedFile, '--dataset', `images:${dir}`]);
  assert.equal(folded.code, 1, folded.stderr);
  assert.match(folded.stderr, /--input-shape image:1,<d1>,<d2>,3/);
});
