// Hybrid (dynamic-range) FULLY_CONNECTED with per-channel int8 weights (op version 12, what AI Edge Quantizer's
// dynamic recipes and `quantize --mode dynamic` with a channel scope write) against LiteRT.js and against arithmetic.
//
// Oracles: tfjs-tflite's build predates version 12 and refuses such a file at load time (checked here, so a newer
// build that computes it shows up); LiteRT.js runs it through XNNPACK, which quantizes the float input per row
// asymmetrically whatever asymmetric_quantize_inputs says. So with asymmetric inputs (what our rewrite writes) ours
// must equal LiteRT.js within float rounding (FLOAT_RTOL/FLOAT_ATOL: they sum in another order); with symmetric
// inputs ours follows TFLite's reference kernel and only the arithmetic bound applies. The bound, independent of
// both runtimes: each input is rounded to its row's step (max-min)/255 (asymmetric) or max|x|/127 (symmetric), so
// |ours - float with the dequantized weights| <= step/2 x sum_k |w[n,k] x scale[n]| + float rounding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeModel } from '../../src/format/index.js';
import { Interpreter } from '../../src/runtime/interpreter.js';
import { createLiteRtRunner, liteRtAvailable } from '../../src/runtime/litert.js';
import { createOfficialRunner } from '../helpers/oracle.js';
import { FLOAT_ATOL, FLOAT_RTOL, Rng, randomWeights, singleOpModel, type OpSpec } from '../helpers/conformance.js';

interface Case { rows: number; depth: number; units: number; asymmetric: boolean; range: 'symmetric' | 'positive' | 'offset'; seed: number }

function build(c: Case) {
  const rng = new Rng(0x12fc + c.seed * 101 + (c.asymmetric ? 7 : 0));
  const wt = randomWeights(rng, [c.units, c.depth], 0, 0.02);
  const bias = rng.floats(c.units, -1, 1);
  const spec: OpSpec = {
    op: 'FULLY_CONNECTED', version: 12,
    options: { fusedActivationFunction: 'NONE', keepNumDims: false, asymmetricQuantizeInputs: c.asymmetric },
    inputs: [
      { dtype: 'float32', shape: [c.rows, c.depth] },
      { dtype: 'int8', shape: [c.units, c.depth], data: wt.values, quantization: wt.quantization },
      { dtype: 'float32', shape: [c.units], data: bias },
    ],
    outputs: [{ dtype: 'float32', shape: [c.rows, c.units] }],
  };
  const x = new Float32Array(c.rows * c.depth);
  for (let i = 0; i < x.length; i++) {
    const v = c.range === 'symmetric' ? rng.float(-1, 1) : c.range === 'positive' ? (rng.bool(0.3) ? 0 : rng.float(0, 1)) : rng.float(-0.2, 1);
    x[i] = v * 3;
  }
  return { bytes: writeModel(singleOpModel(spec)), x, w: wt.values, scales: wt.quantization.scale, bias };
}

function runOurs(bytes: Uint8Array, x: Float32Array, kernels: 'wasm' | 'typescript'): number[] {
  const it = Interpreter.fromBytes(bytes, { kernels });
  it.setInput(0, x);
  it.invoke();
  return Array.from(it.getOutput(0) as Float32Array);
}

/** Largest |ours - exact| over the bound for each output (<= 1 passes). */
function boundRatio(c: Case, m: ReturnType<typeof build>, ours: number[]): number {
  let worst = 0;
  for (let b = 0; b < c.rows; b++) {
    const row = m.x.subarray(b * c.depth, (b + 1) * c.depth);
    const lo = Math.min(0, ...row), hi = Math.max(0, ...row);
    const step = c.asymmetric ? (hi - lo) / 255 : Math.max(-lo, hi) / 127;
    for (let n = 0; n < c.units; n++) {
      let exact = m.bias[n], absW = 0;
      for (let k = 0; k < c.depth; k++) {
        const w = m.w[n * c.depth + k] * m.scales[n];
        exact += row[k] * w;
        absW += Math.abs(w);
      }
      const bound = (step / 2) * absW * (1 + 1e-5) + FLOAT_RTOL * Math.abs(exact) + FLOAT_ATOL;
      worst = Math.max(worst, Math.abs(ours[b * c.units + n] - exact) / bound);
    }
  }
  return worst;
}

const CASES: Case[] = [];
for (const asymmetric of [true, false]) {
  for (const range of ['symmetric', 'positive', 'offset'] as const) {
    for (let seed = 0; seed < 2; seed++) {
      const rng = new Rng(seed * 13 + (asymmetric ? 1 : 2));
      CASES.push({ rows: rng.int(1, 4), depth: rng.int(5, 300), units: rng.int(2, 40), asymmetric, range, seed });
    }
  }
}

test('hybrid FULLY_CONNECTED with per-channel weights (v12): ours within the input-rounding bound of exact arithmetic on both kernel paths', () => {
  for (const c of CASES) {
    const m = build(c);
    for (const kernels of ['wasm', 'typescript'] as const) {
      const ours = runOurs(m.bytes, m.x, kernels);
      const r = boundRatio(c, m, ours);
      assert.ok(r <= 1, `${JSON.stringify(c)} (${kernels}): error ${r.toFixed(2)} x the bound`);
    }
    // The two paths compute the same float32 values.
    assert.deepEqual(runOurs(m.bytes, m.x, 'wasm'), runOurs(m.bytes, m.x, 'typescript'), `${JSON.stringify(c)}: wasm vs typescript`);
  }
});

test('hybrid FULLY_CONNECTED v12 with asymmetric inputs: ours equals LiteRT.js within float rounding',
  { skip: liteRtAvailable() ? false : '@litertjs/core is not installed' }, async () => {
    let worst = 0;
    for (const c of CASES.filter((k) => k.asymmetric)) {
      const m = build(c);
      const r = await createLiteRtRunner(m.bytes);
      let lit: number[];
      try {
        r.setInput(0, m.x);
        r.invoke();
        lit = Array.from(r.getOutputs()[0].data as ArrayLike<number>);
      } finally {
        r.delete();
      }
      const ours = runOurs(m.bytes, m.x, 'wasm');
      assert.equal(ours.length, lit.length);
      ours.forEach((v, i) => {
        const d = Math.abs(v - lit[i]);
        worst = Math.max(worst, d);
        assert.ok(d <= FLOAT_RTOL * Math.abs(lit[i]) + FLOAT_ATOL, `${JSON.stringify(c)} output ${i}: ours ${v} vs LiteRT.js ${lit[i]}`);
      });
      // Not zeros (the failure tfjs-tflite shows at lower versions).
      assert.ok(lit.some((v) => v !== 0), `${JSON.stringify(c)}: LiteRT.js returned zeros`);
    }
    console.log(`# per-channel hybrid FC v12: max |ours - LiteRT.js| ${worst.toExponential(2)} over ${CASES.filter((k) => k.asymmetric).length} cases`);
  });

test('tfjs-tflite refuses FULLY_CONNECTED version 12 at load time (it never computes per-channel hybrid FC silently wrong at v12)', async () => {
  const m = build(CASES[0]);
  await assert.rejects(async () => {
    const r = await createOfficialRunner(m.bytes);
    r.delete();
  }, /FULLY_CONNECTED' version '12'/);
});
