// A TF.js graph model with input [-1, -1, -1, 3] (conv, depthwise, pooling, a resize to a size computed from a
// Shape, a Reshape to a shape computed from a Shape, a mean, a Shape-built flatten): converted once, then run at
// several sizes by ONE interpreter resized in turn, against the official runtime on a copy of the file per size
// (input shape set, shape_signature kept) and TF.js executing the same GraphDef at that size; int8 at one size
// bit-exact against the official runtime; the same graph as a binary frozen GraphDef converts to the same file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnsupportedError } from '../../../src/errors.js';
import { writeModel } from '../../../src/format/index.js';
import { frozenGraphToModel } from '../../../src/importers/tf/import-graph.js';
import { loadFrozenGraphDef } from '../../../src/importers/tf/graphdef.js';
import { encodeMessage } from '../../../src/importers/tf/proto/index.js';
import { tfjsGraphFromArtifacts } from '../../../src/importers/tf/tfjs-graph.js';
import { quantize } from '../../../src/quantize/index.js';
import { checkInputResize, modelWithInputShapes, sizeIsDynamicInside } from '../../../src/runtime/input-resize.js';
import { Interpreter } from '../../../src/runtime/interpreter.js';
import { image, maxAbsDiff, officialAtSize } from '../../helpers/dynamic-size.js';
import { A, GraphSpec, runTfjs } from './graph-helpers.js';
import { DYNAMIC_OUTPUTS as OUTPUTS, dynamicGraph } from './dynamic-graph.js';

const SIZES: [number, number][] = [[16, 16], [24, 20], [33, 17]];


const expectedShapes = (h: number, w: number) => {
  const ph = Math.ceil(Math.ceil(h / 2) / 2), pw = Math.ceil(Math.ceil(w / 2) / 2);
  return [[1, 5], [1, 2 * ph - 2, 2 * pw - 2, 8]];
};

test('graph model [-1,-1,-1,3]: signatures keep -1 inside, shape arithmetic is SHAPE ops; one resized interpreter = official runtime = TF.js at 3 sizes; int8 bit-exact', async () => {
  const g = dynamicGraph();
  const art = g.artifacts();
  const { model } = frozenGraphToModel(tfjsGraphFromArtifacts(art, 'dynamic.json'));
  const sg = model.subgraphs[0];
  const input = sg.tensors[sg.inputs[0]];
  assert.deepEqual(input.shape, [1, 1, 1, 3]);
  assert.deepEqual(input.shapeSignature, [-1, -1, -1, 3]);
  assert.ok(sizeIsDynamicInside(model));
  // Every 4-D activation says its height and width are unknown: nothing was folded from the placeholder size 1.
  for (const op of sg.operators) {
    for (const o of op.outputs) {
      const t = sg.tensors[o];
      if (t.shape.length === 4 && t.dtype === 'float32') assert.deepEqual(t.shapeSignature?.slice(0, 3), [-1, -1, -1], `${op.op} '${t.name}'`);
    }
  }
  const ops = sg.operators.map((o) => o.op);
  // The two Shapes of image-sized tensors are read at run time; the flatten's (batch only) folds to [-1, 8].
  assert.equal(ops.filter((o) => o === 'SHAPE').length, 2, ops.join(' '));
  const resize = sg.operators.find((o) => o.op === 'RESIZE_BILINEAR')!;
  assert.equal(sg.tensors[resize.inputs[1]].data, null, 'resize size is computed');
  // The flatten of [batch, 8] to [batch, -1] is a no-op the float passes drop; [batch, -1, 8] stays.
  const reshapes = sg.operators.filter((o) => o.op === 'RESHAPE');
  assert.equal(reshapes.length, 1);
  assert.equal(sg.tensors[reshapes[0].inputs[1]].data, null, '[batch, -1, 8] stays a tensor');
  assert.deepEqual(sg.tensors[reshapes[0].outputs[0]].shapeSignature, [-1, -1, 8]);
  assert.deepEqual(sg.tensors[sg.outputs[0]].shapeSignature, [-1, 5]);
  assert.deepEqual(sg.tensors[sg.outputs[1]].shapeSignature, [-1, -1, -1, 8]);

  const bytes = writeModel(model);
  const ours = Interpreter.fromBytes(bytes, { label: 'dynamic' });
  const notes: string[] = [];
  for (const [h, w] of SIZES) {
    const x = image(h, w, h * 100 + w);
    ours.resizeInput(0, [1, h, w, 3]);
    ours.setInput(0, x);
    ours.invoke();
    const ref = await officialAtSize(model, h, w, x);
    const tfjs = await runTfjs(art, { image: { values: x, shape: [1, h, w, 3], dtype: 'float32' } }, OUTPUTS);
    const want = expectedShapes(h, w);
    for (let k = 0; k < OUTPUTS.length; k++) {
      assert.deepEqual(ours.outputDetails()[k].shape, want[k], `${h}x${w} ${OUTPUTS[k]}: our shape`);
      assert.deepEqual(ref[k].shape, want[k], `${h}x${w} ${OUTPUTS[k]}: official shape`);
      const got = ours.getOutput(k) as Float32Array;
      const dOfficial = maxAbsDiff(got, ref[k].data);
      const dTfjs = maxAbsDiff(got, tfjs[k]);
      assert.ok(dOfficial <= 1e-5, `${h}x${w} ${OUTPUTS[k]}: ours vs official ${dOfficial}`);
      assert.ok(dTfjs <= 1e-5, `${h}x${w} ${OUTPUTS[k]}: ours vs TF.js ${dTfjs}`);
      notes.push(`${h}x${w} ${OUTPUTS[k]} [${want[k]}] official ${dOfficial.toExponential(1)} tfjs ${dTfjs.toExponential(1)}`);
    }
  }

  // int8 calibrated at one size; the file keeps its signature; bit-exact against the official runtime at that size.
  const [ch, cw] = SIZES[1];
  const calibration = Array.from({ length: 8 }, (_, i) => [image(ch, cw, 500 + i)]);
  const atSize = modelWithInputShapes(model, checkInputResize(model, { 0: [1, ch, cw, 3] }, 'dynamic'));
  const { model: q } = await quantize(atSize, { mode: 'int8', inputType: 'int8', outputType: 'int8', representativeDataset: calibration });
  assert.deepEqual(q.subgraphs[0].tensors[q.subgraphs[0].inputs[0]].shapeSignature, [-1, -1, -1, 3]);
  const oursQ = Interpreter.fromBytes(writeModel(q), { label: 'dynamic int8' });
  const [scale, zp] = oursQ.inputDetails()[0].quantization;
  const xq = Int8Array.from(image(ch, cw, 999), (v) => Math.max(-128, Math.min(127, Math.round(v / scale) + zp)));
  oursQ.resizeInput(0, [1, ch, cw, 3]);
  oursQ.setInput(0, xq);
  oursQ.invoke();
  const refQ = await officialAtSize(q, ch, cw, xq);
  for (let k = 0; k < OUTPUTS.length; k++) {
    const got = Array.from(oursQ.getOutput(k) as Int8Array);
    assert.deepEqual(oursQ.outputDetails()[k].shape, refQ[k].shape);
    const differing = got.filter((v, i) => v !== refQ[k].data[i]).length;
    notes.push(`int8 ${ch}x${cw} ${OUTPUTS[k]}: ${differing} of ${got.length} differ (max ${maxAbsDiff(got, refQ[k].data)} steps)`);
    assert.equal(differing, 0, `int8 ${OUTPUTS[k]}: ${differing} of ${got.length} values differ from the official runtime`);
  }
  console.log(notes.join('\n'));
});

test('the same graph as a binary frozen GraphDef (.pb) converts to the same file', () => {
  const frozen = tfjsGraphFromArtifacts(dynamicGraph().artifacts(), 'dynamic.json');
  const fromPb = loadFrozenGraphDef(encodeMessage('GraphDef', frozen.graph), 'dynamic.pb', { inputs: ['image'], outputs: OUTPUTS });
  assert.deepEqual(fromPb.inputs[0].shape, [-1, -1, -1, 3]);
  const a = writeModel({ ...frozenGraphToModel(frozen).model, description: '' });
  const b = writeModel({ ...frozenGraphToModel(fromPb).model, description: '' });
  assert.equal(Buffer.compare(Buffer.from(a), Buffer.from(b)), 0);
});

test('--input-shape still gives static shapes; a crop from the end stays dynamic (= TF.js); a size that cannot stay dynamic is refused naming the node and the flag', async () => {
  const g = dynamicGraph();
  const { model } = frozenGraphToModel(tfjsGraphFromArtifacts(g.artifacts(), 'dynamic.json'), { inputShapes: { image: [1, 24, 20, 3] } });
  const sg = model.subgraphs[0];
  assert.ok(!sg.operators.some((o) => o.op === 'SHAPE'), 'no SHAPE left with a known size');
  assert.deepEqual(sg.tensors[sg.outputs[1]].shape, expectedShapes(24, 20)[1]);

  // A crop counted from the end of an unknown height stays an index TFLite resolves at run time ...
  const crop = new GraphSpec();
  const ci = crop.placeholder('image', [-1, -1, -1, 3]);
  crop.output(crop.op('crop', 'StridedSlice', [ci, crop.ints('b', [0, 1, 0, 0]), crop.ints('e', [0, -2, 0, 0]), crop.ints('s', [1, 1, 2, 1])],
    { begin_mask: A.i(13), end_mask: A.i(13), ellipsis_mask: A.i(0), new_axis_mask: A.i(0), shrink_axis_mask: A.i(0) }));
  const cropModel = frozenGraphToModel(tfjsGraphFromArtifacts(crop.artifacts(), 'crop.json')).model;
  const x = image(9, 7, 3);
  const it = Interpreter.fromModel(cropModel, { inputShapes: { 0: [1, 9, 7, 3] } });
  it.setInput(0, x);
  it.invoke();
  assert.deepEqual(it.outputDetails()[0].shape, [1, 6, 4, 3]);
  const cropRef = await runTfjs(crop.artifacts(), { image: { values: x, shape: [1, 9, 7, 3], dtype: 'float32' } }, ['crop']);
  assert.deepEqual(Array.from(it.getOutput(0) as Float32Array), Array.from(cropRef[0]));

  // ... but a single row counted from the end would need the height in a constant.
  const bad = new GraphSpec();
  const bi = bad.placeholder('image', [-1, -1, -1, 3]);
  bad.output(bad.op('last_row', 'StridedSlice', [bi, bad.ints('b', [0, -1, 0, 0]), bad.ints('e', [0, 0, 0, 0]), bad.ints('s', [1, 1, 1, 1])],
    { begin_mask: A.i(13), end_mask: A.i(13), ellipsis_mask: A.i(0), new_axis_mask: A.i(0), shrink_axis_mask: A.i(2) }));
  assert.throws(() => frozenGraphToModel(tfjsGraphFromArtifacts(bad.artifacts(), 'row.json')), (e: Error) => {
    assert.ok(e instanceof UnsupportedError, e.message);
    assert.match(e.message, /^row\.json: node 'last_row' \(StridedSlice\) cannot take inputs of unknown size/);
    assert.match(e.message, /--input-shape image:1,<d1>,<d2>,3/);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
});
