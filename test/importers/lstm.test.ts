// Keras LSTM -> UNIDIRECTIONAL_SEQUENCE_LSTM. References: TF.js's own LSTM layer (model.predict) for the float
// conversion, run in the OFFICIAL runtime and in our interpreter with fresh state per sample; then the converted
// model quantized to int8 (int8 I/O) and checked in the official runtime against the float model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zipSync, strToU8 } from 'fflate';
import h5wasm from 'h5wasm/node';
import { convert } from '../../src/convert.js';
import { UnsupportedError } from '../../src/errors.js';
import { readModel, writeModel } from '../../src/format/index.js';
import { quantize } from '../../src/quantize/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { mulberry32 } from '../helpers/random.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { maxAbsDiff } from './helpers.js';
import { loadTf } from './tfjs-reference.js';
import { agreement, argmax, rawAgreement, runOfficialOn, runOursOn, toFloat, type LabelledSample } from '../quantize/helpers.js';

const STEPS = 6, FEATURES = 4, UNITS = 5, CLASSES = 3;

interface Built { artifacts: any; model: any; tf: Awaited<ReturnType<typeof loadTf>> }

async function build(returnSequences: boolean, useBias = true): Promise<Built> {
  const tf = await loadTf();
  const L = tf.layers;
  const input = tf.input({ shape: [STEPS, FEATURES], name: 'sequence' });
  let y = L.lstm({ units: UNITS, returnSequences, useBias, recurrentActivation: 'sigmoid', name: 'lstm' }).apply(input) as any;
  if (returnSequences) y = L.flatten({ name: 'flatten' }).apply(y) as any;
  const out = L.dense({ units: CLASSES, activation: 'softmax', name: 'dense' }).apply(y) as any;
  const model = tf.model({ inputs: input, outputs: out });
  const rnd = mulberry32(returnSequences ? 21 : 17);
  for (const layer of model.layers) {
    layer.setWeights(layer.weights.map((w) => {
      const size = w.shape.reduce((p: number, d) => p * (d ?? 1), 1);
      return tf.tensor(Float32Array.from({ length: size }, () => 1.6 * (rnd() - 0.5)), w.shape as number[]);
    }));
  }
  let artifacts: any = null;
  await model.save(tf.io.withSaveHandler(async (a: any) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return { artifacts, model, tf };
}

function sequences(n: number, seed: number): Float32Array[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: STEPS * FEATURES }, () => 2 * rnd() - 1));
}

for (const returnSequences of [false, true]) {
  test(`LSTM return_sequences=${returnSequences}: TF's layout; official runtime and our interpreter match TF.js predict`, async () => {
    const { artifacts, model, tf } = await build(returnSequences, returnSequences);
    const conv = await convert(artifacts, { label: `lstm_${returnSequences}` });
    const sg = conv.model.subgraphs[0];
    const ops = sg.operators.map((o) => o.op);
    assert.deepEqual(ops, returnSequences
      ? ['UNIDIRECTIONAL_SEQUENCE_LSTM', 'RESHAPE', 'FULLY_CONNECTED', 'SOFTMAX']
      : ['UNIDIRECTIONAL_SEQUENCE_LSTM', 'STRIDED_SLICE', 'FULLY_CONNECTED', 'SOFTMAX']);
    // Layout of Google's trained_lstm.tflite: 24 inputs, no peephole / projection / layer norm, variable states.
    const lstm = sg.operators[0];
    assert.equal(lstm.inputs.length, 24);
    assert.deepEqual([9, 10, 11, 16, 17, 20, 21, 22, 23].map((k) => lstm.inputs[k]), Array(9).fill(-1));
    for (let k = 1; k <= 4; k++) assert.deepEqual(sg.tensors[lstm.inputs[k]].shape, [UNITS, FEATURES]);
    for (let k = 5; k <= 8; k++) assert.deepEqual(sg.tensors[lstm.inputs[k]].shape, [UNITS, UNITS]);
    for (let k = 12; k <= 15; k++) assert.deepEqual(sg.tensors[lstm.inputs[k]].shape, [UNITS]);
    for (const k of [18, 19]) {
      const s = sg.tensors[lstm.inputs[k]];
      assert.ok(s.isVariable && !s.data, `state ${k} is a variable without data`);
      assert.deepEqual(s.shape, [1, UNITS]);
    }
    assert.deepEqual(lstm.options, { ...lstm.options, fusedActivationFunction: 'TANH', cellClip: 10, projClip: 0, timeMajor: false });

    const inputs = sequences(6, 3);
    const expected = inputs.map((x) => Float32Array.from((model.predict(tf.tensor(x, [1, STEPS, FEATURES])) as any).dataSync()));
    const interp = Interpreter.fromModel(readModel(conv.bytes, 'lstm.tflite'));
    let worstOfficial = 0, worstOurs = 0;
    for (let i = 0; i < inputs.length; i++) {
      const r = await createOfficialRunner(conv.bytes); // fresh state: the official runtime cannot reset variables
      try {
        r.setInput(0, inputs[i]);
        r.invoke();
        worstOfficial = Math.max(worstOfficial, maxAbsDiff(r.getOutputs()[0].data as Float32Array, expected[i]));
      } finally {
        r.delete();
      }
      interp.resetVariables();
      interp.setInput(0, inputs[i]);
      interp.invoke();
      worstOurs = Math.max(worstOurs, maxAbsDiff(interp.getOutput(0) as Float32Array, expected[i]));
    }
    console.log(`# LSTM return_sequences=${returnSequences}: max |official - TF.js| ${worstOfficial.toExponential(2)}, |ours - TF.js| ${worstOurs.toExponential(2)}`);
    assert.ok(worstOfficial <= 1e-5, `official runtime vs TF.js: ${worstOfficial}`);
    assert.ok(worstOurs <= 1e-5, `our interpreter vs TF.js: ${worstOurs}`);
  });
}

test('LSTM int8 (int8 I/O): runs in the official runtime, our interpreter within 1 LSB, top-1 close to float', async () => {
  const { artifacts } = await build(false);
  const conv = await convert(artifacts, { label: 'lstm' });
  const calibration = sequences(30, 7).map((x) => [x]);
  const { model, report } = await quantize(conv.model, { mode: 'int8', inputType: 'int8', outputType: 'int8', representativeDataset: calibration });
  assert.equal(report.floatOps.length, 0, `float ops left: ${JSON.stringify(report.floatOps)}`);
  const bytes = writeModel(model);
  const qsg = model.subgraphs[0];
  assert.equal(qsg.tensors[qsg.inputs[0]].dtype, 'int8');
  const qlstm = qsg.operators.find((o) => o.op === 'UNIDIRECTIONAL_SEQUENCE_LSTM')!;
  assert.equal(qlstm.intermediates.length, 5);
  // TFLite's integer LSTM subtracts the hidden zero point (CwiseMul: value -= zp): TF keeps it at 0 / -1 (symmetric range).
  const hiddenZp = Number(qsg.tensors[qlstm.outputs[0]].quantization!.zeroPoint[0]);
  assert.ok(hiddenZp === 0 || hiddenZp === -1, `hidden zero point ${hiddenZp}`);

  const samples: LabelledSample[] = sequences(50, 99).map((x) => ({ inputs: [x] }));
  const official = await runOfficialOn(bytes, samples, true);
  const floatRun = await runOfficialOn(conv.bytes, samples, true);
  const ours = runOursOn(readModel(bytes, 'lstm_int8.tflite'), samples, true);
  const raw = rawAgreement(official.raw, ours.raw);
  const top1 = agreement(official.top1, floatRun.top1);
  // Dequantized probabilities against the float model's.
  const outT = qsg.tensors[qsg.outputs[0]];
  let worstProb = 0;
  official.raw.forEach((r, k) => { worstProb = Math.max(worstProb, maxAbsDiff(toFloat(outT, r), Float32Array.from(floatRun.raw[k]))); });
  console.log(`# LSTM int8: ${bytes.length} bytes; top-1 agreement with float ${top1} % on 50 sequences, max |prob diff| ${worstProb.toFixed(4)}; ours vs official ${raw.within1.toFixed(1)} % within 1 LSB (max ${raw.max})`);
  assert.ok(raw.max <= 1, `our interpreter vs official: max raw diff ${raw.max}`);
  assert.ok(top1 >= 90, `top-1 agreement with float ${top1} %`);
  assert.ok(worstProb <= 0.05, `dequantized vs float probabilities: ${worstProb}`);
  assert.equal(argmax(floatRun.raw[0]), floatRun.top1[0]);
});

test('LSTM: variants the fused op cannot express are unrolled; stateful ones and other RNNs get a clear UnsupportedError', async () => {
  const { artifacts } = await build(false);
  const lstmLayer = (a: any) => (a.modelTopology.model_config ?? a.modelTopology).config.layers.find((l: any) => l.class_name === 'LSTM');
  const layerCfg = (a: any) => lstmLayer(a).config;
  const unrolled: [string, (c: any) => void][] = [
    ['hard_sigmoid gates', (c) => { c.recurrent_activation = 'hard_sigmoid'; }],
    ['relu activation', (c) => { c.activation = 'relu'; }],
  ];
  for (const [what, edit] of unrolled) {
    const a = structuredClone(artifacts);
    edit(layerCfg(a));
    const ops = (await convert(a, { label: what })).model.subgraphs[0].operators.map((o) => o.op);
    assert.ok(!ops.includes('UNIDIRECTIONAL_SEQUENCE_LSTM') && ops.includes('UNPACK'), `${what}: ${ops.join(',')}`);
  }
  const refused: [string, (c: any) => void, RegExp][] = [
    ['stateful', (c) => { c.stateful = true; }, /stateful/],
    ['time_major', (c) => { c.time_major = true; }, /time_major/],
  ];
  for (const [what, edit, msg] of refused) {
    const a = structuredClone(artifacts);
    edit(layerCfg(a));
    await assert.rejects(convert(a, { label: what }), (e: unknown) => e instanceof UnsupportedError && msg.test(e.message) && /lstm/.test(e.message), what);
  }
  const rnn = structuredClone(artifacts);
  lstmLayer(rnn).class_name = 'ConvLSTM1D';
  await assert.rejects(convert(rnn, { label: 'convlstm' }), (e: unknown) => e instanceof UnsupportedError && /ConvLSTM1D: recurrent layer not supported \(LSTM, GRU and SimpleRNN convert\)/.test(e.message));
});

/** The TF.js model's weights in save order, as [layer, array] pairs. */
function weightArrays(artifacts: any): { layer: string; shape: number[]; values: Float32Array }[] {
  const all = new Float32Array(artifacts.weightData);
  let offset = 0;
  return artifacts.weightSpecs.map((spec: any) => {
    const n = spec.shape.reduce((p: number, d: number) => p * d, 1);
    const values = all.slice(offset, offset + n);
    offset += n;
    return { layer: String(spec.name).split('/')[0], shape: spec.shape, values };
  });
}

const VAR_NAMES: Record<string, string[]> = { lstm: ['kernel', 'recurrent_kernel', 'bias'], dense: ['kernel', 'bias'] };
const CELL_PATH: Record<string, string> = { lstm: 'lstm/lstm_cell', dense: 'dense' };

/** A Keras .h5 as model.save writes it; `suffix` ':0' for Keras 2 names, '' for Keras 3's legacy writer. */
async function writeH5(artifacts: any, suffix: string): Promise<Uint8Array> {
  const M = await h5wasm.ready;
  const mem = `/lstm_${suffix ? 'k2' : 'k3'}_${process.pid}.h5`;
  const f = new h5wasm.File(mem, 'w');
  const topo = artifacts.modelTopology.model_config ?? artifacts.modelTopology;
  f.create_attribute('model_config', JSON.stringify({ class_name: topo.class_name, config: topo.config }));
  f.create_attribute('keras_version', suffix ? '2.13.1' : '3.1.1');
  const root = f.create_group('model_weights');
  const arrays = weightArrays(artifacts);
  const layers = [...new Set(arrays.map((a) => a.layer))];
  root.create_attribute('layer_names', layers);
  for (const layer of layers) {
    const g = root.create_group(layer);
    const mine = arrays.filter((a) => a.layer === layer);
    const names = VAR_NAMES[layer].map((v) => `${CELL_PATH[layer]}/${v}${suffix}`);
    g.create_attribute('weight_names', names);
    mine.forEach((a, k) => {
      const parts = names[k].split('/');
      let grp: any = g;
      for (const p of parts.slice(0, -1)) grp = grp.get(p) ?? grp.create_group(p);
      grp.create_dataset({ name: parts[parts.length - 1], data: a.values, shape: a.shape });
    });
  }
  f.close();
  const bytes = M.FS.readFile(mem);
  M.FS.unlink(mem);
  return bytes;
}

/** A Keras 3 .keras zip: an LSTM's variables live under layers/lstm/cell/vars/0..2, Dense's under layers/dense/vars. */
async function writeKerasZip(artifacts: any): Promise<Uint8Array> {
  const M = await h5wasm.ready;
  const mem = `/lstm_weights_${process.pid}.h5`;
  const f = new h5wasm.File(mem, 'w');
  const layersGroup = f.create_group('layers');
  const arrays = weightArrays(artifacts);
  for (const layer of [...new Set(arrays.map((a) => a.layer))]) {
    const g = layersGroup.create_group(layer);
    const own = g.create_group('vars');
    const vars = layer === 'lstm' ? g.create_group('cell').create_group('vars') : own;
    arrays.filter((a) => a.layer === layer).forEach((a, k) => vars.create_dataset({ name: String(k), data: a.values, shape: a.shape }));
  }
  f.close();
  const weights = M.FS.readFile(mem);
  M.FS.unlink(mem);
  const topo = artifacts.modelTopology.model_config ?? artifacts.modelTopology;
  return zipSync({
    'config.json': strToU8(JSON.stringify({ class_name: topo.class_name, config: topo.config })),
    'metadata.json': strToU8('{"keras_version": "3.1.1"}'),
    'model.weights.h5': weights,
  });
}

test('LSTM weights found under Keras 2 / Keras 3 .h5 names and in a .keras zip (cell/vars)', async () => {
  const { artifacts, model, tf } = await build(false);
  const inputs = sequences(3, 5);
  const expected = inputs.map((x) => Float32Array.from((model.predict(tf.tensor(x, [1, STEPS, FEATURES])) as any).dataSync()));
  const sources: [string, Uint8Array][] = [
    ['keras2.h5', await writeH5(artifacts, ':0')], ['keras3.h5', await writeH5(artifacts, '')], ['m.keras', await writeKerasZip(artifacts)],
  ];
  for (const [label, bytes] of sources) {
    const conv = await convert(bytes, { label });
    assert.ok(conv.summary.opList.includes('UNIDIRECTIONAL_SEQUENCE_LSTM'), label);
    let worst = 0;
    for (let i = 0; i < inputs.length; i++) {
      const r = await createOfficialRunner(conv.bytes);
      try {
        r.setInput(0, inputs[i]);
        r.invoke();
        worst = Math.max(worst, maxAbsDiff(r.getOutputs()[0].data as Float32Array, expected[i]));
      } finally {
        r.delete();
      }
    }
    assert.ok(worst <= 1e-5, `${label}: official runtime vs TF.js ${worst}`);
  }
});
