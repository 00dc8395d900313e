// Keras Dot -> BATCH_MATMUL, against TF.js's own predictions (float: ours and the official runtime), and the
// model's full-int8 version bit-exact in our interpreter vs the official runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convert } from '../../src/convert.js';
import { UnsupportedError } from '../../src/errors.js';
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { quantize } from '../../src/quantize/index.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { mulberry32 } from '../helpers/random.js';
import { maxAbsDiff, runOfficialMany, runOursMany } from './helpers.js';
import { loadTf } from './tfjs-reference.js';

type Tf = Awaited<ReturnType<typeof loadTf>>;

async function artifactsOf(tf: Tf, model: import('@tensorflow/tfjs').LayersModel): Promise<{ modelTopology: any; weightSpecs: any[]; weightData: ArrayBuffer }> {
  let artifacts: any = null;
  await model.save(tf.io.withSaveHandler(async (a: any) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return artifacts;
}

/** Self-attention on [B, 6, 5]: scores = Dot(axes [2, 2]) (q, k), softmax, Dot(axes [2, 1]) with v; then
 * Dot(axes [1, 1]) of the two sequences' transposed products, and a rank-2 Dot(axes 1) of two projections. */
function buildAttention(tf: Tf) {
  const L = tf.layers;
  const x = tf.input({ shape: [6, 5], name: 'x' });
  const q = L.dense({ units: 4, name: 'q' }).apply(x) as any;
  const k = L.dense({ units: 4, name: 'k' }).apply(x) as any;
  const v = L.dense({ units: 3, name: 'v' }).apply(x) as any;
  const scores = L.dot({ axes: [2, 2], name: 'scores' }).apply([q, k]) as any; // [B, 6, 6]
  const attn = L.activation({ activation: 'softmax', name: 'attn' }).apply(scores) as any;
  const mixed = L.dot({ axes: [2, 1], name: 'mixed' }).apply([attn, v]) as any; // [B, 6, 3]
  const gram = L.dot({ axes: [1, 1], name: 'gram' }).apply([mixed, v]) as any; // [B, 3, 3] (x transposed)
  const negAxes = L.dot({ axes: [-1, -2], name: 'neg_axes' }).apply([gram, gram]) as any; // [B, 3, 3]
  const flat = L.flatten({ name: 'flat' }).apply(negAxes) as any;
  const a = L.dense({ units: 4, name: 'a' }).apply(flat) as any;
  const b = L.dense({ units: 4, name: 'b' }).apply(flat) as any;
  const vec = L.dot({ axes: 1, name: 'vec' }).apply([a, b]) as any; // [B, 1]
  const out = L.concatenate({ name: 'out' }).apply([flat, vec]) as any;
  const model = tf.model({ inputs: x, outputs: out });
  const rnd = mulberry32(3);
  for (const layer of model.layers) {
    layer.setWeights(layer.weights.map((w) => tf.tensor(Float32Array.from({ length: w.shape.reduce((p: number, d) => p * (d ?? 1), 1) }, () => rnd() - 0.5), w.shape as number[])));
  }
  return model;
}

test('Keras Dot (axes [2,2], [2,1], [1,1], negative, rank 2) converts to BATCH_MATMUL matching TF.js; its int8 model is bit-exact with the official runtime', async () => {
  const tf = await loadTf();
  const model = buildAttention(tf);
  const converted = await convert(await artifactsOf(tf, model), { label: 'dot' });
  const ops = converted.summary.opList;
  assert.ok(ops.includes('BATCH_MATMUL') && !ops.some((o) => o === 'TRANSPOSE'), `ops: ${ops}`);
  const rnd = mulberry32(9);
  const inputs = Array.from({ length: 8 }, () => [Float32Array.from({ length: 30 }, () => rnd() * 2 - 1)]);
  const expected = inputs.map((x) => Float32Array.from((model.predict(tf.tensor(x[0], [1, 6, 5])) as any).dataSync()));
  const official = await runOfficialMany(converted.bytes, inputs);
  const ours = await runOursMany(converted.model, inputs);
  let worstOfficial = 0, worstOurs = 0;
  expected.forEach((e, i) => {
    worstOfficial = Math.max(worstOfficial, maxAbsDiff(official[i][0], e));
    worstOurs = Math.max(worstOurs, maxAbsDiff(ours[i][0], e));
  });
  assert.ok(worstOfficial <= 1e-5 && worstOurs <= 1e-5, `max abs diff vs TF.js: official ${worstOfficial}, ours ${worstOurs}`);

  // Full int8 (int8 input and output so the comparison is of raw integers).
  const calibration = Array.from({ length: 16 }, () => [Float32Array.from({ length: 30 }, () => rnd() * 2 - 1)]);
  const q = await quantize(converted.model, { mode: 'int8', representativeDataset: calibration, inputType: 'int8', outputType: 'int8', threads: 1 });
  const qOps = q.report.quantizedOps.map((o) => o.op);
  assert.ok(qOps.includes('BATCH_MATMUL'), `quantized ops: ${qOps}`);
  assert.deepEqual(q.report.floatOps ?? [], [], 'every op is integer');
  const bytes = writeModel(q.model);
  const runner = await createOfficialRunner(bytes);
  const ourIt = Interpreter.fromModel(q.model);
  try {
    const [scale, zp] = ourIt.inputDetails()[0].quantization;
    for (const [x] of inputs) {
      const xi = Int8Array.from(x, (v) => Math.max(-128, Math.min(127, Math.round(v / scale) + zp)));
      runner.setInput(0, xi);
      runner.invoke();
      ourIt.setInput(0, xi);
      ourIt.invoke();
      const theirs = runner.getOutputs()[0].data as Int8Array;
      assert.deepEqual(Array.from(ourIt.getOutput(0) as Int8Array), Array.from(theirs));
    }
  } finally {
    runner.delete();
  }
});

test('Keras Dot with normalize=true is refused by name', async () => {
  const tf = await loadTf();
  const x = tf.input({ shape: [4, 3] });
  const y = tf.input({ shape: [4, 3] });
  const out = tf.layers.dot({ axes: 2, normalize: true, name: 'cosine' }).apply([x, y]) as any;
  const model = tf.model({ inputs: [x, y], outputs: out });
  await assert.rejects(convert(await artifactsOf(tf, model), { label: 'cos' }),
    (e: Error) => e instanceof UnsupportedError && /cosine/.test(e.message) && /normalize/.test(e.message) && !e.message.includes('\n'));
});
