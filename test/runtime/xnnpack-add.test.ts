// planXnnpackAdd / xnnpackAddValue (src/runtime/xnnpack-add.ts) vs the official runtime's 8-bit ADD and SUB on full
// 256x256 input sweeps: every pair of raw values, random scales and zero points, every fused activation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DType } from '../../src/graph/model.js';
import { planXnnpackAdd, xnnpackAddValue } from '../../src/runtime/xnnpack-add.js';
import { roundHalfEven } from '../../src/runtime/requantize.js';
import { Rng, perTensor, runReference, singleOpModel } from '../helpers/conformance.js';
import { writeModel } from '../../src/format/index.js';

const f32 = Math.fround;

test('XNNPACK 8-bit ADD/SUB arithmetic is bit-exact with the official runtime on full input sweeps', async () => {
  const rng = new Rng(4242);
  let elements = 0;
  for (let c = 0; c < 2; c++) {
    for (const op of ['ADD', 'SUB']) {
      for (const dtype of ['int8', 'uint8'] as DType[]) {
        const lo = dtype === 'int8' ? -128 : 0, hi = lo + 255;
        const sa = f32(rng.float(0.005, 0.2)), sb = f32(rng.float(0.005, 0.2)), so = f32(rng.float(0.01, 0.3));
        const za = lo + rng.int(0, 255), zb = lo + rng.int(0, 255), zo = lo + rng.int(50, 200);
        const act = rng.pick(['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1']);
        const a: number[] = [], b: number[] = [];
        for (let x = lo; x <= hi; x++) for (let y = lo; y <= hi; y++) { a.push(x); b.push(y); }
        const model = singleOpModel({
          op, version: dtype === 'int8' ? 2 : 1, options: { fusedActivationFunction: act },
          inputs: [{ dtype, shape: [a.length], quantization: perTensor(sa, za) }, { dtype, shape: [b.length], quantization: perTensor(sb, zb) }],
          outputs: [{ dtype, shape: [a.length], quantization: perTensor(so, zo) }],
        });
        const ref = (await runReference(writeModel(model), [a, b]))[0].data;
        // The activation bounds quantized as XNNPACK does: lrintf(float32(f / s_out) + z_out), saturated.
        const q = (f: number) => roundHalfEven(Math.min(hi, Math.max(lo, f32(f32(f / so) + zo))));
        const [min, max] = act === 'NONE' ? [lo, hi] : act === 'RELU' ? [q(0), hi] : act === 'RELU6' ? [q(0), q(6)] : [q(-1), q(1)];
        const p = planXnnpackAdd(sa, za, sb, zb, so, zo, op === 'SUB', min, max);
        assert.ok(p, 'scales inside the delegate limits');
        for (let i = 0; i < a.length; i++) {
          const v = xnnpackAddValue(p, a[i], b[i]);
          if (v !== ref[i]) assert.fail(`${op} ${dtype} ${act} s=${[sa, sb, so]} z=${[za, zb, zo]}: a=${a[i]} b=${b[i]} ours ${v} official ${ref[i]}`);
        }
        elements += a.length;
      }
    }
  }
  console.log(`[conformance] XNNPACK ADD/SUB arithmetic: ${elements} elements, 100.00% exact`);
});
