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
  return plan;
}

/** Integer convolution of one output pixel's channels into `acc` (shared by all integer variants). */
function convInteger(p: ConvPlan, input: ArrayLike<number>, filter: ArrayLike<number>, inputOffset: number, filterOffset: number,
  b: number, oy: number, ox: number, acc: Float64Array): void {
  const g = p.g;
  const iy0 = oy * g.strideH - g.padH;
  const ix0 = ox * g.strideW - g.padW;
  const fyStart = iy0 >= 0 ? 0 : Math.ceil(-iy0 / g.dilationH);
  const fyEnd = Math.min(g.filterH, Math.ceil((g.inH - iy0) / g.dilationH));
  const fxStart = ix0 >= 0 ? 0 : Math.ceil(-ix0 / g.dilationW);
  const fxEnd = Math.min(g.filterW, Math.ceil((g.inW - ix0) / g.dilationW));
  const depth = p.filterDepth;
  for (let oc = 0; oc < g.outC; oc++) {
    const icStart = Math.floor(oc / p.outPerGroup) * depth;
    let sum = 0;
    for (let fy = fyStart; fy < fyEnd; fy++) {
      const iy = iy0 + fy * g.dilationH;
      const rowIn = (b * g.inH + iy) * g.inW;
      const rowF = (oc * g.filterH + fy) * g.filterW;
      for (let fx = fxStart; fx < fxEnd; fx++) {
        const inBase = (rowIn + ix0 + fx * g.dilationW) * g.inC + icStart;
        const fBase = (rowF + fx) * depth;
        if (filterOffset === 0) {
          for (let ic = 0; ic < depth; ic++) sum += filter[fBase + ic] * (input[inBase + ic] + inputOffset);
        } else {
          for (let ic = 0; ic < depth; ic++) sum += (filter[fBase + ic] + filterOffset) * (input[inBase + ic] + inputOffset);
        }
      }
    }
    acc[oc] = sum;
  }
}

function evalConv(p: ConvPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const g = p.g;
  const input = inputs[0]!.data as Float32Array;
  const filter = inputs[1]!.data as Float32Array;
  const out = outputs[0].data as Float32Array;
  if (p.biasTensor) for (let c = 0; c < g.outC; c++) p.bias[c] = Number(p.biasTensor.data[c]);
  const bias = p.bias;
  const { actMin, actMax } = p;

  if (p.variant === 'float') {
    const depth = p.filterDepth;
    for (let b = 0; b < g.batches; b++) {
      for (let oy = 0; oy < g.outH; oy++) {
        const iy0 = oy * g.strideH - g.padH;
        const fyStart = iy0 >= 0 ? 0 : Math.ceil(-iy0 / g.dilationH);
        const fyEnd = Math.min(g.filterH, Math.ceil((g.inH - iy0) / g.dilationH));
        for (let ox = 0; ox < g.outW; ox++) {
          const ix0 = ox * g.strideW - g.padW;
          const fxStart = ix0 >= 0 ? 0 : Math.ceil(-ix0 / g.dilationW);
          const fxEnd = Math.min(g.filterW, Math.ceil((g.inW - ix0) / g.dilationW));
          const outBase = ((b * g.outH + oy) * g.outW + ox) * g.outC;
          for (let oc = 0; oc < g.outC; oc++) {
            const icStart = Math.floor(oc / p.outPerGroup) * depth;
            let sum = 0;
            for (let fy = fyStart; fy < fyEnd; fy++) {
              const rowIn = (b * g.inH + iy0 + fy * g.dilationH) * g.inW;
              const rowF = (oc * g.filterH + fy) * g.filterW;
              for (let fx = fxStart; fx < fxEnd; fx++) {
                const inBase = (rowIn + ix0 + fx * g.dilationW) * g.inC + icStart;
                const fBase = (rowF + fx) * depth;
                for (let ic = 0; ic < depth; ic++) sum += filter[fBase + ic] * input[inBase + ic];
              }
            }
            const v = sum + bias[oc];
            out[outBase + oc] = v < actMin ? actMin : v > actMax ? actMax : v;
          }
        }
      }
    }
    return;
  }

  const acc = scratchFor(g.outC);
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
    }
    const fInt = inputs[1]!.data as Int8Array;
    for (let b = 0; b < g.batches; b++) {
      const sf = p.batchScale[b];
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          convInteger(p, p.qInput, fInt, -p.batchOffset[b], 0, b, oy, ox, acc);
          const outBase = ((b * g.outH + oy) * g.outW + ox) * g.outC;
          for (let oc = 0; oc < g.outC; oc++) {
            const v = p.variant === 'hybrid'
              ? Math.fround(Math.fround(acc[oc] * sf) + bias[oc])
              : Math.fround(Math.fround(Math.fround(acc[oc] * p.filterScales[oc]) * sf) + bias[oc]);
            out[outBase + oc] = v < actMin ? actMin : v > actMax ? actMax : v;
          }
        }
      }
    }
    return;
  }

  const qOut = outputs[0].data as Int8Array;
  const { multipliers, shifts, outputOffset } = p;
  const wide = p.variant === 'int16' && p.wideAccumulator;
  for (let b = 0; b < g.batches; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        convInteger(p, input, filter, p.inputOffset, p.filterOffset, b, oy, ox, acc);
        const outBase = ((b * g.outH + oy) * g.outW + ox) * g.outC;
        for (let oc = 0; oc < g.outC; oc++) {
          const a = acc[oc] + bias[oc];
          let v = wide ? multiplyByQuantizedMultiplierInt64(a, multipliers[oc], shifts[oc])
            : multiplyByQuantizedMultiplier(a | 0, multipliers[oc], shifts[oc]);
          v += outputOffset;
          qOut[outBase + oc] = v < actMin ? actMin : v > actMax ? actMax : v;
        }
      }
    }
  }
}

let scratch = new Float64Array(64);
/** One shared accumulator row (kernels run one at a time); grows to the widest layer once. */
function scratchFor(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(n);
  return scratch;
}

export const conv2dKernel: Kernel<ConvPlan> = {
  op: 'CONV_2D',
  // v1 float/uint8, v2 hybrid, v3 int8 per-channel, v4 int16x8, v5 grouped, v6 hybrid per-channel.
  maxVersion: 6,
  prepare: prepareConv,
  eval: evalConv,
};
