// quantize --max-drop: the automatic search end to end, on the tutorial's MNIST CNN and on a model built so that only
// float works. The chosen model is checked independently: its accuracy by the official runtime (eval --runtime
// tflite), its outputs against the official runtime bit for bit, its options by replaying them through quantize().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../helpers/cli.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import { writeModel, writeModelFile } from '../../src/format/index.js';
import { encodeNpy } from '../../src/evaluate/npy.js';
import { openDataset } from '../../src/evaluate/datasets/index.js';
import { convert } from '../../src/convert.js';
import { quantize } from '../../src/quantize/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { PROJECT_ROOT } from '../helpers/corpus.js';
import { NO_SOLUTION_EXIT_CODE } from '../../src/cli/auto-quantize.js';
import { autoQuantize, referenceGrid } from '../../src/auto/index.js';

const MODEL = path.join(PROJECT_ROOT, 'models', 'mnist-cnn', 'model.json');
const CAL = 'mnist:train[:50000]';
const VAL = 'mnist:train[59000:60000]';
const TEST = 'mnist:test[:1000]';
let dir: string;
let auto: { code: number | null; stdout: string; stderr: string; json: any; out: string };

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lq-auto-'));
  const out = path.join(dir, 'auto.tflite');
  const r = cli(['quantize', MODEL, '--max-drop', '0.2', '--calibration', CAL, '--validation', VAL, '--test', TEST,
    '-o', out, '--json', '--threads', '1', '--save-recipe', path.join(dir, 'auto-recipe.json')]);
  auto = { ...r, json: r.code === 0 ? JSON.parse(r.stdout) : null, out };
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('tutorial model, --max-drop 0.2: the written model meets the target on validation in the official runtime', () => {
  assert.equal(auto.code, 0, auto.stderr);
  const j = auto.json;
  assert.equal(j.output, auto.out);
  assert.ok(fs.existsSync(auto.out));
  const chosen = j.candidates.find((c: any) => c.chosen);
  assert.equal(chosen.name, j.chosen);
  assert.equal(fs.statSync(auto.out).size, chosen.file_bytes);
  assert.ok(chosen.file_bytes < j.float.file_bytes / 3, 'an int8-sized model is within 0.2 points on this model');
  // Every candidate no larger than the chosen one was evaluated (the search goes in order of size).
  for (const c of j.candidates) if (c.file_bytes !== null && c.file_bytes < chosen.file_bytes) assert.notEqual(c.status, 'not evaluated', c.name);
  // The test figure: a drop with its paired standard error, on the test range only.
  assert.equal(j.test.dataset, TEST);
  assert.equal(j.test.samples, 1000);
  assert.ok(j.test.se >= 0 && j.test.se < 0.01);

  // Independently: the official runtime's accuracy of the float conversion and of the written file.
  const floatFile = path.join(dir, 'float.tflite');
  assert.equal(cli(['convert', MODEL, '-o', floatFile]).code, 0);
  const official = (file: string) => {
    const r = cli(['eval', file, '--dataset', VAL, '--runtime', 'tflite', '--json'], { timeout: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { correct_top1: number; labeled: number };
  };
  const f = official(floatFile), q = official(auto.out);
  assert.equal(f.labeled, 1000);
  assert.ok(f.correct_top1 - q.correct_top1 <= 2, `official: float ${f.correct_top1}, chosen ${q.correct_top1} of 1000 (0.2 points = 2 samples)`);
  // Our interpreter counted the same correct answers as the official runtime for the chosen model.
  assert.equal(chosen.correct, q.correct_top1);
});

test('the chosen model is bit-exact between our interpreter and the official runtime', async () => {
  assert.equal(auto.code, 0, auto.stderr);
  const bytes = new Uint8Array(fs.readFileSync(auto.out));
  const ours = Interpreter.fromBytes(bytes);
  const theirs = await createOfficialRunner(bytes);
  try {
    const data = await openDataset('mnist:test[2000:2008]', { inputShapes: [[1, 28, 28, 1]] });
    let n = 0;
    for await (const s of data) {
      const d = ours.inputDetails()[0];
      // The file's input (float or quantized) fed the same values to both runtimes.
      const values = d.dtype === 'float32' ? s.inputs[0]
        : Int8Array.from(s.inputs[0], (x) => Math.max(-128, Math.min(127, Math.round(x / d.quantization[0]) + d.quantization[1])));
      ours.setInput(0, values as any);
      ours.invoke();
      theirs.setInput(0, values);
      theirs.invoke();
      assert.deepEqual(Array.from(ours.getOutput(0) as ArrayLike<number>), Array.from(theirs.getOutputs()[0].data as ArrayLike<number>), s.id);
      n++;
    }
    assert.equal(n, 8);
  } finally {
    theirs.delete();
  }
});

test('the chosen candidate\'s options replay through quantize() to the same bytes', async () => {
  assert.equal(auto.code, 0, auto.stderr);
  const chosen = auto.json.candidates.find((c: any) => c.chosen);
  const { model } = await convert(MODEL);
  const calibration = await openDataset(CAL, { inputShapes: [[1, 28, 28, 1]], limit: 100 });
  const { model: replayed } = await quantize(model, { ...chosen.options, representativeDataset: calibration, threads: 1 });
  assert.deepEqual(writeModel(replayed), new Uint8Array(fs.readFileSync(auto.out)));
});

test('the text output: the candidates table with the front and the choice marked, and the test drop with 2 SE', () => {
  const out = path.join(dir, 'text.tflite');
  const r = cli(['quantize', MODEL, '--max-drop', '0.2', '--calibration', CAL, '--validation', VAL, '--test', TEST, '-o', out, '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /candidate\s+size\s+val top-1\s+delta\s+agreement\s+p50 latency\s+status/);
  assert.match(r.stdout, /^\*P? +int8/m);
  assert.match(r.stdout, /^test mnist:test\[:1000\]: float [\d.]+ %, chosen [\d.]+ %: drop -?[\d.]+ points ± [\d.]+ \(2 paired standard errors, 1000 samples\)$/m);
  assert.ok(fs.existsSync(out));
});

test('overlapping calibration / validation / test ranges are refused (exit 2) and nothing is written', () => {
  const out = path.join(dir, 'overlap.tflite');
  let r = cli(['quantize', MODEL, '--max-drop', '0.2', '--calibration', 'mnist:train[:1000]', '--validation', 'mnist:train[500:1500]', '-o', out]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--calibration mnist:train\[:1000\] and --validation mnist:train\[500:1500\] overlap in samples 500–999/);
  r = cli(['quantize', MODEL, '--max-drop', '0.2', '--calibration', CAL, '--validation', VAL, '--test', 'mnist:train[59990:]', '-o', out]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--validation .* and --test .* overlap/);
  assert.equal(fs.existsSync(out), false);
});

test('usage: --max-drop needs its datasets and refuses the choices it makes itself; --validation needs --max-drop', () => {
  const out = path.join(dir, 'usage.tflite');
  const cases: [string[], RegExp][] = [
    [['--max-drop', '0.2', '--validation', VAL], /needs --calibration/],
    [['--max-drop', '0.2', '--calibration', CAL], /needs --validation/],
    [['--max-drop', '0.2', '--calibration', CAL, '--validation', VAL, '--mode', 'int8'], /--mode and --max-drop contradict/],
    [['--mode', 'int8', '--calibration', CAL, '--validation', VAL], /--validation applies to the automatic search/],
    [['--mode', 'int8', '--calibration', CAL, '--integer-only'], /--integer-only applies to the automatic search/],
    [['--max-drop', '-1', '--calibration', CAL, '--validation', VAL], /--max-drop takes percentage points/],
    [['--calibration', CAL], /needs --mode/],
  ];
  for (const [args, message] of cases) {
    const r = cli(['quantize', MODEL, ...args, '-o', out]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.equal(fs.existsSync(out), false);
});

test('--budget: the search stops in time and says so', () => {
  const out = path.join(dir, 'budget.tflite');
  const budget = 1;
  const r = cli(['quantize', MODEL, '--max-drop', '0', '--calibration', CAL, '--validation', 'mnist:train[50000:58000]', '--budget', String(budget),
    '-o', out, '--json', '--threads', '1']);
  assert.ok(r.code === 0 || r.code === NO_SOLUTION_EXIT_CODE, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.stopped, 'budget');
  // One step in flight when the budget ends stops at its next sample; the float evaluation comes first, whatever the budget.
  assert.ok(j.elapsed_seconds < budget + 3, `elapsed ${j.elapsed_seconds} s`);
  assert.ok(j.candidates.some((c: any) => c.status === 'not evaluated' && c.reason === 'the budget ran out') || j.candidates.length < 5);
  assert.equal(fs.existsSync(out), r.code === 0);
});

test('no candidate meets the target: exit 3, nothing written, the best candidates printed', () => {
  // A classifier whose answer hangs on a weight difference of 1e-4: class 1's weights are class 0's plus 1e-4 on
  // input 0, so the float model answers sign(x0). float16 (spacing 2.4e-4 at 0.25) and every 8-bit weight grid
  // make the two rows equal and the classes tie; keeping the layer in float leaves nothing quantized.
  const n = 512;
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, n], dtype: 'float32' });
  const row = Array.from({ length: n }, (_, i) => (i === 0 ? 0.25 : i === 1 ? 0.9 : 0.5 * Math.sin(i)));
  const w = g.addConstant('w', 'float32', [2, n], [...row, ...row.map((v, i) => (i === 0 ? v + 1e-4 : v))]);
  const b = g.addConstant('b', 'float32', [2], [0, 0]);
  const y = g.addTensor({ name: 'logits', shape: [1, 2], dtype: 'float32' });
  g.addOp('FULLY_CONNECTED', [x, w, b], [y]);
  g.markOutput(y);
  const modelFile = path.join(dir, 'tie.tflite');
  writeModelFile(modelFile, g.model());
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const samples = (count: number, name: string) => {
    const xs = new Float32Array(count * n);
    const labels = new Int32Array(count);
    for (let s = 0; s < count; s++) {
      for (let i = 0; i < n; i++) xs[s * n + i] = 2 * rand() - 1;
      // |x0| >= 0.5 keeps 1e-4 * x0 far above the float32 rounding of the 512-term sums (~1e-6).
      xs[s * n] = (rand() < 0.5 ? -1 : 1) * (0.5 + 0.5 * rand());
      labels[s] = xs[s * n] > 0 ? 1 : 0;
    }
    fs.writeFileSync(path.join(dir, `${name}_x.npy`), encodeNpy(xs, [count, n]));
    fs.writeFileSync(path.join(dir, `${name}_y.npy`), encodeNpy(labels, [count]));
    return `npy:${path.join(dir, `${name}_x.npy`)},${path.join(dir, `${name}_y.npy`)}`;
  };
  const out = path.join(dir, 'tie_auto.tflite');
  const r = cli(['quantize', modelFile, '--max-drop', '1', '--calibration', samples(100, 'cal'), '--validation', samples(200, 'val'),
    '-o', out, '--threads', '1']);
  assert.equal(r.code, NO_SOLUTION_EXIT_CODE, r.stderr);
  assert.equal(fs.existsSync(out), false);
  assert.match(r.stdout, /float: .*validation top-1 100\.00 %/);
  assert.match(r.stdout, /no candidate is within 1 points of float .*: nothing written/);
  assert.match(r.stdout, /^ {2}best: /m);
  assert.match(r.stdout, /nothing is quantized/);
  assert.match(r.stderr, /no candidate meets --max-drop 1 .*nothing written/);
});

test('reference grid: full int8, 1-3 worst layers in float, 16x8, dynamic, float16, all evaluated; the automatic choice is no larger than its smallest model meeting the target', async () => {
  const { model } = await convert(MODEL);
  const shapes = [[1, 28, 28, 1]];
  const options = async () => ({
    maxDropPoints: 0.2, threads: 1,
    calibration: await openDataset(CAL, { inputShapes: shapes, limit: 100 }),
    validation: await openDataset('mnist:train[59000:59500]', { inputShapes: shapes }),
  });
  const grid = await referenceGrid(model, await options());
  assert.deepEqual(grid.rows.map((r) => r.name),
    ['int8', 'int8 + 1 worst in float', 'int8 + 2 worst in float', 'int8 + 3 worst in float', 'int16x8', 'dynamic', 'float16']);
  assert.equal(grid.samples, 500);
  for (const r of grid.rows) assert.ok(r.top1 !== null && r.file_bytes !== null, r.name);
  // The k worst layers grow one at a time: each row keeps the previous row's layers in float.
  const floatLayers = (k: number) => (grid.rows[k].options.scopes ?? []).map((s) => s.tensors![0]);
  assert.deepEqual(floatLayers(2).slice(0, 1), floatLayers(1));
  assert.deepEqual(floatLayers(3).slice(0, 2), floatLayers(2));
  assert.ok(grid.smallest_meeting, 'some grid model is within 0.2 points on this model');
  const result = await autoQuantize(model, await options());
  assert.ok(result.chosen);
  assert.ok(result.bytes!.length <= grid.smallest_meeting!.file_bytes!, `${result.chosen} ${result.bytes!.length} B vs grid ${grid.smallest_meeting!.name} ${grid.smallest_meeting!.file_bytes} B`);
});

test('the recipe saved by the search replays (--recipe alone) to a byte-identical model', () => {
  assert.equal(auto.code, 0, auto.stderr);
  const recipe = path.join(dir, 'auto-recipe.json');
  const saved = JSON.parse(fs.readFileSync(recipe, 'utf8'));
  assert.equal(saved.format, 'litequant-recipe');
  assert.equal(saved.calibration?.dataset ?? saved.dataset, CAL, 'the recipe names its calibration data');
  const replay = path.join(dir, 'replay.tflite');
  const r = cli(['quantize', MODEL, '--recipe', recipe, '-o', replay, '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Buffer.from(fs.readFileSync(replay)).equals(fs.readFileSync(auto.out)), 'replayed bytes equal the chosen model');
});
