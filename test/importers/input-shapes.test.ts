// The input-shape rule shared by every importer (src/importers/input-shapes.ts), and the Keras importer applying it:
// an LSTM over sequences of unknown length and a CNN at batch 2, converted through the library's `inputShapes`, against
// TF.js model.predict in the official runtime and our interpreter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convert } from '../../src/convert.js';
import { InputError, UnsupportedError, UsageError } from '../../src/errors.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import {
  checkInputShapes, inputShapeHint, parseInputShapeFlag, requireResolvedInputs, resolveInputShapes, unresolvedInputs,
} from '../../src/importers/input-shapes.js';
import { mulberry32 } from '../helpers/random.js';
import { maxAbsDiff, runOfficialMany, runOursMany } from './helpers.js';
import { loadTf, saveArtifacts, seedWeights } from './tfjs-reference.js';

test('parseInputShapeFlag: NAME:d0,d1,... accumulated; the last colon separates; malformed values are UsageErrors', () => {
  let shapes = parseInputShapeFlag('image:1,224,224,3');
  shapes = parseInputShapeFlag(' serving_default_x:0 : 2, 5 ', shapes);
  assert.deepEqual(shapes, { image: [1, 224, 224, 3], 'serving_default_x:0': [2, 5] });
  assert.deepEqual(parseInputShapeFlag('scalar:1'), { scalar: [1] });
  for (const bad of ['image', 'image:', ':1,2', 'image:1,,2', 'image:1,-1,2', 'image:1,2.5', 'image:0,2', 'image:1,x']) {
    assert.throws(() => parseInputShapeFlag(bad), UsageError, bad);
  }
  assert.throws(() => parseInputShapeFlag('image:1,2', { image: [1, 3] }), /gives input 'image' twice/);
});

test('checkInputShapes: an object of positive-integer lists, else UsageError', () => {
  assert.equal(checkInputShapes(undefined), undefined);
  assert.deepEqual(checkInputShapes({ a: [1, 2] }), { a: [1, 2] });
  for (const bad of [null, [], 'a:1', { a: [1, 0] }, { a: '1,2' }, { a: [1.5] }]) assert.throws(() => checkInputShapes(bad), UsageError);
});

test('resolveInputShapes: unknown dims become 1 (signature keeps -1); given shapes checked against rank and known dims', () => {
  const inputs = [{ name: 'image', signature: [-1, -1, -1, 3] }, { name: 'ids', signature: [1, -1] }];
  assert.deepEqual(resolveInputShapes('m', inputs, undefined), [
    { name: 'image', shape: [1, 1, 1, 3], signature: [-1, -1, -1, 3] },
    { name: 'ids', shape: [1, 1], signature: [1, -1] },
  ]);
  assert.deepEqual(resolveInputShapes('m', inputs, { image: [4, 32, 16, 3], ids: [1, 7] }), [
    { name: 'image', shape: [4, 32, 16, 3], signature: [-1, 32, 16, 3] },
    { name: 'ids', shape: [1, 7], signature: [1, 7] },
  ]);
  assert.throws(() => resolveInputShapes('m', inputs, { x: [1] }), (e: Error) => e instanceof InputError && /'x'.*'image' \[-1,-1,-1,3\], 'ids' \[1,-1\]/.test(e.message));
  assert.throws(() => resolveInputShapes('m', inputs, { ids: [2, 7] }), /has 2 in dimension 0 where the input has 1/);
  assert.throws(() => resolveInputShapes('m', inputs, { image: [1, 8, 8, 3, 1] }), /rank 5 where the input has rank 4/);
  assert.equal(inputShapeHint('image', [-1, -1, -1, 3]), '--input-shape image:1,<d1>,<d2>,3');
});

test('unresolvedInputs / requireResolvedInputs: only dims past the batch count', () => {
  const b = new GraphBuilder();
  b.addInput({ name: 'batch_only', shape: [1, 4], dtype: 'float32', shapeSignature: [-1, 4] });
  b.addInput({ name: 'spatial', shape: [1, 1, 3], dtype: 'float32', shapeSignature: [-1, -1, 3] });
  const m = b.model('t');
  assert.deepEqual(unresolvedInputs(m), [{ name: 'spatial', signature: [-1, -1, 3] }]);
  assert.throws(() => requireResolvedInputs(m, 'm.json', true), /m\.json: input 'spatial' has unknown dimensions \[-1,-1,3\]; give its size with --input-shape spatial:1,<d1>,3/);
  const fixed = new GraphBuilder();
  fixed.addInput({ name: 'batch_only', shape: [1, 4], dtype: 'float32', shapeSignature: [-1, 4] });
  assert.doesNotThrow(() => requireResolvedInputs(fixed.model('t'), 'm', false));
});

async function save(model: any, seed: number) {
  await seedWeights(model, seed);
  return saveArtifacts(model);
}

/** Converted at `shape`, run on random inputs by both runtimes, compared with model.predict. */
async function checkAgainstPredict(tf: Awaited<ReturnType<typeof loadTf>>, model: any, artifacts: any, name: string, shape: number[], label: string) {
  const conv = await convert(artifacts, { label, inputShapes: { [name]: shape } });
  const sg = conv.model.subgraphs[0];
  assert.deepEqual(sg.tensors[sg.inputs[0]].shape, shape);
  const rnd = mulberry32(shape.reduce((a, b) => a * 31 + b, 0));
  const n = shape.reduce((a, b) => a * b, 1);
  const inputs = Array.from({ length: 3 }, () => [Float32Array.from({ length: n }, () => 2 * rnd() - 1)]);
  const expected = inputs.map(([x]) => (model.predict(tf.tensor(x, shape)) as any).dataSync() as Float32Array);
  // One runtime per sample: an LSTM's state variables start from zero, as in model.predict.
  const official = await Promise.all(inputs.map(async (x) => (await runOfficialMany(conv.bytes, [x]))[0]));
  const ours = await Promise.all(inputs.map(async (x) => (await runOursMany(conv.model, [x]))[0]));
  const dOfficial = Math.max(...expected.map((e, i) => maxAbsDiff(e, official[i][0])));
  const dOurs = Math.max(...expected.map((e, i) => maxAbsDiff(e, ours[i][0])));
  console.log(`# ${label} at [${shape}]: max abs diff vs TF.js predict: official ${dOfficial.toExponential(2)}, ours ${dOurs.toExponential(2)}`);
  assert.ok(dOfficial < 1e-5 && dOurs < 1e-5, `${label} [${shape}]: official ${dOfficial}, ours ${dOurs}`);
}

test('LSTM over sequences of unknown length: converted at lengths 3 and 8, equal to TF.js predict', async () => {
  const tf = await loadTf();
  const input = tf.input({ shape: [null, 4], name: 'sequence' });
  const y = tf.layers.lstm({ units: 5, recurrentActivation: 'sigmoid', name: 'lstm' }).apply(input) as any;
  const out = tf.layers.dense({ units: 3, name: 'dense' }).apply(y) as any;
  const model = tf.model({ inputs: input, outputs: out });
  const artifacts = await save(model, 5);
  const plain = await convert(artifacts, { label: 'lstm' });
  const sg = plain.model.subgraphs[0];
  assert.deepEqual(sg.tensors[sg.inputs[0]].shapeSignature, [-1, -1, 4]);
  for (const steps of [3, 8]) await checkAgainstPredict(tf, model, artifacts, 'sequence', [1, steps, 4], 'lstm');
});

test('CNN at batch 2 (conv, transposed conv, pooling): equal to TF.js predict; without a size it stays dynamic', async () => {
  const tf = await loadTf();
  const L = tf.layers;
  const input = tf.input({ shape: [null, null, 2], name: 'image' });
  const c = L.conv2d({ filters: 3, kernelSize: 3, padding: 'valid', activation: 'relu', name: 'conv' }).apply(input) as any;
  const p = L.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(c) as any;
  const t = L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', name: 'deconv' }).apply(p) as any;
  const model = tf.model({ inputs: input, outputs: t });
  const artifacts = await save(model, 9);
  await checkAgainstPredict(tf, model, artifacts, 'image', [2, 10, 8, 2], 'cnn');
  // Without a size the model stays dynamic (TRANSPOSE_CONV's output shape computed in the graph from SHAPE, as TF
  // writes it); one interpreter resized to [2,10,8,2] gives what TF.js predicts.
  const { model: dynamic } = await convert(artifacts, { label: 'cnn.json' });
  const dsg = dynamic.subgraphs[0];
  assert.deepEqual(dsg.tensors[dsg.outputs[0]].shapeSignature, [-1, -1, -1, 2]);
  const { Interpreter } = await import('../../src/runtime/interpreter.js');
  const it = Interpreter.fromModel(dynamic);
  const rnd = mulberry32(4);
  const x = Float32Array.from({ length: 2 * 10 * 8 * 2 }, () => rnd() * 2 - 1);
  it.resizeInput('image', [2, 10, 8, 2]);
  it.setInput(0, x);
  it.invoke();
  const expected = (model.predict(tf.tensor(x, [2, 10, 8, 2])) as any).dataSync() as Float32Array;
  const got = it.getOutput(0) as Float32Array;
  assert.equal(got.length, expected.length);
  let diff = 0;
  for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i] - expected[i]));
  assert.ok(diff < 1e-5, `dynamic cnn vs TF.js: ${diff}`);
});
