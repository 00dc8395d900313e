// Keras GRU, SimpleRNN, TimeDistributed, Bidirectional(GRU / SimpleRNN) and LSTM with return_state, converted to
// unrolled plain ops. References: TF.js's own layers (model.predict) for what TF.js builds, and for GRU with
// reset_after=True (which TF.js refuses) the GRU equations written with TF.js core ops. Each model is converted
// from TF.js Layers artifacts, a Keras .h5 and a .keras zip (fixtures laid out as Keras's saving code writes them)
// and run in the OFFICIAL runtime and in our interpreter; then quantized to int8 and run in both, bit-exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zipSync, strToU8 } from 'fflate';
import h5wasm from 'h5wasm/node';
import { convert } from '../../src/convert.js';
import { UnsupportedError } from '../../src/errors.js';
import { readModel, writeModel } from '../../src/format/index.js';
import { quantize } from '../../src/quantize/index.js';
import { mulberry32 } from '../helpers/random.js';
import { maxAbsDiff, runOfficialMany, runOursMany } from './helpers.js';
import { loadTf } from './tfjs-reference.js';
import { officialRawOutputs, ourRawOutputs, toFloat } from '../quantize/helpers.js';

const STEPS = 5, FEATURES = 3, UNITS = 4;
type Tf = Awaited<ReturnType<typeof loadTf>>;

interface Weight { name: string; shape: number[]; values: Float32Array }

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

function randomInputs(n: number, size: number, seed: number): Float32Array[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: size }, () => 2 * rnd() - 1));
}

/** TF.js artifacts' weights in save order, by their TF.js names ('bi/forward_gru/kernel'). */
function weightsOfArtifacts(artifacts: any): Weight[] {
  const data = new Uint8Array(artifacts.weightData);
  let offset = 0;
  return artifacts.weightSpecs.map((s: any) => {
    const n = s.shape.reduce((a: number, b: number) => a * b, 1);
    const values = new Float32Array(data.slice(offset, offset + 4 * n).buffer);
    offset += 4 * n;
    return { name: s.name, shape: s.shape, values };
  });
}

function topologyOf(artifacts: any): any {
  return structuredClone(artifacts.modelTopology.model_config ?? artifacts.modelTopology);
}

const RECURRENT = new Set(['GRU', 'SimpleRNN', 'LSTM']);
const cellName: Record<string, string> = { GRU: 'gru_cell', SimpleRNN: 'simple_rnn_cell', LSTM: 'lstm_cell' };

async function h5Bytes(build: (f: any) => void, tag: string): Promise<Uint8Array> {
  const M = await h5wasm.ready;
  const mem = `/recurrent_${tag}_${process.pid}.h5`;
  const f = new h5wasm.File(mem, 'w');
  build(f);
  f.close();
  const bytes = M.FS.readFile(mem);
  M.FS.unlink(mem);
  return bytes;
}

/**
 * A Keras 2 .h5 as model.save writes it (keras/src/saving/legacy/hdf5_format.py): model_config and keras_version
 * attributes; model_weights/<layer> with weight_names; Keras 2 names an RNN's variables after its cell
 * ('gru/gru_cell/kernel:0', 'bi/forward_gru/gru_cell/kernel:0') and a TimeDistributed's after the wrapper
 * ('td/kernel:0').
 */
function writeH5(topology: any, weights: Weight[]): Promise<Uint8Array> {
  const classOf = new Map<string, any>(topology.config.layers.map((l: any) => [l.config.name, l]));
  return h5Bytes((f) => {
    f.create_attribute('model_config', JSON.stringify({ class_name: topology.class_name, config: topology.config }));
    f.create_attribute('keras_version', '2.13.1');
    const root = f.create_group('model_weights');
    const named = weights.map((w) => {
      const parts = w.name.split('/');
      const layer = classOf.get(parts[0]);
      const inner = layer.class_name === 'Bidirectional' ? layer.config.layer.class_name : layer.class_name;
      if (RECURRENT.has(inner)) parts.splice(parts.length - 1, 0, cellName[inner]);
      return { ...w, layer: parts[0], keras: `${parts.join('/')}:0` };
    });
    const layers = [...new Set(named.map((w) => w.layer))];
    root.create_attribute('layer_names', layers);
    for (const layer of layers) {
      const g = root.create_group(layer);
      const mine = named.filter((w) => w.layer === layer);
      g.create_attribute('weight_names', mine.map((w) => w.keras));
      for (const w of mine) {
        const parts = w.keras.split('/');
        let grp: any = g;
        for (const p of parts.slice(0, -1)) grp = grp.get(p) ?? grp.create_group(p);
        grp.create_dataset({ name: parts[parts.length - 1], data: w.values, shape: w.shape });
      }
    }
  }, 'h5');
}

/** Keras's naming.to_snake_case for the class names used here. */
const snake = (c: string) => c.replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();

/**
 * A Keras 3 .keras zip (keras/src/saving/saving_lib.py): config.json, metadata.json and model.weights.h5 with each
 * layer under layers/<snake-cased class, numbered per class>/: an RNN's variables in its cell (gru/cell/vars/0..2),
 * a Bidirectional's copies under forward_layer / backward_layer, a TimeDistributed's layer under layer/.
 */
async function writeKerasZip(topology: any, weights: Weight[]): Promise<Uint8Array> {
  const byLayer = new Map<string, Weight[]>();
  for (const w of weights) {
    const key = w.name.split('/').slice(0, -1).join('/');
    byLayer.set(key, [...(byLayer.get(key) ?? []), w]);
  }
  const bytes = await h5Bytes((f) => {
    f.create_group('vars');
    const layers = f.create_group('layers');
    const perClass = new Map<string, number>();
    const vars = (g: any, list: Weight[]) => {
      const v = g.create_group('vars');
      list.forEach((w, k) => v.create_dataset({ name: String(k), data: w.values, shape: w.shape }));
    };
    for (const l of topology.config.layers) {
      const base = snake(l.class_name);
      const n = perClass.get(base);
      perClass.set(base, n === undefined ? 0 : n + 1);
      const g = layers.create_group(n === undefined ? base : `${base}_${n + 1}`);
      const name = l.config.name;
      if (l.class_name === 'Bidirectional') {
        g.create_group('vars');
        const inner = l.config.layer.config.name;
        for (const [attr, copy] of [['backward_layer', `backward_${inner}`], ['forward_layer', `forward_${inner}`]]) {
          const sg = g.create_group(attr);
          sg.create_group('vars');
          vars(sg.create_group('cell'), byLayer.get(`${name}/${copy}`)!);
        }
      } else if (l.class_name === 'TimeDistributed') {
        g.create_group('vars');
        vars(g.create_group('layer'), byLayer.get(name) ?? []);
      } else if (RECURRENT.has(l.class_name)) {
        g.create_group('vars');
        vars(g.create_group('cell'), byLayer.get(name)!);
      } else vars(g, byLayer.get(name) ?? []);
    }
  }, 'zip');
  return zipSync({
    'config.json': strToU8(JSON.stringify({ class_name: topology.class_name, config: topology.config })),
    'metadata.json': strToU8('{"keras_version": "3.3.3"}'),
    'model.weights.h5': bytes,
  });
}

/** The three source formats of one model. */
async function sources(artifacts: any, topology = topologyOf(artifacts), weights = weightsOfArtifacts(artifacts)): Promise<[string, any][]> {
  return [
    ['TF.js Layers', artifacts],
    ['Keras .h5', await writeH5(topology, weights)],
    ['.keras', await writeKerasZip(topology, weights)],
  ];
}

const calibration = (size: number, seed: number) => randomInputs(16, size, seed).map((x) => [x]);

/** int8 (int8 I/O) quantization of a converted model; official and ours compared on every output, raw. */
async function checkInt8(label: string, conv: { model: any; bytes: Uint8Array }, inputSize: number, seed: number): Promise<void> {
  const { model: q, report } = await quantize(conv.model, {
    mode: 'int8', inputType: 'int8', outputType: 'int8', representativeDataset: calibration(inputSize, seed),
  });
  assert.equal(report.floatOps.length, 0, `${label}: float ops left: ${JSON.stringify(report.floatOps)}`);
  const bytes = writeModel(q);
  const qm = readModel(bytes, `${label}.tflite`);
  const inputs = randomInputs(8, inputSize, seed + 1);
  const official = await officialRawOutputs(bytes, qm, inputs);
  const ours = ourRawOutputs(qm, inputs);
  let diffs = 0;
  official.forEach((outs, k) => outs.forEach((o, j) => o.forEach((v, i) => { if (v !== ours[k][j][i]) diffs++; })));
  // A sanity bound on the quantization itself: dequantized int8 vs the float model, mean error against the range.
  const float = await runOfficialMany(conv.bytes, inputs.map((x) => [x]));
  const sg = qm.subgraphs[0];
  let sum = 0, count = 0, range = 0;
  official.forEach((outs, k) => outs.forEach((o, j) => {
    const d = toFloat(sg.tensors[sg.outputs[j]], o);
    d.forEach((v, i) => { sum += Math.abs(v - float[k][j][i]); count++; range = Math.max(range, Math.abs(float[k][j][i])); });
  }));
  const mean = sum / count;
  console.log(`[recurrent] ${label} int8: ${q.subgraphs[0].operators.length} ops, ${bytes.length} bytes; ours vs official: ${diffs} raw values differ; int8 vs float mean |diff| ${mean.toFixed(4)} (outputs up to ${range.toFixed(3)})`);
  assert.equal(diffs, 0, `${label} int8: ours differs from the official runtime in ${diffs} values`);
  assert.ok(mean <= 0.04 * range, `${label} int8 vs float: mean |diff| ${mean} of ${range}`);
}

/** Converted outputs (official and ours) vs the expected ones, every output of every input. */
async function checkFloat(label: string, bytes: Uint8Array, inputs: Float32Array[], expected: Float32Array[][]): Promise<void> {
  const model = readModel(bytes, `${label}.tflite`);
  const official = await runOfficialMany(bytes, inputs.map((x) => [x]));
  const ours = await runOursMany(model, inputs.map((x) => [x]));
  let worstOfficial = 0, worstOurs = 0;
  expected.forEach((outs, k) => {
    assert.equal(official[k].length, outs.length, `${label}: ${official[k].length} outputs, expected ${outs.length}`);
    outs.forEach((e, j) => {
      worstOfficial = Math.max(worstOfficial, maxAbsDiff(official[k][j], e));
      worstOurs = Math.max(worstOurs, maxAbsDiff(ours[k][j], e));
    });
  });
  console.log(`[recurrent] ${label}: max |diff| official ${worstOfficial.toExponential(2)}, ours ${worstOurs.toExponential(2)}`);
  assert.ok(worstOfficial <= 1e-5, `${label}: official runtime differs by ${worstOfficial}`);
  assert.ok(worstOurs <= 1e-5, `${label}: our interpreter differs by ${worstOurs}`);
}

function predictAll(tf: Tf, model: any, inputs: Float32Array[], shape: number[]): Float32Array[][] {
  return inputs.map((x) => {
    const y = model.predict(tf.tensor(x, [1, ...shape]));
    return (Array.isArray(y) ? y : [y]).map((t: any) => Float32Array.from(t.dataSync()));
  });
}

interface Case {
  label: string;
  seed: number;
  inputShape: number[];
  build: (tf: Tf, x: any) => any;
  /** Formats to convert from (default: all three). */
  tfjsOnly?: boolean;
}

const gru = (tf: Tf, o: Record<string, unknown>) => tf.layers.gru({ units: UNITS, name: 'gru', ...o } as any);
const rnn = (tf: Tf, o: Record<string, unknown>) => tf.layers.simpleRNN({ units: UNITS, name: 'rnn', ...o } as any);
const seqShape = [STEPS, FEATURES];

// Keras 3 reads 'hard_sigmoid' as relu6(x + 3) / 6, TF.js and Keras 2 as clip(0.2x + 0.5): cases with TF.js's
// default hard_sigmoid gates are checked from TF.js and .h5 (Keras 2) only.
const CASES: Case[] = [
  { label: 'GRU reset_after=False, sigmoid, return_sequences', seed: 1, inputShape: seqShape,
    build: (tf, x) => gru(tf, { recurrentActivation: 'sigmoid', returnSequences: true }).apply(x) },
  { label: 'GRU reset_after=False, hard_sigmoid, go_backwards, no bias, last step', seed: 2, inputShape: seqShape, tfjsOnly: true,
    build: (tf, x) => gru(tf, { goBackwards: true, useBias: false }).apply(x) },
  { label: 'GRU unroll=True, relu, go_backwards, return_sequences', seed: 3, inputShape: seqShape,
    build: (tf, x) => gru(tf, { recurrentActivation: 'sigmoid', activation: 'relu', unroll: true, goBackwards: true, returnSequences: true }).apply(x) },
  { label: 'SimpleRNN return_sequences', seed: 4, inputShape: seqShape,
    build: (tf, x) => rnn(tf, { returnSequences: true }).apply(x) },
  { label: 'SimpleRNN go_backwards, last step', seed: 5, inputShape: seqShape,
    build: (tf, x) => rnn(tf, { goBackwards: true }).apply(x) },
  { label: 'GRU + TimeDistributed(Dense relu)', seed: 6, inputShape: seqShape,
    build: (tf, x) => tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3, activation: 'relu', name: 'dense' }), name: 'td' })
      .apply(gru(tf, { recurrentActivation: 'sigmoid', returnSequences: true }).apply(x)) },
  { label: 'TimeDistributed(Conv2D) + TimeDistributed(Flatten) + SimpleRNN', seed: 7, inputShape: [3, 5, 5, 2],
    build: (tf, x) => {
      const c = tf.layers.timeDistributed({ layer: tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', name: 'conv' }), name: 'td_conv' }).apply(x);
      const f = tf.layers.timeDistributed({ layer: tf.layers.flatten({ name: 'flat' }), name: 'td_flat' }).apply(c);
      return rnn(tf, {}).apply(f);
    } },
  ...(['concat', 'sum', 'mul', 'ave'] as const).map((mergeMode, k): Case => ({
    label: `Bidirectional(GRU) merge_mode=${mergeMode}${k % 2 ? ', last step' : ', return_sequences'}`, seed: 10 + k, inputShape: seqShape,
    tfjsOnly: k > 0,
    build: (tf, x) => tf.layers.bidirectional({ layer: gru(tf, { recurrentActivation: 'sigmoid', returnSequences: k % 2 === 0 }) as any, mergeMode, name: 'bi' }).apply(x),
  })),
  { label: 'Bidirectional(SimpleRNN) concat, return_sequences', seed: 15, inputShape: seqShape,
    build: (tf, x) => tf.layers.bidirectional({ layer: rnn(tf, { returnSequences: true }) as any, name: 'bi' }).apply(x) },
  { label: 'LSTM return_state (sequence, h, c)', seed: 16, inputShape: seqShape,
    build: (tf, x) => tf.layers.lstm({ units: UNITS, recurrentActivation: 'sigmoid', returnSequences: true, returnState: true, name: 'lstm' } as any).apply(x) },
  { label: 'LSTM return_state, hard_sigmoid, last step (h, h, c)', seed: 17, inputShape: seqShape, tfjsOnly: true,
    build: (tf, x) => tf.layers.lstm({ units: UNITS, returnState: true, name: 'lstm' } as any).apply(x) },
];

for (const c of CASES) {
  test(`${c.label}: official runtime and ours match TF.js predict (TF.js Layers${c.tfjsOnly ? ', .h5' : ', .h5, .keras'}); int8 bit-exact`, async () => {
    const tf = await loadTf();
    const input = tf.input({ shape: c.inputShape, name: 'sequence' });
    const out = c.build(tf, input);
    const model = tf.model({ inputs: input, outputs: out });
    seedWeights(tf, model, c.seed);
    const artifacts = await save(tf, model);
    const size = c.inputShape.reduce((a, b) => a * b, 1);
    const inputs = randomInputs(4, size, c.seed + 100);
    const expected = predictAll(tf, model, inputs, c.inputShape);
    let all = await sources(artifacts);
    if (c.tfjsOnly) all = all.slice(0, 2);
    let first: any = null;
    for (const [format, src] of all) {
      const conv = await convert(src, { label: `${c.label} (${format})` });
      const ops = conv.model.subgraphs[0].operators.map((o) => o.op);
      assert.ok(!ops.includes('UNIDIRECTIONAL_SEQUENCE_RNN') && !ops.includes('WHILE'), ops.join(','));
      await checkFloat(`${c.label} (${format})`, conv.bytes, inputs, expected);
      first ??= conv;
    }
    await checkInt8(c.label, first, size, c.seed + 200);
  });
}

test('recurrent weights are shared constants: one kernel per gate whatever the number of steps', async () => {
  const tf = await loadTf();
  const input = tf.input({ shape: seqShape, name: 'sequence' });
  const model = tf.model({ inputs: input, outputs: gru(tf, { recurrentActivation: 'sigmoid', returnSequences: true }).apply(input) as any });
  seedWeights(tf, model, 21);
  const conv = await convert(await save(tf, model), { label: 'gru' });
  const sg = conv.model.subgraphs[0];
  const fcs = sg.operators.filter((o) => o.op === 'FULLY_CONNECTED');
  const weightTensors = new Set(fcs.map((o) => o.inputs[1]));
  // 3 input projections over the whole sequence + 3 recurrent FCs per step after the first.
  assert.equal(fcs.length, 3 + 3 * (STEPS - 1));
  assert.equal(weightTensors.size, 6);
  const constants = sg.tensors.filter((t) => t.data && t.shape.length === 2);
  assert.equal(constants.length, 6, constants.map((t) => t.name).join(', '));
});

/**
 * GRU with reset_after=True: the Keras 2 / 3 default, which TF.js cannot build. The model config is a TF.js GRU's
 * with reset_after set; the bias is Keras's [2, 3 * units] (input bias; recurrent bias) of gru.py's build().
 * Reference: the GRU equations of keras/src/layers/rnn/gru.py with TF.js core ops.
 */
function gruResetAfterReference(tf: Tf, x: Float32Array, kernel: Weight, recurrent: Weight, bias: Weight | null, goBackwards: boolean, hardSigmoid: boolean): Float32Array[] {
  return tf.tidy(() => {
    const k = tf.tensor2d(kernel.values, kernel.shape as [number, number]);
    const r = tf.tensor2d(recurrent.values, recurrent.shape as [number, number]);
    const bIn = bias ? tf.tensor1d(bias.values.slice(0, 3 * UNITS)) : tf.zeros([3 * UNITS]);
    const bRec = bias ? tf.tensor1d(bias.values.slice(3 * UNITS)) : tf.zeros([3 * UNITS]);
    const xs = tf.tensor2d(x, [STEPS, FEATURES]);
    const gate = (t: any) => (hardSigmoid ? tf.clipByValue(tf.add(tf.mul(t, 1 / 6), 0.5), 0, 1) : tf.sigmoid(t));
    let h: any = tf.zeros([1, UNITS]);
    const seq: Float32Array[] = [];
    for (let s = 0; s < STEPS; s++) {
      const t = goBackwards ? STEPS - 1 - s : s;
      const xt = tf.slice(xs, [t, 0], [1, FEATURES]);
      const mx = tf.add(tf.matMul(xt, k), bIn);
      const mh = tf.add(tf.matMul(h, r), bRec);
      const [xz, xr, xh] = tf.split(mx, 3, 1);
      const [hz, hr, hh] = tf.split(mh, 3, 1);
      const z = gate(tf.add(xz, hz));
      const rr = gate(tf.add(xr, hr));
      const cand = tf.tanh(tf.add(xh, tf.mul(rr, hh)));
      h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), cand));
      seq.push(Float32Array.from(h.dataSync()));
    }
    return seq;
  });
}

for (const variant of [
  { label: 'return_sequences', goBackwards: false, useBias: true, hardSigmoid: false, returnSequences: true },
  { label: 'go_backwards, no bias, hard_sigmoid (Keras 3), last step', goBackwards: true, useBias: false, hardSigmoid: true, returnSequences: false },
]) {
  test(`GRU reset_after=True, ${variant.label}: .h5 and .keras fixtures match the GRU equations (TF.js core ops) in both runtimes; int8 bit-exact`, async () => {
    const tf = await loadTf();
    const input = tf.input({ shape: seqShape, name: 'sequence' });
    const recurrentActivation = variant.hardSigmoid ? 'hardSigmoid' : 'sigmoid';
    const model = tf.model({ inputs: input, outputs: gru(tf, { recurrentActivation, returnSequences: variant.returnSequences, goBackwards: variant.goBackwards, useBias: variant.useBias }).apply(input) as any });
    const artifacts = await save(tf, model);
    const topology = topologyOf(artifacts);
    const gruCfg = topology.config.layers.find((l: any) => l.class_name === 'GRU').config;
    gruCfg.reset_after = true;
    const rnd = mulberry32(variant.useBias ? 31 : 32);
    const random = (name: string, shape: number[]): Weight =>
      ({ name, shape, values: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 1.6 * (rnd() - 0.5)) });
    const kernel = random('gru/kernel', [FEATURES, 3 * UNITS]);
    const recurrent = random('gru/recurrent_kernel', [UNITS, 3 * UNITS]);
    const bias = variant.useBias ? random('gru/bias', [2, 3 * UNITS]) : null;
    const weights = [kernel, recurrent, ...(bias ? [bias] : [])];
    const inputs = randomInputs(4, STEPS * FEATURES, 41);
    const expected = inputs.map((x) => {
      const seq = gruResetAfterReference(tf, x, kernel, recurrent, bias, variant.goBackwards, variant.hardSigmoid);
      if (!variant.returnSequences) return [seq[STEPS - 1]];
      const all = new Float32Array(STEPS * UNITS);
      seq.forEach((h, t) => all.set(h, t * UNITS));
      return [all];
    });
    // Keras 3's hard_sigmoid (x/6 + 0.5) applies to the .keras file only; the .h5 is written as Keras 2's.
    const formats: [string, Uint8Array][] = [['.keras', await writeKerasZip(topology, weights)]];
    if (!variant.hardSigmoid) formats.push(['.h5', await writeH5(topology, weights)]);
    let first: any = null;
    for (const [format, bytes] of formats) {
      const conv = await convert(bytes, { label: `gru_reset_after${format}` });
      await checkFloat(`GRU reset_after=True ${variant.label} (${format})`, conv.bytes, inputs, expected);
      first ??= conv;
    }
    await checkInt8(`GRU reset_after=True ${variant.label}`, first, STEPS * FEATURES, 51);
  });
}

test('GRU bias shapes, stateful and unsupported wrapped layers: clear errors naming the layer', async () => {
  const tf = await loadTf();
  const input = tf.input({ shape: seqShape, name: 'sequence' });
  const model = tf.model({ inputs: input, outputs: gru(tf, {}).apply(input) as any });
  const artifacts = await save(tf, model);
  const edited = (edit: (cfg: any) => void) => {
    const a = structuredClone(artifacts);
    edit((a.modelTopology.model_config ?? a.modelTopology).config.layers.find((l: any) => l.class_name === 'GRU').config);
    return a;
  };
  await assert.rejects(convert(edited((c) => { c.stateful = true; }), { label: 'stateful.json' }),
    (e: unknown) => e instanceof UnsupportedError && /gru \(GRU: stateful=True/.test(e.message));
  // reset_after=True with a reset_after=False bias [3u]: the stored bias does not fit.
  await assert.rejects(convert(edited((c) => { c.reset_after = true; }), { label: 'bias.json' }),
    (e: unknown) => e instanceof Error && /'gru' bias .* has shape \[12\], expected \[2,12\]/.test(e.message));
});

test('an unrolled layer over a sequence of unknown length needs --input-shape; with it, it matches TF.js predict', async () => {
  const tf = await loadTf();
  const input = tf.input({ shape: [null, FEATURES], name: 'sequence' });
  const model = tf.model({ inputs: input, outputs: gru(tf, { recurrentActivation: 'sigmoid' }).apply(input) as any });
  seedWeights(tf, model, 61);
  const artifacts = await save(tf, model);
  await assert.rejects(convert(artifacts, { label: 'open.json' }),
    (e: unknown) => e instanceof UnsupportedError && /open\.json: layer .*gru.*'gru' \(GRU\) is unrolled over a fixed number of time steps; .*--input-shape sequence:1,<d1>,3/.test(e.message));
  const conv = await convert(artifacts, { label: 'open.json', inputShapes: { sequence: [1, STEPS, FEATURES] } });
  const inputs = randomInputs(3, STEPS * FEATURES, 62);
  await checkFloat('GRU at --input-shape', conv.bytes, inputs, predictAll(tf, model, inputs, seqShape));
  const long = structuredClone(artifacts);
  (long.modelTopology.model_config ?? long.modelTopology).config.layers[0].config.batch_input_shape = [null, 5000, FEATURES];
  await assert.rejects(convert(long, { label: 'long.json' }), (e: unknown) => e instanceof UnsupportedError && /'gru' \(GRU\) has 5000 time steps; at most 4096/.test(e.message));
});

test('Bidirectional(GRU) merge_mode=None: two outputs, forward and backward, match TF.js predict', async () => {
  const tf = await loadTf();
  const input = tf.input({ shape: seqShape, name: 'sequence' });
  const outs = tf.layers.bidirectional({ layer: gru(tf, { recurrentActivation: 'sigmoid', returnSequences: true }) as any, mergeMode: null as any, name: 'bi' }).apply(input) as any[];
  const model = tf.model({ inputs: input, outputs: outs });
  seedWeights(tf, model, 71);
  const inputs = randomInputs(3, STEPS * FEATURES, 72);
  const expected = predictAll(tf, model, inputs, seqShape);
  assert.equal(expected[0].length, 2);
  const conv = await convert(await save(tf, model), { label: 'bi_none' });
  await checkFloat('Bidirectional(GRU) merge_mode=None', conv.bytes, inputs, expected);
});
