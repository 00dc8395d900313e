// Semantically invalid models through the CLI: run, quantize and eval each exit 1 with one line naming the file,
// the tensor and the op, write nothing, leave the input byte-identical, and stay far below 30 s and 1 GB.
// inspect still shows such a model, lists its problems and exits 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Model, Quantization } from '../../src/graph/model.js';
import { writeModel } from '../../src/format/index.js';
import { encodeNpy } from '../../src/evaluate/npy.js';
import { cli } from '../helpers/cli.js';
import { corpusPath, NO_CORPUS, PROJECT_ROOT } from '../helpers/corpus.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litequant-validity-'));
const BIN = path.join(PROJECT_ROOT, 'bin', 'litequant.js');
const TIME = '/usr/bin/time';
const HAS_TIME = fs.existsSync(TIME);

interface Run { code: number | null; stdout: string; stderr: string; ms: number; peakKb: number | null }

/** The CLI as a child process, timed, with its peak RSS from /usr/bin/time where the machine has it. */
function runCli(args: string[]): Promise<Run> {
  const t0 = performance.now();
  const [cmd, argv] = HAS_TIME ? [TIME, ['-f', 'peak-rss-kb %M', process.execPath, BIN, ...args]] : [process.execPath, [BIN, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: tmp, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      let peakKb: number | null = null;
      if (HAS_TIME) {
        const m = /peak-rss-kb (\d+)\n?$/.exec(stderr);
        if (m) peakKb = Number(m[1]);
        // /usr/bin/time's own lines: the measurement and its note on a non-zero exit.
        stderr = stderr.replace(/(Command exited with non-zero status \d+\n)?peak-rss-kb \d+\n?$/, '');
      }
      resolve({ code, stdout, stderr, ms: performance.now() - t0, peakKb });
    });
  });
}

/** Run jobs two at a time (the suite itself runs two files at once on two cores). */
async function pool<T>(jobs: (() => Promise<T>)[], width = 2): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) {
      const k = next++;
      out[k] = await jobs[k]();
    }
  }));
  return out;
}

const q = (scale: number, zeroPoint: number): Quantization => ({ scale: [scale], zeroPoint: [zeroPoint], quantizedDimension: 0 });

/** A float model with input 'x' [1,4]: what eval's dataset below fits. */
function floatModel(build: (g: GraphBuilder, x: number) => void): Model {
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, 4], dtype: 'float32' });
  build(g, x);
  return g.model();
}
const f32 = (g: GraphBuilder, name: string) => g.addTensor({ name, shape: [1, 4], dtype: 'float32' });

/** int8 input 'x' (with parameters `xq`) -> DEQUANTIZE -> RELU: one input, so eval's dataset fits it too. */
function quantizedInput(xq: Quantization): Model {
  const g = new GraphBuilder();
  const x = g.addInput({ name: 'x', shape: [1, 4], dtype: 'int8', quantization: xq });
  const d = f32(g, 'dequantized');
  const y = f32(g, 'y');
  g.addOp('DEQUANTIZE', [x], [d], {}, 2);
  g.addOp('RELU', [d], [y]);
  g.markOutput(y);
  return g.model();
}

const CASES: { file: string; model: Model; says: RegExp }[] = [
  // The issue's reproductions.
  { file: 'nan-scale.tflite', model: quantizedInput(q(NaN, 0)), says: /tensor 0 'x' \(int8, read by op 0 \(DEQUANTIZE\)\): quantization scale NaN is not a positive finite number$/ },
  { file: 'zero-scale.tflite', model: quantizedInput(q(0, 0)), says: /tensor 0 'x' .*op 0 \(DEQUANTIZE\).*scale 0 is not a positive finite number$/ },
  { file: 'negative-scale.tflite', model: quantizedInput(q(-0.5, 0)), says: /tensor 0 'x' .*op 0 \(DEQUANTIZE\).*scale -0\.5 is not a positive finite number$/ },
  { file: 'zero-point.tflite', model: quantizedInput(q(0.1, 300)), says: /tensor 0 'x' .*op 0 \(DEQUANTIZE\).*zero point 300 outside int8's range \[-128, 127\]$/ },
  { file: 'orphan-output.tflite', model: floatModel((g, x) => { const y = f32(g, 'y'); g.addOp('RELU', [x], [y]); g.markOutput(y); g.markOutput(f32(g, 'orphan')); }),
    says: /output 1 \(tensor 2 'orphan'\) is produced by no op/ },
  { file: 'if-index.tflite', model: floatModel((g, x) => { const y = f32(g, 'y'); g.addOp('IF', [g.addConstant('c', 'bool', [], [1]), x], [y], { thenSubgraphIndex: 3, elseSubgraphIndex: 4 }); g.markOutput(y); }),
    says: /op 0 \(IF\): then_subgraph_index 3 out of range \(model has 1 subgraph\) \(and 1 more problem\)$/ },
  { file: 'while-index.tflite', model: floatModel((g, x) => { const y = f32(g, 'y'); g.addOp('WHILE', [x], [y], { condSubgraphIndex: 0, bodySubgraphIndex: 9 }); g.markOutput(y); }),
    says: /op 0 \(WHILE\): body_subgraph_index 9 out of range/ },
  { file: 'self-read.tflite', model: floatModel((g, x) => { const y = f32(g, 'y'); g.addOp('ADD', [x, y], [y]); g.markOutput(y); }),
    says: /op 0 \(ADD\) reads its own output tensor 1 'y'$/ },
  { file: 'fc-no-inputs.tflite', model: floatModel((g) => { const y = f32(g, 'y'); g.addOp('FULLY_CONNECTED', [], [y]); g.markOutput(y); }),
    says: /op 0 \(FULLY_CONNECTED\) has 0 inputs; it needs at least 2 \(input, weights\)$/ },
  // Our own.
  { file: 'inf-scale.tflite', model: quantizedInput(q(Infinity, 0)), says: /scale Infinity is not a positive finite number$/ },
  { file: 'cycle.tflite', model: floatModel((g, x) => { const a = f32(g, 'a'); const b = f32(g, 'b'); g.addOp('ADD', [x, b], [a]); g.addOp('MUL', [a, x], [b]); g.markOutput(b); }),
    says: /ops form a cycle: op 0 \(ADD\) reads 'b' from op 1 \(MUL\), which reads 'a' from op 0 \(ADD\)$/ },
  { file: 'misordered.tflite', model: floatModel((g, x) => { const a = f32(g, 'a'); const b = f32(g, 'b'); g.addOp('TANH', [a], [b]); g.addOp('RELU', [x], [a]); g.markOutput(b); }),
    says: /op 0 \(TANH\) reads tensor 1 'a' before op 1 \(RELU\) produces it/ },
  { file: 'written-twice.tflite', model: floatModel((g, x) => { const y = f32(g, 'y'); g.addOp('RELU', [x], [y]); g.addOp('TANH', [x], [y]); g.markOutput(y); }),
    says: /tensor 1 'y' is written by two ops: op 0 \(RELU\) and op 1 \(TANH\)$/ },
  { file: 'fc-weights-omitted.tflite', model: floatModel((g, x) => { const y = g.addTensor({ name: 'y', shape: [1, 3], dtype: 'float32' }); g.addOp('FULLY_CONNECTED', [x, -1, -1], [y]); g.markOutput(y); }),
    says: /op 0 \(FULLY_CONNECTED\): required input 1 \(weights\) is omitted \(-1\)$/ },
];

const x = path.join(tmp, 'x.npy');
const y = path.join(tmp, 'y.npy');
fs.writeFileSync(x, encodeNpy(new Float32Array(8).fill(0.5), [2, 1, 4]));
fs.writeFileSync(y, encodeNpy(new Int32Array([0, 1]), [2]));

test('run, quantize and eval refuse each invalid model: exit 1, one line naming file, tensor and op, no output, input untouched', async () => {
  const jobs: (() => Promise<void>)[] = [];
  const rows: string[] = [];
  for (const c of CASES) {
    const file = path.join(tmp, c.file);
    const bytes = writeModel(c.model);
    fs.writeFileSync(file, bytes);
    const commands: [string, string[]][] = [
      ['run', ['run', file]],
      ['quantize', ['quantize', file, '-o', path.join(tmp, `out-${c.file}`), '--mode', 'dynamic']],
      ['eval', ['eval', file, '--dataset', `npy:${x},${y}`]],
    ];
    for (const [name, args] of commands) {
      jobs.push(async () => {
        const r = await runCli(args);
        const what = `${name} ${c.file}`;
        assert.equal(r.code, 1, `${what}: exit code (stderr: ${r.stderr})`);
        const lines = r.stderr.split('\n').filter((l) => l !== '');
        assert.equal(lines.length, 1, `${what}: one line on stderr, got ${JSON.stringify(r.stderr)}`);
        assert.ok(lines[0].startsWith(`litequant: ${file}: `), `${what}: names the file: ${lines[0]}`);
        assert.match(lines[0], c.says, what);
        assert.equal(r.stdout, '', `${what}: nothing on stdout`);
        assert.ok(r.ms < 30_000, `${what}: ${r.ms} ms`);
        if (r.peakKb !== null) assert.ok(r.peakKb < 1024 * 1024, `${what}: peak RSS ${r.peakKb} KB`);
        rows.push(`${what}: exit ${r.code}, ${(r.ms / 1000).toFixed(2)} s, peak RSS ${r.peakKb === null ? '?' : `${(r.peakKb / 1024).toFixed(0)} MB`}`);
      });
    }
  }
  await pool(jobs);
  for (const c of CASES) {
    assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(tmp, c.file))), writeModel(c.model), `${c.file}: input byte-identical`);
    assert.equal(fs.existsSync(path.join(tmp, `out-${c.file}`)), false, `${c.file}: quantize wrote nothing`);
  }
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.startsWith('out-') || f.startsWith('.')), [], 'no output or temp file');
  for (const r of rows.sort()) console.log(`[validity] ${r}`);
});

test('compare refuses an invalid model among its inputs the same way', () => {
  const good = path.join(tmp, 'good.tflite');
  fs.writeFileSync(good, writeModel(floatModel((g, x0) => { const y0 = f32(g, 'y'); g.addOp('RELU', [x0], [y0]); g.markOutput(y0); })));
  const bad = path.join(tmp, 'cycle.tflite');
  fs.writeFileSync(bad, writeModel(CASES.find((c) => c.file === 'cycle.tflite')!.model));
  const r = cli(['compare', good, bad, '--dataset', `npy:${x},${y}`]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^litequant: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ops form a cycle`));
});

test('inspect shows an invalid model with its problems and exits 1; indices pointing nowhere leave nothing to show', () => {
  const file = path.join(tmp, 'inspect-nan.tflite');
  const model = quantizedInput(q(NaN, 0));
  model.subgraphs[0].outputs.push(f32Index(model, 'orphan'));
  fs.writeFileSync(file, writeModel(model));
  const r = cli(['inspect', file]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /Inputs[\s\S]*Ops[\s\S]*DEQUANTIZE[\s\S]*Problems/);
  assert.match(r.stdout, /scale NaN is not a positive finite number/);
  assert.match(r.stdout, /output 1 \(tensor 3 'orphan'\) is produced by no op/);
  assert.deepEqual(r.stderr.trim().split('\n'), [`litequant: ${file}: tensor 0 'x' (int8, read by op 0 (DEQUANTIZE)): quantization scale NaN is not a positive finite number (and 1 more problem)`]);
  const j = cli(['inspect', file, '--json']);
  assert.equal(j.code, 1);
  const summary = JSON.parse(j.stdout);
  assert.equal(summary.problems.length, 2);
  assert.equal(summary.inputs[0].name, 'x');
  // A valid file: no problems, exit 0.
  const ok = path.join(tmp, 'inspect-ok.tflite');
  fs.writeFileSync(ok, writeModel(quantizedInput(q(0.1, -128))));
  const v = cli(['inspect', ok, '--json']);
  assert.equal(v.code, 0, v.stderr);
  assert.deepEqual(JSON.parse(v.stdout).problems, []);
  // An op input index past the tensors: one line, nothing on stdout.
  const broken = floatModel((g, x0) => { const y0 = f32(g, 'y'); g.addOp('RELU', [x0], [y0]); g.markOutput(y0); });
  broken.subgraphs[0].operators[0].inputs = [7];
  const bfile = path.join(tmp, 'inspect-index.tflite');
  fs.writeFileSync(bfile, writeModel(broken));
  const b = cli(['inspect', bfile]);
  assert.equal(b.code, 1);
  assert.equal(b.stdout, '');
  assert.deepEqual(b.stderr.trim().split('\n'), [`litequant: ${bfile}: operator 0 (RELU) inputs: tensor index 7 out of range (subgraph has 2 tensors)`]);
});

function f32Index(model: Model, name: string): number {
  const tensors = model.subgraphs[0].tensors;
  tensors.push({ name, shape: [1, 4], dtype: 'float32', data: null, quantization: null, isVariable: false });
  return tensors.length - 1;
}

test('person_detect (per-channel biases declaring quantized_dimension 3) is accepted by run and inspect', { skip: NO_CORPUS }, () => {
  const file = corpusPath('tflite/tflite-micro/person_detect.tflite');
  const before = fs.readFileSync(file);
  const r = cli(['run', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).outputs[0].shape, [1, 2]);
  const i = cli(['inspect', file, '--json']);
  assert.equal(i.code, 0, i.stderr);
  assert.deepEqual(JSON.parse(i.stdout).problems, []);
  assert.deepEqual(fs.readFileSync(file), before);
});
