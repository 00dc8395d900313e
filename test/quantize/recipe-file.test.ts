// litequant recipe files: parse errors name the file and the field; a fuzzed file never crashes the parser; a run
// saved with --save-recipe replays with --recipe alone to the same bytes (int8 with scopes, dynamic, float16);
// command-line flags that contradict a recipe are usage errors.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RecipeError } from '../../src/errors.js';
import { parseRecipe, recipeToJson } from '../../src/quantize/recipe-file.js';
import { readModelFile } from '../../src/format/index.js';
import { cli } from '../helpers/cli.js';
import { Rng } from '../helpers/random.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lq-recipe-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const MODEL = 'models/mnist-cnn/model.json';

const VALID = {
  format: 'litequant-recipe', version: 1, mode: 'int8', inputType: 'int8', outputType: 'float32', perTensor: false,
  perChannelDense: true, strict: false,
  calibration: { method: 'percentile:99.9', samples: 20, shuffleSeed: 4, dataset: 'mnist:train[:100]', preprocessing: { scale: 1 / 255, mean: [0.1] } },
  excludeOps: ['SOFTMAX'], excludeTensors: ['x'],
  scopes: [{ ops: ['CONV_2D'], regex: '^conv2$', precision: 'float', source: 'hand' }, { nodes: [3], subgraph: 0, granularity: 'tensor' }],
  algorithms: [],
};

test('a valid recipe parses and writes back to the same document', () => {
  const doc = parseRecipe(JSON.stringify(VALID), 'r.json');
  assert.equal(doc.mode, 'int8');
  assert.equal(doc.calibration?.samples, 20);
  assert.deepEqual(doc.scopes[0], { ops: ['CONV_2D'], regex: '^conv2$', precision: 'float', source: 'hand' });
  const again = parseRecipe(recipeToJson(doc), 'r.json');
  assert.deepEqual(again, doc);
  assert.equal(recipeToJson(again), recipeToJson(doc));
});

test('bad recipes are RecipeErrors naming the file and the field', () => {
  const bad: [string, unknown, RegExp][] = [
    ['unknown key', { ...VALID, modee: 'int8' }, /r\.json: modee: unknown field/],
    ['unknown scope key', { ...VALID, scopes: [{ op: ['CONV_2D'], precision: 'float' }] }, /r\.json: scopes\[0\]\.op: unknown field/],
    ['bad regex', { ...VALID, scopes: [{ regex: '(', precision: 'float' }] }, /r\.json: scopes\[0\]\.regex: not a valid regular expression/],
    ['unknown op', { ...VALID, scopes: [{ ops: ['CONV_3X'], precision: 'float' }] }, /r\.json: scopes\[0\]\.ops\[0\]: unknown builtin op "CONV_3X"/],
    ['unknown excluded op', { ...VALID, excludeOps: ['SOFTMAKS'] }, /r\.json: excludeOps\[0\]/],
    ['no-op scope', { ...VALID, scopes: [{ regex: 'a' }] }, /scopes\[0\]: sets neither "precision" nor "granularity"/],
    ['float with granularity', { ...VALID, scopes: [{ regex: 'a', precision: 'float', granularity: 'channel' }] }, /scopes\[0\]: "precision": "float".*contradicts/],
    ['contradictory granularity flags', { ...VALID, perTensor: true }, /r\.json: .*perTensor and perChannelDense contradict/],
    ['calibration for dynamic', { ...VALID, mode: 'dynamic', inputType: 'float32', perChannelDense: false }, /r\.json: calibration: mode dynamic does not calibrate/],
    ['activation precision in dynamic', { ...VALID, mode: 'dynamic', inputType: 'float32', perChannelDense: false, calibration: undefined, scopes: [{ regex: 'a', precision: 'int16x8' }] }, /scopes\[0\]\.precision: "int16x8" is an activation precision/],
    ['I/O type against mode', { ...VALID, inputType: 'int16' }, /r\.json: .*int16 needs --mode int16x8|inputType int16/],
    ['newer version', { ...VALID, version: 2 }, /r\.json: version: 2 is newer/],
    ['wrong format', { ...VALID, format: 'other' }, /r\.json: format: must be "litequant-recipe"/],
    ['unknown mode', { ...VALID, mode: 'int4' }, /r\.json: mode: must be one of/],
    ['bad method', { ...VALID, calibration: { method: 'percentile:20' } }, /r\.json: calibration\.method: .*percentile/],
    ['bad samples', { ...VALID, calibration: { samples: 0 } }, /r\.json: calibration\.samples: must be an integer >= 1/],
    ['bad size', { ...VALID, calibration: { preprocessing: { size: [28] } } }, /calibration\.preprocessing\.size: must be \[height, width\]/],
    ['bad std', { ...VALID, calibration: { preprocessing: { std: [0] } } }, /calibration\.preprocessing\.std\[0\]: must be positive/],
    ['subgraph without nodes', { ...VALID, scopes: [{ subgraph: 1, precision: 'float' }] }, /scopes\[0\]\.subgraph: applies to "nodes"/],
    ['negative node', { ...VALID, scopes: [{ nodes: [-1], precision: 'float' }] }, /scopes\[0\]\.nodes\[0\]: must be a node index/],
    ['unknown algorithm', { ...VALID, algorithms: [{ name: 'no-such-algorithm' }] }, /r\.json: .*unknown quantization algorithm 'no-such-algorithm'/],
    ['array (AEQ)', [], /r\.json: is a JSON array/],
    ['not JSON', '{"format":', /r\.json: not valid JSON/],
  ];
  for (const [what, value, re] of bad) {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    assert.throws(() => parseRecipe(text, 'r.json'), (e: unknown) => {
      assert.ok(e instanceof RecipeError, `${what}: ${String(e)}`);
      assert.match(e.message, re, what);
      assert.ok(!e.message.includes('\n'), `${what}: one line`);
      return true;
    }, what);
  }
});

test('fuzzed recipes: the parser returns a document or throws a RecipeError, never anything else', () => {
  const base = JSON.stringify(VALID);
  const rng = new Rng(0x5eed);
  const pieces = ['"', '{', '}', '[', ']', ',', ':', 'null', 'true', '-1', '1e309', '"*"', '"("', '"\\u0000"', '0.5', '[]', '{}'];
  let parsed = 0;
  for (let i = 0; i < 1500; i++) {
    let s = base;
    for (let m = rng.int(1, 4); m > 0; m--) {
      const at = rng.int(0, s.length - 1);
      const op = rng.int(0, 2);
      if (op === 0) s = s.slice(0, at) + s.slice(at + rng.int(1, 12));
      else if (op === 1) s = s.slice(0, at) + rng.pick(pieces) + s.slice(at);
      else s = s.slice(0, at) + String.fromCharCode(rng.int(32, 126)) + s.slice(at + 1);
    }
    try {
      parseRecipe(s, 'fuzz.json');
      parsed++;
    } catch (e) {
      assert.ok(e instanceof RecipeError, `mutation ${i}: ${String(e)} on ${s}`);
      assert.match(e.message, /^fuzz\.json: /);
    }
  }
  // Value-level mutations: every field replaced by a value of another type.
  const values: unknown[] = [null, true, 0, -3, 1.5, 'x', '', [], {}, ['a'], [1], { a: 1 }];
  const walk = (v: unknown, set: (x: unknown) => void, visit: (set: (x: unknown) => void) => void) => {
    visit(set);
    if (v && typeof v === 'object') for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], (x) => { (v as Record<string, unknown>)[k] = x; }, visit);
  };
  let sites = 0;
  walk(structuredClone(VALID), () => {}, () => { sites++; });
  for (let site = 1; site < sites; site++) {
    for (const value of values) {
      const doc = structuredClone(VALID);
      let k = 0;
      walk(doc, () => {}, (set) => { if (k++ === site) set(value); });
      try {
        parseRecipe(JSON.stringify(doc), 'fuzz.json');
      } catch (e) {
        assert.ok(e instanceof RecipeError, `site ${site} = ${JSON.stringify(value)}: ${String(e)}`);
      }
    }
  }
  assert.ok(parsed >= 0);
});

function quantizeCli(args: string[]) {
  const r = cli(['quantize', MODEL, ...args]);
  assert.equal(r.code, 0, `quantize ${args.join(' ')}: ${r.stderr}`);
  return r;
}

test('--save-recipe then --recipe alone replays to identical bytes: int8 with scopes, dynamic, float16', () => {
  // int8: scopes come from a recipe (conv2 left in float by regex; the dense layer per-channel), the rest from flags.
  const scoped = path.join(dir, 'scoped.json');
  fs.writeFileSync(scoped, JSON.stringify({
    format: 'litequant-recipe', version: 1, mode: 'int8',
    scopes: [{ regex: '^conv2$', precision: 'float' }, { ops: ['FULLY_CONNECTED'], regex: '^dense$', granularity: 'channel' }],
  }));
  const runs: [string, string[]][] = [
    ['int8-scopes', ['--recipe', scoped, '--calibration', 'mnist:train[:300]', '--samples', '40', '--shuffle', '11', '--calibration-method', 'mse', '--input-type', 'int8']],
    ['dynamic', ['--mode', 'dynamic', '--per-tensor', '--exclude-op', 'SOFTMAX']],
    ['float16', ['--mode', 'float16', '--exclude-tensor', 'logits']],
  ];
  for (const [name, args] of runs) {
    const first = path.join(dir, `${name}-a.tflite`), second = path.join(dir, `${name}-b.tflite`), saved = path.join(dir, `${name}.recipe.json`);
    quantizeCli(['-o', first, ...args, '--save-recipe', saved]);
    quantizeCli(['-o', second, '--recipe', saved]);
    assert.deepEqual(fs.readFileSync(second), fs.readFileSync(first), `${name}: the replay's bytes differ`);
    const doc = parseRecipe(fs.readFileSync(saved, 'utf8'), saved);
    if (name === 'int8-scopes') {
      assert.equal(doc.calibration?.dataset, 'mnist:train[:300]');
      assert.equal(doc.calibration?.shuffleSeed, 11);
      assert.equal(doc.calibration?.method, 'mse');
      assert.equal(doc.scopes.length, 2);
      // The file is what the recipe describes: conv2 float, the dense layer's weights per channel.
      const m = readModelFile(first);
      const sg = m.subgraphs[0];
      const producer = (name: string) => sg.operators.find((o) => o.outputs.some((t) => sg.tensors[t].name === name))!;
      assert.equal(sg.tensors[producer('conv2').inputs[1]].dtype, 'float32');
      const dense = sg.tensors[producer('dense').inputs[1]];
      assert.equal(dense.dtype, 'int8');
      assert.equal(dense.quantization?.scale.length, 32);
      assert.equal(sg.tensors[sg.inputs[0]].dtype, 'int8');
    }
  }
});

test('--recipe: flags that agree are accepted, contradicting ones are usage errors (exit 2); no --mode nor --recipe is one too', () => {
  const saved = path.join(dir, 'dyn.recipe.json');
  quantizeCli(['-o', path.join(dir, 'd1.tflite'), '--mode', 'dynamic', '--save-recipe', saved]);
  quantizeCli(['-o', path.join(dir, 'd2.tflite'), '--recipe', saved, '--mode', 'dynamic']);
  const contra = cli(['quantize', MODEL, '-o', path.join(dir, 'd3.tflite'), '--recipe', saved, '--per-tensor']);
  assert.equal(contra.code, 2, contra.stderr);
  assert.match(contra.stderr, /--per-tensor set contradicts the recipe .*dyn\.recipe\.json/);
  assert.equal(fs.existsSync(path.join(dir, 'd3.tflite')), false);
  const none = cli(['quantize', MODEL, '-o', path.join(dir, 'd4.tflite')]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /needs --mode .*--recipe FILE/);
  const missing = cli(['quantize', MODEL, '-o', path.join(dir, 'd5.tflite'), '--recipe', path.join(dir, 'nope.json')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.json: cannot read the recipe/);
  const same = cli(['quantize', MODEL, '-o', saved, '--mode', 'dynamic', '--save-recipe', saved]);
  assert.equal(same.code, 2, 'the recipe and the model cannot be one file');
});
