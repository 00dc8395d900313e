// CONV_2D: NHWC input, OHWI filter (grouped when the filter's depth divides the input's), optional bias.
// Variants, as TFLite's conv.cc dispatches them:
//   float32; hybrid (float input, int8 filter: input quantized per batch, symmetric for a per-tensor filter,
//   asymmetric for per-channel or grouped); int8 per-channel; legacy uint8 per-tensor; int16x8 (int64 or int32 bias).

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import {
  asymmetricQuantizeFloats, multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierInt64, symmetricQuantizeFloats,
} from '../quant-math.js';
import {
  biasValues, floatClamp, geometry, outputMultipliers, quantClamp, requireQuantized, type Geometry2D,
} from './conv-common.js';

type Variant = 'float' | 'hybrid' | 'hybridPerChannel' | 'int8' | 'uint8' | 'int16';

export interface ConvPlan {
  variant: Variant;
  g: Geometry2D;
  groups: number;
  filterDepth: number;
  outPerGroup: number;
  bias: Float64Array;
  /** Non-constant bias: refreshed at eval. */
  biasTensor: RuntimeTensor | null;
  actMin: number;
  actMax: number;
  inputOffset: number;
  filterOffset: number;
  outputOffset: number;
  multipliers: Int32Array;
  shifts: Int32Array;
  /** int16 with an int64 bias: the 64-bit requantization. */
  wideAccumulator: boolean;
  /** Hybrid: quantized input, per-batch scaling factors and offsets, per-channel filter scales. */
  qInput: Int8Array;
  batchScale: Float64Array;
  batchOffset: Int32Array;
  filterScales: Float64Array;
  asymResult: Float64Array;
  /** Float64 operands of the hot loop: input (offset applied), filter rows, one receptive field, one pixel's sums. */
  x: Float64Array;
  w: Float64Array;
  patch: Float64Array;
  acc: Float64Array;
}

function prepareConv(ctx: PrepareContext): ConvPlan {
  const input = ctx.inputs[0];
  const filter = ctx.inputs[1];
  const bias = ctx.inputs[2] ?? null;
  const output = ctx.outputs[0];
  if (!input || !filter) ctx.unsupported('needs an input and a filter');
  if (filter.shape.length !== 4) ctx.unsupported(`filter '${filter.name}' must be 4-D OHWI, got [${filter.shape}]`);
  if (!filter.isConstant && input.dtype !== 'float32') ctx.unsupported('quantized CONV_2D needs a constant filter');
  const [outC, filterH, filterW, filterDepth] = filter.shape;
  const g = geometry(ctx, input, filterH, filterW, outC);
  if (filterDepth <= 0 || g.inC % filterDepth !== 0) ctx.unsupported(`input depth ${g.inC} is not a multiple of the filter depth ${filterDepth}`);
  const groups = g.inC / filterDepth;
  if (outC % groups !== 0) ctx.unsupported(`${outC} output channels do not split into ${groups} groups`);
  output.shape = [g.batches, g.outH, g.outW, outC];

  let variant: Variant;
  if (input.dtype === 'float32' && filter.dtype === 'float32') variant = 'float';
  else if (input.dtype === 'float32' && filter.dtype === 'int8') {
    const perChannel = filter.scale.length > 1 && filter.scale.some((s) => s !== filter.scale[0]);
    variant = perChannel || groups !== 1 ? 'hybridPerChannel' : 'hybrid';
  } else if (input.dtype === 'int8' && filter.dtype === 'int8') variant = 'int8';
  else if (input.dtype === 'uint8' && filter.dtype === 'uint8') variant = 'uint8';
  else if (input.dtype === 'int16' && filter.dtype === 'int8') variant = 'int16';
  else return ctx.unsupported(`input ${input.dtype} with filter ${filter.dtype} is not supported`);
  if (variant === 'float' || variant === 'hybrid' || variant === 'hybridPerChannel') {
    if (output.dtype !== 'float32') ctx.unsupported(`output '${output.name}' must be float32, got ${output.dtype}`);
    if (bias && bias.dtype !== 'float32') ctx.unsupported(`bias '${bias.name}' must be float32, got ${bias.dtype}`);
  } else {
    if (output.dtype !== input.dtype) ctx.unsupported(`output '${output.name}' must be ${input.dtype}, got ${output.dtype}`);
    const biasTypes = variant === 'int16' ? ['int64', 'int32'] : ['int32'];
    if (bias && !biasTypes.includes(bias.dtype)) ctx.unsupported(`bias '${bias.name}' must be ${biasTypes.join(' or ')}, got ${bias.dtype}`);
  }

  const plan: ConvPlan = {
    variant, g, groups, filterDepth, outPerGroup: outC / groups,
    bias: biasValues(ctx, bias, outC), biasTensor: bias && !bias.isConstant ? bias : null,
    actMin: -Infinity, actMax: Infinity, inputOffset: 0, filterOffset: 0, outputOffset: 0,
    multipliers: new Int32Array(0), shifts: new Int32Array(0), wideAccumulator: bias?.dtype === 'int64',
    qInput: new Int8Array(0), batchScale: new Float64Array(0), batchOffset: new Int32Array(0),
    filterScales: new Float64Array(0), asymResult: new Float64Array(2),
    x: new Float64Array(g.batches * g.inH * g.inW * g.inC), w: new Float64Array(outC * filterH * filterW * filterDepth),
    patch: new Float64Array(filterH * filterW * filterDepth), acc: new Float64Array(outC),
  };
  if (variant === 'float') {
    [plan.actMin, plan.actMax] = floatClamp(ctx);
  } else if (variant === 'hybrid' || variant === 'hybridPerChannel') {
    requireQuantized(ctx, filter);
    [plan.actMin, plan.actMax] = floatClamp(ctx);
    plan.qInput = new Int8Array(g.batches * g.inH * g.inW * g.inC);
    plan.batchScale = new Float64Array(g.batches);
    plan.batchOffset = new Int32Array(g.batches);
    plan.filterScales = Float64Array.from({ length: outC }, (_, c) => filter.scale[filter.scale.length > 1 ? c : 0]);
  } else {
    const m = outputMultipliers(ctx, input, filter, output, outC);
    plan.multipliers = m.multipliers;
    plan.shifts = m.shifts;
    [plan.actMin, plan.actMax] = quantClamp(ctx, output);
    plan.inputOffset = -(input.zeroPoint[0] ?? 0);
    plan.outputOffset = output.zeroPoint[0] ?? 0;
    if (variant === 'uint8') plan.filterOffset = -(filter.zeroPoint[0] ?? 0);
  }
  if (filter.isConstant) filterRows(plan, filter.data as Float32Array);
  return plan;
}

/** Filter rows as float64 (filter offset applied), one row of K = FH*FW*depth per output channel. */
function filterRows(p: ConvPlan, filter: ArrayLike<number>): void {
  const w = p.w;
  const off = p.filterOffset;
  for (let i = 0; i < w.length; i++) w[i] = filter[i] + off;
}

/**
 * The hot loop shared by every variant: x holds the input (offset applied, float64), w the filter rows.
 * For each output pixel and group, the receptive field is gathered into one contiguous patch (zeros where the
 * window leaves the image: a padded tap contributes nothing, as the reference kernels skip it), then one dot
 * product per output channel. Results go to acc (per pixel), handed to `emit`.
 */
function convolve(p: ConvPlan, emit: (b: number, outBase: number, acc: Float64Array) => void): void {
  const g = p.g;
  const { x, w, patch, acc } = p;
  const depth = p.filterDepth;
  const K = g.filterH * g.filterW * depth;
  const pointwise = g.filterH === 1 && g.filterW === 1;
  for (let b = 0; b < g.batches; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      const iy0 = oy * g.strideH - g.padH;
      for (let ox = 0; ox < g.outW; ox++) {
        const ix0 = ox * g.strideW - g.padW;
        for (let grp = 0; grp < p.groups; grp++) {
          const icStart = grp * depth;
          // 1x1 windows inside the image read the input row in place; others gather a patch.
          let src = patch;
          let sb = 0;
          if (pointwise && iy0 >= 0 && iy0 < g.inH && ix0 >= 0 && ix0 < g.inW) {
            src = x;
            sb = ((b * g.inH + iy0) * g.inW + ix0) * g.inC + icStart;
          } else {
          let k = 0;
          for (let fy = 0; fy < g.filterH; fy++) {
            const iy = iy0 + fy * g.dilationH;
            const rowOk = iy >= 0 && iy < g.inH;
            const row = (b * g.inH + iy) * g.inW;
            for (let fx = 0; fx < g.filterW; fx++) {
              const ix = ix0 + fx * g.dilationW;
              if (rowOk && ix >= 0 && ix < g.inW) {
                const base = (row + ix) * g.inC + icStart;
                for (let ic = 0; ic < depth; ic++) patch[k++] = x[base + ic];
              } else {
                for (let ic = 0; ic < depth; ic++) patch[k++] = 0;
              }
            }
          }
          }
          const ocEnd = (grp + 1) * p.outPerGroup;
          let oc = grp * p.outPerGroup;
          // Four output channels per pass share each patch load.
          for (; oc + 3 < ocEnd; oc += 4) {
            const o0 = oc * K, o1 = o0 + K, o2 = o1 + K, o3 = o2 + K;
            let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (let i = 0; i < K; i++) {
              const v = src[sb + i];
              s0 += w[o0 + i] * v;
              s1 += w[o1 + i] * v;
              s2 += w[o2 + i] * v;
              s3 += w[o3 + i] * v;
            }
            acc[oc] = s0;
            acc[oc + 1] = s1;
            acc[oc + 2] = s2;
            acc[oc + 3] = s3;
          }
          for (; oc < ocEnd; oc++) {
            const o = oc * K;
            let s0 = 0;
            for (let i = 0; i < K; i++) s0 += w[o + i] * src[sb + i];
            acc[oc] = s0;
          }
        }
        emit(b, ((b * g.outH + oy) * g.outW + ox) * g.outC, acc);
      }
    }
  }
}

function evalConv(p: ConvPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const g = p.g;
  const input = inputs[0]!.data as Float32Array;
  const filterT = inputs[1]!;
  const out = outputs[0].data as Float32Array;
  if (!filterT.isConstant) filterRows(p, filterT.data as Float32Array);
  if (p.biasTensor) for (let c = 0; c < g.outC; c++) p.bias[c] = Number(p.biasTensor.data[c]);
  const bias = p.bias;
  const { actMin, actMax, x } = p;
  const C = g.outC;

  if (p.variant === 'float') {
    x.set(input);
    convolve(p, (_b, outBase, acc) => {
      for (let oc = 0; oc < C; oc++) {
        const v = acc[oc] + bias[oc];
        out[outBase + oc] = v < actMin ? actMin : v > actMax ? actMax : v;
      }
    });
    return;
  }

  if (p.variant === 'hybrid' || p.variant === 'hybridPerChannel') {
    const perBatch = g.inH * g.inW * g.inC;
    for (let b = 0; b < g.batches; b++) {
      if (p.variant === 'hybrid') {
        p.batchScale[b] = Math.fround(symmetricQuantizeFloats(input, b * perBatch, perBatch, p.qInput, b * perBatch) * p.filterScales[0]);
        p.batchOffset[b] = 0;
      } else {
        asymmetricQuantizeFloats(input, b * perBatch, perBatch, p.qInput, b * perBatch, p.asymResult);
        p.batchScale[b] = p.asymResult[0];
        p.batchOffset[b] = p.asymResult[1];
      }
      const off = p.batchOffset[b];
      for (let i = b * perBatch; i < (b + 1) * perBatch; i++) x[i] = p.qInput[i] - off;
    }
    const perTensor = p.variant === 'hybrid';
    const fs = p.filterScales;
    convolve(p, (b, outBase, acc) => {
      const sf = p.batchScale[b];
      for (let oc = 0; oc < C; oc++) {
        const v = perTensor
          ? Math.fround(Math.fround(acc[oc] * sf) + bias[oc])
          : Math.fround(Math.fround(Math.fround(acc[oc] * fs[oc]) * sf) + bias[oc]);
        out[outBase + oc] = v < actMin ? actMin : v > actMax ? actMax : v;
      }
    });
    return;
  }

  const inOff = p.inputOffset;
  for (let i = 0; i < x.length; i++) x[i] = input[i] + inOff;
  const qOut = outputs[0].data as Int8Array;
  const { multipliers, shifts, outputOffset } = p;
  const wide = p.variant === 'int16' && p.wideAccumulator;
  convolve(p, (_b, outBase, acc) => {
    for (let oc = 0; oc < C; oc++) {
      const a = acc[oc] + bias[oc];
      let v = wide ? multiplyByQuantizedMultiplierInt64(a, multipliers[oc], shifts[oc])
        : multiplyByQuantizedMultiplier(a | 0, multipliers[oc], shifts[oc]);
      v += outputOffset;
      qOut[outBase + oc] = v < actMin ? actMin : v > actMax ? actMax : v;
    }
  });
}

export const conv2dKernel: Kernel<ConvPlan> = {
  op: 'CONV_2D',
  // v1 float/uint8, v2 hybrid, v3 int8 per-channel, v4 int16x8, v5 grouped, v6 hybrid per-channel.
  maxVersion: 6,
  prepare: prepareConv,
  eval: evalConv,
};
