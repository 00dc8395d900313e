// Sparse weights against the official runtime (tfjs-tflite): models written by our format layer in every sparsity
// variant TF's converter writes (CSR with int32 / uint16 / uint8 index vectors; 1x4 and 4x1 blocks on
// FULLY_CONNECTED weights; random-sparse CONV_2D filters) through DENSIFY (float16 -> DEQUANTIZE, float32, int8),
// and FULLY_CONNECTED reading its sparse float32 weight itself (version 8, TFLite's sparse path). Through DENSIFY ours
// must give the official runtime's outputs bit for bit; its sparse FC kernel sums in another order, so there the
// float tolerance of the conformance tests applies (1e-5 relative + 1e-6). Then `quantize` of sparse float16 / float32 models: the output runs
// in the official runtime, int8 bit-exact with ours.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { readModelFile, writeModel } from '../../src/format/index.js';
import { encodeNpy } from '../../src/evaluate/npy.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { createLiteRtRunner, liteRtAvailable } from '../../src/runtime/litert.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { cli } from '../helpers/cli.js';
import { Rng } from '../helpers/random.js';
import { FLOAT_ATOL, FLOAT_RTOL } from '../helpers/conformance.js';
import {
  BLOCK_VARIANTS, CSR_VARIANTS, sparseConvModel, sparseFcModel, sparseInt8FcModel, type SparseModel,
} from '../helpers/sparse-models.js';

const rows: string[] = [];
after(() => { for (const r of rows) console.log(`# ${r}`); });

function inputFor(m: SparseModel, seed: number): Float32Array | Int8Array {
  const rng = new Rng(seed);
  const n = m.inputShape.reduce((a, b) => a * b, 1);
  const int8 = m.model.subgraphs[0].tensors[m.model.subgraphs[0].inputs[0]].dtype === 'int8';
  return int8 ? Int8Array.from({ length: n }, () => rng.int(-128, 127)) : Float32Array.from({ length: n }, () => rng.float(-2, 2));
}

function runOurs(bytes: Uint8Array, x: ArrayLike<number>): number[] {
  const it = Interpreter.fromBytes(bytes);
  it.setInput(0, x);
  it.invoke();
  return Array.from(it.getOutput(0) as ArrayLike<number>);
}

async function runOfficial(bytes: Uint8Array, x: ArrayLike<number>, runtime = createOfficialRunner): Promise<number[]> {
  const r = await runtime(bytes);
  try {
    r.setInput(0, x);
    r.invoke();
    return Array.from(r.getOutputs()[0].data as ArrayLike<number>);
  } finally {
    r.delete();
  }
}

const maxDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

interface Case { name: string; build: () => SparseModel }
const densifyCases: Case[] = [
  ...[...CSR_VARIANTS, ...BLOCK_VARIANTS].flatMap((v, k) => (['float16-densify', 'float32-densify'] as const)
    .map((kind) => ({ name: `FC ${v.name}, ${kind}`, build: () => sparseFcModel(v, kind, 100 + k) }))),
  ...(['int32', 'uint16', 'uint8'] as const).flatMap((t, k) => [
    { name: `CONV_2D CSR ${t}, float16-densify`, build: () => sparseConvModel(t, 200 + k) },
    { name: `FC CSR ${t}, int8-densify`, build: () => sparseInt8FcModel(t, 300 + k) },
  ]),
];

test('DENSIFY of sparse weights: every variant bit-exact with the official runtime', async () => {
  for (const c of densifyCases) {
    const m = c.build();
    const bytes = writeModel(m.model);
    for (let s = 0; s < 3; s++) {
      const x = inputFor(m, s);
      const ref = await runOfficial(bytes, x);
      const ours = runOurs(bytes, x);
      assert.deepEqual(ours, ref, `${c.name}, input ${s}`);
      // Not a trivial agreement: the output depends on the weights.
      if (s === 0) assert.ok(ref.some((v) => v !== 0), c.name);
    }
    rows.push(`${c.name}: ${m.stored} stored values, bit-exact x3`);
  }
});

// The converter writes FC weights sparse without DENSIFY only in the formats TFLite's sparse FC takes: CSR over
// rows ([DENSE, SPARSE_CSR]) and 1x4 blocks; 4x1 blocks crash the official runtime and go through DENSIFY.
const directCases: Case[] = [...CSR_VARIANTS, BLOCK_VARIANTS[0], BLOCK_VARIANTS[2]]
  .map((v, k) => ({ name: `FC v8 reads its sparse ${v.name} weight`, build: () => sparseFcModel(v, 'float32-direct', 400 + k) }));

test('FULLY_CONNECTED with a sparse float32 weight (version 8): the official runtime\'s sparse kernel within float tolerance', async () => {
  for (const c of directCases) {
    const m = c.build();
    const fc = m.model.subgraphs[0].operators.find((o) => o.op === 'FULLY_CONNECTED')!;
    fc.version = 8;
    const bytes = writeModel(m.model);
    let worst = 0;
    for (let s = 0; s < 3; s++) {
      const x = inputFor(m, s);
      const ours = runOurs(bytes, x);
      const ref = await runOfficial(bytes, x);
      ours.forEach((v, i) => assert.ok(Math.abs(v - ref[i]) <= FLOAT_RTOL * Math.abs(ref[i]) + FLOAT_ATOL, `${c.name}, input ${s}, output ${i}: ${v} vs ${ref[i]}`));
      worst = Math.max(worst, maxDiff(ours, ref));
    }
    rows.push(`${c.name}: max |diff| ${worst.toExponential(2)} x3`);
  }
});

test('LiteRT.js agrees on the float32 variants (its float16 DENSIFY -> DEQUANTIZE path does not: see the note)',
  { skip: liteRtAvailable() ? false : '@litertjs/core is not installed' }, async () => {
    const cases = [
      ...densifyCases.filter((c) => c.name.includes('float32-densify')),
      ...directCases.map((c) => ({ ...c, build: () => { const m = c.build(); m.model.subgraphs[0].operators.find((o) => o.op === 'FULLY_CONNECTED')!.version = 8; return m; } })),
    ];
    let worst = 0;
    for (const c of cases) {
      const m = c.build();
      const bytes = writeModel(m.model);
      const x = inputFor(m, 0);
      const d = maxDiff(runOurs(bytes, x), await runOfficial(bytes, x, createLiteRtRunner));
      worst = Math.max(worst, d);
      assert.ok(d <= 1e-5, `${c.name}: max |ours - LiteRT.js| ${d}`);
    }
    rows.push(`LiteRT.js, ${cases.length} float32 models: max |diff| ${worst.toExponential(2)}`);
    // Measured: LiteRT.js 2.x returns unrelated values (|diff| ~1e4) for float16 sparse -> DENSIFY -> DEQUANTIZE,
    // which tfjs-tflite and ours agree on bit for bit; recorded, not asserted.
    const m = densifyCases[0].build();
    const bytes = writeModel(m.model);
    const x = inputFor(m, 0);
    rows.push(`LiteRT.js on ${densifyCases[0].name}: max |diff| vs tfjs-tflite ${maxDiff(await runOfficial(bytes, x, createLiteRtRunner), await runOfficial(bytes, x)).toExponential(2)}`);
  });

test('quantize (CLI) of sparse float16 and float32 models: densified first (reported), output runs in the official runtime', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lq-sparse-q-'));
  try {
    const rng = new Rng(77);
    const models: [string, SparseModel][] = [
      ['fc-fp16-block', sparseFcModel(BLOCK_VARIANTS[0], 'float16-densify', 500, 16, 64, 1)],
      ['fc-fp32-direct', sparseFcModel(CSR_VARIANTS[1], 'float32-direct', 501, 16, 64, 1)],
      ['conv-fp16', sparseConvModel('uint8', 502)],
    ];
    for (const [name, m] of models) {
      const file = path.join(dir, `${name}.tflite`);
      if (name.includes('direct')) m.model.subgraphs[0].operators.find((o) => o.op === 'FULLY_CONNECTED')!.version = 8;
      fs.writeFileSync(file, writeModel(m.model));
      const n = m.inputShape.reduce((a, b) => a * b, 1);
      const samples = Float32Array.from({ length: 32 * n }, () => rng.float(-2, 2));
      const calib = path.join(dir, `${name}.npy`);
      fs.writeFileSync(calib, encodeNpy(samples, [32, ...m.inputShape.slice(1)]));
      const x = Float32Array.from(samples.subarray(0, n));
      const floatRef = await runOfficial(writeModel(m.model), x);
      for (const mode of ['int8', 'dynamic', 'float16'] as const) {
        const out = path.join(dir, `${name}-${mode}.tflite`);
        const args = ['quantize', file, '-o', out, '--mode', mode, '--json', ...(mode === 'int8' ? ['--calibration', `npy:${calib}`, '--samples', '32', '--input-type', 'float32', '--output-type', 'float32'] : [])];
        const r = cli(args);
        assert.equal(r.code, 0, `${name} ${mode}: ${r.stderr}`);
        const report = JSON.parse(r.stdout).report;
        const note = report.adjustments.find((a: { action: string }) => a.action === 'densify');
        assert.ok(note && /sparse weights .* densified before quantizing/.test(note.detail), `${name} ${mode}: ${JSON.stringify(report.adjustments)}`);
        const q = readModelFile(out);
        assert.ok(!q.subgraphs[0].tensors.some((t) => t.sparsity), 'the output is dense');
        assert.ok(!q.subgraphs[0].operators.some((o) => o.op === 'DENSIFY'));
        const bytes = fs.readFileSync(out);
        const ref = await runOfficial(bytes, x);
        const ours = runOurs(bytes, x);
        const err = maxDiff(ref, floatRef);
        const range = Math.max(...floatRef.map(Math.abs));
        if (mode === 'int8') assert.deepEqual(ours, ref, `${name} int8: ours bit-exact with the official runtime`);
        else assert.ok(maxDiff(ours, ref) <= 1e-4 * range, `${name} ${mode}: ours vs official ${maxDiff(ours, ref)}`);
        assert.ok(err <= 0.05 * range, `${name} ${mode}: |quantized - float| ${err} of range ${range}`);
        rows.push(`quantize ${name} --mode ${mode}: runs in tfjs-tflite, max |q - float| ${err.toPrecision(3)} (range ${range.toPrecision(3)}); "${note.detail}"`);
      }
      if (name === 'fc-fp16-block') {
        const text = cli(['quantize', file, '-o', path.join(dir, 'text.tflite'), '--mode', 'float16']);
        assert.match(text.stdout, /w_sparse +densify +sparse weights/);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
