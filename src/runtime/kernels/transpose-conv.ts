// TRANSPOSE_CONV: inputs (output_shape int32 [4], weights OHWI, input NHWC, optional bias (v3+)).
// As TFLite's reference transpose_conv: every input pixel scatters input x filter into the output window at
// (in * stride - pad); the padding is ComputePaddingHeightWidth evaluated with the OUTPUT size as the "input"
// of the equivalent forward convolution (its odd extra pixel lands after, as in the optimized col2im path).
// Variants: float32; int8 per-channel (int32 bias); legacy uint8 per-tensor (int32 bias); int16x8 (int64 or int32
// bias, zero points 0). Fused activation (v4) clamps every variant.

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierInt64 } from '../quant-math.js';
import {
  biasValues, computeOutSize, computePadding, floatClamp, outputMultipliers, quantClamp, requireQuantized,
} from './conv-common.js';
import { checkGeneratedShape, shapeDecidingValues, sizeOf } from './shape-util.js';

type Variant = 'float' | 'int8' | 'uint8' | 'int16';

export interface TransposeConvPlan {
  variant: Variant;
  batches: number; inH: number; inW: number; inC: number;
  outH: number; outW: number; outC: number;
  filterH: number; filterW: number;
  strideH: number; strideW: number;
  padH: number; padW: number;
  bias: Float64Array;
  biasTensor: RuntimeTensor | null;
  actMin: number;
  actMax: number;
  inputOffset: number;
  filterOffset: number;
  outputOffset: number;
  multipliers: Int32Array;
  shifts: Int32Array;
  /** int16 with an int64 bias: the 64-bit requantization; otherwise the int32 one. */
  wideAccumulator: boolean;
  /** Operands as float64 (offsets applied) and the scatter accumulator (one value per output element). */
  x: Float64Array;
  w: Float64Array;
  acc: Float64Array;
}

function prepareTransposeConv(ctx: PrepareContext): TransposeConvPlan {
  if (ctx.inputs.length !== 3 && ctx.inputs.length !== 4) ctx.unsupported(`needs 3 or 4 inputs, got ${ctx.inputs.length}`);
  const shapeT = ctx.inputs[0];
  const filter = ctx.inputs[1];
  const input = ctx.inputs[2];
  const bias = ctx.inputs[3] ?? null;
  const output = ctx.outputs[0];
  if (!shapeT || !filter || !input) ctx.unsupported('needs output_shape, weights and input');
  if (shapeT.dtype !== 'int32') ctx.unsupported(`output_shape '${shapeT.name}' must be int32, got ${shapeT.dtype}`);
  if (sizeOf(shapeT.shape) !== 4) ctx.unsupported(`output_shape '${shapeT.name}' must hold 4 values, has shape [${shapeT.shape}]`);
  if (input.shape.length !== 4) ctx.unsupported(`input '${input.name}' must be 4-D NHWC, got [${input.shape}]`);
  if (filter.shape.length !== 4) ctx.unsupported(`weights '${filter.name}' must be 4-D OHWI, got [${filter.shape}]`);
  const [batches, inH, inW, inC] = input.shape;
  const [outC, filterH, filterW, filterDepth] = filter.shape;
  // output_shape may be a model input (TFLite makes the output dynamic and sizes it at eval): until its values are
  // known, plan for the height and width the file declares; the interpreter prepares again with the values.
  const values = shapeDecidingValues(ctx, shapeT, 'output_shape');
  const outShape = values ?? [batches, output.shape[1] ?? 0, output.shape[2] ?? 0, outC];
  const [outN, outH, outW, outDepth] = outShape;
  if (filterDepth !== inC) ctx.unsupported(`weights depth ${filterDepth} does not match input depth ${inC}`);
  if (outN !== batches) ctx.unsupported(`output_shape batch ${outN} does not match input batch ${batches}`);
  if (outDepth !== outC) ctx.unsupported(`output_shape depth ${outDepth} does not match the weights' ${outC} output channels`);
  if (values && !(outH > 0 && outW > 0)) ctx.unsupported(`output_shape [${outShape}] must be positive`);
  checkGeneratedShape(ctx, outShape, `output_shape '${shapeT.name}'`);
  output.shape = outShape;

  const o = ctx.options;
  const strideH = Number(o.strideH ?? 1);
  const strideW = Number(o.strideW ?? 1);
  if (!(strideH > 0 && strideW > 0)) ctx.unsupported(`strides (${strideH}, ${strideW}) must be positive`);
  const padding = String(o.padding ?? 'SAME');
  if (padding !== 'SAME' && padding !== 'VALID') ctx.unsupported(`padding ${padding}`);
  // The forward convolution this op is the gradient of maps the output size to the input size.
  const padH = computePadding(strideH, 1, outH, filterH, computeOutSize(padding, outH, filterH, strideH, 1));
  const padW = computePadding(strideW, 1, outW, filterW, computeOutSize(padding, outW, filterW, strideW, 1));

  let variant: Variant;
  if (input.dtype === 'float32' && filter.dtype === 'float32') variant = 'float';
  else if (input.dtype === 'int8' && filter.dtype === 'int8') variant = 'int8';
  else if (input.dtype === 'uint8' && filter.dtype === 'uint8') variant = 'uint8';
  else if (input.dtype === 'int16' && filter.dtype === 'int8') variant = 'int16';
  else return ctx.unsupported(`input ${input.dtype} with weights ${filter.dtype} is not supported`);
  if (output.dtype !== input.dtype) ctx.unsupported(`output '${output.name}' must be ${input.dtype}, got ${output.dtype}`);
  if (bias) {
    const ok = variant === 'float' ? ['float32'] : variant === 'int16' ? ['int64', 'int32'] : ['int32'];
    if (!ok.includes(bias.dtype)) ctx.unsupported(`bias '${bias.name}' must be ${ok.join(' or ')}, got ${bias.dtype}`);
  }
  if (!filter.isConstant && variant !== 'float') ctx.unsupported('quantized TRANSPOSE_CONV needs constant weights');

  const plan: TransposeConvPlan = {
    variant, batches, inH, inW, inC, outH, outW, outC, filterH, filterW, strideH, strideW, padH, padW,
    bias: biasValues(ctx, bias, outC), biasTensor: bias && !bias.isConstant ? bias : null,
    actMin: -Infinity, actMax: Infinity, inputOffset: 0, filterOffset: 0, outputOffset: 0,
    multipliers: new Int32Array(0), shifts: new Int32Array(0), wideAccumulator: bias?.dtype === 'int64',
    x: new Float64Array(batches * inH * inW * inC), w: new Float64Array(outC * filterH * filterW * inC),
    acc: new Float64Array(batches * outH * outW * outC),
  };
  if (variant === 'float') {
    [plan.actMin, plan.actMax] = floatClamp(ctx);
  } else {
    const m = outputMultipliers(ctx, input, filter, output, outC);
    plan.multipliers = m.multipliers;
    plan.shifts = m.shifts;
    [plan.actMin, plan.actMax] = quantClamp(ctx, output);
    plan.inputOffset = -(input.zeroPoint[0] ?? 0);
    plan.outputOffset = output.zeroPoint[0] ?? 0;
    if (variant === 'uint8') plan.filterOffset = -(filter.zeroPoint[0] ?? 0);
    if (variant === 'int16' && (plan.inputOffset !== 0 || plan.outputOffset !== 0)) {
      ctx.unsupported('int16 TRANSPOSE_CONV needs zero points 0 on input and output');
    }
    requireQuantized(ctx, output);
  }
  if (filter.isConstant) loadFilter(plan, filter.data as Float32Array);
  return plan;
}

function loadFilter(p: TransposeConvPlan, filter: ArrayLike<number>): void {
  const off = p.filterOffset;
  for (let i = 0; i < p.w.length; i++) p.w[i] = filter[i] + off;
}

/** The scatter: acc[b, iy*s - pad + fy, ix*s - pad + fx, oc] += dot(x[b, iy, ix, :], w[oc, fy, fx, :]). */
function scatter(p: TransposeConvPlan): void {
  const { x, w, acc, inC, outC, outH, outW, filterH, filterW } = p;
  acc.fill(0);
  const tap = filterH * filterW * inC;
  for (let b = 0; b < p.batches; b++) {
    for (let iy = 0; iy < p.inH; iy++) {
      const oy0 = iy * p.strideH - p.padH;
      for (let ix = 0; ix < p.inW; ix++) {
        const ox0 = ix * p.strideW - p.padW;
        const xBase = ((b * p.inH + iy) * p.inW + ix) * inC;
        for (let fy = 0; fy < filterH; fy++) {
          const oy = oy0 + fy;
          if (oy < 0 || oy >= outH) continue;
          for (let fx = 0; fx < filterW; fx++) {
            const ox = ox0 + fx;
            if (ox < 0 || ox >= outW) continue;
            const outBase = ((b * outH + oy) * outW + ox) * outC;
            let wBase = (fy * filterW + fx) * inC;
            for (let oc = 0; oc < outC; oc++, wBase += tap) {
              let s = 0;
              for (let ic = 0; ic < inC; ic++) s += x[xBase + ic] * w[wBase + ic];
              acc[outBase + oc] += s;
            }
          }
        }
      }
    }
  }
}

function evalTransposeConv(p: TransposeConvPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  const filterT = inputs[1]!;
  const input = inputs[2]!.data as Float32Array;
  if (!filterT.isConstant) loadFilter(p, filterT.data as Float32Array);
  if (p.biasTensor) for (let c = 0; c < p.outC; c++) p.bias[c] = Number(p.biasTensor.data[c]);
  const inOff = p.inputOffset;
  const x = p.x;
  for (let i = 0; i < x.length; i++) x[i] = input[i] + inOff;
  scatter(p);
  const { acc, bias, actMin, actMax, outC } = p;
  const n = acc.length;

  if (p.variant === 'float') {
    const out = outputs[0].data as Float32Array;
    for (let i = 0, c = 0; i < n; i++, c = c + 1 === outC ? 0 : c + 1) {
      const v = acc[i] + bias[c];
      out[i] = v < actMin ? actMin : v > actMax ? actMax : v;
    }
    return;
  }

  const out = outputs[0].data as Int8Array;
  const { multipliers, shifts, outputOffset } = p;
  const wide = p.variant === 'int16' && p.wideAccumulator;
  for (let i = 0, c = 0; i < n; i++, c = c + 1 === outC ? 0 : c + 1) {
    const a = acc[i] + bias[c];
    let v = wide ? multiplyByQuantizedMultiplierInt64(a, multipliers[c], shifts[c])
      : multiplyByQuantizedMultiplier(a | 0, multipliers[c], shifts[c]);
    v += outputOffset;
    out[i] = v < actMin ? actMin : v > actMax ? actMax : v;
  }
}

export const transposeConvKernel: Kernel<TransposeConvPlan> = {
  op: 'TRANSPOSE_CONV',
  // v1 float/uint8, v2 int8, v3 bias input (and int16x8), v4 fused activation.
  maxVersion: 4,
  prepare: prepareTransposeConv,
  eval: evalTransposeConv,
};
