// Keras go_backwards LSTMs and Bidirectional(LSTM) -> REVERSE_V2 + UNIDIRECTIONAL_SEQUENCE_LSTM (+ merge op), as TF's
// converter writes them. Reference: TF.js's own layers (model.predict), run in the OFFICIAL runtime and in our
// interpreter with fresh state per sample; then one model quantized to int8 and checked official vs ours.
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
import { loadTf } from './tfjs-reference.js';
import { rawAgreement, runOfficialOn, runOursOn, toFloat, type LabelledSample } from '../quantize/helpers.js';

const STEPS = 5, FEATURES = 3, UNITS = 4;

type Tf = Awaited<ReturnType<typeof loadTf>>;

async function save(tf: Tf, model: any): Promise<any> {
  let artifacts: any = null;
  await model.save(tf.io.withSaveHandler(async (a: any) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return artifacts;
}

function seedWeights(tf: Tf, model: any, seed: number): void {
  const rnd = mulberry32(seed);
  for (const layer of model.layers) {
    layer.setWeights(layer.weights.map((w: any) => {
      const size = w.shape.reduce((p: number, d: number | null) => p * (d ?? 1), 1);
      return tf.tensor(Float32Array.from({ length: size }, () => 1.6 * (rnd() - 0.5)), w.shape as number[]);
    }));
  }
}

function sequences(n: number, seed: number): Float32Array[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: STEPS * FEATURES }, () => 2 * rnd() - 1));
}

/** Run each input in a fresh official runner and in our interpreter (state reset); worst |diff| vs TF.js. */
async function compare(bytes: Uint8Array, inputs: Float32Array[], expected: Float32Array[]): Promise<{ official: number; ours: number }> {
  const interp = Interpreter.fromModel(readModel(bytes, 'model.tflite'));
  let official = 0, ours = 0;
  for (let i = 0; i < inputs.length; i++) {
    const r = await createOfficialRunner(bytes);
    try {
      r.setInput(0, inputs[i]);
      r.invoke();
      const got = r.getOutputs()[0].data as Float32Array;
      assert.equal(got.length, expected[i].length);
      for (let k = 0; k < got.length; k++) official = Math.max(official, Math.abs(got[k] - expected[i][k]));
    } finally {
      r.delete();
    }
    interp.resetVariables();
    interp.setInput(0, inputs[i]);
    interp.invoke();
    const mine = interp.getOutput(0) as Float32Array;
    for (let k = 0; k < mine.length; k++) ours = Math.max(ours, Math.abs(mine[k] - expected[i][k]));
  }
  return { official, ours };
}

interface Case { label: string; seed: number; build: (tf: Tf, input: any) => any; ops: string[] }

const lstm = (tf: Tf, o: Record<string, unknown>) => tf.layers.lstm({ units: UNITS, recurrentActivation: 'sigmoid', ...o } as any);

const CASES: Case[] = [
  {
    label: 'LSTM go_backwards, return_sequences=True', seed: 31,
    build: (tf, x) => lstm(tf, { goBackwards: true, returnSequences: true, name: 'back' }).apply(x),
    ops: ['REVERSE_V2', 'UNIDIRECTIONAL_SEQUENCE_LSTM'],
  },
  {
    label: 'LSTM go_backwards, return_sequences=False', seed: 32,
    build: (tf, x) => lstm(tf, { goBackwards: true, name: 'back' }).apply(x),
    ops: ['REVERSE_V2', 'UNIDIRECTIONAL_SEQUENCE_LSTM', 'STRIDED_SLICE'],
  },
  ...(['concat', 'sum', 'mul', 'ave'] as const).flatMap((mergeMode, m) => [true, false].map((returnSequences): Case => ({
    label: `Bidirectional(LSTM) merge_mode=${mergeMode}, return_sequences=${returnSequences}`, seed: 40 + 2 * m + Number(returnSequences),
    build: (tf, x) => tf.layers.bidirectional({ layer: lstm(tf, { returnSequences, name: 'lstm' }) as any, mergeMode, name: 'bi' }).apply(x),
    // Forward LSTM; REVERSE_V2 + backward LSTM; its sequence reversed back (or both last steps); the merge.
    ops: [
      'UNIDIRECTIONAL_SEQUENCE_LSTM', ...(returnSequences ? [] : ['STRIDED_SLICE']),
      'REVERSE_V2', 'UNIDIRECTIONAL_SEQUENCE_LSTM', returnSequences ? 'REVERSE_V2' : 'STRIDED_SLICE',
      ...(mergeMode === 'concat' ? ['CONCATENATION'] : mergeMode === 'sum' ? ['ADD'] : mergeMode === 'mul' ? ['MUL'] : ['ADD', 'MUL']),
    ],
  }))),
];

for (const c of CASES) {
  test(`${c.label}: official runtime and our interpreter match TF.js predict`, async () => {
    const tf = await loadTf();
    const input = tf.input({ shape: [STEPS, FEATURES], name: 'sequence' });
    const model = tf.model({ inputs: input, outputs: c.build(tf, input) });
    seedWeights(tf, model, c.seed);
    const conv = await convert(await save(tf, model), { label: c.label });
    assert.deepEqual(conv.model.subgraphs[0].operators.map((o) => o.op), c.ops);
    const inputs = sequences(4, c.seed + 100);
    const expected = inputs.map((x) => Float32Array.from((model.predict(tf.tensor(x, [1, STEPS, FEATURES])) as any).dataSync()));
    const { official, ours } = await compare(conv.bytes, inputs, expected);
    console.log(`[bidirectional] ${c.label}: max |diff| vs TF.js: official ${official.toExponential(2)}, ours ${ours.toExponential(2)}`);
    assert.ok(official <= 1e-5, `official runtime differs from TF.js by ${official}`);
    assert.ok(ours <= 1e-5, `our interpreter differs from TF.js by ${ours}`);
  });
}

test('Bidirectional(LSTM, return_sequences) concat + Dense, int8 (int8 I/O): official runtime runs it, ours within 1 LSB', async () => {
  const tf = await loadTf();
  const input = tf.input({ shape: [STEPS, FEATURES], name: 'sequence' });
  const bi = tf.layers.bidirectional({ layer: lstm(tf, { returnSequences: true, name: 'lstm' }) as any, name: 'bi' }).apply(input) as any;
  const flat = tf.layers.flatten({ name: 'flatten' }).apply(bi) as any;
  const out = tf.layers.dense({ units: 3, name: 'dense' }).apply(flat) as any;
  const model = tf.model({ inputs: input, outputs: out });
  seedWeights(tf, model, 77);
  const conv = await convert(await save(tf, model), { label: 'bidirectional' });
  const { model: q, report } = await quantize(conv.model, {
    mode: 'int8', inputType: 'int8', outputType: 'int8', representativeDataset: sequences(30, 7).map((x) => [x]),
  });
  assert.equal(report.floatOps.length, 0, `float ops left: ${JSON.stringify(report.floatOps)}`);
  const qsg = q.subgraphs[0];
  const reverses = qsg.operators.filter((o) => o.op === 'REVERSE_V2');
  assert.equal(reverses.length, 2);
  for (const r of reverses) {
    // Same-scale data movement, written at the int8 version (3).
    const [a, b] = [qsg.tensors[r.inputs[0]], qsg.tensors[r.outputs[0]]];
    assert.equal(a.dtype, 'int8');
    assert.deepEqual([b.quantization!.scale, b.quantization!.zeroPoint], [a.quantization!.scale, a.quantization!.zeroPoint]);
    assert.equal(r.version, 3);
  }
  const bytes = writeModel(q);
  const samples: LabelledSample[] = sequences(30, 99).map((x) => ({ inputs: [x] }));
  const official = await runOfficialOn(bytes, samples, true);
  const ours = runOursOn(readModel(bytes, 'bidirectional_int8.tflite'), samples, true);
  const raw = rawAgreement(official.raw, ours.raw);
  // Against the float model (dequantized), a sanity bound on the quantization itself: the mean error (a plain
  // forward LSTM of this size quantizes to about the same mean; single worst outputs reach ~15% of the range).
  const floatRun = await runOfficialOn(conv.bytes, samples, true);
  const outT = qsg.tensors[qsg.outputs[0]];
  let worst = 0, sum = 0, n = 0, range = 0;
  official.raw.forEach((r, k) => {
    const d = toFloat(outT, r);
    floatRun.raw[k].forEach((f, i) => {
      const err = Math.abs(d[i] - f);
      worst = Math.max(worst, err);
      sum += err;
      n++;
      range = Math.max(range, Math.abs(f));
    });
  });
  const mean = sum / n;
  console.log(`[bidirectional] int8: ${bytes.length} bytes; ours vs official ${raw.within1.toFixed(1)} % within 1 LSB (max ${raw.max}); official int8 vs float mean |diff| ${mean.toFixed(4)}, max ${worst.toFixed(4)} (outputs up to ${range.toFixed(3)})`);
  assert.ok(raw.max <= 1, `our interpreter vs official: max raw diff ${raw.max}`);
  assert.ok(mean <= 0.03 * range, `int8 vs float: mean |diff| ${mean} of ${range}`);
});

/**
 * A Keras .h5 as model.save writes it, Bidirectional weights named as Keras does
 * ('bi/forward_lstm/lstm_cell/kernel:0' in Keras 2; Keras 3's legacy writer drops ':0').
 */
async function writeH5(artifacts: any, suffix: string): Promise<Uint8Array> {
  const M = await h5wasm.ready;
  const mem = `/bidirectional_${suffix ? 'k2' : 'k3'}_${process.pid}.h5`;
  const f = new h5wasm.File(mem, 'w');
  const topo = artifacts.modelTopology.model_config ?? artifacts.modelTopology;
  f.create_attribute('model_config', JSON.stringify({ class_name: topo.class_name, config: topo.config }));
  f.create_attribute('keras_version', suffix ? '2.13.1' : '3.1.1');
  const root = f.create_group('model_weights');
  const data = new Uint8Array(artifacts.weightData);
  let offset = 0;
  const arrays = artifacts.weightSpecs.map((s: any) => {
    const n = s.shape.reduce((a: number, b: number) => a * b, 1);
    const values = new Float32Array(data.slice(offset, offset + 4 * n).buffer);
    offset += 4 * n;
    // TF.js 'bi/forward_lstm/kernel' -> Keras 'bi/forward_lstm/lstm_cell/kernel' (recurrent variables live in the cell).
    const parts = s.name.split('/');
    const keras = parts[0] === 'bi' ? [parts[0], parts[1], 'lstm_cell', parts[2]] : parts;
    return { layer: parts[0], name: `${keras.join('/')}${suffix}`, values, shape: s.shape };
  });
  const layers = [...new Set(arrays.map((a: any) => a.layer))] as string[];
  root.create_attribute('layer_names', layers);
  for (const layer of layers) {
    const g = root.create_group(layer);
    const mine = arrays.filter((a: any) => a.layer === layer);
    g.create_attribute('weight_names', mine.map((a: any) => a.name));
    for (const a of mine) {
      const parts = a.name.split('/');
      let grp: any = g;
      for (const p of parts.slice(0, -1)) grp = grp.get(p) ?? grp.create_group(p);
      grp.create_dataset({ name: parts[parts.length - 1], data: a.values, shape: a.shape });
    }
  }
  f.close();
  const bytes = M.FS.readFile(mem);
  M.FS.unlink(mem);
  return bytes;
}

test('Bidirectional weights found under Keras 2 / Keras 3 .h5 names (forward_lstm / backward_lstm), checked in the official runtime', async () => {
  const tf = await loadTf();
  const input = tf.input({ shape: [STEPS, FEATURES], name: 'sequence' });
  const out = tf.layers.bidirectional({ layer: lstm(tf, { name: 'lstm' }) as any, mergeMode: 'sum', name: 'bi' }).apply(input) as any;
  const model = tf.model({ inputs: input, outputs: out });
  seedWeights(tf, model, 91);
  const artifacts = await save(tf, model);
  const inputs = sequences(3, 5);
  const expected = inputs.map((x) => Float32Array.from((model.predict(tf.tensor(x, [1, STEPS, FEATURES])) as any).dataSync()));
  for (const [label, suffix] of [['keras2.h5', ':0'], ['keras3.h5', '']]) {
    const conv = await convert(await writeH5(artifacts, suffix), { label });
    const { official, ours } = await compare(conv.bytes, inputs, expected);
    assert.ok(official <= 1e-5 && ours <= 1e-5, `${label}: official ${official}, ours ${ours} vs TF.js`);
  }
});

/**
 * A Keras 3 .keras zip laid out as keras/src/saving/saving_lib.py writes it: the model's layers keyed by snake-cased
 * class name (so the Bidirectional named 'bi' sits at layers/bidirectional), its copies under its attributes
 * forward_layer / backward_layer (keras/src/layers/rnn/bidirectional.py; attributes walked in sorted order, backward
 * first), each LSTM's variables in its cell: layers/bidirectional/forward_layer/cell/vars/0..2. The config is Keras 3's
 * get_config: 'layer' is the forward copy (named forward_lstm) and 'backward_layer' is written out.
 */
async function writeKerasZip(artifacts: any): Promise<Uint8Array> {
  const M = await h5wasm.ready;
  const mem = `/bidirectional_weights_${process.pid}.h5`;
  const f = new h5wasm.File(mem, 'w');
  f.create_group('vars');
  const layers = f.create_group('layers');
  layers.create_group('input_layer').create_group('vars');
  const bi = layers.create_group('bidirectional');
  bi.create_group('vars');
  const data = new Uint8Array(artifacts.weightData);
  let offset = 0;
  const byCopy: Record<string, { values: Float32Array; shape: number[] }[]> = {};
  for (const s of artifacts.weightSpecs) {
    const n = s.shape.reduce((a: number, b: number) => a * b, 1);
    const values = new Float32Array(data.slice(offset, offset + 4 * n).buffer);
    offset += 4 * n;
    (byCopy[s.name.split('/')[1]] ??= []).push({ values, shape: s.shape }); // 'bi/forward_lstm/kernel'
  }
  assert.deepEqual(Object.keys(byCopy).sort(), ['backward_lstm', 'forward_lstm']);
  for (const [attr, copy] of [['backward_layer', 'backward_lstm'], ['forward_layer', 'forward_lstm']]) {
    const g = bi.create_group(attr);
    g.create_group('vars');
    const vars = g.create_group('cell').create_group('vars');
    byCopy[copy].forEach((a, k) => vars.create_dataset({ name: String(k), data: a.values, shape: a.shape }));
  }
  f.close();
  const weights = M.FS.readFile(mem);
  M.FS.unlink(mem);
  const topo = structuredClone(artifacts.modelTopology.model_config ?? artifacts.modelTopology);
  const biLayer = topo.config.layers.find((l: any) => l.class_name === 'Bidirectional');
  const inner = biLayer.config.layer;
  biLayer.config.layer = { ...inner, config: { ...inner.config, name: 'forward_lstm' } };
  biLayer.config.backward_layer = { ...inner, config: { ...inner.config, name: 'backward_lstm', go_backwards: true } };
  return zipSync({
    'config.json': strToU8(JSON.stringify({ class_name: topo.class_name, config: topo.config })),
    'metadata.json': strToU8('{"keras_version": "3.3.3"}'),
    'model.weights.h5': weights,
  });
}

test('Bidirectional weights found in a Keras 3 .keras zip (layers/bidirectional/{forward,backward}_layer/cell/vars), checked in the official runtime', async () => {
  const tf = await loadTf();
  const input = tf.input({ shape: [STEPS, FEATURES], name: 'sequence' });
  const out = tf.layers.bidirectional({ layer: lstm(tf, { name: 'lstm', returnSequences: true }) as any, mergeMode: 'concat', name: 'bi' }).apply(input) as any;
  const model = tf.model({ inputs: input, outputs: out });
  seedWeights(tf, model, 93);
  const bytes = await writeKerasZip(await save(tf, model));
  const conv = await convert(bytes, { label: 'bi.keras' });
  assert.deepEqual(conv.model.subgraphs[0].operators.map((o) => o.op),
    ['UNIDIRECTIONAL_SEQUENCE_LSTM', 'REVERSE_V2', 'UNIDIRECTIONAL_SEQUENCE_LSTM', 'REVERSE_V2', 'CONCATENATION']);
  const inputs = sequences(3, 6);
  const expected = inputs.map((x) => Float32Array.from((model.predict(tf.tensor(x, [1, STEPS, FEATURES])) as any).dataSync()));
  const { official, ours } = await compare(conv.bytes, inputs, expected);
  console.log(`[bidirectional] .keras zip: max |diff| vs TF.js: official ${official.toExponential(2)}, ours ${ours.toExponential(2)}`);
  assert.ok(official <= 1e-5, `official runtime differs from TF.js by ${official}`);
  assert.ok(ours <= 1e-5, `our interpreter differs from TF.js by ${ours}`);
});

test('Bidirectional variants the converter cannot express get a clear UnsupportedError naming the layer', async () => {
  const tf = await loadTf();
  const input = tf.input({ shape: [STEPS, FEATURES], name: 'sequence' });
  const out = tf.layers.bidirectional({ layer: lstm(tf, { name: 'lstm' }) as any, name: 'bi' }).apply(input) as any;
  const artifacts = await save(tf, tf.model({ inputs: input, outputs: out }));
  const biCfg = (a: any) => (a.modelTopology.model_config ?? a.modelTopology).config.layers.find((l: any) => l.class_name === 'Bidirectional').config;
  const variants: [string, (c: any) => void, RegExp][] = [
    ['merge_mode first', (c) => { c.merge_mode = 'first'; }, /merge_mode 'first'/],
    ['wrapped ConvLSTM1D', (c) => { c.layer.class_name = 'ConvLSTM1D'; }, /wrapped ConvLSTM1D/],
    ['wrapped stateful LSTM', (c) => { c.layer.config.stateful = true; }, /stateful=True/],
    ['wrapped LSTM with return_state', (c) => { c.layer.config.return_state = true; }, /return_state=True/],
  ];
  for (const [what, edit, msg] of variants) {
    const a = structuredClone(artifacts);
    edit(biCfg(a));
    await assert.rejects(convert(a, { label: what }), (e: unknown) => e instanceof UnsupportedError && msg.test(e.message) && /bi/.test(e.message), what);
  }
});
