// AVERAGE_POOL_2D and MAX_POOL_2D over NHWC windows (padding cells are skipped, not counted), float32 and
// quantized int8 / uint8 / int16 (input and output share scale and zero point, as TFLite requires).
// Quantized averages round half away from zero with integer division, as TFLite's reference kernels.

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { computeOutSize, computePadding, floatClamp, quantClamp } from './conv-common.js';
import { arenaFor, runUnaryWasm, type UnaryWasm, type WasmFn } from './unary-wasm.js';

export interface PoolPlan {
  quantized: boolean;
  batches: number; inH: number; inW: number; channels: number; outH: number; outW: number;
  filterH: number; filterW: number; strideH: number; strideW: number; padH: number; padW: number;
  actMin: number; actMax: number;
  /** The WebAssembly loops (bit-identical to the TypeScript ones), or null. */
  wasm: UnaryWasm | null;
}

/** The window of a 2-D pooling op over a 4-D NHWC input (options filter/stride/padding) and its output size. */
export function poolWindow(ctx: PrepareContext, input: RuntimeTensor): {
  batches: number; inH: number; inW: number; channels: number; outH: number; outW: number;
  filterH: number; filterW: number; strideH: number; strideW: number;
} {
  if (input.shape.length !== 4) ctx.unsupported(`input '${input.name}' must be 4-D NHWC, got [${input.shape}]`);
  const o = ctx.options;
  const strideH = Number(o.strideH), strideW = Number(o.strideW);
  const filterH = Number(o.filterHeight), filterW = Number(o.filterWidth);
  if (!(strideH > 0 && strideW > 0 && filterH > 0 && filterW > 0)) ctx.unsupported(`bad window ${filterH}x${filterW} / stride ${strideH}x${strideW}`);
  const padding = String(o.padding);
  if (padding !== 'SAME' && padding !== 'VALID') ctx.unsupported(`padding ${padding}`);
  const [batches, inH, inW, channels] = input.shape;
  const outH = computeOutSize(padding, inH, filterH, strideH, 1);
  const outW = computeOutSize(padding, inW, filterW, strideW, 1);
  if (outH <= 0 || outW <= 0) ctx.unsupported(`window ${filterH}x${filterW} does not fit the ${inH}x${inW} input`);
  return { batches, inH, inW, channels, outH, outW, filterH, filterW, strideH, strideW };
}

function preparePool(ctx: PrepareContext): PoolPlan {
  const input = ctx.inputs[0];
  const output = ctx.outputs[0];
  if (!input) ctx.unsupported('needs an input');
  const { batches, inH, inW, channels, outH, outW, filterH, filterW, strideH, strideW } = poolWindow(ctx, input);
  output.shape = [batches, outH, outW, channels];
  const dtypes = ['float32', 'int8', 'uint8', 'int16'];
  if (!dtypes.includes(input.dtype)) ctx.unsupported(`input dtype ${input.dtype}`);
  if (output.dtype !== input.dtype) ctx.unsupported(`output '${output.name}' must be ${input.dtype}, got ${output.dtype}`);
  const quantized = input.dtype !== 'float32';
  if (quantized && (input.scale[0] !== output.scale[0] || (input.zeroPoint[0] ?? 0) !== (output.zeroPoint[0] ?? 0))) {
    ctx.unsupported('input and output quantization must be equal');
  }
  const [actMin, actMax] = quantized ? quantClamp(ctx, output) : floatClamp(ctx);
  const plan: PoolPlan = {
    quantized, batches, inH, inW, channels, outH, outW, filterH, filterW, strideH, strideW,
    padH: computePadding(strideH, 1, inH, filterH, outH), padW: computePadding(strideW, 1, inW, filterW, outW),
    actMin, actMax, wasm: null,
  };
  const arena = arenaFor(ctx);
  if (arena) {
    const params = arena.alloc(14 * 4, 16);
    arena.i32.set([batches, inH, inW, channels, outH, outW, filterH, filterW, strideH, strideW, plan.padH, plan.padW], params >> 2);
    const isMax = ctx.node.op === 'MAX_POOL_2D' ? 1 : 0;
    if (quantized) {
      arena.i32.set([actMin, actMax], (params >> 2) + 12);
      const f = arena.exports.poolQ as WasmFn;
      const kind = input.dtype === 'int8' ? 0 : input.dtype === 'uint8' ? 1 : 2;
      plan.wasm = { arena, call: (x, out) => f(kind, isMax, params, x, out) };
    } else {
      arena.f32.set([actMin, actMax], (params >> 2) + 12);
      const f = arena.exports.poolF32 as WasmFn;
      plan.wasm = { arena, call: (x, out) => f(isMax, params, x, out) };
    }
  }
  return plan;
}

function evalAverage(p: PoolPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  if (p.wasm && runUnaryWasm(p.wasm, inputs[0]!, outputs[0])) return;
  const input = inputs[0]!.data as Float32Array;
  const out = outputs[0].data as Float32Array;
  const { channels: C, actMin, actMax } = p;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < p.outH; oy++) {
      const iy0 = oy * p.strideH - p.padH;
      const fyStart = Math.max(0, -iy0), fyEnd = Math.min(p.filterH, p.inH - iy0);
      for (let ox = 0; ox < p.outW; ox++) {
        const ix0 = ox * p.strideW - p.padW;
        const fxStart = Math.max(0, -ix0), fxEnd = Math.min(p.filterW, p.inW - ix0);
        const count = (fyEnd - fyStart) * (fxEnd - fxStart);
        const outBase = ((b * p.outH + oy) * p.outW + ox) * C;
        for (let c = 0; c < C; c++) {
          let sum = 0;
          for (let fy = fyStart; fy < fyEnd; fy++) {
            const row = (b * p.inH + iy0 + fy) * p.inW;
            for (let fx = fxStart; fx < fxEnd; fx++) sum += input[(row + ix0 + fx) * C + c];
          }
          let v: number;
          if (p.quantized) {
            const half = Math.trunc(count / 2);
            v = sum > 0 ? Math.trunc((sum + half) / count) : Math.trunc((sum - half) / count);
          } else {
            v = sum / count;
          }
          out[outBase + c] = v < actMin ? actMin : v > actMax ? actMax : v;
        }
      }
    }
  }
}

function evalMax(p: PoolPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]): void {
  if (p.wasm && runUnaryWasm(p.wasm, inputs[0]!, outputs[0])) return;
  const input = inputs[0]!.data as Float32Array;
  const out = outputs[0].data as Float32Array;
  const { channels: C, actMin, actMax } = p;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < p.outH; oy++) {
      const iy0 = oy * p.strideH - p.padH;
      const fyStart = Math.max(0, -iy0), fyEnd = Math.min(p.filterH, p.inH - iy0);
      for (let ox = 0; ox < p.outW; ox++) {
        const ix0 = ox * p.strideW - p.padW;
        const fxStart = Math.max(0, -ix0), fxEnd = Math.min(p.filterW, p.inW - ix0);
        const outBase = ((b * p.outH + oy) * p.outW + ox) * C;
        for (let c = 0; c < C; c++) {
          let m = -Infinity;
          for (let fy = fyStart; fy < fyEnd; fy++) {
            const row = (b * p.inH + iy0 + fy) * p.inW;
            for (let fx = fxStart; fx < fxEnd; fx++) {
              const v = input[(row + ix0 + fx) * C + c];
              if (v > m) m = v;
            }
          }
          out[outBase + c] = m < actMin ? actMin : m > actMax ? actMax : m;
        }
      }
    }
  }
}

export const averagePool2dKernel: Kernel<PoolPlan> = {
  op: 'AVERAGE_POOL_2D',
  // v1 float/uint8, v2 int8, v3 int16.
  maxVersion: 3,
  prepare: preparePool,
  eval: evalAverage,
  path: (p) => (p.wasm ? 'wasm' : 'js'),
};

export const maxPool2dKernel: Kernel<PoolPlan> = {
  op: 'MAX_POOL_2D',
  maxVersion: 3,
  prepare: preparePool,
  eval: evalMax,
  path: (p) => (p.wasm ? 'wasm' : 'js'),
};
