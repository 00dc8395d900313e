// `litequant quantize` on models whose numbers a quantized file cannot hold as they are, through the real CLI: each
// case's exit code, its one stderr line (failures), its peak memory and time, the input files byte-identical
// afterwards, and what the official TFLite runtime makes of the file written. Expected values come from IEEE 754
// (float16's largest finite value 65504 = 0x7bff), from TFLite's rules as its sources state them (ranges under 1e-6
// widened, biases within half of int32, kernel limits) and from running the float model, not from our quantizer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import type { Model, Tensor } from '../../src/graph/model.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import { readModel, writeModel } from '../../src/format/index.js';
import { encodeNpy } from '../../src/evaluate/npy.js';
import { PROJECT_ROOT } from '../helpers/corpus.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { toFloat, toInputValues } from './helpers.js';

const BIN = path.join(PROJECT_ROOT, 'bin', 'litequant.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-numerics-'));
const hook = path.join(dir, 'peak-rss.mjs');
// The child reports its own peak resident set (kB) as it exits.
fs.writeFileSync(hook, "import fs from 'node:fs';\nprocess.on('exit', () => { try { fs.writeFileSync(process.env.PEAK_RSS_FILE, String(process.resourceUsage().maxRSS)); } catch {} });\n");
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

interface Run { code: number | null; stdout: string; stderr: string; peakMB: number; seconds: number }

/** The CLI on these files; asserts the inputs are byte-identical afterwards, under 1 GB and 30 s. */
function quantizeCli(label: string, inputs: string[], args: string[]): Run {
  const before = inputs.map((f) => fs.readFileSync(f));
  const rssFile = path.join(dir, `${label}.rss`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(hook).href, BIN, 'quantize', ...args], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1', PEAK_RSS_FILE: rssFile },
  });
  const seconds = (performance.now() - t0) / 1000;
  const peakMB = Number(fs.readFileSync(rssFile, 'utf8')) / 1024;
  inputs.forEach((f, k) => assert.ok(fs.readFileSync(f).equals(before[k]), `${label}: ${path.basename(f)} changed`));
  assert.ok(peakMB < 1024, `${label}: peak RSS ${peakMB.toFixed(0)} MB`);
  assert.ok(seconds < 30, `${label}: ${seconds.toFixed(1)} s`);
  console.log(`# ${label}: exit ${r.status}, peak RSS ${peakMB.toFixed(0)} MB, ${seconds.toFixed(2)} s`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, peakMB, seconds };
}

/** A failure: exit 1, one stderr line with the prefix naming the file, no output written. */
function assertRefused(r: Run, label: string, model: string, output: string, pattern: RegExp): void {
  assert.equal(r.code, 1, `${label}: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${label}: one line on stderr: ${r.stderr}`);
  assert.ok(lines[0].startsWith(`litequant: ${model}: `), lines[0]);
  assert.match(lines[0], pattern);
  assert.ok(!fs.existsSync(output), `${label}: no output file`);
}

function save(name: string, model: Model): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, writeModel(model));
  return file;
}

function npy(name: string, samples: Float32Array[], shape: number[]): string {
  const file = path.join(dir, name);
  const data = new Float32Array(samples.length * samples[0].length);
  samples.forEach((s, k) => data.set(s, k * s.length));
  fs.writeFileSync(file, encodeNpy(data, [samples.length, ...shape]));
  return file;
}

function wave(n: number, phase: number, amplitude = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => amplitude * Math.sin(0.37 * i + phase));
}

function fullyConnected(weights: Float32Array, bias: Float32Array): Model {
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, 32], dtype: 'float32' });
  const y = g.addTensor({ name: 'y', shape: [1, 40], dtype: 'float32' });
  g.addOp('FULLY_CONNECTED', [x, g.addConstant('fc_w', 'float32', [40, 32], weights), g.addConstant('fc_b', 'float32', [40], bias)], [y]);
  g.markOutput(y);
  return g.model();
}

const ordinaryWeights = () => wave(1280, 0, 0.3);
const ordinaryBias = () => wave(40, 1, 0.1);

/** Output 0 of a one-input file in the official runtime, as floats. */
async function official(bytes: Uint8Array, input: Float32Array): Promise<Float32Array> {
  const m = readModel(bytes, 'model.tflite');
  const sg = m.subgraphs[0];
  const runner = await createOfficialRunner(bytes);
  try {
    runner.setInput(0, toInputValues(sg.tensors[sg.inputs[0]], input));
    runner.invoke();
    return toFloat(sg.tensors[sg.outputs[0]], Array.from(runner.getOutputs()[0].data as ArrayLike<number>, Number));
  } finally {
    runner.delete();
  }
}

const allFinite = (a: ArrayLike<number>) => Array.prototype.every.call(a, (v: number) => Number.isFinite(v));

function assertScales(m: Model, label: string): void {
  for (const t of m.subgraphs[0].tensors) {
    for (const s of t.quantization?.scale ?? []) assert.ok(Number.isFinite(s) && s >= 2 ** -126, `${label}: '${t.name}' scale ${s}`);
  }
}

const byName = (m: Model, name: string): Tensor => m.subgraphs[0].tensors.find((t) => t.name === name)!;
/** A tensor's index in the float model, as the error names it. */
const indexOf = (m: Model, name: string): number => m.subgraphs[0].tensors.findIndex((t) => t.name === name);

test('dynamic mode with an Inf weight: refused naming the tensor, nothing written', () => {
  const w = ordinaryWeights();
  w[7] = Infinity;
  const float = fullyConnected(w, ordinaryBias());
  const model = save('inf.tflite', float);
  const out = path.join(dir, 'inf-dynamic.tflite');
  const r = quantizeCli('dynamic, Inf weight', [model], [model, '-o', out, '--mode', 'dynamic']);
  assertRefused(r, 'dynamic, Inf weight', model, out, new RegExp(`tensor 'fc_w' \\(index ${indexOf(float, 'fc_w')}\\) holds Infinity at element 7`));
});

test('float16 with a 3e38 weight: clamped to 65504 (0x7bff) with a warning; official runtime outputs finite as the float model', async () => {
  const w = ordinaryWeights();
  w[7] = 3e38;
  const float = fullyConnected(w, ordinaryBias());
  const model = save('big.tflite', float);
  const out = path.join(dir, 'big-f16.tflite');
  const r = quantizeCli('float16, 3e38 weight', [model], [model, '-o', out, '--mode', 'float16']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /warning: tensor 'fc_w': 1 value\(s\) beyond float16's range \(largest \|x\| 3e\+38\) clamped to \+-65504/);
  const q = readModel(fs.readFileSync(out), 'big-f16.tflite');
  const half = q.subgraphs[0].tensors.find((t) => t.dtype === 'float16' && t.shape.join() === '40,32')!;
  assert.equal(new DataView(half.data!.buffer, half.data!.byteOffset).getUint16(2 * 7, true), 0x7bff);
  // A small input keeps the float model finite (3e38 x 1e-3); the float16 file must be finite too.
  const input = wave(32, 2, 1e-3);
  assert.ok(allFinite(await official(fs.readFileSync(model), input)), 'the float model is finite');
  assert.ok(allFinite(await official(fs.readFileSync(out), input)), 'the float16 model is finite');
});

for (const mode of ['int8', 'int16x8']) {
  test(`${mode} with denormal (1e-42) weights and bias: scales normal, bias scale = input x weight, official runtime runs it`, async () => {
    const tiny = (n: number) => Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -1e-42 : 1e-42));
    const model = save(`denormal-${mode}.tflite`, fullyConnected(tiny(1280), tiny(40)));
    const calibration = npy(`denormal-${mode}.npy`, [0, 1, 2, 3].map((k) => wave(32, k)), [1, 32]);
    const out = path.join(dir, `denormal-${mode}-q.tflite`);
    const r = quantizeCli(`${mode}, denormal weights`, [model, calibration],
      [model, '-o', out, '--mode', mode, '--calibration', `npy:${calibration}`, '--samples', '4', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout).report;
    assert.deepEqual(report.adjustments.map((a: { tensor: string; action: string }) => `${a.tensor}:${a.action}`).sort(), ['fc_w:narrow-range', 'y:narrow-range']);
    const bytes = fs.readFileSync(out);
    const q = readModel(bytes, 'q.tflite');
    assertScales(q, mode);
    const fc = q.subgraphs[0].operators.find((o) => o.op === 'FULLY_CONNECTED')!;
    const [x, w, b] = fc.inputs.map((i) => q.subgraphs[0].tensors[i]);
    // TFLite widens a range narrower than 1e-6 to +-5e-7 for a constant: max|w| / 127 with max|w| = 5e-7.
    assert.equal(w.quantization!.scale[0], Math.fround(Math.fround(5e-7) / 127));
    const product = x.quantization!.scale[0] * w.quantization!.scale[0];
    assert.ok(Math.abs(b.quantization!.scale[0] - product) <= 1e-6 * product);
    // The float model's outputs are ~1e-41: the quantized ones are 0 to within one output step.
    const output = await official(bytes, wave(32, 5));
    const step = byName(q, fc.outputs.map((i) => q.subgraphs[0].tensors[i].name)[0]).quantization!.scale[0];
    for (const v of output) assert.ok(Math.abs(v) <= step, `${v} vs step ${step}`);
  });
}

test('int8 with a NaN bias: refused naming the bias before calibration', () => {
  const bias = ordinaryBias();
  bias[3] = NaN;
  const float = fullyConnected(ordinaryWeights(), bias);
  const model = save('nan-bias.tflite', float);
  const calibration = npy('nan-bias.npy', [0, 1].map((k) => wave(32, k)), [1, 32]);
  const out = path.join(dir, 'nan-bias-int8.tflite');
  const r = quantizeCli('int8, NaN bias', [model, calibration], [model, '-o', out, '--mode', 'int8', '--calibration', `npy:${calibration}`, '--samples', '2']);
  assertRefused(r, 'int8, NaN bias', model, out, new RegExp(`tensor 'fc_b' \\(index ${indexOf(float, 'fc_b')}\\) holds NaN at element 3`));
});

test('float16 with a -Inf constant in an ADD: refused naming it', () => {
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, 8], dtype: 'float32' });
  const y = g.addTensor({ name: 'y', shape: [1, 8], dtype: 'float32' });
  const c = wave(8, 0);
  c[2] = -Infinity;
  g.addOp('ADD', [x, g.addConstant('add_c', 'float32', [8], c)], [y]);
  g.markOutput(y);
  const float = g.model();
  const model = save('neginf.tflite', float);
  const out = path.join(dir, 'neginf-f16.tflite');
  const r = quantizeCli('float16, -Inf constant', [model], [model, '-o', out, '--mode', 'float16']);
  assertRefused(r, 'float16, -Inf constant', model, out, new RegExp(`tensor 'add_c' \\(index ${indexOf(float, 'add_c')}\\) holds -Infinity at element 2`));
});

test('int16x8 CONV_2D + RELU6 calibrated on all-zero data: the output scale lets RELU6 quantize; official runtime loads it', async () => {
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, 4, 4, 3], dtype: 'float32' });
  const y = g.addTensor({ name: 'y', shape: [1, 4, 4, 8], dtype: 'float32' });
  g.addOp('CONV_2D', [x, g.addConstant('conv_w', 'float32', [8, 3, 3, 3], wave(216, 0, 0.3)), g.addConstant('conv_b', 'float32', [8], new Float32Array(8))], [y],
    { padding: 'SAME', strideW: 1, strideH: 1, fusedActivationFunction: 'RELU6' });
  g.markOutput(y);
  const model = save('relu6.tflite', g.model());
  const calibration = npy('zeros.npy', [new Float32Array(48), new Float32Array(48)], [1, 4, 4, 3]);
  const out = path.join(dir, 'relu6-16x8.tflite');
  const r = quantizeCli('int16x8 RELU6, all-zero calibration', [model, calibration],
    [model, '-o', out, '--mode', 'int16x8', '--calibration', `npy:${calibration}`, '--samples', '2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const actions = JSON.parse(r.stdout).report.adjustments.map((a: { tensor: string; action: string }) => `${a.tensor}:${a.action}`);
  assert.ok(actions.includes('x:narrow-range') && actions.includes('y:kernel-scale-floor'), actions.join(' '));
  const q = readModel(fs.readFileSync(out), 'q.tflite');
  assertScales(q, 'relu6');
  // TFLite quantizes the bound 6 into int32 (zero point 0 for int16): 6 / scale must fit.
  const yScale = q.subgraphs[0].tensors[q.subgraphs[0].operators.find((o) => o.op === 'CONV_2D')!.outputs[0]].quantization!.scale[0];
  assert.ok(6 / yScale < 2 ** 31, `6 / ${yScale}`);
  assert.ok(allFinite(await official(fs.readFileSync(out), new Float32Array(48))));
});

test('int8 ADD of a 3e38 constant: left float with a warning (TFLite\'s ADD would abort); official runtime runs it', async () => {
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, 8], dtype: 'float32' });
  const y = g.addTensor({ name: 'y', shape: [1, 8], dtype: 'float32' });
  const c = wave(8, 0);
  c[5] = 3e38;
  g.addOp('ADD', [x, g.addConstant('add_c', 'float32', [8], c)], [y]);
  g.markOutput(y);
  const model = save('add-max.tflite', g.model());
  const calibration = npy('add.npy', [0, 1, 2].map((k) => wave(8, k)), [1, 8]);
  const out = path.join(dir, 'add-max-int8.tflite');
  const r = quantizeCli('int8 ADD, 3e38 constant', [model, calibration], [model, '-o', out, '--mode', 'int8', '--calibration', `npy:${calibration}`, '--samples', '3']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /warning: ADD \(node #0\) stays float: output range .* too wide for TFLite's integer ADD/);
  const output = await official(fs.readFileSync(out), wave(8, 4));
  assert.ok(allFinite(output));
  assert.equal(output[5], Math.fround(3e38 + Math.fround(Math.sin(0.37 * 5 + 4))));
});

test('int8 with a 1e30 bias: weight scale raised so the bias takes at most half of int32 (TFLite\'s rule)', async () => {
  const bias = ordinaryBias();
  bias[11] = 1e30;
  const float = fullyConnected(ordinaryWeights(), bias);
  const model = save('big-bias.tflite', float);
  const calibration = npy('big-bias.npy', [0, 1, 2, 3].map((k) => wave(32, k)), [1, 32]);
  const out = path.join(dir, 'big-bias-int8.tflite');
  const r = quantizeCli('int8, 1e30 bias', [model, calibration], [model, '-o', out, '--mode', 'int8', '--calibration', `npy:${calibration}`, '--samples', '4']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /warning: tensor 'fc_w': scale raised on 1 of 1 channel\(s\) so the bias fits in half of int32/);
  const bytes = fs.readFileSync(out);
  const q = readModel(bytes, 'q.tflite');
  assertScales(q, 'big bias');
  const fc = q.subgraphs[0].operators.find((o) => o.op === 'FULLY_CONNECTED')!;
  const b = q.subgraphs[0].tensors[fc.inputs[2]];
  const values = new Int32Array(new Uint8Array(b.data!).buffer);
  for (const v of values) assert.ok(Math.abs(v) <= 2 ** 30 + 1, `bias ${v}`);
  // The output that carries the bias is within one output step of 1e30 (a float model's own value there).
  const output = await official(bytes, wave(32, 9));
  const step = q.subgraphs[0].tensors[fc.outputs[0]].quantization!.scale[0];
  assert.ok(allFinite(output));
  assert.ok(Math.abs(output[11] - 1e30) <= step, `${output[11]}`);
});
