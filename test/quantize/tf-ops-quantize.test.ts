// Full-integer quantization of float graphs made of the builtins TF graphs bring (MIRROR_PAD, DEPTH_TO_SPACE,
// SPACE_TO_DEPTH, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, TILE, GATHER_ND, BROADCAST_TO, FILL, SELECT, SELECT_V2):
// every op becomes integer with the version op_version.cc gives, the official runtime loads and runs the file,
// its outputs stay close to the float model's (official runtime on the float file), and our interpreter gives the
// official runtime's raw outputs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readModel, writeModel } from '../../src/format/index.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Model } from '../../src/graph/model.js';
import { quantize } from '../../src/quantize/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { mulberry32 } from '../helpers/random.js';
import { runOfficialOn, runOursOn, toFloat, toInputValues } from './helpers.js';

/** x [1,4,4,4] through every data-movement op; the output keeps the input's quantization all the way. */
function spatialModel(): Model {
  const b = new GraphBuilder();
  const x = b.addInput({ name: 'x', dtype: 'float32', shape: [1, 4, 4, 4] });
  const t = (name: string, shape: number[]) => b.addTensor({ name, dtype: 'float32', shape });
  const c = (name: string, shape: number[], v: number[]) => b.addConstant(name, 'int32', shape, v);
  const padded = t('padded', [1, 6, 6, 4]);
  b.addOp('MIRROR_PAD', [x, c('pads', [4, 2], [0, 0, 1, 1, 1, 1, 0, 0])], [padded], { mode: 'SYMMETRIC' });
  const d2s = t('d2s', [1, 12, 12, 1]);
  b.addOp('DEPTH_TO_SPACE', [padded], [d2s], { blockSize: 2 });
  const s2d = t('s2d', [1, 6, 6, 4]);
  b.addOp('SPACE_TO_DEPTH', [d2s], [s2d], { blockSize: 2 });
  const s2b = t('s2b', [4, 3, 3, 4]);
  b.addOp('SPACE_TO_BATCH_ND', [s2d, c('block', [2], [2, 2]), c('s2b_pads', [2, 2], [0, 0, 0, 0])], [s2b]);
  const b2s = t('b2s', [1, 5, 5, 4]);
  b.addOp('BATCH_TO_SPACE_ND', [s2b, c('block2', [2], [2, 2]), c('crops', [2, 2], [0, 1, 1, 0])], [b2s]);
  const tiled = t('tiled', [1, 5, 5, 8]);
  b.addOp('TILE', [b2s, c('multiples', [4], [1, 1, 1, 2])], [tiled]);
  const gathered = t('gathered', [2, 5, 8]);
  b.addOp('GATHER_ND', [tiled, c('indices', [2, 2], [0, 1, 0, 3])], [gathered]);
  const out = t('out', [3, 2, 5, 8]);
  b.addOp('BROADCAST_TO', [gathered, c('target', [4], [3, 2, 5, 8])], [out], {}, 2);
  b.markOutput(out);
  return b.model();
}

/** Selections and fills: SELECT (element-wise and by rows), BROADCAST_TO, FILL, SELECT_V2, then an ADD. */
function selectModel(): Model {
  const b = new GraphBuilder();
  const x = b.addInput({ name: 'x', dtype: 'float32', shape: [2, 3] });
  const y = b.addInput({ name: 'y', dtype: 'float32', shape: [2, 3] });
  const z = b.addInput({ name: 'z', dtype: 'float32', shape: [3] });
  const t = (name: string, shape: number[], dtype: 'float32' | 'bool' = 'float32') => b.addTensor({ name, dtype, shape });
  const cond = t('cond', [2, 3], 'bool');
  b.addOp('GREATER', [x, y], [cond]);
  const s1 = t('s1', [2, 3]);
  b.addOp('SELECT', [cond, x, y], [s1]);
  const rows = t('rows', [2, 3]);
  b.addOp('SELECT', [b.addConstant('row_cond', 'bool', [2], [1, 0]), s1, y], [rows]);
  const zb = t('zb', [2, 3]);
  b.addOp('BROADCAST_TO', [z, b.addConstant('target', 'int32', [2], [2, 3])], [zb], {}, 2);
  const filled = t('filled', [2, 3]);
  b.addOp('FILL', [b.addConstant('dims', 'int32', [2], [2, 3]), b.addConstant('value', 'float32', [], [0.25])], [filled]);
  const s2 = t('s2', [2, 3]);
  b.addOp('SELECT_V2', [cond, zb, filled], [s2]);
  const out = t('out', [2, 3]);
  b.addOp('ADD', [rows, s2], [out]);
  b.markOutput(out);
  return b.model();
}

function samples(model: Model, n: number, seed: number): Float32Array[][] {
  const sg = model.subgraphs[0];
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => sg.inputs.map((i) => {
    const size = sg.tensors[i].shape.reduce((p, d) => p * d, 1);
    return Float32Array.from({ length: size }, () => 2 * rnd() - 1);
  }));
}

async function runOfficial(bytes: Uint8Array, _model: Model, set: Float32Array[][]): Promise<number[][]> {
  return (await runOfficialOn(bytes, set.map((inputs) => ({ inputs })))).raw;
}

function runOurs(model: Model, set: Float32Array[][]): number[][] {
  return runOursOn(model, set.map((inputs) => ({ inputs }))).raw;
}

interface Case {
  name: string;
  build: () => Model;
  mode: 'int8' | 'int16x8';
  /** op -> version of every quantized node of that op. */
  versions: Record<string, number>;
  floatOps: string[];
  /** Largest error allowed, as a fraction of the float output range. */
  worst: number;
}

const CASES: Case[] = [
  {
    name: 'data movement', build: spatialModel, mode: 'int8', floatOps: [], worst: 0.01,
    versions: { MIRROR_PAD: 2, DEPTH_TO_SPACE: 2, SPACE_TO_DEPTH: 2, SPACE_TO_BATCH_ND: 2, BATCH_TO_SPACE_ND: 2, TILE: 3, GATHER_ND: 1, BROADCAST_TO: 3 },
  },
  {
    name: 'select / fill', build: selectModel, mode: 'int8', floatOps: ['GREATER'], worst: 0.02,
    versions: { SELECT: 2, BROADCAST_TO: 3, FILL: 3, SELECT_V2: 1, ADD: 2 },
  },
  {
    // GREATER compares dequantized values, so near-ties may select the other (nearly equal) value.
    name: 'select / fill', build: selectModel, mode: 'int16x8', floatOps: ['GREATER'], worst: 0.01,
    versions: { SELECT: 1, BROADCAST_TO: 3, FILL: 3, SELECT_V2: 1, ADD: 3 },
  },
];

for (const c of CASES) {
  test(`quantize ${c.mode}: ${c.name} ops become integer, run in the official runtime, and our interpreter agrees`, async () => {
    const float = c.build();
    const calibration = samples(float, 40, 11);
    const evalSet = samples(float, 30, 22);
    const reference = await runOfficial(writeModel(float), float, evalSet);
    const { model, report } = await quantize(float, { mode: c.mode, representativeDataset: calibration });
    assert.deepEqual(report.floatOps.map((o) => o.op).sort(), [...c.floatOps].sort(), report.warnings.join('; '));
    for (const [op, version] of Object.entries(c.versions)) {
      const nodes = report.quantizedOps.filter((o) => o.op === op);
      assert.ok(nodes.length > 0, `${op} was not quantized`);
      for (const n of nodes) assert.equal(n.version, version, `${op} version`);
    }
    const bytes = writeModel(model);
    const q = readModel(bytes, `${c.name}.tflite`);
    const sg = q.subgraphs[0];
    const outT = sg.tensors[sg.outputs[0]];
    const official = await runOfficial(bytes, q, evalSet);
    const ours = runOurs(q, evalSet);
    let lo = Infinity, hi = -Infinity, worst = 0, maxDiff = 0;
    for (const row of reference) for (const v of row) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    official.forEach((row, k) => {
      const deq = toFloat(outT, row);
      deq.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - reference[k][i])); });
      row.forEach((v, i) => { maxDiff = Math.max(maxDiff, Math.abs(v - ours[k][i])); });
    });
    assert.ok(worst <= c.worst * (hi - lo), `worst error ${worst} > ${c.worst} of the float range ${hi - lo}`);
    assert.ok(maxDiff <= 1, `our interpreter differs from the official runtime by ${maxDiff} LSB`);
  });
}
