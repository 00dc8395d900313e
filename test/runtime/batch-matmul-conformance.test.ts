// BATCH_MATMUL vs the official TFLite runtime on seeded random one-op models: ranks 2-5, broadcast batch
// dimensions, adj_x / adj_y, constant or runtime rhs; float32, int8 (zero points on both operands), int16,
// int8 -> int32, and hybrid (float lhs, constant int8 rhs; symmetric / asymmetric inputs; per-tensor / per-column).
// Hybrid variants the official build gets wrong (per-column scales: zeros; several lhs batch dimensions: wrong
// scaling factors or column sums) are checked against the float product within the error bound of 8-bit input quantization.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { DType, Quantization } from '../../src/graph/model.js';
import { writeModel } from '../../src/format/index.js';
import {
  ConformanceStats, Rng, checkOp, perTensor, randomQuantized, runOurs, singleOpModel,
  type OpSpec, type TensorArg,
} from '../helpers/conformance.js';

const stats = new ConformanceStats();
after(() => stats.print());

type Mode = 'float' | 'int8' | 'int16' | 'int8to32' | 'hybrid' | 'hybridAsym';

interface Built { spec: OpSpec; inputs: ArrayLike<number>[]; dims: { lhs: number[]; rhs: number[]; adjX: boolean; adjY: boolean } }

function shapes(rng: Rng, maxRank = 5): { lhs: number[]; rhs: number[]; adjX: boolean; adjY: boolean; m: number; k: number; n: number } {
  const m = rng.int(1, 7), k = rng.int(1, 12), n = rng.int(1, 7);
  const rank = rng.int(2, maxRank);
  const batch = Array.from({ length: rank - 2 }, () => rng.int(1, 3));
  // Each operand drops some leading dimensions or sets some to 1 (broadcast).
  const side = () => {
    const keep = rng.int(0, batch.length);
    return batch.slice(batch.length - keep).map((d) => (rng.bool(0.3) ? 1 : d));
  };
  const adjX = rng.bool(0.4), adjY = rng.bool(0.4);
  return { lhs: [...side(), ...(adjX ? [k, m] : [m, k])], rhs: [...side(), ...(adjY ? [n, k] : [k, n])], adjX, adjY, m, k, n };
}

interface BuildOptions { perColumn?: boolean; singleLhsBatch?: boolean }

function build(rng: Rng, mode: Mode, opts: BuildOptions = {}): Built {
  let s = shapes(rng);
  // The official hybrid kernel mis-indexes its per-row scaling factors when the lhs has two or more batch
  // dimensions above 1, and (asymmetric inputs) its rhs column sums when the rhs has (its results then stray far
  // from the float product): such shapes go to the bound test.
  const multi = (sh: number[]) => sh.slice(0, -2).filter((d) => d > 1).length > 1;
  while (opts.singleLhsBatch && (multi(s.lhs) || (mode === 'hybridAsym' && multi(s.rhs)))) s = shapes(rng);
  const count = (sh: number[]) => sh.reduce((a, b) => a * b, 1);
  const version = mode === 'int16' ? 3 : mode === 'hybridAsym' ? 4 : mode === 'float' ? 1 : 2;
  const options = { adjX: s.adjX, adjY: s.adjY, asymmetricQuantizeInputs: mode === 'hybridAsym' };
  const rhsConst = mode === 'hybrid' || mode === 'hybridAsym' || rng.bool(0.5);
  let lhs: TensorArg, rhs: TensorArg, out: TensorArg;
  const inputs: ArrayLike<number>[] = [];
  if (mode === 'float' || mode === 'hybrid' || mode === 'hybridAsym') {
    lhs = { dtype: 'float32', shape: s.lhs };
    inputs.push(rng.floats(count(s.lhs), -2, 2));
    if (mode === 'float') {
      const r = rng.floats(count(s.rhs), -1, 1);
      rhs = rhsConst ? { dtype: 'float32', shape: s.rhs, data: r } : { dtype: 'float32', shape: s.rhs };
      if (!rhsConst) inputs.push(r);
    } else {
      const perColumn = opts.perColumn ?? rng.bool(0.4);
      const axis = s.rhs.length - (s.adjY ? 2 : 1);
      const scales = Array.from({ length: perColumn ? s.n : 1 }, () => rng.float(0.005, 0.03));
      const q: Quantization = { scale: scales.map(Math.fround), zeroPoint: scales.map(() => 0), quantizedDimension: perColumn ? axis : 0 };
      rhs = { dtype: 'int8', shape: s.rhs, data: rng.ints(count(s.rhs), -127, 127), quantization: q };
    }
    out = { dtype: 'float32', shape: [1] };
  } else {
    const dtype: DType = mode === 'int16' ? 'int16' : 'int8';
    const sym = dtype === 'int16';
    const ls = rng.float(0.005, 0.05), rs = rng.float(0.005, 0.05);
    const lq = perTensor(ls, sym ? 0 : rng.int(-30, 30));
    const rq = perTensor(rs, sym ? 0 : rng.int(-30, 30));
    lhs = { dtype, shape: s.lhs, quantization: lq };
    inputs.push(randomQuantized(rng, count(s.lhs), dtype));
    const r = randomQuantized(rng, count(s.rhs), dtype);
    rhs = rhsConst ? { dtype, shape: s.rhs, data: r, quantization: rq } : { dtype, shape: s.rhs, quantization: rq };
    if (!rhsConst) inputs.push(r);
    if (mode === 'int8to32') {
      out = { dtype: 'int32', shape: [1] };
    } else {
      const spread = sym ? 18900 * 18900 : 74 * 74;
      const os = (lq.scale[0] * rq.scale[0] * spread * Math.sqrt(s.k) * 3) / (sym ? 32767 : 128) * rng.float(0.5, 1.5);
      out = { dtype, shape: [1], quantization: perTensor(os, sym ? 0 : rng.int(-20, 20)) };
    }
  }
  return { spec: { op: 'BATCH_MATMUL', version, options, inputs: [lhs, rhs], outputs: [out] }, inputs, dims: s };
}

const MODES: Mode[] = ['float', 'int8', 'int16', 'int8to32', 'hybrid', 'hybridAsym'];

for (const mode of MODES) {
  test(`BATCH_MATMUL ${mode} matches the official runtime`, async () => {
    const rng = new Rng(0xb0 + MODES.indexOf(mode) * 57);
    for (let i = 0; i < 30; i++) {
      // The official hybrid kernel returns zeros for per-column rhs scales: those go to the bound test below.
      const hybrid = mode === 'hybrid' || mode === 'hybridAsym';
      const built = build(rng, mode, hybrid ? { perColumn: false, singleLhsBatch: true } : {});
      try {
        await checkOp(`BATCH_MATMUL ${mode} case ${i}`, built.spec, built.inputs, { stats, label: `BATCH_MATMUL ${mode}` });
      } catch (e) {
        if (process.env.DEBUG_CONF) console.log(JSON.stringify({ mode, i, dims: built.dims, q: built.spec.inputs.map((t) => t?.quantization) }));
        throw e;
      }
    }
  });
}

/** Float product of lhs and dequantized rhs, and a bound on the hybrid error per element. */
function floatProductAndBound(b: Built): { expected: Float64Array; bound: Float64Array } {
  const { lhs: ls, rhs: rs, adjX, adjY } = b.dims;
  const rank = Math.max(ls.length, rs.length);
  const L = [...new Array(rank - ls.length).fill(1), ...ls];
  const R = [...new Array(rank - rs.length).fill(1), ...rs];
  const m = adjX ? L[rank - 1] : L[rank - 2], k = adjX ? L[rank - 2] : L[rank - 1], n = adjY ? R[rank - 2] : R[rank - 1];
  const batch = L.slice(0, -2).map((d, i) => Math.max(d, R[i]));
  const x = b.inputs[0];
  const rq = b.spec.inputs[1]!.quantization!;
  const w = b.spec.inputs[1]!.data as number[];
  const total = batch.reduce((a, d) => a * d, 1);
  const expected = new Float64Array(total * m * n);
  const bound = new Float64Array(total * m * n);
  const index = (shape: number[], bi: number[], r: number, c: number) => {
    let off = 0;
    for (let d = 0; d < rank - 2; d++) off = off * shape[d] + (shape[d] === 1 ? 0 : bi[d]);
    return (off * shape[rank - 2] + r) * shape[rank - 1] + c;
  };
  for (let t = 0; t < total; t++) {
    const bi: number[] = [];
    let rest = t;
    for (let d = rank - 3; d >= 0; d--) { bi[d] = rest % batch[d]; rest = Math.floor(rest / batch[d]); }
    for (let i = 0; i < m; i++) {
      let rowMax = 0;
      for (let d = 0; d < k; d++) rowMax = Math.max(rowMax, Math.abs(x[adjX ? index(L, bi, d, i) : index(L, bi, i, d)]));
      for (let j = 0; j < n; j++) {
        const sc = rq.scale.length > 1 ? rq.scale[j] : rq.scale[0];
        let s = 0, wAbs = 0;
        for (let d = 0; d < k; d++) {
          const wv = w[adjY ? index(R, bi, j, d) : index(R, bi, d, j)] * sc;
          s += x[adjX ? index(L, bi, d, i) : index(L, bi, i, d)] * wv;
          wAbs += Math.abs(wv);
        }
        // Each input element is off by at most half a quantization step (range/127 symmetric, range/255 asym).
        expected[(t * m + i) * n + j] = s;
        bound[(t * m + i) * n + j] = wAbs * (rowMax / 127) * 0.5 * 1.01 + 1e-5 * Math.abs(s) + 1e-6;
      }
    }
  }
  return { expected, bound };
}

test('BATCH_MATMUL hybrid (per-column scales, several lhs batch dimensions) stays within the quantization bound of the float product', () => {
  const rng = new Rng(0xb7);
  let elements = 0;
  let worst = 0;
  for (let i = 0; i < 40; i++) {
    const mode: Mode = i % 2 ? 'hybridAsym' : 'hybrid';
    const built = build(rng, mode, { perColumn: i % 4 < 2 });
    const ours = runOurs(writeModel(singleOpModel(built.spec)), built.inputs)[0];
    const { expected, bound } = floatProductAndBound(built);
    assert.equal(ours.data.length, expected.length, `case ${i}: element count`);
    for (let e = 0; e < expected.length; e++) {
      const err = Math.abs(ours.data[e] - expected[e]);
      worst = Math.max(worst, err / bound[e]);
      assert.ok(err <= bound[e], `case ${i} element ${e}: ${ours.data[e]} vs float ${expected[e]} (bound ${bound[e]})`);
    }
    elements += expected.length;
  }
  console.log(`[conformance] BATCH_MATMUL hybrid vs float product: 40 cases, ${elements} elements within the 8-bit input bound (worst ${(100 * worst).toFixed(0)}% of it)`);
});
