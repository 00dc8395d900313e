// Google AI Edge Quantizer recipes: AEQ's lookup rules (scope = output names each followed by ';', regex searched;
// groups by regex in first-appearance order; later entries win; '*' replaces its regex's group; nothing selected =
// float), refusals by name with the entry index, and the acceptance: AEQ's dynamic int8 recipe and its static int8
// recipe with a regex scope left in float each produce the model they describe, run in the official runtimes, and
// ours agrees (bit-exact in int8 against tfjs-tflite; within float rounding plus the hybrid input-rounding flips
// against LiteRT.js, which runs FULLY_CONNECTED v12 that tfjs-tflite refuses).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RecipeError } from '../../src/errors.js';
import { aeqEntryFor, aeqFromJson, aeqScopes } from '../../src/quantize/aeq-recipe.js';
import { readModelFile } from '../../src/format/index.js';
import { openDataset } from '../../src/evaluate/datasets/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { createLiteRtRunner, liteRtAvailable } from '../../src/runtime/litert.js';
import type { Model, Subgraph } from '../../src/graph/model.js';
import { cli } from '../helpers/cli.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { argmax, take, toInputValues } from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lq-aeq-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const MODEL = 'models/mnist-cnn/model.json';
const IMAGES = 200;

// The JSON AEQ's recipe.dynamic_wi8_afp32() and recipe.static_wi8_ai8() produce (get_quantization_recipe()).
const WEIGHT_8_CHANNELWISE = { num_bits: 8, symmetric: true, granularity: 'CHANNELWISE', dtype: 'INT' };
const DYNAMIC_WI8_AFP32 = [{
  regex: '.*', operation: '*', algorithm_key: 'min_max_uniform_quantize',
  op_config: { weight_tensor_config: WEIGHT_8_CHANNELWISE, compute_precision: 'INTEGER', explicit_dequantize: false, skip_checks: false, min_weight_elements: 0 },
}];
const STATIC_WI8_AI8 = [{
  regex: '.*', operation: '*', algorithm_key: 'min_max_uniform_quantize',
  op_config: {
    activation_tensor_config: { num_bits: 8, symmetric: false, granularity: 'TENSORWISE', dtype: 'INT' },
    weight_tensor_config: WEIGHT_8_CHANNELWISE, compute_precision: 'INTEGER', explicit_dequantize: false, skip_checks: false, min_weight_elements: 0,
  },
}];

const entry = (regex: string, operation: string, algorithm_key = 'min_max_uniform_quantize', granularity = 'CHANNELWISE') => ({
  regex, operation, algorithm_key,
  op_config: { weight_tensor_config: { num_bits: 8, granularity }, compute_precision: 'INTEGER' },
});

test('AEQ lookup: scope string, regex groups in first-appearance order, later entries win, "*" replaces its group, default float', () => {
  const r = aeqFromJson([
    entry('.*', '*', 'min_max_uniform_quantize', 'TENSORWISE'), // 0
    entry('dense', 'FULLY_CONNECTED', 'min_max_uniform_quantize', 'CHANNELWISE'), // 1
    entry('.*', 'CONV_2D', 'no_quantize'), // 2: joins the '.*' group, which comes before 'dense'
    entry('dense', 'FULLY_CONNECTED', 'min_max_uniform_quantize', 'TENSORWISE'), // 3: replaces entry 1 in place
    entry('only;', 'FULLY_CONNECTED'), // 4: the scope has ';' after each output name
    entry('^a;b;$', 'ADD'), // 5: two outputs
    entry('conv2', 'CONV_2D_TRANSPOSE'), // 6: AEQ's name for TRANSPOSE_CONV
  ], 'r.json');
  assert.equal(r.mode, 'dynamic');
  assert.equal(aeqEntryFor(r, 'FULLY_CONNECTED', ['dense'])?.index, 3);
  assert.equal(aeqEntryFor(r, 'FULLY_CONNECTED', ['logits'])?.index, 0);
  assert.equal(aeqEntryFor(r, 'CONV_2D', ['conv1'])?.index, 2);
  assert.equal(aeqEntryFor(r, 'FULLY_CONNECTED', ['only'])?.index, 4);
  assert.equal(aeqEntryFor(r, 'FULLY_CONNECTED', ['only2'])?.index, 0);
  assert.equal(aeqEntryFor(r, 'ADD', ['a', 'b'])?.index, 5);
  assert.equal(aeqEntryFor(r, 'TRANSPOSE_CONV', ['conv2'])?.index, 6);
  // A '*' entry for an existing regex replaces that regex's whole group (entry 2's CONV_2D rule is gone).
  const replaced = aeqFromJson([entry('.*', 'CONV_2D', 'no_quantize'), entry('.*', '*')], 'r.json');
  assert.equal(aeqEntryFor(replaced, 'CONV_2D', ['c'])?.index, 1);
  // Nothing selects an op: it stays float.
  const narrow = aeqFromJson([entry('^dense;$', 'FULLY_CONNECTED')], 'r.json');
  assert.equal(aeqEntryFor(narrow, 'FULLY_CONNECTED', ['logits']), null);
  // Python's named groups and leading inline flags.
  const py = aeqFromJson([entry('(?i)(?P<n>DENSE)', '*')], 'r.json');
  assert.equal(aeqEntryFor(py, 'FULLY_CONNECTED', ['dense'])?.index, 0);
  // The older "channel_wise" spelling and the older execution_mode.
  const old = aeqFromJson([{ regex: '.*', operation: '*', algorithm_key: 'min_max_uniform_quantize',
    op_config: { weight_tensor_config: { num_bits: 8, symmetric: true, channel_wise: true, dtype: 'INT' }, execution_mode: 'DRQ' } }], 'r.json');
  assert.equal(old.mode, 'dynamic');
  assert.equal(old.entries[0].granularity, 'channel');
  // float_casting to float16.
  const f16 = aeqFromJson([{ regex: '.*', operation: '*', algorithm_key: 'float_casting',
    op_config: { weight_tensor_config: { num_bits: 16, dtype: 'FLOAT' }, compute_precision: 'FLOAT', explicit_dequantize: true } }], 'r.json');
  assert.equal(f16.mode, 'float16');
});

test('AEQ entries litequant does not implement are refused by name with the entry index', () => {
  const w = (extra: object) => ({ weight_tensor_config: { num_bits: 8, granularity: 'CHANNELWISE', ...extra }, compute_precision: 'INTEGER' });
  const cases: [string, unknown, RegExp][] = [
    ['4-bit weights', [entry('.*', '*'), { ...entry('x', '*'), op_config: w({ num_bits: 4 }) }], /r\.json: entry 1 op_config\.weight_tensor_config\.num_bits: 4-bit weights are not supported/],
    ['blockwise', [{ ...entry('x', '*'), op_config: w({ granularity: 'BLOCKWISE_32' }) }], /entry 0 .*granularity: BLOCKWISE_32 quantization is not supported/],
    ['block_size', [{ ...entry('x', '*'), op_config: w({ block_size: 64 }) }], /entry 0 .*block_size: blockwise quantization/],
    ['weight-only', [{ ...entry('x', '*'), op_config: { weight_tensor_config: { num_bits: 8 }, compute_precision: 'FLOAT', explicit_dequantize: true } }], /entry 0 op_config\.compute_precision: FLOAT with int8 weights is weight-only quantization/],
    ['gptq', [entry('x', '*', 'gptq')], /entry 0 algorithm_key: "gptq" is an AI Edge Quantizer algorithm litequant does not implement/],
    ['uint activations', [{ ...entry('x', '*'), op_config: { ...w({}), activation_tensor_config: { num_bits: 8, dtype: 'UINT' } } }], /entry 0 op_config\.activation_tensor_config\.dtype: UINT/],
    ['4-bit activations', [{ ...entry('x', '*'), op_config: { ...w({}), activation_tensor_config: { num_bits: 4, symmetric: false } } }], /entry 0 op_config\.activation_tensor_config\.num_bits: 4-bit activations/],
    ['symmetric int8 activations', [{ ...entry('x', '*'), op_config: { ...w({}), activation_tensor_config: { num_bits: 8 } } }], /entry 0 .*symmetric int8 activations are not supported/],
    ['mixed modes', [entry('.*', '*'), { ...entry('x', '*'), op_config: { ...w({}), activation_tensor_config: { num_bits: 8, symmetric: false } } }], /entry 0 asks for dynamic range .* entry 1 for static/],
    ['unknown op', [entry('x', 'CONV_9D')], /entry 0 operation: unknown operation "CONV_9D"/],
    ['bad regex', [entry('(', '*')], /entry 0 regex: "\(" is not a regular expression/],
    ['unknown field', [{ ...entry('x', '*'), extra: 1 }], /entry 0 extra: unknown field/],
    ['all no_quantize', [entry('x', '*', 'no_quantize')], /quantizes nothing/],
    ['missing op_config', [{ regex: 'x', operation: '*', algorithm_key: 'min_max_uniform_quantize' }], /entry 0 op_config: must be an object/],
    ['empty', [], /has no entries/],
  ];
  for (const [what, json, re] of cases) {
    assert.throws(() => aeqFromJson(json as never, 'r.json'), (e: unknown) => e instanceof RecipeError && re.test(e.message) && !e.message.includes('\n'), what);
  }
});

function producer(sg: Subgraph, name: string) {
  const n = sg.operators.findIndex((o) => o.outputs.some((t) => sg.tensors[t].name === name));
  assert.ok(n >= 0, `no op writes ${name}`);
  return sg.operators[n];
}

let images: Float32Array[] | null = null;
async function testImages(model: Model): Promise<Float32Array[]> {
  if (images) return images;
  const sg = model.subgraphs[0];
  const ds = await openDataset(`mnist:test[:${IMAGES}]`, { inputShapes: [sg.tensors[sg.inputs[0]].shape] });
  images = (await take(ds, IMAGES)).map((s) => s.inputs[0]);
  return images;
}

function oursOn(model: Model, xs: Float32Array[]): number[][] {
  const it = Interpreter.fromModel(model);
  const t = model.subgraphs[0].tensors[model.subgraphs[0].inputs[0]];
  return xs.map((x) => {
    it.setInput(0, toInputValues(t, x));
    it.invoke();
    return Array.from(it.getOutput(0) as ArrayLike<number>);
  });
}

async function officialOn(bytes: Uint8Array, model: Model, xs: Float32Array[], runtime: typeof createOfficialRunner): Promise<number[][]> {
  const r = await runtime(bytes);
  const t = model.subgraphs[0].tensors[model.subgraphs[0].inputs[0]];
  try {
    return xs.map((x) => {
      r.setInput(0, toInputValues(t, x));
      r.invoke();
      return Array.from(r.getOutputs()[0].data as ArrayLike<number>);
    });
  } finally {
    r.delete();
  }
}

const floatFile = path.join(dir, 'float.tflite');
function floatModel(): Model {
  if (!fs.existsSync(floatFile)) assert.equal(cli(['convert', MODEL, '-o', floatFile]).code, 0);
  return readModelFile(floatFile);
}

test('AEQ dynamic_wi8_afp32 recipe: per-channel hybrid FULLY_CONNECTED v12 and CONV_2D v5; LiteRT.js runs it and agrees with ours',
  { skip: liteRtAvailable() ? false : '@litertjs/core is not installed' }, async () => {
    const recipe = path.join(dir, 'dynamic.json');
    fs.writeFileSync(recipe, JSON.stringify(DYNAMIC_WI8_AFP32));
    const out = path.join(dir, 'dynamic.tflite'), saved = path.join(dir, 'dynamic.litequant.json');
    const r = cli(['quantize', MODEL, '-o', out, '--recipe', recipe, '--save-recipe', saved]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /min_weight_elements 0: litequant's dynamic range leaves weights under 1024 elements in float/);
    const m = readModelFile(out);
    const sg = m.subgraphs[0];
    const dense = producer(sg, 'dense');
    const w = sg.tensors[dense.inputs[1]];
    assert.equal(w.dtype, 'int8');
    assert.equal(w.quantization?.scale.length, 32, 'per-channel dense weights');
    assert.equal(w.quantization?.quantizedDimension, 0);
    assert.ok(w.quantization!.zeroPoint.every((z) => z === 0));
    assert.equal(dense.version, 12);
    assert.equal(dense.options.asymmetricQuantizeInputs, true);
    assert.equal(sg.tensors[dense.inputs[0]].dtype, 'float32');
    const conv2 = producer(sg, 'conv2');
    assert.equal(sg.tensors[conv2.inputs[1]].quantization?.scale.length, 16);
    assert.equal(conv2.version, 5);
    // Weights under 1024 elements (conv1: 72, logits: 320) stay float.
    assert.equal(sg.tensors[producer(sg, 'logits').inputs[1]].dtype, 'float32');
    assert.equal(sg.tensors[producer(sg, 'conv1').inputs[1]].dtype, 'float32');
    // The saved litequant recipe replays to the same bytes.
    const again = path.join(dir, 'dynamic-again.tflite');
    assert.equal(cli(['quantize', MODEL, '-o', again, '--recipe', saved]).code, 0);
    assert.deepEqual(fs.readFileSync(again), fs.readFileSync(out));

    const bytes = new Uint8Array(fs.readFileSync(out));
    await assert.rejects(createOfficialRunner(bytes), /version '12'/, 'tfjs-tflite refuses FULLY_CONNECTED v12');
    const xs = await testImages(m);
    const lit = await officialOn(bytes, m, xs, createLiteRtRunner);
    const ours = oursOn(m, xs);
    const flt = oursOn(floatModel(), xs);
    let maxDiff = 0, agree = 0, agreeFloat = 0, maxFloat = 0;
    ours.forEach((o, i) => {
      o.forEach((v, k) => { maxDiff = Math.max(maxDiff, Math.abs(v - lit[i][k])); maxFloat = Math.max(maxFloat, Math.abs(v - flt[i][k])); });
      if (argmax(o) === argmax(lit[i])) agree++;
      if (argmax(o) === argmax(flt[i])) agreeFloat++;
    });
    console.log(`# AEQ dynamic on ${IMAGES} MNIST test images: max |ours - LiteRT.js| ${maxDiff.toExponential(2)} (softmax), top-1 agreement ${agree}/${IMAGES}; `
      + `vs float: max |diff| ${maxFloat.toExponential(2)}, top-1 agreement ${agreeFloat}/${IMAGES}`);
    // Ulp-level differences in the float conv1 may flip one input rounding step of the hybrid ops downstream.
    assert.ok(maxDiff <= 1e-4, `ours vs LiteRT.js: ${maxDiff}`);
    assert.ok(agree >= IMAGES - 1, `top-1 agreement with LiteRT.js ${agree}/${IMAGES}`);
    assert.ok(agreeFloat >= IMAGES - 2, `top-1 agreement with float ${agreeFloat}/${IMAGES}`);
  });

test('AEQ static_wi8_ai8 recipe with a no_quantize regex scope: that layer float, the rest int8; official runtime bit-exact with ours', async () => {
  const recipe = path.join(dir, 'static.json');
  fs.writeFileSync(recipe, JSON.stringify([...STATIC_WI8_AI8, { regex: 'dense', operation: '*', algorithm_key: 'no_quantize' }]));
  const out = path.join(dir, 'static.tflite');
  const noCalibration = cli(['quantize', MODEL, '-o', out, '--recipe', recipe]);
  assert.equal(noCalibration.code, 1);
  assert.match(noCalibration.stderr, /needs a representative dataset/);
  const r = cli(['quantize', MODEL, '-o', out, '--recipe', recipe, '--calibration', 'mnist:train[:200]', '--samples', '50']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /FULLY_CONNECTED \(node 3\)\s+left in float by .*static\.json entry 1/);
  const m = readModelFile(out);
  const sg = m.subgraphs[0];
  const dense = producer(sg, 'dense');
  for (const i of dense.inputs) assert.equal(sg.tensors[i].dtype, 'float32', `dense input ${sg.tensors[i].name}`);
  assert.equal(sg.tensors[dense.outputs[0]].dtype, 'float32');
  for (const name of ['conv1', 'conv2', 'logits']) {
    const op = producer(sg, name);
    assert.equal(sg.tensors[op.outputs[0]].dtype, 'int8', `${name} output`);
  }
  const softmax = sg.operators.find((o) => o.op === 'SOFTMAX')!;
  assert.equal(sg.tensors[softmax.inputs[0]].dtype, 'int8', 'SOFTMAX computes in int8');
  // CHANNELWISE weights: per-channel conv and FULLY_CONNECTED (logits: 10 scales).
  assert.equal(sg.tensors[producer(sg, 'conv2').inputs[1]].quantization?.scale.length, 16);
  assert.equal(sg.tensors[producer(sg, 'logits').inputs[1]].quantization?.scale.length, 10);
  assert.ok(sg.operators.some((o) => o.op === 'DEQUANTIZE') && sg.operators.some((o) => o.op === 'QUANTIZE'));

  const bytes = new Uint8Array(fs.readFileSync(out));
  const xs = await testImages(m);
  const official = await officialOn(bytes, m, xs, createOfficialRunner);
  const ours = oursOn(m, xs);
  assert.deepEqual(ours, official, 'ours bit-exact with tfjs-tflite');
  const flt = oursOn(floatModel(), xs);
  const agree = ours.filter((o, i) => argmax(o) === argmax(flt[i])).length;
  console.log(`# AEQ static int8 with 'dense' in float on ${IMAGES} MNIST test images: bit-exact with tfjs-tflite; top-1 agreement with float ${agree}/${IMAGES}`);
  assert.ok(agree >= IMAGES - 4);
});

test('aeqScopes lists every node under the entry that decides it', () => {
  const m = floatModel();
  const r = aeqFromJson([...STATIC_WI8_AI8, { regex: 'dense', operation: '*', algorithm_key: 'no_quantize' }] as never, 's.json');
  const rules = aeqScopes(r, m);
  assert.deepEqual(rules.map((x) => [x.nodes, x.precision, x.granularity]), [[[0, 1, 2, 4, 5], 'int8', 'channel'], [[3], 'float', undefined]]);
});

test('fuzzed AEQ recipes: a recipe or a RecipeError naming the file, never another error', () => {
  const base = JSON.stringify([...STATIC_WI8_AI8, entry('dense', 'FULLY_CONNECTED', 'no_quantize')]);
  const pieces = ['"', '{', '}', '[', ']', ',', 'null', 'true', '4', '16', '"*"', '"("', '"FLOAT"', '"BLOCKWISE_32"', '[]', '{}'];
  let seed = 0x1eaf;
  const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  let accepted = 0;
  for (let i = 0; i < 1500; i++) {
    let s = base;
    for (let m = int(1, 3); m > 0; m--) {
      const at = int(0, s.length - 1);
      s = next() < 0.5 ? s.slice(0, at) + pieces[int(0, pieces.length - 1)] + s.slice(at) : s.slice(0, at) + s.slice(at + int(1, 8));
    }
    let json: unknown;
    try { json = JSON.parse(s); } catch { continue; }
    try {
      aeqFromJson(json as never, 'fuzz.json');
      accepted++;
    } catch (e) {
      assert.ok(e instanceof RecipeError && e.message.startsWith('fuzz.json: '), `mutation ${i}: ${String(e)} on ${s}`);
    }
  }
  assert.ok(accepted >= 0);
});
