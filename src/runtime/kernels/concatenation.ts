// CONCATENATION along one axis. Quantized inputs whose scale/zero point differ from the output's are
// requantized in float32 as TFLite's ConcatenationWithScaling does: round(q * (s_in/s_out) - zp_in * (s_in/s_out)) + zp_out.

import type { Kernel, RuntimeTensor } from '../kernel.js';
import { dtypeRange } from '../quant-math.js';
import { isQuant, normalizeAxis, requireDtype, requireInput, sizeOf } from './shape-util.js';

interface ConcatPlan {
  outer: number;
  /** Elements per outer step, per input. */
  chunks: number[];
  /** Per input: null for a plain copy, else [scale, bias] (float32) for requantization. */
  rescale: ([number, number] | null)[];
  outZeroPoint: number;
  qmin: number;
  qmax: number;
  relu: [number, number] | null;
}

const f32 = Math.fround;

/** std::round: halves away from zero. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

export const concatenationKernel: Kernel<ConcatPlan> = {
  op: 'CONCATENATION',
  maxVersion: 3,
  prepare(ctx) {
    const n = ctx.inputs.length;
    if (n === 0) ctx.unsupported('CONCATENATION needs inputs');
    const first = requireInput(ctx, 0);
    const rank = first.shape.length;
    const axis = normalizeAxis(ctx, Number(ctx.options.axis ?? 0), rank);
    const out = ctx.outputs[0];
    requireDtype(ctx, first, ['float32', 'int32', 'int64', 'int8', 'uint8', 'int16', 'bool']);
    const shape = first.shape.slice();
    shape[axis] = 0;
    for (let k = 0; k < n; k++) {
      const t = requireInput(ctx, k);
      if (t.dtype !== first.dtype) ctx.unsupported(`input '${t.name}' is ${t.dtype}, input 0 is ${first.dtype}`);
      if (t.shape.length !== rank) ctx.unsupported(`input '${t.name}' has rank ${t.shape.length}, expected ${rank}`);
      for (let d = 0; d < rank; d++) {
        if (d !== axis && t.shape[d] !== first.shape[d]) ctx.unsupported(`input '${t.name}' shape [${t.shape}] does not match [${first.shape}]`);
      }
      shape[axis] += t.shape[axis];
    }
    out.shape = shape;
    out.dtype = first.dtype;
    const outer = sizeOf(shape.slice(0, axis));
    const inner = sizeOf(shape.slice(axis + 1));
    const chunks = ctx.inputs.map((t) => t!.shape[axis] * inner);
    const act = String(ctx.options.fusedActivationFunction ?? 'NONE');
    let relu: [number, number] | null = null;
    if (act !== 'NONE') {
      if (first.dtype !== 'float32') ctx.unsupported(`fused activation ${act} on ${first.dtype} CONCATENATION`);
      relu = act === 'RELU' ? [0, Infinity] : act === 'RELU6' ? [0, 6] : act === 'RELU_N1_TO_1' ? [-1, 1] : ctx.unsupported(`fused activation ${act}`);
    }
    const quantized = (first.dtype === 'int8' || first.dtype === 'uint8' || first.dtype === 'int16') && isQuant(out);
    const rescale = ctx.inputs.map((t) => {
      if (!quantized || !isQuant(t!)) return null;
      if (t!.scale[0] === out.scale[0] && t!.zeroPoint[0] === out.zeroPoint[0]) return null;
      const scale = f32(f32(t!.scale[0]) * f32(1 / f32(out.scale[0])));
      return [scale, f32(-t!.zeroPoint[0] * scale)] as [number, number];
    });
    const [qmin, qmax] = quantized ? dtypeRange(first.dtype) : [0, 0];
    return { outer, chunks, rescale, outZeroPoint: quantized ? out.zeroPoint[0] : 0, qmin, qmax, relu };
  },
  eval(plan, inputs, outputs) {
    const out = outputs[0].data as Float32Array;
    const { outer, chunks, rescale } = plan;
    let o = 0;
    for (let b = 0; b < outer; b++) {
      for (let k = 0; k < chunks.length; k++) {
        const src = (inputs[k] as RuntimeTensor).data as Float32Array;
        const len = chunks[k];
        const start = b * len;
        const rs = rescale[k];
        if (rs === null) {
          // Short runs (concatenating channels) are copied in place: a subarray view per run would allocate.
          if (len < 64) for (let j = 0; j < len; j++) out[o + j] = src[start + j];
          else out.set(src.subarray(start, start + len), o);
        } else {
          const [scale, bias] = rs;
          for (let j = 0; j < len; j++) {
            let v = roundHalfAway(f32(f32(src[start + j] * scale) + bias)) + plan.outZeroPoint;
            v = v < plan.qmin ? plan.qmin : v > plan.qmax ? plan.qmax : v;
            out[o + j] = v;
          }
        }
        o += len;
      }
    }
    if (plan.relu) {
      const [lo, hi] = plan.relu;
      for (let i = 0; i < out.length; i++) out[i] = out[i] < lo ? lo : out[i] > hi ? hi : out[i];
    }
  },
};
