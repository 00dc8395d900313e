// FAKE_QUANT (float32): values clamped to the nudged [min, max] and rounded to its grid of 2^numBits (- 1 when
// narrow, which TFLite refuses at run time) steps, as TF's FakeQuantWithMinMaxArgs and TFLite's kernel: the zero point is nudged to an integer, the
// range shifted to match, then x -> round((clamp(x) - nudged_min) / scale) * scale + nudged_min, in float32.

import type { Kernel } from '../kernel.js';
import { requireDtype, requireInput } from './shape-util.js';

interface FakeQuantPlan { nudgedMin: number; nudgedMax: number; scale: number; invScale: number }

const f = Math.fround;
/** TfLiteRound / std::round: halves away from zero. */
const roundAway = (x: number) => (x < 0 ? -Math.round(-x) : Math.round(x));

export const fakeQuantKernel: Kernel<FakeQuantPlan> = {
  op: 'FAKE_QUANT',
  maxVersion: 2,
  prepare(ctx) {
    const x = requireInput(ctx, 0);
    requireDtype(ctx, x, ['float32']);
    const out = ctx.outputs[0];
    out.dtype = 'float32';
    out.shape = x.shape.slice();
    const o = ctx.options;
    const min = f(Number(o.min)), max = f(Number(o.max));
    const bits = Number(o.numBits);
    if (!Number.isInteger(bits) || bits < 2 || bits > 16) ctx.unsupported(`FAKE_QUANT numBits ${bits} (2..16)`);
    if (!(max > min)) ctx.unsupported(`FAKE_QUANT range [${min}, ${max}] is empty`);
    // As the official runtime: narrow_range is meant for weights, never applied to activations at run time.
    if (o.narrowRange === true) ctx.unsupported('FAKE_QUANT with narrow_range (TFLite applies it to weights only)');
    const qmin = 0;
    const qmax = (1 << bits) - 1;
    const scale = f(f(max - min) / (qmax - qmin));
    const zeroFromMin = f(qmin - f(min / scale));
    const zp = zeroFromMin < qmin ? qmin : zeroFromMin > qmax ? qmax : roundAway(zeroFromMin);
    return { nudgedMin: f((qmin - zp) * scale), nudgedMax: f((qmax - zp) * scale), scale, invScale: f(1 / scale) };
  },
  eval(p, inputs, outputs) {
    const X = inputs[0]!.data as Float32Array;
    const Y = outputs[0].data as Float32Array;
    const { nudgedMin, nudgedMax, scale, invScale } = p;
    for (let i = 0; i < Y.length; i++) {
      const clamped = Math.min(nudgedMax, Math.max(nudgedMin, X[i]));
      const shifted = f(clamped - nudgedMin);
      Y[i] = f(roundAway(f(shifted * invScale)) * scale) + nudgedMin;
    }
  },
};
