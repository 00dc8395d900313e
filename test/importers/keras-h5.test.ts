// Keras HDF5 -> float .tflite, checked against Google's own conversion of the same model in the official runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convert } from '../../src/convert.js';
import { readModel } from '../../src/format/index.js';
import { NO_CORPUS, corpusPath, readCorpus } from '../helpers/corpus.js';
import { mulberry32 } from '../helpers/random.js';
import { maxAbsDiff, runOfficialMany } from './helpers.js';

test('pretrainedResnet.h5 matches Google\'s float conversion (official runtime, 20 seeded inputs)', { skip: NO_CORPUS }, async () => {
  const ours = await convert(corpusPath('keras/pretrainedResnet.h5'));
  const google = readCorpus('tflite/mlcommons-tiny/pretrainedResnet.tflite');
  const rnd = mulberry32(4);
  const inputs = Array.from({ length: 20 }, () => [Float32Array.from({ length: 32 * 32 * 3 }, () => rnd())]);
  const a = await runOfficialMany(ours.bytes, inputs);
  const b = await runOfficialMany(google, inputs);
  let worst = 0;
  for (let i = 0; i < inputs.length; i++) worst = Math.max(worst, maxAbsDiff(a[i][0], b[i][0]));
  assert.ok(worst <= 1e-5, `max abs diff ${worst}`);
  const googleOps = readModel(google).subgraphs[0].operators.map((o) => o.op);
  assert.ok(ours.summary.ops <= googleOps.length, `ours ${ours.summary.opList.join(',')} vs google ${googleOps.join(',')}`);
  assert.ok(ours.bytes.length <= google.length, `ours ${ours.bytes.length} bytes vs google ${google.length}`);
  assert.ok(ours.bytes.length <= 4 * ours.summary.params + 6144, `size ${ours.bytes.length} for ${ours.summary.params} params`);
  // Batch is dynamic as TF writes it, and tensor names follow the Keras layers.
  const sg = ours.model.subgraphs[0];
  assert.deepEqual(sg.tensors[sg.inputs[0]].shapeSignature, [-1, 32, 32, 3]);
  assert.equal(sg.tensors[sg.inputs[0]].name, 'input_1');
  assert.equal(sg.tensors[sg.outputs[0]].name, 'dense');
  console.log(`resnet: max abs diff ${worst.toExponential(2)}; ops ours ${ours.summary.ops} [${ours.summary.opList.join(' ')}] google ${googleOps.length} [${googleOps.join(' ')}]; bytes ours ${ours.bytes.length} google ${google.length}`);
});
